//! Accepting connections with naftiko's limits: header read timeout (slow-loris), header
//! count and size, keep-alive, and graceful draining. REST listeners serve each connection
//! with [`crate::h1`] (which hands unusual requests to hyper); the other listeners (MCP,
//! skills, control) are driven entirely by hyper. axum's `serve` does not expose these
//! settings, so connections are driven here.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

use crate::h1;
use crate::limits::Limits;
use crate::rest::RestApp;

/// Serves `app` on `listener` until `stop` turns true, then waits for open connections to
/// finish their in-flight requests (the caller bounds that wait). When `expired` turns
/// true (the grace period ran out), requests still being answered get a 503 problem.
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    rest: Option<Arc<RestApp>>,
    limits: Limits,
    stop: tokio::sync::watch::Receiver<bool>,
    expired: tokio::sync::watch::Receiver<bool>,
) {
    let app = app.layer(axum::middleware::from_fn_with_state(
        expired.clone(),
        cut_at_expiry,
    ));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    match rest {
        Some(rest) => serve_rest(listener, app, rest, builder, limits, stop, expired).await,
        None => serve_hyper(listener, app, builder, stop).await,
    }
}

/// Accepts connections, or waits for `stop`; `None` when stopping.
async fn accept(
    listener: &TcpListener,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<TcpStream> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    return Some(stream);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(target: "naftiko::server", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = async {
                // Drop the watch guard at once: it must not live in the (Send) future.
                let _ = stop.wait_for(|s| *s).await;
            } => return None,
        }
    }
}

/// REST: each connection runs [`h1::serve`]; draining waits until every one has ended.
async fn serve_rest(
    listener: TcpListener,
    app: axum::Router,
    rest: Arc<RestApp>,
    builder: http1::Builder,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    expired: tokio::sync::watch::Receiver<bool>,
) {
    let shared = Arc::new(h1::Shared {
        app: rest,
        fallback: app,
        builder,
        limits,
        expired,
    });
    // Every connection task holds a sender; `recv` returns `None` once all are gone.
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    while let Some(stream) = accept(&listener, &mut stop).await {
        tokio::spawn(h1::serve(
            stream,
            shared.clone(),
            stop.clone(),
            alive.clone(),
        ));
    }
    drop(listener);
    drop(alive);
    let _ = all_done.recv().await;
}

/// Answers a request, or a 503 problem once `expired` turns true (the grace period ran out
/// while it was in flight): hyper's connections and the REST loop's fallback.
async fn cut_at_expiry(
    axum::extract::State(expired): axum::extract::State<tokio::sync::watch::Receiver<bool>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    tokio::select! {
        response = next.run(request) => response,
        () = h1::expiry(expired) => crate::problem::grace_expired(),
    }
}

/// MCP, skills and control: hyper serves every connection.
async fn serve_hyper(
    listener: TcpListener,
    app: axum::Router,
    builder: http1::Builder,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    while let Some(stream) = accept(&listener, &mut stop).await {
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
