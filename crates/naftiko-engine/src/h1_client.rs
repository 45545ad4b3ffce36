//! naftiko's own HTTP/1.1 client for `http://` and `https://` upstreams reached without a
//! proxy (the "h1 client"; proxies, OAuth 2.0 token endpoints and `forward` resources go
//! through reqwest).
//!
//! hyper-util's pooled client ran every upstream connection as a task of its own, with a
//! channel hop, a pool behind a lock and `Request`/`Response` plumbing around each call: a
//! quarter of the instructions of a proxied request. Here the calling task does the whole
//! exchange itself: it takes an idle connection (or opens one), writes the request in one
//! `write`, parses the answer head in place with `httparse`, reads the body, and puts the
//! connection back when the answer allows it.
//!
//! The wire rules (head parsing, framing, the chunked decoder, request writing) are
//! `naftiko-http1`'s, shared with the server's own loop: answers are framed per RFC 9112
//! §6.3 (no body for `HEAD`, 1xx, 204 and 304; chunked when the last transfer coding is
//! `chunked`; a `Content-Length`; otherwise until the server closes). Interim 1xx answers
//! are skipped. Heads are limited to 64 KiB and 100 headers, bodies to the caller's limit. A connection is
//! reused only after a complete, framed answer without `Connection: close`; an idle one is
//! checked for a close by the server before it is reused, and dropped after 90 s.
//!
//! A connection is reused only on the thread that opened it: its socket is registered with
//! that thread's runtime (one per core, see the server's `conn.rs`), so using it elsewhere
//! would have each readiness event cross threads.
//!
//! HTTPS is rustls over the same exchange (`h1_stream.rs`), with the certificate
//! verification reqwest does (`upstream_tls.rs`); the connect timeout covers the TCP
//! connection and the TLS handshake, and a refused certificate is a connection failure.
//!
//! An HTTPS upstream that speaks only HTTP/2 refuses the handshake (its answer to ALPN
//! `http/1.1` is a `no_application_protocol` alert). Nothing was sent yet: the request, and
//! every later one to that host and port, goes to the client's fall-back (reqwest, which
//! offers HTTP/2), a request written out in full read back into parts first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use naftiko_http1::response::{AnswerHeadError, Framing, parse_answer_head};
use naftiko_http1::write::{finish_request, is_framing_header, push_request_line};
use naftiko_http1::{ChunkError, Chunked, fields};

use crate::answer::Head;
use crate::h1_stream::Stream;
use crate::transport::{Outgoing, Received, Sending, Transport, TransportError};
use crate::upstream_tls::{LazyTls, server_name};

/// Largest answer head read.
const MAX_HEAD: usize = 64 * 1024;
/// Idle connections kept per upstream.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Where a request goes, from its URL.
struct Target<'u> {
    /// `https`.
    tls: bool,
    host: &'u str,
    port: u16,
    /// The port is written in the URL (so it belongs in the `Host` header).
    explicit_port: bool,
    /// Path and query.
    path: &'u str,
    query: Option<&'u str>,
}

impl<'u> Target<'u> {
    fn of(url: &'u reqwest::Url) -> Result<Self, TransportError> {
        let host = url
            .host_str()
            .ok_or_else(|| TransportError::Connect("the URL has no host".into()))?;
        let tls = url.scheme() == "https";
        let port = url
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        Ok(Target {
            tls,
            host,
            port,
            explicit_port: url.port().is_some(),
            path: url.path(),
            query: url.query(),
        })
    }
}

/// A connection and where it goes (kept together, so that putting it back in the pool
/// allocates nothing).
#[derive(Debug)]
struct Conn {
    tls: bool,
    host: String,
    port: u16,
    stream: Stream,
}

impl Conn {
    fn goes_to(&self, target: &Target<'_>) -> bool {
        self.port == target.port && self.tls == target.tls && self.host == target.host
    }
}

/// An idle connection.
#[derive(Debug)]
struct Idle {
    conn: Conn,
    since: Instant,
    /// The thread that opened it ([`thread_number`]).
    thread: usize,
}

/// A number for the calling thread, unique in the process.
fn thread_number() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

/// The client of one consumed API: settings and idle connections.
#[derive(Debug)]
pub(crate) struct H1Client {
    connect_timeout: Duration,
    user_agent: HeaderValue,
    /// The TLS settings of `https://` connections (shared with the document's other h1
    /// clients that trust the same certificate authorities), built on the first one.
    tls: Arc<LazyTls>,
    idle: Mutex<Vec<Idle>>,
    /// Where requests to hosts that speak only HTTP/2 go (reqwest).
    fallback: Option<Arc<dyn Transport>>,
    /// The hosts and ports found to speak only HTTP/2.
    http2_only: Mutex<Vec<(String, u16)>>,
    /// `http2_only` is not empty (read on every request, without the lock).
    any_http2_only: AtomicBool,
}

impl H1Client {
    /// A client with this connect timeout (TCP and TLS), default `User-Agent` and TLS
    /// settings.
    pub(crate) fn new(
        connect_timeout: Duration,
        user_agent: &'static str,
        tls: Arc<LazyTls>,
    ) -> Self {
        H1Client {
            connect_timeout,
            user_agent: HeaderValue::from_static(user_agent),
            tls,
            idle: Mutex::new(Vec::new()),
            fallback: None,
            http2_only: Mutex::new(Vec::new()),
            any_http2_only: AtomicBool::new(false),
        }
    }

    /// The client, sending requests to HTTPS upstreams that speak only HTTP/2 through
    /// `fallback`.
    pub(crate) fn with_fallback(mut self, fallback: Arc<dyn Transport>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// The fall-back, when `url`'s host and port were found to speak only HTTP/2.
    fn fallback_for(&self, url: &reqwest::Url) -> Option<&Arc<dyn Transport>> {
        if !self.any_http2_only.load(Ordering::Relaxed) {
            return None;
        }
        let target = Target::of(url).ok()?;
        let hosts = self.http2_only.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .iter()
            .any(|(h, p)| *p == target.port && h == target.host)
            .then_some(self.fallback.as_ref())
            .flatten()
    }

    /// Notes that the target speaks only HTTP/2 (when there is a fall-back to send to).
    fn note_http2_only(&self, target: &Target<'_>) {
        if self.fallback.is_none() {
            return;
        }
        let mut hosts = self.http2_only.lock().unwrap_or_else(|e| e.into_inner());
        if !hosts
            .iter()
            .any(|(h, p)| *p == target.port && h == target.host)
        {
            hosts.push((target.host.to_owned(), target.port));
        }
        self.any_http2_only.store(true, Ordering::Relaxed);
    }

    /// Sends one request and reads the whole answer (at most `max_body` bytes of body).
    pub(crate) async fn send(
        &self,
        method: &Method,
        url: &reqwest::Url,
        headers: &HeaderMap,
        body: Option<&Bytes>,
        max_body: usize,
    ) -> Result<Received, TransportError> {
        let target = Target::of(url)?;
        let mut request = write_head(method, &target, headers, &self.user_agent);
        finish_request(&mut request, method, body.map(|b| &b[..]));
        self.exchange(url, &request, method == Method::HEAD, max_body)
            .await
    }

    /// Sends `request` (head and body, as [`request_head`] and
    /// [`finish_request`] write them) to the host of `url` and reads the whole answer.
    pub(crate) async fn exchange(
        &self,
        url: &reqwest::Url,
        request: &[u8],
        is_head: bool,
        max_body: usize,
    ) -> Result<Received, TransportError> {
        let target = Target::of(url)?;
        // One clock reading per exchange: it dates the connection's idleness too (from the
        // start of its last exchange, so an idle connection is dropped a little early).
        let now = Instant::now();
        let (mut conn, reused) = match self.checkout(&target, now) {
            Some(conn) => (conn, true),
            None => {
                // Boxed: connecting is the rare case, and its future would otherwise make
                // every exchange's future (moved several times per request) larger.
                let stream = Box::pin(self.connect(&target)).await?;
                let conn = Conn {
                    tls: target.tls,
                    host: target.host.to_owned(),
                    port: target.port,
                    stream,
                };
                (conn, false)
            }
        };
        if let Err(e) = write_request(&mut conn.stream, request).await {
            if !reused {
                return Err(e);
            }
            // The server closed the kept-alive connection before reading anything: the
            // request did not reach it, so send it once more on a new connection.
            conn.stream = Box::pin(self.connect(&target)).await?;
            write_request(&mut conn.stream, request).await?;
        }
        let (answer, reusable) = read_answer(&mut conn.stream, is_head, max_body).await?;
        if reusable {
            self.checkin(conn, now);
        }
        Ok(answer)
    }

    /// A new connection to the target: TCP, then the TLS handshake for `https`, both
    /// within the connect timeout.
    async fn connect(&self, target: &Target<'_>) -> Result<Stream, TransportError> {
        let tls = if target.tls {
            let config = self.tls.get().map_err(TransportError::Unavailable)?;
            let name = server_name(target.host).map_err(TransportError::Connect)?;
            Some((tokio_rustls::TlsConnector::from(config), name))
        } else {
            None
        };
        let connecting = async {
            // An IP literal needs no lookup; a name goes through naftiko's resolver.
            let tcp = crate::dns::connect(target.host, target.port)
                .await
                .map_err(|e| TransportError::Connect(format!("connection failed: {e}")))?;
            let _ = tcp.set_nodelay(true);
            let Some((connector, name)) = tls else {
                return Ok(Stream::Plain(tcp));
            };
            // A refused certificate is rustls's error, which names what is wrong with it
            // (never key material).
            let tls = connector.connect(name, tcp).await.map_err(|e| {
                if refuses_http1(&e) {
                    self.note_http2_only(target);
                }
                TransportError::Connect(format!("connection failed: TLS handshake: {e}"))
            })?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Connect(format!(
                "connection failed: no connection within {} ms",
                self.connect_timeout.as_millis()
            ))),
        }
    }

    /// The most recently used idle connection to the target that is still open (checked
    /// outside the lock: on TLS the check decrypts whatever records arrived).
    fn checkout(&self, target: &Target<'_>, now: Instant) -> Option<Conn> {
        let thread = thread_number();
        loop {
            let mut c = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                let i = idle
                    .iter()
                    .rposition(|c| c.thread == thread && c.conn.goes_to(target))?;
                idle.swap_remove(i)
            };
            if now.saturating_duration_since(c.since) < IDLE_TIMEOUT && c.conn.stream.still_open() {
                return Some(c.conn);
            }
        }
    }

    fn checkin(&self, conn: Conn, since: Instant) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(Idle {
            conn,
            since,
            thread: thread_number(),
        });
    }
}

/// Writes a whole request (and flushes it: TLS may hold back what the socket did not take).
async fn write_request(stream: &mut Stream, request: &[u8]) -> Result<(), TransportError> {
    let written = async {
        stream.write_all(request).await?;
        stream.flush().await
    };
    written
        .await
        .map_err(|e| TransportError::Broken(format!("sending the request failed: {e}")))
}

async fn read_more(stream: &mut Stream, buf: &mut BytesMut) -> Result<usize, TransportError> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    stream
        .read_buf(buf)
        .await
        .map_err(|e| TransportError::Broken(format!("the answer broke off: {e}")))
}

/// Reads one answer; also says whether the connection can be reused.
async fn read_answer(
    stream: &mut Stream,
    is_head: bool,
    max_body: usize,
) -> Result<(Received, bool), TransportError> {
    let mut buf = BytesMut::with_capacity(8192);
    let mut noted;
    let head = loop {
        if !buf.is_empty() {
            noted = Head::default();
            let parsed = parse_answer_head(&buf, is_head, MAX_HEAD, |n, v| noted.note(n, v))
                .map_err(head_error)?;
            if let Some(head) = parsed {
                buf.advance(head.len);
                // Interim answers (100 Continue and the like) precede the real one.
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                if head.status == 101 {
                    return Err(TransportError::Broken(
                        "the upstream switched protocols".into(),
                    ));
                }
                break head;
            }
        }
        if read_more(stream, &mut buf).await? == 0 {
            return Err(TransportError::Broken(if buf.is_empty() {
                "the upstream closed the connection without answering".into()
            } else {
                "the answer broke off in its head".into()
            }));
        }
    };
    let mut keep_alive = head.keep_alive;
    let body = match head.framing {
        Framing::None => BytesMut::new(),
        Framing::Length(n) => {
            if n > max_body as u64 {
                return Err(TransportError::TooLarge);
            }
            let n = usize::try_from(n).map_err(|_| TransportError::TooLarge)?;
            while buf.len() < n {
                if read_more(stream, &mut buf).await? == 0 {
                    return Err(TransportError::Broken(format!(
                        "the answer broke off after {} of {n} body bytes",
                        buf.len()
                    )));
                }
            }
            let body = buf.split_to(n);
            keep_alive &= buf.is_empty();
            body
        }
        Framing::Chunked => {
            let mut decoder = Chunked::default();
            let mut body = BytesMut::new();
            loop {
                if decoder.feed(&mut buf, &mut body, max_body)? {
                    break;
                }
                if read_more(stream, &mut buf).await? == 0 {
                    return Err(TransportError::Broken(
                        "the answer broke off inside its chunked body".into(),
                    ));
                }
            }
            keep_alive &= buf.is_empty();
            body
        }
        Framing::UntilClose => {
            while read_more(stream, &mut buf).await? > 0 {
                if buf.len() > max_body {
                    return Err(TransportError::TooLarge);
                }
            }
            if buf.len() > max_body {
                return Err(TransportError::TooLarge);
            }
            buf
        }
    };
    Ok((
        Received {
            status: head.status,
            head: noted,
            body,
        },
        keep_alive,
    ))
}

/// An answer head that cannot be used, as an exchange error.
fn head_error(e: AnswerHeadError) -> TransportError {
    TransportError::Broken(e.to_string())
}

impl From<ChunkError> for TransportError {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Malformed(what) => {
                TransportError::Broken(format!("the chunked answer is malformed: {what}"))
            }
            ChunkError::TooLarge => TransportError::TooLarge,
        }
    }
}

/// The request line and headers of a request to `url`, without `Content-Length` and the
/// blank line: [`finish_request`] adds those and the body. `Host` and `User-Agent` are added
/// unless `headers` has them; framing headers in `headers` are left out.
///
/// # Errors
/// A URL without a host.
pub(crate) fn request_head(
    method: &Method,
    url: &reqwest::Url,
    headers: &HeaderMap,
    user_agent: &HeaderValue,
) -> Result<Vec<u8>, TransportError> {
    Ok(write_head(method, &Target::of(url)?, headers, user_agent))
}

fn write_head(
    method: &Method,
    target: &Target<'_>,
    headers: &HeaderMap,
    user_agent: &HeaderValue,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    push_request_line(&mut out, method, target.path, target.query);
    if !headers.contains_key(http::header::HOST) {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(target.host.as_bytes());
        if target.explicit_port {
            out.push(b':');
            out.extend_from_slice(itoa::Buffer::new().format(target.port).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    if !headers.contains_key(http::header::USER_AGENT) {
        fields::push_header(&mut out, b"user-agent", user_agent.as_bytes());
    }
    for (name, value) in headers {
        if !is_framing_header(name) {
            fields::push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    out
}

/// The handshake failed on the server's `no_application_protocol` alert: it speaks none of
/// the protocols offered (`http/1.1`).
fn refuses_http1(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            *e == rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
        })
}

impl H1Client {
    /// Sends `request` on HTTP/1.1, or through the fall-back when its host speaks only
    /// HTTP/2 (found now or before: the handshake it refused sent nothing).
    async fn send_any(
        &self,
        request: Outgoing<'_>,
        max_body: usize,
    ) -> Result<Received, TransportError> {
        let url = match request {
            Outgoing::Request { url, .. } | Outgoing::Written { url, .. } => url,
        };
        if let Some(fallback) = self.fallback_for(url) {
            return send_through(fallback.as_ref(), request, max_body).await;
        }
        let result = match request {
            Outgoing::Request {
                method,
                url,
                headers,
                body,
            } => H1Client::send(self, method, url, headers, body, max_body).await,
            Outgoing::Written {
                url,
                bytes,
                is_head,
            } => self.exchange(url, bytes, is_head, max_body).await,
        };
        match (result, self.fallback_for(url)) {
            (Err(TransportError::Connect(_)), Some(fallback)) => {
                send_through(fallback.as_ref(), request, max_body).await
            }
            (result, _) => result,
        }
    }
}

/// Sends `request` through `transport`, a request written out in full read back into its
/// parts first.
async fn send_through(
    transport: &dyn Transport,
    request: Outgoing<'_>,
    max_body: usize,
) -> Result<Received, TransportError> {
    let Outgoing::Written { url, bytes, .. } = request else {
        return transport.send(request, max_body).await;
    };
    let (method, url, headers, body) = unwritten(url, bytes)
        .ok_or_else(|| TransportError::Broken("the request could not be read back".into()))?;
    let request = Outgoing::Request {
        method: &method,
        url: &url,
        headers: &headers,
        body: body.as_ref(),
    };
    transport.send(request, max_body).await
}

/// A request written out in full (head and body, to the host of `url`) read back into
/// its method, whole URL, headers (without `Host` and framing headers, which the other
/// transport writes itself) and body.
fn unwritten(
    url: &reqwest::Url,
    bytes: &[u8],
) -> Option<(Method, reqwest::Url, HeaderMap, Option<Bytes>)> {
    let naftiko_http1::Decoded::Ready(head) = naftiko_http1::decode_head(bytes, 100) else {
        return None;
    };
    let start = head.len;
    let end = start.checked_add(usize::try_from(head.body_len).ok()?)?;
    let body = bytes.get(start..end).map(Bytes::copy_from_slice);
    let parts = head.into_parts(&Bytes::copy_from_slice(bytes.get(..start)?));
    let mut whole = url.clone();
    whole.set_path(parts.uri.path());
    whole.set_query(parts.uri.query());
    let mut headers = HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        if name != http::header::HOST && !is_framing_header(name) {
            headers.append(name, value.clone());
        }
    }
    Some((parts.method, whole, headers, body.filter(|b| !b.is_empty())))
}

impl Transport for H1Client {
    fn send<'a>(&'a self, request: Outgoing<'a>, max_body: usize) -> Sending<'a> {
        Box::pin(self.send_any(request, max_body))
    }

    fn takes_written(&self) -> bool {
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_url_authority_as_host_and_their_length() {
        let client = H1Client::new(
            Duration::from_secs(1),
            "naftiko/test",
            Arc::new(LazyTls::default()),
        );
        let head = |url: &str, method: Method, body: Option<&Bytes>| {
            let url = reqwest::Url::parse(url).unwrap();
            let mut out =
                request_head(&method, &url, &HeaderMap::new(), &client.user_agent).unwrap();
            finish_request(&mut out, &method, body.map(|b| &b[..]));
            String::from_utf8(out).unwrap()
        };
        let text = head("http://127.0.0.1:9000/oauth2/token?a=1", Method::POST, None);
        assert!(
            text.starts_with("POST /oauth2/token?a=1 HTTP/1.1\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nhost: 127.0.0.1:9000\r\n"), "{text}");
        assert!(text.contains("\r\nuser-agent: naftiko/test\r\n"), "{text}");
        assert!(text.ends_with("\r\ncontent-length: 0\r\n\r\n"), "{text}");
        let text = head("http://example.com/x", Method::GET, None);
        assert!(text.contains("\r\nhost: example.com\r\n"), "{text}");
        assert!(!text.contains("content-length"), "{text}");
        let body = Bytes::from_static(b"a=b");
        let text = head("http://[::1]:8080/", Method::PUT, Some(&body));
        assert!(text.contains("\r\nhost: [::1]:8080\r\n"), "{text}");
        assert!(text.ends_with("\r\ncontent-length: 3\r\n\r\na=b"), "{text}");
    }
}
