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
