//! One consumed API at run time: its pooled HTTP client, base URI, authentication, timeouts
//! and the call itself (send, authenticate, retry once on 401 where that helps, read the
//! answer within a size limit).

use std::time::Duration;

use bytes::BytesMut;

use crate::answer::{Answer, Head};
use crate::auth::Auth;
use crate::error::InvokeError;
use crate::h1_client::{H1Answer, H1Client, H1Error};
use crate::request::Prepared;
use crate::scope::Resolve;
use crate::secrets::Secrets;

/// HTTP client settings shared by every consumed API (SEMANTICS §3).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for a whole upstream call, body included.
    pub total_timeout: Duration,
    /// Largest upstream answer read, in bytes.
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A consumed API, built.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) namespace: String,
    /// The base URI, rendered (and overridden by `--base-uri`).
    pub(crate) base: String,
    pub(crate) client: LazyClient,
    pub(crate) auth: Auth,
    pub(crate) options: ClientOptions,
    pub(crate) secrets: Secrets,
    pub(crate) metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// This API's call metrics, resolved at the first call.
    pub(crate) calls: std::sync::OnceLock<crate::metrics::UpstreamMetrics>,
    /// naftiko's own HTTP/1 client, used instead of reqwest for `http://` upstreams with no proxy.
    pub(crate) h1: Option<H1Client>,
}

/// The `User-Agent` naftiko sends upstream.
const USER_AGENT: &str = concat!("naftiko/", env!("CARGO_PKG_VERSION"));

/// The h1 client of one consumed API (connect timeout, `TCP_NODELAY`, kept-alive
/// connections).
pub(crate) fn h1_client(options: &ClientOptions) -> H1Client {
    H1Client::new(options.connect_timeout, USER_AGENT)
}

/// What naftiko keeps of a header map.
fn head(headers: &http::HeaderMap) -> Head {
    let mut head = Head::default();
    for (name, value) in headers {
        head.note(name.as_str().as_bytes(), value.as_bytes());
    }
    head
}

/// The reqwest client of a document's consumed APIs (HTTPS, proxies, token endpoints),
/// built on first use: `http://` upstreams on the h1 client never need it, and building it pages in the
/// TLS stack at start-up (about 2 MiB of resident code).
#[derive(Debug, Clone)]
pub(crate) struct LazyClient {
    options: ClientOptions,
    cell: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
}

impl LazyClient {
    /// A client with these settings, not built yet.
    pub(crate) fn new(options: &ClientOptions) -> Self {
        LazyClient {
            options: options.clone(),
            cell: std::sync::Arc::default(),
        }
    }

    /// The client, built now if it was not yet.
    ///
    /// # Errors
    /// [`InvokeError::Internal`] when the TLS stack cannot be set up.
    pub(crate) fn get(&self) -> Result<&reqwest::Client, InvokeError> {
        self.cell
            .get_or_init(|| client(&self.options))
            .as_ref()
            .map_err(|e| InvokeError::Internal(e.clone()))
    }
}

/// Builds the pooled client of one consumed API.
pub(crate) fn client(options: &ClientOptions) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.total_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", describe(&e)))
}

/// A reqwest error as text without its URL (which may carry credentials in the query).
pub(crate) fn describe(e: &reqwest::Error) -> String {
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

impl Upstream {
    fn failure(&self, e: &reqwest::Error) -> InvokeError {
        if e.is_timeout() && !e.is_connect() {
            return InvokeError::UpstreamTimeout {
                namespace: self.namespace.clone(),
                after: self.options.total_timeout,
            };
        }
        InvokeError::UpstreamUnreachable {
            namespace: self.namespace.clone(),
            detail: self.secrets.redact(&describe(e)),
        }
    }

    /// Sends `req` with credentials; retries once after a 401 when the scheme can answer it
    /// (a fresh OAuth 2.0 token, a digest challenge).
    pub(crate) async fn call(
        &self,
        mut req: Prepared,
        scope: &dyn Resolve,
    ) -> Result<Answer, InvokeError> {
        let applied = self
            .auth
            .apply(&mut req, scope, &self.client, &self.namespace)
            .await?;
        let (answer, challenge) = self.send(&req).await?;
        if answer.status != 401 || !self.auth.retries_on_401() {
            return Ok(answer);
        }
        if !self.auth.on_unauthorized(
            &mut req,
            applied,
            challenge.as_deref(),
            scope,
            &self.namespace,
        )? {
            return Ok(answer);
        }
        if matches!(self.auth, Auth::OAuth2(_)) {
            self.auth
                .apply(&mut req, scope, &self.client, &self.namespace)
                .await?;
        }
        Ok(self.send(&req).await?.0)
    }

    async fn send(&self, req: &Prepared) -> Result<(Answer, Option<String>), InvokeError> {
        self.counted(self.send_inner(req)).await
    }

    /// Sends a request already written out in full (see [`crate::direct`]) on the
    /// h1 client, counted and limited like any other call.
    pub(crate) async fn send_written(
        &self,
        url: &reqwest::Url,
        request: &[u8],
    ) -> Result<Answer, InvokeError> {
        let Some(h1) = &self.h1 else {
            return Err(InvokeError::Internal(
                "a written-out request needs the h1 client".to_owned(),
            ));
        };
        let exchange = h1.exchange(url, request, false, self.options.max_response_bytes);
        let sent = self.counted(self.h1_result(exchange)).await?;
        Ok(sent.0)
    }

    /// Runs one upstream exchange, recording it in the metrics.
    async fn counted(
        &self,
        exchange: impl std::future::Future<Output = Result<(Answer, Option<String>), InvokeError>>,
    ) -> Result<(Answer, Option<String>), InvokeError> {
        // Counted even when the caller goes away mid-call (the future is then dropped).
        struct Count<'a> {
            upstream: &'a Upstream,
            started: std::time::Instant,
            status: Option<Option<u16>>,
        }
        impl Drop for Count<'_> {
            fn drop(&mut self) {
                let status = self.status.flatten();
                let upstream = self.upstream;
                let calls = upstream
                    .calls
                    .get_or_init(|| upstream.metrics.upstream_of(&upstream.namespace));
                upstream
                    .metrics
                    .record_upstream(calls, status, self.started.elapsed());
            }
        }
        let mut count = Count {
            upstream: self,
            started: std::time::Instant::now(),
            status: None,
        };
        let result = exchange.await;
        count.status = Some(result.as_ref().ok().map(|(a, _)| a.status));
        result
    }

    async fn send_inner(&self, req: &Prepared) -> Result<(Answer, Option<String>), InvokeError> {
        if let Some(h1) = &self.h1 {
            return self.send_h1(h1, req).await;
        }
        let mut builder = self
            .client
            .get()?
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone());
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| self.failure(&e))?;
        let status = response.status().as_u16();
        let head = head(response.headers());
        self.check_declared_length(response.content_length())?;
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(&e))? {
            self.append(&mut body, &chunk)?;
        }
        Ok(head.answer(status, body))
    }

    /// Refuses an answer whose declared length is over the limit before reading it.
    fn check_declared_length(&self, length: Option<u64>) -> Result<(), InvokeError> {
        if length.is_some_and(|n| n > self.options.max_response_bytes as u64) {
            return Err(self.too_large());
        }
        Ok(())
    }

    /// Adds a chunk of the answer, within the size limit.
    fn append(&self, body: &mut BytesMut, chunk: &[u8]) -> Result<(), InvokeError> {
        if body.len() + chunk.len() > self.options.max_response_bytes {
            return Err(self.too_large());
        }
        body.extend_from_slice(chunk);
        Ok(())
    }

    /// The h1 path: naftiko's own HTTP/1.1 client (no proxy, no TLS, no redirects
    /// to follow), under the same total timeout and size limit.
    async fn send_h1(
        &self,
        h1: &H1Client,
        req: &Prepared,
    ) -> Result<(Answer, Option<String>), InvokeError> {
        let exchange = h1.send(
            &req.method,
            &req.url,
            &req.headers,
            req.body.as_ref(),
            self.options.max_response_bytes,
        );
        self.h1_result(exchange).await
    }

    /// An h1 exchange under the total timeout, its failures as [`InvokeError`]s.
    async fn h1_result(
        &self,
        exchange: impl std::future::Future<Output = Result<H1Answer, H1Error>>,
    ) -> Result<(Answer, Option<String>), InvokeError> {
        match tokio::time::timeout(self.options.total_timeout, exchange).await {
            Ok(Ok(answer)) => Ok(answer.head.answer(answer.status, answer.body)),
            Ok(Err(H1Error::TooLarge)) => Err(self.too_large()),
            Ok(Err(H1Error::Connect(detail) | H1Error::Broken(detail))) => {
                Err(InvokeError::UpstreamUnreachable {
                    namespace: self.namespace.clone(),
                    detail: self.secrets.redact(&detail),
                })
            }
            Err(_) => Err(InvokeError::UpstreamTimeout {
                namespace: self.namespace.clone(),
                after: self.options.total_timeout,
            }),
        }
    }

    fn too_large(&self) -> InvokeError {
        InvokeError::UpstreamBody {
            namespace: self.namespace.clone(),
            detail: format!(
                "larger than the {} byte limit",
                self.options.max_response_bytes
            ),
        }
    }
}
