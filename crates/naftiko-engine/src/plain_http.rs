//! naftiko's own HTTP/1.1 client for plain-`http://` upstreams reached without a proxy.
//!
//! hyper-util's pooled client ran every upstream connection as a task of its own, with a
//! channel hop, a pool behind a lock and `Request`/`Response` plumbing around each call: a
//! quarter of the instructions of a proxied request. Here the calling task does the whole
//! exchange itself: it takes an idle connection (or opens one), writes the request in one
//! `write`, parses the answer head in place with `httparse`, reads the body, and puts the
//! connection back when the answer allows it.
//!
//! Answers are read per RFC 9112 §6.3: no body for `HEAD`, 1xx, 204 and 304; chunked when
//! the last transfer coding is `chunked` ([`Chunked`], fuzzed); a `Content-Length` (several
//! must agree); otherwise until the server closes. Interim 1xx answers are skipped. Heads
//! are limited to 64 KiB and 100 headers, bodies to the caller's limit. A connection is
//! reused only after a complete, framed answer without `Connection: close`; an idle one is
//! checked for a close by the server before it is reused, and dropped after 90 s.

use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::upstream::Head;

/// Largest answer head read.
const MAX_HEAD: usize = 64 * 1024;
/// Most headers an answer may carry.
const MAX_HEADERS: usize = 100;
/// Idle connections kept per upstream.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum PlainError {
    /// The connection could not be opened.
    Connect(String),
    /// The exchange broke off, or the answer was not HTTP/1.1 as it should be.
    Broken(String),
    /// The answer is larger than the limit.
    TooLarge,
}

/// An answer: status, the headers naftiko keeps, and the whole body.
#[derive(Debug)]
pub(crate) struct PlainAnswer {
    pub(crate) status: u16,
    pub(crate) head: Head,
    pub(crate) body: BytesMut,
}

/// Where a request goes, from its URL.
struct Target<'u> {
    host: &'u str,
    port: u16,
    /// The port is written in the URL (so it belongs in the `Host` header).
    explicit_port: bool,
    /// Path and query.
    path: &'u str,
    query: Option<&'u str>,
}

impl<'u> Target<'u> {
    fn of(url: &'u reqwest::Url) -> Result<Self, PlainError> {
        let host = url
            .host_str()
            .ok_or_else(|| PlainError::Connect("the URL has no host".into()))?;
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Target {
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
    host: String,
    port: u16,
    stream: TcpStream,
}

/// An idle connection.
#[derive(Debug)]
struct Idle {
    conn: Conn,
    since: Instant,
}

/// The client of one consumed API: settings and idle connections.
#[derive(Debug)]
pub(crate) struct PlainClient {
    connect_timeout: Duration,
    user_agent: HeaderValue,
    idle: Mutex<Vec<Idle>>,
}

impl PlainClient {
    /// A client with this connect timeout and default `User-Agent`.
    pub(crate) fn new(connect_timeout: Duration, user_agent: &'static str) -> Self {
        PlainClient {
            connect_timeout,
            user_agent: HeaderValue::from_static(user_agent),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one request and reads the whole answer (at most `max_body` bytes of body).
    pub(crate) async fn send(
        &self,
        method: &Method,
        url: &reqwest::Url,
        headers: &HeaderMap,
        body: Option<&Bytes>,
        max_body: usize,
    ) -> Result<PlainAnswer, PlainError> {
        let target = Target::of(url)?;
        let mut request = self.request_head(method, &target, headers);
        finish_request(&mut request, method, body.map(|b| &b[..]));
        self.exchange(url, &request, method == Method::HEAD, max_body)
            .await
    }

    /// Sends `request` (head and body, as [`PlainClient::request_head`] and
    /// [`finish_request`] write them) to the host of `url` and reads the whole answer.
    pub(crate) async fn exchange(
        &self,
        url: &reqwest::Url,
        request: &[u8],
        is_head: bool,
        max_body: usize,
    ) -> Result<PlainAnswer, PlainError> {
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
                    host: target.host.to_owned(),
                    port: target.port,
                    stream,
                };
                (conn, false)
            }
        };
        if let Err(e) = conn.stream.write_all(request).await {
            if !reused {
                return Err(PlainError::Broken(format!(
                    "sending the request failed: {e}"
                )));
            }
            // The server closed the kept-alive connection before reading anything: the
            // request did not reach it, so send it once more on a new connection.
            conn.stream = Box::pin(self.connect(&target)).await?;
            conn.stream
                .write_all(request)
                .await
                .map_err(|e| PlainError::Broken(format!("sending the request failed: {e}")))?;
        }
        let (answer, reusable) = read_answer(&mut conn.stream, is_head, max_body).await?;
        if reusable {
            self.checkin(conn, now);
        }
        Ok(answer)
    }

    /// The request line and headers of a request to `url`, without `Content-Length` and
    /// the blank line: [`finish_request`] adds those and the body. `Host` and `User-Agent`
    /// are added unless `headers` has them; framing headers in `headers` are ignored.
    pub(crate) fn request_head_for(
        &self,
        method: &Method,
        url: &reqwest::Url,
        headers: &HeaderMap,
    ) -> Result<Vec<u8>, PlainError> {
        Ok(self.request_head(method, &Target::of(url)?, headers))
    }

    fn request_head(&self, method: &Method, target: &Target<'_>, headers: &HeaderMap) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.path.as_bytes());
        if let Some(q) = target.query {
            out.push(b'?');
            out.extend_from_slice(q.as_bytes());
        }
        out.extend_from_slice(b" HTTP/1.1\r\n");
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
            push_header(&mut out, "user-agent", self.user_agent.as_bytes());
        }
        for (name, value) in headers {
            if name == http::header::CONTENT_LENGTH
                || name == http::header::TRANSFER_ENCODING
                || name == http::header::CONNECTION
            {
                continue;
            }
            push_header(&mut out, name.as_str(), value.as_bytes());
        }
        out
    }

    async fn connect(&self, target: &Target<'_>) -> Result<TcpStream, PlainError> {
        let connecting = async {
            // An IP literal needs no lookup; a name goes through the system resolver.
            match target
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
            {
                Ok(ip) => TcpStream::connect(SocketAddr::new(ip, target.port)).await,
                Err(_) => TcpStream::connect((target.host, target.port)).await,
            }
        };
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(PlainError::Connect(format!("connection failed: {e}"))),
            Err(_) => {
                return Err(PlainError::Connect(format!(
                    "connection failed: no connection within {} ms",
                    self.connect_timeout.as_millis()
                )));
            }
        };
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }

    /// The most recently used idle connection to the target that is still open.
    fn checkout(&self, target: &Target<'_>, now: Instant) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(i) = idle
            .iter()
            .rposition(|c| c.conn.port == target.port && c.conn.host == target.host)
        {
            let c = idle.swap_remove(i);
            if now.saturating_duration_since(c.since) < IDLE_TIMEOUT && still_open(&c.conn.stream) {
                return Some(c.conn);
            }
        }
        None
    }

    fn checkin(&self, conn: Conn, since: Instant) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(Idle { conn, since });
    }
}

/// True when nothing was received on an idle connection: no close, no reset, no stray
/// bytes (any of which makes it unusable).
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Ends a request whose head [`PlainClient::request_head_for`] wrote: `Content-Length`
/// (whenever there is a body, and for `POST`, `PUT` and `PATCH` without one), the blank
/// line and the body.
pub(crate) fn finish_request(out: &mut Vec<u8>, method: &Method, body: Option<&[u8]>) {
    let needs_length =
        body.is_some() || matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if needs_length {
        push_header(
            out,
            "content-length",
            itoa::Buffer::new()
                .format(body.map_or(0, <[u8]>::len))
                .as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
}

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// A parsed answer head.
struct AnswerHead {
    len: usize,
    status: u16,
    head: Head,
    framing: Framing,
    keep_alive: bool,
}

/// Parses the answer head at the start of `buf`: `Ok(None)` when incomplete.
fn parse_head(buf: &[u8], is_head: bool) -> Result<Option<AnswerHead>, PlainError> {
    // Uninitialised slots: filling 100 empty headers cost more than parsing a head.
    let mut slots =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut slots,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(PlainError::Broken(format!(
                "the answer is not HTTP/1.1: {e}"
            )));
        }
    };
    let status = response.code.unwrap_or(0);
    let mut head = Head::default();
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut coded = false;
    let mut close = response.version != Some(1);
    for h in response.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            for part in h.value.split(|b| *b == b',') {
                let n = std::str::from_utf8(part.trim_ascii())
                    .ok()
                    .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| {
                        PlainError::Broken("the answer's Content-Length is not a number".into())
                    })?;
                if length.is_some_and(|l| l != n) {
                    return Err(PlainError::Broken(
                        "the answer has conflicting Content-Length headers".into(),
                    ));
                }
                length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            coded = true;
            // Only the last coding counts: it says whether the body is chunked.
            let last = h.value.rsplit(|b| *b == b',').next().unwrap_or_default();
            chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= h
                .value
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
        head.note(name, h.value);
    }
    let framing = if is_head || status < 200 || status == 204 || status == 304 {
        Framing::None
    } else if coded {
        // With both, the coding wins, and the connection must not be reused (RFC 9112).
        close |= length.is_some();
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    Ok(Some(AnswerHead {
        len,
        status,
        head,
        framing,
        keep_alive: !close && framing != Framing::UntilClose,
    }))
}

async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<usize, PlainError> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(8192);
    }
    stream
        .read_buf(buf)
        .await
        .map_err(|e| PlainError::Broken(format!("the answer broke off: {e}")))
}

/// Reads one answer; also says whether the connection can be reused.
async fn read_answer(
    stream: &mut TcpStream,
    is_head: bool,
    max_body: usize,
) -> Result<(PlainAnswer, bool), PlainError> {
    let mut buf = BytesMut::with_capacity(8192);
    let head = loop {
        if !buf.is_empty() {
            if let Some(head) = parse_head(&buf, is_head)? {
                buf.advance(head.len);
                // Interim answers (100 Continue and the like) precede the real one.
                if (100..200).contains(&head.status) && head.status != 101 {
                    continue;
                }
                if head.status == 101 {
                    return Err(PlainError::Broken("the upstream switched protocols".into()));
                }
                break head;
            }
            if buf.len() > MAX_HEAD {
                return Err(PlainError::Broken(format!(
                    "the answer head is larger than {MAX_HEAD} bytes"
                )));
            }
        }
        if read_more(stream, &mut buf).await? == 0 {
            return Err(PlainError::Broken(if buf.is_empty() {
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
                return Err(PlainError::TooLarge);
            }
            let n = usize::try_from(n).map_err(|_| PlainError::TooLarge)?;
            while buf.len() < n {
                if read_more(stream, &mut buf).await? == 0 {
                    return Err(PlainError::Broken(format!(
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
                    return Err(PlainError::Broken(
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
                    return Err(PlainError::TooLarge);
                }
            }
            if buf.len() > max_body {
                return Err(PlainError::TooLarge);
            }
            buf
        }
    };
    Ok((
        PlainAnswer {
            status: head.status,
            head: head.head,
            body,
        },
        keep_alive,
    ))
}

/// Decoder state of a chunked body.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum ChunkState {
    /// Expecting a chunk-size line.
    #[default]
    Size,
    /// Inside chunk data, this many bytes to go.
    Data(u64),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// Reading trailer lines, until an empty one; the bytes of trailers so far.
    Trailers(usize),
    /// The body is complete.
    Done,
}

/// A chunked-body decoder (RFC 9112 §7.1) fed with whatever bytes have arrived.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
}

/// Longest chunk-size line (with extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// Most trailer bytes accepted.
const MAX_TRAILERS: usize = 64 * 1024;

impl Chunked {
    /// Consumes what it can of `input`, appending chunk data to `out` (at most `max`
    /// bytes in all). `Ok(true)` once the body, trailers included, is complete; the bytes
    /// after it stay in `input`.
    ///
    /// # Errors
    /// A malformed size line or chunk end, or more than `max` bytes of data.
    pub fn feed(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
        max: usize,
    ) -> Result<bool, ChunkError> {
        loop {
            match self.state {
                ChunkState::Done => return Ok(true),
                ChunkState::Size => {
                    let Some(end) = find_crlf(input) else {
                        if input.len() > MAX_SIZE_LINE {
                            return Err(ChunkError::Malformed("a chunk-size line is too long"));
                        }
                        return Ok(false);
                    };
                    let size = chunk_size(&input[..end])?;
                    input.advance(end + 2);
                    if out.len() as u64 + size > max as u64 {
                        return Err(ChunkError::TooLarge);
                    }
                    self.state = if size == 0 {
                        ChunkState::Trailers(0)
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(rest) => {
                    if input.is_empty() {
                        return Ok(false);
                    }
                    let take = usize::try_from(rest).unwrap_or(usize::MAX).min(input.len());
                    out.extend_from_slice(&input[..take]);
                    input.advance(take);
                    let rest = rest - take as u64;
                    self.state = if rest == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(rest)
                    };
                }
                ChunkState::DataEnd => {
                    if input.len() < 2 {
                        return Ok(false);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(ChunkError::Malformed("chunk data is not followed by CRLF"));
                    }
                    input.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers(seen) => {
                    let Some(end) = find_crlf(input) else {
                        if seen + input.len() > MAX_TRAILERS {
                            return Err(ChunkError::Malformed("the trailers are too large"));
                        }
                        return Ok(false);
                    };
                    if input[..end].contains(&b'\n') {
                        return Err(ChunkError::Malformed("a trailer line holds a bare LF"));
                    }
                    input.advance(end + 2);
                    self.state = if end == 0 {
                        ChunkState::Done
                    } else if seen + end + 2 > MAX_TRAILERS {
                        return Err(ChunkError::Malformed("the trailers are too large"));
                    } else {
                        ChunkState::Trailers(seen + end + 2)
                    };
                }
            }
        }
    }
}

/// Why a chunked body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    /// Not valid chunked coding.
    Malformed(&'static str),
    /// More data than the limit.
    TooLarge,
}

impl From<ChunkError> for PlainError {
    fn from(e: ChunkError) -> Self {
        match e {
            ChunkError::Malformed(what) => {
                PlainError::Broken(format!("the chunked answer is malformed: {what}"))
            }
            ChunkError::TooLarge => PlainError::TooLarge,
        }
    }
}

fn find_crlf(input: &[u8]) -> Option<usize> {
    input.windows(2).position(|w| w == b"\r\n")
}

/// The size of a chunk-size line: 1 to 16 hex digits, then optional blanks and `;`
/// extensions (ignored); no bare CR or LF.
fn chunk_size(line: &[u8]) -> Result<u64, ChunkError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return Err(ChunkError::Malformed("a chunk size is not a hex number"));
    }
    let rest = &line[digits..];
    let rest_ok = rest.iter().all(|b| *b != b'\r' && *b != b'\n')
        && (rest.trim_ascii_start().is_empty() || rest.trim_ascii_start().starts_with(b";"));
    if !rest_ok {
        return Err(ChunkError::Malformed(
            "a chunk-size line has trailing garbage",
        ));
    }
    let text = std::str::from_utf8(&line[..digits])
        .map_err(|_| ChunkError::Malformed("a chunk size is not a hex number"))?;
    u64::from_str_radix(text, 16).map_err(|_| ChunkError::Malformed("a chunk size is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(
        wire: &[u8],
        splits: &[usize],
        max: usize,
    ) -> Result<(Vec<u8>, Vec<u8>), ChunkError> {
        let mut decoder = Chunked::default();
        let mut input = BytesMut::new();
        let mut out = BytesMut::new();
        let mut at = 0;
        let mut cuts: Vec<usize> = splits.iter().map(|s| s % (wire.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(wire.len());
        for cut in cuts {
            if cut < at {
                continue;
            }
            input.extend_from_slice(&wire[at..cut]);
            at = cut;
            if decoder.feed(&mut input, &mut out, max)? {
                // What follows the body: what the decoder left, then what was not fed yet.
                let mut after = input.to_vec();
                after.extend_from_slice(&wire[at..]);
                return Ok((out.to_vec(), after));
            }
        }
        Err(ChunkError::Malformed("incomplete"))
    }

    fn encode(data: &[u8], sizes: &[usize]) -> Vec<u8> {
        let mut wire = Vec::new();
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes.get(i).copied().unwrap_or(7).clamp(1, rest.len());
            wire.extend_from_slice(format!("{n:X};ext=1\r\n").as_bytes());
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        wire.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
        wire
    }

    proptest! {
        /// Any data, in any chunk sizes, arriving in any pieces, decodes to itself, and
        /// the bytes after the body are left alone.
        #[test]
        fn chunked_round_trips(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            sizes in proptest::collection::vec(1usize..50, 0..40),
            splits in proptest::collection::vec(any::<usize>(), 0..10),
        ) {
            let mut wire = encode(&data, &sizes);
            wire.extend_from_slice(b"NEXT");
            let (out, after) = decode_all(&wire, &splits, 1 << 20).unwrap();
            prop_assert_eq!(out, data);
            prop_assert_eq!(after, b"NEXT".to_vec());
        }
    }

    #[test]
    fn requests_carry_the_url_authority_as_host_and_their_length() {
        let client = PlainClient::new(Duration::from_secs(1), "naftiko/test");
        let head = |url: &str, method: Method, body: Option<&Bytes>| {
            let url = reqwest::Url::parse(url).unwrap();
            let mut out = client
                .request_head_for(&method, &url, &HeaderMap::new())
                .unwrap();
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

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        for wire in [
            &b"zz\r\nabc\r\n0\r\n\r\n"[..],
            b"3\r\nabcX\r\n0\r\n\r\n",
            b"3 x\r\nabc\r\n0\r\n\r\n",
            b"-3\r\nabc\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"3\nabc\r\n0\r\n\r\n",
        ] {
            assert!(
                matches!(
                    decode_all(wire, &[], 1 << 20),
                    Err(ChunkError::Malformed(_))
                ),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        assert_eq!(
            decode_all(b"10\r\n0123456789abcdef\r\n0\r\n\r\n", &[], 8),
            Err(ChunkError::TooLarge)
        );
    }

    #[test]
    fn answer_heads_frame_their_bodies() {
        let framing = |head: &str, is_head| {
            parse_head(head.as_bytes(), is_head)
                .unwrap()
                .map(|h| (h.framing, h.keep_alive))
        };
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false),
            Some((Framing::Length(5), true))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", false),
            Some((Framing::Length(5), true))
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                false
            ),
            Some((Framing::Chunked, true))
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                false
            ),
            Some((Framing::Chunked, false))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\n\r\n", false),
            Some((Framing::UntilClose, false))
        );
        assert_eq!(
            framing(
                "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
                false
            ),
            Some((Framing::None, true))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true),
            Some((Framing::None, true))
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n",
                false
            ),
            Some((Framing::Length(9), false))
        );
        assert_eq!(
            framing("HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\n", false),
            Some((Framing::Length(9), false))
        );
        assert_eq!(framing("HTTP/1.1 200 OK\r\nContent-Le", false), None);
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
            "GARBAGE\r\n\r\n",
        ] {
            assert!(parse_head(bad.as_bytes(), false).is_err(), "{bad}");
        }
    }
}
