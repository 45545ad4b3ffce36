//! Where `naftiko run`'s log lines go: standard error. Access-log lines (one per request)
//! are batched: they are appended to a buffer that is written out when it holds 32 KiB,
//! every 50 ms, before any other line, and at exit. Writing each access line on its own
//! cost a system call per request; every other line is still written at once.

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Duration;

use tracing::Metadata;
use tracing_subscriber::fmt::MakeWriter;

/// Access lines waiting to be written.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Buffer size that triggers a write.
const FLUSH_AT: usize = 32 * 1024;

/// Longest time an access line waits in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The access-log target, whose lines are batched.
const ACCESS_TARGET: &str = "naftiko::access";

fn pending() -> MutexGuard<'static, Vec<u8>> {
    // A panic while holding the lock leaves plain bytes behind: still fine to write.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn write_out(buffer: &mut Vec<u8>) {
    if !buffer.is_empty() {
        let _ = io::stderr().lock().write_all(buffer);
        buffer.clear();
    }
}

/// Writes every batched line now (call before the process exits).
pub(crate) fn flush() {
    write_out(&mut pending());
}

/// The [`MakeWriter`] for the fmt subscriber.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stderr;

/// One event's writer: batched (access lines) or direct.
pub(crate) enum Line {
    /// Appended to the batch.
    Batched,
    /// Written at once, after the batch.
    Direct,
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buffer = pending();
        match self {
            Line::Batched => {
                buffer.extend_from_slice(data);
                if buffer.len() >= FLUSH_AT {
                    write_out(&mut buffer);
                }
            }
            Line::Direct => {
                write_out(&mut buffer);
                io::stderr().lock().write_all(data)?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line::Direct
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        if meta.target() == ACCESS_TARGET {
            start_flusher();
            Line::Batched
        } else {
            Line::Direct
        }
    }
}

/// Starts (once) the thread that writes batched lines at least every [`FLUSH_EVERY`].
fn start_flusher() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("naftiko-log-flush".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flush();
                }
            });
        if spawned.is_err() {
            // Without the thread, lines are still written when the buffer fills, before
            // any other line, and at exit.
            eprintln!("naftiko: cannot start the log flusher; access lines are batched by size");
        }
    });
}
