//! How to serve: body and connection limits, MCP host and origin rules, the access log, the
//! shutdown grace period.

use std::sync::Arc;
use std::time::Duration;

use crate::access::AccessSink;
use crate::limits::Limits;
use crate::mcp::McpHttpOptions;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// How long in-flight requests may take to finish after shutdown begins.
    pub shutdown_grace: Duration,
    /// Host and Origin rules of MCP endpoints.
    pub mcp: McpHttpOptions,
    /// Connection and request limits.
    pub limits: Limits,
    /// Where REST access lines go (`tracing` events when `None`).
    pub access: Option<Arc<dyn AccessSink>>,
    /// Where spans go (`naftiko run --otlp-endpoint`); none are recorded when `None`.
    pub spans: Option<Arc<dyn naftiko_engine::trace::SpanSink>>,
    /// More single-threaded runtimes to serve connections on, beside the one serving
    /// (one per further core: see `conn.rs`). Empty: every connection is served where
    /// it is accepted.
    pub workers: Vec<tokio::runtime::Handle>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_body_bytes: 1024 * 1024,
            shutdown_grace: Duration::from_secs(10),
            mcp: McpHttpOptions::default(),
            limits: Limits::default(),
            access: None,
            spans: None,
            workers: Vec::new(),
        }
    }
}
