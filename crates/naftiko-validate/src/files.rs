//! Files a capability names inside a directory it declares (`location`: MCP resource
//! directories, script steps' scripts): the one rule for their relative paths and the one
//! way to read them, so that nothing outside the directory is ever read, through `..`, an
//! absolute path or a symbolic link.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file under a directory cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The path is not relative `/`-separated safe segments.
    #[error(
        "`{0}` is not a safe relative path (`/`-separated names of letters, digits, `.`, `_` and `-`; no `..`, no leading `/`)"
    )]
    Unsafe(String),
    /// The directory does not exist (or is not a directory).
    #[error("the directory does not exist")]
    NoDirectory,
    /// The path resolves outside the directory (a symbolic link).
    #[error("`{0}` leads outside its directory")]
    Escapes(String),
    /// No such file.
    #[error("no file `{0}`")]
    Missing(String),
    /// The file is larger than the limit.
    #[error("`{0}` is larger than the {1} byte limit")]
    TooLarge(String, u64),
    /// The file cannot be read.
    #[error("cannot read `{0}`")]
    Unreadable(String),
}

/// True for a path segment naftiko reads (`^[a-zA-Z0-9._-]+$`, not `.` or `..`).
pub fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The file `rel` under `root`, links resolved, when it is a file inside `root`.
///
/// # Errors
/// An unsafe path, a missing directory or file, or a path that resolves outside `root`.
pub fn resolve_under(root: &Path, rel: &str) -> Result<PathBuf, FileError> {
    if !rel.split('/').all(safe_segment) {
        return Err(FileError::Unsafe(rel.to_owned()));
    }
    let root = root
        .canonicalize()
        .ok()
        .filter(|r| r.is_dir())
        .ok_or(FileError::NoDirectory)?;
    let path = root
        .join(rel)
        .canonicalize()
        .map_err(|_| FileError::Missing(rel.to_owned()))?;
    if !path.starts_with(&root) {
        return Err(FileError::Escapes(rel.to_owned()));
    }
    if !path.is_file() {
        return Err(FileError::Missing(rel.to_owned()));
    }
    Ok(path)
}

/// Reads `rel` under `root` (see [`resolve_under`]), at most `limit` bytes.
///
/// # Errors
/// As [`resolve_under`], or a file larger than `limit` or unreadable.
pub fn read_under(root: &Path, rel: &str, limit: u64) -> Result<Vec<u8>, FileError> {
    let path = resolve_under(root, rel)?;
    let file = std::fs::File::open(&path).map_err(|_| FileError::Unreadable(rel.to_owned()))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|_| FileError::Unreadable(rel.to_owned()))?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Err(FileError::TooLarge(rel.to_owned(), limit));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_names_without_dots_alone() {
        for ok in ["a.js", "lib", "x_y-z.1"] {
            assert!(safe_segment(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a b", "a/b", "é", "a\\b"] {
            assert!(!safe_segment(bad), "{bad}");
        }
    }

    #[test]
    fn unsafe_paths_are_refused_before_any_file_is_opened() {
        let dir = std::env::temp_dir();
        for rel in ["../etc/passwd", "a/./b", "/etc/passwd", "a//b", ""] {
            assert!(
                matches!(read_under(&dir, rel, u64::MAX), Err(FileError::Unsafe(_))),
                "{rel}"
            );
        }
    }
}
