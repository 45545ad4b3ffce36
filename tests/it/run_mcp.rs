//! `naftiko run` as an MCP server, end to end, with a real third-party client: the official MCP
//! Python SDK (`mcp`, driven by `.ci/mcp-tools/mcp_client.py`), over Streamable HTTP and stdio,
//! against real loopback upstreams. The protocol edges the SDK hides (version negotiation,
//! sessions, Host/Origin checks, plain-JSON answers) are checked with raw HTTP requests.
//!
//! - The seed served with `--expose mcp`: its REST operation as the tool `getoauthtoken`, over
//!   HTTP and over stdio (stdout carries only the protocol; logs go to stderr).
//! - A community-dialect capability from `../shared/corpus` whose MCP tools have no declared
//!   inputs (schemas derived from `with: {x: tools.x}`).
//! - `tests/fixtures/run/mcp-tools.yaml`: declared typed inputs, hints, a mock tool, a prompt
//!   and a static resource directory; the conformance fixture's resources (every listed URI
//!   is readable).
//!
//! Needs `.ci/mcp-tools/venv` and `.ci/mcp-tools/node_modules` (`.ci/mcp-tools/install.sh`,
//! which `.ci/run` calls), and `../shared/corpus` for the community test. Without them a test
//! prints `SKIPPED: …` and passes, except under CI (env `CI` set), where it fails
//! ([`common::skip_or_fail`]).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::mcp::{self, ClientRun, Kind, mcp_url};
use common::serve::{Naftiko, Reply, Seen, Upstream, client, dead_address};
use serde_json::{Value, json};

const SEED: &str = "capabilities/oauth2-tokens.yaml";
const TOOLS: &str = "tests/fixtures/run/mcp-tools.yaml";
/// The fixture of the conformance suite (tests/it/run_mcp_conformance.rs).
const CONFORMANCE: &str = "tests/fixtures/run/mcp-conformance.yaml";
/// A community capability whose MCP tool is `call` + `with: {query: tools.query, page:
/// tools.page}`, no `inputParameters`; its consumed operation declares `query` (string,
/// required) and `page` (integer), both `in: query`, at `GET {baseUri}/search.json`.
const COMMUNITY: &str = "community/rubygems--search-search.yaml";
const ACCEPT: &str = "application/json, text/event-stream";

// ---------------------------------------------------------------------------------------
// Set-up and the client
// ---------------------------------------------------------------------------------------

/// Runs COMMANDS against the Streamable HTTP endpoint of `naftiko` (its first listener),
/// with the SDK's `initialize` client.
fn over_http(naftiko: &Naftiko, commands: &Value) -> ClientRun {
    over_http_at(&mcp_url(naftiko), commands)
}

fn over_http_at(url: &str, commands: &Value) -> ClientRun {
    mcp::over_http(Kind::Legacy, url, commands)
}

/// Runs COMMANDS against `naftiko run ARGS` started by the client over stdio.
fn over_stdio(naftiko_args: &[&str], commands: &Value) -> ClientRun {
    mcp::over_stdio(Kind::Legacy, naftiko_args, commands)
}

/// The text of a tool result's first content item (which must be text).
fn text(result: &Value) -> &str {
    assert_eq!(result["content"][0]["type"], "text", "{result}");
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {result}"))
}

/// Asserts a tool result is an error whose text mentions `needle`.
fn assert_tool_error(result: &Value, needle: &str) {
    assert_eq!(result["isError"], true, "{result}");
    let t = text(result);
    assert!(
        t.contains(needle),
        "the error text should mention `{needle}`: {result}"
    );
    assert!(result.get("structuredContent").is_none(), "{result}");
}

/// The tool `name` of a `tools/list` result.
fn tool<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("not a tools/list result: {list}"))
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tool `{name}` in {list}"))
}

fn sorted_form(seen: &Seen) -> Vec<(String, String)> {
    let mut f = seen.form();
    f.sort();
    f
}

// ---------------------------------------------------------------------------------------
// The seed, `--expose mcp`
// ---------------------------------------------------------------------------------------

/// A token endpoint: 401 for the secret `wrong`, a token otherwise.
fn token_endpoint() -> Upstream {
    common::serve::token_endpoint("eyJ.mcp.token")
}

/// `naftiko run SEED --expose mcp=127.0.0.1:0` against `upstream`.
fn seed_over_http(upstream: &str, extra: &[&str]) -> Naftiko {
    let mut more = vec!["--expose", "mcp=127.0.0.1:0"];
    more.extend_from_slice(extra);
    common::serve::start_seed(upstream, &more)
}

fn token_call(secret: Option<&str>) -> Value {
    let mut arguments = json!({"grant_type": "client_credentials", "client_id": "id-1"});
    if let Some(s) = secret {
        arguments["client_secret"] = json!(s);
    }
    json!({"op": "call_tool", "name": "getoauthtoken", "arguments": arguments})
}

/// Checks `tools/list` of the seed: `getoauthtoken` with its three required form inputs.
fn assert_seed_tool_listed(list: &Value) {
    let t = tool(list, "getoauthtoken");
    let schema = &t["inputSchema"];
    assert_eq!(schema["type"], "object", "{t}");
    for p in ["grant_type", "client_id", "client_secret"] {
        assert_eq!(schema["properties"][p]["type"], "string", "{p}: {t}");
    }
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap_or_else(|| panic!("no required list: {t}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(
        required,
        ["client_id", "client_secret", "grant_type"],
        "{t}"
    );
}

/// Checks a successful token call's result.
fn assert_token_result(result: &Value) {
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(
        result["structuredContent"],
        json!({"access_token": "eyJ.mcp.token", "expires_in": 3600}),
        "{result}"
    );
    assert!(
        result["structuredContent"]["expires_in"].is_i64(),
        "{result}"
    );
    let body: Value = serde_json::from_str(text(result))
        .unwrap_or_else(|e| panic!("the text content is not JSON ({e}): {result}"));
    assert_eq!(body, result["structuredContent"], "{result}");
}

/// Checks that the upstream received exactly one token request, as a form.
fn assert_one_form_request(up: &Upstream, secret: &str) {
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path(), "/oauth2/token");
    assert_eq!(
        seen[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        sorted_form(&seen[0]),
        vec![
            ("client_id".into(), "id-1".into()),
            ("client_secret".into(), secret.into()),
            ("grant_type".into(), "client_credentials".into()),
        ]
    );
}

#[test]
fn seed_over_http_lists_getoauthtoken_and_exchanges_a_form_for_a_token() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let n = seed_over_http(&up.url(), &[]);
    let run = over_http(
        &n,
        &json!([{"op": "list_tools"}, token_call(Some("s3cr3t"))]),
    );
    let doc = run.doc();
    assert_eq!(doc["serverInfo"]["name"], "naftiko", "{run}");
    let results = run.results();
    assert_seed_tool_listed(&results[0]);
    assert_token_result(&results[1]);
    assert_one_form_request(&up, "s3cr3t");
}

#[test]
fn seed_over_http_without_client_secret_is_an_error_naming_it_and_nothing_is_sent() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let n = seed_over_http(&up.url(), &[]);
    let results = over_http(&n, &json!([token_call(None)])).results();
    assert_tool_error(&results[0], "client_secret");
    assert!(up.seen().is_empty(), "no upstream call: {:?}", up.seen());
}

#[test]
fn seed_over_http_upstream_401_is_an_error_result() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let n = seed_over_http(&up.url(), &[]);
    let results = over_http(&n, &json!([token_call(Some("wrong"))])).results();
    assert_tool_error(&results[0], "401");
    assert_eq!(up.seen().len(), 1);
}

#[test]
fn seed_over_http_unreachable_upstream_is_an_error_result() {
    if !common::mcp_tools_installed() {
        return;
    }
    let n = seed_over_http(&dead_address(), &[]);
    let results = over_http(&n, &json!([token_call(Some("s"))])).results();
    assert_tool_error(&results[0], "oauth2-tokens");
}

#[test]
fn seed_over_http_upstream_timeout_is_an_error_result() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = Upstream::start(|_| {
        Reply::json(json!({"access_token": "late", "expires_in": 1})).after(Duration::from_secs(3))
    });
    let n = seed_over_http(&up.url(), &["--upstream-timeout", "300ms"]);
    let results = over_http(&n, &json!([token_call(Some("s"))])).results();
    assert_tool_error(&results[0], "300 ms");
}

#[test]
fn seed_over_stdio_serves_the_same_tool_and_logs_only_to_stderr() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = token_endpoint();
    let base = format!("oauth2-tokens={}", up.url());
    let run = over_stdio(
        &[
            SEED,
            "--expose",
            "mcp=stdio",
            "--listen",
            "oauth2-tokens-rest=127.0.0.1:0",
            "--base-uri",
            &base,
        ],
        &json!([
            {"op": "list_tools"},
            token_call(Some("s3cr3t")),
            token_call(None),
            {"op": "ping"}
        ]),
    );
    let results = run.results();
    assert_seed_tool_listed(&results[0]);
    assert_token_result(&results[1]);
    assert_tool_error(&results[2], "client_secret");
    assert_eq!(results[3], json!({}), "{run}");
    assert_one_form_request(&up, "s3cr3t");
    // naftiko's stderr is the client's stderr: the logs are there, not on the protocol stream.
    for line in [
        "serving MCP on stdio (naftiko)",
        "listening on http://127.0.0.1:",
        "tool call",
    ] {
        assert!(run.stderr.contains(line), "stderr lacks `{line}`\n{run}");
    }
}

/// A raw stdio session: every line naftiko writes to stdout is a JSON-RPC message.
#[test]
fn seed_over_stdio_writes_only_json_rpc_lines_to_stdout() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_naftiko"))
        .args([
            "run",
            SEED,
            "--expose",
            "mcp=stdio",
            "--listen",
            "oauth2-tokens-rest=127.0.0.1:0",
            "--base-uri",
        ])
        .arg(format!("oauth2-tokens={}", dead_address()))
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .env_remove("NAFTIKO_BASE_URI")
        .env_remove("NAFTIKO_LISTEN")
        .env_remove("NAFTIKO_EXPOSE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start naftiko");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = Vec::new();
    let next = |lines: &mut Vec<String>| {
        let line = rx.recv_timeout(common::WATCHDOG).unwrap_or_else(|e| {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &child.id().to_string()])
                .status();
            panic!("no answer on stdout ({e}); so far: {lines:?}")
        });
        lines.push(line);
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw-stdio-test", "version": "1"}}});
    writeln!(stdin, "{init}").unwrap();
    next(&mut lines);
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
    )
    .unwrap();
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    )
    .unwrap();
    next(&mut lines);
    drop(stdin);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > common::WATCHDOG {
            let _ = child.kill();
            panic!("naftiko did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = err.join().unwrap();
    lines.extend(rx.try_iter());
    assert_eq!(status.code(), Some(0), "{stderr}");
    for line in &lines {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}\n{stderr}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
    }
    let answers: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[0]["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(answers[1]["id"], 2);
    assert_eq!(answers[1]["result"]["tools"][0]["name"], "getoauthtoken");
    assert!(
        stderr.contains("serving MCP on stdio (naftiko)"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// A community-dialect capability from the corpus
// ---------------------------------------------------------------------------------------

fn corpus_file(rel: &str) -> Option<PathBuf> {
    let dir = common::root().join("../shared/corpus");
    if !dir.is_dir() {
        common::skip_or_fail(&format!("no corpus at {}", dir.display()));
        return None;
    }
    let file = dir.join(rel);
    assert!(file.is_file(), "{} is missing", file.display());
    Some(file)
}

#[test]
fn community_capability_tools_get_derived_schemas_and_reach_the_upstream() {
    if !common::mcp_tools_installed() {
        return;
    }
    let Some(file) = corpus_file(COMMUNITY) else {
        return;
    };
    println!("community capability: {}", file.display());
    let up = Upstream::start(|seen| {
        Reply::json(json!({"gems": [{"name": "rails"}], "asked": seen.target}))
    });
    let base = format!("search-search={}/api/v1", up.url());
    let n = Naftiko::start(
        &[
            file.to_str().unwrap(),
            "--listen",
            "search-search-mcp=127.0.0.1:0",
            "--listen",
            "search-search-rest=127.0.0.1:0",
            "--base-uri",
            &base,
        ],
        &[],
    );
    let run = over_http(
        &n,
        &json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "search-gems", "arguments": {"query": "rails web", "page": 2}},
            {"op": "call_tool", "name": "search-gems", "arguments": {"page": 1}},
        ]),
    );
    assert_eq!(run.doc()["serverInfo"]["name"], "search-search-mcp");
    let results = run.results();
    let t = tool(&results[0], "search-gems");
    // Derived from `with: {query: tools.query, page: tools.page}` and the consumed inputs.
    let schema = &t["inputSchema"];
    assert_eq!(schema["type"], "object", "{t}");
    assert_eq!(schema["properties"]["query"]["type"], "string", "{t}");
    assert_eq!(schema["properties"]["page"]["type"], "integer", "{t}");
    assert_eq!(schema["required"], json!(["query"]), "{t}");
    assert_eq!(
        t["annotations"],
        json!({"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true}),
        "{t}"
    );
    let call = &results[1];
    assert_eq!(call["isError"], false, "{call}");
    assert_eq!(
        call["structuredContent"]["gems"],
        json!([{"name": "rails"}]),
        "{call}"
    );
    assert_tool_error(&results[2], "query");
    let seen = up.seen();
    assert_eq!(
        seen.len(),
        1,
        "the call without `query` sends nothing: {seen:?}"
    );
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path(), "/api/v1/search.json");
    let mut query = seen[0].query();
    query.sort();
    assert_eq!(
        query,
        vec![
            ("page".into(), "2".into()),
            ("query".into(), "rails web".into())
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Declared tools, a mock tool, a prompt and a static resource (mcp-tools.yaml)
// ---------------------------------------------------------------------------------------

/// An inventory upstream answering every item.
fn inventory() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"title": "Widget", "stock": 7, "internal": "x"})))
}

fn start_tools(upstream: &str) -> Naftiko {
    let base = format!("inventory={upstream}/api");
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

#[test]
fn tools_fixture_validates_with_no_errors() {
    let run = common::naftiko(&["validate", "--strict", TOOLS]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    assert!(
        run.stdout.contains(": 0 errors") || run.stderr.contains(": 0 errors"),
        "{run}"
    );
}

#[test]
fn declared_inputs_are_typed_checked_by_name_and_hints_become_annotations() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = inventory();
    let n = start_tools(&up.url());
    let run = over_http(
        &n,
        &json!([
            {"op": "list_tools"},
            {"op": "call_tool", "name": "get-item", "arguments": {"sku": "ab c/1", "limit": 3, "verbose": true}},
            {"op": "call_tool", "name": "get-item", "arguments": {"sku": "x", "limit": "three"}},
            {"op": "call_tool", "name": "get-item", "arguments": {"sku": 5}},
            {"op": "call_tool", "name": "get-item", "arguments": {"limit": 1}},
            {"op": "call_tool", "name": "greet", "arguments": {"name": "Ada"}},
            {"op": "call_tool", "name": "no-such-tool", "arguments": {}},
        ]),
    );
    let r = run.results();
    let t = tool(&r[0], "get-item");
    assert_eq!(t["title"], "Get item", "{t}");
    assert_eq!(t["description"], "Looks an item up by SKU.", "{t}");
    assert_eq!(
        t["inputSchema"],
        json!({
            "type": "object",
            "properties": {
                "sku": {"type": "string", "description": "The item's SKU."},
                "limit": {"type": "integer", "description": "How many variants to return."},
                "verbose": {"type": "boolean", "description": "Include every detail."}
            },
            "required": ["sku"]
        })
    );
    assert_eq!(
        t["annotations"],
        json!({"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false})
    );
    assert!(tool(&r[0], "greet").get("annotations").is_none());

    assert_eq!(r[1]["isError"], false, "{}", r[1]);
    assert_eq!(
        r[1]["structuredContent"],
        json!({"title": "Widget", "stock": 7})
    );
    assert_tool_error(&r[2], "`limit`");
    assert!(text(&r[2]).contains("integer"), "{}", r[2]);
    assert_tool_error(&r[3], "`sku`");
    assert_tool_error(&r[4], "`sku`");

    // The mock tool answers from its declared values, templated with its arguments.
    assert_eq!(r[5]["isError"], false, "{}", r[5]);
    assert_eq!(
        r[5]["structuredContent"],
        json!({"greeting": "Hello, Ada!", "source": "mock"})
    );
    // An unknown tool is a JSON-RPC error.
    assert!(r[6]["code"].is_i64(), "{}", r[6]);
    assert!(r[6]["error"].as_str().unwrap().contains("no-such-tool"));

    // Only the good call went upstream, with the SKU as one encoded path segment.
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path(), "/api/items/ab%20c%2F1");
    let mut query = seen[0].query();
    query.sort();
    assert_eq!(
        query,
        vec![
            ("limit".into(), "3".into()),
            ("verbose".into(), "true".into())
        ]
    );
}

#[test]
fn prompts_fill_their_arguments_and_a_missing_required_one_is_a_json_rpc_error() {
    if !common::mcp_tools_installed() {
        return;
    }
    let n = start_tools(&dead_address());
    let run = over_http(
        &n,
        &json!([
            {"op": "list_prompts"},
            {"op": "get_prompt", "name": "summarize-item", "arguments": {"sku": "A-1", "tone": "dry"}},
            {"op": "get_prompt", "name": "summarize-item", "arguments": {"tone": "dry"}},
            {"op": "get_prompt", "name": "no-such-prompt", "arguments": {}},
        ]),
    );
    let r = run.results();
    assert_eq!(
        r[0]["prompts"],
        json!([{
            "name": "summarize-item",
            "title": "Summarize an item",
            "description": "Asks for a short summary of one item.",
            "arguments": [
                {"name": "sku", "title": "SKU", "description": "The item's SKU.", "required": true},
                {"name": "tone", "title": "Tone", "description": "How the summary should sound.", "required": false}
            ]
        }])
    );
    assert_eq!(
        r[1]["messages"],
        json!([
            {"role": "user", "content": {"type": "text", "text": "Summarize item A-1 in a dry tone."}},
            {"role": "assistant", "content": {"type": "text", "text": "I will look item A-1 up first."}}
        ]),
        "{}",
        r[1]
    );
    assert!(r[2]["code"].is_i64(), "a JSON-RPC error: {}", r[2]);
    assert!(r[2]["error"].as_str().unwrap().contains("sku"), "{}", r[2]);
    assert!(r[3]["code"].is_i64(), "a JSON-RPC error: {}", r[3]);
}

#[test]
fn a_static_resource_directory_is_listed_and_read_and_cannot_be_escaped() {
    if !common::mcp_tools_installed() {
        return;
    }
    let n = start_tools(&dead_address());
    let run = over_http(
        &n,
        &json!([
            {"op": "list_resources"},
            {"op": "read_resource", "uri": "docs://inventory/guide.md"},
            {"op": "read_resource", "uri": "docs://inventory/../mcp-tools.yaml"},
            {"op": "read_resource", "uri": "docs://elsewhere"},
        ]),
    );
    let r = run.results();
    assert_eq!(
        r[0]["resources"],
        json!([{
            "uri": "docs://inventory/guide.md",
            "name": "docs",
            "title": "Inventory documents",
            "description": "Static documents about the inventory.",
            "mimeType": "text/markdown"
        }])
    );
    let file =
        std::fs::read_to_string(common::root().join("tests/fixtures/run/mcp-tools-files/guide.md"))
            .unwrap();
    assert_eq!(
        r[1]["contents"],
        json!([{"uri": "docs://inventory/guide.md", "mimeType": "text/markdown", "text": file}])
    );
    assert!(r[2]["code"].is_i64(), "a JSON-RPC error: {}", r[2]);
    assert!(
        !r[2].to_string().contains("inventory-mcp"),
        "the capability file must not be served: {}",
        r[2]
    );
    assert!(r[3]["code"].is_i64(), "a JSON-RPC error: {}", r[3]);
}

/// The conformance fixture's static directory is declared as `uri: "test:/"`: its file
/// `static-text` is listed as `test://static-text` (`<uri>/<file>`), and what is listed must
/// be readable. Its template resource reads through the echo upstream.
#[test]
fn every_listed_resource_can_be_read() {
    if !common::mcp_tools_installed() {
        return;
    }
    let echo = Upstream::start(|seen| Reply::json(json!({"path": seen.path()})));
    let n = Naftiko::start(
        &[
            CONFORMANCE,
            "--listen",
            "conformance=127.0.0.1:0",
            "--base-uri",
            &format!("echo={}", echo.url()),
            "--base-uri",
            &format!("down={}", dead_address()),
        ],
        &[],
    );
    let list = over_http(&n, &json!([{"op": "list_resources"}])).results()[0].clone();
    let uris: Vec<String> = list["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|r| r["uri"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uris, ["test://static-text"], "{list}");
    let mut commands: Vec<Value> = uris
        .iter()
        .map(|u| json!({"op": "read_resource", "uri": u}))
        .collect();
    commands.push(json!({"op": "read_resource", "uri": "test://template/123/data"}));
    let r = over_http(&n, &Value::Array(commands)).results();
    let file = std::fs::read_to_string(
        common::root().join("tests/fixtures/run/mcp-conformance-files/static-text"),
    )
    .unwrap();
    assert_eq!(
        r[0]["contents"],
        json!([{"uri": "test://static-text", "mimeType": "text/plain", "text": file}]),
        "reading the listed `test://static-text`: {}",
        r[0]
    );
    assert_eq!(r[1]["contents"][0]["uri"], "test://template/123/data");
    let echoed: Value =
        serde_json::from_str(r[1]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(echoed, json!({"path": "/items/123"}));
}

// ---------------------------------------------------------------------------------------
// The protocol edges, with raw HTTP requests
// ---------------------------------------------------------------------------------------

fn initialize(version: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "naftiko-raw-test", "version": "1.0.0"}
    }})
}

/// POSTs a JSON-RPC message with the Streamable HTTP `Accept` header and `headers`.
fn post(url: &str, body: &Value, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut req = client()
        .post(url)
        .header("accept", ACCEPT)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().unwrap()
}

/// The response's body as JSON, after checking it is plain `application/json`.
fn json_body(r: reqwest::blocking::Response) -> Value {
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().unwrap();
    assert!(
        ct.starts_with("application/json"),
        "expected plain JSON, got `{ct}`: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Initializes a session; returns its id.
fn open_session(url: &str) -> String {
    let r = post(url, &initialize("2025-11-25"), &[]);
    assert_eq!(r.status(), 200);
    let id = r
        .headers()
        .get("mcp-session-id")
        .expect("initialize answers with Mcp-Session-Id")
        .to_str()
        .unwrap()
        .to_owned();
    let _ = json_body(r);
    let r = post(
        url,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        &[
            ("mcp-session-id", &id),
            ("mcp-protocol-version", "2025-11-25"),
        ],
    );
    assert_eq!(r.status(), 202);
    id
}

#[test]
fn initialize_answers_the_clients_protocol_version_with_a_session_in_plain_json() {
    let n = start_tools(&dead_address());
    let url = mcp_url(&n);
    let mut sessions = Vec::new();
    for version in ["2025-06-18", "2025-11-25"] {
        let r = post(&url, &initialize(version), &[]);
        assert_eq!(r.status(), 200, "{version}");
        let session = r
            .headers()
            .get("mcp-session-id")
            .unwrap_or_else(|| panic!("no Mcp-Session-Id for {version}"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!session.is_empty());
        let body = json_body(r);
        assert_eq!(body["id"], 1, "{body}");
        assert_eq!(body["result"]["protocolVersion"], version, "{body}");
        assert_eq!(body["result"]["serverInfo"]["name"], "inventory-mcp");
        assert!(
            body["result"]["capabilities"]["tools"].is_object(),
            "{body}"
        );
        sessions.push(session);
    }
    assert_ne!(
        sessions[0], sessions[1],
        "each initialize opens a new session"
    );
}

#[test]
fn requests_in_a_session_are_answered_in_plain_json() {
    let n = start_tools(&dead_address());
    let url = mcp_url(&n);
    let id = open_session(&url);
    let h = [
        ("mcp-session-id", id.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    for (i, method) in ["tools/list", "resources/list", "prompts/list", "ping"]
        .iter()
        .enumerate()
    {
        let r = post(
            &url,
            &json!({"jsonrpc": "2.0", "id": i + 10, "method": method}),
            &h,
        );
        assert_eq!(r.status(), 200, "{method}");
        let body = json_body(r);
        assert_eq!(body["id"], i + 10, "{body}");
        assert!(body["result"].is_object(), "{method}: {body}");
    }
    let r = post(
        &url,
        &json!({"jsonrpc": "2.0", "id": 20, "method": "tools/call",
                "params": {"name": "greet", "arguments": {"name": "Bo"}}}),
        &h,
    );
    let body = json_body(r);
    assert_eq!(
        body["result"]["structuredContent"]["greeting"], "Hello, Bo!",
        "{body}"
    );
}

#[test]
fn unknown_and_deleted_sessions_are_404() {
    let n = start_tools(&dead_address());
    let url = mcp_url(&n);
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let r = post(
        &url,
        &ping,
        &[
            ("mcp-session-id", "no-such-session"),
            ("mcp-protocol-version", "2025-11-25"),
        ],
    );
    assert_eq!(r.status(), 404);

    let id = open_session(&url);
    let h = [
        ("mcp-session-id", id.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    assert_eq!(post(&url, &ping, &h).status(), 200);
    let r = client()
        .delete(&url)
        .header("mcp-session-id", &id)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .unwrap();
    assert!(r.status().is_success(), "DELETE: {}", r.status());
    assert_eq!(post(&url, &ping, &h).status(), 404);
    let r = client()
        .delete(&url)
        .header("mcp-session-id", &id)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404, "a second DELETE");
}

#[test]
fn a_foreign_host_or_origin_is_refused() {
    let n = start_tools(&dead_address());
    let url = mcp_url(&n);
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let evil_host = post(
        &url,
        &initialize("2025-11-25"),
        &[("host", "evil.example.com")],
    );
    assert!(
        evil_host.status().is_client_error(),
        "Host: evil.example.com got {}",
        evil_host.status()
    );
    let evil_origin = post(
        &url,
        &initialize("2025-11-25"),
        &[("origin", "http://evil.example.com")],
    );
    assert!(
        evil_origin.status().is_client_error(),
        "Origin: http://evil.example.com got {}",
        evil_origin.status()
    );
    let both = post(
        &url,
        &initialize("2025-11-25"),
        &[
            ("host", "evil.example.com"),
            ("origin", "http://evil.example.com"),
        ],
    );
    assert!(both.status().is_client_error(), "{}", both.status());
    // The loopback names are accepted.
    let localhost = format!("localhost:{port}");
    let origin = format!("http://localhost:{port}");
    let ok = post(
        &url,
        &initialize("2025-11-25"),
        &[("host", &localhost), ("origin", &origin)],
    );
    assert_eq!(ok.status(), 200);
}

#[test]
fn allowed_hosts_and_origins_can_be_set() {
    let n = Naftiko::start(
        &[
            TOOLS,
            "--listen",
            "inventory-mcp=127.0.0.1:0",
            "--base-uri",
            &format!("inventory={}", dead_address()),
            "--mcp-allowed-hosts",
            "mcp.internal",
            "--mcp-allowed-origins",
            "https://app.example.com",
        ],
        &[],
    );
    let url = mcp_url(&n);
    let init = initialize("2025-11-25");
    let status = |headers: &[(&str, &str)]| post(&url, &init, headers).status().as_u16();
    assert_eq!(status(&[("host", "mcp.internal")]), 200);
    assert_eq!(
        status(&[
            ("host", "mcp.internal"),
            ("origin", "https://app.example.com")
        ]),
        200
    );
    let refused = [
        status(&[("host", "evil.example.com")]),
        status(&[
            ("host", "mcp.internal"),
            ("origin", "http://evil.example.com"),
        ]),
    ];
    for s in refused {
        assert!((400..500).contains(&s), "{refused:?}");
    }
}
