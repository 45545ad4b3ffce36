//! `outputSchema`: what reading a consumed operation's answers needs besides the body
//! (docs/semantics.md §4). One loader for `validate` (the `output-schema` rule,
//! `rules/runnable.rs`) and for the engine's build, which keeps what it returns, so both
//! refuse the same operations and a schema file is read once per build, never per request.
//!
//! - `avro`: the path of an Avro schema file (`.avsc`, JSON), parsed by `apache-avro`;
//! - `protobuf`: the path of a `.proto` file, compiled by `protox` (imports are looked up
//!   beside it, and Google's well-known types are built in); the body is its first message,
//!   as the reference engine (Jackson's `ProtobufSchemaLoader`) reads it;
//! - `html`: a CSS selector scoping the tables read;
//! - `markdown`: a heading prefix filtering the sections read (`## Results` keeps level-2
//!   headings starting with `Results`; `Results` keeps any level);
//! - other formats: unused.
//!
//! Paths are relative to the capability file that declares the operation (`file://` URLs
//! as for imports). `avro` and `protobuf` answers cannot be read without their schema: an
//! operation whose outputs read one without `outputSchema` is refused too
//! ([`lacks_schema`]).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use apache_avro::Schema;
use apache_avro::schema::{Name, ResolvedSchema};
use naftiko_spec::model::{ConsumedOperation, RawFormat};

/// Largest schema file read.
const MAX_SCHEMA_FILE: u64 = 4 << 20;

/// What an operation's `outputSchema` gives the reader of its answers.
#[derive(Debug, Clone)]
pub enum BodySchema {
    /// `avro`: the schema of the body.
    Avro(Arc<AvroSchema>),
    /// `protobuf`: the message the body holds.
    Protobuf(prost_reflect::MessageDescriptor),
    /// `html`: the elements whose tables and text are read.
    Html(Box<scraper::Selector>),
    /// `markdown`: the sections read.
    Markdown(SectionFilter),
}

/// An Avro schema with its named types, as a datum reader needs them.
pub struct AvroSchema {
    /// The schema of a datum.
    pub root: Schema,
    /// Every named type (record, enum, fixed) by full name, for `Ref`s.
    pub names: HashMap<Name, Schema>,
}

impl fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvroSchema")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl AvroSchema {
    /// Parses an Avro schema (JSON text) and resolves its named types.
    ///
    /// # Errors
    /// The text is not an Avro schema (the parser's message).
    pub fn parse(text: &str) -> Result<Self, String> {
        let root = Schema::parse_str(text).map_err(|e| e.to_string())?;
        let names = ResolvedSchema::try_from(&root)
            .map_err(|e| e.to_string())?
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect();
        Ok(AvroSchema { root, names })
    }
}

/// Which markdown sections are read: headings whose text starts with `prefix`, at `level`
/// when one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionFilter {
    /// 1 to 6 when the filter was written with `#`s.
    pub level: Option<u8>,
    /// The start of the heading's text (empty: every section).
    pub prefix: String,
}

impl SectionFilter {
    /// `## Results` → level 2, prefix `Results`; `Results` → any level.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        let hashes = text.bytes().take_while(|b| *b == b'#').count();
        let rest = &text[hashes..];
        if (1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return SectionFilter {
                level: u8::try_from(hashes).ok(),
                prefix: rest.trim().to_owned(),
            };
        }
        SectionFilter {
            level: None,
            prefix: text.to_owned(),
        }
    }

    /// True when a heading of `level` with `text` is read.
    pub fn keeps(&self, level: u8, text: &str) -> bool {
        self.level.is_none_or(|l| l == level) && text.starts_with(&self.prefix)
    }
}

/// True for the formats whose answers cannot be read without `outputSchema`.
pub fn needs_schema(format: RawFormat) -> bool {
    matches!(format, RawFormat::Avro | RawFormat::Protobuf)
}

/// True when `op` answers a format that needs `outputSchema` and has none (or an empty one,
/// as the reference engine counts it).
pub fn lacks_schema(op: &ConsumedOperation) -> bool {
    op.output_raw_format
        .as_ref()
        .is_some_and(|f| needs_schema(f.value))
        && op
            .output_schema
            .as_ref()
            .is_none_or(|s| s.value.trim().is_empty())
}

/// The operation's `outputSchema`, read for its `outputRawFormat`: `None` when it has none
/// or its format does not use one.
///
/// # Errors
/// A message naming the file or selector that cannot be used, and why.
pub fn load(op: &ConsumedOperation) -> Result<Option<BodySchema>, String> {
    let Some(schema) = &op.output_schema else {
        return Ok(None);
    };
    let format = op.output_raw_format.as_ref().map(|f| f.value);
    let text = schema.value.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match format {
        Some(RawFormat::Avro) => {
            let path = crate::workspace::import_path(&schema.loc.file, text);
            let json = read(&path)?;
            AvroSchema::parse(&json)
                .map(|s| Some(BodySchema::Avro(Arc::new(s))))
                .map_err(|e| format!("{} is not an Avro schema: {e}", path.display()))
        }
        Some(RawFormat::Protobuf) => {
            let path = crate::workspace::import_path(&schema.loc.file, text);
            proto_message(&path).map(|m| Some(BodySchema::Protobuf(m)))
        }
        Some(RawFormat::Html) => scraper::Selector::parse(text)
            .map(|s| Some(BodySchema::Html(Box::new(s))))
            .map_err(|e| format!("`{text}` is not a CSS selector: {e}")),
        Some(RawFormat::Markdown) => Ok(Some(BodySchema::Markdown(SectionFilter::parse(text)))),
        _ => Ok(None),
    }
}

/// A schema file's text, within [`MAX_SCHEMA_FILE`].
fn read(path: &Path) -> Result<String, String> {
    let cannot = |e: &dyn fmt::Display| format!("schema file {}: {e}", path.display());
    let size = std::fs::metadata(path).map_err(|e| cannot(&e))?.len();
    if size > MAX_SCHEMA_FILE {
        return Err(cannot(&format!(
            "larger than the {MAX_SCHEMA_FILE} byte limit"
        )));
    }
    std::fs::read_to_string(path).map_err(|e| cannot(&e))
}

/// The first message of the `.proto` file at `path`, compiled with its directory as the
/// import path.
///
/// # Errors
/// The file cannot be read, does not compile, or declares no message.
pub fn proto_message(path: &Path) -> Result<prost_reflect::MessageDescriptor, String> {
    let cannot = |e: &dyn fmt::Display| format!("schema file {}: {e}", path.display());
    // protox reads the file itself: check it exists and is small first, for a plain message.
    read(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| cannot(&"not a file"))?;
    let mut compiler = protox::Compiler::new([dir]).map_err(|e| cannot(&e))?;
    compiler.include_imports(true);
    compiler.open_file(&name).map_err(|e| cannot(&e))?;
    let pool = compiler.descriptor_pool();
    pool.get_file_by_name(&name)
        .and_then(|f| f.messages().next())
        .ok_or_else(|| cannot(&"it declares no message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_filters_with_and_without_a_level() {
        let f = SectionFilter::parse("## Results");
        assert_eq!(f.level, Some(2));
        assert!(f.keeps(2, "Results of May"));
        assert!(!f.keeps(3, "Results"));
        assert!(!f.keeps(2, "Overview"));
        let any = SectionFilter::parse("API");
        assert!(any.keeps(1, "API Reference") && any.keeps(4, "API"));
        assert!(SectionFilter::parse("").keeps(3, "anything"));
        assert_eq!(SectionFilter::parse("#hashtag").prefix, "#hashtag");
    }

    #[test]
    fn avro_schemas_resolve_their_named_types() {
        let s = AvroSchema::parse(
            r#"{"type":"record","name":"L","namespace":"n","fields":[
                {"name":"next","type":["null","L"]},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}]}"#,
        );
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.names.len(), 2);
        assert!(AvroSchema::parse(r#"{"type":"recrd"}"#).is_err());
        assert!(AvroSchema::parse("not json").is_err());
    }
}
