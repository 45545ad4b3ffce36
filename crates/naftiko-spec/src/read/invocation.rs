//! What an invocable unit runs (`ref`, `call` + `with`, `steps` + `mappings`,
//! `outputParameters`), and the official schema's rules on which output shape goes with
//! which: *mapped* outputs (JSONPath `mapping`) with `call`, *orchestrated* outputs (named,
//! filled by step `mappings`) with `steps`, *mock* outputs (named static `value`) alone.

use super::params::{InputContext, OutputContext, read_input, read_output};
use super::reader::{Cx, Need, Obj, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    AggregateFunction, Invocation, OrderedMap, OutputItems, OutputParameter, OutputType, Semantics,
    Step, StepMapping, Text, WithValue,
};
use crate::span::{Loc, Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// The kind of unit an invocation belongs to; each has its own official combinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    RestOperation,
    McpTool,
    McpResource,
    Function,
}

/// Reads `ref`, `call`, `with`, `steps`, `mappings` and `outputParameters` from `o`, the
/// invocation of a `unit`.
pub(super) fn read_invocation(cx: &mut Cx<'_>, o: &mut Obj<'_>, unit: Unit) -> Invocation {
    let reference = o.text(cx, "ref");
    let call = o.text(cx, "call");
    for (field, v) in [("ref", &reference), ("call", &call)] {
        if let Some(v) = v {
            cx.pattern(
                v,
                field,
                formats::reference(v),
                "`namespace.name` (letters, digits and `-` on each side of one `.`)",
            );
        }
    }
    let with = o
        .take("with")
        .map(|(n, p)| read_with(cx, n, &p))
        .unwrap_or_default();
    let steps = o.named(cx, "steps", read_step);
    let mappings = o.list(cx, "mappings", read_mapping);
    let form = beta5_output_form(unit, call.is_some(), reference.is_some());
    let output_parameters = read_unit_outputs(cx, o, form);
    Invocation {
        reference,
        call,
        with,
        steps,
        mappings,
        output_parameters,
    }
}

/// The form the beta5 schema gives a unit's `outputParameters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputForm {
    /// A list (the mapped outputs of a `call`).
    List,
    /// A mapping keyed by name (orchestrated and mock outputs).
    Keyed,
    /// Either: a unit with `ref` (the schema leaves its outputs free), or a REST operation
    /// (whose schema checks list items only, so a mapping of outputs is valid there too).
    Either,
}

/// Which form of `outputParameters` the beta5 schema allows on a `unit` with (or without)
/// `call` and `ref`.
fn beta5_output_form(unit: Unit, call: bool, reference: bool) -> OutputForm {
    if reference || unit == Unit::RestOperation {
        OutputForm::Either
    } else if call {
        OutputForm::List
    } else {
        OutputForm::Keyed
    }
}

/// The `outputParameters` of an invocable unit. In beta5 a mapping is read keyed by name
/// and a list as it is; the form `form` does not allow is read too, as a deviation.
fn read_unit_outputs(cx: &mut Cx<'_>, o: &mut Obj<'_>, form: OutputForm) -> Vec<OutputParameter> {
    let Some((node, ptr)) = o.take("outputParameters") else {
        return Vec::new();
    };
    let keyed = matches!(node.kind, NodeKind::Map(_));
    if !cx.beta5() || !keyed {
        if cx.beta5()
            && form == OutputForm::Keyed
            && matches!(&node.kind, NodeKind::Seq(items) if !items.is_empty())
        {
            let loc = cx.loc(node, &ptr);
            cx.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, "orchestrated and mock `outputParameters` are keyed by name in ikanos 1.0.0-beta5, not a list").with_hint("write `outputParameters:` as a mapping of name: output"));
        }
        return cx.list(node, &ptr, "outputParameters", |cx, n, p| {
            read_output(cx, n, p, None, OutputContext::Exposed)
        });
    }
    if form == OutputForm::List {
        let loc = cx.loc(node, &ptr);
        cx.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, loc, "the `outputParameters` of a `call` are a list of mapped outputs in ikanos 1.0.0-beta5, not keyed by name").with_hint("write them as a list; a mapped output has no name"));
    }
    cx.named(node, &ptr, "outputParameters", |cx, n, p, name| {
        read_output(cx, n, p, name, OutputContext::Exposed)
    })
}

pub(super) fn read_with(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> OrderedMap<WithValue> {
    let mut map = OrderedMap::default();
    let NodeKind::Map(entries) = &node.kind else {
        cx.wrong_type(node, ptr, "with", "a mapping of parameter: value");
        return map;
    };
    for (k, v) in entries {
        let name = k.key_text();
        let kp = ptr.key(&name);
        match &v.kind {
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) => {}
            _ => {
                let loc = cx.loc(v, &kp);
                cx.push(Diagnostic::deviation(
                    rule::TYPE_MISMATCH,
                    loc,
                    format!(
                        "`with.{name}` is {}; the official schema allows a string or a number",
                        v.type_name()
                    ),
                ));
            }
        }
        map.entries.push((
            Spanned::new(name, cx.loc(k, &kp)),
            Spanned::new(v.to_json(), cx.loc(v, &kp)),
        ));
    }
    map
}

/// Reads a step of `steps`: its `type` (or the one its fields imply), `name`, and the
/// fields of that type.
fn read_step(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer, given: Option<Text>) -> Option<Step> {
    let mut o = cx.obj(node, ptr, "a step")?;
    let kind = match o.text(cx, "type") {
        Some(k) => Some(k),
        None => {
            o.missing(cx, "type", Need::Schema);
            None
        }
    };
    let effective = effective_step_type(cx, &o, kind.as_ref())?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::kebab,
        "letters, digits and `-`",
    );
    let mut step = Step {
        kind,
        name,
        call: None,
        with: OrderedMap::default(),
        index: None,
        match_field: None,
        lookup_value: None,
        output_parameters: Vec::new(),
        language: None,
        location: None,
        file: None,
        dependencies: Vec::new(),
        loc: o.loc(cx),
    };
    match effective {
        "call" => read_call_step(cx, &mut o, &mut step),
        "lookup" => read_lookup_step(cx, &mut o, &mut step),
        _ => read_script_step(cx, &mut o, &mut step),
    }
    o.finish(cx);
    Some(step)
}

/// The type of a step: its `type`, or when it has none the one its fields imply (`call`,
/// `index` or `file`); `None` for an unknown type (reported) or no clue at all.
fn effective_step_type(cx: &mut Cx<'_>, o: &Obj<'_>, kind: Option<&Text>) -> Option<&'static str> {
    match kind.map(|k| k.as_str()) {
        Some("call") => Some("call"),
        Some("lookup") => Some("lookup"),
        Some("script") => Some("script"),
        Some(other) => {
            if let Some(k) = kind {
                cx.push(Diagnostic::error(
                    rule::INVALID_VALUE,
                    k.loc.clone(),
                    format!("step `type` is `{other}`; expected one of `call`, `lookup`, `script`"),
                ));
            }
            None
        }
        None if o.has("call") => Some("call"),
        None if o.has("index") => Some("lookup"),
        None if o.has("file") => Some("script"),
        None => None,
    }
}

/// The fields of a `call` step: `call` and `with`.
fn read_call_step(cx: &mut Cx<'_>, o: &mut Obj<'_>, step: &mut Step) {
    step.call = o.req_text(cx, "call", Need::Runtime);
    if let Some(c) = &step.call {
        cx.pattern(c, "call", formats::reference(c), "`namespace.operation`");
    }
    step.with = o
        .take("with")
        .map(|(n, p)| read_with(cx, n, &p))
        .unwrap_or_default();
}

/// The fields of a `lookup` step: `index`, `match`, `lookupValue` and `outputParameters`.
fn read_lookup_step(cx: &mut Cx<'_>, o: &mut Obj<'_>, step: &mut Step) {
    step.index = o.req_text(cx, "index", Need::Runtime);
    step.match_field = o.req_text(cx, "match", Need::Runtime);
    step.lookup_value = o.req_text(cx, "lookupValue", Need::Runtime);
    if !o.has("outputParameters") {
        o.missing(cx, "outputParameters", Need::Runtime);
    }
    step.output_parameters = o.texts(cx, "outputParameters");
    for (field, v) in [("index", &step.index), ("match", &step.match_field)] {
        if let Some(v) = v {
            cx.pattern(v, field, formats::kebab(v), "letters, digits and `-`");
        }
    }
}

/// The fields of a `script` step: `language`, `location`, `file`, `dependencies` and
/// `with`.
fn read_script_step(cx: &mut Cx<'_>, o: &mut Obj<'_>, step: &mut Step) {
    let langs: &[(&str, &str, bool)] = &[
        ("javascript", "javascript", true),
        ("python", "python", true),
        ("groovy", "groovy", true),
    ];
    step.language = o
        .choice(cx, "language", langs, |_, _| {})
        .map(|l| Spanned::new(l.value.to_string(), l.loc));
    step.location = o.text(cx, "location");
    if let Some(l) = &step.location {
        cx.pattern(l, "location", l.starts_with("file:///"), "a `file:///` URI");
    }
    step.file = o.req_text(cx, "file", Need::Runtime);
    step.dependencies = o.texts(cx, "dependencies");
    step.with = o
        .take("with")
        .map(|(n, p)| read_with(cx, n, &p))
        .unwrap_or_default();
}

fn read_mapping(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<StepMapping> {
    let mut o = cx.obj(node, ptr, "a step mapping")?;
    let key = if cx.beta5() { "target" } else { "targetName" };
    let target_name = o.req_text(cx, key, Need::Runtime);
    if let Some(t) = &target_name {
        cx.pattern(
            t,
            key,
            formats::target_name(t),
            "letters, digits, `-`, `_` or `.`",
        );
    }
    let value = o.req_text(cx, "value", Need::Runtime);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(StepMapping {
        target_name,
        value,
        loc,
    })
}

pub(super) fn read_function(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<AggregateFunction> {
    let what = if cx.beta5() {
        "an aggregate flow"
    } else {
        "an aggregate function"
    };
    let mut o = cx.obj(node, ptr, what)?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::kebab,
        "letters, digits and `-`",
    );
    let description = o.req_text(cx, "description", Need::Schema);
    let tags = o.tags(cx);
    let output_media_type = if cx.beta5() {
        o.text(cx, "outputMediaType")
    } else {
        None
    };
    let semantics = o.take("semantics").and_then(|(n, p)| {
        let mut s = cx.obj(n, &p, "`semantics`")?;
        let safe = s.boolean(cx, "safe");
        let idempotent = s.boolean(cx, "idempotent");
        let cacheable = s.boolean(cx, "cacheable");
        let loc = s.loc(cx);
        s.finish(cx);
        Some(Semantics {
            safe,
            idempotent,
            cacheable,
            loc,
        })
    });
    let input_parameters = o.named(cx, "inputParameters", |cx, n, p, name| {
        read_input(cx, n, p, name, InputContext::Tool)
    });
    if o.has("ref") {
        let loc = o.key_loc(cx, "ref");
        cx.push(Diagnostic::error(
            rule::UNKNOWN_KEY,
            loc,
            "aggregate functions cannot `ref` other functions",
        ));
    }
    let invocation = read_invocation(cx, &mut o, Unit::Function);
    let loc = o.loc(cx);
    check_outputs(cx, Unit::Function, &invocation, &loc, false);
    o.finish(cx);
    Some(AggregateFunction {
        name,
        description,
        tags,
        output_media_type,
        semantics,
        input_parameters,
        invocation,
        loc,
    })
}

/// One way an output does not fit a shape.
struct Problem {
    loc: Loc,
    message: String,
    /// The runtime cannot use it (an error even without `--strict`).
    fatal: bool,
}

/// The official shapes of exposed outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Mapped,
    /// Orchestrated outputs, whose arrays' `items` are keyed by name when `keyed_items`
    /// (beta5) and a list of named outputs otherwise (alpha2).
    Orchestrated {
        keyed_items: bool,
    },
    Mock,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Mapped => "a mapped (used with `call`)",
            Shape::Orchestrated { .. } => "an orchestrated (used with `steps`)",
            Shape::Mock => "a mock (used without `call` or `steps`)",
        }
    }
}

/// Collects how `out` (nested inside another output when `nested`) does not fit `shape`.
fn fits(out: &OutputParameter, shape: Shape, nested: bool, problems: &mut Vec<Problem>) {
    let Some(ty) = out.data_type.as_ref().map(|t| t.value) else {
        return;
    };
    match shape {
        Shape::Mapped => fits_mapped(out, ty, nested, problems),
        Shape::Orchestrated { keyed_items } => fits_orchestrated(out, ty, keyed_items, problems),
        Shape::Mock => fits_mock(out, ty, problems),
    }
}

/// True when the output is named by its key (beta5 keyed `outputParameters`, `properties`
/// and `items`): such a name's pointer is the output's own.
fn named_by_key(out: &OutputParameter) -> bool {
    out.name
        .as_ref()
        .is_some_and(|n| n.loc.pointer == out.loc.pointer)
}

/// The output's own `name` field, if it has one (not a name given by its key).
fn name_field(out: &OutputParameter) -> Option<&Text> {
    out.name.as_ref().filter(|_| !named_by_key(out))
}

/// Records a problem at the output `out`.
fn problem(problems: &mut Vec<Problem>, out: &OutputParameter, message: String, fatal: bool) {
    problems.push(Problem {
        loc: out.loc.clone(),
        message,
        fatal,
    })
}

/// A mapped output: no `name`; a scalar has `mapping` or `value`, an object `properties`
/// and an array one output parameter as `items`, each mapped in turn.
fn fits_mapped(out: &OutputParameter, ty: OutputType, nested: bool, problems: &mut Vec<Problem>) {
    if let Some(n) = name_field(out) {
        problems.push(Problem {
            loc: n.loc.clone(),
            message: "a mapped output has no `name` (its key in `properties` names it)".into(),
            fatal: false,
        });
    }
    let shape = Shape::Mapped;
    match ty {
        t if t.is_scalar() => {
            match (&out.mapping, &out.value) {
                (None, None) if !nested || out.constant.is_none() => problem(problems, out, format!("this {} output has neither `mapping` nor `value`", t.as_str()), true),
                (Some(_), Some(_)) => problem(problems, out, "`mapping` and `value` together: the official schema allows one of them (`value` wins)".into(), false),
                _ => {}
            }
            if out.properties.is_some() || out.items.is_some() {
                let message = format!("a {} output has no `properties` or `items`", t.as_str());
                problem(problems, out, message, false);
            }
        }
        OutputType::Object => {
            if out.items.is_some() {
                let message = "an object output has `properties`, not `items`".into();
                problem(problems, out, message, false);
            }
            if let Some(props) = &out.properties {
                props
                    .iter()
                    .for_each(|(_, p)| fits(p, shape, true, problems));
            }
        }
        _ => {
            if out.properties.is_some() {
                let message = "an array output has `items`, not `properties`".into();
                problem(problems, out, message, false);
            }
            match &out.items {
                None => {}
                Some(OutputItems::One(item)) => fits(item, shape, true, problems),
                Some(OutputItems::Many(items)) => {
                    let message =
                        "`items` of a mapped array is one output parameter, not a list".into();
                    problem(problems, out, message, false);
                    items.iter().for_each(|i| fits(i, shape, true, problems));
                }
            }
        }
    }
}

/// An orchestrated output: named, filled by step `mappings` only; an object has
/// `properties` and an array output parameters as `items` (keyed by name when
/// `keyed_items`, a list otherwise), each orchestrated in turn.
fn fits_orchestrated(
    out: &OutputParameter,
    ty: OutputType,
    keyed_items: bool,
    problems: &mut Vec<Problem>,
) {
    if out.name.is_none() {
        let message = "an orchestrated output needs a `name` (step `mappings` target it)".into();
        problem(problems, out, message, false);
    }
    if out.mapping.is_some() || out.value.is_some() || out.constant.is_some() {
        problem(problems, out, "an orchestrated output takes its value from step `mappings`, not from `mapping`/`value`/`const`".into(), false);
    }
    let shape = Shape::Orchestrated { keyed_items };
    match ty {
        OutputType::Object => match &out.properties {
            None => {
                let message = "an orchestrated object output needs `properties`".into();
                problem(problems, out, message, false);
            }
            Some(props) => props
                .iter()
                .for_each(|(_, p)| fits(p, shape, true, problems)),
        },
        OutputType::Array => match &out.items {
            Some(OutputItems::Many(items)) if !items.is_empty() => {
                if keyed_items && !items.iter().all(named_by_key) {
                    let message = "the `items` of an orchestrated array are keyed by name in ikanos 1.0.0-beta5, not a list".into();
                    problem(problems, out, message, false);
                }
                items.iter().for_each(|i| fits(i, shape, true, problems))
            }
            _ => {
                let form = if keyed_items {
                    "output parameters keyed by name"
                } else {
                    "a list of output parameters"
                };
                let message = format!("an orchestrated array output needs `items`: {form}");
                problem(problems, out, message, false);
            }
        },
        _ => {
            if out.properties.is_some() || out.items.is_some() {
                let message = "a scalar output has no `properties` or `items`".into();
                problem(problems, out, message, false);
            }
        }
    }
}

/// A mock output: a named scalar with a static `value`, and nothing else.
fn fits_mock(out: &OutputParameter, ty: OutputType, problems: &mut Vec<Problem>) {
    if out.name.is_none() {
        problem(problems, out, "a mock output needs a `name`".into(), true);
    }
    if out.value.is_none() {
        problem(
            problems,
            out,
            "a mock output needs a static `value`".into(),
            true,
        );
    }
    if !matches!(
        ty,
        OutputType::String | OutputType::Number | OutputType::Boolean | OutputType::Integer
    ) {
        let message = format!(
            "a mock output is a string, number or boolean, not {}",
            ty.as_str()
        );
        problem(problems, out, message, false);
    }
    if out.mapping.is_some()
        || out.constant.is_some()
        || out.properties.is_some()
        || out.items.is_some()
    {
        let message = "a mock output has only `name`, `type` and `value`".into();
        problem(problems, out, message, false);
    }
}

/// Reports the community's pass-through outputs (`{type: object, mapping: $.}`: an object
/// without `properties`, an array without `items`), at any depth.
fn report_untyped(cx: &mut Cx<'_>, out: &OutputParameter) {
    let Some(ty) = out.data_type.as_ref().map(|t| t.value) else {
        return;
    };
    match ty {
        OutputType::Object if out.properties.is_none() => cx.push(
            Diagnostic::deviation(rule::DIALECT_UNTYPED_OUTPUT, out.loc.clone(), "an object output without `properties` is community dialect; naftiko passes the mapped value through as it is")
                .with_hint("declare `properties` to shape the object"),
        ),
        OutputType::Array if out.items.is_none() => cx.push(
            Diagnostic::deviation(rule::DIALECT_UNTYPED_OUTPUT, out.loc.clone(), "an array output without `items` is community dialect; naftiko passes the mapped value through as it is")
                .with_hint("declare `items` to shape the elements"),
        ),
        _ => {}
    }
    if let Some(props) = &out.properties {
        props.iter().for_each(|(_, p)| report_untyped(cx, p));
    }
    match &out.items {
        Some(OutputItems::One(i)) => report_untyped(cx, i),
        Some(OutputItems::Many(items)) => items.iter().for_each(|i| report_untyped(cx, i)),
        None => {}
    }
}

fn problems_for(outputs: &[OutputParameter], shape: Shape) -> Vec<Problem> {
    let mut problems = Vec::new();
    for out in outputs {
        fits(out, shape, false, &mut problems);
    }
    problems
}

/// Checks that `outputParameters` have the shape the unit's `call`/`steps`/`ref` calls
/// for, and that the unit has something to run.
pub(super) fn check_outputs(
    cx: &mut Cx<'_>,
    unit: Unit,
    inv: &Invocation,
    unit_loc: &Loc,
    has_location: bool,
) {
    let outputs = &inv.output_parameters;
    if unit == Unit::McpResource {
        check_resource_sources(cx, inv, unit_loc, has_location);
    }
    if inv.reference.is_some() && unit != Unit::McpResource {
        outputs.iter().for_each(|o| report_untyped(cx, o));
        return;
    }
    let Some(shape) = expected_shape(cx, unit, inv, unit_loc, has_location) else {
        return;
    };
    let mut problems = problems_for(outputs, shape);
    // REST operations may also use orchestrated outputs when they have steps and a name.
    if unit == Unit::RestOperation
        && !problems.is_empty()
        && !inv.steps.is_empty()
        && problems_for(outputs, orchestrated(cx)).is_empty()
    {
        problems.clear();
    }
    if unit == Unit::RestOperation && shape == Shape::Mapped && is_mock(inv) {
        if cx.beta5() && outputs.iter().all(named_by_key) {
            // beta5's schema checks only list items of a REST operation's outputs, so
            // mock outputs keyed by name are valid there.
            return;
        }
        // A REST mock operation: allowed by naftiko, not by the official schema.
        cx.push(Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, unit_loc.clone(), "a REST operation with mock outputs (named static values) is outside the official schema"));
        return;
    }
    if shape == Shape::Mapped {
        // Orchestrated and mock outputs without `properties`/`items` are shape problems.
        outputs.iter().for_each(|o| report_untyped(cx, o));
    }
    for p in problems {
        let message = format!("{}; expected {} output", p.message, shape.name());
        cx.push(if p.fatal {
            Diagnostic::error(rule::SCHEMA_CONSTRAINT, p.loc, message)
        } else {
            Diagnostic::deviation(rule::SCHEMA_CONSTRAINT, p.loc, message)
        });
    }
}

/// True when `inv` runs nothing and its outputs are mock outputs (named static values).
fn is_mock(inv: &Invocation) -> bool {
    inv.call.is_none()
        && inv.steps.is_empty()
        && !inv.output_parameters.is_empty()
        && problems_for(&inv.output_parameters, Shape::Mock).is_empty()
}

/// An MCP resource takes its content from exactly one of `call`, `steps` or `location`.
fn check_resource_sources(cx: &mut Cx<'_>, inv: &Invocation, unit_loc: &Loc, has_location: bool) {
    let sources = [inv.call.is_some(), !inv.steps.is_empty(), has_location]
        .iter()
        .filter(|b| **b)
        .count();
    if sources > 1 {
        cx.push(Diagnostic::error(
            rule::CONFLICTING_FIELDS,
            unit_loc.clone(),
            "an MCP resource has exactly one of `call`, `steps` or `location`",
        ));
    } else if sources == 0 {
        cx.push(Diagnostic::error(
            rule::REQUIRED_FIELD,
            unit_loc.clone(),
            "an MCP resource needs one of `call`, `steps` or `location`",
        ));
    }
}

/// The orchestrated shape of the document's version.
fn orchestrated(cx: &Cx<'_>) -> Shape {
    Shape::Orchestrated {
        keyed_items: cx.beta5(),
    }
}

/// The output shape a unit's invocation calls for; `None` when its outputs are not
/// checked: a resource read from a `location`, or a unit with nothing to run (reported).
fn expected_shape(
    cx: &mut Cx<'_>,
    unit: Unit,
    inv: &Invocation,
    unit_loc: &Loc,
    has_location: bool,
) -> Option<Shape> {
    if inv.call.is_some() {
        Some(Shape::Mapped)
    } else if !inv.steps.is_empty() {
        Some(orchestrated(cx))
    } else if unit == Unit::RestOperation {
        Some(Shape::Mapped)
    } else if has_location {
        None
    } else if inv.output_parameters.is_empty() {
        let what = match unit {
            Unit::McpTool => "an MCP tool",
            Unit::Function => "an aggregate function",
            _ => "this unit",
        };
        cx.push(Diagnostic::error(
            rule::REQUIRED_FIELD,
            unit_loc.clone(),
            format!("{what} needs `call`, `steps`, `ref` or mock `outputParameters`"),
        ));
        None
    } else {
        Some(Shape::Mock)
    }
}
