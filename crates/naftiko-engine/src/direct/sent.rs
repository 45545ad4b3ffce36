//! What a call's values are looked up in on the direct path: the REST request as its
//! adapter read it (or an MCP tool's arguments), its JSON body's top-level members, and
//! the declared inputs' values, checked and typed.
//!
//! [`Sent::argument`] finds an argument as the general path's `Args::get` does: a
//! declared input's value, else a path variable, the first query parameter of that name,
//! a member of a JSON body, and (when asked) the first header of that name. The declared
//! inputs are read by the general path's own rules (`Input::raw` through
//! [`InputSource`], then `Input::checked`); where those would read something the direct
//! path does not look at (a cookie, the whole body) or refuse the value, the call is
//! declined and the general path answers.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::inbound::RequestView;
use crate::input::{Input, InputSource};
use crate::scope::scalar_text;

use super::body::BodyFields;

/// Where a call's values come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'r> {
    /// A REST request.
    Rest(&'r RequestView<'r>),
    /// An MCP tool's arguments (a tool whose arguments are its declared inputs).
    Tool(&'r Map<String, Value>),
}

/// A value found for a parameter.
#[derive(Debug, Clone)]
pub(crate) enum Found<'r> {
    /// Text: from the path, the query, a header or the environment.
    Text(Cow<'r, str>),
    /// A JSON value: a member of the inbound body, a tool's argument, a declared input's.
    Json(Cow<'r, Value>),
}

impl Found<'_> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Found::Json(v) if v.is_null())
    }

    /// The value as text for the path or the query (`scope::scalar_text`): `None` for
    /// `null`.
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Found::Text(t) => Some(Cow::Borrowed(t)),
            Found::Json(v) => match v.as_ref() {
                Value::String(t) => Some(Cow::Borrowed(t)),
                other => scalar_text(other).map(Cow::Owned),
            },
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            Found::Text(t) => Value::String(t.as_ref().to_owned()),
            Found::Json(v) => v.as_ref().clone(),
        }
    }
}

/// A call's values: what was sent, and the declared inputs' values.
#[derive(Debug)]
pub(crate) struct Sent<'p, 'r> {
    pub(crate) src: Source<'r>,
    /// The members of a REST request's JSON body (none for a tool).
    pub(crate) body: BodyFields<'r>,
    /// Each declared input with a value, by name, checked and typed.
    declared: Vec<(&'p str, Value)>,
}

impl<'p, 'r> Sent<'p, 'r> {
    /// The values of `src`, with `inputs` read and checked as the general path reads and
    /// checks them; `None` to decline (a body the direct path does not read, an input it
    /// does not look for, or one the general path refuses, which it then explains).
    pub(crate) fn read(src: Source<'r>, inputs: &'p [Input]) -> Option<Sent<'p, 'r>> {
        let body = match src {
            Source::Rest(req) => BodyFields::read(req.content_type, req.body)?,
            Source::Tool(_) => BodyFields::default(),
        };
        let mut sent = Sent {
            src,
            body,
            declared: Vec::new(),
        };
        let mut declared = Vec::new();
        for input in inputs {
            let raw = input.raw(&sent).ok()?;
            // A value read as it was sent (a tool's argument, borrowed) is what the lookup
            // finds without it; only one the input made (converted, its own, read from
            // text or bytes) is kept.
            if let Some(Cow::Owned(value)) = input.checked(raw).ok()? {
                declared.push((input.name.as_str(), value));
            }
        }
        sent.declared = declared;
        Some(sent)
    }

    /// The argument `name` as `Args::get` finds it (with `headers`, headers too); `Err`
    /// when a value would be found somewhere the direct path does not look.
    pub(crate) fn argument(&self, name: &str, headers: bool) -> Result<Option<Found<'_>>, ()> {
        if let Some((_, value)) = self.declared.iter().find(|(n, _)| *n == name) {
            return Ok(Some(Found::Json(Cow::Borrowed(value))));
        }
        match self.src {
            Source::Rest(req) => rest_argument(req, &self.body, name, headers),
            Source::Tool(args) => {
                Ok(crate::tools::member(args, name).map(|v| Found::Json(Cow::Borrowed(v))))
            }
        }
    }
}

/// The inbound argument `name` as `Args::get` finds it past the declared inputs: a path
/// variable, else the first query parameter of that name, else a member of a JSON body,
/// else (with `headers`) the first header of that name as text (none when it is not
/// visible ASCII); `Err` when a path variable spelled another way would answer instead.
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

/// The declared inputs' reading, as `Inbound`'s but over the request as it stands: a
/// cookie or the whole body is not looked at (`Err`).
impl InputSource for Sent<'_, '_> {
    type Unread = ();

    fn path(&self, name: &str) -> Result<Option<Cow<'_, str>>, ()> {
        Ok(match self.src {
            Source::Rest(req) => req
                .path_params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| Cow::Borrowed(v.as_str())),
            Source::Tool(_) => None,
        })
    }

    fn query(&self, name: &str) -> Result<Vec<Cow<'_, str>>, ()> {
        Ok(match self.src {
            Source::Rest(RequestView { query: Some(q), .. }) => {
                form_urlencoded::parse(q.as_bytes())
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v)
                    .collect()
            }
            _ => Vec::new(),
        })
    }

    fn header(&self, name: &str) -> Result<Option<Cow<'_, str>>, ()> {
        // A name that is no header name finds nothing, as in a `HeaderMap`.
        Ok(match self.src {
            Source::Rest(req) if http::HeaderName::from_bytes(name.as_bytes()).is_ok() => req
                .headers
                .header(name)
                .and_then(naftiko_http1::fields::visible_text)
                .map(Cow::Borrowed),
            _ => None,
        })
    }

    fn cookie(&self, _name: &str) -> Result<Option<Cow<'_, str>>, ()> {
        Err(())
    }

    fn body_field(&self, name: &str) -> Result<Option<Cow<'_, Value>>, ()> {
        Ok(match self.src {
            Source::Rest(_) => self.body.field(name)?.map(Cow::Owned),
            Source::Tool(args) => crate::tools::member(args, name).map(Cow::Borrowed),
        })
    }

    fn body(&self) -> Result<Option<Value>, ()> {
        Err(())
    }
}
