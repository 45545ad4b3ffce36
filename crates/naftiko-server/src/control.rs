//! The control port: `/health/live`, `/health/ready`, `/status`, `/metrics` (Prometheus
//! text from the runtime's registry) and `/scripting` (`scripting.rs`). Ready means every listener is bound and serving and
//! the bindings resolved (a runtime only exists when they did); it turns false again while
//! shutting down, so a load balancer stops sending traffic before connections drain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use naftiko_engine::Runtime;
use serde_json::{Value, json};

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

/// The control port's routes, for the start-up log.
pub const ROUTES: [&str; 5] = [
    "GET /health/live",
    "GET /health/ready",
    "GET /status",
    "GET /metrics",
    "GET /scripting",
];

/// The axum router of the control port.
pub fn router(state: Arc<ControlState>) -> axum::Router {
    axum::Router::new()
        .route(
            "/health/live",
            get(|| async { json_response(StatusCode::OK, json!({"status": "UP"})) }),
        )
        .route("/health/ready", get(ready))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .route("/scripting", get(scripting).fallback(read_only))
        .fallback(|| async {
            crate::problem::problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "the control port serves /health/live, /health/ready, /status, /metrics and /scripting",
                serde_json::Map::new(),
            )
        })
        .with_state(state)
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn listeners(state: &ControlState) -> Vec<Value> {
    state
        .listeners
        .iter()
        .map(|(kind, ns, addr)| json!({"kind": kind, "namespaces": ns, "address": addr}))
        .collect()
}

async fn ready(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        json_response(
            StatusCode::OK,
            json!({"status": "UP", "listeners": listeners(&state)}),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "DOWN", "listeners": listeners(&state)}),
        )
    }
}

async fn status(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    let capabilities: Vec<Value> = state
        .runtime
        .capabilities()
        .iter()
        .map(|c| json!({"file": c.file.display().to_string(), "label": c.label, "naftiko": c.naftiko}))
        .collect();
    json_response(
        StatusCode::OK,
        json!({
            "status": if state.ready.load(Ordering::Acquire) { "UP" } else { "DOWN" },
            "version": env!("CARGO_PKG_VERSION"),
            "capabilities": capabilities,
            "listeners": listeners(&state),
            "uptimeSeconds": state.started.elapsed().as_secs_f64(),
            "reload": reload(&state.generations),
        }),
    )
}

async fn scripting(
    axum::extract::State(state): axum::extract::State<Arc<ControlState>>,
) -> Response {
    match crate::scripting::report(&state.runtime) {
        Some(body) => json_response(StatusCode::OK, body),
        None => crate::problem::problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "scripting is not configured: no capability has a script step or `management.scripting`",
            serde_json::Map::new(),
        ),
    }
}

/// `PUT /scripting` and the other methods: the settings are read from the files.
async fn read_only() -> Response {
    let mut r = crate::problem::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "/scripting is read only: change `management.scripting` in the capability file and restart or reload",
        serde_json::Map::new(),
    );
    r.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

/// The generation served and the last reload (`/status`'s `reload`).
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

async fn metrics(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    let mut r = (StatusCode::OK, state.runtime.metrics().encode()).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
