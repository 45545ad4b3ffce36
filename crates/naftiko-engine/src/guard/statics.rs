//! The static-credential schemes: `bearer`, `apikey` and `basic`. Each compares what the
//! request presents with values rendered from binds at build time ([`Secret`]), and every
//! comparison runs whatever the earlier ones gave, so a refusal takes the same steps
//! whichever part was wrong.

use base64::Engine as _;

use super::compare::Secret;
use super::request::{
    BAD_CREDENTIALS, Denial, NO_CREDENTIALS, Presented, authorization, quoted, unauthorized,
};

/// Where an API key is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyPlace {
    /// A request header (name lowercased).
    Header(String),
    /// A query parameter.
    Query(String),
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1).
pub(super) fn bearer(realm: &str, token: &Secret, p: &Presented<'_>) -> Result<(), Denial> {
    let challenge = |error: &str| format!("Bearer realm=\"{realm}\"{error}");
    match authorization(p, "Bearer") {
        None => Err(unauthorized(challenge(""), NO_CREDENTIALS)),
        Some(presented) if token.matches(presented) => Ok(()),
        Some(_) => Err(unauthorized(
            challenge(", error=\"invalid_token\""),
            BAD_CREDENTIALS,
        )),
    }
}

/// Every key of `keys`, in its header or query parameter.
pub(super) fn api_key(
    realm: &str,
    keys: &[(KeyPlace, Secret)],
    p: &Presented<'_>,
) -> Result<(), Denial> {
    let mut all_present = true;
    let mut all_match = true;
    for (place, expected) in keys {
        let presented = match place {
            KeyPlace::Header(name) => p.headers.header(name).map(<[u8]>::to_vec),
            KeyPlace::Query(name) => query_value(p.query, name),
        };
        match presented {
            Some(v) => all_match &= expected.matches(&v),
            None => {
                all_present = false;
                all_match = false;
            }
        }
    }
    if all_match {
        return Ok(());
    }
    let (place, name) = match keys.first() {
        Some((KeyPlace::Header(n), _)) => ("header", n.as_str()),
        Some((KeyPlace::Query(n), _)) => ("query", n.as_str()),
        None => ("header", ""),
    };
    let challenge = format!(
        "ApiKey realm=\"{realm}\", in=\"{place}\", name=\"{}\"",
        quoted(name)
    );
    let detail = if all_present {
        BAD_CREDENTIALS
    } else {
        NO_CREDENTIALS
    };
    Err(unauthorized(challenge, detail))
}

/// The first value of the query parameter `name`, decoded.
fn query_value(query: Option<&str>, name: &str) -> Option<Vec<u8>> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned().into_bytes())
}

/// `Authorization: Basic base64(user:password)` (RFC 7617).
pub(super) fn basic(
    realm: &str,
    user: &Secret,
    password: &Secret,
    p: &Presented<'_>,
) -> Result<(), Denial> {
    let challenge = format!("Basic realm=\"{realm}\", charset=\"UTF-8\"");
    let Some(encoded) = authorization(p, "Basic") else {
        return Err(unauthorized(challenge, NO_CREDENTIALS));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_default();
    let colon = decoded
        .iter()
        .position(|b| *b == b':')
        .unwrap_or(decoded.len());
    let (u, rest) = decoded.split_at(colon);
    let pw = rest.get(1..).unwrap_or_default();
    // Both comparisons always run (`&`, not `&&`).
    if user.matches(u) & password.matches(pw) & (colon < decoded.len()) {
        Ok(())
    } else {
        Err(unauthorized(challenge, BAD_CREDENTIALS))
    }
}
