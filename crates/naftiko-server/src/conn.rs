//! Accepting connections with hyper's HTTP/1 server and naftiko's limits: header read
//! timeout (slow-loris), header count and size, keep-alive, and graceful draining. axum's
//! `serve` does not expose these settings, so connections are driven here, still entirely
//! by hyper.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// Limits on inbound connections and requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed to receive a request's headers (slow-loris defence); the connection is
    /// closed when it elapses.
    pub header_read_timeout: Duration,
    /// Most headers a request may carry (431 above it).
    pub max_headers: usize,
    /// Largest request head, in bytes (431 above it; at least 8 KiB).
    pub max_header_bytes: usize,
    /// Time allowed to receive a request's body once its headers arrived (408 after it).
    pub body_read_timeout: Duration,
    /// Requests answered at once; more get 503 with `Retry-After` (load shedding).
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            body_read_timeout: Duration::from_secs(30),
            max_concurrency: 1024,
        }
    }
}

/// Serves `app` on `listener` until `stop` turns true, then waits for open connections to
/// finish their in-flight requests (the caller bounds that wait).
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(target: "naftiko::server", error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = async {
                // Drop the watch guard at once: it must not live in the (Send) future.
                let _ = stop.wait_for(|s| *s).await;
            } => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}
