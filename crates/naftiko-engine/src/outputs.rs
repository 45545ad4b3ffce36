//! Output parameters: shaping an upstream answer (already converted to JSON) into the value
//! an operation returns (docs/semantics.md §4).
//!
//! Each output is compiled once: its JSONPath (`mapping`, or a `value` starting with `$`),
//! its type, and its nested `properties`/`items`. Shaping walks the compiled tree: every
//! level is relative to its parent's node, `type` coerces where no information is lost, and
//! anything else is a [`InvokeError::Mapping`] naming the output.

use naftiko_expr::JsonPathExpr;
use naftiko_spec::model::{OutputItems, OutputParameter, OutputType};
use serde_json::{Map, Value};

use crate::capture::Capture;
use crate::coerce::{coerce, mapping};
use crate::error::InvokeError;
use crate::scope::{Names, Resolve, Tpl};
use crate::select::Selection;

/// A compiled output parameter.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    name: Option<String>,
    ty: Option<OutputType>,
    path: Option<JsonPathExpr>,
    /// A static value (`value` not starting with `$`): a template rendered per call.
    fixed: Option<Tpl>,
    constant: Option<Value>,
    properties: Vec<(String, Output)>,
    items: Option<Box<Output>>,
}

/// The outputs of one operation and how they combine.
#[derive(Debug, Clone)]
pub(crate) struct Outputs {
    list: Vec<Output>,
    /// What the outputs can reach of a JSON document (`select.rs`).
    selection: Selection,
    /// The outputs compiled for shaping without a `Value` tree, when they can be
    /// (`capture.rs`).
    capture: Option<std::sync::Arc<Capture>>,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            list: Vec::new(),
            selection: Selection::none(),
            capture: None,
        }
    }
}

impl Outputs {
    /// Compiles a list of output parameters.
    pub(crate) fn compile(params: &[OutputParameter], names: &Names<'_>) -> Result<Self, String> {
        let list = params
            .iter()
            .map(|p| Output::compile(p, names))
            .collect::<Result<Vec<_>, _>>()?;
        let mut selection = Selection::none();
        for o in &list {
            o.select(&mut selection);
        }
        let capture = simple_fields(&list)
            .and_then(|(fields, bare)| Capture::of(fields, bare))
            .map(std::sync::Arc::new);
        Ok(Outputs {
            list,
            selection: selection.finish(),
            capture,
        })
    }

    /// The outputs compiled for shaping a JSON answer without a `Value` tree, when each
    /// is a named output read by one path (`capture.rs`).
    pub(crate) fn capture(&self) -> Option<&Capture> {
        self.capture.as_deref()
    }

    /// What the outputs can reach of a JSON document: [`crate::select::parse`] keeps only
    /// that.
    pub(crate) fn selection(&self) -> &Selection {
        &self.selection
    }

    /// True when there is nothing to shape (the answer passes through).
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// True when every output has a static value or constant (a mock: no upstream needed).
    pub(crate) fn is_mock(&self) -> bool {
        !self.list.is_empty() && self.list.iter().all(Output::is_static)
    }

    /// Every JSONPath of the outputs, nested ones too (for tests that make documents the
    /// paths find something in).
    #[cfg(test)]
    pub(crate) fn queries(&self) -> Vec<&JsonPathExpr> {
        fn all<'o>(o: &'o Output, out: &mut Vec<&'o JsonPathExpr>) {
            out.extend(o.path.as_ref());
            o.properties.iter().for_each(|(_, p)| all(p, out));
            o.items.iter().for_each(|i| all(i, out));
        }
        let mut out = Vec::new();
        self.list.iter().for_each(|o| all(o, &mut out));
        out
    }

    /// True when some output renders a template that reads a value of the call (a bound
    /// value, an argument, a `with` value): shaping then needs the call's scope.
    pub(crate) fn reads_scope(&self) -> bool {
        self.list.iter().any(Output::reads_scope)
    }

    /// True when some output reads the document with a JSONPath.
    pub(crate) fn reads_document(&self) -> bool {
        self.list.iter().any(Output::reads_document)
    }

    /// A JSON Schema of what [`Outputs::shape`] produces (`None` when nothing is declared).
    pub(crate) fn schema(&self) -> Option<Value> {
        match self.list.as_slice() {
            [] => None,
            [single] if single.name.is_none() => Some(single.schema()),
            list => {
                let mut props = Map::new();
                for o in list {
                    if let Some(n) = &o.name {
                        props.insert(n.clone(), o.schema());
                    }
                }
                Some(serde_json::json!({"type": "object", "properties": props}))
            }
        }
    }

    /// What a `call` step keeps of a consumed operation's answer `doc` (the reference
    /// engine's step-output resolution): an array answer keeps its elements, each object
    /// with the named outputs added as fields read from that element (so a later `lookup`
    /// can match on them); any other answer is [`Outputs::shape`]d.
    pub(crate) fn step_result(&self, doc: Value, cx: &dyn Resolve) -> Result<Value, InvokeError> {
        let Value::Array(elements) = doc else {
            return self.shape(&doc, cx);
        };
        let named: Vec<(&str, &Output)> = self
            .list
            .iter()
            .filter_map(|o| Some((o.name.as_deref()?, o)))
            .collect();
        if named.is_empty() {
            return Ok(Value::Array(elements));
        }
        let mut out = Vec::with_capacity(elements.len());
        for (i, element) in elements.into_iter().enumerate() {
            let mut augmented = match &element {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            for (name, o) in &named {
                let v = o.shape(&element, cx, &format!("[{i}].{name}"))?;
                if !v.is_null() {
                    augmented.insert((*name).to_owned(), v);
                }
            }
            out.push(Value::Object(augmented));
        }
        Ok(Value::Array(out))
    }

    /// Shapes `doc`: one unnamed output is the value itself; named outputs make an object
    /// `{name: value, …}` in declaration order.
    pub(crate) fn shape(&self, doc: &Value, cx: &dyn Resolve) -> Result<Value, InvokeError> {
        match self.list.as_slice() {
            [single] if single.name.is_none() => single.shape(doc, cx, "$"),
            list => {
                let mut out = Map::new();
                for o in list {
                    let Some(name) = &o.name else { continue };
                    out.insert(name.clone(), o.shape(doc, cx, name)?);
                }
                Ok(Value::Object(out))
            }
        }
    }
}

/// `(name, path, type)` of every output when each is named (distinctly), read by a
/// JSONPath, and neither a template, a constant, nor made of `properties` or `items`; or
/// of one such output without a name (labelled `$`, as [`Outputs::shape`] labels it),
/// with `true`: what [`Capture`] can shape. `None` otherwise.
#[allow(clippy::type_complexity)]
fn simple_fields(
    list: &[Output],
) -> Option<(Vec<(&str, &JsonPathExpr, Option<OutputType>)>, bool)> {
    let bare = matches!(list, [single] if single.name.is_none());
    let mut fields: Vec<(&str, &JsonPathExpr, Option<OutputType>)> = Vec::new();
    for o in list {
        let name = if bare { "$" } else { o.name.as_deref()? };
        let path = o.path.as_ref()?;
        let plain = o.fixed.is_none()
            && o.constant.is_none()
            && o.properties.is_empty()
            && o.items.is_none();
        if !plain || fields.iter().any(|(n, _, _)| *n == name) {
            return None;
        }
        fields.push((name, path, o.ty));
    }
    (!fields.is_empty()).then_some((fields, bare))
}

impl Output {
    fn compile(p: &OutputParameter, names: &Names<'_>) -> Result<Self, String> {
        let text = p.mapping.as_ref().or(p.value.as_ref());
        let (path, fixed) = match text {
            Some(t) if t.value.trim_start().starts_with('$') || p.mapping.is_some() => (
                Some(JsonPathExpr::parse(t.value.trim()).map_err(|e| e.to_string())?),
                None,
            ),
            Some(t) => (None, Some(Tpl::compile(&t.value, names)?)),
            None => (None, None),
        };
        let properties = match &p.properties {
            Some(map) => map
                .iter()
                .map(|(k, v)| Ok((k.value.clone(), Output::compile(v, names)?)))
                .collect::<Result<Vec<_>, String>>()?,
            None => Vec::new(),
        };
        let items = match &p.items {
            Some(OutputItems::One(i)) => Some(Box::new(Output::compile(i, names)?)),
            Some(OutputItems::Many(list)) => match list.first() {
                Some(i) => Some(Box::new(Output::compile(i, names)?)),
                None => None,
            },
            None => None,
        };
        Ok(Output {
            name: p.name.as_ref().map(|n| n.value.clone()),
            ty: p.data_type.as_ref().map(|t| t.value),
            path,
            fixed,
            constant: p.constant.clone(),
            properties,
            items,
        })
    }

    fn schema(&self) -> Value {
        let mut s = Map::new();
        if let Some(t) = self.ty {
            s.insert("type".to_owned(), Value::String(t.as_str().to_owned()));
        }
        if !self.properties.is_empty() {
            let props: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, p)| (k.clone(), p.schema()))
                .collect();
            s.insert("properties".to_owned(), Value::Object(props));
        }
        if let Some(items) = &self.items {
            s.insert("items".to_owned(), items.schema());
        }
        Value::Object(s)
    }

    fn is_static(&self) -> bool {
        if self.constant.is_some() || self.fixed.is_some() {
            return true;
        }
        if self.path.is_some() {
            return false;
        }
        (!self.properties.is_empty() && self.properties.iter().all(|(_, p)| p.is_static()))
            || self.items.as_deref().is_some_and(Output::is_static)
    }

    /// Adds to `at` (the parent's node) what shaping this output reads of it, mirroring
    /// [`Output::shape`]: the node its path selects, then what its properties or items
    /// read of that, or all of it when it is taken whole.
    fn select(&self, at: &mut Selection) {
        if self.constant.is_some() || self.fixed.is_some() {
            return;
        }
        let structured = !self.properties.is_empty() || self.items.is_some();
        let target = match &self.path {
            Some(p) => {
                let (steps, complete) = p.steps();
                let Some(target) = at.descend(&steps) else {
                    return;
                };
                if !complete {
                    target.keep_all();
                    return;
                }
                target
            }
            None if structured => at,
            None => return,
        };
        match (self.ty, self.items.as_deref()) {
            (Some(OutputType::Object), _) if !self.properties.is_empty() => {
                for (_, p) in &self.properties {
                    p.select(target);
                }
            }
            (Some(OutputType::Array), Some(items)) => {
                // Each element of an array, or an object taken as a list of one.
                if let Some(elements) = target.elements() {
                    items.select(elements);
                }
                items.select(target);
            }
            _ => target.keep_all(),
        }
    }

    fn reads_document(&self) -> bool {
        self.path.is_some()
            || self.properties.iter().any(|(_, p)| p.reads_document())
            || self.items.as_deref().is_some_and(Output::reads_document)
    }

    /// Shapes `node` (the parent's node); `label` names this output in errors.
    /// True when it, or an output nested in it, renders a template with variables.
    fn reads_scope(&self) -> bool {
        self.fixed.as_ref().is_some_and(|t| !t.sources().is_empty())
            || self.properties.iter().any(|(_, p)| p.reads_scope())
            || self.items.as_deref().is_some_and(Output::reads_scope)
    }

    fn shape(&self, node: &Value, cx: &dyn Resolve, label: &str) -> Result<Value, InvokeError> {
        if let Some(c) = &self.constant {
            return Ok(c.clone());
        }
        if let Some(t) = &self.fixed {
            return coerce(Value::String(t.render(cx)), self.ty, label);
        }
        let structured = !self.properties.is_empty() || self.items.is_some();
        let selected = match &self.path {
            Some(p) if p.is_root() => node.clone(),
            Some(p) => p.extract(node),
            // Grouping objects and item shapes without a path work on the parent's node;
            // a scalar without a path has nothing to read.
            None if structured => node.clone(),
            None => Value::Null,
        };
        match self.ty {
            Some(OutputType::Object) if !self.properties.is_empty() => {
                // A mock object (static properties) has its values with no document.
                if selected.is_null() && !self.is_static() {
                    return Ok(Value::Null);
                }
                let mut out = Map::new();
                for (k, p) in &self.properties {
                    out.insert(k.clone(), p.shape(&selected, cx, &format!("{label}.{k}"))?);
                }
                Ok(Value::Object(out))
            }
            // A mock array (static items, no path) is a list of one item, as the reference
            // engine builds it.
            Some(OutputType::Array) if selected.is_null() && self.is_static() => {
                match self.items.as_deref() {
                    Some(items) => Ok(Value::Array(vec![items.shape(
                        &Value::Null,
                        cx,
                        &format!("{label}[0]"),
                    )?])),
                    None => Ok(Value::Array(Vec::new())),
                }
            }
            Some(OutputType::Array) if self.items.is_some() => {
                // One element where a list is expected is a list of one: XML cannot tell a
                // single repeated element from a lone one (formats/xml.rs).
                let selected = match selected {
                    Value::Object(_) => Value::Array(vec![selected]),
                    other => other,
                };
                let (Some(items), Value::Array(elements)) = (self.items.as_deref(), &selected)
                else {
                    return match selected {
                        Value::Null => Ok(Value::Null),
                        _ => Err(mapping(label, "expected an array")),
                    };
                };
                elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| items.shape(e, cx, &format!("{label}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            ty => coerce(selected, ty, label),
        }
    }
}
