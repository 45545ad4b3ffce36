//! XML answers as JSON, the way the reference engine reads them (Jackson's `XmlMapper`):
//!
//! - the root element's name is dropped: the document is the root's content;
//! - an element with neither attributes nor child elements is its text (`<a/>` is `""`);
//! - attributes and child elements are fields, in document order; an element named twice
//!   among its siblings becomes an array of the values, in order (so one `<vessel>` is an
//!   object and two are an array: output mappings of `type: array` accept both);
//! - text beside attributes or children (mixed content) is kept under the key `""`;
//! - namespace prefixes are dropped (local names) and `xmlns` declarations ignored;
//! - numbers and booleans stay strings (XML has no types); output types convert them.
//!
//! quick-xml parses without expanding external or custom entities (no XXE, no entity
//! bombs); a body nested deeper than [`MAX_DEPTH`] is refused.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;

/// An element being read.
struct Element {
    fields: Map<String, Value>,
    text: String,
}

/// `body` (UTF-8 XML) as JSON.
pub(super) fn to_json(body: &[u8]) -> Result<Value, String> {
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    let at = |r: &Reader<&[u8]>| r.buffer_position();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("not well-formed XML at byte {}: {e}", at(&reader)))?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                let element = open(&e)?;
                let name = local_name(&e)?;
                let value = close(element);
                match stack.last_mut() {
                    Some(parent) => add(&mut parent.fields, name, value),
                    None => return finish(&mut reader, value),
                }
            }
            Event::End(e) => {
                let Some(element) = stack.pop() else {
                    return Err("not well-formed XML: an end tag without a start".to_owned());
                };
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let value = close(element);
                match stack.last_mut() {
                    Some(parent) => add(&mut parent.fields, name, value),
                    None => return finish(&mut reader, value),
                }
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| format!("XML text at byte {}: {e}", at(&reader)))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => return Err("the XML document has no root element".to_owned()),
            // Declarations, comments, processing instructions, a DOCTYPE: no content.
            _ => {}
        }
        buf.clear();
    }
}

/// After the root closed: only whitespace, comments and processing instructions may follow.
fn finish(reader: &mut Reader<&[u8]>, value: Value) -> Result<Value, String> {
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => return Ok(value),
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Event::Comment(_) | Event::PI(_)) => {}
            Ok(_) => return Err("content after the XML document's root element".to_owned()),
            Err(e) => return Err(format!("not well-formed XML: {e}")),
        }
        buf.clear();
    }
}

fn local_name(e: &BytesStart<'_>) -> Result<String, String> {
    std::str::from_utf8(e.local_name().as_ref())
        .map(str::to_owned)
        .map_err(|_| "an XML element name is not UTF-8".to_owned())
}

/// A started element with its attributes as fields.
fn open(e: &BytesStart<'_>) -> Result<Element, String> {
    let mut fields = Map::new();
    for attribute in e.attributes() {
        let a = attribute.map_err(|e| format!("an XML attribute: {e}"))?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let name = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| format!("an XML attribute value: {e}"))?;
        add(&mut fields, name, Value::String(value.into_owned()));
    }
    Ok(Element {
        fields,
        text: String::new(),
    })
}

/// An ended element's value.
fn close(element: Element) -> Value {
    let Element { mut fields, text } = element;
    if fields.is_empty() {
        // Whitespace alone around nothing is no text.
        return Value::String(if text.trim().is_empty() {
            String::new()
        } else {
            text
        });
    }
    if !text.trim().is_empty() {
        fields.insert(String::new(), Value::String(text));
    }
    Value::Object(fields)
}

/// Adds `value` under `name`; a name met twice becomes an array.
fn add(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = first.take();
            fields.insert(name, Value::Array(vec![first, value]));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn repeated_elements_are_arrays_and_the_root_is_dropped() {
        let xml = br#"<?xml version="1.0"?>
            <vessels>
              <vessel><vesselCode>LEGACY-4012</vesselCode><vesselName>Old Faithful</vesselName></vessel>
              <vessel><vesselCode>LEGACY-2087</vesselCode><vesselName>Iron &amp; Maiden</vesselName></vessel>
            </vessels>"#;
        assert_eq!(
            to_json(xml),
            Ok(json!({"vessel": [
                {"vesselCode": "LEGACY-4012", "vesselName": "Old Faithful"},
                {"vesselCode": "LEGACY-2087", "vesselName": "Iron & Maiden"}
            ]}))
        );
        let one = b"<vessels><vessel><code>A</code></vessel></vessels>";
        assert_eq!(to_json(one), Ok(json!({"vessel": {"code": "A"}})));
    }

    #[test]
    fn attributes_mixed_text_empty_elements_and_namespaces() {
        let xml =
            br#"<r xmlns:x="urn:x" id="7"><x:a unit="t">12</x:a><b/><c> </c><![CDATA[<raw>]]></r>"#;
        assert_eq!(
            to_json(xml),
            Ok(json!({"id": "7", "a": {"unit": "t", "": "12"}, "b": "", "c": "", "": "<raw>"}))
        );
        assert_eq!(to_json(b"<only>text</only>"), Ok(json!("text")));
    }

    #[test]
    fn malformed_deep_and_entity_laden_documents_are_refused_not_expanded() {
        for bad in [
            &b"<a><b></a>"[..],
            b"",
            b"not xml",
            b"<a></a><b></b>",
            br#"<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>"#,
            br#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#,
        ] {
            assert!(to_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(to_json(deep.as_bytes()).is_err());
    }

    proptest::proptest! {
        /// Whatever an upstream sends, the reader answers a value or an error, never a panic.
        #[test]
        fn any_body_gives_a_value_or_an_error(body in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'<'), proptest::strategy::Just(b'>'),
                proptest::strategy::Just(b'/'), proptest::strategy::Just(b'&'),
                proptest::strategy::Just(b'"'), proptest::strategy::Just(b'a'),
                proptest::strategy::Just(b'='), proptest::num::u8::ANY,
            ],
            0..200,
        )) {
            let _ = to_json(&body);
        }
    }
}
