//! End-to-end checks that `naftiko validate --strict` draws the line between the official
//! `1.0.0-alpha2` schema and community dialect where the schema draws it, for the
//! `description` key of each exposes type: the official schema allows it on `mcp` and
//! `skill` blocks (no diagnostic; the MCP case is covered by the valid fixtures) and not on
//! `rest` or `control` blocks (`dialect-exposes-description`: a warning, an error under
//! `--strict`).

use crate::common;

use common::{Run, Scratch, naftiko_in};

/// `tests/fixtures/valid/control-skill.yaml` (an MCP server, a skill server and a control
/// adapter) with `description: Added.` inserted after the line `after`, written to a
/// scratch directory and validated with `--strict`. Returns the run and the line number
/// of the inserted key.
fn with_description_after(after: &str) -> (Run, usize) {
    let base =
        std::fs::read_to_string(common::root().join("tests/fixtures/valid/control-skill.yaml"))
            .expect("read the fixture");
    let mut lines: Vec<&str> = base.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == after)
        .unwrap_or_else(|| panic!("the fixture has no line `{after}`"))
        + 1;
    lines.insert(at, "    description: Added.");
    let dir = Scratch::new("official");
    dir.write("cap.yaml", lines.join("\n") + "\n");
    let run = naftiko_in(
        dir.path(),
        &["validate", "--strict", "--color", "never", "cap.yaml"],
    );
    run.assert_no_panic();
    (run, at + 1)
}

#[test]
fn description_on_a_skill_exposes_block_is_official() {
    // `ExposesSkill.properties.description` exists in the official schema.
    let (run, line) = with_description_after("    namespace: notes-skills");
    assert_eq!(
        run.code(),
        0,
        "`description` on a skill exposes block (line {line}) is official; --strict must accept it\n{run}"
    );
    assert!(run.diagnostic_lines().is_empty(), "{run}");
}

#[test]
fn description_on_a_control_exposes_block_is_dialect() {
    // `ExposesControl` has no `description` and `additionalProperties: false`.
    let (run, line) = with_description_after("    address: localhost");
    assert_eq!(
        run.code(),
        1,
        "`description` on a control exposes block (line {line}) is outside the official schema; --strict must reject it\n{run}"
    );
    let want = format!("cap.yaml:{line}:5: error[dialect-exposes-description]");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&want)),
        "expected `{want}`\n{run}"
    );
}

#[test]
fn description_on_a_rest_exposes_block_is_dialect() {
    let base =
        std::fs::read_to_string(common::root().join("tests/fixtures/valid/rest-weather.yaml"))
            .expect("read the fixture");
    let text = base.replace(
        "    namespace: weather-rest\n",
        "    namespace: weather-rest\n    description: Added.\n",
    );
    assert_ne!(text, base, "the fixture changed; update this test");
    let line = text
        .lines()
        .position(|l| l == "    description: Added.")
        .expect("inserted")
        + 1;
    let dir = Scratch::new("official-rest");
    dir.write("cap.yaml", &text);
    let run = naftiko_in(
        dir.path(),
        &["validate", "--strict", "--color", "never", "cap.yaml"],
    );
    run.assert_no_panic();
    assert_eq!(run.code(), 1, "{run}");
    let want = format!("cap.yaml:{line}:5: error[dialect-exposes-description]");
    assert!(
        run.stdout.lines().any(|l| l.starts_with(&want)),
        "expected `{want}`\n{run}"
    );
    // Without --strict it is only a warning.
    let relaxed = naftiko_in(dir.path(), &["validate", "--color", "never", "cap.yaml"]);
    assert_eq!(relaxed.code(), 0, "{relaxed}");
    let warn = format!("cap.yaml:{line}:5: warning[dialect-exposes-description]");
    assert!(
        relaxed.stdout.lines().any(|l| l.starts_with(&warn)),
        "expected `{warn}`\n{relaxed}"
    );
}
