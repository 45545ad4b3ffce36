//! Helpers shared by the end-to-end tests: running the `naftiko` binary under a watchdog,
//! and scratch directories that clean up after themselves.

pub(crate) mod answer;
pub(crate) mod auth_server;
pub(crate) mod digest;
pub(crate) mod h2_upstream;
pub(crate) mod mcp;
pub(crate) mod prism;
pub(crate) mod serve;
pub(crate) mod tls;
pub(crate) mod tls_front;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one run of the binary may take before the watchdog kills it. Generous: it
/// exists to turn a hang into a failure, not to measure speed.
pub(crate) const WATCHDOG: Duration = Duration::from_secs(20);

/// The workspace root (where `capabilities/` and `tests/` live); the binary runs here so
/// that the paths it prints are relative, like `tests/fixtures/valid/x.yaml`.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit status.
    pub(crate) status: ExitStatus,
    /// Everything written to stdout.
    pub(crate) stdout: String,
    /// Everything written to stderr.
    pub(crate) stderr: String,
}

impl Run {
    /// The exit code (a run killed by a signal fails the test).
    pub(crate) fn code(&self) -> i32 {
        match self.status.code() {
            Some(c) => c,
            None => panic!("naftiko was killed by a signal\n{self}"),
        }
    }

    /// Lines of stdout that start a diagnostic (`FILE:LINE:COLUMN: severity[rule]: …`).
    pub(crate) fn diagnostic_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| is_diagnostic_line(l))
            .collect()
    }

    /// Fails when either stream mentions a panic.
    pub(crate) fn assert_no_panic(&self) {
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            assert!(
                !text.contains("panicked"),
                "naftiko panicked ({name})\n{self}"
            );
            assert!(
                !text.contains("RUST_BACKTRACE"),
                "naftiko panicked ({name})\n{self}"
            );
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// True for a human-format diagnostic header line.
pub(crate) fn is_diagnostic_line(line: &str) -> bool {
    let mut parts = line.splitn(4, ':');
    let (Some(_file), Some(l), Some(c), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let rest = rest.trim_start();
    !l.is_empty()
        && l.bytes().all(|b| b.is_ascii_digit())
        && !c.is_empty()
        && c.bytes().all(|b| b.is_ascii_digit())
        && (rest.starts_with("error[") || rest.starts_with("warning[") || rest.starts_with("info["))
}

/// Runs `naftiko ARGS` in the workspace root.
pub(crate) fn naftiko<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    naftiko_in(root(), args)
}

/// Runs `naftiko ARGS` in `dir`, killing it (and failing the test) if it outlives
/// [`WATCHDOG`]. stdout and stderr are drained on their own threads so a chatty child
/// cannot block on a full pipe.
pub(crate) fn naftiko_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_naftiko"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE");
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    run_command(&mut cmd, WATCHDOG, &format!("naftiko {}", shown.join(" ")))
}

/// Runs `cmd` to completion with stdin closed, killing it (and failing the test) if it
/// outlives `watchdog`. stdout and stderr are drained on their own threads so a chatty child
/// cannot block on a full pipe.
pub(crate) fn run_command(cmd: &mut Command, watchdog: Duration, what: &str) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout pipe")));
    let err = drain(Box::new(child.stderr.take().expect("stderr pipe")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break status;
        }
        if started.elapsed() > watchdog {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {watchdog:?} and was killed\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().expect("read stdout");
    let stderr = err.join().expect("read stderr");
    Run {
        status,
        stdout,
        stderr,
    }
}

/// True when the environment variable `CI` is set to a non-empty value: CI installs
/// everything the tests need (`.ci/run`), so there a test that cannot run fails.
pub(crate) fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The one way a test gives up for lack of something outside the repository (`../shared`,
/// the OAuth 2.0 server, the MCP tooling): under CI ([`under_ci`]) it fails the test;
/// elsewhere it prints `SKIPPED: reason`, and the caller returns.
pub(crate) fn skip_or_fail(reason: &str) {
    assert!(
        !under_ci(),
        "cannot skip under CI (env CI is set): {reason}"
    );
    println!("SKIPPED: {reason}");
}

/// True when `.ci/mcp-tools` is installed (Node 22 + the conformance suite, and the Python
/// SDK's venv); otherwise [`skip_or_fail`] and false.
pub(crate) fn mcp_tools_installed() -> bool {
    let dir = root().join(".ci/mcp-tools");
    // What install.sh leaves behind (a directory alone may be a half-done install).
    let missing: Vec<String> = ["node_modules/.bin/conformance", "venv/bin/python"]
        .iter()
        .map(|d| dir.join(d))
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return true;
    }
    skip_or_fail(&format!(
        "{} missing: run .ci/mcp-tools/install.sh (needs node, npm and python3)",
        missing.join(" and ")
    ));
    false
}

/// A scratch directory under the system temp dir, unique per process and call, removed
/// on drop.
pub(crate) struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates an empty directory whose name contains `tag`.
    pub(crate) fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "naftiko-e2e-{tag}-{}-{nanos}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("create a scratch directory");
        Scratch { path }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    pub(crate) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create a scratch subdirectory");
        }
        std::fs::write(&p, bytes).expect("write a scratch file");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Appends `line` to the file named by `NAFTIKO_ANSWER_LOG`, when it is set: the corpus
/// smoke and the direct-path comparison log every answer there, so that two builds' answers
/// can be compared byte for byte (`diff`) after a change meant to alter no behaviour.
pub(crate) fn log_answer(line: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("NAFTIKO_ANSWER_LOG") else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}

/// `FILE:LINE:COL: severity[rule]` of every diagnostic header in the output.
pub(crate) fn reported(run: &Run) -> BTreeSet<String> {
    run.diagnostic_lines()
        .iter()
        .filter_map(|l| l.split_once("]: ").map(|(head, _)| format!("{head}]")))
        .collect()
}

/// The `# expect: LINE:COL severity[rule]` lines of a fixture, as `FILE:LINE:COL: severity[rule]`.
pub(crate) fn expected(path: &str) -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let (at, what) = e
                .trim()
                .split_once(' ')
                .unwrap_or_else(|| panic!("{path}: malformed expectation `{e}`"));
            format!("{path}:{at}: {what}")
        })
        .collect()
}

/// Every `*.yaml`/`*.yml` file below `dir`, recursively, in sorted order, appended to `out`.
pub(crate) fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with_extension(dir, &["yaml", "yml"], out);
}

/// Every file below `dir` whose extension is one of `extensions`, recursively, in sorted
/// order, appended to `out`.
pub(crate) fn files_with_extension(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_with_extension(&p, extensions, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(p);
        }
    }
}

/// What `pipe` writes, collected by a thread until it closes (a child's stderr, shown when
/// it fails).
pub(crate) fn collect(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<String>> {
    let text: std::sync::Arc<std::sync::Mutex<String>> = Default::default();
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut t) = sink.lock() {
                t.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    text
}

/// A loopback port nothing listens on right now (bound, then released), and none this test
/// binary was given before: the kernel may hand a released port out again at once, which
/// gave two blocks of one file the same port.
pub(crate) fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// The JSON Schema at `path` compiled as a test oracle; `None` when it is missing
/// ([`skip_or_fail`]).
pub(crate) fn schema_validator(path: &Path) -> Option<jsonschema::Validator> {
    let Ok(text) = std::fs::read_to_string(path) else {
        skip_or_fail(&format!("schema not found at {}", path.display()));
        return None;
    };
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}
