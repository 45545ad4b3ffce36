//! JSON text of a value, written straight into bytes: the compact text `Value`'s
//! `Display` writes, without going through a formatter (which writes token by token
//! through `fmt::Write` and costs about twice as much).

use serde_json::Value;

/// `v` as compact JSON text.
pub fn json_bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing a `Value` into a `Vec` cannot fail: its keys are strings, its numbers finite.
    let _ = serde_json::to_writer(&mut out, v);
    out
}

/// `v` as compact JSON text, a `String` (JSON text is UTF-8: no copy is made).
pub(crate) fn json_string(v: &Value) -> String {
    String::from_utf8(json_bytes(v))
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// How serde_json escapes each byte in a string: 0 not at all, `u` as `\u00xx`, else a
/// backslash and this byte.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it (a quote,
/// a backslash and the control characters; `\b`, `\f`, `\n`, `\r` and `\t` by name, the
/// others as `\u00xx`). Byte by byte into room reserved once: the texts written are short
/// JSON documents, whose runs between quotes are too short for a copy per run to pay
/// (measured: a third fewer instructions than copying runs on a tool result's text).
pub fn push_json_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    // Quotes are most of what is escaped in a JSON text: room for a few of them too.
    out.reserve(bytes.len() + bytes.len() / 4 + 2);
    out.push(b'"');
    for &b in bytes {
        match ESCAPE[usize::from(b)] {
            0 => out.push(b),
            b'u' => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            named => {
                out.push(b'\\');
                out.push(named);
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every string is escaped as serde_json escapes it.
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(
            text in prop_oneof![any::<String>(), "[\\x00-\\x20\"\\\\a/\\x7f\u{e9}]{0,24}"]
        ) {
            let mut ours = Vec::new();
            push_json_str(&mut ours, &text);
            prop_assert_eq!(ours, serde_json::to_vec(&text).unwrap());
        }
    }

    #[test]
    fn the_bytes_are_what_display_writes() {
        let v = serde_json::json!({"a": [1, 2.5, null, true], "é\n": "x\"y", "n": {"m": -0.0}});
        assert_eq!(json_bytes(&v), v.to_string().into_bytes());
        assert_eq!(json_string(&v), v.to_string());
    }
}
