//! `tokenValidation: jwks`: a JWT access token's signature is checked against the
//! authorization server's JWKS (the `jwks_uri` of its metadata), then its claims.
//!
//! Keys are cached for [`KEYS_LIFETIME`]. A token naming a key id the cache lacks makes one
//! fetch of the set (the server rotated its keys), but such forced fetches happen at most once
//! per [`MIN_FORCED_REFRESH`], so tokens with made-up key ids cannot flood the server.
//! Only asymmetric algorithms are accepted (RS*, PS*, ES256, ES384, EdDSA): a token claiming
//! HS256 is refused, never checked with a public key as a shared secret. Claims: `exp` is
//! required and `nbf` checked (with [`LEEWAY`] for clock skew), `iss` must be the
//! `authorizationServerUri` (trailing slash aside) and `aud` must contain the audience.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::discovery::Metadata;
use super::fetch::Fetcher;
use super::settings::{Grant, Refusal, Settings, trim_issuer};

/// How long a fetched key set is used.
const KEYS_LIFETIME: Duration = Duration::from_secs(300);
/// The shortest time between two fetches forced by an unknown key id.
const MIN_FORCED_REFRESH: Duration = Duration::from_secs(5);
/// Clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY: u64 = 5;

const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

#[derive(Debug, Default)]
struct State {
    set: Option<(Arc<JwkSet>, Instant)>,
    forced_at: Option<Instant>,
}

/// The cached key set of one authorization server.
#[derive(Debug)]
pub(super) struct Keys {
    fetcher: Arc<Fetcher>,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl Keys {
    pub(super) fn new(fetcher: Arc<Fetcher>) -> Keys {
        Keys {
            fetcher,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The grant of a valid `token`.
    pub(super) async fn verify(
        &self,
        token: &str,
        metadata: &Metadata,
        settings: &Settings,
    ) -> Result<Grant, Refusal> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Invalid("the token is not a signed JWT"))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Refusal::Invalid(
                "the token's signing algorithm is not accepted",
            ));
        }
        let Some(jwks_uri) = metadata.jwks_uri.as_deref() else {
            return Err(Refusal::Unavailable(
                "the authorization server publishes no `jwks_uri`",
            ));
        };
        let jwk = self.key(jwks_uri, header.kid.as_deref()).await?;
        if jwk
            .common
            .key_algorithm
            .is_some_and(|a| a.to_string() != format!("{:?}", header.alg))
        {
            return Err(Refusal::Invalid(
                "the token's signing algorithm is not its key's",
            ));
        }
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| Refusal::Invalid("the token's signing key is not usable"))?;
        let issuer = trim_issuer(&settings.issuer);
        let mut v = Validation::new(header.alg);
        v.leeway = LEEWAY;
        v.validate_nbf = true;
        v.set_issuer(&[issuer.to_owned(), format!("{issuer}/")]);
        v.set_audience(&[settings.audience.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &v)
            .map_err(|e| Refusal::Invalid(reason(e.kind())))?;
        Ok(Grant {
            scopes: scopes(&data.claims),
        })
    }

    /// The key `kid` names (the only key when the token names none).
    async fn key(&self, jwks_uri: &str, kid: Option<&str>) -> Result<Jwk, Refusal> {
        let (cached, may_force) = {
            let Ok(state) = self.state.read() else {
                return Err(UNAVAILABLE);
            };
            let fresh = state
                .set
                .as_ref()
                .filter(|(_, at)| at.elapsed() < KEYS_LIFETIME)
                .map(|(s, _)| s.clone());
            let may_force = state
                .forced_at
                .is_none_or(|t| t.elapsed() >= MIN_FORCED_REFRESH);
            (fresh, may_force)
        };
        if let Some(set) = &cached {
            if let Some(k) = find(set, kid) {
                return Ok(k);
            }
            if !may_force {
                return Err(UNKNOWN_KEY);
            }
        }
        let set = self.refresh(jwks_uri, cached.is_some()).await?;
        find(&set, kid).ok_or(UNKNOWN_KEY)
    }

    /// Fetches the set (one fetch at a time); `forced` marks a fetch for an unknown key id.
    async fn refresh(&self, jwks_uri: &str, forced: bool) -> Result<Arc<JwkSet>, Refusal> {
        let _one_at_a_time = self.fetching.lock().await;
        let value = self.fetcher.get_json(jwks_uri).await;
        let Ok(mut state) = self.state.write() else {
            return Err(UNAVAILABLE);
        };
        if forced {
            state.forced_at = Some(Instant::now());
        }
        let set = value
            .ok()
            .and_then(|v| serde_json::from_value::<JwkSet>(v).ok());
        match set {
            Some(set) => {
                let set = Arc::new(set);
                state.set = Some((set.clone(), Instant::now()));
                Ok(set)
            }
            None => {
                tracing::warn!(target: "naftiko::auth", "the authorization server's JWKS could not be fetched");
                state
                    .set
                    .as_ref()
                    .map(|(s, _)| s.clone())
                    .ok_or(UNAVAILABLE)
            }
        }
    }
}

const UNAVAILABLE: Refusal =
    Refusal::Unavailable("the authorization server's keys could not be fetched");
const UNKNOWN_KEY: Refusal =
    Refusal::Invalid("the token is signed with a key the authorization server does not publish");

fn find(set: &JwkSet, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    }
}

/// The scopes of a token: `scope` (space-separated, RFC 9068) or `scp` (a list).
pub(super) fn scopes(claims: &Value) -> Vec<String> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(s)), _) => s.split_whitespace().map(str::to_owned).collect(),
        (_, Some(Value::Array(a))) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        (_, Some(Value::String(s))) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidIssuer => "the token was issued by another authorization server",
        ErrorKind::InvalidAudience => "the token is meant for another audience",
        ErrorKind::InvalidSignature => "the token's signature is not valid",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss or aud)",
        _ => "the token is not valid",
    }
}
