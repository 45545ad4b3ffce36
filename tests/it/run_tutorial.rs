//! The official Ikanos 1.0.0-beta5 tutorial (`../shared/reference/ikanos-beta5/tutorial`),
//! run as its reader would: each step file served by `naftiko run` as published (its
//! `shared/` imports and `secrets.yaml` binds), its upstreams the tutorial's two OpenAPI
//! documents served by Prism on loopback (`--base-uri`), every tool and route the step adds
//! driven with MCP 2026-07-28 requests (and REST), and the mapped shapes checked.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common;
use common::prism::{self, Prism};
use common::serve::{Naftiko, client};

/// The MCP server token in `tutorial/shared/secrets.yaml`.
const MCP_TOKEN: &str = "sk-mcp-YYYYYYYYYYYY";
const V2026: &str = "2026-07-28";

fn tutorial() -> PathBuf {
    common::root().join("../shared/reference/ikanos-beta5/tutorial")
}

/// The two upstream mocks, or `None` (skipped, or failed under CI).
fn upstreams() -> Option<(&'static Prism, &'static Prism)> {
    let openapi = common::root().join("../shared/reference/ikanos-beta5/openapi");
    let registry = prism::serving(&openapi.join("naftiko-shipyard-maritime-registry-api.yaml"))?;
    let legacy = prism::serving(&openapi.join("naftiko-shipyard-legacy-dockyard-api.yaml"))?;
    Some((registry, legacy))
}

/// `naftiko run` on a step, every listener on a free loopback port, upstreams on Prism.
fn start(step: &str) -> Option<Naftiko> {
    let file = tutorial().join(step);
    if !file.exists() {
        common::skip_or_fail(&format!("no tutorial at {}", file.display()));
        return None;
    }
    let (registry, legacy) = upstreams()?;
    let text = std::fs::read_to_string(&file).unwrap();
    let mut args: Vec<String> = vec![file.display().to_string()];
    for ns in ["shipyard-tools", "shipyard-skills", "shipyard-api"] {
        if text.contains(&format!("namespace: {ns}")) {
            args.extend(["--listen".into(), format!("{ns}=127.0.0.1:0")]);
        }
    }
    if text.contains("registry") {
        args.extend(["--base-uri".into(), format!("registry={}", registry.url)]);
    }
    if text.contains("legacy") {
        args.extend(["--base-uri".into(), format!("legacy={}", legacy.url)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Some(Naftiko::start(&args, &[]))
}

/// `tools/call` as a 2026-07-28 client sends it; the HTTP status and the JSON-RPC answer.
fn call(n: &Naftiko, token: Option<&str>, tool: &str, args: Value) -> (u16, Value) {
    let url = format!("http://{}/mcp", n.listener("shipyard-tools"));
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": tool, "arguments": args,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": V2026,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "tutorial-reader", "version": "1"}
            }
        }
    });
    let mut r = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", V2026)
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// A tool's structured result, asserting it succeeded.
fn tool(n: &Naftiko, name: &str, args: Value) -> Value {
    let (status, v) = call(n, Some(MCP_TOKEN), name, args);
    assert_eq!(status, 200, "{name}: {v}");
    assert_eq!(v["result"]["isError"], false, "{name}: {v}");
    // MCP structured content is an object: a list comes wrapped as `{"result": [...]}`.
    let content = &v["result"]["structuredContent"];
    match content.get("result") {
        Some(list @ Value::Array(_)) if content.as_object().is_some_and(|m| m.len() == 1) => {
            list.clone()
        }
        _ => content.clone(),
    }
}

fn assert_ship_shape(ship: &Value) {
    for k in ["imo", "name", "type", "flag", "status"] {
        assert!(ship[k].is_string(), "`{k}` in {ship}");
    }
}

#[test]
fn step_1_mock_answers_without_an_upstream() {
    let Some(n) = start("step-1-shipyard-mock.yml") else {
        return;
    };
    let ship = tool(&n, "get-ship", json!({"imo_number": "IMO-9321483"}));
    assert_eq!(ship["imo"], "IMO-9321483", "{ship}");
    assert_eq!(ship["name"], "Northern Star", "{ship}");
    assert_ship_shape(&ship);
}

#[test]
fn step_2_wires_the_registry() {
    let Some(n) = start("step-2-shipyard-wiring.yml") else {
        return;
    };
    // The tutorial's hosted mock lets step 2's unauthenticated calls through; Prism enforces
    // the OpenAPI document's security requirement, so the registry answers 401, which reaches
    // the tool's caller as an error naming the status: the wiring works, step 3 adds the token.
    let (status, v) = call(&n, None, "list-ships", json!({}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["isError"], true, "{v}");
    let text = v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("upstream answered 401"), "{v}");
}

#[test]
fn step_3_requires_the_bearer_token() {
    let Some(n) = start("step-3-shipyard-auth.yml") else {
        return;
    };
    let (status, _) = call(&n, None, "list-ships", json!({}));
    assert_eq!(status, 401);
    let (status, _) = call(&n, Some("wrong-token"), "list-ships", json!({}));
    assert_eq!(status, 401);
    let (status, v) = call(&n, Some(MCP_TOKEN), "list-ships", json!({}));
    assert_eq!(status, 200, "{v}");
}

#[test]
fn step_4_shapes_outputs() {
    let Some(n) = start("step-4-shipyard-output-shaping.yml") else {
        return;
    };
    let ships = tool(&n, "list-ships", json!({}));
    let ships = ships.as_array().unwrap_or_else(|| panic!("{ships}"));
    assert!(!ships.is_empty());
    ships.iter().for_each(assert_ship_shape);
    let ship = tool(&n, "get-ship", json!({"imo": "IMO-9321483"}));
    assert_ship_shape(&ship);
    for k in ["yearBuilt", "tonnage", "length"] {
        assert!(ship["specs"][k].is_number(), "`specs.{k}` in {ship}");
    }
}

#[test]
fn step_5_reads_the_legacy_xml_api() {
    let Some(n) = start("step-5-shipyard-multi-source.yml") else {
        return;
    };
    let vessels = tool(&n, "list-legacy-vessels", json!({}));
    let vessels = vessels.as_array().unwrap_or_else(|| panic!("{vessels}"));
    assert!(!vessels.is_empty());
    for v in vessels {
        for k in ["vesselCode", "name", "type", "flag", "status"] {
            assert!(v[k].is_string(), "`{k}` in {v}");
        }
    }
}

#[test]
fn step_6_creates_a_voyage() {
    let Some(n) = start("step-6-shipyard-write-operations.yml") else {
        return;
    };
    let voyage = tool(
        &n,
        "create-voyage",
        json!({"shipImo": "IMO-9321483", "departurePort": "Oslo", "arrivalPort": "Rotterdam",
               "departureDate": "2026-12-10", "arrivalDate": "2026-12-14",
               "crewIds": ["CREW-001"], "cargoIds": ["CARGO-001"]}),
    );
    assert!(voyage.is_object() && voyage != json!({}), "{voyage}");
}

/// Step 7's orchestrated lookup: one ship with its crew resolved.
fn assert_ship_with_crew(v: &Value) {
    for k in ["imo", "name", "status"] {
        assert!(v[k].is_string(), "`{k}` in {v}");
    }
    let crew = v["crew"]
        .as_array()
        .unwrap_or_else(|| panic!("no crew in {v}"));
    assert!(!crew.is_empty(), "{v}");
    for member in crew {
        assert!(
            member["fullName"].is_string() && member["role"].is_string(),
            "{member}"
        );
    }
}

#[test]
fn step_7_resolves_the_crew_by_lookup_and_serves_rest() {
    let Some(n) = start("step-7-shipyard-orchestrated-lookup.yml") else {
        return;
    };
    assert_ship_with_crew(&tool(
        &n,
        "get-ship-with-crew",
        json!({"imo": "IMO-9321483"}),
    ));
    let api = n.listener("shipyard-api");
    let r = client()
        .get(format!("http://{api}/ships/IMO-9321483/crew"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ship_with_crew(&r.json().unwrap());
}

#[test]
fn step_8_groups_tools_into_skills() {
    let Some(n) = start("step-8-shipyard-skill-groups.yml") else {
        return;
    };
    let skills = n.listener("shipyard-skills");
    let catalog: Value = client()
        .get(format!("http://{skills}/skills"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let text = catalog.to_string();
    assert!(
        text.contains("fleet-ops") && text.contains("voyage-ops"),
        "{catalog}"
    );
}

#[test]
fn step_9_calls_the_aggregate() {
    let Some(n) = start("step-9-shipyard-aggregates.yml") else {
        return;
    };
    assert_ship_with_crew(&tool(
        &n,
        "get-ship-with-crew",
        json!({"imo": "IMO-9321483"}),
    ));
}

#[test]
fn step_10_serves_the_rest_adapter() {
    let Some(n) = start("step-10-shipyard-rest-adapter.yml") else {
        return;
    };
    let api = n.listener("shipyard-api");
    let get = |path: &str| -> Value {
        let r = client().get(format!("http://{api}{path}")).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().unwrap()
    };
    assert!(!get("/ships").as_array().unwrap().is_empty());
    assert_ship_shape(&get("/ships/IMO-9321483"));
    assert_ship_with_crew(&get("/ships/IMO-9321483/crew"));
    assert!(!get("/legacy/vessels").as_array().unwrap().is_empty());
}

#[test]
fn step_11_builds_the_fleet_manifest() {
    let Some(n) = start("step-11-shipyard-fleet-manifest.yml") else {
        return;
    };
    let m = tool(
        &n,
        "get-voyage-manifest",
        json!({"voyageId": "VOY-2026-042"}),
    );
    assert!(m["voyageId"].is_string(), "{m}");
    assert!(m["ship"]["name"].is_string(), "{m}");
    assert!(
        m["route"]["from"].is_string() && m["route"]["to"].is_string(),
        "{m}"
    );
    assert!(
        !m["crew"].as_array().unwrap_or(&Vec::new()).is_empty(),
        "{m}"
    );
    assert!(
        !m["cargo"].as_array().unwrap_or(&Vec::new()).is_empty(),
        "{m}"
    );
}
