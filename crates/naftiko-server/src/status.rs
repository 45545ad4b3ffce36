//! The control port's status document: ONE JSON value, made by [`document`], that
//! `GET /status` answers and the page at `GET /` (`status_page.rs`) renders, so both always
//! say the same. It holds the version, uptime and readiness, the capabilities, the
//! listeners with what each serves and its authentication (`offered.rs`), the request and
//! error counts per operation and the health of each consumed API (from the runtime's
//! metrics, read as numbers, [`naftiko_engine::metrics::Tally`]). A hot reload adds a
//! `reload` object (`generation`, `at`, `outcome`, `error`) that the page shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use naftiko_engine::Runtime;
use naftiko_engine::metrics::Tally;
use serde_json::{Map, Value, json};

/// Shared facts the control port reports.
#[derive(Debug)]
pub struct ControlState {
    /// The runtime.
    pub runtime: Arc<Runtime>,
    /// True while every listener serves.
    pub ready: Arc<AtomicBool>,
    /// When serving started.
    pub started: Instant,
    /// `(kind, namespaces, address)` of every listener.
    pub listeners: Vec<(String, Vec<String>, String)>,
    /// The generation served and the last reload.
    pub generations: Arc<crate::generation::Generations>,
}

/// Every listener as `{kind, namespaces, address}` (`/health/ready`).
pub fn listeners(state: &ControlState) -> Vec<Value> {
    state
        .listeners
        .iter()
        .map(|(kind, ns, addr)| json!({"kind": kind, "namespaces": ns, "address": addr}))
        .collect()
}

/// The status document (`GET /status`, and what the page at `GET /` renders).
pub fn document(state: &ControlState) -> Value {
    let runtime = &state.runtime;
    let listeners: Vec<Value> = state
        .listeners
        .iter()
        .map(|(kind, ns, addr)| {
            json!({
                "kind": kind,
                "namespaces": ns,
                "address": addr,
                "serves": crate::offered::entries(runtime, kind, ns),
            })
        })
        .collect();
    json!({
        "status": if state.ready.load(Ordering::Acquire) { "UP" } else { "DOWN" },
        "version": env!("CARGO_PKG_VERSION"),
        "capabilities": capabilities(runtime),
        "listeners": listeners,
        "operations": operations(runtime),
        "upstreams": upstreams(runtime),
        "uptimeSeconds": state.started.elapsed().as_secs_f64(),
        "reload": reload(&state.generations),
    })
}

/// The generation served and the last reload (`reload`): `generation`, and after a
/// reload `at`, `outcome` (`ok`, `failed`) and `error`.
fn reload(generations: &crate::generation::Generations) -> Value {
    let mut out = json!({"generation": generations.current()});
    if let Some(last) = generations.last() {
        let mut at = String::new();
        crate::clock::push_rfc3339_micros(&mut at, last.at);
        out["at"] = json!(at);
        out["outcome"] = json!(if last.generation.is_some() {
            "ok"
        } else {
            "failed"
        });
        if let Some(e) = last.error {
            out["error"] = json!(e);
        }
    }
    out
}

/// Each capability file: its path, `label`, format version and consumed namespaces.
fn capabilities(runtime: &Runtime) -> Vec<Value> {
    runtime
        .capabilities()
        .iter()
        .map(|c| {
            json!({
                "file": c.file.display().to_string(),
                "label": c.label,
                "naftiko": c.naftiko,
                "consumes": c.consumes,
            })
        })
        .collect()
}

/// The counts of every operation served (zeros until its first request), then of every
/// other label the metrics counted (`-` for paths no route matches, methods a route does
/// not serve).
fn operations(runtime: &Runtime) -> Vec<Value> {
    let mut counted = runtime.metrics().operations();
    let mut out = Vec::new();
    for (adapter, name) in crate::offered::operations(runtime) {
        let at = counted
            .iter()
            .position(|(a, n, _)| *a == adapter && *n == name);
        let tally = at.map(|i| counted.remove(i).2).unwrap_or_default();
        out.push(operation(adapter, &name, &tally));
    }
    out.extend(counted.iter().map(|(a, n, t)| operation(a, n, t)));
    out
}

fn operation(adapter: &str, name: &str, tally: &Tally) -> Value {
    let mut o = Map::new();
    o.insert("adapter".to_owned(), json!(adapter));
    o.insert("operation".to_owned(), json!(name));
    o.extend(counts(tally));
    Value::Object(o)
}

/// Each consumed API's calls: every namespace a capability consumes (zeros until its first
/// call), then any other the metrics counted.
fn upstreams(runtime: &Runtime) -> Vec<Value> {
    let mut counted = runtime.metrics().upstreams();
    let mut names: Vec<&str> = Vec::new();
    for ns in runtime.capabilities().iter().flat_map(|c| &c.consumes) {
        if !names.contains(&ns.as_str()) {
            names.push(ns);
        }
    }
    let mut out = Vec::new();
    for ns in names {
        let at = counted.iter().position(|(n, _)| n == ns);
        let tally = at.map(|i| counted.remove(i).1).unwrap_or_default();
        out.push(upstream(ns, &tally));
    }
    out.extend(counted.iter().map(|(n, t)| upstream(n, t)));
    out
}

fn upstream(namespace: &str, tally: &Tally) -> Value {
    let mut o = Map::new();
    o.insert("namespace".to_owned(), json!(namespace));
    o.extend(counts(tally));
    Value::Object(o)
}

/// `requests`, `errors`, `statuses` (status → count; `0`: no answer), `lastStatus` and
/// `lastError` (the kind of the last failure), `null` until there is one.
fn counts(t: &Tally) -> Map<String, Value> {
    let statuses: Map<String, Value> = t
        .statuses
        .iter()
        .map(|(s, n)| (s.to_string(), json!(n)))
        .collect();
    let mut o = Map::new();
    o.insert("requests".to_owned(), json!(t.requests));
    o.insert("errors".to_owned(), json!(t.errors));
    o.insert("statuses".to_owned(), Value::Object(statuses));
    o.insert("lastStatus".to_owned(), json!(t.last_status));
    o.insert("lastError".to_owned(), json!(t.last_error));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_name_every_field_with_nulls_before_the_first_request() {
        let empty = Value::Object(counts(&Tally::default()));
        assert_eq!(
            empty,
            json!({"requests": 0, "errors": 0, "statuses": {}, "lastStatus": null, "lastError": null})
        );
        let t = Tally {
            requests: 3,
            errors: 1,
            statuses: vec![(0, 1), (200, 2)],
            last_status: Some(0),
            last_error: Some("upstream-timeout".to_owned()),
        };
        assert_eq!(
            Value::Object(counts(&t)),
            json!({"requests": 3, "errors": 1, "statuses": {"0": 1, "200": 2},
                   "lastStatus": 0, "lastError": "upstream-timeout"})
        );
    }
}
