//! End-to-end checks of `naftiko validate DIR`: every `*.yaml`/`*.yml` below the
//! directory with a top-level `naftiko` key is validated, other YAML is ignored, and the
//! files are cross-checked as if served together — colliding REST routes on one port
//! (`route-conflict`), exposes blocks of different types on one port (`port-conflict`) and
//! duplicate namespaces (`namespace-duplicate`), each naming both files.

use crate::common;

use common::{Run, Scratch, naftiko, naftiko_in};

/// An official, otherwise clean capability exposing `GET {path}` (whose one path variable
/// is `var`) on `port`, backed by a consumed API.
fn rest_capability(ns: &str, port: u16, path: &str, var: &str) -> String {
    format!(
        "naftiko: 1.0.0-alpha2
info:
  label: {ns}
  description: Exposes {path} on port {port}.
capability:
  consumes:
  - type: http
    namespace: {ns}-api
    description: The upstream API.
    baseUri: https://{ns}.internal.test
    resources:
    - name: things
      path: /things/{{{{id}}}}
      operations:
      - name: get-thing
        method: GET
        outputParameters:
        - name: label
          type: string
          value: $.label
  exposes:
  - type: rest
    namespace: {ns}-rest
    port: {port}
    resources:
    - name: things
      path: {path}
      description: One thing.
      operations:
      - method: GET
        call: {ns}-api.get-thing
        with:
          id: '{{{{{var}}}}}'
        outputParameters:
        - type: string
          mapping: $.label
"
    )
}

/// An official, otherwise clean capability with one MCP server on `port`.
fn mcp_capability(ns: &str, port: u16) -> String {
    format!(
        "naftiko: 1.0.0-alpha2
info:
  label: {ns}
  description: An MCP server on port {port}.
capability:
  exposes:
  - type: mcp
    namespace: {ns}-mcp
    port: {port}
    description: Tools.
    tools:
    - name: hello
      description: Say hello.
      outputParameters:
      - name: greeting
        type: string
        value: hello
"
    )
}

fn validate_dir(dir: &Scratch, arg: &str) -> Run {
    let run = naftiko_in(dir.path(), &["validate", "--color", "never", arg]);
    run.assert_no_panic();
    run
}

/// The diagnostic header lines with `severity[rule]`.
fn lines_with<'a>(run: &'a Run, tag: &str) -> Vec<&'a str> {
    let tag = format!(": {tag}: ");
    run.diagnostic_lines()
        .into_iter()
        .filter(|l| l.contains(&tag))
        .collect()
}

#[test]
fn clean_files_in_a_directory_pass() {
    let dir = Scratch::new("dir-clean");
    dir.write(
        "caps/a.yaml",
        rest_capability("alpha", 8080, "/items/{id}", "id"),
    );
    dir.write(
        "caps/b.yaml",
        rest_capability("beta", 8080, "/others/{id}", "id"),
    );
    let run = validate_dir(&dir, "caps");
    assert_eq!(
        run.code(),
        0,
        "different routes on one port do not collide\n{run}"
    );
    assert!(run.diagnostic_lines().is_empty(), "{run}");
    assert!(
        run.stdout.contains("checked 2 files: 0 errors, 0 warnings"),
        "{run}"
    );
}

#[test]
fn colliding_routes_across_files_name_both_files() {
    let dir = Scratch::new("dir-routes");
    dir.write(
        "caps/a.yaml",
        rest_capability("alpha", 8080, "/items/{id}", "id"),
    );
    dir.write(
        "caps/b.yaml",
        rest_capability("beta", 8080, "/items/{key}", "key"),
    );
    let run = validate_dir(&dir, "caps");
    assert_eq!(run.code(), 1, "{run}");
    let conflicts = lines_with(&run, "error[route-conflict]");
    assert_eq!(conflicts.len(), 1, "one conflict, reported once\n{run}");
    let line = conflicts[0];
    // Reported on the later file's path (line 27, column 13), naming the earlier file.
    assert!(line.starts_with("caps/b.yaml:27:13: "), "{line}");
    assert!(
        line.contains("caps/a.yaml:27"),
        "the message names the other file and line: {line}"
    );
    assert!(
        line.contains("/items/{key}") && line.contains("/items/{id}"),
        "{line}"
    );
    assert!(
        run.stdout.contains("checked 2 files: 1 error, 0 warnings"),
        "{run}"
    );
}

#[test]
fn same_route_on_different_ports_does_not_collide() {
    let dir = Scratch::new("dir-ports-apart");
    dir.write(
        "caps/a.yaml",
        rest_capability("alpha", 8080, "/items/{id}", "id"),
    );
    dir.write(
        "caps/b.yaml",
        rest_capability("beta", 8081, "/items/{id}", "id"),
    );
    let run = validate_dir(&dir, "caps");
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.diagnostic_lines().is_empty(), "{run}");
}

#[test]
fn different_exposes_types_on_one_port_across_files_conflict() {
    let dir = Scratch::new("dir-port");
    dir.write(
        "caps/a-rest.yaml",
        rest_capability("alpha", 9000, "/items/{id}", "id"),
    );
    dir.write("caps/b-mcp.yaml", mcp_capability("beta", 9000));
    let run = validate_dir(&dir, "caps");
    assert_eq!(run.code(), 1, "{run}");
    let conflicts = lines_with(&run, "error[port-conflict]");
    assert_eq!(conflicts.len(), 1, "{run}");
    let line = conflicts[0];
    assert!(
        line.starts_with("caps/b-mcp.yaml:9:11: "),
        "reported at the MCP server's port: {line}"
    );
    assert!(
        line.contains("caps/a-rest.yaml:24"),
        "the message names the REST file and line: {line}"
    );
    assert!(
        lines_with(&run, "error[route-conflict]").is_empty(),
        "{run}"
    );
}

#[test]
fn duplicate_namespaces_across_files_are_reported() {
    let dir = Scratch::new("dir-ns");
    dir.write("caps/a.yaml", mcp_capability("same", 3000));
    dir.write("caps/b.yaml", mcp_capability("same", 3001));
    let run = validate_dir(&dir, "caps");
    assert_eq!(run.code(), 1, "{run}");
    let dups = lines_with(&run, "error[namespace-duplicate]");
    assert_eq!(dups.len(), 1, "{run}");
    assert!(dups[0].starts_with("caps/b.yaml:8:16: "), "{}", dups[0]);
    assert!(dups[0].contains("caps/a.yaml:8"), "{}", dups[0]);
}

#[test]
fn non_naftiko_yaml_in_a_directory_is_ignored() {
    let dir = Scratch::new("dir-other");
    dir.write("project/capability.yaml", mcp_capability("only", 3000));
    dir.write(
        "project/docker-compose.yml",
        "services:\n  web:\n    image: nginx\n    ports:\n    - \"3000:80\"\n",
    );
    dir.write(
        "project/config/settings.yaml",
        "name: x\nnaftiko_like: true\nlist: [1, 2\n",
    );
    dir.write("project/.github/workflows/ci.yaml", "on: push\njobs: {}\n");
    dir.write("project/notes.txt", "naftiko: 1.0.0-alpha2\n");
    let run = validate_dir(&dir, "project");
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.diagnostic_lines().is_empty(), "{run}");
    assert!(
        run.stdout.contains("checked 1 file: 0 errors, 0 warnings"),
        "{run}"
    );
    for other in ["docker-compose", "settings.yaml", "ci.yaml", "notes.txt"] {
        assert!(
            !run.stdout.contains(other) && !run.stderr.contains(other),
            "{other} must be ignored\n{run}"
        );
    }
}

#[test]
fn a_non_naftiko_file_named_explicitly_is_validated() {
    let dir = Scratch::new("dir-explicit");
    dir.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: nginx\n",
    );
    let run = validate_dir(&dir, "docker-compose.yml");
    assert_eq!(
        run.code(),
        1,
        "a file given by name is always checked\n{run}"
    );
    assert!(run.stdout.contains("docker-compose.yml:"), "{run}");
}

#[test]
fn nested_directories_and_yml_files_are_scanned() {
    let dir = Scratch::new("dir-nested");
    dir.write(
        "root/a/b/c/deep.yml",
        rest_capability("alpha", 8080, "/items/{id}", "id"),
    );
    dir.write(
        "root/top.yaml",
        rest_capability("beta", 8080, "/items/{key}", "key"),
    );
    let run = validate_dir(&dir, "root");
    assert_eq!(run.code(), 1, "{run}");
    let conflicts = lines_with(&run, "error[route-conflict]");
    assert_eq!(conflicts.len(), 1, "{run}");
    assert!(
        conflicts[0].contains("root/a/b/c/deep.yml")
            || conflicts[0].starts_with("root/a/b/c/deep.yml:"),
        "{}",
        conflicts[0]
    );
    assert!(conflicts[0].contains("root/top.yaml"), "{}", conflicts[0]);
}

#[test]
fn broken_capability_in_a_directory_is_reported() {
    let dir = Scratch::new("dir-broken");
    dir.write("caps/good.yaml", mcp_capability("good", 3000));
    dir.write(
        "caps/broken.yaml",
        "naftiko: 1.0.0-alpha2\ninfo:\n  label: [unclosed\n  description: x\n",
    );
    let run = validate_dir(&dir, "caps");
    assert_eq!(run.code(), 1, "{run}");
    let errors = lines_with(&run, "error[yaml-syntax]");
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].starts_with("caps/broken.yaml:"), "{}", errors[0]);
}

#[test]
fn empty_directory_checks_nothing_and_is_a_usage_error() {
    let dir = Scratch::new("dir-empty");
    std::fs::create_dir_all(dir.path().join("nothing")).expect("mkdir");
    let run = validate_dir(&dir, "nothing");
    // Issue 13: nothing to check is a mistake in the command line (exit 2), not a pass.
    assert_eq!(run.code(), 2, "{run}");
    assert!(run.stdout.contains("checked 0 files"), "{run}");
    assert!(run.stderr.contains("no capability files found"), "{run}");
}

#[test]
fn the_valid_fixtures_directory_is_clean_as_a_whole() {
    // Served together, the valid fixtures use distinct ports and namespaces; the shared
    // consumer file is both scanned and imported, and reported once.
    let run = naftiko(&[
        "validate",
        "--strict",
        "--color",
        "never",
        "tests/fixtures/valid",
    ]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.diagnostic_lines().is_empty(), "{run}");
    let count = std::fs::read_dir(common::root().join("tests/fixtures/valid"))
        .expect("list fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .count();
    assert!(
        run.stdout
            .contains(&format!("checked {count} files: 0 errors, 0 warnings")),
        "{run}"
    );
}
