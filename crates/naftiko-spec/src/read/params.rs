//! Input parameters and output parameters, shared by the consumed and exposed sides.

use super::reader::{Cx, Need, Obj, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    DataType, InputParameter, OrderedMap, OutputItems, OutputParameter, OutputType, ParamLocation,
    Text,
};
use crate::span::{Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// Which official shape an input parameter follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputContext {
    /// `ConsumedInputParameter`: name, in, value.
    Consumed,
    /// `ExposedInputParameter`: name, in, type, description, pattern, value.
    ExposedRest,
    /// `McpToolInputParameter` (tools and aggregate functions): name, type, description, required.
    Tool,
}

const LOCATIONS: &[(&str, ParamLocation, bool)] = &[
    ("query", ParamLocation::Query, true),
    ("header", ParamLocation::Header, true),
    ("path", ParamLocation::Path, true),
    ("cookie", ParamLocation::Cookie, true),
    ("body", ParamLocation::Body, true),
    ("environment", ParamLocation::Environment, true),
    ("form", ParamLocation::Form, false),
    ("formData", ParamLocation::Form, false),
];

const DATA_TYPES: &[(&str, DataType, bool)] = &[
    ("string", DataType::String, true),
    ("number", DataType::Number, true),
    ("integer", DataType::Integer, true),
    ("boolean", DataType::Boolean, true),
    ("array", DataType::Array, true),
    ("object", DataType::Object, true),
];

/// Reads an input parameter in the official shape `context` calls for.
pub(super) fn read_input(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
    context: InputContext,
) -> Option<InputParameter> {
    let mut o = cx.obj(node, ptr, "an input parameter")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::extended,
        "letters, digits, `-`, `_` or `*`",
    );
    let location = if context == InputContext::Tool {
        None
    } else {
        read_input_location(cx, &mut o, context)
    };
    let dialect_field = |cx: &mut Cx<'_>, o: &Obj<'_>, key: &'static str| {
        let loc = o.key_loc(cx, key);
        cx.push(Diagnostic::deviation(rule::DIALECT_CONSUMED_INPUT_FIELDS, loc, format!("`{key}` on a consumed input is community dialect")).with_hint("the official schema gives consumed inputs only `name`, `in` and `value`; naftiko uses it to check the value"));
    };
    if context == InputContext::Consumed {
        for key in ["type", "required", "description"] {
            if o.has(key) {
                dialect_field(cx, &o, key);
            }
        }
    } else if !o.has("type") {
        o.missing(cx, "type", Need::Schema);
    }
    let data_type = o.choice(cx, "type", DATA_TYPES, |_, _| {});
    if context != InputContext::Consumed && !o.has("description") {
        o.missing(cx, "description", Need::Schema);
    }
    let description = o.text(cx, "description");
    if context == InputContext::ExposedRest && o.has("required") {
        let loc = o.key_loc(cx, "required");
        cx.push(Diagnostic::deviation(rule::DIALECT_EXPOSED_INPUT_REQUIRED, loc, "`required` on an exposed REST input is community dialect").with_hint("path inputs are always required; naftiko honours `required` on query and header inputs"));
    }
    let required = o.boolean(cx, "required");
    let (pattern, value) = if context == InputContext::Tool {
        (None, None)
    } else {
        let pattern = if context == InputContext::ExposedRest {
            o.text(cx, "pattern")
        } else {
            None
        };
        (pattern, o.text(cx, "value"))
    };
    let loc = o.loc(cx);
    o.finish(cx);
    Some(InputParameter {
        name,
        location,
        data_type,
        description,
        required,
        pattern,
        value,
        loc,
    })
}

/// The `in` of an input parameter (not on tools), where `form` is community dialect and
/// `environment` is for consumed inputs only.
fn read_input_location(
    cx: &mut Cx<'_>,
    o: &mut Obj<'_>,
    context: InputContext,
) -> Option<Spanned<ParamLocation>> {
    if !o.has("in") {
        o.missing(cx, "in", Need::Schema);
    }
    let loc = o.choice(cx, "in", LOCATIONS, |cx, v| {
        cx.push(Diagnostic::deviation(rule::DIALECT_PARAM_LOCATION, v.loc.clone(), format!("`in: {}` is community dialect; naftiko sends the parameter as an `application/x-www-form-urlencoded` body field", v.value)).with_hint("the official schema has no form location; a `body: {type: formUrlEncoded, …}` block is the official equivalent"));
    });
    if context == InputContext::ExposedRest
        && let Some(l) = &loc
        && l.value == ParamLocation::Environment
    {
        cx.push(Diagnostic::error(
            rule::INVALID_VALUE,
            l.loc.clone(),
            "`in: environment` is only valid on consumed inputs",
        ));
    }
    loc
}

/// Which official shape an output parameter follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutputContext {
    /// `ConsumedOutputParameter`: name, type, value (a JSONPath).
    Consumed,
    /// Exposed outputs (mapped, orchestrated or mock; checked by the invocation reader).
    Exposed,
}

const OUTPUT_TYPES: &[(&str, OutputType, bool)] = &[
    ("string", OutputType::String, true),
    ("number", OutputType::Number, true),
    ("boolean", OutputType::Boolean, true),
    ("object", OutputType::Object, true),
    ("array", OutputType::Array, true),
    ("integer", OutputType::Integer, false),
];

/// Reads an output parameter in the official shape `context` calls for.
pub(super) fn read_output(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
    context: OutputContext,
) -> Option<OutputParameter> {
    let mut o = cx.obj(node, ptr, "an output parameter")?;
    let need = (context == OutputContext::Consumed).then_some(Need::Runtime);
    // A `name` field is an IdentifierExtended; beta5 leaves the keys of output mappings
    // free (no `propertyNames`).
    let ok: fn(&str) -> bool = if given.is_some() {
        |_| true
    } else {
        formats::extended
    };
    let name = o.name(cx, given, need, ok, "letters, digits, `-`, `_` or `*`");
    if !o.has("type") {
        o.missing(cx, "type", Need::Schema);
    }
    let data_type = o.choice(cx, "type", OUTPUT_TYPES, |cx, v| {
        cx.push(Diagnostic::deviation(rule::DIALECT_INTEGER_TYPE, v.loc.clone(), "`type: integer` on an output is community dialect; naftiko coerces the value to an integer").with_hint("the official schema has `number`"));
    });
    let (mapping, value, constant, properties, items) = if context == OutputContext::Consumed {
        if !o.has("value") {
            o.missing(cx, "value", Need::Runtime);
        }
        (None, o.text(cx, "value"), None, None, None)
    } else {
        let mapping = o.text(cx, "mapping");
        let value = o.text(cx, "value");
        let constant = o.take("const").map(|(n, _)| n.to_json());
        let properties = o
            .take("properties")
            .and_then(|(n, p)| read_output_properties(cx, n, &p, context));
        let items = o
            .take("items")
            .and_then(|(n, p)| read_output_items(cx, n, &p, context));
        (mapping, value, constant, properties, items)
    };
    let loc = o.loc(cx);
    o.finish(cx);
    Some(OutputParameter {
        name,
        data_type,
        mapping,
        value,
        constant,
        properties,
        items,
        loc,
    })
}

/// The `properties` of an object output: a mapping of name to output parameter. In beta5
/// the key is the property's name (it has no `name` field); in alpha2 an orchestrated
/// property carries its own `name` as well.
fn read_output_properties(
    cx: &mut Cx<'_>,
    n: &Node,
    p: &Pointer,
    context: OutputContext,
) -> Option<OrderedMap<OutputParameter>> {
    match &n.kind {
        NodeKind::Map(entries) => {
            let mut map = OrderedMap::default();
            for (k, v) in entries {
                let kp = p.key(&k.key_text());
                let key = Spanned::new(k.key_text(), cx.loc(k, &kp));
                let given = cx.beta5().then(|| key.clone());
                if let Some(out) = read_output(cx, v, &kp, given, context) {
                    map.entries.push((key, out));
                }
            }
            Some(map)
        }
        _ => {
            cx.wrong_type(n, p, "properties", "a mapping of name: output parameter");
            None
        }
    }
}

/// The `items` of an array output: one output parameter, or a list of them.
fn read_output_items(
    cx: &mut Cx<'_>,
    n: &Node,
    p: &Pointer,
    context: OutputContext,
) -> Option<OutputItems> {
    match &n.kind {
        // beta5 orchestrated arrays key their element's fields by name.
        NodeKind::Map(entries)
            if cx.beta5()
                && !entries
                    .iter()
                    .any(|(k, v)| k.as_str() == Some("type") && v.as_str().is_some()) =>
        {
            Some(OutputItems::Many(cx.named(
                n,
                p,
                "items",
                |cx, n, p, name| read_output(cx, n, p, name, context),
            )))
        }
        NodeKind::Map(_) => {
            read_output(cx, n, p, None, context).map(|out| OutputItems::One(Box::new(out)))
        }
        NodeKind::Seq(_) => Some(OutputItems::Many(cx.list(n, p, "items", |cx, n, p| {
            read_output(cx, n, p, None, context)
        }))),
        _ => {
            cx.wrong_type(n, p, "items", "an output parameter (or a list of them)");
            None
        }
    }
}

/// `maxBinarySize` (beta5): a size such as `5MiB` (`^\d+(\.\d+)?(B|KiB|MiB|GiB)$`).
pub(super) fn read_binary_size(cx: &mut Cx<'_>, o: &mut Obj<'_>) -> Option<Text> {
    let size = o.text(cx, "maxBinarySize")?;
    let ok = crate::size::binary_size(&size.value).is_some();
    if !ok {
        cx.push(
            Diagnostic::error(
                rule::INVALID_VALUE,
                size.loc.clone(),
                format!(
                    "`maxBinarySize` is `{}`; expected a size such as `512KiB` or `5MiB`",
                    size.value
                ),
            )
            .with_hint("a number followed by `B`, `KiB`, `MiB` or `GiB`"),
        );
        return None;
    }
    Some(size)
}
