//! `exposes: type: mcp`: one [`McpService`] per block (tools, resources, prompts), and the
//! service `--expose mcp` derives from every REST operation.

use std::collections::HashSet;

use naftiko_spec::model::{Capability, ExposesMcp, McpPrompt, McpResource, McpTool};

use super::state::{Builder, DocBuild, DocOps, problem, text};
use crate::binary::Exposure;
use crate::catalog::{PromptArgument, PromptSpec, ResourceSource, ResourceSpec};
use crate::invoke::InputStyle;
use crate::services::{CacheHints, EXPOSED_MCP_NAMESPACE, McpListen, McpService, OperationInfo};
use crate::tools::{ArgMapping, ToolSpec, input_schema, output_schema};

/// Builds one MCP block.
pub(super) fn build(b: &mut Builder<'_>, d: &DocBuild<'_>, m: &ExposesMcp, ops: &mut DocOps) {
    let namespace = text(&m.namespace).unwrap_or_default();
    b.known_exposed.insert(namespace.clone());
    let stdio = m.transport.as_ref().is_some_and(|t| t.value == "stdio");
    let listen = match b.options.placement(&namespace) {
        Some((host, port)) => McpListen::Http(host, port),
        None if stdio => McpListen::Stdio,
        None => {
            let (host, port) =
                b.options
                    .listen_at(&namespace, &m.address, &m.port, "127.0.0.1", 9090);
            McpListen::Http(host, port)
        }
    };
    let guard = match &listen {
        McpListen::Http(host, port) => {
            b.warn_if_open("mcp", &namespace, host, *port, m.authentication.is_some());
            super::guard::guard(b, d, m.authentication.as_ref(), &namespace)
        }
        // validate refuses `authentication` on a stdio server.
        McpListen::Stdio => None,
    };
    let Some(cap) = &d.doc.capability else { return };
    let max_binary = crate::binary::limit(m.max_binary_size.as_ref());
    let exposure = Exposure {
        binary_limit: max_binary,
        media_type: None,
    };
    let tools: Vec<ToolSpec> = m
        .tools
        .iter()
        .filter_map(|t| tool(b, d, cap, (&namespace, &exposure), t))
        .collect();
    let resources = m
        .resources
        .iter()
        .map(|r| resource(b, d, (&namespace, &exposure), r))
        .collect();
    let prompts = m.prompts.iter().map(|p| prompt(b, d, p)).collect();
    ops.mcp
        .extend(tools.iter().map(|t| (namespace.clone(), t.clone())));
    b.mcp.push(McpService {
        namespace,
        description: text(&m.description),
        listen,
        tools,
        resources,
        prompts,
        guard,
        max_binary,
        cache: cache_hints(m),
    });
}

/// The block's `ttlMs` and `cacheScope`, when it sets either.
fn cache_hints(m: &ExposesMcp) -> Option<CacheHints> {
    if m.ttl_ms.is_none() && m.cache_scope.is_none() {
        return None;
    }
    Some(CacheHints {
        ttl_ms: m
            .ttl_ms
            .as_ref()
            .map_or(0, |t| u64::try_from(t.value).unwrap_or(0)),
        scope: text(&m.cache_scope).unwrap_or_else(|| "private".to_owned()),
    })
}

/// One tool and its operation; `None` for a tool without a name.
fn tool(
    b: &mut Builder<'_>,
    d: &DocBuild<'_>,
    cap: &Capability,
    (namespace, exposure): (&str, &Exposure),
    t: &McpTool,
) -> Option<ToolSpec> {
    let name = t.name.as_ref()?;
    let mut built = d.build_invocable(
        t.input_parameters.iter(),
        InputStyle::Arguments,
        &t.invocation,
        &t.loc,
        &mut b.problems,
    );
    built.exposure = Some(exposure.clone());
    let spec = ToolSpec {
        name: name.value.clone(),
        title: text(&t.label),
        description: text(&t.description).or_else(|| built.call_description()),
        input_schema: input_schema(&built.inputs, &built.with, &built.target, &[]),
        output_schema: output_schema(built.output_schema()),
        annotations: tool_annotations(
            t.hints.as_ref(),
            t.invocation
                .reference
                .as_ref()
                .and_then(|r| function_semantics(cap, &r.value)),
        ),
        op: crate::ids::OpId(b.ops.len()),
        args: ArgMapping::Body,
    };
    let info = OperationInfo {
        namespace: namespace.to_owned(),
        name: name.value.clone(),
        call: t.invocation.call.as_ref().map(|c| c.value.clone()),
    };
    b.push_op(info, built);
    Some(spec)
}

/// One resource: a directory of files, or an operation.
fn resource(
    b: &mut Builder<'_>,
    d: &DocBuild<'_>,
    (namespace, exposure): (&str, &Exposure),
    r: &McpResource,
) -> ResourceSpec {
    let source = match &r.location {
        Some(l) => {
            ResourceSource::Directory(naftiko_validate::workspace::import_path(d.path, &l.value))
        }
        None => {
            let mut built = d.build_invocable(
                std::iter::empty(),
                InputStyle::Arguments,
                &r.invocation,
                &r.loc,
                &mut b.problems,
            );
            built.exposure = Some(exposure.clone());
            let info = OperationInfo {
                namespace: namespace.to_owned(),
                name: text(&r.name).unwrap_or_default(),
                call: r.invocation.call.as_ref().map(|c| c.value.clone()),
            };
            ResourceSource::Operation(b.push_op(info, built))
        }
    };
    ResourceSpec {
        name: text(&r.name).unwrap_or_default(),
        title: text(&r.label),
        description: text(&r.description),
        uri: text(&r.uri).unwrap_or_default(),
        mime_type: text(&r.mime_type),
        source,
    }
}

/// One prompt: its messages from a file (read now) or its inline template.
fn prompt(b: &mut Builder<'_>, d: &DocBuild<'_>, p: &McpPrompt) -> PromptSpec {
    let messages = match &p.location {
        Some(l) => {
            let path = naftiko_validate::workspace::import_path(d.path, &l.value);
            match std::fs::read_to_string(&path) {
                Ok(t) => vec![("user".to_owned(), t)],
                Err(e) => {
                    b.problems.push(problem(
                        &l.loc,
                        format!("prompt file {}: {e}", path.display()),
                    ));
                    Vec::new()
                }
            }
        }
        None => p
            .template
            .iter()
            .map(|m| {
                (
                    text(&m.role).unwrap_or_else(|| "user".to_owned()),
                    text(&m.content).unwrap_or_default(),
                )
            })
            .collect(),
    };
    PromptSpec {
        name: text(&p.name).unwrap_or_default(),
        title: text(&p.label),
        description: text(&p.description),
        arguments: p
            .arguments
            .iter()
            .map(|a| PromptArgument {
                name: text(&a.name).unwrap_or_default(),
                title: text(&a.label),
                description: text(&a.description),
                required: a.required.as_ref().is_none_or(|r| r.value),
            })
            .collect(),
        messages,
    }
}

/// `--expose mcp`: every REST operation of every capability as a tool of one service
/// (names made unique: later duplicates get a suffix).
pub(super) fn expose_rest_operations(b: &mut Builder<'_>) {
    let Some(listen) = &b.options.expose_mcp else {
        return;
    };
    if let McpListen::Http(host, port) = listen {
        b.warn_if_open("mcp", EXPOSED_MCP_NAMESPACE, host, *port, false);
    }
    let mut tools = b.rest_tools.clone();
    let guarded: Vec<String> = tools
        .iter()
        .enumerate()
        .filter(|(i, _)| b.guarded_rest_tools.contains(i))
        .map(|(_, t)| format!("`{}`", t.name))
        .collect();
    if !guarded.is_empty() {
        b.warnings.push(format!(
            "--expose mcp leaves out {}: their REST block requires `authentication`, and the \
             derived MCP server has no authentication to enforce it with",
            guarded.join(", ")
        ));
        let mut i = 0;
        tools.retain(|_| {
            i += 1;
            !b.guarded_rest_tools.contains(&(i - 1))
        });
    }
    let mut seen: HashSet<String> = HashSet::new();
    for t in &mut tools {
        let mut name = t.name.clone();
        let mut n = 2;
        while !seen.insert(name.clone()) {
            name = format!("{}-{n}", t.name);
            n += 1;
        }
        t.name = name;
    }
    b.mcp.push(McpService {
        namespace: EXPOSED_MCP_NAMESPACE.to_owned(),
        description: Some(
            "Every exposed REST operation of the capabilities served, as MCP tools.".to_owned(),
        ),
        listen: listen.clone(),
        tools,
        resources: Vec::new(),
        prompts: Vec::new(),
        guard: None,
        max_binary: None,
        cache: None,
    });
}

/// The semantics of the aggregate function `namespace.function`.
fn function_semantics<'c>(
    cap: &'c Capability,
    reference: &str,
) -> Option<&'c naftiko_spec::model::Semantics> {
    let (ns, name) = reference.split_once('.')?;
    cap.aggregates
        .iter()
        .filter(|a| a.namespace.as_ref().is_some_and(|n| n.value == ns))
        .flat_map(|a| &a.functions)
        .find(|f| f.name.as_ref().is_some_and(|n| n.value == name))?
        .semantics
        .as_ref()
}

/// MCP tool annotations: derived from an aggregate function's `semantics` (`safe` →
/// read-only and not destructive, `idempotent` copied), then the tool's own `hints` win
/// field by field.
fn tool_annotations(
    h: Option<&naftiko_spec::model::McpToolHints>,
    semantics: Option<&naftiko_spec::model::Semantics>,
) -> Option<serde_json::Value> {
    use serde_json::Value;
    let mut m = serde_json::Map::new();
    if let Some(s) = semantics {
        if let Some(safe) = &s.safe {
            m.insert("readOnlyHint".to_owned(), Value::Bool(safe.value));
            if safe.value {
                m.insert("destructiveHint".to_owned(), Value::Bool(false));
            }
        }
        if let Some(i) = &s.idempotent {
            m.insert("idempotentHint".to_owned(), Value::Bool(i.value));
        }
    }
    if let Some(h) = h {
        for (key, value) in [
            ("readOnlyHint", &h.read_only),
            ("destructiveHint", &h.destructive),
            ("idempotentHint", &h.idempotent),
            ("openWorldHint", &h.open_world),
        ] {
            if let Some(v) = value {
                m.insert(key.to_owned(), Value::Bool(v.value));
            }
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}
