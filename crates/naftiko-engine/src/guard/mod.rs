//! Inbound authentication: the [`Guard`] an exposes block's `authentication` puts in front
//! of every request it serves (REST routes, the MCP endpoint, the skill catalog, the control
//! port). The server asks [`Guard::check`] before it reads a body or calls the engine, and
//! answers a [`Denial`] as `application/problem+json` with its `WWW-Authenticate`
//! challenges (docs/semantics.md §5, "Inbound authentication").
//!
//! Schemes: `bearer`, `apikey` (header or query; the community `headers` map), `basic`,
//! `digest` (RFC 7616, MD5 and SHA-256) and `oauth2` (an OAuth 2.1 resource server, in
//! [`oauth2`]). Expected values were rendered from binds at build time; they are kept only
//! as SHA-256 digests and compared in constant time ([`compare`]). No credential, presented
//! or expected, ever goes into a denial's text.

mod compare;
mod digest;
pub mod oauth2;
mod request;
mod statics;

use std::sync::Arc;

pub(crate) use compare::Secret;
pub(crate) use digest::DigestGuard;
pub use request::{Denial, Presented};
pub(crate) use statics::KeyPlace;

/// The authentication one exposes block enforces.
#[derive(Debug)]
pub struct Guard {
    realm: String,
    scheme: Scheme,
}

#[derive(Debug)]
pub(crate) enum Scheme {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// Every listed key must be present with its value.
    ApiKey(Vec<(KeyPlace, Secret)>),
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: Secret, password: Secret },
    /// RFC 7616.
    Digest(DigestGuard),
    /// An OAuth 2.1 resource server.
    OAuth2(Arc<oauth2::ResourceServer>),
}

/// A guard equals only itself (guards are shared, never copied).
impl PartialEq for Guard {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Guard {
    /// A guard for `scheme`, naming `realm` (the exposes block's namespace) in challenges.
    pub(crate) fn new(realm: &str, scheme: Scheme) -> Guard {
        Guard {
            realm: realm.replace(['"', '\\'], "_"),
            scheme,
        }
    }

    /// The scheme's name, as the spec writes it.
    pub fn scheme_name(&self) -> &'static str {
        match self.scheme {
            Scheme::Bearer(_) => "bearer",
            Scheme::ApiKey(_) => "apikey",
            Scheme::Basic { .. } => "basic",
            Scheme::Digest(_) => "digest",
            Scheme::OAuth2(_) => "oauth2",
        }
    }

    /// The OAuth 2.1 resource server, whose protected-resource metadata (RFC 9728) the
    /// listener publishes.
    pub fn resource_server(&self) -> Option<&oauth2::ResourceServer> {
        match &self.scheme {
            Scheme::OAuth2(rs) => Some(rs),
            _ => None,
        }
    }

    /// `Ok` when the request may go on.
    ///
    /// # Errors
    /// The [`Denial`] to answer.
    pub async fn check(&self, p: &Presented<'_>) -> Result<(), Denial> {
        match &self.scheme {
            Scheme::Bearer(token) => statics::bearer(&self.realm, token, p),
            Scheme::ApiKey(keys) => statics::api_key(&self.realm, keys, p),
            Scheme::Basic { user, password } => statics::basic(&self.realm, user, password, p),
            Scheme::Digest(d) => d.check(&self.realm, p),
            Scheme::OAuth2(rs) => rs.check(p).await,
        }
    }
}
