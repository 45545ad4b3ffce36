//! Which headers a forward passes on, each way (docs/semantics.md §5).
//!
//! Upstream: the `trustedHeaders` (any case) and the headers that describe the body being
//! passed on (`Content-Type`, `Content-Encoding`); never a hop-by-hop header
//! (`naftiko_http1::fields::is_hop_by_hop`: `Connection` and what it names, `Keep-Alive`,
//! `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-*`), nor `Host`, `Expect` or
//! `Content-Length` (naftiko frames the body it sends), trusted or not. `Authorization` and
//! `Cookie` pass only when trusted; the consumed API's authentication is applied after.
//!
//! Back to the caller: every header of the upstream's answer but the hop-by-hop ones, and
//! `Set-Cookie` only when `Cookie` is trusted (cookies the upstream sets would otherwise be
//! stored for naftiko's origin and never sent back).

use http::header::{
    CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, EXPECT, HOST, HeaderMap,
    HeaderName, SET_COOKIE,
};
use naftiko_http1::fields::is_hop_by_hop;

/// Headers that describe the forwarded body: passed on without being trusted.
const CONTENT: [HeaderName; 2] = [CONTENT_TYPE, CONTENT_ENCODING];

/// Headers never passed upstream, trusted or not, beside the hop-by-hop ones: the target's
/// host is the base URI's, `100-continue` was the inbound side's business, and the body's
/// length is set by naftiko.
const NEVER: [HeaderName; 3] = [HOST, EXPECT, CONTENT_LENGTH];

/// A forward's header rules, compiled from its `trustedHeaders`.
#[derive(Debug, Default)]
pub(crate) struct Passed {
    trusted: Vec<HeaderName>,
    /// `Cookie` is trusted: `Set-Cookie` goes back too.
    cookies: bool,
}

impl Passed {
    /// The rules for these trusted names; what is wrong with the names it ignores (not a
    /// header name, or one never passed on), for start-up warnings.
    pub(crate) fn compile<'a>(names: impl IntoIterator<Item = &'a str>) -> (Self, Vec<String>) {
        let mut passed = Passed::default();
        let mut ignored = Vec::new();
        for text in names {
            match HeaderName::from_bytes(text.trim().as_bytes()) {
                Err(_) => ignored.push(format!("`{text}` is not a header name")),
                Ok(name) if never(&name, &HeaderMap::new()) => {
                    ignored.push(format!(
                        "`{text}` is never forwarded (hop-by-hop or set by naftiko)"
                    ));
                }
                Ok(name) => {
                    passed.cookies |= name == COOKIE;
                    if !passed.trusted.contains(&name) {
                        passed.trusted.push(name);
                    }
                }
            }
        }
        (passed, ignored)
    }

    /// The headers of `inbound` that go upstream.
    pub(crate) fn upstream(&self, inbound: &HeaderMap) -> HeaderMap {
        let mut out = HeaderMap::new();
        for name in self.trusted.iter().chain(CONTENT.iter()) {
            if never(name, inbound) {
                continue;
            }
            for value in inbound.get_all(name) {
                out.append(name.clone(), value.clone());
            }
        }
        out
    }

    /// The headers of the upstream's `answer` that go back to the caller.
    pub(crate) fn downstream(&self, answer: &HeaderMap) -> HeaderMap {
        let connection: Vec<&[u8]> = answer
            .get_all(CONNECTION)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let mut out = HeaderMap::with_capacity(answer.len());
        for (name, value) in answer {
            let hop = is_hop_by_hop(name.as_str().as_bytes(), connection.iter().copied());
            if hop || (*name == SET_COOKIE && !self.cookies) {
                continue;
            }
            out.append(name.clone(), value.clone());
        }
        out
    }
}

/// True when `name` never goes upstream from a request with these headers.
fn never(name: &HeaderName, inbound: &HeaderMap) -> bool {
    let connection = inbound.get_all(CONNECTION).iter().map(|v| v.as_bytes());
    NEVER.contains(name) || is_hop_by_hop(name.as_str().as_bytes(), connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_trusted_and_content_headers_go_upstream() {
        let (p, ignored) = Passed::compile([
            "notion-version",
            "X-Trace",
            "Connection",
            "Host",
            "bad name",
            "X-Hop",
        ]);
        assert_eq!(ignored.len(), 3, "{ignored:?}");
        let inbound = headers(&[
            ("Notion-Version", "2022-06-28"),
            ("x-trace", "a"),
            ("x-trace", "b"),
            ("Authorization", "Bearer caller"),
            ("Cookie", "s=1"),
            ("Content-Type", "application/json"),
            ("Content-Length", "2"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "no"),
            ("Host", "naftiko"),
            ("Accept", "*/*"),
        ]);
        let out = p.upstream(&inbound);
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "notion-version", "x-trace"]);
        assert_eq!(out.get_all("x-trace").iter().count(), 2);
    }

    #[test]
    fn answers_lose_hop_by_hop_headers_and_cookies_unless_trusted() {
        let answer = headers(&[
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("Connection", "X-Private"),
            ("X-Private", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Set-Cookie", "s=1"),
            ("X-Request-Id", "7"),
        ]);
        let (plain, _) = Passed::compile(["X-Trace"]);
        let out = plain.downstream(&answer);
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-length", "content-type", "x-request-id"]);
        let (cookies, _) = Passed::compile(["Cookie"]);
        assert!(cookies.downstream(&answer).contains_key(SET_COOKIE));
    }
}
