//! The upstream transport seam: every request the engine sends upstream (consumed
//! operations, OAuth 2.0 token requests) goes through one [`Transport`].
//!
//! Two ship with naftiko: the h1 client (`h1_client.rs`, `http://` and `https://` without a
//! proxy; it also takes requests written out in full, which the direct path sends) and
//! reqwest (`reqwest_client.rs`: proxies, token endpoints). Benchmarks and tests plug in
//! their own through [`crate::BuildOptions::transport`]. A transport only moves bytes:
//! credentials, retries, the total timeout, metrics and error wording are the engine's
//! (`upstream.rs`), the same whatever the transport.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method};

pub use crate::answer::Head;

/// The `User-Agent` naftiko sends upstream.
pub(crate) const USER_AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

/// HTTP client settings shared by every consumed API.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for a whole upstream call, body included.
    pub total_timeout: Duration,
    /// Largest upstream answer read, in bytes.
    pub max_response_bytes: usize,
    /// Certificate authorities trusted beside the system's roots for HTTPS upstreams
    /// (`--ca-bundle PATH`).
    pub extra_roots: Option<std::sync::Arc<crate::ca_bundle::CaBundle>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
            extra_roots: None,
        }
    }
}

/// A request to send.
#[derive(Debug, Clone, Copy)]
pub enum Outgoing<'a> {
    /// A request as parts.
    Request {
        /// The method.
        method: &'a Method,
        /// The whole URL.
        url: &'a reqwest::Url,
        /// Its headers (framing headers excepted: the transport frames the body).
        headers: &'a HeaderMap,
        /// Its body.
        body: Option<&'a Bytes>,
    },
    /// An HTTP/1.1 request written out in full (head and body), to the host of `url`: what
    /// the direct path sends, only to transports whose [`Transport::takes_written`] is true.
    Written {
        /// Where it goes (scheme, host and port are used).
        url: &'a reqwest::Url,
        /// The request's bytes.
        bytes: &'a [u8],
        /// It is a `HEAD` request (its answer has no body).
        is_head: bool,
    },
}

/// An answer as a transport read it: the status, the headers the engine keeps, the body.
#[derive(Debug)]
pub struct Received {
    /// The status code.
    pub status: u16,
    /// The headers the engine keeps ([`Head::note`] each one).
    pub head: Head,
    /// The whole body.
    pub body: BytesMut,
}

/// Why a transport could not deliver an answer. The texts must carry no URL (a query may
/// hold credentials); the engine redacts bound values from them too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The connection could not be opened.
    #[error("{0}")]
    Connect(String),
    /// The exchange broke off, or the answer was not valid HTTP.
    #[error("{0}")]
    Broken(String),
    /// The answer's body is larger than the limit.
    #[error("the answer is larger than the limit")]
    TooLarge,
    /// The transport's own deadline passed.
    #[error("{0}")]
    Timeout(String),
    /// The transport cannot be used at all (its set-up failed: naftiko's fault, not the
    /// upstream's).
    #[error("{0}")]
    Unavailable(String),
}

/// An exchange under way.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<Received, TransportError>> + Send + 'a>>;

/// Sends requests upstream and reads whole answers.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request` and reads its whole answer, at most `max_body` bytes of body.
    fn send<'a>(&'a self, request: Outgoing<'a>, max_body: usize) -> Sending<'a>;

    /// True when it takes [`Outgoing::Written`] requests (the direct path needs it).
    fn takes_written(&self) -> bool {
        false
    }
}
