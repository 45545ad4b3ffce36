//! Templates compiled against a capability's names: every `{{…}}` variable is classified at
//! build time as a bind, an inbound argument or a local name, so rendering a request never
//! parses or guesses (docs/semantics.md §2, §5).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};

use naftiko_expr::Template;
use naftiko_expr::template::walk;
use serde_json::Value;

use crate::bindings::BindTable;

/// What one template variable refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarSource {
    /// A bound variable (index into the document's [`BindTable`]).
    Bind(usize),
    /// `rest.x`, `tools.x`, `<exposes-namespace>.x`: the inbound argument `x`, then `rest`
    /// walked into it.
    Arg { name: String, rest: Vec<String> },
    /// Any other name: the local scope (resolved parameters, `with` values, step outputs,
    /// inbound arguments), walked by path.
    Local(Vec<String>),
}

/// What names mean where a template is compiled.
#[derive(Debug)]
pub(crate) struct Names<'a> {
    pub(crate) binds: &'a BindTable,
    /// `rest`, `tools`, `mcp`, `skill`, and every exposes and aggregate namespace.
    pub(crate) qualifiers: &'a HashSet<String>,
    /// Binds some compiled template reads (filled while compiling).
    pub(crate) used: RefCell<BTreeSet<usize>>,
}

impl Names<'_> {
    /// Classifies a variable path.
    pub(crate) fn classify(&self, path: &[String]) -> VarSource {
        if let Some(i) = self.binds.find(path) {
            self.used.borrow_mut().insert(i);
            return VarSource::Bind(i);
        }
        if let [first, name, rest @ ..] = path
            && self.qualifiers.contains(first)
            && !self.binds.is_namespace(first)
        {
            return VarSource::Arg {
                name: name.clone(),
                rest: rest.to_vec(),
            };
        }
        VarSource::Local(path.to_vec())
    }
}

/// Values a compiled template can read.
/// A scope with nothing in it: for what reads only an upstream answer (outputs without
/// templates), or nothing at all.
pub(crate) struct Nothing;

impl Resolve for Nothing {
    fn bind(&self, _: usize) -> Option<&str> {
        None
    }
    fn arg(&self, _: &str) -> Option<Cow<'_, Value>> {
        None
    }
    fn local(&self, _: &str) -> Option<Cow<'_, Value>> {
        None
    }
}

pub(crate) trait Resolve: Sync {
    /// A bound value.
    fn bind(&self, index: usize) -> Option<&str>;
    /// An inbound argument by name (`rest.x`).
    fn arg(&self, name: &str) -> Option<Cow<'_, Value>>;
    /// A local name (first segment), before walking the rest of the path.
    fn local(&self, name: &str) -> Option<Cow<'_, Value>>;
}

/// Renders templates that read bound variables only (base URIs, credentials, a consumed
/// API's fixed parameters on a forwarded request).
pub(crate) struct BindsOnly<'a>(pub(crate) &'a [Option<String>]);

impl Resolve for BindsOnly<'_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.0.get(index)?.as_deref()
    }
    fn arg(&self, _: &str) -> Option<Cow<'_, Value>> {
        None
    }
    fn local(&self, _: &str) -> Option<Cow<'_, Value>> {
        None
    }
}

/// A template compiled once at build time.
#[derive(Debug, Clone)]
pub(crate) struct Tpl {
    template: Template,
    sources: Vec<VarSource>,
}

impl Tpl {
    /// Compiles `text` (a validated template) against `names`.
    pub(crate) fn compile(text: &str, names: &Names<'_>) -> Result<Tpl, String> {
        let template = Template::parse(text).map_err(|e| e.to_string())?;
        let sources = template
            .variables()
            .map(|v| names.classify(v.path()))
            .collect();
        Ok(Tpl { template, sources })
    }

    /// The text as written.
    pub(crate) fn source(&self) -> &str {
        self.template.source()
    }

    /// Indexes of the binds this template reads.
    pub(crate) fn binds(&self) -> impl Iterator<Item = usize> + '_ {
        self.sources.iter().filter_map(|s| match s {
            VarSource::Bind(i) => Some(*i),
            _ => None,
        })
    }

    /// What each variable refers to, in order.
    pub(crate) fn sources(&self) -> &[VarSource] {
        &self.sources
    }

    /// True when every variable is a bind (the template can be rendered at build time).
    pub(crate) fn reads_only_binds(&self) -> bool {
        self.sources.iter().all(|s| matches!(s, VarSource::Bind(_)))
    }

    /// The value of one variable source.
    fn value<'r>(source: &VarSource, cx: &'r dyn Resolve) -> Option<Cow<'r, Value>> {
        match source {
            VarSource::Bind(i) => cx.bind(*i).map(|s| Cow::Owned(Value::String(s.to_owned()))),
            VarSource::Arg { name, rest } => descend(cx.arg(name)?, rest),
            VarSource::Local(path) => {
                let (first, rest) = path.split_first()?;
                descend(cx.local(first)?, rest)
            }
        }
    }

    /// Renders to text (strings raw, other values as compact JSON, missing as "").
    pub(crate) fn render(&self, cx: &dyn Resolve) -> String {
        if let Some(text) = self.template.as_literal() {
            return text.to_owned();
        }
        let vars: Vec<_> = self.template.variables().collect();
        self.template.render_with(|var| {
            let i = vars.iter().position(|v| std::ptr::eq(*v, var))?;
            Self::value(self.sources.get(i)?, cx)
        })
    }

    /// Byte ranges of the variables' tags in the source, in order.
    pub(crate) fn spans(&self) -> Vec<std::ops::Range<usize>> {
        self.template.variables().map(|v| v.span()).collect()
    }

    /// Renders with `encode` turning each variable (its index and value, `None` when
    /// missing) into the text written in its place: for bodies whose syntax a value must
    /// not break (JSON, XML, forms).
    pub(crate) fn render_encoded(
        &self,
        cx: &dyn Resolve,
        mut encode: impl FnMut(usize, Option<&Value>) -> String,
    ) -> String {
        if let Some(text) = self.template.as_literal() {
            return text.to_owned();
        }
        let vars: Vec<_> = self.template.variables().collect();
        self.template.render_with(|var| {
            let i = vars.iter().position(|v| std::ptr::eq(*v, var))?;
            let value = self.sources.get(i).and_then(|s| Self::value(s, cx));
            Some(Cow::Owned(Value::String(encode(i, value.as_deref()))))
        })
    }

    /// Renders to a value: a template that is exactly one variable yields that variable's
    /// value with its JSON type (`None` when missing); anything else yields rendered text.
    pub(crate) fn render_value(&self, cx: &dyn Resolve) -> Option<Value> {
        if let Some(source) = self.sole() {
            return Self::value(source, cx).map(Cow::into_owned);
        }
        Some(Value::String(self.render(cx)))
    }

    /// What the template reads when it is exactly one variable (`{{x}}`, whose value
    /// [`Tpl::render_value`] yields with its JSON type).
    pub(crate) fn sole(&self) -> Option<&VarSource> {
        let whole = self.template.variables().next().is_some_and(|v| {
            self.template.variables().count() == 1 && v.span() == (0..self.source().len())
        });
        if whole { self.sources.first() } else { None }
    }
}

fn descend<'r>(value: Cow<'r, Value>, rest: &[String]) -> Option<Cow<'r, Value>> {
    if rest.is_empty() {
        return Some(value);
    }
    match value {
        Cow::Borrowed(v) => walk(v, rest).map(Cow::Borrowed),
        Cow::Owned(v) => walk(&v, rest).cloned().map(Cow::Owned),
    }
}

/// A value as text for a query, header, form field or path segment: strings raw, numbers and
/// booleans as JSON, arrays and objects as compact JSON; `None` for null.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Helpers for unit tests of modules that render templates.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A scope whose arguments and locals are the members of one JSON object (no binds).
    pub(crate) struct Values(pub(crate) Value);

    impl Resolve for Values {
        fn bind(&self, _: usize) -> Option<&str> {
            None
        }
        fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
            self.0.get(name).map(Cow::Borrowed)
        }
        fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
            self.0.get(name).map(Cow::Borrowed)
        }
    }

    /// Runs `f` with names that have no binds and no qualifiers.
    pub(crate) fn with_plain_names<T>(f: impl FnOnce(&Names<'_>) -> T) -> T {
        let binds = BindTable::default();
        let qualifiers = HashSet::new();
        f(&Names {
            binds: &binds,
            qualifiers: &qualifiers,
            used: RefCell::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::BindEntry;
    use serde_json::json;

    struct Cx(Value);
    impl Resolve for Cx {
        fn bind(&self, _: usize) -> Option<&str> {
            Some("B")
        }
        fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
            self.0.get("args")?.get(name).map(Cow::Borrowed)
        }
        fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
            self.0.get(name).map(Cow::Borrowed)
        }
    }

    fn table() -> BindTable {
        BindTable {
            entries: vec![BindEntry {
                namespace: "env".into(),
                key: "TOKEN".into(),
                origin: String::new(),
                value: Ok("B".into()),
                loc: naftiko_spec::Loc {
                    file: std::sync::Arc::from(std::path::Path::new("x.yaml")),
                    span: naftiko_spec::Span::at(naftiko_spec::Pos { line: 1, column: 1 }),
                    pointer: naftiko_spec::span::Pointer::root(),
                },
            }],
        }
    }

    #[test]
    fn variables_are_classified_once_and_rendered() {
        let binds = table();
        let q: HashSet<String> = ["rest".to_string()].into_iter().collect();
        let names = Names {
            binds: &binds,
            qualifiers: &q,
            used: RefCell::default(),
        };
        let t = Tpl::compile("{{env.TOKEN}}/{{TOKEN}}/{{rest.id}}/{{step.a.0}}", &names).unwrap();
        assert_eq!(t.binds().count(), 2);
        let cx = Cx(json!({"args": {"id": 7}, "step": {"a": ["x"]}}));
        assert_eq!(t.render(&cx), "B/B/7/x");
    }

    #[test]
    fn a_single_variable_keeps_its_json_type() {
        let binds = BindTable::default();
        let q = HashSet::new();
        let names = Names {
            binds: &binds,
            qualifiers: &q,
            used: RefCell::default(),
        };
        let cx = Cx(json!({"n": 3, "o": {"k": true}}));
        assert_eq!(
            Tpl::compile("{{n}}", &names).unwrap().render_value(&cx),
            Some(json!(3))
        );
        assert_eq!(
            Tpl::compile("{{ o }}", &names).unwrap().render_value(&cx),
            Some(json!({"k": true}))
        );
        assert_eq!(
            Tpl::compile("n={{n}}", &names).unwrap().render_value(&cx),
            Some(json!("n=3"))
        );
        assert_eq!(
            Tpl::compile("{{missing}}", &names)
                .unwrap()
                .render_value(&cx),
            None
        );
    }
}
