//! Stoplight Prism serving an OpenAPI document as a mock upstream on loopback
//! (`.ci/prism/serve.mjs`, installed by `.ci/prism/install.sh`), one per document per test
//! binary; each exits when this process does (its stdin closes).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// A running Prism.
pub(crate) struct Prism {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

/// The Prism serving `openapi` (a path), started on first use; `None` when it cannot run
/// here ([`super::skip_or_fail`]).
pub(crate) fn serving(openapi: &Path) -> Option<&'static Prism> {
    static SERVERS: OnceLock<Mutex<HashMap<String, &'static Prism>>> = OnceLock::new();
    let key = openapi.display().to_string();
    let servers = SERVERS.get_or_init(Mutex::default);
    let mut servers = servers.lock().unwrap();
    if let Some(p) = servers.get(&key) {
        return Some(p);
    }
    match start(openapi) {
        Ok(p) => {
            let p: &'static Prism = Box::leak(Box::new(p));
            servers.insert(key, p);
            Some(p)
        }
        Err(reason) => {
            super::skip_or_fail(&format!("Prism cannot run: {reason}"));
            None
        }
    }
}

fn start(openapi: &Path) -> Result<Prism, String> {
    let dir = super::root().join(".ci/prism");
    if !dir.join("node_modules/.bin/prism").exists() {
        return Err("run .ci/prism/install.sh (needs node and npm)".to_owned());
    }
    let mut child = Command::new("node")
        .arg(dir.join("serve.mjs"))
        .arg(openapi)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let stderr = super::collect(child.stderr.take().ok_or("no stderr")?);
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    // Prism takes a few seconds to load a document: a watchdog against a hang, not a timing.
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(Some(Ok(line))) if line.starts_with("listening http://127.0.0.1:") => Ok(Prism {
            _child: child,
            url: line["listening ".len()..].trim().to_owned(),
        }),
        other => {
            let _ = child.kill();
            Err(format!(
                "no `listening` line ({other:?})\n--- stderr ---\n{}",
                stderr.lock().unwrap()
            ))
        }
    }
}
