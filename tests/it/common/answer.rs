//! Answers as the differential tests compare them (`run_direct.rs`, `run_mcp_direct.rs`):
//! a raw request sent on its own connection, and the answer's status line, headers and body.

use std::net::SocketAddr;

use super::serve::raw_exchange_bytes;

/// An answer as compared: the status line, every header line but `Date` (as written, in
/// order) and the body bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: String,
    pub(crate) headers: Vec<String>,
    pub(crate) body: Vec<u8>,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} {:?}",
            self.status,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// Sends `request` and reads until the server closes the connection.
pub(crate) fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let out = raw_exchange_bytes(addr, request);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&out)));
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
        .map(str::to_owned)
        .collect();
    Answer {
        status,
        headers,
        body: out[split + 4..].to_vec(),
    }
}
