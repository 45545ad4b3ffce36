//! An accepted connection: plain TCP, or TLS over TCP once its handshake is done. Both
//! connection loops (naftiko's h1 loop and hyper) read and write through it; the type is
//! the engine's `TcpOrTls`, which the h1 client's upstream connections use too.

use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A connection.
pub(crate) type Stream = naftiko_engine::tcp_or_tls::TcpOrTls<TlsStream<TcpStream>>;
