//! naftiko as an OAuth 2.1 resource server, against the real authorization server
//! (`oidc-provider`, shared by the tests of this binary: [`AuthServer::shared`]) issuing real
//! tokens: RS256 and ES256 JWTs checked against its JWKS (with and without the required scope,
//! for another audience, tampered, claiming HS256, expired, signed by a key rotated in after
//! naftiko cached the set) on REST routes, the MCP endpoint, the skill catalog and the control
//! port, and opaque tokens checked by introspection; the protected-resource metadata (RFC
//! 9728) each block publishes, followed by the official MCP Python SDK's OAuth client; and no
//! token or client secret in the logs.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use common::auth_server::AuthServer;
use common::serve::{Naftiko, client};

const INTROSPECTION_SECRET: &str = "naftiko-test-secret";

/// The ports of the file's blocks.
struct Ports {
    api: u16,
    es256: u16,
    short: u16,
    opaque: u16,
    mcp: u16,
    skill: u16,
    control: u16,
}

fn rest_block(name: &str, port: u16, resource: &str, issuer: &str, extra: &str) -> String {
    format!(
        r#"  - type: rest
    namespace: {name}
    port: {port}
    authentication:
      type: oauth2
      authorizationServerUri: {issuer}
      resource: {resource}
      scopes: [read]
{extra}    resources:
    - name: hello
      path: /hello
      description: Says hi.
      operations:
      - name: hello
        method: GET
        outputParameters:
        - name: greeting
          type: string
          value: hi
"#
    )
}

/// One file: REST blocks whose resources pick the server's token variants, and an MCP block.
fn start(server: &AuthServer) -> (Naftiko, Ports) {
    let dir = common::Scratch::new("inbound-oauth2");
    let p = Ports {
        api: common::free_port(),
        es256: common::free_port(),
        short: common::free_port(),
        opaque: common::free_port(),
        mcp: common::free_port(),
        skill: common::free_port(),
        control: common::free_port(),
    };
    let issuer = &server.url;
    let introspection = "      tokenValidation: introspection\n      clientId: naftiko-test\n      clientSecret: '{{INTROSPECTION_SECRET}}'\n";
    let mut text = String::from(
        "naftiko: 1.0.0-alpha2
info:
  label: Resource server
  description: REST and MCP blocks behind OAuth 2.1.
binds:
- namespace: env
  keys:
    INTROSPECTION_SECRET: INTROSPECTION_SECRET
capability:
  exposes:
",
    );
    for (name, port, variant, extra) in [
        ("rs-api", p.api, "api", ""),
        ("rs-es256", p.es256, "es256", ""),
        ("rs-short", p.short, "short", ""),
        ("rs-opaque", p.opaque, "opaque", introspection),
    ] {
        let resource = format!("http://127.0.0.1:{port}/{variant}");
        text.push_str(&rest_block(name, port, &resource, issuer, extra));
    }
    text.push_str(&format!(
        r#"  - type: mcp
    namespace: rs-mcp
    port: {mcp}
    description: Guarded tools.
    authentication:
      type: oauth2
      authorizationServerUri: {issuer}
      resource: http://127.0.0.1:{mcp}/mcp
      scopes: [read]
    tools:
    - name: hello
      description: Says hi.
      outputParameters:
      - name: greeting
        type: string
        value: hi
"#,
        mcp = p.mcp
    ));
    let oauth2 = |port: u16, path: &str| {
        format!(
            "    authentication:\n      type: oauth2\n      authorizationServerUri: {issuer}\n      resource: http://127.0.0.1:{port}/{path}\n      scopes: [read]\n"
        )
    };
    text.push_str(&format!(
        "  - type: skill\n    namespace: rs-skills\n    port: {}\n    description: Guarded skills.\n{}    skills:\n    - name: greeter\n      description: Says hi.\n      tools:\n      - name: hello\n        description: Says hi.\n        from:\n          sourceNamespace: rs-api\n          action: hello\n",
        p.skill,
        oauth2(p.skill, "skills")
    ));
    text.push_str(&format!(
        "  - type: control\n    port: {}\n{}",
        p.control,
        oauth2(p.control, "status")
    ));
    let path = dir.write("rs.yaml", text);
    let n = Naftiko::start(
        &[path.to_str().unwrap()],
        &[
            ("INTROSPECTION_SECRET", INTROSPECTION_SECRET),
            ("NAFTIKO_LOG", "debug"),
        ],
    );
    std::mem::forget(dir);
    (n, p)
}

/// A client-credentials token for `resource`, with `scope` when given.
fn token(server: &AuthServer, resource: &str, scope: Option<&str>) -> String {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "naftiko-test"),
        ("client_secret", "naftiko-test-secret"),
        ("resource", resource),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let r = client()
        .post(server.token_url())
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

fn resource(port: u16, variant: &str) -> String {
    format!("http://127.0.0.1:{port}/{variant}")
}

fn rest_get(port: u16, token: Option<&str>) -> reqwest::blocking::Response {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let r = client().get(format!("http://{addr}/hello"));
    match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
    .send()
    .unwrap()
}

fn mcp_post(port: u16, token: Option<&str>) -> reqwest::blocking::Response {
    let r = client()
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}
        }));
    match token {
        Some(t) => r.bearer_auth(t),
        None => r,
    }
    .send()
    .unwrap()
}

/// The status, the `WWW-Authenticate` value and the problem's detail.
fn refusal(r: reqwest::blocking::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = r.json().unwrap_or(Value::Null);
    (
        status,
        challenge,
        body["detail"].as_str().unwrap_or("").to_owned(),
    )
}

/// `token` with one character of its payload changed (its signature no longer matches).
fn tampered(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = &mut parts[1];
    let i = payload.len() / 2;
    let c = if &payload[i..=i] == "A" { "B" } else { "A" };
    payload.replace_range(i..=i, c);
    parts.join(".")
}

/// `token` re-labelled HS256 (the algorithm-confusion attack).
fn claiming_hs256(token: &str) -> String {
    let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9"; // {"alg":"HS256","typ":"at+jwt"}
    let rest: Vec<&str> = token.splitn(2, '.').collect();
    format!("{header}.{}", rest[1])
}

#[test]
fn jwt_access_tokens_are_checked_on_every_exposes_type() {
    let Some(server) = AuthServer::shared() else {
        return;
    };
    let (n, p) = start(server);
    let mcp_resource = format!("http://127.0.0.1:{}/mcp", p.mcp);
    let api_resource = resource(p.api, "api");
    let mut seen_tokens = Vec::new();
    type Call = fn(u16, Option<&str>) -> reqwest::blocking::Response;
    let sides: [(&str, u16, &str, Call); 2] = [
        ("rest", p.api, &api_resource, rest_get),
        ("mcp", p.mcp, &mcp_resource, mcp_post),
    ];
    for (what, port, own, call) in sides {
        let (status, challenge, _) = refusal(call(port, None));
        assert_eq!(status, 401, "{what}");
        assert!(
            challenge.starts_with("Bearer realm="),
            "{what}: {challenge}"
        );
        assert!(
            challenge.contains("resource_metadata=\"http://127.0.0.1:"),
            "{what}: {challenge}"
        );
        assert!(
            !challenge.contains("error="),
            "{what}: no token is not an error: {challenge}"
        );

        let good = token(server, own, Some("read"));
        assert_eq!(call(port, Some(&good)).status(), 200, "{what}");
        let both = token(server, own, Some("read write"));
        assert_eq!(call(port, Some(&both)).status(), 200, "{what}");
        // A token asked for without `scope` is granted none.
        let none = token(server, own, None);
        assert_eq!(refusal(call(port, Some(&none))).0, 403, "{what}");

        let write_only = token(server, own, Some("write"));
        let (status, challenge, detail) = refusal(call(port, Some(&write_only)));
        assert_eq!(status, 403, "{what}");
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{what}: {challenge}"
        );
        assert!(challenge.contains("scope=\"read\""), "{what}: {challenge}");
        assert!(detail.contains("`read`"), "{what}: {detail}");

        let elsewhere = token(server, &resource(p.es256, "es256"), Some("read"));
        let (status, challenge, detail) = refusal(call(port, Some(&elsewhere)));
        assert_eq!(status, 401, "{what}");
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{what}: {challenge}"
        );
        assert!(detail.contains("another audience"), "{what}: {detail}");

        for (bad, why) in [
            (tampered(&good), "signature"),
            (claiming_hs256(&good), "algorithm"),
            ("not-a-jwt".to_owned(), "JWT"),
        ] {
            let (status, _, detail) = refusal(call(port, Some(&bad)));
            assert_eq!(status, 401, "{what}: {why}");
            assert!(detail.contains(why), "{what}: {detail}");
        }
        seen_tokens.extend([good, both, write_only, elsewhere]);
    }
    // The skill catalog and the control port, behind the same kind of block.
    for (port, path) in [(p.skill, "skills"), (p.control, "status")] {
        let url = format!("http://127.0.0.1:{port}/{path}");
        let (status, challenge, _) = refusal(client().get(&url).send().unwrap());
        assert_eq!(status, 401, "{url}");
        assert!(
            challenge.contains("resource_metadata="),
            "{url}: {challenge}"
        );
        let good = token(server, &url, Some("read"));
        let r = client().get(&url).bearer_auth(&good).send().unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let elsewhere = token(server, &mcp_resource, Some("read"));
        let r = client().get(&url).bearer_auth(&elsewhere).send().unwrap();
        assert_eq!(r.status(), 401, "{url}");
        seen_tokens.push(good);
    }
    // ES256, from the server's EC key.
    let es = token(server, &resource(p.es256, "es256"), Some("read"));
    assert_eq!(rest_get(p.es256, Some(&es)).status(), 200);
    seen_tokens.push(es);
    let (_, logs) = n.stop();
    for t in &seen_tokens {
        assert!(!logs.contains(t.as_str()), "a token was logged:\n{logs}");
        let signature = t.rsplit('.').next().unwrap();
        assert!(
            !logs.contains(signature),
            "a token signature was logged:\n{logs}"
        );
    }
}

#[test]
fn an_expired_token_is_refused_and_a_rotated_key_is_fetched_on_its_first_token() {
    let Some(server) = AuthServer::shared() else {
        return;
    };
    let (n, p) = start(server);
    let short = token(server, &resource(p.short, "short"), Some("read"));
    let before = token(server, &resource(p.api, "api"), Some("read"));
    // Caches the key set before the rotation.
    assert_eq!(rest_get(p.api, Some(&before)).status(), 200);
    let rotated = client()
        .post(format!("{}/test/rotate-keys", server.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let after = token(server, &resource(p.api, "api"), Some("read"));
    let header: Value =
        serde_json::from_slice(&base64_url(after.split('.').next().unwrap())).unwrap();
    assert_eq!(header["kid"], rotated.as_str(), "{header}");
    assert_eq!(rest_get(p.api, Some(&after)).status(), 200);
    assert_eq!(
        rest_get(p.api, Some(&before)).status(),
        200,
        "the old key is still published"
    );
    // The short token lives 1 s; naftiko allows 5 s of clock skew.
    std::thread::sleep(Duration::from_secs(7));
    let (status, challenge, detail) = refusal(rest_get(p.short, Some(&short)));
    assert_eq!(status, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(detail.contains("expired"), "{detail}");
    drop(n);
}

/// Decodes base64url without padding.
fn base64_url(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn introspection_accepts_active_tokens_for_this_resource_only() {
    let Some(server) = AuthServer::shared() else {
        return;
    };
    let (n, p) = start(server);
    let own = resource(p.opaque, "opaque");
    let good = token(server, &own, Some("read"));
    assert!(!good.contains('.'), "an opaque token: {good}");
    assert_eq!(rest_get(p.opaque, Some(&good)).status(), 200);
    // Cached: the second call is answered the same.
    assert_eq!(rest_get(p.opaque, Some(&good)).status(), 200);
    let write_only = token(server, &own, Some("write"));
    assert_eq!(refusal(rest_get(p.opaque, Some(&write_only))).0, 403);
    let other = token(
        server,
        &format!("http://127.0.0.1:{}/opaque", p.api),
        Some("read"),
    );
    let (status, _, detail) = refusal(rest_get(p.opaque, Some(&other)));
    assert_eq!(status, 401);
    assert!(detail.contains("another audience"), "{detail}");
    let (status, _, detail) = refusal(rest_get(p.opaque, Some("made-up-token")));
    assert_eq!(status, 401);
    assert!(detail.contains("not active"), "{detail}");
    let (_, logs) = n.stop();
    for secret in [good.as_str(), other.as_str(), INTROSPECTION_SECRET] {
        assert!(!logs.contains(secret), "`{secret}` was logged:\n{logs}");
    }
}

#[test]
fn protected_resource_metadata_is_published_and_named_in_challenges() {
    let Some(server) = AuthServer::shared() else {
        return;
    };
    let (n, p) = start(server);
    let mcp_resource = format!("http://127.0.0.1:{}/mcp", p.mcp);
    let (_, challenge, _) = refusal(mcp_post(p.mcp, None));
    let url = challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        url,
        format!(
            "http://127.0.0.1:{}/.well-known/oauth-protected-resource/mcp",
            p.mcp
        )
    );
    for u in [
        url.clone(),
        format!(
            "http://127.0.0.1:{}/.well-known/oauth-protected-resource",
            p.mcp
        ),
    ] {
        let r = client().get(&u).send().unwrap();
        assert_eq!(r.status(), 200, "{u}");
        assert_eq!(r.headers()["content-type"], "application/json");
        let doc: Value = r.json().unwrap();
        assert_eq!(doc["resource"], mcp_resource.as_str(), "{doc}");
        assert_eq!(doc["authorization_servers"], json!([server.url]), "{doc}");
        assert_eq!(doc["scopes_supported"], json!(["read"]), "{doc}");
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]), "{doc}");
    }
    // A REST listener publishes its block's document too, at the path-suffixed form.
    let r = client()
        .get(format!(
            "http://127.0.0.1:{}/.well-known/oauth-protected-resource/api",
            p.api
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["resource"], resource(p.api, "api").as_str());
    drop(n);
}

#[test]
fn the_python_sdk_finds_the_authorization_server_and_calls_a_protected_tool() {
    let Some(server) = AuthServer::shared() else {
        return;
    };
    let root = common::root();
    let python = root.join(".ci/mcp-tools/venv/bin/python");
    if !python.exists() {
        common::skip_or_fail("no .ci/mcp-tools/venv: run .ci/mcp-tools/install.sh");
        return;
    }
    let (n, p) = start(server);
    let url = format!("http://127.0.0.1:{}/mcp", p.mcp);
    let mut cmd = std::process::Command::new(python);
    cmd.arg(root.join(".ci/mcp-tools/mcp_oauth_client.py"))
        .args([
            &url,
            &server.url,
            "naftiko-test",
            "naftiko-test-secret",
            "read",
            "hello",
        ])
        .env_remove("NAFTIKO_LOG");
    let run = common::run_command(&mut cmd, Duration::from_secs(90), "the MCP OAuth client");
    assert_eq!(run.status.code(), Some(0), "{run}");
    let doc: Value =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}\n{run}"));
    let requests: Vec<&str> = doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let position = |wanted: &str| {
        requests
            .iter()
            .position(|r| r.starts_with(wanted))
            .unwrap_or_else(|| panic!("no `{wanted}` in {requests:#?}"))
    };
    // Refused first, then discovery from naftiko's metadata, then a token, then served.
    let metadata = position(&format!(
        "GET http://127.0.0.1:{}/.well-known/oauth-protected-resource",
        p.mcp
    ));
    let as_metadata = position(&format!("GET {}/.well-known/", server.url));
    let token = position(&format!("POST {}/oauth2/token", server.url));
    assert!(
        metadata > 0 && metadata < as_metadata && as_metadata < token,
        "{requests:#?}"
    );
    assert_eq!(doc["tools"], json!(["hello"]), "{doc}");
    assert_eq!(doc["call"]["isError"], false, "{doc}");
    assert_eq!(doc["call"]["structuredContent"]["greeting"], "hi", "{doc}");
    common::log_answer(&format!("mcp-oauth-client {doc}"));
    drop(n);
}
