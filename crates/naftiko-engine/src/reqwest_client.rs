//! The reqwest transport: proxied upstreams and OAuth 2.0 token endpoints (`forward`
//! resources use a streaming reqwest client of their own). Its client is built on first
//! use: upstreams on the h1 client never need it, and building it pages in the TLS stack
//! (about 2 MiB of resident code). Its TLS settings are the ones `upstream_tls.rs` gives
//! the h1 client.

use std::time::Duration;

use bytes::BytesMut;

use crate::answer::Head;
use crate::transport::{
    ClientOptions, Outgoing, Received, Sending, Transport, TransportError, USER_AGENT,
};

/// The reqwest client of a document's consumed APIs (proxies, token endpoints), built on
/// first use.
#[derive(Debug, Clone)]
pub(crate) struct LazyClient {
    options: ClientOptions,
    /// Streams bodies both ways (`forward` resources): no total timeout, which the caller
    /// applies to the parts of the exchange it bounds.
    streaming: bool,
    cell: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
}

impl LazyClient {
    /// A client with these settings, not built yet.
    pub(crate) fn new(options: &ClientOptions) -> Self {
        LazyClient {
            options: options.clone(),
            streaming: false,
            cell: std::sync::Arc::default(),
        }
    }

    /// A client for streamed exchanges (`forward`), with these settings but no total
    /// timeout, not built yet.
    pub(crate) fn streaming(options: &ClientOptions) -> Self {
        LazyClient {
            streaming: true,
            ..LazyClient::new(options)
        }
    }

    /// The client, built now if it was not yet.
    ///
    /// # Errors
    /// When the TLS stack cannot be set up.
    pub(crate) fn get(&self) -> Result<&reqwest::Client, String> {
        self.cell
            .get_or_init(|| client(&self.options, self.streaming))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Builds the pooled client of one consumed API (`streaming`: without the total timeout).
fn client(options: &ClientOptions, streaming: bool) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(crate::dns::for_reqwest())
        .user_agent(USER_AGENT);
    if !streaming {
        builder = builder.timeout(options.total_timeout);
    }
    if let Some(bundle) = &options.extra_roots {
        // Added to the platform verifier's roots, not in place of them.
        builder = builder.tls_certs_merge(bundle.certificates());
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", describe(&e)))
}

/// A reqwest error as text without its URL (which may carry credentials in the query).
fn describe(e: &reqwest::Error) -> String {
    let fallback = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    causes(e, fallback)
}

/// The distinct messages of an error's sources (not the error itself, whose text may carry
/// a URL), joined with `: `; `fallback` when there are none.
fn causes(e: &dyn std::error::Error, fallback: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        fallback.to_owned()
    } else {
        parts.join(": ")
    }
}

impl Transport for LazyClient {
    fn send<'a>(&'a self, request: Outgoing<'a>, max_body: usize) -> Sending<'a> {
        Box::pin(async move {
            let Outgoing::Request {
                method,
                url,
                headers,
                body,
            } = request
            else {
                return Err(TransportError::Broken(
                    "a written-out request needs the h1 client".to_owned(),
                ));
            };
            let client = self.get().map_err(TransportError::Unavailable)?;
            let mut builder = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = body {
                builder = builder.body(body.clone());
            }
            let mut response = builder.send().await.map_err(|e| failure(&e))?;
            let status = response.status().as_u16();
            let mut head = Head::default();
            for (name, value) in response.headers() {
                head.note(name.as_str().as_bytes(), value.as_bytes());
            }
            if response
                .content_length()
                .is_some_and(|n| n > max_body as u64)
            {
                return Err(TransportError::TooLarge);
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| failure(&e))? {
                if body.len() + chunk.len() > max_body {
                    return Err(TransportError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Received { status, head, body })
        })
    }
}

/// A reqwest error as a transport error, its text without the URL.
pub(crate) fn failure(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() && !e.is_connect() {
        TransportError::Timeout(describe(e))
    } else if e.is_connect() {
        TransportError::Connect(describe(e))
    } else {
        TransportError::Broken(describe(e))
    }
}
