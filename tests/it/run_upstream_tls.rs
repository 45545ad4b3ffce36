//! Trusting private certificate authorities for upstream HTTPS (docs/run.md "Upstream
//! HTTPS"): `--ca-bundle` adds a PEM bundle to the system's roots for every consumed API or
//! one namespace, never in place of them. The upstreams are Python's own HTTPS server
//! (`.ci/mcp-tools/tls_upstream.py`) with certificates from two authorities made by
//! `trustme`: one plays the system's roots (`SSL_CERT_FILE`), the other the private CA.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::common;
use common::serve::{Naftiko, client};

/// An HTTPS upstream answering `token`; killed when dropped.
struct TlsUpstream(Child, u16);

impl TlsUpstream {
    fn start(python: &Path, cert: &Path, key: &Path, token: &str) -> TlsUpstream {
        let mut child = Command::new(python)
            .arg(common::root().join(".ci/mcp-tools/tls_upstream.py"))
            .args([cert.as_os_str(), key.as_os_str()])
            .arg(token)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tls_upstream.py");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("its port");
        let port = line.trim().parse().expect("a port");
        TlsUpstream(child, port)
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.1)
    }
}

impl Drop for TlsUpstream {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The seed against `upstream`, with `SSL_CERT_FILE=system` and `extra` flags; the status
/// and body of one token request.
fn token_via(upstream: &str, system: &Path, extra: &[&str]) -> (u16, String) {
    let owned = common::serve::seed_args(upstream, extra);
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    let n = Naftiko::start(&args, &[("SSL_CERT_FILE", system.to_str().unwrap())]);
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "a"),
            ("client_secret", "b"),
        ])
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn a_ca_bundle_adds_to_the_system_roots_for_all_or_one_namespace() {
    let Some(python) = common::tls::python() else {
        return;
    };
    let dir = common::Scratch::new("upstream-tls");
    let Some((system_ca, system_cert, system_key)) =
        common::tls::certificates(dir.path(), "system")
    else {
        return;
    };
    let Some((private_ca, private_cert, private_key)) =
        common::tls::certificates(dir.path(), "private")
    else {
        return;
    };
    let public = TlsUpstream::start(&python, &system_cert, &system_key, "from-public");
    let private = TlsUpstream::start(&python, &private_cert, &private_key, "from-private");
    let bundle = private_ca.to_str().unwrap();

    // The private CA is not trusted by default: 502.
    let (status, body) = token_via(&private.url(), &system_ca, &[]);
    assert_eq!(status, 502, "{body}");
    // With --ca-bundle it is, and the system's roots still are.
    let (status, body) = token_via(&private.url(), &system_ca, &["--ca-bundle", bundle]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("from-private"), "{body}");
    let (status, body) = token_via(&public.url(), &system_ca, &["--ca-bundle", bundle]);
    assert_eq!(
        status, 200,
        "added, not in place of the system's roots: {body}"
    );
    assert!(body.contains("from-public"), "{body}");
    // For one consumed namespace.
    let one = format!("oauth2-tokens={bundle}");
    let (status, body) = token_via(&private.url(), &system_ca, &["--ca-bundle", &one]);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn unusable_ca_bundles_are_usage_errors() {
    let dir = common::Scratch::new("upstream-tls-bad");
    let not_pem = dir.write("bundle.pem", "not a certificate");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "capabilities/oauth2-tokens.yaml", "--check"];
        args.extend_from_slice(extra);
        common::naftiko(&args)
    };
    let bad = run(&["--ca-bundle", not_pem.to_str().unwrap()]);
    assert_eq!(bad.code(), 2, "{bad}");
    assert!(bad.stderr.contains("bundle.pem"), "{bad}");
    let missing = run(&["--ca-bundle", "nowhere.pem"]);
    assert_eq!(missing.code(), 2, "{missing}");
    assert!(missing.stderr.contains("nowhere.pem"), "{missing}");
    let unknown = run(&["--ca-bundle", &format!("nope={}", not_pem.display())]);
    assert_eq!(unknown.code(), 2, "{unknown}");
    assert!(
        unknown
            .stderr
            .contains("no consumed API `nope` (known: oauth2-tokens)"),
        "{unknown}"
    );
}
