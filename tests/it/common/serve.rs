//! Real servers for end-to-end tests of `naftiko run`: a recording upstream (a real HTTP
//! server on loopback, answering from a script) and the `naftiko` binary started as a user
//! would, waited on until it logs its listeners.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

/// A request the upstream received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// Path and query, exactly as received (still percent-encoded).
    pub(crate) target: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    /// The client's address (its port tells connections apart).
    pub(crate) peer: SocketAddr,
}

impl Seen {
    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
    /// The body parsed as a form.
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        url_pairs(&self.body)
    }
    /// The query parsed as pairs.
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        url_pairs(self.target.split_once('?').map(|x| x.1).unwrap_or(""))
    }
    /// The path without the query.
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }
    /// The path's last segment (`123` of `/orders/123?x=1`).
    pub(crate) fn last_segment(&self) -> &str {
        self.path().rsplit('/').next().unwrap_or_default()
    }
}

fn url_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How the upstream answers one request.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
    pub(crate) delay: Duration,
    /// Extra response headers (e.g. `WWW-Authenticate`).
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// 200 with a JSON body.
    pub(crate) fn json(body: serde_json::Value) -> Reply {
        Reply::status_json(200, body)
    }
    /// A status with a JSON body.
    pub(crate) fn status_json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: Bytes::from(body.to_string()),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    /// A status with a body of any media type.
    pub(crate) fn raw(status: u16, content_type: &'static str, body: impl Into<String>) -> Reply {
        Reply::bytes(status, content_type, body.into().into_bytes())
    }
    /// A status with a body of bytes (not necessarily text).
    pub(crate) fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body: Bytes::from(body),
            delay: Duration::ZERO,
            headers: Vec::new(),
        }
    }
    /// Adds a response header.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
    /// Wait before answering.
    pub(crate) fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Script = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A real HTTP server on 127.0.0.1 that records every request and answers from a script.
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Upstream {
    /// Starts an upstream answering every request with `script`.
    pub(crate) fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Upstream {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let record = seen.clone();
        let app = axum::Router::new().fallback(
            move |axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
                  method: Method,
                  uri: Uri,
                  headers: HeaderMap,
                  body: Bytes| {
                let record = record.clone();
                let script = script.clone();
                async move {
                    let s = Seen {
                        method: method.to_string(),
                        target: uri
                            .path_and_query()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        peer,
                    };
                    let reply = script(&s);
                    record.lock().unwrap().push(s);
                    if !reply.delay.is_zero() {
                        tokio::time::sleep(reply.delay).await;
                    }
                    let mut headers = HeaderMap::new();
                    headers.insert("content-type", reply.content_type.parse().unwrap());
                    for (k, v) in &reply.headers {
                        headers.append(*k, v.parse().unwrap());
                    }
                    (
                        StatusCode::from_u16(reply.status).unwrap(),
                        headers,
                        reply.body,
                    )
                }
            },
        );
        let (addr, stop) = serve_app(app);
        Upstream {
            addr,
            seen,
            _stop: stop,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves `app` on a free loopback port, on a runtime of its own, until the returned
/// sender is dropped; the address.
pub(crate) fn serve_app(app: axum::Router) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    serve_listener(|listener| async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    })
}

/// Binds a free loopback port and runs `serve` on it, on a runtime of its own (two
/// worker threads), until the returned sender is dropped; the address.
pub(crate) fn serve_listener<F, Fut>(serve: F) -> (SocketAddr, tokio::sync::oneshot::Sender<()>)
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            tokio::select! {
                () = serve(listener) => {}
                _ = stop_rx => {}
            }
        });
    });
    (
        addr_rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        stop_tx,
    )
}

/// A field of a process's `/proc/<pid>/status` counted in kB (`VmRSS`, `VmHWM`), in KiB.
pub(crate) fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// An address nothing listens on (bound then released).
pub(crate) fn dead_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A running `naftiko run` process.
pub(crate) struct Naftiko {
    child: Child,
    /// Listener addresses by exposes namespace list as logged (`(namespaces, addr)`).
    pub(crate) listeners: Vec<(String, SocketAddr)>,
    logs: Arc<Mutex<String>>,
}

impl Naftiko {
    /// The address of the listener serving the exposes namespace `namespace` (panics, with
    /// the listeners, when there is none).
    pub(crate) fn listener(&self, namespace: &str) -> SocketAddr {
        self.listeners
            .iter()
            .find(|(ns, _)| ns.contains(namespace))
            .map(|(_, a)| *a)
            .unwrap_or_else(|| {
                panic!(
                    "no listener for {namespace}: {:?}\n{}",
                    self.listeners,
                    self.logs()
                )
            })
    }

    /// `http://ADDR` of the listener serving `namespace`.
    pub(crate) fn url_of(&self, namespace: &str) -> String {
        format!("http://{}", self.listener(namespace))
    }

    /// Starts `naftiko run ARGS` in the workspace root with `env` added to the environment,
    /// and waits until every listener is logged. Panics (with the logs) if it exits first.
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> Naftiko {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_naftiko"));
        cmd.arg("run")
            .args(args)
            .current_dir(super::root())
            .env("NO_COLOR", "1")
            .env_remove("NAFTIKO_BASE_URI")
            .env_remove("NAFTIKO_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start naftiko");
        let stderr = child.stderr.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let logs: Arc<Mutex<String>> = Arc::default();
        let (line_tx, line_rx) = std::sync::mpsc::channel::<String>();
        for stream in [
            Box::new(stderr) as Box<dyn std::io::Read + Send>,
            Box::new(stdout),
        ] {
            let logs = logs.clone();
            let tx = line_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    logs.lock().unwrap().push_str(&line);
                    logs.lock().unwrap().push('\n');
                    let _ = tx.send(line);
                }
            });
        }
        drop(line_tx);
        let mut listeners = Vec::new();
        let deadline = Instant::now() + super::WATCHDOG;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match line_rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    let rest = line.split("listening on http://").nth(1);
                    if let Some(rest) = rest.or_else(|| line.split("listening on https://").nth(1))
                    {
                        let (addr, ns) = rest.split_once(' ').unwrap_or((rest, ""));
                        let addr = addr.trim_end_matches(['"', ',']);
                        listeners.push((ns.to_owned(), addr.parse().unwrap()));
                    }
                    if line.contains("route ") || line.contains("listening on") {
                        continue;
                    }
                    if !listeners.is_empty() {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if !listeners.is_empty() {
                        break;
                    }
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "naftiko exited with {status} before listening\n{}",
                            logs.lock().unwrap()
                        );
                    }
                    if Instant::now() >= deadline {
                        let _ = child.kill();
                        panic!("naftiko did not start listening\n{}", logs.lock().unwrap());
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    if !listeners.is_empty() {
                        break;
                    }
                    let status = child.wait().unwrap();
                    panic!(
                        "naftiko exited with {status} before listening\n{}",
                        logs.lock().unwrap()
                    );
                }
            }
        }
        Naftiko {
            child,
            listeners,
            logs,
        }
    }

    /// `http://ADDR` of the first listener.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.listeners[0].1)
    }

    /// The process id (e.g. to read `/proc/<pid>/status`).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far (stderr and stdout).
    pub(crate) fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the exit code (killed after the watchdog).
    pub(crate) fn stop(mut self) -> (i32, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + super::WATCHDOG;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(50));
                return (status.code().unwrap_or(-1), self.logs());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("naftiko did not stop after SIGTERM\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Naftiko {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client for tests (reqwest on its own small runtime).
pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .unwrap()
}

/// A token endpoint as the seed's upstream: `invalid_client` (401) for the client secret
/// `wrong`, else `access_token` (with `expires_in` 3600 and `token_type` Bearer).
pub(crate) fn token_endpoint(access_token: &'static str) -> Upstream {
    Upstream::start(move |seen| {
        if seen
            .form()
            .iter()
            .any(|(k, v)| k == "client_secret" && v == "wrong")
        {
            Reply::status_json(401, serde_json::json!({"error": "invalid_client"}))
        } else {
            Reply::json(serde_json::json!({
                "access_token": access_token, "expires_in": 3600, "token_type": "Bearer"
            }))
        }
    })
}

/// The seed capability, run against `upstream` with its REST block on a free loopback port,
/// plus `extra` arguments.
pub(crate) fn start_seed(upstream: &str, extra: &[&str]) -> Naftiko {
    let owned = seed_args(upstream, extra);
    let args: Vec<&str> = owned.iter().map(String::as_str).collect();
    Naftiko::start(&args, &[])
}

/// The access lines of JSON logs (`--log-format json`), in order.
pub(crate) fn json_access_lines(logs: &str) -> Vec<serde_json::Value> {
    logs.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "naftiko::access")
        .collect()
}

/// The arguments of [`start_seed`] (for callers that pass an environment too).
pub(crate) fn seed_args(upstream: &str, extra: &[&str]) -> Vec<String> {
    capability_args(
        "capabilities/oauth2-tokens.yaml",
        "oauth2-tokens",
        "oauth2-tokens-rest",
        upstream,
        extra,
    )
}

/// `naftiko run` arguments serving `file` with its consumed namespace `consumed` pointed
/// at `upstream` and its listener `listener` on a free loopback port, then `extra`.
pub(crate) fn capability_args(
    file: &str,
    consumed: &str,
    listener: &str,
    upstream: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = [
        file,
        "--base-uri",
        &format!("{consumed}={upstream}"),
        "--listen",
        &format!("{listener}=127.0.0.1:0"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// A hang guard on raw-socket reads (not a timing assertion).
pub(crate) const RAW_GUARD: Duration = Duration::from_secs(15);

/// Sends raw bytes to `addr` and reads until the server closes the connection (or the
/// guard elapses); the answer as text.
pub(crate) fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    String::from_utf8_lossy(&raw_exchange_bytes(addr, bytes)).into_owned()
}

/// [`raw_exchange`]'s answer as the bytes read.
pub(crate) fn raw_exchange_bytes(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(RAW_GUARD)).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

/// The status code of a raw HTTP answer (0 when there is none).
pub(crate) fn status_of(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// POSTs the seed's form (`grant_type=client_credentials`, `client_id`, `client_secret`)
/// to `n`'s token route with `client`.
pub(crate) fn post_seed_form(
    client: &reqwest::blocking::Client,
    n: &Naftiko,
    client_id: &str,
    client_secret: &str,
) -> reqwest::Result<reqwest::blocking::Response> {
    client
        .post(format!("{}/v1/oauth2/token", n.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .send()
}
