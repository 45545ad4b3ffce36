//! `naftiko import openapi`: capabilities written from OpenAPI documents validate
//! `--strict` (alpha2 and beta5) and serve.
//!
//! - `../shared/openapi/vectara-openapi.yml`, the document the seed was generated from:
//!   its token operation sends the upstream the same request as the seed for the same
//!   inbound form, and answers the seed's `access_token` and `expires_in`;
//! - the tutorial's two shipyard documents serve against Prism mocks of themselves (bearer
//!   and API-key authentication bound from the environment, JSON outputs, an XML answer
//!   passed through);
//! - a document that is not OpenAPI 3 is refused.

use serde_json::Value;

use crate::common;
use common::serve::{Naftiko, Seen, client, start_seed, token_endpoint};

fn openapi(name: &str) -> std::path::PathBuf {
    common::root().join("../shared/openapi").join(name)
}

/// Imports `spec` with `namespace` in `version` into `dir`; checks `validate --strict`.
fn import(dir: &common::Scratch, spec: &str, namespace: &str, version: &str) -> String {
    let out = dir.path().join(format!("{namespace}-{version}.yaml"));
    let out = out.to_str().unwrap().to_owned();
    let run = common::naftiko(&[
        "import",
        "openapi",
        openapi(spec).to_str().unwrap(),
        "--namespace",
        namespace,
        "--version",
        version,
        "-o",
        &out,
    ]);
    assert_eq!(run.code(), 0, "{run}");
    let strict = common::naftiko(&["validate", "--strict", &out]);
    assert_eq!(strict.code(), 0, "{spec} as {version}: {strict}");
    assert!(strict.stdout.contains("0 errors, 0 warnings"), "{strict}");
    out
}

/// What the upstream saw of a token request: method, target, form content type, body.
fn request_of(seen: &Seen) -> (String, String, Option<String>, String) {
    (
        seen.method.clone(),
        seen.target.clone(),
        seen.header("content-type"),
        seen.body.clone(),
    )
}

#[test]
fn the_vectara_token_operation_is_the_seeds() {
    let dir = common::Scratch::new("import-vectara");
    let up = token_endpoint("eyJ.imported");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "id-1"),
        ("client_secret", "s3cr3t"),
    ];
    let seed = start_seed(&up.url(), &[]);
    let seed_answer: Value = client()
        .post(format!("{}/v1/oauth2/token", seed.url()))
        .form(&form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    for version in ["alpha2", "beta5"] {
        let file = import(&dir, "vectara-openapi.yml", "vectara", version);
        // Two servers: api.vectara.io (`vectara`) and auth.vectara.io (`vectara-2`).
        let base = |ns: &str| format!("{ns}={}", up.url());
        let n = Naftiko::start(
            &[
                &file,
                "--base-uri",
                &base("vectara"),
                "--base-uri",
                &base("vectara-2"),
                "--listen",
                "vectara-rest=127.0.0.1:0",
                "--listen",
                "vectara-mcp=127.0.0.1:0",
            ],
            &[("VECTARA_API_KEY", "k-1")],
        );
        let before = up.seen().len();
        let answer: Value = client()
            .post(format!("{}/oauth2/token", n.url_of("vectara-rest")))
            .form(&form)
            .send()
            .unwrap()
            .json()
            .unwrap();
        for field in ["access_token", "expires_in"] {
            assert_eq!(answer[field], seed_answer[field], "{version}: {answer}");
        }
        let seen = up.seen();
        assert_eq!(seen.len(), before + 1, "{version}");
        assert_eq!(
            request_of(&seen[before]),
            request_of(&seen[0]),
            "{version}: the imported operation's upstream request differs from the seed's"
        );
    }
}

#[test]
fn the_shipyard_documents_serve_against_prism() {
    let dir = common::Scratch::new("import-shipyard");
    let registry_doc = "naftiko-shipyard-maritime-registry-api.yaml";
    let legacy_doc = "naftiko-shipyard-legacy-dockyard-api.yaml";
    let Some(registry) = common::prism::serving(&openapi(registry_doc)) else {
        return;
    };
    let Some(legacy) = common::prism::serving(&openapi(legacy_doc)) else {
        return;
    };
    for version in ["alpha2", "beta5"] {
        let registry_file = import(&dir, registry_doc, "registry", version);
        let legacy_file = import(&dir, legacy_doc, "legacy", version);
        let n = Naftiko::start(
            &[
                &registry_file,
                &legacy_file,
                "--base-uri",
                &format!("registry={}", registry.url),
                "--base-uri",
                &format!("legacy={}", legacy.url),
                "--listen",
                "registry-rest=127.0.0.1:0",
                "--listen",
                "registry-mcp=127.0.0.1:0",
                "--listen",
                "legacy-rest=127.0.0.1:0",
                "--listen",
                "legacy-mcp=127.0.0.1:0",
            ],
            &[("REGISTRY_TOKEN", "t-1"), ("LEGACY_API_KEY", "k-1")],
        );
        let rest = n.url_of("registry-rest");
        let ships = client().get(format!("{rest}/ships")).send().unwrap();
        assert_eq!(ships.status(), 200, "{version}");
        let ships: Value = ships.json().unwrap();
        assert!(ships.is_object() || ships.is_array(), "{version}: {ships}");
        let ship = client()
            .get(format!("{rest}/ships/IMO-9321483"))
            .send()
            .unwrap();
        assert_eq!(ship.status(), 200, "{version}");
        let ship: Value = ship.json().unwrap();
        assert!(
            ship.get("imo_number").is_some() || ship.get("name").is_some(),
            "{version}: {ship}"
        );
        let vessels = client()
            .get(format!("{}/vessels", n.url_of("legacy-rest")))
            .send()
            .unwrap();
        assert_eq!(vessels.status(), 200, "{version}");
        assert!(
            vessels.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("xml"),
            "{version}"
        );
    }
}

#[test]
fn a_document_that_is_not_openapi_3_is_refused() {
    let dir = common::Scratch::new("import-bad");
    let swagger = dir.write("swagger.yaml", "swagger: '2.0'\npaths: {}\n");
    let run = common::naftiko(&["import", "openapi", swagger.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{run}");
    assert!(run.stderr.contains("OpenAPI 3"), "{run}");
    let missing = common::naftiko(&["import", "openapi", "nowhere.yaml"]);
    assert_eq!(missing.code(), 2, "{missing}");
}
