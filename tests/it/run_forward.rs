//! `forward` resources end to end (SEMANTICS §5): requests passed on to the consumed API as
//! they came (method, the rest of the path, query, body), only trusted and content headers,
//! the consumed API's credentials and fixed parameters, answers streamed back; operations
//! beside a forward keep their methods; path escapes refused; the body limits; and 100 MB
//! each way through naftiko in flat memory. Every upstream is a real server on loopback:
//! the recording one of `common::serve`, or the streaming one below, which counts what it
//! receives and generates what it sends (a 100 MB body is never held by the test either).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common;
use common::digest::{digest_fields, md5_hex};
use common::serve::{Naftiko, Reply, Upstream, client, dead_address, raw_exchange, status_of};

const FIXTURE: &str = "tests/fixtures/run/forward.yaml";
const TOKEN: &str = "fwd-token-never-logged";
const KEY: &str = "fwd-key-never-logged";
const INBOUND: &str = "fwd-inbound-never-logged";
const USER: &str = "fwd-user";
const PASS: &str = "fwd-pass-never-logged";
const MIB: u64 = 1024 * 1024;

/// Starts the fixture with its three consumed APIs under `base` (`/v1?api-version=2`,
/// `/keyed`, `/plain`; `plain` overrides the last) and both REST blocks on free ports.
fn start(base: &str, plain: Option<&str>, extra: &[&str]) -> Naftiko {
    let plain = plain.map_or_else(|| format!("{base}/plain"), str::to_owned);
    let owned: Vec<String> = [
        FIXTURE.to_owned(),
        "--base-uri".into(),
        format!("fwd-bearer={base}/v1?api-version=2"),
        "--base-uri".into(),
        format!("fwd-key={base}/keyed"),
        "--base-uri".into(),
        format!("fwd-plain={plain}"),
        "--base-uri".into(),
        format!("fwd-digest={base}/dig"),
        "--listen".into(),
        "fwd-rest=127.0.0.1:0".into(),
        "--listen".into(),
        "fwd-guarded=127.0.0.1:0".into(),
    ]
    .into_iter()
    .chain(extra.iter().map(|s| (*s).to_owned()))
    .collect();
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    Naftiko::start(
        &args,
        &[
            ("FWD_TOKEN", TOKEN),
            ("FWD_KEY", KEY),
            ("FWD_INBOUND", INBOUND),
            ("FWD_USER", USER),
            ("FWD_PASS", PASS),
        ],
    )
}

/// The address of the REST block `namespace` (both blocks share one listener: `:0` is one
/// address for `--listen`).
fn addr_of(n: &Naftiko, namespace: &str) -> SocketAddr {
    n.listeners
        .iter()
        .find(|(ns, _)| ns.contains(namespace))
        .map(|(_, a)| *a)
        .unwrap_or_else(|| panic!("no listener for {namespace}\n{}", n.logs()))
}

fn url(n: &Naftiko, path: &str) -> String {
    format!("http://{}{path}", addr_of(n, "fwd-rest"))
}

/// Sends `method path` to the `fwd-rest` block with these headers and body.
fn send(
    n: &Naftiko,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &'static str,
) -> reqwest::blocking::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client().request(method, url(n, path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap()
}

fn echo() -> Upstream {
    Upstream::start(|seen| {
        Reply::raw(201, "text/plain", format!("{} {}", seen.method, seen.body))
            .header("x-request-id", "r-7")
            .header("set-cookie", "session=upstream")
            .header("cache-control", "no-store")
    })
}

#[test]
fn method_path_query_body_trusted_headers_and_credentials_are_forwarded() {
    let up = echo();
    let n = start(&up.url(), None, &[]);
    let r = send(
        &n,
        "POST",
        "/bearer/pages/a%20b/c/?x=1&y=%2F",
        &[
            ("content-type", "text/plain"),
            ("x-trace", "t-1"),
            ("authorization", "Bearer caller-token-never-logged"),
            ("cookie", "caller=1"),
            ("x-hop", "named-by-connection"),
            ("connection", "x-hop"),
            ("keep-alive", "timeout=5"),
            ("proxy-authorization", "Basic never"),
            ("accept-language", "fr"),
        ],
        "hello",
    );
    assert_eq!(r.status(), 201);
    // The request's own id, not the upstream's: the one sent upstream with it.
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(request_id, "r-7");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers().get("set-cookie").is_none(),
        "Set-Cookie goes back only when Cookie is trusted"
    );
    assert_eq!(r.text().unwrap(), "POST hello");
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    let s = &seen[0];
    assert_eq!(s.method, "POST");
    // The base URI's query first, the caller's after, both as received.
    assert_eq!(s.target, "/v1/pages/a%20b/c/?api-version=2&x=1&y=%2F");
    assert_eq!(s.body, "hello");
    assert_eq!(s.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(s.header("content-length").as_deref(), Some("5"));
    assert_eq!(s.header("x-trace").as_deref(), Some("t-1"));
    assert_eq!(s.header("x-request-id"), Some(request_id));
    // The consumed API's own credentials and fixed header, never the caller's.
    assert_eq!(s.header("authorization"), Some(format!("Bearer {TOKEN}")));
    assert_eq!(s.header("notion-version").as_deref(), Some("2022-06-28"));
    for never in [
        "cookie",
        "x-hop",
        "keep-alive",
        "proxy-authorization",
        "accept-language",
        "connection",
    ] {
        assert!(
            s.headers.get(never).is_none(),
            "{never} was forwarded: {s:#?}"
        );
    }
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert!(
        logs.contains("route=/bearer/{path} status=201 upstream_status=201"),
        "one access line, the route as written\n{logs}"
    );
    for secret in [TOKEN, "caller-token-never-logged", "a%20b", "x=1"] {
        assert!(!logs.contains(secret), "`{secret}` in the logs:\n{logs}");
    }
}

#[test]
fn any_method_is_forwarded_and_head_answers_without_a_body() {
    let up = Upstream::start(|seen| Reply::raw(200, "text/plain", format!("{} done", seen.method)));
    let n = start(&up.url(), None, &[]);
    let c = client();
    for method in ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = c.request(m, url(&n, "/plain/items/1")).send().unwrap();
        assert_eq!(r.status(), 200, "{method}");
        assert_eq!(r.text().unwrap(), format!("{method} done"));
    }
    let r = c.head(url(&n, "/plain/items/1")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().len(), 0);
    let methods: Vec<String> = up.seen().iter().map(|s| s.method.clone()).collect();
    assert_eq!(
        methods,
        ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW", "HEAD"]
    );
    assert!(up.seen().iter().all(|s| s.target == "/plain/items/1"));
}

#[test]
fn api_keys_are_added_and_a_trusted_authorization_passes() {
    let up = echo();
    let n = start(&up.url(), None, &[]);
    let trusted = [("authorization", "Bearer caller"), ("X-Trace", "z")];
    let r = send(&n, "PUT", "/key/things/1", &trusted, "abc");
    assert_eq!(r.status(), 201);
    let s = &up.seen()[0];
    assert_eq!(s.target, "/keyed/things/1");
    assert_eq!(s.header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(s.header("authorization").as_deref(), Some("Bearer caller"));
    assert_eq!(s.header("x-trace").as_deref(), Some("z"));
}

const CHALLENGE: &str = r#"Digest realm="files", nonce="n-1", qop="auth", algorithm=MD5"#;

/// An upstream that requires Digest (MD5, `qop=auth`): a request without a correct answer
/// to its challenge gets 401 and the challenge; one with a correct answer is echoed.
fn digest_upstream() -> Upstream {
    Upstream::start(|seen| {
        let refuse =
            || Reply::raw(401, "text/plain", "who are you").header("www-authenticate", CHALLENGE);
        let Some(header) = seen.header("authorization") else {
            return refuse();
        };
        let f = digest_fields(&header);
        let get = |k: &str| {
            f.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let ha1 = md5_hex(format!("{USER}:files:{PASS}").as_bytes());
        let ha2 = md5_hex(format!("{}:{}", seen.method, seen.target).as_bytes());
        let (nc, cnonce) = (get("nc"), get("cnonce"));
        let expected = md5_hex(format!("{ha1}:n-1:{nc}:{cnonce}:auth:{ha2}").as_bytes());
        if get("response") != expected || get("uri") != seen.target || get("username") != USER {
            return refuse();
        }
        Reply::raw(201, "text/plain", format!("{} {}", seen.method, seen.body))
    })
}

#[test]
fn digest_challenges_are_answered_for_bodies_after_a_probe_without_one() {
    let up = digest_upstream();
    let n = start(&up.url(), None, &[]);
    let headers = [("content-type", "text/plain"), ("x-trace", "d-1")];
    let r = send(&n, "POST", "/digest/files/a?x=1", &headers, "the body");
    assert_eq!(r.status(), 201);
    assert_eq!(r.text().unwrap(), "POST the body");
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "the probe, then the request: {seen:#?}");
    let (probe, real) = (&seen[0], &seen[1]);
    assert_eq!(
        (probe.method.as_str(), probe.target.as_str()),
        ("POST", "/dig/files/a?x=1")
    );
    assert_eq!(probe.body, "", "the probe carries no body");
    assert_eq!(probe.header("content-length").as_deref(), Some("0"));
    assert!(probe.header("authorization").is_none());
    assert_eq!(probe.header("x-trace").as_deref(), Some("d-1"));
    assert_eq!(real.target, probe.target);
    assert_eq!(real.body, "the body");
    assert_eq!(real.header("content-length").as_deref(), Some("8"));
    assert!(real.header("authorization").unwrap().starts_with("Digest "));

    // Without a body, the request is its own probe.
    let r = client().get(url(&n, "/digest/files")).send().unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.text().unwrap(), "GET ");
    let seen = up.seen();
    assert_eq!(seen.len(), 4, "{seen:#?}");
    assert!(seen[2].header("authorization").is_none());
    assert!(seen[2].header("content-length").is_none());
    assert!(seen[3].header("authorization").is_some());
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert!(!logs.contains(PASS), "the password in the logs:\n{logs}");
}

#[test]
fn digest_forwards_to_an_upstream_that_does_not_challenge_or_refuses_again() {
    // Refused whatever the answer: the second 401 passes back, no loop.
    let up = Upstream::start(|_| {
        Reply::raw(401, "text/plain", "never").header("www-authenticate", CHALLENGE)
    });
    let n = start(&up.url(), None, &[]);
    let r = send(&n, "PUT", "/digest/files/b", &[], "abc");
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().unwrap(), "never");
    assert_eq!(up.seen().len(), 2);
    drop(n);

    // A 401 without a Digest challenge passes back at once; the body is never sent.
    let up = Upstream::start(|_| {
        Reply::raw(401, "text/plain", "bearer only").header("www-authenticate", "Bearer")
    });
    let n = start(&up.url(), None, &[]);
    let r = send(&n, "PUT", "/digest/files/b", &[], "abc");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(seen[0].body, "");
    drop(n);

    // No challenge at all: the body cannot be sent with credentials, so 502.
    let up = echo();
    let n = start(&up.url(), None, &[]);
    let r = send(&n, "PUT", "/digest/files/b", &[], "abc");
    assert_eq!(r.status(), 502);
    let problem: Value = r.json().unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("not a Digest challenge"), "{problem}");
    let seen = up.seen();
    assert_eq!(seen.len(), 1, "only the probe: {seen:#?}");
    assert_eq!(seen[0].body, "");
    // A request without a body is its own probe: its answer is the forward's.
    let r = client().get(url(&n, "/digest/files")).send().unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(up.seen().len(), 2);
}

#[test]
fn upstream_statuses_and_bodies_pass_through_as_they_are() {
    let up = Upstream::start(|seen| match seen.path() {
        "/plain/gone" => Reply::raw(404, "text/html", "<p>gone</p>"),
        "/plain/down" => Reply::raw(503, "text/plain", "maintenance").header("retry-after", "9"),
        _ => Reply::raw(302, "text/plain", "").header("location", "/elsewhere"),
    });
    let n = start(&up.url(), None, &[]);
    let c = reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(url(&n, "/plain/gone")).send().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert_eq!(r.text().unwrap(), "<p>gone</p>");
    let r = c.get(url(&n, "/plain/down")).send().unwrap();
    assert_eq!(r.status(), 503, "a forward passes 5xx on as it came");
    assert_eq!(r.headers()["retry-after"], "9");
    assert_eq!(r.text().unwrap(), "maintenance");
    let r = c.get(url(&n, "/plain/moved")).send().unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/elsewhere");
}

#[test]
fn operations_beside_a_forward_keep_their_methods() {
    let up = Upstream::start(|_| Reply::json(json!({"ok": true})));
    let n = start(&up.url(), None, &[]);
    let c = client();
    assert_eq!(c.get(url(&n, "/mixed/7")).send().unwrap().status(), 200);
    assert_eq!(
        c.post(url(&n, "/mixed/7"))
            .body("b")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(url(&n, "/mixed/7/deeper")).send().unwrap().status(),
        200
    );
    let seen: Vec<(String, String)> = up
        .seen()
        .iter()
        .map(|s| (s.method.clone(), s.target.clone()))
        .collect();
    let expected = [
        ("GET", "/plain/things/7"),
        ("POST", "/plain/7"),
        ("GET", "/plain/7/deeper"),
    ];
    assert_eq!(
        seen,
        expected.map(|(m, t)| (m.to_owned(), t.to_owned())),
        "GET /mixed/{{id}} is the operation; other methods and longer paths are forwarded"
    );
}

#[test]
fn a_forward_without_a_variable_goes_to_the_base_uri() {
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = start(&up.url(), None, &[]);
    let c = client();
    assert_eq!(c.get(url(&n, "/exact?q=1")).send().unwrap().status(), 200);
    assert_eq!(c.get(url(&n, "/exact/more")).send().unwrap().status(), 404);
    assert_eq!(c.get(url(&n, "/plain")).send().unwrap().status(), 404);
    let targets: Vec<String> = up.seen().iter().map(|s| s.target.clone()).collect();
    assert_eq!(targets, ["/plain?q=1"]);
}

#[test]
fn paths_that_would_leave_the_base_uri_are_refused() {
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = start(&up.url(), None, &[]);
    let addr = addr_of(&n, "fwd-rest");
    for path in [
        "/plain/a/../../admin",
        "/plain/..",
        "/plain/%2e%2e/admin",
        "/plain/.%2E/admin",
        "/plain/a/%2E%2e",
        "/plain/a%2f..%2f..%2fadmin",
        "/plain/a%2F..",
        "/plain/a%5c..%5cadmin",
        "/plain/./admin",
    ] {
        let answer = raw_exchange(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert_eq!(status_of(&answer), 400, "{path}: {answer}");
        assert!(answer.contains("invalid-parameter"), "{path}: {answer}");
    }
    assert!(up.seen().is_empty(), "{:#?}", up.seen());
    // Dots inside a segment are ordinary text.
    let ok = raw_exchange(
        addr,
        b"GET /plain/a..b/.hidden/v1.2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&ok), 200, "{ok}");
    assert_eq!(up.seen()[0].target, "/plain/a..b/.hidden/v1.2");
}

#[test]
fn inbound_authentication_guards_forward_routes() {
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = start(&up.url(), None, &[]);
    let guarded = format!("http://{}/g/x", addr_of(&n, "fwd-guarded"));
    let c = client();
    for (token, status) in [(None, 401), (Some(INBOUND), 200)] {
        let mut request = c.post(&guarded).body("b");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().unwrap().status(), status);
    }
    assert_eq!(up.seen().len(), 1, "the refused request went nowhere");
    let s = &up.seen()[0];
    assert_eq!(s.target, "/plain/x");
    assert!(s.headers.get("authorization").is_none(), "{s:#?}");
}

#[test]
fn a_body_over_the_limit_gets_413_and_nothing_is_sent() {
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = start(&up.url(), None, &["--max-body", "1MiB"]);
    let addr = addr_of(&n, "fwd-rest");
    let declared = raw_exchange(
        addr,
        b"POST /plain/up HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n",
    );
    assert_eq!(status_of(&declared), 413, "{declared}");
    // Chunked: found over the limit on the way, before the upstream answered.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(common::serve::RAW_GUARD)).unwrap();
    s.write_all(b"POST /plain/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let piece = vec![b'z'; 64 * 1024];
    for _ in 0..16 {
        s.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .unwrap();
        s.write_all(&piece).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"1\r\nz\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(answer.contains("body-too-large"), "{answer}");
    // The upstream got no complete request: its recording server never saw one.
    assert!(up.seen().is_empty(), "{:#?}", up.seen());
}

#[test]
fn answers_over_the_limit_get_502_or_are_cut() {
    let up = Streaming::start();
    let n = start(&up.url(), None, &["--max-upstream-body", "1MiB"]);
    let r = client()
        .get(url(&n, &format!("/plain/download/{}", 2 * MIB)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 502);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["type"], "urn:naftiko:problem:upstream-invalid-body");
    assert_eq!(problem["upstream"], "fwd-plain");
    // Without a Content-Length the head is gone before the limit is passed: the answer is
    // cut, never completed.
    let mut r = client()
        .get(url(&n, &format!("/plain/download/{}?chunked", 2 * MIB)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let copied = std::io::copy(&mut r, &mut std::io::sink());
    assert!(
        copied.as_ref().is_err() || copied.as_ref().is_ok_and(|n| *n < 2 * MIB),
        "{copied:?}"
    );
    let (_, logs) = n.stop();
    assert!(logs.contains("forwarded answer cut"), "{logs}");
}

#[test]
fn an_unreachable_or_slow_upstream_gets_502_or_504() {
    let up = Upstream::start(|_| Reply::json(json!({})).after(Duration::from_secs(3)));
    let down = dead_address();
    let n = start(&up.url(), Some(&down), &["--upstream-timeout", "500ms"]);
    let r = client().post(url(&n, "/plain/x")).body("b").send().unwrap();
    assert_eq!(r.status(), 502);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["type"], "urn:naftiko:problem:upstream-unreachable");
    assert_eq!(problem["upstream"], "fwd-plain");
    let r = client().get(url(&n, "/bearer/slow")).send().unwrap();
    assert_eq!(r.status(), 504);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["type"], "urn:naftiko:problem:upstream-timeout");
}

#[test]
fn slow_callers_broken_bodies_and_stalled_upstreams_are_answered() {
    // An upstream that accepts and never reads: an upload stalls once the buffers are full.
    let deaf = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    let deaf_url = format!("http://{}", deaf.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in deaf.incoming().flatten() {
            keep.lock().unwrap().push(conn);
        }
    });
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = start(
        &up.url(),
        Some(&deaf_url),
        &[
            "--body-timeout",
            "500ms",
            "--upstream-timeout",
            "500ms",
            "--max-body",
            "64MiB",
        ],
    );
    let addr = addr_of(&n, "fwd-rest");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(common::serve::RAW_GUARD)).unwrap();
    s.write_all(b"POST /bearer/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert_eq!(status_of(&answer), 408, "{answer}");
    let broken = raw_exchange(
        addr,
        b"POST /bearer/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    );
    assert_eq!(status_of(&broken), 400, "{broken}");
    assert!(broken.contains("chunk size"), "{broken}");
    // The caller keeps sending while naftiko answers (a raw socket: clients such as reqwest
    // report their failed write rather than the answer).
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(common::serve::RAW_GUARD)).unwrap();
    let head = format!(
        "POST /plain/up HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        48 * MIB
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut writer = s.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut Generated(48 * MIB), &mut writer);
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status_of(&answer), 504, "{answer}");
    assert!(
        !held.lock().unwrap().is_empty(),
        "the deaf upstream was called"
    );
}

#[test]
fn a_hundred_megabytes_each_way_stream_in_flat_memory() {
    const SIZE: u64 = 100 * MIB;
    // A memory bound, not a timing one: naftiko's peak resident size may grow by far less
    // than one body while 300 MB pass through it (measured: see docs/run.md).
    const BOUND_KIB: u64 = 32 * 1024;
    let up = Streaming::start();
    let n = start(
        &up.url(),
        None,
        &["--max-body", "200MiB", "--max-upstream-body", "200MiB"],
    );
    let c = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    // Warm up: the first forward builds the streaming client and its pool.
    let r = c.post(url(&n, "/plain/up")).body("warm").send().unwrap();
    assert_eq!(r.status(), 200);
    let before = peak_kib(n.pid());
    let r = c
        .post(url(&n, "/plain/up"))
        .body(reqwest::blocking::Body::sized(Generated(SIZE), SIZE))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["bytes"], SIZE);
    let after_upload = peak_kib(n.pid());
    // Chunked: no Content-Length.
    let r = c
        .put(url(&n, "/plain/up"))
        .body(reqwest::blocking::Body::new(Generated(SIZE)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["bytes"], SIZE);
    let after_chunked = peak_kib(n.pid());
    let mut r = c
        .get(url(&n, &format!("/plain/download/{SIZE}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], SIZE.to_string().as_str());
    assert_eq!(std::io::copy(&mut r, &mut std::io::sink()).unwrap(), SIZE);
    let after = peak_kib(n.pid());
    println!(
        "naftiko VmHWM: {before} KiB before, {after_upload} KiB after a 100 MiB upload, \
         {after_chunked} KiB after a chunked one, {after} KiB after a 100 MiB download \
         (growth {} KiB, bound {BOUND_KIB} KiB)",
        after - before
    );
    assert!(
        after < before + BOUND_KIB,
        "peak RSS grew from {before} KiB to {after} KiB"
    );
    let seen = up.received();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[1].0, "POST");
    assert_eq!(seen[1].1.as_deref(), Some(SIZE.to_string().as_str()));
    assert_eq!(seen[2].1, None, "the chunked upload went on chunked");
}

/// `VmHWM` (peak resident size) of a process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    common::serve::status_kib(pid, "VmHWM")
}

/// `n` bytes of `z`, generated as they are read.
struct Generated(u64);

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
        buf[..n].fill(b'z');
        self.0 -= n as u64;
        Ok(n)
    }
}

/// What the streaming upstream received: method, `Content-Length`, bytes counted.
type Received = (String, Option<String>, u64);

/// A loopback upstream that never holds a body: `…/download/N` answers N generated bytes
/// (with `Content-Length`, or chunked with `?chunked`); anything else counts the request
/// body and answers `{"bytes": N}`.
struct Streaming {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

static PIECE: [u8; 64 * 1024] = [b'x'; 64 * 1024];

impl Streaming {
    fn start() -> Streaming {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = received.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Body| {
                let record = record.clone();
                async move { Streaming::answer(method, uri, headers, body, record).await }
            },
        );
        let (addr, stop) = common::serve::serve_app(app);
        Streaming {
            addr,
            received,
            _stop: stop,
        }
    }

    async fn answer(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Body,
        record: Arc<Mutex<Vec<Received>>>,
    ) -> axum::response::Response {
        if let Some(n) = uri.path().rsplit_once("/download/").map(|(_, n)| n) {
            let size: u64 = n.parse().unwrap();
            let pieces = size / PIECE.len() as u64;
            let stream = futures_util::stream::iter(0..pieces)
                .map(|_| Ok::<_, std::convert::Infallible>(Bytes::from_static(&PIECE)));
            let mut response = axum::response::Response::new(Body::from_stream(stream));
            if uri.query() != Some("chunked") {
                response
                    .headers_mut()
                    .insert("content-length", size.to_string().parse().unwrap());
            }
            return response;
        }
        let mut stream = body.into_data_stream();
        let mut bytes = 0u64;
        while let Some(piece) = stream.next().await {
            bytes += piece.unwrap().len() as u64;
        }
        let length = headers
            .get("content-length")
            .map(|v| v.to_str().unwrap().to_owned());
        record
            .lock()
            .unwrap()
            .push((method.to_string(), length, bytes));
        axum::response::Response::new(Body::from(json!({ "bytes": bytes }).to_string()))
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// The Ikanos README's forward example (beta5), a forward whose last segment is not a bare
/// variable, and one to a namespace nothing consumes.
const BETA5: &str = r#"ikanos: 1.0.0-beta5
info:
  display: Forward
  description: Forwards to Notion.
capability:
  consumes:
  - type: http
    namespace: notion
    description: Notion.
    baseUri: https://api.notion.com/v1
    inputParameters:
      Notion-Version:
        in: header
        value: '2022-06-28'
    resources:
      pages:
        path: /pages
        operations:
          list:
            method: GET
  exposes:
  - type: rest
    port: 8080
    namespace: proxy
    resources:
      notion:
        path: /notion/{path}
        description: Forward requests to the Notion API
        forward:
          targetNamespace: notion
          trustedHeaders:
          - Notion-Version
      files:
        path: /files/{name}.json
        description: Forward to the base URI itself
        forward:
          targetNamespace: notion
          trustedHeaders:
          - X-Trace
"#;

#[test]
fn validate_and_run_agree_on_forward_resources() {
    let dir = common::Scratch::new("forward");
    let good = dir.write("good.yaml", BETA5);
    let v = common::naftiko(&["validate".as_ref(), good.as_os_str()]);
    assert_eq!(v.code(), 0, "{v}");
    let r = common::naftiko(&["run".as_ref(), good.as_os_str(), "--check".as_ref()]);
    assert_eq!(r.code(), 0, "{r}");
    assert!(
        r.stderr
            .contains("/files/{name}.json: the last segment is not a bare variable"),
        "{r}"
    );
    let bad = dir.write(
        "bad.yaml",
        BETA5.replace(
            "targetNamespace: notion\n          trustedHeaders:\n          - X-Trace",
            "targetNamespace: nowhere\n          trustedHeaders:\n          - X-Trace",
        ),
    );
    let v = common::naftiko(&["validate".as_ref(), bad.as_os_str()]);
    assert_eq!(v.code(), 1, "{v}");
    assert!(v.stdout.contains("`forward` targets `nowhere`"), "{v}");
    let r = common::naftiko(&["run".as_ref(), bad.as_os_str(), "--check".as_ref()]);
    assert_eq!(r.code(), 1, "{r}");
    let strict = common::naftiko(&["validate", "--strict", FIXTURE]);
    assert_eq!(strict.code(), 0, "{strict}");
}
