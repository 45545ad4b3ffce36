//! OTLP trace export end to end (built with `--features otlp`; `.ci/run` runs this module
//! with `cargo test --features otlp --test it run_otlp`): the real binary exports to a
//! loopback receiver written in Python (`.ci/mcp-tools/otlp_receiver.py`), which decodes
//! every export with the official `opentelemetry-proto` classes and writes its spans as
//! JSON lines. Checked: a SERVER span per request (REST on both paths, a forward route,
//! MCP over HTTP) continuing the caller's trace, a CLIENT child per upstream call whose
//! span id is the one the upstream received, an INTERNAL child per step, HTTP
//! semantic-convention attributes, ERROR status for 5xx, nothing recorded for an unsampled
//! trace, the last spans sent at shutdown, and no secret (bound values, `Authorization`,
//! queries, form values) in any export.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::serve::{Naftiko, Reply, Seen, Upstream, client};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/run/trace.yaml";
const SEED: &str = "capabilities/oauth2-tokens.yaml";
const KEY: &str = "otlp-key-never-exported";
const INBOUND_TOKEN: &str = "otlp-bearer-never-exported";
const FORM_SECRET: &str = "otlp-form-secret-never-exported";
const QUERY: &str = "otlp-query-never-exported";
const PARENT_ID: &str = "00f067aa0ba902b7";
const SERVER: i64 = 2;
const CLIENT: i64 = 3;
const INTERNAL: i64 = 1;
const ERROR: i64 = 2;
/// A hang guard while waiting for exports, not a timing assertion.
const WATCHDOG: Duration = Duration::from_secs(60);

/// A sampled `traceparent` of the trace `n` (its trace id is `n` in 32 hex digits).
fn trace(n: u8) -> (String, String) {
    let id = format!("{:032x}", u128::from(n) + 0xabc0);
    (format!("00-{id}-{PARENT_ID}-01"), id)
}

/// The Python receiver, on a free loopback port, writing into a scratch directory.
struct Receiver {
    child: Child,
    port: u16,
    dir: common::Scratch,
}

impl Receiver {
    fn start() -> Receiver {
        let dir = common::Scratch::new("otlp");
        let root = common::root();
        let mut child = Command::new(root.join(".ci/mcp-tools/venv/bin/python"))
            .arg(root.join(".ci/mcp-tools/otlp_receiver.py"))
            .arg(dir.path().join("spans.jsonl"))
            .arg(dir.path().join("raw.bin"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the OTLP receiver");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not start: {line:?}"));
        Receiver { child, port, dir }
    }

    /// Every span received so far (each export error fails the test).
    fn spans(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("spans.jsonl")).unwrap_or_default();
        let spans: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for s in &spans {
            assert!(s.get("error").is_none(), "a bad export: {s}");
        }
        spans
    }

    /// Every export's bytes, as sent.
    fn raw(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("raw.bin")).unwrap_or_default()
    }

    /// Waits until `done` holds of the spans received (`what` names it for a failure).
    fn wait_until(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(Instant::now() < deadline, "{what}: {spans:#?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The spans of the trace `id`.
fn in_trace<'a>(spans: &'a [Value], id: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["traceId"] == id).collect()
}

/// The one span of `spans` of this kind whose attribute `key` is `value` (any, when
/// `key` is empty).
fn one<'a>(spans: &[&'a Value], kind: i64, key: &str, value: &Value) -> &'a Value {
    let found: Vec<&&Value> = spans
        .iter()
        .filter(|s| s["kind"] == kind && (key.is_empty() || s["attributes"][key] == *value))
        .collect();
    assert_eq!(found.len(), 1, "kind {kind} {key}={value}: {spans:#?}");
    found[0]
}

/// The children of `parent` among `spans`.
fn children<'a>(spans: &[&'a Value], parent: &Value) -> Vec<&'a Value> {
    spans
        .iter()
        .filter(|s| s["parentSpanId"] == parent["spanId"])
        .copied()
        .collect()
}

/// The upstream: the seed's token endpoint, the fixture's items and owners, a 500 for the
/// item `boom`, and an echo for anything else (the forward route's target).
fn upstream() -> Upstream {
    Upstream::start(|seen| match seen.path() {
        "/oauth2/token" => Reply::json(json!({"access_token": "t", "expires_in": 60})),
        "/up/items/boom" => Reply::status_json(500, json!({"error": "down"})),
        p if p.starts_with("/up/items/") => Reply::json(json!({"id": "7", "owner": "ada"})),
        "/up/owners" => Reply::json(json!([{"name": "ada", "since": 2020}])),
        _ => Reply::raw(200, "text/plain", "echo"),
    })
}

/// The seed and the trace fixture served together, exporting to `receiver`.
fn start(up: &Upstream, receiver: &Receiver) -> Naftiko {
    let seed = format!("oauth2-tokens={}", up.url());
    let fixture = format!("tr-up={}/up", up.url());
    let endpoint = format!("http://127.0.0.1:{}", receiver.port);
    let args = [
        SEED,
        FIXTURE,
        "--base-uri",
        &seed,
        "--base-uri",
        &fixture,
        "--listen",
        "oauth2-tokens-rest=127.0.0.1:0",
        "--listen",
        "trace-rest=127.0.0.1:0",
        "--listen",
        "trace-mcp=127.0.0.1:0",
        "--otlp-endpoint",
        &endpoint,
    ];
    Naftiko::start(&args, &[("TRACE_KEY", KEY)])
}

/// The span id of the `traceparent` the upstream received in trace `id`.
fn upstream_span(seen: &[Seen], id: &str) -> Vec<String> {
    seen.iter()
        .filter_map(|s| s.header("traceparent"))
        .filter(|t| t.contains(id))
        .map(|t| t.split('-').nth(2).unwrap().to_owned())
        .collect()
}

/// A GET or POST to `url` in the trace `traceparent`, with a caller's credentials.
fn send(method: &str, url: &str, traceparent: &str) -> reqwest::blocking::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    client()
        .request(method, url)
        .header("traceparent", traceparent)
        .header("authorization", format!("Bearer {INBOUND_TOKEN}"))
        .send()
        .unwrap()
}

#[test]
fn every_request_is_exported_as_server_client_and_step_spans() {
    if !common::mcp_tools_installed() {
        return;
    }
    let receiver = Receiver::start();
    let up = upstream();
    let n = start(&up, &receiver);
    let rest = n.url_of("trace-rest");
    let (t1, item) = trace(1);
    let r = send("GET", &format!("{rest}/items/7?q={QUERY}"), &t1);
    assert_eq!(r.status(), 200);
    let (t2, steps) = trace(2);
    assert_eq!(send("GET", &format!("{rest}/owned/7"), &t2).status(), 200);
    let (t3, failing) = trace(3);
    assert_eq!(
        send("GET", &format!("{rest}/items/boom"), &t3).status(),
        502
    );
    let (t4, forward) = trace(4);
    assert_eq!(
        send("POST", &format!("{rest}/fwd/things/7"), &t4).status(),
        200
    );
    let (t5, direct) = trace(5);
    let r = client()
        .post(format!(
            "{}/v1/oauth2/token",
            n.url_of("oauth2-tokens-rest")
        ))
        .header("traceparent", &t5)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "id"),
            ("client_secret", FORM_SECRET),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let (t6, mcp) = trace(6);
    let run = common::mcp::mcp_client(
        &[
            "http",
            "--timeout",
            "60",
            "-H",
            &format!("traceparent: {t6}"),
            &common::mcp::mcp_url(&n),
        ],
        &json!([{"op": "call_tool", "name": "get-item", "arguments": {"id": "7"}}]),
    );
    assert_eq!(run.results()[0]["isError"], false, "{run}");
    // Not sampled: passed on, not recorded.
    let unsampled = "00-0000000000000000000000000000abcd-00f067aa0ba902b7-00";
    assert_eq!(
        send("GET", &format!("{rest}/items/7"), unsampled).status(),
        200
    );

    // Exported in the background, without waiting for the shutdown.
    let counts = [
        (&item, 2),
        (&steps, 6),
        (&failing, 2),
        (&forward, 2),
        (&direct, 2),
    ];
    let spans = receiver.wait_until("spans of every request", |spans| {
        let tool_call = in_trace(spans, &mcp)
            .iter()
            .any(|s| s["attributes"]["mcp.method.name"] == "tools/call");
        tool_call && counts.iter().all(|(id, n)| in_trace(spans, id).len() >= *n)
    });
    let seen = up.seen();
    check_item(
        &spans,
        &item,
        &seen,
        up.addr.port(),
        n.listener("trace-rest").port(),
    );
    check_steps(&spans, &steps, &seen);
    check_failure(&spans, &failing);
    check_client_of(
        &spans,
        &forward,
        "POST /fwd/{path}",
        "/up/things/7",
        &seen,
        up.addr.port(),
    );
    check_client_of(
        &spans,
        &direct,
        "POST /v1/oauth2/token",
        "/oauth2/token",
        &seen,
        up.addr.port(),
    );
    check_mcp(&spans, &mcp, &seen);
    assert!(in_trace(&spans, "0000000000000000000000000000abcd").is_empty());
    let passed = seen.iter().filter_map(|s| s.header("traceparent"));
    assert!(
        passed
            .into_iter()
            .any(|t| t.starts_with("00-0000000000000000000000000000abcd-") && t.ends_with("-00"))
    );

    // The last spans are sent at shutdown.
    let (t7, last) = trace(7);
    assert_eq!(send("GET", &format!("{rest}/items/7"), &t7).status(), 200);
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert_eq!(in_trace(&receiver.spans(), &last).len(), 2, "{logs}");
    check_no_secrets(&receiver, &logs);
}

/// A plain call: the SERVER span continues the caller's trace, the CLIENT span is its child
/// and is the parent the upstream was told of.
fn check_item(spans: &[Value], id: &str, seen: &[Seen], up_port: u16, port: u16) {
    let t = in_trace(spans, id);
    assert_eq!(t.len(), 2, "{t:#?}");
    let server = one(&t, SERVER, "", &Value::Null);
    assert_eq!(server["name"], "GET /items/{id}");
    assert_eq!(server["parentSpanId"], PARENT_ID);
    let a = &server["attributes"];
    assert_eq!(a["http.request.method"], "GET");
    assert_eq!(a["http.route"], "/items/{id}");
    assert_eq!(a["url.path"], "/items/7");
    assert_eq!(a["http.response.status_code"], 200);
    assert_eq!(a["naftiko.adapter.type"], "rest");
    assert_eq!(a["server.address"], "127.0.0.1");
    assert_eq!(a["server.port"], i64::from(port));
    assert_eq!(server["status"], 0);
    assert_eq!(server["resource"]["service.name"], "naftiko");
    assert_eq!(server["scope"], "naftiko");
    let client = one(&t, CLIENT, "", &Value::Null);
    assert_eq!(client["name"], "GET");
    assert_eq!(client["parentSpanId"], server["spanId"]);
    let a = &client["attributes"];
    assert_eq!(
        a["url.full"],
        format!("http://127.0.0.1:{up_port}/up/items/7")
    );
    assert_eq!(a["server.address"], "127.0.0.1");
    assert_eq!(a["server.port"], i64::from(up_port));
    assert_eq!(a["http.response.status_code"], 200);
    assert_eq!(a["naftiko.namespace"], "tr-up");
    assert_eq!(
        upstream_span(seen, id),
        [client["spanId"].as_str().unwrap()]
    );
}

/// Steps: an INTERNAL span per step under the SERVER span, each call's CLIENT span under
/// its step.
fn check_steps(spans: &[Value], id: &str, seen: &[Seen]) {
    let t = in_trace(spans, id);
    assert_eq!(t.len(), 6, "{t:#?}");
    let server = one(&t, SERVER, "", &Value::Null);
    assert_eq!(server["name"], "GET /owned/{id}");
    let steps = children(&t, server);
    assert_eq!(steps.len(), 3, "{t:#?}");
    for (index, (name, kind)) in [
        ("item", "step.call"),
        ("owners", "step.call"),
        ("owner", "step.lookup"),
    ]
    .iter()
    .enumerate()
    {
        let step = one(&steps, INTERNAL, "naftiko.step.index", &json!(index));
        assert_eq!(step["name"], *kind);
        assert_eq!(step["attributes"]["naftiko.step.name"], *name);
        let calls = children(&t, step);
        if *kind == "step.call" {
            assert_eq!(calls.len(), 1, "{t:#?}");
            assert_eq!(calls[0]["kind"], CLIENT);
            assert_eq!(step["attributes"]["naftiko.namespace"], "tr-up");
        } else {
            assert!(calls.is_empty(), "{t:#?}");
        }
    }
    assert_eq!(upstream_span(seen, id).len(), 2);
}

/// An upstream 500: both spans have status ERROR.
fn check_failure(spans: &[Value], id: &str) {
    let t = in_trace(spans, id);
    let server = one(&t, SERVER, "", &Value::Null);
    assert_eq!(server["attributes"]["http.response.status_code"], 502);
    assert_eq!(server["status"], ERROR);
    let client = one(&t, CLIENT, "", &Value::Null);
    assert_eq!(client["attributes"]["http.response.status_code"], 500);
    assert_eq!(client["status"], ERROR);
}

/// A request answered by one upstream call (a forward route, the direct path).
fn check_client_of(spans: &[Value], id: &str, name: &str, path: &str, seen: &[Seen], up_port: u16) {
    let t = in_trace(spans, id);
    assert_eq!(t.len(), 2, "{t:#?}");
    let server = one(&t, SERVER, "", &Value::Null);
    assert_eq!(server["name"], name);
    let client = one(&t, CLIENT, "", &Value::Null);
    assert_eq!(client["parentSpanId"], server["spanId"]);
    assert_eq!(
        client["attributes"]["url.full"],
        format!("http://127.0.0.1:{up_port}{path}")
    );
    assert_eq!(
        upstream_span(seen, id),
        [client["spanId"].as_str().unwrap()]
    );
}

/// MCP over HTTP: a SERVER span per request, the tool call's with its method and tool, and
/// the upstream call under it.
fn check_mcp(spans: &[Value], id: &str, seen: &[Seen]) {
    let t = in_trace(spans, id);
    let servers: Vec<&Value> = t.iter().filter(|s| s["kind"] == SERVER).copied().collect();
    let call = one(&servers, SERVER, "mcp.method.name", &json!("tools/call"));
    assert_eq!(call["name"], "POST /mcp");
    assert_eq!(call["attributes"]["naftiko.adapter.type"], "mcp");
    assert_eq!(call["attributes"]["naftiko.operation.id"], "get-item");
    assert_eq!(call["attributes"]["http.route"], "/mcp");
    let client = children(&t, call);
    assert_eq!(client.len(), 1, "{t:#?}");
    assert_eq!(
        upstream_span(seen, id),
        [client[0]["spanId"].as_str().unwrap()]
    );
}

/// No export and no log line holds a secret: the bound API key (in the upstream query),
/// the caller's `Authorization`, its query, its form's secret.
fn check_no_secrets(receiver: &Receiver, logs: &str) {
    let raw = receiver.raw();
    assert!(!raw.is_empty());
    let exported = format!(
        "{}\n{}",
        String::from_utf8_lossy(&raw),
        serde_json::to_string(&receiver.spans()).unwrap()
    );
    for secret in [KEY, INBOUND_TOKEN, FORM_SECRET, QUERY, "api_key"] {
        assert!(!exported.contains(secret), "`{secret}` was exported");
        assert!(!logs.contains(secret), "`{secret}` was logged\n{logs}");
    }
}

/// A collector that cannot be reached costs requests nothing: they are answered, and the
/// failed exports are logged.
#[test]
fn an_unreachable_collector_is_logged_and_requests_go_on() {
    let up = upstream();
    let dead = common::serve::dead_address();
    let fixture = format!("tr-up={}/up", up.url());
    let args = [
        FIXTURE,
        "--base-uri",
        &fixture,
        "--listen",
        "trace-rest=127.0.0.1:0",
        "--listen",
        "trace-mcp=127.0.0.1:0",
        "--otlp-endpoint",
        &dead,
    ];
    let n = Naftiko::start(&args, &[("TRACE_KEY", KEY)]);
    for _ in 0..3 {
        let r = client()
            .get(format!("{}/items/7", n.url_of("trace-rest")))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert!(logs.contains("naftiko::otlp"), "{logs}");
    assert!(logs.contains("the collector cannot be reached"), "{logs}");
}

/// `--otlp-endpoint` must be an http(s) URL: anything else is a usage error.
#[test]
fn a_malformed_endpoint_is_a_usage_error() {
    let run = common::naftiko(&[
        "run",
        FIXTURE,
        "--check",
        "--otlp-endpoint",
        "collector:4318",
    ]);
    assert_eq!(run.code(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("--otlp-endpoint"), "{}", run.stderr);
}
