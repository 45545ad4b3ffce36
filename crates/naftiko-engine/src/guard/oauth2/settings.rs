//! The resource server's settings and the words its parts share: what a valid token
//! grants ([`Grant`]), why one is refused ([`Refusal`]), and how issuers and URIs compare.

/// How access tokens are validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenValidation {
    /// JWT signatures against the authorization server's JWKS.
    Jwks,
    /// RFC 7662 token introspection.
    Introspection,
}

/// A resource server's settings, rendered from the file.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) issuer: String,
    pub(crate) resource: String,
    pub(crate) audience: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) validation: TokenValidation,
    /// Client credentials for the introspection endpoint.
    pub(crate) client: Option<(String, String)>,
}

/// What a valid token grants.
pub(crate) struct Grant {
    pub(crate) scopes: Vec<String>,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The token is not valid (a sentence saying which check failed).
    Invalid(&'static str),
    /// The authorization server could not be asked.
    Unavailable(&'static str),
}

/// `https://host:port` and the path (without query or fragment) of an absolute URI.
pub(crate) fn split_origin(uri: &str) -> (&str, &str) {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[after_scheme..]
        .find(['?', '#'])
        .map_or(uri.len(), |i| after_scheme + i);
    match uri[after_scheme..end].find('/') {
        Some(i) => (&uri[..after_scheme + i], &uri[after_scheme + i..end]),
        None => (&uri[..end], ""),
    }
}

/// An issuer without its trailing slash (issuers are compared that way).
pub(crate) fn trim_issuer(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}
