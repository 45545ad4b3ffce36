//! Reloading while serving: on SIGHUP, and with `--watch` when the files change
//! (`watch.rs`). Each reload reads, validates and builds the files again (`load.rs`,
//! `Runtime::build_next`) beside the running set, on a blocking thread. A set with errors
//! is logged (its diagnostics on standard error) and the running one kept; a set that
//! builds goes to the server, which swaps it in (`naftiko_server::Listeners::serve_reloading`).
//! Reloads are one at a time: a signal that arrives during one is taken after it.

use std::path::PathBuf;
use std::sync::Arc;

use naftiko_engine::Runtime;
use naftiko_server::generation::Generations;
use naftiko_server::tls::Tls;
use naftiko_server::{Reload, Reloaded};
use naftiko_spec::Severity;
use naftiko_validate::Validation;
use tokio::sync::{mpsc, oneshot};

use crate::args::RunArgs;
use crate::load::{self, Loaded};
use crate::watch::Watcher;

/// The files `--watch` reads: the paths named on the command line, and every file the
/// validation loaded (imports may live elsewhere).
pub(crate) fn watched_files(validation: &Validation) -> Vec<PathBuf> {
    validation
        .files
        .iter()
        .map(|f| f.path.to_path_buf())
        .collect()
}

/// Reloads on each SIGHUP (and file change, with `--watch`) until the task is dropped.
/// `current` is the runtime served; `files` those the validation loaded.
pub(crate) async fn reloader(
    args: Arc<RunArgs>,
    mut current: Arc<Runtime>,
    generations: Arc<Generations>,
    reloads: mpsc::Sender<Reload>,
    files: Vec<PathBuf>,
) {
    let mut hangup = hangups();
    let watched = |files: Vec<PathBuf>| args.paths.iter().cloned().chain(files).collect();
    let mut watcher = match args.watch {
        true => Some(Watcher::new(watched(files), args.watch_interval).await),
        false => None,
    };
    loop {
        let why = tokio::select! {
            Some(()) = async { hangup.as_mut()?.recv().await } => "SIGHUP",
            () = async {
                match watcher.as_mut() {
                    Some(w) => w.changed().await,
                    None => std::future::pending().await,
                }
            } => "the files changed",
        };
        tracing::info!(target: "naftiko::reload", "reloading ({why})");
        if let Some((runtime, files)) = once(&args, &current, &generations, &reloads).await {
            current = runtime;
            if let Some(w) = watcher.as_mut() {
                w.rebase(watched(files)).await;
            }
        }
    }
}

/// SIGHUP, where there is such a signal.
fn hangups() -> Option<tokio::signal::unix::Signal> {
    let kind = tokio::signal::unix::SignalKind::hangup();
    match tokio::signal::unix::signal(kind) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(target: "naftiko::reload", error = %e, "cannot handle SIGHUP: reloads only with --watch");
            None
        }
    }
}

/// One reload: the runtime now served and the files it was loaded from, or `None` when
/// the reload failed (logged; the running set is kept).
async fn once(
    args: &Arc<RunArgs>,
    current: &Arc<Runtime>,
    generations: &Generations,
    reloads: &mpsc::Sender<Reload>,
) -> Option<(Arc<Runtime>, Vec<PathBuf>)> {
    let fail = |why: String| {
        generations.failed(why.clone());
        current.metrics().reload(None);
        let g = generations.current();
        tracing::error!(target: "naftiko::reload", "reload failed: {why}; still serving generation {g}");
    };
    let (runtime, files, tls) = match build(args.clone(), current.clone()).await {
        Ok(built) => built,
        Err(why) => {
            fail(why);
            return None;
        }
    };
    let (done, outcome) = oneshot::channel();
    let reload = Reload {
        runtime: runtime.clone(),
        tls,
        done,
    };
    if reloads.send(reload).await.is_err() {
        return None;
    }
    match outcome.await {
        Ok(Ok(reloaded)) => {
            log_reloaded(&reloaded);
            crate::announce::build_findings(&runtime);
            Some((runtime, files))
        }
        Ok(Err(e)) => {
            let g = generations.current();
            tracing::error!(target: "naftiko::reload", "reload failed: {e}; still serving generation {g}");
            None
        }
        Err(_) => None,
    }
}

/// Reads, validates and builds the files again (and reads the TLS certificates again),
/// after `current`, on a blocking thread.
async fn build(
    args: Arc<RunArgs>,
    current: Arc<Runtime>,
) -> Result<(Arc<Runtime>, Vec<PathBuf>, Tls), String> {
    let work = move || match load::load(&args) {
        Loaded::Usage(usage) => Err(usage.join("; ")),
        Loaded::Invalid(validation) => {
            load::report_errors(&validation);
            let n = validation.count(Severity::Error);
            Err(format!("the capabilities have {n} error(s) (listed above)"))
        }
        Loaded::Valid(validation, options, tls) => {
            match Runtime::build_next(&validation, &options, &current) {
                Ok(r) => Ok((Arc::new(r), watched_files(&validation), tls)),
                Err(e) => {
                    for p in &e.problems {
                        eprintln!("error: {p}");
                    }
                    let n = e.problems.len();
                    Err(format!(
                        "the capabilities cannot be built ({n} problem(s) listed above)"
                    ))
                }
            }
        }
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("the reload stopped unexpectedly: {e}"))?
}

/// Logs a reload that took effect: the generation, the listeners opened and closed.
fn log_reloaded(r: &Reloaded) {
    let g = r.generation;
    tracing::info!(target: "naftiko::reload", generation = g, "reloaded: serving generation {g}");
    for l in r
        .listeners
        .iter()
        .filter(|l| r.opened.contains(&l.local_addr))
    {
        crate::announce::listener(l);
    }
    for addr in &r.closed {
        tracing::info!(target: "naftiko::reload", "stopped listening on http://{addr} (draining)");
    }
}
