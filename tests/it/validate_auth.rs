//! `naftiko validate` on authentication blocks: a credential written in the file is a
//! warning (on consumed APIs and exposes blocks alike), `authentication` on a stdio MCP
//! server is an error (naftiko cannot enforce it there), an `introspection` block without
//! the credentials naftiko presents is an error, and an `authorizationServerUri` on a
//! loopback `http://` address is accepted while any other `http://` one is refused.

use crate::common;

fn validate(dir: &common::Scratch, text: &str) -> common::Run {
    let path = dir.write("auth.yaml", text);
    common::naftiko(&["validate", path.to_str().unwrap()])
}

/// Lines of `out` reporting `rule`.
fn reports<'o>(out: &'o common::Run, rule: &str) -> Vec<&'o str> {
    out.stderr
        .lines()
        .chain(out.stdout.lines())
        .filter(|l| l.contains(&format!("[{rule}]")))
        .collect()
}

const HEAD: &str = "naftiko: 1.0.0-alpha2
info:
  label: Auth rules
  description: Authentication blocks for validate.
binds:
- namespace: env
  keys:
    TOKEN: TOKEN
capability:
";

fn rest_with(auth: &str) -> String {
    let auth: String = auth.lines().map(|l| format!("      {l}\n")).collect();
    format!(
        "{HEAD}  exposes:
  - type: rest
    namespace: r
    port: 18601
    authentication:
{auth}    resources:
    - name: hello
      path: /hello
      description: Hello.
      operations:
      - name: hello
        method: GET
        outputParameters:
        - name: greeting
          type: string
          value: hi
"
    )
}

#[test]
fn literal_credentials_are_warned_about_bound_ones_are_not() {
    let dir = common::Scratch::new("validate-auth-literal");
    let out = validate(&dir, &rest_with("type: bearer\ntoken: s3cr3t-in-the-file"));
    let lines = reports(&out, "auth-literal-secret");
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains("auth.yaml:16:"), "{out}");
    assert!(lines[0].contains("`token`"), "{out}");
    let out = validate(&dir, &rest_with("type: bearer\ntoken: '{{TOKEN}}'"));
    assert!(reports(&out, "auth-literal-secret").is_empty(), "{out}");
    assert_eq!(out.code(), 0, "{out}");
    let out = validate(
        &dir,
        &rest_with("type: apikey\nkey: X-Key\nvalue: k3y-in-the-file\nplacement: header"),
    );
    assert_eq!(reports(&out, "auth-literal-secret").len(), 1, "{out}");
}

#[test]
fn authentication_on_a_stdio_mcp_server_is_an_error() {
    let dir = common::Scratch::new("validate-auth-stdio");
    let text = format!(
        "{HEAD}  exposes:
  - type: mcp
    namespace: m
    transport: stdio
    description: Tools.
    authentication:
      type: bearer
      token: '{{{{TOKEN}}}}'
    tools:
    - name: hello
      description: Says hi.
      outputParameters:
      - name: greeting
        type: string
        value: hi
"
    );
    let out = validate(&dir, &text);
    assert_ne!(out.code(), 0, "{out}");
    let lines = reports(&out, "naftiko-mcp-auth-stdio-conflict");
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains("error"), "{out}");
}

#[test]
fn introspection_needs_the_credentials_naftiko_presents() {
    let dir = common::Scratch::new("validate-auth-introspection");
    let oauth2 = "type: oauth2\nauthorizationServerUri: https://as.test\nresource: https://api.test\nscopes: [read]\ntokenValidation: introspection";
    let out = validate(&dir, &rest_with(oauth2));
    let lines = reports(&out, "auth-unenforceable");
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains("`clientId` and `clientSecret`"), "{out}");
    let complete = format!("{oauth2}\nclientId: naftiko\nclientSecret: '{{{{TOKEN}}}}'");
    let out = validate(&dir, &rest_with(&complete));
    assert!(reports(&out, "auth-unenforceable").is_empty(), "{out}");
    assert_eq!(out.code(), 0, "{out}");
}

#[test]
fn a_loopback_http_authorization_server_is_accepted_others_need_https() {
    let dir = common::Scratch::new("validate-auth-https");
    let with = |uri: &str| {
        rest_with(&format!(
            "type: oauth2\nauthorizationServerUri: {uri}\nresource: https://api.test\nscopes: [read]"
        ))
    };
    for uri in [
        "http://127.0.0.1:9000",
        "http://localhost:9000/tenant",
        "http://[::1]:9000",
    ] {
        let out = validate(&dir, &with(uri));
        assert!(
            reports(&out, "naftiko-oauth2-https-authserver").is_empty(),
            "{uri}: {out}"
        );
    }
    for uri in ["http://as.test", "http://127.0.0.1.evil.test"] {
        let out = validate(&dir, &with(uri));
        assert_eq!(
            reports(&out, "naftiko-oauth2-https-authserver").len(),
            1,
            "{uri}: {out}"
        );
    }
}
