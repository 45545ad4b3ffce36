//! MCP tools that orchestrate: an aggregate function (`ref`) and `steps` with `mappings`,
//! called over Streamable HTTP with plain JSON-RPC against a loopback upstream.

use crate::common;

use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::{Value, json};

const FIXTURE: &str = "tests/fixtures/run/mcp-orchestration.yaml";

fn shop() -> Upstream {
    Upstream::start(|seen| match seen.path() {
        "/orders/A1" => Reply::json(json!({"id": "A1", "total": 42.5, "customer_id": "C7"})),
        "/customers/C7" => Reply::json(json!({"name": "Ada", "email": "ada@example.test"})),
        _ => Reply::status_json(404, json!({"error": "not found"})),
    })
}

fn rpc(url: &str, method: &str, params: Value) -> Value {
    let r = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().unwrap()
}

fn start(up: &Upstream) -> (Naftiko, String) {
    let base = format!("shop={}", up.url());
    let n = Naftiko::start(
        &[
            FIXTURE,
            "--base-uri",
            &base,
            "--listen",
            "orders-mcp=127.0.0.1:0",
        ],
        &[],
    );
    let url = format!("{}/mcp", n.url());
    (n, url)
}

#[test]
fn the_fixture_validates_without_errors() {
    let run = common::naftiko(&["validate", FIXTURE]);
    assert_eq!(run.code(), 0, "{run}");
}

#[test]
fn a_ref_tool_takes_the_functions_inputs_and_hints_and_runs_its_steps() {
    let up = shop();
    let (_n, url) = start(&up);
    let list = rpc(&url, "tools/list", json!({}));
    let tool = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "order-summary")
        .unwrap()
        .clone();
    assert_eq!(
        tool["inputSchema"]["properties"]["order_id"]["type"], "string",
        "{tool}"
    );
    assert_eq!(
        tool["inputSchema"]["required"],
        json!(["order_id"]),
        "{tool}"
    );
    assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
    assert_eq!(tool["annotations"]["destructiveHint"], false, "{tool}");
    assert_eq!(tool["annotations"]["idempotentHint"], true, "{tool}");

    let r = rpc(
        &url,
        "tools/call",
        json!({"name": "order-summary", "arguments": {"order_id": "A1"}}),
    );
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert_eq!(
        r["result"]["structuredContent"],
        json!({"order": {"id": "A1", "total": 42.5}, "customer": "Ada"}),
        "{r}"
    );
    let paths: Vec<String> = up.seen().iter().map(|s| s.path().to_owned()).collect();
    assert_eq!(paths, ["/orders/A1", "/customers/C7"]);
}

#[test]
fn a_steps_tool_feeds_one_steps_output_into_the_next() {
    let up = shop();
    let (_n, url) = start(&up);
    let r = rpc(
        &url,
        "tools/call",
        json!({"name": "order-and-customer", "arguments": {"order_id": "A1"}}),
    );
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert_eq!(
        r["result"]["structuredContent"],
        json!({"total": 42.5, "customer": "Ada"}),
        "{r}"
    );
    assert_eq!(up.seen().len(), 2);
}

#[test]
fn a_failing_step_is_an_error_result_and_stops_the_sequence() {
    let up = shop();
    let (_n, url) = start(&up);
    let r = rpc(
        &url,
        "tools/call",
        json!({"name": "order-summary", "arguments": {"order_id": "nope"}}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{r}"
    );
    assert_eq!(up.seen().len(), 1, "the second step never runs");
}
