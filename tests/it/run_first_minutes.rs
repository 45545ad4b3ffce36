//! What a new user meets in the first ten minutes of `naftiko run` (issue 13): command-line
//! overrides applied before conflicts are checked, flag values blamed on the flag, empty
//! directories, and start-up messages that say what to do.

use crate::common;

use common::serve::{Naftiko, Reply, Upstream, client};
use serde_json::json;

/// The seed's text with its namespaces renamed after `tag` (`tag` and `tag-rest`); `None`
/// keeps the seed's own.
fn seed_copy(tag: Option<&str>) -> String {
    let text =
        std::fs::read_to_string(common::root().join("capabilities/oauth2-tokens.yaml")).unwrap();
    let Some(tag) = tag else { return text };
    assert!(text.contains("namespace: oauth2-tokens\n") && text.contains("call: oauth2-tokens."));
    text.replace("oauth2-tokens-rest", &format!("{tag}-rest"))
        .replace("namespace: oauth2-tokens\n", &format!("namespace: {tag}\n"))
        .replace("call: oauth2-tokens.", &format!("call: {tag}."))
}

/// POSTs the seed's token form to `base`; the status and the JSON body.
fn token(base: &str) -> (u16, serde_json::Value) {
    let r = client()
        .post(format!("{base}/v1/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "id"),
            ("client_secret", "secret"),
        ])
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or_default())
}

#[test]
fn two_copies_of_the_seed_moved_by_listen_run_together() {
    let dir = common::Scratch::new("first-two-seeds");
    let a = dir.write("a.yaml", seed_copy(Some("tokens-a")));
    let b = dir.write("b.yaml", seed_copy(Some("tokens-b")));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // Where the files put them, both take POST /v1/oauth2/token on 127.0.0.1:8080.
    let v = common::naftiko(&["validate", a, b]);
    assert_eq!(v.code(), 1, "{v}");
    assert!(v.stdout.contains("error[route-conflict]"), "{v}");
    assert!(v.stdout.contains("naftiko run --listen"), "the hint: {v}");
    let up_a = Upstream::start(|_| Reply::json(json!({"access_token": "A", "expires_in": 1})));
    let up_b = Upstream::start(|_| Reply::json(json!({"access_token": "B", "expires_in": 2})));
    let (pa, pb) = (common::free_port(), common::free_port());
    let n = Naftiko::start(
        &[
            a,
            b,
            "--listen",
            &format!("tokens-a-rest=127.0.0.1:{pa}"),
            "--listen",
            &format!("tokens-b-rest=127.0.0.1:{pb}"),
            "--base-uri",
            &format!("tokens-a={}", up_a.url()),
            "--base-uri",
            &format!("tokens-b={}", up_b.url()),
        ],
        &[],
    );
    assert_eq!(n.listeners.len(), 2, "{}", n.logs());
    let (sa, ja) = token(&format!("http://127.0.0.1:{pa}"));
    let (sb, jb) = token(&format!("http://127.0.0.1:{pb}"));
    assert_eq!((sa, ja["access_token"].as_str()), (200, Some("A")));
    assert_eq!((sb, jb["access_token"].as_str()), (200, Some("B")));
    assert_eq!((up_a.seen().len(), up_b.seen().len()), (1, 1));
    // Moved onto one port again, they collide, and the message says `--listen` did it.
    let p = common::free_port();
    let r = common::naftiko(&[
        "run",
        a,
        b,
        "--listen",
        &format!("tokens-a-rest=127.0.0.1:{p}"),
        "--listen",
        &format!("tokens-b-rest=127.0.0.1:{p}"),
    ]);
    assert_eq!(r.code(), 1, "{r}");
    assert!(r.stderr.contains("error[route-conflict]"), "{r}");
    r.assert_no_panic();
}

#[test]
fn two_copies_with_the_same_namespaces_are_told_to_rename_one() {
    let dir = common::Scratch::new("first-same-seeds");
    let a = dir.write("a.yaml", seed_copy(None));
    let b = dir.write("b.yaml", seed_copy(None));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let r = common::naftiko(&[
        "run",
        a,
        b,
        "--listen",
        &format!("oauth2-tokens-rest=127.0.0.1:{}", common::free_port()),
    ]);
    assert_eq!(r.code(), 1, "{r}");
    assert!(r.stderr.contains("error[namespace-duplicate]"), "{r}");
    assert!(r.stderr.contains("rename"), "{r}");
    assert!(
        !r.stderr.contains("route-conflict"),
        "one mistake, one diagnostic: {r}"
    );
    r.assert_no_panic();
}

#[test]
fn bad_flag_values_are_blamed_on_the_flag_and_list_the_namespaces() {
    for (flag, value, expected) in [
        (
            "--listen",
            "wrongns=127.0.0.1:1",
            "--listen `wrongns=127.0.0.1:1`: no exposes block `wrongns` (known: `oauth2-tokens-rest`)",
        ),
        (
            "--base-uri",
            "nope=http://127.0.0.1:9",
            "--base-uri `nope=http://127.0.0.1:9`: no consumed API `nope` (known: `oauth2-tokens`)",
        ),
        (
            "--base-uri",
            "oauth2-tokens=notaurl",
            "--base-uri `oauth2-tokens=notaurl`: `notaurl` is not a URL",
        ),
        (
            "--base-uri",
            "oauth2-tokens=http://{host}:8080",
            "has a placeholder in it; expected NAMESPACE=http(s)://HOST[:PORT][/PATH]",
        ),
    ] {
        let r = common::naftiko(&["run", "capabilities/oauth2-tokens.yaml", flag, value]);
        assert_eq!(r.code(), 2, "{flag} {value}: {r}");
        assert!(r.stderr.contains(expected), "{flag} {value}: {r}");
        // One mistake, one diagnostic.
        assert_eq!(r.stderr.lines().count(), 1, "{flag} {value}: {r}");
        assert!(!r.stderr.contains("is not a consumed operation"), "{r}");
        r.assert_no_panic();
    }
}

#[test]
fn listen_without_a_namespace_moves_the_only_block_that_can_listen() {
    let port = common::free_port();
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "T", "expires_in": 1})));
    let n = Naftiko::start(
        &[
            "capabilities/oauth2-tokens.yaml",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--base-uri",
            &format!("oauth2-tokens={}", up.url()),
        ],
        &[],
    );
    assert_eq!(n.listeners[0].1.port(), port, "{}", n.logs());
    let (status, body) = token(&n.url());
    assert_eq!((status, body["access_token"].as_str()), (200, Some("T")));
    // With two blocks it cannot guess: a usage error naming both.
    let dir = common::Scratch::new("first-listen-two");
    let a = dir.write("a.yaml", seed_copy(Some("one")));
    let b = dir.write("b.yaml", seed_copy(Some("two")));
    let r = common::naftiko(&[
        "run",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(r.code(), 2, "{r}");
    assert!(
        r.stderr
            .contains("2 exposes blocks can listen; name one: NAMESPACE=HOST:PORT (known: `one-rest`, `two-rest`)"),
        "{r}"
    );
}

#[test]
fn a_directory_without_capability_files_is_a_usage_error_and_missing_paths_are_counted() {
    let dir = common::Scratch::new("first-empty-dir");
    dir.write("notes.yaml", "title: not a capability\n");
    let d = dir.path().to_str().unwrap();
    for command in ["validate", "run"] {
        let r = common::naftiko(&[command, d]);
        assert_eq!(r.code(), 2, "{command}: {r}");
        assert!(
            r.stderr.contains("no capability files found"),
            "{command}: {r}"
        );
        r.assert_no_panic();
    }
    let missing = dir.path().join("missing.yaml");
    let missing = missing.to_str().unwrap();
    let human = common::naftiko(&["validate", "capabilities/oauth2-tokens.yaml", missing]);
    assert_eq!(human.code(), 2, "{human}");
    assert!(
        human
            .stdout
            .contains("checked 1 file (1 path not usable): 0 errors"),
        "{human}"
    );
    let json = common::naftiko(&[
        "validate",
        "--format",
        "json",
        "capabilities/oauth2-tokens.yaml",
        missing,
    ]);
    assert_eq!(json.code(), 2, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["path_errors"],
        json!([format!("{missing}: no such file or directory")])
    );
    assert_eq!(report["files_checked"], 1);
}

#[test]
fn help_lists_the_log_variable_exit_codes_and_value_kinds() {
    let run = common::naftiko(&["run", "--help"]);
    assert_eq!(run.code(), 0, "{run}");
    for needle in [
        "NAFTIKO_LOG ",
        "Exit codes:",
        "  2  usage",
        "  4  stopped, but `--shutdown-grace` ran out",
        "--shutdown-grace <DURATION>",
        "--max-body <SIZE>",
        "--listen <[NAMESPACE=]HOST:PORT>",
    ] {
        assert!(run.stdout.contains(needle), "`{needle}` missing:\n{run}");
    }
    let top = common::naftiko(&["--help"]);
    assert!(top.stdout.contains("NAFTIKO_LOG"), "{top}");
    assert!(top.stdout.contains("Exit codes:"), "{top}");
}

#[test]
fn boolean_environment_variables_accept_what_the_docs_show() {
    for value in ["1", "true", "yes", "on", "0", "false"] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_naftiko"));
        cmd.args(["run", "capabilities/oauth2-tokens.yaml", "--check"])
            .current_dir(common::root())
            .env("NAFTIKO_GENERAL_PATH", value);
        let r = common::run_command(
            &mut cmd,
            std::time::Duration::from_secs(60),
            "naftiko run --check",
        );
        assert_eq!(r.code(), 0, "NAFTIKO_GENERAL_PATH={value}: {r}");
    }
}

#[test]
fn requests_cut_off_by_the_shutdown_grace_get_a_503_and_the_exit_code_says_so() {
    // The upstream holds every request far longer than the test lasts (a hang, not a timing).
    let up = Upstream::start(|_| {
        Reply::json(json!({"access_token": "late"})).after(std::time::Duration::from_secs(120))
    });
    let n = common::serve::start_seed(&up.url(), &["--shutdown-grace", "200ms"]);
    let url = n.url();
    let pending = std::thread::spawn(move || {
        let r = client()
            .post(format!("{url}/v1/oauth2/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "i"),
                ("client_secret", "s"),
            ])
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let close = r
            .headers()
            .get("connection")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, close, r.json::<serde_json::Value>().unwrap())
    });
    // Stop only once the request is in flight (the upstream has it).
    while up.seen().is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let (code, logs) = n.stop();
    let (status, close, body) = pending.join().unwrap();
    assert_eq!(status, 503, "{body}\n{logs}");
    assert_eq!(body["type"], "urn:naftiko:problem:shutting-down", "{body}");
    assert_eq!(close.as_deref(), Some("close"));
    assert!(logs.contains("drained=false"), "{logs}");
    assert_eq!(code, 4, "{logs}");
}

#[test]
fn unset_bound_variables_no_template_reads_are_info_not_warnings() {
    let up = Upstream::start(|_| Reply::json(json!({})));
    let n = common::serve::start_seed(&up.url(), &[]);
    let (_, logs) = n.stop();
    let line = logs
        .lines()
        .find(|l| l.contains("`VECTARA_CLIENT_ID` is not set"))
        .unwrap_or_else(|| panic!("no note about the unset variable:\n{logs}"));
    assert!(line.contains(" INFO "), "{line}");
    assert!(
        !logs.lines().any(|l| l.contains(" WARN ")),
        "the seed starts without warnings:\n{logs}"
    );
}

#[test]
fn a_body_of_a_media_type_the_operation_does_not_read_gets_415_naming_the_accepted_ones() {
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "T", "expires_in": 1})));
    let n = common::serve::start_seed(&up.url(), &[]);
    let form = "grant_type=client_credentials&client_id=i&client_secret=s";
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .header("content-type", "text/plain")
        .body(form)
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(
        body["type"], "urn:naftiko:problem:unsupported-media-type",
        "{body}"
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("`text/plain`"), "{detail}");
    assert!(
        detail.contains("application/json") && detail.contains("application/x-www-form-urlencoded"),
        "{detail}"
    );
    assert!(up.seen().is_empty(), "nothing is sent upstream");
    // The same fields as a form are served.
    let ok = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[test]
fn misspelled_keys_and_operation_names_get_a_did_you_mean() {
    let dir = common::Scratch::new("first-typos");
    let seed = seed_copy(None);
    let typo = |from: &str, to: &str, name: &str| {
        assert!(seed.contains(from), "the seed has no `{from}`");
        let path = dir.write(name, seed.replacen(from, to, 1));
        path.to_str().unwrap().to_owned()
    };
    // An operation name.
    let call = typo(
        "call: oauth2-tokens.getoauthtoken",
        "call: oauth2-tokens.getoauthtokn",
        "call.yaml",
    );
    let v = common::naftiko(&["validate", &call]);
    assert_eq!(v.code(), 1, "{v}");
    assert!(
        v.stdout.contains(
            "has no operation `getoauthtokn`; did you mean `oauth2-tokens.getoauthtoken`?"
        ),
        "{v}"
    );
    // A key that changes what is served: an error, the file does not run.
    let outputs = typo(
        "        outputParameters:",
        "        outputParamters:",
        "outputs.yaml",
    );
    let v = common::naftiko(&["validate", &outputs]);
    assert_eq!(v.code(), 1, "{v}");
    assert!(
        v.stdout.contains("error[unknown-key]: unknown key `outputParamters` in a consumed operation; did you mean `outputParameters`?"),
        "{v}"
    );
    let r = common::naftiko(&["run", &outputs, "--check"]);
    assert_eq!(r.code(), 1, "{r}");
    // A documentation key: still a warning, with the suggestion.
    let docs = typo(
        "    description: REST adapter",
        "    descripton: REST adapter",
        "docs.yaml",
    );
    let v = common::naftiko(&["validate", &docs]);
    assert_eq!(v.code(), 0, "{v}");
    assert!(
        v.stdout.contains("warning[unknown-key]: unknown key `descripton` in a rest exposes block; did you mean `description`?"),
        "{v}"
    );
}
