//! `.pre-commit-hooks.yaml`: the `naftiko-validate-system` hook, tried with the real
//! `pre-commit` (PyPI, in the CI venv) on a sample repository with the naftiko this build
//! made on PATH, passes a commit whose capability is valid (other YAML files skipped) and
//! fails one whose capability has an error, showing the diagnostic.

use std::path::Path;
use std::process::Command;

use crate::common;

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pre-commit try-repo` of this checkout's hook on every file of `repo`: (passed, output).
fn try_hook(pre_commit: &Path, repo: &Path, cache: &Path) -> (bool, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_naftiko")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(pre_commit)
        .args([
            "try-repo",
            common::root().to_str().unwrap(),
            "naftiko-validate-system",
            "--all-files",
        ])
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pre-commit");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_hook_passes_valid_capabilities_and_fails_broken_ones() {
    if !common::mcp_tools_installed() {
        return;
    }
    let pre_commit = common::root().join(".ci/mcp-tools/venv/bin/pre-commit");
    let dir = common::Scratch::new("pre-commit");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let seed =
        std::fs::read_to_string(common::root().join("capabilities/oauth2-tokens.yaml")).unwrap();
    std::fs::write(repo.join("tokens.yaml"), &seed).unwrap();
    std::fs::write(repo.join("workflow.yml"), "name: ci\non: push\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "-m",
            "x",
        ],
    );
    let cache = dir.path().join("cache");

    let (passed, out) = try_hook(&pre_commit, &repo, &cache);
    assert!(passed, "{out}");
    assert!(out.contains("Passed"), "{out}");

    std::fs::write(
        repo.join("tokens.yaml"),
        seed.replace("method: POST", "method: POTS"),
    )
    .unwrap();
    git(&repo, &["add", "."]);
    let (passed, out) = try_hook(&pre_commit, &repo, &cache);
    assert!(!passed, "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("tokens.yaml:"), "{out}");
}
