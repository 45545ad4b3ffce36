//! naftiko's own HTTP/1.1 connection loop for REST listeners, with hyper as the fall-back.
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
//! duplicate `Content-Length` headers and request targets that are not a path. Which
//! requests stay here is decided by [`decode_head`], a pure function that is fuzzed.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::Response;
use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::ops::Range;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::conn::Limits;
use crate::rest::{self, RestApp};

/// What [`decode_head`] made of the bytes received so far.
// `Ready` is large, but the value is matched at once; moving it costs less than boxing it
// (an allocation per request).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Decoded {
    /// The head is not complete yet: read more.
    Partial,
    /// A request this loop serves.
    Ready(Head),
    /// A valid-looking request this loop leaves to hyper.
    Fallback,
    /// A request to refuse with this status (400 or 431), closing the connection.
    Reject(StatusCode, &'static str),
}

/// A parsed request head. Its headers are positions in the head's bytes: a `HeaderMap` is
/// built only for requests that need one ([`Head::into_parts`]).
#[derive(Debug)]
pub struct Head {
    /// Bytes of the head, including the blank line.
    pub len: usize,
    /// The method.
    pub method: Method,
    /// The request target (a path, with its query).
    pub uri: Uri,
    /// Each header's name and value, as byte ranges of the head, in order. Every one is a
    /// valid `HeaderName` and `HeaderValue`.
    pub headers: Vec<(Range<usize>, Range<usize>)>,
    /// The value of the first `Content-Type` header, a range of the head.
    pub content_type: Option<Range<usize>>,
    /// The `Content-Length` (0 without one).
    pub body_len: u64,
    /// The client asked to close the connection after this answer.
    pub close: bool,
}

impl Head {
    /// The first value of the header `name` (any case); `bytes` is the head it was decoded
    /// from.
    pub fn header<'b>(&self, bytes: &'b [u8], name: &str) -> Option<&'b [u8]> {
        self.headers
            .iter()
            .find(|(n, _)| bytes[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &bytes[v.clone()])
    }

    /// The request's method, target and headers as `http` parts; `bytes` is the head it
    /// was decoded from (header values share it rather than copy it).
    pub fn into_parts(self, bytes: &Bytes) -> http::request::Parts {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in self.headers {
            // Both were checked by `decode_head`.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(&bytes[name]),
                HeaderValue::from_maybe_shared(bytes.slice(value)),
            ) {
                map.append(name, value);
            }
        }
        let mut parts = Request::new(()).into_parts().0;
        parts.method = self.method;
        parts.uri = self.uri;
        parts.version = Version::HTTP_11;
        parts.headers = map;
        parts
    }
}

/// Longest header name `http` accepts.
const MAX_NAME: usize = (1 << 16) - 1;

/// Decodes the request head at the start of `buf`, accepting at most `max_headers` headers.
pub fn decode_head(buf: &[u8], max_headers: usize) -> Decoded {
    const ON_STACK: usize = 128;
    // Uninitialised slots: filling 128 empty headers cost more than parsing a head.
    let mut stack = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; ON_STACK];
    let mut heap;
    let headers: &mut [std::mem::MaybeUninit<httparse::Header<'_>>] = if max_headers <= ON_STACK {
        &mut stack[..max_headers.max(1)]
    } else {
        heap = vec![std::mem::MaybeUninit::uninit(); max_headers];
        &mut heap
    };
    let mut request = httparse::Request::new(&mut []);
    let len = match request.parse_with_uninit_headers(buf, headers) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Decoded::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return Decoded::Reject(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "the request has too many headers",
            );
        }
        Err(_) => return Decoded::Reject(StatusCode::BAD_REQUEST, "the request head is malformed"),
    };
    if request.version != Some(1) {
        return Decoded::Fallback;
    }
    let (Some(method), Some(path)) = (request.method, request.path) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the request line is incomplete");
    };
    if !path.starts_with('/') {
        return Decoded::Fallback;
    }
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the method is not valid");
    };
    let Ok(uri) = Uri::try_from(path) else {
        return Decoded::Reject(StatusCode::BAD_REQUEST, "the request target is not valid");
    };
    let mut headers = Vec::with_capacity(request.headers.len());
    let mut content_type = None;
    let mut body_len: Option<u64> = None;
    let mut close = false;
    let offset = |part: &[u8]| {
        let start = part.as_ptr() as usize - buf.as_ptr() as usize;
        start..start + part.len()
    };
    for h in request.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
        {
            return Decoded::Fallback;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            if body_len.is_some() {
                return Decoded::Fallback;
            }
            match parse_length(h.value) {
                Some(n) => body_len = Some(n),
                None => {
                    return Decoded::Reject(
                        StatusCode::BAD_REQUEST,
                        "the Content-Length header is not a number",
                    );
                }
            }
        }
        if name.eq_ignore_ascii_case(b"connection") {
            for token in h.value.split(|b| *b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    return Decoded::Fallback;
                }
            }
        }
        // httparse accepts exactly the names (tokens) and values (tab, visible ASCII,
        // obs-text) that `HeaderName` and `HeaderValue` do, except names longer than
        // `HeaderName`'s limit (a test checks every byte).
        if name.is_empty() || name.len() > MAX_NAME {
            return Decoded::Reject(StatusCode::BAD_REQUEST, "a header is not valid");
        }
        if content_type.is_none() && name.eq_ignore_ascii_case(b"content-type") {
            content_type = Some(offset(h.value));
        }
        headers.push((offset(name), offset(h.value)));
    }
    Decoded::Ready(Head {
        len,
        method,
        uri,
        headers,
        content_type,
        body_len: body_len.unwrap_or(0),
        close,
    })
}

/// A `Content-Length` value: 1 to 19 ASCII digits, nothing else (no sign, no blanks, no
/// list), so that it cannot be read two ways.
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// What a connection task needs, shared by every connection of a listener.
pub(crate) struct Shared {
    /// The REST handler's state.
    pub app: Arc<RestApp>,
    /// The same service for hyper, for requests this loop leaves to it.
    pub fallback: axum::Router,
    /// hyper's settings for those.
    pub builder: http1::Builder,
    /// Limits.
    pub limits: Limits,
}

/// Serves one connection until the client closes it, a limit closes it, or draining
/// ends it. `stop` turns true when the server drains; `_alive` is dropped when the
/// connection is done (the server waits for every one).
pub(crate) async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
) {
    let limits = &shared.limits;
    let max_head = limits.max_header_bytes.max(8192);
    let max_body = shared.app.max_body_bytes;
    let mut buf = BytesMut::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    // One timer for the connection's header deadlines: moving the deadline forward is a
    // plain store, and the timer is re-armed only when it fires early (arming a timer per
    // request cost more than parsing the request head).
    let mut deadline = tokio::time::Instant::now() + limits.header_read_timeout;
    let timer = tokio::time::sleep_until(deadline);
    tokio::pin!(timer);
    loop {
        // 1. A complete head, within the header timeout (idle keep-alive time included).
        deadline = tokio::time::Instant::now() + limits.header_read_timeout;
        let head = loop {
            if !buf.is_empty() {
                match decode_head(&buf, limits.max_headers) {
                    Decoded::Partial => {}
                    Decoded::Ready(head) => break head,
                    Decoded::Fallback => {
                        return to_hyper(stream, buf, &shared, stop).await;
                    }
                    Decoded::Reject(status, detail) => {
                        let kind = if status == StatusCode::BAD_REQUEST {
                            "bad-request"
                        } else {
                            "headers-too-large"
                        };
                        let response =
                            crate::problem::problem(status, kind, detail, serde_json::Map::new());
                        let _ = respond(&mut stream, &mut out, response, true, false).await;
                        return;
                    }
                }
                if buf.len() >= max_head {
                    let response = crate::problem::problem(
                        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "headers-too-large",
                        &format!("the request head is larger than {max_head} bytes"),
                        serde_json::Map::new(),
                    );
                    let _ = respond(&mut stream, &mut out, response, true, false).await;
                    return;
                }
            }
            let idle = buf.is_empty();
            tokio::select! {
                read = stream.read_buf(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                () = &mut timer => {
                    if tokio::time::Instant::now() < deadline {
                        timer.as_mut().reset(deadline);
                    } else {
                        if !idle {
                            let response = crate::problem::problem(
                                StatusCode::REQUEST_TIMEOUT,
                                "header-timeout",
                                "the request head did not arrive in time",
                                serde_json::Map::new(),
                            );
                            let _ = respond(&mut stream, &mut out, response, true, false).await;
                        }
                        return;
                    }
                },
                () = async {
                    // Drop the watch guard at once: it must not live in the (Send) future.
                    let _ = stop.wait_for(|s| *s).await;
                }, if idle => return,
            }
        };
        let head_bytes = buf.split_to(head.len).freeze();
        let is_head = head.method == Method::HEAD;

        // 2. The body, within the body limit and timeout.
        if head.body_len > max_body as u64 {
            let response = rest::body_too_large(max_body);
            let _ = respond(&mut stream, &mut out, response, true, is_head).await;
            return;
        }
        let body_len = usize::try_from(head.body_len).unwrap_or(usize::MAX);
        if buf.len() < body_len {
            buf.reserve(body_len - buf.len());
            let deadline = tokio::time::Instant::now() + limits.body_read_timeout;
            while buf.len() < body_len {
                match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return,
                    Ok(Ok(_)) => {}
                    Err(_) => {
                        let response = rest::body_timeout(limits.body_read_timeout);
                        let _ = respond(&mut stream, &mut out, response, true, is_head).await;
                        return;
                    }
                }
            }
        }
        let body = buf.split_to(body_len).freeze();

        // 3. The answer. A client that closes its side meanwhile abandons the request:
        // the handler is dropped (and logs 499). Pipelined bytes are kept, up to a bound.
        let close = head.close;
        let incoming = rest::Incoming::Raw {
            head,
            bytes: head_bytes,
        };
        let handler = rest::serve(&shared.app, incoming, rest::RequestBody::Read(body));
        tokio::pin!(handler);
        let response = loop {
            let room = buf.len() < max_head + max_body;
            tokio::select! {
                response = &mut handler => break response,
                read = stream.read_buf(&mut buf), if room => match read {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
            }
        };

        // 4. Write it; close when asked to, or when draining.
        let close = close || *stop.borrow();
        if reply(&mut stream, &mut out, response, close, is_head)
            .await
            .is_err()
            || close
        {
            return;
        }
    }
}

/// Writes a reply: an invocation's answer as it is, a built response through
/// [`respond`].
async fn reply(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    reply: rest::Reply,
    close: bool,
    is_head: bool,
) -> io::Result<()> {
    let a = match reply {
        rest::Reply::Response(response) => {
            return respond(stream, out, response, close, is_head).await;
        }
        rest::Reply::Answered(a) => a,
    };
    out.clear();
    status_line(out, a.status);
    for (name, value) in [
        ("content-type", a.content_type.as_deref()),
        ("location", a.location.as_deref()),
        ("cache-control", a.cache_control.as_deref()),
    ] {
        if let Some(value) = value {
            push_header(out, name.as_bytes(), value.as_bytes());
        }
    }
    finish(stream, out, a.status, &a.body, close, is_head).await
}

/// Writes `response` (whose body is complete in memory, as every REST answer is) in one
/// `write`, with `Content-Length`, `Date` and, when `close`, `Connection: close`.
async fn respond(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    response: Response,
    close: bool,
    is_head: bool,
) -> io::Result<()> {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    out.clear();
    status_line(out, parts.status);
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
    finish(stream, out, parts.status, &body, close, is_head).await
}

fn status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Ends the head (`Content-Length`, `Date`, `Connection: close`), adds the body and
/// writes it all.
async fn finish(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    status: StatusCode,
    body: &[u8],
    close: bool,
    is_head: bool,
) -> io::Result<()> {
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    if !bodiless {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    date::append(out);
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
    stream: TcpStream,
    read: BytesMut,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Prefixed {
        prefix: read,
        inner: stream,
    });
    let service = TowerToHyperService::new(shared.fallback.clone());
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
    inner: TcpStream,
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

    /// Appends `date: <IMF-fixdate>\r\n`.
    pub(super) fn append(out: &mut Vec<u8>) {
        let now = SystemTime::now();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `decode_head` made of a request with one header `name: value`: `Some(true)`
    /// kept, `Some(false)` refused with 400, `None` anything else.
    fn kept(name: &[u8], value: &[u8]) -> Option<bool> {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n\r\n");
        match decode_head(&head, 10) {
            Decoded::Ready(h) => {
                assert_eq!(h.headers.len(), 1);
                Some(true)
            }
            Decoded::Reject(StatusCode::BAD_REQUEST, _) => Some(false),
            _ => None,
        }
    }

    #[test]
    fn headers_are_kept_exactly_when_http_accepts_them() {
        for b in 0..=255u8 {
            let value = [b'a', b, b'z'];
            if let Some(kept) = kept(b"x-test", &value) {
                assert_eq!(
                    kept,
                    HeaderValue::from_bytes(&value).is_ok(),
                    "value byte {b:#x}"
                );
            }
            let name = [b'x', b];
            // `x:: v` is the header `x` with the value `: v`.
            if b != b':'
                && let Some(kept) = kept(&name, b"v")
            {
                assert_eq!(
                    kept,
                    HeaderName::from_bytes(&name).is_ok(),
                    "name byte {b:#x}"
                );
            }
        }
        let long = vec![b'x'; MAX_NAME + 1];
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(&long);
        head.extend_from_slice(b": v\r\n\r\n");
        assert!(HeaderName::from_bytes(&long).is_err());
        assert!(matches!(
            decode_head(&head, 10),
            Decoded::Reject(StatusCode::BAD_REQUEST, _)
        ));
    }

    #[test]
    fn a_decoded_head_gives_its_headers_and_parts() {
        let bytes = Bytes::from_static(
            b"POST /v1/token?a=1 HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\ncontent-type: c/d\r\nBody: 1\r\nContent-Length: 3\r\n\r\nabc",
        );
        let Decoded::Ready(h) = decode_head(&bytes, 10) else {
            panic!("not decoded")
        };
        assert_eq!(h.header(&bytes, "CONTENT-TYPE"), Some(&b"a/b"[..]));
        assert_eq!(h.content_type.clone().map(|r| &bytes[r]), Some(&b"a/b"[..]));
        assert_eq!(h.header(&bytes, "body"), Some(&b"1"[..]));
        assert_eq!(h.header(&bytes, "accept"), None);
        assert_eq!(h.body_len, 3);
        let parts = h.into_parts(&bytes);
        assert_eq!(parts.method, Method::POST);
        assert_eq!(parts.uri.query(), Some("a=1"));
        let types: Vec<_> = parts.headers.get_all("content-type").iter().collect();
        assert_eq!(types, ["a/b", "c/d"]);
        assert_eq!(parts.headers.len(), 5);
    }
}
