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

/// Appends `text` as a JSON string, escaped exactly as serde_json escapes it (a quote,
/// a backslash and the control characters; `\b`, `\f`, `\n`, `\r` and `\t` by name, the
/// others as `\u00xx`), with the unescaped runs copied whole rather than written through
/// `io::Write` piece by piece.
pub fn push_json_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let named: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if named.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(named);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
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
