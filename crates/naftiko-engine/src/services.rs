//! What a built [`crate::Runtime`] serves, described for adapters: REST services and their
//! routes, MCP services, the control port, the capabilities and operations. Plain data,
//! produced by `build` and read by the server; nothing here does I/O.

use std::sync::Arc;

use crate::catalog::{PromptSpec, ResourceSpec};
use crate::guard::Guard;
use crate::ids::{ForwardId, OpId};
use crate::tools::ToolSpec;

/// Namespace of the skill catalog `--expose skill` adds.
pub const EXPOSED_SKILL_NAMESPACE: &str = "naftiko-skills";

/// Namespace of the MCP service `--expose mcp` adds.
pub const EXPOSED_MCP_NAMESPACE: &str = "naftiko";

/// The control port (health, status, metrics).
#[derive(Debug, Clone)]
pub struct ControlService {
    /// Address (default `127.0.0.1`).
    pub address: String,
    /// Port.
    pub port: u16,
    /// The inbound authentication it enforces.
    pub guard: Option<Arc<Guard>>,
}

/// A capability served, for `/status`.
#[derive(Debug, Clone)]
pub struct CapabilityInfo {
    /// The file.
    pub file: Arc<std::path::Path>,
    /// `info.label`.
    pub label: Option<String>,
    /// The `naftiko` version the file declares.
    pub naftiko: Option<String>,
    /// The namespaces of the consumed APIs it can call (its own and those it imports).
    pub consumes: Vec<String>,
    /// Its `management.scripting` settings.
    pub(crate) scripting: naftiko_spec::model::ScriptingDefaults,
    /// The execution counts of its script steps.
    pub(crate) script_stats: Arc<crate::script::ScriptStats>,
}

impl CapabilityInfo {
    /// Its scripting settings and counts; `None` when it has no script step and no
    /// `management.scripting`.
    pub fn scripting(&self) -> Option<crate::script::ScriptingReport> {
        let report = crate::script::ScriptingReport::new(&self.scripting, &self.script_stats);
        let configured = self.scripting != naftiko_spec::model::ScriptingDefaults::default();
        (report.steps > 0 || configured).then_some(report)
    }
}

/// Where an MCP service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpListen {
    /// Streamable HTTP on this host and port (endpoint `/mcp`).
    Http(String, u16),
    /// Standard input and output.
    Stdio,
}

/// One MCP service: an `exposes: type: mcp` block, or the one `--expose mcp` derives.
#[derive(Debug, Clone)]
pub struct McpService {
    /// The exposes namespace (the MCP `serverInfo.name`).
    pub namespace: String,
    /// The block's description (the MCP `instructions`).
    pub description: Option<String>,
    /// Where it listens.
    pub listen: McpListen,
    /// Its tools, in declaration order.
    pub tools: Vec<ToolSpec>,
    /// Its resources.
    pub resources: Vec<ResourceSpec>,
    /// Its prompts.
    pub prompts: Vec<PromptSpec>,
    /// The inbound authentication it enforces (never for stdio).
    pub guard: Option<Arc<Guard>>,
    /// `maxBinarySize`: the largest binary content (and resource file) it serves, in bytes.
    pub max_binary: Option<usize>,
    /// `ttlMs` and `cacheScope`: the caching hints of its cacheable MCP 2026-07-28 results.
    pub cache: Option<CacheHints>,
}

/// How long clients may keep an MCP result, and who may (MCP 2026-07-28).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHints {
    /// Milliseconds (`ttlMs`; 0 when only `cacheScope` is set).
    pub ttl_ms: u64,
    /// `public` or `private` (`cacheScope`; `private` when only `ttlMs` is set).
    pub scope: String,
}

/// A segment of an exposed route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text that must match exactly.
    Literal(String),
    /// A variable: text before it, its name, text after it (usually both empty).
    Var {
        /// Literal text before the variable in the same segment.
        prefix: String,
        /// The variable name.
        name: String,
        /// Literal text after the variable in the same segment.
        suffix: String,
    },
}

/// An exposed REST operation's route.
#[derive(Debug, Clone)]
pub struct Route {
    /// The resource path as written.
    pub path: String,
    /// The path split into segments.
    pub segments: Vec<Segment>,
    /// The HTTP method.
    pub method: http::Method,
    /// The operation.
    pub op: OpId,
    /// The inbound authentication of its exposes block.
    pub guard: Option<Arc<Guard>>,
}

/// A `forward` resource's route: every method its path is asked with that no operation
/// serves is passed on to the consumed API (docs/semantics.md §5).
#[derive(Debug, Clone)]
pub struct ForwardRoute {
    /// The resource path as written.
    pub path: String,
    /// The path split into segments. When the last one is a bare variable (`{path}`) it
    /// captures the rest of the request path, slashes included ([`ForwardRoute::captures`]).
    pub segments: Vec<Segment>,
    /// The last segment captures the remainder of the path.
    pub captures: bool,
    /// The forward.
    pub forward: ForwardId,
    /// The consumed namespace it forwards to (for the start-up log).
    pub target: String,
    /// The inbound authentication of its exposes block.
    pub guard: Option<Arc<Guard>>,
}

/// One exposes block of type `rest`, built.
#[derive(Debug, Clone)]
pub struct RestService {
    /// The exposes namespace.
    pub namespace: String,
    /// The capability file it comes from.
    pub file: Arc<std::path::Path>,
    /// The address to listen on.
    pub address: String,
    /// The port.
    pub port: u16,
    /// Its routes.
    pub routes: Vec<Route>,
    /// Its `forward` resources, in declaration order.
    pub forwards: Vec<ForwardRoute>,
}

/// A description of an operation (for logs and adapters).
#[derive(Debug, Clone)]
pub struct OperationInfo {
    /// The exposes namespace.
    pub namespace: String,
    /// The operation name (or `METHOD path` when unnamed).
    pub name: String,
    /// What it calls (`namespace.operation`), if anything.
    pub call: Option<String>,
}

/// Splits an exposed path into segments; `{x}` and `{{x}}` are variables.
pub fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (open, close) = if s.contains("{{") {
                ("{{", "}}")
            } else {
                ("{", "}")
            };
            match (s.find(open), s.rfind(close)) {
                (Some(a), Some(z)) if z > a => Segment::Var {
                    prefix: s[..a].to_owned(),
                    name: s[a + open.len()..z].trim().to_owned(),
                    suffix: s[z + close.len()..].to_owned(),
                },
                _ => Segment::Literal(s.to_owned()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_split_into_literal_and_variable_segments() {
        assert_eq!(
            segments("/v1/ships/{{imo}}/x-{id}.json"),
            vec![
                Segment::Literal("v1".into()),
                Segment::Literal("ships".into()),
                Segment::Var {
                    prefix: String::new(),
                    name: "imo".into(),
                    suffix: String::new()
                },
                Segment::Var {
                    prefix: "x-".into(),
                    name: "id".into(),
                    suffix: ".json".into()
                },
            ]
        );
    }
}
