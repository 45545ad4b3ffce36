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
pub(super) use crate::scope::BindsOnly;
use crate::scope::{Names, Tpl};
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
    /// See [`crate::Runtime::notes`].
    pub(super) notes: Vec<String>,
    pub(super) ops: Vec<(OperationInfo, Invocable)>,
    /// The `forward` resources of every REST block.
    pub(super) forwards: Vec<crate::forward::Forward>,
    pub(super) services: Vec<RestService>,
    pub(super) mcp: Vec<McpService>,
    /// Every REST operation as an MCP tool (for `--expose mcp` and derived skills).
    pub(super) rest_tools: Vec<ToolSpec>,
    /// Indexes into `rest_tools` of operations whose REST block declares
    /// `authentication` (`--expose mcp` leaves them out: it has none to enforce).
    pub(super) guarded_rest_tools: HashSet<usize>,
    pub(super) skills: Vec<SkillService>,
    /// One skill per capability (for `--expose skill`).
    pub(super) derived_skills: Vec<SkillSpec>,
    pub(super) control: Option<ControlService>,
    pub(super) capabilities: Vec<CapabilityInfo>,
    pub(super) known_consumed: HashSet<String>,
    pub(super) known_exposed: HashSet<String>,
    /// The consumed APIs of the runtime this build follows (a reload), by fingerprint.
    pub(super) previous: Option<&'o crate::kept::Kept>,
    /// This build's consumed APIs, by fingerprint (for the next one).
    pub(super) kept: crate::kept::Kept,
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
    /// The consumed APIs that could be built, by namespace (what `forward`s pass on to).
    pub(super) upstreams: HashMap<String, Arc<crate::upstream::Upstream>>,
    /// The streaming client the document's `forward`s share, built on first use.
    pub(super) streaming: crate::reqwest_client::LazyClient,
    /// The execution counts the document's script steps share.
    pub(super) script_stats: Arc<crate::script::ScriptStats>,
    /// Consumed namespaces that could not be built (a problem is reported once for each):
    /// calls into them report nothing more.
    pub(super) unusable: std::collections::HashSet<String>,
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
    /// Warns when an exposes block without `authentication` listens beyond this host:
    /// anyone who reaches the address can call what it serves.
    pub(super) fn warn_if_open(
        &mut self,
        kind: &str,
        namespace: &str,
        address: &str,
        port: u16,
        declares_authentication: bool,
    ) {
        if declares_authentication || is_loopback(address) {
            return;
        }
        self.warnings.push(format!(
            "{kind} exposes `{namespace}` listens on {address}:{port}, beyond this host, and \
             it declares no `authentication`: \
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

impl DocBuild<'_> {
    /// `t`, a template that may only read bound variables, rendered; `what` names such
    /// values in the problem when it reads request values.
    pub(super) fn render_binds(
        &self,
        t: &naftiko_spec::model::Text,
        what: &str,
    ) -> Result<String, BuildProblem> {
        let tpl = Tpl::compile(&t.value, &self.names).map_err(|e| problem(&t.loc, e))?;
        if !tpl.reads_only_binds() {
            return Err(problem(
                &t.loc,
                format!(
                    "`{}`: {what} may only use bound variables (`{{{{env.NAME}}}}`), not request values",
                    t.value
                ),
            ));
        }
        Ok(tpl.render(&BindsOnly(&self.binds_values)))
    }

    /// True when `t` reads a bound variable that has no value (reported once, by
    /// `binds::check_missing`).
    pub(super) fn reads_missing_bind(&self, t: &naftiko_spec::model::Text) -> bool {
        Tpl::compile(&t.value, &self.names).is_ok_and(|tpl| {
            tpl.binds()
                .any(|i| self.binds_values.get(i).is_none_or(Option::is_none))
        })
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
