//! Corpus smoke test of the build and serve stages: every capability file of
//! `../shared/corpus` that validates alone without errors is built with made-up environment
//! values ([`FakeEnv`]), its consumed namespaces pointed at a catch-all loopback upstream
//! (one per file) answering `200 {}`, its REST exposes blocks moved to `127.0.0.1:0`, served
//! in-process, and called once per exposed route with made-up values for what a caller would
//! send (path variables, declared exposed inputs, the `rest.x` arguments of `with`, required
//! consumed inputs nothing else fills). With an upstream that always answers 200, every 5xx is
//! naftiko's own: the test fails on any 5xx, on a 2xx from a `call` that did not make exactly
//! one upstream call, and on any build failure the engine does not document as unsupported.
//! 4xx are recorded, and so are routes whose `with`/consumed names spell an exposed path
//! variable differently (`roomId` vs `{roomid}`). Counts and every failure are printed
//! (`--nocapture`).

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use common::serve::{Reply, Upstream, client};
use naftiko_engine::{BuildOptions, FakeEnv, Route, Runtime, Segment};
use naftiko_server::ServeOptions;
use naftiko_spec::model::{
    Authentication, Capability, ConsumesHttp, DataType, ExposedOperation, ExposedResource, Exposes,
    InputParameter, ParamLocation,
};
use naftiko_validate::{Options, Scope, validate_paths};
use serde_json::{Map, Value, json};

fn corpus() -> PathBuf {
    common::root().join("../shared/corpus")
}

/// Build problems the engine documents as not supported by this build.
fn documented_unsupported(message: &str) -> bool {
    message.contains("does not convert yet")
}

/// A made-up value of a declared type.
fn made_up(ty: Option<DataType>) -> Value {
    match ty {
        Some(DataType::Integer) => json!(7),
        Some(DataType::Number) => json!(2.5),
        Some(DataType::Boolean) => json!(true),
        Some(DataType::Array) => json!(["a1", "b2"]),
        Some(DataType::Object) => json!({"k": "v"}),
        Some(DataType::String) | None => json!("made-up-1"),
    }
}

/// The same value as text (query, header, path).
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ty(p: &InputParameter) -> Option<DataType> {
    p.data_type.as_ref().map(|t| t.value)
}

fn location(p: &InputParameter) -> ParamLocation {
    p.location
        .as_ref()
        .map(|l| l.value)
        .unwrap_or(ParamLocation::Query)
}

fn name(p: &InputParameter) -> Option<&str> {
    p.name.as_ref().map(|n| n.value.as_str())
}

/// One made-up request for a route.
#[derive(Debug, Default)]
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

impl Request {
    fn describe(&self) -> String {
        let mut s = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push('?');
            s.push_str(&q.join("&"));
        }
        for (k, v) in &self.headers {
            s.push_str(&format!(" [{k}: {v}]"));
        }
        if let Some(b) = &self.body {
            s.push_str(&format!(" body {b}"));
        }
        s
    }
}

/// The exposed resource and operation a built route came from.
fn exposed_op<'a>(
    cap: &'a Capability,
    namespace: &str,
    route: &Route,
    op_name: Option<&str>,
) -> Option<(&'a ExposedResource, &'a ExposedOperation)> {
    let mut first = None;
    for e in &cap.exposes {
        let Exposes::Rest(rest) = e else { continue };
        if rest.namespace.as_ref().map(|n| n.value.as_str()) != Some(namespace) {
            continue;
        }
        for r in &rest.resources {
            if r.path.as_ref().map(|p| p.value.as_str()).unwrap_or("") != route.path {
                continue;
            }
            for o in &r.operations {
                let m = o.method.as_ref().map(|m| m.value.as_str()).unwrap_or("GET");
                if m != route.method.as_str() {
                    continue;
                }
                if op_name.is_some() && o.name.as_ref().map(|n| n.value.as_str()) == op_name {
                    return Some((r, o));
                }
                first.get_or_insert((r, o));
            }
        }
    }
    first
}

/// The consumed operation `ns.op`: its parameters at every level, and the variables of its
/// resource path (`{x}`, `{{x}}`), which need a value whether declared or not.
fn consumed_params<'a>(scope: &'a Scope, call: &str) -> (Vec<&'a InputParameter>, Vec<String>) {
    let Some((ns, op)) = call.split_once('.') else {
        return Default::default();
    };
    let Some(api) = scope.api(ns) else {
        return Default::default();
    };
    for r in &api.resources {
        for o in &r.operations {
            if o.name.as_ref().map(|n| n.value.as_str()) == Some(op) {
                let params = api
                    .input_parameters
                    .iter()
                    .chain(&r.input_parameters)
                    .chain(&o.input_parameters)
                    .collect();
                let path = r.path.as_ref().map(|p| p.value.as_str()).unwrap_or("");
                let vars = path
                    .split('{')
                    .skip(1)
                    .filter_map(|rest| rest.trim_start_matches('{').split('}').next())
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty() && !v.contains('.'))
                    .collect();
                return (params, vars);
            }
        }
    }
    Default::default()
}

/// Where a caller puts an argument of this name so that the engine finds it (SEMANTICS §5:
/// path variable, query parameter, body field, header), chosen from the consumed parameter
/// it feeds.
fn supply(
    req: &mut Request,
    fields: &mut Map<String, Value>,
    n: &str,
    loc: Option<ParamLocation>,
    v: Value,
) {
    let header_ok = reqwest::header::HeaderName::from_bytes(n.as_bytes()).is_ok();
    match loc {
        Some(ParamLocation::Header) if header_ok => req.headers.push((n.to_owned(), as_text(&v))),
        Some(ParamLocation::Body | ParamLocation::Form) if req.has_body() => {
            fields.insert(n.to_owned(), v);
        }
        _ => req.query.push((n.to_owned(), as_text(&v))),
    }
}

impl Request {
    fn has_body(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH")
    }
}

/// `roomId` vs `roomid`, `environment_name` vs `environment-name`.
fn loosely_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_lowercase()
    };
    a != b && norm(a) == norm(b)
}

/// Builds the made-up request for one route: path variables filled, declared exposed inputs
/// supplied where they live, `with` arguments (`rest.x`) supplied as a caller would, and
/// required consumed inputs that nothing else fills supplied as inbound arguments of the
/// same name (SEMANTICS §3, step 3). Returns the request and the `with` arguments whose name
/// differs from a path variable of the route only by case, `-` or `_`.
fn request_for(
    cap: &Capability,
    scope: &Scope,
    namespace: &str,
    route: &Route,
    op_name: Option<&str>,
) -> (Request, Vec<String>) {
    let found = exposed_op(cap, namespace, route, op_name);
    let exposed_inputs: Vec<&InputParameter> = found
        .map(|(r, o)| {
            r.input_parameters
                .iter()
                .chain(&o.input_parameters)
                .collect()
        })
        .unwrap_or_default();
    let mut req = Request {
        method: route.method.as_str().to_owned(),
        ..Request::default()
    };
    let mut path_vars = Vec::new();
    let mut path = String::new();
    for seg in &route.segments {
        path.push('/');
        match seg {
            Segment::Literal(l) => path.push_str(&encode(l)),
            Segment::Var {
                prefix,
                name: var,
                suffix,
            } => {
                let declared = exposed_inputs
                    .iter()
                    .find(|p| name(p) == Some(var.as_str()));
                let v = made_up(declared.and_then(|p| ty(p)));
                path.push_str(&encode(prefix));
                path.push_str(&encode(&as_text(&v)));
                path.push_str(&encode(suffix));
                path_vars.push(var.clone());
            }
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    req.path = path;
    let mut fields = Map::new();
    fields.insert("example".to_owned(), json!("value"));
    let mut supplied: Vec<String> = path_vars.clone();
    let mut mismatches = Vec::new();
    for p in &exposed_inputs {
        let Some(n) = name(p) else { continue };
        if supplied.iter().any(|s| s == n) {
            continue;
        }
        let v = made_up(ty(p));
        match location(p) {
            ParamLocation::Query => req.query.push((n.to_owned(), as_text(&v))),
            ParamLocation::Header => req.headers.push((n.to_owned(), as_text(&v))),
            ParamLocation::Cookie => req
                .headers
                .push(("cookie".to_owned(), format!("{n}={}", as_text(&v)))),
            ParamLocation::Body | ParamLocation::Form => {
                fields.insert(n.to_owned(), v);
            }
            ParamLocation::Path | ParamLocation::Environment => continue,
        }
        supplied.push(n.to_owned());
    }
    if let Some((_, o)) = found
        && let Some(call) = &o.invocation.call
    {
        let (consumed, consumed_vars) = consumed_params(scope, &call.value);
        let param = |n: &str| consumed.iter().copied().find(|p| name(p) == Some(n));
        // `with: {x: rest.y}`: the caller sends `y`.
        let qualifiers = ["rest", "tools", namespace];
        for (key, value) in o.invocation.with.iter() {
            let Value::String(text) = &value.value else {
                continue;
            };
            let Some((q, arg)) = text.split_once('.') else {
                continue;
            };
            if !qualifiers.contains(&q)
                || arg == "body"
                || arg.is_empty()
                || supplied.iter().any(|s| s == arg)
            {
                continue;
            }
            if let Some(var) = path_vars.iter().find(|v| loosely_equal(v, arg)) {
                mismatches.push(format!(
                    "with `{}: {text}` but the path variable is `{{{var}}}`",
                    key.value
                ));
                // The engine matches path variables loosely: nothing else to send.
                supplied.push(arg.to_owned());
                continue;
            }
            let p = param(&key.value);
            supply(
                &mut req,
                &mut fields,
                arg,
                p.map(location),
                made_up(p.and_then(ty)),
            );
            supplied.push(arg.to_owned());
        }
        let with_keys: Vec<&str> = o
            .invocation
            .with
            .iter()
            .map(|(k, _)| k.value.as_str())
            .collect();
        for p in &consumed {
            let Some(n) = name(p) else { continue };
            let required =
                p.required.as_ref().is_some_and(|r| r.value) || location(p) == ParamLocation::Path;
            if !required
                || p.value.is_some()
                || with_keys.contains(&n)
                || supplied.iter().any(|s| s == n)
            {
                continue;
            }
            if matches!(location(p), ParamLocation::Environment) || n == "body" {
                continue;
            }
            if let Some(var) = path_vars.iter().find(|v| loosely_equal(v, n)) {
                mismatches.push(format!(
                    "consumed `{n}` but the path variable is `{{{var}}}`"
                ));
                supplied.push(n.to_owned());
                continue;
            }
            supply(&mut req, &mut fields, n, Some(location(p)), made_up(ty(p)));
            supplied.push(n.to_owned());
        }
        for n in &consumed_vars {
            if with_keys.contains(&n.as_str())
                || supplied.iter().any(|s| s == n)
                || param(n).is_some_and(|p| p.value.is_some())
            {
                continue;
            }
            if let Some(var) = path_vars.iter().find(|v| loosely_equal(v, n)) {
                mismatches.push(format!(
                    "consumed path `{{{n}}}` but the exposed path variable is `{{{var}}}`"
                ));
                supplied.push(n.clone());
                continue;
            }
            req.query
                .push((n.clone(), as_text(&made_up(param(n).and_then(ty)))));
            supplied.push(n.clone());
        }
    }
    if req.has_body() {
        req.body = Some(Value::Object(fields));
    }
    (req, mismatches)
}

/// Consumed APIs whose credentials would be fetched from a token endpoint off loopback.
fn external_token_endpoint(scope: &Scope) -> Option<String> {
    scope.consumes.iter().find_map(
        |(ns, api): &(String, std::sync::Arc<ConsumesHttp>)| match &api.authentication {
            Some(Authentication::OAuth2(_)) => Some(ns.clone()),
            _ => None,
        },
    )
}

#[derive(Default)]
struct Tally {
    files: usize,
    validated: usize,
    no_rest: usize,
    built: usize,
    documented: Vec<String>,
    build_failures: Vec<String>,
    not_called: Vec<String>,
    routes: usize,
    classes: BTreeMap<u16, usize>,
    statuses: BTreeMap<u16, usize>,
    four_xx: Vec<String>,
    mismatches: Vec<String>,
    /// MCP tools called.
    tools: usize,
    /// Tool results refused because the made-up upstream answer has the wrong shape.
    shape_errors: Vec<String>,
    /// MCP tools that answered an error result (with a catch-all 200 upstream, every one is
    /// naftiko's own).
    tool_errors: Vec<String>,
    failures: Vec<String>,
}

fn truncate(s: &str) -> String {
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s.to_owned()
    }
}

#[test]
fn every_valid_corpus_file_builds_serves_and_answers_without_a_5xx_of_its_own() {
    let started = Instant::now();
    let dir = corpus();
    let mut files = Vec::new();
    common::yaml_files(&dir, &mut files);
    files.sort();
    if files.is_empty() {
        common::skip_or_fail(&format!("no corpus at {}", dir.display()));
        return;
    }
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let http = client();
    let mut t = Tally::default();

    for path in &files {
        t.files += 1;
        let shown = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let v = validate_paths(std::slice::from_ref(path), &Options::default());
        if !v.path_errors.is_empty() || v.has_errors() {
            continue;
        }
        t.validated += 1;
        let (Some(doc), Some(scope)) = (v.files[0].document.as_ref(), v.scopes.first()) else {
            t.build_failures.push(format!(
                "{shown}: validates without errors but has no model or scope"
            ));
            continue;
        };
        let rest_namespaces: Vec<Option<String>> = doc
            .capability
            .iter()
            .flat_map(|c| &c.exposes)
            .filter_map(|e| match e {
                Exposes::Rest(r) => Some(r.namespace.as_ref().map(|n| n.value.clone())),
                _ => None,
            })
            .collect();
        // Every other block with a namespace (MCP, skill) moves to loopback too; an MCP
        // block on stdio becomes HTTP, so nothing reads the test's own stdin.
        let other_namespaces: Vec<String> = doc
            .capability
            .iter()
            .flat_map(|c| &c.exposes)
            .filter(|e| !matches!(e, Exposes::Rest(_)))
            .filter_map(|e| e.namespace().map(|n| n.value.clone()))
            .collect();
        // One catch-all upstream per file, so its record is this file's alone.
        let up = Upstream::start(|_| Reply::json(json!({})));
        // A shared consumer file (no `capability`) is built for nothing: `--base-uri` may
        // only name namespaces a capability consumes.
        let base_uris = match doc.capability {
            Some(_) => scope
                .consumes
                .iter()
                .map(|(ns, _)| (ns.clone(), up.url()))
                .collect(),
            None => Vec::new(),
        };
        let options = BuildOptions {
            base_uris,
            listens: rest_namespaces
                .iter()
                .flatten()
                .chain(&other_namespaces)
                .map(|ns| (ns.clone(), "127.0.0.1".to_owned(), 0))
                .collect(),
            ..BuildOptions::new(Arc::new(FakeEnv))
        };
        let runtime = match Runtime::build(&v, &options) {
            Ok(r) => r,
            Err(e) => {
                let messages: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
                if rest_namespaces.is_empty()
                    && messages.iter().all(|m| m.contains("nothing to serve"))
                {
                    t.no_rest += 1;
                } else if messages.iter().all(|m| documented_unsupported(m)) {
                    t.documented
                        .push(format!("{shown}: {}", messages.join(" | ")));
                } else {
                    t.build_failures
                        .push(format!("{shown}: {}", messages.join(" | ")));
                }
                continue;
            }
        };
        t.built += 1;
        let cap = doc
            .capability
            .as_ref()
            .expect("a built runtime serves a capability");
        if let Some(ns) = external_token_endpoint(scope) {
            t.not_called.push(format!(
                "{shown}: `{ns}` uses oauth2 (token endpoint off loopback)"
            ));
            continue;
        }
        if rest_namespaces.iter().any(Option::is_none)
            || runtime
                .rest_services()
                .iter()
                .any(|s| s.address != "127.0.0.1")
        {
            t.not_called.push(format!(
                "{shown}: a REST block could not be moved to loopback"
            ));
            continue;
        }
        let runtime = Arc::new(runtime);
        let listeners = match tokio.block_on(naftiko_server::bind(
            runtime.clone(),
            &ServeOptions::default(),
            &Default::default(),
        )) {
            Ok(l) => l,
            Err(e) => {
                t.failures.push(format!("{shown}: bind: {e}"));
                continue;
            }
        };
        let addr_of: Vec<(String, std::net::SocketAddr)> = listeners
            .listeners
            .iter()
            .flat_map(|l| {
                l.namespaces
                    .iter()
                    .map(move |ns| (ns.clone(), l.local_addr))
            })
            .collect();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio.spawn(listeners.serve(async {
            let _ = stop_rx.await;
        }));

        for service in runtime.rest_services() {
            let addr = addr_of
                .iter()
                .find(|(ns, _)| *ns == service.namespace)
                .map(|(_, a)| *a)
                .unwrap();
            for route in &service.routes {
                let info = runtime.operation(route.op);
                let (req, mismatches) = request_for(
                    cap,
                    scope,
                    &service.namespace,
                    route,
                    info.map(|i| i.name.as_str()),
                );
                if !mismatches.is_empty() {
                    t.mismatches.push(format!(
                        "{shown}: {} {}: {}",
                        route.method,
                        route.path,
                        mismatches.join("; ")
                    ));
                }
                let calls = info.is_some_and(|i| i.call.is_some());
                let before = up.seen().len();
                let mut url = format!("http://{addr}{}", req.path);
                if !req.query.is_empty() {
                    let q: Vec<String> = req
                        .query
                        .iter()
                        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                        .collect();
                    url.push('?');
                    url.push_str(&q.join("&"));
                }
                let mut b = http.request(
                    reqwest::Method::from_bytes(req.method.as_bytes()).unwrap(),
                    url,
                );
                for (k, v) in &req.headers {
                    b = b.header(k, v);
                }
                if let Some(body) = &req.body {
                    b = b.json(body);
                }
                t.routes += 1;
                let label = format!(
                    "{shown}: {} {} ({})",
                    route.method,
                    route.path,
                    req.describe()
                );
                match b.send() {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let content_type = r
                            .headers()
                            .get("content-type")
                            .map(|v| v.to_str().unwrap_or("?").to_owned());
                        let body = r.text().unwrap_or_default();
                        common::log_answer(&format!("{label} → {status} {content_type:?} {body}"));
                        *t.classes.entry(status / 100).or_default() += 1;
                        *t.statuses.entry(status).or_default() += 1;
                        let upstream_calls = up.seen().len() - before;
                        if status == 502 && body.contains("urn:naftiko:problem:output-mapping") {
                            // As for MCP tools below: the catch-all upstream's `{}` does not
                            // have the declared shape (an array output, say).
                            t.shape_errors
                                .push(format!("{label} → {}", truncate(&body)));
                        } else if status >= 500 {
                            t.failures
                                .push(format!("{label} → {status} {}", truncate(&body)));
                        } else if calls && status < 300 && upstream_calls != 1 {
                            t.failures.push(format!(
                                "{label} → {status} after {upstream_calls} upstream calls (a `call` makes exactly one): {}",
                                truncate(&body)
                            ));
                        } else if status >= 400 {
                            t.four_xx
                                .push(format!("{label} → {status} {}", truncate(&body)));
                        }
                    }
                    Err(e) => t.failures.push(format!("{label} → no answer: {e}")),
                }
            }
        }
        // Every MCP tool, called once with made-up arguments for its input schema.
        for service in runtime.mcp_services() {
            for tool in &service.tools {
                let args = made_up_arguments(&tool.input_schema);
                let before = up.seen().len();
                let trace = naftiko_engine::trace::Trace::default();
                let result = tokio.block_on(runtime.call_tool(tool, args, &trace));
                t.tools += 1;
                let label = format!("{shown}: MCP tool {}.{}", service.namespace, tool.name);
                if result.is_error && result.text.starts_with("output `") {
                    // The catch-all upstream's `{}` does not have the declared shape (an array
                    // output, say): a mapping error about the upstream, not naftiko's own.
                    t.shape_errors
                        .push(format!("{label} → {}", truncate(&result.text)));
                } else if result.is_error {
                    t.tool_errors
                        .push(format!("{label} → {}", truncate(&result.text)));
                } else if up.seen().len() > before
                    && result.structured.is_none()
                    && result.text.is_empty()
                {
                    t.failures.push(format!("{label} → an empty result"));
                }
            }
        }
        let _ = stop_tx.send(());
        let drained = tokio.block_on(server).unwrap();
        assert!(
            drained,
            "{shown}: in-flight requests did not finish after shutdown"
        );
    }

    println!("corpus run: {} files seen", t.files);
    println!("corpus run: {} validate without errors", t.validated);
    println!(
        "corpus run: {} expose no REST (nothing to serve)",
        t.no_rest
    );
    println!("corpus run: {} built", t.built);
    println!(
        "corpus run: {} documented unsupported at build:",
        t.documented.len()
    );
    for d in &t.documented {
        println!("  UNSUPPORTED {d}");
    }
    println!("corpus run: {} built but not called:", t.not_called.len());
    for d in &t.not_called {
        println!("  NOT CALLED {d}");
    }
    println!(
        "corpus run: {} unexpected build failures:",
        t.build_failures.len()
    );
    for d in &t.build_failures {
        println!("  BUILD FAILURE {d}");
    }
    println!("corpus run: {} routes exercised", t.routes);
    let class = |c: u16| t.classes.get(&c).copied().unwrap_or(0);
    println!(
        "corpus run: 2xx {}, 3xx {}, 4xx {}, 5xx {}",
        class(2),
        class(3),
        class(4),
        class(5)
    );
    println!("corpus run: by status {:?}", t.statuses);
    println!("corpus run: {} 4xx answers:", t.four_xx.len());
    for d in &t.four_xx {
        println!("  4XX {d}");
    }
    println!(
        "corpus run: {} routes whose `with` or consumed input names a path variable by another spelling (left to the engine's loose path-variable match):",
        t.mismatches.len()
    );
    for d in &t.mismatches {
        println!("  NAME MISMATCH {d}");
    }
    println!("corpus run: {} MCP tools called", t.tools);
    println!(
        "corpus run: {} MCP tool results refused because the catch-all `{{}}` answer lacks the declared shape:",
        t.shape_errors.len()
    );
    for d in &t.shape_errors {
        println!("  SHAPE {d}");
    }
    println!("corpus run: {} MCP tool errors:", t.tool_errors.len());
    for d in &t.tool_errors {
        println!("  TOOL ERROR {d}");
    }
    println!("corpus run: {} failures:", t.failures.len());
    for d in &t.failures {
        println!("  FAILURE {d}");
    }
    println!("corpus run: {:.1} s", started.elapsed().as_secs_f64());

    assert!(
        t.validated > 0 && t.built > 0 && t.routes > 0,
        "the smoke test exercised nothing"
    );
    assert!(
        t.build_failures.is_empty() && t.failures.is_empty() && t.tool_errors.is_empty(),
        "{} unexpected build failures and {} failed requests (see the output above)",
        t.build_failures.len(),
        t.failures.len()
    );
}

/// Made-up arguments for every property of an input schema, by type.
fn made_up_arguments(schema: &Value) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    if let Some(Value::Object(props)) = schema.get("properties") {
        for (name, p) in props {
            let v = match p.get("type").and_then(Value::as_str) {
                Some("integer") => json!(7),
                Some("number") => json!(7.5),
                Some("boolean") => json!(true),
                Some("array") => json!(["made-up"]),
                Some("object") => json!({"example": "value"}),
                _ => json!(format!("made-up-{name}")),
            };
            out.insert(name.clone(), v);
        }
    }
    out
}
