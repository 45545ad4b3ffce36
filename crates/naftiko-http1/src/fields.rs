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
