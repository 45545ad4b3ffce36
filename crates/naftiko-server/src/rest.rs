//! The REST adapter: one generic handler that matches the route, reads the request into an
//! engine [`Inbound`], calls [`Runtime::invoke`] and writes the outcome or a problem, logging
//! one line per request (method, route, status, upstream status, latency, request and trace
//! ids; never values) and, when spans are recorded, its SERVER span.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, StatusCode};
use naftiko_engine::metrics::OperationMetrics;
use naftiko_engine::{
    BodyFailure, HeaderLookup, Inbound, InboundBody, OutcomeBody, RequestView, Runtime,
};
use serde_json::Map;

use crate::access::{self, AccessLine, AccessSink};
use crate::problem::{self, from_error};
use crate::router::{Match, Router};
use crate::traced::{Served, finish_server, set_request_id};
use naftiko_engine::trace::{RequestId, SpanSink, Trace, TraceHeaders};

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
    /// The protected-resource metadata of the listener's `oauth2` blocks.
    pub metadata: Vec<naftiko_engine::guard::oauth2::ProtectedResource>,
    /// Where SERVER, CLIENT and step spans go (none: not recorded).
    pub spans: Option<Arc<dyn SpanSink>>,
}

/// An axum router serving `app` for every path.
pub fn router(app: Arc<RestApp>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

/// Records a request that ends without an answer (the caller went away and its future was
/// dropped) as status 499, in the access log and the metrics.
struct Unanswered<'a> {
    app: &'a RestApp,
    trace: &'a Trace,
    method: http::Method,
    route: &'a str,
    /// The request's path and `Host`, when its span is recorded.
    seen: &'a Option<(String, Option<Vec<u8>>)>,
    operation: &'a OperationMetrics,
    started: Instant,
    answered: bool,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        let ended = Instant::now();
        let elapsed = ended.saturating_duration_since(self.started);
        self.app
            .runtime
            .metrics()
            .record(self.operation, 499, Some("client-closed"), elapsed);
        let (request_id, trace_id) = self.trace.log_ids();
        access::record(
            self.app.access.as_deref(),
            AccessLine {
                method: self.method.as_str(),
                route: self.route,
                status: 499,
                upstream_status: -1,
                latency_ms: access::millis(elapsed),
                message: "request abandoned by the client",
                request_id,
                trace_id,
                at: ended,
            },
        );
        server_span(
            self.app,
            self.trace,
            &self.method,
            self.route,
            self.seen,
            499,
        );
    }
}

/// Records the SERVER span of a REST request (`seen`: its path and `Host`, kept when its
/// span is recorded).
fn server_span(
    app: &RestApp,
    trace: &Trace,
    method: &http::Method,
    route: &str,
    seen: &Option<(String, Option<Vec<u8>>)>,
    status: u16,
) {
    let Some((path, host)) = seen else { return };
    let served = Served {
        adapter: "rest",
        method,
        route: (route != "-").then_some(route),
        path,
        host: host.as_deref(),
        status,
        attributes: Vec::new(),
    };
    finish_server(trace, served, app.runtime.secrets());
}

/// The metrics label of a request to `route` whose method the route does not serve as
/// it is: `METHOD route`, with any method outside RFC 9110's own counted as `OTHER` (a
/// client must not be able to grow the metrics with made-up methods).
fn operation_label(method: &http::Method, route: &str) -> String {
    use http::Method as M;
    let known = [
        M::GET,
        M::HEAD,
        M::POST,
        M::PUT,
        M::DELETE,
        M::CONNECT,
        M::OPTIONS,
        M::TRACE,
        M::PATCH,
    ];
    let method = if known.contains(method) {
        method.as_str()
    } else {
        "OTHER"
    };
    format!("{method} {route}")
}

/// A request's method, target and headers: `http` parts (the hyper path), or a head
/// the h1 loop decoded, whose `HeaderMap` is built only when the general path needs one.
pub(crate) enum Incoming {
    /// Parts of an `http` request.
    Parts(http::request::Parts),
    /// A decoded head and its bytes.
    Raw {
        /// The head.
        head: naftiko_http1::Head,
        /// Its bytes.
        bytes: bytes::Bytes,
    },
}

impl Incoming {
    fn method(&self) -> &http::Method {
        match self {
            Incoming::Parts(p) => &p.method,
            Incoming::Raw { head, .. } => &head.method,
        }
    }

    pub(crate) fn uri(&self) -> &http::Uri {
        match self {
            Incoming::Parts(p) => &p.uri,
            Incoming::Raw { head, .. } => &head.uri,
        }
    }

    /// The first value of the header `name`, when it is visible ASCII (as
    /// `HeaderValue::to_str` has it).
    fn header_str(&self, name: &str) -> Option<&str> {
        let value = match self {
            // The h1 loop noted where the content type is.
            Incoming::Raw { head, bytes } if name == "content-type" => {
                &bytes[head.content_type.clone()?]
            }
            _ => self.header(name)?,
        };
        naftiko_http1::fields::visible_text(value)
    }

    /// The request's trace context ([`Trace::start`]), its headers read in one pass.
    pub(crate) fn trace(&self, spans: Option<&Arc<dyn SpanSink>>) -> Trace {
        let noted = match self {
            Incoming::Parts(p) => TraceHeaders::of_map(&p.headers),
            Incoming::Raw { head, bytes } => {
                let mut noted = TraceHeaders::default();
                for (name, value) in &head.headers {
                    // Only names of 10 to 12 bytes can be one of the three.
                    if (10..=12).contains(&name.len()) {
                        noted.note(&bytes[name.clone()], &bytes[value.clone()]);
                    }
                }
                noted
            }
        };
        Trace::start(&noted, spans)
    }

    pub(crate) fn into_parts(self) -> http::request::Parts {
        match self {
            Incoming::Parts(p) => p,
            Incoming::Raw { head, bytes } => head.into_parts(&bytes),
        }
    }
}

impl HeaderLookup for Incoming {
    fn header(&self, name: &str) -> Option<&[u8]> {
        match self {
            Incoming::Parts(p) => p.headers.get(name).map(HeaderValue::as_bytes),
            Incoming::Raw { head, bytes } => head.header(bytes, name),
        }
    }
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
    let started = Instant::now();
    let (reply, _) = serve(
        &app,
        Incoming::Parts(parts),
        RequestBody::Stream(body),
        started,
    )
    .await;
    reply.into_response()
}

/// Answers one request that arrived at `started` (the hyper path and [`crate::h1`] both
/// come here), in its trace: the answer carries its request id, the access line its
/// request and trace ids. With the answer, when it was ready (one reading of the clock
/// for the latency, the access line's timestamp and the `Date` header).
pub(crate) async fn serve(
    app: &RestApp,
    incoming: Incoming,
    body: RequestBody,
    started: Instant,
) -> (Reply, Instant) {
    let trace = incoming.trace(app.spans.as_ref());
    let method = incoming.method().clone();
    let seen = trace.recording().then(|| {
        let host = incoming.header("host").map(<[u8]>::to_vec);
        (incoming.uri().path().to_owned(), host)
    });
    let metrics = app.runtime.metrics();
    let Ok(_permit) = app.limit.try_acquire() else {
        let ended = Instant::now();
        let elapsed = ended.saturating_duration_since(started);
        metrics.request("rest", "-", 503, Some("overloaded"), elapsed);
        server_span(app, &trace, &method, "-", &seen, 503);
        let mut reply = Reply::Response(problem::overloaded());
        reply.identify(trace.into_request_id());
        return (reply, ended);
    };
    let found = app.router.find(&method, incoming.uri().path());
    let (route, operation): (&str, Cow<'_, OperationMetrics>) = match &found {
        Match::Found {
            route,
            handler: Some(handler),
            ..
        } => (route, Cow::Borrowed(handler.metrics(metrics))),
        Match::Found { route, .. }
        | Match::MethodNotAllowed { route, .. }
        | Match::Forward { route, .. } => (
            route,
            Cow::Owned(metrics.operation("rest", &operation_label(&method, route))),
        ),
        Match::BadPath | Match::NotFound => ("-", Cow::Owned(metrics.operation("rest", "-"))),
    };
    let mut record = Unanswered {
        app,
        trace: &trace,
        method: method.clone(),
        route,
        seen: &seen,
        operation: &operation,
        started,
        answered: false,
    };
    let in_flight = metrics.start();
    let (mut reply, upstream) = respond(app, incoming, body, found, &trace).await;
    record.answered = true;
    drop(in_flight);
    let status = reply.status().as_u16();
    let kind = reply
        .kind()
        .or((status >= 400).then_some("upstream-status"));
    let ended = Instant::now();
    let elapsed = ended.saturating_duration_since(started);
    metrics.record(&operation, status, kind, elapsed);
    let (request_id, trace_id) = trace.log_ids();
    access::record(
        app.access.as_deref(),
        AccessLine {
            method: method.as_str(),
            route,
            status,
            upstream_status: upstream.map(i64::from).unwrap_or(-1),
            latency_ms: access::millis(elapsed),
            message: "request",
            request_id,
            trace_id,
            at: ended,
        },
    );
    server_span(app, &trace, &method, route, &seen, status);
    drop(record);
    reply.identify(trace.into_request_id());
    (reply, ended)
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

/// True when reading a body failed because it is larger than the limit (not because its
/// framing is broken).
fn is_over_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// 400: the body's framing is broken (a malformed chunked body): what hyper found wrong.
fn unreadable_body(e: &axum::Error) -> Response {
    let mut detail = String::from("the request body is malformed");
    for text in causes(e) {
        detail.push_str(": ");
        detail.push_str(&text);
    }
    malformed_body(&detail)
}

/// 400 with this detail (`the request body is malformed…`).
fn malformed_body(detail: &str) -> Response {
    problem::problem(StatusCode::BAD_REQUEST, "bad-body", detail, Map::new())
}

/// The distinct texts of the sources of an error reading a body (what hyper found wrong),
/// each once: errors often repeat their source's text.
fn causes(e: &axum::Error) -> Vec<String> {
    let mut shown: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !seen.iter().any(|t| t.contains(&text)) {
            shown.push(text.clone());
        }
        seen.push(text);
        source = s.source();
    }
    shown
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
    incoming: Incoming,
    body: RequestBody,
    found: Match<'_>,
    trace: &Trace,
) -> (Reply, Option<u16>) {
    if let Match::Found {
        guard: Some(guard), ..
    }
    | Match::MethodNotAllowed {
        guard: Some(guard), ..
    }
    | Match::Forward {
        guard: Some(guard), ..
    } = &found
        && let Some(refused) =
            crate::guard::check(guard, &incoming, incoming.method(), incoming.uri()).await
    {
        return (Reply::Response(refused), None);
    }
    let (op, route, params) = match found {
        Match::Found {
            op, route, params, ..
        } => (op, route, params),
        Match::Forward {
            forward,
            remainder,
            route,
            ..
        } => {
            let to = crate::forward::Target { forward, remainder };
            return pass_on(app, incoming, body, to, route, trace).await;
        }
        Match::MethodNotAllowed { allow, .. } => {
            return (
                Reply::Response(problem::method_not_allowed(incoming.method(), &allow)),
                None,
            );
        }
        Match::BadPath => {
            return (
                Reply::Response(problem::problem(
                    StatusCode::BAD_REQUEST,
                    "invalid-path",
                    "a path segment is not valid percent-encoded UTF-8",
                    Map::new(),
                )),
                None,
            );
        }
        Match::NotFound => {
            let (method, path) = (incoming.method(), incoming.uri().path());
            let answer = crate::guard::metadata(&app.metadata, method, path)
                .unwrap_or_else(|| problem::not_found(0));
            return (Reply::Response(answer), None);
        }
    };
    let too_large = || body_too_large(app.max_body_bytes);
    // (The h1 loop has refused a body over the limit before reading it.)
    if let Incoming::Parts(_) = incoming
        && let Some(declared) = incoming.header_str("content-length")
        && declared
            .parse::<u64>()
            .is_ok_and(|n| n > app.max_body_bytes as u64)
    {
        return (Reply::Response(too_large()), None);
    }
    let bytes = match body {
        RequestBody::Read(bytes) => bytes,
        // Boxed: only the hyper path reads the body here, and this future would otherwise
        // enlarge every request's.
        RequestBody::Stream(body) => match Box::pin(tokio::time::timeout(
            app.body_timeout,
            axum::body::to_bytes(body, app.max_body_bytes),
        ))
        .await
        {
            Ok(Ok(b)) => b,
            Ok(Err(e)) if is_over_limit(&e) => return (Reply::Response(too_large()), None),
            Ok(Err(e)) => return (Reply::Response(unreadable_body(&e)), None),
            Err(_) => return (Reply::Response(body_timeout(app.body_timeout)), None),
        },
    };
    let content_type = incoming.header_str("content-type");
    if app.runtime.has_direct(op) {
        let view = RequestView {
            content_type,
            query: incoming.uri().query(),
            path_params: &params,
            headers: &incoming,
            body: &bytes,
        };
        if let Some(result) = app.runtime.invoke_direct(op, &view, trace).await {
            return answer(app, result, incoming.method(), route);
        }
    }
    let body = match InboundBody::parse(content_type, &bytes) {
        Ok(b) => b,
        Err(e) => return (Reply::Response(from_error(&e, app.runtime.secrets())), None),
    };
    let parts = incoming.into_parts();
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
    let result = app.runtime.invoke(op, &inbound, trace).await;
    answer(app, result, &method, route)
}

/// Answers a request a `forward` route takes ([`crate::forward`]): its body handed over as
/// a stream, what could not be passed on answered as a problem.
async fn pass_on(
    app: &RestApp,
    incoming: Incoming,
    body: RequestBody,
    to: crate::forward::Target,
    route: &str,
    trace: &Trace,
) -> (Reply, Option<u16>) {
    use futures_util::StreamExt;
    let body: crate::forward::Inbound = match body {
        RequestBody::Stream(body) => body
            .into_data_stream()
            .map(|piece| piece.map_err(|e| causes(&e).join(": ")))
            .boxed(),
        // (Only the h1 loop reads bodies first, and it leaves forwards to hyper.)
        RequestBody::Read(bytes) => futures_util::stream::once(async move { Ok(bytes) }).boxed(),
    };
    let limits = naftiko_engine::InboundLimits {
        max_body: app.max_body_bytes,
        body_timeout: app.body_timeout,
    };
    let parts = incoming.into_parts();
    let forwarded = crate::forward::forward(&app.runtime, to, parts, body, limits, trace);
    let refused = match forwarded.await {
        Ok((response, status)) => return (Reply::Response(response), Some(status)),
        Err(naftiko_engine::ForwardError::Body(failure)) => match &failure {
            BodyFailure::TooLarge(limit) => body_too_large(*limit),
            BodyFailure::Timeout(after) => body_timeout(*after),
            BodyFailure::Broken(_) => malformed_body(&failure.to_string()),
        },
        Err(naftiko_engine::ForwardError::Invoke(e)) => failed(app, &e, route),
    };
    (Reply::Response(refused), None)
}

/// What a request is answered with.
pub(crate) enum Reply {
    /// A built response: problems, and every answer on the hyper path.
    Response(Response),
    /// An invocation's answer, not built into a `Response`: [`crate::h1`] writes it out
    /// as it is.
    Answered(Answered),
}

/// An invocation's answer.
pub(crate) struct Answered {
    pub(crate) status: StatusCode,
    /// `Content-Type`, `Location` and `Cache-Control`, each only when it is a valid header
    /// value (an upstream's invalid one is dropped).
    pub(crate) content_type: Option<Cow<'static, str>>,
    pub(crate) location: Option<String>,
    pub(crate) cache_control: Option<String>,
    /// Empty for `HEAD` requests.
    pub(crate) body: bytes::Bytes,
    /// The request's id, for `X-Request-Id` ([`Reply::identify`]).
    pub(crate) request_id: Option<RequestId>,
}

impl Reply {
    /// The status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Reply::Response(r) => r.status(),
            Reply::Answered(a) => a.status,
        }
    }

    /// The error kind a problem response carries.
    fn kind(&self) -> Option<&str> {
        match self {
            Reply::Response(r) => r
                .extensions()
                .get::<problem::ProblemKind>()
                .map(|k| k.0.as_str()),
            Reply::Answered(_) => None,
        }
    }

    /// Gives the reply the request's id: noted for the h1 loop to write, or set on the
    /// response (in place: a reply is large to move).
    pub(crate) fn identify(&mut self, id: RequestId) {
        match self {
            Reply::Answered(a) => a.request_id = Some(id),
            Reply::Response(r) => set_request_id(r.headers_mut(), &id),
        }
    }

    /// As a `Response`.
    pub(crate) fn into_response(self) -> Response {
        let a = match self {
            Reply::Response(r) => return r,
            Reply::Answered(a) => a,
        };
        let mut response = (a.status, a.body).into_response();
        let headers = response.headers_mut();
        headers.remove(CONTENT_TYPE);
        for (name, value) in [
            (CONTENT_TYPE, a.content_type.as_deref()),
            (http::header::LOCATION, a.location.as_deref()),
            (http::header::CACHE_CONTROL, a.cache_control.as_deref()),
        ] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
                headers.insert(name, v);
            }
        }
        if let Some(id) = &a.request_id {
            set_request_id(headers, id);
        }
        response
    }
}

/// `text` when it is a valid header value (what `HeaderValue::from_str` accepts).
fn header_text<T: AsRef<str>>(text: T) -> Option<T> {
    naftiko_http1::fields::is_field_value(text.as_ref().as_bytes()).then_some(text)
}

/// The reply to an invocation's result.
fn answer(
    app: &RestApp,
    result: Result<naftiko_engine::Outcome, naftiko_engine::InvokeError>,
    method: &http::Method,
    route: &str,
) -> (Reply, Option<u16>) {
    match result {
        Ok(outcome) => {
            let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let (content_type, body) = match outcome.body {
                OutcomeBody::Json(v) => (
                    Some(Cow::Borrowed("application/json")),
                    bytes::Bytes::from(naftiko_engine::json_bytes(&v)),
                ),
                OutcomeBody::JsonText(text) => (Some(Cow::Borrowed("application/json")), text),
                OutcomeBody::Raw {
                    content_type,
                    bytes,
                } => (
                    content_type.and_then(header_text).map(|c| {
                        if c == "application/json" {
                            Cow::Borrowed("application/json")
                        } else {
                            Cow::Owned(c)
                        }
                    }),
                    bytes,
                ),
                OutcomeBody::Binary { media_type, bytes } => (
                    Some(Cow::Owned(
                        header_text(media_type)
                            .unwrap_or_else(|| "application/octet-stream".to_owned()),
                    )),
                    bytes,
                ),
                OutcomeBody::Empty => (None, bytes::Bytes::new()),
            };
            let answered = Answered {
                status,
                content_type,
                location: outcome.location.and_then(header_text),
                cache_control: outcome.cache_control.and_then(header_text),
                body: if method == http::Method::HEAD {
                    bytes::Bytes::new()
                } else {
                    body
                },
                request_id: None,
            };
            (Reply::Answered(answered), outcome.upstream_status)
        }
        Err(e) => (Reply::Response(failed(app, &e, route)), None),
    }
}

/// The problem answering a failed invocation, logged at `naftiko::error` unless it was the
/// caller's fault.
fn failed(app: &RestApp, e: &naftiko_engine::InvokeError, route: &str) -> Response {
    if e.fault() != naftiko_engine::Fault::Downstream {
        tracing::warn!(
            target: "naftiko::error",
            route = %route,
            kind = e.kind(),
            detail = %app.runtime.secrets().redact(&e.to_string()),
            "invocation failed"
        );
    }
    from_error(e, app.runtime.secrets())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_metrics_label() {
        assert_eq!(operation_label(&http::Method::GET, "/t"), "GET /t");
        let made_up = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(operation_label(&made_up, "/t"), "OTHER /t");
    }

    #[test]
    fn only_valid_header_values_are_passed_on() {
        assert_eq!(header_text("no-store"), Some("no-store"));
        assert_eq!(header_text("a\tb"), Some("a\tb"));
        assert_eq!(header_text("a\r\nX-Evil: 1"), None);
        assert_eq!(header_text("a\u{7f}"), None);
        for text in ["no-store", "a\tb", "a\r\nb", "é", "a\u{7f}", "\u{0}"] {
            assert_eq!(
                header_text(text).is_some(),
                HeaderValue::from_str(text).is_ok(),
                "{text:?}"
            );
        }
    }
}
