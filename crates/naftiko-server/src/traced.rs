//! Request ids and SERVER spans at the listeners' edge (docs/run.md, "Request ids and
//! traces"): the `X-Request-Id` every answer carries, the span of each request (when spans
//! are recorded), and [`layer`], which gives both to the listeners axum serves (MCP, skill
//! catalogs, the control port). The REST adapter, whose h1 loop writes answers itself,
//! makes its trace from the head it decoded and calls the same functions (`rest.rs`).

use std::sync::Arc;

use axum::body::Body;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request};
use naftiko_engine::Secrets;
use naftiko_engine::trace::{Attributes, RequestId, SpanSink, Trace, TraceHeaders};

/// The request id's header.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sets `X-Request-Id` on an answer.
pub(crate) fn set_request_id(headers: &mut HeaderMap, id: &RequestId) {
    // Request ids are visible ASCII (checked when read, hex when made).
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        headers.insert(X_REQUEST_ID, value);
    }
}

/// What a handler behind [`layer`] says of a request for its span (a response extension):
/// the route it matched, as the adapter names it, and attributes of its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpanNote {
    pub(crate) route: Option<&'static str>,
    pub(crate) attributes: Attributes,
}

/// One request's SERVER span, as its adapter describes it.
pub(crate) struct Served<'a> {
    /// `rest`, `mcp`, `skill` or `control` (`naftiko.adapter.type`).
    pub(crate) adapter: &'static str,
    pub(crate) method: &'a Method,
    /// The route as written (a capability's path template, `/mcp`), when one matched.
    pub(crate) route: Option<&'a str>,
    /// The request's path (redacted of known secrets; never its query).
    pub(crate) path: &'a str,
    /// The request's `Host`.
    pub(crate) host: Option<&'a [u8]>,
    pub(crate) status: u16,
    /// The adapter's own attributes.
    pub(crate) attributes: Attributes,
}

/// Records the SERVER span of the request `trace` belongs to (nothing when spans are not
/// recorded): named `METHOD route` (or `METHOD` when no route matched), with HTTP
/// semantic-convention attributes; status `ERROR` for a 5xx answer.
pub(crate) fn finish_server(trace: &Trace, served: Served<'_>, secrets: &Secrets) {
    if !trace.recording() {
        return;
    }
    let method = served.method.as_str();
    let name = match served.route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    let mut attributes: Attributes = vec![
        ("http.request.method", method.to_owned().into()),
        ("url.path", secrets.redact(served.path).into()),
        ("url.scheme", "http".into()),
        ("http.response.status_code", served.status.into()),
        ("naftiko.adapter.type", served.adapter.into()),
    ];
    if let Some(route) = served.route {
        attributes.push(("http.route", route.to_owned().into()));
    }
    if let Some((address, port)) = served.host.and_then(host_and_port) {
        attributes.push(("server.address", address.into()));
        if let Some(port) = port {
            attributes.push(("server.port", port.into()));
        }
    }
    attributes.extend(served.attributes);
    trace.finish_server(name, attributes, served.status >= 500);
}

/// A `Host` value's name and port (`example.com:8080`, `[::1]:80`, `example.com`).
fn host_and_port(host: &[u8]) -> Option<(String, Option<u16>)> {
    let host = std::str::from_utf8(host).ok()?.trim();
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (name, after) = rest.split_once(']')?;
            (name, after.strip_prefix(':'))
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if name.is_empty() {
        return None;
    }
    Some((name.to_owned(), port.and_then(|p| p.parse().ok())))
}

/// `router` with a request id on every answer and, when `spans` is given, a SERVER span
/// per request (named by the [`SpanNote`] its handler leaves on the answer). The request's
/// [`Trace`] is a request extension for the handlers (MCP tool calls carry it upstream).
pub(crate) fn layer(
    router: axum::Router,
    adapter: &'static str,
    spans: Option<Arc<dyn SpanSink>>,
    secrets: Secrets,
) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: Request<Body>, next: Next| {
            let spans = spans.clone();
            let secrets = secrets.clone();
            async move {
                let next = |r| next.run(r);
                around(request, adapter, spans.as_ref(), &secrets, next).await
            }
        },
    ))
}

/// What [`layer`] does for one request, around `next` (which answers it): also called by
/// naftiko's own HTTP/1 loop for the MCP requests it serves (`mcp.rs`, `McpEdge`).
pub(crate) async fn around<F, Fut>(
    mut request: Request<Body>,
    adapter: &'static str,
    spans: Option<&Arc<dyn SpanSink>>,
    secrets: &Secrets,
    next: F,
) -> Response
where
    F: FnOnce(Request<Body>) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let trace = Trace::start(&TraceHeaders::of_map(request.headers()), spans);
    let seen = trace.recording().then(|| {
        let host = request.headers().get(http::header::HOST);
        let host = host.map(|h| h.as_bytes().to_vec());
        (
            request.method().clone(),
            request.uri().path().to_owned(),
            host,
        )
    });
    request.extensions_mut().insert(trace.clone());
    let mut response = next(request).await;
    if let Some((method, path, host)) = seen {
        let note = response.extensions_mut().remove::<SpanNote>();
        let note = note.unwrap_or_default();
        let served = Served {
            adapter,
            method: &method,
            route: note.route,
            path: &path,
            host: host.as_deref(),
            status: response.status().as_u16(),
            attributes: note.attributes,
        };
        finish_server(&trace, served, secrets);
    }
    set_request_id(response.headers_mut(), trace.request_id());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_split_into_name_and_port() {
        let split = |h: &str| host_and_port(h.as_bytes());
        assert_eq!(
            split("example.com:8080"),
            Some(("example.com".into(), Some(8080)))
        );
        assert_eq!(split("[::1]:80"), Some(("::1".into(), Some(80))));
        assert_eq!(split("example.com"), Some(("example.com".into(), None)));
        assert_eq!(split(":80"), None);
    }
}
