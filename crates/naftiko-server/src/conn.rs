//! Accepting connections with naftiko's limits: header read timeout (slow-loris), header
//! count and size, keep-alive, and graceful draining.
//!
//! With more than one core, connections are dealt round-robin to one single-threaded
//! runtime per core (`ServeOptions::workers` beside the accepting one): a connection is
//! served from its first byte to its last on one thread, with that thread's timers and
//! upstream connections, like a worker process of nginx, and without work stealing's
//! cross-thread wake-ups. Accepting on one thread keeps the deal even (listeners sharing
//! a port with `SO_REUSEPORT` would also let another process join the port). Connections of a listener that serves
//! REST run [`crate::h1`] (which hands unusual requests to hyper); the other listeners'
//! (MCP, skills, control) are driven entirely by hyper. Either way each request is answered
//! by the listener's generation current when it arrives (`served.rs`). axum's `serve` does not expose these
//! settings, so connections are driven here.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};

use crate::h1;
use crate::limits::Limits;
use crate::served::{self, Slot};
use crate::stream::Stream;
use tokio_rustls::TlsAcceptor;

/// Serves what `slot` holds on `listener` until `stop` turns true, then waits for open
/// connections to finish their in-flight requests (the caller bounds that wait). When
/// `expired` turns true (the grace period ran out), requests still being answered get a
/// 503 problem. Each connection is served as its listener's current generation says: by
/// [`h1::serve`] when it serves REST, by hyper otherwise.
pub(crate) async fn serve(
    listener: TcpListener,
    slot: Arc<Slot>,
    limits: Limits,
    workers: Vec<tokio::runtime::Handle>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    expired: tokio::sync::watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let shared = Arc::new(h1::Shared {
        slot: slot.clone(),
        builder: builder.clone(),
        limits,
        expired,
    });
    let slot = slot.as_ref();
    // Every REST connection task holds a sender; `recv` returns `None` once all are gone.
    let (alive, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    let mut turn = 0usize;
    while let Some(tcp) = accept(&listener, &mut stop).await {
        let tls = slot.load().tls.clone();
        let (shared, builder) = (shared.clone(), builder.clone());
        let (stop, alive) = (stop.clone(), alive.clone());
        let served = move |tcp| connection(tcp, tls, shared, builder, stop, alive);
        turn = (turn + 1) % (workers.len() + 1);
        match workers.get(turn.wrapping_sub(1)) {
            None => {
                tokio::spawn(served(tcp));
            }
            Some(worker) => hand_over(worker, tcp, served),
        }
    }
    drop(listener);
    drop(alive);
    let _ = all_done.recv().await;
}

/// Serves one connection: its TLS handshake, then [`h1::serve`] when its listener serves
/// REST, else hyper.
async fn connection(
    tcp: TcpStream,
    tls: Option<crate::tls::TlsConfig>,
    shared: Arc<h1::Shared>,
    builder: http1::Builder,
    stop: tokio::sync::watch::Receiver<bool>,
    alive: tokio::sync::mpsc::Sender<()>,
) {
    let timeout = shared.limits.header_read_timeout;
    let Some(stream) = handshake(tcp, tls, timeout).await else {
        return;
    };
    if shared.slot.load().edge.is_some() {
        h1::serve(stream, shared, stop, alive).await;
    } else {
        let service = served::current(shared.slot.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        drain_on_stop(conn, stop).await;
        drop(alive);
    }
}

/// Drives a hyper connection; once `stop` turns true, asks it to finish the request in
/// flight and close (at once when it is idle).
async fn drain_on_stop<C>(conn: C, mut stop: tokio::sync::watch::Receiver<bool>)
where
    C: hyper_util::server::graceful::GracefulConnection,
{
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = async {
            // Drop the watch guard at once: it must not live in the (Send) future.
            let _ = stop.wait_for(|s| *s).await;
        } => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Serves `tcp` on `worker`'s thread: its socket leaves this runtime's reactor and joins
/// that one's. When it cannot be moved it is dropped (the client sees a reset, as for a
/// connection refused for lack of resources).
fn hand_over<F, S>(worker: &tokio::runtime::Handle, tcp: TcpStream, served: S)
where
    S: FnOnce(TcpStream) -> F + Send + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let std = match tcp.into_std() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(target: "naftiko::server", error = %e, "cannot hand a connection over");
            return;
        }
    };
    worker.spawn(async move {
        match TcpStream::from_std(std) {
            Ok(tcp) => served(tcp).await,
            Err(e) => {
                tracing::warn!(target: "naftiko::server", error = %e, "cannot serve a handed-over connection");
            }
        }
    });
}

/// The connection, after its TLS handshake when the listener serves TLS; `None` when the
/// handshake fails or does not end within `timeout` (the header-read timeout: a client
/// that stalls it is a slow-loris like one that stalls its headers).
async fn handshake(
    tcp: TcpStream,
    tls: Option<crate::tls::TlsConfig>,
    timeout: Duration,
) -> Option<Stream> {
    let Some(config) = tls else {
        return Some(Stream::Plain(tcp));
    };
    let accepted = tokio::time::timeout(timeout, TlsAcceptor::from(config).accept(tcp)).await;
    match accepted {
        Ok(Ok(tls)) => Some(Stream::Tls(Box::new(tls))),
        Ok(Err(e)) => {
            tracing::debug!(target: "naftiko::server", error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(target: "naftiko::server", "TLS handshake timed out");
            None
        }
    }
}

/// `app`, answering 503 to the requests still in flight when `expired` turns true.
pub(crate) fn cut_at_expiry(
    app: axum::Router,
    expired: tokio::sync::watch::Receiver<bool>,
) -> axum::Router {
    app.layer(axum::middleware::from_fn_with_state(expired, cut))
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

/// Answers a request, or a 503 problem once `expired` turns true (the grace period ran out
/// while it was in flight): hyper's connections and the REST loop's fallback.
async fn cut(
    axum::extract::State(expired): axum::extract::State<tokio::sync::watch::Receiver<bool>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    tokio::select! {
        response = next.run(request) => response,
        () = h1::expiry(expired) => crate::problem::grace_expired(),
    }
}
