//! The limits on inbound connections and requests every listener applies (the h1 loop
//! and hyper's), with their defaults.

use std::time::Duration;

/// Limits on inbound connections and requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time allowed to receive a request's headers (slow-loris defence); the connection is
    /// closed when it elapses.
    pub header_read_timeout: Duration,
    /// Most headers a request may carry (431 above it).
    pub max_headers: usize,
    /// Largest request head, in bytes (431 above it; at least 8 KiB).
    pub max_header_bytes: usize,
    /// Time allowed to receive a request's body once its headers arrived (408 after it).
    pub body_read_timeout: Duration,
    /// Requests answered at once; more get 503 with `Retry-After` (load shedding).
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            body_read_timeout: Duration::from_secs(30),
            max_concurrency: 1024,
        }
    }
}
