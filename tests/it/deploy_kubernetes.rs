//! `deploy/kubernetes`: the manifests are valid Kubernetes objects (`kubernetes-validate
//! --strict`, PyPI, in the CI venv), the kustomization lists every one of them, the
//! ConfigMap holds the seed byte for byte, and the Deployment runs what it says: its
//! arguments build (`naftiko run --check`), its probes answer on the control port, the grace
//! period outlasts `--shutdown-grace`, and the pod runs non-root, read-only, with no
//! capabilities.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::common;
use common::serve::{Naftiko, client};

fn dir() -> PathBuf {
    common::root().join("deploy/kubernetes")
}

fn manifest(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

/// The resource files (every YAML file but the kustomization).
fn resources() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    names.sort();
    names
}

#[test]
fn the_manifests_are_valid_kubernetes_objects() {
    if !common::mcp_tools_installed() {
        return;
    }
    let validator = common::root().join(".ci/mcp-tools/venv/bin/kubernetes-validate");
    let files: Vec<PathBuf> = resources().iter().map(|n| dir().join(n)).collect();
    let out = Command::new(validator)
        .arg("--strict")
        .args(&files)
        .output()
        .expect("run kubernetes-validate");
    let report =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert_eq!(
        report.matches(" passed for resource ").count(),
        files.len(),
        "{report}"
    );
}

#[test]
fn the_kustomization_lists_every_manifest() {
    let k = manifest("kustomization.yaml");
    let mut listed: Vec<String> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    listed.sort();
    assert_eq!(listed, resources());
}

#[test]
fn the_configmap_holds_the_seed() {
    let cm = manifest("configmap.yaml");
    let seed =
        std::fs::read_to_string(common::root().join("capabilities/oauth2-tokens.yaml")).unwrap();
    assert_eq!(cm["data"]["oauth2-tokens.yaml"], Value::String(seed));
}

/// The container's arguments, with every address moved to loopback (tests listen nowhere
/// else) and the capabilities directory the ConfigMap stands for.
fn container_args(container: &Value) -> Vec<String> {
    container["args"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .map(|a| {
            a.replace("0.0.0.0:", "127.0.0.1:")
                .replace("/capabilities", "capabilities/oauth2-tokens.yaml")
        })
        .collect()
}

#[test]
fn the_deployment_runs_what_it_declares() {
    let d = manifest("deployment.yaml");
    let pod = &d["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args = container_args(container);
    assert_eq!(args[0], "run");
    // Its arguments build.
    let mut check: Vec<&str> = args.iter().map(String::as_str).collect();
    check.push("--check");
    let run = common::naftiko(&check);
    assert_eq!(run.code(), 0, "{run}");
    // The grace period outlasts --shutdown-grace.
    let grace = args
        .iter()
        .position(|a| a == "--shutdown-grace")
        .and_then(|i| args.get(i + 1))
        .and_then(|g| g.trim_end_matches('s').parse::<u64>().ok())
        .expect("--shutdown-grace in seconds");
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > grace);
    // Non-root, read-only, no capabilities, no privilege escalation.
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let sc = &container["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
    // The probes answer 200 on the control port of a running copy.
    let owned: Vec<String> = args[1..]
        .iter()
        .map(|a| a.replace(":9100", ":0").replace(":8080", ":0"))
        .collect();
    let run_args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let n = Naftiko::start(&run_args, &[]);
    let control = n.url_of("control");
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let path = container[probe]["httpGet"]["path"].as_str().unwrap();
        assert_eq!(container[probe]["httpGet"]["port"], "control", "{probe}");
        let r = client().get(format!("{control}{path}")).send().unwrap();
        assert_eq!(r.status(), 200, "{probe} {path}");
    }
    let scrape = &d["spec"]["template"]["metadata"]["annotations"];
    let metrics = client()
        .get(format!(
            "{control}{}",
            scrape["prometheus.io/path"].as_str().unwrap()
        ))
        .send()
        .unwrap();
    assert_eq!(metrics.status(), 200);
}
