//! Two `naftiko run` replicas of the seed (`--expose mcp`) behind nginx, as `docs/run.md`
//! tells users to deploy them, with real MCP clients:
//!
//! - 2026-07-28 is stateless, so nginx may send each request anywhere: the Python SDK's
//!   `Client` makes 20 tool calls through nginx's round-robin, every one succeeds, and both
//!   replicas served some (each replica's access lines are counted);
//! - the 2025 revisions have sessions that live in one process: each replica is started with
//!   `--mcp-session-prefix` (`r1-`, `r2-`), and nginx sends a request whose `Mcp-Session-Id`
//!   starts with a replica's tag to that replica, and a request without one (`initialize`)
//!   round-robin. Four 2025-11-25 clients make 5 calls each: all 20 succeed (a session
//!   routed to the wrong replica would be 404), and both replicas served some.
//!
//! nginx runs as a child process on a loopback port with a generated config in a scratch
//! directory (`nginx -p DIR -c nginx.conf -g 'daemon off; …'`), started once for both eras.
//! Needs nginx (`.ci/run` installs it) and `.ci/mcp-tools`; without them the test prints
//! `SKIPPED: …` and passes, except under CI, where it fails ([`common::skip_or_fail`]).

use crate::common;

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::mcp::{Kind, access_lines, over_http};
use common::serve::{Naftiko, Reply, Upstream};
use serde_json::{Value, json};

/// The session tags of the two replicas.
const TAGS: [&str; 2] = ["r1-", "r2-"];

/// The nginx config: round-robin for requests without a known session tag, the tagged
/// replica for the others. `{R1}`, `{R2}` and `{LISTEN}` are filled in.
const NGINX_CONF: &str = r#"
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    upstream naftiko_mcp {
        server {R1};
        server {R2};
    }
    map $http_mcp_session_id $mcp_replica {
        default    naftiko_mcp;
        ~^r1-      {R1};
        ~^r2-      {R2};
    }
    server {
        listen {LISTEN};
        location /mcp {
            proxy_pass http://$mcp_replica;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_buffering off;
        }
    }
}
"#;

/// nginx, started on a free loopback port; killed on drop.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    _dir: common::Scratch,
}

impl Nginx {
    /// Starts nginx in front of `replicas`, or `None` (skipped) when nginx is not installed.
    fn start(replicas: [SocketAddr; 2]) -> Option<Nginx> {
        let bin = nginx_binary()?;
        let dir = common::Scratch::new("nginx");
        let addr = free_loopback_port();
        let conf = NGINX_CONF
            .replace("{R1}", &replicas[0].to_string())
            .replace("{R2}", &replicas[1].to_string())
            .replace("{LISTEN}", &addr.to_string());
        dir.write("nginx.conf", conf);
        dir.write("logs/.keep", "");
        let pid = dir.path().join("nginx.pid");
        let stderr = std::fs::File::create(dir.path().join("nginx.stderr")).expect("a log file");
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .args(["-c", "nginx.conf", "-g"])
            .arg(format!(
                "daemon off; pid {}; error_log stderr;",
                pid.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            child,
            addr,
            _dir: dir,
        };
        nginx.wait_listening();
        Some(nginx)
    }

    /// Waits until nginx accepts connections (a hang guard, not a timing assertion).
    fn wait_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(self.addr).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited with {status} before listening");
            }
            assert!(
                started.elapsed() < common::WATCHDOG,
                "nginx did not listen on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
}

impl Drop for Nginx {
    /// SIGTERM (nginx's fast shutdown, which stops its workers too; SIGKILL would leave the
    /// worker behind), then SIGKILL if it has not exited within the watchdog.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) {
            if started.elapsed() > common::WATCHDOG {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.wait();
    }
}

/// nginx on PATH or in /usr/sbin; otherwise [`common::skip_or_fail`].
fn nginx_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"));
    for c in candidates {
        if c.is_file() {
            return Some(c);
        }
    }
    common::skip_or_fail("nginx is not installed (apt-get install nginx; .ci/run does)");
    None
}

/// A loopback address nothing listens on (bound, then released for nginx).
fn free_loopback_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A replica of the seed over MCP, its sessions tagged `tag`, against `upstream`.
fn replica(upstream: &str, tag: &str) -> Naftiko {
    common::serve::start_seed(
        upstream,
        &["--expose", "mcp=127.0.0.1:0", "--mcp-session-prefix", tag],
    )
}

fn mcp_addr(n: &Naftiko) -> SocketAddr {
    n.listeners
        .iter()
        .find(|(ns, _)| ns.contains("[mcp at /mcp]"))
        .map(|(_, a)| *a)
        .unwrap_or_else(|| panic!("no MCP listener\n{}", n.logs()))
}

fn token_calls(n: usize) -> Value {
    let call = json!({"op": "call_tool", "name": "getoauthtoken", "arguments":
        {"grant_type": "client_credentials", "client_id": "id-1", "client_secret": "s"}});
    Value::Array(vec![call; n])
}

/// How many `tools/call` requests each replica answered with 200, by protocol revision.
fn calls_served(replicas: &[Naftiko; 2], version: &str) -> [usize; 2] {
    replicas.each_ref().map(|n| {
        access_lines(&n.logs())
            .iter()
            .filter(|l| l.rpc_method == "tools/call" && l.protocol_version == version)
            .inspect(|l| assert_eq!(l.status, 200, "{l:?}"))
            .count()
    })
}

/// Every result of a run is a successful token call.
fn assert_all_tokens(run: &common::mcp::ClientRun, expected: usize) {
    let results = run.results();
    assert_eq!(results.len(), expected, "{run}");
    for r in &results {
        assert_eq!(r["isError"], false, "{r}\n{run}");
        assert_eq!(r["structuredContent"]["access_token"], "tok", "{r}");
    }
}

#[test]
fn two_replicas_behind_nginx_serve_2026_round_robin_and_2025_sessions_sticky() {
    if !common::mcp_tools_installed() {
        return;
    }
    let up = Upstream::start(|_| Reply::json(json!({"access_token": "tok", "expires_in": 60})));
    let replicas = TAGS.map(|tag| replica(&up.url(), tag));
    let Some(nginx) = Nginx::start(replicas.each_ref().map(mcp_addr)) else {
        return;
    };
    let url = nginx.url();

    // 2026-07-28: one client, 20 calls, spread by round-robin.
    let run = over_http(Kind::Sdk, &url, &token_calls(20));
    assert_eq!(run.doc()["protocolVersion"], "2026-07-28", "{run}");
    assert_eq!(run.doc()["era"], "discover", "{run}");
    assert_all_tokens(&run, 20);
    let served = calls_served(&replicas, "2026-07-28");
    println!("2026-07-28 tool calls per replica: {served:?}");
    assert_eq!(served.iter().sum::<usize>(), 20, "{served:?}");
    assert!(served.iter().all(|&c| c > 0), "both replicas: {served:?}");

    // 2025-11-25: four sessions of 5 calls; each initialize is round-robin, the rest follow
    // the session's tag.
    for _ in 0..4 {
        let run = over_http(Kind::Legacy, &url, &token_calls(5));
        assert_eq!(run.doc()["protocolVersion"], "2025-11-25", "{run}");
        assert_all_tokens(&run, 5);
    }
    let served = calls_served(&replicas, "2025-11-25");
    println!("2025-11-25 tool calls per replica: {served:?}");
    assert_eq!(served.iter().sum::<usize>(), 20, "{served:?}");
    assert!(served.iter().all(|&c| c > 0), "both replicas: {served:?}");
    // No request was refused (a session sent to the other replica would be 404), and the
    // four initializes were spread two and two.
    for (n, tag) in replicas.iter().zip(TAGS) {
        let logs = n.logs();
        for l in access_lines(&logs) {
            assert!(l.status < 400 || l.status == 405, "{l:?}\n{logs}");
        }
        let initializes = access_lines(&logs)
            .iter()
            .filter(|l| l.rpc_method == "initialize")
            .count();
        assert_eq!(initializes, 2, "round-robin initializes ({tag})\n{logs}");
    }
    assert_eq!(up.seen().len(), 40);
}
