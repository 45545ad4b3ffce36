//! Ikanos `1.0.0-beta5` documents: `naftiko validate --strict` against the beta5 JSON Schema
//! (the `jsonschema` crate as the oracle, as `differential.rs` does for alpha2), over the
//! official tutorial (`tutorial/*.yml` and `tutorial/shared/*`), the examples and the
//! fixtures under `tests/fixtures/beta5`; plus the tutorial's 11 steps passing
//! `naftiko validate` (default mode) with no error, one error for an unknown version, and
//! one `unsupported-version` deviation for each version read alike.

use std::path::{Path, PathBuf};

use crate::common;
use naftiko_validate::{Options, validate_paths};

/// Files where `--strict` and the beta5 schema disagree on purpose, with the reason.
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "legacy-consumes.yaml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "registry-consumes.yaml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "step11-registry-consumes.yml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "step5-registry-consumes.yaml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "step6-registry-consumes.yaml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "step7-registry-consumes.yml",
        "a shared consumes file alone: its templates use binds its importers declare (template-unresolved)",
    ),
    (
        "reverse-tunnel-ziti.yml",
        "an OpenZiti `tunnel`: schema-valid, but naftiko cannot reach the API through it (unsupported-feature)",
    ),
    ("tunnel.yaml", "an OpenZiti `tunnel` (unsupported-feature)"),
    (
        "binary-mistakes.yaml",
        "binary content declared over a JSON operation: schema-valid, a semantic error (binary-not-binary)",
    ),
    (
        "tunnels.yaml",
        "OpenZiti tunnels (unsupported-feature), and the beta5 ruleset's tunnel rules beyond the schema",
    ),
    // Imports the schema cannot resolve (it sees one file): tests/fixtures/beta5/imports.
    ("import-cycle-a.yaml", IMPORT_UNRESOLVED),
    ("import-cycle-b.yaml", IMPORT_UNRESOLVED),
    ("import-self.yaml", IMPORT_UNRESOLVED),
    ("import-entry-not-found.yaml", IMPORT_UNRESOLVED),
    ("import-missing-file.yaml", IMPORT_UNRESOLVED),
    ("import-not-a-capability.yaml", IMPORT_UNRESOLVED),
    ("import-transitive.yaml", IMPORT_UNRESOLVED),
    ("import-wrong-section.yaml", IMPORT_UNRESOLVED),
    // The beta5 ruleset's import rules, which the schema leaves to the ruleset.
    ("import-duplicate-alias.yaml", IMPORT_RULE),
    ("import-from-dot.yaml", IMPORT_RULE),
    ("import-in-shared-file.yaml", IMPORT_RULE),
];

const IMPORT_UNRESOLVED: &str =
    "an import that cannot be resolved across files (import-not-found, import-cycle)";
const IMPORT_RULE: &str = "a rule of the beta5 ruleset, not of the schema (ikanos-import-*, ikanos-standalone-no-imports)";

fn beta5_dir() -> PathBuf {
    common::root().join("../shared/reference/ikanos-beta5")
}

/// Is `file` a beta5 document (a secrets file in `tutorial/shared` is not)?
pub(crate) fn is_capability(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|t| t.lines().any(|l| l.starts_with("ikanos:")))
}

#[test]
fn strict_validation_agrees_with_the_beta5_schema() {
    let Some(validator) = common::schema_validator(&beta5_dir().join("ikanos-schema.json")) else {
        return;
    };
    let mut files = Vec::new();
    common::yaml_files(&beta5_dir().join("tutorial"), &mut files);
    common::yaml_files(&beta5_dir().join("examples"), &mut files);
    let reference = files.len();
    // Every beta5 fixture, wherever it is (run fixtures too).
    common::yaml_files(&common::root().join("tests/fixtures"), &mut files);
    files.retain(|f| is_capability(f));
    assert!(reference > 11, "the tutorial and examples were not found");
    let (mut both_ok, mut both_reject, mut listed) = (0, 0, 0);
    let mut unexpected = Vec::new();
    for file in &files {
        let validation = validate_paths(
            std::slice::from_ref(file),
            &Options {
                strict: true,
                ..Options::default()
            },
        );
        // Only the file's own diagnostics: an imported file is checked on its own.
        let naftiko_ok = !validation
            .diagnostics
            .iter()
            .any(|d| d.severity == naftiko_spec::Severity::Error && *d.loc.file == **file);
        let json = validation
            .files
            .first()
            .and_then(|f| naftiko_spec::yaml::parse(&f.text, &f.path, &mut Vec::new()))
            .map(|r| r.to_json())
            .expect("a beta5 file parses");
        let schema_ok = validator.is_valid(&json);
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        match (naftiko_ok, schema_ok) {
            (true, true) => both_ok += 1,
            (false, false) => both_reject += 1,
            _ if DISAGREEMENTS.iter().any(|(f, _)| *f == name) => listed += 1,
            _ => {
                let naftiko: Vec<String> = validation
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == naftiko_spec::Severity::Error)
                    .take(5)
                    .map(|d| {
                        format!(
                            "  {}:{} {} {}",
                            d.loc.span.start.line, d.loc.span.start.column, d.rule, d.message
                        )
                    })
                    .collect();
                let oracle: Vec<String> = validator
                    .iter_errors(&json)
                    .take(5)
                    .map(|e| format!("  {} at {}", e, e.instance_path()))
                    .collect();
                unexpected.push(format!(
                    "{}: naftiko {} / schema {}\n{}\n{}",
                    file.display(),
                    naftiko_ok,
                    schema_ok,
                    naftiko.join("\n"),
                    oracle.join("\n")
                ));
            }
        }
    }
    println!(
        "beta5 differential: {} files: {both_ok} accepted by both, {both_reject} rejected by both, {listed} listed disagreements",
        files.len()
    );
    assert!(both_ok >= 11, "too few files accepted by both: {both_ok}");
    assert_eq!(
        listed,
        DISAGREEMENTS.len(),
        "a listed disagreement no longer disagrees"
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected disagreements:\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
}

#[test]
fn every_tutorial_step_validates_without_error() {
    let dir = beta5_dir().join("tutorial");
    let mut steps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|e| e.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    steps.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("step-"))
    });
    if steps.is_empty() {
        common::skip_or_fail(&format!("no tutorial steps under {}", dir.display()));
        return;
    }
    assert_eq!(steps.len(), 11);
    for step in &steps {
        let v = validate_paths(std::slice::from_ref(step), &Options::default());
        let errors: Vec<String> = v
            .diagnostics
            .iter()
            .filter(|d| d.severity == naftiko_spec::Severity::Error)
            .map(|d| {
                format!(
                    "{}:{} {} {}",
                    d.loc.file.display(),
                    d.loc.span.start.line,
                    d.rule,
                    d.message
                )
            })
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            step.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn an_unknown_version_is_one_error_listing_the_supported_ones() {
    let file = common::root().join("tests/fixtures/beta5/invalid/unknown-version.yaml");
    let v = validate_paths(&[file], &Options::default());
    assert_eq!(v.diagnostics.len(), 1, "{:#?}", v.diagnostics);
    let d = &v.diagnostics[0];
    assert_eq!(d.rule, "version-unknown");
    assert_eq!((d.loc.span.start.line, d.loc.span.start.column), (1, 9));
    for version in ["naftiko: 1.0.0-alpha2", "ikanos: 1.0.0-beta5"] {
        assert!(d.message.contains(version), "{}", d.message);
    }
}

/// The versions read alike, each with the fixture it replaces the version of and the
/// version it is read as (`semantics.md` §1).
const READ_ALIKE: &[(&str, &str, &str, &str)] = &[
    (
        "naftiko",
        "1.0.0-alpha1",
        "valid/rest-weather.yaml",
        "1.0.0-alpha2",
    ),
    (
        "naftiko",
        "1.0.0-alpha3",
        "valid/rest-weather.yaml",
        "1.0.0-alpha2",
    ),
    (
        "ikanos",
        "1.0.0-alpha3",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
    (
        "ikanos",
        "1.0.0-alpha4",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
    (
        "ikanos",
        "1.0.0-beta1",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
    (
        "ikanos",
        "1.0.0-beta2",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
    (
        "ikanos",
        "1.0.0-beta3",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
    (
        "ikanos",
        "1.0.0-beta4",
        "beta5/valid/keyed-maps.yaml",
        "1.0.0-beta5",
    ),
];

#[test]
fn every_version_read_alike_is_one_deviation_at_the_version() {
    let dir = common::Scratch::new("read-alike");
    for (key, version, fixture, home) in READ_ALIKE {
        let text = std::fs::read_to_string(common::root().join("tests/fixtures").join(fixture))
            .expect("fixture");
        let (_, body) = text.split_once('\n').expect("a first line");
        let name = format!("{key}-{version}.yaml");
        let path = dir.write(&name, format!("{key}: {version}\n{body}"));
        let run = common::naftiko(&["validate", "--format", "json", path.to_str().unwrap()]);
        run.assert_no_panic();
        assert_eq!(run.code(), 0, "{key}: {version}\n{run}");
        let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        let diags = json["diagnostics"].as_array().expect("diagnostics");
        assert_eq!(diags.len(), 1, "{key}: {version}\n{run}");
        let d = &diags[0];
        assert_eq!(d["rule"], "unsupported-version", "{run}");
        assert_eq!(d["severity"], "warning", "{run}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(1), Some(key.len() as u64 + 3))
        );
        let said = format!("read as {home}");
        assert!(
            d["message"].as_str().is_some_and(|m| m.contains(&said)),
            "{run}"
        );
        let strict = common::naftiko(&["validate", "--strict", path.to_str().unwrap()]);
        assert_eq!(
            strict.code(),
            1,
            "{key}: {version} under --strict\n{strict}"
        );
    }
}
