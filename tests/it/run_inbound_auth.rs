//! Inbound authentication with static credentials, enforced on every exposes type: for each
//! scheme (`bearer`, `apikey` in a header and in the query, `basic`, `digest`), one
//! capability serves a REST route, an MCP endpoint, a skill catalog and the control port
//! behind the same `authentication`; each is called with no, wrong and right credentials.
//! Digest answers come from curl (`--digest`, MD5 and SHA-256), a real client. The expected
//! values are bound from the environment, and neither they nor the wrong ones presented
//! appear in the logs, even at `debug`.

use std::process::Command;

use serde_json::Value;

use crate::common;
use common::serve::{Naftiko, client};

const TOKEN: &str = "inbound-t0ken-5f1e9a";
const USER: &str = "ops-user";
const PASSWORD: &str = "pa55-w0rd-c4d8";
const WRONG: &str = "wrong-cr3dential-77ab";

/// A capability with REST, MCP, skill and control blocks, each behind `auth` (YAML lines at
/// the block's indentation), with `INBOUND_*` bound from the environment.
fn capability(dir: &common::Scratch, auth: &str) -> String {
    let auth: String = auth.lines().map(|l| format!("      {l}\n")).collect();
    let [rest, mcp, skill, control] = [
        common::free_port(),
        common::free_port(),
        common::free_port(),
        common::free_port(),
    ];
    let text = format!(
        r#"naftiko: 1.0.0-alpha2
info:
  label: Guarded
  description: Every exposes type behind the same inbound authentication.
binds:
- namespace: env
  keys:
    INBOUND_TOKEN: INBOUND_TOKEN
    INBOUND_USER: INBOUND_USER
    INBOUND_PASSWORD: INBOUND_PASSWORD
capability:
  exposes:
  - type: rest
    namespace: guarded-rest
    port: {rest}
    authentication:
{auth}    resources:
    - name: hello
      path: /hello
      operations:
      - name: hello
        method: GET
        outputParameters:
        - name: greeting
          type: string
          value: hi
  - type: mcp
    namespace: guarded-mcp
    port: {mcp}
    description: Guarded tools.
    authentication:
{auth}    tools:
    - name: hello
      description: Says hi.
      outputParameters:
      - name: greeting
        type: string
        value: hi
  - type: skill
    namespace: guarded-skills
    port: {skill}
    description: Guarded skills.
    authentication:
{auth}    skills:
    - name: greeter
      description: Says hi.
      tools:
      - name: hello
        description: Says hi.
        from:
          sourceNamespace: guarded-rest
          action: hello
  - type: control
    port: {control}
    authentication:
{auth}"#
    );
    dir.write("guarded.yaml", text).to_str().unwrap().to_owned()
}

fn start(dir: &common::Scratch, auth: &str) -> Naftiko {
    let path = capability(dir, auth);
    Naftiko::start(
        &[&path],
        &[
            ("INBOUND_TOKEN", TOKEN),
            ("INBOUND_USER", USER),
            ("INBOUND_PASSWORD", PASSWORD),
            ("NAFTIKO_LOG", "debug"),
        ],
    )
}

/// One request per exposes type: (name, method, URL, body).
fn targets(n: &Naftiko) -> Vec<(&'static str, reqwest::Method, String, Option<Value>)> {
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "1"}}
    });
    vec![
        (
            "rest",
            reqwest::Method::GET,
            format!("http://{}/hello", n.listener("guarded-rest")),
            None,
        ),
        (
            "mcp",
            reqwest::Method::POST,
            format!("http://{}/mcp", n.listener("guarded-mcp")),
            Some(initialize),
        ),
        (
            "skill",
            reqwest::Method::GET,
            format!("http://{}/skills", n.listener("guarded-skills")),
            None,
        ),
        (
            "control",
            reqwest::Method::GET,
            format!("http://{}/status", n.listener("control")),
            None,
        ),
    ]
}

/// Sends one target's request, changed by `with`.
fn send(
    target: &(&'static str, reqwest::Method, String, Option<Value>),
    with: impl Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
    url_suffix: &str,
) -> reqwest::blocking::Response {
    let (_, method, url, body) = target;
    let mut r = client().request(method.clone(), format!("{url}{url_suffix}"));
    if let Some(b) = body {
        r = r
            .header("accept", "application/json, text/event-stream")
            .json(b);
    }
    with(r).send().unwrap()
}

/// Asserts a 401 problem whose challenge starts with `scheme`.
fn assert_refused(r: reqwest::blocking::Response, scheme: &str, what: &str) {
    assert_eq!(r.status(), 401, "{what}");
    let challenges: Vec<String> = r
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        !challenges.is_empty() && challenges.iter().all(|c| c.starts_with(scheme)),
        "{what}: {challenges:?}"
    );
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let body: Value = r.json().unwrap();
    assert_eq!(body["status"], 401, "{what}: {body}");
    assert_eq!(body["type"], "urn:naftiko:problem:unauthorized", "{what}");
    let text = body.to_string();
    for secret in [TOKEN, PASSWORD, WRONG] {
        assert!(!text.contains(secret), "{what}: {text}");
    }
}

fn assert_allowed(r: reqwest::blocking::Response, what: &str) {
    let status = r.status();
    let body = r.text().unwrap();
    assert_eq!(status, 200, "{what}: {body}");
}

/// The logs hold no credential, right or wrong.
fn assert_no_secret_in(logs: &str) {
    for secret in [TOKEN, PASSWORD, WRONG] {
        assert!(!logs.contains(secret), "`{secret}` logged:\n{logs}");
    }
    assert!(logs.contains("401"), "no refusal was logged:\n{logs}");
}

#[test]
fn bearer_tokens_are_checked_on_every_exposes_type() {
    let dir = common::Scratch::new("inbound-bearer");
    let n = start(&dir, "type: bearer\ntoken: '{{INBOUND_TOKEN}}'");
    for t in targets(&n) {
        assert_refused(send(&t, |r| r, ""), "Bearer", t.0);
        let wrong = send(&t, |r| r.bearer_auth(WRONG), "");
        let challenge = wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert_refused(wrong, "Bearer", t.0);
        // Another scheme carrying the right value is not a bearer token.
        assert_refused(
            send(&t, |r| r.basic_auth(TOKEN, None::<&str>), ""),
            "Bearer",
            t.0,
        );
        assert_allowed(send(&t, |r| r.bearer_auth(TOKEN), ""), t.0);
        assert_allowed(
            send(
                &t,
                |r| r.header("authorization", format!("bearer {TOKEN}")),
                "",
            ),
            t.0,
        );
    }
    let (_, logs) = n.stop();
    assert_no_secret_in(&logs);
}

#[test]
fn api_keys_are_checked_in_a_header_or_the_query_on_every_exposes_type() {
    let dir = common::Scratch::new("inbound-apikey");
    let n = start(
        &dir,
        "type: apikey\nkey: X-Api-Key\nvalue: '{{INBOUND_TOKEN}}'\nplacement: header",
    );
    for t in targets(&n) {
        assert_refused(send(&t, |r| r, ""), "ApiKey", t.0);
        assert_refused(
            send(&t, |r| r.header("x-api-key", WRONG), ""),
            "ApiKey",
            t.0,
        );
        assert_refused(
            send(&t, |r| r, &format!("?X-Api-Key={TOKEN}")),
            "ApiKey",
            t.0,
        );
        assert_allowed(send(&t, |r| r.header("X-API-KEY", TOKEN), ""), t.0);
    }
    let (_, logs) = n.stop();
    assert_no_secret_in(&logs);

    let dir = common::Scratch::new("inbound-apikey-query");
    let n = start(
        &dir,
        "type: apikey\nkey: api_key\nvalue: '{{INBOUND_TOKEN}}'\nplacement: query",
    );
    for t in targets(&n) {
        assert_refused(send(&t, |r| r, ""), "ApiKey", t.0);
        assert_refused(send(&t, |r| r, &format!("?api_key={WRONG}")), "ApiKey", t.0);
        assert_refused(send(&t, |r| r.header("api_key", TOKEN), ""), "ApiKey", t.0);
        assert_allowed(send(&t, |r| r, &format!("?api_key={TOKEN}")), t.0);
    }
    let (_, logs) = n.stop();
    assert_no_secret_in(&logs);
}

#[test]
fn basic_credentials_are_checked_on_every_exposes_type() {
    let dir = common::Scratch::new("inbound-basic");
    let n = start(
        &dir,
        "type: basic\nusername: '{{INBOUND_USER}}'\npassword: '{{INBOUND_PASSWORD}}'",
    );
    for t in targets(&n) {
        assert_refused(send(&t, |r| r, ""), "Basic", t.0);
        assert_refused(
            send(&t, |r| r.basic_auth(USER, Some(WRONG)), ""),
            "Basic",
            t.0,
        );
        assert_refused(
            send(&t, |r| r.basic_auth(WRONG, Some(PASSWORD)), ""),
            "Basic",
            t.0,
        );
        assert_refused(send(&t, |r| r.bearer_auth(PASSWORD), ""), "Basic", t.0);
        assert_allowed(send(&t, |r| r.basic_auth(USER, Some(PASSWORD)), ""), t.0);
    }
    let (_, logs) = n.stop();
    assert_no_secret_in(&logs);
}

/// curl's status for a request with Digest credentials (`--digest`), and the challenges
/// naftiko sent first.
fn curl_digest(url: &str, user: &str, password: &str, post: Option<&Value>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-o",
        "/dev/null",
        "-D",
        "-",
        "-w",
        "%{http_code}",
        "--digest",
    ])
    .args(["-u", &format!("{user}:{password}")])
    .arg("--noproxy")
    .arg("*");
    if let Some(body) = post {
        cmd.args(["-H", "content-type: application/json"])
            .args(["-H", "accept: application/json, text/event-stream"])
            .args(["--data-binary", &body.to_string()]);
    }
    let out = cmd.arg(url).output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text.trim_end().rsplit('\n').next().unwrap_or("").trim();
    let status = status.get(status.len().saturating_sub(3)..).unwrap_or("");
    (status.parse().unwrap_or(0), text)
}

#[test]
fn digest_answers_from_curl_are_checked_on_every_exposes_type() {
    if Command::new("curl").arg("--version").output().is_err() {
        common::skip_or_fail("curl is not installed");
        return;
    }
    let dir = common::Scratch::new("inbound-digest");
    let n = start(
        &dir,
        "type: digest\nusername: '{{INBOUND_USER}}'\npassword: '{{INBOUND_PASSWORD}}'",
    );
    for t in targets(&n) {
        let r = send(&t, |r| r, "");
        let challenges: Vec<String> = r
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(challenges.len(), 2, "{challenges:?}");
        assert!(
            challenges[0].contains("algorithm=SHA-256"),
            "{challenges:?}"
        );
        assert!(challenges[1].contains("algorithm=MD5"), "{challenges:?}");
        assert_refused(r, "Digest", t.0);
        let (status, trace) = curl_digest(&t.2, USER, PASSWORD, t.3.as_ref());
        assert_eq!(status, 200, "{}: {trace}", t.0);
        let (status, trace) = curl_digest(&t.2, USER, WRONG, t.3.as_ref());
        assert_eq!(status, 401, "{}: {trace}", t.0);
        // A Digest answer replayed for another target is refused.
        let answered = format!(
            "Digest username=\"{USER}\", realm=\"x\", nonce=\"0\", uri=\"/other\", response=\"0\", qop=auth, nc=00000001, cnonce=\"a\""
        );
        assert_refused(
            send(&t, |r| r.header("authorization", answered.clone()), ""),
            "Digest",
            t.0,
        );
    }
    let (_, logs) = n.stop();
    assert_no_secret_in(&logs);
}

#[test]
fn an_authentication_naftiko_cannot_enforce_stops_run_and_fails_validate() {
    let dir = common::Scratch::new("inbound-empty");
    let path = capability(&dir, "type: bearer");
    for command in ["run", "validate"] {
        let out = common::naftiko(&[command, &path]);
        assert_ne!(out.code(), 0, "{out}");
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .chain(out.stdout.lines())
            .filter(|l| l.contains("error[auth-unenforceable]"))
            .collect();
        // One per exposes block (rest, mcp, skill, control), each naming its line.
        assert_eq!(errors.len(), 4, "{out}");
        assert!(
            errors
                .iter()
                .all(|l| l.contains("guarded.yaml:") && l.contains("without `token`")),
            "{out}"
        );
    }
}

#[test]
fn expose_mcp_leaves_out_operations_whose_rest_block_requires_authentication() {
    let dir = common::Scratch::new("inbound-expose");
    let path = capability(&dir, "type: bearer\ntoken: '{{INBOUND_TOKEN}}'");
    let n = Naftiko::start(
        &[&path, "--expose", "mcp=127.0.0.1:0"],
        &[
            ("INBOUND_TOKEN", TOKEN),
            ("INBOUND_USER", USER),
            ("INBOUND_PASSWORD", PASSWORD),
        ],
    );
    let url = format!("http://{}/mcp", n.listener("naftiko"));
    let init = client()
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .json(&serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}
        }))
        .send()
        .unwrap();
    assert_eq!(init.status(), 200);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let list: Value = client()
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(list["result"]["tools"], serde_json::json!([]), "{list}");
    let (_, logs) = n.stop();
    let warning = logs
        .lines()
        .find(|l| l.contains("--expose mcp leaves out"))
        .unwrap_or_else(|| panic!("no warning:\n{logs}"));
    assert!(warning.contains("`hello`"), "{warning}");
}

/// The status, challenge, content type and body of an answer.
fn answer_of(r: reqwest::blocking::Response) -> (u16, String, String, String) {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (challenge, content_type) = (header("www-authenticate"), header("content-type"));
    (
        r.status().as_u16(),
        challenge,
        content_type,
        r.text().unwrap(),
    )
}

#[test]
fn guarded_tool_calls_on_the_direct_path_are_checked_as_on_the_general_path() {
    // A call the direct path takes (2025-11-25, no session), to the guarded MCP block of an
    // instance as is (naftiko's own loop) and of one with `--general-path` (hyper and rmcp).
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "hello", "arguments": {}}});
    type Credential = fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder;
    /// A block's authentication, the query key its credential goes in (none: a header),
    /// and three ways of calling: none, wrong, right.
    type Case = (&'static str, &'static str, [(&'static str, Credential); 3]);
    let cases: [Case; 2] = [
        (
            "type: bearer\ntoken: '{{INBOUND_TOKEN}}'",
            "",
            [
                ("none", |r| r),
                ("wrong", |r| r.bearer_auth(WRONG)),
                ("right", |r| r.bearer_auth(TOKEN)),
            ],
        ),
        (
            "type: apikey\nkey: api_key\nvalue: '{{INBOUND_TOKEN}}'\nplacement: query",
            "api_key",
            [
                ("none", |r| r),
                ("in a header", |r| r.header("api_key", TOKEN)),
                ("right", |r| r),
            ],
        ),
    ];
    for (i, (auth, query_key, credentials)) in cases.iter().enumerate() {
        let own_dir = common::Scratch::new(&format!("inbound-mcp-direct-{i}"));
        let general_dir = common::Scratch::new(&format!("inbound-mcp-general-{i}"));
        let env = [
            ("INBOUND_TOKEN", TOKEN),
            ("INBOUND_USER", USER),
            ("INBOUND_PASSWORD", PASSWORD),
            ("NAFTIKO_LOG", "debug"),
        ];
        let own = Naftiko::start(&[&capability(&own_dir, auth)], &env);
        let general_path = capability(&general_dir, auth);
        let general = Naftiko::start(&[&general_path, "--general-path"], &env);
        for (what, with) in credentials {
            let query = match (*query_key, *what) {
                ("", _) | (_, "none" | "in a header") => String::new(),
                (key, _) => format!("?{key}={TOKEN}"),
            };
            let ask = |n: &Naftiko| {
                let r = client()
                    .post(format!("http://{}/mcp{query}", n.listener("guarded-mcp")))
                    .header("accept", "application/json, text/event-stream")
                    .header("mcp-protocol-version", "2025-11-25")
                    .json(&call);
                answer_of(with(r).send().unwrap())
            };
            let answer = ask(&own);
            assert_eq!(answer, ask(&general), "{auth}: {what}");
            if *what == "right" {
                assert_eq!(answer.0, 200, "{auth}: {answer:?}");
                assert!(answer.3.contains(r#"\"greeting\":\"hi\""#), "{answer:?}");
            } else {
                assert_eq!(answer.0, 401, "{auth}: {what}: {answer:?}");
            }
        }
        // Every request has its access line, the refused ones too (on both paths).
        for (which, n) in [("own", own), ("general", general)] {
            let (_, logs) = n.stop();
            for secret in [TOKEN, WRONG] {
                assert!(!logs.contains(secret), "`{secret}` logged:\n{logs}");
            }
            let lines: Vec<&str> = logs.lines().filter(|l| l.contains("mcp request")).collect();
            let refused = lines.iter().filter(|l| l.contains("status=401")).count();
            let allowed = lines.iter().filter(|l| l.contains("status=200")).count();
            assert_eq!((refused, allowed), (2, 1), "{auth} {which}:\n{logs}");
        }
    }
}
