//! `naftiko run capabilities/oauth2-tokens.yaml` end to end: the binary started as a user
//! would, a real loopback upstream, a real HTTP client.

use crate::common;

use std::time::Duration;

use common::serve::{Naftiko, Reply, Upstream, client, dead_address, post_seed_form};
use serde_json::{Value, json};

const SEED: &str = "capabilities/oauth2-tokens.yaml";

/// An upstream token endpoint: 401 for the secret `wrong`, a token otherwise.
fn token_endpoint() -> Upstream {
    common::serve::token_endpoint("eyJ.upstream.token")
}

fn start(upstream: &str, extra: &[&str]) -> Naftiko {
    common::serve::start_seed(upstream, extra)
}

fn form_of(seen: &common::serve::Seen) -> Vec<(String, String)> {
    let mut f = seen.form();
    f.sort();
    f
}

#[test]
fn form_body_is_exchanged_for_a_token_with_an_integer_expiry() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let r = post_seed_form(&client(), &n, "id-1", "s3cr3t-1").unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: Value = r.json().unwrap();
    assert_eq!(
        body,
        json!({"access_token": "eyJ.upstream.token", "expires_in": 3600})
    );
    assert!(body["expires_in"].is_i64());
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path(), "/oauth2/token");
    assert_eq!(
        seen[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form_of(&seen[0]),
        vec![
            ("client_id".into(), "id-1".into()),
            ("client_secret".into(), "s3cr3t-1".into()),
            ("grant_type".into(), "client_credentials".into()),
        ]
    );
}

#[test]
fn json_body_is_sent_upstream_as_a_form() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .json(&json!({"grant_type": "client_credentials", "client_id": "id-2", "client_secret": "s3cr3t-2"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap()["access_token"],
        "eyJ.upstream.token"
    );
    let seen = up.seen();
    assert_eq!(
        seen[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(form_of(&seen[0]).contains(&("client_secret".into(), "s3cr3t-2".into())));
}

#[test]
fn an_upstream_401_reaches_the_client_with_its_body() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let r = post_seed_form(&client(), &n, "id", "wrong").unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "invalid_client"})
    );
}

#[test]
fn a_missing_client_secret_is_a_400_naming_it_and_nothing_is_sent_upstream() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "id")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["status"], 400);
    assert_eq!(problem["invalid-params"][0]["name"], "client_secret");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("client_secret"),
        "{problem}"
    );
    assert!(up.seen().is_empty(), "no upstream call may be made");
}

#[test]
fn an_unreachable_upstream_is_a_502() {
    let n = start(&dead_address(), &[]);
    let r = post_seed_form(&client(), &n, "id", "s").unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["upstream"], "oauth2-tokens");
}

#[test]
fn an_upstream_slower_than_the_timeout_is_a_504() {
    let up = Upstream::start(|_| {
        Reply::json(json!({"access_token": "late", "expires_in": 1})).after(Duration::from_secs(3))
    });
    let n = start(&up.url(), &["--upstream-timeout", "300ms"]);
    let r = post_seed_form(&client(), &n, "id", "s").unwrap();
    assert_eq!(r.status(), 504);
    let problem: Value = r.json().unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("300 ms"),
        "{problem}"
    );
}

#[test]
fn other_methods_are_405_with_allow_and_unknown_paths_404() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let r = client()
        .get(format!("{}/v1/oauth2/token", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = client()
        .get(format!("{}/v1/nothing", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["status"], 404);
}

#[test]
fn a_body_over_the_limit_is_a_413() {
    let up = token_endpoint();
    let n = start(&up.url(), &["--max-body", "1KiB"]);
    let big = "x".repeat(4096);
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", big.as_str()),
            ("client_secret", "s"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 413);
    assert!(up.seen().is_empty());
}

#[test]
fn logs_show_one_line_per_request_and_never_the_secrets() {
    let up = token_endpoint();
    let n = start(&up.url(), &["--log-format", "json"]);
    for secret in ["s3cr3t-never-logged", "wrong"] {
        let _ = client()
            .post(format!("{}/v1/oauth2/token", n.url()))
            .header("authorization", "Bearer caller-token-never-logged")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "id"),
                ("client_secret", secret),
            ])
            .send()
            .unwrap();
    }
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "clean stop exits 0\n{logs}");
    let access = common::serve::json_access_lines(&logs);
    assert_eq!(access.len(), 2, "{logs}");
    assert_eq!(access[0]["method"], "POST");
    assert_eq!(access[0]["route"], "/v1/oauth2/token");
    assert_eq!(access[0]["status"], 200);
    assert_eq!(access[0]["upstream_status"], 200);
    assert_eq!(access[1]["status"], 401);
    assert!(access[0]["latency_ms"].is_number());
    for secret in [
        "s3cr3t-never-logged",
        "caller-token-never-logged",
        "eyJ.upstream.token",
    ] {
        assert!(
            !logs.contains(secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}

#[test]
fn startup_logs_one_line_per_listener_and_route() {
    let up = token_endpoint();
    let n = start(&up.url(), &[]);
    let logs = n.logs();
    assert_eq!(
        logs.matches("listening on http://127.0.0.1:").count(),
        1,
        "{logs}"
    );
    assert!(
        logs.contains("route POST /v1/oauth2/token → oauth2-tokens.getoauthtoken"),
        "{logs}"
    );
}

#[test]
fn the_server_credentials_example_sends_its_own_secrets_and_ignores_the_callers() {
    let up = token_endpoint();
    let base = format!("oauth2-tokens-server={}", up.url());
    let n = Naftiko::start(
        &[
            "capabilities/examples/oauth2-tokens-server-credentials.yaml",
            "--base-uri",
            &base,
            "--listen",
            "oauth2-tokens-server-rest=127.0.0.1:0",
        ],
        &[
            ("VECTARA_CLIENT_ID", "server-id"),
            ("VECTARA_CLIENT_SECRET", "server-secret-value"),
            ("TOKEN_SERVICE_TOKEN", "caller-bearer-token"),
        ],
    );
    // Whoever does not present the service token gets no token.
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(up.seen().is_empty(), "the upstream was called");
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .bearer_auth("caller-bearer-token")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["expires_in"], 3600);
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .bearer_auth("caller-bearer-token")
        .form(&[("client_id", "caller"), ("client_secret", "caller-secret")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    for seen in up.seen() {
        assert_eq!(
            form_of(&seen),
            vec![
                ("client_id".into(), "server-id".into()),
                ("client_secret".into(), "server-secret-value".into()),
                ("grant_type".into(), "client_credentials".into()),
            ]
        );
    }
    let (_, logs) = n.stop();
    assert!(!logs.contains("server-secret-value"), "{logs}");
    assert!(!logs.contains("caller-bearer-token"), "{logs}");
}

#[test]
fn a_missing_bound_variable_refuses_to_start_naming_every_one() {
    let run = common::naftiko_in(
        common::root(),
        &[
            "run",
            "capabilities/examples/oauth2-tokens-server-credentials.yaml",
            "--listen",
            "oauth2-tokens-server-rest=127.0.0.1:0",
        ],
    );
    assert_eq!(run.code(), 1, "{run}");
    assert!(
        run.stderr.contains("VECTARA_CLIENT_ID") && run.stderr.contains("VECTARA_CLIENT_SECRET"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("oauth2-tokens-server-credentials.yaml:"),
        "names the file: {run}"
    );
}

#[test]
fn an_invalid_capability_refuses_to_start_with_its_diagnostics() {
    let run = common::naftiko(&["run", "tests/fixtures/invalid/missing-required.yaml"]);
    assert_eq!(run.code(), 1, "{run}");
    assert!(run.stderr.contains("error["), "{run}");
}

#[test]
fn usage_errors_exit_2_and_a_busy_port_exits_3() {
    let run = common::naftiko(&["run", SEED, "--listen", "no-equals-sign"]);
    assert_eq!(run.code(), 2, "{run}");
    let run = common::naftiko(&["run", "does/not/exist.yaml"]);
    assert_eq!(run.code(), 2, "{run}");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = format!("oauth2-tokens-rest={}", busy.local_addr().unwrap());
    let run = common::naftiko(&["run", SEED, "--listen", &listen]);
    assert_eq!(run.code(), 3, "{run}");
    assert!(run.stderr.contains("cannot listen on"), "{run}");
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let up = Upstream::start(|_| {
        Reply::json(json!({"access_token": "t", "expires_in": 60}))
            .after(Duration::from_millis(800))
    });
    let n = start(&up.url(), &[]);
    let url = format!("{}/v1/oauth2/token", n.url());
    let in_flight = std::thread::spawn(move || {
        client()
            .post(url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "id"),
                ("client_secret", "s"),
            ])
            .send()
            .map(|r| r.status().as_u16())
    });
    // Stop only once the request has reached the upstream, i.e. is in flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while up.seen().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(up.seen().len(), 1);
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert_eq!(in_flight.join().unwrap().unwrap(), 200, "{logs}");
}

#[test]
fn an_upstream_redirect_passes_through_with_its_location() {
    let up = Upstream::start(|_| {
        Reply::status_json(302, json!({"moved": true}))
            .header("location", "https://auth.example.test/elsewhere".to_owned())
    });
    let n = start(&up.url(), &[]);
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let r = post_seed_form(&no_redirects, &n, "id", "s").unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://auth.example.test/elsewhere"
    );
    assert_eq!(up.seen().len(), 1, "naftiko does not follow redirects");
}
