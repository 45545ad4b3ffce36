//! Errors of the build and invoke steps, each saying whose fault it was, so every adapter can
//! map them the same way (REST: status codes and problem bodies; MCP: tool errors).

use std::fmt;
use std::time::Duration;

use naftiko_spec::Loc;

/// One reason a capability cannot be built.
#[derive(Debug, Clone)]
pub struct BuildProblem {
    /// Where in which file, when it is about a place in a file.
    pub loc: Option<Loc>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for BuildProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loc {
            Some(loc) => write!(
                f,
                "{}:{}:{}: {}",
                loc.file.display(),
                loc.span.start.line,
                loc.span.start.column,
                self.message
            ),
            None => f.write_str(&self.message),
        }
    }
}

/// Everything that stops a set of capabilities from being built (all problems, not the
/// first).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct BuildError {
    /// The problems, in the order found.
    pub problems: Vec<BuildProblem>,
}

/// Whose fault a failed invocation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The caller sent something wrong (REST 4xx).
    Downstream,
    /// The upstream API failed or misbehaved (REST 502/504).
    Upstream,
    /// naftiko itself (REST 500).
    Internal,
}

/// Why an invocation failed. Messages never contain bound values, credentials or tokens.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    /// An input is missing or invalid.
    #[error("{} `{name}` {reason}", if location == "argument" { "argument".to_owned() } else { format!("{location} parameter") })]
    BadInput {
        /// The parameter name.
        name: String,
        /// Where it was expected (`path`, `query`, `header`, `cookie`, `body`, `form`).
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The inbound body cannot be read.
    #[error("request body: {0}")]
    BadBody(String),
    /// The inbound body's media type is not one the operation can read.
    #[error(
        "unsupported media type `{0}`: send application/json or application/x-www-form-urlencoded"
    )]
    UnsupportedMediaType(String),
    /// The upstream could not be reached (connection refused or reset, DNS, TLS).
    #[error("upstream `{namespace}` is unreachable: {detail}")]
    UpstreamUnreachable {
        /// The consumed namespace.
        namespace: String,
        /// What failed (never the URL, which may carry credentials).
        detail: String,
    },
    /// The upstream did not answer in time.
    #[error("upstream `{namespace}` did not answer within {}", humanize(.after))]
    UpstreamTimeout {
        /// The consumed namespace.
        namespace: String,
        /// The total timeout that elapsed.
        after: Duration,
    },
    /// The upstream answered with a server error.
    #[error("upstream `{namespace}` answered {status}")]
    UpstreamStatus {
        /// The consumed namespace.
        namespace: String,
        /// Its status code.
        status: u16,
    },
    /// The upstream's answer cannot be used (invalid JSON, too large, …).
    #[error("upstream `{namespace}` answered with an unusable body: {detail}")]
    UpstreamBody {
        /// The consumed namespace.
        namespace: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Fetching credentials for the upstream failed (OAuth 2.0 token endpoint).
    #[error("cannot authenticate to upstream `{namespace}`: {detail}")]
    UpstreamAuth {
        /// The consumed namespace.
        namespace: String,
        /// What failed.
        detail: String,
    },
    /// An output parameter cannot be produced from the upstream's answer.
    #[error("output `{output}`: {reason}")]
    Mapping {
        /// The output parameter (dotted path for nested ones).
        output: String,
        /// Why.
        reason: String,
    },
    /// The operation uses something naftiko does not run.
    #[error("{0}")]
    Unsupported(String),
    /// A script step failed (`script/`).
    #[error("script step `{step}` {detail}")]
    Script {
        /// The step's name.
        step: String,
        /// How it failed.
        failure: ScriptFailure,
        /// What happened, naming the limit when one stopped it.
        detail: String,
    },
    /// A bug in naftiko.
    #[error("internal error: {0}")]
    Internal(String),
}

impl InvokeError {
    /// Whose fault it is.
    pub fn fault(&self) -> Fault {
        match self {
            InvokeError::BadInput { .. }
            | InvokeError::BadBody(_)
            | InvokeError::UnsupportedMediaType(_) => Fault::Downstream,
            InvokeError::UpstreamUnreachable { .. }
            | InvokeError::UpstreamTimeout { .. }
            | InvokeError::UpstreamStatus { .. }
            | InvokeError::UpstreamBody { .. }
            | InvokeError::UpstreamAuth { .. }
            | InvokeError::Mapping { .. } => Fault::Upstream,
            InvokeError::Unsupported(_) | InvokeError::Script { .. } | InvokeError::Internal(_) => {
                Fault::Internal
            }
        }
    }

    /// A short stable identifier of the kind of error (used in problem `type` URIs and logs).
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::BadInput { .. } => "invalid-parameter",
            InvokeError::BadBody(_) => "invalid-body",
            InvokeError::UnsupportedMediaType(_) => "unsupported-media-type",
            InvokeError::UpstreamUnreachable { .. } => "upstream-unreachable",
            InvokeError::UpstreamTimeout { .. } => "upstream-timeout",
            InvokeError::UpstreamStatus { .. } => "upstream-error",
            InvokeError::UpstreamBody { .. } => "upstream-invalid-body",
            InvokeError::UpstreamAuth { .. } => "upstream-auth",
            InvokeError::Mapping { .. } => "output-mapping",
            InvokeError::Unsupported(_) => "not-implemented",
            InvokeError::Script { failure, .. } => failure.kind(),
            InvokeError::Internal(_) => "internal",
        }
    }

    /// `BadInput` for a parameter.
    pub(crate) fn bad_input(name: &str, location: &str, reason: impl Into<String>) -> Self {
        InvokeError::BadInput {
            name: name.to_owned(),
            location: location.to_owned(),
            reason: reason.into(),
        }
    }
}

/// How a script step failed: one problem type each (docs/run.md, "Script steps").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptFailure {
    /// The script threw, or did not compile (500).
    Threw,
    /// It ran longer than `management.scripting.timeout` (500).
    Timeout,
    /// It went over `management.scripting.statementLimit` (500).
    StatementLimit,
    /// It went over the memory limit (500).
    MemoryLimit,
    /// It went over the stack limit: recursion too deep (500).
    StackOverflow,
    /// Every script slot stayed busy for its timeout (503).
    Busy,
    /// `management.scripting.enabled` is `false` (501).
    Disabled,
}

impl ScriptFailure {
    /// The problem type's kind (`urn:naftiko:problem:<kind>`).
    pub fn kind(self) -> &'static str {
        match self {
            ScriptFailure::Threw => "script-failed",
            ScriptFailure::Timeout => "script-timeout",
            ScriptFailure::StatementLimit => "script-statement-limit",
            ScriptFailure::MemoryLimit => "script-memory-limit",
            ScriptFailure::StackOverflow => "script-stack-overflow",
            ScriptFailure::Busy => "script-busy",
            ScriptFailure::Disabled => "script-disabled",
        }
    }
}

fn humanize(d: &Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
