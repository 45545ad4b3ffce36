//! An MCP endpoint's POSTs as naftiko's own HTTP/1 loop serves them (`h1.rs`): the answer
//! the axum stack gives (the same request id, span and access lines, the same endpoint),
//! without hyper's and axum's machinery around it. A POST with a body over the endpoint's
//! limit, and every other method, go to hyper.
//!
//! A tool call that takes the direct path (`mcp_direct.rs`) is answered from the head the
//! loop decoded, read where it lies: no `http::Request`, header map, extensions or
//! `Response` is built for it. Everything else is turned into a request for the endpoint
//! (through `traced::around`, as the axum stack serves it).
//!
//! A block with inbound authentication is checked first, as `guard::protect` checks it in
//! the axum stack: a request the guard refuses goes the general way, which checks it again
//! and answers the refusal exactly as that stack does.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{Method, Request, StatusCode};
use naftiko_engine::guard::Guard;
use naftiko_engine::trace::{SpanSink, Trace};

use super::{Endpoint, Logged, McpHttpOptions, Peek, SESSION_HEADER, log_request, span_note};
use crate::guard::check;
use crate::mcp_direct::{Fields, RawFields};
use crate::rest::{Answered, Incoming, Reply};
use crate::traced::{Served, finish_server};

/// The loop's side of one MCP endpoint.
pub struct McpEdge {
    endpoint: Endpoint,
    /// The block's inbound authentication.
    guard: Option<Arc<Guard>>,
    /// Writes a refused request's access line.
    on_refusal: crate::guard::OnRefusal,
    spans: Option<Arc<dyn SpanSink>>,
    secrets: naftiko_engine::Secrets,
    /// Largest body the loop reads for it.
    pub(crate) max_body_bytes: usize,
}

impl std::fmt::Debug for McpEdge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpEdge")
            .field("endpoint", &self.endpoint)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl McpEdge {
    /// The edge of `endpoint` behind `guard`, recording spans in `spans` and redacting
    /// `secrets` from them.
    pub fn new(
        endpoint: Endpoint,
        guard: Option<Arc<Guard>>,
        options: &McpHttpOptions,
        spans: Option<Arc<dyn SpanSink>>,
        secrets: &naftiko_engine::Secrets,
    ) -> McpEdge {
        let on_refusal = super::refusal_line(endpoint.sessions.handler.access.clone());
        McpEdge {
            endpoint,
            guard,
            on_refusal,
            spans,
            secrets: secrets.clone(),
            max_body_bytes: options.max_body_bytes,
        }
    }

    /// True for a request the loop serves: a POST to `/mcp` or `/` whose body is within
    /// the limit.
    pub(crate) fn takes(&self, method: &Method, path: &str, body_len: u64) -> bool {
        method == Method::POST
            && (path == "/mcp" || path == "/")
            && body_len <= self.max_body_bytes as u64
    }

    /// Answers one POST the loop read.
    pub(crate) async fn serve(&self, incoming: Incoming, body: bytes::Bytes) -> Reply {
        if let Incoming::Raw { head, bytes } = &incoming {
            let fields = RawFields { head, bytes };
            if let Some(reply) = self.serve_direct(&incoming, &fields, &body).await {
                return reply;
            }
        }
        Reply::Response(self.serve_request(incoming.into_parts(), body).await)
    }

    /// Answers a request as the axum stack does (`traced::layer` around
    /// `guard::protect` around the endpoint).
    async fn serve_request(&self, parts: http::request::Parts, body: bytes::Bytes) -> Response {
        let request = Request::from_parts(parts, Body::from(body));
        let (endpoint, guard) = (&self.endpoint, self.guard.as_deref());
        let on_refusal = &self.on_refusal;
        let next = |r: Request<Body>| async move {
            let started = std::time::Instant::now();
            if let Some(guard) = guard
                && let Some(refused) = check(guard, r.headers(), r.method(), r.uri()).await
            {
                on_refusal(&r, &refused, started);
                return refused;
            }
            endpoint.call(r).await
        };
        crate::traced::around(request, "mcp", self.spans.as_ref(), &self.secrets, next).await
    }

    /// Answers a tool call that takes the direct path, as [`McpEdge::serve_request`] would
    /// answer it; `None` for anything else (which that then answers): a request that is not
    /// such a call, one naming a session the endpoint does not know, or one over the
    /// listener's request limit.
    async fn serve_direct(
        &self,
        incoming: &Incoming,
        fields: &RawFields<'_>,
        body: &[u8],
    ) -> Option<Reply> {
        let started = std::time::Instant::now();
        let sessions = &self.endpoint.sessions;
        let call = sessions.direct.as_ref()?.call(body, fields)?;
        if let Some(guard) = &self.guard
            && check(guard, incoming, &Method::POST, incoming.uri())
                .await
                .is_some()
        {
            return None;
        }
        // As `Sessions::handle` reads it: the first value, when it is text.
        let session = fields
            .values(SESSION_HEADER)
            .next()
            .and_then(naftiko_http1::fields::visible_text);
        if let Some(id) = session
            && !call.stateless
            && !sessions.known(id)
        {
            return None;
        }
        let _permit = self.endpoint.limit.try_acquire().ok()?;
        let trace = incoming.trace(self.spans.as_ref());
        let peek = Peek::of_call(&call);
        let answer = sessions.direct_answer(call, &trace).await;
        let status = if answer.is_some() {
            StatusCode::OK
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        let logged = Logged {
            http_method: &Method::POST,
            session: session.is_some(),
            status,
            started,
            request_id: trace.request_id().as_str(),
            trace_id: trace.trace_hex().as_str(),
        };
        log_request(sessions.handler.access.as_deref(), &peek, &logged);
        self.finish_span(incoming, fields, &trace, status, peek);
        Some(Reply::Answered(Answered {
            status,
            content_type: answer.is_some().then_some("application/json".into()),
            location: None,
            cache_control: None,
            body: answer.unwrap_or_default().into(),
            request_id: Some(trace.request_id().clone()),
        }))
    }

    /// Records the request's SERVER span, as `traced::around` records it.
    fn finish_span(
        &self,
        incoming: &Incoming,
        fields: &RawFields<'_>,
        trace: &Trace,
        status: StatusCode,
        peek: Peek,
    ) {
        if !trace.recording() {
            return;
        }
        let path = incoming.uri().path();
        let route = if path == "/" { "/" } else { "/mcp" };
        let note = span_note(route, peek);
        let served = Served {
            adapter: "mcp",
            method: &Method::POST,
            route: note.route,
            path,
            host: fields.values("host").next(),
            status: status.as_u16(),
            attributes: note.attributes,
        };
        finish_server(trace, served, &self.secrets);
    }
}
