//! The delimited-text converter (`csv`, `tsv`, `psv`) never panics; the first byte picks
//! the format, the rest is the body. What it answers is an array of objects of strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_engine::formats::to_json;
use naftiko_spec::model::RawFormat;
use serde_json::Value;

const FORMATS: [RawFormat; 3] = [RawFormat::Csv, RawFormat::Tsv, RawFormat::Psv];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(choice) % FORMATS.len()];
    if let Some(Ok(v)) = to_json(format, None, body) {
        let Value::Array(rows) = v else {
            panic!("not an array: {v}");
        };
        for row in rows {
            let Value::Object(fields) = row else {
                panic!("a row that is not an object: {row}");
            };
            assert!(fields.values().all(Value::is_string), "a field that is not a string");
        }
    }
});
