//! The REST adapter: one generic handler that matches the route, reads the request into an
//! engine [`Inbound`], calls [`Runtime::invoke`] and writes the outcome or a problem, logging
//! one line per request (method, route, status, upstream status, latency; never values).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Request, StatusCode};
use naftiko_engine::{DirectRequest, Inbound, InboundBody, OutcomeBody, Runtime};
use serde_json::Map;

use crate::access::{self, AccessLine, AccessSink};
use crate::problem::{self, from_error};
use crate::router::{Match, Router};

/// What the handler of one listener needs.
#[derive(Debug)]
pub struct RestApp {
    /// The engine.
    pub runtime: Arc<Runtime>,
    /// The routes served on this listener.
    pub router: Router,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Time allowed to receive a body (408 after it).
    pub body_timeout: std::time::Duration,
    /// Requests answered at once, shared by every listener (503 beyond it).
    pub limit: Arc<tokio::sync::Semaphore>,
    /// Where access lines go (`tracing` events when `None`).
    pub access: Option<Arc<dyn AccessSink>>,
}

/// An axum router serving `app` for every path.
pub fn router(app: Arc<RestApp>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

/// Records a request that ends without an answer (the caller went away and its future was
/// dropped) as status 499, in the access log and the metrics.
struct Unanswered<'a> {
    metrics: &'a naftiko_engine::metrics::Metrics,
    access: Option<&'a dyn AccessSink>,
    method: http::Method,
    route: &'a str,
    operation: &'a str,
    started: Instant,
    answered: bool,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        self.metrics.request(
            "rest",
            self.operation,
            499,
            Some("client-closed"),
            self.started.elapsed(),
        );
        access::record(
            self.access,
            AccessLine {
                method: self.method.as_str(),
                route: self.route,
                status: 499,
                upstream_status: -1,
                latency_ms: access::millis(self.started.elapsed()),
                message: "request abandoned by the client",
            },
        );
    }
}

/// The metrics label of a request: `METHOD route`, or `-` when no route matched.
fn operation_label(method: &http::Method, route: &str) -> String {
    if route == "-" {
        return route.to_owned();
    }
    // Pushed rather than `format!`ed: this runs on every request.
    let mut label = String::with_capacity(method.as_str().len() + 1 + route.len());
    label.push_str(method.as_str());
    label.push(' ');
    label.push_str(route);
    label
}

/// A request body: still to be read (hyper), or already read ([`crate::h1`]).
pub(crate) enum RequestBody {
    /// To be read, within the body limit and timeout.
    Stream(Body),
    /// Read, within them.
    Read(bytes::Bytes),
}

/// Answers one request on the hyper path.
pub(crate) async fn handle(State(app): State<Arc<RestApp>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    serve(&app, parts, RequestBody::Stream(body)).await
}

/// Answers one request (the hyper path and [`crate::h1`] both come here).
pub(crate) async fn serve(
    app: &RestApp,
    parts: http::request::Parts,
    body: RequestBody,
) -> Response {
    let started = Instant::now();
    let method = parts.method.clone();
    let metrics = app.runtime.metrics();
    let Ok(_permit) = app.limit.try_acquire() else {
        metrics.request("rest", "-", 503, Some("overloaded"), started.elapsed());
        return problem::overloaded();
    };
    let found = app.router.find(&method, parts.uri.path());
    let (route, operation): (&str, Cow<'_, str>) = match &found {
        Match::Found {
            route,
            label: Some(label),
            ..
        } => (route, Cow::Borrowed(*label)),
        Match::Found { route, .. } | Match::MethodNotAllowed { route, .. } => {
            (route, Cow::Owned(operation_label(&method, route)))
        }
        Match::BadPath | Match::NotFound => ("-", Cow::Borrowed("-")),
    };
    let mut record = Unanswered {
        metrics,
        access: app.access.as_deref(),
        method: method.clone(),
        route,
        operation: &operation,
        started,
        answered: false,
    };
    let in_flight = metrics.start();
    let (response, upstream) = respond(app, parts, body, found).await;
    record.answered = true;
    drop(in_flight);
    let status = response.status().as_u16();
    let kind = response
        .extensions()
        .get::<problem::ProblemKind>()
        .map(|k| k.0.as_str())
        .or((status >= 400).then_some("upstream-status"));
    metrics.request("rest", &operation, status, kind, started.elapsed());
    access::record(
        app.access.as_deref(),
        AccessLine {
            method: method.as_str(),
            route,
            status,
            upstream_status: upstream.map(i64::from).unwrap_or(-1),
            latency_ms: access::millis(started.elapsed()),
            message: "request",
        },
    );
    response
}

/// 413: the body is larger than the limit.
pub(crate) fn body_too_large(max_body_bytes: usize) -> Response {
    problem::problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        &format!("the request body is larger than {max_body_bytes} bytes"),
        Map::new(),
    )
}

/// 408: the body did not arrive in time.
pub(crate) fn body_timeout(timeout: std::time::Duration) -> Response {
    problem::problem(
        StatusCode::REQUEST_TIMEOUT,
        "body-timeout",
        &format!(
            "the request body did not arrive within {} ms",
            timeout.as_millis()
        ),
        Map::new(),
    )
}

async fn respond(
    app: &RestApp,
    parts: http::request::Parts,
    body: RequestBody,
    found: Match<'_>,
) -> (Response, Option<u16>) {
    let (op, route, params) = match found {
        Match::Found {
            op, route, params, ..
        } => (op, route, params),
        Match::MethodNotAllowed { allow, .. } => {
            return (problem::method_not_allowed(&parts.method, &allow), None);
        }
        Match::BadPath => {
            return (
                problem::problem(
                    StatusCode::BAD_REQUEST,
                    "invalid-path",
                    "a path segment is not valid percent-encoded UTF-8",
                    Map::new(),
                ),
                None,
            );
        }
        Match::NotFound => return (problem::not_found(0), None),
    };
    let too_large = || body_too_large(app.max_body_bytes);
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body_bytes as u64) {
        return (too_large(), None);
    }
    let bytes = match body {
        RequestBody::Read(bytes) => bytes,
        RequestBody::Stream(body) => match tokio::time::timeout(
            app.body_timeout,
            axum::body::to_bytes(body, app.max_body_bytes),
        )
        .await
        {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => return (too_large(), None),
            Err(_) => return (body_timeout(app.body_timeout), None),
        },
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if app.runtime.has_direct(op) {
        let direct = DirectRequest {
            content_type,
            has_query: parts.uri.query().is_some(),
            has_path_params: !params.is_empty(),
            has_body_header: parts.headers.contains_key("body"),
            body: &bytes,
        };
        if let Some(result) = app.runtime.invoke_direct(op, &direct).await {
            return answer(app, result, &parts.method, route);
        }
    }
    let body = match InboundBody::parse(content_type, &bytes) {
        Ok(b) => b,
        Err(e) => return (from_error(&e, app.runtime.secrets()), None),
    };
    let query = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let method = parts.method.clone();
    let inbound = Inbound {
        path: params,
        query,
        headers: parts.headers,
        body,
    };
    let result = app.runtime.invoke(op, &inbound).await;
    answer(app, result, &method, route)
}

/// The response to an invocation's result.
fn answer(
    app: &RestApp,
    result: Result<naftiko_engine::Outcome, naftiko_engine::InvokeError>,
    method: &http::Method,
    route: &str,
) -> (Response, Option<u16>) {
    match result {
        Ok(outcome) => {
            let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut response = match outcome.body {
                OutcomeBody::Json(v) => {
                    let mut r = (status, v.to_string()).into_response();
                    r.headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    r
                }
                OutcomeBody::Raw {
                    content_type,
                    bytes,
                } => {
                    let mut r = (status, bytes).into_response();
                    r.headers_mut().remove(CONTENT_TYPE);
                    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                        r.headers_mut().insert(CONTENT_TYPE, ct);
                    }
                    r
                }
                OutcomeBody::Empty => status.into_response(),
            };
            if let Some(l) = outcome
                .location
                .and_then(|l| HeaderValue::from_str(&l).ok())
            {
                response.headers_mut().insert(http::header::LOCATION, l);
            }
            if let Some(cc) = outcome
                .cache_control
                .and_then(|c| HeaderValue::from_str(&c).ok())
            {
                response
                    .headers_mut()
                    .insert(http::header::CACHE_CONTROL, cc);
            }
            if method == http::Method::HEAD {
                *response.body_mut() = Body::empty();
            }
            (response, outcome.upstream_status)
        }
        Err(e) => {
            if e.fault() != naftiko_engine::Fault::Downstream {
                tracing::warn!(
                    target: "naftiko::error",
                    route = %route,
                    kind = e.kind(),
                    detail = %app.runtime.secrets().redact(&e.to_string()),
                    "invocation failed"
                );
            }
            (from_error(&e, app.runtime.secrets()), None)
        }
    }
}
