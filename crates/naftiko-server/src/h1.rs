//! naftiko's own HTTP/1.1 connection loop for REST listeners and MCP endpoints' POSTs, with
//! hyper as the fall-back.
//!
//! hyper's general machinery (dispatcher state machines, body frames, header maps built
//! twice) was the largest single cost of a REST request. This loop serves the plain,
//! common case directly: one task per connection reads a request head into a reused
//! buffer, parses it in place with `httparse`, reads a `Content-Length` body, calls the
//! same REST handler as the hyper path, and writes the whole answer in one `write`.
//!
//! It handles: keep-alive and `Connection: close`, pipelined requests (answered in
//! order), the header-read timeout (slow-loris), header count and size limits (431),
//! the body-read timeout (408), the body size limit (413), a client that goes away
//! mid-request (the handler is dropped and logged as 499) and graceful draining.
//!
//! Everything else goes to hyper, on the same connection, with the bytes already read:
//! `Transfer-Encoding` (chunked bodies), `Expect: 100-continue`, `Upgrade`, HTTP/1.0,
//! request targets that are not a path, and requests a `forward` route takes (their bodies
//! are streamed, never read whole). Which requests stay here is decided by
//! `naftiko_http1::decode_head` (the wire rules shared with the upstream client; fuzzed).
//!
//! A client that half-closes (`shutdown(SHUT_WR)`) after pipelining requests on the
//! connection gets the answers to every request it sent, as hyper gives them; one that
//! closes while its only request is being answered has gone away (499).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use crate::stream::Stream;
use axum::response::Response;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::FutureExt;
use futures_util::future::Fuse;
use http::{Method, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use naftiko_http1::fields::{push_content_length, push_header, push_status_line};
use naftiko_http1::{Decoded, decode_head};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{mpsc, watch};

use crate::clock;
use crate::limits::Limits;
use crate::rest;
use crate::served::{Edge, Slot};
use crate::traced::set_request_id;
use naftiko_engine::trace::RequestId;

/// What a connection task needs, shared by every connection of a listener.
pub(crate) struct Shared {
    /// The listener's current generation: the REST handler's state, and the same service
    /// for hyper, for requests this loop leaves to it.
    pub slot: Arc<Slot>,
    /// hyper's settings for those.
    pub builder: http1::Builder,
    /// Limits.
    pub limits: Limits,
    /// Turns true when the shutdown grace period ran out: requests in flight get 503.
    pub expired: watch::Receiver<bool>,
}

/// Serves one connection until the client closes it, a limit closes it, or draining
/// ends it. `stop` turns true when the server drains; `_alive` is dropped when the
/// connection is done (the server waits for every one).
pub(crate) async fn serve(
    stream: Stream,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
) {
    // The generation the connection began with: each request takes the current one.
    let Some(edge) = shared.slot.load().edge.clone() else {
        return to_hyper(stream, BytesMut::new(), &shared, stop).await;
    };
    let mut conn = Conn {
        stream,
        shared: &shared,
        edge,
        buf: BytesMut::with_capacity(4096),
        out: Vec::with_capacity(1024),
        max_head: shared.limits.max_header_bytes.max(8192),
        pipelined: false,
        eof: false,
    };
    // One timer for the connection's header deadlines: moving the deadline forward is a
    // plain store, and the timer is re-armed only when it fires early (arming a timer per
    // request cost more than parsing the request head).
    let timer = tokio::time::sleep(shared.limits.header_read_timeout);
    tokio::pin!(timer);
    // The connection's two signals, each waited on by one future for all its requests
    // (a watch registration per request cost a tenth of routing one). Fused: once one
    // has ended, the connection ends too, but a fused future may be polled again.
    let stopped = stopped(stop.clone()).fuse();
    let expired = expiry(shared.expired.clone()).fuse();
    tokio::pin!(stopped, expired);
    loop {
        // 1. A complete head, within the header timeout (idle keep-alive time included).
        let head = match conn.read_head(timer.as_mut(), stopped.as_mut()).await {
            // A `forward` route streams its body: hyper reads it, as it comes (and an MCP
            // endpoint's requests but POSTs).
            HeadRead::Ready(head) if conn.take_current(&head) => head,
            HeadRead::Ready(_) | HeadRead::Fallback => {
                return to_hyper(conn.stream, conn.buf, &shared, stop).await;
            }
            HeadRead::Over => return,
        };
        let started = Instant::now();
        let head_bytes = conn.buf.split_to(head.len).freeze();
        let is_head = head.method == Method::HEAD;
        // 2. The body, within the body limit and timeout.
        let Some(body) = conn.read_body(&head, &head_bytes).await else {
            return;
        };
        // 3. The answer.
        let close = head.close;
        let incoming = rest::Incoming::Raw {
            head,
            bytes: head_bytes,
        };
        let answer = conn.answer(incoming, body, started, expired.as_mut()).await;
        let Some((response, ended)) = answer else {
            return;
        };
        // 4. Write it; close when asked to, or when draining, or when a half-closed client
        // has nothing more buffered.
        let close = close || *stop.borrow() || (conn.eof && conn.buf.is_empty());
        let at = clock::wall(ended);
        if reply(
            &mut conn.stream,
            &mut conn.out,
            response,
            close,
            is_head,
            at,
        )
        .await
        .is_err()
            || close
        {
            return;
        }
    }
}

/// One connection's state between requests.
struct Conn<'s> {
    stream: Stream,
    shared: &'s Shared,
    /// What the generation answering the current request serves here.
    edge: Edge,
    /// Bytes read and not yet used (pipelined requests among them).
    buf: BytesMut,
    /// The answer being written (reused).
    out: Vec<u8>,
    /// Largest request head.
    max_head: usize,
    /// The client has pipelined on this connection: bytes beyond a request were buffered
    /// when its answer began. A close from such a client is a half-close, not going away.
    pipelined: bool,
    /// The client half-closed after pipelining: answer what is buffered, read no more.
    eof: bool,
}

/// What [`Conn::read_head`] found.
// `Ready` is large, but the value is matched at once; moving it costs less than boxing it
// (an allocation per request).
#[allow(clippy::large_enum_variant)]
enum HeadRead {
    /// A request this loop serves.
    Ready(naftiko_http1::Head),
    /// A request for hyper: the connection goes to it with the bytes read.
    Fallback,
    /// The connection is over (closed, timed out, refused or draining; answered if due).
    Over,
}

impl Conn<'_> {
    /// Takes the listener's current generation for the request `head` begins; false when
    /// hyper must answer it: a `forward` route takes it (its body is streamed as it comes),
    /// an MCP endpoint's request that is not a POST within the body limit, or the listener
    /// is no longer served here.
    fn take_current(&mut self, head: &naftiko_http1::Head) -> bool {
        let Some(edge) = self.shared.slot.load().edge.clone() else {
            return false;
        };
        let takes = match &edge {
            Edge::Rest(app) => !app.router.forwards(&head.method, head.uri.path()),
            Edge::Mcp(mcp) => mcp.takes(&head.method, head.uri.path(), head.body_len),
        };
        self.edge = edge;
        takes
    }

    /// The largest request body the current generation reads.
    fn max_body(&self) -> usize {
        match &self.edge {
            Edge::Rest(app) => app.max_body_bytes,
            Edge::Mcp(mcp) => mcp.max_body_bytes,
        }
    }

    /// Reads until a complete head is buffered, within the header timeout (`timer`, whose
    /// deadline moves forward per request); while idle, draining (`stop`) ends it.
    async fn read_head(
        &mut self,
        mut timer: Pin<&mut tokio::time::Sleep>,
        mut stopped: Pin<&mut Fuse<impl Future<Output = ()>>>,
    ) -> HeadRead {
        let limits = &self.shared.limits;
        let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
        loop {
            if !self.buf.is_empty() {
                match decode_head(&self.buf, limits.max_headers) {
                    Decoded::Partial => {}
                    Decoded::Ready(head) => return HeadRead::Ready(head),
                    Decoded::Fallback => return HeadRead::Fallback,
                    Decoded::Reject(status, detail) => {
                        let kind = if status == StatusCode::BAD_REQUEST {
                            "bad-request"
                        } else {
                            "headers-too-large"
                        };
                        return self.refuse(status, kind, detail).await;
                    }
                }
                if self.buf.len() >= self.max_head {
                    let detail = format!("the request head is larger than {} bytes", self.max_head);
                    let status = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
                    return self.refuse(status, "headers-too-large", &detail).await;
                }
            }
            if self.eof {
                return HeadRead::Over;
            }
            let idle = self.buf.is_empty();
            tokio::select! {
                read = self.stream.read_buf(&mut self.buf) => match read {
                    Ok(0) | Err(_) => return HeadRead::Over,
                    Ok(_) => {}
                },
                () = &mut timer => {
                    if tokio::time::Instant::now() < deadline {
                        timer.as_mut().reset(deadline);
                    } else if idle {
                        return HeadRead::Over;
                    } else {
                        let detail = "the request head did not arrive in time";
                        let status = StatusCode::REQUEST_TIMEOUT;
                        return self.refuse(status, "header-timeout", detail).await;
                    }
                },
                () = &mut stopped, if idle => return HeadRead::Over,
            }
        }
    }

    /// Answers a problem (with a new request id: the head could not be read) and closes
    /// the connection.
    async fn refuse(&mut self, status: StatusCode, kind: &str, detail: &str) -> HeadRead {
        let mut response = crate::problem::problem(status, kind, detail, serde_json::Map::new());
        set_request_id(response.headers_mut(), &RequestId::random());
        let _ = respond(
            &mut self.stream,
            &mut self.out,
            response,
            true,
            false,
            SystemTime::now(),
        )
        .await;
        HeadRead::Over
    }

    /// Reads the body `head` announces within the body limit and timeout; `None` when the
    /// connection is over (answered with 413 or 408 where due, with the request's id).
    async fn read_body(&mut self, head: &naftiko_http1::Head, bytes: &[u8]) -> Option<Bytes> {
        let (len, is_head) = (head.body_len, head.method == Method::HEAD);
        let request_id = || RequestId::from_header(head.header(bytes, "x-request-id"));
        let limits = &self.shared.limits;
        let max_body = self.max_body();
        if len > max_body as u64 {
            let mut response = rest::body_too_large(max_body);
            set_request_id(response.headers_mut(), &request_id());
            let _ = respond(
                &mut self.stream,
                &mut self.out,
                response,
                true,
                is_head,
                SystemTime::now(),
            )
            .await;
            return None;
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if self.buf.len() < len {
            self.buf.reserve(len - self.buf.len());
            let deadline = tokio::time::Instant::now() + limits.body_read_timeout;
            while self.buf.len() < len {
                if self.eof {
                    return None;
                }
                match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return None,
                    Ok(Ok(_)) => {}
                    Err(_) => {
                        let mut response = rest::body_timeout(limits.body_read_timeout);
                        set_request_id(response.headers_mut(), &request_id());
                        let out = &mut self.out;
                        let _ = respond(
                            &mut self.stream,
                            out,
                            response,
                            true,
                            is_head,
                            SystemTime::now(),
                        )
                        .await;
                        return None;
                    }
                }
            }
        }
        Some(self.buf.split_to(len).freeze())
    }

    /// Runs the REST or MCP handler. A client that closes its side meanwhile abandons the
    /// request (the handler is dropped and logs 499; `None`), unless it has pipelined on
    /// this connection: then it only half-closed, and every request it sent is answered
    /// (as hyper answers them). Pipelined bytes are kept, up to a bound.
    async fn answer(
        &mut self,
        incoming: rest::Incoming,
        body: Bytes,
        started: Instant,
        mut expired: Pin<&mut Fuse<impl Future<Output = ()>>>,
    ) -> Option<(rest::Reply, Instant)> {
        self.pipelined |= !self.buf.is_empty();
        let edge = self.edge.clone();
        let handler = async move {
            match &edge {
                Edge::Rest(app) => {
                    rest::serve(app, incoming, rest::RequestBody::Read(body), started).await
                }
                Edge::Mcp(mcp) => (mcp.serve(incoming, body).await, Instant::now()),
            }
        };
        tokio::pin!(handler);
        let bound = self.max_head + self.max_body();
        loop {
            let room = self.buf.len() < bound;
            tokio::select! {
                response = &mut handler => return Some(response),
                () = &mut expired => {
                    let reply = rest::Reply::Response(crate::problem::grace_expired());
                    return Some((reply, Instant::now()));
                }
                read = self.stream.read_buf(&mut self.buf), if room && !self.eof => match read {
                    Ok(0) if self.pipelined || !self.buf.is_empty() => self.eof = true,
                    Ok(0) | Err(_) => return None,
                    Ok(_) => self.pipelined = true,
                },
            }
        }
    }
}

/// Resolves when `stop` turns true (the server drains), or when its sender is gone.
async fn stopped(mut stop: watch::Receiver<bool>) {
    // The guard `wait_for` returns is dropped at once: it must not live in the (Send)
    // future.
    let _ = stop.wait_for(|s| *s).await;
}

/// Resolves when `expired` turns true (the shutdown grace period ran out); never, when its
/// sender is gone first.
pub(crate) async fn expiry(mut expired: watch::Receiver<bool>) {
    if expired.wait_for(|e| *e).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Writes a reply: an invocation's answer as it is, a built response through
/// [`respond`].
async fn reply(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    reply: rest::Reply,
    close: bool,
    is_head: bool,
    at: SystemTime,
) -> io::Result<()> {
    let a = match reply {
        rest::Reply::Response(response) => {
            return respond(stream, out, response, close, is_head, at).await;
        }
        rest::Reply::Answered(a) => a,
    };
    out.clear();
    push_status_line(out, a.status);
    for (name, value) in [
        ("content-type", a.content_type.as_deref().map(str::as_bytes)),
        ("location", a.location.as_deref().map(str::as_bytes)),
        (
            "cache-control",
            a.cache_control.as_deref().map(str::as_bytes),
        ),
        (
            "x-request-id",
            a.request_id.as_ref().map(RequestId::as_bytes),
        ),
    ] {
        if let Some(value) = value {
            push_header(out, name.as_bytes(), value);
        }
    }
    finish(stream, out, a.status, &a.body, close, is_head, at).await
}

/// Writes `response` (whose body is complete in memory, as every REST answer is) in one
/// `write`, with `Content-Length`, `Date` and, when `close`, `Connection: close`.
async fn respond(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    response: Response,
    close: bool,
    is_head: bool,
    at: SystemTime,
) -> io::Result<()> {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    out.clear();
    push_status_line(out, parts.status);
    for (name, value) in &parts.headers {
        if name == http::header::CONTENT_LENGTH
            || name == http::header::TRANSFER_ENCODING
            || name == http::header::CONNECTION
            || name == http::header::DATE
        {
            continue;
        }
        push_header(out, name.as_str().as_bytes(), value.as_bytes());
    }
    finish(stream, out, parts.status, &body, close, is_head, at).await
}

/// Ends the head (`Content-Length`, `Date`, `Connection: close`), adds the body and
/// writes it all.
async fn finish(
    stream: &mut Stream,
    out: &mut Vec<u8>,
    status: StatusCode,
    body: &[u8],
    close: bool,
    is_head: bool,
    at: SystemTime,
) -> io::Result<()> {
    let bodiless = naftiko_http1::framing::status_has_no_body(status.as_u16());
    if !bodiless {
        push_content_length(out, body.len());
    }
    date::append(out, at);
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodiless && !is_head {
        out.extend_from_slice(body);
    }
    stream.write_all(out).await?;
    if close {
        let _ = stream.shutdown().await;
    }
    Ok(())
}

/// Hands the connection to hyper, with the bytes already read, for the rest of its life.
async fn to_hyper(
    stream: Stream,
    read: BytesMut,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Prefixed {
        prefix: read,
        inner: stream,
    });
    let service = crate::served::current(shared.slot.clone());
    let conn = shared.builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = async {
            let _ = stop.wait_for(|s| *s).await;
        } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// A stream that first yields bytes already read from it.
struct Prefixed {
    prefix: BytesMut,
    inner: Stream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(out.remaining());
            out.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, out)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The `Date` header, formatted once per second per thread.
mod date {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};

    thread_local! {
        static CACHED: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }

    /// Appends `date: <IMF-fixdate>\r\n` of `now`.
    pub(super) fn append(out: &mut Vec<u8>, now: SystemTime) {
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        CACHED.with(|cell| {
            let mut cached = cell.borrow_mut();
            if cached.0 != secs {
                *cached = (secs, httpdate::fmt_http_date(now));
            }
            out.extend_from_slice(b"date: ");
            out.extend_from_slice(cached.1.as_bytes());
            out.extend_from_slice(b"\r\n");
        });
    }
}
