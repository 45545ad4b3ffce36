//! JSONPath (RFC 9535) with Jayway-compatible spelling and result shaping.
//!
//! Capability outputs map upstream responses with JSONPath (`mapping: $.x`, `value: $.x`). The
//! reference engine uses Jayway JsonPath, whose dialect is looser than RFC 9535, and published
//! capability files rely on it. [`JsonPathExpr::parse`] therefore first rewrites the common
//! Jayway spellings into canonical RFC 9535 and remembers whether it had to
//! ([`JsonPathExpr::normalized`]), so a validator can suggest the canonical form:
//!
//! - `$.` (like `$`) is the whole document; surrounding ASCII whitespace is ignored;
//! - dot-member names that RFC 9535 shorthand does not allow become bracket names:
//!   `$.get-ship.vessel_type` → `$['get-ship'].vessel_type`, `$.a.first name` →
//!   `$.a['first name']`, `$.0` → `$['0']`;
//! - a dot before a bracket is dropped: `$.['a']` → `$['a']`.
//!
//! Bracketed selections, quoted strings and filters are never rewritten. Jayway's
//! parenthesised filters (`[?(@.price < 10)]`) are already valid RFC 9535. Evaluation is done
//! by [`serde_json_path`]. Results are shaped like Jayway's: a *definite* path (only single
//! name and index selectors) yields its one value or `null`, any other path yields an array of
//! every match.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use serde_json_path::JsonPath;

/// A compiled JSONPath query.
///
/// ```
/// use naftiko_expr::JsonPathExpr;
/// use serde_json::json;
///
/// let doc = json!({"get-ship": {"vessel_type": "tanker"}, "ships": [{"imo": 1}, {"imo": 2}]});
/// let p = JsonPathExpr::parse("$.get-ship.vessel_type").unwrap();
/// assert_eq!(p.normalized(), Some("$['get-ship'].vessel_type"));
/// assert!(p.is_definite());
/// assert_eq!(p.extract(&doc), json!("tanker"));
/// let all = JsonPathExpr::parse("$.ships[*].imo").unwrap();
/// assert_eq!(all.extract(&doc), json!([1, 2]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPathExpr {
    source: String,
    normalized: Option<String>,
    path: JsonPath,
    definite: bool,
    /// The query evaluated step by step, when it is simple (names, indices, wildcards).
    walk: Option<crate::path_steps::Walk>,
}

/// A JSONPath that could not be compiled.
///
/// `Display` writes ``invalid JSONPath `…`: <message>``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath `{text}`: {message}")]
pub struct JsonPathError {
    text: String,
    position: Option<usize>,
    message: String,
}

impl JsonPathError {
    /// The JSONPath text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of the problem in [`JsonPathError::text`], when known.
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// What is wrong, without the path text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl JsonPathExpr {
    /// Compiles `text`, accepting Jayway spellings (see the [module docs](self)).
    ///
    /// Valid RFC 9535 queries are left exactly as written.
    pub fn parse(text: &str) -> Result<JsonPathExpr, JsonPathError> {
        let scan = Scan::run(text);
        if let Some((at, function)) = &scan.function_call {
            return Err(JsonPathError {
                text: text.to_owned(),
                position: Some(*at),
                message: format!(
                    "Jayway path function `.{function}` is not supported; RFC 9535 functions \
                     (`length`, `count`, `match`, `search`, `value`) are used inside filters, \
                     e.g. `$.items[?length(@.tags) > 0]`"
                ),
            });
        }
        let path = compile(&scan.out)
            .map_err(|(at, message)| error(text, &scan, scan.source_offset(at), &message))?;
        let definite = scan.definite;
        let walk = crate::path_steps::Walk::of(&scan.out);
        let normalized = (scan.out != text).then_some(scan.out);
        Ok(JsonPathExpr {
            source: text.to_owned(),
            normalized,
            path,
            definite,
            walk,
        })
    }

    /// Compiles `text` as strict RFC 9535, with no Jayway rewriting.
    pub fn parse_strict(text: &str) -> Result<JsonPathExpr, JsonPathError> {
        // The scan of a valid RFC 9535 query never rewrites it; only its classification (and,
        // on error, its notes) are used here.
        let scan = Scan::run(text);
        let path = compile(text).map_err(|(at, message)| error(text, &scan, at, &message))?;
        Ok(JsonPathExpr {
            source: text.to_owned(),
            normalized: None,
            path,
            definite: scan.definite,
            walk: crate::path_steps::Walk::of(text),
        })
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The canonical RFC 9535 form, when it differs from what was written.
    pub fn normalized(&self) -> Option<&str> {
        self.normalized.as_deref()
    }

    /// The RFC 9535 text that is evaluated: [`normalized`](Self::normalized) or the source.
    pub fn canonical(&self) -> &str {
        self.normalized.as_deref().unwrap_or(&self.source)
    }

    /// `true` when the query uses only single name and index selectors (no `..`, `*`,
    /// filters, slices or unions), so it selects at most one node.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// `true` when the query is the whole document (`$`, or `$.` as written).
    pub fn is_root(&self) -> bool {
        self.canonical() == "$"
    }

    /// The member name when the query selects one member of the root object: `$.name`
    /// (a shorthand name of ASCII letters, digits and `_`) or `$['name']` / `$["name"]`
    /// (a quoted name without escapes). Such a query selects `doc[name]` or nothing, so a
    /// caller may read it without building a `Value` tree.
    pub fn top_level_member(&self) -> Option<&str> {
        let text = self.canonical();
        if let Some(name) = text.strip_prefix("$.") {
            let mut bytes = name.bytes();
            let first_ok = bytes
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
            return (first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then_some(name);
        }
        for quote in ['\'', '"'] {
            let Some(inner) = text
                .strip_prefix("$[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.strip_prefix(quote))
                .and_then(|t| t.strip_suffix(quote))
            else {
                continue;
            };
            if !inner.contains(['\\', '\'', '"']) && !inner.chars().any(char::is_control) {
                return Some(inner);
            }
        }
        None
    }

    /// The member names, indices and wildcards the query descends through, and whether
    /// they are the whole query (see [`crate::path_steps`]).
    pub fn steps(&self) -> (Vec<crate::PathStep<'_>>, bool) {
        crate::path_steps::steps(self.canonical())
    }

    /// The underlying compiled [`serde_json_path::JsonPath`].
    pub fn as_json_path(&self) -> &JsonPath {
        &self.path
    }

    /// Every node the query selects, in RFC 9535 order.
    pub fn query_nodes<'v>(&self, doc: &'v Value) -> Vec<&'v Value> {
        self.path.query(doc).all()
    }

    /// The query result shaped like Jayway's: for a definite query the selected value (cloned)
    /// or `null` when nothing matches; otherwise an array of all selected values (possibly
    /// empty).
    pub fn extract(&self, doc: &Value) -> Value {
        if let Some(walk) = &self.walk {
            if self.definite {
                return walk.node(doc).cloned().unwrap_or(Value::Null);
            }
            let mut nodes = Vec::new();
            walk.nodes(doc, &mut nodes);
            return Value::Array(nodes.into_iter().cloned().collect());
        }
        let nodes = self.path.query(doc);
        if self.definite {
            nodes.first().cloned().unwrap_or(Value::Null)
        } else {
            Value::Array(nodes.all().into_iter().cloned().collect())
        }
    }
}

impl FromStr for JsonPathExpr {
    type Err = JsonPathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JsonPathExpr::parse(text)
    }
}

impl fmt::Display for JsonPathExpr {
    /// Writes the text as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// [`JsonPath::parse`], with the error as its byte position and message.
///
/// serde_json_path 0.7 reads the hex digits of a string's `\u` escape with a streaming nom
/// parser, and panics (`unreachable!`) when the query ends inside the escape (`$['\u`,
/// `$['\uD`, `$['\uD800\ud`). A query ending so is never valid (it ends inside a string),
/// so it is refused before the parser sees it.
fn compile(query: &str) -> Result<JsonPath, (usize, String)> {
    for end in ["\\u", "\\uD", "\\ud"] {
        if query.ends_with(end) {
            return Err((
                query.len() - end.len(),
                "the query ends inside a string, in a `\\u` escape: complete the escape and \
                 close the string with its quote"
                    .to_owned(),
            ));
        }
    }
    JsonPath::parse(query).map_err(|e| (e.position(), e.message().to_owned()))
}

/// Builds the error for `text`, whose parse failed at `position` with `message`, improving
/// on the parser's generic messages where the scan knows better.
fn error(text: &str, scan: &Scan, position: usize, message: &str) -> JsonPathError {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let (position, mut message) = if trimmed.is_empty() {
        (
            0,
            "empty JSONPath; write `$` for the whole document".to_owned(),
        )
    } else if trimmed.starts_with('@') {
        (
            lead,
            "a JSONPath must start with `$` (the document root); `@` (the current node) is \
             only meaningful inside a filter"
                .to_owned(),
        )
    } else if !trimmed.starts_with('$') {
        (
            lead,
            "a JSONPath must start with `$` (the document root), as in `$.name`".to_owned(),
        )
    } else if scan.unclosed_bracket.is_none() && trimmed.trim_end().ends_with('.') {
        (
            lead + trimmed.trim_end().len() - 1,
            "a JSONPath cannot end with `.` or `..`: add a member name or remove the dot"
                .to_owned(),
        )
    } else if let (Some(at), "parser error") = (scan.unclosed_bracket, message) {
        (at, "`[` is never closed by a matching `]`".to_owned())
    } else {
        (position, message.to_owned())
    };
    if text.contains("=~") {
        message.push_str(
            "; Jayway's `=~` regex operator is not RFC 9535: use `match(@.x, 'regex')` or \
             `search(@.x, 'regex')` in the filter",
        );
    }
    JsonPathError {
        text: text.to_owned(),
        position: Some(position),
        message,
    }
}

/// One pass over a query: the Jayway→RFC 9535 rewrite and the definiteness classification.
///
/// The scan only needs to be exact for valid queries; anything it does not understand is
/// copied verbatim and left for the RFC 9535 parser to reject.
struct Scan {
    /// The rewritten query.
    out: String,
    /// For each byte of `out`, plus one past the end, the byte offset in the original text.
    map: Vec<usize>,
    /// Only single name/index selectors seen so far.
    definite: bool,
    /// Offset and text of a Jayway path function call (`length()`), if any.
    function_call: Option<(usize, String)>,
    /// Offset of the first `[` that is never closed, if any.
    unclosed_bracket: Option<usize>,
}

/// Space that may surround a query: ASCII whitespace only. Non-ASCII spaces (U+00A0,
/// U+3000…) are valid RFC 9535 member-name characters, so `$.a\u{a0}` names `a\u{a0}`.
fn is_surrounding_space(c: char) -> bool {
    c.is_ascii() && c.is_whitespace()
}

impl Scan {
    /// Scans `text`.
    fn run(text: &str) -> Scan {
        // Not `str::trim`, which also strips the non-ASCII spaces that can end a name.
        let lead = text.len() - text.trim_start_matches(is_surrounding_space).len();
        let s = text.trim_matches(is_surrounding_space);
        let mut scan = Scan {
            out: String::with_capacity(s.len() + 8),
            map: Vec::with_capacity(s.len() + 9),
            definite: true,
            function_call: None,
            unclosed_bracket: None,
        };
        scan.segments(s, lead);
        scan.map.push(lead + s.len());
        scan
    }

    /// Maps a byte offset in `out` back to the original text.
    fn source_offset(&self, out_offset: usize) -> usize {
        self.map
            .get(out_offset)
            .or(self.map.last())
            .copied()
            .unwrap_or(0)
    }

    /// Copies `s[range]` verbatim; `base` is the offset of `s` in the original text.
    fn copy(&mut self, s: &str, start: usize, end: usize, base: usize) {
        self.out.push_str(&s[start..end]);
        self.map.extend(base + start..base + end);
    }

    /// Emits text that has no counterpart in the original, attributed to `at`.
    fn synth(&mut self, text: &str, at: usize) {
        self.out.push_str(text);
        self.map.extend(std::iter::repeat_n(at, text.len()));
    }

    /// Scans a trimmed query `s` found at offset `base` of the original text.
    fn segments(&mut self, s: &str, base: usize) {
        let bytes = s.as_bytes();
        if bytes.first() != Some(&b'$') {
            self.definite = false;
            self.copy(s, 0, s.len(), base);
            return;
        }
        self.copy(s, 0, 1, base);
        if s == "$." {
            // Jayway's whole-document spelling.
            return;
        }
        let mut i = 1;
        while i < bytes.len() {
            // Blank space between segments is allowed by RFC 9535.
            let ws = i + s[i..].len() - s[i..].trim_start().len();
            self.copy(s, i, ws, base);
            i = ws;
            match (bytes.get(i), bytes.get(i + 1)) {
                (None, _) => break,
                (Some(b'.'), Some(b'.')) => {
                    self.definite = false;
                    self.copy(s, i, i + 2, base);
                    i = self.after_dot(s, i + 2, base, "..");
                }
                (Some(b'.'), Some(b'[')) => {
                    // Jayway accepts `$.['a']`; RFC 9535 wants `$['a']`.
                    i += 1;
                }
                (Some(b'.'), _) => {
                    self.copy(s, i, i + 1, base);
                    i = self.after_dot(s, i + 1, base, ".");
                }
                (Some(b'['), _) => match bracket_end(s, i) {
                    Some(end) => {
                        if !is_single_selector(&s[i + 1..end - 1]) {
                            self.definite = false;
                        }
                        self.copy(s, i, end, base);
                        i = end;
                    }
                    None => {
                        self.definite = false;
                        self.unclosed_bracket = Some(base + i);
                        self.copy(s, i, s.len(), base);
                        return;
                    }
                },
                _ => {
                    self.copy(s, i, s.len(), base);
                    return;
                }
            }
        }
    }

    /// Scans what follows a `.` or `..` (already emitted, as `dots`) at `i`; returns where
    /// scanning resumes.
    fn after_dot(&mut self, s: &str, i: usize, base: usize, dots: &str) -> usize {
        let bytes = s.as_bytes();
        match bytes.get(i) {
            // `..[` and `..*`, or `.*`: bracketed selection or wildcard, handled as is.
            Some(b'[') if dots == ".." => return i,
            Some(b'*') => {
                self.definite = false;
                self.copy(s, i, i + 1, base);
                return i + 1;
            }
            _ => {}
        }
        // A Jayway dot-member name runs to the next `.` or `[`.
        let end = s[i..].find(['.', '[']).map_or(s.len(), |n| i + n);
        let raw = &s[i..end];
        let name = raw.trim();
        if name.is_empty() {
            // `$.a.`, `$.a. .b`: invalid either way; let the parser say so.
            self.copy(s, i, end, base);
            return end;
        }
        if raw.starts_with(char::is_whitespace) {
            // `$. a`: blank space after a dot is invalid in RFC 9535 and in Jayway.
            self.copy(s, i, end, base);
            return end;
        }
        if name.ends_with(')') && name.contains('(') && self.function_call.is_none() {
            self.function_call = Some((base + i, name.to_owned()));
        }
        if is_member_name_shorthand(name) {
            // Trailing blanks are blank space before the next segment.
            self.copy(s, i, end, base);
        } else {
            // Replace the `.` just emitted with a bracketed name.
            if dots == "." {
                self.out.pop();
                self.map.pop();
            }
            let at = base + i;
            self.synth("['", at);
            let mut quoted = String::with_capacity(name.len());
            push_quoted(&mut quoted, name);
            self.synth(&quoted, at);
            self.synth("']", at);
            let trailing = i + name.len();
            self.copy(s, trailing, end, base);
        }
        end
    }
}

/// RFC 9535 `member-name-shorthand`: `name-first *name-char`.
fn is_member_name_shorthand(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii());
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

/// Appends `name` escaped for a single-quoted RFC 9535 string literal.
fn push_quoted(out: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
}

/// The offset just past the `]` matching the `[` at `open`, skipping quoted strings and
/// nested brackets; `None` when it is never closed.
fn bracket_end(s: &str, open: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut quote = None;
    let mut i = open;
    while let Some(&b) = bytes.get(i) {
        if let Some(q) = quote {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
        } else {
            match b {
                b'\'' | b'"' => quote = Some(b),
                b'[' => depth += 1,
                b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Whether a bracketed selection's inside is one name (`'a'`) or index (`-1`) selector.
fn is_single_selector(inner: &str) -> bool {
    let bytes = inner.as_bytes();
    let mut depth = 0usize;
    let mut quote = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(q) = quote {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
        } else {
            match b {
                b'\'' | b'"' => quote = Some(b),
                b'[' | b'(' => depth += 1,
                b']' | b')' => depth = depth.saturating_sub(1),
                // A union or a slice.
                b',' | b':' if depth == 0 => return false,
                _ => {}
            }
        }
        i += 1;
    }
    let selector = inner.trim();
    let quoted = selector.len() >= 2
        && ((selector.starts_with('\'') && selector.ends_with('\''))
            || (selector.starts_with('"') && selector.ends_with('"')));
    let digits = selector.strip_prefix('-').unwrap_or(selector);
    let index = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    quoted || index
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> JsonPathExpr {
        JsonPathExpr::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn doc() -> Value {
        json!({
            "get-ship": {"vessel_type": "tanker", "imo": 9321483},
            "a": {"first name": "Ada", "b": {"c": 1}},
            "0": "zero",
            "store": {
                "book": [
                    {"title": "Sayings", "price": 8.95, "isbn": "x"},
                    {"title": "Sword", "price": 12.99},
                    {"title": "Moby", "price": 8.99, "isbn": "y"}
                ]
            },
            "it's": {"back\\slash": true}
        })
    }

    #[test]
    fn root_spellings() {
        let d = doc();
        for text in ["$", "$.", "  $.  ", "$ "] {
            let e = p(text);
            assert!(e.is_root(), "{text}");
            assert!(e.is_definite(), "{text}");
            assert_eq!(e.extract(&d), d, "{text}");
            assert_eq!(e.canonical(), "$");
        }
        assert_eq!(p("$").normalized(), None);
        assert_eq!(p("$.").normalized(), Some("$"));
        assert_eq!(p("$. \n").normalized(), Some("$"));
        assert!(!p("$.a").is_root());
    }

    #[test]
    fn hyphenated_dot_names_become_brackets() {
        let e = p("$.get-ship.vessel_type");
        assert_eq!(e.normalized(), Some("$['get-ship'].vessel_type"));
        assert_eq!(e.source(), "$.get-ship.vessel_type");
        assert!(e.is_definite());
        assert_eq!(e.extract(&doc()), json!("tanker"));
        assert_eq!(
            p("$..get-ship").normalized(),
            Some("$..['get-ship']"),
            "descendant names too"
        );
        assert_eq!(p("$..get-ship").extract(&doc())[0]["imo"], json!(9321483));
    }

    #[test]
    fn names_with_spaces_digits_and_quotes() {
        let d = doc();
        let e = p("$.a.first name");
        assert_eq!(e.normalized(), Some("$.a['first name']"));
        assert_eq!(e.extract(&d), json!("Ada"));
        let e = p("$.0");
        assert_eq!(e.normalized(), Some("$['0']"));
        assert_eq!(e.extract(&d), json!("zero"));
        let e = p("$.it's.back\\slash");
        assert_eq!(e.normalized(), Some(r"$['it\'s']['back\\slash']"));
        assert_eq!(e.extract(&d), json!(true));
        assert_eq!(p("$.a.tab\there").normalized(), Some(r"$.a['tab\there']"));
    }

    #[test]
    fn dot_before_bracket_is_dropped() {
        let e = p("$.['get-ship'].imo");
        assert_eq!(e.normalized(), Some("$['get-ship'].imo"));
        assert_eq!(e.extract(&doc()), json!(9321483));
        assert_eq!(p("$.store.[0]").normalized(), Some("$.store[0]"));
    }

    #[test]
    fn valid_rfc_paths_are_untouched() {
        for text in [
            "$.a.b.c",
            "$['get-ship']['vessel_type']",
            "$[\"a\"].b",
            "$.a ['b'] .c",
            "$..book[?(@.price < 10)].title",
            "$..book[?@.price < 10 && @.isbn]",
            "$['a.b', 'c-d'][0:2]",
            "$.store.book[-1]",
            "$.ünïcödé",
            "$[?@['x-y'] == 'a.b-c' || @[\"q]\"] == \"[\"]",
            "$[?match(@.title, 'S.*')]",
            "$.*",
            "$..*",
            "$..[0]",
        ] {
            let e = p(text);
            assert_eq!(e.normalized(), None, "{text}");
            assert_eq!(e.canonical(), text);
        }
    }

    #[test]
    fn brackets_quotes_and_filters_are_not_rewritten() {
        // The hyphens and spaces live inside brackets, quotes or filters only.
        let e = p("$.store.book[?(@.title == 'a-b c.d')].price");
        assert_eq!(e.normalized(), None);
        // A bracket name containing `]` and `.` does not end the bracket early.
        let d = json!({"x]y.z": {"k-1": 5}});
        let e = p("$['x]y.z'].k-1");
        assert_eq!(e.normalized(), Some("$['x]y.z']['k-1']"));
        assert_eq!(e.extract(&d), json!(5));
        let e = p("$[\"x]y.z\"]");
        assert_eq!(e.normalized(), None);
        assert_eq!(e.extract(&d), json!({"k-1": 5}));
    }

    #[test]
    fn jayway_parenthesised_filters() {
        let d = doc();
        // RFC 9535 accepts `?(...)` natively: a parenthesised logical expression.
        assert!(JsonPathExpr::parse_strict("$.store.book[?(@.price < 10)]").is_ok());
        let e = p("$.store.book[?(@.price < 10)].title");
        assert_eq!(e.normalized(), None);
        assert!(!e.is_definite());
        assert_eq!(e.extract(&d), json!(["Sayings", "Moby"]));
        let e = p("$.store.book[?(@.isbn)].title");
        assert_eq!(e.extract(&d), json!(["Sayings", "Moby"]));
        let e = p("$..book[?(@.price > 100)]");
        assert_eq!(e.extract(&d), json!([]));
    }

    #[test]
    fn definiteness() {
        for text in [
            "$",
            "$.a",
            "$.a.b",
            "$['a']",
            "$[\"a\"][0]",
            "$.a[-1]",
            "$.get-ship",
            "$ .a [ 'b' ] [ 0 ]",
            "$['a,b']",
            "$['a:b']",
        ] {
            assert!(p(text).is_definite(), "{text}");
            assert!(
                JsonPathExpr::parse_strict(p(text).canonical())
                    .unwrap()
                    .is_definite(),
                "{text}"
            );
        }
        for text in [
            "$..a",
            "$.*",
            "$[*]",
            "$.a[*].b",
            "$[0,1]",
            "$['a','b']",
            "$[0:1]",
            "$[::2]",
            "$[?@.a]",
            "$[?(@.a)]",
            "$..[0]",
            "$.a..b",
        ] {
            assert!(!p(text).is_definite(), "{text}");
            assert!(
                !JsonPathExpr::parse_strict(text).unwrap().is_definite(),
                "{text}"
            );
        }
    }

    #[test]
    fn result_shaping() {
        let d = doc();
        // Definite: the value itself, or null when missing.
        assert_eq!(p("$.a.b").extract(&d), json!({"c": 1}));
        assert_eq!(p("$.a.b.c").extract(&d), json!(1));
        assert_eq!(p("$.store.book[1].title").extract(&d), json!("Sword"));
        assert_eq!(p("$.store.book[-1].title").extract(&d), json!("Moby"));
        assert_eq!(p("$.missing").extract(&d), Value::Null);
        assert_eq!(p("$.a.b.c.d").extract(&d), Value::Null);
        assert_eq!(p("$.store.book[7]").extract(&d), Value::Null);
        // A present null is also null.
        assert_eq!(p("$.n").extract(&json!({"n": null})), Value::Null);
        // Indefinite: always an array.
        assert_eq!(
            p("$.store.book[*].price").extract(&d),
            json!([8.95, 12.99, 8.99])
        );
        assert_eq!(p("$.store.book[0:1].title").extract(&d), json!(["Sayings"]));
        assert_eq!(p("$..nothing").extract(&d), json!([]));
        assert_eq!(
            p("$['a','0']").extract(&d).as_array().map(Vec::len),
            Some(2)
        );
        // Raw node lists.
        assert_eq!(p("$.missing").query_nodes(&d), Vec::<&Value>::new());
        assert_eq!(p("$..c").query_nodes(&d), vec![&json!(1)]);
        // Scalars as the document.
        assert_eq!(p("$").extract(&json!(3)), json!(3));
        assert_eq!(p("$.a").extract(&json!(3)), Value::Null);
    }

    #[test]
    fn errors_have_text_position_and_message() {
        let e = JsonPathExpr::parse("$.a[").unwrap_err();
        assert_eq!(e.text(), "$.a[");
        assert!(e.position().is_some());
        assert!(!e.message().is_empty());
        assert!(
            e.to_string().starts_with("invalid JSONPath `$.a[`: "),
            "{e}"
        );

        // Positions refer to the text as written, even after rewriting.
        let text = "$.get-ship[?@.a ==]";
        let e = JsonPathExpr::parse(text).unwrap_err();
        let at = e.position().unwrap();
        assert!(
            at >= text.find('[').unwrap() && at <= text.len(),
            "{at}: {e}"
        );

        let e = JsonPathExpr::parse("  $.x-y.z[").unwrap_err();
        assert!(e.position().unwrap() <= 11, "{e:?}");

        for bad in ["", "a.b", "$.a.", "$..", "$[", "$.a[0", "$[?@.a ==]", "@.a"] {
            assert!(JsonPathExpr::parse(bad).is_err(), "{bad:?}");
        }
        let e = JsonPathExpr::parse("$.items.length()").unwrap_err();
        assert_eq!(e.position(), Some(8));
        assert!(e.message().contains("`.length()`"), "{e}");
    }

    #[test]
    fn generic_parser_errors_are_explained() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "empty JSONPath"),
            ("   ", 0, "empty JSONPath"),
            ("a.b", 0, "must start with `$`"),
            ("  name", 2, "must start with `$`"),
            ("@.a", 0, "only meaningful inside a filter"),
            ("$.a[", 3, "never closed"),
            ("$.x-y['a'][", 10, "never closed"),
            ("$[?@.a =~ 'x']", 7, "match(@.x, 'regex')"),
            ("$.a.", 3, "cannot end with `.`"),
            ("$..", 2, "cannot end with `.`"),
        ];
        for (text, at, needle) in cases {
            for e in [
                JsonPathExpr::parse(text).unwrap_err(),
                JsonPathExpr::parse_strict(text).unwrap_err(),
            ] {
                assert!(e.message().contains(needle), "{text:?}: {e}");
                if !text.contains("x-y") {
                    assert_eq!(e.position(), Some(*at), "{text:?}: {e}");
                }
            }
        }
        let e = JsonPathExpr::parse("$.x-y['a'][").unwrap_err();
        assert_eq!(e.position(), Some(10), "{e}");
    }

    #[test]
    fn blank_after_dot_is_rejected() {
        for text in ["$. a", "$.\na", "$.. a", "$.a. b"] {
            assert!(JsonPathExpr::parse(text).is_err(), "{text:?}");
        }
    }

    /// Found by `fuzz/` (jsonpath target, crash-7193eb81ed6f99b9783af5b3e9f972211c18657e):
    /// `$.\u{a0}` is valid RFC 9535 (U+00A0 is a member-name character) but was trimmed to
    /// `$.`, the whole document. Only ASCII whitespace surrounds a query.
    #[test]
    fn non_ascii_spaces_are_name_characters_not_surrounding_space() {
        // The artifact's bytes; a `&str` fuzz target sees their longest UTF-8 prefix.
        let crash: &[u8] = b"$.\xc2\xa0\x8bs[?0]]";
        let text = crash.utf8_chunks().next().unwrap().valid();
        assert_eq!(text, "$.\u{a0}");
        let d = json!({"\u{a0}": 1, "a\u{3000}": 2, "a": 3});
        for (text, expected) in [(text, json!(1)), ("$.a\u{3000}", json!(2))] {
            let strict = JsonPathExpr::parse_strict(text).unwrap();
            let e = p(text);
            assert_eq!(e.normalized(), None, "{text:?}");
            assert_eq!(e.extract(&d), expected, "{text:?}");
            assert_eq!(strict.extract(&d), expected, "{text:?}");
        }
        // ASCII whitespace around a query is still ignored.
        assert_eq!(p(" \t$.a\n").extract(&d), json!(3));
        assert_eq!(p(" \t$.a\n").normalized(), Some("$.a"));
    }

    /// Found by `fuzz/` (jsonpath target, crash-0f01c1f860faf4d989efe48e28ff1bd09dfc27b9):
    /// serde_json_path 0.7.2 parses a string's `\u` escape with a streaming nom parser and
    /// panics (`unreachable!`) when the query ends inside the escape.
    #[test]
    fn a_query_ending_inside_a_unicode_escape_is_an_error_not_a_panic() {
        // The artifact's bytes; a `&str` fuzz target sees their longest UTF-8 prefix.
        let crash: &[u8] = b"$['\\u\xff0$.sh[?$.snamehips[?(@[?(@.\r\r\r[\r\r\r\r\r\r\r\r\r\r\r\r\
            \r\x8d\r\r\r\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf2\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3'\
            \xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3\xf3'(:";
        assert_eq!(crash.len(), 89);
        let text = crash.utf8_chunks().next().unwrap().valid();
        assert_eq!(text, "$['\\u");
        for text in [
            text,
            "$['\\u ",
            "$[\"\\u",
            "$['\\uD",
            "$['\\ud",
            "$['\\uD800\\u",
            "$['\\uD800\\uD",
            "$['\\uD800\\ud",
            "$[?@.a == '\\u",
            "$.a['b', '\\uD",
            "$['a\\\\u",
        ] {
            let e = JsonPathExpr::parse(text).unwrap_err();
            assert!(
                e.position().is_some_and(|at| at < text.len()),
                "{text:?}: {e}"
            );
            assert!(JsonPathExpr::parse_strict(text).is_err(), "{text:?}");
        }
        // Complete escapes still parse.
        let d = json!({"\u{e9}": 1, "\u{1f600}": 2});
        assert_eq!(p("$['\\u00e9']").extract(&d), json!(1));
        assert_eq!(p("$['\\uD83D\\uDE00']").extract(&d), json!(2));
    }

    #[test]
    fn strict_parse_rejects_jayway_spellings() {
        for text in ["$.", "$.get-ship", "$.a.first name", "$.0", "$.['a']", " $"] {
            assert!(JsonPathExpr::parse_strict(text).is_err(), "{text}");
            assert!(JsonPathExpr::parse(text).is_ok(), "{text}");
        }
        let e = JsonPathExpr::parse_strict("$.a").unwrap();
        assert_eq!(e.normalized(), None);
        assert_eq!(e.source(), "$.a");
    }

    #[test]
    fn regex_functions_are_available() {
        let d = doc();
        assert_eq!(
            p("$.store.book[?match(@.title, 'S.*')].price").extract(&d),
            json!([8.95, 12.99])
        );
        assert_eq!(
            p("$.store.book[?search(@.title, 'ob')].price").extract(&d),
            json!([8.99])
        );
        assert_eq!(
            p("$.store.book[?length(@.title) == 4].title").extract(&d),
            json!(["Moby"])
        );
    }

    #[test]
    fn traits() {
        let e: JsonPathExpr = "$.get-ship".parse().unwrap();
        assert_eq!(e.to_string(), "$.get-ship");
        assert_eq!(e.as_json_path().to_string(), "$['get-ship']");
        assert_eq!(e.clone(), e);
    }

    #[test]
    fn only_single_root_members_are_top_level_members() {
        for (text, member) in [
            ("$.access_token", Some("access_token")),
            ("$._x9", Some("_x9")),
            ("$['expires-in']", Some("expires-in")),
            ("$[\"a b\"]", Some("a b")),
            ("$.get-ship", Some("get-ship")),
            ("$", None),
            ("$.a.b", None),
            ("$[0]", None),
            ("$.*", None),
            ("$..a", None),
            ("$['a','b']", None),
            ("$['a\\'b']", None),
            ("$.a[0]", None),
            ("$[?@.a]", None),
        ] {
            assert_eq!(p(text).top_level_member(), member, "{text}");
        }
    }

    proptest::proptest! {
        /// A top-level member query selects exactly `doc[name]`, as the general evaluator
        /// does, whatever the document.
        #[test]
        fn top_level_members_agree_with_the_evaluator(
            name in "[a-z_][a-z0-9_-]{0,6}",
            keys in proptest::collection::vec("[a-z_][a-z0-9_-]{0,3}", 0..6),
            value in proptest::prelude::any::<i64>(),
            quoted in proptest::prelude::any::<bool>(),
        ) {
            let text = if quoted { format!("$['{name}']") } else { format!("$.{name}") };
            let path = p(&text);
            let member = path.top_level_member();
            proptest::prop_assert_eq!(member, Some(name.as_str()));
            let mut doc = serde_json::Map::new();
            for (i, k) in keys.iter().enumerate() {
                doc.insert(k.clone(), json!([value, i]));
            }
            let doc = Value::Object(doc);
            let direct = doc.get(name.as_str()).cloned().unwrap_or(Value::Null);
            proptest::prop_assert_eq!(path.extract(&doc), direct);
        }
    }
}
