//! Declared inputs: where each is read in what the caller sent (a path variable, the
//! query, a header, a cookie, the body), and how its value is checked and typed
//! (`required`, `type`, `pattern`, a fixed `value` or a JSONPath over the body).
//!
//! The reading goes through [`InputSource`], so that the general path (a parsed
//! [`Inbound`]) and the direct path (the request's bytes, `direct/params.rs`) read an
//! input by the same rules; the checks are one function, [`Input::checked`].

use std::borrow::Cow;
use std::convert::Infallible;

use naftiko_expr::JsonPathExpr;
use naftiko_spec::model::{DataType, InputParameter, ParamLocation};
use regex::Regex;
use serde_json::Value;

use crate::error::InvokeError;
use crate::inbound::Inbound;
use crate::scope::scalar_text;

/// Where declared inputs are read: what the caller sent, by location.
pub(crate) trait InputSource {
    /// Why a value cannot be read here (a reader that cannot tell declines);
    /// [`Infallible`] for a parsed request.
    type Unread;
    /// The path variable `name`, decoded.
    fn path(&self, name: &str) -> Result<Option<Cow<'_, str>>, Self::Unread>;
    /// Every query parameter called `name`, decoded, in order.
    fn query(&self, name: &str) -> Result<Vec<Cow<'_, str>>, Self::Unread>;
    /// The first header called `name` (any case), when it is visible text.
    fn header(&self, name: &str) -> Result<Option<Cow<'_, str>>, Self::Unread>;
    /// The cookie `name`.
    fn cookie(&self, name: &str) -> Result<Option<Cow<'_, str>>, Self::Unread>;
    /// The top-level member `name` of a JSON object or form body.
    fn body_field(&self, name: &str) -> Result<Option<Cow<'_, Value>>, Self::Unread>;
    /// The whole body as a JSON value (`None` when empty).
    fn body(&self) -> Result<Option<Value>, Self::Unread>;
}

impl InputSource for Inbound {
    type Unread = Infallible;

    fn path(&self, name: &str) -> Result<Option<Cow<'_, str>>, Infallible> {
        Ok(self
            .path
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str())))
    }

    fn query(&self, name: &str) -> Result<Vec<Cow<'_, str>>, Infallible> {
        Ok(self
            .query
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
            .collect())
    }

    fn header(&self, name: &str) -> Result<Option<Cow<'_, str>>, Infallible> {
        Ok(self
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(Cow::Borrowed))
    }

    fn cookie(&self, name: &str) -> Result<Option<Cow<'_, str>>, Infallible> {
        Ok(self
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Cow::Borrowed(v)))
    }

    fn body_field(&self, name: &str) -> Result<Option<Cow<'_, Value>>, Infallible> {
        Ok(self.body.field(name).map(Cow::Borrowed))
    }

    fn body(&self) -> Result<Option<Value>, Infallible> {
        Ok(self.body.to_value())
    }
}

/// How a unit receives its declared inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputStyle {
    /// A REST operation: each input has its own location (`in`).
    Rest,
    /// An MCP tool or aggregate function: inputs are the call's named arguments.
    Arguments,
}

/// A declared exposed input parameter, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) name: String,
    pub(crate) location: ParamLocation,
    pub(crate) ty: Option<DataType>,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    pattern: Option<Regex>,
    /// `value` starting with `$`: a JSONPath over the inbound body.
    body_path: Option<JsonPathExpr>,
    /// Any other `value`: a fixed value.
    fixed: Option<String>,
}

impl Input {
    /// Compiles a declared input. REST inputs default to the query and are optional unless
    /// `required: true` (or in the path); MCP tool and aggregate-function inputs are the
    /// call's arguments and are required unless `required: false`.
    pub(crate) fn compile(p: &InputParameter, style: InputStyle) -> Result<Option<Self>, String> {
        let Some(name) = &p.name else { return Ok(None) };
        let location = match style {
            InputStyle::Arguments => ParamLocation::Body,
            InputStyle::Rest => p
                .location
                .as_ref()
                .map(|l| l.value)
                .unwrap_or(ParamLocation::Query),
        };
        let pattern = p
            .pattern
            .as_ref()
            .map(|r| {
                Regex::new(&r.value)
                    .map_err(|e| format!("pattern `{}` of `{}`: {e}", r.value, name.value))
            })
            .transpose()?;
        let (body_path, fixed) = match &p.value {
            Some(v) if v.value.trim_start().starts_with('$') => (
                Some(JsonPathExpr::parse(v.value.trim()).map_err(|e| e.to_string())?),
                None,
            ),
            Some(v) => (None, Some(v.value.clone())),
            None => (None, None),
        };
        Ok(Some(Input {
            name: name.value.clone(),
            location,
            ty: p.data_type.as_ref().map(|t| t.value),
            required: match style {
                InputStyle::Arguments => p.required.as_ref().is_none_or(|r| r.value),
                InputStyle::Rest => {
                    p.required.as_ref().is_some_and(|r| r.value) || location == ParamLocation::Path
                }
            },
            description: p.description.as_ref().map(|d| d.value.clone()),
            pattern,
            body_path,
            fixed,
        }))
    }

    /// True when the direct path reads this input as the general path does: it is not a
    /// cookie, not a JSONPath over the body, and not called `body` (which may read the
    /// whole body). The direct path serves operations whose inputs all are.
    pub(crate) fn is_read_directly(&self) -> bool {
        self.location != ParamLocation::Cookie && self.body_path.is_none() && self.name != "body"
    }

    fn location_name(&self) -> &'static str {
        match self.location {
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Path => "path",
            ParamLocation::Cookie => "cookie",
            ParamLocation::Body | ParamLocation::Form => "body",
            ParamLocation::Environment => "environment",
        }
    }

    fn bad(&self, reason: impl Into<String>) -> InvokeError {
        InvokeError::bad_input(&self.name, self.location_name(), reason)
    }

    /// The raw value the caller sent for this input, read from `src` (borrowed where `src`
    /// holds it as a value: a body's member).
    pub(crate) fn raw<'s, S: InputSource>(
        &self,
        src: &'s S,
    ) -> Result<Option<Cow<'s, Value>>, S::Unread> {
        if let Some(f) = &self.fixed {
            return Ok(Some(Cow::Owned(Value::String(f.clone()))));
        }
        let text = |s: Option<Cow<'_, str>>| s.map(|s| Cow::Owned(Value::String(s.into_owned())));
        Ok(match self.location {
            ParamLocation::Path => text(src.path(&self.name)?),
            ParamLocation::Query => {
                let all = src.query(&self.name)?;
                match (self.ty, all.len()) {
                    (_, 0) => None,
                    (Some(DataType::Array), _) => Some(Cow::Owned(Value::Array(
                        all.into_iter()
                            .map(|v| Value::String(v.into_owned()))
                            .collect(),
                    ))),
                    _ => text(all.into_iter().next()),
                }
            }
            ParamLocation::Header => text(src.header(&self.name)?),
            ParamLocation::Cookie => text(src.cookie(&self.name)?),
            ParamLocation::Body | ParamLocation::Form | ParamLocation::Environment => {
                if let Some(p) = &self.body_path {
                    let Some(doc) = src.body()? else {
                        return Ok(None);
                    };
                    let v = p.extract(&doc);
                    return Ok((!v.is_null()).then_some(Cow::Owned(v)));
                }
                match src.body_field(&self.name)? {
                    Some(v) => Some(v),
                    None if self.name == "body" => src.body()?.map(Cow::Owned),
                    None => None,
                }
            }
        })
    }

    /// The validated, typed value of what the caller sent (`None` when optional and
    /// absent).
    pub(crate) fn value(&self, inbound: &Inbound) -> Result<Option<Value>, InvokeError> {
        let Ok(raw) = self.raw(inbound);
        Ok(self.checked(raw)?.map(Cow::into_owned))
    }

    /// `raw` validated and typed: required, converted to the input's type, matching its
    /// pattern (`None` when optional and absent); still borrowed when it needed no
    /// conversion.
    pub(crate) fn checked<'v>(
        &self,
        raw: Option<Cow<'v, Value>>,
    ) -> Result<Option<Cow<'v, Value>>, InvokeError> {
        let Some(raw) = raw.filter(|v| !v.is_null()) else {
            return if self.required {
                Err(self.bad("is required"))
            } else {
                Ok(None)
            };
        };
        let typed = self.typed(raw)?;
        if let Some(re) = &self.pattern {
            let check = |v: &Value| match scalar_text(v) {
                Some(t) if !re.is_match(&t) => {
                    Err(self.bad(format!("does not match the pattern `{}`", re.as_str())))
                }
                _ => Ok(()),
            };
            match typed.as_ref() {
                Value::Array(items) => items.iter().try_for_each(check)?,
                other => check(other)?,
            }
        }
        Ok(Some(typed))
    }

    /// `raw` as the input's type: as it is when it has that type already, else
    /// [converted](Input::converted).
    fn typed<'v>(&self, raw: Cow<'v, Value>) -> Result<Cow<'v, Value>, InvokeError> {
        let Some(ty) = self.ty else { return Ok(raw) };
        let as_is = match (ty, raw.as_ref()) {
            (DataType::String, Value::String(_))
            | (DataType::Number, Value::Number(_))
            | (DataType::Boolean, Value::Bool(_))
            | (DataType::Object, Value::Object(_))
            | (DataType::Array, Value::Array(_)) => true,
            (DataType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            _ => false,
        };
        if as_is {
            return Ok(raw);
        }
        self.converted(ty, raw.into_owned()).map(Cow::Owned)
    }

    /// A value of another type than `ty` converted to it (text from the path, the query,
    /// a header or a cookie read as a number, a boolean, an object or a list; a scalar of
    /// the body as a string), or the error saying what it must be.
    fn converted(&self, ty: DataType, v: Value) -> Result<Value, InvokeError> {
        let from_text = !matches!(self.location, ParamLocation::Body | ParamLocation::Form);
        match (ty, v) {
            (DataType::String, v @ (Value::Number(_) | Value::Bool(_))) if !from_text => {
                Ok(Value::String(v.to_string()))
            }
            (DataType::Integer, Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| self.bad("must be an integer")),
            (DataType::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(|n| match s.trim().parse::<i64>() {
                    Ok(i) => Value::from(i),
                    Err(_) => Value::Number(n),
                })
                .ok_or_else(|| self.bad("must be a number")),
            (DataType::Boolean, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (DataType::Boolean, _) => Err(self.bad("must be `true` or `false`")),
            (DataType::Object, Value::String(s)) if from_text => {
                match serde_json::from_str::<Value>(&s) {
                    Ok(v @ Value::Object(_)) => Ok(v),
                    _ => Err(self.bad("must be a JSON object")),
                }
            }
            (DataType::Array, Value::String(s)) if from_text => Ok(Value::Array(
                s.split(',').map(|p| Value::String(p.to_owned())).collect(),
            )),
            (t, _) => Err(self.bad(format!("must be {}", article(t)))),
        }
    }
}

fn article(t: DataType) -> &'static str {
    match t {
        DataType::String => "a string",
        DataType::Number => "a number",
        DataType::Integer => "an integer",
        DataType::Boolean => "a boolean",
        DataType::Array => "an array",
        DataType::Object => "an object",
    }
}
