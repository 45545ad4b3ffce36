//! A rendered upstream request: what a consumed operation's templates made of one call,
//! before authentication adds its credentials and a transport sends it.

use bytes::Bytes;

/// A rendered upstream request.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) method: reqwest::Method,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Option<Bytes>,
}
