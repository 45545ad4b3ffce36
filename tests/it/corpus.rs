//! The published capability files of `../shared/corpus`: every file loads and validates
//! without a panic; the Vectara directory validates as one set (five files sharing port
//! 8080) with warnings and no errors; and community-dialect constructs added to files the
//! official schema accepts give warnings (errors under `--strict`) and never errors in the
//! default mode. Counts are printed. Without the corpus each test is skipped
//! ([`common::skip_or_fail`]: it fails under CI).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common;
use naftiko_spec::Severity;
use naftiko_validate::workspace::validate_loaded;
use naftiko_validate::{Options, Validation, validate_paths};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["community", "vectara"] {
        let Ok(entries) = std::fs::read_dir(corpus().join(dir)) else {
            continue;
        };
        out.extend(
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml")),
        );
    }
    out.sort();
    out
}

#[test]
fn every_corpus_file_validates_without_panicking() {
    let files = corpus_files();
    if files.is_empty() {
        common::skip_or_fail(&format!("no corpus at {}", corpus().display()));
        return;
    }
    let mut clean = 0;
    let mut warnings_only = 0;
    let mut with_errors = 0;
    let mut error_rules: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in &files {
        let v = validate_paths(std::slice::from_ref(f), &Options::default());
        assert!(
            v.path_errors.is_empty(),
            "{}: {:?}",
            f.display(),
            v.path_errors
        );
        assert!(
            v.files.first().is_some_and(|d| d.document.is_some()) || !v.diagnostics.is_empty(),
            "{} produced neither a model nor a diagnostic",
            f.display()
        );
        if v.has_errors() {
            with_errors += 1;
            for d in v
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                *error_rules.entry(d.rule).or_default() += 1;
                assert!(
                    !d.deviation,
                    "{}: a deviation is an error in default mode: {d:?}",
                    f.display()
                );
            }
        } else if v.count(Severity::Warning) > 0 {
            warnings_only += 1;
        } else {
            clean += 1;
        }
    }
    println!(
        "corpus: {} files: {clean} clean, {warnings_only} with warnings only, {with_errors} with errors",
        files.len()
    );
    println!("corpus errors by rule: {error_rules:?}");
    assert!(
        clean + warnings_only > files.len() / 2,
        "most corpus files should run"
    );
}

#[test]
fn the_vectara_capabilities_validate_together() {
    let dir = corpus().join("vectara");
    if !dir.is_dir() {
        common::skip_or_fail(&format!("no corpus at {}", dir.display()));
        return;
    }
    let v = validate_paths(&[dir], &Options::default());
    assert_eq!(v.files.len(), 5);
    let errors: Vec<_> = v
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(v.count(Severity::Warning) > 0);
}

/// Community constructs, each as (text to find, replacement, rule expected).
const DIALECT_EDITS: &[(&str, &str, &str)] = &[
    (
        "  - type: http\n",
        "  - type: http\n    authentication:\n      type: none\n",
        "dialect-auth-none",
    ),
    (
        "  - type: rest\n",
        "  - type: rest\n    description: community description\n",
        "dialect-exposes-description",
    ),
    (
        "naftiko: 1.0.0-alpha2",
        "naftiko: 1.0.0-alpha1",
        "unsupported-version",
    ),
];

fn validate_text(name: &str, text: &str, strict: bool) -> Validation {
    let doc = naftiko_spec::load_str(Arc::from(Path::new(name)), text);
    validate_loaded(
        vec![doc],
        &Options {
            strict,
            ..Options::default()
        },
        Validation::default(),
    )
}

#[test]
fn dialect_constructs_are_warnings_by_default_and_errors_under_strict() {
    let files = corpus_files();
    if files.is_empty() {
        common::skip_or_fail(&format!("no corpus at {}", corpus().display()));
        return;
    }
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if validate_text("x.yaml", &text, true).has_errors() {
            continue; // only files that are clean under --strict
        }
        for (find, replace, rule) in DIALECT_EDITS {
            if !text.contains(find)
                || (*rule == "dialect-auth-none" && text.contains("authentication:"))
            {
                continue;
            }
            let edited = text.replacen(find, replace, 1);
            let default = validate_text("x.yaml", &edited, false);
            assert!(
                !default.has_errors(),
                "{} + {rule}: errors in default mode: {:#?}",
                f.display(),
                default.diagnostics
            );
            assert!(
                default
                    .diagnostics
                    .iter()
                    .any(|d| d.rule == *rule && d.severity == Severity::Warning),
                "{} + {rule}: no warning",
                f.display()
            );
            let strict = validate_text("x.yaml", &edited, true);
            assert!(
                strict
                    .diagnostics
                    .iter()
                    .any(|d| d.rule == *rule && d.severity == Severity::Error),
                "{} + {rule}: not an error under --strict",
                f.display()
            );
            checked += 1;
        }
    }
    println!("dialect edits checked: {checked}");
    assert!(checked >= 3, "too few strict-clean corpus files to edit");
}
