//! The upstream's answer body on its way back to the caller, streamed: read within
//! `--max-upstream-body` and `--upstream-timeout` per piece (`limited.rs`); past either, it
//! ends with an error, which cuts the caller's connection (the head is sent already), and a
//! `naftiko::error` line says why. When it ends, whatever is left of the caller's body is
//! abandoned (an upstream that answered early will not read it).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use super::limited::{Limited, Stop};
use super::upload::AbandonOnDrop;

/// Why a forwarded answer's body was cut.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerFailure {
    /// More bytes than `--max-upstream-body`.
    #[error("the answer of upstream `{namespace}` is larger than the {limit} byte limit")]
    TooLarge {
        /// The consumed namespace.
        namespace: String,
        /// The limit.
        limit: usize,
    },
    /// A piece did not arrive within `--upstream-timeout`.
    #[error("upstream `{namespace}` stopped sending its answer for {} ms", .after.as_millis())]
    Stalled {
        /// The consumed namespace.
        namespace: String,
        /// The timeout.
        after: Duration,
    },
    /// The upstream's connection broke (its detail redacted).
    #[error("upstream `{namespace}` broke off its answer: {detail}")]
    Broken {
        /// The consumed namespace.
        namespace: String,
        /// What failed.
        detail: String,
    },
}

/// An upstream answer's body as reqwest streams it.
type Upstreamed = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The upstream's answer body, streamed back to the caller within its limits (see the
/// module). Adapters send it as it comes; an error means the answer is cut (close the
/// connection: the head is gone already).
pub struct AnswerBody {
    body: Limited<Upstreamed>,
    namespace: String,
    secrets: crate::Secrets,
    /// The caller's body, let go of when the answer ends.
    upload: Option<AbandonOnDrop>,
}

impl std::fmt::Debug for AnswerBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerBody")
            .field("namespace", &self.namespace)
            .field("seen", &self.body.seen)
            .finish_non_exhaustive()
    }
}

/// How an answer body is read: its limit, the longest pause, whom to name, and the
/// caller's body to let go of when it ends.
pub(crate) struct AnswerLimits {
    pub(crate) limit: usize,
    pub(crate) idle: Duration,
    pub(crate) namespace: String,
    pub(crate) secrets: crate::Secrets,
    pub(crate) upload: Option<AbandonOnDrop>,
}

impl AnswerBody {
    /// Wraps an upstream answer's body stream.
    pub(crate) fn new(
        inner: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
        limits: AnswerLimits,
    ) -> Self {
        let inner: Upstreamed = Box::pin(inner);
        AnswerBody {
            body: Limited::new(inner, limits.limit, limits.idle),
            namespace: limits.namespace,
            secrets: limits.secrets,
            upload: limits.upload,
        }
    }

    /// An answer without a body (`HEAD`, 204, 304).
    pub(crate) fn empty(limits: AnswerLimits) -> Self {
        AnswerBody::new(futures_util::stream::empty(), limits)
    }

    /// Why the body stopped, from a [`Limited`] stop.
    fn failure(&self, stop: Stop<reqwest::Error>) -> AnswerFailure {
        let namespace = self.namespace.clone();
        match stop {
            Stop::TooLarge => AnswerFailure::TooLarge {
                namespace,
                limit: self.body.limit,
            },
            Stop::Stalled => AnswerFailure::Stalled {
                namespace,
                after: self.body.idle,
            },
            Stop::Inner(e) => AnswerFailure::Broken {
                namespace,
                detail: self
                    .secrets
                    .redact(&crate::reqwest_client::failure(&e).to_string()),
            },
        }
    }
}

impl Stream for AnswerBody {
    type Item = Result<Bytes, AnswerFailure>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = this.body.poll_piece(cx);
        if !matches!(polled, Poll::Pending | Poll::Ready(Some(Ok(_)))) {
            this.upload = None;
        }
        match polled {
            Poll::Ready(Some(Err(stop))) => {
                let failure = this.failure(stop);
                // The caller only sees its connection close: the reason goes to the log.
                tracing::warn!(
                    target: "naftiko::error",
                    upstream = %this.namespace,
                    detail = %failure,
                    "forwarded answer cut"
                );
                Poll::Ready(Some(Err(failure)))
            }
            Poll::Ready(Some(Ok(piece))) => Poll::Ready(Some(Ok(piece))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn an_answer_over_its_limit_is_cut() {
        let limits = AnswerLimits {
            limit: 15,
            idle: Duration::from_secs(5),
            namespace: "up".to_owned(),
            secrets: crate::Secrets::default(),
            upload: None,
        };
        let inner =
            futures_util::stream::iter((0..2).map(|_| Ok(Bytes::from_static(b"0123456789"))));
        let mut body = AnswerBody::new(inner, limits);
        assert!(body.next().await.is_some_and(|p| p.is_ok()));
        assert!(matches!(
            body.next().await,
            Some(Err(AnswerFailure::TooLarge { limit: 15, .. }))
        ));
        assert!(body.next().await.is_none());
    }
}
