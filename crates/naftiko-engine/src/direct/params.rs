//! The direct path's parameter shape: an operation whose caller's values go into the
//! upstream URL, headers and a body, the commonest shapes of published capabilities
//! (`GET /items/{id}?q=…` with an API key, `POST /orders` with a JSON body template,
//! `POST /notes` passing its JSON body on).
//!
//! A [`ParamsPlan`] is compiled when:
//! - every consumed parameter is a path, query, header or environment parameter without a
//!   value of its own or with one that reads bound values only (rendered once, at build
//!   time; a header parameter named like none of the headers the head writes
//!   itself: host, user agent, content type, cookies, framing, the trace's, the
//!   credentials'), or the `body` parameter taking the body `with` passes on;
//! - `with` only names inbound arguments, and perhaps `body: rest.body`;
//! - a `body` (if any) is of any kind but multipart (JSON data or text, raw or XML text,
//!   form fields or a form string) and its templates read only bound values, those
//!   parameters and inbound arguments other than the whole body (`{{rest.x}}`), and no
//!   body is passed on besides;
//! - the credentials are the same on every call (none, or basic, bearer or API-key
//!   credentials that read bound values only);
//! - every path variable is a plain name sharing its segment with no literal `%`, before
//!   any literal `?` (the path's own query, written first in the upstream query) or `#`
//!   (a fragment, never sent).
//!
//! The head after the request line (host, user agent, content type, credentials) is
//! written once, by the h1 client's own writer. Per request, each parameter is resolved as
//! the general path resolves it (`with`'s argument unless it is missing or `null`, then
//! the parameter's own name: path variables, the query, the members of a JSON body, and
//! for a header parameter the headers; then the environment), encoded as the general path
//! encodes it (`url::push_segment`, `form::append_pair`, a header parameter's scalar text
//! after host and user agent, the operation's `body` rendered by the general path's own
//! rendering, a passed-on body written as serde_json writes what it reads) and written
//! out.
//!
//! A request whose values the general path would find elsewhere (a path variable spelled
//! another way, a body that is not a JSON object the skimming reader is sure of, a `body`
//! argument other than the whole body) or refuse (a missing required value, an empty, `.`
//! or `..` segment, a header value with a control character), or would write otherwise (a
//! header parameter's value that is an array, an object or `null`, a passed-on body that
//! is no JSON object or array or repeats a key) is declined before anything is sent.

use std::borrow::Cow;

use http::{HeaderMap, HeaderValue, Method};
use naftiko_spec::model::ParamLocation;
use serde_json::{Map, Value};

use crate::inbound::RequestView;
use crate::invoke::Invocable;
use crate::prepared::Prepared;
use crate::request::ConsumedOp;
use crate::scope::{BindsOnly, Resolve, Tpl, VarSource, scalar_text};
use crate::trace::ClientCall;
use crate::url::{PathPart, push_segment};

use super::body::BodyFields;
use naftiko_http1::write::{finish_request, push_request_line};

/// Where one consumed parameter's value is looked up.
#[derive(Debug)]
struct Lookup {
    /// `with: {name: rest.arg}`: the inbound argument read first (headers included).
    with_arg: Option<String>,
    /// The parameter's own name, read next (headers included for a header parameter).
    name: String,
    /// `in: header`: its own name is looked up among the request's headers too.
    from_header: bool,
    required: bool,
    /// `in: environment`: the variable's value, read last.
    env: Option<String>,
    /// The parameter's own `value`, when it reads bound values only (or nothing): rendered
    /// once, at build time, and read after `with`'s value.
    fixed: Option<Value>,
    /// A path variable no parameter declares: read as the URL template reads a name
    /// (`with`'s value, even `null`, else the argument), and required.
    implicit: bool,
}

/// A value found for a parameter.
#[derive(Debug, Clone)]
enum Found<'r> {
    /// Text: from the path, the query or the environment.
    Text(Cow<'r, str>),
    /// A JSON value: a member of the inbound body, or a tool's argument.
    Json(Cow<'r, Value>),
}

impl Found<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Found::Json(v) if v.is_null())
    }

    /// The value as text for the path or the query (`scope::scalar_text`): `None` for
    /// `null`.
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Found::Text(t) => Some(Cow::Borrowed(t)),
            Found::Json(v) => match v.as_ref() {
                Value::String(t) => Some(Cow::Borrowed(t)),
                other => scalar_text(other).map(Cow::Owned),
            },
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Found::Text(t) => Value::String(t.as_ref().to_owned()),
            Found::Json(v) => v.as_ref().clone(),
        }
    }
}

/// How the general path resolves one parameter: its value (`with`'s unless that is
/// missing or `null`, else the argument of its own name, else the environment's), and
/// `with`'s value as it is (what a template reads when the parameter has none).
#[derive(Debug)]
struct Resolution<'r> {
    resolved: Option<Found<'r>>,
    with: Option<Found<'r>>,
}

/// A piece of the upstream path.
#[derive(Debug)]
enum Piece {
    Literal(String),
    /// A variable: the value of `lookups[i]`, one encoded segment or part of one.
    Var(usize),
}

/// An operation whose inputs are path and query parameters, compiled for the direct path.
#[derive(Debug)]
pub(crate) struct ParamsPlan {
    /// The base URI's path and what follows it.
    path: Vec<Piece>,
    /// The query written in the path (`/x?a=1`), before the parameters'.
    own_query: Option<String>,
    /// The query parameters, in the operation's order: name and lookup.
    query: Vec<(String, usize)>,
    lookups: Vec<Lookup>,
    /// The header parameters, in the operation's order: lower-case name and lookup.
    headers: Vec<(String, usize)>,
    /// `key=value` of an API key sent in the query, after the parameters.
    auth_query: Option<String>,
    /// The head's lines after the request line: host, user agent, content type and
    /// credentials.
    head: Vec<u8>,
    /// Where in `head` the header parameters' lines go: after host and user agent, before
    /// the content type and the credentials (the general path's order).
    headers_at: usize,
    /// The operation has a `body` template, rendered from the parameters.
    templated_body: bool,
    /// The inbound arguments the body's templates read (`{{rest.x}}`: `x`), each looked up
    /// as `with` looks its arguments up.
    body_arguments: Vec<String>,
    /// `with: {body: rest.body}`: the inbound JSON object or array goes upstream, written
    /// as serde_json writes what it reads (`minify.rs`).
    forward_body: bool,
    /// The bound values the body's templates may read.
    binds: std::sync::Arc<[Option<String>]>,
}

/// Headers the trace writes after the plan's own (an API key of one of these names would
/// be replaced in place on the general path, not written before them).
const TRACE_HEADERS: [&str; 3] = ["traceparent", "tracestate", "x-request-id"];

impl ParamsPlan {
    /// The plan of `inv`'s call of `op`, when it has the parameter shape (see the module).
    pub(crate) fn compile(inv: &Invocable, op: &ConsumedOp) -> Option<ParamsPlan> {
        if op.method == Method::HEAD {
            return None;
        }
        // `with: {body: rest.body}`: the inbound JSON body goes upstream as it is.
        let forward_body = inv.with.arguments_and_body()?;
        let mut lookups = Vec::with_capacity(op.params.len());
        let mut query = Vec::new();
        let mut headers = Vec::new();
        for p in &op.params {
            if forward_body && p.location == ParamLocation::Body && p.name == "body" {
                // Resolved as `with`'s `body` is: the body passed on.
                if p.value_template().is_some() {
                    return None;
                }
                continue;
            }
            let located = match p.location {
                ParamLocation::Path | ParamLocation::Query | ParamLocation::Environment => true,
                ParamLocation::Header => match header_name(&p.name) {
                    // Two of one name (in any case): the second replaces the first.
                    Some(name) if headers.iter().any(|(n, _)| *n == name) => false,
                    Some(name) => {
                        headers.push((name, lookups.len()));
                        true
                    }
                    None => false,
                },
                _ => false,
            };
            let plain = located
                && p.value_template().is_none_or(Tpl::reads_only_binds)
                && p.name != "body"
                && lookups.iter().all(|l: &Lookup| l.name != p.name);
            if !plain {
                return None;
            }
            if p.location == ParamLocation::Query {
                query.push((p.name.clone(), lookups.len()));
            }
            lookups.push(Lookup {
                with_arg: inv.with.argument_of(&p.name)?.map(str::to_owned),
                name: p.name.clone(),
                from_header: p.location == ParamLocation::Header,
                implicit: false,
                required: p.required,
                env: p.env_value().map(str::to_owned),
                fixed: p
                    .value_template()
                    .and_then(|t| t.render_value(&BindsOnly(&inv.binds)))
                    .filter(|v| !v.is_null()),
            });
        }
        add_implicit(inv, op, &mut lookups)?;
        let (body_type, body_arguments) = body_template(op, &lookups)?;
        let templated_body = body_type.is_some();
        if forward_body && templated_body {
            // The template wins over the body passed on: left to the general path.
            return None;
        }
        let (path, own_query) = path_pieces(op, &lookups)?;
        let content_type = body_type.or(forward_body.then_some("application/json"));
        let (head, headers_at, auth_query) = fixed_head(inv, op, content_type)?;
        if !headers.is_empty() {
            // A header the credentials or the content type write would be replaced in
            // place on the general path.
            let fixed = head.get(headers_at..)?;
            let written = |name: &str| {
                fixed.split(|&b| b == b'\n').any(|line| {
                    line.len() > name.len()
                        && line.get(name.len()) == Some(&b':')
                        && line
                            .get(..name.len())
                            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                })
            };
            if headers.iter().any(|(name, _)| written(name)) {
                return None;
            }
        }
        Some(ParamsPlan {
            path,
            own_query,
            query,
            lookups,
            headers,
            auth_query,
            head,
            headers_at,
            templated_body,
            body_arguments,
            forward_body,
            binds: inv.binds.clone(),
        })
    }

    /// The whole upstream request for the values of `src`, with `call`'s trace headers
    /// after the plan's own, or `None` to decline.
    pub(crate) fn request(
        &self,
        op: &ConsumedOp,
        src: Source<'_>,
        call: &ClientCall<'_>,
    ) -> Option<Vec<u8>> {
        let body = match src {
            Source::Rest(req) => BodyFields::read(req.content_type, req.body)?,
            Source::Tool(_) => BodyFields::default(),
        };
        let values = self.resolve(&src, &body)?;
        let mut path = String::with_capacity(64);
        for piece in &self.path {
            match piece {
                Piece::Literal(text) => path.push_str(text),
                Piece::Var(i) => {
                    let found = values.get(*i)?.resolved.as_ref()?;
                    if !push_segment(&mut path, &found.text()?) {
                        return None;
                    }
                }
            }
        }
        let query = self.query_text(&values)?;
        let query = match std::str::from_utf8(&query) {
            Ok("") => None,
            Ok(text) => Some(text),
            Err(_) => return None,
        };
        let body = if self.templated_body {
            let arguments = self
                .body_arguments
                .iter()
                .map(|name| argument(&src, &body, name, true))
                .collect::<Result<Vec<_>, ()>>()
                .ok()?;
            Some(op.body_text(&Resolved {
                binds: &self.binds,
                lookups: &self.lookups,
                values: &values,
                arguments: &self.body_arguments,
                argument_values: &arguments,
            })?)
        } else if self.forward_body {
            let Source::Rest(req) = src else {
                return None;
            };
            Some(passed_on(req, &body)?)
        } else {
            None
        };
        let mut out = Vec::with_capacity(path.len() + self.head.len() + 200);
        push_request_line(&mut out, &op.method, &path, query);
        let (before, after) = self.head.split_at_checked(self.headers_at)?;
        out.extend_from_slice(before);
        self.push_header_params(&values, &mut out)?;
        out.extend_from_slice(after);
        call.push_headers(&mut out);
        finish_request(&mut out, &op.method, body.as_deref());
        Some(out)
    }

    /// The parameters' names and the arguments `with` reads.
    #[cfg(test)]
    pub(crate) fn argument_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lookups.iter().map(|l| l.name.clone()).collect();
        names.extend(self.lookups.iter().filter_map(|l| l.with_arg.clone()));
        names.extend(self.body_arguments.iter().cloned());
        names
    }

    /// Every parameter resolved as the general path resolves it; `None` when a required
    /// one has no value, or a value would be found where the plan does not look.
    fn resolve<'r>(&self, src: &Source<'r>, body: &BodyFields<'r>) -> Option<Vec<Resolution<'r>>> {
        let mut values = Vec::with_capacity(self.lookups.len());
        for lookup in &self.lookups {
            let resolution = lookup.value(src, body).ok()?;
            if lookup.implicit && resolution.with.as_ref().is_some_and(Found::is_null) {
                // The URL template would read `null` where the lookup goes on.
                return None;
            }
            if lookup.required && resolution.resolved.is_none() {
                return None;
            }
            values.push(resolution);
        }
        Some(values)
    }

    /// Each header parameter with a value, in order, as the general path writes it: a
    /// scalar's text (`None` to decline anything else, and a value the general path
    /// refuses as a header's).
    fn push_header_params(&self, values: &[Resolution<'_>], out: &mut Vec<u8>) -> Option<()> {
        for (name, i) in &self.headers {
            let Some(found) = &values.get(*i)?.resolved else {
                continue;
            };
            if let Found::Json(v) = found
                && !matches!(
                    v.as_ref(),
                    Value::String(_) | Value::Number(_) | Value::Bool(_)
                )
            {
                return None;
            }
            let text = found.text()?;
            if !naftiko_http1::fields::is_field_value(text.as_bytes()) {
                return None;
            }
            naftiko_http1::fields::push_header(out, name.as_bytes(), text.as_bytes());
        }
        Some(())
    }

    /// The query: each query parameter with a value, in order, then an API key's pair.
    fn query_text(&self, values: &[Resolution<'_>]) -> Option<Vec<u8>> {
        let mut query: Vec<u8> = self.own_query.as_deref().unwrap_or("").into();
        for (name, i) in &self.query {
            let Some(found) = &values.get(*i)?.resolved else {
                continue;
            };
            if let Found::Json(v) = found
                && v.is_array()
            {
                // One pair per element: left to the general path.
                return None;
            }
            if let Some(text) = found.text() {
                crate::form::append_pair(&mut query, name, &text);
            }
        }
        if let Some(pair) = &self.auth_query {
            if !query.is_empty() {
                query.push(b'&');
            }
            query.extend_from_slice(pair.as_bytes());
        }
        Some(query)
    }
}

/// The scope a body template renders from: bound values, each parameter's value as the
/// general path's call scope gives it (resolved, else `with`'s), and the inbound arguments
/// it reads.
struct Resolved<'a, 'r> {
    binds: &'a [Option<String>],
    lookups: &'a [Lookup],
    values: &'a [Resolution<'r>],
    /// The arguments' names, and what each was found to be.
    arguments: &'a [String],
    argument_values: &'a [Option<Found<'r>>],
}

impl Resolve for Resolved<'_, '_> {
    fn bind(&self, index: usize) -> Option<&str> {
        self.binds.get(index)?.as_deref()
    }
    fn arg(&self, name: &str) -> Option<Cow<'_, Value>> {
        let i = self.arguments.iter().position(|a| a == name)?;
        let found = self.argument_values.get(i)?.as_ref()?;
        Some(Cow::Owned(found.to_value()))
    }
    fn local(&self, name: &str) -> Option<Cow<'_, Value>> {
        let i = self.lookups.iter().position(|l| l.name == name)?;
        let value = self.values.get(i)?;
        let found = value.resolved.as_ref().or(value.with.as_ref())?;
        Some(Cow::Owned(found.to_value()))
    }
}

/// Where a call's values come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'r> {
    /// A REST request.
    Rest(&'r RequestView<'r>),
    /// An MCP tool's arguments (a tool whose arguments are its declared inputs, each a
    /// scalar its input takes as it is: see `DirectPlan::takes_arguments`).
    Tool(&'r Map<String, Value>),
}

impl Lookup {
    /// The parameter resolved as the general path resolves it (`Param::resolve`); `Err`
    /// when a value would be found somewhere the plan does not look.
    fn value<'r>(&self, src: &Source<'r>, body: &BodyFields<'r>) -> Result<Resolution<'r>, ()> {
        let with = match &self.with_arg {
            Some(arg) => argument(src, body, arg, true)?,
            None => None,
        };
        let resolved = match (&with, &self.fixed) {
            (Some(found), _) if !found.is_null() => Some(found.clone()),
            (_, Some(fixed)) => Some(Found::Json(Cow::Owned(fixed.clone()))),
            _ => match argument(src, body, &self.name, self.from_header)? {
                Some(found) => Some(found),
                None => self
                    .env
                    .as_deref()
                    .map(|e| Found::Text(Cow::Owned(e.to_owned()))),
            },
        };
        Ok(Resolution { resolved, with })
    }
}

/// The inbound body as `with: {body: rest.body}` passes it on: a JSON object or array
/// (the body was read as JSON, see `BodyFields::read`) written as serde_json writes what it
/// reads; `None` when `rest.body` would be something else (a path variable, a query
/// parameter, a member or a header named `body`, or a body of another kind), or the body
/// repeats a key.
fn passed_on(req: &RequestView<'_>, body: &BodyFields<'_>) -> Option<Vec<u8>> {
    if rest_argument(req, body, "body", true).ok()?.is_some() {
        return None;
    }
    let at = crate::skim::whitespace(req.body, 0);
    if !matches!(req.body.get(at), Some(b'{' | b'[')) {
        return None;
    }
    let mut out = Vec::new();
    let end = crate::minify::minified(req.body, at, 0, &mut out).ok()?;
    (crate::skim::whitespace(req.body, end) == req.body.len()).then_some(out)
}

/// The inbound argument `name` as `Args::get` finds it (with `headers`, as
/// `Args::qualified` does but for the whole body), from a REST request or a tool call;
/// `Err` when a value would be found somewhere the plan does not look.
fn argument<'r>(
    src: &Source<'r>,
    body: &BodyFields<'r>,
    name: &str,
    headers: bool,
) -> Result<Option<Found<'r>>, ()> {
    match *src {
        Source::Rest(req) => rest_argument(req, body, name, headers),
        Source::Tool(args) => Ok(tool_argument(args, name)),
    }
}

/// The argument `name` of a tool call, as `Args::get` finds it: the declared input, else
/// the argument itself (the value sent, both: `DirectPlan::takes_arguments` has checked
/// that no input converts it).
fn tool_argument<'r>(args: &'r Map<String, Value>, name: &str) -> Option<Found<'r>> {
    crate::tools::member(args, name).map(|v| Found::Json(Cow::Borrowed(v)))
}

/// The inbound argument `name` as `Args::get` finds it: a path variable, else the first
/// query parameter of that name, else a member of a JSON body, else (with `headers`) the
/// first header of that name as text (none when it is not visible ASCII); `Err` when a
/// path variable spelled another way would answer instead.
fn rest_argument<'r>(
    req: &RequestView<'r>,
    body: &BodyFields<'r>,
    name: &str,
    headers: bool,
) -> Result<Option<Found<'r>>, ()> {
    if let Some((_, v)) = req.path_params.iter().find(|(k, _)| k == name) {
        return Ok(Some(Found::Text(Cow::Borrowed(v.as_str()))));
    }
    if let Some(q) = req.query
        && let Some((_, v)) = form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name)
    {
        return Ok(Some(Found::Text(v)));
    }
    if let Some(v) = body.field(name)? {
        return Ok(Some(Found::Json(Cow::Owned(v))));
    }
    if headers && let Some(value) = req.headers.header(name) {
        let text = naftiko_http1::fields::visible_text(value);
        return Ok(text.map(|t| Found::Text(Cow::Borrowed(t))));
    }
    if !req.path_params.is_empty() {
        let wanted = crate::inbound::loose(name);
        if req
            .path_params
            .iter()
            .any(|(k, _)| crate::inbound::loose(k) == wanted)
        {
            return Err(());
        }
    }
    Ok(None)
}

/// The content type of `op`'s `body` template and the inbound arguments its templates
/// read, when the plan can render it: any kind but multipart, reading only bound values,
/// the parameters of `lookups` and inbound arguments other than the whole body. `(None,
/// [])` when it has no template; `None` to decline.
fn body_template(
    op: &ConsumedOp,
    lookups: &[Lookup],
) -> Option<(Option<&'static str>, Vec<String>)> {
    let Some((templates, content_type)) = op.body_templates() else {
        return (!op.has_body_template()).then(|| (None, Vec::new()));
    };
    let mut arguments: Vec<String> = Vec::new();
    for source in templates.iter().flat_map(|t| t.sources()) {
        match source {
            VarSource::Bind(_) => {}
            VarSource::Local(path) => {
                let first = path.first()?;
                lookups.iter().find(|l| l.name == *first)?;
            }
            // The whole body, when no argument has that name: not looked up.
            VarSource::Arg { name, .. } if name == "body" => return None,
            VarSource::Arg { name, .. } => {
                if !arguments.contains(name) {
                    arguments.push(name.clone());
                }
            }
        }
    }
    Some((Some(content_type), arguments))
}

/// A lookup for each path variable of `op` that no parameter declares (the URL template
/// reads it by name); `None` when `with` names it more than once.
fn add_implicit(inv: &Invocable, op: &ConsumedOp, lookups: &mut Vec<Lookup>) -> Option<()> {
    let Some(split) = op.url.path_parts() else {
        return Some(());
    };
    for part in split.parts {
        let PathPart::Var(name) = part else { continue };
        let declared = op.params.iter().any(|p| p.name == name);
        if declared || lookups.iter().any(|l| l.name == name) {
            continue;
        }
        lookups.push(Lookup {
            with_arg: inv.with.argument_of(name)?.map(str::to_owned),
            name: name.to_owned(),
            from_header: false,
            required: true,
            env: None,
            fixed: None,
            implicit: true,
        });
    }
    Some(())
}

/// The pieces of `op`'s path and its own query (see `UrlTemplate::path_parts`), when
/// each variable names one of its path parameters (once) and the URL crate keeps the
/// literal text as it is (no dot segments, nothing it would encode).
fn path_pieces(op: &ConsumedOp, lookups: &[Lookup]) -> Option<(Vec<Piece>, Option<String>)> {
    let split = op.url.path_parts()?;
    let mut pieces = vec![Piece::Literal(split.base.to_owned())];
    let mut sample = split.base.to_owned();
    let mut used = Vec::new();
    for part in split.parts {
        match part {
            PathPart::Literal(text) => {
                sample.push_str(text);
                pieces.push(Piece::Literal(text.to_owned()));
            }
            PathPart::Var(name) => {
                let i = lookups.iter().position(|l| l.name == name)?;
                let is_path = lookups.get(i).is_some_and(|l| l.implicit)
                    || op
                        .params
                        .iter()
                        .any(|p| p.name == name && p.location == ParamLocation::Path);
                if !is_path || used.contains(&i) {
                    return None;
                }
                used.push(i);
                sample.push('x');
                pieces.push(Piece::Var(i));
            }
        }
    }
    // A path parameter the path does not name is resolved (it is required) and placed
    // nowhere, as on the general path.
    let mut url = op.url.base_url().clone();
    url.set_path(&sample);
    url.set_query(split.own_query);
    let kept = url.path() == sample && url.query() == split.own_query;
    kept.then(|| (pieces, split.own_query.map(str::to_owned)))
}

/// The lower-case name of a header parameter the plan can write: a valid header name that
/// is none of the head's own (host, user agent, framing, content type, cookies) nor one
/// the trace writes.
fn header_name(name: &str) -> Option<String> {
    let name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
    let own = [
        http::header::HOST,
        http::header::USER_AGENT,
        http::header::CONTENT_TYPE,
        http::header::COOKIE,
    ];
    let plain = !own.contains(&name)
        && !naftiko_http1::write::is_framing_header(&name)
        && !TRACE_HEADERS.contains(&name.as_str());
    plain.then(|| name.as_str().to_owned())
}

/// The head's lines after the request line, with the fixed credentials, where header
/// parameters go in it (after host and user agent), and an API key's query pair; `None`
/// when the credentials are not fixed or cannot be written.
fn fixed_head(
    inv: &Invocable,
    op: &ConsumedOp,
    content_type: Option<&'static str>,
) -> Option<(Vec<u8>, usize, Option<String>)> {
    let auth = &op.api.auth;
    if !auth.is_fixed() || auth.retries_on_401() {
        return None;
    }
    let mut prepared = Prepared {
        method: op.method.clone(),
        url: op.url.base_url().clone(),
        headers: HeaderMap::new(),
        body: None,
    };
    if let Some(content_type) = content_type {
        // As the general path sets it, before the credentials.
        prepared.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    auth.apply_fixed(&mut prepared, &BindsOnly(&inv.binds), &op.api.namespace)
        .ok()?;
    if TRACE_HEADERS
        .iter()
        .any(|name| prepared.headers.contains_key(*name))
    {
        return None;
    }
    let agent = HeaderValue::from_static(crate::transport::USER_AGENT);
    let after_line = |headers: &HeaderMap| -> Option<Vec<u8>> {
        let head =
            crate::h1_client::request_head(&op.method, &prepared.url, headers, &agent).ok()?;
        let line = head.windows(2).position(|w| w == b"\r\n")?;
        Some(head.get(line + 2..)?.to_vec())
    };
    let head = after_line(&prepared.headers)?;
    // Host and user agent, written before every header of the map.
    let own = after_line(&HeaderMap::new())?;
    let headers_at = if head.starts_with(&own) { own.len() } else { 0 };
    if headers_at == 0 && !own.is_empty() {
        return None;
    }
    Some((head, headers_at, prepared.url.query().map(str::to_owned)))
}
