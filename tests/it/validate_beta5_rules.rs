//! The beta5 ruleset's rules with no alpha2 twin (`ikanos-exposes-namespace-required`,
//! `ikanos-aggregates-namespace-required`, `ikanos-aggregates-unique-function-name` and the
//! three tunnel rules), run through the `naftiko` binary on the fixtures under
//! `tests/fixtures/beta5/rules`: each fires where it should, at its line and column, and
//! nowhere else; one mistake stays one diagnostic; alpha2 documents never get them; and
//! `naftiko rules` lists them as beta5's.

use crate::common;

use common::{Run, Scratch, naftiko};

/// The rules this module is about.
const RULES: &[(&str, &str)] = &[
    ("ikanos-exposes-namespace-required", "error"),
    ("ikanos-aggregates-namespace-required", "error"),
    ("ikanos-aggregates-unique-function-name", "error"),
    ("ikanos-tunnel-identity-must-bind", "error"),
    ("ikanos-tunnel-fallback-direct-warns", "warning"),
    ("ikanos-tunnel-with-public-baseuri-warns", "info"),
];

/// `naftiko validate --format json ARGS`, parsed.
fn validate_json(args: &[&str]) -> (Run, serde_json::Value) {
    let mut all = vec!["validate", "--format", "json"];
    all.extend_from_slice(args);
    let run = naftiko(&all);
    run.assert_no_panic();
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("output is not JSON: {e}\n{run}"));
    (run, json)
}

/// `(rule, severity, line, column)` of every diagnostic whose rule starts with `prefix`.
fn reported(json: &serde_json::Value, prefix: &str) -> Vec<(String, String, u64, u64)> {
    json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"].as_str().is_some_and(|r| r.starts_with(prefix)))
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or("").to_string(),
                d["severity"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &str, u64, u64)]) -> Vec<(String, String, u64, u64)> {
    rows.iter()
        .map(|(r, s, l, c)| (r.to_string(), s.to_string(), *l, *c))
        .collect()
}

#[test]
fn tunnel_rules_report_each_tunnel_at_its_identity_and_base_uri() {
    let (run, json) = validate_json(&["tests/fixtures/beta5/rules/tunnels.yaml"]);
    assert_eq!(run.code(), 1, "{run}");
    // crm: a bound identity, a private host, no fallback: nothing. billing: two unbound
    // references (namespace, then key), `direct` to a public host. stub: a bare path,
    // `direct` to loopback: nothing.
    assert_eq!(
        reported(&json, "ikanos-tunnel-"),
        expect(&[
            ("ikanos-tunnel-fallback-direct-warns", "warning", 32, 14),
            ("ikanos-tunnel-with-public-baseuri-warns", "info", 32, 14),
            ("ikanos-tunnel-identity-must-bind", "error", 36, 17),
            ("ikanos-tunnel-identity-must-bind", "error", 36, 17),
        ]),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("no bind of this file has the namespace `secrets`")
    );
    assert!(
        run.stdout
            .contains("the bind `vault` declares no key `MISSING`")
    );
    // Every tunnel is still refused, and a bind only the identity uses is used.
    let refused = reported(&json, "unsupported-feature");
    assert_eq!(
        refused.iter().map(|r| r.2).collect::<Vec<_>>(),
        [19, 33, 48],
        "{run}"
    );
    assert!(reported(&json, "bind-unused").is_empty(), "{run}");
}

#[test]
fn namespace_and_flow_name_rules_report_where_the_name_is_missing_or_repeated() {
    let (run, json) = validate_json(&["tests/fixtures/beta5/rules/namespaces.yaml"]);
    assert_eq!(run.code(), 1, "{run}");
    // The aggregate without a namespace; the repeated flow of a list of flows; the mcp
    // block without a namespace and the skill block with an empty one. Not the control
    // block, which has no namespace in beta5.
    assert_eq!(
        reported(&json, "ikanos-"),
        expect(&[
            ("ikanos-aggregates-namespace-required", "error", 10, 5),
            ("ikanos-aggregates-unique-function-name", "error", 27, 13),
            ("ikanos-exposes-namespace-required", "error", 34, 5),
            ("ikanos-exposes-namespace-required", "error", 43, 16),
        ]),
        "{run}"
    );
    // One mistake, one diagnostic: neither the reader's `required-field` nor the schema's
    // pattern on the empty namespace.
    for other in ["required-field", "pattern-mismatch"] {
        assert!(reported(&json, other).is_empty(), "{other}\n{run}");
    }
}

/// A beta5 capability with one REST block whose namespace line is `namespace`.
fn rest_block(namespace: &str) -> String {
    format!(
        r#"ikanos: "1.0.0-beta5"
info:
  display: Tide
  description: The tide.
capability:
  exposes:
  - type: rest
    port: 3003
    {namespace}
    resources:
      tide:
        description: The tide.
        path: /tide
        operations:
          get-tide:
            method: GET
            outputParameters:
              level:
                type: string
                value: low
"#
    )
}

#[test]
fn a_misspelt_namespace_is_one_unknown_key_error() {
    let dir = Scratch::new("beta5-namespace-misspelt");
    let path = dir.write("cap.yaml", rest_block("namespce: tide-api"));
    let (run, json) = validate_json(&[path.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{run}");
    assert_eq!(
        reported(&json, ""),
        expect(&[("unknown-key", "error", 9, 5)]),
        "{run}"
    );
    assert!(run.stdout.contains("did you mean `namespace`?"), "{run}");
    let path = dir.write("ok.yaml", rest_block("namespace: tide-api"));
    let (run, json) = validate_json(&["--strict", path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(reported(&json, "").is_empty(), "{run}");
}

#[test]
fn alpha2_documents_keep_their_own_rules() {
    let dir = Scratch::new("alpha2-no-beta5-rules");
    let path = dir.write(
        "cap.yaml",
        r#"naftiko: 1.0.0-alpha2
info:
  label: Tide
  description: The tide.
capability:
  exposes:
  - type: rest
    port: 3003
    resources:
    - name: tide
      path: /tide
      description: The tide.
      operations:
      - method: GET
        name: get-tide
        outputParameters:
        - name: level
          type: string
          value: low
"#,
    );
    let (run, json) = validate_json(&[path.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{run}");
    assert!(reported(&json, "ikanos-").is_empty(), "{run}");
    assert_eq!(
        reported(&json, "required-field"),
        expect(&[("required-field", "error", 7, 5)]),
        "{run}"
    );
}

#[test]
fn rules_lists_the_beta5_rules_with_their_severity_and_version() {
    let run = naftiko(&["rules"]);
    assert_eq!(run.code(), 0, "{run}");
    for (id, severity) in RULES {
        let row: Vec<&str> = run
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|r| r.first() == Some(id))
            .unwrap_or_else(|| panic!("`naftiko rules` does not list {id}\n{run}"));
        assert_eq!(row.get(1), Some(severity), "{id}\n{run}");
        assert_eq!(row.get(2), Some(&"beta5"), "{id}\n{run}");
    }
}
