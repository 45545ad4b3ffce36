//! The control port's router: `/` (the page for people, `status_page.rs`), `/health/live`,
//! `/health/ready`, `/status` (the status document, `status.rs`), `/metrics` (Prometheus
//! text from the runtime's registry) and `/scripting` (`scripting.rs`). Ready means every
//! listener is bound and serving and the bindings resolved (a runtime only exists when they
//! did); it turns false again while shutting down, so a load balancer stops sending traffic
//! before connections drain.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

pub use crate::status::ControlState;

/// The page's policy: nothing loads, nothing runs; only its own inline style applies.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The axum router of the control port.
pub fn router(state: Arc<ControlState>) -> axum::Router {
    axum::Router::new()
        .route("/", get(page))
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
                "the control port serves /, /health/live, /health/ready, /status, /metrics and /scripting",
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

async fn ready(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    if state.ready.load(Ordering::Acquire) {
        json_response(
            StatusCode::OK,
            json!({"status": "UP", "listeners": crate::status::listeners(&state)}),
        )
    } else {
        json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "DOWN", "listeners": crate::status::listeners(&state)}),
        )
    }
}

async fn status(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    json_response(StatusCode::OK, crate::status::document(&state))
}

/// `GET /` (and `HEAD /`): the status document as a page, never cached, with a policy that
/// lets no script run.
async fn page(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    let body = crate::status_page::render(&crate::status::document(&state));
    let mut r = (StatusCode::OK, body).into_response();
    let headers = r.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
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

async fn metrics(axum::extract::State(state): axum::extract::State<Arc<ControlState>>) -> Response {
    let mut r = (StatusCode::OK, state.runtime.metrics().encode()).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
