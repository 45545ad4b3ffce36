//! Output values converted to their declared `type` (docs/semantics.md §4): only where
//! nothing is lost, else a [`InvokeError::Mapping`] naming the output (never its value,
//! which may be a secret).

use naftiko_spec::model::OutputType;
use serde_json::{Number, Value};

use crate::error::InvokeError;

/// A mapping error naming the output `label`.
pub(crate) fn mapping(label: &str, reason: impl Into<String>) -> InvokeError {
    InvokeError::Mapping {
        output: label.to_owned(),
        reason: reason.into(),
    }
}

/// The JSON kind of a value, for messages (never the value itself: it may be a secret).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Converts `v` to `ty` when no information is lost; `null` stays `null`.
pub(crate) fn coerce(v: Value, ty: Option<OutputType>, label: &str) -> Result<Value, InvokeError> {
    let Some(ty) = ty else { return Ok(v) };
    if v.is_null() {
        return Ok(v);
    }
    let fail = |v: &Value| mapping(label, format!("expected {}, got {}", ty.as_str(), kind(v)));
    match ty {
        OutputType::String => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(fail(&other)),
        },
        OutputType::Integer => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                    // Exactly representable: lossless.
                    #[allow(clippy::cast_possible_truncation)]
                    Ok(Value::from(f as i64))
                }
                _ => Err(mapping(
                    label,
                    "expected integer, got a number with a fraction",
                )),
            },
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| s.trim().parse::<u64>().map(Value::from))
                .map_err(|_| mapping(label, "expected integer, got a string that is not one")),
            other => Err(fail(other)),
        },
        OutputType::Number => match &v {
            Value::Number(_) => Ok(v),
            Value::String(s) => {
                let t = s.trim();
                if let Ok(i) = t.parse::<i64>() {
                    return Ok(Value::from(i));
                }
                t.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| mapping(label, "expected number, got a string that is not one"))
            }
            other => Err(fail(other)),
        },
        OutputType::Boolean => match &v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(fail(other)),
        },
        OutputType::Object => match v {
            Value::Object(_) => Ok(v),
            other => Err(fail(&other)),
        },
        OutputType::Array => match v {
            Value::Array(_) => Ok(v),
            other => Err(fail(&other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercion_is_lossless_or_an_error_naming_the_output() {
        let i = Some(OutputType::Integer);
        assert_eq!(coerce(json!("3600"), i, "x").unwrap(), json!(3600));
        assert_eq!(coerce(json!(3600.0), i, "x").unwrap(), json!(3600));
        assert_eq!(coerce(json!(null), i, "x").unwrap(), json!(null));
        let e = coerce(json!("soon"), i, "expires_in").unwrap_err();
        assert!(e.to_string().contains("expires_in"), "{e}");
        assert!(!e.to_string().contains("soon"), "values never appear: {e}");
        assert!(coerce(json!(1.5), i, "x").is_err());
        assert_eq!(
            coerce(json!(7), Some(OutputType::String), "x").unwrap(),
            json!("7")
        );
        assert_eq!(
            coerce(json!("2.5"), Some(OutputType::Number), "x").unwrap(),
            json!(2.5)
        );
        assert_eq!(
            coerce(json!("true"), Some(OutputType::Boolean), "x").unwrap(),
            json!(true)
        );
        assert!(coerce(json!({"a": 1}), Some(OutputType::String), "x").is_err());
    }
}
