//! `InboundBody::parse` never panics, for JSON, form, other and missing content types. The
//! first input byte chooses the content type; the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naftiko_engine::InboundBody;

const CONTENT_TYPES: [Option<&str>; 5] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    None,
    Some("application/problem+json; charset=utf-8"),
    Some("text/plain"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(choice) % CONTENT_TYPES.len()];
    match InboundBody::parse(content_type, body) {
        Ok(parsed) => {
            let _ = parsed.to_value();
            let _ = parsed.field("a");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
