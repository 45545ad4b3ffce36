//! Runs the RFC 9535 JSONPath Compliance Test Suite against `naftiko_expr::jsonpath`.
//!
//! The suite lives outside the project, at `../shared/jsonpath-cts/cts.json` relative to the
//! workspace root; when it is absent the test prints `SKIPPED: …` and passes, except under CI
//! (env `CI` set and non-empty), where it fails.
//!
//! Two checks run over every case:
//! 1. strict: [`JsonPathExpr::parse_strict`] (plain RFC 9535) must reject every invalid
//!    selector and give the expected node list (or one of the allowed alternatives) for every
//!    valid one;
//! 2. normalising: [`JsonPathExpr::parse`] must accept every valid selector unchanged (no
//!    `normalized()` form) and give the same node list. Invalid selectors that the Jayway
//!    normaliser accepts are listed for information only.

// clippy.toml allows unwrap/expect in `#[test]` functions only; this file's loaders and
// case builders are plain functions of the test crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use naftiko_expr::JsonPathExpr;
use serde_json::Value;

const CTS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/jsonpath-cts/cts.json"
);

/// One compliance test case.
struct Case<'a> {
    name: &'a str,
    selector: &'a str,
    document: Option<&'a Value>,
    /// Accepted node lists: one for `result`, several for `results`, none for invalid cases.
    expected: Vec<&'a Vec<Value>>,
    invalid: bool,
}

/// Fails the test under CI (env `CI` set and non-empty), which provides `../shared`;
/// elsewhere prints `SKIPPED: reason`. The same rule as `skip_or_fail` of the workspace's
/// `tests/it/common`, which this crate's tests cannot reach.
fn skip_or_fail(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "cannot skip under CI (env CI is set): {reason}"
    );
    println!("SKIPPED: {reason}");
}

fn load() -> Option<Value> {
    let path = Path::new(CTS_PATH);
    if !path.exists() {
        skip_or_fail(&format!("JSONPath CTS not found at {}", path.display()));
        return None;
    }
    let text = std::fs::read_to_string(path).expect("read cts.json");
    Some(serde_json::from_str(&text).expect("cts.json is JSON"))
}

fn cases(cts: &Value) -> Vec<Case<'_>> {
    let tests = cts["tests"].as_array().expect("`tests` array");
    assert!(!tests.is_empty(), "no CTS tests found");
    tests
        .iter()
        .map(|t| {
            let mut expected = Vec::new();
            if let Some(Value::Array(r)) = t.get("result") {
                expected.push(r);
            }
            if let Some(Value::Array(alternatives)) = t.get("results") {
                for alt in alternatives {
                    expected.push(alt.as_array().expect("`results` holds arrays"));
                }
            }
            Case {
                name: t["name"].as_str().expect("`name`"),
                selector: t["selector"].as_str().expect("`selector`"),
                document: t.get("document"),
                expected,
                invalid: t.get("invalid_selector") == Some(&Value::Bool(true)),
            }
        })
        .collect()
}

/// Checks one case with `parse`; returns a failure description.
fn check(
    case: &Case<'_>,
    parse: fn(&str) -> Result<JsonPathExpr, naftiko_expr::JsonPathError>,
) -> Option<String> {
    let parsed = parse(case.selector);
    if case.invalid {
        return parsed
            .ok()
            .map(|_| "invalid selector was accepted".to_owned());
    }
    let expr = match parsed {
        Ok(expr) => expr,
        Err(e) => return Some(format!("valid selector rejected: {e}")),
    };
    if let Some(n) = expr.normalized() {
        return Some(format!("valid selector was rewritten to {n:?}"));
    }
    let Some(doc) = case.document else {
        return Some("valid case without a document".to_owned());
    };
    if case.expected.is_empty() {
        return Some("valid case without `result`/`results`".to_owned());
    }
    let got: Vec<Value> = expr.query_nodes(doc).into_iter().cloned().collect();
    if case.expected.iter().any(|want| **want == got) {
        None
    } else {
        Some(format!(
            "got {}, want {}",
            Value::Array(got),
            case.expected
                .iter()
                .map(|w| Value::Array((*w).clone()).to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }
}

fn report(label: &str, cases: &[Case<'_>], failures: &[(String, String)]) {
    println!(
        "CTS ({label}): {}/{} passed",
        cases.len() - failures.len(),
        cases.len()
    );
    for (name, why) in failures {
        println!("  FAIL {name}: {why}");
    }
}

#[test]
fn rfc9535_compliance_test_suite_strict() {
    let Some(cts) = load() else { return };
    let cases = cases(&cts);
    let failures: Vec<(String, String)> = cases
        .iter()
        .filter_map(|c| {
            check(c, JsonPathExpr::parse_strict)
                .map(|why| (format!("{} `{}`", c.name, c.selector), why))
        })
        .collect();
    report("strict parse", &cases, &failures);
    println!(
        "CTS: {}/{} passed",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{} CTS case(s) failed", failures.len());
}

#[test]
fn normalising_parse_keeps_valid_rfc9535_queries() {
    let Some(cts) = load() else { return };
    let cases = cases(&cts);
    let valid: Vec<&Case<'_>> = cases.iter().filter(|c| !c.invalid).collect();
    let mut failures = Vec::new();
    for c in &valid {
        if let Some(why) = check(c, JsonPathExpr::parse) {
            failures.push((format!("{} `{}`", c.name, c.selector), why));
        }
    }
    println!(
        "CTS (normalising parse, valid selectors): {}/{} unchanged and equal",
        valid.len() - failures.len(),
        valid.len()
    );
    for (name, why) in &failures {
        println!("  FAIL {name}: {why}");
    }

    // Informational: invalid RFC 9535 selectors that the Jayway normaliser accepts.
    let lenient: Vec<String> = cases
        .iter()
        .filter(|c| c.invalid)
        .filter_map(|c| {
            JsonPathExpr::parse(c.selector)
                .ok()
                .map(|e| format!("{} {:?} -> {:?}", c.name, c.selector, e.canonical()))
        })
        .collect();
    println!(
        "CTS (normalising parse): {} invalid selector(s) accepted as Jayway spellings",
        lenient.len()
    );
    for line in &lenient {
        println!("  accepted {line}");
    }
    assert!(
        failures.is_empty(),
        "{} CTS case(s) changed",
        failures.len()
    );
}
