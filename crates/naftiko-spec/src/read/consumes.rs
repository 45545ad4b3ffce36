//! `consumes` entries: HTTP APIs (resources, operations, bodies) and imports.

use std::sync::Arc;

use super::auth::read_authentication;
use super::params::{InputContext, OutputContext, read_input, read_output};
use super::reader::{Cx, Need, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    BodyKind, ConsumedOperation, ConsumedResource, Consumes, ConsumesHttp, ImportedConsumes,
    Method, RawFormat, RequestBody, TypedBody,
};
use crate::span::{Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// Methods, as `(text, value, official)`.
pub(super) const METHODS: &[(&str, Method, bool)] = &[
    ("GET", Method::Get, true),
    ("POST", Method::Post, true),
    ("PUT", Method::Put, true),
    ("PATCH", Method::Patch, true),
    ("DELETE", Method::Delete, true),
    ("get", Method::Get, false),
    ("post", Method::Post, false),
    ("put", Method::Put, false),
    ("patch", Method::Patch, false),
    ("delete", Method::Delete, false),
    ("HEAD", Method::Head, false),
    ("OPTIONS", Method::Options, false),
    ("head", Method::Head, false),
    ("options", Method::Options, false),
];

/// Reports a lowercase method, or `HEAD`/`OPTIONS` (outside the official schema).
pub(super) fn lowercase_method(cx: &mut Cx<'_>, m: &Spanned<String>) {
    let upper = m.value.to_uppercase();
    if matches!(upper.as_str(), "HEAD" | "OPTIONS") {
        cx.push(
            Diagnostic::deviation(
                rule::DIALECT_METHOD,
                m.loc.clone(),
                format!(
                    "method `{}` is community dialect; naftiko serves and sends it",
                    m.value
                ),
            )
            .with_hint("the official schema has GET, POST, PUT, PATCH and DELETE"),
        );
        return;
    }
    cx.push(
        Diagnostic::deviation(
            rule::INVALID_VALUE,
            m.loc.clone(),
            format!("method `{}` should be uppercase", m.value),
        )
        .with_hint(format!("write `{}`", m.value.to_uppercase())),
    );
}

const RAW_FORMATS: &[(&str, RawFormat, bool)] = &[
    ("json", RawFormat::Json, true),
    ("xml", RawFormat::Xml, true),
    ("avro", RawFormat::Avro, true),
    ("protobuf", RawFormat::Protobuf, true),
    ("csv", RawFormat::Csv, true),
    ("tsv", RawFormat::Tsv, true),
    ("psv", RawFormat::Psv, true),
    ("yaml", RawFormat::Yaml, true),
    ("html", RawFormat::Html, true),
    ("markdown", RawFormat::Markdown, true),
    ("text", RawFormat::Text, false),
    ("binary", RawFormat::Binary, false),
];

pub(super) fn read_consumes(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Consumes> {
    if node.get("location").is_some() || node.get("import").is_some() {
        return read_import(cx, node, ptr).map(|i| Consumes::Import(Box::new(i)));
    }
    let mut o = cx.obj(node, ptr, "a consumes entry")?;
    match o.take("type") {
        None => o.missing(cx, "type", Need::Schema),
        Some((n, p)) => {
            if let Some(t) = cx.text(n, &p, "type")
                && t.value != "http"
            {
                cx.push(Diagnostic::error(
                    rule::INVALID_VALUE,
                    t.loc.clone(),
                    format!("consumes `type` is `{}`; only `http` is supported", t.value),
                ));
            }
        }
    }
    let namespace = o.req_text(cx, "namespace", Need::Runtime);
    if let Some(n) = &namespace {
        cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
    }
    let description = o.text(cx, "description");
    let base_uri = o.req_text(cx, "baseUri", Need::Runtime);
    if let Some(b) = &base_uri {
        cx.pattern(
            b,
            "baseUri",
            formats::base_uri(b),
            "an http(s) URL without `{` in its path (`^https?://[^/]+(/[^{]*)?$`)",
        );
    }
    let input_parameters = o.list(cx, "inputParameters", |cx, n, p| {
        read_input(cx, n, p, InputContext::Consumed)
    });
    let authentication = o
        .take("authentication")
        .and_then(|(n, p)| read_authentication(cx, n, &p, true));
    let resources = o.list(cx, "resources", read_resource);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Consumes::Http(Arc::new(ConsumesHttp {
        namespace,
        description,
        base_uri,
        input_parameters,
        authentication,
        resources,
        loc,
    })))
}

fn read_import(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<ImportedConsumes> {
    let mut o = cx.obj(node, ptr, "an imported consumes entry")?;
    let location = o.req_text(cx, "location", Need::Runtime);
    let import = o.req_text(cx, "import", Need::Runtime);
    let alias = o.text(cx, "as");
    for (field, v) in [("import", &import), ("as", &alias)] {
        if let Some(v) = v {
            cx.pattern(v, field, formats::kebab(v), "letters, digits and `-`");
        }
    }
    let description = o.text(cx, "description");
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ImportedConsumes {
        location,
        import,
        alias,
        description,
        loc,
    })
}

fn read_resource(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<ConsumedResource> {
    let mut o = cx.obj(node, ptr, "a consumed resource")?;
    let name = o.req_text(cx, "name", Need::Schema);
    if let Some(n) = &name {
        cx.pattern(n, "name", formats::kebab(n), "letters, digits and `-`");
    }
    let label = o.text(cx, "label");
    let description = o.text(cx, "description");
    let path = o.req_text(cx, "path", Need::Runtime);
    let input_parameters = o.list(cx, "inputParameters", |cx, n, p| {
        read_input(cx, n, p, InputContext::Consumed)
    });
    if !o.has("operations") {
        o.missing(cx, "operations", Need::Runtime);
    }
    let operations = o.list(cx, "operations", read_operation);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ConsumedResource {
        name,
        label,
        description,
        path,
        input_parameters,
        operations,
        loc,
    })
}

fn read_operation(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<ConsumedOperation> {
    let mut o = cx.obj(node, ptr, "a consumed operation")?;
    let name = o.req_text(cx, "name", Need::Runtime);
    if let Some(n) = &name {
        cx.pattern(n, "name", formats::kebab(n), "letters, digits and `-`");
    }
    let label = o.text(cx, "label");
    let description = o.text(cx, "description");
    if !o.has("method") {
        o.missing(cx, "method", Need::Schema);
    }
    let method = o.choice(cx, "method", METHODS, lowercase_method);
    let input_parameters = o.list(cx, "inputParameters", |cx, n, p| {
        read_input(cx, n, p, InputContext::Consumed)
    });
    let output_raw_format = o.choice(cx, "outputRawFormat", RAW_FORMATS, |cx, t| {
        cx.push(
            Diagnostic::deviation(
                rule::DIALECT_RAW_FORMAT,
                t.loc.clone(),
                format!("`outputRawFormat: {}` is community dialect", t.value),
            )
            .with_hint("naftiko passes such bodies through unchanged; omit `outputParameters` to make that explicit"),
        );
    });
    let output_schema = o.text(cx, "outputSchema");
    let output_parameters = o.list(cx, "outputParameters", |cx, n, p| {
        read_output(cx, n, p, OutputContext::Consumed)
    });
    let body = o.take("body").and_then(|(n, p)| read_body(cx, n, &p));
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ConsumedOperation {
        name,
        label,
        description,
        method,
        input_parameters,
        output_raw_format,
        output_schema,
        output_parameters,
        body,
        loc,
    })
}

const BODY_KINDS: &[(&str, BodyKind, bool)] = &[
    ("json", BodyKind::Json, true),
    ("text", BodyKind::Text, true),
    ("xml", BodyKind::Xml, true),
    ("sparql", BodyKind::Sparql, true),
    ("formUrlEncoded", BodyKind::FormUrlEncoded, true),
    ("multipartForm", BodyKind::MultipartForm, true),
];

fn read_body(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<RequestBody> {
    if let NodeKind::Str(s) = &node.kind {
        return Some(RequestBody::Raw(Spanned::new(s.clone(), cx.loc(node, ptr))));
    }
    let mut o = cx.obj(node, ptr, "a request body")?;
    if !o.has("type") {
        let loc = o.loc(cx);
        cx.push(
            Diagnostic::deviation(
                rule::SCHEMA_CONSTRAINT,
                loc,
                "request body without `type`; naftiko sends it as JSON",
            )
            .with_hint("write `body: {type: json, data: …}`"),
        );
        let data = Spanned::new(node.to_json(), cx.loc(node, ptr));
        let loc = o.loc(cx);
        return Some(RequestBody::Typed(TypedBody {
            kind: Spanned::new(BodyKind::Json, loc.clone()),
            data: Some(data),
            loc,
        }));
    }
    let kind = o.choice(cx, "type", BODY_KINDS, |_, _| {})?;
    let data = match o.take("data") {
        None => {
            o.missing(cx, "data", Need::Runtime);
            None
        }
        Some((n, p)) => {
            let ok = match (kind.value, &n.kind) {
                (BodyKind::Json, NodeKind::Str(_) | NodeKind::Map(_) | NodeKind::Seq(_)) => true,
                (BodyKind::Text | BodyKind::Xml | BodyKind::Sparql, NodeKind::Str(_)) => true,
                (BodyKind::FormUrlEncoded, NodeKind::Str(_)) => true,
                (BodyKind::FormUrlEncoded, NodeKind::Map(entries)) => {
                    entries.iter().all(|(_, v)| v.as_str().is_some())
                }
                (BodyKind::MultipartForm, NodeKind::Seq(parts)) => {
                    for (i, part) in parts.iter().enumerate() {
                        read_multipart_part(cx, part, &p.index(i));
                    }
                    true
                }
                _ => false,
            };
            if !ok {
                let expected = match kind.value {
                    BodyKind::Json => "a string, a mapping or a list",
                    BodyKind::Text | BodyKind::Xml | BodyKind::Sparql => "a string",
                    BodyKind::FormUrlEncoded => "a string or a mapping of strings",
                    BodyKind::MultipartForm => "a list of parts",
                };
                cx.wrong_type(n, &p, "data", expected);
            }
            ok.then(|| Spanned::new(n.to_json(), cx.loc(n, &p)))
        }
    };
    let loc = o.loc(cx);
    o.finish(cx);
    Some(RequestBody::Typed(TypedBody { kind, data, loc }))
}

fn read_multipart_part(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) {
    let Some(mut o) = cx.obj(node, ptr, "a multipart part") else {
        return;
    };
    o.req_text(cx, "name", Need::Runtime);
    o.req_text(cx, "value", Need::Runtime);
    o.text(cx, "filename");
    o.text(cx, "contentType");
    o.finish(cx);
}
