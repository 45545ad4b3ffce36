//! Consumed operations: compiled once, then rendered into an upstream HTTP request per call
//! (docs/semantics.md §3: value resolution order, every `in` location, real form/JSON/multipart
//! bodies, URL-safe path substitution).

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HeaderName, HeaderValue};
use naftiko_spec::model::{
    BodyKind, ConsumedOperation, InputParameter, ParamLocation, RawFormat, RequestBody,
};
use serde_json::{Map, Value};

use crate::error::InvokeError;
use crate::form;
use crate::inbound::Args;
use crate::outputs::Outputs;
use crate::prepared::Prepared;
use crate::scope::{Names, Resolve, Tpl, scalar_text};
use crate::upstream::Upstream;
use crate::url::UrlTemplate;

/// A consumed input parameter, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) location: ParamLocation,
    pub(crate) required: bool,
    /// The declared type (community dialect), for derived tool schemas.
    pub(crate) ty: Option<naftiko_spec::model::DataType>,
    /// The description, for derived tool schemas.
    pub(crate) description: Option<String>,
    value: Option<Tpl>,
    /// `in: environment`: the variable's value, read at build time.
    env_value: Option<String>,
}

impl Param {
    /// The parameter's own `value` template.
    pub(crate) fn value_template(&self) -> Option<&Tpl> {
        self.value.as_ref()
    }

    /// `in: environment`: the variable's value, read at build time.
    pub(crate) fn env_value(&self) -> Option<&str> {
        self.env_value.as_deref()
    }

    /// True when the parameter takes its value from somewhere other than the caller.
    pub(crate) fn has_own_value(&self) -> bool {
        self.value.is_some() || self.location == ParamLocation::Environment
    }
}

/// A request body block (`body:`), compiled.
#[derive(Debug, Clone)]
enum BodyTpl {
    /// A raw string template that reads as JSON: values are JSON-encoded into it.
    JsonText(JsonText),
    /// A raw string template that is not JSON: text.
    Raw(Tpl),
    /// JSON data whose strings are templates, compiled into its text.
    Json(JsonBody),
    /// XML text: values are XML-escaped.
    Xml(Tpl),
    /// Text with a content type.
    Text(Tpl, &'static str),
    /// Form fields (from an object) or a pre-encoded form string template.
    FormFields(Vec<(String, Tpl)>),
    FormString(Tpl),
    /// Multipart parts: name, value template, optional filename and content type.
    Multipart(Vec<Part>),
}

#[derive(Debug, Clone)]
struct Part {
    name: String,
    value: Tpl,
    filename: Option<String>,
    content_type: Option<String>,
}

/// A consumed operation ready to be called.
#[derive(Debug)]
pub(crate) struct ConsumedOp {
    pub(crate) api: Arc<Upstream>,
    /// The operation's description (tools and skills fall back to it).
    pub(crate) description: Option<String>,
    pub(crate) method: reqwest::Method,
    pub(crate) url: UrlTemplate,
    pub(crate) params: Vec<Param>,
    body: Option<BodyTpl>,
    pub(crate) format: RawFormat,
    /// `outputSchema`, read at build time: what reading its answers needs (an Avro schema,
    /// a protobuf message, an HTML selector, a markdown section filter).
    pub(crate) schema: Option<crate::formats::BodySchema>,
    /// `outputMediaType`: the media type its answers are served with.
    pub(crate) media_type: Option<String>,
    /// `maxBinarySize`, in bytes.
    pub(crate) max_binary: Option<usize>,
    pub(crate) outputs: Outputs,
    /// Compiled templates of JSON bodies: kept beside `body` so strings compile once.
    json_templates: Vec<(String, Tpl)>,
}

/// The values a consumed request is rendered from.
pub(crate) struct CallScope<'a> {
    pub(crate) binds: &'a [Option<String>],
    pub(crate) args: &'a Args<'a>,
    pub(crate) with: &'a Map<String, Value>,
    /// The parameters resolved so far, in order (a handful: a list beats a hash map).
    pub(crate) resolved: Resolved,
}

impl Resolve for CallScope<'_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.binds.get(index)?.as_deref()
    }
    fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.args.qualified(name)
    }
    fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
        if let Some(v) = self.resolved.get(name).or_else(|| self.with.get(name)) {
            return Some(Cow::Borrowed(v));
        }
        self.args.get(name, false)
    }
}

/// The consumed parameters a call resolved, by name, in order.
#[derive(Debug, Default)]
pub(crate) struct Resolved(Vec<(String, Value)>);

impl Resolved {
    /// The value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets `name` (replacing an earlier value).
    fn set(&mut self, name: &str, value: Value) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }
}

/// A request's parameter values, placed where their `in` says.
#[derive(Default)]
struct Placed {
    headers: http::HeaderMap,
    cookies: Vec<String>,
    form: Vec<(String, String)>,
    body_fields: Map<String, Value>,
    /// A `body` parameter: the whole body.
    whole_body: Option<Value>,
}

impl Placed {
    /// Places the value `v` of parameter `p` (query parameters go straight into `url`).
    fn place(&mut self, p: &Param, v: &Value, url: &mut reqwest::Url) -> Result<(), InvokeError> {
        match p.location {
            ParamLocation::Query => {
                let mut pairs = url.query_pairs_mut();
                for t in item_texts(v) {
                    pairs.append_pair(&p.name, &t);
                }
            }
            ParamLocation::Header => {
                let name = HeaderName::from_bytes(p.name.as_bytes()).map_err(|_| {
                    InvokeError::bad_input(&p.name, "header", "is not a valid header name")
                })?;
                let text = match v {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(scalar_text)
                        .collect::<Vec<_>>()
                        .join(","),
                    other => scalar_text(other).unwrap_or_default(),
                };
                self.headers.insert(name, header_value(&p.name, &text)?);
            }
            ParamLocation::Cookie => {
                self.cookies
                    .push(cookie_pair(&p.name, &scalar_text(v).unwrap_or_default()));
            }
            ParamLocation::Form => {
                self.form.retain(|(k, _)| k != &p.name);
                push_form(&mut self.form, &p.name, v);
            }
            ParamLocation::Body if p.name == "body" => self.whole_body = Some(v.clone()),
            ParamLocation::Body => {
                self.body_fields.insert(p.name.clone(), v.clone());
            }
            ParamLocation::Path | ParamLocation::Environment => {}
        }
        Ok(())
    }
}

/// Resolves every parameter into `scope.resolved` (`in: environment` ones first: other
/// parameters' templates may read them).
///
/// # Errors
/// The first required parameter without a value (naming the others).
fn resolve_params(params: &[Param], scope: &mut CallScope<'_>) -> Result<(), InvokeError> {
    let mut missing = Vec::new();
    let order = params
        .iter()
        .filter(|p| p.location == ParamLocation::Environment)
        .chain(
            params
                .iter()
                .filter(|p| p.location != ParamLocation::Environment),
        );
    for p in order {
        match p.resolve(scope) {
            Some(v) => {
                scope.resolved.set(&p.name, v);
            }
            None if p.required => missing.push(p),
            None => {}
        }
    }
    let Some(p) = missing.first() else {
        return Ok(());
    };
    let others: Vec<&str> = missing.iter().skip(1).map(|p| p.name.as_str()).collect();
    let reason = if others.is_empty() {
        "is required".to_owned()
    } else {
        format!("is required (so are: {})", others.join(", "))
    };
    Err(InvokeError::bad_input(
        &p.name,
        location_name(p.location),
        reason,
    ))
}

/// A consumed API's own parameters that need nothing from a caller (a literal `value`, one
/// that reads bound variables only, or `in: environment`), as a `forward` adds them to the
/// request it passes on: headers and query parameters (docs/semantics.md §5), like the
/// reference engine's forward (`Notion-Version` set by the consumed API).
#[derive(Debug, Default)]
pub(crate) struct FixedParams(Vec<Param>);

impl FixedParams {
    /// The parameters of `params` that have a fixed value and go in a header or the query
    /// (`in: environment` ones too, for the others' templates to read).
    pub(crate) fn compile(
        params: &[InputParameter],
        names: &Names<'_>,
        env: &dyn crate::env::EnvSource,
    ) -> Result<Self, String> {
        let mut kept = Vec::new();
        for p in params {
            let Some(param) = Param::compile(p, names, env)? else {
                continue;
            };
            let fixed =
                param.has_own_value() && param.value.as_ref().is_none_or(Tpl::reads_only_binds);
            let placed = matches!(
                param.location,
                ParamLocation::Header | ParamLocation::Query | ParamLocation::Environment
            );
            if fixed && placed {
                kept.push(param);
            }
        }
        Ok(FixedParams(kept))
    }

    /// Adds the parameters to `req`: query parameters after its query, headers replacing
    /// any of the same name.
    ///
    /// # Errors
    /// A header value with CR, LF or another control character.
    pub(crate) fn apply(
        &self,
        binds: &[Option<String>],
        req: &mut Prepared,
    ) -> Result<(), InvokeError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let nothing = crate::inbound::Inbound::default();
        // Fixed parameters read only bound values: nothing of a request or its trace.
        let trace = crate::trace::Trace::detached();
        let args = Args::new(&nothing, &trace);
        let with = Map::new();
        let mut scope = CallScope {
            binds,
            args: &args,
            with: &with,
            resolved: Resolved::default(),
        };
        resolve_params(&self.0, &mut scope)?;
        let mut placed = Placed::default();
        for p in &self.0 {
            if let Some(v) = scope.resolved.get(&p.name) {
                placed.place(p, v, &mut req.url)?;
            }
        }
        // A name already there is replaced (`HeaderMap::extend` replaces, per name).
        req.headers.extend(placed.headers);
        Ok(())
    }
}

fn location_name(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Path => "path",
        ParamLocation::Cookie => "cookie",
        ParamLocation::Body => "body",
        ParamLocation::Environment => "environment",
        ParamLocation::Form => "form",
    }
}

impl Param {
    pub(crate) fn compile(
        p: &InputParameter,
        names: &Names<'_>,
        env: &dyn crate::env::EnvSource,
    ) -> Result<Option<Self>, String> {
        let Some(name) = &p.name else { return Ok(None) };
        let location = p
            .location
            .as_ref()
            .map(|l| l.value)
            .unwrap_or(ParamLocation::Query);
        let value = p
            .value
            .as_ref()
            .map(|v| Tpl::compile(&v.value, names))
            .transpose()?;
        let env_value = (location == ParamLocation::Environment)
            .then(|| env.var(&name.value))
            .flatten();
        Ok(Some(Param {
            name: name.value.clone(),
            location,
            required: p.required.as_ref().is_some_and(|r| r.value)
                || location == ParamLocation::Path,
            ty: p.data_type.as_ref().map(|t| t.value),
            description: p.description.as_ref().map(|d| d.value.clone()),
            value,
            env_value,
        }))
    }

    /// The value, in docs/semantics.md §3 order: `with`, own `value`, inbound argument, environment.
    fn resolve(&self, scope: &CallScope<'_>) -> Option<Value> {
        if let Some(v) = scope.with.get(&self.name).filter(|v| !v.is_null()) {
            return Some(v.clone());
        }
        if let Some(t) = &self.value
            && let Some(v) = t.render_value(scope)
            && !v.is_null()
        {
            return Some(v);
        }
        let from_header = self.location == ParamLocation::Header;
        if let Some(v) = scope.args.get(&self.name, from_header) {
            return Some(v.into_owned());
        }
        self.env_value.clone().map(Value::String)
    }
}

impl ConsumedOp {
    /// Compiles a consumed operation of `api` with its resource `path` and the API-,
    /// resource- and operation-level parameters (later levels override earlier ones).
    pub(crate) fn compile(
        api: Arc<Upstream>,
        path: &str,
        level_params: &[&[InputParameter]],
        op: &ConsumedOperation,
        names: &Names<'_>,
        env: &dyn crate::env::EnvSource,
    ) -> Result<Self, String> {
        let method = op
            .method
            .as_ref()
            .map(|m| m.value.as_str())
            .unwrap_or("GET");
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let url = UrlTemplate::compile(&api.base, path, names)?;
        let mut params: Vec<Param> = Vec::new();
        for level in level_params
            .iter()
            .copied()
            .chain([op.input_parameters.as_slice()])
        {
            for p in level {
                if let Some(c) = Param::compile(p, names, env)? {
                    params.retain(|q| q.name != c.name);
                    params.push(c);
                }
            }
        }
        let mut json_templates = Vec::new();
        let body = op
            .body
            .as_ref()
            .map(|b| compile_body(b, names, &mut json_templates))
            .transpose()?;
        let outputs = Outputs::compile(&op.output_parameters, names)?;
        let schema =
            naftiko_validate::body_schema::load(op).map_err(|e| format!("`outputSchema`: {e}"))?;
        Ok(ConsumedOp {
            api,
            description: op.description.as_ref().map(|d| d.value.clone()),
            method,
            url,
            params,
            body,
            format: op
                .output_raw_format
                .as_ref()
                .map(|f| f.value)
                .unwrap_or(RawFormat::Json),
            schema,
            media_type: op.output_media_type.as_ref().map(|m| m.value.clone()),
            max_binary: crate::binary::limit(op.max_binary_size.as_ref()),
            outputs,
            json_templates,
        })
    }

    /// The limit its answer is read within, when it answers binary content (the
    /// transport's own limit applies to the others).
    pub(crate) fn binary_limit(&self, exposure: &crate::binary::Exposure) -> Option<usize> {
        (self.format == RawFormat::Binary)
            .then(|| crate::binary::answer_limit(self.max_binary, exposure))
    }

    /// True when the operation has a `body` block.
    pub(crate) fn has_body_template(&self) -> bool {
        self.body.is_some()
    }

    /// The templates of the operation's `body` and the content type it goes with, when
    /// the direct path can render it ([`ConsumedOp::body_text`]): a body of any kind but
    /// multipart (whose content type carries a boundary made per request).
    pub(crate) fn body_templates(&self) -> Option<(Vec<&Tpl>, &'static str)> {
        let body = self.body.as_ref()?;
        let templates = match body {
            BodyTpl::JsonText(t) => vec![&t.tpl],
            BodyTpl::Raw(t) | BodyTpl::Xml(t) | BodyTpl::Text(t, _) | BodyTpl::FormString(t) => {
                vec![t]
            }
            BodyTpl::Json(_) => self.json_templates.iter().map(|(_, t)| t).collect(),
            BodyTpl::FormFields(fields) => fields.iter().map(|(_, t)| t).collect(),
            BodyTpl::Multipart(_) => return None,
        };
        Some((templates, body.content_type()))
    }

    /// The operation's `body` rendered from `scope`, as the general path writes it;
    /// `None` when it has none.
    pub(crate) fn body_text(&self, scope: &dyn Resolve) -> Option<Vec<u8>> {
        Some(self.body_bytes(self.body.as_ref()?, scope))
    }

    /// Renders the upstream request.
    ///
    /// # Errors
    /// A required parameter without a value, a path value that would leave the base URI, or a
    /// header value with CR/LF or other control characters is a [`InvokeError::BadInput`].
    pub(crate) fn prepare(&self, scope: &mut CallScope<'_>) -> Result<Prepared, InvokeError> {
        self.resolve_params(scope)?;
        let mut url = self.url.render(scope)?;
        let mut placed = Placed::default();
        for p in &self.params {
            if let Some(v) = scope.resolved.get(&p.name) {
                placed.place(p, v, &mut url)?;
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        if !placed.cookies.is_empty() {
            let cookies = header_value("Cookie", &placed.cookies.join("; "))?;
            placed.headers.insert(COOKIE, cookies);
        }
        let body = self.body_of(scope, &mut placed)?;
        let mut headers = placed.headers;
        let body = body.map(|(bytes, ct)| {
            headers.entry(CONTENT_TYPE).or_insert(ct);
            bytes
        });
        Ok(Prepared {
            method: self.method.clone(),
            url,
            headers,
            body,
        })
    }

    /// Resolves every parameter into `scope.resolved` (`in: environment` ones first: other
    /// parameters' templates may read them).
    ///
    /// # Errors
    /// The first required parameter without a value (naming the others).
    fn resolve_params(&self, scope: &mut CallScope<'_>) -> Result<(), InvokeError> {
        resolve_params(&self.params, scope)
    }

    /// The body and its content type: the operation's `body` template, else a form of the
    /// form parameters (over `with.body`), else JSON (or text) of the body parameters.
    fn body_of(
        &self,
        scope: &CallScope<'_>,
        placed: &mut Placed,
    ) -> Result<Option<(Bytes, HeaderValue)>, InvokeError> {
        if let Some(b) = &self.body {
            return self.render_body(b, scope).map(Some);
        }
        let with_body = scope.with.get("body");
        let has_form = self
            .params
            .iter()
            .any(|p| p.location == ParamLocation::Form);
        if has_form {
            // `with.body` as an object supplies the form; declared form params fill over it.
            let mut fields: Vec<(String, String)> = Vec::new();
            if let Some(Value::Object(m)) = with_body.or(placed.whole_body.as_ref()) {
                for (k, v) in m {
                    if !placed.form.iter().any(|(f, _)| f == k) {
                        push_form(&mut fields, k, v);
                    }
                }
            }
            fields.append(&mut placed.form);
            return Ok(Some((
                form::encode_pairs(&fields),
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )));
        }
        let body_fields = std::mem::take(&mut placed.body_fields);
        if placed.whole_body.is_none() && with_body.is_none() && body_fields.is_empty() {
            return Ok(None);
        }
        let mut doc = placed
            .whole_body
            .take()
            .or_else(|| with_body.cloned())
            .unwrap_or(Value::Null);
        if !body_fields.is_empty() {
            match &mut doc {
                Value::Object(m) => m.extend(body_fields),
                Value::Null => doc = Value::Object(body_fields),
                _ => {}
            }
        }
        Ok(Some(match doc {
            Value::String(text) => (
                Bytes::from(text),
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            doc => (
                Bytes::from(crate::json_text::json_bytes(&doc)),
                HeaderValue::from_static("application/json"),
            ),
        }))
    }

    fn render_body(
        &self,
        b: &BodyTpl,
        scope: &dyn Resolve,
    ) -> Result<(Bytes, HeaderValue), InvokeError> {
        if let BodyTpl::Multipart(parts) = b {
            let (bytes, boundary) = multipart(parts, scope);
            let ct = format!("{}; boundary={boundary}", b.content_type());
            let ct = HeaderValue::from_str(&ct)
                .map_err(|_| InvokeError::Internal("multipart boundary".to_owned()))?;
            return Ok((Bytes::from(bytes), ct));
        }
        Ok((
            Bytes::from(self.body_bytes(b, scope)),
            HeaderValue::from_static(b.content_type()),
        ))
    }

    /// The bytes of the body `b` rendered from `scope` (the direct path's and the general
    /// path's one rendering).
    fn body_bytes(&self, b: &BodyTpl, scope: &dyn Resolve) -> Vec<u8> {
        match b {
            BodyTpl::JsonText(t) => t.render(scope).into(),
            BodyTpl::Raw(t) | BodyTpl::Text(t, _) => t.render(scope).into(),
            BodyTpl::Xml(t) => t
                .render_encoded(scope, |_, v| {
                    crate::markup::escape_markup(&v.and_then(scalar_text).unwrap_or_default())
                        .into_owned()
                })
                .into(),
            BodyTpl::Json(body) => body.render(&self.json_templates, scope),
            BodyTpl::FormFields(fields) => {
                let mut pairs = Vec::new();
                for (k, t) in fields {
                    if let Some(v) = t.render_value(scope) {
                        push_form(&mut pairs, k, &v);
                    }
                }
                form::encode_pairs(&pairs).into()
            }
            // Values substituted into a pre-encoded form are form-encoded themselves.
            BodyTpl::FormString(t) => t
                .render_encoded(scope, |_, v| {
                    form::encoded(&v.and_then(scalar_text).unwrap_or_default())
                })
                .into(),
            BodyTpl::Multipart(parts) => multipart(parts, scope).0,
        }
    }
}

impl BodyTpl {
    /// The content type the body goes with (a multipart body's without its boundary).
    fn content_type(&self) -> &'static str {
        match self {
            BodyTpl::JsonText(_) | BodyTpl::Json(_) => "application/json",
            BodyTpl::Raw(_) => "text/plain; charset=utf-8",
            BodyTpl::Xml(_) => "application/xml",
            BodyTpl::Text(_, ct) => ct,
            BodyTpl::FormFields(_) | BodyTpl::FormString(_) => "application/x-www-form-urlencoded",
            BodyTpl::Multipart(_) => "multipart/form-data",
        }
    }
}

fn header_value(name: &str, text: &str) -> Result<HeaderValue, InvokeError> {
    if text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(InvokeError::bad_input(
            name,
            "header",
            "contains control characters (CR, LF or others) that are not allowed in a header",
        ));
    }
    HeaderValue::from_str(text).map_err(|_| {
        InvokeError::bad_input(
            name,
            "header",
            "contains characters not allowed in a header",
        )
    })
}

/// A cookie parameter's `name=value` pair in the `Cookie` header (the pairs joined by
/// `; `): the value's text with everything outside RFC 6265's cookie-octet set
/// percent-encoded.
pub(crate) fn cookie_pair(name: &str, text: &str) -> String {
    format!("{name}={}", cookie_encode(text))
}

/// Cookie values: everything outside RFC 6265's cookie-octet set is percent-encoded.
fn cookie_encode(text: &str) -> String {
    const COOKIE_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b',')
        .add(b';')
        .add(b'\\')
        .add(b'%');
    percent_encoding::utf8_percent_encode(text, COOKIE_SET).to_string()
}

/// Adds the pairs a form parameter's value is written as (see [`item_texts`]).
pub(crate) fn push_form(out: &mut Vec<(String, String)>, name: &str, v: &Value) {
    out.extend(item_texts(v).map(|t| (name.to_owned(), t)));
}

/// The texts a parameter's value is written as in the query or a form, a pair each: every
/// element of an array, or the value itself, that is a scalar (`scope::scalar_text`).
pub(crate) fn item_texts(v: &Value) -> impl Iterator<Item = String> + '_ {
    let items = match v {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    items.iter().filter_map(scalar_text)
}

fn compile_body(
    b: &RequestBody,
    names: &Names<'_>,
    json_templates: &mut Vec<(String, Tpl)>,
) -> Result<BodyTpl, String> {
    let typed = match b {
        RequestBody::Raw(t) => {
            return Ok(if looks_like_json_text(&t.value) {
                BodyTpl::JsonText(JsonText::compile(&t.value, names)?)
            } else {
                BodyTpl::Raw(Tpl::compile(&t.value, names)?)
            });
        }
        RequestBody::Typed(t) => t,
    };
    let data = typed
        .data
        .as_ref()
        .map(|d| d.value.clone())
        .unwrap_or(Value::Null);
    let text_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match typed.kind.value {
        BodyKind::Json => match &data {
            // JSON written as text: keep it as text, with values JSON-encoded into it.
            Value::String(text) => BodyTpl::JsonText(JsonText::compile(text, names)?),
            _ => {
                collect_json_templates(&data, names, json_templates)?;
                BodyTpl::Json(JsonBody::compile(&data, json_templates))
            }
        },
        BodyKind::Text => BodyTpl::Text(
            Tpl::compile(&text_of(&data), names)?,
            "text/plain; charset=utf-8",
        ),
        BodyKind::Xml => BodyTpl::Xml(Tpl::compile(&text_of(&data), names)?),
        BodyKind::Sparql => BodyTpl::Text(
            Tpl::compile(&text_of(&data), names)?,
            "application/sparql-query",
        ),
        BodyKind::FormUrlEncoded => match &data {
            Value::Object(m) => BodyTpl::FormFields(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), Tpl::compile(&text_of(v), names)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => BodyTpl::FormString(Tpl::compile(&text_of(other), names)?),
        },
        BodyKind::MultipartForm => {
            let parts = match &data {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_object())
                    .map(|o| {
                        Ok(Part {
                            name: o.get("name").map(text_of).unwrap_or_default(),
                            value: Tpl::compile(
                                &o.get("value").map(text_of).unwrap_or_default(),
                                names,
                            )?,
                            filename: o.get("filename").map(text_of),
                            content_type: o.get("contentType").map(text_of),
                        })
                    })
                    .collect::<Result<_, String>>()?,
                _ => Vec::new(),
            };
            BodyTpl::Multipart(parts)
        }
    })
}

fn collect_json_templates(
    v: &Value,
    names: &Names<'_>,
    out: &mut Vec<(String, Tpl)>,
) -> Result<(), String> {
    match v {
        Value::String(s) if s.contains("{{") && !out.iter().any(|(k, _)| k == s) => {
            out.push((s.clone(), Tpl::compile(s, names)?));
        }
        Value::Array(items) => {
            for i in items {
                collect_json_templates(i, names, out)?;
            }
        }
        Value::Object(m) => {
            for i in m.values() {
                collect_json_templates(i, names, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// JSON body data compiled into its compact text: runs of literal text between holes, each
/// hole a template string of the data. Rendering writes the runs and, for each hole, the
/// JSON of the template rendered (a string that is exactly one variable takes that
/// variable's JSON value, so numbers stay numbers; a missing one is `null`): the bytes of
/// the data with every template string rendered, written as compact JSON, without a tree.
#[derive(Debug, Clone)]
struct JsonBody {
    pieces: Vec<JsonPiece>,
}

#[derive(Debug, Clone)]
enum JsonPiece {
    Text(Vec<u8>),
    /// The template at this index of the operation's JSON templates.
    Hole(usize),
}

impl JsonBody {
    /// `data`, whose template strings are among `templates`.
    fn compile(data: &Value, templates: &[(String, Tpl)]) -> JsonBody {
        let mut body = JsonBody { pieces: Vec::new() };
        body.push_value(data, templates);
        body
    }

    fn push_value(&mut self, v: &Value, templates: &[(String, Tpl)]) {
        match v {
            Value::String(s) => match templates.iter().position(|(k, _)| k == s) {
                Some(i) => self.pieces.push(JsonPiece::Hole(i)),
                None => self.push_text(&crate::json_text::json_bytes(v)),
            },
            Value::Array(items) => {
                self.push_text(b"[");
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        self.push_text(b",");
                    }
                    self.push_value(item, templates);
                }
                self.push_text(b"]");
            }
            Value::Object(m) => {
                self.push_text(b"{");
                for (n, (k, item)) in m.iter().enumerate() {
                    if n > 0 {
                        self.push_text(b",");
                    }
                    self.push_text(&crate::json_text::json_bytes(&Value::String(k.clone())));
                    self.push_text(b":");
                    self.push_value(item, templates);
                }
                self.push_text(b"}");
            }
            other => self.push_text(&crate::json_text::json_bytes(other)),
        }
    }

    fn push_text(&mut self, text: &[u8]) {
        match self.pieces.last_mut() {
            Some(JsonPiece::Text(t)) => t.extend_from_slice(text),
            _ => self.pieces.push(JsonPiece::Text(text.to_vec())),
        }
    }

    fn render(&self, templates: &[(String, Tpl)], scope: &dyn Resolve) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        for piece in &self.pieces {
            match piece {
                JsonPiece::Text(t) => out.extend_from_slice(t),
                JsonPiece::Hole(i) => {
                    let v = templates.get(*i).and_then(|(_, t)| t.render_value(scope));
                    // A value's JSON text, written into a `Vec`: cannot fail.
                    let _ = serde_json::to_writer(&mut out, &v.unwrap_or(Value::Null));
                }
            }
        }
        out
    }
}

/// JSON body data with every template string rendered; a string that is exactly one
/// variable takes that variable's JSON value (so numbers stay numbers): what [`JsonBody`]
/// writes, as a tree (the tests' oracle).
#[cfg(test)]
fn render_json(v: &Value, templates: &[(String, Tpl)], scope: &dyn Resolve) -> Value {
    match v {
        Value::String(s) => match templates.iter().find(|(k, _)| k == s) {
            Some((_, t)) => t.render_value(scope).unwrap_or(Value::Null),
            None => v.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_json(i, templates, scope))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| (k.clone(), render_json(i, templates, scope)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A `multipart/form-data` body and its boundary.
fn multipart(parts: &[Part], scope: &dyn Resolve) -> (Vec<u8>, String) {
    let rendered: Vec<String> = parts.iter().map(|p| p.value.render(scope)).collect();
    // A boundary that occurs in no part.
    let mut n: u64 = 0x6e61_6674_696b_6f00;
    let boundary = loop {
        let b = format!("naftiko-{n:016x}");
        if !rendered.iter().any(|r| r.contains(&b)) {
            break b;
        }
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    };
    let quote = |s: &str| s.replace(['"', '\r', '\n'], "_");
    let mut out = Vec::new();
    for (p, value) in parts.iter().zip(&rendered) {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!(
            "Content-Disposition: form-data; name=\"{}\"",
            quote(&p.name)
        );
        if let Some(f) = &p.filename {
            disposition.push_str(&format!("; filename=\"{}\"", quote(f)));
        }
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = &p.content_type {
            out.extend_from_slice(format!("Content-Type: {}\r\n", quote(ct)).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (out, boundary)
}

/// True when a raw body template reads as JSON (an object or array).
fn looks_like_json_text(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// A JSON text template: each variable is encoded for where it stands, so no value can
/// change the document's structure.
#[derive(Debug, Clone)]
struct JsonText {
    tpl: Tpl,
    /// Per variable: true when it stands inside a JSON string literal.
    in_string: Vec<bool>,
}

impl JsonText {
    fn compile(text: &str, names: &Names<'_>) -> Result<Self, String> {
        let tpl = Tpl::compile(text, names)?;
        let spans = tpl.spans();
        let mut in_string = Vec::with_capacity(spans.len());
        let (mut inside, mut escaped, mut pos) = (false, false, 0);
        for span in &spans {
            for b in text.as_bytes()[pos..span.start].iter() {
                match (inside, escaped, b) {
                    (true, true, _) => escaped = false,
                    (true, false, b'\\') => escaped = true,
                    (_, false, b'"') => inside = !inside,
                    _ => {}
                }
            }
            in_string.push(inside);
            pos = span.end;
        }
        Ok(JsonText { tpl, in_string })
    }

    fn render(&self, scope: &dyn Resolve) -> String {
        self.tpl.render_encoded(scope, |i, v| {
            let inside = self.in_string.get(i).copied().unwrap_or(false);
            match (inside, v) {
                (true, v) => {
                    let text = v.and_then(scalar_text).unwrap_or_default();
                    let quoted = Value::String(text).to_string();
                    quoted[1..quoted.len() - 1].to_owned()
                }
                (false, None | Some(Value::Null)) => "null".to_owned(),
                (false, Some(Value::String(s))) => {
                    // A number or boolean sent as text keeps its JSON meaning; anything else
                    // is quoted, so it cannot add structure.
                    match serde_json::from_str::<Value>(s) {
                        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                        _ => Value::String(s.clone()).to_string(),
                    }
                }
                (false, Some(other)) => other.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::testing::{Values, with_plain_names};
    use serde_json::json;

    fn json_text(text: &str, values: Value) -> String {
        with_plain_names(|names| JsonText::compile(text, names))
            .unwrap()
            .render(&Values(values))
    }

    #[test]
    fn json_text_values_cannot_change_the_structure() {
        let out = json_text(
            r#"{"name": "{{name}}", "count": {{count}}, "tag": {{tag}}}"#,
            json!({"name": "x\", \"admin\": true, \"y\": \"", "count": "3", "tag": "a\"}"}),
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 3, "{out}");
        assert_eq!(v["count"], json!(3));
        assert_eq!(v["name"], json!("x\", \"admin\": true, \"y\": \""));
        assert_eq!(v["tag"], json!("a\"}"));
    }

    /// A compiled JSON body writes the bytes of the data rendered as a tree: for nested
    /// objects and arrays, whole-value and in-string templates, values of every JSON type,
    /// missing values, escapes, and templates used twice.
    #[test]
    fn compiled_json_bodies_write_what_the_rendered_tree_is() {
        let data = json!({
            "order": {"customer_id": "{{customer}}", "lines": [{"sku": "{{sku}}",
                "qty": "{{quantity}}"}], "note": "bench order for {{customer}}: {{note}}"},
            "source": "naftiko-bench", "n": 1.5, "t": true, "z": null, "e": [], "o": {},
            "esc\"k\u{e9}": "lit\"\n", "again": "{{customer}}", "gone": "{{missing}}",
            "deep": [[["{{quantity}}", 2], {"x": "{{sku}}"}]]
        });
        let mut templates = Vec::new();
        with_plain_names(|names| collect_json_templates(&data, names, &mut templates)).unwrap();
        let body = JsonBody::compile(&data, &templates);
        for values in [
            json!({"customer": "c-42", "sku": "A-1", "quantity": 3, "note": "rush"}),
            json!({"customer": "a\"b\\c\u{1}é", "sku": ["x", {"y": null}], "quantity": -0.5,
                "note": {"k": "v"}}),
            json!({"customer": true, "quantity": "12"}),
            json!({}),
        ] {
            let scope = Values(values.clone());
            let tree = render_json(&data, &templates, &scope);
            let ours = body.render(&templates, &scope);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                crate::json_text::json_string(&tree),
                "{values}"
            );
        }
    }
}
