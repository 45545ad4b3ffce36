//! The `digest` scheme's server side (RFC 7616): challenges offering SHA-256 then MD5 with
//! `qop="auth"`, and the check of an answer.
//!
//! Nonces are stateless: `<issued-at, 16 hex digits><32 hex digits of a keyed SHA-256>`,
//! keyed by a digest of the realm, user and password. A nonce is accepted for
//! [`NONCE_LIFETIME`]; an older one gets a fresh challenge with `stale=true`. Because the key
//! comes from the configuration, every replica running the same file accepts every other
//! replica's nonces. Nonce counts are not tracked: an answer can be replayed for the same
//! method and target while its nonce lives (the RFC's MAY), which is why the lifetime is
//! short. `userhash` is not supported (answers using it are refused).

use std::time::Duration;

use super::compare::Secret;
use super::request::{BAD_CREDENTIALS, Denial, NO_CREDENTIALS, Presented, unix_now};
use crate::digest::{self, Algorithm, param};

/// How long a nonce is accepted.
pub(crate) const NONCE_LIFETIME: Duration = Duration::from_secs(300);

/// The expected user and password of a `digest` block, as digests.
#[derive(Debug)]
pub(crate) struct DigestGuard {
    user: Secret,
    /// The HA1 values (not the password) compute the expected response.
    ha1: [(Algorithm, HiddenText); 2],
    nonce_key: String,
}

/// A text kept out of `Debug` output.
struct HiddenText(String);

impl std::fmt::Debug for HiddenText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("..")
    }
}

impl DigestGuard {
    /// The guard of `user` and `password` in `realm`.
    pub(crate) fn new(realm: &str, user: &str, password: &str) -> DigestGuard {
        let md5 = digest::ha1(Algorithm::Md5, user, realm, password);
        let sha = digest::ha1(Algorithm::Sha256, user, realm, password);
        DigestGuard {
            user: Secret::new(user),
            nonce_key: Algorithm::Sha256.hash(&format!("naftiko-digest-nonce:{sha}")),
            ha1: [
                (Algorithm::Md5, HiddenText(md5)),
                (Algorithm::Sha256, HiddenText(sha)),
            ],
        }
    }

    fn nonce(&self, issued: u64) -> String {
        let stamp = format!("{issued:016x}");
        let mac = Algorithm::Sha256.hash(&format!("{}:{stamp}:{}", self.nonce_key, self.nonce_key));
        format!("{stamp}{}", &mac[..32])
    }

    /// `Some(stale)` for a nonce this guard issued; `None` for a forged one.
    fn nonce_is_stale(&self, nonce: &str, now: u64) -> Option<bool> {
        let stamp = nonce.get(..16)?;
        let issued = u64::from_str_radix(stamp, 16).ok()?;
        if !Secret::new(&self.nonce(issued)).matches(nonce.as_bytes()) {
            return None;
        }
        Some(now.saturating_sub(issued) > NONCE_LIFETIME.as_secs() || issued > now + 60)
    }

    fn challenges(&self, realm: &str, stale: bool) -> Vec<String> {
        let nonce = self.nonce(unix_now());
        let stale = if stale { ", stale=true" } else { "" };
        [Algorithm::Sha256, Algorithm::Md5]
            .map(|a| {
                format!(
                    "Digest realm=\"{realm}\", qop=\"auth\", algorithm={}, nonce=\"{nonce}\"{stale}",
                    a.name()
                )
            })
            .to_vec()
    }

    fn deny(&self, realm: &str, detail: &str, stale: bool) -> Denial {
        Denial {
            status: 401,
            challenges: self.challenges(realm, stale),
            kind: "unauthorized",
            detail: detail.to_owned(),
        }
    }

    /// `Ok` for a valid answer to one of this guard's challenges.
    pub(crate) fn check(&self, realm: &str, p: &Presented<'_>) -> Result<(), Denial> {
        let Some(header) = p.headers.header("authorization") else {
            return Err(self.deny(realm, NO_CREDENTIALS, false));
        };
        let params = std::str::from_utf8(header).ok().and_then(digest::params);
        let Some(params) = params else {
            return Err(self.deny(realm, NO_CREDENTIALS, false));
        };
        match self.verify(realm, &params, p) {
            Verdict::Valid => Ok(()),
            Verdict::Stale => Err(self.deny(
                realm,
                "the nonce has expired; answer the new challenge",
                true,
            )),
            Verdict::Invalid => Err(self.deny(realm, BAD_CREDENTIALS, false)),
        }
    }

    fn verify(&self, realm: &str, params: &[(String, String)], p: &Presented<'_>) -> Verdict {
        let get = |name| param(params, name);
        let (Some(user), Some(nonce), Some(uri), Some(response), Some(nc), Some(cnonce)) = (
            get("username"),
            get("nonce"),
            get("uri"),
            get("response"),
            get("nc"),
            get("cnonce"),
        ) else {
            return Verdict::Invalid;
        };
        let Some(algorithm) = Algorithm::parse(get("algorithm").unwrap_or("MD5")) else {
            return Verdict::Invalid;
        };
        if get("realm") != Some(realm)
            || get("qop") != Some("auth")
            || uri != p.target
            || get("userhash").is_some_and(|h| h.eq_ignore_ascii_case("true"))
        {
            return Verdict::Invalid;
        }
        let Some(stale) = self.nonce_is_stale(nonce, unix_now()) else {
            return Verdict::Invalid;
        };
        let (_, ha1) = &self.ha1[usize::from(algorithm == Algorithm::Sha256)];
        let expected = digest::response(&digest::Inputs {
            algorithm,
            ha1: &ha1.0,
            method: p.method,
            uri,
            nonce,
            qop_auth: Some((nc, cnonce)),
        });
        // Both comparisons always run.
        let valid = self.user.matches(user.as_bytes())
            & Secret::new(&expected).matches(response.as_bytes());
        match (valid, stale) {
            (true, false) => Verdict::Valid,
            (true, true) => Verdict::Stale,
            (false, _) => Verdict::Invalid,
        }
    }
}

enum Verdict {
    Valid,
    Stale,
    Invalid,
}

/// The `Authorization` value a client would send (tests).
#[cfg(test)]
fn answer(challenge: &str, user: &str, password: &str, method: &str, uri: &str) -> String {
    let p = digest::params(challenge).unwrap_or_default();
    let realm = param(&p, "realm").unwrap_or_default();
    let nonce = param(&p, "nonce").unwrap_or_default();
    let algorithm =
        Algorithm::parse(param(&p, "algorithm").unwrap_or("MD5")).unwrap_or(Algorithm::Md5);
    let ha1 = digest::ha1(algorithm, user, realm, password);
    let response = digest::response(&digest::Inputs {
        algorithm,
        ha1: &ha1,
        method,
        uri,
        nonce,
        qop_auth: Some(("00000001", "c0ffee")),
    });
    format!(
        "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={}, qop=auth, nc=00000001, cnonce=\"c0ffee\", response=\"{response}\"",
        super::request::quoted(user),
        algorithm.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presented<'a>(headers: &'a http::HeaderMap, target: &'a str) -> Presented<'a> {
        Presented {
            headers,
            query: None,
            method: "GET",
            target,
        }
    }

    fn with_auth(value: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(value) {
            h.insert(http::header::AUTHORIZATION, v);
        }
        h
    }

    #[test]
    fn answers_to_both_challenges_pass_and_wrong_ones_fail() {
        let g = DigestGuard::new("r", "Mufasa", "Circle of Life");
        let none = http::HeaderMap::new();
        let denied = g
            .check("r", &presented(&none, "/x"))
            .err()
            .unwrap_or_else(|| panic!("no challenge"));
        assert_eq!(denied.challenges.len(), 2);
        for challenge in &denied.challenges {
            let ok = with_auth(&answer(challenge, "Mufasa", "Circle of Life", "GET", "/x"));
            assert!(g.check("r", &presented(&ok, "/x")).is_ok(), "{challenge}");
            let bad = with_auth(&answer(challenge, "Mufasa", "Circle of Lif", "GET", "/x"));
            assert!(g.check("r", &presented(&bad, "/x")).is_err());
            let other_user = with_auth(&answer(challenge, "Scar", "Circle of Life", "GET", "/x"));
            assert!(g.check("r", &presented(&other_user, "/x")).is_err());
            // The answer names another target than the request's.
            assert!(g.check("r", &presented(&ok, "/y")).is_err());
        }
    }

    #[test]
    fn forged_and_expired_nonces_are_refused() {
        let g = DigestGuard::new("r", "u", "p");
        let old = g.nonce(unix_now() - NONCE_LIFETIME.as_secs() - 5);
        let challenge = format!("Digest realm=\"r\", algorithm=SHA-256, nonce=\"{old}\"");
        let stale = with_auth(&answer(&challenge, "u", "p", "GET", "/"));
        let denied = g
            .check("r", &presented(&stale, "/"))
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(denied.challenges[0].contains("stale=true"), "{denied:?}");
        let forged = format!("{:016x}{}", unix_now(), "0".repeat(32));
        let challenge = format!("Digest realm=\"r\", algorithm=SHA-256, nonce=\"{forged}\"");
        let bad = with_auth(&answer(&challenge, "u", "p", "GET", "/"));
        let denied = g
            .check("r", &presented(&bad, "/"))
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(!denied.challenges[0].contains("stale"));
    }
}
