//! An upstream connection of the h1 client: plain TCP (`http://`) or TLS over TCP
//! (`https://`, rustls through tokio-rustls), read and written through one type
//! (`tcp_or_tls.rs`), and the check that an idle one is still usable.

use std::io;
use std::pin::Pin;
use std::task::{Context, Waker};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A connection to an upstream.
pub(crate) type Stream = crate::tcp_or_tls::TcpOrTls<TlsStream<TcpStream>>;

impl Stream {
    /// True when nothing was received on an idle connection: no close, no reset, no stray
    /// bytes (any of which makes it unusable).
    ///
    /// On TLS, records that carry no data are not stray bytes: a TLS 1.3 server may send
    /// session tickets or a key update at any time. So the TLS stream itself is polled once,
    /// without waiting (a no-op waker): rustls takes in whatever records arrived, and the
    /// connection is usable when that yields neither data nor an end (`close_notify`, EOF,
    /// an error), only "nothing yet".
    pub(crate) fn still_open(&mut self) -> bool {
        match self {
            Stream::Plain(s) => {
                let mut probe = [0u8; 1];
                matches!(s.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
            Stream::Tls(s) => {
                let mut probe = [0u8; 1];
                let mut buf = ReadBuf::new(&mut probe);
                let mut cx = Context::from_waker(Waker::noop());
                Pin::new(s.as_mut())
                    .poll_read(&mut cx, &mut buf)
                    .is_pending()
            }
        }
    }
}
