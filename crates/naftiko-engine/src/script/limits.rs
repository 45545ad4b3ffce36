//! The limits of one script execution, with their defaults, and how a run that hit one (or
//! threw) stopped.

use std::time::Duration;

use naftiko_spec::model::ScriptingDefaults;

/// `management.scripting.timeout` when it is not set: 60 s, as the reference engine.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `management.scripting.statementLimit` when it is not set, as the reference engine.
pub(crate) const DEFAULT_STATEMENT_LIMIT: u64 = 100_000;

/// The memory one execution may allocate (its QuickJS runtime: objects, strings, the
/// parsed `context`): 64 MiB. Fixed: the scripting settings have no field for it.
pub(crate) const MEMORY_LIMIT: usize = 64 << 20;

/// The stack one execution may use (deep recursion stops there): 1 MiB.
pub(crate) const STACK_LIMIT: usize = 1 << 20;

/// The limits of one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Wall-clock time.
    pub(crate) timeout: Duration,
    /// Interrupt points (loop iterations and calls), counted in steps of 10,000.
    pub(crate) statements: u64,
    /// Bytes the runtime may allocate.
    pub(crate) memory: usize,
    /// Bytes of stack.
    pub(crate) stack: usize,
}

impl Limits {
    /// The limits `management.scripting` sets (defaults for what it leaves out).
    pub(crate) fn from_settings(settings: &ScriptingDefaults) -> Self {
        Limits {
            timeout: settings
                .timeout
                .as_ref()
                .map_or(DEFAULT_TIMEOUT, |t| Duration::from_millis(t.value)),
            statements: settings
                .statement_limit
                .as_ref()
                .map_or(DEFAULT_STATEMENT_LIMIT, |s| s.value),
            memory: MEMORY_LIMIT,
            stack: STACK_LIMIT,
        }
    }
}

/// How a run of the sandbox stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The script threw, or did not compile: what and where.
    Threw(String),
    /// It ran out of time.
    Timeout,
    /// It ran out of statements.
    Statements,
    /// It went over the memory limit.
    Memory,
    /// It went over the stack limit.
    Stack,
}
