//! Test certificates: a certificate authority and a server certificate it signs for
//! 127.0.0.1 and localhost (or other names), made by Python's `trustme`
//! (`.ci/mcp-tools/tls_certs.py`), never by naftiko's code.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The venv's Python; `None` after [`super::skip_or_fail`] when it is not installed.
pub(crate) fn python() -> Option<PathBuf> {
    let python = super::root().join(".ci/mcp-tools/venv/bin/python");
    if python.exists() {
        Some(python)
    } else {
        super::skip_or_fail("the venv is missing: run .ci/mcp-tools/install.sh");
        None
    }
}

/// Writes `NAME-ca.pem`, `NAME-cert.pem` (the chain) and `NAME-key.pem` into `dir`; their
/// paths `(ca, cert, key)`, or `None` without the venv.
pub(crate) fn certificates(dir: &Path, name: &str) -> Option<(PathBuf, PathBuf, PathBuf)> {
    certificates_for(dir, name, &[])
}

/// Like [`certificates`], the server certificate for `identities` (host names or IP
/// addresses; none: 127.0.0.1 and localhost).
pub(crate) fn certificates_for(
    dir: &Path,
    name: &str,
    identities: &[&str],
) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let mut cmd = Command::new(python()?);
    cmd.arg(super::root().join(".ci/mcp-tools/tls_certs.py"))
        .arg(dir)
        .arg(name)
        .args(identities);
    let run = super::run_command(&mut cmd, Duration::from_secs(60), "tls_certs.py");
    assert!(run.status.success(), "tls_certs.py: {run}");
    let file = |kind: &str| dir.join(format!("{name}-{kind}.pem"));
    Some((file("ca"), file("cert"), file("key")))
}
