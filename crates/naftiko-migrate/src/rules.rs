//! The rewrite rules, one function per kind of object of the alpha2 schema, each calling
//! the functions of the objects it holds. A list of named things becomes a map through
//! [`keyed`]; everything not named here is kept as it is.

use yaml_serde::{Mapping, Value};

type Notes = Vec<String>;

/// The root mapping.
pub(crate) fn document(mut root: Mapping, notes: &mut Notes) -> Mapping {
    let mut out = Mapping::new();
    out.insert("ikanos".into(), "1.0.0-beta5".into());
    root.shift_remove("naftiko");
    if let Some(Value::Mapping(mut info)) = root.shift_remove("info") {
        display(&mut info);
        out.insert("info".into(), Value::Mapping(info));
    }
    for (k, v) in root {
        let v = match (k.as_str(), v) {
            (Some("consumes"), v) => each(v, "consumes", notes, consumes),
            (Some("capability"), Value::Mapping(c)) => Value::Mapping(capability(c, notes)),
            (_, v) => v,
        };
        out.insert(k, v);
    }
    out
}

fn capability(mut c: Mapping, notes: &mut Notes) -> Mapping {
    edit(&mut c, "consumes", |v| {
        each(v, "capability.consumes", notes, consumes)
    });
    edit(&mut c, "exposes", |v| {
        each(v, "capability.exposes", notes, exposes)
    });
    edit(&mut c, "aggregates", |v| {
        each(v, "capability.aggregates", notes, aggregate)
    });
    c
}

/// A consumed API, or an imported one.
fn consumes(mut c: Mapping, at: &str, notes: &mut Notes) -> Mapping {
    if c.contains_key("import") {
        return import(c);
    }
    drop_auth_none(&mut c, at, notes);
    api_key_openapi(&mut c);
    unrepresentable(&c, at, notes);
    params(&mut c, "inputParameters", at, notes);
    only_keys(&mut c, "inputParameters", &["in", "value"], at, notes);
    edit(&mut c, "resources", |v| {
        let v = kebab_names(v, &format!("{at}.resources"), notes);
        keyed(v, &format!("{at}.resources"), notes, |mut r, at, notes| {
            display(&mut r);
            params(&mut r, "inputParameters", at, notes);
            only_keys(&mut r, "inputParameters", &["in", "value"], at, notes);
            edit(&mut r, "operations", |v| {
                keyed(v, &format!("{at}.operations"), notes, consumed_operation)
            });
            r
        })
    });
    c
}

fn consumed_operation(mut o: Mapping, at: &str, notes: &mut Notes) -> Mapping {
    display(&mut o);
    if o.get("outputRawFormat").and_then(Value::as_str) == Some("text") {
        notes.push(format!("{at}: `outputRawFormat: text` (community) has no beta5 spelling; kept, so the result does not validate as beta5"));
    }
    for p in o
        .get("inputParameters")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        if matches!(
            p.get("in").and_then(Value::as_str),
            Some("form" | "formData")
        ) {
            notes.push(format!(
                "{at}: input `{name}` is `in: form` (community), which beta5 has no place for; kept"
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_*".contains(c))
        {
            notes.push(format!("{at}: input `{name}` has a name beta5 does not allow (letters, digits, `-`, `_`, `*`); kept"));
        }
    }
    params(&mut o, "inputParameters", at, notes);
    only_keys(&mut o, "inputParameters", &["in", "value"], at, notes);
    params(&mut o, "outputParameters", at, notes);
    o
}

/// `{location, import, as}` as `{from, import, as}`.
fn import(mut c: Mapping) -> Mapping {
    if let Some(Value::String(location)) = c.shift_remove("location") {
        let from = location
            .strip_prefix("file://")
            .map(|p| {
                p.strip_prefix("/./")
                    .map_or(p.to_owned(), |r| format!("./{r}"))
            })
            .unwrap_or(location);
        let mut out = Mapping::new();
        out.insert("from".into(), from.into());
        out.extend(c);
        return out;
    }
    c
}

fn exposes(mut e: Mapping, at: &str, notes: &mut Notes) -> Mapping {
    drop_auth_none(&mut e, at, notes);
    let kind = e
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if matches!(kind.as_str(), "rest" | "control") && e.shift_remove("description").is_some() {
        notes.push(format!(
            "{at}: `description` dropped (beta5 has none on {kind} exposes blocks)"
        ));
    }
    match kind.as_str() {
        "rest" => edit(&mut e, "resources", |v| {
            let v = kebab_names(v, &format!("{at}.resources"), notes);
            keyed(v, &format!("{at}.resources"), notes, |mut r, at, notes| {
                display(&mut r);
                params(&mut r, "inputParameters", at, notes);
                edit(&mut r, "operations", |v| {
                    keyed(v, &format!("{at}.operations"), notes, invocable)
                });
                r
            })
        }),
        "mcp" => {
            edit(&mut e, "tools", |v| {
                keyed(v, &format!("{at}.tools"), notes, invocable)
            });
            edit(&mut e, "resources", |v| {
                keyed(v, &format!("{at}.resources"), notes, invocable)
            });
            edit(&mut e, "prompts", |v| {
                keyed(v, &format!("{at}.prompts"), notes, |mut p, at, notes| {
                    display(&mut p);
                    edit(&mut p, "arguments", |v| {
                        keyed(v, &format!("{at}.arguments"), notes, |mut a, _, _| {
                            display(&mut a);
                            a
                        })
                    });
                    p
                })
            });
        }
        "skill" => edit(&mut e, "skills", |v| {
            keyed(v, &format!("{at}.skills"), notes, |mut s, at, notes| {
                edit(&mut s, "tools", |v| {
                    keyed(v, &format!("{at}.tools"), notes, |t, _, _| t)
                });
                s
            })
        }),
        _ => {}
    }
    e
}

fn aggregate(mut a: Mapping, at: &str, notes: &mut Notes) -> Mapping {
    display(&mut a);
    rename(&mut a, "functions", "flows");
    edit(&mut a, "flows", |v| {
        keyed(v, &format!("{at}.functions"), notes, invocable)
    });
    a
}

/// An exposed operation, MCP tool or resource, or aggregate function: inputs, steps,
/// mappings and outputs.
fn invocable(mut o: Mapping, at: &str, notes: &mut Notes) -> Mapping {
    display(&mut o);
    params(&mut o, "inputParameters", at, notes);
    edit(&mut o, "steps", |v| {
        keyed(v, &format!("{at}.steps"), notes, |s, _, _| s)
    });
    edit(&mut o, "mappings", |v| match v {
        Value::Sequence(items) => Value::Sequence(
            items
                .into_iter()
                .map(|m| match m {
                    Value::Mapping(mut m) => {
                        rename(&mut m, "targetName", "target");
                        Value::Mapping(m)
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    });
    passthrough_outputs(&mut o, at, notes);
    params(&mut o, "outputParameters", at, notes);
    o
}

/// The community's one untyped output `{type: object, mapping: $.}` returns the body as it
/// came, which is what no outputs do: it is dropped.
fn passthrough_outputs(o: &mut Mapping, at: &str, notes: &mut Notes) {
    let Some(Value::Sequence(outputs)) = o.get("outputParameters") else {
        return;
    };
    let whole_body = match outputs.as_slice() {
        [Value::Mapping(only)] => {
            only.get("name").is_none()
                && only.get("properties").is_none()
                && only.get("items").is_none()
                && only
                    .get("mapping")
                    .or_else(|| only.get("value"))
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.trim() == "$." || p.trim() == "$")
        }
        _ => false,
    };
    if whole_body {
        o.shift_remove("outputParameters");
        notes.push(format!(
            "{at}: the untyped whole-body output dropped (without outputs the body passes through, the same answer)"
        ));
    }
}

/// Keeps only `allowed` fields in every parameter of the map or list under `key`.
fn only_keys(m: &mut Mapping, key: &str, allowed: &[&str], at: &str, notes: &mut Notes) {
    let Some(Value::Mapping(params)) = m.get_mut(key) else {
        return;
    };
    for (name, p) in params.iter_mut() {
        let Value::Mapping(p) = p else { continue };
        let extra: Vec<String> = p
            .keys()
            .filter_map(Value::as_str)
            .filter(|k| !allowed.contains(k))
            .map(str::to_owned)
            .collect();
        for k in &extra {
            p.shift_remove(k.as_str());
        }
        if !extra.is_empty() {
            notes.push(format!(
                "{at}.{key}.{}: {} dropped (beta5 has no place for them)",
                name.as_str().unwrap_or("?"),
                extra
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// Parameters: a map keyed by name when every one is named; otherwise the list (mapped
/// outputs of a `call` are unnamed and stay a list).
fn params(m: &mut Mapping, key: &str, at: &str, notes: &mut Notes) {
    edit(m, key, |v| match &v {
        Value::Sequence(items) if items.iter().all(|i| named(i).is_some()) => {
            keyed(v, &format!("{at}.{key}"), notes, |p, _, _| p)
        }
        _ => v,
    });
}

/// A list of mappings with `name` as a map keyed by it, `f` applied to each item (a map
/// already keyed gets `f` too). An item without a name, or with a name met before, cannot
/// be placed: it is left out, with a note.
pub(crate) fn keyed(
    v: Value,
    at: &str,
    notes: &mut Notes,
    f: impl Fn(Mapping, &str, &mut Notes) -> Mapping,
) -> Value {
    let items: Vec<(Option<String>, Value)> = match v {
        Value::Sequence(items) => items.into_iter().map(|i| (named(&i), i)).collect(),
        Value::Mapping(m) => m
            .into_iter()
            .map(|(k, i)| (k.as_str().map(str::to_owned), i))
            .collect(),
        other => return other,
    };
    let mut out = Mapping::new();
    for (i, (name, item)) in items.into_iter().enumerate() {
        let (Some(name), Value::Mapping(mut item)) = (name, item) else {
            notes.push(format!(
                "{at}[{i}] has no `name`, so it has no key in beta5's map; left out"
            ));
            continue;
        };
        if out.contains_key(name.as_str()) {
            notes.push(format!(
                "{at}: `{name}` is named twice; the second is left out"
            ));
            continue;
        }
        item.shift_remove("name");
        let here = format!("{at}.{name}");
        out.insert(name.into(), Value::Mapping(f(item, &here, notes)));
    }
    Value::Mapping(out)
}

fn named(item: &Value) -> Option<String> {
    item.get("name")?.as_str().map(str::to_owned)
}

/// Applies `f` to every mapping of the list `v`.
fn each(
    v: Value,
    at: &str,
    notes: &mut Notes,
    f: impl Fn(Mapping, &str, &mut Notes) -> Mapping,
) -> Value {
    let Value::Sequence(items) = v else { return v };
    Value::Sequence(
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Mapping(m) => Value::Mapping(f(m, &format!("{at}[{i}]"), notes)),
                other => other,
            })
            .collect(),
    )
}

/// Replaces the value of `key`, when present, by `f` of it.
fn edit(m: &mut Mapping, key: &str, f: impl FnOnce(Value) -> Value) {
    if let Some(v) = m.get_mut(key) {
        let taken = std::mem::take(v);
        *v = f(taken);
    }
}

/// Renames the key `from` to `to`, in place (the key keeps its position).
fn rename(m: &mut Mapping, from: &str, to: &str) {
    if !m.contains_key(from) {
        return;
    }
    let renamed: Mapping = std::mem::take(m)
        .into_iter()
        .map(|(k, v)| {
            if k.as_str() == Some(from) {
                (to.into(), v)
            } else {
                (k, v)
            }
        })
        .collect();
    *m = renamed;
}

fn display(m: &mut Mapping) {
    rename(m, "label", "display");
}

/// Notes what a consumed API holds that beta5 cannot say: a `baseUri` that is not an
/// absolute http(s) URI without placeholders, and community authentication shapes.
fn unrepresentable(c: &Mapping, at: &str, notes: &mut Notes) {
    if let Some(base) = c.get("baseUri").and_then(Value::as_str) {
        let absolute =
            (base.starts_with("https://") || base.starts_with("http://")) && !base.contains('{');
        if !absolute {
            notes.push(format!("{at}: `baseUri` `{base}` is not an absolute http(s) URI without placeholders, as beta5 requires; kept (pass `--base-uri` when running)"));
        }
    }
    if let Some(Value::Mapping(a)) = c.get("authentication")
        && (a.contains_key("headers") || a.contains_key("description"))
    {
        notes.push(format!("{at}: `authentication` uses community fields (`headers`, `description`) beta5 has no place for; kept"));
    }
}

/// The OpenAPI spelling of an API key (`in`, `name`) as beta5's (`placement`, `key`).
fn api_key_openapi(m: &mut Mapping) {
    if let Some(Value::Mapping(a)) = m.get_mut("authentication")
        && a.get("type").and_then(Value::as_str) == Some("apikey")
    {
        rename(a, "in", "placement");
        rename(a, "name", "key");
    }
}

/// Resource names beta5 would refuse (it allows letters, digits and `-`: no `_`, `.`,
/// `#`) rewritten with `-`; nothing refers to a resource by its name.
fn kebab_names(v: Value, at: &str, notes: &mut Notes) -> Value {
    let Value::Sequence(items) = v else { return v };
    let items = items
        .into_iter()
        .map(|item| {
            let Value::Mapping(mut m) = item else { return item };
            if let Some(Value::String(name)) = m.get("name") {
                let kebab: String = name
                    .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
                    .collect();
                if !kebab.is_empty() && kebab != *name {
                    notes.push(format!("{at}: resource `{name}` renamed `{kebab}` (beta5 names are letters, digits and `-`)"));
                    m.insert("name".into(), kebab.into());
                }
            }
            Value::Mapping(m)
        })
        .collect();
    Value::Sequence(items)
}

/// The community's `authentication: {type: none}` means no authentication: beta5 says so by
/// leaving the key out.
fn drop_auth_none(m: &mut Mapping, at: &str, notes: &mut Notes) {
    let none = m
        .get("authentication")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        == Some("none");
    if none {
        m.shift_remove("authentication");
        notes.push(format!(
            "{at}: `authentication: {{type: none}}` dropped (beta5 leaves it out)"
        ));
    }
}
