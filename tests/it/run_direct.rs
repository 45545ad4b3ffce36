//! The direct path gives the same answers as the general path, end to end: the real binary
//! is started twice on the seed capability against one loopback upstream, once as is (its
//! token operation has a direct plan) and once with `--general-path`, and every request is
//! sent to both in turn. For every request variant (content types, field orders, encodings,
//! requests the plan must decline) and every upstream answer (extra, reordered, escaped and
//! mistyped fields, non-JSON, empty, error statuses, passed-on headers) the two answers must
//! match byte for byte (status line, every header but `Date`, in order, and the body), the
//! upstream must have received the same requests (method, target, headers, body), and the
//! access and error log lines must match. Every request carries the same `traceparent` and
//! `X-Request-Id`, so both paths send the same trace and request ids upstream; only the
//! span id of each upstream call's `traceparent` is new every time (and masked here).
//!
//! Each comparison runs twice: with the upstream on `http://`, and behind an HTTPS front
//! (`common::tls_front`, a private CA passed with `--ca-bundle`): HTTPS upstreams take the
//! direct path too.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::answer::{Answer, exchange};
use common::serve::{Naftiko, Reply, Seen, Upstream, capability_args, client, seed_args};
use common::tls_front::{AfterAnswer, TlsFront};
use serde_json::Value;

const ROUTE: &str = "/v1/oauth2/token";
const FORM: &str = "application/x-www-form-urlencoded";
const GOOD: &str = "grant_type=client_credentials&client_id=id-1&client_secret=s3cr3t-1";
const TOKEN: &str =
    r#"{"access_token":"eyJ.upstream.token","expires_in":3600,"token_type":"Bearer"}"#;
/// The items fixture's API key, and an upstream item document.
const ITEMS_KEY: &str = "items-key-5e1d";
const ITEM: &str = r#"{"item":{"id":"a1","name":"Item a1","owner":{"login":"o"}},"related":[{"id":"r1"},{"id":"r2","x":[1,{"y":null}]}],"meta":{"q":"x"}}"#;
/// The trace context and request id every request of these tests carries.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const REQUEST_ID: &str = "direct-vs-general";

/// How the seed reaches the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Http,
    Https,
}

/// One upstream whose answer is chosen by the test, and two instances of the seed on it.
struct Pair {
    up: Upstream,
    /// The HTTPS front to the upstream and its certificates' directory, when over HTTPS.
    _front: Option<(TlsFront, common::Scratch)>,
    mode: Arc<Mutex<Reply>>,
    direct: Naftiko,
    general: Naftiko,
    /// Cases run so far (for the log comparison).
    cases: usize,
    /// Every difference found, described.
    diffs: Vec<String>,
}

/// Which capability a [`Pair`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serving {
    /// The seed: a form passed on to a token endpoint.
    Seed,
    /// `tests/fixtures/run/direct-items.yaml`: path and query parameters, an API key.
    Items,
    /// `tests/fixtures/run/direct-orders.yaml`: a JSON body into a JSON body template.
    Orders,
}

impl Serving {
    /// `naftiko run`'s arguments for an upstream at `base`, and its environment.
    fn args(self, base: &str, extra: &[&str]) -> (Vec<String>, Vec<(&'static str, &'static str)>) {
        match self {
            Serving::Seed => (seed_args(base, extra), Vec::new()),
            Serving::Items => (
                capability_args(
                    "tests/fixtures/run/direct-items.yaml",
                    "items",
                    "items-rest",
                    base,
                    extra,
                ),
                vec![("DIRECT_ITEMS_KEY", ITEMS_KEY)],
            ),
            Serving::Orders => (
                capability_args(
                    "tests/fixtures/run/direct-orders.yaml",
                    "orders",
                    "orders-rest",
                    base,
                    extra,
                ),
                Vec::new(),
            ),
        }
    }

    /// What the upstream answers by default.
    fn answer(self) -> Reply {
        match self {
            Serving::Seed => token(),
            Serving::Items => Reply::raw(200, "application/json", ITEM),
            Serving::Orders => Reply::raw(
                201,
                "application/json",
                r#"{"order":{"id":"o-1","total":{"amount":19.99}}}"#,
            ),
        }
    }
}

impl Pair {
    /// The pair on the seed, or `None` (skipped) over HTTPS without the Python venv for
    /// certificates.
    fn start(over: Over) -> Option<Pair> {
        Pair::start_on(over, Serving::Seed)
    }

    /// The pair on `serving`'s capability.
    fn start_on(over: Over, serving: Serving) -> Option<Pair> {
        let mode = Arc::new(Mutex::new(serving.answer()));
        let script = mode.clone();
        let up = Upstream::start(move |_| script.lock().unwrap().clone());
        // The timeout only matters to the one slow answer below (a hang guard elsewhere).
        let mut extra = vec![
            "--log-format".to_owned(),
            "json".to_owned(),
            "--upstream-timeout".to_owned(),
            "2s".to_owned(),
        ];
        let (base, front) = match over {
            Over::Http => (up.url(), None),
            Over::Https => {
                let dir = common::Scratch::new("direct-https");
                let (ca, cert, key) = common::tls::certificates(dir.path(), "upstream")?;
                let front = TlsFront::start(&cert, &key, up.addr, AfterAnswer::Nothing);
                extra.push("--ca-bundle".to_owned());
                extra.push(ca.to_str().unwrap().to_owned());
                (front.url(), Some((front, dir)))
            }
        };
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let (owned, env) = serving.args(&base, &extra);
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        assert!(
            std::env::var_os("NAFTIKO_GENERAL_PATH").is_none(),
            "NAFTIKO_GENERAL_PATH is set: both instances would run the general path"
        );
        let direct = Naftiko::start(&args, &env);
        let mut general_args = args.clone();
        general_args.push("--general-path");
        let general = Naftiko::start(&general_args, &env);
        Some(Pair {
            up,
            _front: front,
            mode,
            direct,
            general,
            cases: 0,
            diffs: Vec::new(),
        })
    }

    /// Sets what the upstream answers from now on.
    fn answer(&self, reply: Reply) {
        *self.mode.lock().unwrap() = reply;
    }

    /// Sends `request` (raw bytes, `Connection: close`) to both instances, one after the
    /// other, and records every difference in the answers and in what the upstream saw.
    /// Returns the direct instance's answer and the requests the upstream got from it.
    fn check(&mut self, case: &str, request: &[u8]) -> (Answer, Vec<Seen>) {
        let before = self.up.seen().len();
        let a = exchange(self.direct.listeners[0].1, request);
        let between = self.up.seen().len();
        let b = exchange(self.general.listeners[0].1, request);
        let seen = self.up.seen();
        self.compare(case, &a, &b, &seen[before..between], &seen[between..]);
        (a, seen[before..between].to_vec())
    }

    /// Like [`Pair::check`] through reqwest (a pooled keep-alive client, as a user's).
    fn check_with_client(
        &mut self,
        case: &str,
        build: impl Fn(&str) -> reqwest::blocking::RequestBuilder,
    ) {
        let before = self.up.seen().len();
        let a = via_client(build(&self.direct.url()));
        let between = self.up.seen().len();
        let b = via_client(build(&self.general.url()));
        let seen = self.up.seen();
        self.compare(case, &a, &b, &seen[before..between], &seen[between..]);
    }

    fn compare(&mut self, case: &str, a: &Answer, b: &Answer, seen_a: &[Seen], seen_b: &[Seen]) {
        self.cases += 1;
        common::log_answer(&format!("{case}\n  direct:  {a}\n  general: {b}"));
        assert!(
            !a.status.is_empty() && !b.status.is_empty(),
            "{case}: no answer\ndirect: {a:?}\ngeneral: {b:?}"
        );
        if a != b {
            self.diffs.push(format!(
                "{case}: the answers differ\n  upstream answered: {:?}\n  direct:  {a}\n  general: {b}",
                self.mode.lock().unwrap().clone()
            ));
        }
        let ua: Vec<Upstreamed> = seen_a.iter().map(Upstreamed::of).collect();
        let ub: Vec<Upstreamed> = seen_b.iter().map(Upstreamed::of).collect();
        if ua != ub {
            self.diffs.push(format!(
                "{case}: the upstream requests differ\n  direct:  {ua:?}\n  general: {ub:?}"
            ));
        }
    }

    /// Stops both instances, compares their access and error lines, and fails with every
    /// difference found. Returns how many error lines each instance logged.
    fn finish(mut self) -> usize {
        let (code_a, logs_a) = self.direct.stop();
        let (code_b, logs_b) = self.general.stop();
        assert_eq!(code_a, 0, "{logs_a}");
        assert_eq!(code_b, 0, "{logs_b}");
        for logs in [&logs_a, &logs_b] {
            assert!(!logs.contains("panicked"), "naftiko panicked:\n{logs}");
        }
        let (access_a, errors_a) = log_lines(&logs_a);
        let (access_b, errors_b) = log_lines(&logs_b);
        assert_eq!(
            access_a.len(),
            self.cases,
            "one access line per request\n{logs_a}"
        );
        assert_eq!(
            access_b.len(),
            self.cases,
            "one access line per request\n{logs_b}"
        );
        for (i, (a, b)) in access_a.iter().zip(&access_b).enumerate() {
            if a != b {
                self.diffs.push(format!(
                    "access line {i} differs\n  direct:  {a}\n  general: {b}"
                ));
            }
        }
        if errors_a != errors_b {
            self.diffs.push(format!(
                "the error lines differ\n  direct:  {errors_a:#?}\n  general: {errors_b:#?}"
            ));
        }
        assert!(
            self.diffs.is_empty(),
            "{} difference(s) between the direct and the general path:\n\n{}",
            self.diffs.len(),
            self.diffs.join("\n\n")
        );
        errors_a.len()
    }
}

/// The default upstream answer: a token.
fn token() -> Reply {
    Reply::raw(200, "application/json", TOKEN)
}

/// A raw POST to the token route with `headers` (written as given) and `body`.
fn post(target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    raw("POST", target, headers, body)
}

/// A raw request with `headers` (written as given) and `body`.
fn raw(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "{method} {target} HTTP/1.1\r\nHost: naftiko.test\r\ntraceparent: {TRACEPARENT}\r\nX-Request-Id: {REQUEST_ID}\r\n"
    )
    .into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// A raw POST of `body` as `content_type` to the token route.
fn post_as(content_type: &str, body: &[u8]) -> Vec<u8> {
    post(ROUTE, &[("Content-Type", content_type.as_bytes())], body)
}

/// Sends a reqwest request; the answer as [`exchange`] gives it (headers lower-cased).
fn via_client(request: reqwest::blocking::RequestBuilder) -> Answer {
    let r = request.send().unwrap();
    let status = format!("{:?} {}", r.version(), r.status());
    let headers = r
        .headers()
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    let body = r.bytes().unwrap().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// What the upstream received, as compared: method, target, every header in order, body.
#[derive(Debug, PartialEq, Eq)]
struct Upstreamed {
    method: String,
    target: String,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    body: String,
}

impl Upstreamed {
    fn of(seen: &Seen) -> Upstreamed {
        Upstreamed {
            method: seen.method.clone(),
            target: seen.target.clone(),
            content_type: seen.header("content-type"),
            headers: seen
                .headers
                .iter()
                .map(|(k, v)| {
                    let mut v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    if k == "traceparent" {
                        v = mask_span_id(&v);
                    }
                    (k.as_str().to_owned(), v)
                })
                .collect(),
            body: seen.body.clone(),
        }
    }
}

/// A `traceparent` with its span id (new for every upstream call) masked; the caller's
/// trace id must be in it.
fn mask_span_id(value: &str) -> String {
    let fields: Vec<&str> = value.split('-').collect();
    assert_eq!(fields.len(), 4, "{value}");
    assert_eq!(
        fields[1],
        &TRACEPARENT[3..35],
        "the caller's trace id: {value}"
    );
    assert_ne!(
        fields[2],
        &TRACEPARENT[36..52],
        "a span id of naftiko's own: {value}"
    );
    format!("{}-{}-(span)-{}", fields[0], fields[1], fields[3])
}

/// The access lines (method, route, status, upstream status, message, request and trace
/// ids) and the error lines (every field but the timestamp) of JSON logs.
fn log_lines(logs: &str) -> (Vec<String>, Vec<String>) {
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    let access = lines
        .iter()
        .filter(|v| v["target"] == "naftiko::access")
        .map(|v| {
            format!(
                "{} {} {} {} {} {} {}",
                v["method"],
                v["route"],
                v["status"],
                v["upstream_status"],
                v["message"],
                v["request_id"],
                v["trace_id"]
            )
        })
        .collect();
    let errors = lines
        .iter()
        .filter(|v| v["target"] == "naftiko::error")
        .map(|v| {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("timestamp");
            }
            v.to_string()
        })
        .collect();
    (access, errors)
}

#[test]
fn every_request_variant_gets_the_same_answer_and_the_same_upstream_request_on_both_paths() {
    request_variants(Over::Http);
}

#[test]
fn every_request_variant_gets_the_same_answer_on_both_paths_over_https() {
    request_variants(Over::Https);
}

fn request_variants(over: Over) {
    let Some(mut p) = Pair::start(over) else {
        return;
    };
    // The token request, as a form, in its spellings.
    let (answer, seen) = p.check("form", &post_as(FORM, GOOD.as_bytes()));
    // Not vacuous: the token request is answered, and forwarded as a form.
    assert_eq!(answer.status, "HTTP/1.1 200 OK");
    assert_eq!(
        answer.body,
        br#"{"access_token":"eyJ.upstream.token","expires_in":3600}"#
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, GOOD);
    p.check(
        "form; charset=utf-8",
        &post_as(
            "application/x-www-form-urlencoded; charset=utf-8",
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "form;charset=UTF-8",
        &post_as(
            "application/x-www-form-urlencoded;charset=UTF-8",
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "FORM upper case",
        &post_as("APPLICATION/X-WWW-FORM-URLENCODED", GOOD.as_bytes()),
    );
    p.check(
        "form, other charset",
        &post_as(
            "application/x-www-form-urlencoded; charset=ISO-8859-1",
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "form, lower-case header name",
        &post(ROUTE, &[("content-type", FORM.as_bytes())], GOOD.as_bytes()),
    );
    p.check(
        "form, two content types",
        &post(
            ROUTE,
            &[
                ("Content-Type", FORM.as_bytes()),
                ("Content-Type", b"application/json"),
            ],
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "form, non-ASCII content type",
        &post(
            ROUTE,
            &[(
                "Content-Type",
                b"application/x-www-form-urlencoded; charset=\xfc",
            )],
            GOOD.as_bytes(),
        ),
    );
    // Fields: form bodies, each sent as a form.
    let trailing_newline = format!("{GOOD}\r\n");
    let leading_space = format!(" {GOOD}");
    let bodies: [(&str, &[u8]); 14] = [
        (
            "fields reordered",
            b"client_secret=s3cr3t-1&client_id=id-1&grant_type=client_credentials",
        ),
        (
            "extra undeclared fields",
            b"scope=read+write&grant_type=client_credentials&audience=https%3A%2F%2Fapi&client_id=id-1&client_secret=s&zz=1",
        ),
        (
            "percent-encoded and + values",
            b"grant_type=client_credentials&client_id=a%20b+c%2Bd%26e%3Df&client_secret=%7E%21%2A%27%28%29%2F%3F%23%5B%5D",
        ),
        (
            "percent-encoded names",
            b"grant%5Ftype=client_credentials&client%5Fid=id&client_secret=s",
        ),
        (
            "UTF-8 values, encoded and raw",
            "grant_type=client_credentials&client_id=%C3%A9t%C3%A9&client_secret=日本語-ü".as_bytes(),
        ),
        (
            "invalid UTF-8 in a value",
            b"grant_type=client_credentials&client_id=%FF%FE&client_secret=\xff",
        ),
        (
            "lower-case and bad percent escapes",
            b"grant_type=client_credentials&client_id=%c3%a9%&client_secret=%zz%4",
        ),
        ("empty values", b"grant_type=&client_id=&client_secret="),
        ("fields without =", b"grant_type&client_id&client_secret"),
        (
            "stray separators",
            b"&&grant_type=client_credentials&&client_id=id&client_secret=s&&",
        ),
        (
            "= in a value",
            b"grant_type=client_credentials&client_id=a=b=c&client_secret=s",
        ),
        (
            "empty name",
            b"=x&grant_type=client_credentials&client_id=id&client_secret=s",
        ),
        ("trailing newline", trailing_newline.as_bytes()),
        ("leading space", leading_space.as_bytes()),
    ];
    for (name, body) in bodies {
        p.check(name, &post_as(FORM, body));
    }
    let many: String = (0..20).map(|i| format!("f{i}={i}&")).collect::<String>() + GOOD;
    p.check("more than 16 fields", &post_as(FORM, many.as_bytes()));
    let sixteen: String = (0..13).map(|i| format!("f{i}={i}&")).collect::<String>() + GOOD;
    p.check("exactly 16 fields", &post_as(FORM, sixteen.as_bytes()));
    // Requests the direct plan declines, or that fail.
    let (answer, seen) = p.check(
        "missing client_secret",
        &post_as(FORM, b"grant_type=client_credentials&client_id=id"),
    );
    assert_eq!(answer.status, "HTTP/1.1 400 Bad Request");
    assert!(seen.is_empty(), "nothing is sent upstream");
    p.check("missing everything", &post_as(FORM, b"scope=x"));
    p.check(
        "repeated field",
        &post_as(
            FORM,
            b"grant_type=client_credentials&client_id=a&client_id=b&client_secret=s",
        ),
    );
    p.check(
        "repeated undeclared field",
        &post_as(
            FORM,
            b"scope=a&grant_type=client_credentials&scope=b&client_id=id&client_secret=s",
        ),
    );
    p.check(
        "field named body",
        &post_as(FORM, format!("body=x&{GOOD}").as_bytes()),
    );
    p.check(
        "field named body, encoded",
        &post_as(FORM, format!("b%6Fdy=x&{GOOD}").as_bytes()),
    );
    p.check(
        "JSON body",
        &post_as(
            "application/json",
            br#"{"grant_type":"client_credentials","client_id":"id-1","client_secret":"s3cr3t-1"}"#,
        ),
    );
    p.check(
        "JSON body with extra and non-string fields",
        &post_as(
            "application/json",
            br#"{"client_secret":"s","n":1,"b":true,"o":{"x":[1]},"grant_type":"client_credentials","client_id":"id"}"#,
        ),
    );
    p.check(
        "JSON body sent as a form",
        &post_as(FORM, br#"{"grant_type":"client_credentials"}"#),
    );
    p.check(
        "form body sent as JSON",
        &post_as("application/json", GOOD.as_bytes()),
    );
    p.check("text/plain body", &post_as("text/plain", GOOD.as_bytes()));
    p.check("no content type", &post(ROUTE, &[], GOOD.as_bytes()));
    p.check("empty body", &post_as(FORM, b""));
    p.check("empty body, no content type", &post(ROUTE, &[], b""));
    p.check("whitespace body", &post_as(FORM, b" \r\n\t "));
    p.check(
        "query string",
        &post(
            &format!("{ROUTE}?x=1"),
            &[("Content-Type", FORM.as_bytes())],
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "empty query string",
        &post(
            &format!("{ROUTE}?"),
            &[("Content-Type", FORM.as_bytes())],
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "fields in the query string",
        &post(
            &format!("{ROUTE}?client_secret=from-query"),
            &[("Content-Type", FORM.as_bytes())],
            b"grant_type=client_credentials&client_id=id",
        ),
    );
    p.check(
        "header named body",
        &post(
            ROUTE,
            &[("Content-Type", FORM.as_bytes()), ("body", b"x")],
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "header named client_secret",
        &post(
            ROUTE,
            &[
                ("Content-Type", FORM.as_bytes()),
                ("client_secret", b"from-header"),
            ],
            GOOD.as_bytes(),
        ),
    );
    p.check(
        "trailing slash",
        &post(
            &format!("{ROUTE}/"),
            &[("Content-Type", FORM.as_bytes())],
            GOOD.as_bytes(),
        ),
    );
    // A chunked body (served by the hyper fall-back, not the own HTTP/1 loop).
    let chunked = format!(
        "POST {ROUTE} HTTP/1.1\r\nHost: naftiko.test\r\ntraceparent: {TRACEPARENT}\r\nX-Request-Id: {REQUEST_ID}\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{GOOD}\r\n0\r\n\r\n",
        GOOD.len()
    )
    .into_bytes();
    p.check("chunked form", &chunked);
    // Through a real client, the second time on a kept-alive connection.
    let http = client();
    for _ in 0..2 {
        p.check_with_client("reqwest form", |base| {
            http.post(format!("{base}{ROUTE}"))
                .header("traceparent", TRACEPARENT)
                .header("x-request-id", REQUEST_ID)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "id é"),
                    ("client_secret", "s&=+"),
                ])
        });
    }
    assert_eq!(p.finish(), 0, "no request here fails upstream");
}

#[test]
fn every_upstream_answer_is_shaped_the_same_on_both_paths() {
    upstream_answers(Over::Http);
}

#[test]
fn every_upstream_answer_is_shaped_the_same_on_both_paths_over_https() {
    upstream_answers(Over::Https);
}

fn upstream_answers(over: Over) {
    let Some(mut p) = Pair::start(over) else {
        return;
    };
    let json = |body: &str| Reply::raw(200, "application/json", body.to_owned());
    let deep = format!(
        r#"{{"access_token":"t","expires_in":1,"deep":{}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let mut answers: Vec<(&str, Reply)> = vec![
        ("token", token()),
        (
            "extra fields",
            json(
                r#"{"token_type":"Bearer","scope":"a b","access_token":"t","nested":{"x":[1,2.5,{"y":null}],"z":"\u00e9"},"expires_in":3600,"jti":"x","ok":true}"#,
            ),
        ),
        (
            "reordered fields",
            json(r#"{"expires_in":3600,"access_token":"t"}"#),
        ),
        (
            "escaped strings",
            json(r#"{"access_token":"a\u00e9\/b","expires_in":3600}"#),
        ),
        (
            "more escapes",
            json(r#"{"access_token":"q\"b\\s\n\t\u0001\ud83d\ude00<>&'","expires_in":3600}"#),
        ),
        (
            "raw UTF-8",
            json(r#"{"access_token":"日本語 é 😀","expires_in":3600}"#),
        ),
        (
            "escaped key",
            json(r#"{"access\u005ftoken":"t","expires\u005Fin":3600}"#),
        ),
        (
            "duplicate keys",
            json(r#"{"access_token":"first","expires_in":1,"access_token":"second"}"#),
        ),
        (
            "whitespace around",
            json(" \r\n\t{ \"access_token\" : \"t\" ,\n\"expires_in\" : 3600 }\n "),
        ),
        ("expires_in missing", json(r#"{"access_token":"t"}"#)),
        ("access_token missing", json(r#"{"expires_in":3600}"#)),
        (
            "access_token null",
            json(r#"{"access_token":null,"expires_in":3600}"#),
        ),
        (
            "access_token a number",
            json(r#"{"access_token":123,"expires_in":3600}"#),
        ),
        (
            "access_token an object",
            json(r#"{"access_token":{"a":1},"expires_in":3600}"#),
        ),
        (
            "access_token an array",
            json(r#"{"access_token":["a"],"expires_in":3600}"#),
        ),
        ("empty object", json("{}")),
        (
            "a JSON array",
            json(r#"[{"access_token":"t","expires_in":3600}]"#),
        ),
        ("a JSON string", json(r#""access_token""#)),
        ("JSON null", json("null")),
        ("invalid JSON", json(r#"{"access_token":"#)),
        (
            "trailing garbage",
            json(r#"{"access_token":"t","expires_in":1} x"#),
        ),
        (
            "two documents",
            json(r#"{"access_token":"t","expires_in":1}{}"#),
        ),
        (
            "a BOM",
            json("\u{feff}{\"access_token\":\"t\",\"expires_in\":1}"),
        ),
        (
            "lone surrogate in a kept member",
            json(r#"{"access_token":"\ud800","expires_in":1}"#),
        ),
        (
            "lone surrogate in an ignored member",
            json(r#"{"x":"\ud800","access_token":"t","expires_in":1}"#),
        ),
        (
            "bad number in an ignored member",
            json(r#"{"x":01,"access_token":"t","expires_in":1}"#),
        ),
        ("deep nesting in an ignored member", json(&deep)),
        ("empty 200 body", Reply::raw(200, "application/json", "")),
        ("204", Reply::raw(204, "application/json", "")),
        (
            "201 with a token",
            Reply::raw(201, "application/json", TOKEN),
        ),
        ("200 as text/plain", Reply::raw(200, "text/plain", TOKEN)),
        (
            "200 as text/html",
            Reply::raw(200, "text/html", "<html>token</html>"),
        ),
        (
            "200 as application/problem+json",
            Reply::raw(200, "application/problem+json", TOKEN),
        ),
        (
            "200 JSON; charset=utf-8",
            Reply::raw(200, "application/json; charset=utf-8", TOKEN),
        ),
        (
            "400 with a JSON error",
            Reply::raw(
                400,
                "application/json",
                r#"{"error":"invalid_request","error_description":"grant_type \u00e9"}"#,
            ),
        ),
        (
            "401",
            Reply::raw(401, "application/json", r#"{"error":"invalid_client"}"#)
                .header("www-authenticate", "Basic realm=\"x\""),
        ),
        ("403 empty", Reply::raw(403, "application/json", "")),
        (
            "404 with HTML",
            Reply::raw(404, "text/html", "<html><body>Not Found</body></html>"),
        ),
        (
            "429 with Retry-After",
            Reply::raw(429, "application/json", "{}").header("retry-after", "7"),
        ),
        ("500", Reply::raw(500, "text/plain", "internal error")),
        (
            "503",
            Reply::raw(503, "application/json", r#"{"error":"unavailable"}"#),
        ),
        (
            "Cache-Control: no-store",
            token()
                .header("cache-control", "no-store")
                .header("pragma", "no-cache"),
        ),
        (
            "Location on a 200",
            token().header("location", "https://auth.example.test/elsewhere"),
        ),
        (
            "302 with Location",
            Reply::raw(302, "application/json", r#"{"moved":true}"#).header("location", "/moved"),
        ),
        (
            "201 with Location and Cache-Control",
            Reply::raw(201, "application/json", TOKEN)
                .header("location", "/tokens/1")
                .header("cache-control", "private, max-age=0"),
        ),
        (
            "slower than the upstream timeout (504)",
            token().after(Duration::from_secs(3)),
        ),
    ];
    // `expires_in` of every JSON type, and the numbers at the edges of what maps to an
    // integer.
    let expires_in = [
        r#""3600""#,
        r#"3600.0"#,
        r#"1.5"#,
        r#"1e3"#,
        r#"-1"#,
        r#"-0"#,
        r#"18446744073709551615"#,
        r#"18446744073709551616"#,
        r#"1e400"#,
        r#""1.5""#,
        r#"" 3600 ""#,
        r#""""#,
        r#"true"#,
        r#"null"#,
    ];
    let names: Vec<String> = expires_in
        .iter()
        .map(|v| format!("expires_in {v}"))
        .collect();
    answers.extend(names.iter().zip(expires_in).map(|(name, v)| {
        let body = format!(r#"{{"access_token":"t","expires_in":{v}}}"#);
        (name.as_str(), json(&body))
    }));
    for (name, reply) in answers {
        p.answer(reply);
        p.check(&format!("{name}, form"), &post_as(FORM, GOOD.as_bytes()));
        // The same answer to a request the plan declines (on the general path in both).
        p.check(
            &format!("{name}, JSON"),
            &post_as(
                "application/json",
                br#"{"grant_type":"g","client_id":"i","client_secret":"s"}"#,
            ),
        );
    }
    // Not vacuous: mapping errors and upstream faults are logged (and compared).
    assert!(p.finish() > 0);
}

/// The comparison can fail: two different answers are told apart.
#[test]
fn the_comparison_tells_different_answers_apart() {
    let up = Upstream::start(|seen| {
        if seen.body.contains("client_id=a") {
            Reply::raw(
                200,
                "application/json",
                r#"{"access_token":"t","expires_in":1}"#,
            )
        } else {
            Reply::raw(
                200,
                "application/json",
                r#"{"access_token":"u","expires_in":1}"#,
            )
        }
    });
    let owned = seed_args(&up.url(), &[]);
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let n = Naftiko::start(&args, &[]);
    let addr = n.listeners[0].1;
    let a = exchange(
        addr,
        &post_as(FORM, b"grant_type=g&client_id=a&client_secret=s"),
    );
    let b = exchange(
        addr,
        &post_as(FORM, b"grant_type=g&client_id=b&client_secret=s"),
    );
    assert_eq!(a.status, b.status);
    assert_eq!(a.headers, b.headers);
    assert_ne!(a, b);
    let seen = up.seen();
    assert_ne!(Upstreamed::of(&seen[0]), Upstreamed::of(&seen[1]));
}

#[test]
fn every_items_request_gets_the_same_answer_and_upstream_request_on_both_paths() {
    items_variants(Over::Http);
}

#[test]
fn every_items_request_gets_the_same_answer_on_both_paths_over_https() {
    items_variants(Over::Https);
}

/// The parameter shape: values in the path and query, an API key; requests the plan must
/// decline (a value the general path reads from a header or a body, a segment that cannot
/// be one, a bad query) and upstream answers of every kind.
fn items_variants(over: Over) {
    let Some(mut p) = Pair::start_on(over, Serving::Items) else {
        return;
    };
    let get = |target: &str| raw("GET", target, &[], b"");
    let (answer, seen) = p.check("plain", &get("/v1/items/a1?q=x"));
    // Not vacuous: the item is answered, reshaped, and asked for with the key.
    assert_eq!(answer.status, "HTTP/1.1 200 OK");
    assert_eq!(
        answer.body,
        br#"{"id":"a1","owner":"o","related_ids":["r1","r2"],"q":"x"}"#
    );
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/items/a1?q=x");
    assert_eq!(seen[0].header("x-api-key").as_deref(), Some(ITEMS_KEY));
    let targets = [
        "/v1/items/a%20b?q=red+shoes",
        "/v1/items/caf%C3%A9?q=caf%C3%A9&limit=3",
        "/v1/items/a%2Fb?q=%26%3D%2B",
        "/v1/items/x?q=1&q=2",
        "/v1/items/x",
        "/v1/items/x?",
        "/v1/items/x?Q=1&x=2&limit=",
        "/v1/items/x?q",
        "/v1/items/x?q=%ZZ&limit=%",
        "/v1/items/x?id=other&q=a",
        "/v1/items/%2E%2E?q=1",
        "/v1/items/.?q=1",
        "/v1/items/...?q=~*-_.",
        "/v1/items/x?q=%00",
    ];
    for target in targets {
        p.check(target, &get(target));
    }
    p.check(
        "q in a header",
        &raw("GET", "/v1/items/x", &[("q", b"from-a-header")], b""),
    );
    let (_, seen) = p.check(
        "a header parameter",
        &raw("GET", "/v1/items/x?q=1", &[("X-Tag", b"t-1")], b""),
    );
    assert_eq!(seen[0].header("x-tag").as_deref(), Some("t-1"));
    p.check(
        "a header parameter that is not text",
        &raw("GET", "/v1/items/x?q=1", &[("X-Tag", b"caf\xc3\xa9")], b""),
    );
    p.check(
        "q in a header and the query",
        &raw("GET", "/v1/items/x?q=1", &[("q", b"h")], b""),
    );
    p.check(
        "a JSON body",
        &raw(
            "GET",
            "/v1/items/x",
            &[("Content-Type", b"application/json")],
            br#"{"q":"b"}"#,
        ),
    );
    p.check(
        "a bad JSON body",
        &raw(
            "GET",
            "/v1/items/x?q=1",
            &[("Content-Type", b"application/json")],
            b"{",
        ),
    );
    p.check(
        "a blank body",
        &raw("GET", "/v1/items/x?q=1", &[], b"  \r\n"),
    );
    p.check("HEAD", &raw("HEAD", "/v1/items/x?q=1", &[], b""));
    // Answers of every kind, to the same request.
    let answers = [
        Reply::raw(
            200,
            "application/json",
            r#"{"item":{"id":7,"owner":[]},"related":{},"meta":null}"#,
        ),
        Reply::raw(200, "application/json", r#"{"item":{"id":"a","id":"b"}}"#),
        Reply::raw(200, "application/json", "not json"),
        Reply::raw(200, "application/json", ""),
        Reply::raw(200, "text/plain", "plain"),
        Reply::raw(404, "application/json", r#"{"error":"not_found"}"#),
        Reply::raw(503, "text/html", "<p>down</p>"),
    ];
    for (i, reply) in answers.into_iter().enumerate() {
        p.answer(reply);
        p.check(&format!("answer {i}"), &get("/v1/items/x?q=1"));
    }
    p.finish();
}

#[test]
fn every_whole_answer_is_the_same_on_both_paths() {
    whole_variants(Over::Http);
}

/// The commonest published shape: the whole JSON answer as the one unnamed output `$.`,
/// as a named output, or passed through. Answers with whitespace, escapes, numbers
/// serde_json writes otherwise, repeated keys, and other kinds than an object.
fn whole_variants(over: Over) {
    let Some(mut p) = Pair::start_on(over, Serving::Items) else {
        return;
    };
    let get = |target: &str| raw("GET", target, &[], b"");
    let routes = ["/v1/whole/a1", "/v1/result/a1", "/v1/raw/a1"];
    let (answer, seen) = p.check("whole", &get(routes[0]));
    // Not vacuous: the whole item is answered, and asked for with the key.
    assert_eq!(answer.status, "HTTP/1.1 200 OK");
    assert_eq!(answer.body, ITEM.as_bytes());
    assert_eq!(seen[0].target, "/items/a1");
    assert_eq!(seen[0].header("x-api-key").as_deref(), Some(ITEMS_KEY));
    let (answer, _) = p.check("result", &get(routes[1]));
    assert_eq!(answer.body, format!(r#"{{"result":{ITEM}}}"#).as_bytes());
    let answers = [
        " {\n \"a\" : [ 1 , -0 , 1.50 , 1e2 , -0.0 , 18446744073709551616 ] ,\t\"b\":{} } ",
        r#"{"s":"caf\u00e9 \/ \ud83d\ude00 \u0001 \"q\"","\u006bey":[[],[{}]],"n":null,"t":true}"#,
        "{\"\u{e9}\u{1f600}\":\"\u{2028}\"}",
        r#"{"a":1,"b":2,"a":3}"#,
        r#"{"a":{"x":1,"\u0078":2}}"#,
        r#"[{"a":1},2]"#,
        r#""text""#,
        "null",
        "12.5",
        r#"{"a":1} x"#,
        r#"{"a":[1,}"#,
    ];
    for (i, body) in answers.iter().enumerate() {
        p.answer(Reply::raw(200, "application/json", (*body).to_owned()));
        for route in routes {
            let (answer, _) = p.check(&format!("answer {i} on {route}"), &get(route));
            // An object answer is the object as serde_json reads and writes it.
            if route == routes[0]
                && let Ok(Value::Object(read)) = serde_json::from_str::<Value>(body)
            {
                let written = serde_json::to_vec(&read).unwrap();
                assert_eq!(answer.body, written, "answer {i}");
            }
        }
    }
    p.answer(Reply::raw(404, "application/json", r#"{ "error" : "x" }"#));
    for route in routes {
        p.check(&format!("404 on {route}"), &get(route));
    }
    // A path variable no parameter declares, filled by name.
    p.answer(Reply::raw(200, "application/json", r#"["a","b"]"#));
    let (answer, seen) = p.check("undeclared variable", &get("/v1/tags/a%20b"));
    assert_eq!(answer.body, br#"["a","b"]"#);
    assert_eq!(seen[0].target, "/items/a%20b/tags");
    for target in ["/v1/tags/caf%C3%A9?id=other", "/v1/tags/..", "/v1/tags/%2F"] {
        p.check(target, &get(target));
    }
    p.finish();
}

#[test]
fn every_body_passed_on_is_sent_the_same_on_both_paths() {
    let Some(mut p) = Pair::start_on(Over::Http, Serving::Items) else {
        return;
    };
    let post = |content_type: &[u8], body: &str| {
        raw(
            "POST",
            "/v1/items/a1/notes",
            &[("Content-Type", content_type)],
            body.as_bytes(),
        )
    };
    let json = b"application/json";
    let bodies = [
        r#"{"text":"hi","tags":["a","b"]}"#,
        " {\n \"n\" : [ 1 , -0 , 1.50 , 1e2 , 0.97 ] ,\t\"s\":\"caf\\u00e9 \\/\" } ",
        r#"[{"a":1},{"a":2}]"#,
        r#"{"a":1,"a":2}"#,
        r#"{"body":{"inner":true}}"#,
        r#""text""#,
        "null",
        r#"{"a":"#,
        "",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let (_, seen) = p.check(&format!("body {i}"), &post(json, body));
        // What goes upstream is the body as serde_json reads and writes it.
        if let Ok(read @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(body)
            && !body.contains("\"body\"")
        {
            assert_eq!(seen.len(), 1, "body {i}");
            assert_eq!(seen[0].body, read.to_string(), "body {i}");
            assert_eq!(
                seen[0].header("content-type").as_deref(),
                Some("application/json")
            );
        }
    }
    p.check(
        "a form",
        &post(b"application/x-www-form-urlencoded", "a=1&b=2"),
    );
    p.check(
        "a body and a query parameter named body",
        &raw(
            "POST",
            "/v1/items/a1/notes?body=q",
            &[("Content-Type", json)],
            br#"{"a":1}"#,
        ),
    );
    p.finish();
}

#[test]
fn every_orders_request_gets_the_same_answer_and_upstream_request_on_both_paths() {
    let Some(mut p) = Pair::start_on(Over::Http, Serving::Orders) else {
        return;
    };
    let json = |body: &str| {
        raw(
            "POST",
            "/v1/orders",
            &[("Content-Type", b"application/json")],
            body.as_bytes(),
        )
    };
    let good = r#"{"customer":"c-1","sku":"SKU-9","qty":2,"note":"leave at the door"}"#;
    let (answer, seen) = p.check("good", &json(good));
    // Not vacuous: the order is placed with the rendered body.
    assert_eq!(answer.status, "HTTP/1.1 201 Created");
    assert_eq!(answer.body, br#"{"order_id":"o-1","total":19.99}"#);
    assert_eq!(
        seen[0].body,
        r#"{"order":{"customer_id":"c-1","lines":[{"sku":"SKU-9","qty":2}],"note":"order for c-1: leave at the door"},"source":"naftiko-test"}"#
    );
    let bodies = [
        r#"{"customer":"c\"q\u00e9","sku":null,"qty":"2","note":["a",{"b":1}]}"#,
        r#"{"qty":1.5e2,"customer":true}"#,
        r#"{}"#,
        r#"[1,2]"#,
        r#"{"customer":"a","customer":"b"}"#,
        r#"{"customer":"#,
        r#"{"quantity":3,"qty":null}"#,
        "  ",
    ];
    for body in bodies {
        p.check(body, &json(body));
    }
    p.check(
        "a query value",
        &raw(
            "POST",
            "/v1/orders?dry=1&customer=from-query",
            &[("Content-Type", b"application/json")],
            good.as_bytes(),
        ),
    );
    p.check(
        "+json",
        &raw(
            "POST",
            "/v1/orders",
            &[("Content-Type", b"application/vnd.api+json; charset=utf-8")],
            good.as_bytes(),
        ),
    );
    p.check(
        "text",
        &raw(
            "POST",
            "/v1/orders",
            &[("Content-Type", b"text/plain")],
            good.as_bytes(),
        ),
    );
    p.check(
        "no content type",
        &raw("POST", "/v1/orders", &[], good.as_bytes()),
    );
    p.check(
        "a note header",
        &raw(
            "POST",
            "/v1/orders",
            &[("Content-Type", b"application/json"), ("note", b"h")],
            br#"{"customer":"c"}"#,
        ),
    );
    p.finish();
}
