//! Orchestration steps against a real upstream: a `call` step whose consumed operation has
//! named outputs keeps an array answer's elements, each with those outputs added (the
//! reference engine's step-output resolution), so a `lookup` can match on them.

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FILE: &str = "tests/fixtures/run/steps-lookup.yaml";

#[test]
fn a_lookup_matches_a_field_the_consumed_outputs_add_to_each_element() {
    let up = Upstream::start(|seen| match seen.path() {
        "/ships" => Reply::json(json!([
            {"imo_number": "IMO-1", "vessel_name": "Northern Star"},
            {"imo_number": "IMO-2", "vessel_name": "Southern Cross"}
        ])),
        "/voyages/V-9" => Reply::json(json!({"voyageId": "V-9", "shipImo": "IMO-2"})),
        _ => Reply::status_json(404, json!({"error": "not found"})),
    });
    let base = format!("registry={}", up.url());
    let n = Naftiko::start(
        &[
            FILE,
            "--base-uri",
            &base,
            "--listen",
            "registry-rest=127.0.0.1:0",
        ],
        &[],
    );
    let r = client()
        .get(format!("{}/voyages/V-9/ship", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"voyage": "V-9", "name": "Southern Cross", "imo": "IMO-2"})
    );
}

#[test]
fn the_steps_fixture_validates_without_errors() {
    let run = common::naftiko(&["validate", FILE]);
    assert_eq!(run.code(), 0, "{run}");
}
