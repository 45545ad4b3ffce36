//! What `naftiko run` needs beyond the schema, checked where `validate` can see it, so that
//! whatever `run` refuses `validate` reports first (docs/validate.md):
//! - a consumed API's `baseUri` with a `{placeholder}` in its host (`http://{host}:{port}`)
//!   is a `base-uri-placeholder` warning naming the `--base-uri` to pass (an empty one is
//!   already a `pattern-mismatch`);
//! - an operation whose outputs read the answer of a consumed operation in a format naftiko
//!   does not convert is a `format-unsupported` error (every format of the schema is
//!   converted today: the check stays for the next one);
//! - a consumed operation's `outputSchema` that cannot be used (a schema file that cannot be
//!   read or parsed, an HTML selector that does not parse: `crate::body_schema`), or outputs
//!   that read an `avro` or `protobuf` answer without one, are an `output-schema` error;
//! - a unit that declares binary content (a REST response contract with `binary: true` or
//!   `responseBinary`, an MCP resource with `binary: true`) whose consumed operation does not
//!   answer `outputRawFormat: binary` is a `binary-not-binary` error;
//! - output parameters over binary content (which has no fields) are a
//!   `binary-outputs-ignored` warning.

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{
    ConsumedOperation, Consumes, ConsumesHttp, Document, OutputItems, OutputParameter, RawFormat,
    Text,
};

use super::units::{Unit, units};
use crate::body_schema;
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
    check_schemas(scope, diags);
    check_binary(doc, scope, diags);
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
        let Some(op) = consumed_op(scope, call) else {
            continue;
        };
        let Some(format) = &op.output_raw_format else {
            continue;
        };
        let unread = !format.value.is_converted();
        let unschemed = body_schema::lacks_schema(op);
        if !(unread || unschemed) {
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
        if !unread {
            diags.push(
                Diagnostic::error(
                    rule::OUTPUT_SCHEMA,
                    call.loc.clone(),
                    format!(
                        "`{}` answers `outputRawFormat: {shown}`, which its output parameters cannot read without the consumed operation's `outputSchema` (the schema file)",
                        call.value
                    ),
                )
                .with_hint("add `outputSchema: FILE` to the consumed operation (relative to its capability file), or remove the output parameters to pass the body through"),
            );
            continue;
        }
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

/// Every `outputSchema` of the consumed operations in scope that cannot be used (the
/// engine's build would refuse it with the same message).
fn check_schemas(scope: &Scope, diags: &mut Vec<Diagnostic>) {
    let ops = scope
        .consumes
        .iter()
        .flat_map(|(_, api)| api.resources.iter())
        .flat_map(|r| r.operations.iter());
    for op in ops {
        let (Some(schema), Err(e)) = (&op.output_schema, body_schema::load(op)) else {
            continue;
        };
        diags.push(
            Diagnostic::error(rule::OUTPUT_SCHEMA, schema.loc.clone(), format!("`outputSchema`: {e}"))
                .with_hint("name a file relative to this capability file: an Avro schema (.avsc) for avro, a .proto file for protobuf; or a CSS selector for html"),
        );
    }
}

/// The consumed operation a `call` (`namespace.operation`) names.
fn consumed_op<'s>(scope: &'s Scope, call: &Text) -> Option<&'s ConsumedOperation> {
    let (ns, name) = call.value.split_once('.')?;
    scope
        .api(ns)?
        .resources
        .iter()
        .flat_map(|r| &r.operations)
        .find(|o| o.name.as_ref().is_some_and(|n| n.value == name))
}

/// The consumed operation a unit ends in: its `call`, or the `call` of the aggregate
/// function its `ref` names; with the `call` that names it.
fn terminal_op<'s>(
    doc: &'s Document,
    scope: &'s Scope,
    unit: &Unit<'s>,
) -> Option<(&'s Text, &'s ConsumedOperation)> {
    let call = match (&unit.invocation.call, &unit.invocation.reference) {
        (Some(call), _) => call,
        (None, Some(r)) => {
            let (ns, name) = r.value.split_once('.')?;
            let function = doc
                .capability
                .iter()
                .flat_map(|c| &c.aggregates)
                .filter(|a| a.namespace.as_ref().is_some_and(|n| n.value == ns))
                .flat_map(|a| &a.functions)
                .find(|f| f.name.as_ref().is_some_and(|n| n.value == name))?;
            function.invocation.call.as_ref()?
        }
        (None, None) => return None,
    };
    Some((call, consumed_op(scope, call)?))
}

/// Binary content declared over an operation that does not answer it, and outputs over
/// binary content.
fn check_binary(doc: &Document, scope: &Scope, diags: &mut Vec<Diagnostic>) {
    for unit in units(doc) {
        let Some((call, op)) = terminal_op(doc, scope, &unit) else {
            continue;
        };
        let binary = op
            .output_raw_format
            .as_ref()
            .is_some_and(|f| f.value == RawFormat::Binary);
        if let Some(declared) = unit.binary
            && !binary
        {
            diags.push(
                Diagnostic::error(
                    rule::BINARY_NOT_BINARY,
                    declared.clone(),
                    format!(
                        "binary content is declared here, but `{}` does not answer `outputRawFormat: binary`",
                        call.value
                    ),
                )
                .with_hint("add `outputRawFormat: binary` to the consumed operation, or declare a text or JSON response"),
            );
        }
        let own = &unit.invocation.output_parameters;
        if binary && unit.invocation.call.is_some() && own.iter().any(reads_document) {
            diags.push(
                Diagnostic::warning(
                    rule::BINARY_OUTPUTS_IGNORED,
                    own.first().map_or(unit.loc, |o| &o.loc).clone(),
                    format!(
                        "`{}` answers binary content, which has no fields: these output parameters are ignored and the bytes are served as they are",
                        call.value
                    ),
                )
                .with_hint("remove the output parameters"),
            );
        }
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
