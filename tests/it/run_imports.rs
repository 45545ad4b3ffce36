//! `naftiko run` on an Ikanos beta5 capability built from imported parts
//! (`tests/fixtures/beta5/imports/capability.yaml`): its bind (`as: secrets`), its REST
//! block (`as: my-rest`) and its aggregate (`as: my-notes`) come from the shared files
//! beside it, against a loopback upstream.
//!
//! - the imported REST block is served, under its local name (`--listen my-rest=…` moves
//!   it), and answers from the upstream;
//! - the imported bind binds: its variable, read from the environment, is the bearer token
//!   the upstream receives;
//! - an MCP tool that `ref`s the imported aggregate's flow calls the upstream through it.

use crate::common;

use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::{Value, json};

const CAPABILITY: &str = "tests/fixtures/beta5/imports/capability.yaml";
const TOKEN: &str = "tok-imported-bind";

/// An upstream echoing what it was asked: path and `Authorization`.
fn echo() -> Upstream {
    Upstream::start(|seen| {
        Reply::json(json!({
            "path": seen.path(),
            "auth": seen.header("authorization"),
        }))
    })
}

fn start(upstream: &Upstream) -> Naftiko {
    let base = format!("notes={}", upstream.url());
    Naftiko::start(
        &[
            CAPABILITY,
            "--base-uri",
            &base,
            "--listen",
            "my-rest=127.0.0.1:0",
            "--listen",
            "notes-mcp=127.0.0.1:0",
        ],
        &[("NOTES_TOKEN", TOKEN)],
    )
}

#[test]
fn the_imported_rest_block_answers_with_the_imported_binds_token() {
    let upstream = echo();
    let n = start(&upstream);
    let r = client()
        .get(format!("{}/notes", n.url_of("(my-rest)")))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", n.logs());
    let body: Value = r.json().unwrap();
    assert_eq!(body["path"], "/notes", "{body}");
    assert_eq!(body["auth"], format!("Bearer {TOKEN}"), "{body}");
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].header("authorization").as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[test]
fn a_tool_refing_the_imported_aggregate_calls_through_it() {
    let upstream = echo();
    let n = start(&upstream);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "get-note", "arguments": {"id": "n-42"}}});
    let r = client()
        .post(format!("{}/mcp", n.url_of("(notes-mcp)")))
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", n.logs());
    let v: Value = r.json().unwrap();
    let result = &v["result"];
    assert_eq!(result["isError"], false, "{v}\n{}", n.logs());
    assert_eq!(result["structuredContent"]["path"], "/notes/n-42", "{v}");
    assert_eq!(
        result["structuredContent"]["auth"],
        format!("Bearer {TOKEN}"),
        "{v}"
    );
    assert_eq!(upstream.seen()[0].path(), "/notes/n-42");
}

/// `naftiko run --check CAPABILITY --listen LISTEN`, with the bound variable set.
fn check_with_listen(listen: &str) -> common::Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_naftiko"));
    cmd.args([
        "run",
        "--check",
        CAPABILITY,
        "--base-uri",
        "notes=http://127.0.0.1:9",
    ])
    .args(["--listen", listen])
    .current_dir(common::root())
    .env("NOTES_TOKEN", TOKEN)
    .env_remove("NAFTIKO_LISTEN")
    .env_remove("NAFTIKO_BASE_URI");
    common::run_command(&mut cmd, common::WATCHDOG, "naftiko run --check")
}

#[test]
fn the_imported_block_is_known_by_its_local_name_only() {
    // `--listen` names blocks by namespace: the shared file's `notes-rest` is `my-rest` here.
    let renamed = check_with_listen("my-rest=127.0.0.1:0");
    renamed.assert_no_panic();
    assert_eq!(renamed.code(), 0, "{renamed}");
    let original = check_with_listen("notes-rest=127.0.0.1:0");
    original.assert_no_panic();
    assert_eq!(original.code(), 2, "{original}");
    assert!(original.stderr.contains("notes-rest"), "{original}");
}
