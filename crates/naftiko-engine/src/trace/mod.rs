//! Request ids and traces (docs/run.md, "Request ids and traces"): each request's trace
//! context, the headers that carry it upstream, and the spans recorded when an exporter is
//! configured.
//!
//! - `ids.rs`: trace, span and request ids, and the per-thread generator that makes them.
//! - `context.rs`: one request's [`Trace`], made by adapters from its headers.
//! - `client.rs`: one upstream call's span id, headers and CLIENT span.
//! - `span.rs`: finished spans ([`SpanRecord`]) and where they go ([`SpanSink`]).

mod client;
mod context;
mod ids;
mod span;

pub(crate) use client::{Called, ClientCall, Parent};
pub use context::{Open, Trace, TraceHeaders};
pub use ids::{Hex32, RequestId, SpanId, TraceId};
pub use span::{AttrValue, Attributes, SpanKind, SpanRecord, SpanSink, unix_nanos};
