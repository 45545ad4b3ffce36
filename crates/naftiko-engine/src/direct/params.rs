//! The direct path's parameter shape: an operation whose caller's values go into the
//! upstream URL, the commonest shape of published capabilities (`GET /items/{id}?q=…`
//! with an API key).
//!
//! A [`ParamsPlan`] is compiled when every consumed parameter is a path or query
//! parameter without a value of its own, `with` only names inbound arguments, the
//! credentials are the same on every call (none, or basic, bearer or API-key credentials
//! that read bound values only) and every path variable stands as a whole segment. The
//! head after the request line (host, user agent, credentials) is written once, by the
//! h1 client's own writer; per request, each parameter's value is looked up where the
//! general path looks (`with`'s argument, then the parameter's own name: path variables,
//! then the query), encoded as the general path encodes it (`url::push_segment`,
//! `form::append_pair`) and written into the request line.
//!
//! A request whose values the general path would find elsewhere (a body, a header, a path
//! variable spelled another way) or refuse (a missing required value, an empty, `.` or
//! `..` segment) is declined before anything is sent.

use std::borrow::Cow;

use http::{HeaderMap, HeaderValue, Method};
use naftiko_spec::model::ParamLocation;
use serde_json::{Map, Value};

use crate::inbound::RequestView;
use crate::invoke::Invocable;
use crate::prepared::Prepared;
use crate::request::ConsumedOp;
use crate::scope::BindsOnly;
use crate::trace::ClientCall;
use crate::url::{PathPart, push_segment};
use naftiko_http1::write::{finish_request, push_request_line};

/// Where one consumed parameter's value is looked up.
#[derive(Debug)]
struct Lookup {
    /// `with: {name: rest.arg}`: the inbound argument read first (headers included).
    with_arg: Option<String>,
    /// The parameter's own name, read next (headers not included).
    name: String,
    required: bool,
}

/// A piece of the upstream path.
#[derive(Debug)]
enum Piece {
    Literal(String),
    /// A whole segment: the value of `lookups[i]`.
    Var(usize),
}

/// An operation whose inputs are path and query parameters, compiled for the direct path.
#[derive(Debug)]
pub(crate) struct ParamsPlan {
    /// The base URI's path and what follows it.
    path: Vec<Piece>,
    /// The query parameters, in the operation's order: name and lookup.
    query: Vec<(String, usize)>,
    lookups: Vec<Lookup>,
    /// `key=value` of an API key sent in the query, after the parameters.
    auth_query: Option<String>,
    /// The head's lines after the request line: host, user agent and credentials.
    head: Vec<u8>,
}

/// Headers the trace writes after the plan's own (an API key of one of these names would
/// be replaced in place on the general path, not written before them).
const TRACE_HEADERS: [&str; 3] = ["traceparent", "tracestate", "x-request-id"];

impl ParamsPlan {
    /// The plan of `inv`'s call of `op`, when it has the parameter shape (see the module).
    pub(crate) fn compile(inv: &Invocable, op: &ConsumedOp) -> Option<ParamsPlan> {
        if op.method == Method::HEAD || !inv.with.only_arguments() {
            return None;
        }
        let mut lookups = Vec::with_capacity(op.params.len());
        let mut query = Vec::new();
        for p in &op.params {
            let plain = matches!(p.location, ParamLocation::Path | ParamLocation::Query)
                && !p.has_own_value()
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
                required: p.required,
            });
        }
        let path = path_pieces(op, &lookups)?;
        let (head, auth_query) = fixed_head(inv, op)?;
        Some(ParamsPlan {
            path,
            query,
            lookups,
            auth_query,
            head,
        })
    }

    /// The whole upstream request for the values of `src`, with `call`'s trace headers
    /// after the plan's own, or `None` to decline.
    pub(crate) fn request(
        &self,
        method: &Method,
        src: Source<'_>,
        call: &ClientCall<'_>,
    ) -> Option<Vec<u8>> {
        // A body may hold values the general path would read (and `with` may pass on).
        if let Source::Rest(req) = src
            && !req.body.iter().all(u8::is_ascii_whitespace)
        {
            return None;
        }
        let mut path = String::with_capacity(64);
        for piece in &self.path {
            match piece {
                Piece::Literal(text) => path.push_str(text),
                Piece::Var(i) => {
                    let value = self.lookups.get(*i)?.value(&src).ok()??;
                    if !push_segment(&mut path, &value) {
                        return None;
                    }
                }
            }
        }
        let mut query: Vec<u8> = Vec::new();
        for (name, i) in &self.query {
            let lookup = self.lookups.get(*i)?;
            match lookup.value(&src).ok()? {
                Some(value) => crate::form::append_pair(&mut query, name, &value),
                None if lookup.required => return None,
                None => {}
            }
        }
        if let Some(pair) = &self.auth_query {
            if !query.is_empty() {
                query.push(b'&');
            }
            query.extend_from_slice(pair.as_bytes());
        }
        let query = match std::str::from_utf8(&query) {
            Ok("") => None,
            Ok(text) => Some(text),
            Err(_) => return None,
        };
        let mut out = Vec::with_capacity(path.len() + self.head.len() + 200);
        push_request_line(&mut out, method, &path, query);
        out.extend_from_slice(&self.head);
        call.push_headers(&mut out);
        finish_request(&mut out, method, None);
        Some(out)
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
    /// The value as the general path resolves it; `Err` when it would be found somewhere
    /// the plan does not look.
    fn value<'r>(&self, src: &Source<'r>) -> Result<Option<Cow<'r, str>>, ()> {
        let argument = |name: &str, headers: bool| match *src {
            Source::Rest(req) => rest_argument(req, name, headers),
            Source::Tool(args) => tool_argument(args, name),
        };
        if let Some(arg) = &self.with_arg
            && let Some(v) = argument(arg, true)?
        {
            return Ok(Some(v));
        }
        argument(&self.name, false)
    }
}

/// The argument `name` of a tool call as text, as `Args::get` finds it (the declared
/// input, else the argument itself: the value sent, both) and `scalar_text` writes it;
/// `Err` for anything but a string, a number or a boolean.
fn tool_argument<'r>(args: &'r Map<String, Value>, name: &str) -> Result<Option<Cow<'r, str>>, ()> {
    match crate::tools::member(args, name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(Cow::Borrowed(text))),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(Cow::Owned(v.to_string()))),
        Some(_) => Err(()),
    }
}

/// The inbound argument `name` as `Args::get` finds it in a request without a body: a
/// path variable, else the first query parameter of that name; `Err` when a header
/// (`headers`) or a path variable spelled another way would answer instead.
fn rest_argument<'r>(
    req: &RequestView<'r>,
    name: &str,
    headers: bool,
) -> Result<Option<Cow<'r, str>>, ()> {
    if let Some((_, v)) = req.path_params.iter().find(|(k, _)| k == name) {
        return Ok(Some(Cow::Borrowed(v.as_str())));
    }
    if let Some(q) = req.query
        && let Some((_, v)) = form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name)
    {
        return Ok(Some(v));
    }
    if headers && req.headers.header(name).is_some() {
        return Err(());
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

/// The pieces of `op`'s path, when each variable is a whole segment naming one of its
/// path parameters, each path parameter is in the path, and the URL crate keeps the
/// literal text as it is (no dot segments, nothing it would encode).
fn path_pieces(op: &ConsumedOp, lookups: &[Lookup]) -> Option<Vec<Piece>> {
    let (base, parts) = op.url.path_parts()?;
    let mut pieces = vec![Piece::Literal(base.to_owned())];
    let mut sample = base.to_owned();
    let mut used = Vec::new();
    for part in parts {
        match part {
            PathPart::Literal(text) => {
                sample.push_str(text);
                pieces.push(Piece::Literal(text.to_owned()));
            }
            PathPart::Var(name) => {
                let i = lookups.iter().position(|l| l.name == name)?;
                let is_path = op
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
    let path_params = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Path)
        .count();
    let mut url = op.url.base_url().clone();
    url.set_path(&sample);
    (used.len() == path_params && url.path() == sample).then_some(pieces)
}

/// The head's lines after the request line, with the fixed credentials, and an API key's
/// query pair; `None` when the credentials are not fixed or cannot be written.
fn fixed_head(inv: &Invocable, op: &ConsumedOp) -> Option<(Vec<u8>, Option<String>)> {
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
    auth.apply_fixed(&mut prepared, &BindsOnly(&inv.binds), &op.api.namespace)
        .ok()?;
    if TRACE_HEADERS
        .iter()
        .any(|name| prepared.headers.contains_key(*name))
    {
        return None;
    }
    let agent = HeaderValue::from_static(crate::transport::USER_AGENT);
    let head = crate::h1_client::request_head(&op.method, &prepared.url, &prepared.headers, &agent)
        .ok()?;
    let line = head.windows(2).position(|w| w == b"\r\n")?;
    Some((
        head.get(line + 2..)?.to_vec(),
        prepared.url.query().map(str::to_owned),
    ))
}
