//! HTTP/1.1 on the wire (RFC 9112), one implementation for both sides of naftiko: the REST
//! server's own connection loop (`naftiko-server`'s `h1`) and the upstream client
//! (`naftiko-engine`'s `h1_client`), in the way Pingora's `protocols/http/v1/common.rs`
//! serves its server and client.
//!
//! - [`fields`]: what a header name and value may hold; writing header lines.
//! - [`framing`]: how a message's body is delimited: `Content-Length` (one rule: a list of
//!   equal decimal values, as hyper has it), `Transfer-Encoding`, `Connection`.
//! - [`chunked`]: the chunked-body decoder.
//! - [`request`]: request heads, decoded in place for the server.
//! - [`response`]: answer heads, parsed in place for the client.
//! - [`write`]: writing requests for the client.
//! - [`trace_context`]: `traceparent`, `tracestate` and `X-Request-Id`, read and written.
//!
//! Nothing here does I/O: callers read and write, these functions decide. Every decoder is
//! fuzzed (`fuzz/`).

pub mod chunked;
pub mod fields;
pub mod framing;
pub mod request;
pub mod response;
pub mod trace_context;
pub mod write;

pub use chunked::{ChunkError, Chunked};
pub use request::{Decoded, Head, decode_head};
