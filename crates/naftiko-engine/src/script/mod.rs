//! Script steps (`type: script`): JavaScript run in a sandbox embedded in the binary
//! (QuickJS, through `rquickjs`; [`sandbox`]), on threads of their own ([`pool`]).
//!
//! As in the reference engine, a script sees one global, `context`: the operation's inputs,
//! the outputs of earlier steps by step name, and the step's `with` values (templates
//! rendered), later ones winning. Its `dependencies` are evaluated in order, then its
//! `file`; what it leaves in the global `result` (absent: `null`) is the step's output.
//! The sources were read at build time, from inside the step's `location` only
//! (`naftiko_validate::scripts`).
//!
//! Limits per execution ([`limits`]): `management.scripting.timeout` (default 60,000 ms)
//! and `statementLimit` (default 100,000), 64 MiB of memory and 1 MiB of stack. Each way a
//! script can fail is one [`ScriptFailure`], so one problem type (docs/run.md).

mod limits;
mod pool;
mod report;
mod sandbox;

pub(crate) use report::ScriptStats;
pub use report::ScriptingReport;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use naftiko_spec::model::ScriptingDefaults;
use naftiko_validate::scripts::Source;
use serde_json::{Map, Value};

use crate::error::{InvokeError, ScriptFailure};
use crate::inbound::Args;
use limits::{Limits, Stop};
use pool::{Pool, PoolError};

/// How long past its timeout a script may take to notice it before its request is answered
/// anyway (a long call into one built-in, such as `join` on a huge array, is not interrupted).
const GRACE: Duration = Duration::from_secs(1);

/// The process's script slots: as many as there are cores (at least two).
static POOL: LazyLock<Pool> = LazyLock::new(|| {
    Pool::new(
        std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(2)
            .max(2),
    )
});

/// A script step, compiled: its sources and limits.
#[derive(Debug)]
pub(crate) struct Script {
    sources: Arc<[Source]>,
    limits: Limits,
    /// False when `management.scripting.enabled` is `false`: the step answers 501.
    enabled: bool,
    /// The file's execution counts.
    stats: Arc<ScriptStats>,
}

impl Script {
    /// A script of `sources` (dependencies, then the main file) under `settings`, counted
    /// in `stats`.
    pub(crate) fn new(
        sources: Vec<Source>,
        settings: &ScriptingDefaults,
        stats: Arc<ScriptStats>,
    ) -> Self {
        stats.add_step();
        Script {
            stats,
            sources: sources.into(),
            limits: Limits::from_settings(settings),
            enabled: settings.enabled.as_ref().is_none_or(|e| e.value),
        }
    }

    /// Runs the script of step `step` with `context`; its `result`.
    ///
    /// # Errors
    /// [`InvokeError::Script`]: it threw, went over a limit, found no free slot, or
    /// scripting is disabled.
    pub(crate) async fn run(&self, step: &str, context: &Value) -> Result<Value, InvokeError> {
        let started = std::time::Instant::now();
        let ran = self.execute(step, context).await;
        self.stats.record(ran.is_ok(), started.elapsed());
        ran
    }

    /// [`Script::run`], uncounted.
    async fn execute(&self, step: &str, context: &Value) -> Result<Value, InvokeError> {
        let fail = |failure, detail: String| InvokeError::Script {
            step: step.to_owned(),
            failure,
            detail,
        };
        if !self.enabled {
            return Err(fail(
                ScriptFailure::Disabled,
                "cannot run: scripting is disabled (`management.scripting.enabled: false`)"
                    .to_owned(),
            ));
        }
        let context = serde_json::to_string(context)
            .map_err(|e| InvokeError::Internal(format!("script context: {e}")))?;
        let (sources, limits) = (Arc::clone(&self.sources), self.limits);
        let job = move || sandbox::execute(&sources, &context, &limits);
        let deadline = limits.timeout.saturating_add(GRACE);
        let ran = POOL.run(limits.timeout, deadline, job).await;
        match ran {
            Ok(Ok(Some(json))) => serde_json::from_str(&json).map_err(|e| {
                fail(
                    ScriptFailure::Threw,
                    format!("left a `result` naftiko cannot read: {e}"),
                )
            }),
            Ok(Ok(None)) => Ok(Value::Null),
            Ok(Err(stop)) => Err(self.stopped(stop, fail)),
            Err(PoolError::Overran) => Err(self.stopped(Stop::Timeout, fail)),
            Err(PoolError::Busy) => Err(fail(
                ScriptFailure::Busy,
                format!(
                    "cannot run: all {} script slots stayed busy for its {} ms timeout",
                    POOL.slots(),
                    limits.timeout.as_millis()
                ),
            )),
            Err(PoolError::Panicked) => Err(InvokeError::Internal(format!(
                "script step `{step}`: the sandbox stopped unexpectedly"
            ))),
        }
    }

    /// The error of a stop, naming the limit that stopped it.
    fn stopped(
        &self,
        stop: Stop,
        fail: impl Fn(ScriptFailure, String) -> InvokeError,
    ) -> InvokeError {
        let l = &self.limits;
        match stop {
            Stop::Threw(what) => fail(ScriptFailure::Threw, what),
            Stop::Timeout => fail(
                ScriptFailure::Timeout,
                format!(
                    "ran longer than its {} ms timeout (`management.scripting.timeout`)",
                    l.timeout.as_millis()
                ),
            ),
            Stop::Statements => fail(
                ScriptFailure::StatementLimit,
                format!(
                    "went over its statement limit of {} (`management.scripting.statementLimit`)",
                    l.statements
                ),
            ),
            Stop::Memory => fail(
                ScriptFailure::MemoryLimit,
                format!("went over the {} memory limit", size(l.memory)),
            ),
            Stop::Stack => fail(
                ScriptFailure::StackOverflow,
                format!(
                    "went over the {} stack limit (recursion too deep)",
                    size(l.stack)
                ),
            ),
        }
    }
}

/// `bytes` in MiB, else KiB.
fn size(bytes: usize) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// The `context` a script step sees: the inputs, then the values added while the
/// invocation runs (the operation's `with`, earlier step outputs), then the step's `with`.
pub(crate) fn context(args: &Args<'_>, with: Map<String, Value>) -> Value {
    let mut out = args.declared.clone();
    out.extend(args.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.extend(with);
    Value::Object(out)
}

#[cfg(test)]
mod tests;
