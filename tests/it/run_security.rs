//! `naftiko run` end to end, hostile inputs: caller values that try to leave their place in
//! the upstream request (path segments, headers, query values) and secrets that must never
//! reach a problem body or a log line (SEMANTICS §2, §3, §5).

use crate::common;

use std::io::{Read, Write};
use std::time::Duration;

use common::serve::{Naftiko, Reply, Seen, Upstream, client, dead_address};
use serde_json::{Value, json};

const PATHS: &str = "tests/fixtures/run/sec-path.yaml";
const SECRETS: &str = "tests/fixtures/run/sec-secrets.yaml";

/// The bound secrets of `sec-secrets.yaml`.
const API_TOKEN: &str = "tok-5ecret-bearer-value-91";
const API_KEY: &str = "key-5ecret-apikey-value-37";

fn echo_upstream() -> Upstream {
    Upstream::start(|_| Reply::json(json!({"ok": true})))
}

/// `sec-path.yaml` served with `sec-items` at `BASE/api`.
fn start_paths(up: &Upstream) -> Naftiko {
    let base = format!("sec-items={}/api", up.url());
    Naftiko::start(
        &[
            PATHS,
            "--base-uri",
            &base,
            "--listen",
            "sec-items-rest=127.0.0.1:0",
        ],
        &[],
    )
}

/// Percent-decodes once (no `+` handling: this is a path).
fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("a decoded segment is UTF-8")
}

/// Percent-encodes everything but unreserved characters.
fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Sends `GET target` exactly as written (no client-side normalisation of `.`/`..`) and
/// returns the status and body.
fn raw_get(n: &Naftiko, target: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(n.listeners[0].1).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The single upstream request, which must be `GET {prefix}<one segment>{suffix}` without a
/// query; returns the segment decoded.
fn single_segment(seen: &[Seen], prefix: &str, suffix: &str) -> String {
    assert_eq!(seen.len(), 1, "exactly one upstream request: {seen:#?}");
    let target = &seen[0].target;
    assert_eq!(seen[0].method, "GET");
    let rest = target
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("upstream target `{target}` does not start with `{prefix}`"));
    let seg = rest
        .strip_suffix(suffix)
        .unwrap_or_else(|| panic!("upstream target `{target}` does not end with `{suffix}`"));
    assert!(
        !seg.is_empty() && !seg.contains(['/', '?', '#', '\\', '\r', '\n', ' ']),
        "`{target}`: the value is not exactly one encoded segment"
    );
    assert!(!target.contains('?'), "`{target}`: a query appeared");
    pct_decode(seg)
}

/// Hostile identifiers as sent in the inbound path (percent-encoded) and as the route
/// decodes them.
const HOSTILE: &[(&str, &str)] = &[
    ("..%2Fadmin", "../admin"),
    ("%2F..%2Fadmin", "/../admin"),
    ("%252F..%252Fadmin", "%2F..%2Fadmin"),
    ("a%3Fx%3D1", "a?x=1"),
    ("a%23f", "a#f"),
    ("a%0D%0AHost:%20evil.test", "a\r\nHost: evil.test"),
    ("%2F%2Fevil.test%2Fx", "//evil.test/x"),
    ("%40evil.test", "@evil.test"),
    ("..%5Cadmin", "..\\admin"),
    ("%C3%A9t%C3%A9%20%E2%9C%93", "été ✓"),
    ("...", "..."),
    ("%2E%2E.", "..."),
];

#[test]
fn a_path_value_is_always_exactly_one_upstream_segment_under_the_base_path() {
    let up = echo_upstream();
    let n = start_paths(&up);
    for (sent, decoded) in HOSTILE {
        let before = up.seen().len();
        let (status, body) = raw_get(&n, &format!("/items/{sent}"));
        assert_eq!(status, 200, "/items/{sent}: {body}");
        let seen = up.seen()[before..].to_vec();
        let got = single_segment(&seen, "/api/items/", "");
        assert_eq!(
            &got, decoded,
            "/items/{sent} reached the upstream as {}",
            seen[0].target
        );
    }
}

#[test]
fn a_double_brace_placeholder_is_encoded_the_same_way() {
    let up = echo_upstream();
    let n = start_paths(&up);
    for (sent, decoded) in HOSTILE {
        let before = up.seen().len();
        let (status, body) = raw_get(&n, &format!("/things/{sent}"));
        assert_eq!(status, 200, "/things/{sent}: {body}");
        let seen = up.seen()[before..].to_vec();
        let got = single_segment(&seen, "/api/things/", "/detail");
        assert_eq!(
            &got, decoded,
            "/things/{sent} reached the upstream as {}",
            seen[0].target
        );
    }
}

#[test]
fn dot_segments_are_a_400_naming_the_parameter_and_nothing_is_sent() {
    let up = echo_upstream();
    let n = start_paths(&up);
    for route in ["items", "things"] {
        for dots in ["..", ".", "%2E%2E", "%2e", ".%2E", "%2E."] {
            let (status, body) = raw_get(&n, &format!("/{route}/{dots}"));
            assert_eq!(status, 400, "/{route}/{dots}: {body}");
            let problem: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(problem["status"], 400, "{problem}");
            assert_eq!(problem["invalid-params"][0]["name"], "id", "{problem}");
        }
    }
    assert!(up.seen().is_empty(), "no upstream call: {:#?}", up.seen());
}

#[test]
fn empty_and_escaping_inbound_paths_never_reach_the_upstream() {
    let up = echo_upstream();
    let n = start_paths(&up);
    for target in [
        "/items/",
        "/items//",
        "/items/../admin",
        "/items/%2E%2E/admin",
        "/things/",
        "/items/a/b",
    ] {
        let (status, body) = raw_get(&n, target);
        assert!(
            status == 400 || status == 404,
            "{target}: expected 400 or 404, got {status} {body}"
        );
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["status"], status, "{target}: {problem}");
    }
    assert!(up.seen().is_empty(), "no upstream call: {:#?}", up.seen());
}

#[test]
fn a_header_value_with_cr_or_lf_is_a_400_naming_it_and_nothing_is_sent() {
    let up = echo_upstream();
    let n = start_paths(&up);
    for evil in [
        "a%0D%0AX-Injected:%201",
        "a%0AX-Injected:%201",
        "a%0Db",
        "a%00b",
    ] {
        let r = client()
            .get(format!("{}/echo?x-trace={evil}", n.url()))
            .send()
            .unwrap();
        assert_eq!(r.status(), 400, "x-trace={evil}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().unwrap();
        assert_eq!(problem["invalid-params"][0]["name"], "x-trace", "{problem}");
        assert_eq!(problem["invalid-params"][0]["in"], "header", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("x-trace"),
            "{problem}"
        );
    }
    assert!(up.seen().is_empty(), "no upstream call: {:#?}", up.seen());
}

#[test]
fn a_clean_header_value_is_forwarded() {
    let up = echo_upstream();
    let n = start_paths(&up);
    let r = client()
        .get(format!("{}/echo?x-trace=trace%201", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("x-trace").as_deref(), Some("trace 1"));
    assert!(seen[0].header("x-injected").is_none());
}

#[test]
fn a_query_value_with_reserved_characters_arrives_as_one_value() {
    let up = echo_upstream();
    let n = start_paths(&up);
    let value = "a&b=c#d e+f?g/h%20\r\n";
    let r = client()
        .get(format!("{}/echo?q={}", n.url(), pct_encode(value)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    let target = &seen[0].target;
    assert!(target.starts_with("/api/echo?"), "{target}");
    assert!(!target.contains('#') && !target.contains(' '), "{target}");
    let mut q = seen[0].query();
    q.sort();
    assert_eq!(
        q,
        vec![
            ("q".to_owned(), value.to_owned()),
            ("tagged".to_owned(), format!("pre-{value}"))
        ],
        "raw target: {target}"
    );
}

// ---------------------------------------------------------------------------------------
// Secrets

/// An upstream for `sec-secrets.yaml`: `/slow/...` answers after 3 s, `/fail/...` 500,
/// `/echo/...` 200 with a non-JSON body that repeats the credentials it got, anything else
/// 200 with a body that holds nothing secret.
fn secrets_upstream() -> Upstream {
    Upstream::start(|seen| {
        if seen.path().starts_with("/slow") {
            Reply::json(json!({"total": 1})).after(Duration::from_secs(3))
        } else if seen.path().starts_with("/fail") {
            Reply::status_json(500, json!({"error": "boom"}))
        } else if seen.path().starts_with("/echo") {
            let got = format!("{:?} {}", seen.header("authorization"), seen.target);
            Reply::raw(200, "text/plain", format!("you sent {got}"))
        } else {
            Reply::json(json!({"total": 7}))
        }
    })
}

fn start_secrets(bearer: &str, apikey: &str, format: &str) -> Naftiko {
    let b = format!("sec-bearer={bearer}");
    let k = format!("sec-apikey={apikey}");
    Naftiko::start(
        &[
            SECRETS,
            "--base-uri",
            &b,
            "--base-uri",
            &k,
            "--listen",
            "sec-secrets-rest=127.0.0.1:0",
            "--upstream-timeout",
            "500ms",
            "--log-format",
            format,
        ],
        &[("API_TOKEN", API_TOKEN), ("API_KEY", API_KEY)],
    )
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [API_TOKEN, API_KEY] {
        assert!(!text.contains(secret), "{what} leaks `{secret}`:\n{text}");
    }
}

/// Calls both routes; returns (status, body) of each.
fn call_both(n: &Naftiko) -> Vec<(u16, String)> {
    ["/bearer/report", "/apikey/report"]
        .iter()
        .map(|p| {
            let r = client().get(format!("{}{p}", n.url())).send().unwrap();
            (r.status().as_u16(), r.text().unwrap())
        })
        .collect()
}

fn check_failures(format: &str) {
    let up = secrets_upstream();
    let scenarios = [
        ("unreachable", dead_address(), dead_address(), 502),
        (
            "slow",
            format!("{}/slow", up.url()),
            format!("{}/slow", up.url()),
            504,
        ),
        (
            "500",
            format!("{}/fail", up.url()),
            format!("{}/fail", up.url()),
            502,
        ),
        (
            "non-JSON echo",
            format!("{}/echo", up.url()),
            format!("{}/echo", up.url()),
            502,
        ),
    ];
    for (name, bearer, apikey, status) in scenarios {
        let n = start_secrets(&bearer, &apikey, format);
        for (got, body) in call_both(&n) {
            assert_eq!(got, status, "{name} ({format}): {body}");
            let problem: Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("{name}: not a JSON problem: {body}"));
            assert!(problem["detail"].is_string(), "{problem}");
            assert_no_secret(&format!("the {name} problem body ({format})"), &body);
        }
        let (code, logs) = n.stop();
        assert_eq!(code, 0, "{logs}");
        assert!(
            logs.contains("invocation failed"),
            "{name}: the failure is logged\n{logs}"
        );
        assert_no_secret(&format!("the {name} logs ({format})"), &logs);
    }
    // The secrets were really sent (so the checks above are meaningful).
    let seen = up.seen();
    assert!(
        seen.iter()
            .any(|s| s.header("authorization").as_deref() == Some(&format!("Bearer {API_TOKEN}"))),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|s| s
            .query()
            .contains(&("api_key".to_owned(), API_KEY.to_owned()))),
        "{seen:#?}"
    );
}

#[test]
fn failures_never_show_the_token_or_the_api_key_in_problems_or_json_logs() {
    check_failures("json");
}

#[test]
fn failures_never_show_the_token_or_the_api_key_in_problems_or_text_logs() {
    check_failures("text");
}

#[test]
fn successful_calls_never_log_the_token_or_the_api_key() {
    for format in ["json", "text"] {
        let up = secrets_upstream();
        let n = start_secrets(
            &format!("{}/ok", up.url()),
            &format!("{}/ok", up.url()),
            format,
        );
        for (status, body) in call_both(&n) {
            assert_eq!(status, 200, "{body}");
            assert_eq!(
                serde_json::from_str::<Value>(&body).unwrap(),
                json!({"total": 7})
            );
        }
        let seen = up.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            seen[0].header("authorization"),
            Some(format!("Bearer {API_TOKEN}"))
        );
        assert_eq!(
            seen[1].query(),
            vec![("api_key".to_owned(), API_KEY.to_owned())]
        );
        let (code, logs) = n.stop();
        assert_eq!(code, 0, "{logs}");
        assert_eq!(logs.matches("naftiko::access").count(), 2, "{logs}");
        assert_no_secret(&format!("the logs ({format})"), &logs);
    }
}

#[test]
fn no_authentication_scheme_leaks_its_credentials_when_calls_fail() {
    const AUTH: &str = "tests/fixtures/run/req-auth.yaml";
    let (user, pass, token, key) = (
        "user-5ecret-basic",
        "pass-5ecret-basic-77",
        "tok-5ecret-req-88",
        "key-5ecret-req-99",
    );
    let up = Upstream::start(|seen| {
        if seen.path().starts_with("/fail") {
            Reply::status_json(500, json!({"error": "boom"}))
        } else {
            Reply::status_json(401, json!({"error": "nope"})).header(
                "www-authenticate",
                r#"Digest realm="r", nonce="n", qop="auth""#,
            )
        }
    });
    for base in [
        dead_address(),
        format!("{}/fail", up.url()),
        format!("{}/refuse", up.url()),
    ] {
        for format in ["json", "text"] {
            let mut args: Vec<String> = vec![AUTH.into()];
            for ns in [
                "req-basic",
                "req-bearer",
                "req-key-header",
                "req-key-query",
                "req-key-openapi",
                "req-digest",
            ] {
                args.push("--base-uri".into());
                args.push(format!("{ns}={base}"));
            }
            args.extend([
                "--listen".into(),
                "req-auth-rest=127.0.0.1:0".into(),
                "--log-format".into(),
                format.into(),
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let n = Naftiko::start(
                &args,
                &[
                    ("REQ_USER", user),
                    ("REQ_PASS", pass),
                    ("REQ_TOKEN", token),
                    ("REQ_KEY", key),
                ],
            );
            for route in [
                "/basic",
                "/bearer",
                "/key-header",
                "/key-query",
                "/key-openapi",
                "/digest",
            ] {
                let r = client().get(format!("{}{route}", n.url())).send().unwrap();
                assert!(r.status().as_u16() >= 400, "{route} via {base}");
                let body = r.text().unwrap();
                for secret in [pass, token, key] {
                    assert!(
                        !body.contains(secret),
                        "{route} via {base}: the answer leaks `{secret}`: {body}"
                    );
                }
            }
            let (_, logs) = n.stop();
            for secret in [pass, token, key] {
                assert!(
                    !logs.contains(secret),
                    "via {base} ({format}): the logs leak `{secret}`:\n{logs}"
                );
            }
        }
    }
    assert!(up.seen().iter().any(|s| {
        s.header("authorization")
            .is_some_and(|a| a.starts_with("Digest "))
    }));
}

#[test]
fn a_redirect_to_another_origin_does_not_carry_the_bearer_token() {
    let elsewhere = Upstream::start(|_| Reply::json(json!({"total": 3})));
    let landing = format!("{}/landing", elsewhere.url());
    let up = Upstream::start(move |_| {
        Reply::raw(302, "text/plain", "moved").header("location", landing.clone())
    });
    let n = start_secrets(
        &format!("{}/ok", up.url()),
        &format!("{}/ok", up.url()),
        "json",
    );
    let r = client()
        .get(format!("{}/bearer/report", n.url()))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    assert_no_secret("the answer", &body);
    assert_eq!(up.seen().len(), 1);
    assert_eq!(
        up.seen()[0].header("authorization"),
        Some(format!("Bearer {API_TOKEN}"))
    );
    for s in elsewhere.seen() {
        assert!(
            s.header("authorization").is_none(),
            "the token followed the redirect: {s:#?} ({status} {body})"
        );
    }
    let (_, logs) = n.stop();
    assert_no_secret("the logs", &logs);
}

#[test]
fn the_callers_credentials_are_not_forwarded_upstream() {
    let up = echo_upstream();
    let n = start_paths(&up);
    let r = client()
        .get(format!("{}/items/42", n.url()))
        .header("authorization", "Bearer caller-token-not-for-upstream")
        .header("cookie", "session=caller-session-not-for-upstream")
        .header("x-api-key", "caller-key-not-for-upstream")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    for (name, value) in seen[0].headers.iter() {
        let v = value.to_str().unwrap_or("");
        assert!(
            !v.contains("not-for-upstream"),
            "`{name}: {v}` was forwarded upstream"
        );
    }
}

#[test]
fn the_security_fixtures_validate_without_errors() {
    for path in [PATHS, SECRETS] {
        let run = common::naftiko(&["validate", path]);
        run.assert_no_panic();
        assert_eq!(run.code(), 0, "{path}\n{run}");
        assert!(run.stdout.contains("0 errors"), "{path}\n{run}");
    }
}

// ---------------------------------------------------------------------------------------
// Values inside templated request bodies

const BODIES: &str = "tests/fixtures/run/req-bodies.yaml";

fn start_bodies(up: &Upstream) -> Naftiko {
    let base = format!("req-body={}", up.url());
    Naftiko::start(
        &[
            BODIES,
            "--base-uri",
            &base,
            "--listen",
            "req-body-rest=127.0.0.1:0",
        ],
        &[],
    )
}

/// Posts `{"name": name, "count": 3}` to `path`; returns the status and what the upstream
/// got (nothing when naftiko refused the value).
fn post_name(path: &str, name: &str) -> (u16, Option<Seen>) {
    let up = echo_upstream();
    let n = start_bodies(&up);
    let r = client()
        .post(format!("{}{path}", n.url()))
        .body(json!({"name": name, "count": 3}).to_string())
        .header("content-type", "application/json")
        .send()
        .unwrap();
    let seen = up.seen();
    assert!(seen.len() <= 1, "{seen:#?}");
    (r.status().as_u16(), seen.into_iter().next())
}

const JSON_BREAKOUT: &str = r#"x", "admin": true, "y": ""#;

/// The upstream got `{"name": JSON_BREAKOUT, "count": 3}` exactly, or naftiko refused.
fn assert_json_value_stays_in_its_string(path: &str) {
    let (status, seen) = post_name(path, JSON_BREAKOUT);
    let Some(seen) = seen else {
        assert_eq!(status, 400, "{path}: refused values are a 400");
        return;
    };
    let body: Value = serde_json::from_str(&seen.body)
        .unwrap_or_else(|_| panic!("{path}: the upstream got invalid JSON: {}", seen.body));
    assert_eq!(
        body,
        json!({"name": JSON_BREAKOUT, "count": 3}),
        "{path}: the value escaped its JSON string: {}",
        seen.body
    );
}

#[test]
fn a_value_cannot_add_fields_to_a_json_body_block_written_as_text() {
    assert_json_value_stays_in_its_string("/json-text");
}

#[test]
fn a_value_cannot_add_fields_to_a_raw_json_body() {
    assert_json_value_stays_in_its_string("/raw");
}

#[test]
fn a_value_cannot_add_elements_to_an_xml_body() {
    let evil = "</name><admin>true</admin><name>";
    let (status, seen) = post_name("/xml", evil);
    let Some(seen) = seen else {
        assert_eq!(status, 400);
        return;
    };
    assert!(
        !seen.body.contains("<admin>"),
        "the value added an XML element: {}",
        seen.body
    );
    assert_eq!(
        seen.body,
        "<user><name>&lt;/name&gt;&lt;admin&gt;true&lt;/admin&gt;&lt;name&gt;</name><count>3</count></user>"
    );
}

#[test]
fn a_value_cannot_forge_a_multipart_part() {
    // The boundary naftiko would pick first, and a generic one.
    for boundary in ["naftiko-6e616674696b6f00", "naftiko"] {
        let evil = format!(
            "x\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"admin\"\r\n\r\ntrue\r\n--{boundary}--\r\n"
        );
        let (status, seen) = post_name("/multipart", &evil);
        assert_eq!(status, 200);
        let seen = seen.unwrap();
        let ct = seen.header("content-type").unwrap();
        let used = ct
            .split("boundary=")
            .nth(1)
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let delimiter = format!("--{used}");
        let parts: Vec<&str> = seen.body.split(delimiter.as_str()).collect();
        // preamble "", meta, file, "--\r\n"
        assert_eq!(parts.len(), 4, "a part was forged ({ct}):\n{}", seen.body);
        assert!(
            parts[1].ends_with(&format!("\r\n\r\n{evil}\r\n")),
            "{:?}",
            parts[1]
        );
        assert!(
            parts[1].starts_with("\r\nContent-Disposition: form-data; name=\"meta\"\r\n"),
            "{:?}",
            parts[1]
        );
        assert!(
            parts[2].starts_with("\r\nContent-Disposition: form-data; name=\"file\""),
            "{:?}",
            parts[2]
        );
        assert!(
            parts[2].ends_with(&format!("\r\n\r\ncontent of {evil}\r\n")),
            "{:?}",
            parts[2]
        );
        assert_eq!(parts[3], "--\r\n");
    }
}
