//! References between parts of a capability: `call` and step targets, `ref` to aggregate
//! functions, `forward` targets, lookup indexes, skill tool sources; `with` keys and the
//! path variables of called operations.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{
    ConsumedOperation, ConsumedResource, ConsumesHttp, Document, Exposes, ImportSection,
    Invocation, OrderedMap, Text, WithValue,
};

use super::units::{Unit, UnitKind, path_variables, units};
use crate::scope::Scope;

/// A resolved `call`: the API, the resource and the operation.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The consumed API.
    pub api: &'a ConsumesHttp,
    /// The resource holding the operation.
    pub resource: &'a ConsumedResource,
    /// The operation.
    pub operation: &'a ConsumedOperation,
}

impl Target<'_> {
    /// Names of every input the operation accepts: API, resource and operation inputs,
    /// and the resource path's variables.
    pub fn input_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .api
            .input_parameters
            .iter()
            .chain(&self.resource.input_parameters)
            .chain(&self.operation.input_parameters)
            .filter_map(|p| p.name.as_ref().map(|n| n.value.clone()))
            .collect();
        if let Some(p) = &self.resource.path {
            names.extend(path_variables(&p.value));
        }
        names
    }
}

/// Finds `namespace.operation` (the first operation of that name in any resource).
pub fn resolve_call<'a>(scope: &'a Scope, call: &str) -> Result<Target<'a>, String> {
    let Some((ns, op)) = call.split_once('.') else {
        return Err(format!("`{call}` is not `namespace.operation`"));
    };
    let Some(api) = scope.api(ns) else {
        let known: Vec<String> = scope
            .consumes
            .iter()
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        return Err(if known.is_empty() {
            format!("no consumed namespace `{ns}`: this capability consumes no API")
        } else {
            format!("no consumed namespace `{ns}`; known: {}", known.join(", "))
        });
    };
    for resource in &api.resources {
        if let Some(operation) = resource
            .operations
            .iter()
            .find(|o| o.name.as_ref().is_some_and(|n| n.value == op))
        {
            return Ok(Target {
                api,
                resource,
                operation,
            });
        }
    }
    let known: Vec<String> = api
        .resources
        .iter()
        .flat_map(|r| r.operations.iter())
        .filter_map(|o| o.name.as_ref().map(|n| n.value.clone()))
        .collect();
    let near = naftiko_spec::suggest::closest(op, known.iter().map(String::as_str));
    Err(match near {
        Some(n) => format!("`{ns}` has no operation `{op}`; did you mean `{ns}.{n}`?"),
        None => format!("`{ns}` has no operation `{op}`"),
    })
}

/// Runs the reference rules on one document.
pub fn check(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    let all = units(doc);
    for u in &all {
        check_unit(doc, scope, u, diags);
    }
    let Some(cap) = &doc.capability else { return };
    for e in &cap.exposes {
        match e {
            Exposes::Rest(r) => {
                for res in &r.resources {
                    if let Some(t) = res
                        .forward
                        .as_ref()
                        .and_then(|f| f.target_namespace.as_ref())
                        && scope.api(&t.value).is_none()
                        && !scope.unresolved(ImportSection::Consumes, &t.value)
                    {
                        diags.push(Diagnostic::error(
                            rule::UNRESOLVED_REFERENCE,
                            t.loc.clone(),
                            format!(
                                "`forward` targets `{}`, which is not a consumed namespace",
                                t.value
                            ),
                        ));
                    }
                }
            }
            Exposes::Skill(s) => {
                for tool in s.skills.iter().flat_map(|sk| sk.tools.iter()) {
                    let Some(from) = &tool.from else { continue };
                    let (Some(ns), Some(action)) = (&from.source_namespace, &from.action) else {
                        continue;
                    };
                    let source = cap
                        .exposes
                        .iter()
                        .find(|e| e.namespace().is_some_and(|n| n.value == ns.value));
                    match source {
                        None if scope.unresolved(ImportSection::Exposes, &ns.value) => {}
                        None => diags.push(Diagnostic::error(
                            rule::UNRESOLVED_REFERENCE,
                            ns.loc.clone(),
                            format!(
                                "`sourceNamespace` `{}` is not the namespace of an exposes block",
                                ns.value
                            ),
                        )),
                        Some(src) => {
                            let found = all.iter().any(|u| {
                                u.namespace.is_some_and(|n| n.value == ns.value)
                                    && u.name.is_some_and(|n| n.value == action.value)
                            });
                            if !found {
                                diags.push(Diagnostic::error(
                                    rule::UNRESOLVED_REFERENCE,
                                    action.loc.clone(),
                                    format!(
                                        "the {} adapter `{}` has no tool or operation `{}`",
                                        src.kind(),
                                        ns.value,
                                        action.value
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_unit(doc: &Document, scope: &Scope, u: &Unit<'_>, diags: &mut Vec<Diagnostic>) {
    let inv: &Invocation = u.invocation;
    if let Some(r) = &inv.reference {
        let found = r.value.split_once('.').is_some_and(|(agg, func)| {
            doc.capability
                .iter()
                .flat_map(|c| c.aggregates.iter())
                .filter(|a| a.namespace.as_ref().is_some_and(|n| n.value == agg))
                .flat_map(|a| a.functions.iter())
                .any(|f| f.name.as_ref().is_some_and(|n| n.value == func))
        });
        let from_unresolved = r
            .value
            .split_once('.')
            .is_some_and(|(agg, _)| scope.unresolved(ImportSection::Aggregates, agg));
        if !found && !from_unresolved {
            diags.push(
                Diagnostic::error(
                    rule::UNRESOLVED_REFERENCE,
                    r.loc.clone(),
                    format!("`ref` names `{}`, which is no aggregate function", r.value),
                )
                .with_hint("write `aggregate-namespace.function-name`"),
            );
        }
    }
    if let Some(call) = &inv.call {
        check_call(scope, call, &inv.with, Some(u), diags);
    }
    let mut earlier: Vec<&str> = Vec::new();
    for step in &inv.steps {
        if let Some(call) = &step.call {
            check_call(scope, call, &step.with, None, diags);
        }
        if let Some(index) = &step.index
            && !earlier.contains(&index.value.as_str())
        {
            diags.push(Diagnostic::error(
                rule::UNRESOLVED_REFERENCE,
                index.loc.clone(),
                format!("lookup `index` `{}` names no earlier step", index.value),
            ));
        }
        if let Some(n) = &step.name {
            earlier.push(&n.value);
        }
    }
}

/// True when `call` goes through a consumed API whose import could not be resolved
/// (already reported at the import).
fn call_into_unresolved(scope: &Scope, call: &str) -> bool {
    call.split_once('.')
        .is_some_and(|(ns, _)| scope.unresolved(ImportSection::Consumes, ns))
}

fn check_call(
    scope: &Scope,
    call: &Text,
    with: &OrderedMap<WithValue>,
    unit: Option<&Unit<'_>>,
    diags: &mut Vec<Diagnostic>,
) {
    let target = match resolve_call(scope, &call.value) {
        Ok(t) => t,
        Err(_) if call_into_unresolved(scope, &call.value) => return,
        Err(message) => {
            diags.push(Diagnostic::error(
                rule::UNRESOLVED_REFERENCE,
                call.loc.clone(),
                message,
            ));
            return;
        }
    };
    let inputs = target.input_names();
    for (key, _) in with.iter() {
        if key.value != "body" && !inputs.contains(&key.value) {
            let known = if inputs.is_empty() {
                "it declares no inputs".to_string()
            } else {
                format!(
                    "its inputs are {}",
                    inputs
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            diags.push(Diagnostic::warning(
                rule::WITH_UNKNOWN_PARAMETER,
                key.loc.clone(),
                format!(
                    "`with.{}` is not an input of `{}`; {known}",
                    key.value, call.value
                ),
            ));
        }
    }
    let Some(path) = &target.resource.path else {
        return;
    };
    let consumed_inputs: Vec<_> = target
        .api
        .input_parameters
        .iter()
        .chain(&target.resource.input_parameters)
        .chain(&target.operation.input_parameters)
        .collect();
    for var in path_variables(&path.value) {
        let from_with = with.get(&var).is_some();
        let from_value = consumed_inputs
            .iter()
            .any(|p| p.name.as_ref().is_some_and(|n| n.value == var) && p.value.is_some());
        let from_unit = unit.is_some_and(|u| {
            u.inputs
                .iter()
                .chain(u.resource_inputs)
                .any(|p| p.name.as_ref().is_some_and(|n| n.value == var))
                || (u.kind == UnitKind::RestOperation
                    && u.path
                        .is_some_and(|p| path_variables(&p.value).contains(&var)))
        });
        // Steps receive the unit's inputs through `with` only; a step call is checked by `with`.
        let in_steps = unit.is_none();
        if !(from_with || from_value || from_unit || in_steps) {
            diags.push(
                Diagnostic::warning(rule::PATH_VARIABLE_UNBOUND, call.loc.clone(), format!("path variable `{var}` of `{}` (`{}`) gets no value from `with`, an input or a path variable of this operation", call.value, path.value))
                    .with_hint(format!("add `with: {{{var}: …}}`; otherwise the value must arrive as a query parameter or body field named `{var}`, or the call answers 400")),
            );
        }
    }
}
