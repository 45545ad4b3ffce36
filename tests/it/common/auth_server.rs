//! The loopback OAuth 2.0 authorization server for end-to-end tests: panva's
//! `oidc-provider` (`.ci/oauth2-server/server.mjs`, installed by
//! `.ci/oauth2-server/install.sh`), started with node. Tests that need their own client start
//! one each ([`AuthServer::start_or_skip`]); the others share one per test binary
//! ([`AuthServer::shared`]).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use super::serve::client;

/// `node .ci/oauth2-server/server.mjs` on 127.0.0.1, killed on drop.
pub(crate) struct AuthServer {
    child: Child,
    /// The issuer, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    client_id: String,
    client_secret: String,
    stderr: Arc<Mutex<String>>,
}

impl AuthServer {
    /// A server of its own with client `client_id` / `client_secret`, killed on drop; `None`
    /// when it cannot run here ([`super::skip_or_fail`]: `SKIPPED: …`, or a failure under CI,
    /// which installs it).
    pub(crate) fn start_or_skip(client_id: &str, client_secret: &str) -> Option<AuthServer> {
        match AuthServer::try_start(client_id, client_secret, false) {
            Ok(s) => Some(s),
            Err(reason) => {
                super::skip_or_fail(&format!("the OAuth 2.0 test server cannot run: {reason}"));
                None
            }
        }
    }

    /// The one server every test of this binary shares (client `naftiko-test`), started on
    /// first use; it exits when this process does (its stdin closes).
    pub(crate) fn shared() -> Option<&'static AuthServer> {
        static SHARED: OnceLock<Result<AuthServer, String>> = OnceLock::new();
        match SHARED
            .get_or_init(|| AuthServer::try_start("naftiko-test", "naftiko-test-secret", true))
        {
            Ok(s) => Some(s),
            Err(reason) => {
                super::skip_or_fail(&format!("the OAuth 2.0 test server cannot run: {reason}"));
                None
            }
        }
    }

    /// Starts the server with client `client_id` / `client_secret`, or says why it cannot.
    pub(crate) fn try_start(
        client_id: &str,
        client_secret: &str,
        exit_with_stdin: bool,
    ) -> Result<AuthServer, String> {
        let dir = super::root().join(".ci/oauth2-server");
        if !dir.join("node_modules/oidc-provider").is_dir() {
            return Err(format!(
                "{} is missing: run .ci/oauth2-server/install.sh (needs node and npm)",
                dir.join("node_modules").display()
            ));
        }
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .current_dir(&dir)
            .env("PORT", "0")
            .env("CLIENT_ID", client_id)
            .env("CLIENT_SECRET", client_secret)
            .env_remove("DEFAULT_RESOURCE")
            .env("EXIT_WITH_STDIN", if exit_with_stdin { "1" } else { "" })
            .stdin(if exit_with_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("cannot start `node` ({e}): install node to run the OAuth 2.0 server")
            })?;
        let stderr = super::collect(child.stderr.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let mut server = AuthServer {
            child,
            url: String::new(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            stderr,
        };
        // A watchdog against a hang, not a speed assertion.
        match rx.recv_timeout(super::WATCHDOG) {
            Ok(Some(Ok(line))) if line.starts_with("listening http://127.0.0.1:") => {
                server.url = line["listening ".len()..].trim().to_owned();
                Ok(server)
            }
            other => panic!(
                "the OAuth 2.0 server did not start: first stdout line {other:?}\n--- stderr ---\n{}",
                server.stderr.lock().unwrap()
            ),
        }
    }

    /// `http://127.0.0.1:PORT/oauth2/token`.
    pub(crate) fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.url)
    }

    /// The server's own verdict on `token` (RFC 7662 introspection).
    pub(crate) fn introspect(&self, token: &str) -> Value {
        let r = client()
            .post(format!("{}/oauth2/introspect", self.url))
            .form(&[
                ("token", token),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "introspection failed");
        r.json().unwrap()
    }

    /// Asserts that the server calls `token` an active access token of its client.
    pub(crate) fn assert_active(&self, token: &str) {
        let verdict = self.introspect(token);
        assert_eq!(verdict["active"], true, "{verdict}");
        assert_eq!(verdict["client_id"], self.client_id.as_str(), "{verdict}");
        assert_eq!(verdict["token_type"], "Bearer", "{verdict}");
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
