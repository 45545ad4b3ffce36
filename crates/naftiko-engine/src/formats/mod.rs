//! Upstream bodies in formats other than JSON, turned into the JSON documents output
//! mappings read (docs/semantics.md §4). One module per format; [`to_json`] picks it.
//!
//! Supported: `xml` ([`xml`]). The others the spec names are refused at build time
//! (`build/operations.rs`), so a request never meets one here.

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

/// True when [`to_json`] converts `format`.
pub(crate) fn converts(format: RawFormat) -> bool {
    matches!(format, RawFormat::Xml)
}
