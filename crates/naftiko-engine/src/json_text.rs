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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_are_what_display_writes() {
        let v = serde_json::json!({"a": [1, 2.5, null, true], "é\n": "x\"y", "n": {"m": -0.0}});
        assert_eq!(json_bytes(&v), v.to_string().into_bytes());
        assert_eq!(json_string(&v), v.to_string());
    }
}
