//! Differential test against the official `1.0.0-alpha2` JSON Schema.
//!
//! For every file of `../shared/corpus` (each validated on its own, as a user would) and
//! every fixture under `tests/fixtures`, `naftiko validate --strict` must report no error
//! exactly when the official schema (loaded by the `jsonschema` crate) accepts the file.
//! Where the two disagree on purpose, [`DISAGREEMENTS`] lists the file and the reason;
//! a listed file that stops disagreeing fails the test too, so the list stays true.
//! Without the official schema the test is skipped ([`common::skip_or_fail`]: it fails under
//! CI).

use std::path::{Path, PathBuf};

use crate::common;
use naftiko_validate::{Options, validate_paths};

/// Files where `--strict` and the official schema disagree on purpose, with the reason.
/// All are semantic errors a JSON Schema cannot express.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "bad-jsonpath.yaml",
        "a JSONPath that does not compile is a string to the schema",
    ),
    (
        "baseuri-slash-script.yaml",
        "`<script` in a description: reference ruleset rule, not a schema constraint",
    ),
    (
        "duplicate-key.yaml",
        "duplicate YAML keys are collapsed before a schema sees the document",
    ),
    (
        "duplicate-namespace.yaml",
        "naftiko-namespaces-unique: reference ruleset rule",
    ),
    (
        "import-not-found.yaml",
        "the imported file does not exist; the schema does not follow `location`",
    ),
    (
        "missing-aggregate-ref.yaml",
        "`ref` to a function that does not exist",
    ),
    (
        "port-conflict.yaml",
        "two exposes types on one port: a runtime conflict",
    ),
    (
        "route-conflict.yaml",
        "two routes colliding on one port: a runtime conflict",
    ),
    (
        "unresolved-call.yaml",
        "`call` to an operation that does not exist",
    ),
    (
        "unresolved-template.yaml",
        "a template variable bound to nothing",
    ),
];

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

#[test]
fn strict_validation_agrees_with_the_official_schema() {
    let Some(validator) =
        common::schema_validator(&shared().join("reference/naftiko-alpha2-schema.json"))
    else {
        return;
    };

    let mut files = Vec::new();
    common::yaml_files(&shared().join("corpus"), &mut files);
    let corpus_count = files.len();
    common::yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut files,
    );
    // beta5 documents have their own differential (`validate_beta5.rs`).
    files.retain(|p| !crate::validate_beta5::is_capability(p));
    assert!(
        corpus_count > 0,
        "no corpus files found under {}",
        shared().join("corpus").display()
    );

    let mut unexpected = Vec::new();
    let mut expected_seen = Vec::new();
    let (mut both_ok, mut both_reject) = (0, 0);
    for file in &files {
        let validation = validate_paths(
            std::slice::from_ref(file),
            &Options {
                strict: true,
                ..Options::default()
            },
        );
        let naftiko_ok = !validation.has_errors();
        let Some(json) = validation
            .files
            .first()
            .filter(|f| f.parsed)
            .and_then(|f| naftiko_spec::yaml::parse(&f.text, &f.path, &mut Vec::new()))
            .map(|r| r.to_json())
        else {
            // Not parseable YAML: both must reject.
            assert!(
                !naftiko_ok,
                "{} does not parse but naftiko accepts it",
                file.display()
            );
            both_reject += 1;
            continue;
        };
        let schema_ok = validator.is_valid(&json);
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        match (naftiko_ok, schema_ok) {
            (true, true) => both_ok += 1,
            (false, false) => both_reject += 1,
            _ => {
                if DISAGREEMENTS.iter().any(|(f, _)| *f == name) {
                    expected_seen.push(name);
                } else {
                    let detail = if schema_ok {
                        let errors: Vec<String> = validation
                            .diagnostics
                            .iter()
                            .filter(|d| d.severity == naftiko_spec::Severity::Error)
                            .take(5)
                            .map(|d| {
                                format!(
                                    "  {}:{} {} {}",
                                    d.loc.span.start.line,
                                    d.loc.span.start.column,
                                    d.rule,
                                    d.message
                                )
                            })
                            .collect();
                        format!(
                            "naftiko --strict rejects, the schema accepts:\n{}",
                            errors.join("\n")
                        )
                    } else {
                        let errors: Vec<String> = validator
                            .iter_errors(&json)
                            .take(5)
                            .map(|e| format!("  {} at {}", e, e.instance_path()))
                            .collect();
                        format!(
                            "the schema rejects, naftiko --strict accepts:\n{}",
                            errors.join("\n")
                        )
                    };
                    unexpected.push(format!("{}: {detail}", file.display()));
                }
            }
        }
    }
    println!(
        "differential: {} files ({corpus_count} corpus): {both_ok} accepted by both, {both_reject} rejected by both, {} listed disagreements",
        files.len(),
        expected_seen.len()
    );
    let stale: Vec<&str> = DISAGREEMENTS
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !expected_seen.iter().any(|s| s == f))
        .collect();
    assert!(
        stale.is_empty(),
        "listed disagreements that no longer disagree: {stale:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected disagreements:\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
}
