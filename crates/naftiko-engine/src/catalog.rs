//! MCP resources and prompts: described for adapters and read or rendered here, so the MCP
//! adapter stays a thin translation.
//!
//! A resource is a directory of files (`location: file:///…`; one resource per file, read as
//! text when its media type is textual and it is UTF-8, else as bytes) or an operation (`call`/`steps`); a URI with `{name}` placeholders is a template
//! whose captured values become the operation's arguments. A prompt is a list of messages
//! whose `{{argument}}` placeholders are filled from the caller's arguments, or a file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::ids::OpId;
use crate::tools::Blob;

/// An MCP resource.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    /// Name.
    pub name: String,
    /// Title (`label`).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// URI, or URI template when it has `{name}` placeholders.
    pub uri: String,
    /// Media type.
    pub mime_type: Option<String>,
    /// Where its content comes from.
    pub source: ResourceSource,
}

/// Where a resource's content comes from.
#[derive(Debug, Clone)]
pub enum ResourceSource {
    /// Files of a directory.
    Directory(PathBuf),
    /// An operation.
    Operation(OpId),
}

/// One entry of `resources/list`.
#[derive(Debug, Clone)]
pub struct ResourceEntry {
    /// URI.
    pub uri: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Media type.
    pub mime_type: Option<String>,
}

/// What a resource read resolved to.
#[derive(Debug, Clone)]
pub enum ResourceTarget {
    /// A file's contents.
    File(Contents),
    /// An operation to run with these arguments.
    Operation(OpId, Map<String, Value>),
}

/// A resource's contents: text (MCP `TextResourceContents`) or bytes (`BlobResourceContents`).
#[derive(Debug, Clone)]
pub enum Contents {
    /// Text and its media type.
    Text {
        /// The media type.
        mime_type: String,
        /// The text.
        text: String,
    },
    /// Bytes and their media type.
    Blob(Blob),
}

impl ResourceSpec {
    /// True when the URI has `{name}` placeholders.
    pub fn is_template(&self) -> bool {
        self.uri.contains('{') && self.uri.contains('}')
    }

    /// The entries this resource lists (one per file of a directory).
    pub fn entries(&self) -> Vec<ResourceEntry> {
        let entry = |uri: String, mime: Option<String>| ResourceEntry {
            uri,
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            mime_type: mime,
        };
        match &self.source {
            ResourceSource::Directory(dir) => {
                let mut files = Vec::new();
                list_files(dir, dir, &mut files);
                files.sort();
                files
                    .into_iter()
                    .map(|rel| {
                        let mime = self
                            .mime_type
                            .clone()
                            .or_else(|| Some(mime_of(&rel).to_owned()));
                        entry(format!("{}/{rel}", self.uri), mime)
                    })
                    .collect()
            }
            ResourceSource::Operation(_) if self.is_template() => Vec::new(),
            ResourceSource::Operation(_) => vec![entry(self.uri.clone(), self.mime_type.clone())],
        }
    }

    /// Resolves `uri` against this resource (`None` when it is not one of its URIs); a file
    /// larger than `limit` bytes is refused.
    ///
    /// # Errors
    /// An unsafe path, an unreadable or too large file.
    pub fn resolve(&self, uri: &str, limit: usize) -> Option<Result<ResourceTarget, String>> {
        match &self.source {
            ResourceSource::Directory(dir) => {
                // A directory's files are `<uri>/<relative path>` (so `test:/` + `static-text`
                // is `test://static-text`); a URI naming no file is not this resource's.
                let rel = uri.strip_prefix(self.uri.as_str())?.strip_prefix('/')?;
                if rel.split('/').all(safe_segment) && !dir.join(rel).is_file() {
                    return None;
                }
                let mime_type = self
                    .mime_type
                    .clone()
                    .unwrap_or_else(|| mime_of(rel).to_owned());
                Some(
                    read_bytes(dir, rel, limit)
                        .map(|bytes| ResourceTarget::File(file_contents(mime_type, bytes))),
                )
            }
            ResourceSource::Operation(op) => {
                let captures = match_template(&self.uri, uri)?;
                Some(Ok(ResourceTarget::Operation(*op, captures)))
            }
        }
    }
}

/// Matches `uri` against a template (`{name}` matches one non-empty run without `/`).
fn match_template(template: &str, uri: &str) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let (mut t, mut u) = (template, uri);
    loop {
        match t.find('{') {
            None => return (t == u).then_some(out),
            Some(open) => {
                let (lit, rest) = t.split_at(open);
                u = u.strip_prefix(lit)?;
                let close = rest.find('}')?;
                let name = &rest[1..close];
                t = &rest[close + 1..];
                let end = match t.chars().next() {
                    None => u.len(),
                    Some(c) => u.find(c).unwrap_or(u.len()),
                };
                let end = end.min(u.find('/').unwrap_or(u.len()));
                if end == 0 {
                    return None;
                }
                out.insert(name.to_owned(), Value::String(u[..end].to_owned()));
                u = &u[end..];
            }
        }
    }
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            list_files(root, &p, out);
        } else if meta.is_file()
            && let Ok(rel) = p.strip_prefix(root)
        {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

pub use naftiko_validate::files::safe_segment;

/// A file's bytes as resource contents: text when the media type is textual and the bytes
/// are UTF-8, else bytes.
fn file_contents(mime_type: String, bytes: Vec<u8>) -> Contents {
    if is_text(&mime_type) {
        match String::from_utf8(bytes) {
            Ok(text) => return Contents::Text { mime_type, text },
            Err(e) => {
                return Contents::Blob(Blob {
                    media_type: mime_type,
                    bytes: e.into_bytes().into(),
                });
            }
        }
    }
    Contents::Blob(Blob {
        media_type: mime_type,
        bytes: bytes.into(),
    })
}

/// True for a textual media type: `text/*`, JSON, XML, YAML, JavaScript and their `+json`,
/// `+xml`, `+yaml` forms.
pub fn is_text(mime_type: &str) -> bool {
    let base = mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base.starts_with("text/")
        || [
            "application/json",
            "application/xml",
            "application/yaml",
            "application/x-yaml",
            "application/javascript",
        ]
        .contains(&base.as_str())
        || ["+json", "+xml", "+yaml"].iter().any(|s| base.ends_with(s))
}

/// Reads `rel` under `root` as bytes, at most `limit` of them, refusing unsafe segments and
/// anything resolving outside.
///
/// # Errors
/// The reason, for the caller to report.
pub fn read_bytes(root: &Path, rel: &str, limit: usize) -> Result<Vec<u8>, String> {
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    naftiko_validate::files::read_under(root, rel, limit).map_err(|e| e.to_string())
}

/// A media type from a file name.
pub fn mime_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "md" | "markdown" => "text/markdown",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml",
        "txt" => "text/plain",
        "xml" => "application/xml",
        "html" => "text/html",
        "csv" => "text/csv",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

/// An MCP prompt.
#[derive(Debug, Clone)]
pub struct PromptSpec {
    /// Name.
    pub name: String,
    /// Title (`label`).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Arguments.
    pub arguments: Vec<PromptArgument>,
    /// Messages `(role, content template)`.
    pub messages: Vec<(String, String)>,
}

/// A prompt argument.
#[derive(Debug, Clone)]
pub struct PromptArgument {
    /// Name.
    pub name: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Required (default true).
    pub required: bool,
}

impl PromptSpec {
    /// The messages with `{{argument}}` filled in (single pass; values are not re-expanded).
    ///
    /// # Errors
    /// A required argument that is missing, named.
    pub fn render(&self, args: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
        for a in &self.arguments {
            if a.required && args.get(&a.name).is_none_or(Value::is_null) {
                return Err(format!("argument `{}` is required", a.name));
            }
        }
        Ok(self
            .messages
            .iter()
            .map(|(role, content)| (role.clone(), fill(content, args, &self.arguments)))
            .collect())
    }
}

/// Fills `{{name}}` placeholders: an argument's value; an optional argument left out renders
/// as nothing (as Mustache would); a name that is no argument stays as written.
fn fill(template: &str, args: &Map<String, Value>, declared: &[PromptArgument]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                match args.get(name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Null) | None if declared.iter().any(|a| a.name == name) => {}
                    Some(Value::Null) | None => out.push_str(&rest[open..open + 2 + close + 2]),
                    Some(v) => out.push_str(&v.to_string()),
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uri_templates_capture_segments() {
        let m = match_template("test://template/{id}/data", "test://template/42/data").unwrap();
        assert_eq!(m.get("id"), Some(&json!("42")));
        assert!(match_template("test://template/{id}/data", "test://template//data").is_none());
        assert!(match_template("test://static", "test://static").is_some());
    }

    #[test]
    fn prompts_fill_arguments_and_require_required_ones() {
        let p = PromptSpec {
            name: "p".into(),
            title: None,
            description: None,
            arguments: vec![
                PromptArgument {
                    name: "a".into(),
                    title: None,
                    description: None,
                    required: true,
                },
                PromptArgument {
                    name: "o".into(),
                    title: None,
                    description: None,
                    required: false,
                },
            ],
            messages: vec![("user".into(), "x={{a}} y={{b}} o={{o}}".into())],
        };
        let args = json!({"a": "1"}).as_object().unwrap().clone();
        assert_eq!(p.render(&args).unwrap()[0].1, "x=1 y={{b}} o=");
        assert!(p.render(&Map::new()).unwrap_err().contains("`a`"));
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let dir = std::env::temp_dir();
        assert!(read_bytes(&dir, "../etc/passwd", usize::MAX).is_err());
        assert!(read_bytes(&dir, "a/./b", usize::MAX).is_err());
    }
}
