//! The build's state, shared by its steps: what is collected across documents
//! ([`Builder`]), what one document's steps share ([`DocBuild`], [`DocOps`]), and small
//! helpers. The steps (the sibling modules) import it; `mod.rs` drives them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use naftiko_spec::Loc;
use naftiko_spec::model::Document;
use naftiko_validate::Scope;

use super::options::BuildOptions;
use crate::error::BuildProblem;
use crate::ids::OpId;
use crate::invoke::Invocable;
use crate::request::ConsumedOp;
use crate::scope::Names;
use crate::secrets::Secrets;
use crate::services::{CapabilityInfo, ControlService, McpService, OperationInfo, RestService};
use crate::skills::{SkillService, SkillSpec};
use crate::tools::ToolSpec;

/// Everything the build collects across documents, then hands to the [`Runtime`].
pub(super) struct Builder<'o> {
    pub(super) options: &'o BuildOptions,
    pub(super) secrets: Secrets,
    pub(super) metrics: Arc<crate::metrics::Metrics>,
    pub(super) problems: Vec<BuildProblem>,
    pub(super) warnings: Vec<String>,
    pub(super) ops: Vec<(OperationInfo, Invocable)>,
    pub(super) services: Vec<RestService>,
    pub(super) mcp: Vec<McpService>,
    /// Every REST operation as an MCP tool (for `--expose mcp` and derived skills).
    pub(super) rest_tools: Vec<ToolSpec>,
    pub(super) skills: Vec<SkillService>,
    /// One skill per capability (for `--expose skill`).
    pub(super) derived_skills: Vec<SkillSpec>,
    pub(super) control: Option<ControlService>,
    pub(super) capabilities: Vec<CapabilityInfo>,
    pub(super) known_consumed: HashSet<String>,
    pub(super) known_exposed: HashSet<String>,
}

/// Per-document build state: the names templates may use and what the document's
/// operations can call.
pub(super) struct DocBuild<'a> {
    pub(super) doc: &'a Document,
    /// The capability file.
    pub(super) path: &'a Arc<std::path::Path>,
    pub(super) scope: &'a Scope,
    pub(super) names: Names<'a>,
    pub(super) binds_values: Arc<[Option<String>]>,
    pub(super) consumed: HashMap<String, Arc<ConsumedOp>>,
    pub(super) functions: HashMap<String, Arc<Invocable>>,
}

/// A document's exposed operations, for the skills that refer to them.
#[derive(Default)]
pub(super) struct DocOps {
    /// REST operations: namespace, name, how to call it, index in `rest_tools`.
    pub(super) rest: Vec<(String, String, crate::skills::RestCall, usize)>,
    /// MCP tools: namespace and tool.
    pub(super) mcp: Vec<(String, ToolSpec)>,
}

impl Builder<'_> {
    /// Warns when an exposes block listens beyond this host: naftiko does not authenticate
    /// callers yet, so anyone who reaches the address can call what it serves.
    pub(super) fn warn_if_open(
        &mut self,
        kind: &str,
        namespace: &str,
        address: &str,
        port: u16,
        declares_authentication: bool,
    ) {
        if is_loopback(address) {
            return;
        }
        let why = if declares_authentication {
            "its `authentication` is not enforced yet"
        } else {
            "it declares no `authentication`"
        };
        self.warnings.push(format!(
            "{kind} exposes `{namespace}` listens on {address}:{port}, beyond this host, and {why}: \
             anyone who reaches that address can call it (without `address`, a block listens on \
             127.0.0.1 only)"
        ));
    }

    /// Adds an operation; its id.
    pub(super) fn push_op(&mut self, info: OperationInfo, built: Invocable) -> OpId {
        let id = OpId(self.ops.len());
        self.ops.push((info, built));
        id
    }
}

/// A build problem at `loc`.
pub(super) fn problem(loc: &Loc, message: impl Into<String>) -> BuildProblem {
    BuildProblem {
        loc: Some(loc.clone()),
        message: message.into(),
    }
}

/// The text of an optional spec string.
pub(super) fn text(t: &Option<naftiko_spec::model::Text>) -> Option<String> {
    t.as_ref().map(|t| t.value.clone())
}

/// True for an address only this host can reach: `localhost` and loopback IPs.
fn is_loopback(address: &str) -> bool {
    let host = address.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
