//! Binary content (beta5 `outputRawFormat: binary`): the size limit a binary answer is read
//! within and the media type it is served with (docs/semantics.md §4, binary content).
//!
//! The exposing adapter adds two things to every call it makes ([`Exposure`]): its
//! `maxBinarySize` and, for REST, the media type its response contract declares. Limits:
//! the consumed operation's `maxBinarySize`, else the adapter's, else 10 MiB, and never more
//! than `--max-upstream-body`. Media types: the consumed operation's `outputMediaType`, else
//! the REST contract's binary media type, else the upstream's `Content-Type`, else
//! `application/octet-stream`; an aggregate flow's `outputMediaType` overrides them all.

use std::sync::Arc;

use naftiko_spec::model::Text;

/// The limit of a binary answer when neither the operation nor the adapter sets one.
pub(crate) const DEFAULT_LIMIT: usize = 10 * 1024 * 1024;

/// The media type of bytes nothing describes.
const OCTET_STREAM: &str = "application/octet-stream";

/// What the exposing adapter adds to the calls of one exposed operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exposure {
    /// The adapter's `maxBinarySize`, in bytes.
    pub(crate) binary_limit: Option<usize>,
    /// The media type the REST operation's response contract declares for bytes.
    pub(crate) media_type: Option<Arc<str>>,
}

/// A `maxBinarySize` in bytes (validated by the reader; a size beyond memory is no limit).
pub(crate) fn limit(size: Option<&Text>) -> Option<usize> {
    let bytes = naftiko_spec::size::binary_size(&size?.value)?;
    Some(usize::try_from(bytes).unwrap_or(usize::MAX))
}

/// The limit a binary answer is read within, before `--max-upstream-body` caps it.
pub(crate) fn answer_limit(operation: Option<usize>, exposure: &Exposure) -> usize {
    operation.or(exposure.binary_limit).unwrap_or(DEFAULT_LIMIT)
}

/// The media type binary content is served with.
pub(crate) fn media_type(
    operation: Option<&str>,
    exposure: &Exposure,
    upstream: Option<&str>,
) -> String {
    operation
        .or(exposure.media_type.as_deref())
        .or(upstream.filter(|u| !u.trim().is_empty()))
        .unwrap_or(OCTET_STREAM)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_wins_then_the_contract_then_the_upstream() {
        let contract = Exposure {
            binary_limit: None,
            media_type: Some(Arc::from("image/png")),
        };
        let none = Exposure::default();
        assert_eq!(
            media_type(Some("image/jpeg"), &contract, Some("x/y")),
            "image/jpeg"
        );
        assert_eq!(media_type(None, &contract, Some("x/y")), "image/png");
        assert_eq!(media_type(None, &none, Some("x/y")), "x/y");
        assert_eq!(media_type(None, &none, Some(" ")), OCTET_STREAM);
        assert_eq!(media_type(None, &none, None), OCTET_STREAM);
    }

    #[test]
    fn the_operation_limit_wins_then_the_adapter() {
        let adapter = Exposure {
            binary_limit: Some(100),
            media_type: None,
        };
        assert_eq!(answer_limit(Some(10), &adapter), 10);
        assert_eq!(answer_limit(None, &adapter), 100);
        assert_eq!(answer_limit(None, &Exposure::default()), DEFAULT_LIMIT);
    }
}
