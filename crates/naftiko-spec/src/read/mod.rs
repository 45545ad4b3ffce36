//! Reading a capability file: bytes → [`crate::yaml::Node`] tree → typed [`Document`], with every
//! problem collected as a [`Diagnostic`].
//!
//! Reading never stops at the first problem and never panics: a field with a bad value is
//! reported and left out of the model, and the rest of the document is still read.

mod auth;
mod consumes;
mod document;
mod exposes;
mod imports;
mod invocation;
mod params;
pub(crate) mod reader;

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, rule};
use crate::model::Document;
use crate::span::{Loc, Pointer, Pos, Span};
use crate::yaml;

/// Largest file naftiko reads (capability files are rarely above a few hundred kilobytes).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A file after reading: its text, its YAML tree, its typed model and its diagnostics.
#[derive(Debug, Clone)]
pub struct LoadedDocument {
    /// The path it was read from.
    pub path: Arc<Path>,
    /// The text (empty when the file could not be read as text).
    pub text: Arc<str>,
    /// True when the text parsed as YAML. (The tree itself is not kept: once the model is
    /// read, every element and diagnostic carries its own position, and dropping each
    /// tree as soon as its file is read keeps a directory scan's memory small.)
    pub parsed: bool,
    /// True when the top-level mapping has a `naftiko` or `ikanos` key.
    naftiko_key: bool,
    /// The typed model, when the root is a mapping.
    pub document: Option<Document>,
    /// Everything found while reading.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedDocument {
    /// A file that could not be read as YAML text: no text, no tree, one diagnostic.
    fn unreadable(path: Arc<Path>, diagnostic: Diagnostic) -> Self {
        LoadedDocument {
            path,
            text: Arc::from(""),
            parsed: false,
            naftiko_key: false,
            document: None,
            diagnostics: vec![diagnostic],
        }
    }

    /// True when the top-level mapping has a `naftiko` or `ikanos` key (how directory
    /// scans recognise capability files among other YAML).
    pub fn has_naftiko_key(&self) -> bool {
        self.naftiko_key
    }
}

fn file_error(path: &Arc<Path>, message: String) -> Diagnostic {
    let loc = Loc {
        file: path.clone(),
        span: Span::at(Pos { line: 1, column: 1 }),
        pointer: Pointer::root(),
    };
    Diagnostic::error(rule::FILE_UNREADABLE, loc, message)
}

/// Reads and parses a file. Unreadable, oversized, binary and non-UTF-8 files give a
/// `file-unreadable` diagnostic, never a panic.
pub fn load_file(path: &Path) -> LoadedDocument {
    let shared: Arc<Path> = Arc::from(path);
    let empty = |d: Diagnostic| LoadedDocument::unreadable(shared.clone(), d);
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            return empty(file_error(
                &shared,
                format!(
                    "the file is {:.1} MiB; naftiko reads capability files of at most {} MiB",
                    meta.len() as f64 / 1048576.0,
                    MAX_FILE_BYTES / 1048576
                ),
            ));
        }
        Ok(meta) if meta.is_dir() => {
            return empty(file_error(
                &shared,
                "this is a directory, not a file".to_string(),
            ));
        }
        Ok(_) => {}
        Err(e) => return empty(file_error(&shared, format!("cannot read the file: {e}"))),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return empty(file_error(&shared, format!("cannot read the file: {e}"))),
    };
    load_bytes(shared, &bytes)
}

/// Parses bytes that were read from `path`.
pub fn load_bytes(path: Arc<Path>, bytes: &[u8]) -> LoadedDocument {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let d = file_error(
            &path,
            format!("the file is larger than {} MiB", MAX_FILE_BYTES / 1048576),
        );
        return LoadedDocument::unreadable(path, d);
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        let d = file_error(
            &path,
            format!("the file is binary (a NUL byte at offset {at}), not YAML text"),
        );
        return LoadedDocument::unreadable(path, d);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(path, text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let at = e.valid_up_to();
            let before = String::from_utf8_lossy(&bytes[..at]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let loc = Loc {
                file: path.clone(),
                span: Span::at(Pos {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    column: u32::try_from(column).unwrap_or(u32::MAX),
                }),
                pointer: Pointer::root(),
            };
            let d = Diagnostic::error(
                rule::FILE_UNREADABLE,
                loc,
                format!("the file is not UTF-8 text (invalid byte at offset {at})"),
            )
            .with_hint("save the file as UTF-8");
            LoadedDocument::unreadable(path, d)
        }
    }
}

/// Parses YAML text that came from `path` and reads it into the model.
pub fn load_str(path: Arc<Path>, text: &str) -> LoadedDocument {
    let mut diagnostics = Vec::new();
    let root = yaml::parse(text, &path, &mut diagnostics);
    let document = root.as_ref().and_then(|r| {
        let mut cx = reader::Cx {
            file: path.clone(),
            diags: &mut diagnostics,
            spec: crate::model::Spec::Alpha2,
        };
        document::read_document(&mut cx, r)
    });
    LoadedDocument {
        path,
        text: Arc::from(text),
        parsed: root.is_some(),
        naftiko_key: root
            .as_ref()
            .is_some_and(|r| r.get("naftiko").is_some() || r.get("ikanos").is_some()),
        document,
        diagnostics,
    }
}
