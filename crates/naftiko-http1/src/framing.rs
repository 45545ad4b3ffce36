//! Message framing (RFC 9112 §6): one rule set for requests and answers.
//!
//! `Content-Length`, as hyper has it, so that naftiko's own loop and hyper accept and
//! refuse the same messages: every header holds a decimal number (1 to 19 digits, no sign,
//! no blanks), and when there are several they must be equal. An *answer* may also hold a
//! comma-separated list of equal numbers (`5, 5`: what some servers send after a proxy
//! joined two headers); a *request* may not (hyper's server refuses it, so do we).
//!
//! `Transfer-Encoding`: only the last coding says whether the body is chunked; with a
//! `Content-Length` beside it, the coding wins and the connection must not be reused.

/// Why a message's framing cannot be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// A `Content-Length` value is not a decimal number (for answers, a list of them).
    #[error("the Content-Length header is not a number")]
    BadLength,
    /// `Content-Length` values differ.
    #[error("the Content-Length headers conflict")]
    ConflictingLength,
}

impl FramingError {
    /// What is wrong, for a problem detail.
    pub fn message(self) -> &'static str {
        match self {
            FramingError::BadLength => "the Content-Length header is not a number",
            FramingError::ConflictingLength => "the Content-Length headers conflict",
        }
    }
}

/// Which side of an exchange a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A request (read by the server).
    Request,
    /// An answer (read by the client).
    Answer,
}

/// Folds one `Content-Length` header value into `length` (the values seen so far).
///
/// # Errors
/// A value that is not a decimal number (for answers, a list of them), or one that
/// differs from the others.
pub fn content_length(
    side: Side,
    length: &mut Option<u64>,
    value: &[u8],
) -> Result<(), FramingError> {
    if side == Side::Request {
        let n = digits(value).ok_or(FramingError::BadLength)?;
        if length.is_some_and(|l| l != n) {
            return Err(FramingError::ConflictingLength);
        }
        *length = Some(n);
        return Ok(());
    }
    for part in value.split(|b| *b == b',') {
        let n = digits(part.trim_ascii()).ok_or(FramingError::BadLength)?;
        if length.is_some_and(|l| l != n) {
            return Err(FramingError::ConflictingLength);
        }
        *length = Some(n);
    }
    Ok(())
}

/// A decimal number of 1 to 19 digits (nothing else: no sign, no blanks).
fn digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// True when the last transfer coding of a `Transfer-Encoding` value is `chunked`.
pub fn is_chunked(value: &[u8]) -> bool {
    let last = value.rsplit(|b| *b == b',').next().unwrap_or_default();
    last.trim_ascii().eq_ignore_ascii_case(b"chunked")
}

/// True when a `Connection` value holds the token `token` (any case).
pub fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// True when an answer with this status never has a body (1xx, 204, 304): it carries no
/// `Content-Length` of its own either.
pub fn status_has_no_body(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

/// True when an answer with this status, to a request with this method, has no body
/// (`HEAD`, 1xx, 204, 304).
pub fn answer_is_bodiless(is_head: bool, status: u16) -> bool {
    is_head || status_has_no_body(status)
}

/// True when a request with this method carries `Content-Length` even without a body
/// (`POST`, `PUT`, `PATCH`: some servers refuse them otherwise).
pub fn request_needs_length(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::POST | http::Method::PUT | http::Method::PATCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(side: Side, values: &[&str]) -> Result<Option<u64>, FramingError> {
        let mut n = None;
        for v in values {
            content_length(side, &mut n, v.as_bytes())?;
        }
        Ok(n)
    }

    #[test]
    fn content_lengths_follow_hypers_rules() {
        for side in [Side::Request, Side::Answer] {
            assert_eq!(length(side, &["5"]), Ok(Some(5)));
            assert_eq!(length(side, &["5", "5"]), Ok(Some(5)));
            assert_eq!(length(side, &[]), Ok(None));
            assert_eq!(
                length(side, &["5", "6"]),
                Err(FramingError::ConflictingLength)
            );
            for bad in [
                "+5",
                "-5",
                "",
                "5,",
                " ",
                "0x5",
                "5 5",
                "99999999999999999999",
            ] {
                assert_eq!(
                    length(side, &[bad]),
                    Err(FramingError::BadLength),
                    "{bad:?}"
                );
            }
        }
        assert_eq!(length(Side::Answer, &["5, 5"]), Ok(Some(5)));
        assert_eq!(
            length(Side::Answer, &["5, 6"]),
            Err(FramingError::ConflictingLength)
        );
        assert_eq!(
            length(Side::Request, &["5, 5"]),
            Err(FramingError::BadLength)
        );
    }

    #[test]
    fn only_the_last_coding_says_chunked() {
        assert!(is_chunked(b"chunked"));
        assert!(is_chunked(b"gzip, Chunked "));
        assert!(!is_chunked(b"chunked, gzip"));
        assert!(has_token(b"keep-alive, Close", b"close"));
        assert!(!has_token(b"closed", b"close"));
    }
}
