//! Invocables: what an exposed operation, tool or aggregate function runs (its inputs,
//! `with`, target: a consumed call, steps, a function reference or a mock; its outputs),
//! compiled against the document's names and consumed operations.

use std::sync::Arc;

use naftiko_spec::Loc;
use naftiko_spec::model::Invocation;

use super::state::{DocBuild, problem};
use crate::error::BuildProblem;
use crate::invoke::{Input, InputStyle, Invocable, Step, Steps, Target, With, format_name};
use crate::outputs::Outputs;
use crate::scope::Tpl;

/// Why output parameters cannot read `op`'s answers (the engine's side of `validate`'s
/// `format-unsupported` and `output-schema` rules), if they cannot.
fn unreadable(op: &crate::request::ConsumedOp) -> Option<&'static str> {
    if !op.format.is_converted() {
        return Some(
            "which this build does not convert; remove the output parameters to pass the body through",
        );
    }
    if naftiko_validate::body_schema::needs_schema(op.format) && op.schema.is_none() {
        return Some(
            "which cannot be read without the consumed operation's `outputSchema` (the schema file); add one, or remove the output parameters to pass the body through",
        );
    }
    None
}

impl DocBuild<'_> {
    /// Builds the document's aggregate functions into `functions`.
    pub(super) fn build_functions(&mut self, problems: &mut Vec<BuildProblem>) {
        let Some(cap) = &self.doc.capability else {
            return;
        };
        for agg in &cap.aggregates {
            let ns = agg
                .namespace
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default();
            for f in &agg.functions {
                let Some(name) = &f.name else { continue };
                let mut built = self.build_invocable(
                    f.input_parameters.iter(),
                    InputStyle::Arguments,
                    &f.invocation,
                    &f.loc,
                    problems,
                );
                built.media_type = f
                    .output_media_type
                    .as_ref()
                    .map(|m| Arc::from(m.value.as_str()));
                self.functions
                    .insert(format!("{ns}.{}", name.value), Arc::new(built));
            }
        }
    }

    /// Compiles one invocable; its problems go to `problems`.
    pub(super) fn build_invocable<'p>(
        &self,
        inputs: impl Iterator<Item = &'p naftiko_spec::model::InputParameter>,
        style: InputStyle,
        inv: &Invocation,
        loc: &Loc,
        problems: &mut Vec<BuildProblem>,
    ) -> Invocable {
        let mut compiled_inputs = Vec::new();
        for p in inputs {
            match Input::compile(p, style) {
                Ok(Some(i)) => compiled_inputs.push(i),
                Ok(None) => {}
                Err(e) => problems.push(problem(&p.loc, e)),
            }
        }
        let with = With::compile(
            inv.with.iter().map(|(k, v)| (k.value.as_str(), v)),
            &self.names,
        )
        .unwrap_or_else(|e| {
            problems.push(problem(loc, e));
            With::default()
        });
        let outputs = Outputs::compile(&inv.output_parameters, &self.names).unwrap_or_else(|e| {
            problems.push(problem(loc, e));
            Outputs::default()
        });
        let target = if let Some(call) = &inv.call {
            match self.consumed.get(&call.value) {
                Some(op) => {
                    let effective = if outputs.is_empty() {
                        &op.outputs
                    } else {
                        &outputs
                    };
                    if effective.reads_document()
                        && let Some(why) = unreadable(op)
                    {
                        problems.push(problem(
                            &call.loc,
                            format!(
                                "`{}` answers `outputRawFormat: {}`, {why}",
                                call.value,
                                format_name(op.format)
                            ),
                        ));
                    }
                    Target::Call(op.clone())
                }
                None => {
                    if !self.is_unusable(&call.value) {
                        problems.push(problem(
                            &call.loc,
                            format!("`{}` is not a consumed operation", call.value),
                        ));
                    }
                    Target::Nothing(String::new())
                }
            }
        } else if let Some(r) = &inv.reference {
            match self.functions.get(&r.value) {
                Some(f) => Target::Function(f.clone()),
                None => {
                    problems.push(problem(
                        &r.loc,
                        format!("`{}` is not an aggregate function", r.value),
                    ));
                    Target::Nothing(String::new())
                }
            }
        } else if !inv.steps.is_empty() {
            Target::Steps(self.build_steps(inv, problems))
        } else if outputs.is_mock() {
            Target::Mock
        } else {
            Target::Nothing(
                "the operation has no `call`, `steps`, `ref` or static outputs".to_owned(),
            )
        };
        Invocable {
            inputs: compiled_inputs,
            with,
            target,
            outputs,
            binds: self.binds_values.clone(),
            exposure: None,
            media_type: None,
        }
    }

    /// True when `call` (`namespace.operation`) is in a consumed API that could not be built
    /// (its problem is reported already).
    fn is_unusable(&self, call: &str) -> bool {
        call.split_once('.')
            .is_some_and(|(ns, _)| self.unusable.contains(ns))
    }

    /// Compiles an orchestration's steps and mappings.
    fn build_steps(&self, inv: &Invocation, problems: &mut Vec<BuildProblem>) -> Steps {
        let mut steps = Vec::new();
        for s in &inv.steps {
            let name = s.name.as_ref().map(|n| n.value.clone()).unwrap_or_default();
            let kind = s.kind.as_ref().map(|k| k.value.as_str()).unwrap_or("call");
            let step = match kind {
                "call" => match s.call.as_ref().and_then(|c| self.consumed.get(&c.value)) {
                    Some(op) => match With::compile(
                        s.with.iter().map(|(k, v)| (k.value.as_str(), v)),
                        &self.names,
                    ) {
                        Ok(with) => Step::Call {
                            name,
                            op: op.clone(),
                            with,
                        },
                        Err(e) => {
                            problems.push(problem(&s.loc, e));
                            continue;
                        }
                    },
                    None => {
                        if !s.call.as_ref().is_some_and(|c| self.is_unusable(&c.value)) {
                            problems.push(problem(
                                &s.loc,
                                format!("step `{name}` calls no known consumed operation"),
                            ));
                        }
                        continue;
                    }
                },
                "lookup" => {
                    let value = s.lookup_value.as_ref().map(|v| {
                        // `$.step.path` is plain dot navigation: rewrite as a template.
                        let text = v.value.trim();
                        match text.strip_prefix("$.") {
                            Some(p) => format!("{{{{{p}}}}}"),
                            None => text.to_owned(),
                        }
                    });
                    match Tpl::compile(value.as_deref().unwrap_or(""), &self.names) {
                        Ok(value) => Step::Lookup {
                            name,
                            index: s
                                .index
                                .as_ref()
                                .map(|i| i.value.clone())
                                .unwrap_or_default(),
                            match_field: s
                                .match_field
                                .as_ref()
                                .map(|m| m.value.clone())
                                .unwrap_or_default(),
                            value,
                            fields: s
                                .output_parameters
                                .iter()
                                .map(|o| o.value.clone())
                                .collect(),
                        },
                        Err(e) => {
                            problems.push(problem(&s.loc, e));
                            continue;
                        }
                    }
                }
                "script" => match self.build_script_step(s, name) {
                    Ok(step) => step,
                    Err(mut p) => {
                        problems.append(&mut p);
                        continue;
                    }
                },
                other => Step::Unsupported {
                    name,
                    why: format!("`{other}` steps are not run by naftiko"),
                },
            };
            steps.push(step);
        }
        let mappings = inv
            .mappings
            .iter()
            .filter_map(|m| {
                let target = m.target_name.as_ref()?.value.clone();
                let value = m
                    .value
                    .as_ref()?
                    .value
                    .trim()
                    .strip_prefix("$.")?
                    .to_owned();
                Some((target, value.split('.').map(str::to_owned).collect()))
            })
            .collect();
        Steps { steps, mappings }
    }
}
