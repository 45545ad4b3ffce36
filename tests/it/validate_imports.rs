//! Ikanos beta5 imports of binds, exposes blocks and aggregates (`{from, import, as}`),
//! and the beta5 ruleset's import rules, through `naftiko validate`:
//!
//! - `tests/fixtures/beta5/imports/capability.yaml` imports a bind, a REST block and an
//!   aggregate from the shared files beside it, and is clean even under `--strict
//!   --deny-warnings`; so are the shared files on their own;
//! - every fixture of `tests/fixtures/beta5/imports/invalid` reports exactly the
//!   diagnostics its `# expect: LINE:COL severity[rule]` lines name (one per mistake: no
//!   `unresolved-reference` or `template-unresolved` after an import that failed, no
//!   `required-field` beside `ikanos-import-*-required`, no `ikanos-namespaces-unique`
//!   beside `ikanos-import-unique-alias`);
//! - imported entries take the place of their import entry, renamed by `as`.
//!
//! `tests/it/run_imports.rs` runs the capability.

use crate::common;

use common::{Scratch, expected, naftiko, reported};
use naftiko_spec::model::{Exposes, ImportSection};
use naftiko_validate::{Options, validate_paths};

const DIR: &str = "tests/fixtures/beta5/imports";

/// The `*.yaml` files directly under `DIR/sub`, sorted, relative to the root.
fn fixtures(sub: &str) -> Vec<String> {
    let mut files = Vec::new();
    common::yaml_files(&common::root().join(DIR).join(sub), &mut files);
    files
        .iter()
        .filter_map(|f| f.strip_prefix(common::root()).ok())
        .map(|f| f.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_importing_capability_and_its_shared_files_are_clean_under_strict() {
    let mut paths = vec![format!("{DIR}/capability.yaml")];
    paths.extend(fixtures("shared"));
    for path in paths.iter().filter(|p| !p.ends_with("plain-secrets.yaml")) {
        for strict in [false, true] {
            let mut args = vec!["validate", "--color", "never", path.as_str()];
            if strict {
                args.extend(["--strict", "--deny-warnings"]);
            }
            let run = naftiko(&args);
            run.assert_no_panic();
            assert_eq!(run.code(), 0, "{path} (strict: {strict})\n{run}");
            assert!(run.diagnostic_lines().is_empty(), "{path}\n{run}");
        }
    }
}

#[test]
fn every_invalid_import_reports_exactly_its_expected_diagnostics() {
    let paths = fixtures("invalid");
    assert!(paths.len() >= 12, "{paths:?}");
    let mut failures = Vec::new();
    for path in &paths {
        let want = expected(path);
        assert!(!want.is_empty(), "{path}: declares no `# expect:` line");
        let run = naftiko(&["validate", "--color", "never", path]);
        run.assert_no_panic();
        let got = reported(&run);
        if run.code() != 1 || got != want {
            failures.push(format!(
                "{path}: missing {:#?}, unexpected {:#?}\n{run}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_ruleset_rules_are_listed_as_beta5_rules() {
    let run = naftiko(&["rules"]);
    assert_eq!(run.code(), 0, "{run}");
    for id in [
        "ikanos-import-from-required",
        "ikanos-import-import-required",
        "ikanos-import-unique-alias",
        "ikanos-import-from-not-self",
        "ikanos-standalone-no-imports",
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("`naftiko rules` does not list {id}\n{run}"));
        assert!(line.contains("beta5") && !line.contains("alpha2"), "{line}");
        assert!(line.contains("error"), "{line}");
    }
}

#[test]
fn imported_entries_take_the_place_of_their_import_renamed_by_as() {
    let dir = Scratch::new("imports-order");
    dir.write(
        "shared-binds.yaml",
        "ikanos: 1.0.0-beta5\nbinds:\n- namespace: b\n  keys: {B_VAR: B_VAR, B_OTHER: B_OTHER}\n",
    );
    dir.write(
        "shared-exposes.yaml",
        "ikanos: 1.0.0-beta5\nexposes:\n- type: mcp\n  namespace: shared-mcp\n  port: 8300\n  description: Shared.\n  tools:\n    t:\n      description: T.\n      outputParameters:\n        ok: {type: string, value: \"{{B_VAR}}\"}\n",
    );
    let importer = dir.write(
        "capability.yaml",
        r#"ikanos: 1.0.0-beta5
binds:
- namespace: a
  keys: {A_VAR: A_VAR}
- from: ./shared-binds.yaml
  import: b
- namespace: c
  keys: {C_VAR: C_VAR}
capability:
  exposes:
  - type: mcp
    namespace: first
    port: 8301
    description: First.
    tools:
      t:
        description: "{{A_VAR}} {{C_VAR}}"
        outputParameters:
          ok: {type: string, value: "{{A_VAR}}{{C_VAR}}"}
  - from: ./shared-exposes.yaml
    import: shared-mcp
    as: renamed
"#,
    );
    let v = validate_paths(std::slice::from_ref(&importer), &Options::default());
    // No diagnostic at all: in particular no `bind-unused` for `B_OTHER`, which the shared
    // file declares for whoever imports it.
    assert!(v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
    let doc = v.files[0].document.as_ref().unwrap();
    let binds: Vec<&str> = doc
        .binds
        .iter()
        .filter_map(|b| b.namespace.as_ref().map(|n| n.value.as_str()))
        .collect();
    assert_eq!(binds, ["a", "b", "c"]);
    // The imported bind is named at its import entry (line 6, `import: b`).
    let b = &doc.binds[1];
    assert_eq!(b.namespace.as_ref().unwrap().loc.span.start.line, 6);
    assert_eq!(*b.namespace.as_ref().unwrap().loc.file, *importer);
    let exposes = &doc.capability.as_ref().unwrap().exposes;
    let names: Vec<&str> = exposes
        .iter()
        .filter_map(|e| e.namespace().map(|n| n.value.as_str()))
        .collect();
    assert_eq!(names, ["first", "renamed"]);
    assert!(matches!(exposes[1], Exposes::Mcp(_)));
    // The import entries are kept for the rules, and the files they come from are known
    // (the engine reads their `{{env.X}}` too).
    let sections: Vec<ImportSection> = doc.import_entries().iter().map(|i| i.section).collect();
    assert_eq!(sections, [ImportSection::Binds, ImportSection::Exposes]);
    assert_eq!(v.scopes[0].sources.len(), 2);
}

#[test]
fn an_entry_is_imported_from_a_capability_document_too() {
    // The reference engine reads the section at the source file's root, else under its
    // `capability`: here an aggregate declared inline by another capability.
    let dir = Scratch::new("imports-wrapped");
    dir.write(
        "other.yaml",
        r#"ikanos: 1.0.0-beta5
capability:
  exposes:
  - type: mcp
    namespace: other-mcp
    port: 8310
    description: Other.
    tools:
      t:
        description: T.
        ref: greetings.hello
  aggregates:
  - display: Greetings
    namespace: greetings
    flows:
      hello:
        description: Hello.
        outputParameters:
          greeting: {type: string, value: hello}
"#,
    );
    let importer = dir.write(
        "capability.yaml",
        r#"ikanos: 1.0.0-beta5
capability:
  exposes:
  - type: mcp
    namespace: mine
    port: 8311
    description: Mine.
    tools:
      t:
        description: T.
        ref: hi.hello
  aggregates:
  - from: ./other.yaml
    import: greetings
    as: hi
"#,
    );
    let v = validate_paths(std::slice::from_ref(&importer), &Options::default());
    assert!(v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
    let doc = v.files[0].document.as_ref().unwrap();
    let aggregates = &doc.capability.as_ref().unwrap().aggregates;
    assert_eq!(aggregates.len(), 1);
    assert_eq!(aggregates[0].namespace.as_ref().unwrap().value, "hi");
}
