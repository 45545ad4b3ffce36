//! Compile-once, evaluate-many sanity checks (no timing assertions).
//!
//! A compiled [`Template`] or [`JsonPathExpr`] is immutable: evaluating it many times, over
//! many documents, gives the same answers as evaluating it once.

use naftiko_expr::{JsonPathExpr, Template};
use serde_json::{Value, json};

#[test]
fn template_renders_consistently_many_times() {
    let source: String = (0..200)
        .map(|i| format!("k{i}={{{{ vars.v-{i} }}}}&"))
        .collect();
    let template = Template::parse(&source).unwrap();
    assert_eq!(template.variables().count(), 200);
    let mut vars = serde_json::Map::new();
    for i in 0..200 {
        vars.insert(format!("v-{i}"), json!(i * 2));
    }
    let doc = json!({ "vars": vars });
    let expected: String = (0..200).map(|i| format!("k{i}={}&", i * 2)).collect();
    for _ in 0..2_000 {
        assert_eq!(template.render(&doc), expected);
    }
    let literal = Template::parse(&"x".repeat(10_000)).unwrap();
    for _ in 0..2_000 {
        assert_eq!(literal.render_cow(&Value::Null).len(), 10_000);
    }
}

#[test]
fn jsonpath_extracts_consistently_over_many_documents() {
    let definite = JsonPathExpr::parse("$.get-ship.vessel_type").unwrap();
    let all = JsonPathExpr::parse("$.fleet[?(@.imo > 500)].imo").unwrap();
    let fleet: Vec<Value> = (0..1_000).map(|i| json!({"imo": i})).collect();
    for i in 0..1_000 {
        let doc = json!({"get-ship": {"vessel_type": format!("t{i}")}, "fleet": fleet});
        assert_eq!(definite.extract(&doc), json!(format!("t{i}")));
        let matched = all.extract(&doc);
        assert_eq!(matched.as_array().map(Vec::len), Some(499));
        assert_eq!(matched[0], json!(501));
    }
}
