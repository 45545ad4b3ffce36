//! The Avro converter (one datum read with the schema, or an object container file read
//! with the schema it carries) never panics, never recurses past its bound, and never
//! allocates what the body does not hold; the first byte picks the schema (the test
//! fixture's records, a recursive list, every logical type), the rest is the body.
#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::{BodySchema, to_json};
use naftiko_spec::model::RawFormat;
use naftiko_validate::body_schema::AvroSchema;

const RECORDS: &str = include_str!("../../tests/fixtures/formats/records.avsc");
const LIST: &str = r#"{"type":"record","name":"Node","fields":[
    {"name":"value","type":["null","long","string"]},{"name":"next","type":["null","Node"]}]}"#;
const LOGICAL: &str = r#"{"type":"record","name":"L","namespace":"n","fields":[
    {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":40,"scale":3}},
    {"name":"f","type":{"type":"fixed","name":"D","size":4,"logicalType":"decimal","precision":8,"scale":1}},
    {"name":"u","type":{"type":"string","logicalType":"uuid"}},
    {"name":"uf","type":{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}},
    {"name":"day","type":{"type":"int","logicalType":"date"}},
    {"name":"ns","type":{"type":"long","logicalType":"timestamp-nanos"}},
    {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
    {"name":"m","type":{"type":"map","values":{"type":"array","items":["null","float","double","boolean"]}}},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B","C"]}},
    {"name":"nulls","type":{"type":"array","items":"null"}}]}"#;

static SCHEMAS: LazyLock<Vec<BodySchema>> = LazyLock::new(|| {
    [RECORDS, LIST, LOGICAL]
        .iter()
        .map(|s| BodySchema::Avro(Arc::new(AvroSchema::parse(s).expect("a fixed schema parses"))))
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let schema = &SCHEMAS[usize::from(choice) % SCHEMAS.len()];
    if let Some(Ok(v)) = to_json(RawFormat::Avro, Some(schema), body) {
        let _ = serde_json::to_string(&v);
    }
});
