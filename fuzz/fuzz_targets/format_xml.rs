//! The XML converter (`outputRawFormat: xml`) never panics, whatever the body; what it
//! answers is a JSON value that serializes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::to_json;
use naftiko_spec::model::RawFormat;

fuzz_target!(|data: &[u8]| {
    if let Some(Ok(v)) = to_json(RawFormat::Xml, None, data) {
        let _ = serde_json::to_string(&v);
    }
});
