//! One consumed API at run time: its pooled HTTP client, base URI, authentication, timeouts
//! and the call itself (send, authenticate, retry once on 401 where that helps, read the
//! answer within a size limit).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};

use crate::auth::Auth;
use crate::error::InvokeError;
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
    pub(crate) client: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) options: ClientOptions,
    pub(crate) secrets: Secrets,
    pub(crate) metrics: std::sync::Arc<crate::metrics::Metrics>,
}

/// An upstream's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    /// The upstream's `Cache-Control` (a token endpoint's `no-store` must reach the caller).
    pub(crate) cache_control: Option<String>,
    pub(crate) body: Bytes,
}

/// Builds the pooled client of one consumed API.
pub(crate) fn client(options: &ClientOptions) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.total_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("naftiko/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", describe(&e)))
}

/// A reqwest error as text without its URL (which may carry credentials in the query).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        if e.is_timeout() {
            return "timed out".to_owned();
        }
        if e.is_connect() {
            return "connection failed".to_owned();
        }
        return "request failed".to_owned();
    }
    parts.join(": ")
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
        let started = std::time::Instant::now();
        let result = self.send_inner(req).await;
        let status = result.as_ref().ok().map(|(a, _)| a.status);
        self.metrics
            .upstream(&self.namespace, status, started.elapsed());
        result
    }

    async fn send_inner(&self, req: &Prepared) -> Result<(Answer, Option<String>), InvokeError> {
        let mut builder = self
            .client
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone());
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| self.failure(&e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cache_control = response
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let challenge = response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.trim_start().starts_with("Digest"))
            .map(str::to_owned);
        let limit = self.options.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(self.too_large());
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((
            Answer {
                status,
                content_type,
                cache_control,
                body: body.freeze(),
            },
            challenge,
        ))
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
