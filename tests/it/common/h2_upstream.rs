//! An HTTPS upstream that speaks only HTTP/2: ALPN `h2` alone (a client offering only
//! `http/1.1` gets the `no_application_protocol` alert, as from any server that refuses
//! HTTP/1.1), hyper's HTTP/2 server behind rustls. Every request is answered with one
//! JSON document, and recorded: method, target, protocol version, headers and body.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::serve::Seen;

/// A running upstream; stops when dropped.
pub(crate) struct H2Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(Version, Seen)>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl H2Upstream {
    /// An upstream serving the certificate chain `cert` (with `key`), answering `answer`.
    pub(crate) fn start(cert: &Path, key: &Path, answer: serde_json::Value) -> H2Upstream {
        let acceptor = super::tls_front::acceptor(cert, key, b"h2");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let answer = answer.to_string();
        let (addr, stop) = super::serve::serve_listener(move |listener| async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, kept, answer) = (acceptor.clone(), kept.clone(), answer.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |r: Request<_>| {
                        let (kept, answer) = (kept.clone(), answer.clone());
                        async move {
                            let (parts, body) = r.into_parts();
                            let body = axum::body::to_bytes(Body::new(body), 1 << 20)
                                .await
                                .unwrap_or_default();
                            let target = parts.uri.path_and_query().map(ToString::to_string);
                            let request = Seen {
                                method: parts.method.to_string(),
                                target: target.unwrap_or_default(),
                                headers: parts.headers,
                                body: String::from_utf8_lossy(&body).into_owned(),
                                peer,
                            };
                            kept.lock().unwrap().push((parts.version, request));
                            let mut response = Response::new(Body::from(answer));
                            response.headers_mut().insert(
                                "content-type",
                                hyper::header::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        H2Upstream {
            addr,
            seen,
            _stop: stop,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The requests received so far, each with its protocol version.
    pub(crate) fn seen(&self) -> Vec<(Version, Seen)> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}
