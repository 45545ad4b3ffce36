//! End-to-end checks of `naftiko validate` on the seed capability
//! `capabilities/oauth2-tokens.yaml`: its community-dialect constructs are reported as
//! warnings at their exact line and column (exit 0), become errors under `--strict`
//! (exit 1), make `--deny-warnings` exit 1, and appear identically in `--format json`.

use crate::common;

use std::collections::BTreeSet;

use common::{Run, naftiko};

const SEED: &str = "capabilities/oauth2-tokens.yaml";

/// The dialect diagnostics of the seed: (rule, line, column). Verified by hand against the
/// file: `in: form` values at column 15 of lines 40/44/48, the `type`/`required` keys of
/// the three consumed inputs at column 11, `type: integer` on the `expires_in` output,
/// and `type: none` under `authentication`.
const DIALECT: &[(&str, u32, u32)] = &[
    ("dialect-integer-type", 36, 17),
    ("dialect-param-location", 40, 15),
    ("dialect-consumed-input-fields", 41, 11),
    ("dialect-consumed-input-fields", 42, 11),
    ("dialect-param-location", 44, 15),
    ("dialect-consumed-input-fields", 45, 11),
    ("dialect-consumed-input-fields", 46, 11),
    ("dialect-param-location", 48, 15),
    ("dialect-consumed-input-fields", 49, 11),
    ("dialect-consumed-input-fields", 50, 11),
    ("dialect-auth-none", 52, 13),
];

fn prefix(severity: &str, (rule, line, column): (&str, u32, u32)) -> String {
    format!("{SEED}:{line}:{column}: {severity}[{rule}]")
}

/// Lines of the human output that start with `prefix` followed by `: `.
fn lines_with<'a>(run: &'a Run, prefix: &str) -> Vec<&'a str> {
    let head = format!("{prefix}: ");
    run.stdout
        .lines()
        .filter(|l| l.starts_with(&head))
        .collect()
}

#[test]
fn seed_dialect_constructs_are_warnings_at_their_own_lines() {
    let run = naftiko(&["validate", "--color", "never", SEED]);
    run.assert_no_panic();
    assert_eq!(
        run.code(),
        0,
        "warnings alone must not fail validation\n{run}"
    );
    for d in DIALECT {
        let p = prefix("warning", *d);
        let found = lines_with(&run, &p);
        assert_eq!(found.len(), 1, "expected exactly one `{p}` line\n{run}");
    }
    // The `type`/`required` dialect warnings name the field they are about.
    for line in [41, 45, 49] {
        let p = prefix("warning", ("dialect-consumed-input-fields", line, 11));
        assert!(
            lines_with(&run, &p)[0].contains("`type`"),
            "line {line} is the `type` key\n{run}"
        );
    }
    for line in [42, 46, 50] {
        let p = prefix("warning", ("dialect-consumed-input-fields", line, 11));
        assert!(
            lines_with(&run, &p)[0].contains("`required`"),
            "line {line} is the `required` key\n{run}"
        );
    }
    assert!(
        !run.stdout
            .lines()
            .any(|l| common::is_diagnostic_line(l) && l.contains(": error[")),
        "no errors expected\n{run}"
    );
    assert!(
        run.stdout.contains("checked 1 file: 0 errors,"),
        "summary line\n{run}"
    );
    // Each diagnostic comes with a rustc-like snippet showing its source line.
    assert!(
        run.stdout.contains("40 |           in: form"),
        "snippet of line 40\n{run}"
    );
    assert!(
        run.stdout.contains("52 |       type: none"),
        "snippet of line 52\n{run}"
    );
}

#[test]
fn strict_turns_the_same_dialect_diagnostics_into_errors() {
    let run = naftiko(&["validate", "--strict", "--color", "never", SEED]);
    run.assert_no_panic();
    assert_eq!(
        run.code(),
        1,
        "--strict must fail on dialect constructs\n{run}"
    );
    for d in DIALECT {
        let err = prefix("error", *d);
        assert_eq!(
            lines_with(&run, &err).len(),
            1,
            "expected exactly one `{err}` line\n{run}"
        );
        let warn = prefix("warning", *d);
        assert!(
            lines_with(&run, &warn).is_empty(),
            "`{warn}` must have become an error\n{run}"
        );
    }
    // Only deviations from the official schema are promoted: an unused bind stays a warning.
    let unused = format!("{SEED}:16:5: warning[bind-unused]");
    assert_eq!(
        lines_with(&run, &unused).len(),
        1,
        "bind-unused is not a deviation\n{run}"
    );
}

#[test]
fn strict_and_default_report_the_same_places() {
    let places = |run: &Run| -> BTreeSet<String> {
        run.diagnostic_lines()
            .iter()
            .map(|l| {
                // `FILE:LINE:COL: severity[rule]: …` → `FILE:LINE:COL rule`
                let (at, rest) = l.split_once(": ").expect("diagnostic line");
                let rule = rest
                    .split_once('[')
                    .and_then(|(_, r)| r.split_once(']'))
                    .map(|(r, _)| r)
                    .expect("rule id");
                format!("{at} {rule}")
            })
            .collect()
    };
    let default = naftiko(&["validate", "--color", "never", SEED]);
    let strict = naftiko(&["validate", "--strict", "--color", "never", SEED]);
    assert!(!places(&default).is_empty(), "{default}");
    assert_eq!(
        places(&default),
        places(&strict),
        "--strict changes severities, not findings\n{default}\n{strict}"
    );
}

#[test]
fn deny_warnings_fails_on_the_seed() {
    let run = naftiko(&["validate", "--deny-warnings", "--color", "never", SEED]);
    run.assert_no_panic();
    assert_eq!(
        run.code(),
        1,
        "--deny-warnings must exit 1 when there are warnings\n{run}"
    );
    // The diagnostics themselves stay warnings.
    for d in DIALECT {
        assert_eq!(lines_with(&run, &prefix("warning", *d)).len(), 1, "{run}");
    }
}

#[test]
fn json_output_lists_the_same_diagnostics() {
    let human = naftiko(&["validate", "--color", "never", SEED]);
    let run = naftiko(&["validate", "--format", "json", SEED]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("--format json is not JSON: {e}\n{run}"));
    let diags = json["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("no `diagnostics` array\n{run}"));
    assert_eq!(json["files_checked"], 1, "{run}");

    let mut from_json = BTreeSet::new();
    for d in diags {
        assert_eq!(d["file"], SEED, "{d}");
        let rule = d["rule"].as_str().expect("rule");
        let severity = d["severity"].as_str().expect("severity");
        let line = d["line"].as_u64().expect("line");
        let column = d["column"].as_u64().expect("column");
        assert!(!d["message"].as_str().expect("message").is_empty(), "{d}");
        from_json.insert(format!("{SEED}:{line}:{column}: {severity}[{rule}]"));
    }
    for d in DIALECT {
        let p = prefix("warning", *d);
        assert!(from_json.contains(&p), "JSON lacks {p}\n{run}");
        let matching = diags
            .iter()
            .filter(|j| j["rule"] == d.0 && j["line"] == d.1 && j["column"] == d.2)
            .collect::<Vec<_>>();
        assert_eq!(matching.len(), 1, "{p}");
        assert_eq!(
            matching[0]["deviation"], true,
            "dialect diagnostics are deviations: {}",
            matching[0]
        );
    }
    let from_human: BTreeSet<String> = human
        .diagnostic_lines()
        .iter()
        .map(|l| {
            l.split_once("]: ")
                .map(|(s, _)| format!("{s}]"))
                .expect("prefix")
        })
        .collect();
    assert_eq!(
        from_json, from_human,
        "JSON and human output list different diagnostics"
    );

    let warnings = diags.iter().filter(|d| d["severity"] == "warning").count() as u64;
    assert_eq!(
        json["summary"]["warnings"].as_u64(),
        Some(warnings),
        "{run}"
    );
    assert_eq!(json["summary"]["errors"].as_u64(), Some(0), "{run}");
}

#[test]
fn json_output_under_strict_marks_dialect_as_errors() {
    let run = naftiko(&["validate", "--strict", "--format", "json", SEED]);
    assert_eq!(run.code(), 1, "{run}");
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON: {e}\n{run}"));
    let diags = json["diagnostics"].as_array().expect("diagnostics");
    for (rule, line, column) in DIALECT {
        let d = diags
            .iter()
            .find(|d| d["rule"] == *rule && d["line"] == *line && d["column"] == *column)
            .unwrap_or_else(|| panic!("{rule} at {line}:{column} missing\n{run}"));
        assert_eq!(d["severity"], "error", "{d}");
    }
    assert!(
        json["summary"]["errors"].as_u64().expect("errors") >= DIALECT.len() as u64,
        "{run}"
    );
}
