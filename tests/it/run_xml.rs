//! Upstreams that answer XML (`outputRawFormat: xml`): the answer is read as the reference
//! engine reads it (root dropped, repeated elements as arrays, text as strings) and shaped by
//! the same output mappings as JSON; one element where a list is mapped is a list of one; a
//! body that is not well-formed XML is a 502 naming the upstream, never its content.

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FILE: &str = "tests/fixtures/run/xml-answers.yaml";

fn start(up: &Upstream) -> Naftiko {
    let base = format!("dockyard={}", up.url());
    Naftiko::start(
        &[
            FILE,
            "--base-uri",
            &base,
            "--listen",
            "dockyard-rest=127.0.0.1:0",
        ],
        &[],
    )
}

#[test]
fn an_xml_answer_is_shaped_like_json() {
    // The first answer has two vessels, the second one, the third is cut short.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let up = Upstream::start(move |_| {
        let body = match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            1 => {
                "<vessels><vessel><vesselCode>L-1</vesselCode><vesselName>Old &amp; Faithful</vesselName><deadweight>28000</deadweight></vessel></vessels>"
            }
            2 => "<vessels><vessel>",
            _ => {
                r#"<?xml version="1.0" encoding="UTF-8"?>
<vessels>
  <vessel><vesselCode>L-1</vesselCode><vesselName>Old Faithful</vesselName><deadweight>28000</deadweight></vessel>
  <vessel><vesselCode>L-2</vesselCode><vesselName>Iron Maiden</vesselName><deadweight>41000.5</deadweight></vessel>
</vessels>"#
            }
        };
        Reply::raw(200, "application/xml", body)
    });
    let n = start(&up);
    let get = || client().get(format!("{}/vessels", n.url())).send().unwrap();
    let r = get();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!([
            {"code": "L-1", "name": "Old Faithful", "tonnage": 28000},
            {"code": "L-2", "name": "Iron Maiden", "tonnage": 41000.5}
        ])
    );
    let r = get();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!([{"code": "L-1", "name": "Old & Faithful", "tonnage": 28000}])
    );
    let r = get();
    assert_eq!(r.status(), 502);
    let problem: Value = r.json().unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("dockyard") && detail.contains("XML"),
        "{problem}"
    );
    assert!(!detail.contains("<vessel"), "{problem}");
}

#[test]
fn the_xml_fixture_validates_without_errors() {
    let run = common::naftiko(&["validate", FILE]);
    assert_eq!(run.code(), 0, "{run}");
}
