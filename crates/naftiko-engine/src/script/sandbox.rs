//! The JavaScript sandbox: one execution of a script step in a QuickJS runtime and context
//! of its own, created for it and dropped after it (nothing is shared between executions).
//!
//! What a script can reach is plain ECMAScript and nothing of the host: the context holds
//! the base objects (`Object`, `Function`, `Array`, `String`, `Number`, `Boolean`,
//! `Symbol`, `BigInt`, `Math`, `Reflect`, the `Error` types, `Iterator`, `globalThis`,
//! `parseInt` … `encodeURIComponent`, `eval`, `queueMicrotask`) plus [`Intrinsics`], and
//! the one global naftiko adds, `context`. QuickJS's `std` and `os` modules are not built
//! into the binary, no module loader is installed (`import` fails), and no host function is
//! registered: no file, network, process, environment or clock beyond `Date`.
//!
//! Limits, all per execution: the runtime's memory ([`Limits::memory`], QuickJS's
//! `JS_SetMemoryLimit`), its stack ([`Limits::stack`], `JS_SetMaxStackSize`), and an
//! interrupt handler that stops the script when its time or statement budget is spent
//! ([`Budget`]). A stop by the handler cannot be caught by the script.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Instant;

use naftiko_validate::scripts::Source;
use rquickjs::context::{EvalOptions, intrinsic};
use rquickjs::{CatchResultExt, CaughtError, Coerced, Context, Ctx, Exception, Runtime, Value};

use super::limits::{Limits, Stop};

/// The standard objects a script has beyond the base ones: `Date`, the compiler `eval`
/// and `Function` use (QuickJS evaluates no script without it), `RegExp`, `JSON`,
/// `Map`/`Set`/`WeakMap`/`WeakSet`, and `Promise` (its jobs run after the main file, within
/// the same budget; `async` functions and `import()` need it). Left out: `Proxy`, typed
/// arrays, `ArrayBuffer`, `SharedArrayBuffer` and `Atomics`, `WeakRef`, `performance`,
/// `DOMException`.
type Intrinsics = (
    intrinsic::Date,
    intrinsic::Eval,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::MapSet,
    intrinsic::Promise,
);

/// How many interrupt points (backward jumps, calls) QuickJS passes between two calls of
/// the interrupt handler (its `JS_INTERRUPT_COUNTER_INIT`): each call spends that much of
/// the statement budget.
const POINTS_PER_CHECK: u64 = 10_000;

/// The longest error description kept (a script may throw any string).
const MAX_DETAIL: usize = 400;

/// The budget the interrupt handler enforces: a deadline and a number of interrupt points.
struct Budget {
    /// `None` when the timeout is too far to represent.
    deadline: Option<Instant>,
    statements: u64,
    spent: AtomicU64,
    /// Why it stopped the script: 0 not yet, else a [`Budget::TIME`] or [`Budget::STATEMENTS`].
    stopped: AtomicU8,
}

impl Budget {
    const TIME: u8 = 1;
    const STATEMENTS: u8 = 2;

    fn new(limits: &Limits) -> Self {
        Budget {
            deadline: Instant::now().checked_add(limits.timeout),
            statements: limits.statements,
            spent: AtomicU64::new(0),
            stopped: AtomicU8::new(0),
        }
    }

    /// Called by QuickJS every [`POINTS_PER_CHECK`] interrupt points: true stops the script.
    fn spend(&self) -> bool {
        let spent = self
            .spent
            .fetch_add(POINTS_PER_CHECK, Ordering::Relaxed)
            .saturating_add(POINTS_PER_CHECK);
        let why = if spent > self.statements {
            Self::STATEMENTS
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Self::TIME
        } else {
            return false;
        };
        // The first reason stays.
        let _ = self
            .stopped
            .compare_exchange(0, why, Ordering::Relaxed, Ordering::Relaxed);
        true
    }

    /// Why the handler stopped the script, if it did.
    fn stop(&self) -> Option<Stop> {
        match self.stopped.load(Ordering::Relaxed) {
            Self::TIME => Some(Stop::Timeout),
            Self::STATEMENTS => Some(Stop::Statements),
            _ => None,
        }
    }
}

/// Runs `sources` in order (dependencies, then the main file) with the global `context`
/// parsed from the JSON text `context`; the JSON text of the global `result` afterwards
/// (`None` when it is absent or `undefined`).
///
/// # Errors
/// How the script stopped: it threw (or did not compile), or went over a limit.
pub(super) fn execute(
    sources: &[Source],
    context: &str,
    limits: &Limits,
) -> Result<Option<String>, Stop> {
    let rt = Runtime::new().map_err(|_| Stop::Memory)?;
    rt.set_memory_limit(limits.memory);
    rt.set_max_stack_size(limits.stack);
    let budget = Arc::new(Budget::new(limits));
    let handler = Arc::clone(&budget);
    rt.set_interrupt_handler(Some(Box::new(move || handler.spend())));
    let ctx = Context::custom::<Intrinsics>(&rt).map_err(|_| Stop::Memory)?;
    ctx.with(|ctx| {
        let ended = run(&ctx, sources, context, &budget)
            .catch(&ctx)
            .map_err(stop_of);
        // A stop by the handler wins over whatever error (or success) it left.
        budget.stop().map_or(ended, Err)
    })
}

/// The evaluation itself, inside the context.
fn run(
    ctx: &Ctx<'_>,
    sources: &[Source],
    context: &str,
    budget: &Budget,
) -> rquickjs::Result<Option<String>> {
    let bindings = ctx.json_parse(context)?;
    ctx.globals().set("context", bindings)?;
    for source in sources {
        let _: Value<'_> = ctx.eval_with_options(source.text.as_bytes(), options(&source.name))?;
    }
    // Promise jobs the scripts queued (a job that throws only rejects its promise).
    while budget.stop().is_none() && ctx.execute_pending_job() {}
    // Read as an expression, so `let result`, `var result` and a plain assignment all count.
    let result: Value<'_> = ctx.eval_with_options(
        "typeof result === 'undefined' ? undefined : result",
        options("<result>"),
    )?;
    ctx.json_stringify(result)?
        .map(|s| s.to_string())
        .transpose()
}

/// Sloppy-mode global code (as the reference engine runs scripts: `result = …` without a
/// declaration works), named `file` in stack traces.
fn options(file: &str) -> EvalOptions {
    let mut o = EvalOptions::default();
    o.global = true;
    o.strict = false;
    o.filename = Some(file.to_owned());
    o
}

/// What stopped the script, from what it threw. Stops by the interrupt handler are
/// recognised by the caller (they read `InternalError: interrupted` here).
fn stop_of(e: CaughtError<'_>) -> Stop {
    match e {
        CaughtError::Exception(ex) => describe(&ex),
        CaughtError::Value(v) => Stop::Threw(format!("threw {}", shown(&v))),
        CaughtError::Error(rquickjs::Error::Allocation) => Stop::Memory,
        CaughtError::Error(other) => Stop::Threw(clip(other.to_string())),
    }
}

/// An `Error` object thrown: QuickJS's own out-of-memory (and string length: 2^30) and
/// stack-overflow errors become their limits, anything else
/// `threw Name: message (at file:line:column)`.
fn describe(ex: &Exception<'_>) -> Stop {
    let name = ex
        .get::<_, Option<Coerced<String>>>("name")
        .ok()
        .flatten()
        .map_or_else(|| "Error".to_owned(), |c| c.0);
    let message = ex.message().unwrap_or_default();
    match (name.as_str(), message.as_str()) {
        ("InternalError", "out of memory" | "string too long") => Stop::Memory,
        ("RangeError", "Maximum call stack size exceeded") => Stop::Stack,
        _ => {
            let at = ex
                .stack()
                .as_deref()
                .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            Stop::Threw(clip(format!("threw {name}: {message}{at}")))
        }
    }
}

/// A thrown value that is not an `Error`, as text.
fn shown(v: &Value<'_>) -> String {
    match v.get::<Coerced<String>>() {
        Ok(s) => clip(format!("`{}`", s.0)),
        Err(_) => format!("a value of type {}", v.type_name()),
    }
}

/// `text`, at most [`MAX_DETAIL`] bytes (cut on a character boundary).
fn clip(mut text: String) -> String {
    if text.len() > MAX_DETAIL {
        let mut end = MAX_DETAIL;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
