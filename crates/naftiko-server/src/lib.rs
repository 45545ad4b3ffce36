//! Protocol adapters over the naftiko engine: the *serve* stage of the data flow
//! (load → validate → build → **serve**).
//!
//! [`bind`] opens one listener per distinct address and port of the built runtime's REST
//! services (several capabilities on the same port share one server and one route table)
//! and one per MCP service over HTTP; [`Listeners::serve`] answers requests (and an MCP
//! service on stdio) until the shutdown future resolves, then stops accepting, lets
//! in-flight requests finish within a grace period, and returns.
//!
//! Adapters are thin: they turn requests into [`naftiko_engine::Inbound`] values, call
//! [`naftiko_engine::Runtime::invoke`], and map outcomes and errors to the protocol. They
//! know nothing of YAML.

pub mod access;
pub mod clock;
mod conn;
pub mod control;
mod forward;
mod guard;
pub mod h1;
mod limits;
pub mod mcp;
pub mod problem;
pub mod rest;
pub mod router;
pub mod scripting;
pub mod skill;
mod traced;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use naftiko_engine::{McpListen, Runtime};
use tokio::net::TcpListener;

pub use crate::limits::Limits;
use crate::mcp::McpHttpOptions;
use crate::rest::RestApp;
use crate::router::Router;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// How long in-flight requests may take to finish after shutdown begins.
    pub shutdown_grace: Duration,
    /// Host and Origin rules of MCP endpoints.
    pub mcp: McpHttpOptions,
    /// Connection and request limits.
    pub limits: Limits,
    /// Where REST access lines go (`tracing` events when `None`).
    pub access: Option<Arc<dyn access::AccessSink>>,
    /// Where spans go (`naftiko run --otlp-endpoint`); none are recorded when `None`.
    pub spans: Option<Arc<dyn naftiko_engine::trace::SpanSink>>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_body_bytes: 1024 * 1024,
            shutdown_grace: Duration::from_secs(10),
            mcp: McpHttpOptions::default(),
            limits: Limits::default(),
            access: None,
            spans: None,
        }
    }
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A listener could not be opened.
    #[error("cannot listen on {address} ({namespaces}): {source}")]
    Bind {
        /// The address.
        address: String,
        /// The exposes namespaces that wanted it.
        namespaces: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// More than one MCP service wants stdio.
    #[error("only one MCP service can use stdio ({0})")]
    TwoStdio(String),
}

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
    listener: TcpListener,
    app: axum::Router,
    /// For REST listeners: the handler state, served by [`h1`] (with `app` as hyper's
    /// fall-back).
    rest: Option<Arc<RestApp>>,
}

/// Every listener of a runtime, open and not yet serving.
#[derive(Debug)]
pub struct Listeners {
    /// The listeners.
    pub listeners: Vec<Listener>,
    /// The MCP service served on stdio, if any (index into `Runtime::mcp_services`).
    pub stdio: Option<usize>,
    runtime: Arc<Runtime>,
    grace: Duration,
    ready: Arc<std::sync::atomic::AtomicBool>,
    limits: Limits,
}

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

/// Opens one listener per distinct `address:port` of the runtime's REST services, one per
/// MCP service over HTTP, one per skill catalog, and the control port.
///
/// # Errors
/// [`ServeError::Bind`] for the first address that cannot be bound.
pub async fn bind(runtime: Arc<Runtime>, options: &ServeOptions) -> Result<Listeners, ServeError> {
    // One budget of concurrent requests for the whole process, whatever the adapter.
    let limit = Arc::new(tokio::sync::Semaphore::new(
        options.limits.max_concurrency.max(1),
    ));
    let mut listeners = rest_listeners(&runtime, options, &limit).await?;
    let stdio = mcp_listeners(&runtime, options, &limit, &mut listeners).await?;
    // Where each namespace was bound, for the skill catalogs to document real ports.
    let bound = Arc::new(skill::BoundAddresses(
        listeners
            .iter()
            .flat_map(|l| l.namespaces.iter().map(|n| (n.clone(), l.local_addr)))
            .collect(),
    ));
    skill_listeners(&runtime, options, &bound, &mut listeners).await?;
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(c) = runtime.control_service() {
        let control = control_listener(&runtime, c, &listeners, stdio, &ready).await?;
        listeners.push(control);
    }
    Ok(Listeners {
        listeners,
        stdio,
        runtime,
        grace: options.shutdown_grace,
        ready,
        limits: options.limits.clone(),
    })
}

/// The REST listeners: services sharing an `address:port` share one listener.
async fn rest_listeners(
    runtime: &Arc<Runtime>,
    options: &ServeOptions,
    limit: &Arc<tokio::sync::Semaphore>,
) -> Result<Vec<Listener>, ServeError> {
    let mut groups: Vec<(String, u16, Vec<usize>)> = Vec::new();
    for (i, s) in runtime.rest_services().iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(a, p, _)| *a == s.address && *p == s.port)
        {
            Some(g) => g.2.push(i),
            None => groups.push((s.address.clone(), s.port, vec![i])),
        }
    }
    let mut listeners = Vec::new();
    for (address, port, members) in groups {
        let services: Vec<_> = members
            .iter()
            .map(|i| &runtime.rest_services()[*i])
            .collect();
        let namespaces: Vec<String> = services.iter().map(|s| s.namespace.clone()).collect();
        let (listener, local_addr) = open(&address, port, &namespaces).await?;
        let mut router = Router::default();
        let mut routes = Vec::new();
        for s in &services {
            for r in &s.routes {
                let served = router.add(r);
                let target = runtime
                    .operation(r.op)
                    .map(|o| o.call.clone().unwrap_or_else(|| o.name.clone()))
                    .unwrap_or_default();
                let note = if served {
                    ""
                } else {
                    " (not served over REST: an earlier operation takes this method and path)"
                };
                routes.push(format!("{} {} → {target}{note}", r.method, r.path));
            }
            for f in &s.forwards {
                let note = if router.add_forward(f) {
                    ""
                } else {
                    " (not served: an earlier forward takes this path)"
                };
                routes.push(format!("* {} → forward {}{note}", f.path, f.target));
            }
        }
        let metadata = services
            .iter()
            .flat_map(|s| {
                let forwards = s.forwards.iter().map(|f| &f.guard);
                s.routes.iter().map(|r| &r.guard).chain(forwards)
            })
            .filter_map(|guard| guard.as_ref()?.resource_server())
            .map(|rs| rs.protected_resource().clone())
            .fold(
                Vec::<naftiko_engine::guard::oauth2::ProtectedResource>::new(),
                |mut all, m| {
                    if !all.iter().any(|x| x.url == m.url) {
                        all.push(m);
                    }
                    all
                },
            );
        let rest_app = Arc::new(RestApp {
            metadata,
            runtime: runtime.clone(),
            router,
            max_body_bytes: options.max_body_bytes,
            body_timeout: options.limits.body_read_timeout,
            limit: limit.clone(),
            access: options.access.clone(),
            spans: options.spans.clone(),
        });
        listeners.push(Listener {
            kind: "rest",
            local_addr,
            namespaces,
            routes,
            listener,
            app: rest::router(rest_app.clone()),
            rest: Some(rest_app),
        });
    }
    Ok(listeners)
}

/// The MCP listeners over HTTP; the index of the MCP service served on stdio, if any.
async fn mcp_listeners(
    runtime: &Arc<Runtime>,
    options: &ServeOptions,
    limit: &Arc<tokio::sync::Semaphore>,
    listeners: &mut Vec<Listener>,
) -> Result<Option<usize>, ServeError> {
    let mut stdio = None;
    for (i, s) in runtime.mcp_services().iter().enumerate() {
        match &s.listen {
            McpListen::Stdio => {
                if stdio.replace(i).is_some() {
                    return Err(ServeError::TwoStdio(s.namespace.clone()));
                }
            }
            McpListen::Http(address, port) => {
                let namespaces = vec![s.namespace.clone()];
                let (listener, local_addr) = open(address, *port, &namespaces).await?;
                let routes = s.tools.iter().map(|t| format!("tool {}", t.name)).collect();
                listeners.push(Listener {
                    kind: "mcp",
                    local_addr,
                    namespaces,
                    routes,
                    listener,
                    app: traced::layer(
                        guard::protect(
                            mcp::router(runtime.clone(), i, &options.mcp, limit.clone()),
                            s.guard.clone(),
                        ),
                        "mcp",
                        options.spans.clone(),
                        runtime.secrets().clone(),
                    ),
                    rest: None,
                });
            }
        }
    }
    Ok(stdio)
}

/// One listener per skill catalog.
async fn skill_listeners(
    runtime: &Arc<Runtime>,
    options: &ServeOptions,
    bound: &Arc<skill::BoundAddresses>,
    listeners: &mut Vec<Listener>,
) -> Result<(), ServeError> {
    for (i, s) in runtime.skill_services().iter().enumerate() {
        let namespaces = vec![s.namespace.clone()];
        let (listener, local_addr) = open(&s.address, s.port, &namespaces).await?;
        let routes = s
            .skills
            .iter()
            .map(|k| format!("skill {}", k.name))
            .collect();
        listeners.push(Listener {
            kind: "skill",
            local_addr,
            namespaces,
            routes,
            listener,
            app: traced::layer(
                guard::protect(
                    skill::router(runtime.clone(), i, bound.clone()),
                    s.guard.clone(),
                ),
                "skill",
                options.spans.clone(),
                runtime.secrets().clone(),
            ),
            rest: None,
        });
    }
    Ok(())
}

/// The control port's listener; its `/status` lists `listeners` (and the stdio MCP service).
async fn control_listener(
    runtime: &Arc<Runtime>,
    c: &naftiko_engine::ControlService,
    listeners: &[Listener],
    stdio: Option<usize>,
    ready: &Arc<std::sync::atomic::AtomicBool>,
) -> Result<Listener, ServeError> {
    let namespaces = vec!["control".to_owned()];
    let (listener, local_addr) = open(&c.address, c.port, &namespaces).await?;
    let mut described: Vec<(String, Vec<String>, String)> = listeners
        .iter()
        .map(|l| {
            (
                l.kind.to_owned(),
                l.namespaces.clone(),
                l.local_addr.to_string(),
            )
        })
        .collect();
    described.push((
        "control".to_owned(),
        namespaces.clone(),
        local_addr.to_string(),
    ));
    if let Some(i) = stdio
        && let Some(s) = runtime.mcp_services().get(i)
    {
        described.push((
            "mcp".to_owned(),
            vec![s.namespace.clone()],
            "stdio".to_owned(),
        ));
    }
    let state = Arc::new(control::ControlState {
        runtime: runtime.clone(),
        ready: ready.clone(),
        started: std::time::Instant::now(),
        listeners: described,
    });
    Ok(Listener {
        kind: "control",
        local_addr,
        namespaces,
        routes: [
            "GET /health/live",
            "GET /health/ready",
            "GET /status",
            "GET /metrics",
        ]
        .map(str::to_owned)
        .to_vec(),
        listener,
        // Request ids on its answers; no spans (health probes would flood the traces).
        app: traced::layer(
            guard::protect(control::router(state), c.guard.clone()),
            "control",
            None,
            runtime.secrets().clone(),
        ),
        rest: None,
    })
}

/// How long the 503 answers of requests cut off by the grace period get to be written.
const FLUSH_AFTER_GRACE: Duration = Duration::from_secs(1);

impl Listeners {
    /// The runtime served.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Serves until `shutdown` resolves (or, with an MCP service on stdio, until its client
    /// closes stdin), then drains in-flight requests for at most the grace period. Returns
    /// `true` when every connection finished in time.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send) -> bool {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let (expired_tx, expired_rx) = tokio::sync::watch::channel(false);
        let listeners_empty = self.listeners.is_empty();
        let ready = self.ready.clone();
        let limits = self.limits.clone();
        let servers = self.listeners.into_iter().map(|l| {
            let rx = stop_rx.clone();
            conn::serve(
                l.listener,
                l.app,
                l.rest,
                limits.clone(),
                rx,
                expired_rx.clone(),
            )
        });
        let idle = listeners_empty.then(|| {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        });
        let all = async move {
            futures_util::future::join_all(servers).await;
            if let Some(wait) = idle {
                wait.await;
            }
        };
        tokio::pin!(all);
        let runtime = self.runtime.clone();
        let stdio = self.stdio;
        let stdio_done = async move {
            match stdio {
                Some(i) => {
                    if let Err(e) = mcp::serve_stdio(runtime, i).await {
                        tracing::error!(target: "naftiko::mcp", error = %e, "stdio MCP service failed");
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        let grace = self.grace;
        // Every listener is bound (bind succeeded) and starts accepting below.
        ready.store(true, std::sync::atomic::Ordering::Release);
        tokio::select! {
            _ = &mut all => return true,
            () = async {
                tokio::select! {
                    () = shutdown => {},
                    () = stdio_done => {},
                }
            } => {}
        }
        ready.store(false, std::sync::atomic::Ordering::Release);
        tracing::info!(target: "naftiko::server", "shutting down: no new connections; finishing in-flight requests");
        let _ = stop_tx.send(true);
        if tokio::time::timeout(grace, &mut all).await.is_ok() {
            return true;
        }
        // Requests still in flight are answered 503 (and their connections closed); the
        // answers get a moment to be written before the process goes.
        let _ = expired_tx.send(true);
        tracing::warn!(target: "naftiko::server", grace_ms = grace.as_millis() as u64, "in-flight requests did not finish within the grace period: answered 503");
        let _ = tokio::time::timeout(FLUSH_AFTER_GRACE, &mut all).await;
        false
    }
}
