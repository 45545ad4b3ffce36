//! Small helpers that read [`Node`]s into typed values while recording diagnostics.
//!
//! Each mapping is read through an [`Obj`], which remembers which keys were taken so that
//! [`Obj::finish`] can report every key the model does not know (kept as a warning, never
//! dropped silently). Missing fields are reported as errors when the runtime needs them and
//! as deviations when only the official schema asks for them.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, rule};
use crate::model::{Spec, Text};
use crate::span::{Loc, Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// Reading context: the file and the diagnostics collected so far.
pub(crate) struct Cx<'a> {
    pub(crate) file: Arc<Path>,
    pub(crate) diags: &'a mut Vec<Diagnostic>,
    /// The specification the document follows (decided by its root key).
    pub(crate) spec: Spec,
}

/// Why a field is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// naftiko cannot run the document without it: an error.
    Runtime,
    /// Only the official schema requires it: a deviation.
    Schema,
}

impl Cx<'_> {
    pub(crate) fn loc(&self, node: &Node, pointer: &Pointer) -> Loc {
        Loc {
            file: self.file.clone(),
            span: node.span,
            pointer: pointer.clone(),
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reports a value of the wrong type.
    pub(crate) fn wrong_type(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
        expected: &str,
    ) {
        let loc = self.loc(node, pointer);
        self.push(Diagnostic::error(
            rule::TYPE_MISMATCH,
            loc,
            format!("`{field}` must be {expected}, found {}", node.type_name()),
        ));
    }

    /// Reads a string. Other scalars are accepted as their text with a deviation; lists
    /// and mappings are errors.
    pub(crate) fn text(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
    ) -> Option<Spanned<String>> {
        let text = match &node.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => {
                let text = node.key_text();
                let loc = self.loc(node, pointer);
                self.push(
                    Diagnostic::deviation(
                        rule::TYPE_MISMATCH,
                        loc,
                        format!(
                            "`{field}` must be a string, found {} `{text}`",
                            node.type_name()
                        ),
                    )
                    .with_hint(format!("quote it: `\"{text}\"`")),
                );
                text
            }
            _ => {
                self.wrong_type(node, pointer, field, "a string");
                return None;
            }
        };
        Some(Spanned::new(text, self.loc(node, pointer)))
    }

    /// Reads a boolean.
    pub(crate) fn boolean(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
    ) -> Option<Spanned<bool>> {
        match node.kind {
            NodeKind::Bool(b) => Some(Spanned::new(b, self.loc(node, pointer))),
            _ => {
                self.wrong_type(node, pointer, field, "true or false");
                None
            }
        }
    }

    /// Reads a mapping as an [`Obj`]; anything else is a type error.
    pub(crate) fn obj<'n>(
        &mut self,
        node: &'n Node,
        pointer: &Pointer,
        what: &'static str,
    ) -> Option<Obj<'n>> {
        match &node.kind {
            NodeKind::Map(entries) => Some(Obj {
                node,
                pointer: pointer.clone(),
                entries,
                used: vec![false; entries.len()],
                asked: Vec::new(),
                what,
            }),
            _ => {
                let loc = self.loc(node, pointer);
                self.push(Diagnostic::error(
                    rule::TYPE_MISMATCH,
                    loc,
                    format!("{what} must be a mapping, found {}", node.type_name()),
                ));
                None
            }
        }
    }

    /// Reads a list, element by element.
    pub(crate) fn list<T>(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
        mut each: impl FnMut(&mut Self, &Node, &Pointer) -> Option<T>,
    ) -> Vec<T> {
        match &node.kind {
            NodeKind::Seq(items) => {
                if items.is_empty() {
                    let loc = self.loc(node, pointer);
                    self.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, format!("`{field}` is an empty list; the official schema requires at least one item")).with_hint(format!("remove `{field}` or add an item")));
                }
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| each(self, item, &pointer.index(i)))
                    .collect()
            }
            _ => {
                self.wrong_type(node, pointer, field, "a list");
                Vec::new()
            }
        }
    }

    /// True when the document is an Ikanos beta5 document.
    pub(crate) fn beta5(&self) -> bool {
        self.spec == Spec::Beta5
    }

    /// Reads a collection of named things: in beta5 a mapping keyed by name (a list of
    /// items that carry `name` is still read, as a deviation); in alpha2 a list. `each`
    /// gets the name when the key gave it, `None` when the item must carry its own.
    pub(crate) fn named<T>(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
        mut each: impl FnMut(&mut Self, &Node, &Pointer, Option<Text>) -> Option<T>,
    ) -> Vec<T> {
        match (&node.kind, self.spec) {
            (NodeKind::Map(entries), Spec::Beta5) => {
                if entries.is_empty()
                    && !matches!(field, "inputParameters" | "outputParameters" | "arguments")
                {
                    let loc = self.loc(node, pointer);
                    self.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, format!("`{field}` is empty; the official schema requires at least one entry")).with_hint(format!("remove `{field}` or add an entry")));
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let name = k.key_text();
                    let kp = pointer.key(&name);
                    let key = Spanned::new(name, self.loc(k, &kp));
                    out.extend(each(self, v, &kp, Some(key)));
                }
                out
            }
            (NodeKind::Seq(_), Spec::Beta5) => {
                let loc = self.loc(node, pointer);
                self.push(
                    Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, format!("`{field}` is a list; ikanos 1.0.0-beta5 keys them by name"))
                        .with_hint(format!("write `{field}:` as a mapping of name: entry (without `name` in each entry)")),
                );
                self.list(node, pointer, field, |cx, n, p| each(cx, n, p, None))
            }
            (NodeKind::Map(_), Spec::Alpha2) | (_, _) => {
                self.list(node, pointer, field, |cx, n, p| each(cx, n, p, None))
            }
        }
    }

    /// Reports a value outside an enumeration.
    pub(crate) fn bad_value(
        &mut self,
        node: &Node,
        pointer: &Pointer,
        field: &str,
        allowed: &[&str],
    ) {
        let loc = self.loc(node, pointer);
        let shown = node
            .as_str()
            .map_or_else(|| node.key_text(), str::to_string);
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        self.push(Diagnostic::error(
            rule::INVALID_VALUE,
            loc,
            format!("`{field}` is `{shown}`; expected one of {list}"),
        ));
    }

    /// Reports a value that does not match the format the official schema requires.
    pub(crate) fn pattern(
        &mut self,
        value: &Spanned<String>,
        field: &str,
        ok: bool,
        expected: &str,
    ) {
        if !ok {
            self.push(Diagnostic::deviation(
                rule::PATTERN_MISMATCH,
                value.loc.clone(),
                format!(
                    "`{field}` is `{}`; the official schema requires {expected}",
                    value.value
                ),
            ));
        }
    }
}

/// Keys that only document (a misspelling of one changes nothing served: a warning).
const DOCUMENTATION_KEYS: &[&str] = &[
    "description",
    "label",
    "title",
    "tags",
    "created",
    "modified",
    "summary",
    "contact",
    "license",
    "stakeholders",
    "display",
];

/// A mapping being read.
pub(crate) struct Obj<'n> {
    pub(crate) node: &'n Node,
    pub(crate) pointer: Pointer,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    /// Every key the reader asked for, present or not (for "did you mean").
    asked: Vec<&'static str>,
    pub(crate) what: &'static str,
}

impl<'n> Obj<'n> {
    /// Takes the value of `key` (and marks the key as known).
    pub(crate) fn take(&mut self, key: &'static str) -> Option<(&'n Node, Pointer)> {
        self.asked.push(key);
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.as_str() == Some(key))?;
        self.used[i] = true;
        Some((&self.entries[i].1, self.pointer.field(key)))
    }

    /// True when `key` is present (without taking it).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.as_str() == Some(key))
    }

    /// The key node of `key`, for diagnostics that point at the key.
    pub(crate) fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, _)| k)
    }

    /// Exactly one of two alternative fields, `(name, given)` each: both given is
    /// `conflicting-fields`, neither `required-field`, at the mapping.
    pub(crate) fn one_of(&self, cx: &mut Cx<'_>, a: (&str, bool), b: (&str, bool)) {
        let (rule, message) = match (a.1, b.1) {
            (true, true) => (
                rule::CONFLICTING_FIELDS,
                format!("{} has `{}` or `{}`, not both", self.what, a.0, b.0),
            ),
            (false, false) => (
                rule::REQUIRED_FIELD,
                format!("{} needs `{}` or `{}`", self.what, a.0, b.0),
            ),
            _ => return,
        };
        let loc = self.loc(cx);
        cx.push(Diagnostic::error(rule, loc, message));
    }

    /// Location of the whole mapping.
    pub(crate) fn loc(&self, cx: &Cx<'_>) -> Loc {
        cx.loc(self.node, &self.pointer)
    }

    /// Location of the key `key` (falls back to the mapping).
    pub(crate) fn key_loc(&self, cx: &Cx<'_>, key: &'static str) -> Loc {
        match self.key_node(key) {
            Some(k) => cx.loc(k, &self.pointer.field(key)),
            None => self.loc(cx),
        }
    }

    /// Reports a missing field.
    pub(crate) fn missing(&self, cx: &mut Cx<'_>, key: &str, need: Need) {
        let loc = self.loc(cx);
        let d = match need {
            Need::Runtime => Diagnostic::error(
                rule::REQUIRED_FIELD,
                loc,
                format!("{} is missing `{key}`", self.what),
            ),
            Need::Schema => Diagnostic::deviation(
                rule::REQUIRED_FIELD,
                loc,
                format!(
                    "{} is missing `{key}`, which the official schema requires",
                    self.what
                ),
            ),
        };
        cx.push(d);
    }

    /// Reads an optional string field.
    pub(crate) fn text(&mut self, cx: &mut Cx<'_>, key: &'static str) -> Option<Spanned<String>> {
        let (node, ptr) = self.take(key)?;
        cx.text(node, &ptr, key)
    }

    /// Reads a required string field.
    pub(crate) fn req_text(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
        need: Need,
    ) -> Option<Spanned<String>> {
        if !self.has(key) {
            self.missing(cx, key, need);
            return None;
        }
        self.text(cx, key)
    }

    /// Reads an optional boolean field.
    pub(crate) fn boolean(&mut self, cx: &mut Cx<'_>, key: &'static str) -> Option<Spanned<bool>> {
        let (node, ptr) = self.take(key)?;
        cx.boolean(node, &ptr, key)
    }

    /// Reads an optional list of strings.
    pub(crate) fn texts(&mut self, cx: &mut Cx<'_>, key: &'static str) -> Vec<Spanned<String>> {
        let Some((node, ptr)) = self.take(key) else {
            return Vec::new();
        };
        cx.list(node, &ptr, key, |cx, n, p| cx.text(n, p, key))
    }

    /// Reads an optional mapping of strings (`what` describes it in type errors).
    pub(crate) fn text_map(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
    ) -> crate::model::OrderedMap<Spanned<String>> {
        let mut map = crate::model::OrderedMap::default();
        let Some((n, p)) = self.take(key) else {
            return map;
        };
        match &n.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    let name = k.key_text();
                    let kp = p.key(&name);
                    if let Some(t) = cx.text(v, &kp, &name) {
                        map.entries.push((Spanned::new(name, cx.loc(k, &kp)), t));
                    }
                }
            }
            _ => cx.wrong_type(n, &p, key, "a mapping of strings"),
        }
        map
    }

    /// Reads an optional list whose elements are read by `each`.
    pub(crate) fn list<T>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
        each: impl FnMut(&mut Cx<'_>, &Node, &Pointer) -> Option<T>,
    ) -> Vec<T> {
        let Some((node, ptr)) = self.take(key) else {
            return Vec::new();
        };
        cx.list(node, &ptr, key, each)
    }

    /// Reads an optional collection of named things ([`Cx::named`]).
    pub(crate) fn named<T>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
        each: impl FnMut(&mut Cx<'_>, &Node, &Pointer, Option<Text>) -> Option<T>,
    ) -> Vec<T> {
        let Some((node, ptr)) = self.take(key) else {
            return Vec::new();
        };
        cx.named(node, &ptr, key, each)
    }

    /// The name of a named thing: `given` by its key (beta5), or its own `name` field
    /// (required as `need` says), checked against `ok`/`expected`.
    pub(crate) fn name(
        &mut self,
        cx: &mut Cx<'_>,
        given: Option<Text>,
        need: Option<Need>,
        ok: fn(&str) -> bool,
        expected: &str,
    ) -> Option<Text> {
        let name = match (given, need) {
            (Some(n), _) => Some(n),
            (None, Some(need)) => self.req_text(cx, "name", need),
            (None, None) => self.text(cx, "name"),
        };
        if let Some(n) = &name {
            cx.pattern(n, "name", ok(n), expected);
        }
        name
    }

    /// An optional `namespace` that the beta5 ruleset requires
    /// (`ikanos-exposes-namespace-required`, `ikanos-aggregates-namespace-required`, reported
    /// by the rules): a missing or empty one is left to that rule, any other is checked
    /// against the schema's pattern.
    pub(crate) fn ruled_namespace(&mut self, cx: &mut Cx<'_>) -> Option<Text> {
        let ns = self.text(cx, "namespace");
        if let Some(n) = ns.as_ref().filter(|n| !n.value.is_empty()) {
            cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
        }
        ns
    }

    /// The display name: `label` (alpha2) or `display` (beta5).
    pub(crate) fn display(&mut self, cx: &mut Cx<'_>, need: Option<Need>) -> Option<Text> {
        let key = cx.spec.display_key();
        match need {
            Some(need) => self.req_text(cx, key, need),
            None => self.text(cx, key),
        }
    }

    /// `tags` (beta5 only; in alpha2 the key stays unknown).
    pub(crate) fn tags(&mut self, cx: &mut Cx<'_>) -> Vec<Text> {
        if cx.beta5() {
            self.texts(cx, "tags")
        } else {
            Vec::new()
        }
    }

    /// Reads an enumerated string field. `table` lists `(text, value, official)`; a value
    /// that is accepted but not official is reported through `dialect`.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &'static str,
        table: &[(&str, T, bool)],
        dialect: impl FnOnce(&mut Cx<'_>, &Spanned<String>),
    ) -> Option<Spanned<T>> {
        let (node, ptr) = self.take(key)?;
        let text = cx.text(node, &ptr, key)?;
        match table.iter().find(|(name, _, _)| *name == text.value) {
            Some((_, value, official)) => {
                if !official {
                    dialect(cx, &text);
                }
                Some(Spanned::new(*value, text.loc))
            }
            None => {
                let allowed: Vec<&str> = table
                    .iter()
                    .filter(|(_, _, official)| *official)
                    .map(|(n, _, _)| *n)
                    .collect();
                cx.bad_value(node, &ptr, key, &allowed);
                None
            }
        }
    }

    /// Reports every key that was not taken as unknown (a deviation warning), with the
    /// known key it is closest to. A misspelling of a key that is absent and changes what
    /// is served (`outputParamters` where no `outputParameters` is) is an error: the file
    /// would run without what its author wrote.
    pub(crate) fn finish(self, cx: &mut Cx<'_>) {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let name = k.key_text();
            let loc = cx.loc(k, &self.pointer.key(&name));
            let near = crate::suggest::closest(&name, self.asked.iter().copied());
            let diagnostic = match near {
                Some(n) if !self.has(n) && !DOCUMENTATION_KEYS.contains(&n) => Diagnostic::error(
                    rule::UNKNOWN_KEY,
                    loc,
                    format!("unknown key `{name}` in {}; did you mean `{n}`?", self.what),
                )
                .with_hint(format!("as written, `{n}` is missing and what it declares is not served; fix the spelling")),
                Some(n) => Diagnostic::deviation(
                    rule::UNKNOWN_KEY,
                    loc,
                    format!("unknown key `{name}` in {}; did you mean `{n}`?", self.what),
                )
                .with_hint("naftiko keeps the file running but ignores this key; check its spelling"),
                None => Diagnostic::deviation(rule::UNKNOWN_KEY, loc, format!("unknown key `{name}` in {}", self.what))
                    .with_hint("naftiko keeps the file running but ignores this key; check its spelling and indentation"),
            };
            cx.push(diagnostic);
        }
    }
}

/// Official-schema identifier formats, checked by hand (no regex needed).
pub(crate) mod formats {
    /// `^[a-zA-Z0-9-]+$`
    pub(crate) fn kebab(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }
    /// `^[a-zA-Z0-9-_*]+$`
    pub(crate) fn extended(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*')
    }
    /// `^[A-Z][A-Z0-9_]*$`
    pub(crate) fn screaming(s: &str) -> bool {
        s.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    }
    /// `^[a-zA-Z0-9-]+\.[a-zA-Z0-9-]+$`
    pub(crate) fn reference(s: &str) -> bool {
        s.split_once('.').is_some_and(|(a, b)| kebab(a) && kebab(b))
    }
    /// `^https?://[^/]+(/[^{]*)?$`
    pub(crate) fn base_uri(s: &str) -> bool {
        let Some(rest) = s
            .strip_prefix("http://")
            .or_else(|| s.strip_prefix("https://"))
        else {
            return false;
        };
        match rest.find('/') {
            Some(0) => false,
            Some(i) => !rest[i..].contains('{'),
            None => !rest.is_empty(),
        }
    }
    /// `^[a-zA-Z][a-zA-Z0-9+.-]*://`
    pub(crate) fn uri_location(s: &str) -> bool {
        let Some((scheme, _)) = s.split_once("://") else {
            return false;
        };
        scheme
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'-')
    }
    /// `^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`
    pub(crate) fn date(s: &str) -> bool {
        let b = s.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !digits(0..4)
            || !digits(5..7)
            || !digits(8..10)
        {
            return false;
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        (1..=12).contains(&two(5)) && (1..=31).contains(&two(8))
    }
    /// `^[a-zA-Z0-9._%+\-]+@[a-zA-Z0-9.\-]+\.[a-zA-Z]{2,}$`
    pub(crate) fn email(s: &str) -> bool {
        let Some((local, domain)) = s.split_once('@') else {
            return false;
        };
        let Some((host, tld)) = domain.rsplit_once('.') else {
            return false;
        };
        !local.is_empty()
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            && !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic())
    }
    /// Hostname, IPv4 or (simplified) IPv6, as the official `Address` allows.
    pub(crate) fn address(s: &str) -> bool {
        hostname(s) || ipv6(s)
    }
    fn hostname(s: &str) -> bool {
        !s.is_empty()
            && s.split('.').all(|label| {
                let b = label.as_bytes();
                !b.is_empty()
                    && b.len() <= 63
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            })
    }
    /// `^([0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}$`
    fn ipv6(s: &str) -> bool {
        let parts: Vec<&str> = s.split(':').collect();
        (3..=8).contains(&parts.len())
            && parts
                .iter()
                .all(|p| p.len() <= 4 && p.bytes().all(|b| b.is_ascii_hexdigit()))
    }
    /// `^[a-zA-Z0-9-_.]+$`
    pub(crate) fn target_name(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    }
    /// RFC 6838 media type with optional parameters, as the official `mimeType` pattern.
    pub(crate) fn mime_type(s: &str) -> bool {
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        let mut parts = s.split(';');
        let Some(main) = parts.next() else {
            return false;
        };
        let Some((ty, sub)) = main.split_once('/') else {
            return false;
        };
        if !token(ty) || !token(sub) {
            return false;
        }
        parts.all(|p| {
            let p = p.trim_matches(|c: char| c.is_ascii_whitespace());
            p.split_once('=').is_some_and(|(k, v)| {
                token(k)
                    && (token(v)
                        || (v.len() >= 2
                            && v.starts_with('"')
                            && v.ends_with('"')
                            && !v[1..v.len() - 1].contains('"')))
            })
        })
    }
}
