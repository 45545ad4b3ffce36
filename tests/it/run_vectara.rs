//! `naftiko run ../shared/corpus/vectara`: the five published Vectara capabilities, which all
//! expose REST on port 8080, served together from one directory by the real binary. Every
//! exposes block is moved to `127.0.0.1:0` (so they share ONE listener) and every consumed
//! namespace to one recording loopback upstream. Each of the thirteen exposed routes is
//! called once and the upstream request is checked: method, path with the path variables
//! substituted, declared query parameters, body, and the `x-api-key` header of the files'
//! `apikey` authentication.

use crate::common;

use std::path::Path;

use common::serve::{Naftiko, Reply, Seen, Upstream, client, post_seed_form};
use serde_json::{Value, json};

const DIR: &str = "../shared/corpus/vectara";
const API_KEY: &str = "vk-test-0123456789";

const CONSUMED: [&str; 5] = [
    "agents-agents",
    "corpora-corpora",
    "indexing-documents",
    "oauth2-tokens",
    "query-query",
];

/// True when the corpus is present; otherwise [`common::skip_or_fail`] and false.
fn corpus_present() -> bool {
    let dir = common::root().join(DIR);
    if dir.is_dir() {
        return true;
    }
    common::skip_or_fail(&format!("no Vectara corpus at {}", dir.display()));
    false
}

/// One upstream for every consumed namespace: the token endpoint answers a token, every
/// other path 200 with a JSON body naming what it received.
fn upstream() -> Upstream {
    Upstream::start(|seen: &Seen| {
        if seen.path() == "/oauth2/token" {
            if seen
                .form()
                .iter()
                .any(|(k, v)| k == "client_secret" && v == "wrong")
            {
                return Reply::status_json(401, json!({"error": "invalid_client"}));
            }
            return Reply::json(
                json!({"access_token": "eyJ.vectara.token", "expires_in": 3600, "token_type": "Bearer"}),
            );
        }
        Reply::json(json!({"ok": true, "got": format!("{} {}", seen.method, seen.path())}))
    })
}

fn start(up: &Upstream) -> Naftiko {
    let mut args: Vec<String> = vec![DIR.to_owned()];
    for ns in CONSUMED {
        args.push("--base-uri".into());
        args.push(format!("{ns}={}", up.url()));
    }
    for ns in CONSUMED {
        args.push("--listen".into());
        args.push(format!("{ns}-rest=127.0.0.1:0"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Naftiko::start(
        &args,
        &[
            ("VECTARA_API_KEY", API_KEY),
            ("VECTARA_CLIENT_ID", "vectara-client-id"),
            ("VECTARA_CLIENT_SECRET", "vectara-client-secret"),
        ],
    )
}

/// One exposed route and what must reach the upstream.
struct Case {
    method: &'static str,
    /// The exposed path with made-up values (and query, if any).
    exposed: &'static str,
    /// The JSON body sent (POST/PATCH).
    body: Option<Value>,
    /// The upstream path expected.
    upstream_path: &'static str,
    /// The upstream query expected (sorted pairs).
    upstream_query: &'static [(&'static str, &'static str)],
    /// The upstream JSON body expected.
    upstream_body: Option<Value>,
    /// The consumed operation declares a named output `result: $.`.
    wrapped: bool,
}

fn cases() -> Vec<Case> {
    let c = |method,
             exposed,
             body: Option<Value>,
             upstream_path,
             upstream_query,
             upstream_body: Option<Value>,
             wrapped| Case {
        method,
        exposed,
        body,
        upstream_path,
        upstream_query,
        upstream_body,
        wrapped,
    };
    vec![
        // agents-agents.yaml
        c("GET", "/v1/v2/agents", None, "/v2/agents", &[], None, true),
        c(
            "POST",
            "/v1/v2/agents",
            Some(json!({"name": "agent-1", "tools": ["search"]})),
            "/v2/agents",
            &[],
            Some(json!({"name": "agent-1", "tools": ["search"]})),
            false,
        ),
        // corpora-corpora.yaml
        c(
            "GET",
            "/v1/v2/corpora?limit=10&page_key=pk-7",
            None,
            "/v2/corpora",
            &[("limit", "10"), ("page_key", "pk-7")],
            None,
            true,
        ),
        c(
            "POST",
            "/v1/v2/corpora",
            Some(json!({"key": "ck-new", "name": "New corpus"})),
            "/v2/corpora",
            &[],
            Some(json!({"key": "ck-new", "name": "New corpus"})),
            true,
        ),
        c(
            "GET",
            "/v1/v2/corpora/ck-get",
            None,
            "/v2/corpora/ck-get",
            &[],
            None,
            true,
        ),
        c(
            "PATCH",
            "/v1/v2/corpora/ck-patch",
            Some(json!({"description": "updated"})),
            "/v2/corpora/ck-patch",
            &[],
            Some(json!({"description": "updated"})),
            false,
        ),
        c(
            "DELETE",
            "/v1/v2/corpora/ck-delete",
            None,
            "/v2/corpora/ck-delete",
            &[],
            None,
            false,
        ),
        // indexing-documents.yaml
        c(
            "POST",
            "/v1/v2/corpora/ck-upload/upload_file",
            Some(json!({"file": "hello, world"})),
            "/v2/corpora/ck-upload/upload_file",
            &[],
            Some(json!({"file": "hello, world"})),
            false,
        ),
        c(
            "GET",
            "/v1/v2/corpora/ck-docs/documents",
            None,
            "/v2/corpora/ck-docs/documents",
            &[],
            None,
            false,
        ),
        c(
            "POST",
            "/v1/v2/corpora/ck-docs/documents",
            Some(json!({"id": "doc-1", "type": "core", "document_parts": [{"text": "x"}]})),
            "/v2/corpora/ck-docs/documents",
            &[],
            Some(json!({"id": "doc-1", "type": "core", "document_parts": [{"text": "x"}]})),
            false,
        ),
        // query-query.yaml
        c(
            "POST",
            "/v1/v2/corpora/ck-q/query",
            Some(json!({"query": "what is rag?", "search": {"limit": 5}})),
            "/v2/corpora/ck-q/query",
            &[],
            Some(json!({"query": "what is rag?", "search": {"limit": 5}})),
            true,
        ),
        c(
            "POST",
            "/v1/v2/corpora/ck-s/search",
            Some(json!({"query": "hybrid"})),
            "/v2/corpora/ck-s/search",
            &[],
            Some(json!({"query": "hybrid"})),
            false,
        ),
    ]
}

#[test]
fn the_five_vectara_capabilities_share_one_listener_and_every_route_reaches_the_upstream() {
    if !corpus_present() {
        return;
    }
    let up = upstream();
    let n = start(&up);
    let logs = n.logs();

    // Five exposes blocks on 127.0.0.1:0 are one address and port: one server.
    assert_eq!(logs.matches("listening on http://").count(), 1, "{logs}");
    assert_eq!(n.listeners.len(), 1, "{logs}");
    assert!(n.listeners[0].1.ip().is_loopback());
    for ns in CONSUMED {
        assert!(
            n.listeners[0].0.contains(&format!("{ns}-rest")),
            "{ns}-rest not on the listener\n{logs}"
        );
    }
    // Thirteen exposed operations, each logged once as a route.
    assert_eq!(logs.matches("  route ").count(), 13, "{logs}");

    let http = client();
    let cases = cases();
    assert_eq!(
        cases.len() + 1,
        13,
        "one case per exposed route (the token route is below)"
    );
    for case in &cases {
        let before = up.seen().len();
        let url = format!("{}{}", n.url(), case.exposed);
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut req = http.request(method, &url);
        if let Some(b) = &case.body {
            req = req.json(b);
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        let what = format!("{} {}", case.method, case.exposed);
        assert_eq!(status, 200, "{what}: {text}");

        let seen = up.seen();
        assert_eq!(seen.len(), before + 1, "{what}: exactly one upstream call");
        let s = &seen[before];
        assert_eq!(s.method, case.method, "{what}");
        assert_eq!(s.path(), case.upstream_path, "{what}");
        let mut query = s.query();
        query.sort();
        let expected: Vec<(String, String)> = case
            .upstream_query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(query, expected, "{what}: upstream query");
        assert_eq!(
            s.header("x-api-key").as_deref(),
            Some(API_KEY),
            "{what}: apikey header"
        );
        match &case.upstream_body {
            Some(b) => {
                assert_eq!(
                    s.header("content-type").as_deref(),
                    Some("application/json"),
                    "{what}"
                );
                let sent: Value = serde_json::from_str(&s.body)
                    .unwrap_or_else(|e| panic!("{what}: upstream body {e}: {}", s.body));
                assert_eq!(&sent, b, "{what}: upstream body");
            }
            None => assert!(
                s.body.is_empty(),
                "{what}: no upstream body expected, got {}",
                s.body
            ),
        }

        // The client gets the upstream's answer (wrapped as `result` where the consumed
        // operation declares that named output).
        let answer = json!({"ok": true, "got": format!("{} {}", case.method, case.upstream_path)});
        let got: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
        let want = if case.wrapped {
            json!({"result": answer})
        } else {
            answer
        };
        assert_eq!(got, want, "{what}");
    }

    // The token route, as in run_seed.rs: form in, form out, no API key, integer expiry.
    let before = up.seen().len();
    let r = post_seed_form(&http, &n, "id-v", "s3cr3t-v").unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"access_token": "eyJ.vectara.token", "expires_in": 3600})
    );
    let seen = up.seen();
    assert_eq!(seen.len(), before + 1);
    let s = &seen[before];
    assert_eq!(s.method, "POST");
    assert_eq!(s.path(), "/oauth2/token");
    assert_eq!(
        s.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        s.header("x-api-key"),
        None,
        "oauth2-tokens has `authentication: none`"
    );
    let mut form = s.form();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("client_id".into(), "id-v".into()),
            ("client_secret".into(), "s3cr3t-v".into()),
            ("grant_type".into(), "client_credentials".into()),
        ]
    );

    let (code, logs) = n.stop();
    assert_eq!(code, 0, "{logs}");
    assert!(
        !logs.contains(API_KEY),
        "the API key leaked into the logs:\n{logs}"
    );
}

#[test]
fn token_errors_and_missing_inputs_behave_as_in_the_seed() {
    if !corpus_present() {
        return;
    }
    let up = upstream();
    let n = start(&up);
    let http = client();
    let r = http
        .post(format!("{}/v1/oauth2/token", n.url()))
        .json(&json!({"grant_type": "client_credentials", "client_id": "id", "client_secret": "wrong"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().unwrap(),
        json!({"error": "invalid_client"})
    );
    assert_eq!(
        up.seen()[0].header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );

    let r = http
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[("grant_type", "client_credentials"), ("client_id", "id")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let problem: Value = r.json().unwrap();
    assert_eq!(
        problem["invalid-params"][0]["name"], "client_secret",
        "{problem}"
    );
    assert_eq!(up.seen().len(), 1, "no upstream call for a missing input");

    // A required body with nothing sent: 400 naming `body`, no upstream call.
    let r = http
        .post(format!("{}/v1/v2/corpora/ck/query", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let problem: Value = r.json().unwrap();
    assert_eq!(problem["invalid-params"][0]["name"], "body", "{problem}");
    assert_eq!(up.seen().len(), 1);
}

#[test]
fn path_values_are_percent_encoded_as_one_segment_upstream() {
    if !corpus_present() {
        return;
    }
    let up = upstream();
    let n = start(&up);
    let r = client()
        .get(format!("{}/v1/v2/corpora/a%2Fb%20c/documents", n.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = up.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path(), "/v2/corpora/a%2Fb%20c/documents");
}

#[test]
fn the_directory_is_read_from_disk_as_five_files() {
    if !corpus_present() {
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(common::root().join(DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "yaml"))
        .collect();
    names.sort();
    let expected: Vec<String> = CONSUMED.iter().map(|ns| format!("{ns}.yaml")).collect();
    assert_eq!(names, expected);
}
