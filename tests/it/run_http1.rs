//! naftiko's own HTTP/1.1 loop for REST listeners (`crates/naftiko-server/src/h1.rs`),
//! over raw sockets against the real binary: what it serves itself (keep-alive,
//! pipelining, heads split into tiny writes, HEAD, `Connection: close`), what it hands to
//! hyper on the same connection (chunked bodies, `Expect: 100-continue`, HTTP/1.0,
//! absolute-form targets), and the request-smuggling defences (conflicting or malformed
//! `Content-Length`, `Content-Length` with `Transfer-Encoding`).

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use common::serve::{Naftiko, RAW_GUARD, Reply, Upstream, raw_exchange, status_of};
use serde_json::json;

const FORM: &str = "grant_type=client_credentials&client_id=demo&client_secret=s3cret";

fn token_upstream() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"access_token": "tok", "expires_in": 60})))
}

fn start(up: &Upstream) -> (Naftiko, SocketAddr) {
    let n = common::serve::start_seed(&up.url(), &[]);
    let addr = n.listeners[0].1;
    (n, addr)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s
}

/// A form POST to the seed route, with extra header lines.
fn post(extra: &str) -> String {
    format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{extra}\r\n{FORM}",
        FORM.len()
    )
}

/// Reads exactly one response (head and `Content-Length` body) from a kept-alive
/// connection; returns (status, head, body).
fn read_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).unwrap();
        assert!(
            n > 0,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.push(byte[0]);
    }
    let head = String::from_utf8(data).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, String::from_utf8(body).unwrap())
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection_then_closes_when_asked() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let mut s = connect(addr);
    for _ in 0..5 {
        s.write_all(post("").as_bytes()).unwrap();
        let (status, head, body) = read_response(&mut s);
        assert_eq!(status, 200, "{head}{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        assert!(head.to_ascii_lowercase().contains("\r\ndate: "), "{head}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            json!({"access_token": "tok", "expires_in": 60})
        );
    }
    s.write_all(post("Connection: close\r\n").as_bytes())
        .unwrap();
    let (status, head, _) = read_response(&mut s);
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let mut rest = Vec::new();
    assert_eq!(
        s.read_to_end(&mut rest).unwrap(),
        0,
        "the server kept the connection open"
    );
    assert_eq!(up.seen().len(), 6);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let up = Upstream::start(|seen| {
        let id = seen
            .form()
            .into_iter()
            .find(|(k, _)| k == "client_id")
            .unwrap()
            .1;
        Reply::json(json!({"access_token": id, "expires_in": 1}))
    });
    let (_n, addr) = start(&up);
    let mut s = connect(addr);
    let mut all = String::new();
    for i in 0..4 {
        let form = format!("grant_type=g&client_id=c{i}&client_secret=s");
        all.push_str(&format!(
            "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ));
    }
    s.write_all(all.as_bytes()).unwrap();
    for i in 0..4 {
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&format!("\"c{i}\"")),
            "answer {i} out of order: {body}"
        );
    }
}

#[test]
fn a_head_sent_one_byte_at_a_time_is_served() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let mut s = connect(addr);
    s.set_nodelay(true).unwrap();
    for b in post("Connection: close\r\n").as_bytes() {
        s.write_all(&[*b]).unwrap();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert_eq!(status_of(&out), 200, "{out}");
    assert!(out.contains("\"tok\""), "{out}");
}

#[test]
fn head_requests_get_no_body() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    // The seed has no HEAD route: 405 with Allow, and no body bytes after the head.
    let out = raw_exchange(
        addr,
        b"HEAD /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&out), 405, "{out}");
    let (_, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(body.is_empty(), "HEAD answer carried a body: {body:?}");
}

#[test]
fn chunked_bodies_go_to_hyper_and_the_connection_stays_usable() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let mut s = connect(addr);
    let (a, b) = FORM.split_at(20);
    let chunked = format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    s.write_all(chunked.as_bytes()).unwrap();
    let mut all = Vec::new();
    // Read the (possibly chunked) answer up to the token, then send a plain request.
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&all).contains("\"tok\"") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&all));
        all.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&all).into_owned();
    assert_eq!(status_of(&text), 200, "{text}");
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]
            .form()
            .contains(&("client_secret".into(), "s3cret".into()))
    );
    s.write_all(post("Connection: close\r\n").as_bytes())
        .unwrap();
    let mut rest = String::new();
    let _ = s.read_to_string(&mut rest);
    assert_eq!(status_of(&rest), 200, "{rest}");
    assert_eq!(up.seen().len(), 2);
}

#[test]
fn expect_continue_gets_100_then_the_answer() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let mut s = connect(addr);
    let head = format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        FORM.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(first.starts_with("HTTP/1.1 100"), "{first}");
    s.write_all(FORM.as_bytes()).unwrap();
    let mut rest = String::new();
    let _ = s.read_to_string(&mut rest);
    let all = format!("{first}{rest}");
    assert!(all.contains("HTTP/1.1 200"), "{all}");
    assert!(all.contains("\"tok\""), "{all}");
}

#[test]
fn http_1_0_and_absolute_form_targets_are_served() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let old = format!(
        "POST /v1/oauth2/token HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{FORM}",
        FORM.len()
    );
    let out = raw_exchange(addr, old.as_bytes());
    assert_eq!(status_of(&out), 200, "{out}");
    let absolute = post("Connection: close\r\n").replacen(
        "POST /v1/oauth2/token",
        &format!("POST http://{addr}/v1/oauth2/token"),
        1,
    );
    let out = raw_exchange(addr, absolute.as_bytes());
    assert_eq!(status_of(&out), 200, "{out}");
    assert_eq!(up.seen().len(), 2);
}

#[test]
fn smuggling_shapes_are_refused_without_reaching_the_upstream() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    let cases = [
        // Content-Length and Transfer-Encoding together.
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
        // Two different lengths.
        format!(
            "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: {}\r\n\r\n{FORM}",
            FORM.len()
        ),
        // Not a plain number.
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: +12\r\n\r\nabc".to_owned(),
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\na".to_owned(),
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n".to_owned(),
        // An unknown transfer coding.
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"
            .to_owned(),
        // A bare LF inside a header line, and a space before the colon.
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nX-A: b\rX-B: c\r\n\r\n".to_owned(),
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc".to_owned(),
    ];
    for case in cases {
        let out = raw_exchange(addr, case.as_bytes());
        let status = status_of(&out);
        assert!(
            (400..500).contains(&status) || (out.is_empty()),
            "{case:?} got {status}: {out}"
        );
        assert!(
            !out.contains("\"tok\""),
            "{case:?} reached the upstream: {out}"
        );
    }
    assert!(up.seen().is_empty(), "{:?}", up.seen());
}

#[test]
fn malformed_heads_get_400_and_the_server_stays_up() {
    let up = token_upstream();
    let (_n, addr) = start(&up);
    for case in [
        &b"GARBAGE\r\n\r\n"[..],
        b"POST /v1/oauth2/token HTTP/9.9\r\n\r\n",
        b"POST /v1/\x01token HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/oauth2/token HTTP/1.1\r\nBad Header\r\n\r\n",
        b"\xff\xfe\r\n\r\n",
    ] {
        let out = raw_exchange(addr, case);
        assert_eq!(
            status_of(&out),
            400,
            "{:?}: {out}",
            String::from_utf8_lossy(case)
        );
        assert!(out.contains("application/problem+json"), "{out}");
    }
    let out = raw_exchange(addr, post("Connection: close\r\n").as_bytes());
    assert_eq!(status_of(&out), 200, "{out}");
}
