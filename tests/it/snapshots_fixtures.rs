//! Snapshot tests of `naftiko validate --color never FILE` on every fixture under
//! `tests/fixtures/`:
//!
//! - `valid/*.yaml` are official `1.0.0-alpha2` documents: exit 0 with no diagnostic at
//!   all, with and without `--strict`;
//! - `invalid/*.yaml` each exercise one or two rules, declared in the fixture's header as
//!   `# expect: LINE:COLUMN severity[rule]` lines: exit 1, and the diagnostics reported are
//!   exactly the expected ones.
//!
//! The human output of each fixture is compared with `tests/it/snapshots/*.snap` (insta);
//! review changes with `cargo insta review` or accept them with `INSTA_UPDATE=always`.

use crate::common;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use common::{expected, naftiko, reported};

/// The `*.yaml` files of `tests/fixtures/<kind>`, sorted, as paths relative to the root.
fn fixtures(kind: &str) -> Vec<String> {
    let dir = common::root().join("tests/fixtures").join(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| format!("tests/fixtures/{kind}/{n}"))
        .collect()
}

/// The snapshot name of a fixture: `valid__rest-weather`.
fn snapshot_name(path: &str) -> String {
    let p = PathBuf::from(path);
    let kind = p
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = p
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{kind}__{stem}")
}

/// Compares `output` with its snapshot without stopping at the first mismatch; returns
/// the failure, if any.
fn check_snapshot(name: &str, output: &str) -> Option<String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        insta::assert_snapshot!(name.to_string(), output);
    }));
    outcome.err().map(|_| {
        format!(
            "{name}: output differs from tests/it/snapshots/it__snapshots_fixtures__{name}.snap"
        )
    })
}

#[test]
fn there_are_enough_fixtures() {
    assert!(fixtures("valid").len() >= 4, "at least 4 valid fixtures");
    assert!(
        fixtures("invalid").len() >= 10,
        "at least 10 invalid fixtures"
    );
}

#[test]
fn valid_fixtures_are_clean_even_under_strict() {
    let mut failures = Vec::new();
    for path in fixtures("valid") {
        let run = naftiko(&["validate", "--color", "never", &path]);
        run.assert_no_panic();
        if run.code() != 0 || !run.diagnostic_lines().is_empty() {
            failures.push(format!("{path}: expected exit 0 and no diagnostics\n{run}"));
        }
        let strict = naftiko(&[
            "validate",
            "--strict",
            "--deny-warnings",
            "--color",
            "never",
            &path,
        ]);
        strict.assert_no_panic();
        if strict.code() != 0 || !strict.diagnostic_lines().is_empty() {
            failures.push(format!("{path}: expected exit 0 and no diagnostics under --strict --deny-warnings\n{strict}"));
        }
        failures.extend(check_snapshot(&snapshot_name(&path), &run.stdout));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn invalid_fixtures_report_exactly_their_expected_rules() {
    let mut failures = Vec::new();
    for path in fixtures("invalid") {
        let want = expected(&path);
        if want.is_empty() {
            failures.push(format!("{path}: declares no `# expect:` line"));
            continue;
        }
        let run = naftiko(&["validate", "--color", "never", &path]);
        run.assert_no_panic();
        if run.code() != 1 {
            failures.push(format!("{path}: expected exit 1\n{run}"));
        }
        let got = reported(&run);
        if got != want {
            let missing: Vec<&String> = want.difference(&got).collect();
            let extra: Vec<&String> = got.difference(&want).collect();
            failures.push(format!(
                "{path}: missing {missing:#?}, unexpected {extra:#?}\n{run}"
            ));
        }
        failures.extend(check_snapshot(&snapshot_name(&path), &run.stdout));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn invalid_fixtures_stay_invalid_under_strict() {
    for path in fixtures("invalid") {
        let run = naftiko(&["validate", "--strict", "--color", "never", &path]);
        run.assert_no_panic();
        assert_eq!(run.code(), 1, "{path}\n{run}");
        // Every expected finding is still reported at the same place.
        // `FILE:LINE:COL: severity[rule]` → `FILE:LINE:COL [rule]`
        let places = |set: &BTreeSet<String>| -> BTreeSet<String> {
            set.iter()
                .filter_map(|s| {
                    s.split_once(": ").and_then(|(at, what)| {
                        what.find('[').map(|i| format!("{at} {}", &what[i..]))
                    })
                })
                .collect()
        };
        let want = places(&expected(&path));
        let got = places(&reported(&run));
        assert!(want.is_subset(&got), "{path}: {want:?} not all in {got:?}");
    }
}
