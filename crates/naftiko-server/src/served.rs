//! What a listener serves, swappable: a reload puts the next generation's [`Served`] in the
//! listener's [`Slot`], and every request takes the generation current when it arrives
//! (a request in flight finishes on the one it started with; keep-alive connections take
//! the new one at their next request).

use std::convert::Infallible;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tower::ServiceExt;

use crate::mcp::McpEdge;
use crate::rest::RestApp;

/// One generation of a listener: its axum app (with the grace-period cut applied) and,
/// for REST and MCP listeners, the state naftiko's own HTTP/1 loop serves.
#[derive(Debug)]
pub(crate) struct Served {
    /// The app hyper serves (every request of skill and control listeners; the requests
    /// the own loop leaves to hyper).
    pub(crate) app: axum::Router,
    /// What the own HTTP/1 loop serves (`h1.rs`), when it serves this listener.
    pub(crate) edge: Option<Edge>,
    /// The TLS connections are accepted with, when the listener serves TLS.
    pub(crate) tls: Option<crate::tls::TlsConfig>,
}

/// What naftiko's own HTTP/1 loop serves on a listener.
#[derive(Debug, Clone)]
pub(crate) enum Edge {
    /// Every REST request (but `forward` routes and what the loop leaves to hyper).
    Rest(Arc<RestApp>),
    /// An MCP endpoint's POSTs (its GETs and DELETEs go to hyper).
    Mcp(Arc<McpEdge>),
}

/// A listener's current generation.
pub(crate) type Slot = ArcSwap<Served>;

/// A new slot holding `served`.
pub(crate) fn slot(served: Served) -> Arc<Slot> {
    Arc::new(ArcSwap::from_pointee(served))
}

/// A hyper service answering each request with the app current when it arrives.
pub(crate) fn current(
    slot: Arc<Slot>,
) -> impl hyper::service::Service<
    http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let app = slot.load().app.clone();
        async move { app.oneshot(request.map(axum::body::Body::new)).await }
    })
}
