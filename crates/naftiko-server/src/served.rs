//! What a listener serves, swappable: a reload puts the next generation's [`Served`] in the
//! listener's [`Slot`], and every request takes the generation current when it arrives
//! (a request in flight finishes on the one it started with; keep-alive connections take
//! the new one at their next request).

use std::convert::Infallible;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tower::ServiceExt;

use crate::rest::RestApp;

/// One generation of a listener: its axum app (with the grace-period cut applied) and,
/// for REST listeners, the state naftiko's own HTTP/1 loop serves.
#[derive(Debug)]
pub(crate) struct Served {
    /// The app hyper serves (every request of MCP, skill and control listeners; the
    /// requests the REST loop leaves to hyper).
    pub(crate) app: axum::Router,
    /// The REST handler's state, for REST listeners.
    pub(crate) rest: Option<Arc<RestApp>>,
    /// The TLS connections are accepted with, when the listener serves TLS.
    pub(crate) tls: Option<crate::tls::TlsConfig>,
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
