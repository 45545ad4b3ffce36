//! HTTP Digest (RFC 7616) rules shared by both sides: the auth-param list of a challenge or
//! an answer, the two hash algorithms (MD5 and SHA-256) and the `response` computation.
//!
//! The upstream client ([`crate::auth`]) answers an upstream's challenge with them; the
//! inbound guard ([`crate::guard`]) issues challenges and checks answers with them.

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// A Digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// `MD5` (the default when a challenge names none).
    Md5,
    /// `SHA-256`.
    Sha256,
}

impl Algorithm {
    /// The algorithm a challenge or answer names (`None` for an unsupported one).
    pub(crate) fn parse(name: &str) -> Option<Algorithm> {
        if name.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// Its name on the wire.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// The lowercase hex digest of `text`.
    pub(crate) fn hash(self, text: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(text.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(text.as_bytes())),
        }
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The auth-params of a `Digest …` header value, names lowercased, quoted strings
/// unescaped; `None` when the value is not the Digest scheme or is malformed.
pub(crate) fn params(header: &str) -> Option<Vec<(String, String)>> {
    let header = header.trim();
    let scheme = header.get(..6)?;
    if !scheme.eq_ignore_ascii_case("Digest") {
        return None;
    }
    let mut input = header[6..].trim_start();
    let mut out = Vec::new();
    while !input.is_empty() {
        let (key, after) = input.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.contains([' ', ',', '"']) {
            return None;
        }
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_owned(), &after[end..])
            }
        };
        out.push((key, value));
        input = remaining.trim_start();
        match input.strip_prefix(',') {
            Some(rest) => input = rest.trim_start(),
            None if input.is_empty() => {}
            None => return None,
        }
    }
    Some(out)
}

/// A quoted-string's content (after the opening quote) and what follows its closing quote.
fn quoted_string(input: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &input[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// The value of `name` among `params`.
pub(crate) fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `H(user:realm:password)`, the first half of every `response`.
pub(crate) fn ha1(algorithm: Algorithm, user: &str, realm: &str, password: &str) -> String {
    algorithm.hash(&format!("{user}:{realm}:{password}"))
}

/// What the `response` of a Digest answer is computed from.
pub(crate) struct Inputs<'a> {
    pub(crate) algorithm: Algorithm,
    /// [`ha1`] of the user, realm and password.
    pub(crate) ha1: &'a str,
    pub(crate) method: &'a str,
    pub(crate) uri: &'a str,
    pub(crate) nonce: &'a str,
    /// `qop=auth`'s nonce count and client nonce; `None` for the RFC 2069 form.
    pub(crate) qop_auth: Option<(&'a str, &'a str)>,
}

/// The `response` value (RFC 7616 §3.4.1).
pub(crate) fn response(i: &Inputs<'_>) -> String {
    let h = |s: &str| i.algorithm.hash(s);
    let ha1 = i.ha1;
    let ha2 = h(&format!("{}:{}", i.method, i.uri));
    match i.qop_auth {
        Some((nc, cnonce)) => h(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", i.nonce)),
        None => h(&format!("{ha1}:{}:{ha2}", i.nonce)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_read_quoted_escaped_and_bare_values() {
        let p = params(
            r#"Digest realm="a \"b\", c", qop="auth,auth-int", algorithm=SHA-256, nonce="n""#,
        )
        .unwrap_or_default();
        assert_eq!(param(&p, "realm"), Some(r#"a "b", c"#));
        assert_eq!(param(&p, "qop"), Some("auth,auth-int"));
        assert_eq!(param(&p, "algorithm"), Some("SHA-256"));
        assert_eq!(param(&p, "nonce"), Some("n"));
        assert!(params("Basic abc").is_none());
        assert!(params(r#"Digest realm="open"#).is_none());
        assert!(params(r#"Digest realm="a" nonce="b""#).is_none());
    }

    #[test]
    fn response_matches_rfc_7616_example() {
        // RFC 7616 §3.9.1 (SHA-256 and MD5 answers to the same challenge).
        let (user, realm, password) = ("Mufasa", "http-auth@example.org", "Circle of Life");
        let md5 = ha1(Algorithm::Md5, user, realm, password);
        let sha = ha1(Algorithm::Sha256, user, realm, password);
        let mut i = Inputs {
            algorithm: Algorithm::Md5,
            ha1: &md5,
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            qop_auth: Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
        };
        assert_eq!(response(&i), "8ca523f5e9506fed4657c9700eebdbec");
        i.algorithm = Algorithm::Sha256;
        i.ha1 = &sha;
        assert_eq!(
            response(&i),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }
}
