//! Header fields: which bytes a value may hold, and writing `name: value` lines.

/// True when `value` is valid as an `http::HeaderValue`: tab, visible ASCII, space and
/// obs-text (bytes from 0x80), no control characters.
pub fn is_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|b| (*b >= 0x20 && *b != 0x7f) || *b == b'\t')
}

/// True when `value` is visible ASCII, spaces and tabs only: what
/// `http::HeaderValue::to_str` accepts, and what naftiko reads as text.
pub fn is_visible_text(value: &[u8]) -> bool {
    value
        .iter()
        .all(|b| *b == b'\t' || (0x20..0x7f).contains(b))
}

/// `value` as text when it is [visible text](is_visible_text).
pub fn visible_text(value: &[u8]) -> Option<&str> {
    if !is_visible_text(value) {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// The hop-by-hop headers of RFC 9110 §7.6.1 (and the `Proxy-*` family, `Keep-Alive` and
/// `Proxy-Connection` that proxies treat alike), plus `Transfer-Encoding`: they describe one
/// connection, never the message, so a proxy neither passes them on nor answers them back.
/// `Connection` may name more (see [`is_hop_by_hop`]).
const HOP_BY_HOP: [&[u8]; 7] = [
    b"connection",
    b"keep-alive",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"proxy-connection",
];

/// True when the header `name` (any case) is hop-by-hop: one of [`HOP_BY_HOP`], any
/// `Proxy-*` header, or a name one of the message's `Connection` header values lists
/// (`connection` holds those values).
pub fn is_hop_by_hop<'v>(name: &[u8], connection: impl IntoIterator<Item = &'v [u8]>) -> bool {
    HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"proxy-"))
        || connection
            .into_iter()
            .any(|v| crate::framing::has_token(v, name))
}

/// Appends the header line `name: value\r\n`. The caller has checked both.
pub fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends `content-length: N\r\n`.
pub fn push_content_length(out: &mut Vec<u8>, length: usize) {
    push_header(
        out,
        b"content-length",
        itoa::Buffer::new().format(length).as_bytes(),
    );
}

/// Appends the status line `HTTP/1.1 CODE REASON\r\n`.
pub fn push_status_line(out: &mut Vec<u8>, status: http::StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_include_those_connection_names() {
        let none: [&[u8]; 0] = [];
        for name in [
            "Connection",
            "keep-alive",
            "TE",
            "Trailer",
            "Upgrade",
            "Proxy-Authorization",
            "proxy-authenticate",
            "Transfer-Encoding",
        ] {
            assert!(is_hop_by_hop(name.as_bytes(), none), "{name}");
        }
        for name in [
            "Content-Type",
            "Authorization",
            "Notion-Version",
            "Trailers",
            "Proxy",
        ] {
            assert!(!is_hop_by_hop(name.as_bytes(), none), "{name}");
        }
        let connection: [&[u8]; 2] = [b"close, X-Secret", b"x-other"];
        assert!(is_hop_by_hop(b"x-secret", connection));
        assert!(is_hop_by_hop(b"X-Other", connection));
        assert!(!is_hop_by_hop(b"x-third", connection));
    }

    #[test]
    fn value_checks_agree_with_http() {
        for b in 0..=255u8 {
            let value = [b'a', b, b'z'];
            assert_eq!(
                is_field_value(&value),
                http::HeaderValue::from_bytes(&value).is_ok(),
                "byte {b:#x}"
            );
            let to_str = http::HeaderValue::from_bytes(&value)
                .ok()
                .is_some_and(|v| v.to_str().is_ok());
            assert_eq!(is_visible_text(&value), to_str, "byte {b:#x}");
        }
    }
}
