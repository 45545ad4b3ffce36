//! Upstream URLs: `baseUri` joined to a resource path whose `{name}` / `{{name}}` variables are
//! percent-encoded as single path segments, so no value can leave `baseUri` (docs/semantics.md §3).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Url;

use crate::error::InvokeError;
use crate::scope::{Names, Resolve, VarSource};

/// Everything but RFC 3986 unreserved characters is encoded in a substituted segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Debug, Clone)]
enum Piece {
    Literal(String),
    Var { name: String, source: VarSource },
}

/// Why `base` cannot be a consumed API's base URI (empty, a `{placeholder}` left in it,
/// not an absolute `http(s)` URL with a host), or `None` when it can.
pub fn base_uri_problem(base: &str) -> Option<String> {
    if base.trim().is_empty() {
        return Some("it is empty".to_owned());
    }
    if base.contains('{') || base.contains('}') {
        return Some(format!("`{base}` has a placeholder in it"));
    }
    match Url::parse(base) {
        Err(e) => Some(format!("`{base}` is not a URL ({e})")),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some(format!("`{base}` does not use http or https"))
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some(format!("`{base}` has no host")),
        Ok(_) => None,
    }
}

/// A compiled upstream URL.
#[derive(Debug, Clone)]
pub(crate) struct UrlTemplate {
    /// The base URI's own query (`?api-version=2`), kept after the resource path.
    base_query: Option<String>,
    base_url: Url,
    pieces: Vec<Piece>,
}

impl UrlTemplate {
    /// Joins `base` (already rendered, no trailing `/` needed) and `path` with exactly one `/`.
    pub(crate) fn compile(base: &str, path: &str, names: &Names<'_>) -> Result<Self, String> {
        let mut base_url =
            Url::parse(base).map_err(|e| format!("base URI `{base}` is not a URL: {e}"))?;
        let base_query = base_url.query().map(str::to_owned);
        base_url.set_query(None);
        base_url.set_fragment(None);
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(format!("base URI `{base}` must use http or https"));
        }
        let mut pieces = Vec::new();
        let path = if path.is_empty() || path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let mut rest = path.as_str();
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_owned()));
            }
            let double = rest[open..].starts_with("{{");
            let (start, close_pat) = if double {
                (open + 2, "}}")
            } else {
                (open + 1, "}")
            };
            let Some(close) = rest[start..].find(close_pat).map(|c| start + c) else {
                return Err(format!("path `{path}` has an unclosed `{{`"));
            };
            let name = rest[start..close].trim().to_owned();
            if name.is_empty() {
                return Err(format!("path `{path}` has an empty variable"));
            }
            let segments: Vec<String> = name.split('.').map(str::to_owned).collect();
            let source = if double {
                names.classify(&segments)
            } else {
                VarSource::Local(vec![name.clone()])
            };
            pieces.push(Piece::Var { name, source });
            rest = &rest[close + close_pat.len()..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_owned()));
        }
        Ok(UrlTemplate {
            base_query,
            base_url,
            pieces,
        })
    }

    /// Names of the path variables, in order.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var { name, .. } => Some(name.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// Renders the URL for one call.
    ///
    /// # Errors
    /// A path variable that is missing, empty, `.` or `..` is a [`InvokeError::BadInput`].
    pub(crate) fn render(&self, cx: &dyn Resolve) -> Result<Url, InvokeError> {
        // Only the path is built per call: the base URL was parsed once, at build time (host
        // parsing is the costly part of URL parsing).
        let mut path = self.base_url.path().trim_end_matches('/').to_owned();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => path.push_str(text),
                Piece::Var { name, source } => {
                    let value = path_value(source, cx)
                        .ok_or_else(|| InvokeError::bad_input(name, "path", "is required"))?;
                    if !push_segment(&mut path, &value) {
                        return Err(InvokeError::bad_input(
                            name,
                            "path",
                            "must not be empty, `.` or `..`",
                        ));
                    }
                }
            }
        }
        // A literal `?` starts the path's own query; a literal `#` starts a fragment, which is
        // never sent. Encoded values contain neither.
        let (path, fragment_or_query) = match path.find(['?', '#']) {
            Some(i) => (&path[..i], Some(&path[i..])),
            None => (path.as_str(), None),
        };
        let own_query = fragment_or_query
            .and_then(|rest| rest.strip_prefix('?'))
            .map(|q| q.split('#').next().unwrap_or(""));
        let mut url = self.base_url.clone();
        url.set_path(path);
        let query = match (&self.base_query, own_query) {
            (Some(b), Some(o)) if !o.is_empty() => Some(format!("{b}&{o}")),
            (Some(b), _) => Some(b.clone()),
            (None, Some(o)) if !o.is_empty() => Some(o.to_owned()),
            _ => None,
        };
        url.set_query(query.as_deref());
        // Defence in depth: the encoded segments cannot change these, so a mismatch is a bug.
        if !keeps_base(&url, &self.base_url) {
            return Err(InvokeError::Internal(
                "upstream URL escaped its base URI".to_owned(),
            ));
        }
        Ok(url)
    }

    /// A path of the template, for the direct path: the base URI's path (without a
    /// trailing `/`), the pieces after it and the path's own query (after a literal `?`,
    /// up to a `#`), when every variable is a plain local name (`/items/{id}`,
    /// `/a/{x}.json`, `/c('{x}')`), a literal `?` or `#` comes after the last variable, and
    /// the base URI has no query of its own; `None` otherwise.
    ///
    /// A variable may share its segment with literal text but `%`: a value is
    /// percent-encoded, never empty, `.` or `..` ([`push_segment`]), so only a literal
    /// `%2` before a value starting with `e` could make a segment the URL parser reads as
    /// a dot segment (`%2e`), which [`Url::set_path`] would resolve.
    pub(crate) fn path_parts(&self) -> Option<PathSplit<'_>> {
        if self.base_query.is_some() {
            return None;
        }
        let mut parts = Vec::with_capacity(self.pieces.len());
        let mut own_query = None;
        for (i, piece) in self.pieces.iter().enumerate() {
            match piece {
                Piece::Literal(text) => match text.find(['?', '#']) {
                    Some(at) if i + 1 == self.pieces.len() => {
                        parts.push(PathPart::Literal(&text[..at]));
                        own_query = text[at..]
                            .strip_prefix('?')
                            .map(|q| q.split('#').next().unwrap_or(""))
                            .filter(|q| !q.is_empty());
                    }
                    Some(_) => return None,
                    None => parts.push(PathPart::Literal(text)),
                },
                Piece::Var { name, source } => {
                    let before = match i.checked_sub(1).map(|j| &self.pieces[j]) {
                        Some(Piece::Literal(t)) => t.rsplit('/').next().unwrap_or(""),
                        _ => "",
                    };
                    let after = match self.pieces.get(i + 1) {
                        Some(Piece::Literal(t)) => t.split(['/', '?', '#']).next().unwrap_or(""),
                        _ => "",
                    };
                    match source {
                        VarSource::Local(path)
                            if path.len() == 1 && !before.contains('%') && !after.contains('%') =>
                        {
                            parts.push(PathPart::Var(name));
                        }
                        _ => return None,
                    }
                }
            }
        }
        Some(PathSplit {
            base: self.base_url.path().trim_end_matches('/'),
            parts,
            own_query,
        })
    }

    /// The base URI, parsed.
    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }
}

/// A path the direct path writes itself (see [`UrlTemplate::path_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathSplit<'t> {
    /// The base URI's path, without a trailing `/`.
    pub(crate) base: &'t str,
    pub(crate) parts: Vec<PathPart<'t>>,
    /// The query written in the path (not empty), before the parameters'.
    pub(crate) own_query: Option<&'t str>,
}

/// One piece of a path after the base URI's (see [`UrlTemplate::path_parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathPart<'t> {
    Literal(&'t str),
    /// A variable, by name (its value one encoded segment, or part of one).
    Var(&'t str),
}

/// Appends `value` percent-encoded as one path segment, or returns false (appending
/// nothing) when it is empty, `.` or `..`, which no segment may be.
pub(crate) fn push_segment(path: &mut String, value: &str) -> bool {
    if value.is_empty() || value == "." || value == ".." {
        return false;
    }
    path.extend(utf8_percent_encode(value, SEGMENT));
    true
}

/// True when `url` keeps `base`'s scheme, host, port and path prefix: the check every
/// upstream URL passes before it is sent (operations' and forwards' alike).
pub(crate) fn keeps_base(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.path().starts_with(base.path().trim_end_matches('/'))
}

/// A path variable's value as text (`None` when missing or null).
fn path_value(source: &VarSource, cx: &dyn Resolve) -> Option<String> {
    let value = match source {
        VarSource::Bind(i) => return cx.bind(*i).map(str::to_owned),
        VarSource::Arg { name, rest } => {
            let v = cx.arg(name)?;
            naftiko_expr::template::walk(&v, rest)?.clone()
        }
        VarSource::Local(path) => {
            let (first, rest) = path.split_first()?;
            let v = cx.local(first)?;
            naftiko_expr::template::walk(&v, rest)?.clone()
        }
    };
    crate::scope::scalar_text(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::testing::{Values, with_plain_names};
    use serde_json::{Value, json};

    fn url_from(base: &str, path: &str, values: Value) -> Result<String, InvokeError> {
        let t = with_plain_names(|names| UrlTemplate::compile(base, path, names)).unwrap();
        t.render(&Values(values)).map(|u| u.to_string())
    }

    fn url(path: &str, values: Value) -> Result<String, InvokeError> {
        url_from("http://127.0.0.1:9/api/", path, values)
    }

    #[test]
    fn joins_with_one_slash_and_substitutes_both_brace_styles() {
        assert_eq!(
            url("/a/{x}/b/{{y}}", json!({"x": "1", "y": 2})).unwrap(),
            "http://127.0.0.1:9/api/a/1/b/2"
        );
        assert_eq!(url("a", json!({})).unwrap(), "http://127.0.0.1:9/api/a");
    }

    #[test]
    fn a_base_uri_query_stays_after_the_resource_path() {
        assert_eq!(
            url_from(
                "http://127.0.0.1:9/base?v=2",
                "/items/{id}",
                json!({"id": "7"})
            )
            .unwrap(),
            "http://127.0.0.1:9/base/items/7?v=2"
        );
    }

    #[test]
    fn values_never_leave_the_base_uri() {
        for hostile in [
            "../admin",
            "%2F..%2Fadmin",
            "a/b",
            "x?admin=1",
            "x#f",
            "a\r\nHost: evil",
            "//evil.test/x",
            "@evil.test",
        ] {
            let u = url("/items/{id}", json!({ "id": hostile })).unwrap();
            assert!(
                u.starts_with("http://127.0.0.1:9/api/items/"),
                "{hostile} → {u}"
            );
            let tail = &u["http://127.0.0.1:9/api/items/".len()..];
            assert!(
                !tail.contains('/') && !tail.contains('?') && !tail.contains('#'),
                "{hostile} → {u}"
            );
        }
        for dots in ["..", ".", ""] {
            assert!(
                url("/items/{id}", json!({ "id": dots })).is_err(),
                "{dots:?}"
            );
        }
        assert!(url("/items/{id}", json!({})).is_err());
    }

    /// Values for the property below: anything, and strings of URL-significant characters.
    fn hostile_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let dots = [
            "", ".", "..", "...", " ..", "%2e", "%2e%2e", ".%2E", "%00", "\\..",
        ];
        prop_oneof![
            any::<String>(),
            r"[/?#.%\\\r\n@:a-z]{0,12}",
            prop::sample::select(dots.to_vec()).prop_map(str::to_owned),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1024))]

        /// No path-variable value changes the upstream host, port, path prefix or query: it
        /// becomes exactly one percent-encoded segment (or an error, for "", "." and "..").
        #[test]
        fn url_path_values_stay_one_segment(value in hostile_value()) {
            use proptest::prelude::*;
            let t = with_plain_names(|names| {
                UrlTemplate::compile("http://127.0.0.1:9/api", "/items/{id}/x", names)
            })
            .unwrap();
            let rendered = t.render(&Values(json!({ "id": value })));
            if value.is_empty() || value == "." || value == ".." {
                prop_assert!(rendered.is_err(), "{value:?} → {rendered:?}");
                return Ok(());
            }
            let u = rendered.unwrap_or_else(|e| panic!("{value:?} → {e}"));
            prop_assert_eq!(u.host_str(), Some("127.0.0.1"), "{:?} → {}", value, u);
            prop_assert_eq!(u.port(), Some(9), "{:?} → {}", value, u);
            prop_assert!(u.path().starts_with("/api/items/"), "{value:?} → {u}");
            prop_assert!(u.path().ends_with("/x"), "{value:?} → {u}");
            prop_assert_eq!(u.query(), None, "{:?} → {}", value, u);
            prop_assert_eq!(u.fragment(), None, "{:?} → {}", value, u);
            let segments: Vec<&str> = u.path_segments().unwrap().collect();
            prop_assert_eq!(segments.len(), 4, "{:?} → {}", value, u);
            let decoded = percent_encoding::percent_decode_str(segments[2]).decode_utf8().unwrap();
            prop_assert_eq!(decoded.as_ref(), value.as_str(), "{}", u);
        }
    }
}
