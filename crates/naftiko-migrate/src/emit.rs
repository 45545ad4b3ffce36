//! The YAML the migration writes: block style, two-space indents, and every string that a
//! YAML 1.1 reader could take for something else (a date, `yes`, `on`, a number, `null`)
//! double-quoted, so that the Java engine's SnakeYAML and naftiko read the same values.
//! Double-quoted strings are written as JSON strings, which YAML reads the same way.

use yaml_serde::Value;

/// `v` as a YAML document.
pub(crate) fn document(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Mapping(m) if !m.is_empty() => mapping(&mut out, m, 0),
        Value::Sequence(s) if !s.is_empty() => sequence(&mut out, s, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn mapping(out: &mut String, m: &yaml_serde::Mapping, indent: usize) {
    for (i, (k, v)) in m.iter().enumerate() {
        // The first entry of a sequence item continues its `- ` line.
        if i > 0 || !out.ends_with("- ") {
            pad(out, indent);
        }
        out.push_str(&inline(k));
        out.push(':');
        value_after(out, v, indent);
    }
}

fn sequence(out: &mut String, s: &[Value], indent: usize) {
    for item in s {
        pad(out, indent);
        out.push_str("- ");
        match item {
            Value::Mapping(m) if !m.is_empty() => mapping(out, m, indent + 2),
            Value::Sequence(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2);
            }
            other => {
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

/// What follows `key:`.
fn value_after(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            mapping(out, m, indent + 2);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            sequence(out, s, indent);
        }
        Value::Tagged(t) => value_after(out, &t.value, indent),
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

/// A scalar (or an empty collection) on one line.
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Sequence(_) => "[]".to_owned(),
        Value::Mapping(_) => "{}".to_owned(),
        Value::Tagged(t) => inline(&t.value),
    }
}

/// `s` plain when no YAML reader can mistake it, else double-quoted.
fn string(s: &str) -> String {
    if is_plain(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
    }
}

fn is_plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    let safe_chars = s
        .chars()
        .all(|c| c.is_alphanumeric() || " _-./()@+,'$[]*?=&%!|<>".contains(c));
    let starts_safely = first.is_alphabetic() || first == '_' || first == '/';
    let looks_typed = s.parse::<f64>().is_ok()
        || WORDS.iter().any(|w| s.eq_ignore_ascii_case(w))
        || s.chars().next().is_some_and(|c| c.is_ascii_digit());
    safe_chars
        && starts_safely
        && !looks_typed
        && s.trim() == s
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
}

/// A JSON value as the YAML tree the emitter writes (key order kept).
pub(crate) fn from_json(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Number(i.into()),
            (None, Some(u), _) => Value::Number(u.into()),
            (None, None, Some(f)) => Value::Number(f.into()),
            _ => Value::Null,
        },
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::Sequence(a.iter().map(from_json).collect()),
        J::Object(m) => Value::Mapping(
            m.iter()
                .map(|(k, v)| (Value::String(k.clone()), from_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_strings_are_quoted_and_the_rest_are_plain() {
        let v: Value = yaml_serde::from_str(
            "a: '2026-05-25'\nb: 'yes'\nc: '8080'\nd: plain text\ne: '$.x'\nf: 'a: b'\ng: \"two\\nlines\"\nh: ''\nlist:\n- x: 1\n  y: [1, 2]\n- z\nempty: []\n",
        )
        .unwrap_or(Value::Null);
        let text = document(&v);
        assert!(text.contains("a: \"2026-05-25\""), "{text}");
        assert!(text.contains("b: \"yes\""), "{text}");
        assert!(text.contains("c: \"8080\""), "{text}");
        assert!(text.contains("d: plain text"), "{text}");
        assert!(text.contains("f: \"a: b\""), "{text}");
        assert!(text.contains("h: \"\""), "{text}");
        let back: Value = yaml_serde::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(back, v, "{text}");
    }
}
