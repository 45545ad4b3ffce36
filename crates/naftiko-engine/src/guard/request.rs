//! What a guard reads and answers: the credentials a request presents ([`Presented`]), a
//! refusal ([`Denial`]), and the helpers every scheme shares to read `Authorization` and to
//! write challenges.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::inbound::HeaderLookup;

/// Seconds since the Unix epoch (0 if the clock is before it): what nonces, `exp` and `nbf`
/// are compared with.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// What a request presents to a guard.
pub struct Presented<'a> {
    /// Its headers.
    pub headers: &'a (dyn HeaderLookup + Sync),
    /// Its query string, when the target has one.
    pub query: Option<&'a str>,
    /// Its method.
    pub method: &'a str,
    /// Its request target as sent (path and query), which Digest answers repeat.
    pub target: &'a str,
}

/// Why a request was refused, and how to say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// 401 (no or bad credentials), 403 (a token without a required scope) or 503 (the
    /// authorization server could not be asked).
    pub status: u16,
    /// `WWW-Authenticate` values, one per challenge.
    pub challenges: Vec<String>,
    /// The problem type's last segment: `unauthorized`, `insufficient-scope` or
    /// `authentication-unavailable`.
    pub kind: &'static str,
    /// A sentence for the problem's `detail`; never a credential.
    pub detail: String,
}

/// A 401 with one challenge.
pub(crate) fn unauthorized(challenge: String, detail: &str) -> Denial {
    Denial {
        status: 401,
        challenges: vec![challenge],
        kind: "unauthorized",
        detail: detail.to_owned(),
    }
}

/// `value` as the content of a quoted-string (RFC 9110 §5.6.4).
pub(crate) fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `Authorization` header's credentials for `scheme` (case-insensitive), trimmed.
pub(crate) fn authorization<'h>(p: &Presented<'h>, scheme: &str) -> Option<&'h [u8]> {
    let value = p.headers.header("authorization")?;
    let n = scheme.len();
    if value.len() > n && value[..n].eq_ignore_ascii_case(scheme.as_bytes()) && value[n] == b' ' {
        Some(value[n + 1..].trim_ascii())
    } else {
        None
    }
}

/// Detail texts shared by the schemes.
pub(crate) const NO_CREDENTIALS: &str = "this endpoint needs credentials and the request has none";
pub(crate) const BAD_CREDENTIALS: &str = "the request's credentials are not valid";
