//! Upstream HTTPS (docs/run.md "The upstream request"): trusting private certificate
//! authorities, `--ca-bundle` adding a PEM bundle to the system's roots for every consumed
//! API or one namespace, never in place of them, and `SSL_CERT_FILE` replacing the roots;
//! host names checked; the h1 client (consumed operations, the direct path) trusting
//! exactly what reqwest (`forward` resources) trusts; HTTPS answers the same as HTTP ones;
//! and kept-alive HTTPS connections reused, idle ones checked without mistaking session
//! tickets or key updates for a close. The upstreams are Python's own HTTPS server
//! (`.ci/mcp-tools/tls_upstream.py`), or the recording upstream behind an HTTPS front
//! (`common::tls_front`, rustls, TLS 1.3 with session tickets), with certificates from
//! authorities made by `trustme`: one plays the system's roots (`SSL_CERT_FILE`), the others
//! private CAs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common;
use common::serve::{Naftiko, Reply, Upstream, client, seed_args};
use common::tls_front::{AfterAnswer, TlsFront};
use serde_json::json;

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

/// A CA, certificate and key: one standing in for the system's roots (`SSL_CERT_FILE`),
/// one private (trusted only through `--ca-bundle`).
type Authority = (PathBuf, PathBuf, PathBuf);

/// Two certificate authorities, each with a certificate for 127.0.0.1 and localhost:
/// "system" and "private".
fn system_and_private(dir: &Path) -> Option<(Authority, Authority)> {
    Some((
        common::tls::certificates(dir, "system")?,
        common::tls::certificates(dir, "private")?,
    ))
}

#[test]
fn a_ca_bundle_adds_to_the_system_roots_for_all_or_one_namespace() {
    let Some(python) = common::tls::python() else {
        return;
    };
    let dir = common::Scratch::new("upstream-tls");
    let Some(((system_ca, system_cert, system_key), (private_ca, private_cert, private_key))) =
        system_and_private(dir.path())
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

/// A token, with more fields than the seed's outputs keep.
fn token_reply() -> Reply {
    Reply::json(json!({
        "token_type": "Bearer",
        "access_token": "tok-over-tls",
        "scope": "a b",
        "expires_in": 3600
    }))
}

/// Starts the seed on `base` with `extra` flags and `env`.
fn seed(base: &str, extra: &[&str], env: &[(&str, &str)]) -> Naftiko {
    let owned = seed_args(base, extra);
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    Naftiko::start(&args, env)
}

/// One request to the seed's token route with this body and content type: the status, the
/// content type and the body of the answer.
fn ask(n: &Naftiko, content_type: &str, body: &str) -> (u16, String, String) {
    let r = client()
        .post(format!("{}/v1/oauth2/token", n.url()))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().unwrap())
}

const FORM: &str = "application/x-www-form-urlencoded";
const GOOD: &str = "grant_type=client_credentials&client_id=a&client_secret=b";

#[test]
fn https_upstreams_answer_as_http_ones_on_the_direct_and_the_general_path() {
    let dir = common::Scratch::new("upstream-tls-same");
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "up") else {
        return;
    };
    let up = Upstream::start(|_| token_reply());
    let front = TlsFront::start(&cert, &key, up.addr, AfterAnswer::Nothing);
    let bundle = ca.to_str().unwrap();
    let http = seed(&up.url(), &[], &[]);
    let https = seed(&front.url(), &["--ca-bundle", bundle], &[]);
    let general = seed(
        &front.url(),
        &["--ca-bundle", bundle, "--general-path"],
        &[],
    );
    let requests = [
        ("a form (the direct path)", FORM, GOOD),
        (
            "a JSON body (declined by the plan)",
            "application/json",
            r#"{"grant_type":"g","client_id":"a","client_secret":"b"}"#,
        ),
        ("a missing field", FORM, "grant_type=g&client_id=a"),
    ];
    for (case, content_type, body) in requests {
        let over_http = ask(&http, content_type, body);
        assert_eq!(ask(&https, content_type, body), over_http, "{case}");
        assert_eq!(ask(&general, content_type, body), over_http, "{case}");
    }
    let (status, _, body) = ask(&https, FORM, GOOD);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"access_token":"tok-over-tls","expires_in":3600}"#);
    // Every request that reached the upstream over HTTPS came as it did over HTTP (the
    // missing field never left naftiko).
    let seen = up.seen();
    let forms: Vec<_> = seen.iter().map(|s| (s.target.clone(), s.form())).collect();
    assert_eq!(forms.len(), 7, "{forms:?}");
    for trio in forms[..6].chunks(3) {
        assert!(trio.iter().all(|f| f == &trio[0]), "{forms:?}");
    }
}

/// Sends `n` token requests to a seed on `front`, `pause` apart; every answer must be 200.
fn token_requests(front: &TlsFront, ca: &Path, n: usize, pause: Duration) {
    let naftiko = seed(&front.url(), &["--ca-bundle", ca.to_str().unwrap()], &[]);
    for i in 0..n {
        if i > 0 {
            std::thread::sleep(pause);
        }
        let (status, _, body) = ask(&naftiko, FORM, GOOD);
        assert_eq!(status, 200, "request {i}: {body}\n{}", naftiko.logs());
    }
}

/// Checks that `requests` requests through `front` kept their upstream connections: each
/// request comes on a connection of its own, dealt round-robin to one runtime per core,
/// and each runtime keeps its own upstream connections, so at most one per core (and
/// fewer than one per request).
fn assert_kept(front: &TlsFront, requests: usize, case: &str) {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let accepted = front.accepted();
    assert!(
        (1..=cores.min(requests - 1)).contains(&accepted),
        "{case}: {accepted} connections for {requests} requests on {cores} cores"
    );
}

#[test]
fn https_connections_are_kept_alive_and_idle_ones_checked() {
    let dir = common::Scratch::new("upstream-tls-reuse");
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "up") else {
        return;
    };
    let up = Upstream::start(|_| token_reply());
    // TLS 1.3 with session tickets: the connection is kept for every request.
    let front = TlsFront::start(&cert, &key, up.addr, AfterAnswer::Nothing);
    token_requests(&front, &ca, 5, Duration::from_millis(50));
    assert_kept(&front, 5, "session tickets");
    // A key update arriving on the idle connection (a record without data) does not make
    // it look closed.
    let front = TlsFront::start(&cert, &key, up.addr, AfterAnswer::KeyUpdate);
    token_requests(&front, &ca, 4, Duration::from_millis(400));
    assert_kept(&front, 4, "key updates on an idle connection");
    // A `close_notify` does: each request gets a new connection, and no request fails.
    let front = TlsFront::start(&cert, &key, up.addr, AfterAnswer::Close);
    token_requests(&front, &ca, 4, Duration::from_millis(400));
    assert_eq!(front.accepted(), 4, "closed connections are not reused");
    assert_eq!(up.seen().len(), 13);
}

#[test]
fn certificates_for_another_host_are_refused() {
    let dir = common::Scratch::new("upstream-tls-names");
    let Some((other_ca, other_cert, other_key)) =
        common::tls::certificates_for(dir.path(), "other", &["other.example"])
    else {
        return;
    };
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "up") else {
        return;
    };
    let up = Upstream::start(|_| token_reply());
    let other = TlsFront::start(&other_cert, &other_key, up.addr, AfterAnswer::Nothing);
    let right = TlsFront::start(&cert, &key, up.addr, AfterAnswer::Nothing);
    let bundle = format!("{},{}", ca.display(), other_ca.display());
    let token_from = |base: String| {
        let n = seed(&base, &[], &[("NAFTIKO_CA_BUNDLE", &bundle)]);
        let (status, _, body) = ask(&n, FORM, GOOD);
        (status, body)
    };
    // Trusted CA, certificate for other.example: refused by IP address and by name, as an
    // unreachable upstream, the reason given.
    let (status, body) = token_from(other.url());
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("upstream-unreachable"), "{body}");
    assert!(body.contains("certificate not valid for name"), "{body}");
    let (status, body) = token_from(format!("https://localhost:{}", other.addr.port()));
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("certificate not valid for name"), "{body}");
    // The certificate for 127.0.0.1 and localhost: trusted both ways (an IP address
    // without SNI, a name with it).
    let (status, body) = token_from(right.url());
    assert_eq!(status, 200, "{body}");
    let (status, body) = token_from(format!("https://localhost:{}", right.addr.port()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        up.seen().len(),
        2,
        "nothing reached the upstream over a refused connection"
    );
}

/// The fixture with one HTTPS consumed API at `base`, `extra` flags and `env`: the status
/// of a call through its operation (the h1 client) and through its forward (reqwest).
fn both_clients(base: &str, extra: &[&str], env: &[(&str, &str)]) -> (u16, u16) {
    let mut args = vec![
        "tests/fixtures/run/upstream-tls.yaml",
        "--listen",
        "tls-rest=127.0.0.1:0",
    ];
    let base = format!("tls-api={base}");
    args.extend(["--base-uri", &base]);
    args.extend_from_slice(extra);
    let n = Naftiko::start(&args, env);
    let status = |path: &str| {
        let r = client().get(format!("{}{path}", n.url())).send().unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        assert!(matches!(status, 200 | 502), "{path}: {status} {body}");
        status
    };
    (status("/op/token"), status("/fwd/token"))
}

#[test]
fn the_h1_client_trusts_exactly_what_reqwest_trusts() {
    let dir = common::Scratch::new("upstream-tls-parity");
    let Some(((system_ca, system_cert, system_key), (private_ca, private_cert, private_key))) =
        system_and_private(dir.path())
    else {
        return;
    };
    let Some((other_ca, other_cert, other_key)) =
        common::tls::certificates_for(dir.path(), "other", &["other.example"])
    else {
        return;
    };
    let up = Upstream::start(|_| token_reply());
    let public = TlsFront::start(&system_cert, &system_key, up.addr, AfterAnswer::Nothing);
    let private = TlsFront::start(&private_cert, &private_key, up.addr, AfterAnswer::Nothing);
    let other = TlsFront::start(&other_cert, &other_key, up.addr, AfterAnswer::Nothing);
    let path = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let (system, private_ca, other_ca) = (path(&system_ca), path(&private_ca), path(&other_ca));
    // (case, upstream, flags, SSL_CERT_FILE, status through both clients)
    let cases: Vec<(&str, String, Vec<&str>, &str, u16)> = vec![
        (
            "system roots, public upstream",
            public.url(),
            vec![],
            &system,
            200,
        ),
        (
            "system roots, private upstream",
            private.url(),
            vec![],
            &system,
            502,
        ),
        (
            "a bundle adds the private CA",
            private.url(),
            vec!["--ca-bundle", &private_ca],
            &system,
            200,
        ),
        (
            "the bundle beside the system roots",
            public.url(),
            vec!["--ca-bundle", &private_ca],
            &system,
            200,
        ),
        (
            "SSL_CERT_FILE replaces the roots: the private CA in",
            private.url(),
            vec![],
            &private_ca,
            200,
        ),
        (
            "SSL_CERT_FILE replaces the roots: the system CA out",
            public.url(),
            vec![],
            &private_ca,
            502,
        ),
        (
            "a trusted CA, the certificate for another name",
            other.url(),
            vec!["--ca-bundle", &other_ca],
            &system,
            502,
        ),
    ];
    for (case, base, extra, roots, expected) in cases {
        let (h1, reqwest) = both_clients(&base, &extra, &[("SSL_CERT_FILE", roots)]);
        assert_eq!(
            (h1, reqwest),
            (expected, expected),
            "{case}: (h1 client, reqwest)"
        );
    }
}

#[test]
fn https_upstreams_that_speak_only_http2_are_reached_through_reqwest() {
    let dir = common::Scratch::new("upstream-tls-h2");
    let Some((ca, cert, key)) = common::tls::certificates(dir.path(), "up") else {
        return;
    };
    let token = json!({"token_type": "Bearer", "access_token": "tok-over-h2", "expires_in": 60});
    let h2 = common::h2_upstream::H2Upstream::start(&cert, &key, token.clone());
    let h1 = Upstream::start(move |_| Reply::json(token.clone()));
    let bundle = ca.to_str().unwrap();
    let over_h1 = ask(&seed(&h1.url(), &[], &[]), FORM, GOOD);
    assert_eq!(over_h1.0, 200, "{over_h1:?}");
    // The direct path (a request written out in full, read back for reqwest) and the
    // general path; the second request of each goes to reqwest without a handshake first.
    for flags in [
        &["--ca-bundle", bundle][..],
        &["--ca-bundle", bundle, "--general-path"],
    ] {
        let naftiko = seed(&h2.url(), flags, &[]);
        for i in 0..2 {
            assert_eq!(ask(&naftiko, FORM, GOOD), over_h1, "{flags:?}, request {i}");
        }
    }
    let reference = h1.seen().remove(0);
    let seen = h2.seen();
    assert_eq!(seen.len(), 4);
    for (version, request) in &seen {
        assert_eq!(*version, hyper::Version::HTTP_2);
        assert_eq!(
            (&request.method, &request.target, &request.body),
            (&reference.method, &reference.target, &reference.body)
        );
        // (reqwest adds its `Accept: */*`, as on every request it sends.)
        for name in ["content-type", "user-agent"] {
            assert_eq!(request.header(name), reference.header(name), "{name}");
        }
    }
}
