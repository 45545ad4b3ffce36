//! Request heads, decoded in place for the server's own connection loop.
//!
//! [`decode_head`] parses a head with `httparse` and decides whether the loop serves the
//! request itself ([`Decoded::Ready`]), leaves it to hyper ([`Decoded::Fallback`]:
//! `Transfer-Encoding`, `Expect`, `Upgrade`, HTTP/1.0, targets that are not a path) or
//! refuses it ([`Decoded::Reject`]). Header values stay where they are: a [`Head`] holds
//! byte ranges, and a `HeaderMap` is built only for requests that need one.

use std::ops::Range;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};

use crate::framing;

/// What [`decode_head`] made of the bytes received so far.
// `Ready` is large, but the value is matched at once; moving it costs less than boxing it
// (an allocation per request).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Decoded {
    /// The head is not complete yet: read more.
    Partial,
    /// A request this loop serves.
    Ready(Head),
    /// A valid-looking request this loop leaves to hyper.
    Fallback,
    /// A request to refuse with this status (400 or 431), closing the connection.
    Reject(StatusCode, &'static str),
}

/// A parsed request head. Its headers are positions in the head's bytes: a `HeaderMap` is
/// built only for requests that need one ([`Head::into_parts`]).
#[derive(Debug)]
pub struct Head {
    /// Bytes of the head, including the blank line.
    pub len: usize,
    /// The method.
    pub method: Method,
    /// The request target (a path, with its query).
    pub uri: Uri,
    /// Each header's name and value, as byte ranges of the head, in order. Every one is a
    /// valid `HeaderName` and `HeaderValue`.
    pub headers: Vec<(Range<usize>, Range<usize>)>,
    /// The value of the first `Content-Type` header, a range of the head.
    pub content_type: Option<Range<usize>>,
    /// The `Content-Length` (0 without one).
    pub body_len: u64,
    /// The client asked to close the connection after this answer.
    pub close: bool,
}

impl Head {
    /// The first value of the header `name` (any case); `bytes` is the head it was decoded
    /// from.
    pub fn header<'b>(&self, bytes: &'b [u8], name: &str) -> Option<&'b [u8]> {
        self.headers
            .iter()
            .find(|(n, _)| bytes[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &bytes[v.clone()])
    }

    /// The request's method, target and headers as `http` parts; `bytes` is the head it
    /// was decoded from (header values share it rather than copy it).
    pub fn into_parts(self, bytes: &Bytes) -> http::request::Parts {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in self.headers {
            // Both were checked by `decode_head`.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(&bytes[name]),
                HeaderValue::from_maybe_shared(bytes.slice(value)),
            ) {
                map.append(name, value);
            }
        }
        let mut parts = Request::new(()).into_parts().0;
        parts.method = self.method;
        parts.uri = self.uri;
        parts.version = Version::HTTP_11;
        parts.headers = map;
        parts
    }
}

/// Longest header name `http` accepts.
const MAX_NAME: usize = (1 << 16) - 1;

/// Decodes the request head at the start of `buf`, accepting at most `max_headers` headers.
pub fn decode_head(buf: &[u8], max_headers: usize) -> Decoded {
    const ON_STACK: usize = 128;
    // Uninitialised slots: filling 128 empty headers cost more than parsing a head.
    let mut stack = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; ON_STACK];
    let mut heap;
    let headers: &mut [std::mem::MaybeUninit<httparse::Header<'_>>] = if max_headers <= ON_STACK {
        &mut stack[..max_headers.max(1)]
    } else {
        heap = vec![std::mem::MaybeUninit::uninit(); max_headers];
        &mut heap
    };
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(buf, headers) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Decoded::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return Decoded::Reject(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "the request has too many headers",
            );
        }
        Err(_) => return Decoded::Reject(StatusCode::BAD_REQUEST, "the request head is malformed"),
    };
    if request.version != Some(1) {
        return Decoded::Fallback;
    }
    let (Some(method), Some(path)) = (request.method, request.path) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the request line is incomplete");
    };
    if !path.starts_with('/') {
        return Decoded::Fallback;
    }
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the method is not valid");
    };
    let Ok(uri) = Uri::try_from(path) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the request target is not valid");
    };
    let mut headers = Vec::with_capacity(request.headers.len());
    let mut content_type = None;
    let mut body_len: Option<u64> = None;
    let mut close = false;
    let offset = |part: &[u8]| {
        let start = part.as_ptr() as usize - buf.as_ptr() as usize;
        start..start + part.len()
    };
    for h in request.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
        {
            return Decoded::Fallback;
        }
        if name.eq_ignore_ascii_case(b"content-length")
            && let Err(e) = framing::content_length(framing::Side::Request, &mut body_len, h.value)
        {
            return Decoded::Reject(StatusCode::BAD_REQUEST, e.message());
        }
        if name.eq_ignore_ascii_case(b"connection") {
            if framing::has_token(h.value, b"upgrade") {
                return Decoded::Fallback;
            }
            close |= framing::has_token(h.value, b"close");
        }
        // httparse accepts exactly the names (tokens) and values (tab, visible ASCII,
        // obs-text) that `HeaderName` and `HeaderValue` do, except names longer than
        // `HeaderName`'s limit (a test checks every byte).
        if name.is_empty() || name.len() > MAX_NAME {
            return Decoded::Reject(StatusCode::BAD_REQUEST, "a header is not valid");
        }
        if content_type.is_none() && name.eq_ignore_ascii_case(b"content-type") {
            content_type = Some(offset(h.value));
        }
        headers.push((offset(name), offset(h.value)));
    }
    Decoded::Ready(Head {
        len,
        method,
        uri,
        headers,
        content_type,
        body_len: body_len.unwrap_or(0),
        close,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `decode_head` made of a request with one header `name: value`: `Some(true)`
    /// kept, `Some(false)` refused with 400, `None` anything else.
    fn kept(name: &[u8], value: &[u8]) -> Option<bool> {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n\r\n");
        match decode_head(&head, 10) {
            Decoded::Ready(h) => {
                assert_eq!(h.headers.len(), 1);
                Some(true)
            }
            Decoded::Reject(StatusCode::BAD_REQUEST, _) => Some(false),
            _ => None,
        }
    }

    #[test]
    fn headers_are_kept_exactly_when_http_accepts_them() {
        for b in 0..=255u8 {
            let value = [b'a', b, b'z'];
            if let Some(kept) = kept(b"x-test", &value) {
                assert_eq!(
                    kept,
                    HeaderValue::from_bytes(&value).is_ok(),
                    "value byte {b:#x}"
                );
            }
            let name = [b'x', b];
            // `x:: v` is the header `x` with the value `: v`.
            if b != b':'
                && let Some(kept) = kept(&name, b"v")
            {
                assert_eq!(
                    kept,
                    HeaderName::from_bytes(&name).is_ok(),
                    "name byte {b:#x}"
                );
            }
        }
        let long = vec![b'x'; MAX_NAME + 1];
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(&long);
        head.extend_from_slice(b": v\r\n\r\n");
        assert!(HeaderName::from_bytes(&long).is_err());
        assert!(matches!(
            decode_head(&head, 10),
            Decoded::Reject(StatusCode::BAD_REQUEST, _)
        ));
    }

    #[test]
    fn a_decoded_head_gives_its_headers_and_parts() {
        let bytes = Bytes::from_static(
            b"POST /v1/token?a=1 HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\ncontent-type: c/d\r\nBody: 1\r\nContent-Length: 3\r\n\r\nabc",
        );
        let Decoded::Ready(h) = decode_head(&bytes, 10) else {
            panic!("not decoded")
        };
        assert_eq!(h.header(&bytes, "CONTENT-TYPE"), Some(&b"a/b"[..]));
        assert_eq!(h.content_type.clone().map(|r| &bytes[r]), Some(&b"a/b"[..]));
        assert_eq!(h.header(&bytes, "body"), Some(&b"1"[..]));
        assert_eq!(h.header(&bytes, "accept"), None);
        assert_eq!(h.body_len, 3);
        let parts = h.into_parts(&bytes);
        assert_eq!(parts.method, Method::POST);
        assert_eq!(parts.uri.query(), Some("a=1"));
        let types: Vec<_> = parts.headers.get_all("content-type").iter().collect();
        assert_eq!(types, ["a/b", "c/d"]);
        assert_eq!(parts.headers.len(), 5);
    }
}
