//! A body stream read within limits: a size limit and a longest pause between pieces,
//! both bodies of a forward ([`super::upload`], [`super::answer`]) are read through it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

/// Why a [`Limited`] body stopped.
pub(super) enum Stop<E> {
    /// More bytes than the limit.
    TooLarge,
    /// A pause longer than the limit.
    Stalled,
    /// The stream's own error.
    Inner(E),
}

/// A body stream read within a size limit and a longest pause between pieces, timed from
/// when the reader starts waiting (a reader that is slow itself is never blamed).
pub(super) struct Limited<S> {
    inner: Pin<Box<S>>,
    pub(super) limit: usize,
    pub(super) seen: usize,
    pub(super) idle: Duration,
    timer: Pin<Box<Sleep>>,
    /// The reader is waiting for a piece (the timer runs).
    waiting: bool,
    over: bool,
}

impl<S, E> Limited<S>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    pub(super) fn new(inner: S, limit: usize, idle: Duration) -> Self {
        Limited {
            inner: Box::pin(inner),
            limit,
            seen: 0,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            waiting: false,
            over: false,
        }
    }

    /// The next piece, the end, or why the body stops (after which it ends).
    pub(super) fn poll_piece(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Stop<E>>>> {
        if self.over {
            return Poll::Ready(None);
        }
        let stop = match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                self.waiting = false;
                self.seen = self.seen.saturating_add(piece.len());
                if self.seen <= self.limit {
                    return Poll::Ready(Some(Ok(piece)));
                }
                Stop::TooLarge
            }
            Poll::Ready(Some(Err(e))) => Stop::Inner(e),
            Poll::Ready(None) => {
                self.over = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {
                if !self.waiting {
                    self.waiting = true;
                    self.timer.as_mut().reset(Instant::now() + self.idle);
                }
                if self.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                Stop::Stalled
            }
        };
        self.over = true;
        Poll::Ready(Some(Err(stop)))
    }
}
