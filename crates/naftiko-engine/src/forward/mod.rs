//! `forward` resources (docs/semantics.md §5): a request passed on to a consumed API as it
//! came (method, the rest of its path, its query, its body) and the answer passed back, both
//! bodies streamed, never held whole.
//!
//! The request keeps only the trusted headers and the body's own (`headers.rs`), gets the
//! consumed API's fixed parameters and authentication, and goes to the URL `target.rs`
//! builds. Forwards bypass the [`crate::transport::Transport`] seam, which reads whole
//! answers: they use a streaming reqwest client (`reqwest_client.rs`, one per document,
//! with the consumed API's connect timeout, TLS roots and proxies). The bodies' limits and
//! timeouts are in `upload.rs` and `answer.rs`, both read through `limited.rs`. A streamed
//! body cannot be sent twice, so there is no retry after a 401 (an OAuth 2.0 token refused
//! is forgotten for the next request); Digest gets its challenge first (`digest.rs`). Each
//! request sent carries the caller's trace and request id as any upstream call does.

mod answer;
mod digest;
mod headers;
mod limited;
mod target;
mod upload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::header::{CONTENT_LENGTH, HeaderMap, HeaderValue, TRANSFER_ENCODING};
use naftiko_http1::framing::{self, Side};

pub use answer::{AnswerBody, AnswerFailure};
pub use upload::BodyFailure;

use crate::auth::Applied;
use crate::error::InvokeError;
use crate::prepared::Prepared;
use crate::request::FixedParams;
use crate::reqwest_client::LazyClient;
use crate::scope::BindsOnly;
use crate::trace::{ClientCall, Parent, Trace};
use crate::transport::TransportError;
use crate::upstream::Upstream;
use answer::AnswerLimits;
use headers::Passed;
use target::Target;
use upload::{AbandonOnDrop, BodyState, Inbound, Upload};

/// A request to forward, as an adapter hands it over.
#[derive(Debug)]
pub struct ForwardRequest<S> {
    /// The method (any: it is passed on).
    pub method: http::Method,
    /// What the route's last variable captured of the path, still percent-encoded, when
    /// the route has such a variable.
    pub remainder: Option<String>,
    /// The query, as received.
    pub query: Option<String>,
    /// Every header of the request (the forward picks what passes).
    pub headers: HeaderMap,
    /// The body, as it arrives. Read only when the headers announce one
    /// (`Content-Length` or `Transfer-Encoding`).
    pub body: S,
    /// The limits the body is read within.
    pub limits: InboundLimits,
}

/// How an inbound body is read.
#[derive(Debug, Clone, Copy)]
pub struct InboundLimits {
    /// Largest body, in bytes (`--max-body`).
    pub max_body: usize,
    /// Longest wait for the next piece of it (`--body-timeout`).
    pub body_timeout: Duration,
}

/// The upstream's answer, its body still streaming.
#[derive(Debug)]
pub struct ForwardAnswer {
    /// The status, as the upstream answered.
    pub status: http::StatusCode,
    /// Its end-to-end headers (`Content-Length` among them when it sent one).
    pub headers: HeaderMap,
    /// The body.
    pub body: AnswerBody,
}

/// Why a request could not be forwarded; nothing has been answered to the caller yet.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ForwardError {
    /// The inbound body is too large, too slow or malformed (413, 408, 400).
    #[error(transparent)]
    Body(#[from] BodyFailure),
    /// Anything else, as an operation would fail: a path that would leave the base URI
    /// (400), an unreachable upstream (502), one that does not answer in time (504), an
    /// answer announced larger than the limit (502), credentials that cannot be had (502).
    #[error(transparent)]
    Invoke(#[from] InvokeError),
}

/// A `forward` resource, built.
#[derive(Debug)]
pub(crate) struct Forward {
    upstream: Arc<Upstream>,
    target: Target,
    passed: Passed,
    fixed: FixedParams,
    binds: Arc<[Option<String>]>,
    client: LazyClient,
}

/// What a forward is built from.
pub(crate) struct ForwardParts<'a> {
    /// The consumed API.
    pub(crate) upstream: Arc<Upstream>,
    /// The route's variable that captures the rest of the path, if any.
    pub(crate) capture: Option<String>,
    /// `trustedHeaders`.
    pub(crate) trusted: Vec<&'a str>,
    /// The consumed API's fixed parameters.
    pub(crate) fixed: FixedParams,
    /// The document's bound values (for credentials and fixed parameters).
    pub(crate) binds: Arc<[Option<String>]>,
    /// The document's streaming client.
    pub(crate) client: LazyClient,
}

impl Forward {
    /// A forward; the trusted names it ignores, each with the reason.
    ///
    /// # Errors
    /// The consumed API's base URI is not a URL.
    pub(crate) fn new(parts: ForwardParts<'_>) -> Result<(Self, Vec<String>), String> {
        let target = Target::new(&parts.upstream.base, parts.capture)?;
        let (passed, ignored) = Passed::compile(parts.trusted);
        let forward = Forward {
            upstream: parts.upstream,
            target,
            passed,
            fixed: parts.fixed,
            binds: parts.binds,
            client: parts.client,
        };
        Ok((forward, ignored))
    }

    /// Forwards one request; the answer's head, its body still streaming.
    ///
    /// # Errors
    /// See [`ForwardError`].
    pub(crate) async fn run<S, E>(
        &self,
        req: ForwardRequest<S>,
        trace: &Trace,
    ) -> Result<ForwardAnswer, ForwardError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let ForwardRequest {
            method,
            remainder,
            query,
            headers,
            body,
            limits,
        } = req;
        let announced = Announced::of(&headers, limits.max_body)?;
        let (mut prepared, applied) = self
            .prepare(&method, remainder.as_deref(), query.as_deref(), &headers)
            .await?;
        let inbound: Option<Inbound> = matches!(announced, Announced::Stream(_))
            .then(|| Box::pin(body.map(|piece| piece.map_err(|e| e.to_string()))) as Inbound);
        let state = BodyState::new(inbound, limits.max_body, limits.body_timeout);
        // Until the answer's body takes it over: a forward that fails, or whose caller goes
        // away, lets go of the caller's body.
        let upload = AbandonOnDrop(state.clone());
        if self.upstream.auth.is_digest() {
            let bodiless = !matches!(announced, Announced::Stream(_));
            let (probe, probe_body) = digest::probe(&prepared, bodiless);
            let none = BodyState::new(None, 0, Duration::ZERO);
            let response = self.send_recorded(probe, probe_body, &none, trace).await?;
            let upstream = &self.upstream;
            let (auth, namespace) = (&upstream.auth, &upstream.namespace);
            let probed = digest::challenged(
                response,
                bodiless,
                &mut prepared,
                auth,
                &self.binds,
                namespace,
            )?;
            if let digest::Probe::Answered(response) = probed {
                return self.answer(&method, response, upload);
            }
        }
        let body = announced.body(&state, &mut prepared.headers);
        let response = self.send_recorded(prepared, body, &state, trace).await?;
        if response.status() == http::StatusCode::UNAUTHORIZED {
            self.upstream.auth.forget(applied);
        }
        self.answer(&method, response, upload)
    }

    /// The request to send, without its body: the target URL, the headers that pass, the
    /// consumed API's fixed parameters and credentials.
    async fn prepare(
        &self,
        method: &http::Method,
        remainder: Option<&str>,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<(Prepared, Applied), InvokeError> {
        let url = self.target.url(remainder, query)?;
        let mut prepared = Prepared {
            method: method.clone(),
            url,
            headers: self.passed.upstream(headers),
            body: None,
        };
        self.fixed.apply(&self.binds, &mut prepared)?;
        let scope = BindsOnly(&self.binds);
        let namespace = &self.upstream.namespace;
        let applied = self
            .upstream
            .auth
            .apply(&mut prepared, &scope, namespace)
            .await?;
        Ok((prepared, applied))
    }

    /// [`Forward::send`] as a call of its own in the request's trace (its trace headers
    /// replace any the caller's trusted headers brought), its outcome counted in the
    /// consumed API's metrics and recorded as a CLIENT span (ending with the answer's head).
    async fn send_recorded(
        &self,
        mut prepared: Prepared,
        body: Option<reqwest::Body>,
        state: &BodyState,
        trace: &Trace,
    ) -> Result<reqwest::Response, ForwardError> {
        let call = ClientCall::start(Parent {
            trace,
            span: trace.span_id(),
        });
        call.insert_headers(&mut prepared.headers);
        // What the span shows of the request, kept only when spans are recorded.
        let shown = trace
            .recording()
            .then(|| (prepared.method.clone(), prepared.url.clone()));
        let started = Instant::now();
        let sent = self.send(prepared, body, state).await;
        let (status, error) = match &sent {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(ForwardError::Invoke(e)) => (None, Some(e.kind())),
            // The caller's body failed: nothing to hold against the upstream.
            Err(ForwardError::Body(_)) => (None, None),
        };
        self.upstream.record(status, error, started.elapsed());
        if let Some((method, url)) = shown {
            let outcome = match &sent {
                Ok(r) => Ok(r.status().as_u16()),
                Err(ForwardError::Body(_)) => Err("invalid-body"),
                Err(ForwardError::Invoke(e)) => Err(e.kind()),
            };
            call.finish(&self.upstream.called(&method, &url), outcome);
        }
        sent
    }

    /// Sends the request, waiting for the answer's head while the upstream is not
    /// overdue ([`BodyState::upstream_overdue`]).
    async fn send(
        &self,
        prepared: Prepared,
        body: Option<reqwest::Body>,
        state: &BodyState,
    ) -> Result<reqwest::Response, ForwardError> {
        let client = self.client.get().map_err(InvokeError::Internal)?;
        let mut request = client
            .request(prepared.method, prepared.url)
            .headers(prepared.headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        let limit = self.upstream.options.max_response_bytes;
        let overdue = state.upstream_overdue(self.upstream.options.total_timeout);
        let sent = tokio::select! {
            sent = request.send() => sent,
            () = overdue => {
                let e = TransportError::Timeout(String::new());
                return Err(self.upstream.error_of(e, limit).into());
            }
        };
        sent.map_err(|e| match state.failure.get() {
            Some(failure) => ForwardError::Body(failure.clone()),
            None => {
                let e = crate::reqwest_client::failure(&e);
                ForwardError::Invoke(self.upstream.error_of(e, limit))
            }
        })
    }

    /// The answer's head and its body, within `--max-upstream-body` (refused at once when
    /// its `Content-Length` says it is larger).
    fn answer(
        &self,
        method: &http::Method,
        response: reqwest::Response,
        upload: AbandonOnDrop,
    ) -> Result<ForwardAnswer, ForwardError> {
        let status = response.status();
        let limit = self.upstream.options.max_response_bytes;
        let bodiless = framing::answer_is_bodiless(method == http::Method::HEAD, status.as_u16());
        if !bodiless
            && announced_length(response.headers(), Side::Answer).is_some_and(|n| n > limit as u64)
        {
            return Err(self.upstream.too_large(limit).into());
        }
        let headers = self.passed.downstream(response.headers());
        let limits = AnswerLimits {
            limit,
            idle: self.upstream.options.total_timeout,
            namespace: self.upstream.namespace.clone(),
            secrets: self.upstream.secrets.clone(),
            upload: Some(upload),
        };
        let body = if bodiless {
            AnswerBody::empty(limits)
        } else {
            AnswerBody::new(response.bytes_stream(), limits)
        };
        Ok(ForwardAnswer {
            status,
            headers,
            body,
        })
    }
}

/// What the inbound headers announce of the body.
#[derive(Debug, PartialEq, Eq)]
enum Announced {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    Nothing,
    /// `Content-Length: 0`.
    Empty,
    /// A body to stream, of this length when the caller declared one (else chunked; a
    /// `Transfer-Encoding` wins over a length, as RFC 9112 §6.3 has it).
    Stream(Option<u64>),
}

impl Announced {
    /// The body to send: the caller's, read through `state`, when there is one to stream
    /// (its declared length added to `headers`).
    fn body(&self, state: &Arc<BodyState>, headers: &mut HeaderMap) -> Option<reqwest::Body> {
        match self {
            Announced::Nothing => None,
            Announced::Empty => Some(reqwest::Body::from(Bytes::new())),
            Announced::Stream(length) => {
                if let Some(n) = length {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(*n));
                }
                Some(reqwest::Body::wrap_stream(Upload(state.clone())))
            }
        }
    }

    /// What `headers` announce.
    ///
    /// # Errors
    /// A declared length over `max_body` (413 before anything is sent).
    fn of(headers: &HeaderMap, max_body: usize) -> Result<Self, BodyFailure> {
        if headers.contains_key(TRANSFER_ENCODING) {
            return Ok(Announced::Stream(None));
        }
        Ok(match announced_length(headers, Side::Request) {
            None => Announced::Nothing,
            Some(0) => Announced::Empty,
            Some(n) if n > max_body as u64 => return Err(BodyFailure::TooLarge(max_body)),
            Some(n) => Announced::Stream(Some(n)),
        })
    }
}

/// The `Content-Length` a message's headers announce, when they announce one that can be
/// read (`Side` rules of `naftiko_http1::framing`).
fn announced_length(headers: &HeaderMap, side: Side) -> Option<u64> {
    let mut length = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        framing::content_length(side, &mut length, value.as_bytes()).ok()?;
    }
    length
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announced(pairs: &[(&str, &str)]) -> Result<Announced, BodyFailure> {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Announced::of(&h, 100)
    }

    #[test]
    fn the_headers_say_whether_and_how_a_body_goes_on() {
        assert_eq!(announced(&[]), Ok(Announced::Nothing));
        assert_eq!(announced(&[("content-length", "0")]), Ok(Announced::Empty));
        assert_eq!(
            announced(&[("content-length", "100")]),
            Ok(Announced::Stream(Some(100)))
        );
        assert_eq!(
            announced(&[("content-length", "101")]),
            Err(BodyFailure::TooLarge(100))
        );
        assert_eq!(
            announced(&[("transfer-encoding", "chunked"), ("content-length", "5")]),
            Ok(Announced::Stream(None))
        );
    }
}
