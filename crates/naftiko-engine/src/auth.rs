//! Upstream authentication (docs/semantics.md §3): none, basic, digest, bearer, API key (header or
//! query) and the OAuth 2.0 client-credentials grant with a token cache shared by every
//! concurrent request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde_json::Value;

use crate::digest;
use crate::error::InvokeError;
use crate::prepared::Prepared;
use crate::scope::{Resolve, Tpl};
use crate::secrets::Secrets;
use crate::transport::{ClientOptions, Outgoing, Transport, TransportError};

/// How requests to one consumed API are authenticated.
#[derive(Debug)]
pub(crate) enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: Tpl, password: Tpl },
    /// HTTP Digest (RFC 7616), answered after the upstream's 401 challenge.
    Digest { user: Tpl, password: Tpl },
    /// `Authorization: Bearer <token>`.
    Bearer(Tpl),
    /// A key/value pair in a header or the query, plus any community `headers` map.
    ApiKey {
        key: Option<Tpl>,
        value: Tpl,
        query: bool,
        headers: Vec<(HeaderName, Tpl)>,
    },
    /// OAuth 2.0 client credentials.
    OAuth2(Arc<TokenSource>),
}

/// What [`Auth::apply`] used, so a 401 can be retried correctly.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Applied {
    /// The OAuth 2.0 token generation sent (to invalidate exactly that token on a 401).
    pub(crate) generation: Option<u64>,
}

impl Auth {
    /// Adds credentials to `req`; for OAuth 2.0 this may fetch a token first.
    pub(crate) async fn apply(
        &self,
        req: &mut Prepared,
        scope: &dyn Resolve,
        namespace: &str,
    ) -> Result<Applied, InvokeError> {
        if let Auth::OAuth2(source) = self {
            let token = source.token(namespace).await?;
            set_auth(req, &format!("Bearer {}", token.value), namespace)?;
            return Ok(Applied {
                generation: Some(token.generation),
            });
        }
        self.apply_fixed(req, scope, namespace)
    }

    /// [`Auth::apply`] for every scheme but OAuth 2.0 (which needs a token first, and
    /// adds nothing here): credentials rendered from `scope`.
    pub(crate) fn apply_fixed(
        &self,
        req: &mut Prepared,
        scope: &dyn Resolve,
        namespace: &str,
    ) -> Result<Applied, InvokeError> {
        match self {
            Auth::None | Auth::Digest { .. } | Auth::OAuth2(_) => Ok(Applied::default()),
            Auth::Basic { user, password } => {
                let raw = format!("{}:{}", user.render(scope), password.render(scope));
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                set_auth(req, &format!("Basic {encoded}"), namespace)?;
                Ok(Applied::default())
            }
            Auth::Bearer(token) => {
                set_auth(req, &format!("Bearer {}", token.render(scope)), namespace)?;
                Ok(Applied::default())
            }
            Auth::ApiKey {
                key,
                value,
                query,
                headers,
            } => {
                let invalid_value =
                    || config_error(namespace, "the API key value is not a valid header value");
                if let Some(key) = key {
                    let (k, v) = (key.render(scope), value.render(scope));
                    if *query {
                        req.url.query_pairs_mut().append_pair(&k, &v);
                    } else {
                        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                            config_error(
                                namespace,
                                "the API key header name is not a valid header name",
                            )
                        })?;
                        let mut value = HeaderValue::from_str(&v).map_err(|_| invalid_value())?;
                        value.set_sensitive(true);
                        req.headers.insert(name, value);
                    }
                }
                for (name, t) in headers {
                    let mut value =
                        HeaderValue::from_str(&t.render(scope)).map_err(|_| invalid_value())?;
                    value.set_sensitive(true);
                    req.headers.insert(name.clone(), value);
                }
                Ok(Applied::default())
            }
        }
    }

    /// True when the credentials are the same on every call and need no exchange: no
    /// authentication, or basic, bearer or API-key credentials that read only bound
    /// values (the direct path writes them once, at build time).
    pub(crate) fn is_fixed(&self) -> bool {
        match self {
            Auth::None => true,
            Auth::Basic { user, password } => {
                user.reads_only_binds() && password.reads_only_binds()
            }
            Auth::Bearer(token) => token.reads_only_binds(),
            Auth::ApiKey {
                key,
                value,
                headers,
                ..
            } => {
                key.as_ref().is_none_or(Tpl::reads_only_binds)
                    && value.reads_only_binds()
                    && headers.iter().all(|(_, t)| t.reads_only_binds())
            }
            Auth::Digest { .. } | Auth::OAuth2(_) => false,
        }
    }

    /// After a 401: prepares the retry, or returns false when a retry would not help.
    pub(crate) fn on_unauthorized(
        &self,
        req: &mut Prepared,
        applied: Applied,
        challenge: Option<&str>,
        scope: &dyn Resolve,
        namespace: &str,
    ) -> Result<bool, InvokeError> {
        match self {
            Auth::OAuth2(_) => {
                self.forget(applied);
                Ok(true)
            }
            Auth::Digest { user, password } => {
                let Some(challenge) = challenge.and_then(parse_digest_challenge) else {
                    return Ok(false);
                };
                let header = digest_response(
                    &challenge,
                    &user.render(scope),
                    &password.render(scope),
                    req.method.as_str(),
                    &request_target(&req.url),
                );
                set_auth(req, &header, namespace)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// After a 401: forgets the OAuth 2.0 token the upstream refused (the next request
    /// fetches a new one), whether or not this one is retried.
    pub(crate) fn forget(&self, applied: Applied) {
        if let (Auth::OAuth2(source), Some(g)) = (self, applied.generation) {
            source.invalidate(g);
        }
    }

    /// True for HTTP Digest, whose credentials answer the upstream's challenge.
    pub(crate) fn is_digest(&self) -> bool {
        matches!(self, Auth::Digest { .. })
    }

    /// True for schemes that answer a 401 by retrying.
    pub(crate) fn retries_on_401(&self) -> bool {
        matches!(self, Auth::OAuth2(_) | Auth::Digest { .. })
    }
}

fn config_error(namespace: &str, detail: &str) -> InvokeError {
    InvokeError::UpstreamAuth {
        namespace: namespace.to_owned(),
        detail: detail.to_owned(),
    }
}

fn set_auth(req: &mut Prepared, value: &str, namespace: &str) -> Result<(), InvokeError> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| config_error(namespace, "the credentials are not a valid header value"))?;
    v.set_sensitive(true);
    req.headers.insert(AUTHORIZATION, v);
    Ok(())
}

fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A cached OAuth 2.0 access token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) value: Arc<str>,
    refresh_at: Instant,
    pub(crate) generation: u64,
}

/// The client-credentials grant against one token endpoint, with its cache.
#[derive(Debug)]
pub(crate) struct TokenSource {
    endpoint: reqwest::Url,
    /// How token requests travel (reqwest, unless a test or benchmark plugs in its own).
    transport: Arc<dyn Transport>,
    /// Total time and answer size allowed for a token request.
    limits: ClientOptions,
    form: Vec<(String, String)>,
    current: Mutex<Option<Token>>,
    fetching: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    secrets: Secrets,
}

/// Lifetime assumed when a token response has no `expires_in`.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

impl TokenSource {
    /// A token source posting `client_id`, `client_secret` and the optional scope, audience
    /// and resource to `endpoint` through `transport`.
    pub(crate) fn new(
        endpoint: reqwest::Url,
        transport: Arc<dyn Transport>,
        limits: ClientOptions,
        client_id: String,
        client_secret: String,
        extra: Vec<(String, String)>,
        secrets: Secrets,
    ) -> Self {
        secrets.add(&client_secret);
        let mut form = vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), client_id),
            ("client_secret".to_owned(), client_secret),
        ];
        form.extend(extra);
        TokenSource {
            endpoint,
            transport,
            limits,
            form,
            current: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            secrets,
        }
    }

    fn cached(&self) -> Option<Token> {
        let guard = self.current.lock().ok()?;
        guard
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    /// A valid token: the cached one, or one fetched now (once, however many callers wait).
    pub(crate) async fn token(&self, namespace: &str) -> Result<Token, InvokeError> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let _one_fetch = self.fetching.lock().await;
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let token = self.fetch(namespace).await?;
        if let Ok(mut guard) = self.current.lock() {
            *guard = Some(token.clone());
        }
        Ok(token)
    }

    /// Forgets the token of `generation` (the upstream refused it).
    pub(crate) fn invalidate(&self, generation: u64) {
        if let Ok(mut guard) = self.current.lock()
            && guard.as_ref().is_some_and(|t| t.generation == generation)
        {
            *guard = None;
        }
    }

    async fn fetch(&self, namespace: &str) -> Result<Token, InvokeError> {
        let fail = |detail: String| InvokeError::UpstreamAuth {
            namespace: namespace.to_owned(),
            detail: self.secrets.redact(&detail),
        };
        let form = crate::form::encode_pairs(&self.form);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let request = Outgoing::Request {
            method: &http::Method::POST,
            url: &self.endpoint,
            headers: &headers,
            body: Some(&form),
        };
        let sending = self.transport.send(request, self.limits.max_response_bytes);
        let received = match tokio::time::timeout(self.limits.total_timeout, sending).await {
            Ok(Ok(received)) => received,
            Ok(Err(TransportError::Unavailable(e))) => return Err(InvokeError::Internal(e)),
            Ok(Err(
                TransportError::Connect(e) | TransportError::Broken(e) | TransportError::Timeout(e),
            )) => return Err(fail(format!("token endpoint: {e}"))),
            Ok(Err(TransportError::TooLarge)) => {
                return Err(fail("token endpoint: the answer is too large".to_owned()));
            }
            // reqwest's own timeout, the same length, usually ends the call first.
            Err(_) => return Err(fail("token endpoint: operation timed out".to_owned())),
        };
        let (status, body) = (received.status, received.body);
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let code = json
                .get("error")
                .and_then(Value::as_str)
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            return Err(fail(format!("token endpoint answered {status}{code}")));
        }
        let Some(access) = json.get("access_token").and_then(Value::as_str) else {
            return Err(fail(
                "token endpoint answer has no `access_token`".to_owned(),
            ));
        };
        let lifetime = match json.get("expires_in") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs_f64);
        // Refresh before expiry: a tenth of the lifetime early, at most a minute.
        let early = (lifetime / 10).min(Duration::from_secs(60));
        self.secrets.add(access);
        Ok(Token {
            value: Arc::from(access),
            refresh_at: Instant::now() + lifetime - early,
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
        })
    }
}

/// The fields of a `WWW-Authenticate: Digest …` challenge that an answer needs.
#[derive(Debug, PartialEq)]
struct DigestChallenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    qop_auth: bool,
    algorithm: digest::Algorithm,
}

/// The challenge, when it is Digest with an algorithm naftiko answers (MD5, SHA-256).
fn parse_digest_challenge(header: &str) -> Option<DigestChallenge> {
    let p = digest::params(header)?;
    let algorithm = digest::Algorithm::parse(digest::param(&p, "algorithm").unwrap_or("MD5"))?;
    Some(DigestChallenge {
        realm: digest::param(&p, "realm").unwrap_or_default().to_owned(),
        nonce: digest::param(&p, "nonce").unwrap_or_default().to_owned(),
        opaque: digest::param(&p, "opaque").map(str::to_owned),
        qop_auth: digest::param(&p, "qop")
            .is_some_and(|q| q.split(',').any(|q| q.trim() == "auth")),
        algorithm,
    })
}

static CNONCE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn digest_response(
    c: &DigestChallenge,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "{nanos}:{}:{}",
        std::process::id(),
        CNONCE_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let cnonce = digest::Algorithm::Sha256.hash(&seed)[..16].to_owned();
    let nc = "00000001";
    let ha1 = digest::ha1(c.algorithm, user, &c.realm, password);
    let response = digest::response(&digest::Inputs {
        algorithm: c.algorithm,
        ha1: &ha1,
        method,
        uri,
        nonce: &c.nonce,
        qop_auth: c.qop_auth.then_some((nc, cnonce.as_str())),
    });
    let mut out = format!(
        "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}, response=\"{response}\"",
        c.realm,
        c.nonce,
        c.algorithm.name()
    );
    if c.qop_auth {
        out.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(o) = &c.opaque {
        out.push_str(&format!(", opaque=\"{o}\""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_digest_challenge() {
        let c = parse_digest_challenge(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap();
        assert_eq!(c.realm, "http-auth@example.org");
        assert!(c.qop_auth && c.algorithm == digest::Algorithm::Md5);
        assert_eq!(
            c.opaque.as_deref(),
            Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
        );
    }

    #[test]
    fn digest_response_matches_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / Circle Of Life, with a fixed cnonce substituted below.
        let c = DigestChallenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: Some("5ccc069c403ebaf9f0171e9517f40e41".into()),
            qop_auth: true,
            algorithm: digest::Algorithm::Md5,
        };
        let header = digest_response(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html");
        let cnonce = header
            .split("cnonce=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let md5 = digest::Algorithm::Md5;
        let ha1 = md5.hash("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = md5.hash("GET:/dir/index.html");
        let expect = md5.hash(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:{cnonce}:auth:{ha2}"
        ));
        assert!(
            header.contains(&format!("response=\"{expect}\"")),
            "{header}"
        );
        assert_eq!(ha1, "939e7578ed9e3c518a452acee763bce9");
    }
}
