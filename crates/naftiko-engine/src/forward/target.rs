//! Where a forwarded request goes: the consumed API's base URI, `/`, the remainder of the
//! inbound path as received (percent-encoding kept), and the inbound query after the base
//! URI's own (docs/semantics.md §5). A remainder can never leave the base URI: dot segments
//! (`..`, `%2e%2e`) and encoded or back slashes (`%2f`, `%5c`, `\`) are refused, and the
//! built URL passes the same check as every operation's ([`crate::url::keeps_base`]).

use percent_encoding::percent_decode_str;
use reqwest::Url;

use crate::error::InvokeError;

/// A forward's target, parsed once at build time.
#[derive(Debug)]
pub(crate) struct Target {
    /// The base URI without its query.
    base: Url,
    /// The base URI's own query (`?api-version=2`), kept before the inbound one.
    base_query: Option<String>,
    /// The name of the path variable that captures the remainder, when there is one.
    capture: Option<String>,
}

impl Target {
    /// The target of a forward to `base` (a consumed API's rendered base URI); `capture`
    /// names the route's last variable when it takes the remainder of the path.
    ///
    /// # Errors
    /// `base` is not a URL (the consumed API's build has said so already).
    pub(crate) fn new(base: &str, capture: Option<String>) -> Result<Self, String> {
        let mut base = Url::parse(base).map_err(|e| format!("base URI `{base}`: {e}"))?;
        let base_query = base.query().map(str::to_owned);
        base.set_query(None);
        base.set_fragment(None);
        Ok(Target {
            base,
            base_query,
            capture,
        })
    }

    /// The URL of one request: `remainder` is the part of the inbound path the route's
    /// last variable captured (still percent-encoded), `query` the inbound query.
    ///
    /// # Errors
    /// A remainder with a dot segment or an encoded slash is a [`InvokeError::BadInput`]
    /// (400): it could leave the base URI's path.
    pub(crate) fn url(
        &self,
        remainder: Option<&str>,
        query: Option<&str>,
    ) -> Result<Url, InvokeError> {
        let mut url = self.base.clone();
        if let (Some(name), Some(rest)) = (&self.capture, remainder) {
            check_remainder(name, rest)?;
            let path = format!("{}/{rest}", self.base.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        let query = match (self.base_query.as_deref(), query.filter(|q| !q.is_empty())) {
            (Some(b), Some(q)) => Some(format!("{b}&{q}")),
            (Some(b), None) => Some(b.to_owned()),
            (None, q) => q.map(str::to_owned),
        };
        url.set_query(query.as_deref());
        if !crate::url::keeps_base(&url, &self.base) {
            return Err(InvokeError::bad_input(
                self.capture.as_deref().unwrap_or("path"),
                "path",
                "leaves the forwarded API's base URI",
            ));
        }
        Ok(url)
    }
}

/// Refuses a remainder that could climb out of the base URI's path once joined: a `.` or
/// `..` segment in any spelling (the URL parser resolves `%2e%2e` as `..`), or a `/` or `\`
/// that is encoded (`%2f`, `%5c`: an upstream may decode it into a separator) or a raw `\`
/// (which URL parsers take for `/`).
fn check_remainder(name: &str, rest: &str) -> Result<(), InvokeError> {
    for segment in rest.split('/') {
        let decoded = percent_decode_str(segment).collect::<Vec<u8>>();
        if decoded == b"." || decoded == b".." {
            return Err(InvokeError::bad_input(
                name,
                "path",
                "must not have a `.` or `..` segment",
            ));
        }
        if decoded.contains(&b'\\') || decoded.contains(&b'/') {
            return Err(InvokeError::bad_input(
                name,
                "path",
                "must not have an encoded `/` or a `\\`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(base: &str, rest: Option<&str>, query: Option<&str>) -> Result<String, InvokeError> {
        Target::new(base, Some("path".to_owned()))
            .unwrap()
            .url(rest, query)
            .map(|u| u.to_string())
    }

    #[test]
    fn the_remainder_and_the_query_follow_the_base_uri() {
        assert_eq!(
            url(
                "http://127.0.0.1:9/v1/",
                Some("pages/a%20b/"),
                Some("x=1&y=%2F")
            )
            .unwrap(),
            "http://127.0.0.1:9/v1/pages/a%20b/?x=1&y=%2F"
        );
        assert_eq!(
            url("http://127.0.0.1:9/v1?api=2", Some("p"), Some("x=1")).unwrap(),
            "http://127.0.0.1:9/v1/p?api=2&x=1"
        );
        assert_eq!(
            url("http://127.0.0.1:9", Some("p"), None).unwrap(),
            "http://127.0.0.1:9/p"
        );
        let fixed = Target::new("http://127.0.0.1:9/v1/x", None).unwrap();
        assert_eq!(
            fixed.url(Some("ignored"), Some("q=1")).unwrap().to_string(),
            "http://127.0.0.1:9/v1/x?q=1"
        );
    }

    #[test]
    fn a_remainder_never_leaves_the_base_path() {
        for hostile in [
            "..",
            "../admin",
            "a/../../admin",
            "%2e%2e/admin",
            "%2E%2e",
            ".%2e/x",
            "./x",
            "a%2f..%2fadmin",
            "a%2F..",
            "a%5c..",
            "a\\..\\admin",
        ] {
            assert!(
                matches!(
                    url("http://127.0.0.1:9/v1", Some(hostile), None),
                    Err(InvokeError::BadInput { .. })
                ),
                "{hostile}"
            );
        }
        assert!(url("http://127.0.0.1:9/v1", Some("a..b/.x/..."), None).is_ok());
    }
}
