//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, server mode, run
//! by `.ci/mcp-tools/conformance.sh`) against `naftiko run tests/fixtures/run/mcp-conformance.yaml`
//! over Streamable HTTP on loopback, once per protocol era against the same process: the
//! requirement set of 2025-11-25 (the `initialize` handshake and sessions) and that of
//! 2026-07-28 (stateless: per-request `_meta`, `server/discover`, the standard headers).
//!
//! The fixture provides every scenario a capability can pass (SCENARIOS.md §4): a mock tool, a
//! tool whose upstream is unreachable, a static resource directory served as `test://static-text`,
//! a resource template backed by a recording echo upstream, and two prompts. Every scenario
//! that naftiko does not support by design is listed, with the reason, in
//! `.ci/mcp-tools/expected-failures.yml`; the suite fails the run on any other failure and on a
//! listed scenario that passes.
//!
//! Needs `.ci/mcp-tools/node_modules` (`.ci/mcp-tools/install.sh`, which `.ci/run` calls).
//! Without it the test prints `SKIPPED: …` and passes, except under CI (env `CI` set), where it
//! fails ([`common::skip_or_fail`]).

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::serve::{Naftiko, Reply, Upstream, dead_address};
use serde_json::json;

const FIXTURE: &str = "tests/fixtures/run/mcp-conformance.yaml";
const BASELINE: &str = ".ci/mcp-tools/expected-failures.yml";
/// A hang guard for the suite (a whole run takes a few seconds), not a timing assertion.
const SUITE_WATCHDOG: Duration = Duration::from_secs(300);

/// What one run of the suite printed.
struct SuiteRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `conformance.sh URL ARGS` in the workspace root (output under `out`), killing it if it
/// hangs.
fn conformance(url: &str, args: &[&str], out: &Path) -> SuiteRun {
    let mut cmd = Command::new(common::root().join(".ci/mcp-tools/conformance.sh"));
    cmd.arg(url)
        .args(args)
        .current_dir(common::root())
        .env("CONFORMANCE_OUT", out)
        .env("NO_COLOR", "1");
    let run = common::run_command(&mut cmd, SUITE_WATCHDOG, "conformance.sh");
    SuiteRun {
        code: run.status.code(),
        stdout: run.stdout,
        stderr: run.stderr,
    }
}

/// `(checks passed, checks failed)` from the suite's `Total: X passed, Y failed` line.
fn totals(stdout: &str) -> Option<(u32, u32)> {
    let line = stdout.lines().rev().find(|l| l.starts_with("Total:"))?;
    let mut numbers = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().unwrap());
    Some((numbers.next()?, numbers.next()?))
}

/// `(scenarios passed, scenarios failed)` from the summary's `✓ id: …` / `✗ id: …` lines.
fn scenarios(stdout: &str) -> (Vec<String>, Vec<String>) {
    let summary = stdout.split("=== SUMMARY ===").nth(1).unwrap_or(stdout);
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for line in summary.lines() {
        let Some((id, rest)) = line.split_once(": ") else {
            continue;
        };
        if !rest.contains(" passed, ") {
            continue;
        }
        if let Some(id) = id.strip_prefix("✓ ") {
            passed.push(id.to_owned());
        } else if let Some(id) = id.strip_prefix("✗ ") {
            failed.push(id.to_owned());
        }
    }
    (passed, failed)
}

#[test]
fn the_fixture_validates_with_no_errors() {
    let run = common::naftiko(&["validate", FIXTURE]);
    run.assert_no_panic();
    assert_eq!(run.code(), 0, "{run}");
    assert!(
        run.stdout.contains(": 0 errors") || run.stderr.contains(": 0 errors"),
        "{run}"
    );
}

/// The requirement sets run, one per era (`--requirements REVISION`).
const ERAS: [&str; 2] = ["2025-11-25", "2026-07-28"];

#[test]
fn the_official_conformance_suite_passes_with_the_baseline_in_both_eras() {
    if !common::mcp_tools_installed() {
        return;
    }
    // The template resource's upstream: echoes the path it was asked for, so the id reaches
    // the resource's text.
    let echo = Upstream::start(|seen| Reply::json(json!({"path": seen.path()})));
    let base_echo = format!("echo={}", echo.url());
    let base_down = format!("down={}", dead_address());
    let naftiko = Naftiko::start(
        &[
            FIXTURE,
            "--listen",
            "conformance=127.0.0.1:0",
            "--base-uri",
            &base_echo,
            "--base-uri",
            &base_down,
        ],
        &[],
    );
    let (namespaces, addr) = naftiko.listeners[0].clone();
    assert!(namespaces.contains("[mcp at /mcp]"), "{namespaces}");
    let url = format!("http://{addr}/mcp");
    for era in ERAS {
        let out = common::Scratch::new("mcp-conformance");
        let run = conformance(
            &url,
            &["--requirements", era, "--expected-failures", BASELINE],
            out.path(),
        );
        report(era, &run);
        assert_eq!(
            run.code,
            Some(0),
            "the conformance suite ({era}) failed against its baseline ({BASELINE})\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- naftiko ---\n{}",
            run.stdout,
            run.stderr,
            naftiko.logs()
        );
    }
    assert!(
        echo.seen().iter().any(|s| s.path() == "/items/123"),
        "resources-templates-read must reach the echo upstream with id 123: {:?}",
        echo.seen()
    );
    // The 2026-07-28 run is stateless: its requests name their revision in `_meta`, and
    // naftiko's access lines say so.
    let logs = naftiko.logs();
    assert!(
        logs.lines().any(|l| l.contains("mcp request")
            && l.contains("rpc_method=\"server/discover\"")
            && l.contains("protocol_version=\"2026-07-28\"")),
        "no 2026-07-28 server/discover reached naftiko\n{logs}"
    );
}

/// Prints one era's figures (scenarios and checks passed and failed).
fn report(era: &str, run: &SuiteRun) {
    let (passed, failed) = scenarios(&run.stdout);
    let (checks_passed, checks_failed) = totals(&run.stdout).unwrap_or_else(|| {
        panic!(
            "no `Total:` line in the suite's output ({era})\n{}\n{}",
            run.stdout, run.stderr
        )
    });
    println!(
        "MCP conformance (--requirements {era}): {} scenarios passed, {} failed; checks: {checks_passed} passed, {checks_failed} failed",
        passed.len(),
        failed.len()
    );
    println!("passed: {}", passed.join(", "));
    println!("failed: {}", failed.join(", "));
}
