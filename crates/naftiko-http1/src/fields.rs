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
///
/// Eight bytes at a time (every header value naftiko reads or writes goes through here):
/// a word none of whose bytes is below 0x20 or from 0x7f up passes at once; subtracting
/// 0x20 from each byte sets a top bit for a byte below it (or, by a borrow, above such a
/// byte), adding 1 sets one for 0x7f up, so a word is let through only when every byte is
/// visible, and any other word is checked byte by byte (tabs among them).
pub fn is_visible_text(value: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let (words, rest) = value.as_chunks::<8>();
    words.iter().all(|chunk| {
        let word = u64::from_le_bytes(*chunk);
        let flagged = (word.wrapping_sub(ONES * 0x20) | word.wrapping_add(ONES) | word) & TOPS;
        flagged == 0 || chunk.iter().all(is_visible)
    }) && rest.iter().all(is_visible)
}

/// One byte of [visible text](is_visible_text).
fn is_visible(b: &u8) -> bool {
    *b == b'\t' || (0x20..0x7f).contains(b)
}

/// `value` as text when it is [visible text](is_visible_text) (ASCII, so UTF-8).
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

    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time check says what the byte rule says, on values of every
        /// length made mostly of visible bytes (the cases a word decides at once) with
        /// tabs, controls, DEL and bytes from 0x80 among them.
        #[test]
        fn visible_text_is_the_byte_rule(
            bytes in proptest::collection::vec(
                prop_oneof![
                    8 => 0x20u8..0x7f,
                    1 => prop_oneof![Just(b'\t'), 0u8..0x20, 0x7fu8..=0xff],
                ],
                0..40,
            )
        ) {
            prop_assert_eq!(is_visible_text(&bytes), bytes.iter().all(is_visible));
        }
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
            let to_str = |v: &[u8]| {
                http::HeaderValue::from_bytes(v)
                    .ok()
                    .is_some_and(|v| v.to_str().is_ok())
            };
            assert_eq!(is_visible_text(&value), to_str(&value), "byte {b:#x}");
            // In every place of a value long enough for whole words (read eight bytes at
            // a time) and a rest.
            for at in 0..19 {
                let mut long = *b"visible text: 19 by";
                long[at] = b;
                assert_eq!(is_visible_text(&long), to_str(&long), "byte {b:#x} at {at}");
            }
        }
    }
}
