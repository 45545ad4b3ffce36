//! The direct path of MCP `tools/call` (`crates/naftiko-server/src/mcp_direct.rs`) gives
//! rmcp's answers, end to end: the real binary is started twice on the MCP fixture against
//! one loopback upstream, once as is and once with `--general-path` (every request through
//! rmcp), and every request is sent to both in turn. For every case — good calls in each
//! revision, tool errors, mock tools, every way a request can differ from what the direct
//! path takes (ids, extra members, `Accept` and `Content-Type` variants, `Host` and
//! `Origin`, revisions, `_meta`, the 2026-07-28 standard headers, sessions) — the two
//! answers must match byte for byte (status line, every header but `Date`, in order, and the
//! body), the upstream must have received the same requests, and the access lines must
//! match (latencies aside).

use crate::common;

use std::net::SocketAddr;

use common::answer::{Answer, exchange};
use common::serve::{Naftiko, Reply, Seen, Upstream};
use serde_json::{Value, json};

const TOOLS: &str = "tests/fixtures/run/mcp-tools.yaml";
const ACCEPT: &str = "application/json, text/event-stream";
const REQUEST_ID: &str = "mcp-direct-vs-rmcp";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}"#;

/// One instance: its MCP address and the 2025 session it opened.
struct Instance {
    naftiko: Naftiko,
    addr: SocketAddr,
    session: String,
}

impl Instance {
    fn start(up: &Upstream, general: bool) -> Instance {
        let base = format!("inventory={}", up.url());
        let mut args = vec![
            TOOLS,
            "--base-uri",
            &base,
            "--listen",
            "inventory-mcp=127.0.0.1:0",
            "--log-format",
            "json",
        ];
        if general {
            args.push("--general-path");
        }
        let naftiko = Naftiko::start(&args, &[]);
        let addr = naftiko.listener("inventory-mcp");
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}});
        let mut request = Request::era_2025(&init.to_string());
        request.keep_session = false;
        let answer = exchange(addr, &request.bytes(addr, ""));
        let session = answer
            .headers
            .iter()
            .find_map(|h| h.strip_prefix("mcp-session-id: "))
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Instance {
            naftiko,
            addr,
            session,
        }
    }
}

/// A POST to `/mcp`: its headers (as written) and body.
#[derive(Clone)]
struct Request {
    headers: Vec<(String, String)>,
    body: String,
    /// Send `Host: 127.0.0.1:<port>` (else only what `headers` has).
    host: bool,
    /// Send the instance's own session id.
    keep_session: bool,
}

impl Request {
    fn new(headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
            host: true,
            keep_session: false,
        }
    }

    fn era_2025(body: &str) -> Request {
        Request::new(
            &[
                ("Content-Type", "application/json"),
                ("Accept", ACCEPT),
                ("MCP-Protocol-Version", "2025-06-18"),
            ],
            body,
        )
    }

    fn era_2026(body: &str, name: &str) -> Request {
        Request::new(
            &[
                ("Content-Type", "application/json"),
                ("Accept", ACCEPT),
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", name),
            ],
            body,
        )
    }

    /// Replaces (or with `None` removes) every header called `name`.
    fn set(mut self, name: &str, value: Option<&str>) -> Request {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            self.headers.push((name.to_owned(), v.to_owned()));
        }
        self
    }

    fn add(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn bytes(&self, addr: SocketAddr, session: &str) -> Vec<u8> {
        let mut out = String::from("POST /mcp HTTP/1.1\r\n");
        if self.host {
            out.push_str(&format!("Host: 127.0.0.1:{}\r\n", addr.port()));
        }
        out.push_str(&format!(
            "traceparent: {TRACEPARENT}\r\nX-Request-Id: {REQUEST_ID}\r\n"
        ));
        if self.keep_session {
            out.push_str(&format!("Mcp-Session-Id: {session}\r\n"));
        }
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        out.into_bytes()
    }
}

/// A `tools/call` body: `id` and `params` as JSON text.
fn call(id: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{params}}}"#)
}

/// `get-item`'s params with `arguments` (JSON text) and, for 2026-07-28, the `_meta`.
fn get_item(arguments: &str, meta: bool) -> String {
    let meta = if meta {
        format!(",{META}")
    } else {
        String::new()
    };
    format!(r#"{{"name":"get-item","arguments":{arguments}{meta}}}"#)
}

/// The upstream: an item by SKU; `gone` is a 404, `text` a plain-text answer.
fn upstream() -> Upstream {
    Upstream::start(|seen: &Seen| match seen.last_segment() {
        "gone" => Reply::status_json(404, json!({"error": "no such item"})),
        "text" => Reply::raw(200, "text/plain", "not json"),
        sku => Reply::json(json!({"title": format!("Item \"{sku}\" é"), "stock": 3, "x": [1]})),
    })
}

/// Every case: a name and the request.
fn cases() -> Vec<(String, Request)> {
    let good = get_item(r#"{"sku":"a-1","limit":2,"verbose":true}"#, false);
    let good_2026 = get_item(r#"{"sku":"a-1","limit":2,"verbose":true}"#, true);
    let mut cases: Vec<(&str, Request)> = vec![
        ("2025 good call", Request::era_2025(&call("1", &good))),
        (
            "2025 string id",
            Request::era_2025(&call(r#""x\"y""#, &good)),
        ),
        ("2025 negative id", Request::era_2025(&call("-5", &good))),
        ("2025 float id", Request::era_2025(&call("1.5", &good))),
        ("2025 null id", Request::era_2025(&call("null", &good))),
        (
            "2025 upstream 404",
            Request::era_2025(&call("2", &get_item(r#"{"sku":"gone"}"#, false))),
        ),
        (
            "2025 text answer",
            Request::era_2025(&call("3", &get_item(r#"{"sku":"text"}"#, false))),
        ),
        (
            "2025 bad argument",
            Request::era_2025(&call("4", &get_item(r#"{"sku":"a","limit":"x"}"#, false))),
        ),
        (
            "2025 missing argument",
            Request::era_2025(&call("5", &get_item("{}", false))),
        ),
        (
            "2025 null arguments",
            Request::era_2025(&call("6", r#"{"name":"get-item","arguments":null}"#)),
        ),
        (
            "2025 no arguments",
            Request::era_2025(&call("7", r#"{"name":"get-item"}"#)),
        ),
        (
            "2025 mock tool",
            Request::era_2025(&call("8", r#"{"name":"greet","arguments":{"name":"Ada"}}"#)),
        ),
        (
            "2025 unknown tool",
            Request::era_2025(&call("9", r#"{"name":"nope","arguments":{}}"#)),
        ),
        (
            "2025 extra member",
            Request::era_2025(&call("10", &good).replacen('{', r#"{"x":1,"#, 1)),
        ),
        (
            "2025 extra param",
            Request::era_2025(&call(
                "11",
                r#"{"name":"greet","arguments":{"name":"A"},"task":{}}"#,
            )),
        ),
        (
            "2025 progress token",
            Request::era_2025(&call(
                "12",
                r#"{"name":"greet","arguments":{"name":"A"},"_meta":{"progressToken":1}}"#,
            )),
        ),
        (
            "2025 member twice",
            Request::era_2025(&call("46", &good).replacen('{', r#"{"id":99,"#, 1)),
        ),
        (
            "2025 null meta",
            Request::era_2025(&call(
                "47",
                r#"{"name":"greet","arguments":{"name":"A"},"_meta":null}"#,
            )),
        ),
        (
            "2025 trailing bytes",
            Request::era_2025(&format!("{} x", call("48", &good))),
        ),
        (
            "2025 not json",
            Request::era_2025(r#"{"jsonrpc":"2.0","id":49,"#),
        ),
        (
            "2025 batch",
            Request::era_2025(&format!("[{}]", call("50", &good))),
        ),
        (
            "2025 arguments a list",
            Request::era_2025(&call("51", r#"{"name":"greet","arguments":[1]}"#)),
        ),
        (
            "2025 jsonrpc 1.0",
            Request::era_2025(&call("13", &good).replace("2.0", "1.0")),
        ),
        (
            "2025-03-26",
            Request::era_2025(&call("14", &good)).set("MCP-Protocol-Version", Some("2025-03-26")),
        ),
        (
            "2025-11-25",
            Request::era_2025(&call("15", &good)).set("MCP-Protocol-Version", Some("2025-11-25")),
        ),
        (
            "2024-11-05",
            Request::era_2025(&call("16", &good)).set("MCP-Protocol-Version", Some("2024-11-05")),
        ),
        (
            "no revision header",
            Request::era_2025(&call("17", &good)).set("MCP-Protocol-Version", None),
        ),
        (
            "unknown revision",
            Request::era_2025(&call("18", &good)).set("MCP-Protocol-Version", Some("1999-01-01")),
        ),
        (
            "two revision headers",
            Request::era_2025(&call("19", &good)).add("MCP-Protocol-Version", "2025-06-18"),
        ),
        (
            "accept with weights",
            Request::era_2025(&call("20", &good))
                .set("Accept", Some("application/json;q=0.9, text/event-stream")),
        ),
        (
            "accept in two headers",
            Request::era_2025(&call("21", &good))
                .set("Accept", Some("application/json"))
                .add("Accept", "text/event-stream"),
        ),
        (
            "accept json only",
            Request::era_2025(&call("22", &good)).set("Accept", Some("application/json")),
        ),
        (
            "content type with charset",
            Request::era_2025(&call("23", &good))
                .set("Content-Type", Some("application/json; charset=utf-8")),
        ),
        (
            "content type text",
            Request::era_2025(&call("24", &good)).set("Content-Type", Some("text/plain")),
        ),
        (
            "allowed origin",
            Request::era_2025(&call("25", &good)).add("Origin", "http://localhost:3000"),
        ),
        (
            "foreign origin",
            Request::era_2025(&call("26", &good)).add("Origin", "https://evil.test"),
        ),
        (
            "2026 good call",
            Request::era_2026(&call("27", &good_2026), "get-item"),
        ),
        (
            "2026 string id",
            Request::era_2026(&call(r#""s""#, &good_2026), "get-item"),
        ),
        (
            "2026 upstream 404",
            Request::era_2026(
                &call("28", &get_item(r#"{"sku":"gone"}"#, true)),
                "get-item",
            ),
        ),
        (
            "2026 mock tool",
            Request::era_2026(
                &call(
                    "29",
                    &format!(r#"{{"name":"greet","arguments":{{"name":"Ada"}},{META}}}"#),
                ),
                "greet",
            ),
        ),
        (
            "2026 name header differs",
            Request::era_2026(&call("30", &good_2026), "greet"),
        ),
        (
            "2026 name header base64",
            Request::era_2026(&call("31", &good_2026), "=?base64?Z2V0LWl0ZW0=?="),
        ),
        (
            "2026 no method header",
            Request::era_2026(&call("32", &good_2026), "get-item").set("Mcp-Method", None),
        ),
        (
            "2026 method header differs",
            Request::era_2026(&call("33", &good_2026), "get-item")
                .set("Mcp-Method", Some("tools/list")),
        ),
        (
            "2026 revision header 2025",
            Request::era_2026(&call("34", &good_2026), "get-item")
                .set("MCP-Protocol-Version", Some("2025-06-18")),
        ),
        (
            "2026 no capabilities",
            Request::era_2026(
                &call(
                    "35",
                    &good_2026.replace(r#""io.modelcontextprotocol/clientCapabilities":{},"#, ""),
                ),
                "get-item",
            ),
        ),
        (
            "2026 odd capabilities",
            Request::era_2026(
                &call(
                    "36",
                    &good_2026.replace(
                        r#"clientCapabilities":{}"#,
                        r#"clientCapabilities":{"roots":7}"#,
                    ),
                ),
                "get-item",
            ),
        ),
        (
            "2026 odd client info",
            Request::era_2026(
                &call(
                    "37",
                    &good_2026.replace(r#""name":"t","version":"1""#, r#""name":5"#),
                ),
                "get-item",
            ),
        ),
        (
            "2026 unsupported revision",
            Request::era_2026(
                &call("38", &good_2026.replace("2026-07-28", "2027-01-01")),
                "get-item",
            )
            .set("MCP-Protocol-Version", Some("2027-01-01")),
        ),
        (
            "2026 meta in a 2025 header",
            Request::era_2025(&call("39", &good_2026)),
        ),
        (
            "2025 call in a 2026 header",
            Request::era_2026(&call("40", &good), "get-item"),
        ),
    ];
    let mut session = Request::era_2025(&call("41", &good));
    session.keep_session = true;
    cases.push(("2025 in its session", session));
    cases.push((
        "2025 unknown session",
        Request::era_2025(&call("42", &good)).add("Mcp-Session-Id", "not-a-session"),
    ));
    let mut hostless = Request::era_2025(&call("43", &good));
    hostless.host = false;
    cases.push(("no host", hostless));
    cases.push((
        "foreign host",
        Request {
            host: false,
            ..Request::era_2025(&call("44", &good))
        }
        .add("Host", "evil.test"),
    ));
    cases.push((
        "host localhost",
        Request {
            host: false,
            ..Request::era_2025(&call("45", &good))
        }
        .add("Host", "LOCALHOST:1"),
    ));
    cases.into_iter().map(|(n, r)| (n.to_owned(), r)).collect()
}

/// What the upstream received, as compared: method, target, headers but `traceparent`
/// (whose span id is new every time), body.
fn upstreamed(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| {
            let headers: Vec<String> = s
                .headers
                .iter()
                .filter(|(k, _)| *k != "traceparent")
                .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
                .collect();
            format!("{} {} {headers:?} {:?}", s.method, s.target, s.body)
        })
        .collect()
}

/// The access lines of JSON logs, without their timestamps and latencies.
fn access_lines(logs: &str) -> Vec<Value> {
    common::serve::json_access_lines(logs)
        .into_iter()
        .map(|mut v| {
            if let Some(m) = v.as_object_mut() {
                m.remove("timestamp");
                m.remove("latency_ms");
            }
            v
        })
        .collect()
}

#[test]
fn direct_tool_calls_answer_what_rmcp_answers() {
    let up = upstream();
    let direct = Instance::start(&up, false);
    let general = Instance::start(&up, true);
    let mut diffs = Vec::new();
    let cases = cases();
    for (name, request) in &cases {
        let before = up.seen().len();
        let a: Answer = exchange(direct.addr, &request.bytes(direct.addr, &direct.session));
        let between = up.seen().len();
        let b: Answer = exchange(general.addr, &request.bytes(general.addr, &general.session));
        let seen = up.seen();
        common::log_answer(&format!("{name}\n  direct:  {a}\n  general: {b}"));
        if a != b {
            diffs.push(format!(
                "{name}: the answers differ\n  direct:  {a}\n  general: {b}"
            ));
        }
        let (ua, ub) = (
            upstreamed(&seen[before..between]),
            upstreamed(&seen[between..]),
        );
        if ua != ub {
            diffs.push(format!(
                "{name}: the upstream requests differ\n  direct:  {ua:?}\n  general: {ub:?}"
            ));
        }
    }
    let (code_a, logs_a) = direct.naftiko.stop();
    let (code_b, logs_b) = general.naftiko.stop();
    assert_eq!((code_a, code_b), (0, 0), "{logs_a}\n{logs_b}");
    let (lines_a, lines_b) = (access_lines(&logs_a), access_lines(&logs_b));
    assert!(
        lines_a.len() > cases.len(),
        "an access line per request, and one per tool call:\n{logs_a}"
    );
    if lines_a != lines_b {
        diffs.push(format!(
            "the access lines differ\n  direct:  {lines_a:#?}\n  general: {lines_b:#?}"
        ));
    }
    assert!(
        diffs.is_empty(),
        "{} difference(s) between the direct path and rmcp:\n\n{}",
        diffs.len(),
        diffs.join("\n\n")
    );
}
