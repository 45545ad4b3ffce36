//! The protobuf converter (one message of the first type of the test fixture's
//! `records.proto`, decoded by descriptor) never panics, whatever the body; what it answers
//! is an object that serializes.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::{BodySchema, to_json};
use naftiko_spec::model::RawFormat;

static SCHEMA: LazyLock<BodySchema> = LazyLock::new(|| {
    let proto = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/formats/records.proto");
    let message = naftiko_validate::body_schema::proto_message(Path::new(proto))
        .expect("the fixture's .proto compiles");
    BodySchema::Protobuf(message)
});

fuzz_target!(|data: &[u8]| {
    if let Some(Ok(v)) = to_json(RawFormat::Protobuf, Some(&SCHEMA), data) {
        assert!(v.is_object(), "{v}");
        let _ = serde_json::to_string(&v);
    }
});
