//! Upstreams that answer every body format naftiko converts (`outputRawFormat`: yaml, csv,
//! tsv, psv, html, markdown, avro, protobuf; xml is `run_xml.rs`). The payloads are made by
//! each format's own library (`.ci/mcp-tools/formats.py`, in the MCP tools' venv: PyYAML,
//! Python's csv, lxml, tabulate, fastavro, Google's protobuf with grpcio-tools' protoc), never
//! by naftiko; a loopback upstream serves them, and `tests/fixtures/formats/formats.yaml`
//! shapes them with JSONPath outputs over their JSON conversion (docs/semantics.md §4). A
//! malformed body of each format is a 502 that names the upstream and never quotes the body.
//! An `outputSchema` that cannot be used is refused by `validate` and `run` alike. Without
//! the venv the tests print SKIPPED (they fail under CI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FILE: &str = "tests/fixtures/formats/formats.yaml";
const FIXTURES: &str = "tests/fixtures/formats";

/// The payloads of `formats` (formats.py's names), written into a scratch directory; `None`
/// after [`common::skip_or_fail`] when the venv is not installed.
fn payloads(formats: &[&str]) -> Option<common::Scratch> {
    let tools = common::root().join(".ci/mcp-tools");
    let python = tools.join("venv/bin/python");
    if !python.exists() {
        common::skip_or_fail(&format!(
            "{} missing: run .ci/mcp-tools/install.sh",
            python.display()
        ));
        return None;
    }
    let dir = common::Scratch::new("formats");
    let mut cmd = Command::new(python);
    cmd.arg(tools.join("formats.py"))
        .arg(common::root().join(FIXTURES))
        .arg(dir.path())
        .args(formats);
    let run = common::run_command(&mut cmd, Duration::from_secs(120), "formats.py");
    if run.stderr.contains("ModuleNotFoundError") {
        common::skip_or_fail(&format!(
            "the venv lacks a format library (run .ci/mcp-tools/install.sh): {}",
            run.stderr
        ));
        return None;
    }
    assert!(run.status.success(), "formats.py failed:\n{run}");
    Some(dir)
}

/// The media type an upstream answers a payload file with.
fn media_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("yaml") => "application/yaml",
        Some("csv") => "text/csv",
        Some("tsv") => "text/tab-separated-values",
        Some("html") => "text/html; charset=utf-8",
        Some("md") => "text/markdown",
        Some("avro") => "application/avro",
        Some("pb") => "application/x-protobuf",
        _ => "text/plain",
    }
}

/// An upstream serving the files of `dir` by name.
fn serving(dir: &Path) -> Upstream {
    let dir: PathBuf = dir.to_path_buf();
    Upstream::start(move |seen| {
        let name = seen.path().trim_start_matches('/').to_owned();
        match std::fs::read(dir.join(&name)) {
            Ok(bytes) => Reply::bytes(200, media_type(&name), bytes),
            Err(_) => Reply::status_json(404, json!({"missing": name})),
        }
    })
}

fn start(up: &Upstream) -> Naftiko {
    let base = format!("formats={}", up.url());
    Naftiko::start(
        &[
            FILE,
            "--base-uri",
            &base,
            "--listen",
            "formats-rest=127.0.0.1:0",
        ],
        &[],
    )
}

/// `GET /route` of a naftiko serving `formats`' payloads: the status and the JSON answer.
fn shaped(formats: &[&str], route: &str) -> Option<Value> {
    let dir = payloads(formats)?;
    let up = serving(dir.path());
    let n = start(&up);
    let r = client().get(format!("{}/{route}", n.url())).send().unwrap();
    let status = r.status();
    let body: Value = r.json().unwrap();
    assert_eq!(status, 200, "{body}");
    Some(body)
}

#[test]
fn a_yaml_answer_is_shaped_like_json() {
    let Some(v) = shaped(&["yaml"], "yaml") else {
        return;
    };
    assert_eq!(
        v,
        json!({
            "total": 3,
            "owner": "Alice Smith",
            "users": [
                {"id": 1, "name": "Alice Smith", "active": true, "firstTag": "staff"},
                {"id": 2, "name": "Bob Johnson", "active": false, "firstTag": "staff"},
                {"id": 3, "name": "Carol White", "active": true, "firstTag": "staff"}
            ]
        })
    );
}

/// What the three delimited payloads are shaped into (`id` typed by its output).
fn users() -> Value {
    json!([
        {"id": 1, "name": "Alice Smith", "note": "says \"hi\", twice"},
        {"id": 2, "name": "Bob Johnson", "note": "line one\nline two"},
        {"id": 3, "name": "Carol White", "note": "pipe | and\ttab"}
    ])
}

#[test]
fn a_csv_answer_is_rows_keyed_by_the_header() {
    if let Some(v) = shaped(&["csv"], "csv") {
        assert_eq!(v, users());
    }
}

#[test]
fn a_tsv_answer_is_rows_keyed_by_the_header() {
    if let Some(v) = shaped(&["tsv"], "tsv") {
        assert_eq!(v, users());
    }
}

#[test]
fn a_psv_answer_is_rows_keyed_by_the_header() {
    if let Some(v) = shaped(&["psv"], "psv") {
        assert_eq!(v, users());
    }
}

#[test]
fn an_html_answer_gives_the_selected_tables_and_text() {
    let Some(v) = shaped(&["html"], "html") else {
        return;
    };
    assert_eq!(
        v,
        json!({
            "products": [
                {"name": "Widget", "price": "$42", "stock": 150},
                {"name": "Gadget & Co.", "price": "$99", "stock": 30},
                {"name": "Ünïcode", "price": "€7", "stock": 0}
            ],
            "text": "Stock on Monday. Name Price Stock Widget $42 150 Gadget & Co. $99 30 Ünïcode €7 0"
        })
    );
}

#[test]
fn a_markdown_answer_gives_front_matter_tables_and_filtered_sections() {
    let Some(v) = shaped(&["markdown"], "markdown") else {
        return;
    };
    assert_eq!(
        v,
        json!({
            "title": "Product Release Notes",
            "version": "2.1.0",
            "features": [
                {"feature": "HTML support", "status": "GA"},
                {"feature": "Markdown support", "status": "Beta"}
            ],
            "sections": [{
                "heading": "Overview",
                "level": 2,
                "content": "This release introduces table extraction for markdown.\none\ntwo"
            }]
        })
    );
}

/// The records of the Avro payloads, shaped.
fn avro_records() -> [Value; 2] {
    [
        json!({"id": "r-1", "title": "First record", "description": "The first one",
               "status": "ACTIVE", "score": 4.5, "count": 12, "price": 19.99,
               "created": 1_767_323_045_000_i64, "team": "blue"}),
        json!({"id": "r-2", "title": "Second record", "description": null,
               "status": "ARCHIVED", "score": 0.0, "count": 0, "price": -0.5,
               "created": 1_767_225_599_000_i64, "team": null}),
    ]
}

#[test]
fn an_avro_datum_is_read_with_the_schema_file() {
    let Some(v) = shaped(&["avro"], "avro") else {
        return;
    };
    let [first, second] = avro_records();
    assert_eq!(v, json!([first, second]));
}

#[test]
fn an_avro_container_file_is_the_array_of_its_data() {
    let Some(v) = shaped(&["avro"], "avro-file") else {
        return;
    };
    let [first, second] = avro_records();
    assert_eq!(v, json!([first.clone(), second, first]));
}

#[test]
fn avro_container_files_are_read_in_every_codec() {
    let Some(dir) = payloads(&["avro"]) else {
        return;
    };
    let up = serving(dir.path());
    let n = start(&up);
    let [first, second] = avro_records();
    for codec in ["null", "snappy", "zstandard", "bzip2", "xz"] {
        let file = dir.path().join(format!("records-file-{codec}.avro"));
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            bytes.windows(codec.len()).any(|w| w == codec.as_bytes()),
            "{codec} is named in the file's metadata"
        );
        std::fs::write(dir.path().join("records-file.avro"), bytes).unwrap();
        let r = client()
            .get(format!("{}/avro-file", n.url()))
            .send()
            .unwrap();
        let status = r.status();
        let body: Value = r.json().unwrap();
        assert_eq!(status, 200, "{codec}: {body}");
        assert_eq!(
            body,
            json!([first.clone(), second.clone(), first.clone()]),
            "{codec}"
        );
    }
}

#[test]
fn a_protobuf_answer_is_read_with_the_proto_file() {
    let Some(v) = shaped(&["protobuf"], "protobuf") else {
        return;
    };
    assert_eq!(
        v,
        json!({
            "total": 2,
            "records": [
                {"id": "r-1", "title": "First record", "description": "The first one",
                 "status": "ACTIVE", "score": 4.5, "count": 12, "team": "blue",
                 "checksum": "yv4="},
                {"id": "r-2", "title": "Second record", "description": null,
                 "status": "ARCHIVED", "score": 0.0, "count": 0, "team": null,
                 "checksum": ""}
            ]
        })
    );
}

/// `GET /route` while the upstream answers `body`: a 502 problem naming the upstream and
/// the format, quoting none of `secrets`.
fn refused(route: &str, body: Vec<u8>, format: &str, secrets: &[&str]) {
    let up = Upstream::start(move |_| Reply::bytes(200, "application/octet-stream", body.clone()));
    let n = start(&up);
    let r = client().get(format!("{}/{route}", n.url())).send().unwrap();
    assert_eq!(r.status(), 502, "{route}");
    let problem: Value = r.json().unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("formats") && detail.to_lowercase().contains(format),
        "{route}: {problem}"
    );
    for secret in secrets {
        assert!(
            !detail.contains(secret),
            "{route} quotes {secret}: {problem}"
        );
    }
}

/// A payload formats.py made, cut to its first half.
fn truncated(format: &str, name: &str) -> Option<Vec<u8>> {
    let dir = payloads(&[format])?;
    let bytes = std::fs::read(dir.path().join(name)).unwrap();
    Some(bytes[..bytes.len() / 2].to_vec())
}

#[test]
fn a_malformed_yaml_answer_is_a_502_without_its_content() {
    let body = b"users: [SECRET-1, {name: SECRET-2\n".to_vec();
    refused("yaml", body, "yaml", &["SECRET"]);
}

#[test]
fn a_malformed_csv_answer_is_a_502_without_its_content() {
    let body = b"id,name\n1,SECRET-1,SECRET-2\n".to_vec();
    refused("csv", body, "csv", &["SECRET"]);
}

#[test]
fn a_malformed_tsv_answer_is_a_502_without_its_content() {
    let body = b"id\tname\n1\tSECRET-1\tSECRET-2\n".to_vec();
    refused("tsv", body, "tsv", &["SECRET"]);
}

#[test]
fn a_malformed_psv_answer_is_a_502_without_its_content() {
    let body = b"id|name\n1|SECRET-1 \xff\n".to_vec();
    refused("psv", body, "psv", &["SECRET"]);
}

#[test]
fn a_malformed_html_answer_is_a_502_without_its_content() {
    let mut body = b"<div>".repeat(1000);
    body.extend_from_slice(b"SECRET-1");
    refused("html", body, "html", &["SECRET", "<div"]);
}

#[test]
fn a_malformed_markdown_answer_is_a_502_without_its_content() {
    let body = b"---\ntitle: [SECRET-1\n---\n# SECRET-2\n".to_vec();
    refused("markdown", body, "markdown", &["SECRET"]);
}

#[test]
fn a_malformed_avro_answer_is_a_502_without_its_content() {
    let Some(body) = truncated("avro", "records.avro") else {
        return;
    };
    refused("avro", body, "avro", &["First record", "r-1"]);
}

#[test]
fn a_malformed_avro_container_file_is_a_502_without_its_content() {
    let Some(body) = truncated("avro", "records-file.avro") else {
        return;
    };
    refused("avro-file", body, "avro", &["First record", "RecordsList"]);
}

#[test]
fn a_malformed_protobuf_answer_is_a_502_without_its_content() {
    let Some(body) = truncated("protobuf", "records.pb") else {
        return;
    };
    refused("protobuf", body, "protobuf", &["First record", "r-1"]);
}

#[test]
fn the_formats_fixture_validates_without_errors() {
    let run = common::naftiko(&["validate", FILE]);
    assert_eq!(run.code(), 0, "{run}");
}

/// The fixture copied into a scratch directory with `from` replaced by `to`, and `schemas`
/// (file names of the fixtures directory) beside it.
fn edited(from: &str, to: &str, schemas: &[&str]) -> (common::Scratch, PathBuf) {
    let dir = common::Scratch::new("formats-schema");
    let text = std::fs::read_to_string(common::root().join(FILE)).unwrap();
    for s in schemas {
        let bytes = std::fs::read(common::root().join(FIXTURES).join(s)).unwrap();
        dir.write(s, bytes);
    }
    dir.write("broken.proto", "syntax = \"proto3\";\nmessage {\n");
    let path = dir.write("formats.yaml", text.replace(from, to));
    (dir, path)
}

#[test]
fn an_unusable_output_schema_is_refused_by_validate_and_run_naming_it() {
    let both: &[&str] = &["records.avsc", "records.proto"];
    for (what, (from, to), schemas, named) in [
        (
            "a missing schema file",
            ("records.avsc", "records.avsc"),
            &both[1..],
            "records.avsc",
        ),
        (
            "a .proto that does not compile",
            ("records.proto", "broken.proto"),
            &both[..1],
            "broken.proto",
        ),
        (
            "a selector that does not parse",
            ("section.inventory", "section["),
            both,
            "section[",
        ),
    ] {
        let (_dir, path) = edited(from, to, schemas);
        let path = path.to_str().unwrap();
        let v = common::naftiko(&["validate", path]);
        assert_eq!(v.code(), 1, "{what}: {v}");
        assert!(v.stdout.contains("error[output-schema]"), "{what}: {v}");
        assert!(v.stdout.contains(named), "{what}: {v}");
        let r = common::naftiko(&["run", path, "--check"]);
        assert_eq!(r.code(), 1, "{what}: {r}");
        assert!(r.stderr.contains("error[output-schema]"), "{what}: {r}");
    }
}
