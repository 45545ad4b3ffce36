//! `Template::parse` never panics; a parsed template renders without panicking and its
//! source parses again to the same template.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use naftiko_expr::Template;
use serde_json::{Value, json};

fn values() -> &'static Value {
    static VALUES: OnceLock<Value> = OnceLock::new();
    VALUES.get_or_init(|| {
        json!({
            "a": "A",
            "name": "Aurora",
            "n": 42,
            "f": 1.5,
            "t": true,
            "z": null,
            "list": [1, "two", {"three": 3}],
            "obj": {"k": "v", "deep": {"x": [0, 1]}},
            "env": {"API_KEY": "s3cr3t"},
            "0": "zero",
        })
    })
}

fuzz_target!(|text: &str| {
    let t = match Template::parse(text) {
        Ok(t) => t,
        Err(e) => {
            // The error's span is a byte range of the source, on character boundaries.
            assert!(text.get(e.span()).is_some(), "{:?} in {text:?}", e.span());
            let _ = e.to_string();
            return;
        }
    };
    let out = t.render(values());
    assert_eq!(t.render_cow(values()), out.as_str());
    if t.is_literal() {
        assert_eq!(
            out, text,
            "a template without variables renders as its text"
        );
    }
    for var in t.variables() {
        assert!(!var.path().is_empty());
        assert_eq!(&text[var.name_span()], var.name());
        let _ = &text[var.span()];
    }
    assert_eq!(t.source(), text);
    let again = Template::parse(t.source()).expect("the source of a parsed template parses");
    assert_eq!(again, t, "parse(source) round-trips");
    assert_eq!(t.to_string(), text);
});
