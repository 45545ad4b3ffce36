//! What the format converters share: UTF-8 text without a byte order mark, the table
//! contract of HTML and markdown, binary content and floats as JSON values.

use serde_json::{Map, Value};

/// `body` as UTF-8 text, without a byte order mark.
pub(super) fn utf8<'a>(body: &'a [u8], format: &str) -> Result<&'a str, String> {
    let text = std::str::from_utf8(body).map_err(|e| {
        format!(
            "not UTF-8 {format} text (invalid byte at {})",
            e.valid_up_to()
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The table contract HTML and markdown share (the reference engine's `mapRowsToTable`):
/// one object per row, keyed by the trimmed header texts in order, a missing cell `""` and
/// an extra one dropped; `None` when every header is blank (the table is skipped).
pub(super) fn table(headers: &[String], rows: Vec<Vec<String>>) -> Option<Value> {
    if headers.iter().all(|h| h.trim().is_empty()) {
        return None;
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            let mut cells = row.into_iter();
            let object: Map<String, Value> = headers
                .iter()
                .map(|h| {
                    let cell = cells.next().unwrap_or_default();
                    (h.trim().to_owned(), Value::String(cell))
                })
                .collect();
            Value::Object(object)
        })
        .collect();
    Some(Value::Array(rows))
}

/// Binary content (Avro and protobuf `bytes`, `fixed`) as JSON: base64 text, as Jackson
/// writes binary nodes.
pub(super) fn base64(bytes: &[u8]) -> Value {
    use base64::Engine as _;
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A floating-point number as JSON; JSON has no NaN or infinities, which become the
/// strings `"NaN"`, `"Infinity"` and `"-Infinity"` (as protobuf's JSON mapping writes them).
pub(super) fn float(f: f64) -> Value {
    match serde_json::Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".to_owned()),
        None if f > 0.0 => Value::String("Infinity".to_owned()),
        None => Value::String("-Infinity".to_owned()),
    }
}
