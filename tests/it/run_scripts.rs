//! Script steps end to end (`tests/fixtures/run/scripts.yaml`, its scripts under
//! `scripts-files/`): JavaScript run in naftiko's sandbox over a real upstream's answer, with
//! a dependency and `with` values; the control adapter's `management.scripting` defaults;
//! hostile scripts (an endless loop, huge allocations, endless recursion, an exception, a
//! script that outlives its timeout) each answering its own problem promptly while the
//! server keeps serving; and what `validate` and `run` refuse: python and groovy, languages
//! `allowedLanguages` leaves out, files outside the scripts directory (`..`, absolute paths,
//! symbolic links). Scripting disabled answers 501.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client};

const FILE: &str = "tests/fixtures/run/scripts.yaml";

/// The roster upstream: two users and a bot.
fn roster() -> Upstream {
    Upstream::start(|seen| match seen.path() {
        "/members" => Reply::json(json!([
            {"login": "alice", "id": 1, "type": "User"},
            {"login": "robo", "id": 2, "type": "Bot"},
            {"login": "bob", "id": 3, "type": "User"}
        ])),
        _ => Reply::status_json(404, json!({"error": "not found"})),
    })
}

/// `file` served against `up`, the control port on a free port.
fn start(file: &str, up: &Upstream, env: &[(&str, &str)]) -> Naftiko {
    let base = format!("roster={}", up.url());
    Naftiko::start(
        &[
            file,
            "--base-uri",
            &base,
            "--listen",
            "roster-api=127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
        ],
        env,
    )
}

/// `http://ADDR` of the REST listener.
fn rest_url(n: &Naftiko) -> String {
    let (_, addr) = n
        .listeners
        .iter()
        .find(|(ns, _)| ns.contains("roster-api"))
        .expect("a REST listener");
    format!("http://{addr}")
}

fn get(n: &Naftiko, path: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let r = client()
        .get(format!("{}{path}", rest_url(n)))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body = r.json::<Value>().unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

/// The absolute `file://` URI of the fixture's scripts directory.
fn scripts_uri() -> String {
    let dir = common::root().join("tests/fixtures/run/scripts-files");
    format!("file://{}", dir.display())
}

/// The fixture's text with its scripts directory made absolute (for copies in scratch
/// directories) and each `(from, to)` replaced.
fn variant(replacements: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(common::root().join(FILE))
        .unwrap()
        .replace("file:///./scripts-files", &scripts_uri());
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    text
}

/// The `location` line of the fixture's first script step, in a [`variant`].
fn step_location() -> String {
    format!("location: \"{}\"", scripts_uri())
}

#[test]
fn the_scripts_fixture_validates_without_findings() {
    let run = common::naftiko(&["validate", "--strict", "--deny-warnings", FILE]);
    assert_eq!(run.code(), 0, "{run}");
}

#[test]
fn a_script_reshapes_a_call_steps_answer_and_uses_the_scripting_defaults() {
    let up = roster();
    let n = start(FILE, &up, &[]);
    // A call step, then a script with a dependency and `with` values.
    let (status, body, _) = get(&n, "/active?type=User");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "label": "crew",
            "requested": "User",
            "members": [{"login": "alice", "id": 1}, {"login": "bob", "id": 3}]
        })
    );
    let (_, body, _) = get(&n, "/active?type=Bot");
    assert_eq!(body["members"], json!([{"login": "robo", "id": 2}]));
    // No language or location on the step: the control adapter's defaults; the last
    // step's result is the answer.
    let (status, body, _) = get(&n, "/summary");
    assert_eq!((status, body), (200, json!({"User": 2, "Bot": 1})));
}

#[test]
fn the_control_port_reports_scripting_settings_and_counts_read_only() {
    let up = roster();
    let n = start(FILE, &up, &[]);
    let control = n.url_of("control");
    let before: Value = client()
        .get(format!("{control}/scripting"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(before["enabled"], json!(true), "{before}");
    assert_eq!(before["timeout"], json!(5000));
    assert_eq!(before["statementLimit"], json!(1_000_000));
    assert_eq!(before["memoryLimit"], json!(64 << 20));
    assert_eq!(before["defaultLanguage"], json!("javascript"));
    assert_eq!(before["defaultLocation"], json!("file:///./scripts-files"));
    assert_eq!(before["stats"]["totalExecutions"], json!(0));
    assert!(before["stats"].get("lastExecutionAt").is_none());
    let steps = before["scriptSteps"].as_u64().unwrap();
    assert!(steps >= 6, "{before}");
    assert_eq!(before["capabilities"][0]["file"], json!(FILE));

    assert_eq!(get(&n, "/summary").0, 200);
    assert_eq!(get(&n, "/active?type=User").0, 200);
    assert_eq!(get(&n, "/hostile/throws").0, 500);
    let out = common::naftiko(&[
        "scripting",
        "--control",
        control.trim_start_matches("http://"),
    ]);
    assert_eq!(out.code(), 0, "{out}");
    let after: Value = serde_json::from_str(&out.stdout).unwrap();
    let stats = &after["stats"];
    assert_eq!(stats["totalExecutions"], json!(3), "{after}");
    assert_eq!(stats["totalErrors"], json!(1), "{after}");
    assert!(
        stats["averageDurationMs"].as_f64().unwrap() > 0.0,
        "{after}"
    );
    let at = stats["lastExecutionAt"].as_str().unwrap();
    assert!(at.starts_with("20") && at.ends_with('Z'), "{at}");

    let put = client()
        .put(format!("{control}/scripting"))
        .json(&json!({"enabled": false}))
        .send()
        .unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, HEAD");
    assert_eq!(get(&n, "/summary").0, 200, "still enabled");
}

#[test]
fn scripting_is_not_found_without_scripts() {
    let n = Naftiko::start(
        &[
            "capabilities/oauth2-tokens.yaml",
            "--listen",
            "oauth2-tokens-rest=127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
        ],
        &[],
    );
    let control = n.url_of("control");
    let r = client().get(format!("{control}/scripting")).send().unwrap();
    assert_eq!(r.status(), 404);
    let out = common::naftiko(&[
        "scripting",
        "--control",
        control.trim_start_matches("http://"),
    ]);
    assert_eq!(out.code(), 1, "{out}");
}

#[test]
fn hostile_scripts_end_in_their_limits_problem_and_the_server_keeps_serving() {
    let up = roster();
    let n = start(FILE, &up, &[]);
    let cases = [
        ("spin", "script-statement-limit", "1000000"),
        ("hog", "script-memory-limit", "64 MiB"),
        ("double", "script-memory-limit", "64 MiB"),
        ("recurse", "script-stack-overflow", "stack limit"),
        ("throws", "script-failed", "hostile/throws.js:3"),
    ];
    for (script, kind, says) in cases {
        let (status, problem, took) = get(&n, &format!("/hostile/{script}"));
        assert_eq!(status, 500, "{script}: {problem}");
        assert_eq!(
            problem["type"],
            json!(format!("urn:naftiko:problem:{kind}")),
            "{script}: {problem}"
        );
        assert_eq!(problem["step"], json!(script), "{problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("script step `{script}`")) && detail.contains(says),
            "{script}: {problem}"
        );
        assert!(took < Duration::from_secs(5), "{script} took {took:?}");
        // The next request is served as usual.
        let (status, body, _) = get(&n, "/summary");
        assert_eq!(
            (status, body),
            (200, json!({"User": 2, "Bot": 1})),
            "after {script}"
        );
    }
    let logs = n.logs();
    assert!(!logs.contains("panicked"), "{logs}");
}

#[test]
fn a_script_that_outlives_its_timeout_does_not_hold_up_other_requests() {
    let dir = common::Scratch::new("scripts-timeout");
    let path = dir.write(
        "scripts.yaml",
        variant(&[
            ("timeout: 5000", "timeout: 1500"),
            (
                "statementLimit: 1000000",
                "statementLimit: 1000000000000000",
            ),
        ]),
    );
    let up = roster();
    let n = start(path.to_str().unwrap(), &up, &[]);
    let url = rest_url(&n);
    let spinning = std::thread::spawn(move || {
        let started = Instant::now();
        let r = client().get(format!("{url}/hostile/spin")).send().unwrap();
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap(),
            started.elapsed(),
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    // While the script spins, other requests (scripts too) are answered at once.
    let (status, _, took) = get(&n, "/summary");
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(1000), "{took:?}");
    let (status, problem, took) = spinning.join().unwrap();
    assert_eq!(status, 500, "{problem}");
    assert_eq!(problem["type"], json!("urn:naftiko:problem:script-timeout"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("1500 ms"),
        "{problem}"
    );
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(get(&n, "/summary").0, 200);
}

#[test]
fn scripting_disabled_answers_501_and_validate_warns() {
    let dir = common::Scratch::new("scripts-disabled");
    let path = dir.write(
        "scripts.yaml",
        variant(&[("enabled: true", "enabled: false")]),
    );
    let path = path.to_str().unwrap();
    let run = common::naftiko(&["validate", "--color", "never", path]);
    assert_eq!(run.code(), 0, "{run}");
    assert!(run.stdout.contains("warning[script-disabled]"), "{run}");
    let up = roster();
    let n = start(path, &up, &[]);
    let (status, problem, _) = get(&n, "/summary");
    assert_eq!(status, 501, "{problem}");
    assert_eq!(
        problem["type"],
        json!("urn:naftiko:problem:script-disabled")
    );
    assert!(
        up.seen().len() <= 1,
        "the call step before it ran at most once"
    );
}

/// `validate` and `run --check` of a variant both refuse it, with `rule` at every line of
/// `lines`.
fn refused(text: &str, rule: &str, lines: &[&str]) {
    let dir = common::Scratch::new("scripts-refused");
    let path = dir.write("scripts.yaml", text);
    let path = path.to_str().unwrap();
    let run = common::naftiko(&["validate", "--color", "never", path]);
    run.assert_no_panic();
    assert_eq!(run.code(), 1, "{run}");
    let found: Vec<&str> = run
        .diagnostic_lines()
        .into_iter()
        .filter(|l| l.contains(&format!("error[{rule}]")))
        .collect();
    assert_eq!(found.len(), lines.len(), "{rule}: {found:#?}\n{run}");
    for (line, wanted) in found.iter().zip(lines) {
        assert!(line.contains(wanted), "{line} lacks {wanted}");
    }
    let base = "roster=http://127.0.0.1:9".to_owned();
    let check = common::naftiko(&["run", "--check", path, "--base-uri", &base]);
    check.assert_no_panic();
    assert_eq!(check.code(), 1, "{check}");
    assert!(
        check.stdout.contains(rule) || check.stderr.contains(rule),
        "{check}"
    );
}

#[test]
fn python_and_groovy_are_refused() {
    refused(
        &variant(&[("language: \"javascript\"", "language: \"python\"")]),
        "script-language-unsupported",
        &["`python` scripts cannot run"],
    );
    // Through the default (one finding at the default, for the six steps that use it).
    refused(
        &variant(&[(
            "defaultLanguage: \"javascript\"",
            "defaultLanguage: \"groovy\"",
        )]),
        "script-language-unsupported",
        &["`groovy` scripts cannot run"],
    );
    // At the step's own language, and at the default the others use.
    refused(
        &variant(&[("- \"javascript\"", "- \"python\"")]),
        "script-language-not-allowed",
        &["`javascript` is not one of"; 2],
    );
}

#[test]
fn script_files_outside_the_scripts_directory_are_refused() {
    let dir = common::Scratch::new("scripts-escape");
    dir.write("outside.js", "result = 'outside';");
    dir.write("scripts/ok.js", "result = 1;");
    std::os::unix::fs::symlink(
        dir.path().join("outside.js"),
        dir.path().join("scripts/link.js"),
    )
    .unwrap();
    let location = format!(
        "location: \"file://{}\"",
        dir.path().join("scripts").display()
    );
    let text = variant(&[
        (&step_location(), &location),
        ("file: \"active-members.js\"", "file: \"../outside.js\""),
        (
            "- \"lib/array-utils.js\"",
            "- \"link.js\"\n                    - \"/etc/hostname\"\n                    - \"missing.js\"\n                    - \"ok.js\"",
        ),
    ]);
    refused(
        &text,
        "script-file",
        &[
            "`../outside.js` is not a safe relative path",
            "`link.js` leads outside",
            "`/etc/hostname` is not a safe relative path",
            "no file `missing.js`",
        ],
    );
}

#[test]
fn a_secret_a_script_throws_is_redacted() {
    const TOKEN: &str = "tok-5ecret-script-value-44";
    let dir = common::Scratch::new("scripts-secret");
    dir.write("scripts/lib/array-utils.js", "");
    dir.write(
        "scripts/leak.js",
        "throw new Error('token ' + context.label);",
    );
    let location = format!(
        "location: \"file://{}\"",
        dir.path().join("scripts").display()
    );
    let text = variant(&[
        (
            "capability:\n",
            "binds:\n  - namespace: \"env\"\n    keys:\n      SCRIPT_TOKEN: \"SCRIPT_TOKEN\"\n\ncapability:\n",
        ),
        ("label: \"crew\"", "label: \"{{SCRIPT_TOKEN}}\""),
        (&step_location(), &location),
        ("file: \"active-members.js\"", "file: \"leak.js\""),
    ]);
    let path = dir.write("scripts.yaml", text);
    let up = roster();
    let n = start(path.to_str().unwrap(), &up, &[("SCRIPT_TOKEN", TOKEN)]);
    let (status, problem, _) = get(&n, "/active?type=User");
    assert_eq!(status, 500, "{problem}");
    assert_eq!(problem["type"], json!("urn:naftiko:problem:script-failed"));
    let shown = problem.to_string();
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!n.logs().contains(TOKEN), "{}", n.logs());
}
