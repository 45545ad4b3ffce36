//! YAML answers as JSON (the reference engine reads them with Jackson's YAML `readTree`),
//! through the loader capability files use (`naftiko_spec::yaml`), so one YAML stack keeps
//! one set of limits:
//!
//! - the first document is read (later ones are ignored);
//! - plain scalars follow the YAML 1.2 core schema: `42` is a number, `true` a boolean,
//!   `null`/`~`/nothing null, `yes` and `2024-01-01` strings;
//! - mappings are objects in document order (a key written twice keeps its first value),
//!   non-string keys become their text; `<<` merge keys are expanded; tags are ignored;
//! - nesting deeper than `naftiko_spec::yaml::MAX_DEPTH` levels, or more than `MAX_NODES`
//!   nodes once aliases are expanded (a YAML bomb), is refused.

use std::path::Path;
use std::sync::Arc;

use naftiko_spec::Severity;
use naftiko_spec::diag::rule;
use serde_json::Value;

/// `body` (UTF-8 YAML) as JSON.
pub(super) fn to_json(body: &[u8]) -> Result<Value, String> {
    text_to_json(super::values::utf8(body, "YAML")?)
}

/// YAML text as JSON (markdown front matter is read with it too).
pub(super) fn text_to_json(text: &str) -> Result<Value, String> {
    let file: Arc<Path> = Arc::from(Path::new("<upstream>"));
    let mut diags = Vec::new();
    if let Some(node) = naftiko_spec::yaml::parse(text, &file, &mut diags) {
        return Ok(node.to_json());
    }
    // The loader stopped: say why, from its first error (its messages name no content;
    // the empty-file one speaks of capability files, so it is replaced).
    let Some(d) = diags.iter().find(|d| d.severity == Severity::Error) else {
        return Err("not a YAML document".to_owned());
    };
    if d.rule == rule::FILE_EMPTY {
        return Err("no YAML document".to_owned());
    }
    let at = d.loc.span.start;
    Err(format!(
        "not valid YAML at line {}, column {}: {}",
        at.line, at.column, d.message
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn documents_scalars_anchors_and_merges() {
        let yaml = b"users:\n  - &a {id: \"1\", name: Alice, age: 42, admin: true, note: ~}\n  - <<: *a\n    id: \"2\"\n    name: Bob\nwhen: 2024-01-01\nyes: yes\n---\nsecond: document\n";
        assert_eq!(
            to_json(yaml),
            Ok(json!({
                "users": [
                    {"id": "1", "name": "Alice", "age": 42, "admin": true, "note": null},
                    {"id": "2", "name": "Bob", "age": 42, "admin": true, "note": null}
                ],
                "when": "2024-01-01",
                "yes": "yes"
            }))
        );
        assert_eq!(to_json(b"- 1\n- 2.5\n"), Ok(json!([1, 2.5])));
        assert_eq!(to_json("\u{feff}a: b".as_bytes()), Ok(json!({"a": "b"})));
    }

    #[test]
    fn malformed_deep_and_bomb_documents_are_refused() {
        for bad in [
            &b"a: [1, 2"[..],
            b"",
            b"key: value\n bad indent: x\n",
            b"*unknown",
            b"\xff\xfe",
        ] {
            let e = to_json(bad);
            assert!(e.is_err(), "{}: {e:?}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(naftiko_spec::yaml::MAX_DEPTH + 1);
        assert!(to_json(deep.as_bytes()).is_err());
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = to_json(bomb.as_bytes());
        assert!(e.as_ref().is_err_and(|m| m.contains("alias")), "{e:?}");
    }
}
