//! Source positions: where in a file a node, key or value sits.

use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

/// A position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters (not bytes).
    pub column: u32,
}

/// A range in a source file, from `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First character of the range.
    pub start: Pos,
    /// Position just past the range.
    pub end: Pos,
}

impl Span {
    /// A span covering a single position.
    pub fn at(pos: Pos) -> Self {
        Span {
            start: pos,
            end: pos,
        }
    }
}

/// Where a model element came from: the file, the span, and the JSON pointer of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The file the element was read from.
    pub file: Arc<Path>,
    /// The element's range in that file.
    pub span: Span,
    /// JSON pointer (RFC 6901) of the element within its document, e.g. `/capability/exposes/0`.
    pub pointer: String,
}

impl Loc {
    /// A location for something without a file (e.g. built in code or tests).
    pub fn detached(pointer: impl Into<String>) -> Self {
        Loc {
            file: Arc::from(Path::new("<memory>")),
            span: Span::default(),
            pointer: pointer.into(),
        }
    }
}

/// A value together with where it was written.
///
/// Serializes (and describes itself in JSON Schema) exactly like the inner value.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where the value was written.
    pub loc: Loc,
}

impl<T> Spanned<T> {
    /// Wraps a value with its location.
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned { value, loc }
    }
}

impl Spanned<String> {
    /// The string value.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn pointer_push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}
