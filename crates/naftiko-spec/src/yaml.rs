//! YAML → [`Node`] tree with a position on every key and value.
//!
//! Built on `saphyr-parser`'s event stream, so this module owns every policy a hostile or
//! careless file can test: duplicate keys are reported (not silently collapsed), `<<` merge
//! keys are expanded with a warning, nesting depth and alias expansion are bounded (no YAML
//! bomb can exhaust memory), and plain scalars are resolved with the YAML 1.2 core schema
//! (`yes` stays a string; `017` is the integer 17).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as YSpan, Tag};

use crate::diag::{Diagnostic, rule};
use crate::span::{Loc, Pointer, Pos, Span};

/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 128;
/// Most nodes a document may have once aliases are expanded.
pub const MAX_NODES: usize = 2_000_000;

/// A YAML value with its source range.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it was written.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string (quoted, or a plain scalar that is not null, bool or number).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order. Keys are nodes too, so they keep their position.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string, if this is a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Text of a scalar key, as JSON would name it.
    pub fn key_text(&self) -> String {
        self.key_text_cow().into_owned()
    }

    /// [`Node::key_text`], borrowed when the key is a string (comparing keys this way
    /// allocates nothing in the common case).
    pub fn key_text_cow(&self) -> Cow<'_, str> {
        match &self.kind {
            NodeKind::Str(s) => Cow::Borrowed(s),
            NodeKind::Null => Cow::Borrowed("null"),
            NodeKind::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            NodeKind::Int(i) => Cow::Owned(i.to_string()),
            NodeKind::Float(f) => Cow::Owned(f.to_string()),
            NodeKind::Seq(_) | NodeKind::Map(_) => Cow::Borrowed("<complex key>"),
        }
    }

    /// The value stored under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the node's type for messages: "a string", "a list", ...
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// Converts to JSON (keys become strings; non-finite floats become null).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Finds the node a JSON pointer designates (for mapping diagnostics of other tools,
    /// such as a JSON Schema validator, back to line and column).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for raw in pointer.strip_prefix('/')?.split('/') {
            let token = raw.replace("~1", "/").replace("~0", "~");
            node = match &node.kind {
                NodeKind::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.key_text() == token)
                    .map(|(_, v)| v)?,
                NodeKind::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.count() + v.count())
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
}

/// Converts a saphyr marker (1-based line, 0-based char column) to a [`Pos`].
fn pos(m: &saphyr_parser::Marker) -> Pos {
    Pos {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    }
}

fn span(s: &YSpan) -> Span {
    Span {
        start: pos(&s.start),
        end: pos(&s.end),
    }
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<(Node, bool)>,
        start: Pos,
        anchor: usize,
        merges: Vec<Node>,
    },
}

/// Parses `text` into a tree, reporting problems into `diags` against `file`.
///
/// Returns `None` when the text holds no usable document (empty, or a syntax error before
/// any content). After a syntax error the partial tree is discarded: positions after the
/// error could not be trusted.
pub fn parse(text: &str, file: &Arc<Path>, diags: &mut Vec<Diagnostic>) -> Option<Node> {
    let mut builder = Builder {
        file,
        diags,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        nodes: 0,
    };
    for item in Parser::new_from_str(text) {
        let (event, ysp) = match item {
            Ok(ev) => ev,
            Err(err) => {
                builder.syntax_error(&err);
                return None;
            }
        };
        builder.event(event, span(&ysp)).ok()?;
    }
    builder.finish()
}

/// The parse stops: the document is unusable, and why is already reported.
struct Stop;

/// The state of one parse: the open collections, the anchors met so far, the root once
/// it is complete, and the counts that the limits bound.
struct Builder<'a> {
    file: &'a Arc<Path>,
    diags: &'a mut Vec<Diagnostic>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
}

impl Builder<'_> {
    /// A location in the file being parsed.
    fn loc(&self, span: Span, pointer: &Pointer) -> Loc {
        Loc {
            file: self.file.clone(),
            span,
            pointer: pointer.clone(),
        }
    }

    /// Reports a syntax error of the parser (the parse then stops).
    fn syntax_error(&mut self, err: &ScanError) {
        let at = Span::at(pos(err.marker()));
        let loc = self.loc(at, &Pointer::root());
        self.diags.push(Diagnostic::error(
            rule::YAML_SYNTAX,
            loc,
            format!("YAML syntax error: {}", err.info()),
        ));
    }

    /// Handles one parser event: opens a collection, or makes a node (a scalar, an alias
    /// or a collection that ends) and adds it where it belongs.
    ///
    /// Runs once per event of every file validated: inlined into [`parse`]'s loop, which
    /// keeps the split nearly free (not inlined, the corpus takes about 1% more instructions).
    #[inline(always)]
    fn event(&mut self, event: Event<'_>, sp: Span) -> Result<(), Stop> {
        let (node, anchor, plain_merge_key) = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {
                return Ok(());
            }
            Event::DocumentStart(_) => {
                self.document_start(sp);
                return Ok(());
            }
            Event::SequenceStart(anchor, _) => {
                let items = Vec::new();
                let start = sp.start;
                return self.open(
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    },
                    sp,
                );
            }
            Event::MappingStart(anchor, _) => {
                let frame = Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    start: sp.start,
                    anchor,
                    merges: Vec::new(),
                };
                return self.open(frame, sp);
            }
            Event::SequenceEnd => {
                let (node, anchor) = self.close_seq(sp)?;
                (node, anchor, false)
            }
            Event::MappingEnd => {
                let (node, anchor) = self.close_map(sp)?;
                (node, anchor, false)
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain_merge_key = style == ScalarStyle::Plain && value == "<<";
                (
                    self.scalar(&value, style, tag.as_deref(), sp),
                    anchor,
                    plain_merge_key,
                )
            }
            Event::Alias(id) => (self.alias(id, sp)?, 0, false),
        };
        self.count_node(sp)?;
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.add(node, plain_merge_key);
        Ok(())
    }

    /// Counts a document start; a second document is reported (only the first is read).
    fn document_start(&mut self, sp: Span) {
        self.documents += 1;
        if self.documents == 2 {
            let loc = self.loc(sp, &Pointer::root());
            self.diags.push(
                Diagnostic::error(rule::YAML_MULTI_DOCUMENT, loc, "the file holds more than one YAML document; only the first is read")
                    .with_hint("a capability file is one document; remove the `---` separator or split the file"),
            );
        }
    }

    /// Opens a collection, stopping when it would nest deeper than [`MAX_DEPTH`].
    ///
    /// Once per collection of every file validated: inlined like [`Builder::event`].
    #[inline(always)]
    fn open(&mut self, frame: Frame, sp: Span) -> Result<(), Stop> {
        if self.stack.len() >= MAX_DEPTH {
            let loc = self.loc(sp, &Pointer::root());
            self.diags.push(Diagnostic::error(
                rule::YAML_LIMIT,
                loc,
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
            return Err(Stop);
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Closes the innermost collection, a sequence: the node and its anchor.
    fn close_seq(&mut self, sp: Span) -> Result<(Node, usize), Stop> {
        match self.stack.pop() {
            Some(Frame::Seq {
                items,
                start,
                anchor,
            }) => Ok((
                Node {
                    kind: NodeKind::Seq(items),
                    span: Span { start, end: sp.end },
                },
                anchor,
            )),
            _ => Err(Stop),
        }
    }

    /// Closes the innermost collection, a mapping, expanding its `<<` merges: the node and
    /// its anchor.
    fn close_map(&mut self, sp: Span) -> Result<(Node, usize), Stop> {
        let Some(Frame::Map {
            mut entries,
            start,
            anchor,
            merges,
            ..
        }) = self.stack.pop()
        else {
            return Err(Stop);
        };
        if !merges.is_empty() {
            // The mapping's pointer: its position in the collection now on top.
            let pointer = child_pointer(&self.stack);
            for merged in merges {
                merge_into(&mut entries, merged, &pointer, self.file, self.diags);
            }
        }
        let node = Node {
            kind: NodeKind::Map(entries),
            span: Span { start, end: sp.end },
        };
        Ok((node, anchor))
    }

    /// Makes a scalar node, warning about a tag that is not one of YAML's.
    fn scalar(&mut self, value: &str, style: ScalarStyle, tag: Option<&Tag>, sp: Span) -> Node {
        let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
        let kind = resolve_scalar(value, style, tag.as_deref());
        if let Some(t) = tag.as_deref()
            && !t.starts_with("tag:yaml.org,2002:")
            && !t.starts_with("!!")
        {
            let loc = self.loc(sp, &child_pointer(&self.stack));
            self.diags.push(Diagnostic::warning(
                rule::YAML_TAG,
                loc,
                format!("the YAML tag `{t}` is ignored"),
            ));
        }
        Node { kind, span: sp }
    }

    /// Expands an alias into a copy of its anchored node, stopping when the anchor is
    /// unknown or the copy would take the document past [`MAX_NODES`].
    fn alias(&mut self, id: usize, sp: Span) -> Result<Node, Stop> {
        let Some(n) = self.anchors.get(&id) else {
            let loc = self.loc(sp, &Pointer::root());
            self.diags.push(Diagnostic::error(
                rule::YAML_SYNTAX,
                loc,
                "alias refers to an unknown anchor",
            ));
            return Err(Stop);
        };
        let size = n.count();
        if self.nodes.saturating_add(size) > MAX_NODES {
            let loc = self.loc(sp, &child_pointer(&self.stack));
            self.diags.push(
                Diagnostic::error(
                    rule::YAML_LIMIT,
                    loc,
                    format!("alias expansion exceeds {MAX_NODES} nodes (a YAML bomb?)"),
                )
                .with_hint("capability files rarely need anchors; write the values out"),
            );
            return Err(Stop);
        }
        self.nodes += size - 1;
        let mut n = n.clone();
        n.span = sp;
        Ok(n)
    }

    /// Counts one more node, stopping past [`MAX_NODES`].
    fn count_node(&mut self, sp: Span) -> Result<(), Stop> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            let loc = self.loc(sp, &Pointer::root());
            self.diags.push(Diagnostic::error(
                rule::YAML_LIMIT,
                loc,
                format!("the document has more than {MAX_NODES} nodes"),
            ));
            return Err(Stop);
        }
        Ok(())
    }

    /// Adds a complete node to the innermost open collection (as an item, a key, a value
    /// or a `<<` merge), or makes it the root; reports a duplicate key.
    fn add(&mut self, node: Node, plain_merge_key: bool) {
        let duplicate = match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
                None
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                None
            }
            Some(Frame::Map {
                entries,
                pending_key,
                merges,
                ..
            }) => match pending_key.take() {
                None => {
                    *pending_key = Some((node, plain_merge_key));
                    None
                }
                Some((_, true)) => {
                    merges.push(node);
                    None
                }
                Some((key, false)) => insert_entry(entries, key, node),
            },
        };
        if let Some((span, text, first_line)) = duplicate {
            self.duplicate_key(span, &text, first_line);
        }
    }

    /// Reports a key written twice in the innermost open mapping.
    fn duplicate_key(&mut self, span: Span, text: &str, first_line: u32) {
        let pointer = open_pointer(&self.stack).key(text);
        let loc = self.loc(span, &pointer);
        self.diags.push(
            Diagnostic::error(
                rule::YAML_DUPLICATE_KEY,
                loc,
                format!("duplicate key `{text}` (first defined at line {first_line})"),
            )
            .with_hint("YAML parsers keep only one of the values, silently; remove or rename one"),
        );
    }

    /// Ends the parse: the root, after reporting a file with no document at all.
    fn finish(self) -> Option<Node> {
        if self.root.is_none() && !self.diags.iter().any(|d| d.rule == rule::YAML_SYNTAX) {
            let loc = self.loc(Span::at(Pos { line: 1, column: 1 }), &Pointer::root());
            self.diags.push(Diagnostic::error(
                rule::FILE_EMPTY,
                loc,
                "the file holds no YAML document; expected a Naftiko document starting with `naftiko: 1.0.0-alpha2`",
            ));
        }
        self.root
    }
}

/// Adds `key: value` to a mapping's entries unless the key is there already; then it
/// gives what to report: the key's span and text, and the line of the first one.
fn insert_entry(
    entries: &mut Vec<(Node, Node)>,
    key: Node,
    value: Node,
) -> Option<(Span, String, u32)> {
    let text = key.key_text_cow();
    match entries.iter().find(|(k, _)| k.key_text_cow() == text) {
        Some((first, _)) => Some((key.span, text.into_owned(), first.span.start.line)),
        None => {
            entries.push((key, value));
            None
        }
    }
}

/// Expands a `<<` merge value into `entries`: keys already present win.
fn merge_into(
    entries: &mut Vec<(Node, Node)>,
    merged: Node,
    pointer: &Pointer,
    file: &Arc<Path>,
    diags: &mut Vec<Diagnostic>,
) {
    let sources: Vec<Node> = match merged.kind {
        NodeKind::Map(_) => vec![merged.clone()],
        NodeKind::Seq(items) => items,
        _ => Vec::new(),
    };
    diags.push(
        Diagnostic::warning(
            rule::YAML_MERGE_KEY,
            Loc {
                file: file.clone(),
                span: merged.span,
                pointer: pointer.clone(),
            },
            "`<<` merge key expanded",
        )
        .with_hint("merge keys are a YAML 1.1 extension; other tools may not expand them"),
    );
    for source in sources {
        if let NodeKind::Map(src) = source.kind {
            for (k, v) in src {
                let text = k.key_text_cow();
                if !entries.iter().any(|(e, _)| e.key_text_cow() == text) {
                    entries.push((k, v));
                }
            }
        }
    }
}

/// The pointer of the node about to be added to the innermost open collection.
///
/// Pointers are only needed for the rare diagnostics of this module, so they are worked
/// out from the open collections when asked for rather than kept for every one: each
/// open collection sits at the position its parent will put it (the parent's next index,
/// or its pending key), and that position does not change while it is open.
fn child_pointer(stack: &[Frame]) -> Pointer {
    let mut pointer = Pointer::root();
    for frame in stack {
        match frame {
            Frame::Seq { items, .. } => pointer = pointer.index(items.len()),
            Frame::Map {
                pending_key: Some((k, _)),
                ..
            } => pointer = pointer.key(&k.key_text_cow()),
            Frame::Map { .. } => {}
        }
    }
    pointer
}

/// The pointer of the innermost open collection.
fn open_pointer(stack: &[Frame]) -> Pointer {
    match stack.split_last() {
        Some((_, parents)) => child_pointer(parents),
        None => Pointer::root(),
    }
}

/// YAML 1.2 core schema resolution of a scalar.
fn resolve_scalar(value: &str, style: ScalarStyle, tag: Option<&str>) -> NodeKind {
    let tag = tag.map(|t| {
        t.trim_start_matches("tag:yaml.org,2002:")
            .trim_start_matches("!!")
    });
    match tag {
        Some("str") => return NodeKind::Str(value.to_string()),
        Some("null") => return NodeKind::Null,
        Some("bool") | Some("int") | Some("float") => {}
        _ if style != ScalarStyle::Plain => return NodeKind::Str(value.to_string()),
        _ => {}
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = value.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return i64::from_str_radix(hex, 16)
            .map_or(NodeKind::Str(value.to_string()), NodeKind::Int);
    }
    if let Some(oct) = value.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(oct, 8).map_or(NodeKind::Str(value.to_string()), NodeKind::Int);
    }
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i64>() {
            Ok(i) => NodeKind::Int(i),
            Err(_) => value
                .parse::<f64>()
                .map_or(NodeKind::Str(value.to_string()), NodeKind::Float),
        };
    }
    if is_core_float(digits)
        && let Ok(f) = value.parse::<f64>()
    {
        return NodeKind::Float(f);
    }
    NodeKind::Str(value.to_string())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without the sign.
fn is_core_float(s: &str) -> bool {
    // Most plain scalars are words: a float starts with a digit or a dot.
    if !s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
    {
        return false;
    }
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit()))
                && (!int.is_empty() || !frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mantissa_ok && exp_ok && (mantissa.contains('.') || exp.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
        let file: Arc<Path> = Arc::from(Path::new("t.yaml"));
        let mut d = Vec::new();
        let n = parse(text, &file, &mut d);
        (n, d)
    }

    #[test]
    fn positions_are_one_based() {
        let (n, d) = load("a:\n  b: [1, x]\n");
        assert!(d.is_empty(), "{d:?}");
        let n = n.unwrap();
        let b = n.pointer("/a/b/1").unwrap();
        assert_eq!(
            b.span.start,
            Pos {
                line: 2,
                column: 10
            }
        );
        assert_eq!(b.kind, NodeKind::Str("x".into()));
    }

    #[test]
    fn core_schema_scalars() {
        let (n, _) =
            load("a: yes\nb: 017\nc: '1'\nd: 1.5\ne: ~\nf: true\ng: 0x1F\nh: 1e3\ni: 2026-05-25\n");
        let j = n.unwrap().to_json();
        assert_eq!(
            j,
            serde_json::json!({"a":"yes","b":17,"c":"1","d":1.5,"e":null,"f":true,"g":31,"h":1000.0,"i":"2026-05-25"})
        );
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_lines() {
        let (_, d) = load("a: 1\nb: 2\na: 3\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rule, rule::YAML_DUPLICATE_KEY);
        assert_eq!(d[0].loc.span.start.line, 3);
        assert!(d[0].message.contains("line 1"));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let (n, d) = load(&s);
        assert!(n.is_none());
        assert!(d.iter().any(|d| d.rule == rule::YAML_LIMIT), "{d:?}");
    }

    #[test]
    fn deep_nesting_is_stopped() {
        let s = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let (n, d) = load(&s);
        assert!(n.is_none());
        assert!(
            d.iter()
                .any(|d| d.rule == rule::YAML_LIMIT || d.rule == rule::YAML_SYNTAX),
            "{d:?}"
        );
    }

    #[test]
    fn merge_keys_are_expanded_with_a_warning() {
        let (n, d) = load("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n");
        assert_eq!(n.unwrap().to_json()["d"], serde_json::json!({"y":3,"x":1}));
        assert!(d.iter().any(|d| d.rule == rule::YAML_MERGE_KEY));
    }

    /// Diagnostics inside nested collections carry the pointer of where they are, worked
    /// out from the open collections when the diagnostic is made.
    #[test]
    fn nested_diagnostics_have_their_pointer() {
        let (_, d) = load(
            "base: &b {x: 1}\nlist:\n  - a: 1\n  - m:\n      k: 1\n      k: 2\n  - <<: *b\n    z: !mine 3\n",
        );
        let pointer = |rule: &str| {
            d.iter()
                .find(|x| x.rule == rule)
                .map(|x| x.loc.pointer.to_string())
        };
        assert_eq!(
            pointer(rule::YAML_DUPLICATE_KEY).as_deref(),
            Some("/list/1/m/k")
        );
        assert_eq!(pointer(rule::YAML_MERGE_KEY).as_deref(), Some("/list/2"));
        assert_eq!(pointer(rule::YAML_TAG).as_deref(), Some("/list/2/z"));
    }

    #[test]
    fn empty_and_syntax_errors() {
        let (n, d) = load("");
        assert!(n.is_none());
        assert_eq!(d[0].rule, rule::FILE_EMPTY);
        let (n, d) = load("a: [1, 2\nb: 3\n");
        assert!(n.is_none());
        assert_eq!(d[0].rule, rule::YAML_SYNTAX);
    }
}
