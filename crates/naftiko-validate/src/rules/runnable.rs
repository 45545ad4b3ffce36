//! What `naftiko run` needs beyond the schema, checked where `validate` can see it, so that
//! whatever `run` refuses `validate` reports first (docs/validate.md):
//! - a consumed API's `baseUri` with a `{placeholder}` in its host (`http://{host}:{port}`)
//!   is a `base-uri-placeholder` warning naming the `--base-uri` to pass (an empty one is
//!   already a `pattern-mismatch`);
//! - an operation whose outputs read the answer of a consumed operation in a format naftiko
//!   does not convert (`outputRawFormat: yaml`, …) is a `format-unsupported` error.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Consumes, ConsumesHttp, Document, OutputItems, OutputParameter};

use super::units::units;
use crate::scope::Scope;

/// Runs both checks on one document.
pub fn check(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    let consumes = doc
        .consumes
        .iter()
        .chain(doc.capability.iter().flat_map(|c| c.consumes.iter()));
    for c in consumes {
        if let Consumes::Http(api) = c {
            check_base_uri(api, diags);
        }
    }
    check_formats(doc, scope, diags);
}

/// `baseUri` with a single-brace placeholder in its host. (`{{VAR}}` templates are binds;
/// a placeholder in the path, or an empty value, is already a `pattern-mismatch`.)
fn check_base_uri(api: &ConsumesHttp, diags: &mut Vec<Diagnostic>) {
    let Some(base) = &api.base_uri else { return };
    let text = without_templates(&base.value);
    let authority = text
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    if !(authority.contains('{') || authority.contains('}')) {
        return;
    }
    let ns = api
        .namespace
        .as_ref()
        .map_or("NAMESPACE", |n| n.value.as_str());
    diags.push(
        Diagnostic::warning(
            rule::BASE_URI_PLACEHOLDER,
            base.loc.clone(),
            format!(
                "`baseUri` `{}` has a placeholder: `naftiko run` needs the server to call",
                base.value
            ),
        )
        .with_hint(format!(
            "run it with `naftiko run --base-uri {ns}=https://HOST[:PORT][/PATH]`"
        )),
    );
}

/// `text` with every `{{…}}` template removed.
fn without_templates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Units whose `call` answers in a format naftiko does not convert, while an output reads
/// the answer (the unit's own outputs, or else the consumed operation's).
fn check_formats(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    for unit in units(doc) {
        let Some(call) = &unit.invocation.call else {
            continue;
        };
        let Some((ns, name)) = call.value.split_once('.') else {
            continue;
        };
        let Some(api) = scope.api(ns) else { continue };
        let Some(op) = api
            .resources
            .iter()
            .flat_map(|r| &r.operations)
            .find(|o| o.name.as_ref().is_some_and(|n| n.value == name))
        else {
            continue;
        };
        let Some(format) = &op.output_raw_format else {
            continue;
        };
        if format.value.is_converted() {
            continue;
        }
        let outputs = if unit.invocation.output_parameters.is_empty() {
            &op.output_parameters
        } else {
            &unit.invocation.output_parameters
        };
        if !outputs.iter().any(reads_document) {
            continue;
        }
        let shown = serde_json::to_value(format.value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        diags.push(
            Diagnostic::error(
                rule::FORMAT_UNSUPPORTED,
                call.loc.clone(),
                format!(
                    "`{}` answers `outputRawFormat: {shown}`, which naftiko does not convert yet; its output parameters cannot read it",
                    call.value
                ),
            )
            .with_hint("remove the output parameters to pass the body through unchanged"),
        );
    }
}

/// True when an output (or one inside it) reads the answer with a JSONPath, as the engine
/// compiles it: a `mapping`, or a `value` starting with `$`.
fn reads_document(o: &OutputParameter) -> bool {
    o.mapping.is_some()
        || o.value
            .as_ref()
            .is_some_and(|v| v.value.trim_start().starts_with('$'))
        || o.properties
            .iter()
            .flat_map(|p| p.iter())
            .any(|(_, c)| reads_document(c))
        || match &o.items {
            Some(OutputItems::One(i)) => reads_document(i),
            Some(OutputItems::Many(items)) => items.iter().any(reads_document),
            None => false,
        }
}
