//! Serving, and reloading while serving.
//!
//! [`bind`] opens every listener a runtime needs (`plan.rs`) and builds what each serves
//! (`apps.rs`); [`Listeners::serve_reloading`] answers requests until the shutdown future
//! resolves, applying each [`Reload`] it receives on the way:
//!
//! 1. the next generation's listeners are planned and built;
//! 2. a listener asked for at the same address and port as a running one keeps its socket
//!    and its connections, and gets the new generation in its slot (`served.rs`): requests
//!    that arrive from then on take it, those in flight finish on the old one;
//! 3. a listener asked for anew is opened before anything changes (one that cannot be
//!    opened fails the reload and leaves everything as it was);
//! 4. a running listener no longer asked for stops accepting and drains.
//!
//! At shutdown every listener stops accepting, in-flight requests get the grace period to
//! finish, and those still running then are answered 503.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use naftiko_engine::Runtime;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::apps::{self, Context};
use crate::error::ServeError;
use crate::generation::Generations;
use crate::options::ServeOptions;
use crate::plan::{self, Plans};
use crate::served::{self, Slot};
use crate::tls::Tls;
use crate::{conn, mcp};

/// One open listener and what it serves.
#[derive(Debug)]
pub struct Listener {
    /// What it serves: `rest`, `mcp`, `skill` or `control`.
    pub kind: &'static str,
    /// The bound address (with the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// The exposes namespaces it serves.
    pub namespaces: Vec<String>,
    /// Route lines for the startup log: `METHOD path → target`.
    pub routes: Vec<String>,
    /// It serves TLS.
    pub tls: bool,
    key: crate::plan::Key,
    socket: TcpListener,
    slot: Arc<Slot>,
}

/// What every generation shares.
#[derive(Debug)]
struct Shared {
    options: ServeOptions,
    limit: Arc<Semaphore>,
    ready: Arc<AtomicBool>,
    started: Instant,
    generations: Arc<Generations>,
    expired_tx: watch::Sender<bool>,
    expired: watch::Receiver<bool>,
    /// The live MCP sessions, by MCP namespace (they outlive generations).
    sessions: std::sync::Mutex<Vec<(String, crate::mcp::SessionIds)>>,
}

impl Shared {
    fn context<'a>(&'a self, runtime: &'a Arc<Runtime>, tls: &'a Tls) -> Context<'a> {
        Context {
            runtime,
            options: &self.options,
            limit: &self.limit,
            expired: &self.expired,
            ready: &self.ready,
            started: self.started,
            generations: &self.generations,
            tls,
            sessions: &self.sessions,
        }
    }
}

/// Every listener of a runtime, open and not yet serving.
#[derive(Debug)]
pub struct Listeners {
    /// The listeners.
    pub listeners: Vec<Listener>,
    /// The MCP service served on stdio, if any (index into `Runtime::mcp_services`).
    pub stdio: Option<usize>,
    runtime: Arc<Runtime>,
    shared: Shared,
}

/// A request to serve the next generation.
#[derive(Debug)]
pub struct Reload {
    /// Its runtime (built from the previous one: `Runtime::build_next`).
    pub runtime: Arc<Runtime>,
    /// Which listeners serve TLS (the certificate files read again).
    pub tls: Tls,
    /// Where the outcome goes.
    pub done: oneshot::Sender<Result<Reloaded, ServeError>>,
}

/// A listener, as a reload reports it.
#[derive(Debug)]
pub struct ListenerInfo {
    /// What it serves: `rest`, `mcp`, `skill` or `control`.
    pub kind: &'static str,
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// The exposes namespaces it serves.
    pub namespaces: Vec<String>,
    /// Route lines.
    pub routes: Vec<String>,
    /// It serves TLS.
    pub tls: bool,
}

/// A reload that took effect.
#[derive(Debug)]
pub struct Reloaded {
    /// The generation now served.
    pub generation: u64,
    /// Every listener now.
    pub listeners: Vec<ListenerInfo>,
    /// The listeners opened by the reload.
    pub opened: Vec<SocketAddr>,
    /// The listeners the reload stopped (they drain).
    pub closed: Vec<SocketAddr>,
}

/// Opens `address:port` for `namespaces`.
async fn open(
    address: &str,
    port: u16,
    namespaces: &[String],
) -> Result<(TcpListener, SocketAddr), ServeError> {
    let host = if address.contains(':') && !address.starts_with('[') {
        format!("[{address}]")
    } else {
        address.to_owned()
    };
    let target = format!("{host}:{port}");
    let fail = |source| ServeError::Bind {
        address: target.clone(),
        namespaces: namespaces.join(", "),
        source,
    };
    let listener = TcpListener::bind(&target).await.map_err(fail)?;
    let local_addr = listener.local_addr().map_err(fail)?;
    Ok((listener, local_addr))
}

/// A plan asking twice for one address and port (a REST block and an MCP block on the
/// same port, say): the second cannot be opened.
fn duplicate(plans: &Plans) -> Option<ServeError> {
    plans.listeners.iter().enumerate().find_map(|(i, p)| {
        plans.listeners[..i]
            .iter()
            .any(|q| q.address == p.address && q.port == p.port && p.port != 0)
            .then(|| ServeError::Bind {
                address: format!("{}:{}", p.address, p.port),
                namespaces: p.namespaces.join(", "),
                source: std::io::ErrorKind::AddrInUse.into(),
            })
    })
}

/// Opens one listener per distinct `address:port` of the runtime's REST services, one per
/// MCP service over HTTP, one per skill catalog, and the control port; those `tls` names
/// serve TLS.
///
/// # Errors
/// [`ServeError::Bind`] for the first address that cannot be bound.
pub async fn bind(
    runtime: Arc<Runtime>,
    options: &ServeOptions,
    tls: &Tls,
) -> Result<Listeners, ServeError> {
    let plans = plan::plan(&runtime)?;
    if let Some(e) = duplicate(&plans) {
        return Err(e);
    }
    let mut sockets = Vec::new();
    for p in &plans.listeners {
        sockets.push(open(&p.address, p.port, &p.namespaces).await?);
    }
    let (expired_tx, expired) = watch::channel(false);
    let shared = Shared {
        options: options.clone(),
        limit: Arc::new(Semaphore::new(options.limits.max_concurrency.max(1))),
        ready: Arc::new(AtomicBool::new(false)),
        started: Instant::now(),
        generations: Arc::new(Generations::default()),
        expired_tx,
        expired,
        sessions: std::sync::Mutex::default(),
    };
    let addrs: Vec<SocketAddr> = sockets.iter().map(|(_, a)| *a).collect();
    let built = apps::build(&plans, &addrs, &shared.context(&runtime, tls));
    let listeners = plans
        .listeners
        .iter()
        .zip(sockets)
        .zip(built)
        .map(|((p, (socket, local_addr)), built)| Listener {
            kind: p.kind,
            local_addr,
            namespaces: p.namespaces.clone(),
            routes: built.routes,
            tls: built.served.tls.is_some(),
            key: p.key(),
            socket,
            slot: served::slot(built.served),
        })
        .collect();
    Ok(Listeners {
        listeners,
        stdio: plans.stdio,
        runtime,
        shared,
    })
}

/// A listener being served.
struct Running {
    key: crate::plan::Key,
    local_addr: SocketAddr,
    slot: Arc<Slot>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// How long the 503 answers of requests cut off by the grace period get to be written.
const FLUSH_AFTER_GRACE: Duration = Duration::from_secs(1);

impl Listeners {
    /// The runtime served.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The generation served and the last reload (shared with the control port).
    pub fn generations(&self) -> Arc<Generations> {
        self.shared.generations.clone()
    }

    /// [`Listeners::serve_reloading`] without reloads.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send) -> bool {
        let (_keep, reloads) = mpsc::channel(1);
        self.serve_reloading(shutdown, reloads).await
    }

    /// Serves until `shutdown` resolves (or, with an MCP service on stdio, until its client
    /// closes stdin), applying each [`Reload`] of `reloads`; then drains in-flight requests
    /// for at most the grace period. Returns `true` when every connection finished in time.
    pub async fn serve_reloading(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
        mut reloads: mpsc::Receiver<Reload>,
    ) -> bool {
        let shared = self.shared;
        let mut running: Vec<Running> = self
            .listeners
            .into_iter()
            .map(|l| start(&shared, l.key, l.local_addr, l.socket, l.slot))
            .collect();
        let mut draining: Vec<JoinHandle<()>> = Vec::new();
        let stdio_done = stdio(self.runtime.clone(), self.stdio);
        tokio::pin!(shutdown, stdio_done);
        // Every listener is bound (bind succeeded) and accepts from now on.
        shared.ready.store(true, Ordering::Release);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                () = &mut stdio_done => break,
                Some(reload) = reloads.recv() => {
                    let outcome = apply(&shared, &mut running, &mut draining, &reload).await;
                    let _ = reload.done.send(outcome);
                }
            }
        }
        shared.ready.store(false, Ordering::Release);
        tracing::info!(target: "naftiko::server", "shutting down: no new connections; finishing in-flight requests");
        for r in &running {
            let _ = r.stop.send(true);
        }
        let tasks = running.into_iter().map(|r| r.task).chain(draining);
        let mut all = futures_util::future::join_all(tasks);
        let grace = shared.options.shutdown_grace;
        if tokio::time::timeout(grace, &mut all).await.is_ok() {
            return true;
        }
        // Requests still in flight are answered 503 (and their connections closed); the
        // answers get a moment to be written before the process goes.
        let _ = shared.expired_tx.send(true);
        tracing::warn!(target: "naftiko::server", grace_ms = grace.as_millis() as u64, "in-flight requests did not finish within the grace period: answered 503");
        let _ = tokio::time::timeout(FLUSH_AFTER_GRACE, &mut all).await;
        false
    }
}

/// Starts serving `socket` with what `slot` holds.
fn start(
    shared: &Shared,
    key: crate::plan::Key,
    local_addr: SocketAddr,
    socket: TcpListener,
    slot: Arc<Slot>,
) -> Running {
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(conn::serve(
        socket,
        slot.clone(),
        shared.options.limits.clone(),
        shared.options.workers.clone(),
        stop_rx,
        shared.expired.clone(),
    ));
    Running {
        key,
        local_addr,
        slot,
        stop,
        task,
    }
}

/// Serves MCP service `i` on stdio; resolves when its client closes stdin (never without
/// one). It keeps the generation it started with: a reload does not reach it.
async fn stdio(runtime: Arc<Runtime>, service: Option<usize>) {
    match service {
        Some(i) => {
            if let Err(e) = mcp::serve_stdio(runtime, i).await {
                tracing::error!(target: "naftiko::mcp", error = %e, "stdio MCP service failed");
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Makes `runtime` the generation served (see the module's steps). On failure nothing
/// has changed.
async fn apply(
    shared: &Shared,
    running: &mut Vec<Running>,
    draining: &mut Vec<JoinHandle<()>>,
    reload: &Reload,
) -> Result<Reloaded, ServeError> {
    let runtime = &reload.runtime;
    let outcome = prepare(shared, running, runtime, &reload.tls).await;
    let (plans, addrs, mut opened, built) = match outcome {
        Ok(ready) => ready,
        Err(e) => {
            shared.generations.failed(e.to_string());
            runtime.metrics().reload(None);
            return Err(e);
        }
    };
    let generation = shared.generations.advanced();
    // The sessions of MCP blocks that are gone go with them.
    let mcp = runtime.mcp_services();
    shared
        .sessions
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .retain(|(ns, _)| mcp.iter().any(|s| s.namespace == *ns));
    runtime.metrics().reload(Some(generation));
    let mut next = Vec::new();
    let mut listeners = Vec::new();
    let mut new_addrs = Vec::new();
    for ((plan, addr), built) in plans.listeners.iter().zip(&addrs).zip(built) {
        let key = plan.key();
        listeners.push(ListenerInfo {
            kind: plan.kind,
            local_addr: *addr,
            namespaces: plan.namespaces.clone(),
            routes: built.routes,
            tls: built.served.tls.is_some(),
        });
        match running.iter().position(|r| r.key == key) {
            Some(at) => {
                let r = running.swap_remove(at);
                r.slot.store(Arc::new(built.served));
                next.push(r);
            }
            None => {
                let Some(at) = opened.iter().position(|(k, _)| *k == key) else {
                    continue;
                };
                let (_, socket) = opened.swap_remove(at);
                new_addrs.push(*addr);
                next.push(start(
                    shared,
                    key,
                    *addr,
                    socket,
                    served::slot(built.served),
                ));
            }
        }
    }
    let closed = running.iter().map(|r| r.local_addr).collect();
    for r in running.drain(..) {
        let _ = r.stop.send(true);
        draining.push(r.task);
    }
    *running = next;
    draining.retain(|t| !t.is_finished());
    Ok(Reloaded {
        generation,
        listeners,
        opened: new_addrs,
        closed,
    })
}

/// The next generation's plans, their addresses, the sockets opened for it and what each
/// listener serves; nothing running is touched.
async fn prepare(
    shared: &Shared,
    running: &[Running],
    runtime: &Arc<Runtime>,
    tls: &Tls,
) -> Result<
    (
        Plans,
        Vec<SocketAddr>,
        Vec<(crate::plan::Key, TcpListener)>,
        Vec<apps::Built>,
    ),
    ServeError,
> {
    let plans = plan::plan(runtime)?;
    if let Some(e) = duplicate(&plans) {
        return Err(e);
    }
    let mut addrs = Vec::new();
    let mut opened = Vec::new();
    for p in &plans.listeners {
        match running.iter().find(|r| r.key == p.key()) {
            Some(r) => addrs.push(r.local_addr),
            None => {
                let (socket, addr) = open(&p.address, p.port, &p.namespaces).await?;
                addrs.push(addr);
                opened.push((p.key(), socket));
            }
        }
    }
    let built = apps::build(&plans, &addrs, &shared.context(runtime, tls));
    Ok((plans, addrs, opened, built))
}
