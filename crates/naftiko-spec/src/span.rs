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
    pub pointer: Pointer,
}

impl Loc {
    /// A location for something without a file (e.g. built in code or tests).
    pub fn detached(pointer: &str) -> Self {
        Loc {
            file: Arc::from(Path::new("<memory>")),
            span: Span::default(),
            pointer: Pointer::from(pointer),
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

/// A JSON pointer (RFC 6901) to a node of a document, e.g. `/capability/exposes/0`.
///
/// Every model element keeps one, but few are ever written out (only those of reported
/// elements), so a pointer is a chain of tokens shared with its parent: making a child
/// costs one small allocation and copies no text, cloning costs a reference count, and
/// [`Pointer`]'s `Display` writes the escaped text when asked for.
#[derive(Clone, Default)]
pub struct Pointer(Option<Arc<Segment>>);

/// The last token of a pointer and the pointer it extends.
struct Segment {
    parent: Pointer,
    token: Token,
}

/// One reference token.
enum Token {
    /// A field name written in the code (no allocation).
    Field(&'static str),
    /// A key taken from the document.
    Key(Box<str>),
    /// A list index.
    Index(usize),
}

impl Token {
    /// The token's text, before escaping; `buf` holds an index's digits.
    fn text<'a>(&'a self, buf: &'a mut String) -> &'a str {
        match self {
            Token::Field(s) => s,
            Token::Key(s) => s,
            Token::Index(i) => {
                use std::fmt::Write as _;
                buf.clear();
                let _ = write!(buf, "{i}");
                buf
            }
        }
    }

    /// True when both tokens have the same text.
    fn same(&self, other: &Token) -> bool {
        match (self, other) {
            (Token::Index(a), Token::Index(b)) => a == b,
            _ => {
                let (mut x, mut y) = (String::new(), String::new());
                self.text(&mut x) == other.text(&mut y)
            }
        }
    }
}

impl Pointer {
    /// The pointer to the whole document (the empty string).
    pub fn root() -> Self {
        Pointer(None)
    }

    fn push(&self, token: Token) -> Self {
        Pointer(Some(Arc::new(Segment {
            parent: self.clone(),
            token,
        })))
    }

    /// The pointer to the field `name` of the mapping this points to.
    pub fn field(&self, name: &'static str) -> Self {
        self.push(Token::Field(name))
    }

    /// The pointer to the entry `key` (a key read from a document) of this mapping.
    pub fn key(&self, key: &str) -> Self {
        self.push(Token::Key(key.into()))
    }

    /// The pointer to item `index` of the list this points to.
    pub fn index(&self, index: usize) -> Self {
        self.push(Token::Index(index))
    }

    /// True for the pointer to the whole document.
    pub fn is_root(&self) -> bool {
        self.0.is_none()
    }

    /// The segments from the root down.
    fn segments(&self) -> Vec<&Segment> {
        let mut segments = Vec::new();
        let mut at = self.0.as_deref();
        while let Some(segment) = at {
            segments.push(segment);
            at = segment.parent.0.as_deref();
        }
        segments.reverse();
        segments
    }
}

impl std::fmt::Display for Pointer {
    /// The pointer's text, each token escaped (`~` as `~0`, `/` as `~1`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let mut buf = String::new();
        for segment in self.segments() {
            f.write_char('/')?;
            let text = segment.token.text(&mut buf);
            if text.contains(['~', '/']) {
                for c in text.chars() {
                    match c {
                        '~' => f.write_str("~0")?,
                        '/' => f.write_str("~1")?,
                        c => f.write_char(c)?,
                    }
                }
            } else {
                f.write_str(text)?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl PartialEq for Pointer {
    /// Pointers are equal when their texts are.
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (self.0.as_ref(), other.0.as_ref());
        loop {
            match (a, b) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if Arc::ptr_eq(x, y) {
                        return true;
                    }
                    if !x.token.same(&y.token) {
                        return false;
                    }
                    a = x.parent.0.as_ref();
                    b = y.parent.0.as_ref();
                }
                _ => return false,
            }
        }
    }
}

impl Eq for Pointer {}

impl From<&str> for Pointer {
    /// Reads a pointer's text (`/a/b~1c/0`); a text not starting with `/` is the root.
    fn from(text: &str) -> Self {
        let mut pointer = Pointer::root();
        if let Some(rest) = text.strip_prefix('/') {
            for raw in rest.split('/') {
                pointer = pointer.key(&raw.replace("~1", "/").replace("~0", "~"));
            }
        }
        pointer
    }
}

impl Serialize for Pointer {
    /// Serializes as the pointer's text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_write_escaped_tokens_and_compare_by_text() {
        let root = Pointer::root();
        assert_eq!(root.to_string(), "");
        let p = root.field("paths").key("/a~b").index(3);
        assert_eq!(p.to_string(), "/paths/~1a~0b/3");
        assert_eq!(p, Pointer::from("/paths/~1a~0b/3"));
        assert_ne!(p, Pointer::from("/paths/~1a~0b/03"));
        assert_ne!(p, Pointer::from("/paths/~1a~0b"));
        assert_ne!(root.field("x"), root.field("y"));
        assert_eq!(Pointer::from("").to_string(), "");
        assert!(Pointer::from("").is_root());
        assert_eq!(format!("{:?}", root.field("a")), "\"/a\"");
    }
}
