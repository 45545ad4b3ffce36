//! `consumes` entries: HTTP APIs (resources, operations, bodies) and imports.

use std::sync::Arc;

use super::auth::read_authentication;
use super::imports::{is_import, read_import};
use super::params::{InputContext, OutputContext, read_binary_size, read_input, read_output};
use super::reader::{Cx, Need, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    BodyKind, ConsumedOperation, ConsumedResource, Consumes, ConsumesHttp, InputParameter, Method,
    RawFormat, RequestBody, Text, Tunnel, TypedBody,
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

/// The formats with their standing in `beta5` documents, which make `binary` official.
fn raw_formats(beta5: bool) -> Vec<(&'static str, RawFormat, bool)> {
    RAW_FORMATS
        .iter()
        .map(|&(name, f, official)| (name, f, official || (beta5 && f == RawFormat::Binary)))
        .collect()
}

/// Reads the named inputs of a consumed API, resource or operation.
fn consumed_inputs(cx: &mut Cx<'_>, o: &mut super::reader::Obj<'_>) -> Vec<InputParameter> {
    o.named(cx, "inputParameters", |cx, n, p, name| {
        read_input(cx, n, p, name, InputContext::Consumed)
    })
}

pub(super) fn read_consumes(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Consumes> {
    if is_import(cx, node) {
        return read_import(cx, node, ptr, "an imported consumes entry")
            .map(|i| Consumes::Import(Box::new(i)));
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
    let input_parameters = consumed_inputs(cx, &mut o);
    let authentication = o
        .take("authentication")
        .and_then(|(n, p)| read_authentication(cx, n, &p, true));
    let tunnel = read_tunnel(cx, &mut o);
    let resources = o.named(cx, "resources", read_resource);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Consumes::Http(Arc::new(ConsumesHttp {
        namespace,
        description,
        base_uri,
        input_parameters,
        authentication,
        tunnel,
        resources,
        loc,
    })))
}

/// `tunnel` (beta5's OpenZiti reverse tunnel): naftiko cannot reach an upstream through
/// one, so the block is refused, once, at its key; its fields are still read (the beta5
/// ruleset's tunnel rules check them).
fn read_tunnel(cx: &mut Cx<'_>, o: &mut super::reader::Obj<'_>) -> Option<Tunnel> {
    if !cx.beta5() || !o.has("tunnel") {
        return None;
    }
    let loc = o.key_loc(cx, "tunnel");
    cx.push(
        Diagnostic::error(
            rule::UNSUPPORTED_FEATURE,
            loc.clone(),
            "`tunnel` (an OpenZiti reverse tunnel) is not supported: naftiko cannot reach this API through it",
        )
        .with_hint("remove `tunnel` and give a `baseUri` naftiko can reach directly (or pass `--base-uri`)"),
    );
    let (node, ptr) = o.take("tunnel")?;
    let mut t = cx.obj(node, &ptr, "`tunnel`")?;
    if !t.has("type") {
        t.missing(cx, "type", Need::Schema);
    }
    t.choice(cx, "type", &[("ziti", (), true)], |_, _| {});
    t.req_text(cx, "service", Need::Schema);
    let identity = t.req_text(cx, "identity", Need::Schema);
    let fallback = t
        .choice(
            cx,
            "fallback",
            &[("fail", "fail", true), ("direct", "direct", true)],
            |_, _| {},
        )
        .map(|f| Spanned::new(f.value.to_string(), f.loc));
    t.finish(cx);
    Some(Tunnel {
        identity,
        fallback,
        loc,
    })
}

fn read_resource(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<ConsumedResource> {
    let mut o = cx.obj(node, ptr, "a consumed resource")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Schema),
        formats::kebab,
        "letters, digits and `-`",
    );
    let label = o.display(cx, None);
    let description = o.text(cx, "description");
    let tags = o.tags(cx);
    let path = o.req_text(cx, "path", Need::Runtime);
    let input_parameters = consumed_inputs(cx, &mut o);
    if !o.has("operations") {
        o.missing(cx, "operations", Need::Runtime);
    }
    let operations = o.named(cx, "operations", read_operation);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ConsumedResource {
        name,
        label,
        description,
        tags,
        path,
        input_parameters,
        operations,
        loc,
    })
}

fn read_operation(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<ConsumedOperation> {
    let mut o = cx.obj(node, ptr, "a consumed operation")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::kebab,
        "letters, digits and `-`",
    );
    let label = o.display(cx, None);
    let description = o.text(cx, "description");
    let tags = o.tags(cx);
    if !o.has("method") {
        o.missing(cx, "method", Need::Schema);
    }
    let method = o.choice(cx, "method", METHODS, lowercase_method);
    let input_parameters = consumed_inputs(cx, &mut o);
    let formats_table = raw_formats(cx.beta5());
    let output_raw_format = o.choice(cx, "outputRawFormat", &formats_table, |cx, t| {
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
    let (output_media_type, max_binary_size) = if cx.beta5() {
        (o.text(cx, "outputMediaType"), read_binary_size(cx, &mut o))
    } else {
        (None, None)
    };
    let output_parameters = o.named(cx, "outputParameters", |cx, n, p, name| {
        read_output(cx, n, p, name, OutputContext::Consumed)
    });
    let body = o.take("body").and_then(|(n, p)| read_body(cx, n, &p));
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ConsumedOperation {
        name,
        label,
        description,
        tags,
        method,
        input_parameters,
        output_raw_format,
        output_schema,
        output_media_type,
        max_binary_size,
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
