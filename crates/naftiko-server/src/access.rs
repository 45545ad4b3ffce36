//! The access log: one line per REST request, at target `naftiko::access` (method, route
//! as written in the capability, status, upstream status, latency, request id and trace id;
//! never values).
//!
//! By default a line is a `tracing` event. A server may instead be given an
//! [`AccessSink`] that writes the same fields itself: `naftiko run` does, because
//! `tracing-subscriber`'s general formatter was a tenth of a proxied request's cost. The
//! `tracing` filter still decides whether access lines are written at all.

use std::fmt::Debug;

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
}

/// Writes access lines (instead of `tracing` events).
pub trait AccessSink: Send + Sync + Debug {
    /// Writes one line.
    fn write(&self, line: &AccessLine<'_>);
}

/// Records one access line through `sink`, or as a `tracing` event without one.
pub(crate) fn record(sink: Option<&dyn AccessSink>, line: AccessLine<'_>) {
    match sink {
        Some(sink) => {
            if tracing::enabled!(target: "naftiko::access", tracing::Level::INFO) {
                sink.write(&line);
            }
        }
        None => emit(&line),
    }
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
