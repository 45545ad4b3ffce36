//! `application/x-www-form-urlencoded`, one implementation: reading inbound forms (into a
//! map for the general path, field by field and without copying for the direct path) and
//! writing them (upstream form bodies, values substituted into a pre-encoded form, token
//! requests). Every reader decodes as `form_urlencoded::parse` does, every writer encodes
//! as `form_urlencoded::Serializer` does (property tests check both).

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::{Map, Value};

/// Form fields; a repeated name becomes an array of its values.
pub(crate) fn parse_form(bytes: &[u8]) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        let v = Value::String(v.into_owned());
        match map.get_mut(k.as_ref()) {
            Some(Value::Array(items)) => items.push(v),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, v]);
            }
            None => {
                map.insert(k.into_owned(), v);
            }
        }
    }
    map
}

/// Form-encodes `name=value` pairs into a body.
pub(crate) fn encode_pairs(pairs: &[(String, String)]) -> Bytes {
    let mut out = Vec::new();
    for (k, v) in pairs {
        append_pair(&mut out, k, v);
    }
    Bytes::from(out)
}

/// `text` form-encoded, as a string.
pub(crate) fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One field of a form body.
#[derive(Debug, PartialEq)]
pub(crate) struct FormField<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) value: Cow<'a, str>,
    /// The field as received, when form-encoding `name` and `value` again gives exactly
    /// these bytes (one `=`, every other byte one that encoding leaves alone).
    raw: Option<&'a [u8]>,
}

impl FormField<'_> {
    /// Appends the field, form-encoded, to a form body.
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        match self.raw {
            Some(raw) => {
                if !out.is_empty() {
                    out.push(b'&');
                }
                out.extend_from_slice(raw);
            }
            None => append_pair(out, &self.name, &self.value),
        }
    }
}

/// Bytes that form encoding leaves as they are (`form_urlencoded::byte_serialize`).
const fn unchanged_by_encoding(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

/// [`unchanged_by_encoding`] for every byte, looked up rather than computed per byte.
static UNCHANGED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = unchanged_by_encoding(b as u8);
        b += 1;
    }
    table
};

/// The fields of a form body, decoded exactly as `form_urlencoded::parse` decodes them
/// (the general path's parser). A field of plain bytes (one `=`, no byte that encoding
/// changes) is borrowed as it is; any other goes through that parser.
pub(crate) fn form_fields(body: &[u8]) -> impl Iterator<Item = FormField<'_>> {
    // One UTF-8 check for the whole body; plain fields are then slices of it.
    let text = std::str::from_utf8(body).ok();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < body.len() {
            let rest = &body[start..];
            let len = rest.iter().position(|b| *b == b'&').unwrap_or(rest.len());
            let range = start..start + len;
            start += len + 1;
            if !range.is_empty() {
                return Some(read_field(body, text, range));
            }
        }
        None
    })
    .flatten()
}

/// One non-empty field of `body` (`text` is `body` when it is UTF-8).
fn read_field<'a>(
    body: &'a [u8],
    text: Option<&'a str>,
    range: std::ops::Range<usize>,
) -> Option<FormField<'a>> {
    let field = &body[range.clone()];
    let plain = |part: &[u8]| part.iter().all(|b| UNCHANGED[usize::from(*b)]);
    if let (Some(eq), Some(text)) = (field.iter().position(|b| *b == b'='), text)
        && plain(&field[..eq])
        && plain(&field[eq + 1..])
        && let (Some(name), Some(value)) = (
            text.get(range.start..range.start + eq),
            text.get(range.start + eq + 1..range.end),
        )
    {
        return Some(FormField {
            name: Cow::Borrowed(name),
            value: Cow::Borrowed(value),
            raw: Some(field),
        });
    }
    // The field has no `&`: the parser yields exactly this one pair.
    let (name, value) = form_urlencoded::parse(field).next()?;
    Some(FormField {
        name,
        value,
        raw: None,
    })
}

/// Appends `name=value` form-encoded, as `form_urlencoded::Serializer::append_pair` does.
pub(crate) fn append_pair(out: &mut Vec<u8>, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(b'&');
    }
    append_encoded(out, name);
    out.push(b'=');
    append_encoded(out, value);
}

/// `text` form-encoded (`form_urlencoded::byte_serialize`).
fn append_encoded(out: &mut Vec<u8>, text: &str) {
    for piece in form_urlencoded::byte_serialize(text.as_bytes()) {
        out.extend_from_slice(piece.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The form reader and writer are the `form_urlencoded` ones, on any bytes.
        #[test]
        fn forms_are_read_and_written_as_form_urlencoded_does(
            body in proptest::collection::vec(
                prop_oneof![
                    4 => proptest::sample::select(b"ab=&+%2Z0* ._-~".to_vec()),
                    1 => any::<u8>(),
                ],
                0..40,
            ),
        ) {
            let ours: Vec<_> = form_fields(&body).collect();
            let pairs: Vec<_> = ours.iter().map(|f| (f.name.clone(), f.value.clone())).collect();
            let theirs: Vec<_> = form_urlencoded::parse(&body).collect();
            prop_assert_eq!(&pairs, &theirs);
            let mut written = Vec::new();
            let mut serializer = form_urlencoded::Serializer::new(String::new());
            for field in &ours {
                field.append_to(&mut written);
                serializer.append_pair(&field.name, &field.value);
            }
            prop_assert_eq!(String::from_utf8(written).unwrap(), serializer.finish());
        }

        /// Pairs are encoded as `form_urlencoded::Serializer` encodes them.
        #[test]
        fn pairs_are_encoded_as_the_serializer_does(
            pairs in proptest::collection::vec(("[ -~é]{0,6}", "[ -~é]{0,6}"), 0..5),
        ) {
            let mut serializer = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                serializer.append_pair(k, v);
            }
            let expected = serializer.finish();
            prop_assert_eq!(&encode_pairs(&pairs)[..], expected.as_bytes());
        }
    }

    #[test]
    fn repeated_names_become_arrays() {
        let map = parse_form(b"a=1&b=2&a=3&a=4");
        assert_eq!(map["a"], serde_json::json!(["1", "3", "4"]));
        assert_eq!(map["b"], serde_json::json!("2"));
    }
}
