//! One request's trace context: its trace id (the caller's, from a valid `traceparent`, or
//! a new one), the span naftiko serves it in, the caller's `tracestate`, its request id
//! (the caller's `X-Request-Id` when acceptable, or a new one), and where its spans go when
//! they are recorded. Adapters make one per inbound request ([`Trace::start`]) from the
//! headers they noted ([`TraceHeaders`]) and hand it to every engine entry point.

use std::borrow::Cow;
use std::sync::Arc;

use naftiko_http1::trace_context::{SAMPLED, is_tracestate, parse_traceparent};

use crate::trace::ids::{Hex32, RequestId, SpanId, TraceId};
use crate::trace::span::{Attributes, SpanKind, SpanRecord, SpanSink, unix_nanos};

/// What a request's headers say of its trace and request id, noted in one pass over them
/// ([`TraceHeaders::note`]).
#[derive(Debug, Default)]
pub struct TraceHeaders<'a> {
    traceparent: Option<&'a [u8]>,
    /// More than one `traceparent`: none is used.
    traceparents: usize,
    /// Every `tracestate`, joined with commas (RFC 9110 §5.3 combination).
    tracestate: Option<Cow<'a, [u8]>>,
    request_id: Option<&'a [u8]>,
}

impl<'a> TraceHeaders<'a> {
    /// Notes one header (`name` in any case); headers that are none of the three are
    /// passed over by their name's length alone.
    pub fn note(&mut self, name: &[u8], value: &'a [u8]) {
        match name.len() {
            11 if name.eq_ignore_ascii_case(b"traceparent") => {
                self.traceparent = Some(value);
                self.traceparents += 1;
            }
            10 if name.eq_ignore_ascii_case(b"tracestate") => {
                self.tracestate = Some(match self.tracestate.take() {
                    None => Cow::Borrowed(value),
                    Some(before) => {
                        let mut all = before.into_owned();
                        all.push(b',');
                        all.extend_from_slice(value);
                        Cow::Owned(all)
                    }
                });
            }
            12 if name.eq_ignore_ascii_case(b"x-request-id") && self.request_id.is_none() => {
                self.request_id = Some(value);
            }
            _ => {}
        }
    }

    /// Notes every header of `headers`.
    pub fn of_map(headers: &'a http::HeaderMap) -> Self {
        let mut noted = TraceHeaders::default();
        for (name, value) in headers {
            noted.note(name.as_str().as_bytes(), value.as_bytes());
        }
        noted
    }
}

/// A request's trace context. Cloning it is cheap unless the caller sent its own request id
/// or a `tracestate` (one small copy each).
#[derive(Debug, Clone)]
pub struct Trace {
    trace_id: TraceId,
    /// The trace id's digits, made once (access lines and every `traceparent` use them).
    trace_hex: Hex32,
    /// The span naftiko serves the request in: the parent of its steps and upstream calls.
    span_id: SpanId,
    /// The caller's span ([`SpanId::NONE`] when the trace starts here).
    remote_parent: SpanId,
    /// The trace flags passed on (only `sampled` is known to level 1).
    flags: u8,
    tracestate: Option<Box<str>>,
    request_id: RequestId,
    /// Where spans go; only when an exporter is configured and the trace is sampled.
    sink: Option<Arc<dyn SpanSink>>,
    /// When the request began (nanoseconds since the epoch), when spans are recorded.
    started: u64,
}

impl Default for Trace {
    /// A trace of its own, with a new request id and nothing recorded.
    fn default() -> Self {
        Trace::start(&TraceHeaders::default(), None)
    }
}

impl Trace {
    /// The context of a request with these headers: its `traceparent` when valid (with its
    /// `tracestate`), else a new trace; its `X-Request-Id` when acceptable, else a new one.
    /// Spans go to `sink` when the trace is sampled.
    pub fn start(headers: &TraceHeaders<'_>, sink: Option<&Arc<dyn SpanSink>>) -> Trace {
        let parent = headers
            .traceparent
            .filter(|_| headers.traceparents == 1)
            .and_then(parse_traceparent);
        let (trace_id, remote_parent, flags, tracestate) = match parent {
            Some(p) => (
                TraceId(p.trace_id),
                SpanId(p.parent_id),
                p.flags & SAMPLED,
                headers
                    .tracestate
                    .as_deref()
                    .filter(|s| !s.is_empty() && is_tracestate(s))
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .map(Box::from),
            ),
            None => (TraceId::random(), SpanId::NONE, SAMPLED, None),
        };
        let trace_hex = trace_id.hex();
        let request_id = match RequestId::given(headers.request_id) {
            Some(given) => given,
            // A trace that starts here is this request's alone: its id serves as both.
            None if parent.is_none() => RequestId::Generated(trace_hex),
            None => RequestId::random(),
        };
        let sink = sink.filter(|_| flags & SAMPLED != 0).cloned();
        let started = if sink.is_some() { unix_nanos() } else { 0 };
        Trace {
            trace_id,
            trace_hex,
            span_id: SpanId::random(),
            remote_parent,
            flags,
            tracestate,
            request_id,
            sink,
            started,
        }
    }

    /// A trace for work that no request started (an MCP tool called over stdio): a new
    /// trace and request id, with no span of its own (its upstream calls are root spans).
    pub fn detached() -> Trace {
        Trace {
            span_id: SpanId::NONE,
            ..Trace::default()
        }
    }

    /// The trace id.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The trace id in hex.
    pub fn trace_hex(&self) -> &Hex32 {
        &self.trace_hex
    }

    /// The request id and the trace id as text, for a log line (one UTF-8 check when the
    /// request id is the trace id).
    pub fn log_ids(&self) -> (&str, &str) {
        let trace = self.trace_hex.as_str();
        match &self.request_id {
            RequestId::Generated(hex) if *hex == self.trace_hex => (trace, trace),
            other => (other.as_str(), trace),
        }
    }

    /// The span naftiko serves the request in.
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The trace flags passed on.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The caller's `tracestate`, passed on unchanged.
    pub fn tracestate(&self) -> Option<&str> {
        self.tracestate.as_deref()
    }

    /// The request id.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The request id, the trace being done with.
    pub fn into_request_id(self) -> RequestId {
        self.request_id
    }

    /// True when this request's spans are recorded.
    pub fn recording(&self) -> bool {
        self.sink.is_some()
    }

    /// Records the request's own (server) span, begun when the trace was started; nothing
    /// when spans are not recorded.
    pub fn finish_server(&self, name: String, attributes: Attributes, error: bool) {
        if let Some(sink) = &self.sink {
            sink.record(SpanRecord {
                trace_id: self.trace_id,
                span_id: self.span_id,
                parent_span_id: self.remote_parent,
                trace_state: self.tracestate.clone(),
                name,
                kind: SpanKind::Server,
                start_unix_nanos: self.started,
                end_unix_nanos: unix_nanos(),
                attributes,
                error,
            });
        }
    }

    /// Begins a child span of `parent`, when spans are recorded.
    pub fn open(&self, parent: SpanId) -> Option<Open> {
        self.sink.as_ref()?;
        Some(Open {
            span_id: SpanId::random(),
            parent,
            started: unix_nanos(),
        })
    }

    /// Records a span begun with [`Trace::open`].
    pub fn close(
        &self,
        open: Open,
        kind: SpanKind,
        name: String,
        attributes: Attributes,
        error: bool,
    ) {
        if let Some(sink) = &self.sink {
            sink.record(SpanRecord {
                trace_id: self.trace_id,
                span_id: open.span_id,
                parent_span_id: open.parent,
                trace_state: self.tracestate.clone(),
                name,
                kind,
                start_unix_nanos: open.started,
                end_unix_nanos: unix_nanos(),
                attributes,
                error,
            });
        }
    }
}

/// A span begun and not yet recorded.
#[derive(Debug, Clone, Copy)]
pub struct Open {
    /// Its id.
    pub span_id: SpanId,
    parent: SpanId,
    started: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn trace(pairs: &[(&str, &'static [u8])]) -> Trace {
        let mut h = TraceHeaders::default();
        for (name, value) in pairs {
            h.note(name.as_bytes(), value);
        }
        Trace::start(&h, None)
    }

    #[test]
    fn a_valid_traceparent_is_continued_with_its_tracestate() {
        let t = trace(&[
            ("TraceParent", GOOD),
            ("tracestate", b"a=1"),
            ("tracestate", b"b=2"),
            ("x-request-id", b"req-1"),
        ]);
        assert_eq!(
            t.trace_id().hex().as_str(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(
            t.remote_parent.0,
            [0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31]
        );
        assert_ne!(t.span_id(), t.remote_parent);
        assert_eq!(t.tracestate(), Some("a=1,b=2"));
        assert_eq!(t.request_id().as_str(), "req-1");
    }

    #[test]
    fn an_invalid_or_repeated_traceparent_starts_a_new_trace_without_tracestate() {
        for pairs in [
            vec![("traceparent", &b"00-xyz"[..]), ("tracestate", b"a=1")],
            vec![
                ("traceparent", GOOD),
                ("traceparent", GOOD),
                ("tracestate", b"a=1"),
            ],
        ] {
            let t = trace(&pairs);
            assert_ne!(
                t.trace_id().hex().as_str(),
                "0af7651916cd43dd8448eb211c80319c"
            );
            assert!(t.remote_parent.is_none());
            assert_eq!(t.tracestate(), None);
            assert_eq!(t.flags(), SAMPLED);
        }
    }

    #[test]
    fn an_unacceptable_request_id_is_replaced() {
        let long = [b'x'; 129];
        for bad in [&b""[..], b"has space", &long[..]] {
            let t = Trace::start(
                &{
                    let mut h = TraceHeaders::default();
                    h.note(b"x-request-id", bad);
                    h
                },
                None,
            );
            assert!(matches!(t.request_id(), RequestId::Generated(_)), "{bad:?}");
        }
    }
}
