//! Fault injection: `naftiko run capabilities/oauth2-tokens.yaml` (the real binary) against
//! upstreams that misbehave at the TCP and HTTP level. Each fault must become a
//! `application/problem+json` answer with the documented status and problem `type`, the
//! process must stay up and keep answering good requests, and its memory must not grow with
//! the number of faults.
//!
//! Most faults cannot be produced by the axum-based `Upstream` of `common::serve`, so this file
//! has its own raw upstream: a `std::net::TcpListener` on 127.0.0.1 answering each connection
//! from a closure that gets the raw `TcpStream`. The faulty upstream built on it answers each
//! request according to a shared [`Mode`] the test sets before sending the request (requests
//! are sent one at a time, so there is no race).
//!
//! No assertion depends on timing: the timeouts below only turn hangs into failures.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::serve::{Naftiko, client, dead_address, post_seed_form};
use serde_json::{Value, json};

/// How long a held connection waits for its peer before giving up (a hang guard only).
const HOLD: Duration = Duration::from_secs(30);

/// The token the well-behaved mode answers.
const GOOD_TOKEN: &str = "eyJ.good.token";

/// Size of the large answers: 10 MB.
const HUGE: usize = 10_000_000;

// ---------------------------------------------------------------------------------------------
// A raw loopback upstream
// ---------------------------------------------------------------------------------------------

/// A TCP server on 127.0.0.1:0 that hands every accepted connection, on its own thread, to a
/// closure. Stops accepting when dropped.
struct RawUpstream {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl RawUpstream {
    fn start(answer: impl Fn(TcpStream) + Send + Sync + 'static) -> RawUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let answer = answer.clone();
                std::thread::spawn(move || answer(stream));
            }
        });
        RawUpstream { addr, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RawUpstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// How the faulty upstream answers the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// 200 with the token as JSON; the connection is kept alive.
    Good,
    /// Closes each new connection as soon as it is accepted, before reading anything.
    CloseOnAccept,
    /// Reads the request, then closes the connection without answering (FIN).
    Close,
    /// A head announcing `Content-Length: 1000`, 10 bytes of body, then a clean close (FIN).
    Truncated,
    /// A head announcing `Content-Length: 1000`, 10 bytes of body, then a reset (RST, via
    /// `SO_LINGER` 0).
    Reset,
    /// Bytes that are not HTTP at all, then a close.
    Garbage,
    /// 200 `application/json` whose body is not JSON.
    InvalidJson,
    /// 200 with a 10 MB JSON body (with the token) and a `Content-Length`.
    Huge,
    /// 200 with a 10 MB JSON body (with the token), chunked: no `Content-Length` to check first.
    HugeChunked,
    /// Reads the request and never answers (holds the connection until the peer closes it).
    Hang,
    /// A head announcing 100 bytes, 10 of them, then nothing more (held like `Hang`).
    SlowBody,
    /// This status with an HTML body.
    Html(u16),
    /// 200 `application/json` nested 100 000 levels deep.
    DeepJson,
    /// 200 with `expires_in` that is not an integer.
    WrongType,
    /// 200 with `Content-Length: 0`.
    Empty,
    /// A head of 500 header fields.
    ManyHeaders,
    /// A 2 MB header field.
    HugeHeader,
    /// A chunked body whose chunk size is not hexadecimal.
    BadChunk,
    /// `100 Continue` before the good answer.
    Continue,
    /// The good answer without `Content-Length`, delimited by closing the connection.
    UntilClose,
    /// `307` to `/again`, where the good answer is (were it followed).
    Redirect,
    /// `302` to itself, forever.
    RedirectLoop,
}

/// A [`RawUpstream`] answering every request according to a shared, switchable [`Mode`].
struct Faulty {
    raw: RawUpstream,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<AtomicUsize>,
    released: Arc<AtomicUsize>,
}

impl Faulty {
    fn start() -> Faulty {
        let mode = Arc::new(Mutex::new(Mode::Good));
        let requests = Arc::new(AtomicUsize::new(0));
        let released = Arc::new(AtomicUsize::new(0));
        let (m, r, f) = (mode.clone(), requests.clone(), released.clone());
        let raw = RawUpstream::start(move |stream| serve_connection(stream, &m, &r, &f));
        Faulty {
            raw,
            mode,
            requests,
            released,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn url(&self) -> String {
        self.raw.url()
    }

    /// Contacts so far: whole requests read, plus connections dropped on accept
    /// ([`Mode::CloseOnAccept`]).
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Held connections ([`Mode::Hang`], [`Mode::SlowBody`]) that have since ended, normally
    /// because naftiko closed them.
    fn released(&self) -> usize {
        self.released.load(Ordering::SeqCst)
    }
}

/// Serves requests on one connection until a mode closes it or the peer goes away.
fn serve_connection(
    mut stream: TcpStream,
    mode: &Mutex<Mode>,
    requests: &AtomicUsize,
    released: &AtomicUsize,
) {
    if *mode.lock().unwrap() == Mode::CloseOnAccept {
        requests.fetch_add(1, Ordering::SeqCst);
        return;
    }
    let _ = stream.set_read_timeout(Some(HOLD));
    let _ = stream.set_write_timeout(Some(HOLD));
    let mut pending = Vec::new();
    while let Some(target) = read_request(&mut stream, &mut pending) {
        requests.fetch_add(1, Ordering::SeqCst);
        let mut current = *mode.lock().unwrap();
        if current == Mode::Redirect && target == "/again" {
            current = Mode::Good;
        }
        if !answer(&mut stream, current) {
            if matches!(current, Mode::Hang | Mode::SlowBody) {
                released.fetch_add(1, Ordering::SeqCst);
            }
            return;
        }
    }
}

/// Reads one whole request (head and `Content-Length` body) off `stream` and returns its
/// target; bytes read past it stay in `pending`. `None` at end of stream or on an error.
fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(pending, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length = head
                .to_ascii_lowercase()
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                pending.drain(..end + 4 + length);
                return Some(head.split(' ').nth(1).unwrap_or_default().to_owned());
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `HTTP/1.1 status` with a body and its length.
fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body).is_ok()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        307 => "Temporary Redirect",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// Waits until the peer closes the connection (or [`HOLD`] passes).
fn hold(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// A 10 MB JSON document carrying a usable token.
fn huge_body() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let start = br#"{"access_token":"big-token","expires_in":3600,"pad":""#;
        let end = br#""}"#;
        let mut body = start.to_vec();
        body.resize(HUGE - end.len(), b'x');
        body.extend_from_slice(end);
        assert_eq!(body.len(), HUGE);
        body
    })
}

/// The well-behaved answer's body.
fn good_body() -> String {
    json!({"access_token": GOOD_TOKEN, "expires_in": 3600, "token_type": "Bearer"}).to_string()
}

/// Writes a head, a blank line and a body, then says whether the connection lives on.
fn write_raw(stream: &mut TcpStream, head: &str, body: &[u8], keep: bool) -> bool {
    let sent = stream.write_all(head.as_bytes()).is_ok()
        && stream.write_all(b"\r\n").is_ok()
        && stream.write_all(body).is_ok();
    sent && keep
}

/// A redirect to `path` on this same upstream.
fn redirect(stream: &mut TcpStream, status: u16, path: &str) -> bool {
    let location = format!("http://{}{path}", stream.local_addr().unwrap());
    let head = format!(
        "HTTP/1.1 {status} {}\r\nLocation: {location}\r\nContent-Length: 0\r\n",
        reason(status)
    );
    write_raw(stream, &head, b"", true)
}

/// Answers one request the way `mode` says; false when the connection is finished.
fn answer(stream: &mut TcpStream, mode: Mode) -> bool {
    let truncated_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"access_t";
    match mode {
        Mode::Good => respond(stream, 200, "application/json", good_body().as_bytes()),
        Mode::CloseOnAccept | Mode::Close => false,
        Mode::Truncated => {
            let _ = stream.write_all(truncated_head.as_bytes());
            let _ = stream.flush();
            false
        }
        Mode::Reset => {
            let _ = stream.write_all(truncated_head.as_bytes());
            let _ = stream.flush();
            // Let the head and the 10 bytes reach naftiko so that the reset comes mid-body.
            std::thread::sleep(Duration::from_millis(50));
            let socket = tokio::net::TcpSocket::from_std_stream(stream.try_clone().unwrap());
            socket.set_zero_linger().unwrap();
            // Dropping the last descriptor with SO_LINGER 0 sends RST.
            drop(socket);
            false
        }
        Mode::Garbage => {
            let _ = stream
                .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02\xff this is not HTTP\r\n\r\n");
            false
        }
        Mode::InvalidJson => respond(
            stream,
            200,
            "application/json",
            br#"{"access_token": "tok", "expires_in": 3600, oops"#,
        ),
        Mode::Huge => respond(stream, 200, "application/json", huge_body()),
        Mode::HugeChunked => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return false;
            }
            for part in huge_body().chunks(64 * 1024) {
                let size = format!("{:x}\r\n", part.len());
                if stream.write_all(size.as_bytes()).is_err()
                    || stream.write_all(part).is_err()
                    || stream.write_all(b"\r\n").is_err()
                {
                    return false;
                }
            }
            stream.write_all(b"0\r\n\r\n").is_ok()
        }
        Mode::Hang => {
            hold(stream);
            false
        }
        Mode::SlowBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_t";
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.flush();
            hold(stream);
            false
        }
        Mode::Html(status) => respond(
            stream,
            status,
            "text/html; charset=utf-8",
            format!(
                "<!DOCTYPE html><html><head><title>{status}</title></head>\
                 <body><h1>{status} {}</h1><p>nginx</p></body></html>",
                reason(status)
            )
            .as_bytes(),
        ),
        Mode::DeepJson => respond(
            stream,
            200,
            "application/json",
            "[".repeat(100_000).as_bytes(),
        ),
        Mode::WrongType => respond(
            stream,
            200,
            "application/json",
            br#"{"access_token": "tok", "expires_in": "soon"}"#,
        ),
        Mode::Empty => respond(stream, 200, "application/json", b""),
        Mode::ManyHeaders => {
            let mut head = String::from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
            for i in 0..500 {
                head.push_str(&format!("X-Header-{i}: {i}\r\n"));
            }
            let body = good_body();
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            write_raw(stream, &head, body.as_bytes(), false)
        }
        Mode::HugeHeader => {
            let body = good_body();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Big: {}\r\nContent-Length: {}\r\n",
                "a".repeat(2_000_000),
                body.len()
            );
            write_raw(stream, &head, body.as_bytes(), false)
        }
        Mode::BadChunk => write_raw(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
            b"zz\r\n{\"a\":1}\r\n0\r\n\r\n",
            false,
        ),
        Mode::Continue => {
            let body = good_body();
            let head = format!(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
            write_raw(stream, &head, body.as_bytes(), true)
        }
        Mode::UntilClose => write_raw(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
            good_body().as_bytes(),
            false,
        ),
        Mode::Redirect => redirect(stream, 307, "/again"),
        Mode::RedirectLoop => redirect(stream, 302, "/loop"),
    }
}

// ---------------------------------------------------------------------------------------------
// naftiko and its answers
// ---------------------------------------------------------------------------------------------

/// How naftiko is configured to reach its upstreams. With a proxy variable set, naftiko uses
/// its general client (reqwest); without, `http://` upstreams take its h1 client. Both
/// must behave the same, so the fault tables run under both.
#[derive(Debug, Clone, Copy)]
enum Clients {
    /// No proxy variable: the h1 client.
    H1,
    /// `HTTP_PROXY` names a dead loopback proxy and `NO_PROXY` exempts 127.0.0.1, so requests
    /// still go straight to the upstream, through the proxy-aware client.
    ProxyBypassed,
}

fn start(upstream: &str, extra: &[&str]) -> Naftiko {
    start_with(Clients::H1, upstream, extra)
}

fn start_with(clients: Clients, upstream: &str, extra: &[&str]) -> Naftiko {
    let owned = common::serve::seed_args(upstream, extra);
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    match clients {
        Clients::H1 => Naftiko::start(&args, &[]),
        Clients::ProxyBypassed => {
            let dead_proxy = dead_address();
            Naftiko::start(
                &args,
                &[
                    ("HTTP_PROXY", dead_proxy.as_str()),
                    ("NO_PROXY", "127.0.0.1,localhost"),
                ],
            )
        }
    }
}

/// One token request: status, `Content-Type`, body as JSON (`Null` when it is not JSON).
fn ask(n: &Naftiko) -> (u16, String, Value) {
    let r = post_seed_form(&client(), n, "id-1", "s3cr3t-1")
        .expect("naftiko answers (no dropped connection)");
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, content_type, body)
}

/// What naftiko must answer for a fault.
#[derive(Debug, Clone, Copy)]
struct Expect {
    status: u16,
    /// The problem kind (`type` is `urn:naftiko:problem:<kind>`).
    kind: &'static str,
    /// The `upstreamStatus` field, when the upstream answered with a status.
    upstream_status: Option<u16>,
}

const fn problem(status: u16, kind: &'static str) -> Expect {
    Expect {
        status,
        kind,
        upstream_status: None,
    }
}

/// Every way `answer` differs from `expect`, as text (empty when it matches).
fn mismatches(
    what: &str,
    (status, content_type, body): &(u16, String, Value),
    expect: Expect,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |ok: bool, field: &str, got: String| {
        if !ok {
            out.push(format!(
                "{what}: {field} was {got} (answer: {status} {body})"
            ));
        }
    };
    check(*status == expect.status, "status", status.to_string());
    check(
        content_type == "application/problem+json",
        "content-type",
        format!("{content_type:?}"),
    );
    check(
        body["type"] == format!("urn:naftiko:problem:{}", expect.kind),
        "type",
        body["type"].to_string(),
    );
    check(
        body["status"] == expect.status,
        "problem status",
        body["status"].to_string(),
    );
    check(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail",
        body["detail"].to_string(),
    );
    if expect.kind.starts_with("upstream-") {
        check(
            body["upstream"] == "oauth2-tokens",
            "upstream",
            body["upstream"].to_string(),
        );
    }
    if let Some(s) = expect.upstream_status {
        check(
            body["upstreamStatus"] == s,
            "upstreamStatus",
            body["upstreamStatus"].to_string(),
        );
    }
    out
}

fn assert_good(answer: &(u16, String, Value), token: &str) {
    let (status, content_type, body) = answer;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(*body, json!({"access_token": token, "expires_in": 3600}));
}

fn assert_no_panic(n: &Naftiko) {
    let logs = n.logs();
    assert!(!logs.contains("panicked"), "naftiko panicked:\n{logs}");
}

/// The faults one naftiko (`--max-upstream-body 1MiB --upstream-timeout 500ms`) meets in
/// turn, with the answer each must get.
fn fault_table() -> Vec<(Mode, Expect)> {
    let unreachable = problem(502, "upstream-unreachable");
    let invalid_body = problem(502, "upstream-invalid-body");
    let timeout = problem(504, "upstream-timeout");
    let status = |s| Expect {
        upstream_status: Some(s),
        ..problem(502, "upstream-error")
    };
    vec![
        (Mode::Close, unreachable),
        // After `Close` nothing is pooled, so this one meets a new connection.
        (Mode::CloseOnAccept, unreachable),
        (Mode::Truncated, unreachable),
        (Mode::Reset, unreachable),
        (Mode::Garbage, unreachable),
        (Mode::InvalidJson, invalid_body),
        (Mode::DeepJson, invalid_body),
        (Mode::Huge, invalid_body),
        (Mode::HugeChunked, invalid_body),
        (Mode::Hang, timeout),
        (Mode::SlowBody, timeout),
        (Mode::Html(500), status(500)),
        (Mode::Html(503), status(503)),
        (Mode::WrongType, problem(502, "output-mapping")),
        (Mode::ManyHeaders, unreachable),
        (Mode::HugeHeader, unreachable),
        (Mode::BadChunk, unreachable),
    ]
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn a_refused_connection_is_a_502_unreachable_problem() {
    let n = start(&dead_address(), &[]);
    let answer = ask(&n);
    let bad = mismatches("refused", &answer, problem(502, "upstream-unreachable"));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Asking again: the failure is not cached and the process is still up.
    let bad = mismatches(
        "refused again",
        &ask(&n),
        problem(502, "upstream-unreachable"),
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_no_panic(&n);
}

#[test]
fn every_upstream_fault_is_a_problem_and_a_good_request_still_works_after_them() {
    faults_then_a_good_request(Clients::H1);
}

#[test]
fn every_upstream_fault_is_a_problem_with_the_proxy_aware_client_too() {
    faults_then_a_good_request(Clients::ProxyBypassed);
}

fn faults_then_a_good_request(clients: Clients) {
    let up = Faulty::start();
    let n = start_with(
        clients,
        &up.url(),
        &["--max-upstream-body", "1MiB", "--upstream-timeout", "500ms"],
    );
    up.set(Mode::Good);
    assert_good(&ask(&n), GOOD_TOKEN);

    // Every fault is asked about even when an earlier one was answered wrongly, so that one
    // run reports every mismatch.
    let mut bad = Vec::new();
    for (mode, expect) in fault_table() {
        up.set(mode);
        let before = up.requests();
        let answer = ask(&n);
        println!(
            "{clients:?} {mode:?}: {} {} (upstream saw {} request(s))",
            answer.0,
            answer.2,
            up.requests() - before
        );
        if up.requests() == before {
            bad.push(format!("{mode:?}: the request never reached the upstream"));
        }
        bad.extend(mismatches(&format!("{mode:?}"), &answer, expect));
    }

    up.set(Mode::Good);
    let after = ask(&n);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_good(&after, GOOD_TOKEN);
    assert_no_panic(&n);
}

/// An empty 200 is not JSON: with outputs to fill, it is the documented "not the declared
/// format" 502, not a token of nulls.
#[test]
fn an_empty_200_is_not_json_so_a_502_not_a_token_of_nulls() {
    let up = Faulty::start();
    let n = start(&up.url(), &[]);
    up.set(Mode::Empty);
    let answer = ask(&n);
    let bad = mismatches("Empty", &answer, problem(502, "upstream-invalid-body"));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Answers that are unusual but valid HTTP are served: `100 Continue` first, and a body
/// delimited by the end of the connection.
#[test]
fn unusual_but_valid_answers_are_served() {
    let mut bad = Vec::new();
    for clients in [Clients::H1, Clients::ProxyBypassed] {
        let up = Faulty::start();
        let n = start_with(clients, &up.url(), &[]);
        for mode in [Mode::Continue, Mode::UntilClose] {
            up.set(mode);
            let before = up.requests();
            let (status, content_type, body) = ask(&n);
            let seen = up.requests() - before;
            println!("{clients:?} {mode:?}: {status} {body} (upstream saw {seen} request(s))");
            if status != 200
                || content_type != "application/json"
                || body != json!({"access_token": GOOD_TOKEN, "expires_in": 3600})
                || seen != 1
            {
                bad.push(format!(
                    "{clients:?} {mode:?}: {status} {content_type:?} {body}, upstream saw {seen} \
                     request(s), expected 200 with the token after 1"
                ));
            }
        }
        assert_no_panic(&n);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Redirects are not followed (docs/run.md, "3xx: the same status, body and `Location`"), so an
/// upstream redirecting to itself forever costs one upstream request, on both client paths.
#[test]
fn a_redirect_loop_costs_one_request_and_passes_through() {
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .unwrap();
    let mut bad = Vec::new();
    for clients in [Clients::H1, Clients::ProxyBypassed] {
        let up = Faulty::start();
        let n = start_with(clients, &up.url(), &[]);
        for (mode, status, path) in [
            (Mode::RedirectLoop, 302, "/loop"),
            (Mode::Redirect, 307, "/again"),
        ] {
            up.set(mode);
            let before = up.requests();
            let r = post_seed_form(&no_redirects, &n, "id-1", "s3cr3t-1").unwrap();
            let seen = up.requests() - before;
            let location = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            let got = r.status().as_u16();
            println!("{clients:?} {mode:?}: {got} location {location:?} (upstream saw {seen})");
            let expected = format!("{}{path}", up.url());
            if got != status || location.as_deref() != Some(expected.as_str()) || seen != 1 {
                bad.push(format!(
                    "{clients:?} {mode:?}: {got} with location {location:?} after {seen} upstream \
                     request(s); expected {status} with location {expected} after 1"
                ));
            }
        }
        up.set(Mode::Good);
        assert_good(&ask(&n), GOOD_TOKEN);
        assert_no_panic(&n);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Documents what happens to a 10 MB answer **within** the limit (default
/// `--max-upstream-body 16MiB`) when the operation has outputs: it is read, parsed and shaped,
/// and the caller gets 200 with the two mapped fields.
#[test]
fn a_10_mb_answer_within_the_limit_is_read_and_shaped_into_a_200() {
    let up = Faulty::start();
    let n = start(&up.url(), &[]);
    for mode in [Mode::Huge, Mode::HugeChunked] {
        up.set(mode);
        assert_good(&ask(&n), "big-token");
    }
    up.set(Mode::Good);
    assert_good(&ask(&n), GOOD_TOKEN);
    assert_no_panic(&n);
}

/// A caller that gives up while the upstream has not answered yet: naftiko cancels the upstream
/// call (it closes that connection), and the request must still leave its trace: docs/run.md
/// promises "one access line per request", and `naftiko_upstream_requests_total` counts "calls to
/// consumed APIs".
#[test]
fn a_caller_that_gives_up_still_gets_an_access_line_and_its_upstream_call_counted() {
    let up = Faulty::start();
    up.set(Mode::Hang);
    let n = start(
        &up.url(),
        &[
            "--upstream-timeout",
            "20s",
            "--log-format",
            "json",
            "--control",
            "127.0.0.1:0",
        ],
    );
    let control = n
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("control"))
        .map(|(_, addr)| format!("http://{addr}"))
        .expect("a control listener");
    let impatient = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(300))
        .no_proxy()
        .build()
        .unwrap();
    let gave_up = post_seed_form(&impatient, &n, "id-1", "s3cr3t-1");
    assert!(gave_up.is_err(), "the upstream never answers");
    // Wait (hang guard only) until naftiko has closed the upstream connection: the request is
    // over on its side.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while up.released() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(up.requests(), 1);
    assert_eq!(up.released(), 1, "naftiko closed the upstream connection");
    let metrics = client()
        .get(format!("{control}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let (_, logs) = n.stop();
    let access = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "naftiko::access")
        .count();
    let upstream_calls = metrics
        .lines()
        .filter(|l| l.starts_with("naftiko_upstream_requests_total{"))
        .count();
    let mut bad = Vec::new();
    if access != 1 {
        bad.push(format!(
            "{access} access line(s) for the abandoned request, expected 1"
        ));
    }
    if upstream_calls == 0 {
        bad.push("no naftiko_upstream_requests_total sample for the upstream call".to_owned());
    }
    assert!(
        bad.is_empty(),
        "{}\n--- metrics ---\n{metrics}\n--- logs ---\n{logs}",
        bad.join("\n")
    );
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    common::serve::status_kib(pid, "VmRSS")
}

#[test]
fn memory_does_not_grow_with_faulty_requests() {
    memory_after_faults(Clients::H1);
}

#[test]
fn memory_does_not_grow_with_faulty_requests_on_the_proxy_aware_client() {
    memory_after_faults(Clients::ProxyBypassed);
}

fn memory_after_faults(clients: Clients) {
    const WARM_UP: usize = 50;
    const FAULTS: usize = 300;
    // The bound on VmRSS growth over the FAULTS requests comes from measurement (2026-12-06):
    // 54 runs of these two tests on the debug binary they start (27 per client: 12 of
    // tests/run_faults.rs alone before the tests became one binary, 12 of the two tests alone
    // and 3 of the whole `it` binary after; the growth each run prints below). The process
    // sat at 27.9-33.1 MiB (H1) and 33.9-39.8 MiB (ProxyBypassed) VmRSS after the faults;
    // the growth was -3.0 to 7.6 MiB (mean 0.9) for H1 and 1.9 to 10.1 MiB (mean 4.7) for
    // ProxyBypassed, the largest runs being those whose warm-up left RSS low. The bound is the
    // maximum, 10,336 KiB, times 1.5: 15,504 KiB. Not max + 2 MiB: the top sample is 1.5x the
    // next (6,888 KiB), so the tail is not known more tightly than that. A leak of about
    // 50 KiB per fault (15 MiB over 300) fails it.
    const MEASURED_MAX_GROWTH_KIB: u64 = 10_336;
    const BOUND_KIB: u64 = MEASURED_MAX_GROWTH_KIB * 3 / 2;
    // Mixed kinds; the slow ones (timeouts, 500 ms each) only now and then.
    let kinds = [
        Mode::Close,
        Mode::CloseOnAccept,
        Mode::Truncated,
        Mode::Reset,
        Mode::Garbage,
        Mode::InvalidJson,
        Mode::HugeChunked,
        Mode::Huge,
        Mode::Html(500),
        Mode::Html(503),
        Mode::DeepJson,
        Mode::WrongType,
    ];
    let up = Faulty::start();
    let n = start_with(
        clients,
        &up.url(),
        &["--max-upstream-body", "1MiB", "--upstream-timeout", "500ms"],
    );
    let run = |count: usize| {
        for i in 0..count {
            let mode = match i {
                i if i % 25 == 24 => Mode::Hang,
                i if i % 25 == 12 => Mode::SlowBody,
                i => kinds[i % kinds.len()],
            };
            up.set(mode);
            let (status, content_type, body) = ask(&n);
            assert!(
                matches!(status, 502 | 504) && content_type == "application/problem+json",
                "{mode:?}: {status} {content_type} {body}"
            );
        }
    };
    run(WARM_UP);
    let before = rss_kib(n.pid());
    run(FAULTS);
    let after = rss_kib(n.pid());
    println!(
        "{clients:?}: naftiko VmRSS: {before} KiB after {WARM_UP} warm-up faults, {after} KiB after {FAULTS} more \
         (growth {} KiB, bound {BOUND_KIB} KiB)",
        after as i64 - before as i64
    );
    assert!(
        after < before + BOUND_KIB,
        "RSS grew from {before} KiB to {after} KiB over {FAULTS} faulty requests"
    );
    up.set(Mode::Good);
    assert_good(&ask(&n), GOOD_TOKEN);
    assert_no_panic(&n);
}
