//! The authorization server's metadata: RFC 8414's `/.well-known/oauth-authorization-server`
//! first, then OpenID Connect's `/.well-known/openid-configuration`, fetched on first use and
//! kept for [`METADATA_LIFETIME`]. A failed fetch is not retried for [`RETRY_AFTER`], so a
//! flood of requests while the server is down does not become a flood of fetches.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::fetch::Fetcher;
use super::settings::{Refusal, split_origin, trim_issuer};

/// How long fetched metadata is used before it is fetched again.
const METADATA_LIFETIME: Duration = Duration::from_secs(3600);
/// How long after a failed fetch the next one may start.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// What the resource server uses of the metadata.
#[derive(Debug)]
pub(crate) struct Metadata {
    pub(crate) jwks_uri: Option<String>,
    pub(crate) introspection_endpoint: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    metadata: Option<(Arc<Metadata>, Instant)>,
    failed_at: Option<Instant>,
}

/// The metadata of one issuer, fetched once and shared.
#[derive(Debug)]
pub(crate) struct Discovery {
    issuer: String,
    urls: Vec<String>,
    fetcher: Arc<Fetcher>,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl Discovery {
    pub(super) fn new(issuer: &str, fetcher: Arc<Fetcher>) -> Discovery {
        Discovery {
            issuer: trim_issuer(issuer).to_owned(),
            urls: metadata_urls(issuer),
            fetcher,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> Result<Option<Arc<Metadata>>, Refusal> {
        let Ok(state) = self.state.read() else {
            return Err(UNAVAILABLE);
        };
        if let Some((m, at)) = &state.metadata
            && at.elapsed() < METADATA_LIFETIME
        {
            return Ok(Some(m.clone()));
        }
        if state.failed_at.is_some_and(|t| t.elapsed() < RETRY_AFTER) {
            return Err(UNAVAILABLE);
        }
        Ok(None)
    }

    /// The metadata, fetched when not known yet.
    pub(crate) async fn metadata(&self) -> Result<Arc<Metadata>, Refusal> {
        if let Some(m) = self.cached()? {
            return Ok(m);
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(m) = self.cached()? {
            return Ok(m);
        }
        let fetched = self.fetch().await;
        let Ok(mut state) = self.state.write() else {
            return Err(UNAVAILABLE);
        };
        match fetched {
            Some(m) => {
                let m = Arc::new(m);
                state.metadata = Some((m.clone(), Instant::now()));
                state.failed_at = None;
                Ok(m)
            }
            None => {
                state.failed_at = Some(Instant::now());
                // Known metadata outlives a failed refresh.
                state
                    .metadata
                    .as_ref()
                    .map(|(m, _)| m.clone())
                    .ok_or(UNAVAILABLE)
            }
        }
    }

    async fn fetch(&self) -> Option<Metadata> {
        for url in &self.urls {
            let Ok(v) = self.fetcher.get_json(url).await else {
                continue;
            };
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
            let issuer = text("issuer").unwrap_or_default();
            if trim_issuer(&issuer) != self.issuer {
                tracing::warn!(
                    target: "naftiko::auth",
                    "the authorization server's metadata names another issuer than `authorizationServerUri`; it is not used"
                );
                continue;
            }
            return Some(Metadata {
                jwks_uri: text("jwks_uri"),
                introspection_endpoint: text("introspection_endpoint"),
            });
        }
        tracing::warn!(
            target: "naftiko::auth",
            issuer = %self.issuer,
            "the authorization server's metadata could not be fetched"
        );
        None
    }
}

const UNAVAILABLE: Refusal = Refusal::Unavailable("the authorization server could not be reached");

/// Where the metadata of `issuer` may be: RFC 8414 inserts the well-known segment before
/// the issuer's path; OpenID Connect appends it (and some servers insert it too).
fn metadata_urls(issuer: &str) -> Vec<String> {
    let issuer = trim_issuer(issuer);
    let (origin, path) = split_origin(issuer);
    if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{issuer}/.well-known/openid-configuration"),
            format!("{origin}/.well-known/openid-configuration{path}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_follow_rfc_8414_then_openid_connect() {
        assert_eq!(
            metadata_urls("http://127.0.0.1:9/"),
            [
                "http://127.0.0.1:9/.well-known/oauth-authorization-server",
                "http://127.0.0.1:9/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("http://127.0.0.1:9/tenant"),
            [
                "http://127.0.0.1:9/.well-known/oauth-authorization-server/tenant",
                "http://127.0.0.1:9/tenant/.well-known/openid-configuration",
                "http://127.0.0.1:9/.well-known/openid-configuration/tenant"
            ]
        );
    }
}
