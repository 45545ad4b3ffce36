//! A built [`Runtime`]: the operations, what each adapter serves, and the entry points
//! adapters call (`invoke`, `invoke_direct`, `call_tool`, `read_resource`, `forward`), each
//! with the request's [`Trace`].
//! `build/` makes it; nothing changes it afterwards.

use crate::catalog::Contents;
use crate::direct::DirectPlan;
use crate::error::InvokeError;
use crate::ids::OpId;
use crate::inbound::{Inbound, RequestView};
use crate::invoke::{Invocable, Outcome};
use crate::secrets::Secrets;
use crate::services::{CapabilityInfo, ControlService, McpService, OperationInfo, RestService};
use crate::skills::SkillService;
use crate::tools::{ToolResult, ToolSpec, tool_result};
use crate::trace::Trace;

/// Built capabilities, ready to serve. Immutable; share it in an `Arc`.
#[derive(Debug)]
pub struct Runtime {
    pub(crate) ops: Vec<(OperationInfo, Invocable)>,
    /// Per operation, its direct plan when it has the direct shape (`direct.rs`).
    pub(crate) direct: Vec<Option<DirectPlan>>,
    pub(crate) services: Vec<RestService>,
    /// The `forward` resources, by [`crate::ForwardId`].
    pub(crate) forwards: Vec<crate::forward::Forward>,
    pub(crate) mcp: Vec<McpService>,
    pub(crate) skills: Vec<SkillService>,
    pub(crate) control: Option<ControlService>,
    pub(crate) capabilities: Vec<CapabilityInfo>,
    /// Every REST operation described as a tool (its arguments and answer), in build order.
    pub(crate) rest_tools: Vec<ToolSpec>,
    pub(crate) warnings: Vec<String>,
    pub(crate) notes: Vec<String>,
    pub(crate) secrets: Secrets,
    pub(crate) metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// What the next runtime built from this one may reuse of its consumed APIs.
    pub(crate) kept: crate::kept::Kept,
}

/// A body field the operation needs is missing while the body came as text of a media type
/// that has no fields (a form sent as `text/plain`): the media type is the mistake, so the
/// answer is 415 naming the types the operation reads, not "field … is required".
fn foreign_body(e: InvokeError, inbound: &Inbound) -> InvokeError {
    let body_field = matches!(&e, InvokeError::BadInput { location, .. } if location == "body" || location == "form");
    let declared = inbound
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match (body_field, &inbound.body, declared) {
        (true, crate::InboundBody::Text(_), Some(media)) if !media.is_empty() => {
            InvokeError::UnsupportedMediaType(media)
        }
        _ => e,
    }
}

impl Runtime {
    /// The REST services to serve.
    pub fn rest_services(&self) -> &[RestService] {
        &self.services
    }

    /// The control port to serve, if any.
    pub fn control_service(&self) -> Option<&ControlService> {
        self.control.as_ref()
    }

    /// The capabilities served.
    pub fn capabilities(&self) -> &[CapabilityInfo] {
        &self.capabilities
    }

    /// The skill catalogs to serve.
    pub fn skill_services(&self) -> &[SkillService] {
        &self.skills
    }

    /// The MCP services to serve.
    pub fn mcp_services(&self) -> &[McpService] {
        &self.mcp
    }

    /// Calls a tool with its JSON arguments: validated against the tool's input schema,
    /// then run like any other operation. Failures are tool results with `is_error`.
    pub async fn call_tool(
        &self,
        tool: &ToolSpec,
        arguments: serde_json::Map<String, serde_json::Value>,
        trace: &Trace,
    ) -> ToolResult {
        if let Err(e) = crate::tools::check_arguments(&tool.input_schema, &arguments) {
            return tool_result(Err(e), |t| self.secrets.redact(t));
        }
        if let crate::tools::ArgMapping::Body = tool.args
            && let Some(plan) = self.direct.get(tool.op.0).and_then(Option::as_ref)
            && let Some(outcome) = plan.run_tool(&arguments, trace).await
        {
            return tool_result(outcome, |t| self.secrets.redact(t));
        }
        let inbound = tool.args.inbound(arguments);
        let outcome = self.invoke(tool.op, &inbound, trace).await;
        tool_result(outcome, |t| self.secrets.redact(t))
    }

    /// Reads a resource of an MCP service: its contents, or why not (`Ok(None)` when no
    /// resource has this URI). Binary content is answered as bytes, with the resource's
    /// `mimeType` when it has one.
    ///
    /// # Errors
    /// An unsafe path, an unreadable file, or a failed operation (its message).
    pub async fn read_resource(
        &self,
        service: &McpService,
        uri: &str,
        trace: &Trace,
    ) -> Result<Option<Contents>, String> {
        let limit = service.max_binary.unwrap_or(crate::binary::DEFAULT_LIMIT);
        for r in &service.resources {
            let Some(target) = r.resolve(uri, limit) else {
                continue;
            };
            return match target? {
                crate::catalog::ResourceTarget::File(contents) => Ok(Some(contents)),
                crate::catalog::ResourceTarget::Operation(op, args) => {
                    let inbound = Inbound {
                        body: crate::inbound::InboundBody::Json(serde_json::Value::Object(args)),
                        ..Inbound::default()
                    };
                    let outcome = self.invoke(op, &inbound, trace).await;
                    let result = tool_result(outcome, |t| self.secrets.redact(t));
                    if result.is_error {
                        return Err(result.text);
                    }
                    if let Some(mut blob) = result.binary {
                        if let Some(m) = &r.mime_type {
                            blob.media_type.clone_from(m);
                        }
                        return Ok(Some(Contents::Blob(blob)));
                    }
                    Ok(Some(Contents::Text {
                        mime_type: r
                            .mime_type
                            .clone()
                            .unwrap_or_else(|| "application/json".to_owned()),
                        text: result.text,
                    }))
                }
            };
        }
        Ok(None)
    }

    /// Things that will not work as written but do not stop the capability.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Things worth knowing that change nothing served (bound variables that are unset
    /// and that no template reads), logged at info level.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The metrics adapters record into and the control port serves.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Every secret value known (for redaction by adapters).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// A REST operation described as a tool: its arguments (and where each goes, see
    /// [`ToolSpec::argument_location`]) and the schema of its answer (`naftiko export
    /// openapi`, `--expose mcp`).
    pub fn rest_tool(&self, op: OpId) -> Option<&ToolSpec> {
        self.rest_tools.iter().find(|t| t.op == op)
    }

    /// The JSON Schema of what an operation answers (its outputs), when it declares one.
    pub fn answer_schema(&self, op: OpId) -> Option<serde_json::Value> {
        self.ops.get(op.0).and_then(|(_, inv)| inv.output_schema())
    }

    /// Describes an operation.
    pub fn operation(&self, op: OpId) -> Option<&OperationInfo> {
        self.ops.get(op.0).map(|(i, _)| i)
    }

    /// An operation's direct plan, for the direct path's tests.
    #[cfg(test)]
    pub(crate) fn plan(&self, op: OpId) -> Option<&DirectPlan> {
        self.direct.get(op.0).and_then(Option::as_ref)
    }

    /// True when `op` has a direct plan: [`Runtime::invoke_direct`] may serve it.
    pub fn has_direct(&self, op: OpId) -> bool {
        self.direct.get(op.0).is_some_and(Option::is_some)
    }

    /// Runs `op` on its direct path (see the `direct` module): the same outcome as
    /// [`Runtime::invoke`] with less work. `None` when `op` has no direct plan or the
    /// request needs the general path; nothing has been sent upstream then.
    pub async fn invoke_direct(
        &self,
        op: OpId,
        request: &RequestView<'_>,
        trace: &Trace,
    ) -> Option<Result<Outcome, InvokeError>> {
        let plan = self.direct.get(op.0)?.as_ref()?;
        plan.run(request, trace).await
    }

    /// Passes one request on to the consumed API of a `forward` resource; the answer's
    /// head, its body streaming (docs/semantics.md §5).
    ///
    /// # Errors
    /// See [`crate::ForwardError`]; nothing has been answered to the caller then.
    pub async fn forward<S, E>(
        &self,
        id: crate::ForwardId,
        request: crate::ForwardRequest<S>,
        trace: &Trace,
    ) -> Result<crate::ForwardAnswer, crate::ForwardError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let forward = self
            .forwards
            .get(id.0)
            .ok_or_else(|| InvokeError::Internal(format!("unknown forward {}", id.0)))?;
        forward.run(request, trace).await
    }

    /// Runs an operation for one inbound request, in its trace (every upstream call
    /// carries it).
    ///
    /// # Errors
    /// See [`InvokeError`]; [`InvokeError::fault`] says whose fault it is.
    pub async fn invoke(
        &self,
        op: OpId,
        inbound: &Inbound,
        trace: &Trace,
    ) -> Result<Outcome, InvokeError> {
        let (_, inv) = self
            .ops
            .get(op.0)
            .ok_or_else(|| InvokeError::Internal(format!("unknown operation {}", op.0)))?;
        inv.invoke(inbound, trace)
            .await
            .map_err(|e| foreign_body(e, inbound))
    }
}
