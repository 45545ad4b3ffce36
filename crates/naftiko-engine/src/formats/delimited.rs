//! Delimited text (`csv`, `tsv`, `psv`: a comma, a tab or a pipe between fields) as JSON,
//! the way the reference engine reads it (Jackson's `CsvMapper` with
//! `emptySchema().withHeader()`):
//!
//! - the first row names the columns; every other row is an object from those names to its
//!   fields, in column order, and the document is the array of rows (`[]` with a header
//!   only);
//! - every value is a string (`"42"`): output `type`s convert them;
//! - fields may be quoted with `"` (a quote inside doubled as `""`), which keeps
//!   separators and line breaks in them, for all three separators; nothing is trimmed;
//! - a row shorter than the header has only its fields (the missing columns are absent,
//!   so a mapping reads `null`); a row longer than the header is an error; blank lines are
//!   skipped; `\n` and `\r\n` both end rows.

use serde_json::{Map, Value};

/// `body` (UTF-8, `separator` between fields) as an array of row objects.
pub(super) fn to_json(body: &[u8], separator: u8) -> Result<Value, String> {
    let format = match separator {
        b'\t' => "TSV",
        b'|' => "PSV",
        _ => "CSV",
    };
    let text = super::values::utf8(body, format)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let bad = |e: &csv::Error| format!("not valid {format}: {}", position(e));
    let headers = reader.headers().map_err(|e| bad(&e))?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(&e))?;
        if record.len() > headers.len() {
            let line = record.position().map_or(0, csv::Position::line);
            return Err(format!(
                "{format} line {line} has {} fields, more than the {} columns of the header row",
                record.len(),
                headers.len()
            ));
        }
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

/// Where a reading error happened, without the field's content.
fn position(e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("line {}", p.line()),
        None => "a reading error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn header_rows_name_string_fields() {
        let csv =
            b"id,name,email\r\n1,\"Smith, Alice\",a@example.com\n\n2,\"Bob \"\"B\"\" Jones\",\n3\n";
        assert_eq!(
            to_json(csv, b','),
            Ok(json!([
                {"id": "1", "name": "Smith, Alice", "email": "a@example.com"},
                {"id": "2", "name": "Bob \"B\" Jones", "email": ""},
                {"id": "3"}
            ]))
        );
        assert_eq!(
            to_json(b"id\tname\n1\tAlice Smith\n", b'\t'),
            Ok(json!([{"id": "1", "name": "Alice Smith"}]))
        );
        assert_eq!(
            to_json(b"id|name\n1|\"multi\nline\"\n", b'|'),
            Ok(json!([{"id": "1", "name": "multi\nline"}]))
        );
        assert_eq!(to_json(b"id,name\n", b','), Ok(json!([])));
        assert_eq!(
            to_json("\u{feff}a,b\n1,2".as_bytes(), b','),
            Ok(json!([{"a": "1", "b": "2"}]))
        );
    }

    #[test]
    fn long_rows_and_bad_bytes_are_refused_without_their_content() {
        let e = to_json(b"a,b\n1,2,secret\n", b',');
        assert!(
            e.as_ref()
                .is_err_and(|m| m.contains("line 2") && !m.contains("secret")),
            "{e:?}"
        );
        assert!(to_json(b"a,b\n\xff,1\n", b',').is_err());
    }
}
