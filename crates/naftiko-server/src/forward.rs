//! The REST adapter's `forward` routes (docs/semantics.md §5): the request is handed to
//! [`naftiko_engine::Runtime::forward`] with its body as a stream (the h1 loop leaves these
//! requests to hyper before reading a byte of their body), and the upstream's answer is
//! streamed back: its status and headers at once, its body as it comes. The engine picks
//! the headers, applies the limits and says what went wrong; `rest.rs` turns failures into
//! problems, as for operations.

use std::pin::Pin;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures_util::Stream;
use naftiko_engine::{
    ForwardAnswer, ForwardError, ForwardId, ForwardRequest, InboundLimits, Runtime,
};

/// Where a request goes: the forward, and what its route's last variable took of the path.
pub(crate) struct Target {
    pub(crate) forward: ForwardId,
    pub(crate) remainder: Option<String>,
}

/// An inbound body as the engine reads it; an error says what is wrong with it.
pub(crate) type Inbound = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

/// Forwards one request: the answer, its body streaming, and the upstream's status.
///
/// # Errors
/// What the engine could not pass on; nothing has been answered yet.
pub(crate) async fn forward(
    runtime: &Runtime,
    to: Target,
    parts: http::request::Parts,
    body: Inbound,
    limits: InboundLimits,
    trace: &naftiko_engine::trace::Trace,
) -> Result<(Response, u16), ForwardError> {
    let request = ForwardRequest {
        method: parts.method,
        remainder: to.remainder,
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        limits,
    };
    let answer = runtime.forward(to.forward, request, trace).await?;
    let status = answer.status.as_u16();
    Ok((streamed(answer), status))
}

/// The upstream's answer, its body streamed (hyper frames it with the upstream's
/// `Content-Length` when there is one, else chunked; an error in the stream closes the
/// connection).
fn streamed(answer: ForwardAnswer) -> Response {
    let mut response = Response::new(Body::from_stream(answer.body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response
}
