//! Digest (RFC 7616) on a forward. Its credentials answer the upstream's challenge, and a
//! streamed body cannot be sent twice, so the challenge comes first, from a probe: the
//! same request without its body (`Content-Length: 0` in place of a body, as curl does
//! for `--digest` with a body). An upstream that requires Digest refuses the probe with a
//! 401 and a challenge; the real request then goes once, with the answer to it.
//!
//! A request without a body is its own probe: when it is not refused, its answer is the
//! forward's. A probe refused without a Digest challenge naftiko can answer passes its 401
//! back. A probe for a request with a body that is not refused at all is a 502: the upstream
//! does not challenge, and the body was not sent (docs/semantics.md §5).

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderValue, WWW_AUTHENTICATE};

use crate::auth::{Applied, Auth};
use crate::error::InvokeError;
use crate::prepared::Prepared;
use crate::scope::BindsOnly;

/// What the probe came to.
pub(super) enum Probe {
    /// The request now carries the answer to the upstream's challenge: send it.
    Challenged,
    /// This is the forward's answer (the probe was the request itself, or its 401 cannot
    /// be answered).
    Answered(reqwest::Response),
}

/// The probe for `prepared` (a request with a body unless `bodiless`): its copy without the
/// body, and the empty body it sends in place of one.
pub(super) fn probe(prepared: &Prepared, bodiless: bool) -> (Prepared, Option<reqwest::Body>) {
    let mut probe = Prepared {
        method: prepared.method.clone(),
        url: prepared.url.clone(),
        headers: prepared.headers.clone(),
        body: None,
    };
    let body = if bodiless {
        None
    } else {
        probe
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        Some(reqwest::Body::from(Bytes::new()))
    };
    (probe, body)
}

/// What the probe's answer `response` means for the request `prepared`: when the upstream
/// challenged it, the answer to the challenge is added to `prepared`'s headers.
///
/// # Errors
/// A request with a body whose probe is not refused is an [`InvokeError::UpstreamAuth`]
/// (502); credentials that do not make a header value, likewise.
pub(super) fn challenged(
    response: reqwest::Response,
    bodiless: bool,
    prepared: &mut Prepared,
    auth: &Auth,
    binds: &[Option<String>],
    namespace: &str,
) -> Result<Probe, InvokeError> {
    if response.status() != http::StatusCode::UNAUTHORIZED {
        if bodiless {
            return Ok(Probe::Answered(response));
        }
        let detail = format!(
            "the upstream answered {} to the request without its body, not a Digest \
             challenge; the body was not sent",
            response.status().as_u16()
        );
        return Err(InvokeError::UpstreamAuth {
            namespace: namespace.to_owned(),
            detail,
        });
    }
    let challenge = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with("Digest"));
    let scope = BindsOnly(binds);
    let answered =
        auth.on_unauthorized(prepared, Applied::default(), challenge, &scope, namespace)?;
    Ok(if answered {
        Probe::Challenged
    } else {
        Probe::Answered(response)
    })
}
