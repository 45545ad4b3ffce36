//! Matching request paths to exposed routes: literal segments win over variables, variables
//! are percent-decoded, and a known path with the wrong method is told apart from an unknown
//! path (405 with `Allow` rather than 404).
//!
//! `forward` routes come second: a request no operation serves (no route for its path, or
//! none for its method) goes to the forward route whose path it extends, the most literal
//! one first. A forward route's last bare variable takes the rest of the path, slashes
//! included, still percent-encoded (the engine checks it before passing it on).
//!
//! Routing is naftiko's own rather than axum's `Router::route`, which panics on overlapping
//! routes; validation has already refused real conflicts, and this matcher cannot panic on
//! any path a capability declares. Paths that differ only in their variables' names
//! (`/items/{id}` GET, `/items/{type}` POST) share one entry, and each method's operation
//! gets the variables under its own resource's names.

use naftiko_engine::guard::Guard;
use naftiko_engine::metrics::{Metrics, OperationMetrics};
use naftiko_engine::{ForwardId, ForwardRoute, OpId, Route, Segment};
use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// One path with the operations per method.
#[derive(Debug, Clone)]
struct Entry {
    path: String,
    segments: Vec<Segment>,
    /// Every segment is a literal.
    literal: bool,
    methods: Vec<Handler>,
}

/// One method of a route: its operation and its metrics.
#[derive(Debug, Clone)]
pub struct Handler {
    method: http::Method,
    op: OpId,
    /// `METHOD path`, the metrics label.
    label: String,
    metrics: OnceLock<OperationMetrics>,
    /// The inbound authentication of the route's exposes block.
    guard: Option<Arc<Guard>>,
    /// The names of its own path's variables, in order.
    vars: Vec<String>,
}

impl PartialEq for Handler {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method && self.op == other.op && self.label == other.label
    }
}

impl Handler {
    fn new(route: &Route, path: &str) -> Self {
        Handler {
            method: route.method.clone(),
            op: route.op,
            label: format!("{} {path}", route.method),
            metrics: OnceLock::new(),
            guard: route.guard.clone(),
            vars: route
                .segments
                .iter()
                .filter_map(|s| match s {
                    Segment::Var { name, .. } => Some(name.clone()),
                    Segment::Literal(_) => None,
                })
                .collect(),
        }
    }

    /// The operation's REST metrics, resolved at its first request.
    pub fn metrics(&self, metrics: &Metrics) -> &OperationMetrics {
        self.metrics
            .get_or_init(|| metrics.operation("rest", &self.label))
    }
}

/// A `forward` route: its path's fixed part, and whether a last variable takes the rest.
#[derive(Debug, Clone)]
struct ForwardEntry {
    path: String,
    /// Every segment but the capturing one.
    prefix: Vec<Segment>,
    captures: bool,
    forward: ForwardId,
    guard: Option<Arc<Guard>>,
}

/// The routes of one listener.
#[derive(Debug, Clone, Default)]
pub struct Router {
    entries: Vec<Entry>,
    forwards: Vec<ForwardEntry>,
}

/// The result of matching a request.
#[derive(Debug, PartialEq)]
pub enum Match<'r> {
    /// An operation, the route as written, and the decoded path variables.
    Found {
        /// The operation.
        op: OpId,
        /// The route's path as written in the capability.
        route: &'r str,
        /// `METHOD route`, when the request's method is the route's (not for a `HEAD`
        /// served by a `GET` route).
        handler: Option<&'r Handler>,
        /// Path variables by name.
        params: Vec<(String, String)>,
        /// The inbound authentication to pass first.
        guard: Option<&'r Guard>,
    },
    /// The path exists but not for this method; the allowed methods.
    MethodNotAllowed {
        /// The route as written.
        route: &'r str,
        /// Allowed methods.
        allow: Vec<http::Method>,
        /// The inbound authentication of the path's first method, to pass first.
        guard: Option<&'r Guard>,
    },
    /// A `forward` route takes the request.
    Forward {
        /// The forward.
        forward: ForwardId,
        /// The route's path as written in the capability.
        route: &'r str,
        /// What its last variable took of the path (still percent-encoded), when it has
        /// one.
        remainder: Option<String>,
        /// The inbound authentication to pass first.
        guard: Option<&'r Guard>,
    },
    /// A path segment is not valid percent-encoded UTF-8.
    BadPath,
    /// No route.
    NotFound,
}

impl Router {
    /// Adds a route (same path from several capabilities or methods shares one entry);
    /// false when its method and path are taken already (the first route keeps them).
    pub fn add(&mut self, route: &Route) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| same_shape(&e.segments, &route.segments))
        {
            Some(e) => {
                if e.methods.iter().any(|h| h.method == route.method) {
                    return false;
                }
                let handler = Handler::new(route, &e.path);
                e.methods.push(handler);
            }
            None => self.entries.push(Entry {
                path: route.path.clone(),
                segments: route.segments.clone(),
                literal: route
                    .segments
                    .iter()
                    .all(|s| matches!(s, Segment::Literal(_))),
                methods: vec![Handler::new(route, &route.path)],
            }),
        }
        true
    }

    /// Adds a `forward` route; false when a forward with the same path shape is there
    /// already (the first keeps it).
    pub fn add_forward(&mut self, route: &ForwardRoute) -> bool {
        let keep = route
            .segments
            .len()
            .saturating_sub(usize::from(route.captures));
        let prefix: Vec<Segment> = route.segments.iter().take(keep).cloned().collect();
        if self
            .forwards
            .iter()
            .any(|f| f.captures == route.captures && same_shape(&f.prefix, &prefix))
        {
            return false;
        }
        self.forwards.push(ForwardEntry {
            path: route.path.clone(),
            prefix,
            captures: route.captures,
            forward: route.forward,
            guard: route.guard.clone(),
        });
        true
    }

    /// True when a `forward` route takes this request (the h1 loop hands those to hyper
    /// before reading their body, which is streamed).
    pub fn forwards(&self, method: &http::Method, raw_path: &str) -> bool {
        !self.forwards.is_empty() && matches!(self.find(method, raw_path), Match::Forward { .. })
    }

    /// Matches a raw (still percent-encoded) request path: an operation's route, else a
    /// `forward` route.
    pub fn find(&self, method: &http::Method, raw_path: &str) -> Match<'_> {
        let found = self.find_operation(method, raw_path);
        if self.forwards.is_empty() || matches!(found, Match::Found { .. }) {
            return found;
        }
        self.find_forward(raw_path).unwrap_or(found)
    }

    /// The most literal `forward` route `raw_path` extends.
    fn find_forward(&self, raw_path: &str) -> Option<Match<'_>> {
        let parts = decode(raw_path);
        let count = parts.len();
        let mut best: Option<(&ForwardEntry, Score)> = None;
        for f in &self.forwards {
            let fits = if f.captures {
                count > f.prefix.len()
            } else {
                count == f.prefix.len()
            };
            if !fits {
                continue;
            }
            if let Some((score, _)) = score(&f.prefix, &parts)
                && best.is_none_or(|(_, s)| score > s)
            {
                best = Some((f, score));
            }
        }
        let (f, _) = best?;
        Some(Match::Forward {
            forward: f.forward,
            route: &f.path,
            remainder: f
                .captures
                .then(|| rest_after(raw_path, f.prefix.len()).to_owned()),
            guard: f.guard.as_deref(),
        })
    }

    /// Matches a raw path against the operations' routes.
    fn find_operation(&self, method: &http::Method, raw_path: &str) -> Match<'_> {
        // A path spelled exactly as a route without variables is that route: no other
        // entry can match it as literally (entries of the same shape are merged).
        if !raw_path.contains('%')
            && let Some(e) = self
                .entries
                .iter()
                .find(|e| e.literal && e.path == raw_path)
        {
            return choose(e, method, &[]);
        }
        let parts = decode(raw_path);
        let mut best: Option<(&Entry, Score, bool)> = None;
        for e in self
            .entries
            .iter()
            .filter(|e| e.segments.len() == parts.len())
        {
            if let Some((score, decoded)) = score(&e.segments, &parts)
                && best.as_ref().is_none_or(|(_, s, _)| score > *s)
            {
                best = Some((e, score, decoded));
            }
        }
        match best {
            None => Match::NotFound,
            Some((_, _, false)) => Match::BadPath,
            Some((entry, _, true)) => choose(entry, method, &parts),
        }
    }
}

/// The non-empty segments of a raw path, percent-decoded (`None`: not valid UTF-8 once
/// decoded); borrowed unless a segment has percent escapes. One pass over the bytes, into
/// room for eight segments (a longer route is rare).
fn decode(raw_path: &str) -> Vec<Option<Cow<'_, str>>> {
    let mut parts = Vec::with_capacity(8);
    let mut start = 0;
    let mut escaped = false;
    for (i, b) in raw_path.bytes().enumerate() {
        match b {
            b'/' => {
                push_part(&mut parts, raw_path, start..i, escaped);
                start = i + 1;
                escaped = false;
            }
            b'%' => escaped = true,
            _ => {}
        }
    }
    push_part(&mut parts, raw_path, start..raw_path.len(), escaped);
    parts
}

/// Adds the segment at `range` of `raw_path` (between slashes, so on character boundaries)
/// to `parts`, decoded when it has an escape; an empty one is skipped.
fn push_part<'p>(
    parts: &mut Vec<Option<Cow<'p, str>>>,
    raw_path: &'p str,
    range: std::ops::Range<usize>,
    escaped: bool,
) {
    let Some(part) = raw_path.get(range).filter(|p| !p.is_empty()) else {
        return;
    };
    parts.push(if escaped {
        percent_decode_str(part).decode_utf8().ok()
    } else {
        Some(Cow::Borrowed(part))
    });
}

/// What follows the first `n` non-empty segments of a raw path, as received (inner and
/// trailing slashes kept), without the slashes that separate it from them.
fn rest_after(raw_path: &str, n: usize) -> &str {
    let mut rest = raw_path;
    for _ in 0..n {
        rest = rest.trim_start_matches('/');
        rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    }
    rest.trim_start_matches('/')
}

/// The operation of `entry` for `method` (`HEAD` is served by `GET`), with the values of
/// the variables in the path's decoded `parts` (which matched `entry`) named as that
/// operation's own path names them.
fn choose<'r>(
    entry: &'r Entry,
    method: &http::Method,
    parts: &[Option<Cow<'_, str>>],
) -> Match<'r> {
    let declared = entry.methods.iter().find(|h| h.method == method);
    let handler = declared.or_else(|| {
        (method == http::Method::HEAD)
            .then(|| entry.methods.iter().find(|h| h.method == http::Method::GET))
            .flatten()
    });
    match handler {
        Some(h) => {
            let mut params = Vec::with_capacity(h.vars.len());
            params.extend(h.vars.iter().cloned().zip(values(&entry.segments, parts)));
            Match::Found {
                op: h.op,
                route: &entry.path,
                handler: (h.method == method).then_some(h),
                params,
                guard: h.guard.as_deref(),
            }
        }
        None => Match::MethodNotAllowed {
            route: &entry.path,
            allow: allowed(entry),
            guard: entry.methods.first().and_then(|h| h.guard.as_deref()),
        },
    }
}

/// The methods `entry` answers: its operations', and `HEAD` where `GET` is served.
fn allowed(entry: &Entry) -> Vec<http::Method> {
    let mut allow: Vec<http::Method> = entry.methods.iter().map(|h| h.method.clone()).collect();
    if allow.contains(&http::Method::GET) && !allow.contains(&http::Method::HEAD) {
        allow.push(http::Method::HEAD);
    }
    allow
}

/// Two routes with the same literals and variable positions are one path.
fn same_shape(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Segment::Literal(p), Segment::Literal(q)) => p == q,
            (
                Segment::Var {
                    prefix: p1,
                    suffix: s1,
                    ..
                },
                Segment::Var {
                    prefix: p2,
                    suffix: s2,
                    ..
                },
            ) => p1 == p2 && s1 == s2,
            _ => false,
        })
}

/// Ranks a match: one flag per segment, `true` for a literal (compared left first).
/// Which segments matched literally, first segment in the highest bit: a higher score is
/// a more literal route. (Segments past the 64th do not count: no real route has them.)
type Score = u64;

/// How a path's decoded segments (`parts`, at least as many as `segments`) match
/// `segments`: the score ranks literal segments (left first) above variables; the flag is
/// false when a variable's segment could not be decoded. `None`: they do not match.
fn score(segments: &[Segment], parts: &[Option<Cow<'_, str>>]) -> Option<(Score, bool)> {
    let mut score: Score = 0;
    let mut decoded = true;
    for (i, (seg, part)) in segments.iter().zip(parts).enumerate() {
        match (seg, part) {
            (Segment::Literal(l), Some(p)) if l == p => {
                if i < 64 {
                    score |= 1 << (63 - i);
                }
            }
            (Segment::Literal(_), _) => return None,
            (Segment::Var { .. }, None) => decoded = false,
            (Segment::Var { prefix, suffix, .. }, Some(part)) => {
                var_value(part, prefix, suffix)?;
            }
        }
    }
    Some((score, decoded))
}

/// The value of a variable written between `prefix` and `suffix` in a segment; `None`
/// when the segment is not so written, or the value is empty.
fn var_value<'a>(part: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let value = part.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!value.is_empty()).then_some(value)
}

/// The values of the variables of `segments`, in order, in a path's decoded `parts` that
/// matched them (see [`score`]).
fn values<'a>(
    segments: &'a [Segment],
    parts: &'a [Option<Cow<'_, str>>],
) -> impl Iterator<Item = String> + 'a {
    segments
        .iter()
        .zip(parts)
        .filter_map(|(seg, part)| match seg {
            Segment::Var { prefix, suffix, .. } => {
                Some(var_value(part.as_deref()?, prefix, suffix)?.to_owned())
            }
            Segment::Literal(_) => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use naftiko_engine::segments;

    fn router(routes: &[(&str, &str, usize)]) -> Router {
        let mut r = Router::default();
        for (m, p, op) in routes {
            r.add(&Route {
                guard: None,
                path: (*p).to_owned(),
                segments: segments(p),
                method: http::Method::from_bytes(m.as_bytes()).unwrap(),
                op: OpId(*op),
            });
        }
        r
    }

    #[test]
    fn literals_win_and_variables_are_decoded() {
        let r = router(&[("GET", "/ships/{imo}", 0), ("GET", "/ships/latest", 1)]);
        assert!(matches!(
            r.find(&http::Method::GET, "/ships/latest"),
            Match::Found { op: OpId(1), .. }
        ));
        match r.find(&http::Method::GET, "/ships/a%2Fb%20c") {
            Match::Found { op, params, .. } => {
                assert_eq!(op, OpId(0));
                assert_eq!(params, vec![("imo".to_owned(), "a/b c".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        // Empty segments (doubled, leading and trailing slashes) are not segments; each
        // variable's segment is decoded on its own, escapes after a plain one included.
        let v = router(&[("GET", "/v1/{a}/x/{b}", 2)]);
        for (path, a, b) in [
            ("//v1//plain/x/%41b/", "plain", "Ab"),
            ("/v1/%C3%A9t%C3%A9/x//b%2F", "été", "b/"),
        ] {
            match v.find(&http::Method::GET, path) {
                Match::Found { op, params, .. } => {
                    assert_eq!(op, OpId(2), "{path}");
                    let want = [("a", a), ("b", b)].map(|(k, v)| (k.to_owned(), v.to_owned()));
                    assert_eq!(params, want, "{path}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        assert_eq!(v.find(&http::Method::GET, "/v1/a/y/b"), Match::NotFound);
        assert_eq!(v.find(&http::Method::GET, "/v1/a/x"), Match::NotFound);
    }

    #[test]
    fn wrong_method_lists_allowed_methods_and_unknown_paths_are_not_found() {
        let r = router(&[("POST", "/v1/token", 0), ("DELETE", "/v1/token", 1)]);
        match r.find(&http::Method::GET, "/v1/token") {
            Match::MethodNotAllowed { allow, .. } => {
                assert_eq!(allow, vec![http::Method::POST, http::Method::DELETE])
            }
            other => panic!("{other:?}"),
        }
        let g = router(&[("GET", "/v1/items", 0), ("OPTIONS", "/v1/items", 1)]);
        match g.find(&http::Method::POST, "/v1/items") {
            Match::MethodNotAllowed { allow, .. } => assert_eq!(
                allow,
                vec![http::Method::GET, http::Method::OPTIONS, http::Method::HEAD]
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            g.find(&http::Method::OPTIONS, "/v1/items"),
            Match::Found { op: OpId(1), .. }
        ));
        assert_eq!(r.find(&http::Method::GET, "/v2/token"), Match::NotFound);
        assert_eq!(r.find(&http::Method::GET, "/v1/%ff"), Match::NotFound);
        let v = router(&[("GET", "/x/{id}", 0)]);
        assert_eq!(v.find(&http::Method::GET, "/x/%ff"), Match::BadPath);
    }

    #[test]
    fn each_method_names_the_path_variables_as_its_own_resource_does() {
        let r = router(&[
            ("GET", "/wit/items/{id}", 0),
            ("POST", "/wit/items/{type}", 1),
            ("GET", "/wit/items/{other}", 2),
        ]);
        for (method, op, name) in [("GET", 0, "id"), ("POST", 1, "type")] {
            let method = http::Method::from_bytes(method.as_bytes()).unwrap();
            match r.find(&method, "/wit/items/x1") {
                Match::Found {
                    op: got, params, ..
                } => {
                    assert_eq!(got, OpId(op));
                    assert_eq!(params, vec![(name.to_owned(), "x1".to_owned())]);
                }
                other => panic!("{other:?}"),
            }
        }
        let mut again = r.clone();
        assert!(!again.add(&Route {
            guard: None,
            path: "/wit/items/{z}".to_owned(),
            segments: segments("/wit/items/{z}"),
            method: http::Method::GET,
            op: OpId(3),
        }));
    }

    /// Adds a forward route for `path` (capturing when its last segment is a bare
    /// variable); false when its shape is taken.
    fn forward(r: &mut Router, path: &str, id: usize) -> bool {
        let segs = segments(path);
        let captures = matches!(segs.last(), Some(Segment::Var { prefix, suffix, .. }) if prefix.is_empty() && suffix.is_empty());
        r.add_forward(&ForwardRoute {
            path: path.to_owned(),
            segments: segs,
            captures,
            forward: ForwardId(id),
            target: "up".to_owned(),
            guard: None,
        })
    }

    fn forwarded(r: &Router, method: &str, path: &str) -> Option<(usize, Option<String>)> {
        let method = http::Method::from_bytes(method.as_bytes()).unwrap();
        match r.find(&method, path) {
            Match::Forward {
                forward, remainder, ..
            } => Some((forward.0, remainder)),
            _ => None,
        }
    }

    #[test]
    fn forward_routes_take_the_rest_of_the_path_and_what_operations_leave() {
        let mut r = router(&[("GET", "/data/{id}", 0), ("GET", "/data/latest", 1)]);
        for (path, id) in [
            ("/data/{path}", 0),
            ("/data/special/{{rest}}", 1),
            ("/exact", 2),
        ] {
            assert!(forward(&mut r, path, id));
        }
        // Operations keep their methods (HEAD with GET); the forward takes the others.
        assert!(matches!(
            r.find(&http::Method::GET, "/data/7"),
            Match::Found { op: OpId(0), .. }
        ));
        assert!(matches!(
            r.find(&http::Method::HEAD, "/data/7"),
            Match::Found { op: OpId(0), .. }
        ));
        /// A method, a path, and the forward and remainder it gets.
        type Case = (
            &'static str,
            &'static str,
            Option<(usize, Option<&'static str>)>,
        );
        let cases: [Case; 10] = [
            ("POST", "/data/7", Some((0, Some("7")))),
            ("BREW", "/data/latest", Some((0, Some("latest")))),
            // The rest of the path as received: encoded, inner and trailing slashes kept.
            ("GET", "/data/a%20b//c/", Some((0, Some("a%20b//c/")))),
            ("POST", "//data/x", Some((0, Some("x")))),
            // The most literal forward wins.
            ("PUT", "/data/special/x/y", Some((1, Some("x/y")))),
            ("PUT", "/data/special", Some((0, Some("special")))),
            // A forward without a capturing variable matches its path exactly.
            ("GET", "/exact", Some((2, None))),
            ("GET", "/exact/more", None),
            ("GET", "/data", None),
            ("GET", "/other", None),
        ];
        for (method, path, expected) in cases {
            let expected = expected.map(|(id, rest)| (id, rest.map(str::to_owned)));
            assert_eq!(forwarded(&r, method, path), expected, "{method} {path}");
        }
        assert!(r.forwards(&http::Method::POST, "/data/1"));
        assert!(!r.forwards(&http::Method::GET, "/data/1"));
        // Same shape twice: the first keeps it.
        assert!(!forward(&mut r, "/data/{other}", 9));
    }

    #[test]
    fn exact_literal_paths_match_as_the_segment_matcher_does() {
        let r = router(&[
            ("GET", "/ships/{imo}", 0),
            ("GET", "/ships/latest", 1),
            ("POST", "/v1/token", 2),
        ]);
        for (method, path) in [
            ("GET", "/ships/latest"),
            ("GET", "/ships/latest/"),
            ("GET", "//ships/latest"),
            ("GET", "/ships/lat%65st"),
            ("GET", "/ships/9074729"),
            ("HEAD", "/ships/latest"),
            ("POST", "/v1/token"),
            ("GET", "/v1/token"),
            ("POST", "/v1/tokens"),
        ] {
            let method = http::Method::from_bytes(method.as_bytes()).unwrap();
            let mut general = r.clone();
            // Without the literal flag, only the segment matcher runs.
            for e in &mut general.entries {
                e.literal = false;
            }
            assert_eq!(
                r.find(&method, path),
                general.find(&method, path),
                "{method} {path}"
            );
        }
    }
}
