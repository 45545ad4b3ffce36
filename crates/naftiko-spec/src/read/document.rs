//! The top of the document: version, info, binds, capability and aggregates.

use super::consumes::read_consumes;
use super::exposes::read_exposes;
use super::imports::{is_import, read_import_entry};
use super::invocation::read_function;
use super::reader::{Cx, Need, Obj, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    Aggregate, Binding, Capability, Document, Exposes, ImportEntry, ImportSection, Info,
    OrderedMap, Person, Spec, Text,
};
use crate::span::Pointer;
use crate::yaml::{Node, NodeKind};

/// Versions read as the model's own, with the root key they belong to: `(key, version,
/// spec, exact)`; a version that is not `exact` is read alike with a deviation.
const VERSIONS: &[(&str, &str, Spec, bool)] = &[
    ("naftiko", "1.0.0-alpha2", Spec::Alpha2, true),
    ("naftiko", "1.0.0-alpha1", Spec::Alpha2, false),
    ("naftiko", "1.0.0-alpha3", Spec::Alpha2, false),
    ("ikanos", "1.0.0-beta5", Spec::Beta5, true),
    ("ikanos", "1.0.0-beta4", Spec::Beta5, false),
    ("ikanos", "1.0.0-beta3", Spec::Beta5, false),
    ("ikanos", "1.0.0-beta2", Spec::Beta5, false),
    ("ikanos", "1.0.0-beta1", Spec::Beta5, false),
    ("ikanos", "1.0.0-alpha4", Spec::Beta5, false),
    ("ikanos", "1.0.0-alpha3", Spec::Beta5, false),
];

/// The versions naftiko reads, for messages.
fn supported_versions() -> String {
    "`naftiko: 1.0.0-alpha2` (1.0.0-alpha1 and 1.0.0-alpha3 are read alike) and `ikanos: 1.0.0-beta5` (1.0.0-alpha3, 1.0.0-alpha4 and 1.0.0-beta1 to 1.0.0-beta4 are read alike)".to_string()
}

/// Reads the root key (`naftiko` or `ikanos`) and decides which specification the
/// document follows; `None` (one error) when the version is not one naftiko reads.
fn read_version(cx: &mut Cx<'_>, o: &mut Obj<'_>) -> Option<(Option<Text>, Spec)> {
    let key = if o.has("ikanos") { "ikanos" } else { "naftiko" };
    if key == "ikanos" && o.has("naftiko") {
        let loc = o.key_loc(cx, "naftiko");
        cx.push(
            Diagnostic::error(
                rule::CONFLICTING_FIELDS,
                loc,
                "the document has both `naftiko` and `ikanos`; naftiko reads `ikanos`",
            )
            .with_hint("keep one root key"),
        );
        o.take("naftiko");
    }
    if !o.has(key)
        && !["capability", "consumes", "exposes", "aggregates", "binds"]
            .iter()
            .any(|k| o.has(k))
    {
        // Not a capability at all (a workflow, a manifest): one error, not one per key.
        let loc = o.loc(cx);
        cx.push(
            Diagnostic::error(
                rule::REQUIRED_FIELD,
                loc,
                "not a capability document: it has no `naftiko` or `ikanos` key, and no `capability`",
            )
            .with_hint("naftiko checks capability files; `naftiko validate --capabilities-only` skips other YAML files"),
        );
        return None;
    }
    let version = o.req_text(cx, key, Need::Runtime);
    let Some(v) = &version else {
        let spec = if key == "ikanos" {
            Spec::Beta5
        } else {
            Spec::Alpha2
        };
        return Some((version, spec));
    };
    let found = VERSIONS.iter().find(|(_, ver, _, _)| *ver == v.as_str());
    let Some((home, _, _, _)) = found else {
        cx.push(
            Diagnostic::error(
                rule::VERSION_UNKNOWN,
                v.loc.clone(),
                format!(
                    "unsupported version `{key}: {}`; naftiko reads {}",
                    v.value,
                    supported_versions()
                ),
            )
            .with_hint("the rest of the file is not checked until the version is one of these"),
        );
        return None;
    };
    // `ikanos: 1.0.0-alpha3` is beta5's ancestor; `naftiko: 1.0.0-alpha3` alpha2's.
    let (spec, exact) = VERSIONS
        .iter()
        .find(|(k, ver, _, _)| *k == key && *ver == v.as_str())
        .map_or_else(
            || {
                (
                    if *home == "ikanos" {
                        Spec::Beta5
                    } else {
                        Spec::Alpha2
                    },
                    false,
                )
            },
            |(_, _, spec, exact)| (*spec, *exact),
        );
    if !exact {
        let official = spec.version();
        cx.push(
            Diagnostic::deviation(
                rule::UNSUPPORTED_VERSION,
                v.loc.clone(),
                format!("version `{}` is read as {official}", v.value),
            )
            .with_hint(format!("write `{}: {official}`", spec.root_key())),
        );
    }
    Some((version, spec))
}

pub(super) fn read_document(cx: &mut Cx<'_>, root: &Node) -> Option<Document> {
    let mut o = cx.obj(root, &Pointer::root(), "the document")?;
    let (naftiko, spec) = read_version(cx, &mut o)?;
    cx.spec = spec;
    let info = o.take("info").and_then(|(n, p)| read_info(cx, n, &p));
    let mut imports = Vec::new();
    let binds = read_binds(cx, &mut o, at(ImportSection::Binds, false, &mut imports));
    let consumes = o.list(cx, "consumes", read_consumes);
    let (exposes, aggregates) = if cx.beta5() {
        (
            read_exposes_list(cx, &mut o, at(ImportSection::Exposes, false, &mut imports)),
            read_aggregates(
                cx,
                &mut o,
                at(ImportSection::Aggregates, false, &mut imports),
            ),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let capability = o
        .take("capability")
        .and_then(|(n, p)| read_capability(cx, n, &p, &mut imports));
    check_root_sections(cx, &o);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Document {
        naftiko,
        spec,
        info,
        binds,
        consumes,
        capability,
        exposes,
        aggregates,
        imports,
        loc,
    })
}

/// What the root holds besides the version: `capability`, or (a shared file) root
/// sections without it (`consumes` in alpha2; one of `consumes`, `exposes`, `aggregates`,
/// `binds` in beta5). beta5's schema also allows root sections next to `capability`;
/// alpha2's allows only one or the other.
fn check_root_sections(cx: &mut Cx<'_>, o: &Obj<'_>) {
    let has_cap = o.has("capability");
    let shared: &[&'static str] = if cx.beta5() {
        &["consumes", "exposes", "aggregates", "binds"]
    } else {
        &["consumes"]
    };
    let mut present = shared.iter().copied().filter(|k| o.has(k));
    match (present.next(), has_cap) {
        (None, false) => no_sections(cx, o),
        (Some(key), true) if !cx.beta5() => {
            let message = format!(
                "root `{key}` next to `capability`: the official schema allows one or the other"
            );
            let hint = format!("move these entries under `capability.{key}`");
            root_deviation(cx, o, key, message, hint);
        }
        (Some(first), false) => {
            if let Some(key) = present.next() {
                let message = format!(
                    "root `{key}` next to root `{first}`: the official schema allows one section in a file without `capability`"
                );
                let hint = "put each section in a file of its own, or the whole under `capability`"
                    .to_string();
                root_deviation(cx, o, key, message, hint);
            }
        }
        _ => {}
    }
}

/// A document with neither `capability` nor a root section.
fn no_sections(cx: &mut Cx<'_>, o: &Obj<'_>) {
    let loc = o.loc(cx);
    let (message, hint) = if cx.beta5() {
        (
            "the document has neither `capability` nor a root `consumes`, `exposes`, `aggregates` or `binds`",
            "a capability document declares `capability:`; a shared file declares one of those sections",
        )
    } else {
        (
            "the document has neither `capability` nor root `consumes`",
            "a capability document declares `capability:`; a shared consumer file declares `consumes:`",
        )
    };
    cx.push(Diagnostic::error(rule::REQUIRED_FIELD, loc, message).with_hint(hint));
}

/// A root section where the official schema does not allow it (a deviation at its key).
fn root_deviation(cx: &mut Cx<'_>, o: &Obj<'_>, key: &'static str, message: String, hint: String) {
    let loc = o.key_loc(cx, key);
    cx.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, message).with_hint(hint));
}

fn read_info(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Info> {
    let mut o = cx.obj(node, ptr, "`info`")?;
    let label = o.display(cx, Some(Need::Schema));
    let description = o.req_text(cx, "description", Need::Schema);
    let tags = o.texts(cx, "tags");
    let version = if cx.beta5() {
        o.text(cx, "version")
    } else {
        None
    };
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
        version,
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

/// Where a section is read: which one, at the root or under `capability`, and where its
/// import entries go.
struct Section<'i> {
    section: ImportSection,
    in_capability: bool,
    imports: &'i mut Vec<ImportEntry>,
}

impl Section<'_> {
    /// Reads a list whose entries are inline declarations or (beta5) imports of the
    /// section; the imports go to `imports`, each with the number of inline entries before
    /// it (where its imported entry goes once resolved).
    fn read<T>(
        self,
        cx: &mut Cx<'_>,
        o: &mut Obj<'_>,
        each: fn(&mut Cx<'_>, &Node, &Pointer) -> Option<T>,
    ) -> Vec<T> {
        let beta5 = cx.beta5();
        let Section {
            section,
            in_capability,
            imports,
        } = self;
        let mut inline = 0;
        o.list(cx, section.key(), |cx, n, p| {
            if beta5 && is_import(cx, n) {
                imports.extend(read_import_entry(cx, n, p, section, in_capability, inline));
                None
            } else {
                let read = each(cx, n, p);
                inline += usize::from(read.is_some());
                read
            }
        })
    }
}

fn read_binds(cx: &mut Cx<'_>, o: &mut Obj<'_>, at: Section<'_>) -> Vec<Binding> {
    at.read(cx, o, read_binding)
}

fn read_exposes_list(cx: &mut Cx<'_>, o: &mut Obj<'_>, at: Section<'_>) -> Vec<Exposes> {
    at.read(cx, o, read_exposes)
}

fn read_aggregates(cx: &mut Cx<'_>, o: &mut Obj<'_>, at: Section<'_>) -> Vec<Aggregate> {
    at.read(cx, o, read_aggregate)
}

/// Where the root (`in_capability` false) or the capability reads `section`.
fn at(section: ImportSection, in_capability: bool, imports: &mut Vec<ImportEntry>) -> Section<'_> {
    Section {
        section,
        in_capability,
        imports,
    }
}

fn read_capability(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    imports: &mut Vec<ImportEntry>,
) -> Option<Capability> {
    let mut o = cx.obj(node, ptr, "`capability`")?;
    let binds = read_binds(cx, &mut o, at(ImportSection::Binds, true, imports));
    let exposes = read_exposes_list(cx, &mut o, at(ImportSection::Exposes, true, imports));
    let consumes = o.list(cx, "consumes", read_consumes);
    let aggregates = read_aggregates(cx, &mut o, at(ImportSection::Aggregates, true, imports));
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
    let label = o.display(cx, Some(Need::Schema));
    let namespace = if cx.beta5() {
        o.ruled_namespace(cx)
    } else {
        let ns = o.req_text(cx, "namespace", Need::Runtime);
        if let Some(n) = &ns {
            cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
        }
        ns
    };
    let key = if cx.beta5() { "flows" } else { "functions" };
    if !o.has(key) {
        o.missing(cx, key, Need::Runtime);
    }
    let functions = o.named(cx, key, read_function);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(Aggregate {
        label,
        namespace,
        functions,
        loc,
    })
}
