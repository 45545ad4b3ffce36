//! Answer heads, parsed in place for the upstream client: status, framing, whether the
//! connection can be reused, and each header handed to the caller to note what it keeps.

use crate::framing::{self, FramingError};

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (`HEAD`, 1xx, 204, 304).
    None,
    /// This many bytes.
    Length(u64),
    /// Chunked coding ([`crate::Chunked`]).
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed answer head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerHead {
    /// Bytes of the head, including the blank line.
    pub len: usize,
    /// The status code.
    pub status: u16,
    /// How the body is delimited.
    pub framing: Framing,
    /// The connection may carry another request after this answer's body.
    pub keep_alive: bool,
}

/// Why an answer head cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerHeadError {
    /// Not an HTTP/1.x answer head.
    #[error("the answer is not HTTP/1.1: {0}")]
    Malformed(String),
    /// Its `Content-Length` is not a number.
    #[error("the answer's Content-Length is not a number")]
    BadLength,
    /// Its `Content-Length` values differ.
    #[error("the answer has conflicting Content-Length headers")]
    ConflictingLength,
    /// Larger than the limit.
    #[error("the answer head is larger than {0} bytes")]
    TooLarge(usize),
}

impl From<FramingError> for AnswerHeadError {
    fn from(e: FramingError) -> Self {
        match e {
            FramingError::BadLength => AnswerHeadError::BadLength,
            FramingError::ConflictingLength => AnswerHeadError::ConflictingLength,
        }
    }
}

/// Most headers an answer may carry.
pub const MAX_ANSWER_HEADERS: usize = 100;

/// Parses the answer head at the start of `buf` (`Ok(None)` while it is incomplete and
/// within `max_len` bytes), passing each header's name and value to `note`.
///
/// # Errors
/// A malformed head, untrustworthy framing, or a head longer than `max_len` (complete or
/// not: one limit).
pub fn parse_answer_head(
    buf: &[u8],
    is_head: bool,
    max_len: usize,
    mut note: impl FnMut(&[u8], &[u8]),
) -> Result<Option<AnswerHead>, AnswerHeadError> {
    // Uninitialised slots: filling 100 empty headers cost more than parsing a head.
    let mut slots =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_ANSWER_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) if len <= max_len => len,
        Ok(httparse::Status::Partial) if buf.len() <= max_len => return Ok(None),
        Ok(_) => return Err(AnswerHeadError::TooLarge(max_len)),
        Err(e) => return Err(AnswerHeadError::Malformed(e.to_string())),
    };
    let status = response.code.unwrap_or(0);
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut coded = false;
    let mut close = response.version != Some(1);
    for h in response.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            framing::content_length(framing::Side::Answer, &mut length, h.value)?;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            coded = true;
            chunked = framing::is_chunked(h.value);
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= framing::has_token(h.value, b"close");
        }
        note(name, h.value);
    }
    let framing = if framing::answer_is_bodiless(is_head, status) {
        Framing::None
    } else if coded {
        // With both, the coding wins, and the connection must not be reused (RFC 9112).
        close |= length.is_some();
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some(AnswerHead {
        len,
        status,
        framing,
        keep_alive: !close && framing != Framing::UntilClose,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(head: &str, is_head: bool) -> Option<(Framing, bool)> {
        parse_answer_head(head.as_bytes(), is_head, 64 * 1024, |_, _| {})
            .unwrap()
            .map(|h| (h.framing, h.keep_alive))
    }

    #[test]
    fn answer_heads_frame_their_bodies() {
        let cases = [
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                false,
                Some((Framing::Length(5), true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
                false,
                Some((Framing::Length(5), true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                false,
                Some((Framing::Chunked, true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                false,
                Some((Framing::Chunked, false)),
            ),
            (
                "HTTP/1.1 200 OK\r\n\r\n",
                false,
                Some((Framing::UntilClose, false)),
            ),
            (
                "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
                false,
                Some((Framing::None, true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
                true,
                Some((Framing::None, true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n",
                false,
                Some((Framing::Length(9), false)),
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\n",
                false,
                Some((Framing::Length(9), false)),
            ),
            ("HTTP/1.1 200 OK\r\nContent-Le", false, None),
        ];
        for (head, is_head, expected) in cases {
            assert_eq!(framing(head, is_head), expected, "{head:?}");
        }
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            "GARBAGE\r\n\r\n",
        ] {
            assert!(
                parse_answer_head(bad.as_bytes(), false, 1024, |_, _| {}).is_err(),
                "{bad}"
            );
        }
    }

    /// One limit, whether the head arrived in pieces or all at once.
    #[test]
    fn heads_over_the_limit_are_refused_complete_or_not() {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        while head.len() < 2000 {
            head.extend_from_slice(b"x-filler: 0123456789012345678901234567890123456789\r\n");
        }
        let partial = head.clone();
        head.extend_from_slice(b"content-length: 0\r\n\r\n");
        for bytes in [&head, &partial] {
            assert_eq!(
                parse_answer_head(bytes, false, 1024, |_, _| {}),
                Err(AnswerHeadError::TooLarge(1024))
            );
        }
        assert!(parse_answer_head(&head, false, 4096, |_, _| {}).is_ok());
    }
}
