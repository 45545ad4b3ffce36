//! The reference ruleset (`naftiko-rules.yml`, 23 Spectral rules) ported to the typed
//! model, with the same rule ids and severities; on beta5 documents the same checks report
//! the ids of the beta5 ruleset (`ikanos-rules.yml`: `ikanos-*`). The two rules the reference turns off by
//! default (`naftiko-info-tags`, `naftiko-rest-operation-description`, and the
//! `naftiko-baseuri-not-example` recommendation) are not reported.

use naftiko_spec::Loc;
use naftiko_spec::diag::{Diagnostic, rule, rule_for};
use naftiko_spec::model::{
    AggregateFunction, Authentication, Capability, Consumes, Document, Exposes, ExposesMcp,
    ExposesRest, Method, OAuth2Auth, ScriptingDefaults, Spec, Step, Text,
};

use super::units::{Unit, UnitKind, units};

/// Runs the ruleset on one document.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let start = diags.len();
    run_all(doc, diags);
    if doc.spec != Spec::Alpha2 {
        // The beta5 ruleset is the alpha2 one under `ikanos-*` ids; the step-name rule has
        // no twin (beta5 step names are keys the schema's pattern checks).
        for d in &mut diags[start..] {
            d.rule = rule_for(d.rule, doc.spec);
        }
        let mut i = start;
        while i < diags.len() {
            if diags[i].rule.starts_with("naftiko-") {
                diags.remove(i);
            } else {
                i += 1;
            }
        }
        // The beta5 ruleset's own import rules.
        super::ikanos_imports::check(doc, diags);
    }
}

fn run_all(doc: &Document, diags: &mut Vec<Diagnostic>) {
    namespaces_unique(doc, diags);
    consumes_rules(doc, diags);
    exposes_rules(doc, diags);
    markdown_rules(doc, diags);
    aggregate_rules(doc, diags);
    control_rules(doc, diags);
    script_defaults(doc, diags);
}

fn namespaces_unique(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&Text> = Vec::new();
    let cap = doc.capability.as_ref();
    let consumes = doc
        .consumes
        .iter()
        .chain(cap.into_iter().flat_map(|c| c.consumes.iter()))
        .filter_map(Consumes::namespace);
    let exposes = cap
        .into_iter()
        .flat_map(|c| c.exposes.iter())
        .filter_map(Exposes::namespace);
    let binds = doc
        .binds
        .iter()
        .chain(cap.into_iter().flat_map(|c| c.binds.iter()))
        .filter_map(|b| b.namespace.as_ref());
    for ns in consumes.chain(exposes).chain(binds) {
        if let Some(first) = seen.iter().find(|s| s.value == ns.value) {
            diags.push(
                Diagnostic::error(
                    rule::NAFTIKO_NAMESPACES_UNIQUE,
                    ns.loc.clone(),
                    format!(
                        "namespace `{}` is already used at line {}",
                        ns.value, first.loc.span.start.line
                    ),
                )
                .with_hint("namespaces must be unique across consumes, exposes and binds"),
            );
        } else {
            seen.push(ns);
        }
    }
}

fn consumes_rules(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let cap = doc.capability.as_ref();
    for c in doc
        .consumes
        .iter()
        .chain(cap.into_iter().flat_map(|c| c.consumes.iter()))
    {
        let description = match c {
            Consumes::Http(h) => &h.description,
            Consumes::Import(i) => &i.description,
        };
        if description.is_none() {
            diags.push(
                Diagnostic::warning(
                    rule::NAFTIKO_CONSUMES_DESCRIPTION,
                    c.loc().clone(),
                    "this consumes entry has no `description`",
                )
                .with_hint("agents use it to decide which API to call"),
            );
        }
        let Consumes::Http(h) = c else { continue };
        if let Some(b) = &h.base_uri
            && b.value.ends_with('/')
        {
            diags.push(
                Diagnostic::warning(
                    rule::NAFTIKO_CONSUMES_BASEURI_NO_TRAILING_SLASH,
                    b.loc.clone(),
                    format!("`baseUri` `{}` ends with `/`", b.value),
                )
                .with_hint("resource paths start with `/`; remove the trailing one"),
            );
        }
        for r in &h.resources {
            if let Some(p) = &r.path
                && p.value.contains('?')
            {
                diags.push(
                    Diagnostic::warning(
                        rule::NAFTIKO_CONSUMED_RESOURCE_NO_QUERY_IN_PATH,
                        p.loc.clone(),
                        format!("consumed path `{}` contains `?`", p.value),
                    )
                    .with_hint("declare query parameters as `inputParameters` with `in: query`"),
                );
            }
        }
    }
}

/// The rules on exposes blocks: addresses, OAuth 2 settings, and those of each kind.
fn exposes_rules(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let Some(cap) = &doc.capability else { return };
    for e in &cap.exposes {
        if let (Exposes::Rest(_) | Exposes::Mcp(_) | Exposes::Skill(_), Some(a)) = (e, e.address())
            && a.value.to_ascii_lowercase().ends_with("example.com")
        {
            diags.push(Diagnostic::warning(
                rule::NAFTIKO_ADDRESS_NOT_EXAMPLE,
                a.loc.clone(),
                format!("`address` `{}` is an example address", a.value),
            ));
        }
        let auth = match e {
            Exposes::Rest(r) => r.authentication.as_ref(),
            Exposes::Mcp(m) => m.authentication.as_ref(),
            Exposes::Skill(s) => s.authentication.as_ref(),
            Exposes::Control(c) => c.authentication.as_ref(),
        };
        if let Some(Authentication::OAuth2(o)) = auth {
            oauth2_rules(o, diags);
        }
        match e {
            Exposes::Mcp(m) => mcp_rules(m, diags),
            Exposes::Rest(r) => rest_rules(r, diags),
            _ => {}
        }
    }
}

/// An exposes block's OAuth 2 settings: https servers, and some scopes.
fn oauth2_rules(o: &OAuth2Auth, diags: &mut Vec<Diagnostic>) {
    if let Some(u) = &o.authorization_server_uri
        && !u.value.starts_with("https://")
        && !is_loopback_http(&u.value)
    {
        diags.push(Diagnostic::error(
            rule::NAFTIKO_OAUTH2_HTTPS_AUTHSERVER,
            u.loc.clone(),
            format!("`authorizationServerUri` `{}` must use https", u.value),
        ));
    }
    if let Some(r) = &o.resource
        && !r.value.starts_with("https://")
    {
        diags.push(Diagnostic::warning(
            rule::NAFTIKO_OAUTH2_RESOURCE_HTTPS,
            r.loc.clone(),
            format!("`resource` `{}` should use https", r.value),
        ));
    }
    if o.scopes.is_empty() {
        diags.push(Diagnostic::warning(
            rule::NAFTIKO_OAUTH2_SCOPES_DEFINED,
            o.loc.clone(),
            "oauth2 authentication lists no `scopes`",
        ));
    }
}

/// `http://` on a loopback host (127.0.0.0/8, `localhost`, `[::1]`): traffic that never
/// leaves the machine, which OAuth 2.1 lets go without TLS (a deviation from the reference
/// ruleset, which wants https everywhere).
fn is_loopback_http(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An MCP block: no authentication on stdio; its tools' step names.
fn mcp_rules(m: &ExposesMcp, diags: &mut Vec<Diagnostic>) {
    if m.transport.as_ref().is_some_and(|t| t.as_str() == "stdio")
        && let Some(a) = &m.authentication
    {
        diags.push(
            Diagnostic::error(
                rule::NAFTIKO_MCP_AUTH_STDIO_CONFLICT,
                a.loc().clone(),
                "a stdio MCP server does not authenticate its client; naftiko cannot enforce this `authentication`",
            )
            .with_hint("remove it, or use the http transport"),
        );
    }
    for t in &m.tools {
        step_names(&t.invocation.steps, diags);
    }
}

/// A REST block: each resource's description and path, and its operations' step names.
fn rest_rules(r: &ExposesRest, diags: &mut Vec<Diagnostic>) {
    for res in &r.resources {
        if res.description.is_none() {
            diags.push(Diagnostic::warning(
                rule::NAFTIKO_REST_RESOURCE_DESCRIPTION,
                res.loc.clone(),
                "this REST resource has no `description`",
            ));
        }
        if let Some(p) = &res.path {
            if p.value.len() > 1 && p.value.ends_with('/') {
                diags.push(Diagnostic::warning(
                    rule::NAFTIKO_REST_RESOURCE_PATH_NO_TRAILING_SLASH,
                    p.loc.clone(),
                    format!("REST path `{}` ends with `/`", p.value),
                ));
            }
            if p.value.contains('?') {
                diags.push(
                    Diagnostic::warning(
                        rule::NAFTIKO_REST_RESOURCE_PATH_NO_QUERY,
                        p.loc.clone(),
                        format!("REST path `{}` contains `?`", p.value),
                    )
                    .with_hint("declare query parameters as `inputParameters` with `in: query`"),
                );
            }
        }
        for op in &res.operations {
            step_names(&op.invocation.steps, diags);
        }
    }
}

fn step_names(steps: &[naftiko_spec::model::Step], diags: &mut Vec<Diagnostic>) {
    for s in steps {
        if let Some(n) = &s.name
            && !n
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            diags.push(Diagnostic::warning(rule::NAFTIKO_STEPS_NAME_PATTERN, n.loc.clone(), format!("step name `{}` must match `^[A-Za-z0-9_-]+$` (it is used in templates like `{{{{{}.output}}}}`)", n.value, n.value)));
        }
    }
}

/// Every description-like field the markdown rules look at.
fn described(doc: &Document) -> Vec<&Text> {
    let mut out: Vec<&Text> = Vec::new();
    if let Some(i) = &doc.info {
        out.extend(i.label.iter().chain(i.description.iter()));
    }
    let cap = doc.capability.as_ref();
    for c in doc
        .consumes
        .iter()
        .chain(cap.into_iter().flat_map(|c| c.consumes.iter()))
    {
        match c {
            Consumes::Http(h) => {
                out.extend(h.description.iter());
                for r in &h.resources {
                    out.extend(r.description.iter());
                    out.extend(r.operations.iter().filter_map(|o| o.description.as_ref()));
                }
            }
            Consumes::Import(i) => out.extend(i.description.iter()),
        }
    }
    for e in cap.into_iter().flat_map(|c| c.exposes.iter()) {
        match e {
            Exposes::Rest(r) => {
                out.extend(r.description.iter());
                for res in &r.resources {
                    out.extend(res.description.iter());
                    out.extend(res.operations.iter().filter_map(|o| o.description.as_ref()));
                }
            }
            Exposes::Mcp(m) => {
                out.extend(m.description.iter());
                out.extend(m.tools.iter().filter_map(|t| t.description.as_ref()));
                out.extend(m.resources.iter().filter_map(|t| t.description.as_ref()));
                out.extend(m.prompts.iter().filter_map(|t| t.description.as_ref()));
            }
            Exposes::Skill(s) => {
                out.extend(s.description.iter());
                for sk in &s.skills {
                    out.extend(sk.description.iter());
                    out.extend(sk.tools.iter().filter_map(|t| t.description.as_ref()));
                }
            }
            Exposes::Control(_) => {}
        }
    }
    out
}

fn markdown_rules(doc: &Document, diags: &mut Vec<Diagnostic>) {
    for d in described(doc) {
        let lower = d.value.to_ascii_lowercase();
        if lower.contains("<script") {
            diags.push(
                Diagnostic::error(
                    rule::NAFTIKO_NO_SCRIPT_TAGS_IN_MARKDOWN,
                    d.loc.clone(),
                    "a description contains a `<script` tag",
                )
                .with_hint(
                    "descriptions are shown to people and agents as Markdown; remove the script",
                ),
            );
        }
        if lower.contains("eval(") {
            diags.push(Diagnostic::error(
                rule::NAFTIKO_NO_EVAL_IN_MARKDOWN,
                d.loc.clone(),
                "a description contains `eval(`",
            ));
        }
    }
}

/// The rules on aggregates: functions have a description, and the units that `ref` a
/// function agree with its semantics.
fn aggregate_rules(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let Some(cap) = &doc.capability else { return };
    for a in &cap.aggregates {
        for f in &a.functions {
            if f.description.is_none() {
                diags.push(Diagnostic::warning(
                    rule::NAFTIKO_AGGREGATE_FUNCTION_DESCRIPTION,
                    f.loc.clone(),
                    "this aggregate function has no `description`",
                ));
            }
        }
    }
    // Semantics consistency of `ref`'d functions.
    for u in units(doc) {
        let Some(r) = &u.invocation.reference else {
            continue;
        };
        let Some(sem) = referenced_function(cap, &r.value).and_then(|f| f.semantics.as_ref())
        else {
            continue;
        };
        let safe = sem.safe.as_ref().map(|b| b.value);
        let idempotent = sem.idempotent.as_ref().map(|b| b.value);
        match u.kind {
            UnitKind::McpTool => tool_semantics(cap, &u, safe, idempotent, diags),
            UnitKind::RestOperation => rest_semantics(&u, safe, idempotent, diags),
            _ => {}
        }
    }
}

/// The aggregate function a `ref` (`aggregate.function`) names, if there is one.
fn referenced_function<'a>(cap: &'a Capability, reference: &str) -> Option<&'a AggregateFunction> {
    let (agg, func) = reference.split_once('.')?;
    cap.aggregates
        .iter()
        .filter(|a| a.namespace.as_ref().is_some_and(|n| n.value == agg))
        .flat_map(|a| a.functions.iter())
        .find(|f| f.name.as_ref().is_some_and(|n| n.value == func))
}

/// Warns that a unit disagrees with the semantics of the function it `ref`s.
fn semantics_warning(diags: &mut Vec<Diagnostic>, loc: &Loc, msg: String) {
    diags.push(Diagnostic::warning(
        rule::NAFTIKO_AGGREGATE_SEMANTICS_CONSISTENCY,
        loc.clone(),
        msg,
    ))
}

/// An MCP tool's hints must agree with its function's `safe` and `idempotent`.
fn tool_semantics(
    cap: &Capability,
    u: &Unit<'_>,
    safe: Option<bool>,
    idempotent: Option<bool>,
    diags: &mut Vec<Diagnostic>,
) {
    let tool = cap
        .exposes
        .iter()
        .filter_map(|e| {
            if let Exposes::Mcp(m) = e {
                Some(m)
            } else {
                None
            }
        })
        .flat_map(|m| m.tools.iter())
        .find(|t| std::ptr::eq(&t.invocation, u.invocation));
    let Some(hints) = tool.and_then(|t| t.hints.as_ref()) else {
        return;
    };
    if let (Some(s), Some(ro)) = (safe, hints.read_only.as_ref())
        && s != ro.value
    {
        let msg = format!(
            "`readOnly: {}` disagrees with the function's `safe: {s}`",
            ro.value
        );
        semantics_warning(diags, &ro.loc, msg);
    }
    if safe == Some(true)
        && let Some(d) = &hints.destructive
        && d.value
    {
        let msg = "`destructive: true` on a tool whose function is `safe`".to_string();
        semantics_warning(diags, &d.loc, msg);
    }
    if let (Some(i), Some(hi)) = (idempotent, hints.idempotent.as_ref())
        && i != hi.value
    {
        let msg = format!(
            "`idempotent: {}` disagrees with the function's `idempotent: {i}`",
            hi.value
        );
        semantics_warning(diags, &hi.loc, msg);
    }
}

/// A REST operation's method must agree with its function's `safe` and `idempotent`.
fn rest_semantics(
    u: &Unit<'_>,
    safe: Option<bool>,
    idempotent: Option<bool>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(m) = u.method else { return };
    let get = m == Method::Get;
    if safe == Some(true) && !get {
        let msg = format!(
            "the function is `safe` but is exposed with {}; safe functions are exposed with GET",
            m.as_str()
        );
        semantics_warning(diags, u.loc, msg);
    }
    if safe == Some(false) && get {
        let msg = "the function is not `safe` but is exposed with GET".to_string();
        semantics_warning(diags, u.loc, msg);
    }
    if idempotent == Some(true) && m == Method::Post {
        let msg = "the function is `idempotent` but is exposed with POST".to_string();
        semantics_warning(diags, u.loc, msg);
    }
}

fn control_rules(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let Some(cap) = &doc.capability else { return };
    let controls: Vec<&Exposes> = cap
        .exposes
        .iter()
        .filter(|e| matches!(e, Exposes::Control(_)))
        .collect();
    for extra in controls.iter().skip(1) {
        diags.push(Diagnostic::error(
            rule::NAFTIKO_CONTROL_PORT_SINGLETON_AND_UNIQUE,
            extra.loc().clone(),
            "a capability has at most one control adapter",
        ));
    }
    for c in &controls {
        if let Some(port) = c.port()
            && let Some(other) = cap.exposes.iter().find(|e| {
                !matches!(e, Exposes::Control(_)) && e.port().is_some_and(|p| p.value == port.value)
            })
        {
            diags.push(Diagnostic::error(
                rule::NAFTIKO_CONTROL_PORT_SINGLETON_AND_UNIQUE,
                port.loc.clone(),
                format!(
                    "the control port {} is also used by the {} adapter `{}`",
                    port.value,
                    other.kind(),
                    other.namespace().map_or("", |n| n.as_str())
                ),
            ));
        }
        if let Some(a) = c.address()
            && a.value != "localhost"
            && a.value != "127.0.0.1"
        {
            diags.push(Diagnostic::warning(rule::NAFTIKO_CONTROL_ADDRESS_LOCALHOST_WARNING, a.loc.clone(), format!("the control adapter listens on `{}`; it should listen on localhost or 127.0.0.1", a.value)));
        }
    }
}

fn script_defaults(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let defaults = crate::scripts::settings(doc);
    for u in units(doc) {
        // The reference ruleset's paths leave resources out (`rules/scripts.rs` checks them).
        if u.kind == UnitKind::McpResource {
            continue;
        }
        for s in u
            .invocation
            .steps
            .iter()
            .filter(|s| crate::scripts::is_script(s))
        {
            missing_defaults(s, defaults, doc.spec, diags);
        }
    }
}

/// A script step with no `location` or `language` where `defaults` give none (the rule's
/// id for `spec`).
pub(super) fn missing_defaults(
    s: &Step,
    defaults: &ScriptingDefaults,
    spec: Spec,
    diags: &mut Vec<Diagnostic>,
) {
    let id = rule_for(rule::NAFTIKO_SCRIPT_DEFAULTS_REQUIRED, spec);
    if s.location.is_none() && defaults.location.is_none() {
        diags.push(Diagnostic::error(id, s.loc.clone(), "this script step has no `location` and the control adapter sets no `management.scripting.defaultLocation`"));
    }
    if s.language.is_none() && defaults.language.is_none() {
        diags.push(Diagnostic::error(id, s.loc.clone(), "this script step has no `language` and the control adapter sets no `management.scripting.defaultLanguage`"));
    }
}
