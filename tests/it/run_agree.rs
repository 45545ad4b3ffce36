//! `validate` and `run` agree (issue 13): every file of `../shared/corpus` that `naftiko
//! validate` reports no error for (default mode, each file on its own) is built by
//! `naftiko run FILE --check` (validate and build, no listening) once its variables are set
//! (every environment variable its binds and `{{env.X}}` templates read) and its base URIs
//! given (`--base-uri NS=http://127.0.0.1:9` for every consumed namespace). Whatever `run`
//! refuses, `validate` must already report as an error. The one exception is a file that
//! exposes nothing (a shared `consumes` file, meant to be imported): valid, but alone it
//! gives `run` nothing to serve, which `run` must say in those words. The counts are
//! printed. Without the corpus the test is skipped ([`common::skip_or_fail`]: it fails
//! under CI).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common;
use naftiko_spec::model::Document;
use naftiko_validate::{Options, Validation, validate_paths};

fn corpus() -> PathBuf {
    common::root().join("../shared/corpus")
}

/// The environment variables `doc` reads: its environment binds' sources and the `X` of
/// every `{{env.X}}` in `text`.
fn variables(doc: &Document, text: &str, out: &mut Vec<String>) {
    let binds = doc
        .binds
        .iter()
        .chain(doc.capability.iter().flat_map(|c| c.binds.iter()));
    for b in binds.filter(|b| b.location.is_none()) {
        out.extend(b.keys.iter().map(|(_, source)| source.value.clone()));
    }
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find("}}") else { break };
        if let Some(name) = rest[..end].trim().strip_prefix("env.") {
            out.push(name.to_owned());
        }
    }
}

/// `naftiko run FILE --check` with every variable set and every base URI given.
fn check(file: &Path, v: &Validation) -> common::Run {
    let mut vars = Vec::new();
    for f in &v.files {
        if let Some(doc) = &f.document {
            variables(doc, &f.text, &mut vars);
        }
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_naftiko"));
    cmd.arg("run")
        .arg(file)
        .arg("--check")
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .env_remove("NAFTIKO_BASE_URI")
        .env_remove("NAFTIKO_LISTEN");
    for name in vars {
        cmd.env(&name, format!("made-up-{name}"));
    }
    for scope in v.scopes.iter().take(1) {
        for (ns, _) in &scope.consumes {
            cmd.arg("--base-uri")
                .arg(format!("{ns}=http://127.0.0.1:9"));
        }
    }
    common::run_command(&mut cmd, Duration::from_secs(60), "naftiko run --check")
}

/// True when no file of `v` exposes anything.
fn exposes_nothing(v: &Validation) -> bool {
    v.files
        .iter()
        .filter_map(|f| f.document.as_ref())
        .all(|d| d.capability.as_ref().is_none_or(|c| c.exposes.is_empty()))
}

#[test]
fn every_corpus_file_that_validates_without_errors_is_built_by_run() {
    let mut files = Vec::new();
    common::yaml_files(&corpus(), &mut files);
    if files.is_empty() {
        common::skip_or_fail(&format!("no corpus at {}", corpus().display()));
        return;
    }
    let (mut validated, mut built, mut nothing) = (0, 0, 0);
    let mut refused = Vec::new();
    for file in &files {
        let v = validate_paths(std::slice::from_ref(file), &Options::default());
        if v.has_errors() {
            continue;
        }
        validated += 1;
        let run = check(file, &v);
        run.assert_no_panic();
        if exposes_nothing(&v) {
            assert_eq!(run.code(), 1, "{}\n{run}", file.display());
            assert!(
                run.stderr.contains("nothing to serve"),
                "{}\n{run}",
                file.display()
            );
            nothing += 1;
        } else if run.code() == 0 {
            built += 1;
        } else {
            let errors: Vec<&str> = run
                .stderr
                .lines()
                .filter(|l| l.starts_with("error") || l.starts_with("naftiko:"))
                .collect();
            refused.push(format!("{}:\n  {}", file.display(), errors.join("\n  ")));
        }
    }
    println!(
        "validate/run agreement: {} corpus files, {validated} validate with no error: {built} built by `run --check`, {nothing} expose nothing (shared files: nothing to serve)",
        files.len()
    );
    assert!(
        refused.is_empty(),
        "{} files validate with no error but `run` refuses them:\n{}",
        refused.len(),
        refused.join("\n")
    );
}
