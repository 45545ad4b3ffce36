//! Constructs found in capability files published by others that naftiko now accepts
//! (issue 13): `{{env.X}}` without a bind, two operations with one method on one path,
//! resources whose paths differ only in a variable's name, `OPTIONS`/`HEAD` methods and
//! placeholder base URIs. Each is validated and served by the real binary on loopback.

use crate::common;

use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::json;

/// A capability consuming `api` (base URI `http://127.0.0.1:9`) with `consumed` as its
/// `authentication` and resources, exposing `exposed` as the REST block `api-rest`.
fn capability(consumed: &str, exposed: &str) -> String {
    let head = r"naftiko: 1.0.0-alpha2
info:
  label: Published constructs
  description: A fixture.
capability:
  consumes:
  - type: http
    namespace: api
    description: The API.
    baseUri: http://127.0.0.1:9
";
    let rest = r"  exposes:
  - type: rest
    namespace: api-rest
    port: 8080
    resources:
";
    format!("{head}{consumed}{rest}{exposed}")
}

/// The start of `naftiko run FILE` with the API on `upstream` and the block on a free port.
fn start(path: &str, upstream: &str, env: &[(&str, &str)]) -> Naftiko {
    Naftiko::start(
        &[
            path,
            "--base-uri",
            &format!("api={upstream}"),
            "--listen",
            "api-rest=127.0.0.1:0",
        ],
        env,
    )
}

const ENV_CONSUMED: &str = r"    authentication:
      type: bearer
      token: '{{env.PUBLISHED_TOKEN}}'
    resources:
    - name: items
      path: /items
      operations:
      - name: list-items
        method: GET
";
const ENV_EXPOSED: &str = r"    - path: /items
      name: items
      description: Items.
      operations:
      - method: GET
        name: list
        call: api.list-items
";

#[test]
fn env_templates_without_a_bind_read_the_process_environment() {
    let dir = common::Scratch::new("published-env");
    let path = dir.write("env.yaml", capability(ENV_CONSUMED, ENV_EXPOSED));
    let path = path.to_str().unwrap();
    let v = common::naftiko(&["validate", path]);
    assert_eq!(v.code(), 0, "{v}");
    assert!(v.stdout.contains("warning[env-not-bound]"), "{v}");
    assert!(v.stdout.contains("`PUBLISHED_TOKEN`"), "{v}");
    assert!(!v.stdout.contains("template-unresolved"), "{v}");
    let strict = common::naftiko(&["validate", "--strict", path]);
    assert_eq!(strict.code(), 1, "{strict}");
    assert!(strict.stdout.contains("error[env-not-bound]"), "{strict}");
    // Unset, the start is refused, naming the variable.
    let up = Upstream::start(|_| Reply::json(json!([{"id": 1}])));
    let r = common::naftiko(&["run", path, "--base-uri", &format!("api={}", up.url())]);
    assert_eq!(r.code(), 1, "{r}");
    assert!(r.stderr.contains("`PUBLISHED_TOKEN`"), "{r}");
    assert!(r.stderr.contains("is not set"), "{r}");
    // Set, it is sent, and kept out of the logs.
    let n = start(path, &up.url(), &[("PUBLISHED_TOKEN", "s3cr3t-env-token")]);
    let resp = client().get(format!("{}/items", n.url())).send().unwrap();
    assert_eq!(resp.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization").as_deref(),
        Some("Bearer s3cr3t-env-token")
    );
    let (_, logs) = n.stop();
    assert!(!logs.contains("s3cr3t-env-token"), "{logs}");
}

const SITES_CONSUMED: &str = r"    resources:
    - name: sites
      path: /sites
      operations:
      - name: list-sites
        method: GET
    - name: site
      path: /sites/{{siteUrl}}
      operations:
      - name: get-site
        method: GET
        inputParameters:
        - name: siteUrl
          in: path
";
const SITES_EXPOSED: &str = r"    - path: /v1/sites
      name: sites
      description: Sites.
      operations:
      - method: GET
        name: list
        call: api.list-sites
      - method: GET
        name: get
        call: api.get-site
        inputParameters:
        - name: siteUrl
          in: query
          type: string
";

#[test]
fn two_operations_on_one_method_and_path_are_a_warning_and_rest_serves_the_first() {
    let dir = common::Scratch::new("published-dup");
    let path = dir.write("sites.yaml", capability(SITES_CONSUMED, SITES_EXPOSED));
    let path = path.to_str().unwrap();
    let v = common::naftiko(&["validate", path]);
    assert_eq!(v.code(), 0, "{v}");
    let line = v
        .stdout
        .lines()
        .find(|l| l.contains("warning[route-duplicate]"))
        .unwrap_or_else(|| panic!("no route-duplicate warning\n{v}"));
    // Both operations, with their lines.
    assert!(line.contains("operation `get` (line 37)"), "{line}");
    assert!(line.contains("operation `list` (line 34)"), "{line}");
    assert!(!v.stdout.contains("route-conflict"), "{v}");
    let strict = common::naftiko(&["validate", "--strict", path]);
    assert_eq!(strict.code(), 1, "{strict}");
    assert!(strict.stdout.contains("error[route-duplicate]"), "{strict}");
    let up = Upstream::start(|s| Reply::json(json!({"path": s.path()})));
    let n = Naftiko::start(
        &[
            path,
            "--base-uri",
            &format!("api={}", up.url()),
            "--listen",
            "api-rest=127.0.0.1:0",
            "--expose",
            "mcp=127.0.0.1:0",
        ],
        &[],
    );
    let rest = n
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("api-rest"))
        .unwrap()
        .1;
    let r = client()
        .get(format!("http://{rest}/v1/sites?siteUrl=x"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(up.seen()[0].path(), "/sites", "REST serves the first");
    assert!(n.logs().contains("not served over REST"), "{}", n.logs());
    if !common::mcp_tools_installed() {
        common::skip_or_fail("the MCP tooling is not installed (.ci/mcp-tools/install.sh)");
        return;
    }
    let url = common::mcp::mcp_url(&n);
    let run = common::mcp::over_http(
        common::mcp::Kind::Sdk,
        &url,
        &json!([{"op": "list_tools"}, {"op": "call_tool", "name": "get", "arguments": {"siteUrl": "s1"}}]),
    );
    let results = run.results();
    let names: Vec<&str> = results[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["list", "get"], "{run}");
    assert_eq!(results[1]["isError"], false, "{run}");
    assert_eq!(up.seen().last().unwrap().path(), "/sites/s1", "{run}");
}

const ITEMS_CONSUMED: &str = r"    resources:
    - name: item
      path: /items/{{id}}
      operations:
      - name: get-item
        method: GET
    - name: items-of-type
      path: /types/{{type}}/items
      operations:
      - name: create-item
        method: POST
";
const ITEMS_EXPOSED: &str = r"    - path: /v1/wit/workitems/{id}
      name: item
      description: One item.
      operations:
      - method: GET
        name: get
        call: api.get-item
        inputParameters:
        - name: id
          in: path
          type: string
    - path: /v1/wit/workitems/{type}
      name: items-of-type
      description: Items of a type.
      operations:
      - method: POST
        name: create
        call: api.create-item
        inputParameters:
        - name: type
          in: path
          type: string
";

#[test]
fn each_operation_binds_the_path_variables_of_its_own_resource() {
    let dir = common::Scratch::new("published-vars");
    let path = dir.write("items.yaml", capability(ITEMS_CONSUMED, ITEMS_EXPOSED));
    let path = path.to_str().unwrap();
    let v = common::naftiko(&["validate", path]);
    assert_eq!(v.code(), 0, "{v}");
    let up = Upstream::start(|s| Reply::json(json!({"method": s.method, "path": s.path()})));
    let n = start(path, &up.url(), &[]);
    let post = client()
        .post(format!("{}/v1/wit/workitems/x1", n.url()))
        .json(&json!({"title": "t"}))
        .send()
        .unwrap();
    assert_eq!(post.status(), 200, "{:?}", post.text());
    let get = client()
        .get(format!("{}/v1/wit/workitems/42", n.url()))
        .send()
        .unwrap();
    assert_eq!(get.status(), 200);
    let seen: Vec<(String, String)> = up
        .seen()
        .iter()
        .map(|s| (s.method.clone(), s.path().to_owned()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST".to_owned(), "/types/x1/items".to_owned()),
            ("GET".to_owned(), "/items/42".to_owned())
        ]
    );
}

/// [`ENV_CONSUMED`] without authentication, its base URI `base`, and its operation
/// answering `format` with an output parameter.
fn with_base_and_format(base: &str, format: &str) -> String {
    let consumed = format!(
        r"    resources:
    - name: items
      path: /items
      operations:
      - name: list-items
        method: GET
        outputRawFormat: {format}
        outputParameters:
        - name: id
          type: string
          value: $.id
"
    );
    capability(&consumed, ENV_EXPOSED)
        .replace("baseUri: http://127.0.0.1:9", &format!("baseUri: {base}"))
}

#[test]
fn placeholder_base_uris_are_a_warning_and_run_names_the_flag_to_pass() {
    let dir = common::Scratch::new("published-base");
    let up = Upstream::start(|_| Reply::json(json!({"id": "i-1"})));
    for (name, base, rule) in [
        ("empty.yaml", "''", "pattern-mismatch"),
        (
            "host.yaml",
            "'http://{host}:{port}'",
            "base-uri-placeholder",
        ),
    ] {
        let path = dir.write(name, with_base_and_format(base, "json"));
        let path = path.to_str().unwrap();
        let v = common::naftiko(&["validate", path]);
        assert_eq!(v.code(), 0, "{v}");
        assert_eq!(v.diagnostic_lines().len(), 1, "one diagnostic: {v}");
        assert!(v.stdout.contains(&format!("warning[{rule}]")), "{v}");
        let r = common::naftiko(&["run", path]);
        assert_eq!(r.code(), 1, "{r}");
        assert!(
            r.stderr
                .contains("naftiko run --base-uri api=https://HOST[:PORT][/PATH]"),
            "{r}"
        );
        // One mistake, one diagnostic: the operations calling it are not blamed too.
        assert!(!r.stderr.contains("is not a consumed operation"), "{r}");
        assert_eq!(r.stderr.matches("error:").count(), 1, "{r}");
        // With the flag it runs.
        let n = start(path, &up.url(), &[]);
        let resp = client().get(format!("{}/items", n.url())).send().unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.json::<serde_json::Value>().unwrap(),
            json!({"id": "i-1"})
        );
    }
}

#[test]
fn outputs_over_avro_without_its_schema_are_a_validate_error() {
    let dir = common::Scratch::new("published-format");
    let path = dir.write(
        "avro.yaml",
        with_base_and_format("http://127.0.0.1:9", "avro"),
    );
    let path = path.to_str().unwrap();
    let v = common::naftiko(&["validate", path]);
    assert_eq!(v.code(), 1, "{v}");
    assert!(v.stdout.contains("error[output-schema]"), "{v}");
    assert!(v.stdout.contains("`outputRawFormat: avro`"), "{v}");
    let r = common::naftiko(&["run", path, "--check"]);
    assert_eq!(r.code(), 1, "{r}");
    assert!(
        r.stderr.contains("error[output-schema]"),
        "refused at validation: {r}"
    );
}

const METHODS_CONSUMED: &str = r"    resources:
    - name: items
      path: /items
      operations:
      - name: list-items
        method: GET
      - name: probe-items
        method: HEAD
      - name: items-options
        method: OPTIONS
";
const METHODS_EXPOSED: &str = r"    - path: /items
      name: items
      description: Items.
      operations:
      - method: GET
        name: list
        call: api.list-items
      - method: HEAD
        name: probe
        call: api.probe-items
      - method: OPTIONS
        name: options
        call: api.items-options
";

#[test]
fn head_and_options_are_dialect_methods_served_and_sent() {
    let dir = common::Scratch::new("published-methods");
    let path = dir.write(
        "methods.yaml",
        capability(METHODS_CONSUMED, METHODS_EXPOSED),
    );
    let path = path.to_str().unwrap();
    let v = common::naftiko(&["validate", path]);
    assert_eq!(v.code(), 0, "{v}");
    assert_eq!(
        v.stdout.matches("warning[dialect-method]").count(),
        4,
        "{v}"
    );
    let strict = common::naftiko(&["validate", "--strict", path]);
    assert_eq!(strict.code(), 1, "{strict}");
    let up = Upstream::start(|_| Reply::json(json!([])));
    let n = start(path, &up.url(), &[]);
    let url = format!("{}/items", n.url());
    let head = client().head(&url).send().unwrap();
    assert_eq!(head.status(), 200);
    let options = client()
        .request(reqwest::Method::OPTIONS, &url)
        .send()
        .unwrap();
    assert_eq!(options.status(), 200);
    let methods: Vec<String> = up.seen().iter().map(|s| s.method.clone()).collect();
    assert_eq!(methods, ["HEAD", "OPTIONS"]);
    let post = client().post(&url).send().unwrap();
    assert_eq!(post.status(), 405);
    let allow = post.headers()["allow"].to_str().unwrap().to_owned();
    for m in ["GET", "HEAD", "OPTIONS"] {
        assert!(allow.contains(m), "{allow}");
    }
}

#[test]
fn a_get_route_allows_head_and_an_invalid_method_is_one_diagnostic() {
    let dir = common::Scratch::new("published-bad-method");
    let exposed = format!(
        "{ENV_EXPOSED}    - path: /items
      name: items-again
      description: Items again.
      operations:
      - method: FETCH
        name: fetch
        call: api.list-items
"
    );
    let consumed = ENV_CONSUMED.replace(
        "    authentication:\n      type: bearer\n      token: '{{env.PUBLISHED_TOKEN}}'\n",
        "",
    );
    let bad = dir.write("bad.yaml", capability(&consumed, &exposed));
    let v = common::naftiko(&["validate", bad.to_str().unwrap()]);
    assert_eq!(v.code(), 1, "{v}");
    let errors: Vec<&str> = v
        .diagnostic_lines()
        .into_iter()
        .filter(|l| l.contains("error["))
        .collect();
    assert_eq!(errors.len(), 1, "one mistake, one diagnostic: {v}");
    assert!(errors[0].contains("error[invalid-value]"), "{v}");
    // A GET route answers HEAD and lists it in `Allow`.
    let good = dir.write("good.yaml", capability(&consumed, ENV_EXPOSED));
    let up = Upstream::start(|_| Reply::json(json!([])));
    let n = start(good.to_str().unwrap(), &up.url(), &[]);
    let r = client()
        .delete(format!("{}/items", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"].to_str().unwrap(), "GET, HEAD");
}
