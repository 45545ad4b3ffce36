//! TLS on listeners (docs/run.md "TLS"): `--tls-cert`/`--tls-key` for every listener or per
//! exposes namespace, HTTP/1.1 by ALPN, certificates read again on SIGHUP, and refused flags.
//! The certificates are made by the test with Python's `trustme` (`.ci/mcp-tools/tls_certs.py`);
//! the clients are real: curl, Python's httpx (the MCP SDK's HTTP client) and the MCP SDK.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::common;
use common::serve::{Naftiko, token_endpoint};

fn curl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn https(n: &Naftiko, namespace: &str) -> String {
    format!("https://{}", n.listener(namespace))
}

fn seed(up: &str, extra: &[&str]) -> Naftiko {
    let mut extra = extra.to_vec();
    extra.extend(["--control", "127.0.0.1:0"]);
    common::serve::start_seed(up, &extra)
}

const FORM: &str = "grant_type=client_credentials&client_id=tls-client&client_secret=tls-secret";

#[test]
fn every_listener_serves_tls_to_curl_httpx_and_the_mcp_sdk() {
    let dir = common::Scratch::new("tls-all");
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "server") else {
        return;
    };
    let up = token_endpoint("tls-token");
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let n = seed(
        &up.url(),
        &[
            "--tls-cert",
            cert_s,
            "--tls-key",
            key_s,
            "--expose",
            "mcp=127.0.0.1:0",
        ],
    );
    let logs = n.logs();
    assert!(logs.contains("listening on https://"), "{logs}");
    assert!(
        !logs.contains("listening on http://"),
        "every listener serves TLS\n{logs}"
    );
    let token = format!("{}/v1/oauth2/token", https(&n, "oauth2-tokens-rest"));
    let ca_s = ca.to_str().unwrap();
    // curl: TLS 1.3, ALPN http/1.1, the certificate verified against the test's authority.
    let (ok, out, err) = curl(&[
        "--cacert",
        ca_s,
        "-v",
        "-d",
        FORM,
        "-w",
        "\n%{http_version}",
        &token,
    ]);
    assert!(ok, "{err}");
    assert!(out.starts_with(r#"{"access_token":"tls-token""#), "{out}");
    assert!(out.ends_with("\n1.1"), "{out}");
    assert!(err.contains("ALPN: server accepted http/1.1"), "{err}");
    // Without the authority, curl refuses the certificate.
    let (ok, _, err) = curl(&["-d", FORM, &token]);
    assert!(!ok, "{err}");
    // The control port too.
    let (ok, out, _) = curl(&[
        "--cacert",
        ca_s,
        &format!("{}/health/ready", https(&n, "control")),
    ]);
    assert!(ok && out.contains("\"UP\""), "{out}");
    // Python's httpx, as the MCP SDK uses it.
    let py = format!(
        "import ssl, httpx2\nctx = ssl.create_default_context(cafile={ca_s:?})\nr = httpx2.post({token:?}, content={FORM:?}, headers={{'content-type': 'application/x-www-form-urlencoded'}}, verify=ctx)\nprint(r.http_version, r.status_code, r.json()['access_token'])"
    );
    let mut cmd = Command::new(common::root().join(".ci/mcp-tools/venv/bin/python"));
    cmd.args(["-c", &py]);
    let run = common::run_command(&mut cmd, Duration::from_secs(60), "httpx");
    assert!(run.status.success(), "{run}");
    assert_eq!(run.stdout.trim(), "HTTP/1.1 200 tls-token");
    // The MCP SDK over Streamable HTTP with TLS (its httpx client trusts SSL_CERT_FILE).
    let mcp = format!("{}/mcp", https(&n, "[mcp at /mcp]"));
    let commands = json!([{"op": "call_tool", "name": "getoauthtoken", "arguments": {
        "grant_type": "client_credentials", "client_id": "a", "client_secret": "b"}}]);
    let client = common::mcp::mcp_client_with(
        &["http", "--client", "sdk", "--timeout", "60", &mcp],
        &commands,
        &[("SSL_CERT_FILE", ca_s)],
    );
    assert_eq!(client.code, Some(0), "{}", client.stderr);
    let result = &client.results()[0];
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("tls-token"), "{result}");
}

#[test]
fn a_namespace_can_serve_tls_alone_and_plain_http_or_a_stalled_handshake_is_dropped() {
    let dir = common::Scratch::new("tls-one");
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "rest") else {
        return;
    };
    let up = token_endpoint("tls-one-token");
    let cert = format!("oauth2-tokens-rest={}", cert.display());
    let key = format!("oauth2-tokens-rest={}", key.display());
    let n = seed(
        &up.url(),
        &[
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--header-timeout",
            "1s",
        ],
    );
    let control = n.url_of("control");
    assert!(control.starts_with("http://"));
    assert_eq!(
        client_get(&format!("{control}/health/live")),
        200,
        "the control port stays plain"
    );
    let rest = n.listener("oauth2-tokens-rest");
    // Plain HTTP to the TLS listener: no answer, the connection closed.
    let mut plain = std::net::TcpStream::connect(rest).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    plain
        .write_all(b"GET /v1/oauth2/token HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(
        !String::from_utf8_lossy(&got).contains("HTTP/1.1 200"),
        "{got:?}"
    );
    // A client that opens a connection and says nothing is cut at the header timeout.
    let mut silent = std::net::TcpStream::connect(rest).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(silent.read(&mut buf).unwrap_or(0), 0, "closed");
    // The listener still serves TLS.
    let url = format!("https://{rest}/v1/oauth2/token");
    let (ok, out, err) = curl(&["--cacert", ca.to_str().unwrap(), "-d", FORM, &url]);
    assert!(ok && out.contains("tls-one-token"), "{out}{err}");
}

fn client_get(url: &str) -> u16 {
    common::serve::client()
        .get(url)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn certificates_are_read_again_on_sighup() {
    let dir = common::Scratch::new("tls-reload");
    let Some((old_ca, cert, key)) = common::tls::certificates(dir.path(), "first") else {
        return;
    };
    let Some((new_ca, new_cert, new_key)) = common::tls::certificates(dir.path(), "second") else {
        return;
    };
    let up = token_endpoint("tls-reload-token");
    let (cert_s, key_s) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let n = seed(&up.url(), &["--tls-cert", cert_s, "--tls-key", key_s]);
    let url = format!("{}/health/live", https(&n, "control"));
    let with = |ca: &Path| curl(&["--cacert", ca.to_str().unwrap(), &url]).0;
    assert!(with(&old_ca) && !with(&new_ca));
    std::fs::copy(&new_cert, &cert).unwrap();
    std::fs::copy(&new_key, &key).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &n.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + common::WATCHDOG;
    while !with(&new_ca) {
        assert!(
            std::time::Instant::now() < deadline,
            "the new certificate is not served\n{}",
            n.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!with(&old_ca), "the old certificate is no longer served");
}

#[test]
fn unusable_tls_flags_are_usage_errors_naming_the_flag_and_file() {
    let dir = common::Scratch::new("tls-bad");
    let not_pem = dir.write("key.pem", "SECRET-KEY-CONTENT-never-shown");
    let cert = dir.write(
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "capabilities/oauth2-tokens.yaml", "--check"];
        args.extend_from_slice(extra);
        common::naftiko(&args)
    };
    let (cert_s, key_s) = (cert.to_str().unwrap(), not_pem.to_str().unwrap());
    let alone = run(&["--tls-cert", cert_s]);
    assert_eq!(alone.code(), 2, "{alone}");
    assert!(alone.stderr.contains("has no --tls-key"), "{alone}");
    let bad = run(&["--tls-cert", cert_s, "--tls-key", key_s]);
    assert_eq!(bad.code(), 2, "{bad}");
    assert!(
        bad.stderr.contains("--tls-key `") && bad.stderr.contains("key.pem"),
        "{bad}"
    );
    assert!(!bad.stderr.contains("SECRET-KEY-CONTENT"), "{bad}");
    let unknown = run(&[
        "--tls-cert",
        &format!("nowhere={cert_s}"),
        "--tls-key",
        &format!("nowhere={key_s}"),
    ]);
    assert_eq!(unknown.code(), 2, "{unknown}");
    assert!(
        unknown.stderr.contains("no exposes block `nowhere`"),
        "{unknown}"
    );
}
