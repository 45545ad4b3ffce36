//! Running an invocable unit (an exposed REST operation, later an MCP tool or aggregate
//! function): validate declared inputs, evaluate `with`, call the consumed operation or run
//! the steps, and shape the answer (docs/semantics.md §3–§5).

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use naftiko_spec::model::{RawFormat, WithValue};
use serde_json::{Map, Value};

use crate::answer::Answer;
use crate::error::InvokeError;
use crate::inbound::{Args, Inbound};
pub(crate) use crate::input::{Input, InputStyle};
use crate::outputs::Outputs;
use crate::request::{CallScope, ConsumedOp, Resolved};
use crate::scope::scalar_text;
use crate::scope::{BindsOnly, Names, Resolve, Tpl, VarSource};
use crate::trace::{SpanKind, Trace};

/// The result of an invocation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The status to answer with (upstream 2xx/4xx pass through).
    pub status: u16,
    /// The body.
    pub body: OutcomeBody,
    /// The status the upstream answered, when one was called.
    pub upstream_status: Option<u16>,
    /// The upstream's `Cache-Control`, passed on to the caller.
    pub cache_control: Option<String>,
    /// The upstream's `Location`, passed on to the caller.
    pub location: Option<String>,
}

/// An outcome's body.
#[derive(Debug, Clone)]
pub enum OutcomeBody {
    /// A JSON value naftiko produced.
    Json(Value),
    /// A JSON value naftiko produced, already written as compact JSON text: the bytes
    /// `Json`'s value is written as (outputs shaped without a `Value` tree, `capture.rs`).
    JsonText(Bytes),
    /// Binary content (`outputRawFormat: binary`): the upstream's bytes and the media type
    /// they are served with.
    Binary {
        /// The media type (`binary.rs` says how it is chosen).
        media_type: String,
        /// The bytes.
        bytes: Bytes,
    },
    /// The upstream's bytes, passed through with its content type.
    Raw {
        /// The upstream's `Content-Type`.
        content_type: Option<String>,
        /// The bytes.
        bytes: Bytes,
    },
    /// No body.
    Empty,
}

impl OutcomeBody {
    /// The JSON value naftiko produced, if it is one (`None` for the upstream's bytes).
    fn json(&self) -> Result<Option<Cow<'_, Value>>, InvokeError> {
        match self {
            OutcomeBody::Json(v) => Ok(Some(Cow::Borrowed(v))),
            OutcomeBody::JsonText(text) => serde_json::from_slice(text)
                .map(|v| Some(Cow::Owned(v)))
                .map_err(|e| InvokeError::Internal(format!("reading a shaped answer: {e}"))),
            _ => Ok(None),
        }
    }
}

/// One `with` entry, compiled.
#[derive(Debug, Clone)]
enum WithExpr {
    /// `rest.x`, `tools.x`, `<namespace>.x`: the inbound argument (or whole body for `body`).
    Arg(String),
    /// A template.
    Tpl(Tpl),
    /// A literal.
    Literal(Value),
}

/// What a `with` entry reads, when the direct path reads it the same way.
#[derive(Debug, Clone)]
pub(crate) enum WithRead {
    /// The inbound argument `name`: with `headers`, looked up in the headers too (as
    /// `rest.x` reads it), else not (as a template's `{{x}}` does).
    Arg { name: String, headers: bool },
    /// A value the same on every call: a literal, or a template of bound values only.
    Const(Value),
}

/// A compiled `with` block.
#[derive(Debug, Clone, Default)]
pub(crate) struct With(Vec<(String, WithExpr)>);

impl With {
    pub(crate) fn compile<'a>(
        entries: impl Iterator<Item = (&'a str, &'a WithValue)>,
        names: &Names<'_>,
    ) -> Result<Self, String> {
        let mut out = Vec::new();
        for (k, v) in entries {
            let expr = match &v.value {
                Value::String(s) if s.contains("{{") => WithExpr::Tpl(Tpl::compile(s, names)?),
                Value::String(s) => match s.split_once('.') {
                    Some((q, name))
                        if names.qualifiers.contains(q)
                            && !name.is_empty()
                            && !name.contains(char::is_whitespace) =>
                    {
                        WithExpr::Arg(name.to_owned())
                    }
                    _ => WithExpr::Literal(v.value.clone()),
                },
                other => WithExpr::Literal(other.clone()),
            };
            out.push((k.to_owned(), expr));
        }
        Ok(With(out))
    }

    /// `(key, argument)` for every entry that reads an inbound argument (`rest.x` → `x`).
    pub(crate) fn arguments(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|(k, e)| match e {
            WithExpr::Arg(a) => Some((k.as_str(), a.as_str())),
            _ => None,
        })
    }

    /// `Some(false)` when there are no entries, `Some(true)` when the only entry is
    /// `body: <adapter>.body` (the inbound body passed on), `None` otherwise.
    pub(crate) fn forwards_only_body(&self) -> Option<bool> {
        match self.0.as_slice() {
            [] => Some(false),
            [(k, WithExpr::Arg(a))] if k == "body" && a == "body" => Some(true),
            _ => None,
        }
    }

    /// `Some(false)` when every entry reads what the direct path reads ([`With::read_of`])
    /// under a key other than `body`; `Some(true)` when there is `body: <adapter>.body`
    /// (the inbound body passed on) besides; `None` otherwise.
    pub(crate) fn readable_and_body(&self, binds: &[Option<String>]) -> Option<bool> {
        let mut body = false;
        for (i, (k, e)) in self.0.iter().enumerate() {
            match e {
                WithExpr::Arg(a) if k == "body" && a == "body" && !body => body = true,
                _ if k != "body" && self.read(i, binds).is_some() => {}
                _ => return None,
            }
        }
        Some(body)
    }

    /// What the entry `key` reads, as [`With::eval`] reads it: `Some(None)` when there is
    /// no such entry (or it yields nothing, a template of a missing bound value); `None`
    /// when there are several, or it reads anything else (the whole body, a template of
    /// other values, an earlier entry).
    pub(crate) fn read_of(&self, key: &str, binds: &[Option<String>]) -> Option<Option<WithRead>> {
        let mut entries = self.0.iter().enumerate().filter(|(_, (k, _))| k == key);
        let first = entries.next();
        if entries.next().is_some() {
            return None;
        }
        match first {
            Some((i, _)) => self.read(i, binds),
            None => Some(None),
        }
    }

    /// What the entry at `i` reads (see [`With::read_of`]).
    fn read(&self, i: usize, binds: &[Option<String>]) -> Option<Option<WithRead>> {
        let (earlier, (_, e)) = (self.0.get(..i)?, self.0.get(i)?);
        let arg = |name: &str, headers: bool| {
            (name != "body").then(|| {
                Some(WithRead::Arg {
                    name: name.to_owned(),
                    headers,
                })
            })
        };
        match e {
            // `args.qualified`: the argument, headers too.
            WithExpr::Arg(a) => arg(a, true),
            WithExpr::Literal(v) => Some(Some(WithRead::Const(v.clone()))),
            WithExpr::Tpl(t) if t.reads_only_binds() => {
                Some(t.render_value(&BindsOnly(binds)).map(WithRead::Const))
            }
            WithExpr::Tpl(t) => match t.sole()? {
                // `{{rest.x}}`: as `rest.x`.
                VarSource::Arg { name, rest } if rest.is_empty() => arg(name, true),
                // `{{x}}`, no earlier entry being called `x`: `ArgScope::local`, the
                // argument without headers.
                VarSource::Local(path) => match path.as_slice() {
                    [name] if earlier.iter().all(|(k, _)| k != name) => arg(name, false),
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// True when the entry `key` exists.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Evaluates every entry; an argument that is absent leaves its key unset.
    fn eval(&self, args: &Args<'_>, binds: &[Option<String>]) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, e) in &self.0 {
            let scope = ArgScope {
                args,
                binds,
                with: &out,
            };
            let v = match e {
                WithExpr::Arg(name) => args.qualified(name).map(Cow::into_owned),
                WithExpr::Tpl(t) => t.render_value(&scope),
                WithExpr::Literal(v) => Some(v.clone()),
            };
            if let Some(v) = v {
                out.insert(k.clone(), v);
            }
        }
        out
    }
}

/// Templates over the inbound arguments (and `with` values evaluated so far).
struct ArgScope<'s, 'a> {
    args: &'s Args<'a>,
    binds: &'s [Option<String>],
    with: &'s Map<String, Value>,
}

impl Resolve for ArgScope<'_, '_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.binds.get(index)?.as_deref()
    }
    fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.args.qualified(name)
    }
    fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
        match self.with.get(name) {
            Some(v) => Some(Cow::Borrowed(v)),
            None => self.args.get(name, false),
        }
    }
}

/// The scope of a call's outputs: the consumed parameters the call resolved, then the
/// unit's `with` values and arguments.
struct CalledScope<'s, 'a> {
    outer: ArgScope<'s, 'a>,
    resolved: &'s Resolved,
}

impl Resolve for CalledScope<'_, '_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.outer.bind(index)
    }
    fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.outer.arg(name)
    }
    fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
        match self.resolved.get(name) {
            Some(v) => Some(Cow::Borrowed(v)),
            None => self.outer.local(name),
        }
    }
}

/// What an invocable unit does.
#[derive(Debug)]
pub(crate) enum Target {
    /// Call one consumed operation.
    Call(Arc<ConsumedOp>),
    /// Run steps.
    Steps(Steps),
    /// Answer from static output values.
    Mock,
    /// Run an aggregate function.
    Function(Arc<Invocable>),
    /// Nothing to run (reported at build; answers 501).
    Nothing(String),
}

/// A compiled invocation: inputs, `with`, target and own outputs.
#[derive(Debug)]
pub(crate) struct Invocable {
    pub(crate) inputs: Vec<Input>,
    pub(crate) with: With,
    pub(crate) target: Target,
    pub(crate) outputs: Outputs,
    pub(crate) binds: Arc<[Option<String>]>,
    /// What its adapter adds to its calls (`None` for aggregate functions, which run with
    /// their caller's).
    pub(crate) exposure: Option<crate::binary::Exposure>,
    /// An aggregate flow's `outputMediaType`: the media type of the binary content it answers.
    pub(crate) media_type: Option<Arc<str>>,
}

impl Invocable {
    /// The description of what it calls, when it calls one consumed operation.
    pub(crate) fn call_description(&self) -> Option<String> {
        match &self.target {
            Target::Call(op) => op.description.clone(),
            _ => None,
        }
    }

    /// The schema of what it answers: its own outputs, else its called operation's.
    pub(crate) fn output_schema(&self) -> Option<Value> {
        match (&self.target, self.outputs.is_empty()) {
            (Target::Call(op), true) => op.outputs.schema(),
            (Target::Function(f), true) => f.output_schema(),
            _ => self.outputs.schema(),
        }
    }

    /// Validates inputs and runs.
    pub(crate) async fn invoke(
        &self,
        inbound: &Inbound,
        trace: &Trace,
    ) -> Result<Outcome, InvokeError> {
        let mut args = Args::new(inbound, trace);
        if let Some(e) = &self.exposure {
            args.exposure = e.clone();
        }
        let mut first_error = None;
        for input in &self.inputs {
            match input.value(inbound) {
                Ok(Some(v)) => {
                    args.declared.insert(input.name.clone(), v);
                }
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        self.run(&args).await
    }

    /// The outputs that shape a call's answer: the unit's own, else the called operation's.
    pub(crate) fn outputs_of<'o>(&'o self, op: &'o ConsumedOp) -> &'o Outputs {
        if self.outputs.is_empty() {
            &op.outputs
        } else {
            &self.outputs
        }
    }

    fn run<'s>(
        &'s self,
        args: &'s Args<'_>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Outcome, InvokeError>> + Send + 's>,
    > {
        Box::pin(async move {
            let with = self.with.eval(args, &self.binds);
            match &self.target {
                Target::Call(op) => {
                    let (answer, resolved) = call(op, args, &with, &self.binds).await?;
                    let scope = CalledScope {
                        outer: ArgScope {
                            args,
                            binds: &self.binds,
                            with: &with,
                        },
                        resolved: &resolved,
                    };
                    shape_answer(op, self.outputs_of(op), answer, &scope, &args.exposure)
                }
                Target::Steps(steps) => steps.run(args, &with, &self.binds, &self.outputs).await,
                Target::Mock => {
                    let scope = ArgScope {
                        args,
                        binds: &self.binds,
                        with: &with,
                    };
                    Ok(Outcome {
                        status: 200,
                        body: OutcomeBody::Json(self.outputs.shape(&Value::Null, &scope)?),
                        upstream_status: None,
                        cache_control: None,
                        location: None,
                    })
                }
                Target::Function(f) => {
                    // The function sees the caller's arguments plus this unit's `with` values.
                    let mut inner = args.nested();
                    inner.extra.extend(with);
                    let mut outcome = f.run(&inner).await?;
                    if let (Some(m), OutcomeBody::Binary { media_type, .. }) =
                        (&f.media_type, &mut outcome.body)
                    {
                        *media_type = m.to_string();
                    }
                    if !self.outputs.is_empty()
                        && let Some(v) = outcome.body.json()?
                    {
                        let scope = ArgScope {
                            args,
                            binds: &self.binds,
                            with: &Map::new(),
                        };
                        outcome.body = OutcomeBody::Json(self.outputs.shape(&v, &scope)?);
                    }
                    Ok(outcome)
                }
                Target::Nothing(why) => Err(InvokeError::Unsupported(why.clone())),
            }
        })
    }
}

/// Calls `op`; returns the answer and the consumed parameters the call resolved (which,
/// with `with`, are what the outputs may read).
async fn call(
    op: &ConsumedOp,
    args: &Args<'_>,
    with: &Map<String, Value>,
    binds: &[Option<String>],
) -> Result<(Answer, Resolved), InvokeError> {
    let mut scope = CallScope {
        binds,
        args,
        with,
        resolved: Resolved::default(),
    };
    let prepared = op.prepare(&mut scope)?;
    let limit = op.binary_limit(&args.exposure);
    let answer = op.api.call(prepared, &scope, limit, args.parent()).await?;
    Ok((answer, scope.resolved))
}

/// What `outputs` read of the upstream body: for JSON only the parts they can reach
/// (`select.rs`), else the whole body as JSON ([`answer_json`], which also explains a
/// body that is not what it should be).
fn answer_doc(op: &ConsumedOp, outputs: &Outputs, answer: &Answer) -> Result<Value, InvokeError> {
    if op.format == RawFormat::Json
        && !answer.body.is_empty()
        && let Some(doc) = crate::select::parse(&answer.body, outputs.selection())
    {
        return Ok(doc);
    }
    answer_json(op, answer)
}

/// The upstream body as JSON per `outputRawFormat`.
fn answer_json(op: &ConsumedOp, answer: &Answer) -> Result<Value, InvokeError> {
    let bad = |detail: String| InvokeError::UpstreamBody {
        namespace: op.api.namespace.clone(),
        detail,
    };
    if answer.body.is_empty() {
        // The outputs read a document the upstream did not send.
        return match op.format {
            RawFormat::Text => Ok(Value::String(String::new())),
            RawFormat::Json => Err(bad("empty, where a JSON document was expected".to_owned())),
            other => Err(bad(format!(
                "empty, where a {} document was expected",
                format_name(other)
            ))),
        };
    }
    match op.format {
        RawFormat::Json => crate::inbound::parse_json(&answer.body).map_err(|e| match e {
            InvokeError::BadBody(d) => bad(d.replace("invalid JSON", "not JSON")),
            other => other,
        }),
        RawFormat::Text => std::str::from_utf8(&answer.body)
            .map(|t| Value::String(t.to_owned()))
            .map_err(|_| bad("not UTF-8 text".to_owned())),
        RawFormat::Binary => Err(InvokeError::Unsupported(
            "binary content has no fields to read; serve it with `call` or `ref`, without output parameters or steps".to_owned(),
        )),
        other => match crate::formats::to_json(other, op.schema.as_ref(), &answer.body) {
            Some(converted) => converted.map_err(bad),
            None => Err(InvokeError::Unsupported(format!(
                "outputRawFormat `{}` is not supported yet",
                format_name(other)
            ))),
        },
    }
}

pub(crate) fn format_name(f: RawFormat) -> &'static str {
    match f {
        RawFormat::Json => "json",
        RawFormat::Xml => "xml",
        RawFormat::Avro => "avro",
        RawFormat::Protobuf => "protobuf",
        RawFormat::Csv => "csv",
        RawFormat::Tsv => "tsv",
        RawFormat::Psv => "psv",
        RawFormat::Yaml => "yaml",
        RawFormat::Html => "html",
        RawFormat::Markdown => "markdown",
        RawFormat::Text => "text",
        RawFormat::Binary => "binary",
    }
}

/// Turns an upstream answer into an outcome: 2xx shaped by `outputs` (or passed through),
/// 4xx and 1xx/3xx passed through, 5xx an error.
pub(crate) fn shape_answer(
    op: &ConsumedOp,
    outputs: &Outputs,
    answer: Answer,
    scope: &dyn Resolve,
    exposure: &crate::binary::Exposure,
) -> Result<Outcome, InvokeError> {
    let status = answer.status;
    if status >= 500 {
        return Err(InvokeError::UpstreamStatus {
            namespace: op.api.namespace.clone(),
            status,
        });
    }
    // 204 No Content, and any answer to a HEAD request, has nothing to shape: it passes
    // through as it is.
    let shaped = (200..300).contains(&status)
        && status != 204
        && op.method != reqwest::Method::HEAD
        && !outputs.is_empty()
        && !matches!(op.format, RawFormat::Binary);
    if shaped {
        if op.format == RawFormat::Json
            && !answer.body.is_empty()
            && let Some(capture) = outputs.capture()
            && let Some(text) = capture.write(&answer.body)?
        {
            return Ok(Outcome {
                status,
                body: OutcomeBody::JsonText(Bytes::from(text)),
                upstream_status: Some(status),
                cache_control: answer.cache_control,
                location: answer.location,
            });
        }
        let doc = if outputs.reads_document() {
            answer_doc(op, outputs, &answer)?
        } else {
            Value::Null
        };
        let value = outputs.shape(&doc, scope)?;
        return Ok(Outcome {
            status,
            body: OutcomeBody::Json(value),
            upstream_status: Some(status),
            cache_control: answer.cache_control,
            location: answer.location,
        });
    }
    let success = (200..300).contains(&status);
    let body = if answer.body.is_empty() {
        OutcomeBody::Empty
    } else if success && op.format == RawFormat::Binary {
        OutcomeBody::Binary {
            media_type: crate::binary::media_type(
                op.media_type.as_deref(),
                exposure,
                answer.content_type.as_deref(),
            ),
            bytes: answer.body,
        }
    } else {
        // A success is served as `outputMediaType` says; an error keeps the upstream's type.
        OutcomeBody::Raw {
            content_type: op
                .media_type
                .clone()
                .filter(|_| success)
                .or(answer.content_type),
            bytes: answer.body,
        }
    };
    Ok(Outcome {
        status,
        body,
        upstream_status: Some(status),
        cache_control: answer.cache_control,
        location: answer.location,
    })
}

/// One orchestration step, compiled.
#[derive(Debug)]
pub(crate) enum Step {
    /// Call a consumed operation; its result is stored under the step name.
    Call {
        name: String,
        op: Arc<ConsumedOp>,
        with: With,
    },
    /// Find an element of an earlier step's result.
    Lookup {
        name: String,
        index: String,
        match_field: String,
        value: Tpl,
        fields: Vec<String>,
    },
    /// Run a script (`script/`); its `result` is stored under the step name.
    Script {
        name: String,
        script: Arc<crate::script::Script>,
        with: With,
    },
    /// A step naftiko cannot run.
    Unsupported { name: String, why: String },
}

/// Compiled steps and mappings.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    pub(crate) steps: Vec<Step>,
    /// `targetName` → `$.step.path` (plain dot navigation).
    pub(crate) mappings: Vec<(String, Vec<String>)>,
}

impl Step {
    /// Runs the step; `Some` when it ends the sequence (a failing call's answer).
    async fn run(
        &self,
        local: &mut Args<'_>,
        binds: &[Option<String>],
        last: &mut Option<(Value, u16)>,
    ) -> Result<Option<Outcome>, InvokeError> {
        match self {
            Step::Call { name, op, with } => {
                let step_with = with.eval(local, binds);
                let (answer, _) = call(op, local, &step_with, binds).await?;
                let status = answer.status;
                let scope = ArgScope {
                    args: local,
                    binds,
                    with: &step_with,
                };
                if status >= 400 {
                    // A failing step stops the sequence: 4xx pass through, 5xx are errors.
                    let outputs = Outputs::default();
                    return shape_answer(op, &outputs, answer, &scope, &local.exposure).map(Some);
                }
                // An empty answer (a 204 from a DELETE, say) is a step result of null.
                let doc = if answer.body.is_empty() {
                    Value::Null
                } else {
                    answer_json(op, &answer)?
                };
                let result = if op.outputs.is_empty() {
                    doc
                } else {
                    op.outputs.step_result(doc, &scope)?
                };
                local.extra.insert(name.clone(), result.clone());
                *last = Some((result, status));
            }
            Step::Lookup {
                name,
                index,
                match_field,
                value,
                fields,
            } => {
                let scope = ArgScope {
                    args: local,
                    binds,
                    with: &Map::new(),
                };
                let wanted = value.render_value(&scope).unwrap_or(Value::Null);
                let table = local.extra.get(index).cloned().unwrap_or(Value::Null);
                let result = lookup(&table, match_field, &wanted, fields);
                local.extra.insert(name.clone(), result);
            }
            Step::Script { name, script, with } => {
                let context = crate::script::context(local, with.eval(local, binds));
                let result = script.run(name, &context).await?;
                local.extra.insert(name.clone(), result.clone());
                *last = Some((result, last.as_ref().map_or(200, |l| l.1)));
            }
            Step::Unsupported { name, why } => {
                return Err(InvokeError::Unsupported(format!("step `{name}`: {why}")));
            }
        }
        Ok(None)
    }

    /// The name and attributes of the step's span (`step.call`, `step.lookup`,
    /// `step.script`, as the reference engine names them).
    fn span(&self, index: usize) -> (String, crate::trace::Attributes) {
        let (kind, name) = match self {
            Step::Call { name, .. } => ("step.call", name),
            Step::Lookup { name, .. } => ("step.lookup", name),
            Step::Script { name, .. } => ("step.script", name),
            Step::Unsupported { name, .. } => ("step.unsupported", name),
        };
        let mut attributes: crate::trace::Attributes = vec![
            (
                "naftiko.step.index",
                i64::try_from(index).unwrap_or(i64::MAX).into(),
            ),
            ("naftiko.step.name", name.clone().into()),
        ];
        if let Step::Call { op, .. } = self {
            attributes.push(("naftiko.namespace", op.api.namespace.clone().into()));
        }
        (kind.to_owned(), attributes)
    }
}

impl Steps {
    async fn run(
        &self,
        args: &Args<'_>,
        with: &Map<String, Value>,
        binds: &[Option<String>],
        outputs: &Outputs,
    ) -> Result<Outcome, InvokeError> {
        let mut local = args.nested();
        local.extra.extend(with.clone());
        let mut last: Option<(Value, u16)> = None;
        for (index, step) in self.steps.iter().enumerate() {
            // Each step is an INTERNAL span when spans are recorded; its upstream calls are
            // made from it.
            let open = local.trace.open(local.span);
            let outer = local.span;
            if let Some(o) = &open {
                local.span = o.span_id;
            }
            let done = step.run(&mut local, binds, &mut last).await;
            local.span = outer;
            if let Some(open) = open {
                let (name, attributes) = step.span(index);
                let error = done.is_err();
                local
                    .trace
                    .close(open, SpanKind::Internal, name, attributes, error);
            }
            if let Some(outcome) = done? {
                return Ok(outcome);
            }
        }
        if !self.mappings.is_empty() {
            let mut out = Value::Object(Map::new());
            for (target, path) in &self.mappings {
                if let Some((first, rest)) = path.split_first()
                    && let Some(v) = local
                        .extra
                        .get(first)
                        .and_then(|v| naftiko_expr::template::walk(v, rest))
                {
                    insert_dotted(&mut out, target, v.clone());
                }
            }
            return Ok(Outcome {
                status: 200,
                body: OutcomeBody::Json(out),
                upstream_status: last.map(|l| l.1),
                cache_control: None,
                location: None,
            });
        }
        let (value, status) = last.unwrap_or((Value::Null, 200));
        let value = if outputs.is_empty() || !outputs.reads_document() {
            value
        } else {
            let scope = ArgScope {
                args: &local,
                binds,
                with: &Map::new(),
            };
            outputs.shape(&value, &scope)?
        };
        Ok(Outcome {
            status,
            body: OutcomeBody::Json(value),
            upstream_status: Some(status),
            cache_control: None,
            location: None,
        })
    }
}

fn lookup(table: &Value, field: &str, wanted: &Value, fields: &[String]) -> Value {
    let find = |w: &Value| -> Value {
        let w = scalar_text(w);
        let rows: Vec<&Value> = match table {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        rows.into_iter()
            .find(|row| row.get(field).and_then(scalar_text) == w)
            .map(|row| {
                if fields.is_empty() {
                    row.clone()
                } else {
                    Value::Object(
                        fields
                            .iter()
                            .map(|f| (f.clone(), row.get(f).cloned().unwrap_or(Value::Null)))
                            .collect(),
                    )
                }
            })
            .unwrap_or(Value::Null)
    };
    match wanted {
        Value::Array(items) => Value::Array(items.iter().map(find).collect()),
        w => find(w),
    }
}

fn insert_dotted(out: &mut Value, target: &str, v: Value) {
    let mut node = out;
    let parts: Vec<&str> = target.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Value::Object(map) = node else { return };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), v);
            return;
        }
        node = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
