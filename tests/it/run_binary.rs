//! Binary content (beta5 `outputRawFormat: binary`), end to end: an upstream on loopback
//! answers bytes that are not UTF-8, and naftiko serves them unchanged
//! - over REST, with the media type the operation, the flow or the response contract names;
//! - as MCP tool results (`image`, `audio`, or an embedded resource with a `blob`) and MCP
//!   blob resources, read by the official MCP Python SDK (2026-07-28 and 2025-11-25);
//! - within `maxBinarySize` (the operation's, else the adapter's), a larger answer being a
//!   502 problem over REST and an error result over MCP;
//!
//! and `validate` refuses binary content declared over an operation that answers JSON.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common;
use common::mcp::{Kind, over_http};
use common::serve::{Naftiko, Reply, Upstream, client};

const FILE: &str = "tests/fixtures/run/binary-content.yaml";

/// `n` bytes that are not UTF-8 text (a JPEG start, then every byte value in turn).
fn bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend((0..n.saturating_sub(4)).map(|i| (i % 256) as u8));
    b.truncate(n);
    b
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The photo library: sizes by path, a 404 for `missing`.
fn library() -> Upstream {
    Upstream::start(|seen| match seen.path() {
        "/photos/p1/binary" => Reply::bytes(200, "application/octet-stream", bytes(300)),
        "/photos/big/binary" => Reply::bytes(200, "application/octet-stream", bytes(2000)),
        "/documents/d1" => Reply::bytes(200, "application/octet-stream", bytes(3000)),
        "/documents/d2" => Reply::bytes(200, "application/octet-stream", bytes(5000)),
        "/recordings/r1" => Reply::bytes(200, "audio/mpeg", bytes(100)),
        _ => Reply::status_json(404, json!({"error": "not found"})),
    })
}

fn start(up: &Upstream) -> Naftiko {
    let base = format!("photo-library={}", up.url());
    Naftiko::start(
        &[
            FILE,
            "--base-uri",
            &base,
            "--listen",
            "photos-api=127.0.0.1:0",
            "--listen",
            "photos-mcp=127.0.0.1:0",
        ],
        &[],
    )
}

/// naftiko on `up` and the URL of its MCP endpoint; `None` (the test skipped) without the MCP
/// tools.
fn mcp(up: &Upstream) -> Option<(Naftiko, String)> {
    if !common::mcp_tools_installed() {
        return None;
    }
    let n = start(up);
    let url = format!("{}/mcp", n.url_of("photos-mcp"));
    Some((n, url))
}

#[test]
fn rest_serves_the_bytes_with_the_declared_media_type() {
    let up = library();
    let n = start(&up);
    let rest = n.url_of("photos-api");
    let get = |path: &str| client().get(format!("{rest}{path}")).send().unwrap();

    // Through the flow: its `outputMediaType` names the bytes.
    let r = get("/photos/p1/image");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().unwrap().as_ref(), bytes(300).as_slice());
    // Straight from the operation: the contract's media type over the upstream's generic one.
    let r = get("/photos/p1/raw");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().unwrap().as_ref(), bytes(300).as_slice());
    // The operation's `outputMediaType`, within the REST block's 4KiB.
    let r = get("/documents/d1");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().unwrap().len(), 3000);
    // An upstream error passes through as it is.
    let r = get("/photos/missing/raw");
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap(), json!({"error": "not found"}));
}

#[test]
fn rest_refuses_answers_beyond_max_binary_size() {
    let up = library();
    let n = start(&up);
    let rest = n.url_of("photos-api");
    // The operation's 1KiB beats the block's 4KiB; the block's 4KiB holds for the document.
    for (path, limit) in [("/photos/big/raw", 1024), ("/documents/d2", 4096)] {
        let r = client().get(format!("{rest}{path}")).send().unwrap();
        assert_eq!(r.status(), 502, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let problem: Value = r.json().unwrap();
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("{limit} byte limit")),
            "{path}: {problem}"
        );
    }
}

#[test]
fn mcp_answers_bytes_as_image_audio_and_blob_contents() {
    let up = library();
    let Some((_n, url)) = mcp(&up) else { return };
    let commands = json!([
        {"op": "call_tool", "name": "get-photo", "arguments": {"id": "p1"}},
        {"op": "call_tool", "name": "get-recording", "arguments": {"id": "r1"}},
        {"op": "call_tool", "name": "get-document", "arguments": {"id": "d1"}},
        {"op": "call_tool", "name": "get-photo", "arguments": {"id": "big"}},
        {"op": "read_resource", "uri": "photos://library/p1/bytes"},
        {"op": "read_resource", "uri": "files://library/pixel.png"},
        {"op": "read_resource", "uri": "files://library/notes.txt"},
        {"op": "list_resources"},
    ]);
    let run = over_http(Kind::Sdk, &url, &commands);
    assert_eq!(run.doc()["protocolVersion"], "2026-07-28", "{run}");
    let r = run.results();
    // An image by the flow's media type, audio by the upstream's.
    assert_eq!(
        r[0]["content"][0],
        json!({"type": "image", "data": b64(&bytes(300)), "mimeType": "image/jpeg"}),
        "{run}"
    );
    assert_eq!(
        r[1]["content"][0],
        json!({"type": "audio", "data": b64(&bytes(100)), "mimeType": "audio/mpeg"}),
        "{run}"
    );
    // 3000 bytes are over the MCP block's 2KiB: an error result naming the limit.
    assert_eq!(r[2]["isError"], true, "{run}");
    let text = r[2]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("2048 byte limit"), "{run}");
    // The operation's own 1KiB.
    assert_eq!(r[3]["isError"], true, "{run}");
    assert!(
        r[3]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("1024 byte limit"),
        "{run}"
    );
    // A binary resource: blob contents with the resource's `mimeType`.
    assert_eq!(
        r[4]["contents"][0],
        json!({"uri": "photos://library/p1/bytes", "mimeType": "image/webp", "blob": b64(&bytes(300))}),
        "{run}"
    );
    // Static files: bytes as a blob, text as text.
    let pixel =
        std::fs::read(common::root().join("tests/fixtures/run/binary-files/pixel.png")).unwrap();
    assert_eq!(r[5]["contents"][0]["blob"], b64(&pixel), "{run}");
    assert_eq!(r[5]["contents"][0]["mimeType"], "image/png", "{run}");
    assert_eq!(r[6]["contents"][0]["text"], "plain notes\n", "{run}");
    // The block's caching hints on cacheable 2026-07-28 results.
    assert_eq!(r[7]["ttlMs"], 60000, "{run}");
    assert_eq!(r[7]["cacheScope"], "public", "{run}");
    assert_eq!(r[4]["ttlMs"], 60000, "{run}");
}

#[test]
fn mcp_2025_clients_get_the_same_bytes_without_caching_hints() {
    let up = library();
    let Some((_n, url)) = mcp(&up) else { return };
    let commands = json!([
        {"op": "call_tool", "name": "get-document", "arguments": {"id": "missing"}},
        {"op": "read_resource", "uri": "photos://library/p1/bytes"},
        {"op": "list_resources"},
    ]);
    let run = over_http(Kind::Legacy, &url, &commands);
    let r = run.results();
    assert_eq!(r[0]["isError"], true, "{run}");
    assert_eq!(r[1]["contents"][0]["blob"], b64(&bytes(300)), "{run}");
    assert!(r[2].get("ttlMs").is_none(), "{run}");
}

#[test]
fn a_binary_document_tool_is_an_embedded_blob_resource() {
    // The document is within the MCP limit when the upstream sends 1500 bytes.
    let up = Upstream::start(|_| Reply::bytes(200, "application/octet-stream", bytes(1500)));
    let Some((_n, url)) = mcp(&up) else { return };
    let commands = json!([{"op": "call_tool", "name": "get-document", "arguments": {"id": "d1"}}]);
    let run = over_http(Kind::Sdk, &url, &commands);
    let block = &run.results()[0]["content"][0];
    assert_eq!(block["type"], "resource", "{run}");
    assert_eq!(block["resource"]["mimeType"], "application/pdf", "{run}");
    assert_eq!(block["resource"]["blob"], b64(&bytes(1500)), "{run}");
    assert!(
        block["resource"]["uri"]
            .as_str()
            .unwrap_or_default()
            .starts_with("naftiko://transient/photos-mcp/get-document/"),
        "{run}"
    );
}

#[test]
fn validate_refuses_binary_content_over_json_and_warns_of_ignored_outputs() {
    let run = common::naftiko(&[
        "validate",
        "--format",
        "json",
        "tests/fixtures/run/binary-mistakes.yaml",
    ]);
    assert_eq!(run.code(), 1, "{run}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, u64, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("binary-not-binary".to_owned(), 49, 17),
            ("binary-outputs-ignored".to_owned(), 66, 19),
            ("binary-not-binary".to_owned(), 88, 19),
        ],
        "{run}"
    );
    // `run` refuses what `validate` calls an error.
    let run = common::naftiko(&["run", "--check", "tests/fixtures/run/binary-mistakes.yaml"]);
    assert_ne!(run.code(), 0, "{run}");
    assert!(run.stderr.contains("binary-not-binary"), "{run}");
}
