//! The direct path's parameter shape: an operation whose caller's values go into the
//! upstream URL, headers and a body, the commonest shapes of published capabilities
//! (`GET /items/{id}?q=…` with an API key, `POST /orders` with a JSON body template,
//! `POST /notes` passing its JSON body on).
//!
//! A [`ParamsPlan`] is compiled when:
//! - every consumed parameter is a path, query, header, cookie, form, body (other than
//!   `body`) or environment parameter without a value of its own or with one that reads
//!   bound values only (rendered once, at build time; a header parameter named like none
//!   of the headers the head writes itself: host, user agent, content type, cookies,
//!   framing, the trace's, the credentials'; cookies only when the credentials write
//!   none), or the `body` parameter taking the body `with` passes on;
//! - `with` reads only inbound arguments (`rest.x`, `{{rest.x}}`, `{{x}}`), literals and
//!   templates of bound values (`With::read_of`), and perhaps `body: rest.body`;
//! - a `body` (if any) is of any kind but multipart (JSON data or text, raw or XML text,
//!   form fields or a form string) and its templates read only bound values, names (the
//!   parameters, `with`'s entries, the arguments) and inbound arguments other than the
//!   whole body (`{{rest.x}}`), and no body is passed on besides;
//! - no body is passed on beside form or body parameters (the general path merges them);
//! - the credentials are the same on every call (none, or basic, bearer or API-key
//!   credentials that read bound values only);
//! - every path variable is a plain name sharing its segment with no literal `%`, before
//!   any literal `?` (the path's own query, written first in the upstream query) or `#`
//!   (a fragment, never sent).
//!
//! The head after the request line (host, user agent, content type, credentials) is
//! written once, by the h1 client's own writer. Per request, the declared inputs are read
//! and checked as the general path reads and checks them (`sent.rs`), then each parameter
//! is resolved as the general path resolves it (`with`'s argument unless it is missing or
//! `null`, then the parameter's own name: a declared input, path variables, the query,
//! the members of a JSON body, and for a header parameter the headers; then the
//! environment), encoded as the general path encodes it (`url::push_segment`,
//! `form::append_pair` with a pair per array element, a header parameter's scalar text
//! after host and user agent, then the cookies' `Cookie` header (`request::cookie_pair`),
//! the operation's `body` rendered by the general path's own
//! rendering, form and body parameters as a form or a JSON object, a passed-on body
//! written as serde_json writes what it reads) and written out.
//!
//! A request whose values the general path would find elsewhere (a path variable spelled
//! another way, a body that is not a JSON object the skimming reader is sure of, a `body`
//! argument other than the whole body, a cookie) or refuse (a declared input it refuses,
//! a missing required value, an empty, `.` or `..` segment, a header value with a control
//! character), or would write otherwise (a header parameter's value that is an array, an
//! object or `null`, a passed-on body that is no JSON object or array or repeats a key,
//! no body parameter with a value) is declined before anything is sent.

use std::borrow::Cow;

use http::{HeaderMap, HeaderValue};
use naftiko_spec::model::ParamLocation;
use serde_json::{Map, Value};

use crate::input::Input;
use crate::invoke::{Invocable, WithRead};
use crate::prepared::Prepared;
use crate::request::{ConsumedOp, Param};
use crate::scope::{BindsOnly, Resolve, Tpl, VarSource};
use crate::trace::ClientCall;
use crate::url::{PathPart, push_segment};

use super::sent::{Found, Sent, Source};
use naftiko_http1::write::{finish_request, push_request_line};

/// Where one consumed parameter's value is looked up.
#[derive(Debug)]
struct Lookup {
    /// `with`'s entry of its name (`rest.arg`, `'{{arg}}'`, a literal…), read first.
    with: Option<WithRead>,
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
    /// A name no parameter declares, read by the URL template (a path variable, required)
    /// or by the body's templates: read as a template reads a name (`with`'s value, even
    /// `null`, else the argument, headers aside).
    implicit: bool,
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
    /// The cookie parameters (lookups), in the operation's order: one `Cookie` header
    /// after the header parameters.
    cookies: Vec<usize>,
    /// `key=value` of an API key sent in the query, after the parameters.
    auth_query: Option<String>,
    /// The head's lines after the request line: host, user agent, content type and
    /// credentials.
    head: Vec<u8>,
    /// Where in `head` the header parameters' lines go: after host and user agent, before
    /// the content type and the credentials (the general path's order).
    headers_at: usize,
    /// What goes in the upstream body.
    body: Body,
    /// The inbound arguments the body's templates read (`{{rest.x}}`: `x`), each looked up
    /// as `with` looks its arguments up.
    body_arguments: Vec<String>,
    /// The bound values the body's templates may read.
    binds: std::sync::Arc<[Option<String>]>,
    /// The operation's declared inputs, read and checked before anything else.
    inputs: Vec<Input>,
}

/// What a plan writes as the upstream body, as the general path chooses it
/// (`ConsumedOp::body_of`): the operation's `body` template, else a form of its form
/// parameters, else a JSON object of its body parameters, else the body `with` passes on.
#[derive(Debug)]
enum Body {
    None,
    /// The `body` template, rendered from the parameters.
    Template,
    /// `application/x-www-form-urlencoded` pairs of the form parameters (lookups), in
    /// order; an empty form when none has a value.
    Form(Vec<usize>),
    /// A JSON object of the body parameters (lookups) with a value, in order; declined
    /// when none has one (the general path then sends no body, nor its content type).
    Fields(Vec<usize>),
    /// `with: {body: rest.body}`: the inbound JSON object or array goes upstream, written
    /// as serde_json writes what it reads (`minify.rs`).
    PassedOn,
}

impl Body {
    /// The body of an operation with a template (its content type) or not, passing the
    /// inbound body on or not, with these form and body parameters; `None` when the
    /// general path would merge the body passed on with parameters.
    fn choose(
        template: Option<&'static str>,
        forward: bool,
        form: Vec<usize>,
        fields: Vec<usize>,
    ) -> Option<(Body, Option<&'static str>)> {
        Some(match template {
            // The template wins over the body passed on: left to the general path.
            Some(_) if forward => return None,
            Some(content_type) => (Body::Template, Some(content_type)),
            None if forward && !(form.is_empty() && fields.is_empty()) => return None,
            None if !form.is_empty() => {
                (Body::Form(form), Some("application/x-www-form-urlencoded"))
            }
            None if !fields.is_empty() => (Body::Fields(fields), Some("application/json")),
            None if forward => (Body::PassedOn, Some("application/json")),
            None => (Body::None, None),
        })
    }
}

/// Headers the trace writes after the plan's own (an API key of one of these names would
/// be replaced in place on the general path, not written before them).
const TRACE_HEADERS: [&str; 3] = ["traceparent", "tracestate", "x-request-id"];

impl ParamsPlan {
    /// The plan of `inv`'s call of `op`, when it has the parameter shape (see the module).
    pub(crate) fn compile(inv: &Invocable, op: &ConsumedOp) -> Option<ParamsPlan> {
        // `with: {body: rest.body}`: the inbound JSON body goes upstream as it is.
        let forward_body = inv.with.readable_and_body(&inv.binds)?;
        let Placement {
            mut lookups,
            query,
            headers,
            cookies,
            form,
            fields,
        } = Placement::of(inv, op, forward_body)?;
        add_implicit(inv, op, &mut lookups)?;
        let (body_type, body_arguments) = body_template(inv, op, &mut lookups)?;
        let (body, content_type) = Body::choose(body_type, forward_body, form, fields)?;
        let (path, own_query) = path_pieces(op, &lookups)?;
        let (head, headers_at, auth_query) = fixed_head(inv, op, content_type)?;
        // A header the credentials or the content type write would be replaced in place on
        // the general path.
        let fixed = head.get(headers_at..)?;
        let cookie = (!cookies.is_empty()).then_some("cookie");
        let placed = headers.iter().map(|(name, _)| name.as_str()).chain(cookie);
        if placed.into_iter().any(|name| head_writes(fixed, name)) {
            return None;
        }
        Some(ParamsPlan {
            path,
            own_query,
            query,
            lookups,
            headers,
            cookies,
            auth_query,
            head,
            headers_at,
            body,
            body_arguments,
            binds: inv.binds.clone(),
            inputs: inv.inputs.clone(),
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
        let sent = Sent::read(src, &self.inputs)?;
        let values = self.resolve(&sent)?;
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
        let body = self.body_bytes(op, &sent, &values)?;
        let mut out = Vec::with_capacity(path.len() + self.head.len() + 200);
        push_request_line(&mut out, &op.method, &path, query);
        let (before, after) = self.head.split_at_checked(self.headers_at)?;
        out.extend_from_slice(before);
        self.push_header_params(&values, &mut out)?;
        self.push_cookies(&values, &mut out)?;
        out.extend_from_slice(after);
        call.push_headers(&mut out);
        finish_request(&mut out, &op.method, body.as_deref());
        Some(out)
    }

    /// The upstream body (see [`Body`]): `Some(None)` for none, `None` to decline.
    fn body_bytes(
        &self,
        op: &ConsumedOp,
        sent: &Sent<'_, '_>,
        values: &[Resolution<'_>],
    ) -> Option<Option<Vec<u8>>> {
        let value = |i: &usize| {
            let found = values.get(*i)?.resolved.as_ref()?;
            Some((self.lookups.get(*i)?.name.as_str(), found.to_value()))
        };
        Some(Some(match &self.body {
            Body::None => return Some(None),
            Body::Template => {
                let arguments = self
                    .body_arguments
                    .iter()
                    .map(|name| sent.argument(name, true))
                    .collect::<Result<Vec<_>, ()>>()
                    .ok()?;
                op.body_text(&Resolved {
                    binds: &self.binds,
                    lookups: &self.lookups,
                    values,
                    arguments: &self.body_arguments,
                    argument_values: &arguments,
                })?
            }
            Body::Form(form) => {
                let mut pairs = Vec::new();
                for (name, v) in form.iter().filter_map(value) {
                    crate::request::push_form(&mut pairs, name, &v);
                }
                crate::form::encode_pairs(&pairs).to_vec()
            }
            Body::Fields(fields) => {
                let members: Map<String, Value> = fields
                    .iter()
                    .filter_map(value)
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect();
                if members.is_empty() {
                    return None;
                }
                crate::json_text::json_bytes(&Value::Object(members))
            }
            Body::PassedOn => passed_on(sent)?,
        }))
    }

    /// The parameters' names and the arguments `with` reads.
    #[cfg(test)]
    pub(crate) fn argument_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lookups.iter().map(|l| l.name.clone()).collect();
        names.extend(self.lookups.iter().filter_map(|l| match &l.with {
            Some(WithRead::Arg { name, .. }) => Some(name.clone()),
            _ => None,
        }));
        names.extend(self.body_arguments.iter().cloned());
        names.extend(self.inputs.iter().map(|i| i.name.clone()));
        names
    }

    /// Every parameter resolved as the general path resolves it; `None` when a required
    /// one has no value, or a value would be found where the plan does not look.
    fn resolve<'s>(&self, sent: &'s Sent<'_, '_>) -> Option<Vec<Resolution<'s>>> {
        let mut values = Vec::with_capacity(self.lookups.len());
        for lookup in &self.lookups {
            let resolution = lookup.value(sent).ok()?;
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

    /// The cookie parameters with a value, as the general path writes them: one `Cookie`
    /// header of `name=value` pairs (`request::cookie_pair`), `None` to decline a value
    /// it refuses as a header's.
    fn push_cookies(&self, values: &[Resolution<'_>], out: &mut Vec<u8>) -> Option<()> {
        let mut pairs: Vec<String> = Vec::new();
        for i in &self.cookies {
            let Some(found) = &values.get(*i)?.resolved else {
                continue;
            };
            let name = &self.lookups.get(*i)?.name;
            pairs.push(crate::request::cookie_pair(
                name,
                &found.text().unwrap_or_default(),
            ));
        }
        if pairs.is_empty() {
            return Some(());
        }
        let value = pairs.join("; ");
        if !naftiko_http1::fields::is_field_value(value.as_bytes()) {
            return None;
        }
        naftiko_http1::fields::push_header(out, b"cookie", value.as_bytes());
        Some(())
    }

    /// The query: each query parameter with a value, in order, then an API key's pair.
    fn query_text(&self, values: &[Resolution<'_>]) -> Option<Vec<u8>> {
        let mut query: Vec<u8> = self.own_query.as_deref().unwrap_or("").into();
        for (name, i) in &self.query {
            let Some(found) = &values.get(*i)?.resolved else {
                continue;
            };
            match found {
                Found::Json(v) => {
                    for text in crate::request::item_texts(v) {
                        crate::form::append_pair(&mut query, name, &text);
                    }
                }
                Found::Text(text) => crate::form::append_pair(&mut query, name, text),
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

/// The consumed parameters as a plan places them: a lookup each, and where each goes.
#[derive(Debug, Default)]
struct Placement {
    lookups: Vec<Lookup>,
    /// The query parameters: name and lookup.
    query: Vec<(String, usize)>,
    /// The header parameters: lower-case name and lookup.
    headers: Vec<(String, usize)>,
    cookies: Vec<usize>,
    form: Vec<usize>,
    /// The body parameters (other than `body`).
    fields: Vec<usize>,
}

impl Placement {
    /// Every parameter of `op` placed, in order; `None` when one is not of the shape (see
    /// the module). With `forward_body`, the `body` parameter takes the body passed on.
    fn of(inv: &Invocable, op: &ConsumedOp, forward_body: bool) -> Option<Placement> {
        let mut placed = Placement::default();
        for p in &op.params {
            if forward_body && p.location == ParamLocation::Body && p.name == "body" {
                // Resolved as `with`'s `body` is: the body passed on.
                if p.value_template().is_some() {
                    return None;
                }
                continue;
            }
            let plain = p.value_template().is_none_or(Tpl::reads_only_binds)
                && p.name != "body"
                && placed.lookups.iter().all(|l| l.name != p.name);
            if !plain || !placed.place(p) {
                return None;
            }
            placed.lookups.push(Lookup {
                with: inv.with.read_of(&p.name, &inv.binds)?,
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
        Some(placed)
    }

    /// Notes where `p`, the next lookup, goes; false when the plan cannot place it.
    fn place(&mut self, p: &Param) -> bool {
        let at = self.lookups.len();
        match p.location {
            ParamLocation::Path | ParamLocation::Environment => {}
            ParamLocation::Query => self.query.push((p.name.clone(), at)),
            ParamLocation::Header => match header_name(&p.name) {
                // Two of one name (in any case): the second replaces the first.
                Some(name) if self.headers.iter().any(|(n, _)| *n == name) => return false,
                Some(name) => self.headers.push((name, at)),
                None => return false,
            },
            ParamLocation::Cookie => self.cookies.push(at),
            ParamLocation::Form => self.form.push(at),
            ParamLocation::Body => self.fields.push(at),
        }
        true
    }
}

/// True when the head's lines `fixed` write the header `name` (any case).
fn head_writes(fixed: &[u8], name: &str) -> bool {
    fixed.split(|&b| b == b'\n').any(|line| {
        line.len() > name.len()
            && line.get(name.len()) == Some(&b':')
            && line
                .get(..name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

impl Lookup {
    /// The parameter resolved as the general path resolves it (`Param::resolve`); `Err`
    /// when a value would be found somewhere the plan does not look.
    fn value<'s>(&self, sent: &'s Sent<'_, '_>) -> Result<Resolution<'s>, ()> {
        let with = match &self.with {
            Some(WithRead::Arg { name, headers }) => sent.argument(name, *headers)?,
            Some(WithRead::Const(v)) => Some(Found::Json(Cow::Owned(v.clone()))),
            None => None,
        };
        let resolved = match (&with, &self.fixed) {
            (Some(found), _) if !found.is_null() => Some(found.clone()),
            (_, Some(fixed)) => Some(Found::Json(Cow::Owned(fixed.clone()))),
            _ => match sent.argument(&self.name, self.from_header)? {
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
fn passed_on(sent: &Sent<'_, '_>) -> Option<Vec<u8>> {
    let Source::Rest(req) = sent.src else {
        return None;
    };
    if sent.argument("body", true).ok()?.is_some() {
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

/// The content type of `op`'s `body` template and the inbound arguments its templates
/// read, when the plan can render it: any kind but multipart, reading only bound values,
/// names (the parameters of `lookups`, or others, added to `lookups` as a template reads
/// them) and inbound arguments other than the whole body. `(None, [])` when it has no
/// template; `None` to decline.
fn body_template(
    inv: &Invocable,
    op: &ConsumedOp,
    lookups: &mut Vec<Lookup>,
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
                if lookups.iter().all(|l| l.name != *first) {
                    lookups.push(Lookup {
                        with: inv.with.read_of(first, &inv.binds)?,
                        name: first.clone(),
                        from_header: false,
                        required: false,
                        env: None,
                        fixed: None,
                        implicit: true,
                    });
                }
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
            with: inv.with.read_of(name, &inv.binds)?,
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
/// each variable names one of its parameters (once: a path parameter, one of another
/// location, whose value the URL template reads too, or an undeclared name) and the URL
/// crate keeps the literal text as it is (no dot segments, nothing it would encode).
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
                // The URL template reads the parameter's value (any location: one in
                // the query, say, also goes in the query).
                let i = lookups.iter().position(|l| l.name == name)?;
                if used.contains(&i) {
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
