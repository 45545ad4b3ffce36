//! The generation of capability files served (1 at start, one more per reload that took
//! effect) and the outcome of the last reload, for `/status` and the logs.

use std::sync::Mutex;
use std::time::SystemTime;

/// What the last reload came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastReload {
    /// When it ended.
    pub at: SystemTime,
    /// The generation it made, or `None` when it failed (the previous one is still served).
    pub generation: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The generation served and the last reload; shared by the server and the control port.
#[derive(Debug)]
pub struct Generations {
    state: Mutex<(u64, Option<LastReload>)>,
}

impl Default for Generations {
    fn default() -> Self {
        Generations {
            state: Mutex::new((1, None)),
        }
    }
}

impl Generations {
    /// The generation served.
    pub fn current(&self) -> u64 {
        self.lock().0
    }

    /// The last reload, if there was one.
    pub fn last(&self) -> Option<LastReload> {
        self.lock().1.clone()
    }

    /// Notes a reload that took effect; the new generation.
    pub(crate) fn advanced(&self) -> u64 {
        let mut s = self.lock();
        s.0 += 1;
        s.1 = Some(LastReload {
            at: SystemTime::now(),
            generation: Some(s.0),
            error: None,
        });
        s.0
    }

    /// Notes a reload that failed: the files did not validate or build, or a listener
    /// could not be opened. The generation served does not change.
    pub fn failed(&self, error: String) {
        self.lock().1 = Some(LastReload {
            at: SystemTime::now(),
            generation: None,
            error: Some(error),
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Option<LastReload>)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
