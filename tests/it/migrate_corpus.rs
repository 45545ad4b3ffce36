//! `naftiko migrate` against the beta5 schema (the oracle, `jsonschema`): every corpus file
//! that `naftiko validate --strict` accepts as alpha2 migrates to a document the beta5
//! schema accepts; every file with no error in default mode either does too or is told, in
//! a `note:` on stderr, what beta5 cannot say; the counts are printed.

use std::path::{Path, PathBuf};

use naftiko_validate::{Options, validate_paths};

use crate::common;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

#[test]
fn migrated_corpus_files_are_beta5_or_say_why_not() {
    let Some(validator) =
        common::schema_validator(&shared().join("reference/ikanos-beta5/ikanos-schema.json"))
    else {
        return;
    };
    let mut files = Vec::new();
    common::yaml_files(&shared().join("corpus"), &mut files);
    assert!(!files.is_empty(), "no corpus under {}", shared().display());
    let (mut no_error, mut strict_clean, mut valid, mut noted) = (0, 0, 0, 0);
    let mut silent = Vec::new();
    for file in &files {
        if validate_paths(
            std::slice::from_ref(file),
            &Options {
                strict: false,
                ..Options::default()
            },
        )
        .has_errors()
        {
            continue;
        }
        no_error += 1;
        let strict = !validate_paths(
            std::slice::from_ref(file),
            &Options {
                strict: true,
                ..Options::default()
            },
        )
        .has_errors();
        strict_clean += usize::from(strict);
        let out = common::naftiko(&[std::ffi::OsStr::new("migrate"), file.as_os_str()]);
        assert_eq!(out.code(), 0, "{}: {out}", file.display());
        let doc: serde_json::Value = yaml_serde::from_str(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: the output is not YAML ({e}):\n{}",
                file.display(),
                out.stdout
            )
        });
        if validator.is_valid(&doc) {
            valid += 1;
            continue;
        }
        let reasons: Vec<String> = validator
            .iter_errors(&doc)
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            !strict,
            "{} is strict-clean alpha2 but migrates to invalid beta5: {reasons:?}",
            file.display()
        );
        if out.stderr.contains("note:") {
            noted += 1;
        } else {
            silent.push(format!("{}: {reasons:?}", file.display()));
        }
    }
    println!(
        "migrate: {no_error} corpus files validate with no error; {strict_clean} of them strict-clean; \
         {valid} migrate to schema-valid beta5, {noted} others say what beta5 cannot carry"
    );
    assert!(
        silent.is_empty(),
        "migrated to invalid beta5 without a note:\n{}",
        silent.join("\n")
    );
    assert!(
        strict_clean > 0 && valid >= strict_clean,
        "{valid} valid, {strict_clean} strict-clean"
    );
}

#[test]
fn migrate_refuses_what_is_not_an_alpha_document_and_names_it() {
    let dir = common::Scratch::new("migrate-refuse");
    let beta = dir.write("beta.yaml", "ikanos: 1.0.0-beta5\ncapability: {}\n");
    let out = common::naftiko(&["migrate", beta.to_str().unwrap()]);
    assert_eq!(out.code(), 1, "{out}");
    assert!(
        out.stderr.contains("beta.yaml") && out.stderr.contains("already"),
        "{out}"
    );
    let out = common::naftiko(&["migrate", "no/such/file.yaml"]);
    assert_eq!(out.code(), 2, "{out}");
    assert!(out.stderr.contains("no/such/file.yaml"), "{out}");
}

#[test]
fn migrate_rewrites_the_seed_as_beta5_and_notes_what_it_drops() {
    let out = common::naftiko(&["migrate", "capabilities/oauth2-tokens.yaml"]);
    assert_eq!(out.code(), 0, "{out}");
    let doc: serde_json::Value = yaml_serde::from_str(&out.stdout).unwrap();
    assert_eq!(doc["ikanos"], "1.0.0-beta5");
    assert_eq!(
        doc["info"]["display"],
        "Vectara OAuth 2.0 Token API — Tokens"
    );
    assert_eq!(doc["info"]["created"], "2026-05-25", "dates stay strings");
    let op = &doc["capability"]["consumes"][0]["resources"]["oauth2-token"]["operations"]["getoauthtoken"];
    assert_eq!(
        op["outputParameters"]["access_token"]["value"], "$.access_token",
        "{doc}"
    );
    assert!(
        out.stderr.contains("note:") && out.stderr.contains("type: none"),
        "{out}"
    );
}
