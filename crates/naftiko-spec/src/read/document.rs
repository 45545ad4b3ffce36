//! The top of the document: version, info, binds, capability and aggregates.

use super::consumes::read_consumes;
use super::exposes::read_exposes;
use super::invocation::read_function;
use super::reader::{Cx, Need, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{Aggregate, Binding, Capability, Document, Info, OrderedMap, Person};
use crate::span::Pointer;
use crate::yaml::{Node, NodeKind};

/// The version this model describes.
pub(super) const OFFICIAL_VERSION: &str = "1.0.0-alpha2";

pub(super) fn read_document(cx: &mut Cx<'_>, root: &Node) -> Option<Document> {
    let mut o = cx.obj(root, &Pointer::root(), "the document")?;
    let naftiko = o.req_text(cx, "naftiko", Need::Runtime);
    if let Some(v) = &naftiko {
        match v.as_str() {
            OFFICIAL_VERSION => {}
            "1.0.0-alpha1" | "1.0.0-alpha3" => cx.push(
                Diagnostic::deviation(
                    rule::UNSUPPORTED_VERSION,
                    v.loc.clone(),
                    format!("version `{}` is read as {OFFICIAL_VERSION}", v.value),
                )
                .with_hint(format!("write `naftiko: {OFFICIAL_VERSION}`")),
            ),
            other => cx.push(
                Diagnostic::deviation(
                    rule::UNSUPPORTED_VERSION,
                    v.loc.clone(),
                    format!(
                        "unsupported version `{other}`; naftiko reads it as {OFFICIAL_VERSION}"
                    ),
                )
                .with_hint(format!("write `naftiko: {OFFICIAL_VERSION}`")),
            ),
        }
    }
    let info = o.take("info").and_then(|(n, p)| read_info(cx, n, &p));
    let binds = o.list(cx, "binds", read_binding);
    let consumes = o.list(cx, "consumes", read_consumes);
    let capability = o
        .take("capability")
        .and_then(|(n, p)| read_capability(cx, n, &p));
    let has_cap = o.has("capability");
    let has_consumes = o.has("consumes");
    if !has_cap && !has_consumes {
        let loc = o.loc(cx);
        cx.push(Diagnostic::error(rule::REQUIRED_FIELD, loc, "the document has neither `capability` nor root `consumes`").with_hint("a capability document declares `capability:`; a shared consumer file declares `consumes:`"));
    } else if has_cap && has_consumes {
        let loc = o.key_loc(cx, "consumes");
        cx.push(
            Diagnostic::deviation(
                rule::SCHEMA_CONSTRAINT,
                loc,
                "root `consumes` next to `capability`: the official schema allows one or the other",
            )
            .with_hint("move these entries under `capability.consumes`"),
        );
    }
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Document {
        naftiko,
        info,
        binds,
        consumes,
        capability,
        loc,
    })
}

fn read_info(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Info> {
    let mut o = cx.obj(node, ptr, "`info`")?;
    let label = o.req_text(cx, "label", Need::Schema);
    let description = o.req_text(cx, "description", Need::Schema);
    let tags = o.texts(cx, "tags");
    let created = o.text(cx, "created");
    let modified = o.text(cx, "modified");
    for (field, v) in [("created", &created), ("modified", &modified)] {
        if let Some(v) = v {
            cx.pattern(v, field, formats::date(v), "a date `YYYY-MM-DD`");
        }
    }
    let stakeholders = o.list(cx, "stakeholders", |cx, n, p| {
        let mut o = cx.obj(n, p, "a stakeholder")?;
        let role = o.req_text(cx, "role", Need::Schema);
        let full_name = o.req_text(cx, "fullName", Need::Schema);
        let email = o.text(cx, "email");
        if let Some(e) = &email {
            cx.pattern(e, "email", formats::email(e), "an email address");
        }
        let loc = o.loc(cx);
        o.finish(cx);
        Some(Person {
            role,
            full_name,
            email,
            loc,
        })
    });
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Info {
        label,
        description,
        tags,
        created,
        modified,
        stakeholders,
        loc,
    })
}

pub(super) fn read_binding(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Binding> {
    let mut o = cx.obj(node, ptr, "a bind")?;
    let namespace = o.req_text(cx, "namespace", Need::Runtime);
    if let Some(n) = &namespace {
        cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
    }
    let description = o.text(cx, "description");
    let location = o.text(cx, "location");
    if let Some(l) = &location {
        cx.pattern(
            l,
            "location",
            formats::uri_location(l),
            "a URI with a scheme, such as `file://./secrets.yaml`",
        );
    }
    let mut keys = OrderedMap::default();
    match o.take("keys") {
        None => o.missing(cx, "keys", Need::Runtime),
        Some((n, p)) => match &n.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    let name = k.key_text();
                    let kp = p.key(&name);
                    let key = crate::span::Spanned::new(name.clone(), cx.loc(k, &kp));
                    cx.pattern(
                        &key,
                        "binding variable name",
                        formats::screaming(&name),
                        "SCREAMING_SNAKE_CASE (`^[A-Z][A-Z0-9_]*$`)",
                    );
                    if let Some(source) = cx.text(v, &kp, &name) {
                        cx.pattern(
                            &source,
                            &name,
                            formats::extended(&source),
                            "letters, digits, `-`, `_` or `*`",
                        );
                        keys.entries.push((key, source));
                    }
                }
            }
            _ => cx.wrong_type(n, &p, "keys", "a mapping of VARIABLE: SOURCE_KEY"),
        },
    }
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Binding {
        namespace,
        description,
        location,
        keys,
        loc,
    })
}

fn read_capability(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Capability> {
    let mut o = cx.obj(node, ptr, "`capability`")?;
    let binds = o.list(cx, "binds", read_binding);
    let exposes = o.list(cx, "exposes", read_exposes);
    let consumes = o.list(cx, "consumes", read_consumes);
    let aggregates = o.list(cx, "aggregates", read_aggregate);
    if !o.has("exposes") && !o.has("consumes") {
        let loc = o.loc(cx);
        cx.push(Diagnostic::error(
            rule::REQUIRED_FIELD,
            loc,
            "`capability` has neither `exposes` nor `consumes`",
        ));
    }
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Capability {
        binds,
        exposes,
        consumes,
        aggregates,
        loc,
    })
}

fn read_aggregate(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Aggregate> {
    let mut o = cx.obj(node, ptr, "an aggregate")?;
    let label = o.req_text(cx, "label", Need::Schema);
    let namespace = o.req_text(cx, "namespace", Need::Runtime);
    if let Some(n) = &namespace {
        cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
    }
    if !o.has("functions") {
        o.missing(cx, "functions", Need::Runtime);
    }
    let functions = o.list(cx, "functions", read_function);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Aggregate {
        label,
        namespace,
        functions,
        loc,
    })
}
