//! The HTML converter (tables and text; html5ever fed through the bounded tree sink) never
//! panics; the first byte picks the `outputSchema` selector (or none), the
//! rest is the body. What it answers is `{"tables": [...], "text": "..."}`.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::{BodySchema, to_json};
use naftiko_spec::model::RawFormat;

static SELECTORS: LazyLock<Vec<Option<BodySchema>>> = LazyLock::new(|| {
    let mut all = vec![None];
    for css in ["section.inventory", "table.products", "div > table, p", "td"] {
        let s = scraper::Selector::parse(css).expect("a fixed selector parses");
        all.push(Some(BodySchema::Html(Box::new(s))));
    }
    all
});

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let schema = &SELECTORS[usize::from(choice) % SELECTORS.len()];
    if let Some(Ok(v)) = to_json(RawFormat::Html, schema.as_ref(), body) {
        assert!(v["tables"].is_array() && v["text"].is_string(), "{v}");
    }
});
