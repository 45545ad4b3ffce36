//! An HTTPS front for a plain test upstream: it accepts TLS connections on a free loopback
//! port (rustls, TLS 1.3 only, two session tickets after each handshake, as most servers
//! send), opens one plain connection to the upstream for each, and relays bytes both ways.
//! It counts the TCP connections it accepts (so a test can tell a reused upstream
//! connection from a new one) and can do, on every connection, what may happen to an idle
//! one: a key update after each answer (records without data arriving on an idle
//! connection), or a `close_notify` after each answer.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// What the front does after relaying each answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterAnswer {
    /// Nothing.
    Nothing,
    /// A TLS 1.3 key update, a little later (so it arrives on an idle connection).
    KeyUpdate,
    /// `close_notify`, a little later, then the connection is closed.
    Close,
}

/// A running front; stops when dropped.
pub(crate) struct TlsFront {
    pub(crate) addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TlsFront {
    /// A front serving the certificate chain `cert` (with `key`) for the plain upstream at
    /// `upstream`.
    pub(crate) fn start(
        cert: &Path,
        key: &Path,
        upstream: SocketAddr,
        after: AfterAnswer,
    ) -> TlsFront {
        let acceptor = acceptor(cert, key, b"http/1.1");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        let (addr, stop) = super::serve::serve_listener(move |listener| async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = relay(tls, upstream, after).await;
                    }
                });
            }
        });
        TlsFront {
            addr,
            accepted,
            _stop: stop,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// TLS 1.3 with the certificate chain and key in these PEM files, stateless session
/// tickets (two after each handshake, rustls's default), and `alpn` the only protocol
/// (a client offering others only is refused).
pub(crate) fn acceptor(cert: &Path, key: &Path, alpn: &[u8]) -> TlsAcceptor {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().unwrap();
    assert_eq!(config.send_tls13_tickets, 2);
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Relays one connection to a new plain connection to `upstream`, until either side
/// closes.
async fn relay(
    mut tls: TlsStream<TcpStream>,
    upstream: SocketAddr,
    after: AfterAnswer,
) -> std::io::Result<()> {
    let mut up = TcpStream::connect(upstream).await?;
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_upstream = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            n = tls.read(&mut from_client) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                up.write_all(&from_client[..n]).await?;
            }
            n = up.read(&mut from_upstream) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                tls.write_all(&from_upstream[..n]).await?;
                tls.flush().await?;
                if after == AfterAnswer::Nothing {
                    continue;
                }
                // Later than the answer, so that the client has read it and put the
                // connection back in its pool.
                tokio::time::sleep(Duration::from_millis(100)).await;
                if after == AfterAnswer::Close {
                    tls.shutdown().await?;
                    return Ok(());
                }
                tls.get_mut().1.refresh_traffic_keys().map_err(std::io::Error::other)?;
                tls.flush().await?;
            }
        }
    }
}
