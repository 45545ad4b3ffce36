//! `naftiko create capability`: a capability written from flags validates `--strict`, is
//! accepted by the official schema of its version (alpha2 or beta5, `jsonschema` as the
//! oracle), and serves: `naftiko run` on it passes a REST request and an MCP tool call to a
//! loopback upstream. Bad flags are refused by name with exit 2, and an existing file is kept.

use serde_json::{Value, json};

use crate::common;
use common::mcp::{Kind, over_http};
use common::serve::{Naftiko, Reply, Upstream, client};

/// `naftiko create capability` for `GET /items/{id}` of `base`, in `version`, to `file`.
fn create(dir: &common::Scratch, version: &str, base: &str) -> std::path::PathBuf {
    let file = dir.path().join(format!("items-{version}.yaml"));
    let run = common::naftiko(&[
        "create",
        "capability",
        "--namespace",
        "items",
        "--base-uri",
        base,
        "--path",
        "/items/{id}",
        "--version",
        version,
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(run.code(), 0, "{run}");
    file
}

fn schema_accepts(schema: &str, file: &std::path::Path) -> bool {
    let Some(validator) = common::schema_validator(&common::root().join(schema)) else {
        // Skipped (prints why); fails under CI.
        return true;
    };
    let text = std::fs::read_to_string(file).unwrap();
    let doc: Value = yaml_serde::from_str(&text).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{}: {errors:?}\n{text}", file.display());
    true
}

#[test]
fn a_created_capability_validates_and_serves_in_both_versions() {
    let up = Upstream::start(|seen| Reply::json(json!({"id": seen.path(), "ok": true})));
    let dir = common::Scratch::new("create");
    for (version, schema) in [
        ("alpha2", "../shared/reference/naftiko-alpha2-schema.json"),
        (
            "beta5",
            "../shared/reference/ikanos-beta5/ikanos-schema.json",
        ),
    ] {
        let file = create(&dir, version, &format!("{}/v1", up.url()));
        let strict = common::naftiko(&["validate", "--strict", file.to_str().unwrap()]);
        assert_eq!(strict.code(), 0, "{version}: {strict}");
        assert!(strict.stdout.contains("0 errors, 0 warnings"), "{strict}");
        assert!(schema_accepts(schema, &file));
        let n = Naftiko::start(
            &[
                file.to_str().unwrap(),
                "--listen",
                "items-rest=127.0.0.1:0",
                "--listen",
                "items-mcp=127.0.0.1:0",
            ],
            &[],
        );
        let rest = n
            .listeners
            .iter()
            .find(|(ns, _)| ns.contains("items-rest"))
            .map(|(_, a)| *a)
            .unwrap();
        let r = client()
            .get(format!("http://{rest}/items/42"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{version}");
        assert_eq!(
            r.json::<Value>().unwrap(),
            json!({"id": "/v1/items/42", "ok": true})
        );
        if common::mcp_tools_installed() {
            let url = common::mcp::mcp_url(&n);
            let commands =
                json!([{"op": "call_tool", "name": "get-items", "arguments": {"id": "7"}}]);
            let run = over_http(Kind::Sdk, &url, &commands);
            assert_eq!(
                run.results()[0]["structuredContent"],
                json!({"id": "/v1/items/7", "ok": true}),
                "{version}: {run}"
            );
        }
    }
}

#[test]
fn bad_flags_are_named_and_an_existing_file_is_kept() {
    for (flag, value) in [
        ("--namespace", "Items"),
        ("--base-uri", "ftp://x"),
        ("--method", "TRACE"),
        ("--path", "items"),
    ] {
        let mut args = vec![
            "create",
            "capability",
            "--namespace",
            "items",
            "--base-uri",
            "http://127.0.0.1:1",
        ];
        args.extend([flag, value]);
        let run = common::naftiko(&args);
        assert_eq!(run.code(), 2, "{flag}: {run}");
        assert!(run.stderr.contains(flag), "{flag}: {run}");
        assert!(run.stdout.is_empty(), "{flag}: {run}");
    }
    let dir = common::Scratch::new("create-kept");
    let existing = dir.write("mine.yaml", "mine\n");
    let run = common::naftiko(&[
        "create",
        "capability",
        "--namespace",
        "items",
        "--base-uri",
        "http://127.0.0.1:1",
        "-o",
        existing.to_str().unwrap(),
    ]);
    assert_eq!(run.code(), 2, "{run}");
    assert!(run.stderr.contains("--force"), "{run}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "mine\n");
}
