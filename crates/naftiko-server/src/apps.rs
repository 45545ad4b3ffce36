//! What each planned listener serves, built for one runtime (one generation): the REST
//! route table and handler state, the MCP, skill and control routers, each behind its
//! block's authentication, all behind the grace-period cut.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use naftiko_engine::Runtime;
use tokio::sync::{Semaphore, watch};

use crate::generation::Generations;
use crate::options::ServeOptions;
use crate::plan::{Plan, Plans, What};
use crate::rest::RestApp;
use crate::router::Router;
use crate::served::{Edge, Served};
use crate::tls::Tls;
use crate::{conn, control, guard, mcp, offered, rest, skill, traced};

/// What every generation's apps share.
pub(crate) struct Context<'a> {
    /// The runtime of the generation.
    pub(crate) runtime: &'a Arc<Runtime>,
    /// How to serve.
    pub(crate) options: &'a ServeOptions,
    /// One budget of concurrent requests for the whole process, whatever the adapter.
    pub(crate) limit: &'a Arc<Semaphore>,
    /// Turns true when the shutdown grace period ran out.
    pub(crate) expired: &'a watch::Receiver<bool>,
    /// True while every listener serves (`/health/ready`).
    pub(crate) ready: &'a Arc<AtomicBool>,
    /// When serving started.
    pub(crate) started: Instant,
    /// The generation served and the last reload.
    pub(crate) generations: &'a Arc<Generations>,
    /// Which listeners serve TLS.
    pub(crate) tls: &'a Tls,
    /// The live MCP sessions of each MCP namespace, kept across reloads.
    pub(crate) sessions: &'a std::sync::Mutex<Vec<(String, mcp::SessionIds)>>,
}

/// One listener's generation and its route lines for the log (`METHOD path → target`).
pub(crate) struct Built {
    /// What it serves.
    pub(crate) served: Served,
    /// Route lines.
    pub(crate) routes: Vec<String>,
}

/// What each of `plans` serves, listening at `addrs` (one per plan, in order).
pub(crate) fn build(plans: &Plans, addrs: &[SocketAddr], cx: &Context<'_>) -> Vec<Built> {
    // Where each namespace listens, for the skill catalogs to document real ports.
    let bound = Arc::new(skill::BoundAddresses(
        plans
            .listeners
            .iter()
            .zip(addrs)
            .flat_map(|(p, a)| p.namespaces.iter().map(|n| (n.clone(), *a)))
            .collect(),
    ));
    plans
        .listeners
        .iter()
        .zip(addrs)
        .map(|(plan, addr)| {
            let (app, edge, routes) = match &plan.what {
                What::Rest(members) => {
                    let (app, routes) = rest_app(members, cx);
                    (rest::router(app.clone()), Some(Edge::Rest(app)), routes)
                }
                What::Mcp(i) => mcp_app(*i, cx),
                What::Skill(i) => skill_app(*i, &bound, cx),
                What::Control => {
                    let app = control_app(plans, addrs, *addr, plan, cx);
                    (
                        app,
                        None,
                        offered::CONTROL_ENDPOINTS.map(str::to_owned).to_vec(),
                    )
                }
            };
            Built {
                served: Served {
                    app: conn::cut_at_expiry(app, cx.expired.clone()),
                    edge,
                    tls: cx.tls.of(&plan.namespaces),
                },
                routes,
            }
        })
        .collect()
}

/// The REST services `members` on one listener: their route table and handler state.
fn rest_app(members: &[usize], cx: &Context<'_>) -> (Arc<RestApp>, Vec<String>) {
    let runtime = cx.runtime;
    let services: Vec<_> = members
        .iter()
        .filter_map(|i| runtime.rest_services().get(*i))
        .collect();
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
    let app = Arc::new(RestApp {
        metadata,
        runtime: runtime.clone(),
        router,
        max_body_bytes: cx.options.max_body_bytes,
        body_timeout: cx.options.limits.body_read_timeout,
        limit: cx.limit.clone(),
        access: cx.options.access.clone(),
        spans: cx.options.spans.clone(),
    });
    (app, routes)
}

type App = (axum::Router, Option<Edge>, Vec<String>);

/// MCP service `i` over HTTP, behind its block's authentication.
fn mcp_app(i: usize, cx: &Context<'_>) -> App {
    let s = &cx.runtime.mcp_services()[i];
    let routes = s.tools.iter().map(|t| format!("tool {}", t.name)).collect();
    let live = {
        let mut all = cx
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match all.iter().find(|(ns, _)| *ns == s.namespace) {
            Some((_, live)) => live.clone(),
            None => {
                let live = mcp::SessionIds::default();
                all.push((s.namespace.clone(), live.clone()));
                live
            }
        }
    };
    let spans = cx.options.spans.clone();
    let secrets = cx.runtime.secrets().clone();
    let endpoint = mcp::Endpoint::new(
        cx.runtime.clone(),
        i,
        &cx.options.mcp,
        cx.limit.clone(),
        live,
        cx.options.access.clone(),
    );
    // The own HTTP/1 loop serves the endpoint's POSTs (checking the block's authentication
    // as the axum stack does), unless `--general-path` sends everything through rmcp.
    let edge = cx.options.mcp.direct_calls.then(|| {
        let guard = s.guard.clone();
        let options = &cx.options.mcp;
        let edge = mcp::McpEdge::new(endpoint.clone(), guard, options, spans.clone(), &secrets);
        Edge::Mcp(Arc::new(edge))
    });
    // A refused request still gets its access line.
    let on_refusal = mcp::refusal_line(cx.options.access.clone());
    let app = guard::protect_noting(endpoint.router(), s.guard.clone(), Some(on_refusal));
    let app = traced::layer(app, "mcp", spans, secrets);
    (app, edge, routes)
}

/// Skill catalog `i`, behind its block's authentication.
fn skill_app(i: usize, bound: &Arc<skill::BoundAddresses>, cx: &Context<'_>) -> App {
    let s = &cx.runtime.skill_services()[i];
    let routes = s
        .skills
        .iter()
        .map(|k| format!("skill {}", k.name))
        .collect();
    let app = skill::router(cx.runtime.clone(), i, bound.clone());
    let app = guard::protect(app, s.guard.clone());
    let spans = cx.options.spans.clone();
    let app = traced::layer(app, "skill", spans, cx.runtime.secrets().clone());
    (app, None, routes)
}

/// The control port; its `/status` lists every listener (and the stdio MCP service).
fn control_app(
    plans: &Plans,
    addrs: &[SocketAddr],
    own: SocketAddr,
    plan: &Plan,
    cx: &Context<'_>,
) -> axum::Router {
    let mut described: Vec<(String, Vec<String>, String)> = plans
        .listeners
        .iter()
        .zip(addrs)
        .filter(|(p, _)| p.what != What::Control)
        .map(|(p, a)| (p.kind.to_owned(), p.namespaces.clone(), a.to_string()))
        .collect();
    described.push((
        "control".to_owned(),
        plan.namespaces.clone(),
        own.to_string(),
    ));
    if let Some(s) = plans.stdio.and_then(|i| cx.runtime.mcp_services().get(i)) {
        described.push((
            "mcp".to_owned(),
            vec![s.namespace.clone()],
            "stdio".to_owned(),
        ));
    }
    let state = Arc::new(control::ControlState {
        runtime: cx.runtime.clone(),
        ready: cx.ready.clone(),
        started: cx.started,
        listeners: described,
        generations: cx.generations.clone(),
    });
    let guard = cx.runtime.control_service().and_then(|c| c.guard.clone());
    // Request ids on its answers; no spans (health probes would flood the traces).
    let app = guard::protect(control::router(state), guard);
    traced::layer(app, "control", None, cx.runtime.secrets().clone())
}
