//! `application/problem+json` (RFC 9457) error responses: every error naftiko answers on REST
//! is one of these, with a status chosen by whose fault it was.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use naftiko_engine::{Fault, InvokeError, ScriptFailure, Secrets};
use serde_json::{Map, Value, json};

/// Media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The REST status of an engine error.
pub fn status_of(e: &InvokeError) -> StatusCode {
    match e {
        InvokeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        InvokeError::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        InvokeError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
        InvokeError::Script { failure, .. } => match failure {
            ScriptFailure::Disabled => StatusCode::NOT_IMPLEMENTED,
            ScriptFailure::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        },
        e => match e.fault() {
            Fault::Downstream => StatusCode::BAD_REQUEST,
            Fault::Upstream => StatusCode::BAD_GATEWAY,
            Fault::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

/// The kind of error a response carries (a response extension, for metrics).
#[derive(Debug, Clone)]
pub struct ProblemKind(pub String);

/// A problem response.
pub fn problem(
    status: StatusCode,
    kind: &str,
    detail: &str,
    extra: Map<String, Value>,
) -> Response {
    let mut body = json!({
        "type": format!("urn:naftiko:problem:{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Value::Object(m) = &mut body {
        m.extend(extra);
    }
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
        .extensions_mut()
        .insert(ProblemKind(kind.to_owned()));
    response
}

/// The 503 answered to a request still in flight when the shutdown grace period ran out
/// (`--shutdown-grace`): the connection closes after it.
pub fn grace_expired() -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting-down",
        "the server is stopping and this request did not finish within the shutdown grace period; retry it",
        serde_json::Map::new(),
    )
}

/// The problem response of an engine error; its detail passes through the redactor.
pub fn from_error(e: &InvokeError, secrets: &Secrets) -> Response {
    let status = status_of(e);
    let mut extra = Map::new();
    match e {
        InvokeError::BadInput {
            name,
            location,
            reason,
        } => {
            extra.insert(
                "invalid-params".to_owned(),
                json!([{ "name": name, "in": location, "reason": reason }]),
            );
        }
        InvokeError::UpstreamStatus { status, namespace } => {
            extra.insert("upstream".to_owned(), json!(namespace));
            extra.insert("upstreamStatus".to_owned(), json!(status));
        }
        InvokeError::UpstreamUnreachable { namespace, .. }
        | InvokeError::UpstreamTimeout { namespace, .. }
        | InvokeError::UpstreamBody { namespace, .. }
        | InvokeError::UpstreamAuth { namespace, .. } => {
            extra.insert("upstream".to_owned(), json!(namespace));
        }
        InvokeError::Mapping { output, .. } => {
            extra.insert("output".to_owned(), json!(output));
        }
        InvokeError::Script { step, .. } => {
            extra.insert("step".to_owned(), json!(step));
        }
        _ => {}
    }
    problem(status, e.kind(), &secrets.redact(&e.to_string()), extra)
}

/// 404 for a path no capability serves.
pub fn not_found(path_len: usize) -> Response {
    let _ = path_len;
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "no exposed operation has this path",
        Map::new(),
    )
}

/// 405 with `Allow`.
pub fn method_not_allowed(method: &http::Method, allow: &[http::Method]) -> Response {
    let list = allow
        .iter()
        .map(http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut r = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        &format!("{method} is not served on this path; allowed: {list}"),
        Map::new(),
    );
    if let Ok(v) = HeaderValue::from_str(&list) {
        r.headers_mut().insert(ALLOW, v);
    }
    r
}

/// 503 with `Retry-After: 1` when more requests are in flight than the limit allows.
pub fn overloaded() -> Response {
    let mut r = problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
        "too many requests in flight; retry shortly",
        Map::new(),
    );
    r.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}
