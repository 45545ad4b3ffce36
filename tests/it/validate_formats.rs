//! End-to-end checks of the machine-readable outputs: `naftiko validate --format json`,
//! `--format sarif` (SARIF 2.1.0) and `--format github` (workflow commands) on a fixture
//! with one error and one warning; `--color always` vs `never`; `naftiko schema` (a JSON
//! Schema that compiles) and `naftiko rules` (every rule id with its severity).

use crate::common;

use common::{Run, naftiko};

/// One error (`<script` in a description, line 13 column 18) and one warning (`baseUri`
/// with a trailing slash, line 14 column 14).
const FIXTURE: &str = "tests/fixtures/invalid/baseuri-slash-script.yaml";
const ERROR: (&str, u64, u64) = ("naftiko-no-script-tags-in-markdown", 13, 18);
const WARNING: (&str, u64, u64) = ("naftiko-consumes-baseuri-no-trailing-slash", 14, 14);

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("output is not JSON: {e}\n{run}"))
}

#[test]
fn json_format_has_locations_severities_and_summary() {
    let run = naftiko(&["validate", "--format", "json", FIXTURE]);
    run.assert_no_panic();
    assert_eq!(run.code(), 1, "{run}");
    let json = json_of(&run);
    assert_eq!(json["files_checked"], 1, "{run}");
    assert_eq!(json["summary"]["errors"], 1, "{run}");
    assert_eq!(json["summary"]["warnings"], 1, "{run}");
    let diags = json["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diags.len(), 2, "{run}");
    for ((rule, line, column), severity) in [(ERROR, "error"), (WARNING, "warning")] {
        let d = diags
            .iter()
            .find(|d| d["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} missing\n{run}"));
        assert_eq!(d["file"], FIXTURE, "{d}");
        assert_eq!(d["line"], line, "{d}");
        assert_eq!(d["column"], column, "{d}");
        assert_eq!(d["severity"], severity, "{d}");
        assert!(d["end_line"].as_u64().expect("end_line") >= line, "{d}");
        assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "{d}");
    }
}

#[test]
fn sarif_format_is_sarif_2_1_0_with_rule_ids_and_regions() {
    let run = naftiko(&["validate", "--format", "sarif", FIXTURE]);
    run.assert_no_panic();
    assert_eq!(
        run.code(),
        1,
        "the format does not change the exit code\n{run}"
    );
    let sarif = json_of(&run);
    assert_eq!(sarif["version"], "2.1.0", "{run}");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "naftiko", "{run}");
    let results = run0["results"].as_array().expect("runs[0].results");
    assert!(!results.is_empty(), "{run}");
    let rules = run0["tool"]["driver"]["rules"]
        .as_array()
        .expect("tool.driver.rules");
    for r in results {
        let id = r["ruleId"]
            .as_str()
            .unwrap_or_else(|| panic!("result without ruleId: {r}"));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(
            region["startLine"].as_u64().is_some_and(|l| l >= 1),
            "result without a startLine: {r}"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], FIXTURE,
            "{r}"
        );
        assert!(
            r["message"]["text"].as_str().is_some_and(|m| !m.is_empty()),
            "{r}"
        );
        // `ruleIndex`, when given, points at the rule's descriptor.
        if let Some(i) = r["ruleIndex"].as_u64() {
            assert_eq!(rules[i as usize]["id"], id, "ruleIndex of {r}");
        }
        assert!(
            rules.iter().any(|d| d["id"] == id),
            "rule {id} has no descriptor"
        );
    }
    for ((rule, line, column), level) in [(ERROR, "error"), (WARNING, "warning")] {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("{rule} missing\n{run}"));
        assert_eq!(r["level"], level, "{r}");
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], line, "{r}");
        assert_eq!(region["startColumn"], column, "{r}");
    }
}

#[test]
fn sarif_for_a_clean_file_has_no_results() {
    let run = naftiko(&[
        "validate",
        "--format",
        "sarif",
        "tests/fixtures/valid/rest-weather.yaml",
    ]);
    assert_eq!(run.code(), 0, "{run}");
    let sarif = json_of(&run);
    assert_eq!(sarif["version"], "2.1.0", "{run}");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0),
        "{run}"
    );
}

#[test]
fn github_format_emits_workflow_commands() {
    let run = naftiko(&["validate", "--format", "github", FIXTURE]);
    run.assert_no_panic();
    assert_eq!(run.code(), 1, "{run}");
    let error = format!("::error file={FIXTURE},line={},col={},", ERROR.1, ERROR.2);
    let warning = format!(
        "::warning file={FIXTURE},line={},col={},",
        WARNING.1, WARNING.2
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    let e = lines
        .iter()
        .find(|l| l.starts_with(&error))
        .unwrap_or_else(|| panic!("no `{error}` line\n{run}"));
    assert!(e.contains(ERROR.0), "the command names the rule: {e}");
    let w = lines
        .iter()
        .find(|l| l.starts_with(&warning))
        .unwrap_or_else(|| panic!("no `{warning}` line\n{run}"));
    assert!(w.contains(WARNING.0), "the command names the rule: {w}");
    // Every command is one line: `::level key=value,…::message`.
    for l in lines.iter().filter(|l| l.starts_with("::")) {
        assert!(
            l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "),
            "{l}"
        );
        assert!(l[2..].contains("::"), "no message separator: {l}");
    }
}

#[test]
fn github_format_on_the_seed_reports_warnings() {
    let run = naftiko(&[
        "validate",
        "--format",
        "github",
        "capabilities/oauth2-tokens.yaml",
    ]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(
        run.stdout.lines().any(|l| l
            .starts_with("::warning file=capabilities/oauth2-tokens.yaml,line=52,col=13,")
            && l.contains("dialect-auth-none")),
        "{run}"
    );
    assert!(!run.stdout.contains("::error "), "{run}");
}

#[test]
fn color_never_has_no_escapes_and_always_has_some() {
    let plain = naftiko(&["validate", "--color", "never", FIXTURE]);
    assert!(
        !plain.stdout.contains('\u{1b}'),
        "--color never printed an escape sequence\n{plain}"
    );
    let colored = naftiko(&["validate", "--color", "always", FIXTURE]);
    assert_eq!(colored.code(), 1, "{colored}");
    assert!(
        colored.stdout.contains('\u{1b}'),
        "--color always printed no escape sequence\n{colored}"
    );
    // `auto` with stdout on a pipe means no colour.
    let auto = naftiko(&["validate", FIXTURE]);
    assert!(
        !auto.stdout.contains('\u{1b}'),
        "--color auto on a pipe printed colour\n{auto}"
    );
}

#[test]
fn schema_prints_a_json_schema_that_compiles() {
    let run = naftiko(&["schema"]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    let schema = json_of(&run);
    let dialect = schema["$schema"]
        .as_str()
        .unwrap_or_else(|| panic!("no `$schema` key\n{run}"));
    assert!(dialect.starts_with("https://json-schema.org/"), "{dialect}");
    assert!(
        schema["properties"]["naftiko"].is_object(),
        "the schema describes the `naftiko` key"
    );
    assert!(
        schema["properties"]["capability"].is_object(),
        "the schema describes `capability`"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("`naftiko schema` is not a valid JSON Schema: {e}");
    }
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("`naftiko schema` does not compile: {e}"));
    let bad = serde_json::json!({"naftiko": ["1.0.0-alpha2"], "capability": {}});
    assert!(
        !validator.is_valid(&bad),
        "`naftiko: [list]` is accepted by `naftiko schema`"
    );
}

#[test]
fn schema_accepts_a_minimal_valid_capability() {
    let run = naftiko(&["schema"]);
    assert_eq!(run.code(), 0, "{run}");
    let schema = json_of(&run);
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("`naftiko schema` does not compile: {e}"));
    // `tests/fixtures/valid/control-skill.yaml`, reduced to its MCP server, as JSON: valid
    // under the official schema and clean under `naftiko validate --strict`. Optional
    // lists (`binds`, `consumes`, `tags`, …) are absent, as they usually are.
    let good = serde_json::json!({
        "naftiko": "1.0.0-alpha2",
        "info": {"label": "Notes skills", "description": "Agent skills over a notes MCP server."},
        "capability": {"exposes": [{"type": "mcp", "namespace": "notes-mcp", "port": 3002, "description": "Notes tools.", "tools": [
            {"name": "list-notes", "description": "List the notes.", "outputParameters": [{"name": "notes", "type": "string", "value": "no notes yet"}]}
        ]}]}
    });
    let errors: Vec<String> = validator
        .iter_errors(&good)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "a minimal valid capability is rejected by `naftiko schema`: {errors:?}"
    );
}

#[test]
fn rules_lists_every_rule_id_with_a_severity() {
    let run = naftiko(&["rules"]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    let rows: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let find = |id: &str| {
        rows.iter()
            .find(|r| r.first() == Some(&id))
            .unwrap_or_else(|| panic!("`naftiko rules` does not list {id}\n{run}"))
    };
    assert_eq!(find("naftiko-namespaces-unique")[1], "error", "{run}");
    assert_eq!(find("dialect-auth-none")[1], "warning", "{run}");
    for id in [
        "file-unreadable",
        "yaml-limit",
        "yaml-duplicate-key",
        "route-conflict",
        "port-conflict",
        "import-not-found",
        "unresolved-reference",
        "template-unresolved",
        "jsonpath-syntax",
    ] {
        assert_eq!(find(id)[1], "error", "{id}\n{run}");
    }
    for r in &rows {
        assert!(
            r.len() >= 3,
            "every row has an id, a severity and a summary: {r:?}"
        );
        assert!(["error", "warning", "info"].contains(&r[1]), "{r:?}");
    }
    let ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are listed once each");
}

#[test]
fn every_rule_reported_on_the_seed_is_listed_by_rules() {
    let listed = naftiko(&["rules"]);
    let ids: Vec<&str> = listed
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let run = naftiko(&[
        "validate",
        "--format",
        "json",
        "capabilities/oauth2-tokens.yaml",
        FIXTURE,
    ]);
    let json = json_of(&run);
    for d in json["diagnostics"].as_array().expect("diagnostics") {
        let rule = d["rule"].as_str().expect("rule");
        assert!(
            ids.contains(&rule),
            "{rule} is reported but not listed by `naftiko rules`"
        );
    }
}

#[test]
fn unknown_format_is_a_usage_error() {
    let run = naftiko(&["validate", "--format", "xml", FIXTURE]);
    run.assert_no_panic();
    assert_eq!(run.code(), 2, "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}
