//! Mustache templates: every template parses (only `{{name}}` variables are supported) and
//! every variable resolves statically to a bind, an input, a path variable or a step.
//! Bound variables no template uses are reported too.

use std::collections::HashSet;

use naftiko_expr::Template;
use naftiko_spec::Loc;
use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{
    Authentication, Consumes, ConsumesHttp, Document, Exposes, ImportSection, Invocation,
    OutputItems, OutputParameter, RequestBody, Spec, Text,
};

use super::units::{Unit, path_variables, units};
use crate::scope::Scope;

/// What names a template may use where it is written.
struct Names<'a> {
    binds: &'a [(String, String)],
    locals: HashSet<String>,
    steps: HashSet<String>,
    qualifiers: &'a HashSet<String>,
    /// The unit declares its inputs (so qualified names must be among them).
    declares_inputs: bool,
    /// Imports that could not be resolved: what they would have declared is unknown.
    scope: &'a Scope,
}

/// What every template of a document is checked against, and what it found.
struct Context<'a> {
    /// `(namespace, key)` of every bound variable.
    binds: &'a [(String, String)],
    /// Names that qualify an inbound argument (`rest.x`, `<namespace>.x`).
    qualifiers: &'a HashSet<String>,
    /// The binds some template uses.
    used: HashSet<(String, String)>,
    /// The document's scope (for its unresolved imports).
    scope: &'a Scope,
}

impl<'a> Context<'a> {
    /// The names a template may use where only `locals` and `steps` are in scope.
    fn names(
        &self,
        locals: HashSet<String>,
        steps: HashSet<String>,
        declares_inputs: bool,
    ) -> Names<'a> {
        Names {
            binds: self.binds,
            locals,
            steps,
            qualifiers: self.qualifiers,
            declares_inputs,
            scope: self.scope,
        }
    }

    /// Checks one template.
    fn text(&mut self, t: &Text, names: &Names<'_>, diags: &mut Vec<Diagnostic>) {
        check_text(t, names, &mut self.used, diags);
    }
}

/// Runs the template rules on one document.
pub fn check(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    let binds = bind_keys(doc);
    let qualifiers = qualifiers(doc);
    let mut cx = Context {
        binds: &binds,
        qualifiers: &qualifiers,
        used: HashSet::new(),
        scope,
    };
    let all_units = units(doc);
    for api in consumed_apis(doc) {
        check_consumed(&mut cx, api, &all_units, diags);
    }
    for u in &all_units {
        check_unit(&mut cx, u, diags);
    }
    for e in doc.capability.iter().flat_map(|c| c.exposes.iter()) {
        check_exposes(&mut cx, e, diags);
    }
    cx.used.extend(super::tunnel::identity_bind_uses(doc));
    report_unused(doc, &cx.used, diags);
}

/// `(namespace, key)` of every bound variable, in document order.
fn bind_keys(doc: &Document) -> Vec<(String, String)> {
    doc.all_binds()
        .flat_map(|b| {
            let ns = b
                .namespace
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default();
            b.keys
                .iter()
                .map(move |(k, _)| (ns.clone(), k.value.clone()))
        })
        .collect()
}

/// The names that qualify an inbound argument: the adapter kinds, and the namespaces of
/// the exposes blocks and aggregates.
fn qualifiers(doc: &Document) -> HashSet<String> {
    let mut qualifiers: HashSet<String> = ["rest", "tools", "mcp", "skill"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    qualifiers.extend(
        doc.capability
            .iter()
            .flat_map(|c| c.exposes.iter())
            .filter_map(|e| e.namespace().map(|n| n.value.clone())),
    );
    qualifiers.extend(
        doc.capability
            .iter()
            .flat_map(|c| c.aggregates.iter())
            .filter_map(|a| a.namespace.as_ref().map(|n| n.value.clone())),
    );
    qualifiers
}

/// The HTTP APIs a document consumes, at its root and in its capability.
fn consumed_apis(doc: &Document) -> impl Iterator<Item = &ConsumesHttp> {
    doc.all_consumes().filter_map(|c| match c {
        Consumes::Http(h) => Some(h.as_ref()),
        Consumes::Import(_) => None,
    })
}

/// Consumed APIs: their templates may use their own inputs, path variables, and whatever
/// callers pass.
fn check_consumed(
    cx: &mut Context<'_>,
    api: &ConsumesHttp,
    all_units: &[Unit<'_>],
    diags: &mut Vec<Diagnostic>,
) {
    let names = cx.names(consumed_locals(api, all_units), HashSet::new(), false);
    for t in consumed_templates(api) {
        cx.text(t, &names, diags);
    }
    for op in api.resources.iter().flat_map(|r| r.operations.iter()) {
        match &op.body {
            Some(RequestBody::Raw(t)) => cx.text(t, &names, diags),
            Some(RequestBody::Typed(b)) => {
                if let Some(data) = &b.data {
                    check_json(&data.value, &data.loc, &names, &mut cx.used, diags);
                }
            }
            None => {}
        }
    }
}

/// The local names of a consumed API: its inputs and path variables, and what the units
/// that call it pass (`with` keys, their inputs and path variables).
fn consumed_locals(api: &ConsumesHttp, all_units: &[Unit<'_>]) -> HashSet<String> {
    let ns = api
        .namespace
        .as_ref()
        .map(|n| n.value.as_str())
        .unwrap_or_default();
    let mut locals: HashSet<String> = HashSet::new();
    for r in &api.resources {
        for p in api
            .input_parameters
            .iter()
            .chain(&r.input_parameters)
            .chain(r.operations.iter().flat_map(|o| o.input_parameters.iter()))
        {
            if let Some(n) = &p.name {
                locals.insert(n.value.clone());
            }
        }
        if let Some(p) = &r.path {
            locals.extend(path_variables(&p.value));
        }
    }
    for u in all_units.iter().filter(|u| calls_namespace(u, ns)) {
        locals.extend(u.invocation.with.iter().map(|(k, _)| k.value.clone()));
        locals.extend(
            u.invocation
                .steps
                .iter()
                .flat_map(|s| s.with.iter().map(|(k, _)| k.value.clone())),
        );
        locals.extend(
            u.inputs
                .iter()
                .chain(u.resource_inputs)
                .filter_map(|p| p.name.as_ref().map(|n| n.value.clone())),
        );
        if let Some(p) = u.path {
            locals.extend(path_variables(&p.value));
        }
    }
    locals
}

/// True when the unit, or one of its steps, calls an operation of namespace `ns`.
fn calls_namespace(u: &Unit<'_>, ns: &str) -> bool {
    let mut calls = u
        .invocation
        .call
        .iter()
        .chain(u.invocation.steps.iter().filter_map(|s| s.call.as_ref()));
    calls.any(|c| c.value.split_once('.').is_some_and(|(n, _)| n == ns))
}

/// An exposed unit: its templates may use its inputs, path variables and steps.
fn check_unit(cx: &mut Context<'_>, u: &Unit<'_>, diags: &mut Vec<Diagnostic>) {
    let mut locals: HashSet<String> = u
        .inputs
        .iter()
        .chain(u.resource_inputs)
        .filter_map(|p| p.name.as_ref().map(|n| n.value.clone()))
        .collect();
    if let Some(p) = u.path {
        locals.extend(path_variables(&p.value));
    }
    let steps: HashSet<String> = u
        .invocation
        .steps
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.value.clone()))
        .collect();
    let declares_inputs = !u.inputs.is_empty() || !u.resource_inputs.is_empty();
    let names = cx.names(locals, steps, declares_inputs);
    for t in invocation_templates(u.invocation).into_iter().chain(
        u.inputs
            .iter()
            .chain(u.resource_inputs)
            .filter_map(|p| p.value.as_ref()),
    ) {
        cx.text(t, &names, diags);
    }
    for (value, loc) in with_values(u.invocation) {
        check_json(value, loc, &names, &mut cx.used, diags);
    }
}

/// An exposes block's authentication, and the messages of its MCP prompts (which may use
/// the prompt's arguments).
fn check_exposes(cx: &mut Context<'_>, e: &Exposes, diags: &mut Vec<Diagnostic>) {
    let names = cx.names(HashSet::new(), HashSet::new(), true);
    let auth = match e {
        Exposes::Rest(r) => r.authentication.as_ref(),
        Exposes::Mcp(m) => m.authentication.as_ref(),
        Exposes::Skill(s) => s.authentication.as_ref(),
        Exposes::Control(c) => c.authentication.as_ref(),
    };
    for t in auth_templates(auth) {
        cx.text(t, &names, diags);
    }
    let Exposes::Mcp(m) = e else { return };
    for p in &m.prompts {
        let locals = p
            .arguments
            .iter()
            .filter_map(|a| a.name.as_ref().map(|n| n.value.clone()))
            .collect();
        let names = cx.names(locals, HashSet::new(), true);
        for msg in &p.template {
            if let Some(c) = &msg.content {
                cx.text(c, &names, diags);
            }
        }
    }
}

/// Warns about every bound variable no template uses.
fn report_unused(doc: &Document, used: &HashSet<(String, String)>, diags: &mut Vec<Diagnostic>) {
    // A beta5 shared file (no `capability`) is there to be imported: its importers use
    // its variables, and are checked with them.
    if doc.spec == Spec::Beta5 && doc.capability.is_none() {
        return;
    }
    // Only the binds written in this file: an imported bind's keys are declared in a
    // shared file, for every file that imports it, and each uses some of them.
    for b in doc.all_binds().filter(|b| b.loc.file == doc.loc.file) {
        let ns = b
            .namespace
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default();
        for (k, _) in b.keys.iter() {
            if !used.contains(&(ns.clone(), k.value.clone())) {
                diags.push(
                    Diagnostic::warning(
                        rule::BIND_UNUSED,
                        k.loc.clone(),
                        format!("`{}` is bound but no template uses it", k.value),
                    )
                    .with_hint(format!(
                        "reference it as `{{{{{}}}}}` or `{{{{{ns}.{}}}}}`, or remove it",
                        k.value, k.value
                    )),
                );
            }
        }
    }
}

fn auth_templates(auth: Option<&Authentication>) -> Vec<&Text> {
    match auth {
        Some(Authentication::Basic(a) | Authentication::Digest(a)) => {
            a.username.iter().chain(a.password.iter()).collect()
        }
        Some(Authentication::Bearer(b)) => b.token.iter().collect(),
        Some(Authentication::ApiKey(k)) => k
            .key
            .iter()
            .chain(k.value.iter())
            .chain(k.headers.iter().map(|(_, v)| v))
            .collect(),
        Some(Authentication::OAuth2(o)) => o
            .token_endpoint
            .iter()
            .chain(o.client_id.iter())
            .chain(o.client_secret.iter())
            .chain(o.audience.iter())
            .collect(),
        _ => Vec::new(),
    }
}

fn consumed_templates(api: &ConsumesHttp) -> Vec<&Text> {
    let mut out: Vec<&Text> = Vec::new();
    out.extend(api.base_uri.iter());
    out.extend(auth_templates(api.authentication.as_ref()));
    out.extend(api.input_parameters.iter().filter_map(|p| p.value.as_ref()));
    for r in &api.resources {
        out.extend(r.path.iter());
        out.extend(r.input_parameters.iter().filter_map(|p| p.value.as_ref()));
        for o in &r.operations {
            out.extend(o.input_parameters.iter().filter_map(|p| p.value.as_ref()));
        }
    }
    out
}

fn invocation_templates(inv: &Invocation) -> Vec<&Text> {
    let mut out: Vec<&Text> = Vec::new();
    fn outputs<'a>(o: &'a OutputParameter, out: &mut Vec<&'a Text>) {
        out.extend(o.value.iter().filter(|v| !v.value.starts_with('$')));
        if let Some(p) = &o.properties {
            p.iter().for_each(|(_, c)| outputs(c, out));
        }
        match &o.items {
            Some(OutputItems::One(i)) => outputs(i, out),
            Some(OutputItems::Many(items)) => items.iter().for_each(|i| outputs(i, out)),
            None => {}
        }
    }
    inv.output_parameters
        .iter()
        .for_each(|o| outputs(o, &mut out));
    for s in &inv.steps {
        out.extend(s.lookup_value.iter());
    }
    out
}

fn with_values(inv: &Invocation) -> impl Iterator<Item = (&serde_json::Value, &Loc)> {
    inv.with
        .iter()
        .chain(inv.steps.iter().flat_map(|s| s.with.iter()))
        .map(|(_, v)| (&v.value, &v.loc))
}

fn check_json(
    value: &serde_json::Value,
    loc: &Loc,
    names: &Names<'_>,
    used: &mut HashSet<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    match value {
        serde_json::Value::String(s) => check_str(s, loc, names, used, diags),
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|i| check_json(i, loc, names, used, diags)),
        serde_json::Value::Object(map) => map
            .values()
            .for_each(|v| check_json(v, loc, names, used, diags)),
        _ => {}
    }
}

fn check_text(
    t: &Text,
    names: &Names<'_>,
    used: &mut HashSet<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    check_str(&t.value, &t.loc, names, used, diags);
}

fn check_str(
    s: &str,
    loc: &Loc,
    names: &Names<'_>,
    used: &mut HashSet<(String, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    if !s.contains("{{") {
        return;
    }
    let template = match Template::parse(s) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                rule::TEMPLATE_SYNTAX,
                loc.clone(),
                format!("template `{s}`: {e}"),
            ));
            return;
        }
    };
    for var in template.variables() {
        match resolves(var.path(), names, used) {
            Resolution::Resolved => {}
            _ if names.maybe_imported(var.path()) => {}
            Resolution::EnvNotBound => diags.push(
                Diagnostic::deviation(
                    rule::ENV_NOT_BOUND,
                    loc.clone(),
                    format!(
                        "`{{{{{}}}}}` reads the environment variable `{}`, which no bind declares",
                        var.name(),
                        var.path().get(1).map_or("", String::as_str)
                    ),
                )
                .with_hint("declare it under `binds` (`keys: {NAME: NAME}`) so that `naftiko validate --strict` accepts it"),
            ),
            Resolution::Unresolved => diags.push(
                Diagnostic::error(rule::TEMPLATE_UNRESOLVED, loc.clone(), format!("template variable `{{{{{}}}}}` refers to no bind, input, path variable or step", var.name()))
                    .with_hint("declare it under `binds` (environment or file) or as an input parameter"),
            ),
        }
    }
}

impl Names<'_> {
    /// True when the variable `path` could name what an unresolved import would have
    /// declared (a bind's variable, a qualified argument of an exposes block or aggregate):
    /// the import is reported, the variable is not (one mistake, one diagnostic).
    fn maybe_imported(&self, path: &[String]) -> bool {
        let binds = self.scope.any_unresolved(ImportSection::Binds);
        match path {
            [_] => binds,
            [first, ..] => {
                (first == "env" && binds)
                    || [
                        ImportSection::Binds,
                        ImportSection::Exposes,
                        ImportSection::Aggregates,
                    ]
                    .into_iter()
                    .any(|s| self.scope.unresolved(s, first))
            }
            [] => false,
        }
    }
}

/// What a template variable names.
enum Resolution {
    /// A bind, an input, a path variable or a step.
    Resolved,
    /// `{{env.X}}` with no bind declaring `X`: the process environment, read at start.
    EnvNotBound,
    /// Nothing.
    Unresolved,
}

/// What a template variable's `path` names where `names` are in scope; the binds it names
/// are recorded in `used`.
fn resolves(
    path: &[String],
    names: &Names<'_>,
    used: &mut HashSet<(String, String)>,
) -> Resolution {
    let found = |yes: bool| {
        if yes {
            Resolution::Resolved
        } else {
            Resolution::Unresolved
        }
    };
    match path {
        [] => Resolution::Resolved,
        [name] => {
            let bound = mark_used(names, used, |(_, k)| k == name);
            found(bound || names.locals.contains(name) || names.steps.contains(name))
        }
        [first, second, ..] => {
            if mark_used(names, used, |(ns, k)| ns == first && k == second) {
                Resolution::Resolved
            } else if first == "env" {
                // The community `env.X` finds `X` in any bind, else the process environment.
                if mark_used(names, used, |(_, k)| k == second) {
                    Resolution::Resolved
                } else {
                    Resolution::EnvNotBound
                }
            } else if names.binds.iter().any(|(ns, _)| ns == first) {
                Resolution::Unresolved
            } else {
                // `rest.x`, `tools.x`, `<namespace>.x`: an inbound argument. Units that declare
                // no inputs accept any argument name.
                found(
                    names.steps.contains(first)
                        || (names.qualifiers.contains(first)
                            && (names.locals.contains(second) || !names.declares_inputs)),
                )
            }
        }
    }
}

/// Records in `used` every bind that `matches`; true when there is one.
fn mark_used(
    names: &Names<'_>,
    used: &mut HashSet<(String, String)>,
    matches: impl Fn(&(String, String)) -> bool,
) -> bool {
    let mut any = false;
    for b in names.binds.iter().filter(|b| matches(b)) {
        used.insert(b.clone());
        any = true;
    }
    any
}
