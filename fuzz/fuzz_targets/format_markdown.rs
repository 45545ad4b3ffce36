//! The markdown converter (front matter, GFM tables, sections) never panics; the first byte
//! picks the `outputSchema` section filter (or none), the rest is the body. What it answers
//! is `{"frontMatter": {...}, "tables": [...], "sections": [...]}`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::{BodySchema, to_json};
use naftiko_spec::model::RawFormat;
use naftiko_validate::body_schema::SectionFilter;

const FILTERS: [Option<&str>; 4] = [None, Some("## Overview"), Some("API"), Some("#")];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let schema = FILTERS[usize::from(choice) % FILTERS.len()]
        .map(|f| BodySchema::Markdown(SectionFilter::parse(f)));
    if let Some(Ok(v)) = to_json(RawFormat::Markdown, schema.as_ref(), body) {
        assert!(v["frontMatter"].is_object(), "{v}");
        assert!(v["tables"].is_array() && v["sections"].is_array(), "{v}");
    }
});
