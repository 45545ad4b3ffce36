//! One upstream call's part of a trace: a new span id for the call, the headers that carry
//! the trace and the request id upstream, and the CLIENT span recorded when the answer (or
//! the failure) comes.
//!
//! The headers are `traceparent` (the request's trace id, the call's own span id, the
//! flags), `tracestate` (the caller's, unchanged, when its trace came with one) and
//! `X-Request-Id` (the request's id), in that order, after every other header: written into
//! the request's bytes on the direct path ([`ClientCall::push_headers`]), into its
//! `HeaderMap` on every other path ([`ClientCall::insert_headers`], replacing a header of
//! the same name a capability or a trusted caller header set), so both paths send the same
//! bytes.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use naftiko_http1::fields::push_header;
use naftiko_http1::trace_context::{TRACEPARENT_LEN, traceparent};

use crate::secrets::Secrets;
use crate::trace::context::Trace;
use crate::trace::ids::SpanId;
use crate::trace::span::{Attributes, SpanKind};

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Where an upstream call stands in its request's trace: the trace, and the span the call
/// is made from (the request's own span, or a step's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parent<'a> {
    pub(crate) trace: &'a Trace,
    pub(crate) span: SpanId,
}

/// One upstream call under way.
#[derive(Debug)]
pub(crate) struct ClientCall<'a> {
    parent: Parent<'a>,
    span_id: SpanId,
    /// Begun, when spans are recorded.
    open: Option<crate::trace::context::Open>,
}

/// What a CLIENT span says of its request.
pub(crate) struct Called<'u> {
    pub(crate) method: &'u http::Method,
    pub(crate) url: &'u reqwest::Url,
    pub(crate) namespace: &'u str,
    pub(crate) secrets: &'u Secrets,
}

impl<'a> ClientCall<'a> {
    /// A call from `parent`, with a span id of its own.
    pub(crate) fn start(parent: Parent<'a>) -> Self {
        let open = parent.trace.open(parent.span);
        let span_id = open.map_or_else(SpanId::random, |o| o.span_id);
        ClientCall {
            parent,
            span_id,
            open,
        }
    }

    /// True when this call's span is recorded.
    pub(crate) fn records(&self) -> bool {
        self.open.is_some()
    }

    fn traceparent(&self) -> [u8; TRACEPARENT_LEN] {
        let trace = self.parent.trace;
        traceparent(trace.trace_hex().as_bytes(), &self.span_id.0, trace.flags())
    }

    /// Appends the three header lines to a request being written.
    pub(crate) fn push_headers(&self, out: &mut Vec<u8>) {
        let trace = self.parent.trace;
        push_header(out, b"traceparent", &self.traceparent());
        if let Some(state) = trace.tracestate() {
            push_header(out, b"tracestate", state.as_bytes());
        }
        push_header(out, b"x-request-id", trace.request_id().as_bytes());
    }

    /// Sets the three headers in `headers` (a `tracestate` there is removed when the
    /// request's trace has none).
    pub(crate) fn insert_headers(&self, headers: &mut HeaderMap) {
        let trace = self.parent.trace;
        // The three values are visible ASCII (checked when they were read or made).
        if let Ok(v) = HeaderValue::from_bytes(&self.traceparent()) {
            headers.insert(TRACEPARENT, v);
        }
        match trace.tracestate().map(HeaderValue::from_str) {
            Some(Ok(v)) => {
                headers.insert(TRACESTATE, v);
            }
            _ => {
                headers.remove(TRACESTATE);
            }
        }
        if let Ok(v) = HeaderValue::from_str(trace.request_id().as_str()) {
            headers.insert(X_REQUEST_ID, v);
        }
    }

    /// Records the CLIENT span, when spans are recorded: `status` is the upstream's, or
    /// the kind of failure when it did not answer.
    pub(crate) fn finish(self, called: &Called<'_>, status: Result<u16, &'static str>) {
        let Some(open) = self.open else { return };
        let url = called.url;
        let mut attributes: Attributes = vec![
            (
                "http.request.method",
                called.method.as_str().to_owned().into(),
            ),
            ("url.full", url_full(url, called.secrets).into()),
            (
                "server.address",
                url.host_str().unwrap_or("").to_owned().into(),
            ),
            ("naftiko.namespace", called.namespace.to_owned().into()),
        ];
        if let Some(port) = url.port_or_known_default() {
            attributes.push(("server.port", port.into()));
        }
        let error = match status {
            Ok(code) => {
                attributes.push(("http.response.status_code", code.into()));
                code >= 500
            }
            Err(kind) => {
                attributes.push(("error.type", kind.into()));
                true
            }
        };
        let name = called.method.as_str().to_owned();
        let trace = self.parent.trace;
        trace.close(open, SpanKind::Client, name, attributes, error);
    }
}

/// `url` as a span may show it: without credentials, query or fragment, with every known
/// secret redacted (a path holding one, even percent-encoded, is replaced whole).
fn url_full(url: &reqwest::Url, secrets: &Secrets) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Only URLs that cannot have credentials refuse these (and then have none).
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let path = shown.path();
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    // A secret only its percent-decoded spelling shows cannot be cut out of the path.
    if secrets.redact(path) == path && secrets.redact(&decoded) != decoded {
        shown.set_path("/[redacted]");
    }
    secrets.redact(shown.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::context::TraceHeaders;

    #[test]
    fn urls_lose_their_query_credentials_and_secrets() {
        let secrets = Secrets::default();
        secrets.add("s3cr3t-key");
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert_eq!(
            url_full(&url("http://u:p@h:8080/a/b?key=s3cr3t-key#f"), &secrets),
            "http://h:8080/a/b"
        );
        assert_eq!(
            url_full(&url("https://h/keys/s3cr3t-key/x"), &secrets),
            "https://h/keys/[redacted]/x"
        );
        assert_eq!(
            url_full(&url("https://h/keys/s3cr3t%2Dkey"), &secrets),
            "https://h/[redacted]"
        );
    }

    #[test]
    fn both_ways_of_adding_the_headers_send_the_same_lines() {
        let mut h = TraceHeaders::default();
        h.note(
            b"traceparent",
            b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        );
        h.note(b"tracestate", b"a=1");
        h.note(b"x-request-id", b"req-7");
        let trace = Trace::start(&h, None);
        let call = ClientCall::start(Parent {
            trace: &trace,
            span: trace.span_id(),
        });
        let mut written = Vec::new();
        call.push_headers(&mut written);
        let mut map = HeaderMap::new();
        map.insert("x-request-id", HeaderValue::from_static("theirs"));
        map.insert("content-type", HeaderValue::from_static("text/plain"));
        call.insert_headers(&mut map);
        let mut from_map = Vec::new();
        for (name, value) in map.iter().filter(|(n, _)| *n != "content-type") {
            push_header(&mut from_map, name.as_str().as_bytes(), value.as_bytes());
        }
        let text = String::from_utf8(written).unwrap();
        assert!(
            text.starts_with("traceparent: 00-0af7651916cd43dd8448eb211c80319c-"),
            "{text}"
        );
        assert!(!text.contains("b7ad6b7169203331"), "a new span id: {text}");
        assert!(
            text.ends_with("tracestate: a=1\r\nx-request-id: req-7\r\n"),
            "{text}"
        );
        // The replaced request id keeps its place; the others follow in order.
        let mut expected: Vec<&str> = text.split_inclusive("\r\n").collect();
        expected.rotate_right(1);
        assert_eq!(String::from_utf8(from_map).unwrap(), expected.concat());
    }
}
