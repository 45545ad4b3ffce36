//! One consumed API at run time: its transport, base URI, authentication, timeouts and the
//! call itself (send, authenticate, retry once on 401 where that helps, read the answer
//! within a size limit, count it in the metrics, carry the trace and record its span).

use crate::answer::Answer;
use crate::auth::Auth;
use crate::error::InvokeError;
use crate::prepared::Prepared;
use crate::scope::Resolve;
use crate::secrets::Secrets;
use crate::trace::{Called, ClientCall, Parent};
use crate::transport::{ClientOptions, Outgoing, Transport, TransportError};

/// What a CLIENT span records of an exchange's result: the status, or the failure's kind.
fn status_of(result: &Result<(Answer, Option<String>), InvokeError>) -> Result<u16, &'static str> {
    result
        .as_ref()
        .map(|(a, _)| a.status)
        .map_err(InvokeError::kind)
}

/// A consumed API, built.
#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) namespace: String,
    /// The base URI, rendered (and overridden by `--base-uri`).
    pub(crate) base: String,
    /// How its requests travel.
    pub(crate) transport: std::sync::Arc<dyn Transport>,
    pub(crate) auth: Auth,
    pub(crate) options: ClientOptions,
    pub(crate) secrets: Secrets,
    pub(crate) metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// This API's call metrics, resolved at the first call.
    pub(crate) calls: std::sync::OnceLock<crate::metrics::UpstreamMetrics>,
}

impl Upstream {
    /// Sends `req` with credentials; retries once after a 401 when the scheme can answer it
    /// (a fresh OAuth 2.0 token, a digest challenge). `limit` lowers the answer's size limit
    /// (binary content's `maxBinarySize`); `--max-upstream-body` still caps it.
    pub(crate) async fn call(
        &self,
        mut req: Prepared,
        scope: &dyn Resolve,
        limit: Option<usize>,
        parent: Parent<'_>,
    ) -> Result<Answer, InvokeError> {
        let applied = self.auth.apply(&mut req, scope, &self.namespace).await?;
        let (answer, challenge) = self.send(&mut req, limit, parent).await?;
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
            self.auth.apply(&mut req, scope, &self.namespace).await?;
        }
        Ok(self.send(&mut req, limit, parent).await?.0)
    }

    /// Sends `req` once, as a call of its own in the trace (its headers set here).
    async fn send(
        &self,
        req: &mut Prepared,
        limit: Option<usize>,
        parent: Parent<'_>,
    ) -> Result<(Answer, Option<String>), InvokeError> {
        let call = ClientCall::start(parent);
        call.insert_headers(&mut req.headers);
        let outgoing = Outgoing::Request {
            method: &req.method,
            url: &req.url,
            headers: &req.headers,
            body: req.body.as_ref(),
        };
        let result = self.counted(self.exchange(outgoing, limit)).await;
        call.finish(&self.called(&req.method, &req.url), status_of(&result));
        result
    }

    /// What this API's CLIENT spans say of a request to `url`.
    pub(crate) fn called<'u>(
        &'u self,
        method: &'u http::Method,
        url: &'u reqwest::Url,
    ) -> Called<'u> {
        Called {
            method,
            url,
            namespace: &self.namespace,
            secrets: &self.secrets,
        }
    }

    /// True when the transport takes requests written out in full (the direct path).
    pub(crate) fn takes_written(&self) -> bool {
        self.transport.takes_written()
    }

    /// Sends a request already written out in full (see [`crate::direct`]; `call` wrote its
    /// trace headers), counted and limited like any other call (`limit`: a binary answer's
    /// own, see [`ConsumedOp::binary_limit`](crate::request::ConsumedOp::binary_limit)).
    pub(crate) async fn send_written(
        &self,
        method: &http::Method,
        url: &reqwest::Url,
        request: &[u8],
        call: ClientCall<'_>,
        limit: Option<usize>,
    ) -> Result<Answer, InvokeError> {
        let outgoing = Outgoing::Written {
            url,
            bytes: request,
            is_head: method == http::Method::HEAD,
        };
        let result = self.counted(self.exchange(outgoing, limit)).await;
        call.finish(&self.called(method, url), status_of(&result));
        Ok(result?.0)
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
            status: Option<u16>,
            error: Option<&'static str>,
        }
        impl Drop for Count<'_> {
            fn drop(&mut self) {
                self.upstream
                    .record(self.status, self.error, self.started.elapsed());
            }
        }
        let mut count = Count {
            upstream: self,
            started: std::time::Instant::now(),
            status: None,
            error: None,
        };
        let result = exchange.await;
        match &result {
            Ok((answer, _)) => count.status = Some(answer.status),
            Err(e) => count.error = Some(e.kind()),
        }
        result
    }

    /// Records one exchange in this API's metrics (`status` `None`: no answer; `error`:
    /// why it failed).
    pub(crate) fn record(
        &self,
        status: Option<u16>,
        error: Option<&str>,
        elapsed: std::time::Duration,
    ) {
        let calls = self
            .calls
            .get_or_init(|| self.metrics.upstream_of(&self.namespace));
        self.metrics.record_upstream(calls, status, error, elapsed);
    }

    /// One exchange on the transport under the total timeout, its failures as
    /// [`InvokeError`]s; the answer with its `Digest` challenge beside it.
    async fn exchange(
        &self,
        outgoing: Outgoing<'_>,
        limit: Option<usize>,
    ) -> Result<(Answer, Option<String>), InvokeError> {
        let max = self.options.max_response_bytes;
        let limit = limit.map_or(max, |l| l.min(max));
        let sending = self.transport.send(outgoing, limit);
        match tokio::time::timeout(self.options.total_timeout, sending).await {
            Ok(Ok(received)) => Ok(received.head.answer(received.status, received.body)),
            Ok(Err(e)) => Err(self.error_of(e, limit)),
            Err(_) => Err(self.error_of(TransportError::Timeout(String::new()), limit)),
        }
    }

    /// A transport's failure as an [`InvokeError`] naming this API (`limit`: the answer
    /// size limit that applied), its detail redacted.
    pub(crate) fn error_of(&self, e: TransportError, limit: usize) -> InvokeError {
        match e {
            TransportError::TooLarge => self.too_large(limit),
            TransportError::Connect(detail) | TransportError::Broken(detail) => {
                InvokeError::UpstreamUnreachable {
                    namespace: self.namespace.clone(),
                    detail: self.secrets.redact(&detail),
                }
            }
            TransportError::Timeout(_) => InvokeError::UpstreamTimeout {
                namespace: self.namespace.clone(),
                after: self.options.total_timeout,
            },
            TransportError::Unavailable(detail) => InvokeError::Internal(detail),
        }
    }

    /// The answer is larger than `limit` bytes.
    pub(crate) fn too_large(&self, limit: usize) -> InvokeError {
        InvokeError::UpstreamBody {
            namespace: self.namespace.clone(),
            detail: format!("larger than the {limit} byte limit"),
        }
    }
}
