//! `oauth2` inbound authentication: naftiko as an OAuth 2.1 resource server.
//!
//! A request presents `Authorization: Bearer <access token>`. With `tokenValidation: jwks`
//! (the default) the token must be a JWT signed by a key of the authorization server's JWKS
//! ([`jwks`]), with `exp`, `nbf`, `iss` (the `authorizationServerUri`) and `aud` (the
//! `audience`, else the `resource`) checked; with `introspection` the authorization server
//! is asked (RFC 7662, [`introspection`]). Every scope in `scopes` must be granted.
//!
//! The authorization server's metadata ([`discovery`]) is fetched on first use, not at start,
//! so naftiko starts while the server is down; until it answers, requests with a token get
//! 503. Answers: 401 with `WWW-Authenticate: Bearer …` for a missing or invalid token, 403
//! with `error="insufficient_scope"` for a missing scope. Every challenge names the
//! protected-resource metadata document (RFC 9728, [`ProtectedResource`]) that the listener
//! publishes, so a client (an MCP client, say) can find the authorization server by itself.

mod discovery;
mod fetch;
mod introspection;
mod jwks;
mod settings;

use std::sync::Arc;

use serde_json::{Value, json};

use super::request::{Denial, NO_CREDENTIALS, Presented, authorization, quoted, unauthorized};
use crate::transport::{ClientOptions, Transport};

use discovery::Discovery;
pub(crate) use settings::Settings;
pub use settings::TokenValidation;
use settings::{Grant, Refusal, split_origin};

/// The protected-resource metadata document (RFC 9728) and where it is served.
#[derive(Debug, Clone)]
pub struct ProtectedResource {
    /// Paths answering it: `/.well-known/oauth-protected-resource` and, when the resource
    /// has a path, the path-suffixed form.
    pub paths: Vec<String>,
    /// Its absolute URL, as challenges name it.
    pub url: String,
    /// The JSON document.
    pub document: Value,
}

/// An OAuth 2.1 resource server.
#[derive(Debug)]
pub struct ResourceServer {
    realm: String,
    settings: Settings,
    discovery: Discovery,
    keys: jwks::Keys,
    introspection: introspection::Cache,
    metadata: ProtectedResource,
}

impl ResourceServer {
    pub(crate) fn new(
        realm: &str,
        settings: Settings,
        transport: Arc<dyn Transport>,
        client: ClientOptions,
    ) -> ResourceServer {
        let fetcher = Arc::new(fetch::Fetcher { transport, client });
        ResourceServer {
            realm: realm.to_owned(),
            metadata: protected_resource(&settings),
            discovery: Discovery::new(&settings.issuer, fetcher.clone()),
            keys: jwks::Keys::new(fetcher.clone()),
            introspection: introspection::Cache::new(fetcher),
            settings,
        }
    }

    /// The protected-resource metadata the listener publishes.
    pub fn protected_resource(&self) -> &ProtectedResource {
        &self.metadata
    }

    pub(crate) async fn check(&self, p: &Presented<'_>) -> Result<(), Denial> {
        let Some(token) = authorization(p, "Bearer") else {
            return Err(self.unauthorized(None, NO_CREDENTIALS));
        };
        let Ok(token) = std::str::from_utf8(token) else {
            return Err(self.unauthorized(Some("invalid_token"), "the token is not valid"));
        };
        let grant = match self.validate(token).await {
            Ok(g) => g,
            Err(Refusal::Invalid(why)) => return Err(self.unauthorized(Some("invalid_token"), why)),
            Err(Refusal::Unavailable(why)) => {
                return Err(Denial {
                    status: 503,
                    challenges: Vec::new(),
                    kind: "authentication-unavailable",
                    detail: why.to_owned(),
                });
            }
        };
        match self
            .settings
            .scopes
            .iter()
            .find(|s| !grant.scopes.contains(s))
        {
            None => Ok(()),
            Some(missing) => Err(self.forbidden(missing)),
        }
    }

    async fn validate(&self, token: &str) -> Result<Grant, Refusal> {
        let metadata = self.discovery.metadata().await?;
        match self.settings.validation {
            TokenValidation::Jwks => self.keys.verify(token, &metadata, &self.settings).await,
            TokenValidation::Introspection => {
                self.introspection
                    .introspect(token, &metadata, &self.settings)
                    .await
            }
        }
    }

    fn challenge(&self, params: &[(&str, &str)]) -> String {
        let mut out = format!("Bearer realm=\"{}\"", self.realm);
        for (k, v) in params {
            out.push_str(&format!(", {k}=\"{}\"", quoted(v)));
        }
        out.push_str(&format!(
            ", resource_metadata=\"{}\"",
            quoted(&self.metadata.url)
        ));
        out
    }

    fn unauthorized(&self, error: Option<&str>, detail: &str) -> Denial {
        let mut params = Vec::new();
        if let Some(e) = error {
            params.push(("error", e));
            params.push(("error_description", detail));
        }
        unauthorized(self.challenge(&params), detail)
    }

    fn forbidden(&self, missing: &str) -> Denial {
        let scope = self.settings.scopes.join(" ");
        let detail = format!("the token does not grant the scope `{missing}`");
        Denial {
            status: 403,
            challenges: vec![self.challenge(&[
                ("error", "insufficient_scope"),
                ("error_description", &detail),
                ("scope", &scope),
            ])],
            kind: "insufficient-scope",
            detail,
        }
    }
}

/// The metadata document of `s.resource` and the paths it is served at.
fn protected_resource(s: &Settings) -> ProtectedResource {
    const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";
    let (origin, path) = split_origin(&s.resource);
    let path = path.trim_end_matches('/');
    let mut paths = vec![WELL_KNOWN.to_owned()];
    if !path.is_empty() {
        paths.push(format!("{WELL_KNOWN}{path}"));
    }
    let url = format!("{origin}{}", paths[paths.len() - 1]);
    let mut document = json!({
        "resource": s.resource,
        "authorization_servers": [s.issuer],
        "bearer_methods_supported": ["header"],
    });
    if !s.scopes.is_empty() {
        document["scopes_supported"] = json!(s.scopes);
    }
    ProtectedResource {
        paths,
        url,
        document,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::transport::{Outgoing, Received, Sending, TransportError};

    /// An authorization server in memory: metadata, and introspection that calls every
    /// token `active` for `http://rs/api`; it records every URL asked for.
    #[derive(Debug, Default)]
    struct Recorded {
        asked: Mutex<Vec<String>>,
    }

    impl Transport for Recorded {
        fn send<'a>(&'a self, request: Outgoing<'a>, _max: usize) -> Sending<'a> {
            let url = match request {
                Outgoing::Request { url, .. } | Outgoing::Written { url, .. } => url.to_string(),
            };
            if let Ok(mut a) = self.asked.lock() {
                a.push(url.clone());
            }
            let body = if url.ends_with("/.well-known/oauth-authorization-server") {
                json!({"issuer": "http://as.test", "introspection_endpoint": "http://as.test/introspect",
                       "jwks_uri": "http://as.test/jwks"})
            } else if url.ends_with("/jwks") {
                json!({"keys": []})
            } else if url.ends_with("/introspect") {
                json!({"active": true, "aud": "http://rs/api", "scope": "read", "exp": 4_000_000_000u64})
            } else {
                return Box::pin(async { Err(TransportError::Connect("no such URL".into())) });
            };
            Box::pin(async move {
                Ok(Received {
                    status: 200,
                    head: crate::answer::Head::default(),
                    body: bytes::BytesMut::from(body.to_string().as_bytes()),
                })
            })
        }
    }

    /// `rs`'s verdict on a request presenting `Bearer <token>`.
    async fn check_bearer(rs: &ResourceServer, token: &str) -> Result<(), Denial> {
        let mut h = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(&format!("Bearer {token}")) {
            h.insert(http::header::AUTHORIZATION, v);
        }
        let p = Presented {
            headers: &h,
            query: None,
            method: "GET",
            target: "/",
        };
        rs.check(&p).await
    }

    #[tokio::test]
    async fn unknown_key_ids_force_at_most_one_key_fetch_per_interval() {
        use base64::Engine as _;
        let transport = Arc::new(Recorded::default());
        let mut s = settings("http://rs/api");
        s.issuer = "http://as.test".into();
        let rs = ResourceServer::new("r", s, transport.clone(), ClientOptions::default());
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        for kid in ["k1", "k2", "k3"] {
            let token = format!(
                "{}.{}.c2ln",
                b64(json!({"alg": "RS256", "kid": kid})),
                b64(json!({"iss": "http://as.test"}))
            );
            let denied = check_bearer(&rs, &token).await.err().map(|d| d.status);
            assert_eq!(denied, Some(401), "{kid}");
        }
        let asked = transport
            .asked
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default();
        assert_eq!(
            asked,
            [
                "http://as.test/.well-known/oauth-authorization-server",
                "http://as.test/jwks",
                "http://as.test/jwks",
            ],
            "the first fetch, one forced by an unknown kid, then none within the interval"
        );
    }

    #[tokio::test]
    async fn metadata_is_fetched_once_and_introspection_answers_are_cached() {
        let transport = Arc::new(Recorded::default());
        let mut s = settings("http://rs/api");
        s.issuer = "http://as.test".into();
        s.validation = TokenValidation::Introspection;
        s.client = Some(("id".into(), "secret".into()));
        let rs = ResourceServer::new("r", s, transport.clone(), ClientOptions::default());
        for token in ["one", "one", "two", "one"] {
            assert_eq!(check_bearer(&rs, token).await, Ok(()), "{token}");
        }
        let asked = transport
            .asked
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default();
        assert_eq!(
            asked,
            [
                "http://as.test/.well-known/oauth-authorization-server",
                "http://as.test/introspect",
                "http://as.test/introspect",
            ],
            "one metadata fetch, one introspection per distinct token"
        );
    }

    fn settings(resource: &str) -> Settings {
        Settings {
            issuer: "http://127.0.0.1:9/".into(),
            resource: resource.into(),
            audience: resource.into(),
            scopes: vec!["read".into()],
            validation: TokenValidation::Jwks,
            client: None,
        }
    }

    #[test]
    fn metadata_is_served_at_the_root_and_the_path_suffixed_form() {
        let m = protected_resource(&settings("http://127.0.0.1:8080/mcp"));
        assert_eq!(
            m.paths,
            [
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp"
            ]
        );
        assert_eq!(
            m.url,
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(m.document["resource"], "http://127.0.0.1:8080/mcp");
        assert_eq!(m.document["scopes_supported"], json!(["read"]));
        let root = protected_resource(&settings("http://127.0.0.1:8080"));
        assert_eq!(root.paths, ["/.well-known/oauth-protected-resource"]);
        assert_eq!(
            root.url,
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource"
        );
    }
}
