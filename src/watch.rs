//! `--watch`: noticing that the capability files changed. Every interval the files and
//! directories named on the command line (every regular file below a directory, names
//! starting with `.` skipped, symbolic links followed: a Kubernetes ConfigMap volume swaps
//! its `..data` link) and the files they import are read and hashed together; a change is
//! reported once two readings in a row agree (an editor's half-written save is not
//! loaded). Reading runs off the async reactor.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Files larger than this are known by their length and modification time, not read.
const READ_LIMIT: u64 = 16 << 20;

/// Watches a set of paths.
pub(crate) struct Watcher {
    paths: Vec<PathBuf>,
    interval: Duration,
    /// The state last reported (or found at start).
    applied: u64,
    /// A new state seen once, waiting to be seen again.
    pending: Option<u64>,
}

impl Watcher {
    /// Watches `paths`, read every `interval`, from their state now.
    pub(crate) async fn new(paths: Vec<PathBuf>, interval: Duration) -> Self {
        let applied = state(paths.clone()).await;
        Watcher {
            paths,
            interval,
            applied,
            pending: None,
        }
    }

    /// Watches `paths` from now on (after a reload: the files imported may differ).
    pub(crate) async fn rebase(&mut self, paths: Vec<PathBuf>) {
        self.paths = paths;
        self.applied = state(self.paths.clone()).await;
        self.pending = None;
    }

    /// Resolves once the files changed and stayed so for one more interval.
    pub(crate) async fn changed(&mut self) {
        loop {
            tokio::time::sleep(self.interval).await;
            let now = state(self.paths.clone()).await;
            if now == self.applied {
                self.pending = None;
            } else if self.pending == Some(now) {
                self.applied = now;
                self.pending = None;
                return;
            } else {
                self.pending = Some(now);
            }
        }
    }
}

/// The hash of everything under `paths`, read on a blocking thread.
async fn state(paths: Vec<PathBuf>) -> u64 {
    tokio::task::spawn_blocking(move || {
        let mut h = DefaultHasher::new();
        for p in &paths {
            hash_path(p, &mut h, 0);
        }
        h.finish()
    })
    .await
    .unwrap_or_default()
}

/// Hashes `path` (a file's name and content, a directory's files, a missing path's name).
fn hash_path(path: &Path, h: &mut DefaultHasher, depth: usize) {
    path.hash(h);
    let Ok(meta) = std::fs::metadata(path) else {
        "missing".hash(h);
        return;
    };
    if meta.is_dir() {
        if depth > 16 {
            return;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        for e in &entries {
            hash_path(e, h, depth + 1);
        }
    } else if meta.len() > READ_LIMIT {
        meta.len().hash(h);
        meta.modified().ok().hash(h);
    } else {
        std::fs::read(path).ok().hash(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_changes_change_the_hash_and_dotted_names_do_not() {
        let dir = std::env::temp_dir().join(format!("naftiko-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.yaml"), "one").unwrap();
        let hash = || {
            let mut h = DefaultHasher::new();
            hash_path(&dir, &mut h, 0);
            h.finish()
        };
        let first = hash();
        assert_eq!(hash(), first);
        std::fs::write(dir.join(".swap"), "ignored").unwrap();
        assert_eq!(hash(), first, "names starting with a dot are skipped");
        std::fs::write(dir.join("sub/b.yaml"), "two").unwrap();
        let second = hash();
        assert_ne!(second, first, "a new file below");
        std::fs::write(dir.join("a.yaml"), "One").unwrap();
        assert_ne!(hash(), second, "a content change");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
