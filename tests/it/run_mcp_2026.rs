//! MCP revision 2026-07-28 (stateless: no `initialize`, no sessions, the revision and client
//! capabilities in every request's `params._meta`, `server/discover`) served beside the 2025
//! revisions by the same `naftiko run` process, end to end with real clients:
//!
//! - the official MCP Python SDK's `Client` and FastMCP's `Client` (both mode "auto": they
//!   probe `server/discover` at 2026-07-28 and would fall back to `initialize` on a refusal)
//!   list and call the seed's tool over Streamable HTTP and over stdio, and negotiate
//!   2026-07-28 with no fallback: the requests they sent (recorded by the client) and the
//!   access lines naftiko wrote both show a first `server/discover`, no `initialize` and no
//!   refused request; a 2025-11-25 client (`initialize`, a session) works against the same
//!   process;
//! - resources and prompts through the SDK, with `resultType` and the caching hints;
//! - the protocol edges with raw HTTP requests: `server/discover`, and the spec's errors for
//!   missing `_meta` keys, an unsupported revision and headers that disagree with the body.
//!
//! Needs `.ci/mcp-tools` (`.ci/mcp-tools/install.sh`, which `.ci/run` calls); without it a
//! test prints `SKIPPED: …` and passes, except under CI, where it fails
//! ([`common::skip_or_fail`]).

use crate::common;

use common::mcp::{AccessLine, Kind, access_lines, mcp_url, over_http, over_stdio};
use common::serve::{Naftiko, Upstream, client, dead_address};
use serde_json::{Value, json};

const TOOLS: &str = "tests/fixtures/run/mcp-tools.yaml";
const ACCEPT: &str = "application/json, text/event-stream";
const V2026: &str = "2026-07-28";

/// A token endpoint answering every request with a token.
fn token_endpoint() -> Upstream {
    common::serve::token_endpoint("eyJ.mcp.token")
}

fn token_call(secret: Option<&str>) -> Value {
    let mut arguments = json!({"grant_type": "client_credentials", "client_id": "id-1"});
    if let Some(s) = secret {
        arguments["client_secret"] = json!(s);
    }
    json!({"op": "call_tool", "name": "getoauthtoken", "arguments": arguments})
}

/// The seed's commands: list, a good call, a call without `client_secret`.
fn seed_commands() -> Value {
    json!([{"op": "list_tools"}, token_call(Some("s3cr3t")), token_call(None)])
}

/// Checks a 2026-07-28 run of [`seed_commands`]: negotiated by `server/discover`, and every
/// result marked `resultType: "complete"`, the list with its caching hints.
fn assert_seed_results_2026(run: &common::mcp::ClientRun) {
    let doc = run.doc();
    assert_eq!(doc["protocolVersion"], V2026, "{run}");
    assert_eq!(doc["era"], "discover", "{run}");
    assert_eq!(doc["serverInfo"]["name"], "naftiko", "{run}");
    let r = run.results();
    assert_eq!(r[0]["tools"][0]["name"], "getoauthtoken", "{run}");
    assert_eq!(r[0]["ttlMs"], 0, "{run}");
    assert_eq!(r[0]["cacheScope"], "private", "{run}");
    assert_eq!(r[1]["isError"], false, "{run}");
    assert_eq!(
        r[1]["structuredContent"],
        json!({"access_token": "eyJ.mcp.token", "expires_in": 3600}),
        "{run}"
    );
    assert_eq!(r[2]["isError"], true, "{run}");
    for result in &r {
        assert_eq!(result["resultType"], "complete", "{result}\n{run}");
    }
}

/// Checks that a client run over HTTP sent `server/discover` first, never `initialize`, and
/// named 2026-07-28 in both the header and `_meta` of every message.
fn assert_no_fallback(run: &common::mcp::ClientRun) {
    let methods = run.sent_methods();
    assert_eq!(methods[0], "server/discover", "{run}");
    assert!(!methods.iter().any(|m| m == "initialize"), "{run}");
    for sent in run.doc()["sent"].as_array().unwrap() {
        assert_eq!(sent["header"], V2026, "{sent}\n{run}");
        assert_eq!(sent["meta"], V2026, "{sent}\n{run}");
    }
}

#[test]
fn sdk_and_fastmcp_negotiate_2026_07_28_with_no_fallback_beside_a_2025_client() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let n = common::serve::start_seed(&up.url(), &["--expose", "mcp=127.0.0.1:0"]);
    let url = mcp_url(&n);
    for kind in [Kind::Sdk, Kind::FastMcp] {
        let run = over_http(kind, &url, &seed_commands());
        assert_seed_results_2026(&run);
        assert_no_fallback(&run);
        println!("{kind:?} sent {:?}", run.sent_methods());
    }
    let legacy = over_http(Kind::Legacy, &url, &seed_commands());
    let doc = legacy.doc();
    assert_eq!(doc["protocolVersion"], "2025-11-25", "{legacy}");
    assert_eq!(doc["era"], "initialize", "{legacy}");
    assert_eq!(legacy.sent_methods()[0], "initialize", "{legacy}");
    let r = legacy.results();
    assert_eq!(r[1]["structuredContent"]["access_token"], "eyJ.mcp.token");
    assert!(r[0].get("resultType").is_none(), "2025 results: {}", r[0]);
    assert!(r[0].get("ttlMs").is_none(), "2025 results: {}", r[0]);
    assert_eq!(up.seen().len(), 3, "one good call per client");
    assert_server_saw_no_fallback(&n.logs());
}

/// naftiko's own record: the 2026-07-28 requests had no session, the only `initialize` was
/// the 2025 client's, and no request was refused (a refused discover is what makes a client
/// fall back).
fn assert_server_saw_no_fallback(logs: &str) {
    let lines = access_lines(logs);
    let modern: Vec<&AccessLine> = lines
        .iter()
        .filter(|l| l.protocol_version == V2026)
        .collect();
    let discovers = modern
        .iter()
        .filter(|l| l.rpc_method == "server/discover")
        .count();
    assert_eq!(discovers, 2, "one discover per 2026 client: {lines:#?}");
    assert!(modern.iter().all(|l| !l.session), "{lines:#?}");
    let initializes: Vec<&AccessLine> = lines
        .iter()
        .filter(|l| l.rpc_method == "initialize")
        .collect();
    assert_eq!(initializes.len(), 1, "{lines:#?}");
    assert_eq!(initializes[0].protocol_version, "2025-11-25");
    let refused: Vec<&AccessLine> = lines
        .iter()
        .filter(|l| l.status >= 400 && l.status != 405)
        .collect();
    assert!(refused.is_empty(), "refused requests: {refused:#?}\n{logs}");
}

#[test]
fn over_stdio_sdk_and_fastmcp_negotiate_2026_07_28_without_initialize() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let base = format!("oauth2-tokens={}", up.url());
    let args = [
        "capabilities/oauth2-tokens.yaml",
        "--expose",
        "mcp=stdio",
        "--listen",
        "oauth2-tokens-rest=127.0.0.1:0",
        "--base-uri",
        &base,
    ];
    for kind in [Kind::Sdk, Kind::FastMcp] {
        let run = over_stdio(kind, &args, &seed_commands());
        assert_seed_results_2026(&run);
    }
    assert_eq!(up.seen().len(), 2);
}

#[test]
fn resources_and_prompts_in_2026_07_28_carry_result_type_and_caching_hints() {
    if !common::mcp_tools_installed() {
        return;
    }
    let n = start_tools();
    let url = mcp_url(&n);
    let commands = json!([
        {"op": "list_resources"},
        {"op": "read_resource", "uri": "docs://inventory/guide.md"},
        {"op": "list_resource_templates"},
        {"op": "list_prompts"},
        {"op": "get_prompt", "name": "summarize-item", "arguments": {"sku": "A-1", "tone": "dry"}},
        {"op": "read_resource", "uri": "docs://elsewhere"},
        {"op": "call_tool", "name": "greet", "arguments": {"name": "Ada"}},
    ]);
    let run = over_http(Kind::Sdk, &url, &commands);
    assert_eq!(run.doc()["protocolVersion"], V2026, "{run}");
    let r = run.results();
    assert_eq!(r[0]["resources"][0]["uri"], "docs://inventory/guide.md");
    assert_eq!(r[1]["contents"][0]["mimeType"], "text/markdown");
    assert_eq!(r[3]["prompts"][0]["name"], "summarize-item");
    assert_eq!(
        r[4]["messages"][0]["content"]["text"],
        "Summarize item A-1 in a dry tone."
    );
    // The cacheable results carry the hints; every result says it is complete.
    for i in [0, 1, 2, 3] {
        assert_eq!(r[i]["ttlMs"], 0, "{}", r[i]);
        assert_eq!(r[i]["cacheScope"], "private", "{}", r[i]);
    }
    for i in [0, 1, 2, 3, 4, 6] {
        assert_eq!(r[i]["resultType"], "complete", "{}", r[i]);
    }
    // An unknown resource is -32602 from 2026-07-28 on (SEP-2164), -32002 before.
    assert_eq!(r[5]["code"], -32602, "{}", r[5]);
    let legacy = over_http(
        Kind::Legacy,
        &url,
        &json!([{"op": "read_resource", "uri": "docs://elsewhere"}]),
    );
    assert_eq!(legacy.results()[0]["code"], -32002, "{legacy}");
    assert_eq!(
        r[6]["structuredContent"],
        json!({"greeting": "Hello, Ada!", "source": "mock"})
    );
}

fn start_tools() -> Naftiko {
    let base = format!("inventory={}/api", dead_address());
    Naftiko::start(
        &[
            TOOLS,
            "--listen",
            "inventory-mcp=127.0.0.1:0",
            "--base-uri",
            &base,
        ],
        &[],
    )
}

// ---------------------------------------------------------------------------------------
// Raw requests: discover, and the spec's errors
// ---------------------------------------------------------------------------------------

/// `params._meta` of a 2026-07-28 request.
fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "naftiko-raw-test", "version": "1"}
    })
}

fn request(method: &str, mut params: Value) -> Value {
    if params.get("_meta").is_none() {
        params["_meta"] = meta();
    }
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
}

/// POSTs `body` with `headers`; the status and the JSON body.
fn post(url: &str, body: &Value, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = client()
        .post(url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// The headers a 2026-07-28 client sends for `method` (and `name`, when it has one).
fn standard<'a>(method: &'a str, name: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut h = vec![("mcp-protocol-version", V2026), ("mcp-method", method)];
    if let Some(n) = name {
        h.push(("mcp-name", n));
    }
    h
}

#[test]
fn server_discover_lists_every_revision_with_caching_hints() {
    let n = start_tools();
    let url = mcp_url(&n);
    let (status, v) = post(
        &url,
        &request("server/discover", json!({})),
        &standard("server/discover", None),
    );
    assert_eq!(status, 200, "{v}");
    let r = &v["result"];
    assert_eq!(
        r["supportedVersions"],
        json!(["2025-03-26", "2025-06-18", "2025-11-25", V2026]),
        "{v}"
    );
    assert_eq!(r["resultType"], "complete", "{v}");
    assert_eq!(r["ttlMs"], 0, "{v}");
    assert_eq!(r["cacheScope"], "private", "{v}");
    assert!(r["capabilities"]["tools"].is_object(), "{v}");
    assert!(r["capabilities"]["resources"].is_object(), "{v}");
    assert!(r["capabilities"]["prompts"].is_object(), "{v}");
    assert_eq!(
        r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "inventory-mcp",
        "{v}"
    );
}

#[test]
fn the_endpoint_answers_at_the_root_of_its_port_too() {
    let n = start_tools();
    let url = mcp_url(&n);
    let root = url.trim_end_matches("mcp").to_owned();
    assert!(root.ends_with('/'), "{root}");
    let discover = request("server/discover", json!({}));
    let at_mcp = post(&url, &discover, &standard("server/discover", None));
    let at_root = post(&root, &discover, &standard("server/discover", None));
    assert_eq!(at_root.0, 200, "{}", at_root.1);
    assert_eq!(at_root, at_mcp);
    let list = request("tools/list", json!({}));
    let (status, v) = post(&root, &list, &standard("tools/list", None));
    assert_eq!(status, 200, "{v}");
    assert!(!v["result"]["tools"].as_array().unwrap().is_empty(), "{v}");
}

/// One raw request and the answer the spec asks for.
struct Case {
    what: &'static str,
    body: Value,
    headers: Vec<(&'static str, &'static str)>,
    status: u16,
    code: i64,
}

fn error_cases() -> Vec<Case> {
    let list = request("tools/list", json!({}));
    let call = request(
        "tools/call",
        json!({"name": "greet", "arguments": {"name": "Bo"}}),
    );
    let unsupported = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2027-01-01",
        "io.modelcontextprotocol/clientCapabilities": {}}});
    let no_caps = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": V2026}});
    vec![
        Case {
            what: "Mcp-Method names another method than the body",
            body: list.clone(),
            headers: standard("tools/call", None),
            status: 400,
            code: -32020,
        },
        Case {
            what: "no Mcp-Method header",
            body: list.clone(),
            headers: vec![("mcp-protocol-version", V2026)],
            status: 400,
            code: -32020,
        },
        Case {
            what: "MCP-Protocol-Version differs from the _meta revision",
            body: list.clone(),
            headers: vec![
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/list"),
            ],
            status: 400,
            code: -32020,
        },
        Case {
            what: "a _meta revision without MCP-Protocol-Version",
            body: list,
            headers: vec![("mcp-method", "tools/list")],
            status: 400,
            code: -32020,
        },
        Case {
            what: "Mcp-Name names another tool than the body",
            body: call.clone(),
            headers: standard("tools/call", Some("other")),
            status: 400,
            code: -32020,
        },
        Case {
            what: "tools/call without Mcp-Name",
            body: call,
            headers: standard("tools/call", None),
            status: 400,
            code: -32020,
        },
        Case {
            what: "_meta without clientCapabilities",
            body: request("tools/list", no_caps),
            headers: standard("tools/list", None),
            status: 400,
            code: -32602,
        },
        Case {
            what: "a 2026-07-28 header and no _meta",
            body: json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}),
            headers: standard("tools/list", None),
            status: 400,
            code: -32602,
        },
        Case {
            what: "an unsupported revision",
            body: request("tools/list", unsupported),
            headers: vec![
                ("mcp-protocol-version", "2027-01-01"),
                ("mcp-method", "tools/list"),
            ],
            status: 400,
            code: -32022,
        },
        Case {
            what: "ping, which 2026-07-28 removed",
            body: request("ping", json!({})),
            headers: standard("ping", None),
            status: 404,
            code: -32601,
        },
    ]
}

#[test]
fn bad_2026_07_28_requests_get_the_specs_errors() {
    let n = start_tools();
    let url = mcp_url(&n);
    let mut wrong = Vec::new();
    for case in error_cases() {
        let (status, v) = post(&url, &case.body, &case.headers);
        let code = v["error"]["code"].as_i64();
        if status != case.status || code != Some(case.code) || v["id"] != 7 {
            wrong.push(format!(
                "{}: expected {} / {}, got {status} {v}",
                case.what, case.status, case.code
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The unsupported revision's error names the supported ones.
    let (_, v) = post(
        &url,
        &request(
            "tools/list",
            json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2027-01-01",
                "io.modelcontextprotocol/clientCapabilities": {}}}),
        ),
        &[
            ("mcp-protocol-version", "2027-01-01"),
            ("mcp-method", "tools/list"),
        ],
    );
    assert_eq!(
        v["error"]["data"]["supported"],
        json!(["2025-03-26", "2025-06-18", "2025-11-25", V2026]),
        "{v}"
    );
}

#[test]
fn the_two_eras_share_one_endpoint_and_2026_requests_ignore_sessions() {
    let n = start_tools();
    let url = mcp_url(&n);
    // A well-formed 2026-07-28 call is served without any session, and an unknown session id
    // does not matter to it (2026-07-28 has no sessions) ...
    let call = request(
        "tools/call",
        json!({"name": "greet", "arguments": {"name": "Bo"}}),
    );
    let mut headers = standard("tools/call", Some("greet"));
    let (status, v) = post(&url, &call, &headers);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["structuredContent"]["greeting"], "Hello, Bo!");
    assert_eq!(v["result"]["resultType"], "complete", "{v}");
    headers.push(("mcp-session-id", "no-such-session"));
    assert_eq!(post(&url, &call, &headers).0, 200);
    // ... while a 2025 request naming that session is 404, as before.
    let legacy = json!({"jsonrpc": "2.0", "id": 8, "method": "tools/list"});
    let r = client()
        .post(&url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", "no-such-session")
        .body(legacy.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    // An `initialize` naming 2026-07-28 is a 2025 handshake: answered 2025-11-25, with a
    // session.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": V2026, "capabilities": {},
        "clientInfo": {"name": "naftiko-raw-test", "version": "1"}}});
    let r = client()
        .post(&url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .body(init.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("mcp-session-id").is_some());
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(v["result"]["protocolVersion"], "2025-11-25", "{v}");
}
