//! The caller's body on its way upstream, streamed: [`Upload`] is what the client sends,
//! [`BodyState`] what the forward knows of it.
//!
//! The body is read within `--max-body` and `--body-timeout` per piece (`limited.rs`), and
//! why it stopped is noted, so that a failed upstream call can be told apart from a failed
//! inbound body (413, 408, 400 rather than 502). The state also tells the forward when the
//! upstream is overdue (`upstream_overdue`), and lets it abandon the body
//! ([`BodyState::abandon`]): the caller's stream is dropped at once, so the inbound
//! connection is not left half read, and the upstream request ends with an error rather
//! than a body that would look complete.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::Instant;

use super::limited::{Limited, Stop};

/// A caller's body, its errors as text.
pub(crate) type Inbound = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

/// Why an inbound body stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyFailure {
    /// More bytes than the limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// A piece did not arrive within the body timeout.
    #[error("the request body did not arrive within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The body's framing is broken (a malformed chunk), or the caller went away.
    #[error("the request body is malformed: {0}")]
    Broken(String),
}

/// Why an [`Upload`] ends with an error (the upstream request is abandoned).
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadStop {
    /// The caller's body failed.
    #[error(transparent)]
    Failed(BodyFailure),
    /// The forward gave up on the exchange.
    #[error("the forward was abandoned")]
    Abandoned,
}

/// Where the caller's body is.
enum Slot {
    /// Being read.
    Reading(Limited<Inbound>),
    /// Read to its end, or failed (the upstream has been told).
    Ended,
    /// Dropped by the forward; `told`: the upstream has been told.
    Abandoned { told: bool },
}

/// What a forward's body did, shared between its [`Upload`] (sent upstream by the client)
/// and the forward waiting for the answer.
pub(crate) struct BodyState {
    /// Why it stopped early, if it did.
    pub(crate) failure: OnceLock<BodyFailure>,
    /// Turns true once the body has been passed on whole (or will not be read further).
    sent: watch::Sender<bool>,
    /// Pieces the upstream side has taken so far.
    taken: AtomicU64,
    /// The upload waits for the caller's next piece (the caller's own timeout runs).
    on_caller: AtomicBool,
    slot: Mutex<Slot>,
}

impl BodyState {
    /// The state of a forward whose body is `body`, read within `limit` bytes and `idle`
    /// per piece (`None`: there is none to send).
    pub(crate) fn new(body: Option<Inbound>, limit: usize, idle: Duration) -> Arc<Self> {
        let slot = match body {
            Some(body) => Slot::Reading(Limited::new(body, limit, idle)),
            None => Slot::Ended,
        };
        let done = matches!(slot, Slot::Ended);
        Arc::new(BodyState {
            failure: OnceLock::new(),
            sent: watch::Sender::new(done),
            taken: AtomicU64::new(0),
            on_caller: AtomicBool::new(false),
            slot: Mutex::new(slot),
        })
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Gives up on what is left of the body: the caller's stream is dropped now, and the
    /// upload ends with an error at its next read. Nothing when it has ended already.
    pub(crate) fn abandon(&self) {
        let mut slot = self.slot();
        if matches!(*slot, Slot::Reading(_)) {
            *slot = Slot::Abandoned { told: false };
        }
        drop(slot);
        self.sent.send_replace(true);
    }

    /// Resolves once the body has been passed on whole (or will not be read further).
    #[cfg(test)]
    pub(crate) async fn passed_on_whole(&self) {
        let _ = self.sent.subscribe().wait_for(|sent| *sent).await;
    }

    /// Resolves when the upstream is overdue: `after` has passed since the body was passed
    /// on whole, or the upstream took no piece of it during a span of `after` while naftiko
    /// had one to give (it stopped reading: found within twice `after`).
    pub(crate) async fn upstream_overdue(&self, after: Duration) {
        let mut sent = self.sent.subscribe();
        let mut taken = self.taken.load(Ordering::Relaxed);
        let mut due = Instant::now() + after;
        while !*sent.borrow_and_update() {
            tokio::select! {
                changed = sent.changed() => if changed.is_err() { break },
                () = tokio::time::sleep_until(due) => {
                    let now_taken = self.taken.load(Ordering::Relaxed);
                    if now_taken == taken && !self.on_caller.load(Ordering::Relaxed) {
                        return;
                    }
                    taken = now_taken;
                    due = Instant::now() + after;
                }
            }
        }
        tokio::time::sleep(after).await;
    }

    /// The upload's next piece (see [`Upload`]).
    fn poll_upload(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, UploadStop>>> {
        let mut slot = self.slot();
        let body = match &mut *slot {
            Slot::Reading(body) => body,
            Slot::Ended | Slot::Abandoned { told: true } => return Poll::Ready(None),
            Slot::Abandoned { told } => {
                *told = true;
                return Poll::Ready(Some(Err(UploadStop::Abandoned)));
            }
        };
        let polled = body.poll_piece(cx);
        self.on_caller.store(polled.is_pending(), Ordering::Relaxed);
        let failure = match polled {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(Ok(piece))) => {
                self.taken.fetch_add(1, Ordering::Relaxed);
                return Poll::Ready(Some(Ok(piece)));
            }
            Poll::Ready(Some(Err(Stop::TooLarge))) => BodyFailure::TooLarge(body.limit),
            Poll::Ready(Some(Err(Stop::Stalled))) => BodyFailure::Timeout(body.idle),
            Poll::Ready(Some(Err(Stop::Inner(e)))) => BodyFailure::Broken(e),
            Poll::Ready(None) => {
                *slot = Slot::Ended;
                drop(slot);
                self.sent.send_replace(true);
                return Poll::Ready(None);
            }
        };
        *slot = Slot::Ended;
        drop(slot);
        let _ = self.failure.set(failure.clone());
        self.sent.send_replace(true);
        Poll::Ready(Some(Err(UploadStop::Failed(failure))))
    }
}

/// The caller's body on its way upstream: what the client sends (see the module).
pub(crate) struct Upload(pub(crate) Arc<BodyState>);

impl Stream for Upload {
    type Item = Result<Bytes, UploadStop>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_upload(cx)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Not read further (the upstream answered early, or the call failed): the answer
        // may still be coming, and its time starts now.
        self.0.sent.send_replace(true);
    }
}

/// Abandons the body when dropped ([`BodyState::abandon`]): held while the exchange may
/// still need it (until the answer's head, then by the answer's body), so that a forward
/// that gives up, or whose caller goes away, lets go of the caller's stream.
pub(crate) struct AbandonOnDrop(pub(crate) Arc<BodyState>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn pieces(n: usize, size: usize) -> Inbound {
        Box::pin(futures_util::stream::iter(
            (0..n).map(move |_| Ok(Bytes::from(vec![b'z'; size]))),
        ))
    }

    fn failed(item: Option<Result<Bytes, UploadStop>>) -> Option<BodyFailure> {
        match item {
            Some(Err(UploadStop::Failed(f))) => Some(f),
            _ => None,
        }
    }

    #[tokio::test]
    async fn an_upload_over_its_limit_stops_and_says_why() {
        let state = BodyState::new(Some(pieces(3, 10)), 25, Duration::from_secs(5));
        let mut up = Upload(state.clone());
        assert!(up.next().await.is_some_and(|p| p.is_ok()));
        assert!(up.next().await.is_some_and(|p| p.is_ok()));
        assert_eq!(failed(up.next().await), Some(BodyFailure::TooLarge(25)));
        assert!(up.next().await.is_none());
        assert_eq!(state.failure.get(), Some(&BodyFailure::TooLarge(25)));
        // Its end starts the upstream's time to answer.
        tokio::time::timeout(Duration::from_secs(5), state.passed_on_whole())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_upload_within_its_limit_ends_and_a_stalled_one_times_out() {
        let state = BodyState::new(Some(pieces(3, 10)), 30, Duration::from_secs(5));
        let all: Vec<_> = Upload(state.clone()).collect().await;
        assert!(all.len() == 3 && all.iter().all(Result::is_ok));
        assert!(state.failure.get().is_none());
        let stalled: Inbound = Box::pin(futures_util::stream::pending());
        let state = BodyState::new(Some(stalled), 30, Duration::from_millis(20));
        assert_eq!(
            failed(Upload(state).next().await),
            Some(BodyFailure::Timeout(Duration::from_millis(20)))
        );
    }

    #[tokio::test]
    async fn an_abandoned_upload_drops_the_callers_body_and_ends_with_an_error() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(1);
        let inbound: Inbound = Box::pin(futures_util::stream::unfold(rx, |mut rx| async {
            rx.recv().await.map(|item| (item, rx))
        }));
        let state = BodyState::new(Some(inbound), 100, Duration::from_secs(5));
        let mut up = Upload(state.clone());
        drop(AbandonOnDrop(state));
        assert!(tx.is_closed(), "the caller's stream is dropped at once");
        assert!(matches!(up.next().await, Some(Err(UploadStop::Abandoned))));
        assert!(up.next().await.is_none());
    }
}
