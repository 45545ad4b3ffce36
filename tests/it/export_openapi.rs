//! `naftiko export openapi`: every REST block of every published capability that validates
//! (the corpus, the tutorial, the examples) exports an OpenAPI 3.1 document that
//! `openapi-spec-validator` (PyPI, in the CI venv) accepts; the seed's document describes
//! what naftiko serves (its form or JSON body, its outputs, its problems); authentication
//! becomes a security scheme and a binary response contract its media type.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common;

/// The validator of the CI venv (`.ci/mcp-tools/install.sh`), when installed.
fn validator() -> Option<PathBuf> {
    if !common::mcp_tools_installed() {
        return None;
    }
    let v = common::root().join(".ci/mcp-tools/venv/bin/openapi-spec-validator");
    if v.exists() {
        Some(v)
    } else {
        common::skip_or_fail("openapi-spec-validator missing: run .ci/mcp-tools/install.sh");
        None
    }
}

/// The exported documents of `file` (one per REST block), as JSON.
fn export(file: &Path) -> Vec<Value> {
    let one = |ns: Option<&str>| {
        let mut args = vec!["export", "openapi", "--format", "json"];
        if let Some(ns) = ns {
            args.extend(["--namespace", ns]);
        }
        let path = file.to_str().unwrap();
        args.push(path);
        common::naftiko(&args)
    };
    let run = one(None);
    match run.code() {
        0 => vec![serde_json::from_str(&run.stdout).unwrap()],
        // Several REST blocks: the message names them all.
        2 if run.stderr.contains("several REST blocks") => run
            .stderr
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|ns| {
                let r = one(Some(ns));
                assert_eq!(r.code(), 0, "{}: {ns}: {r}", file.display());
                serde_json::from_str(&r.stdout).unwrap()
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn every_export_of_the_corpus_and_the_tutorial_is_valid_openapi() {
    let Some(validator) = validator() else { return };
    let mut files = Vec::new();
    common::yaml_files(&common::root().join("../shared/corpus"), &mut files);
    common::yaml_files(
        &common::root().join("../shared/reference/ikanos-beta5"),
        &mut files,
    );
    common::yaml_files(&common::root().join("capabilities"), &mut files);
    let dir = common::Scratch::new("export-openapi");
    let mut written = Vec::new();
    for file in &files {
        for (i, doc) in export(file).into_iter().enumerate() {
            assert_eq!(doc["openapi"], "3.1.0", "{}", file.display());
            let name = format!("{}-{i}.json", file.file_stem().unwrap().to_string_lossy());
            written.push(dir.write(&name, doc.to_string()));
        }
    }
    println!(
        "export openapi: {} documents from {} files",
        written.len(),
        files.len()
    );
    assert!(written.len() >= 100, "too few documents: {}", written.len());
    assert_valid(&validator, &written);
}

/// `openapi-spec-validator` accepts every document of `files`.
fn assert_valid(validator: &Path, files: &[PathBuf]) {
    let out = Command::new(validator)
        .args(files)
        .output()
        .expect("run openapi-spec-validator");
    let report = String::from_utf8_lossy(&out.stdout);
    let failed: Vec<&str> = report.lines().filter(|l| !l.ends_with(": OK")).collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "openapi-spec-validator refused:\n{}\n{}",
        failed.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_seed_export_describes_what_naftiko_serves() {
    let docs = export(&common::root().join("capabilities/oauth2-tokens.yaml"));
    let [doc] = docs.as_slice() else {
        panic!("one document expected: {docs:?}")
    };
    assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:8080");
    let post = &doc["paths"]["/v1/oauth2/token"]["post"];
    assert_eq!(post["operationId"], "getoauthtoken");
    // The form fields the consumed operation takes, as JSON or form.
    for media in ["application/json", "application/x-www-form-urlencoded"] {
        let body = &post["requestBody"]["content"][media]["schema"];
        assert_eq!(
            body["required"],
            json!(["grant_type", "client_id", "client_secret"]),
            "{media}: {body}"
        );
    }
    assert_eq!(
        post["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "object", "properties": {
            "access_token": {"type": "string"}, "expires_in": {"type": "integer"}
        }})
    );
    assert_eq!(
        post["responses"]["default"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    assert!(doc.get("security").is_none(), "{doc}");
}

#[test]
fn authentication_and_binary_contracts_are_described() {
    let guarded =
        export(&common::root().join("capabilities/examples/oauth2-tokens-server-credentials.yaml"));
    let doc = guarded.first().expect("a document");
    assert_eq!(
        doc["components"]["securitySchemes"]["inbound"],
        json!({"type": "http", "scheme": "bearer"})
    );
    assert_eq!(doc["security"], json!([{"inbound": []}]));
    let op = doc["paths"]
        .as_object()
        .and_then(|p| p.values().next())
        .and_then(|m| m.as_object())
        .and_then(|m| m.values().next())
        .expect("an operation");
    assert!(op["responses"]["401"].is_object(), "{op}");

    let binary = export(&common::root().join("tests/fixtures/run/binary-content.yaml"));
    let doc = binary.first().expect("a document");
    let image = &doc["paths"]["/photos/{id}/image"]["get"];
    assert_eq!(image["parameters"][0]["name"], "id");
    assert_eq!(image["parameters"][0]["in"], "path");
    assert!(
        image["responses"]["200"]["content"]["image/jpeg"].is_object(),
        "{image}"
    );
}

#[test]
fn a_file_with_errors_or_no_rest_api_is_refused() {
    let bad = common::naftiko(&["export", "openapi", "tests/fixtures/invalid/bad-enum.yaml"]);
    assert_eq!(bad.code(), 1, "{bad}");
    assert!(bad.stderr.contains("naftiko validate"), "{bad}");
    let missing = common::naftiko(&["export", "openapi", "nowhere.yaml"]);
    assert_eq!(missing.code(), 2, "{missing}");
    let mcp_only = common::naftiko(&["export", "openapi", "tests/fixtures/run/mcp-tools.yaml"]);
    assert_eq!(mcp_only.code(), 1, "{mcp_only}");
    assert!(mcp_only.stderr.contains("no REST API"), "{mcp_only}");
}

#[test]
fn forward_resources_take_every_method_their_path_has_left() {
    let docs = export(&common::root().join("tests/fixtures/run/forward.yaml"));
    assert_eq!(docs.len(), 2, "both REST blocks");
    let doc = docs
        .iter()
        .find(|d| d["paths"].get("/bearer/{path}").is_some())
        .expect("the fwd-rest block");
    let bearer = doc["paths"]["/bearer/{path}"].as_object().unwrap();
    let methods: Vec<&str> = bearer.keys().map(String::as_str).collect();
    for m in [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ] {
        assert!(methods.contains(&m), "{m} missing: {methods:?}");
    }
    let post = &bearer["post"];
    assert_eq!(post["operationId"], "forward-bearer-post");
    assert!(post["requestBody"]["content"]["*/*"].is_object(), "{post}");
    assert!(bearer["get"].get("requestBody").is_none());
    let params = post["parameters"].as_array().unwrap();
    assert_eq!(params[0]["name"], "path");
    assert_eq!(params[0]["in"], "path");
    let headers: Vec<&str> = params[1..]
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // Trusted headers, without those an OpenAPI parameter must not describe.
    assert_eq!(headers, ["X-Trace", "X-Hop", "Connection"]);
    let key = doc["paths"]["/key/{path}"]["put"]["parameters"]
        .as_array()
        .unwrap();
    assert!(key.iter().all(|p| p["name"] != "Authorization"), "{key:?}");
    // An operation keeps its method; the forward takes the others.
    let mixed = &doc["paths"]["/mixed/{id}"];
    assert_eq!(mixed["get"]["operationId"], "get-mixed");
    assert_eq!(mixed["put"]["operationId"], "forward-mixed-put");
    let exact = doc["paths"]["/exact"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(exact.iter().all(|p| p["in"] == "header"), "{exact:?}");
    // The guarded block's forward answers 401 too.
    let guarded = docs
        .iter()
        .find(|d| d["paths"].get("/g/{path}").is_some())
        .expect("the fwd-guarded block");
    assert!(guarded["paths"]["/g/{path}"]["get"]["responses"]["401"].is_object());
    assert!(
        doc["paths"]["/bearer/{path}"]["get"]["responses"]
            .get("401")
            .is_none()
    );

    let Some(validator) = validator() else { return };
    let dir = common::Scratch::new("export-forward");
    let written: Vec<PathBuf> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| dir.write(&format!("forward-{i}.json"), d.to_string()))
        .collect();
    assert_valid(&validator, &written);
}
