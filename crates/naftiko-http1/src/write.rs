//! Writing requests for the upstream client: the request line, then (after the caller's
//! headers) [`finish_request`]'s framing, blank line and body.

use crate::fields;
use crate::framing;

/// Appends the request line `METHOD path[?query] HTTP/1.1\r\n`.
pub fn push_request_line(
    out: &mut Vec<u8>,
    method: &http::Method,
    path: &str,
    query: Option<&str>,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    if let Some(q) = query {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
}

/// True for the headers the writer owns (framing and connection management): a caller's
/// own are left out.
pub fn is_framing_header(name: &http::HeaderName) -> bool {
    name == http::header::CONTENT_LENGTH
        || name == http::header::TRANSFER_ENCODING
        || name == http::header::CONNECTION
}

/// Ends a request head: `Content-Length` (whenever there is a body, and for `POST`, `PUT`
/// and `PATCH` without one), the blank line and the body.
pub fn finish_request(out: &mut Vec<u8>, method: &http::Method, body: Option<&[u8]>) {
    if body.is_some() || framing::request_needs_length(method) {
        fields::push_content_length(out, body.map_or(0, <[u8]>::len));
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
}
