//! The access log: one line per REST request, at target `naftiko::access` (method, route
//! as written in the capability, status, upstream status, latency, request id and trace id;
//! never values), and per MCP request over HTTP (`mcp request`) and tool call (`tool call`).
//!
//! By default a line is a `tracing` event. A server may instead be given an
//! [`AccessSink`] that writes the same fields itself: `naftiko run` does, because
//! `tracing-subscriber`'s general formatter was a tenth of a proxied request's cost. The
//! `tracing` filter still decides whether access lines are written at all.

use std::fmt::Debug;
use std::time::Instant;

/// The fields of one access line.
#[derive(Debug, Clone, Copy)]
pub struct AccessLine<'a> {
    /// The request method.
    pub method: &'a str,
    /// The route as written in the capability (`-` when none matched).
    pub route: &'a str,
    /// The status answered (499 when the client went away first).
    pub status: u16,
    /// The upstream's status, `-1` when no upstream answered.
    pub upstream_status: i64,
    /// Time to answer, in milliseconds, rounded to the microsecond.
    pub latency_ms: f64,
    /// The event's message: `request`, or `request abandoned by the client`.
    pub message: &'static str,
    /// The request id (the caller's `X-Request-Id`, or the one naftiko made).
    pub request_id: &'a str,
    /// The trace id, 32 lowercase hex digits.
    pub trace_id: &'a str,
    /// When the request ended, by the monotonic clock: the line's timestamp is its
    /// [`crate::clock::wall`] time.
    pub at: Instant,
}

/// The fields of one MCP request's access line (`mcp request`, `adapter="mcp"`).
#[derive(Debug, Clone, Copy)]
pub struct McpLine<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The JSON-RPC method (`-` when none was read).
    pub rpc_method: &'a str,
    /// The protocol revision the request named (`-` when none).
    pub protocol_version: &'a str,
    /// It carried an `Mcp-Session-Id`.
    pub session: bool,
    /// The HTTP status answered.
    pub status: u16,
    /// Time to answer, in milliseconds, rounded to the microsecond.
    pub latency_ms: f64,
    /// The request id.
    pub request_id: &'a str,
    /// The trace id.
    pub trace_id: &'a str,
}

/// The fields of one tool call's line (`tool call`, `adapter="mcp"`).
#[derive(Debug, Clone, Copy)]
pub struct ToolCallLine<'a> {
    /// The tool's name.
    pub tool: &'a str,
    /// The result is an error.
    pub is_error: bool,
    /// The request id.
    pub request_id: &'a str,
    /// The trace id.
    pub trace_id: &'a str,
}

/// Writes access lines (instead of `tracing` events).
pub trait AccessSink: Send + Sync + Debug {
    /// Writes one line.
    fn write(&self, line: &AccessLine<'_>);
    /// Writes one MCP request's line.
    fn write_mcp(&self, line: &McpLine<'_>);
    /// Writes one tool call's line.
    fn write_tool_call(&self, line: &ToolCallLine<'_>);
}

/// Records one MCP request's line through `sink`, or as a `tracing` event without one.
pub(crate) fn record_mcp(sink: Option<&dyn AccessSink>, line: &McpLine<'_>) {
    through(sink, |s| s.write_mcp(line), || emit_mcp(line));
}

/// Records one tool call's line through `sink`, or as a `tracing` event without one.
pub(crate) fn record_tool_call(sink: Option<&dyn AccessSink>, line: &ToolCallLine<'_>) {
    through(sink, |s| s.write_tool_call(line), || emit_tool_call(line));
}

/// The one rule for every kind of line: written by `sink` when the `tracing` filter lets
/// access lines through, else sent as a `tracing` event (which the filter then judges).
fn through(
    sink: Option<&dyn AccessSink>,
    write: impl FnOnce(&dyn AccessSink),
    emit: impl FnOnce(),
) {
    match sink {
        Some(sink) => {
            if tracing::enabled!(target: "naftiko::access", tracing::Level::INFO) {
                write(sink);
            }
        }
        None => emit(),
    }
}

/// An MCP request's line as a `tracing` event (public so that a sink can be checked
/// against it).
pub fn emit_mcp(line: &McpLine<'_>) {
    tracing::info!(
        target: "naftiko::access",
        adapter = "mcp",
        method = %line.method,
        rpc_method = line.rpc_method,
        protocol_version = line.protocol_version,
        session = line.session,
        status = line.status,
        latency_ms = line.latency_ms,
        request_id = %line.request_id,
        trace_id = %line.trace_id,
        "mcp request"
    );
}

/// A tool call's line as a `tracing` event (public so that a sink can be checked
/// against it).
pub fn emit_tool_call(line: &ToolCallLine<'_>) {
    tracing::info!(
        target: "naftiko::access",
        adapter = "mcp",
        tool = %line.tool,
        is_error = line.is_error,
        request_id = %line.request_id,
        trace_id = %line.trace_id,
        "tool call"
    );
}

/// Records one access line through `sink`, or as a `tracing` event without one.
pub(crate) fn record(sink: Option<&dyn AccessSink>, line: AccessLine<'_>) {
    through(sink, |s| s.write(&line), || emit(&line));
}

/// Records the line as a `tracing` event at target `naftiko::access` (what a server
/// without a sink does; public so that a sink can be checked against it).
pub fn emit(line: &AccessLine<'_>) {
    tracing::info!(
        target: "naftiko::access",
        method = %line.method,
        route = %line.route,
        status = line.status,
        upstream_status = line.upstream_status,
        latency_ms = line.latency_ms,
        request_id = %line.request_id,
        trace_id = %line.trace_id,
        "{}",
        line.message
    );
}

/// Milliseconds rounded to the microsecond, as access lines give latencies.
pub(crate) fn millis(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0
}
