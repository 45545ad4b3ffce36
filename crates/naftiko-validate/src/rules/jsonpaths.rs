//! JSONPath expressions: every one compiles (RFC 9535 after the Jayway-compatible
//! normalisation of `naftiko-expr`).

use naftiko_expr::JsonPathExpr;
use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Consumes, Document, OutputItems, OutputParameter, Text};

use super::units::units;

/// Runs the JSONPath rule on one document.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let cap = doc.capability.as_ref();
    for c in doc
        .consumes
        .iter()
        .chain(cap.into_iter().flat_map(|c| c.consumes.iter()))
    {
        let Consumes::Http(h) = c else { continue };
        for op in h.resources.iter().flat_map(|r| r.operations.iter()) {
            for out in &op.output_parameters {
                if let Some(v) = &out.value {
                    check_path(v, diags);
                }
            }
        }
    }
    for u in units(doc) {
        for out in &u.invocation.output_parameters {
            mapped(out, diags);
        }
        for m in &u.invocation.mappings {
            if let Some(v) = &m.value
                && v.value.trim_start().starts_with('$')
            {
                check_path(v, diags);
            }
        }
    }
}

fn mapped(out: &OutputParameter, diags: &mut Vec<Diagnostic>) {
    if let Some(m) = &out.mapping {
        check_path(m, diags);
    }
    if let Some(p) = &out.properties {
        p.iter().for_each(|(_, o)| mapped(o, diags));
    }
    match &out.items {
        Some(OutputItems::One(i)) => mapped(i, diags),
        Some(OutputItems::Many(items)) => items.iter().for_each(|i| mapped(i, diags)),
        None => {}
    }
}

fn check_path(text: &Text, diags: &mut Vec<Diagnostic>) {
    match JsonPathExpr::parse(&text.value) {
        Ok(expr) => {
            if let Some(canonical) = expr.normalized()
                && !expr.is_root()
            {
                diags.push(
                    Diagnostic::new(
                        naftiko_spec::Severity::Info,
                        rule::JSONPATH_JAYWAY,
                        text.loc.clone(),
                        format!(
                            "JSONPath `{}` uses Jayway syntax; naftiko reads it as `{canonical}`",
                            text.value
                        ),
                    )
                    .with_hint(format!("write `{canonical}`")),
                );
            }
        }
        Err(e) => diags.push(Diagnostic::error(
            rule::JSONPATH_SYNTAX,
            text.loc.clone(),
            e.to_string(),
        )),
    }
}
