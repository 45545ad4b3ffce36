//! The HTTP/1.1 wire rules (`crates/naftiko-http1`) where they met the outside, over raw
//! sockets against the real binary: three defects a differential test against hyper 1.12
//! and nginx found, and the upstream head limit.
//!
//! - A malformed chunked request body is 400 naming the framing error, not 413.
//! - Pipelined requests followed by a half-close are all answered.
//! - An upstream's chunked answer framed with bare LFs on a kept-open connection fails at
//!   once (502), not after `--upstream-timeout` (504).
//! - An upstream answer head over 64 KiB is refused whether it arrives at once or not.

use crate::common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::serve::{RAW_GUARD, Reply, Upstream, raw_exchange, start_seed, status_of};
use serde_json::json;

const FORM: &str = "grant_type=client_credentials&client_id=demo&client_secret=s3cret";

fn token_upstream() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"access_token": "tok", "expires_in": 60})))
}

/// A POST to the seed route with a chunked body written as `chunks`.
fn chunked_post(chunks: &str) -> String {
    format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunks}"
    )
}

#[test]
fn malformed_chunked_request_bodies_are_400_naming_the_framing_error() {
    let up = token_upstream();
    let n = start_seed(&up.url(), &[]);
    let addr = n.listeners[0].1;
    let extension = "e".repeat(20_000);
    let cases = [
        (
            "a size that is not hex",
            "0x3a\r\nabc\r\n0\r\n\r\n".to_owned(),
        ),
        ("a bare-LF chunk line", "3\nabc\r\n0\r\n\r\n".to_owned()),
        ("data without its CRLF", "3\r\nabcX0\r\n\r\n".to_owned()),
        (
            "a trailer without a colon",
            "3\r\nabc\r\n0\r\nno-colon\r\n\r\n".to_owned(),
        ),
        (
            "a 20 KB chunk extension",
            format!("3;{extension}\r\nabc\r\n0\r\n\r\n"),
        ),
    ];
    for (what, chunks) in cases {
        let out = raw_exchange(addr, chunked_post(&chunks).as_bytes());
        assert_eq!(status_of(&out), 400, "{what}: {out}");
        assert!(out.contains("application/problem+json"), "{what}: {out}");
        assert!(
            out.contains("malformed"),
            "{what}: the detail names it: {out}"
        );
        assert!(!out.contains("larger than"), "{what}: {out}");
    }
    // A well-formed chunked body still works, and one over the limit is still 413.
    let good = format!("{:x}\r\n{FORM}\r\n0\r\n\r\n", FORM.len());
    let out = raw_exchange(addr, chunked_post(&good).as_bytes());
    assert_eq!(status_of(&out), 200, "{out}");
    let big = "a".repeat(2 * 1024 * 1024);
    let out = raw_exchange(
        addr,
        chunked_post(&format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len())).as_bytes(),
    );
    assert_eq!(status_of(&out), 413, "{}", &out[..out.len().min(300)]);
    assert_eq!(
        up.seen().len(),
        1,
        "only the good body reached the upstream"
    );
}

#[test]
fn pipelined_requests_then_a_half_close_are_all_answered() {
    let up = token_upstream();
    let n = start_seed(&up.url(), &[]);
    let addr = n.listeners[0].1;
    let one = format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{FORM}",
        FORM.len()
    );
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s.write_all(format!("{one}{one}").as_bytes()).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    assert_eq!(out.matches("\"tok\"").count(), 2, "{out}");
    assert_eq!(up.seen().len(), 2);
}

/// Sends `requests` at once on one connection, half-closes after `delay`, and reads every
/// answer until the server closes.
fn pipelined_then_half_closed(addr: SocketAddr, requests: &str, delay: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s.write_all(requests.as_bytes()).unwrap();
    std::thread::sleep(delay);
    s.shutdown(Shutdown::Write).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Answers that need no upstream (404, 405) are ready at once, whatever the order in which
/// the loop notices the half-close; a half-close that comes later is still one.
#[test]
fn pipelined_quick_answers_and_a_late_half_close_are_all_answered() {
    let up = token_upstream();
    let n = start_seed(&up.url(), &[]);
    let addr = n.listeners[0].1;
    let not_found = "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n";
    let wrong_method = "GET /v1/oauth2/token HTTP/1.1\r\nHost: x\r\n\r\n";
    for _ in 0..20 {
        let out = pipelined_then_half_closed(
            addr,
            &format!("{not_found}{wrong_method}{not_found}"),
            Duration::ZERO,
        );
        assert_eq!(out.matches("HTTP/1.1 404").count(), 2, "{out}");
        assert_eq!(out.matches("HTTP/1.1 405").count(), 1, "{out}");
    }
    let one = format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{FORM}",
        FORM.len()
    );
    for delay in [5, 50] {
        let out =
            pipelined_then_half_closed(addr, &format!("{one}{one}"), Duration::from_millis(delay));
        assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    }
}

/// A loopback upstream that answers every request on a connection with `answer` and keeps
/// the connection open.
fn raw_upstream(answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 || conn.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The seed's answer to one form POST through an upstream that answers `answer`, with an
/// upstream timeout far longer than the test's guard.
fn through(answer: Vec<u8>) -> String {
    let upstream = raw_upstream(answer);
    let n = start_seed(
        &format!("http://{upstream}"),
        &["--upstream-timeout", "600s"],
    );
    let addr = n.listeners[0].1;
    let request = format!(
        "POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{FORM}",
        FORM.len()
    );
    raw_exchange(addr, request.as_bytes())
}

#[test]
fn a_bare_lf_chunked_upstream_answer_fails_at_once() {
    let body = r#"{"access_token":"tok","expires_in":60,"pad":"0123"}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\n{body}\n0\n\n",
        body.len()
    );
    // With the old decoder this waited for a CRLF until --upstream-timeout (600 s here):
    // the guard of `raw_exchange` would end the read with no answer.
    let out = through(answer.into_bytes());
    assert_eq!(status_of(&out), 502, "{out}");
    assert!(out.contains("upstream-unreachable"), "{out}");
    assert!(out.contains("bare LF"), "the detail says why: {out}");
}

#[test]
fn an_upstream_head_over_the_limit_is_refused_even_when_it_arrives_at_once() {
    let mut answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n".to_vec();
    // Few headers (the count limit is 100), long values: 130 KB in all.
    for i in 0..3 {
        answer.extend_from_slice(format!("x-filler-{i}: {}\r\n", "a".repeat(45_000)).as_bytes());
    }
    let body = br#"{"access_token":"tok","expires_in":60}"#;
    answer.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    answer.extend_from_slice(body);
    let out = through(answer);
    assert_eq!(status_of(&out), 502, "{out}");
    assert!(out.contains("larger than 65536 bytes"), "{out}");
}
