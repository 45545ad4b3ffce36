//! The control port of `naftiko run --control`: health, readiness, status, and Prometheus
//! metrics that move by exactly the traffic sent.

use crate::common;

use std::net::SocketAddr;

use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::{Value, json};

fn start(up: &Upstream) -> (Naftiko, SocketAddr, SocketAddr, SocketAddr) {
    start_with(up, &[])
}

fn start_with(
    up: &Upstream,
    env: &[(&str, &str)],
) -> (Naftiko, SocketAddr, SocketAddr, SocketAddr) {
    let base = format!("oauth2-tokens={}", up.url());
    let n = Naftiko::start(
        &[
            "capabilities/oauth2-tokens.yaml",
            "--base-uri",
            &base,
            "--listen",
            "oauth2-tokens-rest=127.0.0.1:0",
            "--expose",
            "mcp=127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
        ],
        env,
    );
    let find = |ns: &str| {
        n.listeners
            .iter()
            .find(|(names, _)| names.contains(ns))
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("no `{ns}` listener in {:?}", n.listeners))
    };
    let (rest, mcp, control) = (
        find("oauth2-tokens-rest"),
        find("naftiko)"),
        find("control"),
    );
    (n, rest, mcp, control)
}

/// Calls the seed's MCP tool `getoauthtoken` (2025 revisions, no session); the status.
fn token_tool_call(c: &reqwest::blocking::Client, mcp: SocketAddr) -> u16 {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "getoauthtoken", "arguments": {"grant_type": "client_credentials", "client_id": "id", "client_secret": "s"}}});
    c.post(format!("http://{mcp}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// The value of one sample line (`name{labels} value`) in Prometheus text.
fn sample(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.0)
}

#[test]
fn health_status_and_metrics_follow_the_traffic() {
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "t", "expires_in": 60})));
    let (n, rest, mcp, control) = start(&up);
    let c = client();
    let base = format!("http://{control}");
    assert_eq!(
        c.get(format!("{base}/health/live"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let ready: Value = c
        .get(format!("{base}/health/ready"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["status"], "UP");
    let status: Value = c
        .get(format!("{base}/status"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        status["capabilities"][0]["label"],
        "Vectara OAuth 2.0 Token API — Tokens"
    );
    assert_eq!(status["capabilities"][0]["naftiko"], "1.0.0-alpha2");
    let kinds: Vec<&str> = status["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rest", "mcp", "control"], "{status}");
    assert!(status["uptimeSeconds"].as_f64().unwrap() >= 0.0);

    let before = c
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "id"),
        ("client_secret", "s"),
    ];
    for _ in 0..3 {
        assert_eq!(
            c.post(format!("http://{rest}/v1/oauth2/token"))
                .form(&form)
                .send()
                .unwrap()
                .status(),
            200
        );
    }
    let r = c
        .post(format!("http://{rest}/v1/oauth2/token"))
        .form(&form[..2])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        c.get(format!("http://{rest}/nowhere"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(token_tool_call(&c, mcp), 200);

    let r = c.get(format!("{base}/metrics")).send().unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let after = r.text().unwrap();
    let moved = |prefix: &str| sample(&after, prefix) - sample(&before, prefix);
    let op = r#"adapter="rest",operation="POST /v1/oauth2/token""#;
    assert_eq!(
        moved(&format!("naftiko_requests_total{{{op},status=\"200\"}}")),
        3.0,
        "{after}"
    );
    assert_eq!(
        moved(&format!("naftiko_requests_total{{{op},status=\"400\"}}")),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(&format!(
            "naftiko_request_errors_total{{{op},kind=\"invalid-parameter\"}}"
        )),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(r#"naftiko_requests_total{adapter="rest",operation="-",status="404"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved(&format!("naftiko_request_duration_seconds_count{{{op}}}")),
        4.0,
        "{after}"
    );
    assert_eq!(
        moved(r#"naftiko_requests_total{adapter="mcp",operation="getoauthtoken",status="200"}"#),
        1.0,
        "{after}"
    );
    // 3 REST calls and 1 MCP call reached the upstream; the 400 did not.
    assert_eq!(
        moved(r#"naftiko_upstream_requests_total{namespace="oauth2-tokens",status="200"}"#),
        4.0,
        "{after}"
    );
    assert_eq!(
        moved(r#"naftiko_upstream_duration_seconds_count{namespace="oauth2-tokens"}"#),
        4.0,
        "{after}"
    );
    assert_eq!(up.seen().len(), 4);
    assert_eq!(sample(&after, "naftiko_in_flight_requests"), 0.0, "{after}");
    let unknown = c.get(format!("{base}/nope")).send().unwrap();
    assert_eq!(unknown.status(), 404);
    let (code, _) = n.stop();
    assert_eq!(code, 0);
}

#[test]
fn a_control_exposes_block_serves_the_same_endpoints_beside_mcp_and_skills() {
    // A free port for the control block (the file names its port; tests move the others).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = common::Scratch::new("control-block");
    let text =
        std::fs::read_to_string(common::root().join("tests/fixtures/valid/control-skill.yaml"))
            .unwrap()
            .replace(
                "address: localhost\n    port: 9090",
                &format!("address: 127.0.0.1\n    port: {port}"),
            );
    let path = dir.write("control-skill.yaml", text);
    let n = Naftiko::start(
        &[
            path.to_str().unwrap(),
            "--listen",
            "notes-mcp=127.0.0.1:0",
            "--listen",
            "notes-skills=127.0.0.1:0",
        ],
        &[],
    );
    let control = n
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("control"))
        .map(|(_, a)| *a)
        .expect("a control listener");
    assert_eq!(control.port(), port);
    let c = client();
    let ready: Value = c
        .get(format!("http://{control}/health/ready"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["status"], "UP");
    let kinds: Vec<&str> = ready["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["mcp", "skill", "control"], "{ready}");
    let metrics = c
        .get(format!("http://{control}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("naftiko_in_flight_requests 0"),
        "{metrics}"
    );
    assert!(metrics.ends_with("# EOF\n"), "OpenMetrics text: {metrics}");
    let (code, _) = n.stop();
    assert_eq!(code, 0);
}

/// `naftiko health|status|metrics`: the control port's clients, with the exit codes scripts
/// and container health checks rely on.
#[test]
fn the_control_clients_report_health_status_and_metrics_with_exit_codes() {
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "t", "expires_in": 60})));
    let (_n, rest, _mcp, control) = start(&up);
    let control = control.to_string();
    let live = common::naftiko(&["health", "--control", &control]);
    assert_eq!(live.code(), 0, "{live}");
    assert!(live.stdout.contains("\"UP\""), "{live}");
    let ready = common::naftiko(&["health", "--ready", "--control", &control]);
    assert_eq!(ready.code(), 0, "{ready}");
    assert!(ready.stdout.contains("listeners"), "{ready}");
    let status = common::naftiko(&["status", "--control", &control]);
    assert_eq!(status.code(), 0, "{status}");
    let doc: Value = serde_json::from_str(&status.stdout).unwrap();
    assert!(doc["uptimeSeconds"].is_number(), "{status}");
    let metrics = common::naftiko(&["metrics", "--control", &control]);
    assert_eq!(metrics.code(), 0, "{metrics}");
    assert!(metrics.stdout.contains("# TYPE"), "{metrics}");
    // A port that answers, but not as a healthy control port: exit 1.
    let not_control = common::naftiko(&["health", "--control", &rest.to_string()]);
    assert_eq!(not_control.code(), 1, "{not_control}");
    // Nothing listening: exit 3, naming the address.
    let dead = common::serve::dead_address();
    let dead = dead.trim_start_matches("http://");
    let gone = common::naftiko(&["health", "--control", dead, "--timeout", "2s"]);
    assert_eq!(gone.code(), 3, "{gone}");
    assert!(gone.stderr.contains(dead), "{gone}");
    // A bad address is a usage error naming the flag.
    let bad = common::naftiko(&["health", "--control", "nowhere"]);
    assert_eq!(bad.code(), 2, "{bad}");
    assert!(bad.stderr.contains("--control"), "{bad}");
}

/// Idle keep-alive connections to every listener (REST, MCP, control), dealt to every
/// core's runtime, do not hold up shutdown: each closes at once, and naftiko exits 0
/// (drained) instead of waiting out the grace period (shorter here than the 10 s an idle
/// connection may wait for its next request) and exiting 4.
#[test]
fn idle_connections_on_every_core_do_not_hold_up_shutdown() {
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "t"})));
    let (n, rest, mcp, control) = start_with(&up, &[("NAFTIKO_SHUTDOWN_GRACE", "3s")]);
    // A client per connection: enough connections for every core to hold some.
    let mut kept = Vec::new();
    for _ in 0..4 {
        let c = client();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", "id"),
            ("client_secret", "s"),
        ];
        let r = c
            .post(format!("http://{rest}/v1/oauth2/token"))
            .form(&form)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        kept.push(c);
        let c = client();
        assert_eq!(
            c.get(format!("http://{control}/health/ready"))
                .send()
                .unwrap()
                .status(),
            200
        );
        kept.push(c);
        let c = client();
        assert_eq!(token_tool_call(&c, mcp), 200);
        kept.push(c);
    }
    let (code, log) = n.stop();
    assert_eq!(code, 0, "drained: {log}");
    drop(kept);
}
