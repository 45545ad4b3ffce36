//! `oauth2` client-credentials authentication on a consumed API: its templates are checked
//! like every other credential's (binds used, unresolved names are errors).

use crate::common;

use common::{Scratch, naftiko};

fn capability(client_id: &str) -> String {
    format!(
        r#"naftiko: 1.0.0-alpha2
info:
  label: OAuth client
  description: Calls an API with a client-credentials token.
binds:
- namespace: env
  keys:
    TOKEN_URL: TOKEN_URL
    CLIENT_ID: CLIENT_ID
    CLIENT_SECRET: CLIENT_SECRET
capability:
  consumes:
  - type: http
    namespace: orders
    description: Orders.
    baseUri: https://orders.test
    authentication:
      type: oauth2
      tokenEndpoint: '{{{{env.TOKEN_URL}}}}'
      clientId: '{client_id}'
      clientSecret: '{{{{env.CLIENT_SECRET}}}}'
    resources:
    - name: orders
      path: /orders
      operations:
      - name: list-orders
        method: GET
  exposes:
  - type: rest
    namespace: orders-rest
    port: 8080
    resources:
    - path: /orders
      name: orders
      description: Orders.
      operations:
      - method: GET
        name: list-orders
        call: orders.list-orders
"#
    )
}

#[test]
fn credentials_templates_use_their_binds() {
    let dir = Scratch::new("oauth2-binds");
    let path = dir.write("cap.yaml", capability("{{env.CLIENT_ID}}"));
    let run = naftiko(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(!run.stdout.contains("bind-unused"), "{run}");
    assert!(
        run.stdout.contains("dialect-oauth2-client"),
        "the extension is reported: {run}"
    );
}

#[test]
fn an_unresolved_name_in_client_credentials_is_an_error() {
    let dir = Scratch::new("oauth2-unresolved");
    let path = dir.write("cap.yaml", capability("{{NOPE}}"));
    let run = naftiko(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{run}");
    assert!(run.stdout.contains("template-unresolved"), "{run}");
    assert!(run.stdout.contains("{{NOPE}}"), "{run}");
    // `{{env.NOPE}}` reads the process environment at start: a warning (issue 13).
    let path = dir.write("env.yaml", capability("{{env.NOPE}}"));
    let run = naftiko(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.stdout.contains("warning[env-not-bound]"), "{run}");
}
