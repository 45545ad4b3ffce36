//! Finished spans, as the engine and the adapters hand them to an exporter ([`SpanSink`]).
//!
//! Spans are recorded only when a sink is configured (`naftiko run --otlp-endpoint`, built
//! with the `otlp` feature) and the request's trace is sampled; otherwise nothing here runs.
//! Attribute values come from the capability (routes, namespaces, step names) and from the
//! request's method, path and status, never from bodies, queries or headers; URLs are
//! recorded without their query and with every known secret redacted (`client.rs`).

use std::borrow::Cow;

use crate::trace::ids::{SpanId, TraceId};

/// What a span stands for (OpenTelemetry's span kinds naftiko records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Work inside naftiko (a step).
    Internal,
    /// A request naftiko answered.
    Server,
    /// A request naftiko sent upstream.
    Client,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Text.
    Str(Cow<'static, str>),
    /// An integer.
    Int(i64),
}

impl From<&'static str> for AttrValue {
    fn from(s: &'static str) -> Self {
        AttrValue::Str(Cow::Borrowed(s))
    }
}

impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Str(Cow::Owned(s))
    }
}

impl From<i64> for AttrValue {
    fn from(n: i64) -> Self {
        AttrValue::Int(n)
    }
}

impl From<u16> for AttrValue {
    fn from(n: u16) -> Self {
        AttrValue::Int(i64::from(n))
    }
}

/// A span's attributes: semantic-convention names and their values.
pub type Attributes = Vec<(&'static str, AttrValue)>;

/// A finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanRecord {
    /// The trace it belongs to.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// Its parent ([`SpanId::NONE`] for a root span).
    pub parent_span_id: SpanId,
    /// The caller's `tracestate`, when its trace came with one.
    pub trace_state: Option<Box<str>>,
    /// Its name (`POST /v1/oauth2/token`, `POST`, `step.call`).
    pub name: String,
    /// Its kind.
    pub kind: SpanKind,
    /// When it started, in nanoseconds since the Unix epoch.
    pub start_unix_nanos: u64,
    /// When it ended, in nanoseconds since the Unix epoch.
    pub end_unix_nanos: u64,
    /// Its attributes.
    pub attributes: Attributes,
    /// It failed (a 5xx answer, no answer, a step's error): status `ERROR`.
    pub error: bool,
}

/// Where finished spans go (an exporter). `record` is called on the request's task: it
/// must not block (queue the span, or drop it).
pub trait SpanSink: Send + Sync + std::fmt::Debug {
    /// Takes one finished span.
    fn record(&self, span: SpanRecord);
}

/// Now, in nanoseconds since the Unix epoch (0 before it).
pub fn unix_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
