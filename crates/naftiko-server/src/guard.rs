//! Inbound authentication at the listener's edge: the engine's [`Guard`] asked before a
//! request reaches an adapter, its [`Denial`] answered as `application/problem+json` with
//! the `WWW-Authenticate` challenges, and the protected-resource metadata (RFC 9728) of an
//! `oauth2` block served, unauthenticated, at its well-known paths.
//!
//! REST listeners ask the guard of the matched route ([`crate::rest`]); MCP, skill and
//! control listeners are wrapped whole by [`protect`].

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::{Method, Request, StatusCode};
use naftiko_engine::HeaderLookup;
use naftiko_engine::guard::oauth2::ProtectedResource;
use naftiko_engine::guard::{Denial, Guard, Presented};
use serde_json::Map;

use crate::problem;

/// What an adapter notes of a request its block's authentication refused (its access
/// line): the request, the refusal, and when the request came in.
pub(crate) type OnRefusal = Arc<dyn Fn(&Request<Body>, &Response, Instant) + Send + Sync>;

/// The response to a refused request.
pub(crate) fn denied(d: &Denial) -> Response {
    let status = StatusCode::from_u16(d.status).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = problem::problem(status, d.kind, &d.detail, Map::new());
    for c in &d.challenges {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(WWW_AUTHENTICATE, v);
        }
    }
    response
}

/// `None` when the request may go on; else the refusal to answer.
pub(crate) async fn check(
    guard: &Guard,
    headers: &(dyn HeaderLookup + Sync),
    method: &Method,
    uri: &http::Uri,
) -> Option<Response> {
    let presented = Presented {
        headers,
        query: uri.query(),
        method: method.as_str(),
        target: uri.path_and_query().map_or("/", |p| p.as_str()),
    };
    guard.check(&presented).await.err().map(|d| denied(&d))
}

/// The metadata document of `resources` published at `path`, for a `GET`.
pub(crate) fn metadata<'r>(
    resources: impl IntoIterator<Item = &'r ProtectedResource>,
    method: &Method,
    path: &str,
) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let found = resources
        .into_iter()
        .find(|r| r.paths.iter().any(|p| p == path))?;
    let mut response = (StatusCode::OK, found.document.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Some(response)
}

/// `router` behind `guard` (unchanged without one); an `oauth2` guard's metadata document
/// is served before the check.
pub(crate) fn protect(router: axum::Router, guard: Option<Arc<Guard>>) -> axum::Router {
    protect_noting(router, guard, None)
}

/// [`protect`], with `on_refusal` told of each refused request (the adapter behind the
/// guard never sees it).
pub(crate) fn protect_noting(
    router: axum::Router,
    guard: Option<Arc<Guard>>,
    on_refusal: Option<OnRefusal>,
) -> axum::Router {
    let Some(guard) = guard else {
        return router;
    };
    router.layer(axum::middleware::from_fn(
        move |request: Request<Body>, next: axum::middleware::Next| {
            let guard = guard.clone();
            let on_refusal = on_refusal.clone();
            async move {
                let started = Instant::now();
                let rs = guard.resource_server().map(|r| r.protected_resource());
                if let Some(doc) = metadata(rs, request.method(), request.uri().path()) {
                    return doc;
                }
                if let Some(refused) =
                    check(&guard, request.headers(), request.method(), request.uri()).await
                {
                    if let Some(note) = &on_refusal {
                        note(&request, &refused, started);
                    }
                    return refused;
                }
                next.run(request).await
            }
        },
    ))
}
