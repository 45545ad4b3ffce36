//! Request ids and W3C trace context end to end (docs/run.md, "Request ids and traces"):
//! the real binary on loopback, real recording upstreams. A caller's valid `traceparent`
//! is continued (its trace id upstream, a new span id for every upstream call, its
//! `tracestate` unchanged), an invalid one is replaced by a new trace; a caller's
//! `X-Request-Id` is kept when acceptable and replaced otherwise; both are made when
//! missing. Every answer (successes and problems, REST, MCP and skill catalogs) carries the
//! request id, every access line (text and JSON) the request and trace ids, and every
//! upstream call (the direct path, the general path, steps, `forward` routes, MCP tools)
//! the three headers. Secrets never reach the logs.

use crate::common;

use common::serve::{
    Naftiko, Reply, Seen, Upstream, client, json_access_lines, raw_exchange, seed_args, start_seed,
};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/run/trace.yaml";
const KEY: &str = "trace-key-never-logged";
const INBOUND_TOKEN: &str = "inbound-bearer-never-logged";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACESTATE: &str = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

/// A `traceparent` as its four fields.
#[derive(Debug)]
struct Parent {
    version: String,
    trace_id: String,
    span_id: String,
    flags: String,
}

/// The `traceparent` an upstream received: present, version 00, lowercase hex, no zero id.
fn parent_of(seen: &Seen) -> Parent {
    let value = seen
        .header("traceparent")
        .unwrap_or_else(|| panic!("no traceparent upstream: {seen:#?}"));
    let fields: Vec<&str> = value.split('-').collect();
    assert_eq!(fields.len(), 4, "{value}");
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    assert!(hex(fields[0], 2) && fields[0] == "00", "{value}");
    assert!(hex(fields[1], 32) && fields[1] != "0".repeat(32), "{value}");
    assert!(hex(fields[2], 16) && fields[2] != "0".repeat(16), "{value}");
    assert!(hex(fields[3], 2), "{value}");
    Parent {
        version: fields[0].to_owned(),
        trace_id: fields[1].to_owned(),
        span_id: fields[2].to_owned(),
        flags: fields[3].to_owned(),
    }
}

/// True for a request id naftiko made: 32 lowercase hex digits.
fn is_made_up(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The `X-Request-Id` of an answer.
fn answer_id(r: &reqwest::blocking::Response) -> String {
    r.headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on the answer: {r:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// POSTs the seed's form with `headers`.
fn post_token(n: &Naftiko, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
    let mut request = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "id-1"),
            ("client_secret", "s3cr3t-form-value"),
        ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap()
}

/// The value of ` name=value` in a text log line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=");
    line.split_once(&key)
        .map(|(_, rest)| rest.split(' ').next().unwrap_or(""))
}

/// The seed's token request, on the direct path and (`--general-path`) on the general
/// path: what a caller sends is continued, what it does not send is made up, what is
/// invalid is replaced, and the access lines say which request and trace each was.
#[test]
fn the_seed_passes_ids_upstream_and_back_on_both_paths() {
    for extra in [&[][..], &["--general-path"][..]] {
        let up = common::serve::token_endpoint("eyJ.trace.token");
        let n = common::serve::start_seed(&up.url(), extra);
        let path = if extra.is_empty() {
            "direct"
        } else {
            "general"
        };

        // 1. A caller's trace and request id are continued.
        let r = post_token(
            &n,
            &[
                ("traceparent", TRACEPARENT),
                ("tracestate", TRACESTATE),
                ("x-request-id", "caller-req-1"),
            ],
        );
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(answer_id(&r), "caller-req-1", "{path}");
        let seen = up.seen();
        let p = parent_of(&seen[0]);
        assert_eq!(p.trace_id, TRACE_ID, "{path}");
        assert_ne!(p.span_id, PARENT_ID, "{path}: a span id of naftiko's own");
        assert_eq!((p.version.as_str(), p.flags.as_str()), ("00", "01"));
        assert_eq!(seen[0].header("tracestate").as_deref(), Some(TRACESTATE));
        assert_eq!(
            seen[0].header("x-request-id").as_deref(),
            Some("caller-req-1")
        );

        // 2. Nothing sent: both made up, different for every request.
        let a = post_token(&n, &[]);
        let b = post_token(&n, &[]);
        let seen = up.seen();
        for (r, s) in [(&a, &seen[1]), (&b, &seen[2])] {
            let id = answer_id(r);
            assert!(is_made_up(&id), "{path}: {id}");
            assert_eq!(
                s.header("x-request-id").as_deref(),
                Some(id.as_str()),
                "{path}"
            );
            // A trace that starts with the request: its id is the request id.
            assert_eq!(parent_of(s).trace_id, id, "{path}");
            assert_eq!(parent_of(s).flags, "01");
            assert_eq!(s.header("tracestate"), None, "{path}");
        }
        assert_ne!(answer_id(&a), answer_id(&b));
        assert_ne!(parent_of(&seen[1]).trace_id, parent_of(&seen[2]).trace_id);

        // 3. Invalid ones are replaced (and an invalid traceparent's tracestate dropped).
        let invalid = [
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ];
        let long_id = "x".repeat(129);
        for (i, bad) in invalid.iter().enumerate() {
            let request_id = if i % 2 == 0 {
                long_id.as_str()
            } else {
                "has space"
            };
            let r = post_token(
                &n,
                &[
                    ("traceparent", bad),
                    ("tracestate", TRACESTATE),
                    ("x-request-id", request_id),
                ],
            );
            assert_eq!(r.status(), 200);
            let id = answer_id(&r);
            assert!(is_made_up(&id), "{path}: {bad}: {id}");
            let s = up.seen().pop().unwrap();
            assert_ne!(parent_of(&s).trace_id, TRACE_ID, "{path}: {bad}");
            assert_eq!(s.header("tracestate"), None, "{path}: {bad}");
            assert_eq!(s.header("x-request-id"), Some(id));
        }
        // A 128-character id is still the caller's.
        let longest = "y".repeat(128);
        let r = post_token(&n, &[("x-request-id", &longest)]);
        assert_eq!(answer_id(&r), longest);

        // 4. Problems carry the request id too: an unknown route, a missing field, a body
        // the h1 loop refuses before reading it.
        let r = client()
            .get(format!("{}/nowhere", n.url()))
            .header("x-request-id", "lost-1")
            .send()
            .unwrap();
        assert_eq!((r.status().as_u16(), answer_id(&r)), (404, "lost-1".into()));
        let r = client()
            .post(format!("{}/v1/oauth2/token", n.url()))
            .form(&[("grant_type", "x")])
            .send()
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(is_made_up(&answer_id(&r)));
        let big = "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nX-Request-Id: big-1\r\nContent-Length: 99999999\r\n\r\n";
        let raw = raw_exchange(n.listener("oauth2-tokens-rest"), big.as_bytes());
        assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
        assert!(raw.contains("\r\nx-request-id: big-1\r\n"), "{raw}");

        // 5. The access lines name each request and its trace.
        let (code, logs) = n.stop();
        assert_eq!(code, 0, "{logs}");
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("naftiko::access: request"))
            .collect();
        let first = lines
            .iter()
            .find(|l| field(l, "request_id") == Some("caller-req-1"))
            .unwrap_or_else(|| panic!("{path}: no access line for caller-req-1\n{logs}"));
        assert_eq!(field(first, "trace_id"), Some(TRACE_ID), "{first}");
        assert!(
            lines
                .iter()
                .any(|l| field(l, "request_id") == Some("lost-1")
                    && field(l, "status") == Some("404")),
            "{logs}"
        );
        for line in &lines {
            let trace = field(line, "trace_id").unwrap_or_default();
            assert!(is_made_up(trace), "{path}: {line}");
        }
        assert!(!logs.contains("s3cr3t-form-value"), "{logs}");
    }
}

/// JSON access lines carry the same two fields.
#[test]
fn json_access_lines_carry_the_request_and_trace_ids() {
    let up = common::serve::token_endpoint("eyJ.trace.token");
    let n = start_seed(&up.url(), &["--log-format", "json"]);
    let r = post_token(
        &n,
        &[
            ("traceparent", TRACEPARENT),
            ("x-request-id", "json-\"quoted\"\\1"),
        ],
    );
    assert_eq!(r.status(), 200);
    let made = answer_id(&post_token(&n, &[]));
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    let lines = json_access_lines(&logs);
    assert_eq!(lines.len(), 2, "{logs}");
    assert_eq!(lines[0]["request_id"], "json-\"quoted\"\\1", "{logs}");
    assert_eq!(lines[0]["trace_id"], TRACE_ID);
    assert_eq!(lines[1]["request_id"], made.as_str());
    assert!(is_made_up(lines[1]["trace_id"].as_str().unwrap()), "{logs}");
}

/// The answer's `Date` and its access line's timestamp are the wall clock's time, though the
/// request reads only the monotonic clock (`clock::wall`, docs/run.md).
#[test]
fn the_date_header_and_the_access_line_timestamp_are_the_wall_clock_time() {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    let up = common::serve::token_endpoint("eyJ.trace.token");
    let n = start_seed(&up.url(), &["--log-format", "json"]);
    let mut times = Vec::new();
    for _ in 0..3 {
        let before = SystemTime::now();
        let r = post_token(&n, &[]);
        let after = SystemTime::now();
        assert_eq!(r.status(), 200);
        let date = r.headers()["date"].to_str().unwrap().to_owned();
        times.push((before, date, after));
        std::thread::sleep(Duration::from_millis(600));
    }
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    let stamps: Vec<String> = json_access_lines(&logs)
        .iter()
        .map(|v| v["timestamp"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stamps.len(), 3, "{logs}");
    let text = |t: SystemTime| {
        let mut out = String::new();
        naftiko_server::clock::push_rfc3339_micros(&mut out, t);
        out
    };
    let whole_second = |t: SystemTime| {
        UNIX_EPOCH + Duration::from_secs(t.duration_since(UNIX_EPOCH).unwrap().as_secs())
    };
    for ((before, date, after), stamp) in times.iter().zip(&stamps) {
        // RFC 3339 text of one width sorts as the times do.
        assert!(
            text(*before) <= *stamp && *stamp <= text(*after),
            "{stamp} not between {} and {}",
            text(*before),
            text(*after)
        );
        let date = httpdate::parse_http_date(date).unwrap();
        assert!(
            whole_second(*before) <= date && date <= *after,
            "{date:?} not between {before:?} and {after:?}"
        );
    }
}

/// The trace fixture against a recording upstream: an item (`/up/items/{id}`), its owner
/// list (`/up/owners`), and a 500 for the item `boom`.
fn fixture_upstream() -> Upstream {
    Upstream::start(|seen| match seen.path() {
        "/up/items/boom" => Reply::status_json(500, json!({"error": "down"})),
        p if p.starts_with("/up/items/") => Reply::json(json!({"id": "7", "owner": "ada"})),
        "/up/owners" => {
            Reply::json(json!([{"name": "bob", "since": 2019}, {"name": "ada", "since": 2020}]))
        }
        _ => Reply::raw(
            200,
            "text/plain",
            format!("{} {}", seen.method, seen.path()),
        ),
    })
}

/// `naftiko run FIXTURE` against `up`, REST and MCP on free ports, plus `extra`.
fn start_fixture(up: &Upstream, extra: &[&str]) -> Naftiko {
    let base = format!("tr-up={}/up", up.url());
    let mut args = vec![
        FIXTURE,
        "--base-uri",
        &base,
        "--listen",
        "trace-rest=127.0.0.1:0",
        "--listen",
        "trace-mcp=127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Naftiko::start(&args, &[("TRACE_KEY", KEY)])
}

/// Steps make one upstream call each, all in the request's trace with the request's id,
/// each with a span id of its own.
#[test]
fn every_step_carries_the_trace_upstream() {
    let up = fixture_upstream();
    let n = start_fixture(&up, &[]);
    let r = client()
        .get(format!("{}/owned/7", n.url_of("trace-rest")))
        .header("traceparent", TRACEPARENT)
        .header("x-request-id", "steps-1")
        .header("authorization", format!("Bearer {INBOUND_TOKEN}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(answer_id(&r), "steps-1");
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"owner": "ada", "since": 2020})
    );
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let spans: Vec<String> = seen
        .iter()
        .map(|s| {
            assert_eq!(parent_of(s).trace_id, TRACE_ID);
            assert_eq!(s.header("x-request-id").as_deref(), Some("steps-1"));
            parent_of(s).span_id
        })
        .collect();
    assert_ne!(spans[0], spans[1]);
    assert!(!spans.contains(&PARENT_ID.to_owned()));
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    for secret in [KEY, INBOUND_TOKEN] {
        assert!(!logs.contains(secret), "`{secret}` in the logs\n{logs}");
    }
}

/// A forward route passes only trusted headers, but the trace headers are naftiko's own:
/// a trusted `traceparent` is continued with a new span id (never passed as it came), an
/// invalid one replaced, and the request id is the request's.
#[test]
fn forward_routes_send_naftikos_trace_headers_not_the_callers() {
    let up = fixture_upstream();
    let n = start_fixture(&up, &[]);
    let fwd = format!("{}/fwd/things/7", n.url_of("trace-rest"));
    let r = client()
        .post(&fwd)
        .header("traceparent", TRACEPARENT)
        .header("tracestate", TRACESTATE)
        .header("x-request-id", "fwd-1")
        .header("x-trace", "t")
        .body("payload")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(answer_id(&r), "fwd-1");
    assert_eq!(r.text().unwrap(), "POST /up/things/7");
    let s = up.seen().pop().unwrap();
    let p = parent_of(&s);
    assert_eq!(p.trace_id, TRACE_ID);
    assert_ne!(
        p.span_id, PARENT_ID,
        "the caller's traceparent was passed as it came"
    );
    assert_eq!(s.header("tracestate").as_deref(), Some(TRACESTATE));
    assert_eq!(s.header("x-request-id").as_deref(), Some("fwd-1"));
    assert_eq!(s.header("x-trace").as_deref(), Some("t"));
    assert_eq!(s.headers.get_all("traceparent").iter().count(), 1);

    // An invalid trusted traceparent (and its tracestate) never reaches the upstream.
    let bad = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";
    let r = client()
        .get(&fwd)
        .header("traceparent", bad)
        .header("tracestate", TRACESTATE)
        .header("x-request-id", "a b")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = answer_id(&r);
    assert!(is_made_up(&id), "{id}");
    let s = up.seen().pop().unwrap();
    assert_ne!(parent_of(&s).trace_id, TRACE_ID);
    assert_eq!(s.header("tracestate"), None);
    assert_eq!(s.header("x-request-id"), Some(id));
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
}

/// MCP over HTTP: every answer carries a request id, and a tool call carries the request's
/// trace and id upstream; the access lines name both.
#[test]
fn mcp_tool_calls_carry_the_trace_upstream() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = fixture_upstream();
    let n = start_fixture(&up, &[]);
    let url = common::mcp::mcp_url(&n);
    let run = common::mcp::mcp_client(
        &[
            "http",
            "--timeout",
            "60",
            "-H",
            &format!("traceparent: {TRACEPARENT}"),
            "-H",
            "X-Request-Id: mcp-req-1",
            &url,
        ],
        &json!([{"op": "call_tool", "name": "get-item", "arguments": {"id": "7"}}]),
    );
    let results = run.results();
    assert_eq!(results[0]["isError"], false, "{run}");
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    let p = parent_of(&seen[0]);
    assert_eq!(p.trace_id, TRACE_ID);
    assert_ne!(p.span_id, PARENT_ID);
    assert_eq!(seen[0].header("x-request-id").as_deref(), Some("mcp-req-1"));

    // Answers over HTTP carry the request id, the ones refused before rmcp too.
    let r = client()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body("[1]")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(is_made_up(&answer_id(&r)));
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    let calls: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("rpc_method=\"tools/call\""))
        .collect();
    assert!(!calls.is_empty(), "{logs}");
    for line in calls {
        assert_eq!(field(line, "request_id"), Some("mcp-req-1"), "{line}");
        assert_eq!(field(line, "trace_id"), Some(TRACE_ID), "{line}");
    }
    let tool_line = logs
        .lines()
        .find(|l| l.contains("tool call"))
        .unwrap_or_else(|| panic!("no tool call line\n{logs}"));
    assert_eq!(
        field(tool_line, "request_id"),
        Some("mcp-req-1"),
        "{tool_line}"
    );
    assert!(!logs.contains(KEY), "{logs}");
}

/// Skill catalogs and the control port answer with a request id too.
#[test]
fn skill_and_control_answers_carry_a_request_id() {
    let up = common::serve::token_endpoint("eyJ.trace.token");
    let owned = seed_args(
        &up.url(),
        &["--expose", "skill=127.0.0.1:0", "--control", "127.0.0.1:0"],
    );
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let n = Naftiko::start(&args, &[]);
    let skill = n
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("skill"))
        .map(|(_, a)| *a)
        .unwrap_or_else(|| panic!("no skill listener\n{}", n.logs()));
    let r = client()
        .get(format!("http://{skill}/skills"))
        .header("x-request-id", "skill-1")
        .send()
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), answer_id(&r)),
        (200, "skill-1".into())
    );
    let control = n.listener("control");
    let r = client()
        .get(format!("http://{control}/health/live"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(is_made_up(&answer_id(&r)));
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    let line = logs
        .lines()
        .find(|l| l.contains("naftiko::access") && l.contains("route=/skills "))
        .unwrap_or_else(|| panic!("no skill access line\n{logs}"));
    assert_eq!(field(line, "request_id"), Some("skill-1"), "{line}");
    assert!(
        is_made_up(field(line, "trace_id").unwrap_or_default()),
        "{line}"
    );
}

/// Without the `otlp` feature, `--otlp-endpoint` is refused as a usage error (exit 2) that
/// says how to build a binary that has it.
#[cfg(not(feature = "otlp"))]
#[test]
fn otlp_export_is_refused_by_a_binary_built_without_it() {
    let run = common::naftiko(&[
        "run",
        FIXTURE,
        "--check",
        "--otlp-endpoint",
        "http://127.0.0.1:4318",
    ]);
    assert_eq!(run.code(), 2, "{}", run.stderr);
    assert!(run.stderr.contains("--features otlp"), "{}", run.stderr);
}
