//! The MCP adapter (with `mcp_direct.rs`, the only modules that know the `rmcp` crate): one
//! [`ServerHandler`] per MCP service of the runtime, served over Streamable HTTP at `/mcp` and
//! `/` (plain JSON answers) or over stdio.
//!
//! Tools are the engine's [`ToolSpec`]s; `tools/call` runs [`Runtime::call_tool`] (through
//! `mcp_tool.rs`), so a bad argument, an upstream error status or a timeout is a tool result
//! with `isError: true`, never a dropped connection. Over HTTP, a well-formed call of a known
//! tool takes the direct path (`mcp_direct.rs`) and never reaches rmcp.
//!
//! Protocol revisions: 2025-03-26, 2025-06-18 and 2025-11-25 are negotiated from the
//! client's `initialize` (an `initialize` naming 2026-07-28 is answered 2025-11-25);
//! 2026-07-28 is stateless: no `initialize`, every request names its revision and client
//! capabilities in `params._meta`, `server/discover` describes the server, and results carry
//! `resultType` (and the block's `ttlMs`/`cacheScope` on the cacheable ones, by default
//! `ttlMs: 0`, `cacheScope: "private"`). rmcp checks
//! the 2026-07-28 request itself: missing `_meta` keys are -32602, an unsupported revision
//! -32022, and over HTTP an `MCP-Protocol-Version`, `Mcp-Method` or `Mcp-Name` header that is
//! missing or disagrees with the body is -32020, all with status 400. Both eras share one
//! endpoint and one stdio stream.
//!
//! Sessions (2025 revisions only): rmcp answers plain JSON only when it serves requests
//! statelessly, so sessions are kept here, in front of it: `initialize` answers carry a new
//! `Mcp-Session-Id`; a request naming an unknown (or deleted) session gets 404, unless its
//! `_meta` names its revision (2026-07-28 has no sessions); `DELETE /mcp` ends a session.
//! Session ids may start with a replica tag ([`McpHttpOptions::session_prefix`]) that a proxy
//! routes on.
//! Binary content (`outputRawFormat: binary`) is a tool's `image` or `audio` block by its
//! media type, else an embedded `resource` with a `blob`; a resource read answers it as
//! blob contents (base64).
//! Each request over HTTP gets an access line (`mcp request`: method, revision, status,
//! request and trace ids); tool calls carry the request's trace upstream (`traced.rs` puts
//! it in the request's extensions, which rmcp hands to the handler).
//! `Host` and `Origin` are validated (loopback by default; see [`McpHttpOptions`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::{Method, Request, StatusCode};
use naftiko_engine::catalog::Contents;
use naftiko_engine::trace::Trace;
use naftiko_engine::{McpService, Runtime, ToolSpec};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

mod edge;
pub use edge::McpEdge;

use crate::access::{self, AccessSink, McpLine};
use crate::mcp_direct::{self, Call};
use crate::mcp_tool;
use crate::traced::SpanNote;

/// Header carrying the MCP session id.
const SESSION_HEADER: &str = "mcp-session-id";

/// Host and Origin rules for Streamable HTTP.
#[derive(Debug, Clone)]
pub struct McpHttpOptions {
    /// Accepted `Host` values (hostnames or `host:port`); empty accepts any (not advised).
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values (`scheme://host:port`, `:*` for any port).
    pub allowed_origins: Vec<String>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Put before every `Mcp-Session-Id` this process issues (empty by default): a tag naming
    /// the replica, so that a proxy can send a 2025 session's requests to the replica that
    /// knows it (`docs/run.md`, replicas). `[A-Za-z0-9._-]`, checked by the command line.
    pub session_prefix: String,
    /// Well-formed tool calls take the direct path (`mcp_direct.rs`); `false` sends every
    /// request through rmcp (`--general-path`, to compare the two).
    pub direct_calls: bool,
}

impl Default for McpHttpOptions {
    fn default() -> Self {
        McpHttpOptions {
            allowed_hosts: ["localhost", "127.0.0.1", "::1", "[::1]"]
                .map(str::to_owned)
                .to_vec(),
            allowed_origins: ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
                .map(str::to_owned)
                .to_vec(),
            max_body_bytes: 1024 * 1024,
            session_prefix: String::new(),
            direct_calls: true,
        }
    }
}

/// One MCP service of a runtime, as an rmcp server handler.
#[derive(Debug, Clone)]
pub struct Handler {
    runtime: Arc<Runtime>,
    service: usize,
    /// Where tool calls' lines go (`tracing` events when `None`).
    access: Option<Arc<dyn AccessSink>>,
}

impl Handler {
    /// The handler of `runtime.mcp_services()[service]`.
    pub fn new(runtime: Arc<Runtime>, service: usize) -> Self {
        Handler {
            runtime,
            service,
            access: None,
        }
    }

    fn service(&self) -> Option<&McpService> {
        self.runtime.mcp_services().get(self.service)
    }

    fn tool(&self, name: &str) -> Option<&ToolSpec> {
        self.service()?.tools.iter().find(|t| t.name == name)
    }
}

/// A tool as MCP's `Tool` JSON.
fn tool_json(t: &ToolSpec) -> Value {
    let mut v = json!({
        "name": t.name,
        "inputSchema": t.input_schema,
    });
    if let Some(title) = &t.title {
        v["title"] = json!(title);
    }
    if let Some(d) = &t.description {
        v["description"] = json!(d);
    }
    if let Some(o) = &t.output_schema {
        v["outputSchema"] = o.clone();
    }
    if let Some(a) = t
        .annotations
        .as_ref()
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        v["annotations"] = a.clone();
    }
    v
}

/// The trace of the HTTP request a handler answers (`traced.rs` made it); over stdio,
/// where no request carries one, a trace of its own.
fn trace_of(context: &RequestContext<RoleServer>) -> Trace {
    context
        .extensions
        .get::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Trace>())
        .cloned()
        .unwrap_or_else(Trace::detached)
}

/// True when the request speaks MCP 2026-07-28 (or later), whose cacheable results carry
/// caching hints.
fn hints_wanted(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

fn internal(e: impl std::fmt::Display) -> McpError {
    McpError::internal_error(e.to_string(), None)
}

/// A final result's JSON, marked `resultType: "complete"` (required from 2026-07-28;
/// rmcp drops it again for a peer on an older revision).
fn completed(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("resultType".to_owned(), json!("complete"));
    }
    v
}

impl ServerHandler for Handler {
    fn get_info(&self) -> ServerConfig {
        let (name, instructions) = self
            .service()
            .map(|s| (s.namespace.clone(), s.description.clone()))
            .unwrap_or_default();
        // `completions`: no argument has known values, so every completion is empty (a valid
        // answer). `logging`: the level is accepted; naftiko sends no log notifications.
        let mut capabilities =
            json!({"tools": {"listChanged": false}, "completions": {}, "logging": {}});
        if let Some(s) = self.service() {
            if !s.resources.is_empty() {
                capabilities["resources"] = json!({"subscribe": false, "listChanged": false});
            }
            if !s.prompts.is_empty() {
                capabilities["prompts"] = json!({"listChanged": false});
            }
        }
        let mut info = json!({
            "protocolVersion": ProtocolVersion::V_2025_11_25,
            "capabilities": capabilities,
            "serverInfo": {"name": name, "version": env!("CARGO_PKG_VERSION")},
        });
        if let Some(i) = instructions {
            info["instructions"] = json!(i);
        }
        serde_json::from_value(info).unwrap_or_default()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(&[
            ProtocolVersion::V_2025_03_26,
            ProtocolVersion::V_2025_06_18,
            ProtocolVersion::V_2025_11_25,
            ProtocolVersion::V_2026_07_28,
        ])
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools: Vec<Value> = self
            .service()
            .map(|s| s.tools.iter().map(tool_json).collect())
            .unwrap_or_default();
        self.cacheable(json!({ "tools": tools }), &context)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = self.tool(&request.name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        };
        let args = request.arguments.unwrap_or_default();
        let trace = trace_of(&context);
        let namespace = self.service().map_or("", |s| s.namespace.as_str());
        let access = self.access.as_deref();
        let called = mcp_tool::call(&self.runtime, namespace, tool, args, &trace, access).await;
        // With `resultType` whatever the revision: rmcp drops it for an older peer.
        serde_json::from_value::<CallToolResult>(called.to_value(true))
            .map(CallToolResponse::from)
            .map_err(internal)
    }

    // Logging is deprecated by SEP-2577 but still part of 2025-06-18 and 2025-11-25.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        _request: rmcp::model::SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        self.do_list_resources(&context).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        self.do_list_templates(&context).await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        self.do_read(&request.uri, &context)
            .await
            .map(ReadResourceResponse::from)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        self.do_list_prompts(&context).await
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        self.do_get_prompt(request)
            .await
            .map(GetPromptResponse::from)
    }
}

impl Handler {
    fn optional(v: &Option<String>) -> Value {
        v.as_ref().map_or(Value::Null, |s| json!(s))
    }

    /// Drops null members (MCP clients reject explicit nulls for optional fields).
    fn compact(mut v: Value) -> Value {
        if let Value::Object(m) = &mut v {
            m.retain(|_, x| !x.is_null());
        }
        v
    }
}

impl Handler {
    /// A cacheable result: complete, with the block's caching hints for 2026-07-28 peers
    /// (rmcp adds the defaults when the block sets none).
    fn cacheable<T: serde::de::DeserializeOwned>(
        &self,
        mut v: Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<T, McpError> {
        if let Some(hints) = self.service().and_then(|s| s.cache.as_ref())
            && hints_wanted(context)
        {
            v["ttlMs"] = json!(hints.ttl_ms);
            v["cacheScope"] = json!(hints.scope);
        }
        serde_json::from_value(completed(v)).map_err(internal)
    }

    async fn do_list_resources(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let entries: Vec<Value> = self
            .service()
            .map(|s| {
                s.resources
                    .iter()
                    .flat_map(|r| r.entries())
                    .map(|e| {
                        Self::compact(json!({
                            "uri": e.uri,
                            "name": e.name,
                            "title": Self::optional(&e.title),
                            "description": Self::optional(&e.description),
                            "mimeType": Self::optional(&e.mime_type),
                        }))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.cacheable(json!({ "resources": entries }), context)
    }

    async fn do_list_templates(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let templates: Vec<Value> = self
            .service()
            .map(|s| {
                s.resources
                    .iter()
                    .filter(|r| r.is_template())
                    .map(|r| {
                        Self::compact(json!({
                            "uriTemplate": r.uri,
                            "name": r.name,
                            "title": Self::optional(&r.title),
                            "description": Self::optional(&r.description),
                            "mimeType": Self::optional(&r.mime_type),
                        }))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.cacheable(json!({ "resourceTemplates": templates }), context)
    }

    async fn do_read(
        &self,
        uri: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, McpError> {
        let Some(service) = self.service() else {
            return Err(McpError::resource_not_found(
                format!("unknown resource `{uri}`"),
                None,
            ));
        };
        let trace = trace_of(context);
        match self.runtime.read_resource(service, uri, &trace).await {
            Ok(Some(Contents::Text { mime_type, text })) => self.cacheable(
                json!({"contents": [{"uri": uri, "mimeType": mime_type, "text": text}]}),
                context,
            ),
            Ok(Some(Contents::Blob(blob))) => {
                let data = base64::engine::general_purpose::STANDARD.encode(&blob.bytes);
                self.cacheable(
                    json!({"contents": [{"uri": uri, "mimeType": blob.media_type, "blob": data}]}),
                    context,
                )
            }
            Ok(None) => Err(McpError::resource_not_found(
                format!("unknown resource `{uri}`"),
                Some(json!({"uri": uri})),
            )),
            Err(e) => Err(McpError::invalid_params(e, Some(json!({"uri": uri})))),
        }
    }

    async fn do_list_prompts(
        &self,
        context: &RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        let prompts: Vec<Value> = self
            .service()
            .map(|s| {
                s.prompts
                    .iter()
                    .map(|p| {
                        let args: Vec<Value> = p
                            .arguments
                            .iter()
                            .map(|a| {
                                Self::compact(json!({
                                    "name": a.name,
                                    "title": Self::optional(&a.title),
                                    "description": Self::optional(&a.description),
                                    "required": a.required,
                                }))
                            })
                            .collect();
                        Self::compact(json!({
                            "name": p.name,
                            "title": Self::optional(&p.title),
                            "description": Self::optional(&p.description),
                            "arguments": args,
                        }))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.cacheable(json!({ "prompts": prompts }), context)
    }

    async fn do_get_prompt(
        &self,
        request: GetPromptRequestParams,
    ) -> Result<GetPromptResult, McpError> {
        let Some(prompt) = self
            .service()
            .and_then(|s| s.prompts.iter().find(|p| p.name == request.name))
        else {
            return Err(McpError::invalid_params(
                format!("unknown prompt `{}`", request.name),
                None,
            ));
        };
        let args: serde_json::Map<String, Value> =
            request.arguments.unwrap_or_default().into_iter().collect();
        let messages = prompt
            .render(&args)
            .map_err(|e| McpError::invalid_params(e, None))?;
        let messages: Vec<Value> = messages
            .into_iter()
            .map(|(role, text)| json!({"role": role, "content": {"type": "text", "text": text}}))
            .collect();
        let mut v = json!({ "messages": messages });
        if let Some(d) = &prompt.description {
            v["description"] = json!(d);
        }
        serde_json::from_value(completed(v)).map_err(internal)
    }
}

/// Serves one MCP service over stdio until the client closes stdin.
///
/// # Errors
/// When the MCP handshake fails.
pub async fn serve_stdio(runtime: Arc<Runtime>, service: usize) -> Result<(), String> {
    let running = Handler::new(runtime, service)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| e.to_string())?;
    running.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// The ids of the live 2025-revision sessions of one MCP endpoint. A reload hands them to
/// the next generation of an MCP block that stays, so its clients keep their sessions (the
/// handler keeps nothing else per session).
#[derive(Debug, Clone, Default)]
pub struct SessionIds(Arc<Mutex<HashSet<String>>>);

/// One MCP service's endpoint over Streamable HTTP (`/mcp`, and `/`): its sessions, rmcp's
/// service behind them and the listener's request limit. Served by axum ([`Endpoint::router`])
/// and, for its POSTs, by naftiko's own HTTP/1 loop ([`McpEdge`]).
#[derive(Clone)]
pub struct Endpoint {
    /// Shared, not cloned per request: rmcp's service (its settings' lists) is cloned only
    /// for a request that goes to it.
    mcp: Arc<Mcp>,
    sessions: Arc<Sessions>,
    limit: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// The endpoint of `runtime.mcp_services()[service]`, its sessions in `live`, its access
    /// lines through `access` (`tracing` events when `None`).
    pub fn new(
        runtime: Arc<Runtime>,
        service: usize,
        options: &McpHttpOptions,
        limit: Arc<tokio::sync::Semaphore>,
        live: SessionIds,
        access: Option<Arc<dyn AccessSink>>,
    ) -> Endpoint {
        let mut config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .with_max_request_body_bytes(options.max_body_bytes)
            .with_allowed_hosts(options.allowed_hosts.clone())
            .with_allowed_origins(options.allowed_origins.clone());
        if options.allowed_hosts.is_empty() {
            config = config.disable_allowed_hosts();
        }
        let direct = runtime
            .mcp_services()
            .get(service)
            .filter(|_| options.direct_calls)
            .map(|s| {
                let tools = s.tools.iter().map(|t| (t.name.as_str(), &t.input_schema));
                Arc::new(mcp_direct::Rules::new(&options.allowed_hosts, tools))
            });
        let handler = Handler {
            runtime,
            service,
            access,
        };
        let sessions = Sessions {
            live: live.0,
            prefix: options.session_prefix.as_str().into(),
            handler: handler.clone(),
            direct,
        };
        let mcp = StreamableHttpService::new(
            move || Ok(handler.clone()),
            Arc::new(NeverSessionManager::default()),
            config,
        );
        Endpoint {
            mcp: Arc::new(mcp),
            sessions: Arc::new(sessions),
            limit,
        }
    }

    /// Answers one request (within the listener's request limit).
    async fn call(&self, request: Request<Body>) -> Response {
        let Ok(_permit) = self.limit.try_acquire() else {
            return crate::problem::overloaded();
        };
        self.sessions.handle(&self.mcp, request).await
    }

    /// The axum router of the endpoint.
    pub fn router(&self) -> axum::Router {
        let endpoint = self.clone();
        let route = axum::routing::any(move |request: Request<Body>| {
            let endpoint = endpoint.clone();
            async move { endpoint.call(request).await }
        });
        // `/` too, as the reference engine serves it: clients configured for either path work.
        axum::Router::new()
            .route("/mcp", route.clone())
            .route("/", route)
    }
}

/// A JSON-RPC error answered before rmcp sees the request.
fn rpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// The `_meta` key naming a 2026-07-28 request's protocol revision.
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

/// What the adapter reads of a POSTed JSON-RPC message before rmcp sees it: enough for the
/// session rules and the request's access line.
#[derive(Debug, Default)]
struct Peek {
    method: Option<String>,
    /// The revision the message names: its `_meta` version (2026-07-28 and later), else
    /// `initialize`'s `protocolVersion`, else the `MCP-Protocol-Version` header.
    version: Option<String>,
    /// True when the version came from `_meta`: a stateless request, which has no session.
    stateless: bool,
    /// The tool a `tools/call` names.
    tool: Option<String>,
}

impl Peek {
    /// What a direct call says (as [`Peek::new`] reads it from the same message).
    fn of_call(call: &Call) -> Peek {
        Peek {
            method: Some("tools/call".to_owned()),
            version: Some(short(&call.version).to_owned()),
            stateless: call.stateless,
            tool: Some(short(&call.name).to_owned()),
        }
    }

    /// Reads `v` (a parsed POST body) and the request's headers.
    fn new(v: &Value, headers: &http::HeaderMap) -> Peek {
        let method = v.get("method").and_then(Value::as_str);
        let params = v.get("params");
        let meta = params
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(META_VERSION))
            .and_then(Value::as_str);
        let init = params
            .filter(|_| method == Some("initialize"))
            .and_then(|p| p.get("protocolVersion"))
            .and_then(Value::as_str);
        let header = headers
            .get("mcp-protocol-version")
            .and_then(|h| h.to_str().ok());
        let tool = params
            .filter(|_| method == Some("tools/call"))
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str);
        Peek {
            method: method.map(|m| short(m).to_owned()),
            version: meta.or(init).or(header).map(|v| short(v).to_owned()),
            stateless: meta.is_some(),
            tool: tool.map(|t| short(t).to_owned()),
        }
    }
}

/// At most 64 bytes of `s` (cut at a character boundary): what an access line keeps of a
/// method or revision a client sent.
fn short(s: &str) -> &str {
    let mut end = s.len().min(64);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The sessions of one MCP endpoint.
///
/// Only the 2025 revisions have sessions: a request whose `_meta` names its revision
/// (2026-07-28) is served statelessly by rmcp whatever `Mcp-Session-Id` it carries.
#[derive(Debug, Clone)]
struct Sessions {
    live: Arc<Mutex<HashSet<String>>>,
    /// Put before each new session id ([`McpHttpOptions::session_prefix`]).
    prefix: Arc<str>,
    /// The service's handler (direct calls run its tools, and write its access lines).
    handler: Handler,
    /// What a call must be to take the direct path; `None`: every call goes to rmcp.
    direct: Option<Arc<mcp_direct::Rules>>,
}

type Mcp = StreamableHttpService<Handler, NeverSessionManager>;

impl Sessions {
    fn known(&self, id: &str) -> bool {
        self.live.lock().map(|s| s.contains(id)).unwrap_or(false)
    }

    /// `DELETE /mcp`: ends a session.
    fn delete(&self, session: Option<String>) -> Response {
        match session {
            Some(id) if self.live.lock().map(|mut s| s.remove(&id)).unwrap_or(false) => {
                StatusCode::NO_CONTENT.into_response()
            }
            Some(_) => (StatusCode::NOT_FOUND, "Not Found: session not found").into_response(),
            None => (StatusCode::BAD_REQUEST, "Bad Request: no Mcp-Session-Id").into_response(),
        }
    }

    /// Answers one request to `/mcp` and writes its access line; notes its route and
    /// JSON-RPC method for its span.
    async fn handle(&self, mcp: &Mcp, request: Request<Body>) -> Response {
        let started = std::time::Instant::now();
        let http_method = request.method().clone();
        let route: &'static str = if request.uri().path() == "/" {
            "/"
        } else {
            "/mcp"
        };
        let ids = request
            .extensions()
            .get::<Trace>()
            .map(|t| (t.request_id().as_str().to_owned(), *t.trace_hex()));
        let session = request
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut peek = Peek::default();
        let mut response = self
            .answer(mcp, request, session.as_deref(), &mut peek)
            .await;
        let (request_id, trace_id) = match &ids {
            Some((r, t)) => (r.as_str(), t.as_str()),
            None => ("-", "-"),
        };
        let logged = Logged {
            http_method: &http_method,
            session: session.is_some(),
            status: response.status(),
            started,
            request_id,
            trace_id,
        };
        log_request(self.handler.access.as_deref(), &peek, &logged);
        response.extensions_mut().insert(span_note(route, peek));
        response
    }

    /// The answer to one request; `peek` gets what was read of its body.
    async fn answer(
        &self,
        mcp: &Mcp,
        request: Request<Body>,
        session: Option<&str>,
        peek: &mut Peek,
    ) -> Response {
        if request.method() == Method::DELETE {
            return self.delete(session.map(str::to_owned));
        }
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        let direct = match &self.direct {
            Some(rules) if parts.method == Method::POST => rules.call(&bytes, &parts.headers),
            _ => None,
        };
        if let Some(call) = &direct {
            *peek = Peek::of_call(call);
        } else if parts.method == Method::POST {
            match check_post(&bytes, &parts.headers) {
                Ok(p) => *peek = p,
                Err(answer) => return *answer,
            }
        }
        if let Some(id) = session
            && !peek.stateless
            && !self.known(id)
        {
            return (StatusCode::NOT_FOUND, "Not Found: session not found").into_response();
        }
        if let Some(call) = direct {
            let trace = parts.extensions.get::<Trace>();
            return self.call_directly(call, trace).await;
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        let mut response = match tower::ServiceExt::oneshot(mcp.clone(), request).await {
            Ok(r) => r.map(Body::new),
            Err(never) => match never {},
        };
        if peek.method.as_deref() == Some("initialize") && response.status().is_success() {
            self.open(&mut response);
        }
        response
    }

    /// Answers a tool call on the direct path: rmcp's answer, without rmcp.
    async fn call_directly(&self, call: Call, trace: Option<&Trace>) -> Response {
        let detached;
        let trace = match trace {
            Some(t) => t,
            None => {
                detached = Trace::detached();
                &detached
            }
        };
        match self.direct_answer(call, trace).await {
            Some(body) => {
                let mut r = (StatusCode::OK, body).into_response();
                r.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                r
            }
            // `Rules` names only the service's tools.
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }

    /// The JSON-RPC response to a tool call on the direct path (a 200 `application/json`
    /// answer's body); `None` when the service or the tool is gone (never: `Rules` names
    /// only the service's tools).
    async fn direct_answer(&self, call: Call, trace: &Trace) -> Option<Vec<u8>> {
        let h = &self.handler;
        let (service, tool) = (h.service()?, h.tool(&call.name)?);
        let access = h.access.as_deref();
        let ns = service.namespace.as_str();
        let called = mcp_tool::call(&h.runtime, ns, tool, call.arguments, trace, access).await;
        let mut body = Vec::with_capacity(512);
        body.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
        // An id is a string or an integer: writing it cannot fail.
        let _ = serde_json::to_writer(&mut body, &call.id);
        body.extend_from_slice(br#","result":"#);
        called.write(call.stateless, &mut body);
        body.push(b'}');
        Some(body)
    }

    /// Gives a successful `initialize` answer a new session.
    fn open(&self, response: &mut Response) {
        let id = format!("{}{}", self.prefix, uuid::Uuid::new_v4().simple());
        if let (Ok(value), Ok(mut live)) = (http::HeaderValue::from_str(&id), self.live.lock()) {
            live.insert(id);
            response.headers_mut().insert(SESSION_HEADER, value);
        }
    }
}

/// Checks a POST body before rmcp sees it: one JSON-RPC message (no batch), and a
/// `tools/call` whose `arguments` is an object: what was read of it. The answer to give
/// instead, when not.
fn check_post(bytes: &[u8], headers: &http::HeaderMap) -> Result<Peek, Box<Response>> {
    let v = match serde_json::from_slice::<Value>(bytes) {
        Err(e) => {
            return Err(Box::new(rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                -32700,
                &format!("Parse error: {e}"),
            )));
        }
        Ok(Value::Array(_)) => {
            return Err(Box::new(rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                -32600,
                "Invalid Request: JSON-RPC batches are not supported (MCP 2025-06-18 removed them)",
            )));
        }
        Ok(v) => v,
    };
    let peek = Peek::new(&v, headers);
    let arguments = v.get("params").and_then(|p| p.get("arguments"));
    if peek.method.as_deref() == Some("tools/call")
        && arguments.is_some_and(|a| !a.is_object() && !a.is_null())
    {
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        return Err(Box::new(rpc_error(
            StatusCode::OK,
            id,
            -32602,
            "Invalid params: `arguments` must be an object",
        )));
    }
    Ok(peek)
}

/// What an MCP request's access line says beside what was read of its body.
struct Logged<'a> {
    http_method: &'a Method,
    /// It carried an `Mcp-Session-Id`.
    session: bool,
    status: StatusCode,
    started: std::time::Instant,
    request_id: &'a str,
    trace_id: &'a str,
}

/// One access line per MCP request over HTTP (target `naftiko::access`, `adapter=mcp`):
/// the HTTP and JSON-RPC methods, the protocol revision it named, whether it carried a session, the
/// HTTP status, the latency, the request and trace ids; never parameters.
fn log_request(sink: Option<&dyn AccessSink>, peek: &Peek, logged: &Logged<'_>) {
    let line = McpLine {
        method: logged.http_method.as_str(),
        rpc_method: peek.method.as_deref().unwrap_or("-"),
        protocol_version: peek.version.as_deref().unwrap_or("-"),
        session: logged.session,
        status: logged.status.as_u16(),
        latency_ms: access::millis(logged.started.elapsed()),
        request_id: logged.request_id,
        trace_id: logged.trace_id,
    };
    access::record_mcp(sink, &line);
}

/// The access line of a request to the endpoint that its block's authentication refused
/// (the endpoint never sees it): its HTTP method, session, status, latency and ids; no
/// JSON-RPC method, as its body is not read.
pub(crate) fn refusal_line(access: Option<Arc<dyn AccessSink>>) -> crate::guard::OnRefusal {
    Arc::new(move |request, response, started| {
        let ids = request
            .extensions()
            .get::<Trace>()
            .map(|t| (t.request_id().as_str().to_owned(), *t.trace_hex()));
        let (request_id, trace_id) = match &ids {
            Some((r, t)) => (r.as_str(), t.as_str()),
            None => ("-", "-"),
        };
        let logged = Logged {
            http_method: request.method(),
            session: request.headers().contains_key(SESSION_HEADER),
            status: response.status(),
            started,
            request_id,
            trace_id,
        };
        log_request(access.as_deref(), &Peek::default(), &logged);
    })
}

/// What an MCP request's SERVER span says beside the HTTP attributes: its JSON-RPC method
/// (`mcp.method.name`) and, for a tool call, the tool (`naftiko.operation.id`).
fn span_note(route: &'static str, peek: Peek) -> SpanNote {
    let mut attributes = Vec::new();
    if let Some(method) = peek.method {
        attributes.push(("mcp.method.name", method.into()));
    }
    if let Some(tool) = peek.tool {
        attributes.push(("naftiko.operation.id", tool.into()));
    }
    SpanNote {
        route: Some(route),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(version: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(v) = version {
            h.insert(
                "mcp-protocol-version",
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn a_meta_version_makes_a_request_stateless_and_wins_over_the_header() {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
            "params": {"_meta": {META_VERSION: "2026-07-28"}}});
        let p = Peek::new(&body, &headers(Some("2025-11-25")));
        assert_eq!(p.method.as_deref(), Some("tools/list"));
        assert_eq!(p.version.as_deref(), Some("2026-07-28"));
        assert!(p.stateless);
    }

    #[test]
    fn initialize_names_its_version_and_other_2025_requests_use_the_header() {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18"}});
        let p = Peek::new(&init, &headers(None));
        assert_eq!(p.version.as_deref(), Some("2025-06-18"));
        assert!(!p.stateless);
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list",
            "params": {"protocolVersion": "ignored"}});
        let p = Peek::new(&list, &headers(Some("2025-11-25")));
        assert_eq!(p.version.as_deref(), Some("2025-11-25"));
        let p = Peek::new(&json!([1, 2]), &headers(None));
        assert_eq!((p.method, p.version, p.stateless), (None, None, false));
    }

    #[test]
    fn access_lines_keep_at_most_64_bytes_of_what_a_client_sent() {
        assert_eq!(short("tools/call"), "tools/call");
        assert_eq!(short(&"x".repeat(100)).len(), 64);
        let s = "é".repeat(40);
        assert_eq!(short(&s).len(), 64);
        assert_eq!(short(&format!("a{s}")).len(), 63);
    }
}
