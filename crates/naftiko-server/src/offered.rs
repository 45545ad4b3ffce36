//! What each listener offers, for the control port's status document: REST routes and
//! `forward`s, MCP tools, resources and prompts, skills and the control port's own
//! endpoints, each with the name of the authentication scheme that guards it (`bearer`,
//! `none`, …; never a credential), and the operations whose requests the metrics count.

use std::sync::Arc;

use naftiko_engine::Runtime;
use naftiko_engine::guard::Guard;
use serde_json::{Value, json};

/// The control port's endpoints, as `METHOD path` (the start-up log and `/status`).
pub(crate) const CONTROL_ENDPOINTS: [&str; 6] = [
    "GET /",
    "GET /health/live",
    "GET /health/ready",
    "GET /status",
    "GET /metrics",
    "GET /scripting",
];

/// The scheme name of the authentication `guard` enforces; `none` without one.
fn auth(guard: Option<&Arc<Guard>>) -> &'static str {
    guard.map_or("none", |g| g.scheme_name())
}

/// One thing served: its `kind` (`route`, `forward`, `tool`, `resource`, `prompt`,
/// `skill`, `endpoint`), its name, what it calls when that is known, and its `auth`.
fn entry(namespace: &str, kind: &str, name: &str, target: Option<&str>, auth: &str) -> Value {
    json!({
        "namespace": namespace,
        "kind": kind,
        "name": name,
        "target": target,
        "auth": auth,
    })
}

/// What a listener of `kind` serving `namespaces` serves, in declaration order.
pub(crate) fn entries(runtime: &Runtime, kind: &str, namespaces: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for ns in namespaces {
        match kind {
            "rest" => rest(runtime, ns, &mut out),
            "mcp" => mcp(runtime, ns, &mut out),
            "skill" => {
                for s in runtime
                    .skill_services()
                    .iter()
                    .filter(|s| s.namespace == *ns)
                {
                    let a = auth(s.guard.as_ref());
                    out.extend(
                        s.skills
                            .iter()
                            .map(|k| entry(ns, "skill", &k.name, None, a)),
                    );
                }
            }
            "control" => {
                let a = auth(runtime.control_service().and_then(|c| c.guard.as_ref()));
                out.extend(
                    CONTROL_ENDPOINTS
                        .iter()
                        .map(|e| entry(ns, "endpoint", e, None, a)),
                );
            }
            _ => {}
        }
    }
    out
}

/// A REST block's routes (with the operation each calls) and its `forward`s.
fn rest(runtime: &Runtime, ns: &str, out: &mut Vec<Value>) {
    for s in runtime.rest_services().iter().filter(|s| s.namespace == ns) {
        for r in &s.routes {
            let target = runtime
                .operation(r.op)
                .map(|o| o.call.clone().unwrap_or_else(|| o.name.clone()));
            let name = format!("{} {}", r.method, r.path);
            let a = auth(r.guard.as_ref());
            out.push(entry(ns, "route", &name, target.as_deref(), a));
        }
        for f in &s.forwards {
            let name = format!("* {}", f.path);
            let a = auth(f.guard.as_ref());
            out.push(entry(ns, "forward", &name, Some(&f.target), a));
        }
    }
}

/// An MCP block's tools, resources and prompts.
fn mcp(runtime: &Runtime, ns: &str, out: &mut Vec<Value>) {
    for s in runtime.mcp_services().iter().filter(|s| s.namespace == ns) {
        let a = auth(s.guard.as_ref());
        for t in &s.tools {
            let target = runtime
                .operation(t.op)
                .and_then(|o| o.call.clone().or_else(|| Some(o.name.clone())));
            out.push(entry(ns, "tool", &t.name, target.as_deref(), a));
        }
        out.extend(
            s.resources
                .iter()
                .map(|r| entry(ns, "resource", &r.uri, None, a)),
        );
        out.extend(
            s.prompts
                .iter()
                .map(|p| entry(ns, "prompt", &p.name, None, a)),
        );
    }
}

/// Every operation the metrics count requests of, as `(adapter, label)`: each REST route
/// (`METHOD path`) and each MCP tool (its name), in declaration order, once each.
pub(crate) fn operations(runtime: &Runtime) -> Vec<(&'static str, String)> {
    let rest = runtime
        .rest_services()
        .iter()
        .flat_map(|s| &s.routes)
        .map(|r| ("rest", format!("{} {}", r.method, r.path)));
    let mcp = runtime
        .mcp_services()
        .iter()
        .flat_map(|s| &s.tools)
        .map(|t| ("mcp", t.name.clone()));
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for op in rest.chain(mcp) {
        if !out.contains(&op) {
            out.push(op);
        }
    }
    out
}
