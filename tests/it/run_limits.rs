//! Inbound limits of `naftiko run`, attacked over raw sockets: slow headers, too many or too
//! large headers, slow bodies, more requests than the concurrency limit, and hostile input.
//! Every answer is a clear 4xx (or 503 for load shedding), never a 5xx of naftiko's own.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::serve::{Naftiko, RAW_GUARD, Reply, Upstream, client, raw_exchange, status_of};
use serde_json::{Value, json};

fn token_upstream() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"access_token": "t", "expires_in": 60})))
}

fn start(up: &Upstream, extra: &[&str]) -> (Naftiko, SocketAddr) {
    let n = common::serve::start_seed(&up.url(), extra);
    let addr = n.listeners[0].1;
    (n, addr)
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let up = token_upstream();
    let (_n, addr) = start(&up, &["--header-timeout", "300ms"]);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s.write_all(b"POST /v1/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let mut out = Vec::new();
    // The server closes the connection (possibly after a 408) instead of waiting forever.
    let read = s.read_to_end(&mut out);
    assert!(read.is_ok(), "the connection was not closed: {read:?}");
    let text = String::from_utf8_lossy(&out);
    assert!(text.is_empty() || status_of(&text) == 408, "{text}");
    assert!(up.seen().is_empty());
}

#[test]
fn too_many_or_too_large_headers_are_431() {
    let up = token_upstream();
    let (_n, addr) = start(&up, &["--max-headers", "10", "--max-header-size", "8KiB"]);
    let mut many = String::from("GET /v1/oauth2/token HTTP/1.1\r\nHost: x\r\n");
    for i in 0..20 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("Connection: close\r\n\r\n");
    assert_eq!(status_of(&raw_exchange(addr, many.as_bytes())), 431);
    let big = format!(
        "GET /v1/oauth2/token?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(20_000)
    );
    assert_eq!(status_of(&raw_exchange(addr, big.as_bytes())), 431);
    assert!(up.seen().is_empty());
}

#[test]
fn a_body_that_stops_arriving_is_408() {
    let up = token_upstream();
    let (_n, addr) = start(&up, &["--body-timeout", "300ms"]);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s.write_all(
        b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type",
    )
    .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert_eq!(status_of(&text), 408, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(up.seen().is_empty());
}

#[test]
fn requests_beyond_the_concurrency_limit_get_503_with_retry_after() {
    let up = Upstream::start(|_| {
        Reply::json(json!({"access_token": "t", "expires_in": 60}))
            .after(Duration::from_millis(1500))
    });
    let (n, addr) = start(&up, &["--max-concurrency", "1"]);
    let url = format!("http://{addr}/v1/oauth2/token");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "id"),
        ("client_secret", "s"),
    ];
    let first = {
        let url = url.clone();
        std::thread::spawn(move || {
            client()
                .post(url)
                .form(&form)
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let deadline = std::time::Instant::now() + RAW_GUARD;
    while up.seen().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let second = client().post(&url).form(&form).send().unwrap();
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["retry-after"], "1");
    assert_eq!(
        second.json::<Value>().unwrap()["type"],
        "urn:naftiko:problem:overloaded"
    );
    assert_eq!(first.join().unwrap(), 200);
    // The budget is back once the first request finished.
    assert_eq!(
        client().post(&url).form(&form).send().unwrap().status(),
        200
    );
    drop(n);
}

#[test]
fn hostile_input_gets_a_clear_4xx_never_a_5xx() {
    let up = token_upstream();
    let (_n, addr) = start(&up, &[]);
    let c = client();
    let url = format!("http://{addr}/v1/oauth2/token");
    // Deeply nested JSON.
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    // Malformed JSON names the position.
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"a\": ")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.json::<Value>().unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
    // Binary body with a made-up type.
    let r = c
        .post(&url)
        .header("content-type", "application/x-made-up")
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    // A wrong (but textual) content type: the form fields cannot be in it, so 415 naming
    // the types the operation reads (issue 13; it was 400 naming a missing field).
    let r = c
        .post(&url)
        .header("content-type", "application/xml")
        .body("<a/>")
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(
        r.json::<Value>().unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("application/x-www-form-urlencoded")
    );
    // Duplicate and huge query parameters on a body endpoint: still a clear answer.
    let q = format!("{url}?client_id=a&client_id=b&x={}", "y".repeat(30_000));
    let r = c
        .post(&q)
        .form(&[
            ("grant_type", "g"),
            ("client_id", "i"),
            ("client_secret", "s"),
        ])
        .send()
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_client_error(),
        "{}",
        r.status()
    );
    // Invalid UTF-8 in a raw path and a CR inside a header value.
    let bad_path = raw_exchange(
        addr,
        b"GET /v1/oauth2/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        status_of(&bad_path) == 404 || status_of(&bad_path) == 400,
        "{bad_path}"
    );
    let cr = raw_exchange(addr, b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(&cr), 400, "{cr}");
    // Request smuggling shapes: both Content-Length and Transfer-Encoding, or two lengths.
    let te_cl = raw_exchange(
        addr,
        b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
    );
    // hyper reads the chunked body (empty) and ignores Content-Length: a complete request
    // with no form fields, so a 400 naming the missing parameter; never a second request.
    assert_eq!(status_of(&te_cl), 400, "{te_cl}");
    assert_eq!(
        te_cl.matches("HTTP/1.1").count(),
        1,
        "one answer only: {te_cl}"
    );
    let two_cl = raw_exchange(
        addr,
        b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcd",
    );
    assert_eq!(status_of(&two_cl), 400, "{two_cl}");
    // None of these reached the upstream except the one well-formed request.
    assert!(up.seen().len() <= 1);
}
