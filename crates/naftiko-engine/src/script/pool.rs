//! Where scripts run: each execution on a thread of its own, off the async reactor (a
//! script that runs for its whole timeout never stalls other requests), with a stack sized
//! for the sandbox's stack limit. At most [`Pool::slots`] run at once in the process; a
//! step waits for a free slot no longer than its own timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// The stack of a script thread: room for the sandbox's stack limit and the frames around it.
const THREAD_STACK: usize = 8 << 20;

/// Why a job did not give its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PoolError {
    /// No slot became free in time (or no thread could be started).
    Busy,
    /// The job did not end within its hard deadline (it keeps its slot until it ends).
    Overran,
    /// The job panicked.
    Panicked,
}

/// The process's script slots.
#[derive(Debug)]
pub(super) struct Pool {
    slots: Arc<Semaphore>,
    size: usize,
}

impl Pool {
    /// A pool of `size` slots (at least one).
    pub(super) fn new(size: usize) -> Self {
        let size = size.max(1);
        Pool {
            slots: Arc::new(Semaphore::new(size)),
            size,
        }
    }

    /// How many scripts may run at once.
    pub(super) fn slots(&self) -> usize {
        self.size
    }

    /// Runs `job` on a new thread once a slot is free (waiting at most `wait`), and waits
    /// at most `deadline` for its result. The slot is given back when the job ends, even
    /// when its caller stopped waiting.
    ///
    /// # Errors
    /// [`PoolError`].
    pub(super) async fn run<T: Send + 'static>(
        &self,
        wait: Duration,
        deadline: Duration,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let permit = tokio::time::timeout(wait, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| PoolError::Busy)?
            .map_err(|_| PoolError::Busy)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("naftiko-script".to_owned())
            .stack_size(THREAD_STACK)
            .spawn(move || {
                let out = job();
                drop(permit);
                let _ = tx.send(out);
            })
            .map_err(|_| PoolError::Busy)?;
        match tokio::time::timeout(deadline, rx).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(_)) => Err(PoolError::Panicked),
            Err(_) => Err(PoolError::Overran),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_on_a_thread_of_its_own() {
        let pool = Pool::new(1);
        let name = pool
            .run(Duration::from_secs(1), Duration::from_secs(5), || {
                std::thread::current().name().map(str::to_owned)
            })
            .await;
        assert_eq!(name, Ok(Some("naftiko-script".to_owned())));
    }

    #[tokio::test]
    async fn a_full_pool_answers_busy_and_a_slow_job_overruns_but_keeps_its_slot() {
        let pool = Pool::new(1);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let slow = pool.run(
            Duration::from_secs(1),
            Duration::from_millis(50),
            move || {
                let _ = hold.recv();
            },
        );
        assert_eq!(slow.await, Err(PoolError::Overran));
        // The overrunning job still holds the only slot.
        let next = pool.run(Duration::from_millis(50), Duration::from_secs(1), || 1);
        assert_eq!(next.await, Err(PoolError::Busy));
        release.send(()).unwrap();
        let next = pool.run(Duration::from_secs(5), Duration::from_secs(5), || 2);
        assert_eq!(next.await, Ok(2));
    }

    #[tokio::test]
    async fn a_panicking_job_gives_its_slot_back() {
        let pool = Pool::new(1);
        let out: Result<(), _> = pool
            .run(Duration::from_secs(1), Duration::from_secs(5), || {
                panic!("boom");
            })
            .await;
        assert_eq!(out, Err(PoolError::Panicked));
        let next = pool.run(Duration::from_secs(5), Duration::from_secs(5), || 3);
        assert_eq!(next.await, Ok(3));
    }
}
