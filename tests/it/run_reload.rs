//! Hot reload end to end (docs/run.md "Reloading"): SIGHUP and `--watch` load, validate and
//! build the files beside the running set; a set with errors is logged and the running one
//! kept; a set that builds is swapped in: new requests take it, requests in flight finish
//! on the old one, listeners that appear are opened and those that disappear drained.
//! Consumed APIs that did not change keep their connections and OAuth 2.0 tokens. The
//! upstreams are real servers on loopback: a token endpoint and an orders API that records
//! the port each request came from.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FIXTURE: &str = "tests/fixtures/run/oauth2-client-credentials.yaml";

/// The orders API: `{"id", "status": "open"}`, an order `slow` after 1.5 s.
fn orders() -> Upstream {
    Upstream::start(|seen| {
        let id = seen.last_segment().to_owned();
        let reply = Reply::json(json!({"id": id, "status": "open"}));
        if id == "slow" {
            reply.after(Duration::from_millis(1500))
        } else {
            reply
        }
    })
}

/// A token endpoint (client credentials), counting what it is asked.
fn tokens() -> Upstream {
    common::serve::token_endpoint("reload-token-never-logged")
}

fn fixture() -> String {
    std::fs::read_to_string(common::root().join(FIXTURE)).unwrap()
}

/// The fixture with `(from, to)` replaced.
fn variant(replacements: &[(&str, &str)]) -> String {
    let mut text = fixture();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text
}

/// A second exposed resource (the consumed block unchanged).
fn with_copy() -> String {
    variant(&[(
        "  exposes:\n  - type: rest\n    namespace: orders-rest\n    port: 8080\n    description: REST adapter for the orders API.\n    resources:\n",
        "  exposes:\n  - type: rest\n    namespace: orders-rest\n    port: 8080\n    description: REST adapter for the orders API.\n    resources:\n    - path: /v1/copies/{id}\n      name: copy\n      description: The same order, at another path.\n      inputParameters:\n      - name: id\n        in: path\n        type: string\n        description: The order id.\n      operations:\n      - method: GET\n        name: get-copy\n        description: The same order.\n        call: orders-api.get-order\n        with:\n          id: '{{id}}'\n",
    )])
}

/// The consumed block changed: `status` is now `state`.
fn renamed() -> String {
    variant(&[(
        "- name: status\n          type: string\n          value: $.status",
        "- name: state\n          type: string\n          value: $.status",
    )])
}

fn start(file: &Path, orders: &Upstream, tokens: &Upstream, extra: &[&str]) -> Naftiko {
    let base = format!("orders-api={}", orders.url());
    let token_url = format!("{}/token", tokens.url());
    let mut args = vec![
        file.to_str().unwrap(),
        "--base-uri",
        &base,
        "--listen",
        "orders-rest=127.0.0.1:0",
        "--control",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    Naftiko::start(
        &args,
        &[
            ("TOKEN_URL", token_url.as_str()),
            ("CLIENT_ID", "reload-client"),
            ("CLIENT_SECRET", "reload-secret-never-logged"),
        ],
    )
}

fn hangup(n: &Naftiko) {
    let ok = Command::new("kill")
        .args(["-HUP", &n.pid().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -HUP");
}

fn get(url: &str) -> (u16, Value) {
    let r = client().get(url).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// Waits (at most the watchdog) until `done` holds.
fn wait_until(n: &Naftiko, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + common::WATCHDOG;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within the watchdog\n{}",
            n.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `/status`'s `reload` object.
fn reload_status(n: &Naftiko) -> Value {
    get(&format!("{}/status", n.url_of("control"))).1["reload"].clone()
}

#[test]
fn sighup_swaps_in_a_valid_set_keeps_pools_and_tokens_and_refuses_an_invalid_one() {
    let (orders, tokens) = (orders(), tokens());
    let dir = common::Scratch::new("reload-sighup");
    let file = dir.write("orders.yaml", fixture());
    let n = start(&file, &orders, &tokens, &[]);
    let rest = n.url_of("orders-rest");
    assert_eq!(
        get(&format!("{rest}/v1/orders/1")),
        (200, json!({"id": "1", "status": "open"}))
    );
    assert_eq!(get(&format!("{rest}/v1/copies/1")).0, 404);
    assert_eq!(reload_status(&n), json!({"generation": 1}));
    // Connections are dealt round-robin to one runtime per core, each with its own idle
    // upstream connections: enough requests for every core to have opened its own.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    for _ in 0..2 * cores {
        assert_eq!(get(&format!("{rest}/v1/orders/1")).0, 200);
    }
    let pooled: Vec<SocketAddr> = orders.seen().iter().map(|s| s.peer).collect();
    let seen_before = pooled.len();

    // 1. A new route, the consumed API unchanged.
    std::fs::write(&file, with_copy()).unwrap();
    hangup(&n);
    wait_until(&n, "the new route", || {
        get(&format!("{rest}/v1/copies/2")).0 == 200
    });
    assert_eq!(
        get(&format!("{rest}/v1/orders/3")).0,
        200,
        "the old route too"
    );
    let status = reload_status(&n);
    assert_eq!(
        (status["generation"].clone(), status["outcome"].clone()),
        (json!(2), json!("ok")),
        "{status}"
    );
    assert_eq!(tokens.seen().len(), 1, "the cached token was kept");
    let peers: Vec<SocketAddr> = orders.seen().iter().map(|s| s.peer).collect();
    assert!(
        peers[seen_before..].iter().all(|p| pooled.contains(p)),
        "the pooled connections were kept: {peers:?}"
    );

    // 2. A set with an error: logged, and the running one kept.
    std::fs::write(
        &file,
        with_copy().replace(
            "method: GET\n        name: get-copy",
            "method: FETCH\n        name: get-copy",
        ),
    )
    .unwrap();
    hangup(&n);
    wait_until(&n, "the failed reload", || {
        reload_status(&n)["outcome"] == "failed"
    });
    let status = reload_status(&n);
    assert_eq!(status["generation"], 2, "{status}");
    assert_eq!(get(&format!("{rest}/v1/copies/4")).0, 200, "still served");
    let logs = n.logs();
    assert!(logs.contains("reload failed"), "{logs}");
    assert!(
        logs.contains("orders.yaml:") && logs.contains("FETCH"),
        "the diagnostic names the file and line\n{logs}"
    );

    // 3. The consumed API changed: a new token source (and a new token).
    std::fs::write(&file, renamed()).unwrap();
    hangup(&n);
    wait_until(&n, "the renamed output", || {
        get(&format!("{rest}/v1/orders/5")).1.get("state").is_some()
    });
    assert_eq!(
        get(&format!("{rest}/v1/copies/6")).0,
        404,
        "the copy route is gone"
    );
    assert_eq!(tokens.seen().len(), 2, "a new token for the changed API");
    let metrics = client()
        .get(format!("{}/metrics", n.url_of("control")))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("naftiko_reloads_total{outcome=\"ok\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("naftiko_reloads_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("naftiko_generation 3"), "{metrics}");
    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    for secret in ["reload-token-never-logged", "reload-secret-never-logged"] {
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
}

#[test]
fn in_flight_requests_finish_on_the_generation_they_started_with() {
    let (orders, tokens) = (orders(), tokens());
    let dir = common::Scratch::new("reload-in-flight");
    let file = dir.write("orders.yaml", fixture());
    let n = start(&file, &orders, &tokens, &[]);
    let rest = n.url_of("orders-rest");
    let slow_url = format!("{rest}/v1/orders/slow");
    let slow = std::thread::spawn(move || get(&slow_url));
    wait_until(&n, "the slow request upstream", || {
        orders.seen().iter().any(|s| s.path().ends_with("/slow"))
    });
    std::fs::write(&file, renamed()).unwrap();
    hangup(&n);
    wait_until(&n, "the reload", || reload_status(&n)["generation"] == 2);
    let (status, body) = get(&format!("{rest}/v1/orders/7"));
    assert_eq!((status, body), (200, json!({"id": "7", "state": "open"})));
    let (status, body) = slow.join().unwrap();
    assert_eq!(
        (status, body),
        (200, json!({"id": "slow", "status": "open"})),
        "the old generation's shape"
    );
}

#[test]
fn watch_reloads_changed_files_and_opens_and_drains_listeners() {
    let (orders, tokens) = (orders(), tokens());
    let dir = common::Scratch::new("reload-watch");
    let file = dir.write("orders.yaml", fixture());
    let n = start(
        &file,
        &orders,
        &tokens,
        &["--watch", "--watch-interval", "100ms"],
    );
    let port = common::free_port();
    let second = format!(
        "{}  - type: rest\n    namespace: orders-extra\n    address: 127.0.0.1\n    port: {port}\n    resources:\n    - path: /extra/{{id}}\n      name: extra\n      description: Another listener.\n      inputParameters:\n      - name: id\n        in: path\n        type: string\n        description: The order id.\n      operations:\n      - method: GET\n        name: get-extra\n        description: An order.\n        call: orders-api.get-order\n        with:\n          id: '{{{{id}}}}'\n",
        fixture()
    );
    std::fs::write(&file, &second).unwrap();
    let extra = format!("http://127.0.0.1:{port}/extra/9");
    wait_until(&n, "the new listener", || {
        client().get(&extra).send().is_ok_and(|r| r.status() == 200)
    });
    assert!(
        n.logs().contains(&format!(
            "listening on http://127.0.0.1:{port} (orders-extra)"
        )),
        "{}",
        n.logs()
    );
    // The block removed: its listener stops accepting.
    std::fs::write(&file, fixture()).unwrap();
    wait_until(&n, "the listener drained", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    assert!(
        n.logs()
            .contains(&format!("stopped listening on http://127.0.0.1:{port}"))
    );
    assert_eq!(
        get(&format!("{}/v1/orders/1", n.url_of("orders-rest"))).0,
        200
    );
    assert_eq!(reload_status(&n)["generation"], 3);
}

/// POSTs one JSON-RPC message to an MCP endpoint, with `session` when given.
fn mcp_post(url: &str, body: &Value, session: Option<&str>) -> reqwest::blocking::Response {
    let mut req = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(id) = session {
        req = req
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25");
    }
    req.send().unwrap()
}

#[test]
fn mcp_sessions_of_a_block_that_stays_survive_a_reload() {
    let (orders, tokens) = (orders(), tokens());
    let dir = common::Scratch::new("reload-mcp");
    let file = dir.write("orders.yaml", fixture());
    let n = start(&file, &orders, &tokens, &["--expose", "mcp=127.0.0.1:0"]);
    let url = format!("{}/mcp", n.url_of("[mcp at /mcp]"));
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "reload-test", "version": "1"}}});
    let r = mcp_post(&url, &init, None);
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert!(
        mcp_post(&url, &initialized, Some(&session))
            .status()
            .is_success()
    );
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let tools = |n: &Naftiko| -> Vec<String> {
        let r = mcp_post(&url, &list, Some(&session));
        assert_eq!(r.status(), 200, "{}", n.logs());
        let body: Value = r.json().unwrap();
        body["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(tools(&n), ["get-order"]);
    std::fs::write(&file, with_copy()).unwrap();
    hangup(&n);
    wait_until(&n, "the reload", || reload_status(&n)["generation"] == 2);
    // The same session, the new generation's tools.
    assert_eq!(tools(&n), ["get-copy", "get-order"]);
    // An unknown session is still refused.
    assert_eq!(mcp_post(&url, &list, Some("not-a-session")).status(), 404);
}
