//! `tokenValidation: introspection` (RFC 7662): the authorization server's
//! `introspection_endpoint` is asked about each token, authenticating with the block's
//! `clientId` and `clientSecret` (`client_secret_post`).
//!
//! An active token must carry `aud` containing the audience (a token for another resource of
//! the same server is refused), `iss` when present must be the issuer, and an `exp` in the
//! past refuses it. Answers are cached by the token's SHA-256 digest (never the token): an
//! accepted token until its `exp` (60 s without one), a refused one for
//! [`NEGATIVE_LIFETIME`], at most [`MAX_ENTRIES`] at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::super::request::unix_now;
use super::discovery::Metadata;
use super::fetch::Fetcher;
use super::settings::{Grant, Refusal, Settings, trim_issuer};

/// How long a refused token's answer is kept.
const NEGATIVE_LIFETIME: Duration = Duration::from_secs(30);
/// How long an accepted token without `exp` is kept.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Most answers kept at once (expired ones are dropped first; then all).
const MAX_ENTRIES: usize = 10_000;

type Answer = Result<Vec<String>, &'static str>;

/// The introspection answers of one resource server.
#[derive(Debug)]
pub(super) struct Cache {
    fetcher: Arc<Fetcher>,
    entries: Mutex<HashMap<[u8; 32], (Instant, Answer)>>,
}

impl Cache {
    pub(super) fn new(fetcher: Arc<Fetcher>) -> Cache {
        Cache {
            fetcher,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The grant of an active `token`.
    pub(super) async fn introspect(
        &self,
        token: &str,
        metadata: &Metadata,
        settings: &Settings,
    ) -> Result<Grant, Refusal> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let cached = self.entries.lock().ok().and_then(|e| {
            e.get(&key)
                .filter(|(until, _)| *until > Instant::now())
                .map(|(_, a)| a.clone())
        });
        let answer = match cached {
            Some(a) => a,
            None => {
                let (answer, lifetime) = self.ask(token, metadata, settings).await?;
                self.keep(key, answer.clone(), lifetime);
                answer
            }
        };
        answer
            .map(|scopes| Grant { scopes })
            .map_err(Refusal::Invalid)
    }

    fn keep(&self, key: [u8; 32], answer: Answer, lifetime: Duration) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (until, _)| *until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now() + lifetime, answer));
    }

    async fn ask(
        &self,
        token: &str,
        metadata: &Metadata,
        settings: &Settings,
    ) -> Result<(Answer, Duration), Refusal> {
        let (Some(endpoint), Some((id, secret))) =
            (metadata.introspection_endpoint.as_deref(), &settings.client)
        else {
            return Err(Refusal::Unavailable(
                "the authorization server publishes no `introspection_endpoint`",
            ));
        };
        let form = [
            ("token", token),
            ("token_type_hint", "access_token"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        match self.fetcher.post_form(endpoint, &form).await? {
            (200, v @ Value::Object(_)) => Ok(judge(&v, settings, unix_now())),
            (status, _) => {
                tracing::warn!(target: "naftiko::auth", status, "the introspection endpoint refused naftiko's request (check clientId and clientSecret)");
                Err(Refusal::Unavailable(
                    "the authorization server's introspection endpoint did not answer",
                ))
            }
        }
    }
}

/// The answer to an introspection response `v`, and how long to keep it.
fn judge(v: &Value, settings: &Settings, now: u64) -> (Answer, Duration) {
    let refuse = |why| (Err(why), NEGATIVE_LIFETIME);
    if v.get("active") != Some(&Value::Bool(true)) {
        return refuse("the token is not active");
    }
    let exp = v.get("exp").and_then(Value::as_u64);
    if exp.is_some_and(|e| e <= now) {
        return refuse("the token has expired");
    }
    if let Some(iss) = v.get("iss").and_then(Value::as_str)
        && trim_issuer(iss) != trim_issuer(&settings.issuer)
    {
        return refuse("the token was issued by another authorization server");
    }
    let audience = settings.audience.as_str();
    let for_us = match v.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(audience)),
        _ => false,
    };
    if !for_us {
        return refuse("the token is meant for another audience");
    }
    let lifetime = exp.map_or(DEFAULT_LIFETIME, |e| Duration::from_secs(e - now));
    (Ok(super::jwks::scopes(v)), lifetime)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_active_unexpired_tokens_for_this_audience_pass() {
        let s = Settings {
            issuer: "http://as/".into(),
            resource: "http://rs/api".into(),
            audience: "http://rs/api".into(),
            scopes: vec![],
            validation: super::super::settings::TokenValidation::Introspection,
            client: None,
        };
        let ok = json!({"active": true, "aud": "http://rs/api", "iss": "http://as", "exp": 1100, "scope": "read write"});
        let (answer, life) = judge(&ok, &s, 1000);
        assert_eq!(answer, Ok(vec!["read".to_owned(), "write".to_owned()]));
        assert_eq!(life, Duration::from_secs(100));
        for (bad, why) in [
            (json!({"active": false}), "the token is not active"),
            (
                json!({"active": true, "aud": "http://rs/api", "exp": 900}),
                "the token has expired",
            ),
            (
                json!({"active": true, "aud": "http://other"}),
                "the token is meant for another audience",
            ),
            (
                json!({"active": true}),
                "the token is meant for another audience",
            ),
            (
                json!({"active": true, "aud": ["http://rs/api"], "iss": "http://evil"}),
                "the token was issued by another authorization server",
            ),
        ] {
            assert_eq!(judge(&bad, &s, 1000).0, Err(why), "{bad}");
        }
        assert!(
            judge(
                &json!({"active": true, "aud": ["x", "http://rs/api"]}),
                &s,
                1000
            )
            .0
            .is_ok()
        );
    }
}
