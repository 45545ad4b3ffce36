//! Upstream bodies in formats other than JSON, turned into the JSON documents output
//! mappings read (docs/semantics.md §4). One module per format; [`to_json`] picks it.
//!
//! Supported: `xml` ([`xml`]). The others the spec names are refused by `validate`
//! (`RawFormat::is_converted`, which a unit test here keeps in step with [`to_json`]) and
//! at build time (`build/operations.rs`), so a request never meets one here.

mod xml;

use naftiko_spec::model::RawFormat;
use serde_json::Value;

/// `body` in `format` as JSON; `None` when this module does not convert `format`; the error
/// says what is wrong with the body (never its content).
pub(crate) fn to_json(format: RawFormat, body: &[u8]) -> Option<Result<Value, String>> {
    match format {
        RawFormat::Xml => Some(xml::to_json(body)),
        _ => None,
    }
}

#[cfg(test)]
mod agreement {
    use naftiko_spec::model::RawFormat;

    #[test]
    fn every_converted_format_is_one_validate_accepts() {
        for f in [
            RawFormat::Json,
            RawFormat::Xml,
            RawFormat::Avro,
            RawFormat::Protobuf,
            RawFormat::Csv,
            RawFormat::Tsv,
            RawFormat::Psv,
            RawFormat::Yaml,
            RawFormat::Html,
            RawFormat::Markdown,
            RawFormat::Text,
            RawFormat::Binary,
        ] {
            let engine = super::to_json(f, b"").is_some()
                || matches!(f, RawFormat::Json | RawFormat::Text | RawFormat::Binary);
            assert_eq!(engine, f.is_converted(), "{f:?}");
        }
    }
}
