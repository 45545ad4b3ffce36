//! `JsonPathExpr::parse` never panics; a parsed path evaluates without panicking, and its
//! canonical form is a valid RFC 9535 query that is left as written.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use naftiko_expr::JsonPathExpr;
use serde_json::{Value, json};

fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        json!({
            "get-ship": {"vessel_type": "tanker", "imo": 9321483},
            "ships": [
                {"imo": 1, "name": "Aurora", "tags": ["a", "b"], "price": 8.5},
                {"imo": 2, "name": "Borealis", "tags": [], "price": 12},
                {"imo": 3, "name": null}
            ],
            "0": "zero",
            "first name": "Ada",
            "nested": {"a": {"b": {"c": [1, [2, [3]]]}}},
            "empty": {},
            "flag": true
        })
    })
}

fuzz_target!(|text: &str| {
    let strict = JsonPathExpr::parse_strict(text);
    let Ok(p) = JsonPathExpr::parse(text) else {
        assert!(
            strict.is_err(),
            "a valid RFC 9535 query is accepted by parse: {text:?}"
        );
        return;
    };
    if strict.is_ok() {
        assert_eq!(
            p.normalized(),
            None,
            "valid RFC 9535 is left as written: {text:?}"
        );
    }
    let _ = p.extract(doc());
    let _ = p.query_nodes(doc());
    let _ = p.is_root();
    let canonical = p.canonical();
    let again = JsonPathExpr::parse_strict(canonical)
        .unwrap_or_else(|e| panic!("canonical {canonical:?} of {text:?} is RFC 9535: {e}"));
    assert_eq!(again.query_nodes(doc()), p.query_nodes(doc()));
});
