//! `Runtime::build`: the only step that touches the environment. It turns validated
//! capability files into immutable, ready-to-serve operations (compiled templates and
//! JSONPaths, one pooled client per consumed API, resolved bindings) and the REST routes
//! adapters serve.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use naftiko_spec::Loc;
use naftiko_spec::model::{
    Authentication, ConsumesHttp, Document, Exposes, Invocation, OAuth2Auth, RawFormat,
};
use naftiko_validate::{Scope, Validation};

use crate::auth::{Auth, TokenSource};
use crate::bindings::BindTable;
use crate::catalog::{PromptArgument, PromptSpec, ResourceSource, ResourceSpec};
use crate::env::EnvSource;
use crate::error::{BuildError, BuildProblem, InvokeError};
use crate::inbound::Inbound;
use crate::invoke::{
    Input, InputStyle, Invocable, Outcome, Step, Steps, Target, With, format_name,
};
use crate::outputs::Outputs;
use crate::request::ConsumedOp;
use crate::scope::{Names, Resolve, Tpl};
use crate::secrets::Secrets;
use crate::skills::{RestCall, SkillService, SkillSpec, SkillTool, SkillToolKind, kebab};
use crate::tools::{ArgMapping, ToolResult, ToolSpec, input_schema, output_schema, tool_result};
use crate::upstream::{ClientOptions, Upstream};

/// How to build.
#[derive(Clone)]
pub struct BuildOptions {
    /// `--base-uri NAMESPACE=URL`: replaces a consumed namespace's `baseUri`.
    pub base_uris: Vec<(String, String)>,
    /// `--listen NAMESPACE=HOST:PORT`: moves an exposes block.
    pub listens: Vec<(String, String, u16)>,
    /// Upstream HTTP client settings.
    pub client: ClientOptions,
    /// Where bindings and `in: environment` parameters are read.
    pub env: Arc<dyn EnvSource>,
    /// `--expose mcp=…`: also serve every exposed REST operation as an MCP tool.
    pub expose_mcp: Option<McpListen>,
    /// `--expose skill=HOST:PORT`: also serve a skill catalog with one skill per capability.
    pub expose_skill: Option<(String, u16)>,
    /// `--control HOST:PORT`: serve the control port (health, status, metrics) there.
    pub control: Option<(String, u16)>,
    /// `--general-path`: serve every operation on the general path, with no direct plans
    /// (for comparing the two; the answers are the same).
    pub general_only: bool,
}

/// The control port (health, status, metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlService {
    /// Address (default `127.0.0.1`).
    pub address: String,
    /// Port.
    pub port: u16,
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
}

impl BuildOptions {
    /// Options reading bindings from `env`, with everything else as `naftiko run` has it
    /// without flags: no overrides, default client settings, nothing extra exposed.
    pub fn new(env: Arc<dyn EnvSource>) -> Self {
        BuildOptions {
            base_uris: Vec::new(),
            listens: Vec::new(),
            client: ClientOptions::default(),
            env,
            expose_mcp: None,
            expose_skill: None,
            control: None,
            general_only: false,
        }
    }

    /// The address and port `--listen` gives an exposes namespace, if any.
    fn placement(&self, namespace: &str) -> Option<(String, u16)> {
        self.listens
            .iter()
            .find(|(ns, _, _)| ns == namespace)
            .map(|(_, host, port)| (host.clone(), *port))
    }
}

/// An exposes block's own address and port, with the defaults of its kind.
fn declared(
    address: &Option<naftiko_spec::model::Text>,
    port: &Option<naftiko_spec::Spanned<u16>>,
    default_address: &str,
    default_port: u16,
) -> (String, u16) {
    (
        address
            .as_ref()
            .map_or_else(|| default_address.to_owned(), |a| a.value.clone()),
        port.as_ref().map_or(default_port, |p| p.value),
    )
}

/// Where an MCP service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpListen {
    /// Streamable HTTP on this host and port (endpoint `/mcp`).
    Http(String, u16),
    /// Standard input and output.
    Stdio,
}

/// Namespace of the skill catalog `--expose skill` adds.
pub const EXPOSED_SKILL_NAMESPACE: &str = "naftiko-skills";

/// Namespace of the MCP service `--expose mcp` adds.
pub const EXPOSED_MCP_NAMESPACE: &str = "naftiko";

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
}

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("base_uris", &self.base_uris)
            .field("listens", &self.listens)
            .field("client", &self.client)
            .field("expose_mcp", &self.expose_mcp)
            .field("expose_skill", &self.expose_skill)
            .field("control", &self.control)
            .field("general_only", &self.general_only)
            .finish_non_exhaustive()
    }
}

/// Identifies an operation of a [`Runtime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(pub usize);

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

/// Built capabilities, ready to serve. Immutable; share it in an `Arc`.
#[derive(Debug)]
pub struct Runtime {
    ops: Vec<(OperationInfo, Invocable)>,
    /// Per operation, its direct plan when it has the direct shape (`direct.rs`).
    direct: Vec<Option<crate::direct::DirectPlan>>,
    services: Vec<RestService>,
    mcp: Vec<McpService>,
    skills: Vec<SkillService>,
    control: Option<ControlService>,
    capabilities: Vec<CapabilityInfo>,
    bound: std::sync::OnceLock<Vec<(String, std::net::SocketAddr)>>,
    warnings: Vec<String>,
    secrets: Secrets,
    metrics: Arc<crate::metrics::Metrics>,
}

/// Per-document build state.
struct DocBuild<'a> {
    doc: &'a Document,
    scope: &'a Scope,
    names: Names<'a>,
    binds_values: Arc<[Option<String>]>,
    consumed: HashMap<String, Arc<ConsumedOp>>,
    functions: HashMap<String, Arc<Invocable>>,
}

impl Runtime {
    /// Builds every capability file of `validation` (which must have no errors).
    ///
    /// # Errors
    /// Every problem at once: missing bound variables a template needs, base URIs that are
    /// not URLs, `--base-uri`/`--listen` for unknown namespaces, unsupported formats, …
    pub fn build(validation: &Validation, options: &BuildOptions) -> Result<Runtime, BuildError> {
        let secrets = Secrets::default();
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let mut problems: Vec<BuildProblem> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut ops: Vec<(OperationInfo, Invocable)> = Vec::new();
        let mut services: Vec<RestService> = Vec::new();
        let mut mcp: Vec<McpService> = Vec::new();
        let mut rest_tools: Vec<ToolSpec> = Vec::new();
        let mut skill_services: Vec<SkillService> = Vec::new();
        let mut derived_skills: Vec<SkillSpec> = Vec::new();
        let mut control: Option<ControlService> =
            options
                .control
                .as_ref()
                .map(|(address, port)| ControlService {
                    address: address.clone(),
                    port: *port,
                });
        let mut capabilities: Vec<CapabilityInfo> = Vec::new();
        let mut known_consumed: HashSet<String> = HashSet::new();
        let mut known_exposed: HashSet<String> = HashSet::new();

        for (file, scope) in validation.files.iter().zip(&validation.scopes) {
            let Some(doc) = &file.document else { continue };
            let Some(cap) = &doc.capability else { continue };
            capabilities.push(CapabilityInfo {
                file: file.path.clone(),
                label: doc
                    .info
                    .as_ref()
                    .and_then(|i| i.label.as_ref())
                    .map(|l| l.value.clone()),
                naftiko: doc.naftiko.as_ref().map(|n| n.value.clone()),
            });
            let binds = BindTable::resolve(doc, &file.path, options.env.as_ref(), &secrets);
            let mut qualifiers: HashSet<String> = ["rest", "tools", "mcp", "skill"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            qualifiers.extend(
                cap.exposes
                    .iter()
                    .filter_map(|e| e.namespace().map(|n| n.value.clone())),
            );
            qualifiers.extend(
                cap.aggregates
                    .iter()
                    .filter_map(|a| a.namespace.as_ref().map(|n| n.value.clone())),
            );
            let values: Arc<[Option<String>]> = binds
                .entries
                .iter()
                .map(|e| e.value.as_ref().ok().cloned())
                .collect();
            let names = Names {
                binds: &binds,
                qualifiers: &qualifiers,
                used: Default::default(),
            };
            let mut b = DocBuild {
                doc,
                scope,
                names,
                binds_values: values,
                consumed: HashMap::new(),
                functions: HashMap::new(),
            };
            for (ns, _) in &scope.consumes {
                known_consumed.insert(ns.clone());
            }
            b.build_consumed(options, &secrets, &metrics, &mut problems);
            b.build_functions(&mut problems);
            // This document's REST operations (namespace, name, call, index in `rest_tools`)
            // and MCP tools, for its skills.
            let mut doc_rest: Vec<(String, String, RestCall, usize)> = Vec::new();
            let mut doc_mcp: Vec<(String, ToolSpec)> = Vec::new();
            for e in &cap.exposes {
                match e {
                    Exposes::Rest(rest) => {
                        let namespace = rest
                            .namespace
                            .as_ref()
                            .map(|n| n.value.clone())
                            .unwrap_or_default();
                        known_exposed.insert(namespace.clone());
                        let (address, port) = options.placement(&namespace).unwrap_or_else(|| {
                            declared(&rest.address, &rest.port, "0.0.0.0", 8080)
                        });
                        let mut routes = Vec::new();
                        for resource in &rest.resources {
                            let path = resource
                                .path
                                .as_ref()
                                .map(|p| p.value.clone())
                                .unwrap_or_default();
                            if resource.forward.is_some() && resource.operations.is_empty() {
                                warnings.push(format!(
                                    "{}: `forward` on {path} is not served yet; the route is skipped",
                                    file.path.display()
                                ));
                                continue;
                            }
                            for op in &resource.operations {
                                let method = op
                                    .method
                                    .as_ref()
                                    .map(|m| m.value.as_str())
                                    .unwrap_or("GET");
                                let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
                                    continue;
                                };
                                let inputs =
                                    resource.input_parameters.iter().chain(&op.input_parameters);
                                let built = b.build_invocable(
                                    inputs,
                                    InputStyle::Rest,
                                    &op.invocation,
                                    &op.loc,
                                    &mut problems,
                                );
                                let name = op
                                    .name
                                    .as_ref()
                                    .map(|n| n.value.clone())
                                    .unwrap_or_else(|| format!("{method} {path}"));
                                let id = OpId(ops.len());
                                let segs = segments(&path);
                                doc_rest.push((
                                    namespace.clone(),
                                    name.clone(),
                                    RestCall {
                                        method: method.to_string(),
                                        path: path.clone(),
                                        address: address.clone(),
                                        port,
                                    },
                                    rest_tools.len(),
                                ));
                                rest_tools.push(rest_tool(
                                    &built,
                                    &name,
                                    op.description
                                        .as_ref()
                                        .map(|d| d.value.clone())
                                        .or_else(|| built.call_description())
                                        .or_else(|| {
                                            resource.description.as_ref().map(|d| d.value.clone())
                                        }),
                                    &segs,
                                    id,
                                ));
                                ops.push((
                                    OperationInfo {
                                        namespace: namespace.clone(),
                                        name,
                                        call: op.invocation.call.as_ref().map(|c| c.value.clone()),
                                    },
                                    built,
                                ));
                                routes.push(Route {
                                    path: path.clone(),
                                    segments: segments(&path),
                                    method,
                                    op: id,
                                });
                            }
                        }
                        services.push(RestService {
                            namespace,
                            file: file.path.clone(),
                            address,
                            port,
                            routes,
                        });
                    }
                    Exposes::Mcp(m) => {
                        let namespace = m
                            .namespace
                            .as_ref()
                            .map(|n| n.value.clone())
                            .unwrap_or_default();
                        known_exposed.insert(namespace.clone());
                        let stdio = m.transport.as_ref().is_some_and(|t| t.value == "stdio");
                        let listen = match options.placement(&namespace) {
                            Some((host, port)) => McpListen::Http(host, port),
                            None if stdio => McpListen::Stdio,
                            None => {
                                let (host, port) = declared(&m.address, &m.port, "127.0.0.1", 9090);
                                McpListen::Http(host, port)
                            }
                        };
                        let mut tools = Vec::new();
                        for t in &m.tools {
                            let Some(name) = &t.name else { continue };
                            let built = b.build_invocable(
                                t.input_parameters.iter(),
                                InputStyle::Arguments,
                                &t.invocation,
                                &t.loc,
                                &mut problems,
                            );
                            let id = OpId(ops.len());
                            tools.push(ToolSpec {
                                name: name.value.clone(),
                                title: t.label.as_ref().map(|l| l.value.clone()),
                                description: t
                                    .description
                                    .as_ref()
                                    .map(|d| d.value.clone())
                                    .or_else(|| built.call_description()),
                                input_schema: input_schema(
                                    &built.inputs,
                                    &built.with,
                                    &built.target,
                                    &[],
                                ),
                                output_schema: output_schema(built.output_schema()),
                                annotations: tool_annotations(
                                    t.hints.as_ref(),
                                    t.invocation
                                        .reference
                                        .as_ref()
                                        .and_then(|r| function_semantics(cap, &r.value)),
                                ),
                                op: id,
                                args: ArgMapping::Body,
                            });
                            ops.push((
                                OperationInfo {
                                    namespace: namespace.clone(),
                                    name: name.value.clone(),
                                    call: t.invocation.call.as_ref().map(|c| c.value.clone()),
                                },
                                built,
                            ));
                        }
                        let mut resources = Vec::new();
                        for r in &m.resources {
                            let text = |t: &Option<naftiko_spec::model::Text>| {
                                t.as_ref().map(|t| t.value.clone())
                            };
                            let source = match &r.location {
                                Some(l) => ResourceSource::Directory(
                                    naftiko_validate::workspace::import_path(&file.path, &l.value),
                                ),
                                None => {
                                    let built = b.build_invocable(
                                        std::iter::empty(),
                                        InputStyle::Arguments,
                                        &r.invocation,
                                        &r.loc,
                                        &mut problems,
                                    );
                                    let id = OpId(ops.len());
                                    ops.push((
                                        OperationInfo {
                                            namespace: namespace.clone(),
                                            name: text(&r.name).unwrap_or_default(),
                                            call: r
                                                .invocation
                                                .call
                                                .as_ref()
                                                .map(|c| c.value.clone()),
                                        },
                                        built,
                                    ));
                                    ResourceSource::Operation(id)
                                }
                            };
                            resources.push(ResourceSpec {
                                name: text(&r.name).unwrap_or_default(),
                                title: text(&r.label),
                                description: text(&r.description),
                                uri: text(&r.uri).unwrap_or_default(),
                                mime_type: text(&r.mime_type),
                                source,
                            });
                        }
                        let mut prompts = Vec::new();
                        for p in &m.prompts {
                            let text = |t: &Option<naftiko_spec::model::Text>| {
                                t.as_ref().map(|t| t.value.clone())
                            };
                            let messages = match &p.location {
                                Some(l) => {
                                    let path = naftiko_validate::workspace::import_path(
                                        &file.path, &l.value,
                                    );
                                    match std::fs::read_to_string(&path) {
                                        Ok(t) => vec![("user".to_owned(), t)],
                                        Err(e) => {
                                            problems.push(problem(
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
                            prompts.push(PromptSpec {
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
                            });
                        }
                        doc_mcp.extend(tools.iter().map(|t| (namespace.clone(), t.clone())));
                        mcp.push(McpService {
                            namespace,
                            description: m.description.as_ref().map(|d| d.value.clone()),
                            listen,
                            tools,
                            resources,
                            prompts,
                        });
                    }
                    Exposes::Skill(_) => {}
                    Exposes::Control(c) => {
                        if control.is_none() {
                            control = Some(ControlService {
                                address: c
                                    .address
                                    .as_ref()
                                    .map(|a| a.value.clone())
                                    .unwrap_or_else(|| "127.0.0.1".to_owned()),
                                port: c.port.as_ref().map(|p| p.value).unwrap_or(9100),
                            });
                        }
                    }
                }
            }
            let find_tool = |ns: &str, action: &str| -> SkillToolKind {
                if let Some((_, _, call, i)) =
                    doc_rest.iter().find(|(n, a, _, _)| n == ns && a == action)
                {
                    return SkillToolKind::Derived {
                        namespace: ns.to_owned(),
                        action: action.to_owned(),
                        mode: "rest",
                        tool: rest_tools.get(*i).cloned(),
                        rest: Some(call.clone()),
                    };
                }
                let tool = doc_mcp
                    .iter()
                    .find(|(n, t)| n == ns && t.name == action)
                    .map(|(_, t)| t.clone());
                SkillToolKind::Derived {
                    namespace: ns.to_owned(),
                    action: action.to_owned(),
                    mode: if tool.is_some() { "mcp" } else { "unknown" },
                    tool,
                    rest: None,
                }
            };
            for e in &cap.exposes {
                let Exposes::Skill(sk) = e else { continue };
                let namespace = sk
                    .namespace
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_default();
                known_exposed.insert(namespace.clone());
                let (address, port) = options
                    .placement(&namespace)
                    .unwrap_or_else(|| declared(&sk.address, &sk.port, "0.0.0.0", 8090));
                let mut skills = Vec::new();
                for s in &sk.skills {
                    let text =
                        |t: &Option<naftiko_spec::model::Text>| t.as_ref().map(|t| t.value.clone());
                    let location = s
                        .location
                        .as_ref()
                        .map(|l| naftiko_validate::workspace::import_path(&file.path, &l.value));
                    let tools = s
                        .tools
                        .iter()
                        .map(|t| SkillTool {
                            name: text(&t.name).unwrap_or_default(),
                            description: text(&t.description).unwrap_or_default(),
                            kind: match (&t.from, &t.instruction) {
                                (Some(from), _) => find_tool(
                                    &text(&from.source_namespace).unwrap_or_default(),
                                    &text(&from.action).unwrap_or_default(),
                                ),
                                (None, Some(i)) => SkillToolKind::Instruction {
                                    path: i.value.clone(),
                                },
                                (None, None) => SkillToolKind::Instruction {
                                    path: String::new(),
                                },
                            },
                        })
                        .collect();
                    skills.push(SkillSpec {
                        name: text(&s.name).unwrap_or_default(),
                        description: text(&s.description).unwrap_or_default(),
                        license: text(&s.license),
                        compatibility: text(&s.compatibility),
                        metadata: s
                            .metadata
                            .iter()
                            .map(|(k, v)| (k.value.clone(), v.value.clone()))
                            .collect(),
                        allowed_tools: text(&s.allowed_tools),
                        argument_hint: text(&s.argument_hint),
                        user_invocable: s.user_invocable.as_ref().map(|b| b.value),
                        disable_model_invocation: s
                            .disable_model_invocation
                            .as_ref()
                            .map(|b| b.value),
                        location,
                        tools,
                    });
                }
                skill_services.push(SkillService {
                    namespace,
                    description: sk.description.as_ref().map(|d| d.value.clone()),
                    address,
                    port,
                    skills,
                });
            }
            if options.expose_skill.is_some() && !doc_rest.is_empty() {
                let info = doc.info.as_ref();
                let name = info
                    .and_then(|i| i.label.as_ref())
                    .map(|l| kebab(&l.value))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| {
                        kebab(
                            &file
                                .path
                                .file_stem()
                                .map(|s| s.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        )
                    });
                let tools = doc_rest
                    .iter()
                    .map(|(ns, action, _, i)| SkillTool {
                        name: action.clone(),
                        description: rest_tools
                            .get(*i)
                            .and_then(|t| t.description.clone())
                            .unwrap_or_default(),
                        kind: find_tool(ns, action),
                    })
                    .collect();
                derived_skills.push(SkillSpec {
                    name,
                    description: info
                        .and_then(|i| i.description.as_ref())
                        .map(|d| d.value.clone())
                        .unwrap_or_default(),
                    tools,
                    ..SkillSpec::default()
                });
            }
            // Bound variables: missing ones that a template reads stop the build.
            let used = b.names.used.borrow();
            let mut missing = Vec::new();
            for (i, e) in binds.entries.iter().enumerate() {
                if let Err(why) = &e.value {
                    if used.contains(&i) {
                        missing.push((e, why));
                    } else {
                        warnings.push(format!(
                            "{}: bound variable `{}` is not set ({why}) but no template uses it",
                            file.path.display(),
                            e.key
                        ));
                    }
                }
            }
            if !missing.is_empty() {
                let list: Vec<String> = missing
                    .iter()
                    .map(|(e, why)| format!("`{}` ({why})", e.key))
                    .collect();
                problems.push(BuildProblem {
                    loc: Some(missing[0].0.loc.clone()),
                    message: format!(
                        "missing bound variable{}: {}",
                        if missing.len() > 1 { "s" } else { "" },
                        list.join(", ")
                    ),
                });
            }
        }
        for (ns, _) in &options.base_uris {
            if !known_consumed.contains(ns) {
                problems.push(BuildProblem {
                    loc: None,
                    message: format!("--base-uri names `{ns}`, which no capability consumes"),
                });
            }
        }
        for (ns, _, _) in &options.listens {
            if !known_exposed.contains(ns) {
                problems.push(BuildProblem {
                    loc: None,
                    message: format!("--listen names `{ns}`, which is not a served REST namespace"),
                });
            }
        }
        if let Some(listen) = &options.expose_mcp {
            // Names must be unique within one MCP server: later duplicates get a suffix.
            let mut seen: HashSet<String> = HashSet::new();
            for t in &mut rest_tools {
                let mut name = t.name.clone();
                let mut n = 2;
                while !seen.insert(name.clone()) {
                    name = format!("{}-{n}", t.name);
                    n += 1;
                }
                t.name = name;
            }
            mcp.push(McpService {
                namespace: EXPOSED_MCP_NAMESPACE.to_owned(),
                description: Some(
                    "Every exposed REST operation of the capabilities served, as MCP tools."
                        .to_owned(),
                ),
                listen: listen.clone(),
                tools: rest_tools,
                resources: Vec::new(),
                prompts: Vec::new(),
            });
        }
        if let Some((address, port)) = &options.expose_skill {
            skill_services.push(SkillService {
                namespace: EXPOSED_SKILL_NAMESPACE.to_owned(),
                description: Some(
                    "One skill per capability served, derived from its REST operations.".to_owned(),
                ),
                address: address.clone(),
                port: *port,
                skills: derived_skills,
            });
        }
        if services.is_empty() && mcp.is_empty() && skill_services.is_empty() {
            problems.push(BuildProblem {
                loc: None,
                message: "nothing to serve: no capability exposes a REST or MCP API".to_owned(),
            });
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        let direct = ops
            .iter()
            .map(|(_, inv)| {
                (!options.general_only)
                    .then(|| crate::direct::DirectPlan::compile(inv))
                    .flatten()
            })
            .collect();
        Ok(Runtime {
            ops,
            direct,
            services,
            mcp,
            skills: skill_services,
            control,
            capabilities,
            bound: std::sync::OnceLock::new(),
            warnings,
            secrets,
            metrics,
        })
    }

    /// The REST services to serve.
    pub fn rest_services(&self) -> &[RestService] {
        &self.services
    }

    /// Records where each exposes namespace was bound (once, by the server, after binding):
    /// lets adapters document real ports when `:0` was asked for.
    pub fn set_bound_addresses(&self, bound: Vec<(String, std::net::SocketAddr)>) {
        let _ = self.bound.set(bound);
    }

    /// Where an exposes namespace listens, once bound.
    pub fn bound_address(&self, namespace: &str) -> Option<std::net::SocketAddr> {
        self.bound
            .get()?
            .iter()
            .find(|(n, _)| n == namespace)
            .map(|(_, a)| *a)
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
    ) -> ToolResult {
        if let Err(e) = crate::tools::check_arguments(&tool.input_schema, &arguments) {
            return tool_result(Err(e), |t| self.secrets.redact(t));
        }
        let inbound = tool.args.inbound(arguments);
        let outcome = self.invoke(tool.op, &inbound).await;
        tool_result(outcome, |t| self.secrets.redact(t))
    }

    /// Reads a resource of an MCP service: `(mime type, text)`, or why not (`Ok(None)` when
    /// no resource has this URI).
    ///
    /// # Errors
    /// An unsafe path, an unreadable file, or a failed operation (its message).
    pub async fn read_resource(
        &self,
        service: &McpService,
        uri: &str,
    ) -> Result<Option<(String, String)>, String> {
        for r in &service.resources {
            let Some(target) = r.resolve(uri) else {
                continue;
            };
            return match target? {
                crate::catalog::ResourceTarget::File { text, mime_type } => {
                    Ok(Some((mime_type, text)))
                }
                crate::catalog::ResourceTarget::Operation(op, args) => {
                    let inbound = Inbound {
                        body: crate::inbound::InboundBody::Json(serde_json::Value::Object(args)),
                        ..Inbound::default()
                    };
                    let result =
                        tool_result(self.invoke(op, &inbound).await, |t| self.secrets.redact(t));
                    if result.is_error {
                        return Err(result.text);
                    }
                    Ok(Some((
                        r.mime_type
                            .clone()
                            .unwrap_or_else(|| "application/json".to_owned()),
                        result.text,
                    )))
                }
            };
        }
        Ok(None)
    }

    /// Things that will not work as written but do not stop the capability.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The metrics adapters record into and the control port serves.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Every secret value known (for redaction by adapters).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Describes an operation.
    pub fn operation(&self, op: OpId) -> Option<&OperationInfo> {
        self.ops.get(op.0).map(|(i, _)| i)
    }

    /// The request path of an operation without the network (not a stable API; for the
    /// criterion benchmarks in `benches/`): builds the upstream request and returns its
    /// body length; with `answer`, also shapes that upstream answer into the outcome.
    ///
    /// # Errors
    /// The errors [`Runtime::invoke`] would give for the same input, or
    /// [`InvokeError::Unsupported`] for operations that do not call one consumed operation.
    #[doc(hidden)]
    pub fn rehearse(
        &self,
        op: OpId,
        inbound: &Inbound,
        answer: Option<(u16, bytes::Bytes)>,
    ) -> Result<(usize, Option<Outcome>), InvokeError> {
        let (_, inv) = self
            .ops
            .get(op.0)
            .ok_or_else(|| InvokeError::Internal(format!("unknown operation {}", op.0)))?;
        inv.rehearse(inbound, answer).map(|(prepared, outcome)| {
            (prepared.body.as_ref().map_or(0, bytes::Bytes::len), outcome)
        })
    }

    /// The direct path without the network, for the criterion benchmarks: writes the
    /// upstream request (returning its length), then shapes `answer` as if the upstream had
    /// sent it. `None` when `op` has no direct plan or the plan declines the request.
    #[doc(hidden)]
    pub fn rehearse_direct(
        &self,
        op: OpId,
        request: &crate::direct::DirectRequest<'_>,
        answer: Option<(u16, bytes::Bytes)>,
    ) -> Option<(usize, Option<Result<Outcome, InvokeError>>)> {
        let plan = self.direct.get(op.0)?.as_ref()?;
        let sent = plan.request(request)?.len();
        let shaped = answer.map(|(status, body)| {
            plan.shape(crate::upstream::Answer {
                status,
                content_type: Some("application/json".to_owned()),
                cache_control: None,
                location: None,
                body,
            })
        });
        Some((sent, shaped))
    }

    /// An operation and its direct plan, for the direct path's tests.
    #[cfg(test)]
    pub(crate) fn parts(
        &self,
        op: OpId,
    ) -> Option<(&Invocable, Option<&crate::direct::DirectPlan>)> {
        let (_, inv) = self.ops.get(op.0)?;
        Some((inv, self.direct.get(op.0).and_then(Option::as_ref)))
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
        request: &crate::direct::DirectRequest<'_>,
    ) -> Option<Result<Outcome, InvokeError>> {
        self.direct.get(op.0)?.as_ref()?.run(request).await
    }

    /// Runs an operation for one inbound request.
    ///
    /// # Errors
    /// See [`InvokeError`]; [`InvokeError::fault`] says whose fault it is.
    pub async fn invoke(&self, op: OpId, inbound: &Inbound) -> Result<Outcome, InvokeError> {
        let (_, inv) = self
            .ops
            .get(op.0)
            .ok_or_else(|| InvokeError::Internal(format!("unknown operation {}", op.0)))?;
        inv.invoke(inbound).await
    }
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

/// Renders bind-only templates (base URIs, OAuth 2.0 client credentials).
struct BindsOnly<'a>(&'a [Option<String>]);

impl Resolve for BindsOnly<'_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.0.get(index)?.as_deref()
    }
    fn arg(&self, _: &str) -> Option<std::borrow::Cow<'_, serde_json::Value>> {
        None
    }
    fn local(&self, _: &str) -> Option<std::borrow::Cow<'_, serde_json::Value>> {
        None
    }
}

fn problem(loc: &Loc, message: impl Into<String>) -> BuildProblem {
    BuildProblem {
        loc: Some(loc.clone()),
        message: message.into(),
    }
}

impl DocBuild<'_> {
    fn build_consumed(
        &mut self,
        options: &BuildOptions,
        secrets: &Secrets,
        metrics: &Arc<crate::metrics::Metrics>,
        problems: &mut Vec<BuildProblem>,
    ) {
        let http = crate::upstream::LazyClient::new(&options.client);
        for (ns, api) in &self.scope.consumes {
            let base = match options.base_uris.iter().find(|(n, _)| n == ns) {
                Some((_, url)) => url.clone(),
                None => match &api.base_uri {
                    Some(t) => match Tpl::compile(&t.value, &self.names) {
                        Ok(tpl) => tpl.render(&BindsOnly(&self.binds_values)),
                        Err(e) => {
                            problems.push(problem(&t.loc, e));
                            continue;
                        }
                    },
                    None => continue,
                },
            };
            let auth = match self.auth(api, &http, secrets) {
                Ok(a) => a,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let fast = uses_fast_path(&base, options.env.as_ref())
                .then(|| crate::upstream::fast_client(&options.client));
            let upstream = Arc::new(Upstream {
                namespace: ns.clone(),
                base,
                client: http.clone(),
                auth,
                options: options.client.clone(),
                secrets: secrets.clone(),
                metrics: metrics.clone(),
                fast,
                calls: std::sync::OnceLock::new(),
            });
            for r in &api.resources {
                let path = r.path.as_ref().map(|p| p.value.as_str()).unwrap_or("");
                for op in &r.operations {
                    let Some(name) = &op.name else { continue };
                    let key = format!("{ns}.{}", name.value);
                    if self.consumed.contains_key(&key) {
                        continue;
                    }
                    match ConsumedOp::compile(
                        upstream.clone(),
                        path,
                        &[&api.input_parameters, &r.input_parameters],
                        op,
                        &self.names,
                        options.env.as_ref(),
                    ) {
                        Ok(c) => {
                            self.consumed.insert(key, Arc::new(c));
                        }
                        Err(e) => problems.push(problem(&op.loc, format!("`{key}`: {e}"))),
                    }
                }
            }
        }
    }

    fn auth(
        &self,
        api: &ConsumesHttp,
        http: &crate::upstream::LazyClient,
        secrets: &Secrets,
    ) -> Result<Auth, BuildProblem> {
        let _ = http;
        let tpl = |t: &Option<naftiko_spec::model::Text>| -> Result<Tpl, BuildProblem> {
            let text = t.as_ref().map(|t| t.value.as_str()).unwrap_or("");
            let compiled = Tpl::compile(text, &self.names).map_err(|e| BuildProblem {
                loc: t.as_ref().map(|t| t.loc.clone()),
                message: e,
            })?;
            // Literal credentials written in the file are secrets too.
            if compiled.binds().next().is_none() {
                secrets.add(text);
            }
            Ok(compiled)
        };
        Ok(match &api.authentication {
            None | Some(Authentication::None { .. }) => Auth::None,
            Some(Authentication::Basic(a)) => Auth::Basic {
                user: tpl(&a.username)?,
                password: tpl(&a.password)?,
            },
            Some(Authentication::Digest(a)) => Auth::Digest {
                user: tpl(&a.username)?,
                password: tpl(&a.password)?,
            },
            Some(Authentication::Bearer(b)) => Auth::Bearer(tpl(&b.token)?),
            Some(Authentication::ApiKey(k)) => {
                let mut headers = Vec::new();
                for (name, value) in k.headers.iter() {
                    let header = http::header::HeaderName::from_bytes(name.value.as_bytes())
                        .map_err(|_| {
                            problem(
                                &name.loc,
                                format!("`{}` is not a valid header name", name.value),
                            )
                        })?;
                    headers.push((header, tpl(&Some(value.clone()))?));
                }
                if let Some(key) = k.key.as_ref().filter(|t| !t.value.contains("{{"))
                    && !k
                        .placement
                        .as_ref()
                        .is_some_and(|p| p.value == naftiko_spec::model::ApiKeyPlacement::Query)
                    && http::header::HeaderName::from_bytes(key.value.as_bytes()).is_err()
                {
                    return Err(problem(
                        &key.loc,
                        format!("API key header `{}` is not a valid header name", key.value),
                    ));
                }
                Auth::ApiKey {
                    key: k.key.as_ref().map(|_| tpl(&k.key)).transpose()?,
                    value: tpl(&k.value)?,
                    query: k
                        .placement
                        .as_ref()
                        .is_some_and(|p| p.value == naftiko_spec::model::ApiKeyPlacement::Query),
                    headers,
                }
            }
            Some(Authentication::OAuth2(o)) => {
                Auth::OAuth2(Arc::new(self.token_source(o, secrets)?))
            }
        })
    }

    fn token_source(&self, o: &OAuth2Auth, secrets: &Secrets) -> Result<TokenSource, BuildProblem> {
        let render =
            |t: &Option<naftiko_spec::model::Text>| -> Result<Option<String>, BuildProblem> {
                let Some(t) = t else { return Ok(None) };
                let tpl = Tpl::compile(&t.value, &self.names).map_err(|e| problem(&t.loc, e))?;
                if !tpl.reads_only_binds() {
                    return Err(problem(
                        &t.loc,
                        format!(
                            "`{}`: OAuth 2.0 client settings may only use bound variables \
                             (`{{{{env.NAME}}}}`), not request values",
                            t.value
                        ),
                    ));
                }
                Ok(Some(tpl.render(&BindsOnly(&self.binds_values))))
            };
        let endpoint_text = match render(&o.token_endpoint)? {
            Some(e) => e,
            None => match render(&o.authorization_server_uri)? {
                Some(base) => format!("{}/oauth2/token", base.trim_end_matches('/')),
                None => return Err(problem(&o.loc, "`oauth2` needs `tokenEndpoint`")),
            },
        };
        let endpoint = reqwest::Url::parse(&endpoint_text)
            .map_err(|e| problem(&o.loc, format!("token endpoint is not a URL: {e}")))?;
        let (Some(id), Some(secret)) = (render(&o.client_id)?, render(&o.client_secret)?) else {
            return Err(problem(
                &o.loc,
                "`oauth2` on a consumed API needs `clientId` and `clientSecret` (client-credentials grant)",
            ));
        };
        let mut extra = Vec::new();
        if !o.scopes.is_empty() {
            extra.push((
                "scope".to_owned(),
                o.scopes
                    .iter()
                    .map(|s| s.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
        if let Some(a) = render(&o.audience)? {
            extra.push(("audience".to_owned(), a));
        }
        if let Some(r) = render(&o.resource)? {
            extra.push(("resource".to_owned(), r));
        }
        Ok(TokenSource::new(
            endpoint,
            id,
            secret,
            extra,
            secrets.clone(),
        ))
    }

    fn build_functions(&mut self, problems: &mut Vec<BuildProblem>) {
        let Some(cap) = &self.doc.capability else {
            return;
        };
        for agg in &cap.aggregates {
            let ns = agg
                .namespace
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default();
            for f in &agg.functions {
                let Some(name) = &f.name else { continue };
                let built = self.build_invocable(
                    f.input_parameters.iter(),
                    InputStyle::Arguments,
                    &f.invocation,
                    &f.loc,
                    problems,
                );
                self.functions
                    .insert(format!("{ns}.{}", name.value), Arc::new(built));
            }
        }
    }

    fn build_invocable<'p>(
        &self,
        inputs: impl Iterator<Item = &'p naftiko_spec::model::InputParameter>,
        style: InputStyle,
        inv: &Invocation,
        loc: &Loc,
        problems: &mut Vec<BuildProblem>,
    ) -> Invocable {
        let mut compiled_inputs = Vec::new();
        for p in inputs {
            match Input::compile(p, style) {
                Ok(Some(i)) => compiled_inputs.push(i),
                Ok(None) => {}
                Err(e) => problems.push(problem(&p.loc, e)),
            }
        }
        let with = With::compile(
            inv.with.iter().map(|(k, v)| (k.value.as_str(), v)),
            &self.names,
        )
        .unwrap_or_else(|e| {
            problems.push(problem(loc, e));
            With::default()
        });
        let outputs = Outputs::compile(&inv.output_parameters, &self.names).unwrap_or_else(|e| {
            problems.push(problem(loc, e));
            Outputs::default()
        });
        let target = if let Some(call) = &inv.call {
            match self.consumed.get(&call.value) {
                Some(op) => {
                    let effective = if outputs.is_empty() {
                        &op.outputs
                    } else {
                        &outputs
                    };
                    if effective.reads_document()
                        && !matches!(
                            op.format,
                            RawFormat::Json | RawFormat::Text | RawFormat::Binary
                        )
                    {
                        problems.push(problem(
                            &call.loc,
                            format!(
                                "`{}` answers `outputRawFormat: {}`, which this build does not convert yet (json and text are); remove the output parameters to pass the body through",
                                call.value,
                                format_name(op.format)
                            ),
                        ));
                    }
                    Target::Call(op.clone())
                }
                None => {
                    problems.push(problem(
                        &call.loc,
                        format!("`{}` is not a consumed operation", call.value),
                    ));
                    Target::Nothing(String::new())
                }
            }
        } else if let Some(r) = &inv.reference {
            match self.functions.get(&r.value) {
                Some(f) => Target::Function(f.clone()),
                None => {
                    problems.push(problem(
                        &r.loc,
                        format!("`{}` is not an aggregate function", r.value),
                    ));
                    Target::Nothing(String::new())
                }
            }
        } else if !inv.steps.is_empty() {
            Target::Steps(self.build_steps(inv, problems))
        } else if outputs.is_mock() {
            Target::Mock
        } else {
            Target::Nothing(
                "the operation has no `call`, `steps`, `ref` or static outputs".to_owned(),
            )
        };
        Invocable {
            inputs: compiled_inputs,
            with,
            target,
            outputs,
            binds: self.binds_values.clone(),
        }
    }

    fn build_steps(&self, inv: &Invocation, problems: &mut Vec<BuildProblem>) -> Steps {
        let mut steps = Vec::new();
        for s in &inv.steps {
            let name = s.name.as_ref().map(|n| n.value.clone()).unwrap_or_default();
            let kind = s.kind.as_ref().map(|k| k.value.as_str()).unwrap_or("call");
            let step = match kind {
                "call" => match s.call.as_ref().and_then(|c| self.consumed.get(&c.value)) {
                    Some(op) => match With::compile(
                        s.with.iter().map(|(k, v)| (k.value.as_str(), v)),
                        &self.names,
                    ) {
                        Ok(with) => Step::Call {
                            name,
                            op: op.clone(),
                            with,
                        },
                        Err(e) => {
                            problems.push(problem(&s.loc, e));
                            continue;
                        }
                    },
                    None => {
                        problems.push(problem(
                            &s.loc,
                            format!("step `{name}` calls no known consumed operation"),
                        ));
                        continue;
                    }
                },
                "lookup" => {
                    let value = s.lookup_value.as_ref().map(|v| {
                        // `$.step.path` is plain dot navigation: rewrite as a template.
                        let text = v.value.trim();
                        match text.strip_prefix("$.") {
                            Some(p) => format!("{{{{{p}}}}}"),
                            None => text.to_owned(),
                        }
                    });
                    match Tpl::compile(value.as_deref().unwrap_or(""), &self.names) {
                        Ok(value) => Step::Lookup {
                            name,
                            index: s
                                .index
                                .as_ref()
                                .map(|i| i.value.clone())
                                .unwrap_or_default(),
                            match_field: s
                                .match_field
                                .as_ref()
                                .map(|m| m.value.clone())
                                .unwrap_or_default(),
                            value,
                            fields: s
                                .output_parameters
                                .iter()
                                .map(|o| o.value.clone())
                                .collect(),
                        },
                        Err(e) => {
                            problems.push(problem(&s.loc, e));
                            continue;
                        }
                    }
                }
                other => Step::Unsupported {
                    name,
                    why: format!("`{other}` steps are not run by naftiko"),
                },
            };
            steps.push(step);
        }
        let mappings = inv
            .mappings
            .iter()
            .filter_map(|m| {
                let target = m.target_name.as_ref()?.value.clone();
                let value = m
                    .value
                    .as_ref()?
                    .value
                    .trim()
                    .strip_prefix("$.")?
                    .to_owned();
                Some((target, value.split('.').map(str::to_owned).collect()))
            })
            .collect();
        Steps { steps, mappings }
    }
}

/// True when calls to `base` can skip reqwest: plain HTTP and no proxy configured.
fn uses_fast_path(base: &str, env: &dyn EnvSource) -> bool {
    let proxied = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| env.var(v).is_some_and(|p| !p.trim().is_empty()));
    base.starts_with("http://") && !proxied
}

/// The MCP tool derived from a REST operation (`--expose mcp`).
fn rest_tool(
    built: &Invocable,
    name: &str,
    description: Option<String>,
    segs: &[Segment],
    op: OpId,
) -> ToolSpec {
    let path: Vec<String> = segs
        .iter()
        .filter_map(|s| match s {
            Segment::Var { name, .. } => Some(name.clone()),
            Segment::Literal(_) => None,
        })
        .collect();
    let located = |l: naftiko_spec::model::ParamLocation| -> Vec<String> {
        built
            .inputs
            .iter()
            .filter(|i| i.location == l)
            .map(|i| i.name.clone())
            .collect()
    };
    ToolSpec {
        name: name.to_owned(),
        title: None,
        description,
        input_schema: input_schema(&built.inputs, &built.with, &built.target, &path),
        output_schema: output_schema(built.output_schema()),
        annotations: None,
        op,
        args: ArgMapping::Rest {
            query: located(naftiko_spec::model::ParamLocation::Query),
            headers: located(naftiko_spec::model::ParamLocation::Header),
            path,
        },
    }
}

/// The semantics of the aggregate function `namespace.function`.
fn function_semantics<'c>(
    cap: &'c naftiko_spec::model::Capability,
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
    let mut m = serde_json::Map::new();
    if let Some(s) = semantics {
        if let Some(safe) = &s.safe {
            m.insert(
                "readOnlyHint".to_owned(),
                serde_json::Value::Bool(safe.value),
            );
            if safe.value {
                m.insert("destructiveHint".to_owned(), serde_json::Value::Bool(false));
            }
        }
        if let Some(i) = &s.idempotent {
            m.insert(
                "idempotentHint".to_owned(),
                serde_json::Value::Bool(i.value),
            );
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
                m.insert(key.to_owned(), serde_json::Value::Bool(v.value));
            }
        }
    }
    (!m.is_empty()).then_some(serde_json::Value::Object(m))
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
