//! Naftiko's Mustache subset: `{{name}}` variables, compiled once, rendered without escaping.
//!
//! Capability files use Mustache-style placeholders in URLs, header values, bodies and
//! parameter values (`/ships/{{imo}}`, `Bearer {{env.API_KEY}}`). Only plain variables are
//! supported: sections, inverted sections, partials, comments, unescaped (`{{{x}}}` /
//! `{{&x}}`) tags and delimiter changes are rejected at parse time with the byte offset of the
//! offending tag, so a validator can point at the exact column.
//!
//! A [`Template`] is parsed once into literal text and [`VarRef`]s. Rendering asks a
//! [`Lookup`] for each variable's value and writes it as the reference engine (JMustache with
//! `defaultValue("")` and escaping off) would: strings raw, numbers and booleans as their JSON
//! text, `null` and missing values as the empty string, arrays and objects as compact JSON.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::str::FromStr;

use serde_json::{Map, Value};

/// Longest tag text quoted verbatim in an error message before it is shortened with `…`.
const MAX_QUOTED_TAG: usize = 60;

/// A compiled template: literal text interleaved with `{{name}}` variables.
///
/// ```
/// use naftiko_expr::Template;
/// use serde_json::json;
///
/// let t = Template::parse("/ships/{{ imo }}/voyages/{{voyage-id}}").unwrap();
/// let names: Vec<&str> = t.variables().map(|v| v.name()).collect();
/// assert_eq!(names, ["imo", "voyage-id"]);
/// let out = t.render(&json!({"imo": 9321483, "voyage-id": "V-7"}));
/// assert_eq!(out, "/ships/9321483/voyages/V-7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
    vars: Vec<VarRef>,
}

/// One compiled piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Literal text: a byte range of the source.
    Literal(Range<usize>),
    /// A variable: an index into `Template::vars`.
    Var(usize),
}

/// A `{{name}}` variable reference inside a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarRef {
    name: String,
    path: Vec<String>,
    span: Range<usize>,
    name_span: Range<usize>,
}

impl VarRef {
    /// The variable name as written, whitespace trimmed (`env.API_KEY` for `{{ env.API_KEY }}`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name split on `.` (`["env", "API_KEY"]`); never empty, no segment is empty.
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// Byte offset of the tag's opening `{{` in the template source.
    pub fn offset(&self) -> usize {
        self.span.start
    }

    /// Byte range of the whole tag, braces included (`{{ imo }}`), in the template source.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Byte range of the trimmed name alone (`imo` in `{{ imo }}`) in the template source.
    pub fn name_span(&self) -> Range<usize> {
        self.name_span.clone()
    }
}

impl fmt::Display for VarRef {
    /// Writes the canonical tag, `{{name}}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.name)
    }
}

/// Why a template was rejected; see [`TemplateError::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// A section tag, `{{#x}}`.
    Section,
    /// An inverted section tag, `{{^x}}`.
    InvertedSection,
    /// A section end tag, `{{/x}}`.
    SectionEnd,
    /// An unescaped variable, `{{{x}}}` or `{{&x}}` (values are never escaped anyway).
    Unescaped,
    /// A partial or parent tag, `{{>x}}` or `{{<x}}`.
    Partial,
    /// A comment tag, `{{!x}}`.
    Comment,
    /// A set-delimiter tag, `{{=<% %>=}}`.
    SetDelimiter,
    /// A `{{` with no closing `}}`.
    Unterminated,
    /// A tag with no name, `{{}}` or `{{ }}`.
    Empty,
    /// A name containing whitespace or an empty `.`-segment (`{{a b}}`, `{{.}}`, `{{a..b}}`).
    InvalidName,
}

/// A template that could not be compiled, with the byte offset of the offending tag.
///
/// `Display` writes only the message (which quotes the tag); use [`TemplateError::offset`] or
/// [`TemplateError::span`] to point at the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    kind: TemplateErrorKind,
    span: Range<usize>,
    message: String,
}

impl TemplateError {
    /// What was wrong.
    pub fn kind(&self) -> TemplateErrorKind {
        self.kind
    }

    /// Byte offset of the offending tag's opening `{{` in the template source.
    pub fn offset(&self) -> usize {
        self.span.start
    }

    /// Byte range of the offending tag in the template source (to the end of the input for an
    /// unterminated tag).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The human-readable message (same as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Supplies variable values when a [`Template`] is rendered.
///
/// The lookup receives the whole [`VarRef`] so an implementation can resolve either the
/// dotted path ([`VarRef::path`]) or the name as written ([`VarRef::name`]); Naftiko's binds,
/// for instance, accept both `{{env.API_KEY}}` and `{{API_KEY}}`. Returning `None` (missing)
/// renders as the empty string, like `Value::Null`.
///
/// The trait is object safe; [`Template::render`] takes `&dyn Lookup`. Implementations are
/// provided for [`serde_json::Value`] and [`serde_json::Map`] (walk the path through objects;
/// a numeric segment indexes arrays). For ad-hoc lookups use [`Template::render_with`] with a
/// closure.
pub trait Lookup {
    /// The value of `var`, or `None` when it is not defined.
    fn lookup(&self, var: &VarRef) -> Option<Cow<'_, Value>>;
}

impl Lookup for Value {
    fn lookup(&self, var: &VarRef) -> Option<Cow<'_, Value>> {
        walk(self, var.path()).map(Cow::Borrowed)
    }
}

impl Lookup for Map<String, Value> {
    fn lookup(&self, var: &VarRef) -> Option<Cow<'_, Value>> {
        let (first, rest) = var.path().split_first()?;
        walk(self.get(first)?, rest).map(Cow::Borrowed)
    }
}

/// Walks `path` down from `root`: object members by key, array elements by a decimal index.
///
/// Returns `None` as soon as a segment does not exist (or indexes a scalar).
///
/// ```
/// use serde_json::json;
/// let doc = json!({"ships": [{"name": "Aurora"}]});
/// assert_eq!(naftiko_expr::template::walk(&doc, &["ships", "0", "name"]), Some(&json!("Aurora")));
/// assert_eq!(naftiko_expr::template::walk(&doc, &["ships", "1"]), None);
/// ```
pub fn walk<'v, S: AsRef<str>>(root: &'v Value, path: &[S]) -> Option<&'v Value> {
    let mut current = root;
    for segment in path {
        let segment = segment.as_ref();
        current = match current {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(parse_index(segment)?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A plain decimal array index (no sign, no leading `+`, no whitespace).
fn parse_index(segment: &str) -> Option<usize> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

impl Template {
    /// Compiles `source`, rejecting every Mustache construct other than `{{name}}` variables.
    ///
    /// Whitespace inside the braces is trimmed. A name is any run of characters other than
    /// whitespace and `}` and is split on `.` into path segments (`{{step-name.output}}` →
    /// `["step-name", "output"]`). Text outside `{{ … }}` is literal, including single braces
    /// (`{param}`) and a lone `}}`.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut vars = Vec::new();
        let mut pos = 0;
        while let Some(found) = source.get(pos..).and_then(|rest| rest.find("{{")) {
            let open = pos + found;
            if open > pos {
                pieces.push(Piece::Literal(pos..open));
            }
            let content_start = open + 2;
            let Some(close) = source
                .get(content_start..)
                .and_then(|rest| rest.find("}}"))
                .map(|c| content_start + c)
            else {
                return Err(TemplateError {
                    kind: TemplateErrorKind::Unterminated,
                    span: open..source.len(),
                    message: format!(
                        "unterminated Mustache tag `{}`: `{{{{` has no closing `}}}}`",
                        quote_tag(&source[open..])
                    ),
                });
            };
            let content = &source[content_start..close];
            let mut end = close + 2;
            // `{{{x}}}`: include the third closing brace in the reported tag.
            if content.starts_with('{') && source[end..].starts_with('}') {
                end += 1;
            }
            let var = compile_tag(source, open..end, content_start, content)?;
            pieces.push(Piece::Var(vars.len()));
            vars.push(var);
            pos = end;
        }
        if pos < source.len() {
            pieces.push(Piece::Literal(pos..source.len()));
        }
        Ok(Template {
            source: source.to_owned(),
            pieces,
            vars,
        })
    }

    /// The template text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables, in source order (a name used twice appears twice).
    pub fn variables(&self) -> std::slice::Iter<'_, VarRef> {
        self.vars.iter()
    }

    /// `true` when the template has no variables (rendering returns the text unchanged).
    pub fn is_literal(&self) -> bool {
        self.vars.is_empty()
    }

    /// The whole text when the template has no variables, else `None`.
    pub fn as_literal(&self) -> Option<&str> {
        self.is_literal().then_some(self.source.as_str())
    }

    /// Renders the template, looking every variable up in `lookup`.
    ///
    /// No escaping is applied. Strings are written raw, numbers and booleans as their JSON
    /// text, `null` and missing values as `""`, arrays and objects as compact JSON.
    pub fn render(&self, lookup: &dyn Lookup) -> String {
        self.render_with(|var| lookup.lookup(var))
    }

    /// Like [`Template::render`], but borrows the text instead of copying it when the
    /// template is literal.
    pub fn render_cow(&self, lookup: &dyn Lookup) -> Cow<'_, str> {
        match self.as_literal() {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(self.render(lookup)),
        }
    }

    /// Renders the template with a closure as the lookup (see [`Lookup`] for the contract).
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use naftiko_expr::Template;
    /// use serde_json::Value;
    ///
    /// let t = Template::parse("Bearer {{env.TOKEN}}").unwrap();
    /// let out = t.render_with(|var| {
    ///     (var.name() == "env.TOKEN").then(|| Cow::Owned(Value::from("s3cr3t")))
    /// });
    /// assert_eq!(out, "Bearer s3cr3t");
    /// ```
    pub fn render_with<'v, F>(&self, mut value_of: F) -> String
    where
        F: FnMut(&VarRef) -> Option<Cow<'v, Value>>,
    {
        if self.vars.is_empty() {
            return self.source.clone();
        }
        let mut out = String::with_capacity(self.source.len() + 16 * self.vars.len());
        for piece in &self.pieces {
            match piece {
                Piece::Literal(range) => out.push_str(&self.source[range.clone()]),
                Piece::Var(index) => {
                    if let Some(value) = self.vars.get(*index).and_then(&mut value_of) {
                        write_value(&mut out, &value);
                    }
                }
            }
        }
        out
    }
}

impl FromStr for Template {
    type Err = TemplateError;

    fn from_str(source: &str) -> Result<Self, Self::Err> {
        Template::parse(source)
    }
}

impl fmt::Display for Template {
    /// Writes the template text as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Appends the rendered form of `value` (see [`Template::render`]).
fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Writing into a `String` cannot fail.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Array(_) | Value::Object(_) => {
            let _ = write!(out, "{value}");
        }
    }
}

/// Compiles one `{{ … }}` tag spanning `span`, whose inner text `content` starts at
/// `content_start`.
fn compile_tag(
    source: &str,
    span: Range<usize>,
    content_start: usize,
    content: &str,
) -> Result<VarRef, TemplateError> {
    let tag = &source[span.clone()];
    let name = content.trim();
    let fail = |kind, message: String| TemplateError {
        kind,
        span: span.clone(),
        message,
    };
    let unsupported = |kind, what: &str, hint: &str| {
        fail(
            kind,
            format!(
                "unsupported Mustache {what} tag `{}`; only `{{{{name}}}}` variables are supported{hint}",
                quote_tag(tag)
            ),
        )
    };
    let Some(first) = name.chars().next() else {
        return Err(fail(
            TemplateErrorKind::Empty,
            format!(
                "empty Mustache tag `{}`; expected a variable name such as `{{{{name}}}}`",
                quote_tag(tag)
            ),
        ));
    };
    let bare = name.get(1..).unwrap_or_default().trim();
    match first {
        '#' => return Err(unsupported(TemplateErrorKind::Section, "section", "")),
        '^' => {
            return Err(unsupported(
                TemplateErrorKind::InvertedSection,
                "inverted section",
                "",
            ));
        }
        '/' => {
            return Err(unsupported(
                TemplateErrorKind::SectionEnd,
                "section end",
                "",
            ));
        }
        '{' | '&' => {
            let bare = bare.trim_end_matches('}').trim();
            return Err(unsupported(
                TemplateErrorKind::Unescaped,
                "unescaped",
                &format!(" (values are never HTML-escaped: write `{{{{{bare}}}}}`)"),
            ));
        }
        '>' | '<' => return Err(unsupported(TemplateErrorKind::Partial, "partial", "")),
        '!' => return Err(unsupported(TemplateErrorKind::Comment, "comment", "")),
        '=' => {
            return Err(unsupported(
                TemplateErrorKind::SetDelimiter,
                "set-delimiter",
                "",
            ));
        }
        _ => {}
    }
    if name.chars().any(char::is_whitespace) {
        return Err(fail(
            TemplateErrorKind::InvalidName,
            format!(
                "invalid variable name in `{}`: a name cannot contain whitespace",
                quote_tag(tag)
            ),
        ));
    }
    let path: Vec<String> = name.split('.').map(str::to_owned).collect();
    if path.iter().any(String::is_empty) {
        return Err(fail(
            TemplateErrorKind::InvalidName,
            format!(
                "invalid variable name in `{}`: every `.`-separated part of a name must be non-empty",
                quote_tag(tag)
            ),
        ));
    }
    let name_start = content_start + (content.len() - content.trim_start().len());
    Ok(VarRef {
        name: name.to_owned(),
        path,
        span,
        name_span: name_start..name_start + name.len(),
    })
}

/// `tag`, shortened to [`MAX_QUOTED_TAG`] characters for use in a message.
fn quote_tag(tag: &str) -> Cow<'_, str> {
    match tag.char_indices().nth(MAX_QUOTED_TAG) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &tag[..cut])),
        None => Cow::Borrowed(tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(t: &Template) -> Vec<Vec<&str>> {
        t.variables()
            .map(|v| v.path().iter().map(String::as_str).collect())
            .collect()
    }

    fn err(source: &str) -> TemplateError {
        Template::parse(source).expect_err(source)
    }

    #[test]
    fn hyphenated_and_dotted_names() {
        let t = Template::parse("{{voyage-id}}/{{env.API_KEY}}/{{step-name.output}}").unwrap();
        assert_eq!(
            names(&t),
            vec![
                vec!["voyage-id"],
                vec!["env", "API_KEY"],
                vec!["step-name", "output"]
            ]
        );
        let names: Vec<&str> = t.variables().map(VarRef::name).collect();
        assert_eq!(names, ["voyage-id", "env.API_KEY", "step-name.output"]);
    }

    #[test]
    fn whitespace_inside_braces_is_trimmed() {
        let src = "a {{  imo\t}} b {{\nenv.X }}";
        let t = Template::parse(src).unwrap();
        let vars: Vec<&VarRef> = t.variables().collect();
        assert_eq!(vars.len(), 2);
        assert_eq!(vars[0].name(), "imo");
        assert_eq!(vars[0].offset(), 2);
        assert_eq!(&src[vars[0].span()], "{{  imo\t}}");
        assert_eq!(&src[vars[0].name_span()], "imo");
        assert_eq!(vars[1].name(), "env.X");
        assert_eq!(&src[vars[1].span()], "{{\nenv.X }}");
        assert_eq!(&src[vars[1].name_span()], "env.X");
        assert_eq!(vars[1].to_string(), "{{env.X}}");
        let out = t.render(&json!({"imo": 42, "env": {"X": "y"}}));
        assert_eq!(out, "a 42 b y");
    }

    #[test]
    fn offsets_are_byte_offsets_with_non_ascii() {
        let src = "héllo → {{ name }}";
        let t = Template::parse(src).unwrap();
        let v = t.variables().next().unwrap();
        assert_eq!(v.offset(), src.find("{{").unwrap());
        assert_eq!(&src[v.name_span()], "name");
    }

    #[test]
    fn rejected_tags_carry_offsets() {
        let cases: &[(&str, TemplateErrorKind, &str)] = &[
            ("ab{{#x}}", TemplateErrorKind::Section, "{{#x}}"),
            ("ab{{^x}}", TemplateErrorKind::InvertedSection, "{{^x}}"),
            ("ab{{/x}}", TemplateErrorKind::SectionEnd, "{{/x}}"),
            ("ab{{{x}}}", TemplateErrorKind::Unescaped, "{{{x}}}"),
            ("ab{{&x}}", TemplateErrorKind::Unescaped, "{{&x}}"),
            ("ab{{>x}}", TemplateErrorKind::Partial, "{{>x}}"),
            ("ab{{!comment}}", TemplateErrorKind::Comment, "{{!comment}}"),
            (
                "ab{{=<% %>=}}",
                TemplateErrorKind::SetDelimiter,
                "{{=<% %>=}}",
            ),
            ("ab{{}}", TemplateErrorKind::Empty, "{{}}"),
            ("ab{{  }}", TemplateErrorKind::Empty, "{{  }}"),
            ("ab{{a b}}", TemplateErrorKind::InvalidName, "{{a b}}"),
            ("ab{{.}}", TemplateErrorKind::InvalidName, "{{.}}"),
            ("ab{{a..b}}", TemplateErrorKind::InvalidName, "{{a..b}}"),
            ("ab{{ # x }}", TemplateErrorKind::Section, "{{ # x }}"),
        ];
        for (src, kind, tag) in cases {
            let e = err(src);
            assert_eq!(e.kind(), *kind, "{src}");
            assert_eq!(e.offset(), 2, "{src}");
            assert_eq!(&src[e.span()], *tag, "{src}");
            assert!(e.message().contains(tag), "{src}: {e}");
        }
    }

    #[test]
    fn rejection_messages_are_clear() {
        assert_eq!(
            err("{{#x}}").to_string(),
            "unsupported Mustache section tag `{{#x}}`; only `{{name}}` variables are supported"
        );
        assert_eq!(
            err("{{{x}}}").to_string(),
            "unsupported Mustache unescaped tag `{{{x}}}`; only `{{name}}` variables are \
             supported (values are never HTML-escaped: write `{{x}}`)"
        );
        assert!(
            err("{{}}")
                .to_string()
                .starts_with("empty Mustache tag `{{}}`")
        );
    }

    #[test]
    fn error_after_valid_variables_points_at_the_bad_tag() {
        let src = "/v1/{{a}}/{{b}}/{{#each}}";
        assert_eq!(err(src).offset(), src.find("{{#").unwrap());
    }

    #[test]
    fn unterminated_tag() {
        let e = err("x/{{name");
        assert_eq!(e.kind(), TemplateErrorKind::Unterminated);
        assert_eq!(e.offset(), 2);
        assert_eq!(e.span(), 2..8);
        assert!(e.message().contains("`{{name`"), "{e}");
        // `}` alone does not close a tag.
        assert_eq!(err("{{name}").kind(), TemplateErrorKind::Unterminated);
        // A long unterminated tail is shortened in the message.
        let long = format!("{{{{{}", "x".repeat(500));
        assert!(err(&long).message().len() < 200);
    }

    #[test]
    fn single_braces_and_lone_closers_are_literal() {
        for src in [
            "/corpora/{corpus_key}",
            "a }} b",
            "{param}}",
            "}",
            "{",
            "{ {x} }",
        ] {
            let t = Template::parse(src).unwrap();
            assert!(t.is_literal(), "{src}");
            assert_eq!(t.as_literal(), Some(src));
            assert_eq!(t.render(&json!({"x": 1, "param": 2})), src);
        }
    }

    #[test]
    fn literal_fast_path() {
        let t = Template::parse("plain text").unwrap();
        assert!(t.is_literal());
        assert_eq!(t.variables().count(), 0);
        let mut calls = 0;
        let out = t.render_with(|_| {
            calls += 1;
            None
        });
        assert_eq!(out, "plain text");
        assert_eq!(calls, 0);
        assert!(matches!(
            t.render_cow(&Value::Null),
            Cow::Borrowed("plain text")
        ));
        let empty = Template::parse("").unwrap();
        assert_eq!(empty.as_literal(), Some(""));
        assert_eq!(empty.render(&Value::Null), "");

        let t = Template::parse("{{x}}").unwrap();
        assert!(!t.is_literal());
        assert_eq!(t.as_literal(), None);
        assert!(matches!(t.render_cow(&json!({"x": "y"})), Cow::Owned(s) if s == "y"));
    }

    #[test]
    fn value_rendering() {
        let t = Template::parse("[{{s}}|{{n}}|{{f}}|{{t}}|{{z}}|{{missing}}|{{a}}|{{o}}]").unwrap();
        let doc = json!({
            "s": "<raw & \"unescaped\">",
            "n": -12,
            "f": 1.5,
            "t": true,
            "z": null,
            "a": [1, "two", {"k": null}],
            "o": {"b": 1, "a": [true]},
        });
        assert_eq!(
            t.render(&doc),
            r#"[<raw & "unescaped">|-12|1.5|true|||[1,"two",{"k":null}]|{"b":1,"a":[true]}]"#
        );
    }

    #[test]
    fn non_ascii_is_kept() {
        let t = Template::parse("Größe: {{ größe }} — {{list}}").unwrap();
        let out = t.render(&json!({"größe": "groß ✓", "list": ["ü", "日本"]}));
        assert_eq!(out, r#"Größe: groß ✓ — ["ü","日本"]"#);
    }

    #[test]
    fn lookup_walks_objects_and_arrays() {
        let doc = json!({"a": {"b": [{"c": "deep"}], "0": "key"}, "list": [10, 20]});
        let t = Template::parse("{{a.b.0.c}} {{a.0}} {{list.1}} {{list.9}} {{a.b.x}} {{list.-1}}")
            .unwrap();
        assert_eq!(t.render(&doc), "deep key 20   ");
        let Value::Object(map) = &doc else {
            panic!("object expected")
        };
        assert_eq!(t.render(map), "deep key 20   ");
        // A scalar cannot be walked into.
        assert_eq!(walk(&json!({"a": 1}), &["a", "b"]), None);
        assert_eq!(walk(&json!([1]), &["+0"]), None);
    }

    #[test]
    fn render_with_sees_names_and_paths() {
        let t = Template::parse("{{env.TOKEN}}:{{TOKEN}}").unwrap();
        let out = t.render_with(|v| match v.path() {
            [ns, key] if ns == "env" => Some(Cow::Owned(Value::from(format!("env:{key}")))),
            [key] => Some(Cow::Owned(Value::from(format!("bare:{key}")))),
            _ => None,
        });
        assert_eq!(out, "env:TOKEN:bare:TOKEN");
    }

    #[test]
    fn adjacent_and_repeated_variables() {
        let t = Template::parse("{{a}}{{a}}{{b}}").unwrap();
        assert_eq!(t.variables().count(), 3);
        assert_eq!(t.render(&json!({"a": 1, "b": 2})), "112");
        assert_eq!(t.to_string(), "{{a}}{{a}}{{b}}");
        assert_eq!("{{a}}".parse::<Template>().unwrap().variables().count(), 1);
    }

    #[test]
    fn names_may_hold_unusual_characters() {
        // Anything but whitespace and `}` is part of a name.
        let t = Template::parse("{{$x}}{{a{b}}{{ü-1}}").unwrap();
        let names: Vec<&str> = t.variables().map(VarRef::name).collect();
        assert_eq!(names, ["$x", "a{b", "ü-1"]);
    }
}
