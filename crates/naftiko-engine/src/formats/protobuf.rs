//! Protocol Buffers answers as JSON: the body is one message of the type `outputSchema`
//! names (the first message of its `.proto` file, as the reference engine's Jackson
//! `ProtobufMapper` reads it), decoded by descriptor (`prost-reflect`). Values:
//!
//! - fields are keyed by their names in the `.proto` file (not protobuf JSON's camelCase),
//!   in field-number order;
//! - a field with presence (proto2 fields, proto3 `optional`, messages, `oneof` members)
//!   is there only when the body sets it; a proto3 field without presence (a plain scalar,
//!   `repeated`, `map`) is always there, at its default when the body leaves it out (as
//!   protobuf's JSON printer does with "always print fields with no presence"): proto3
//!   never sends zero values;
//! - integers are numbers (64-bit ones too), floats numbers (`"NaN"`, `"Infinity"`,
//!   `"-Infinity"` as strings), `bool` booleans, `string` strings, `bytes` base64 text;
//!   an enum is its value's name (its number when the `.proto` does not name it);
//!   `repeated` fields are arrays, maps objects keyed by the key's text (in key order),
//!   messages objects.
//!
//! Unknown fields are skipped. Nesting is bounded by prost's recursion limit (100).

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage as _,
};
use serde_json::{Map, Value};

/// `body` (one binary-encoded message of type `message`) as JSON.
pub(super) fn to_json(body: &[u8], message: &MessageDescriptor) -> Result<Value, String> {
    let decoded = DynamicMessage::decode(message.clone(), body)
        .map_err(|e| format!("not a protobuf `{}` message: {e}", message.full_name()))?;
    Ok(message_json(&decoded))
}

/// A message as an object.
fn message_json(m: &DynamicMessage) -> Value {
    let mut out = Map::new();
    for field in m.descriptor().fields() {
        if m.has_field(&field) || !field.supports_presence() {
            let value = m.get_field(&field);
            out.insert(field.name().to_owned(), value_json(&value, &field));
        }
    }
    Value::Object(out)
}

/// A field's value as JSON.
fn value_json(value: &prost_reflect::Value, field: &FieldDescriptor) -> Value {
    use prost_reflect::Value as V;
    match value {
        V::Bool(b) => Value::Bool(*b),
        V::I32(i) => Value::from(*i),
        V::I64(i) => Value::from(*i),
        V::U32(u) => Value::from(*u),
        V::U64(u) => Value::from(*u),
        V::F32(f) => super::values::float(f64::from(*f)),
        V::F64(f) => super::values::float(*f),
        V::String(s) => Value::String(s.clone()),
        V::Bytes(b) => super::values::base64(b),
        V::EnumNumber(n) => enum_json(*n, &field.kind()),
        V::Message(m) => message_json(m),
        V::List(items) => Value::Array(items.iter().map(|v| value_json(v, field)).collect()),
        V::Map(entries) => map_json(entries, field),
    }
}

/// An enum value's name, else its number.
fn enum_json(number: i32, kind: &Kind) -> Value {
    match kind {
        Kind::Enum(e) => e.get_value(number).map_or_else(
            || Value::from(number),
            |v| Value::String(v.name().to_owned()),
        ),
        _ => Value::from(number),
    }
}

/// A map field as an object keyed by the keys' text, in key order.
fn map_json(
    entries: &std::collections::HashMap<MapKey, prost_reflect::Value>,
    field: &FieldDescriptor,
) -> Value {
    let value_field = match field.kind() {
        Kind::Message(entry) => entry.map_entry_value_field(),
        _ => field.clone(),
    };
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let object: Map<String, Value> = sorted
        .into_iter()
        .map(|(k, v)| (key_text(k), value_json(v, &value_field)))
        .collect();
    Value::Object(object)
}

fn key_text(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(i) => i.to_string(),
        MapKey::I64(i) => i.to_string(),
        MapKey::U32(u) => u.to_string(),
        MapKey::U64(u) => u.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn descriptor(dir: &Path, name: &str, text: &str) -> MessageDescriptor {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        naftiko_validate::body_schema::proto_message(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("naftiko-proto-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn proto2_records_as_the_reference_reads_them() {
        let dir = scratch("p2");
        let m = descriptor(
            &dir,
            "records.proto",
            "syntax = \"proto2\";\npackage test.records;\nmessage RecordsList { repeated Record records = 1; }\nmessage Record { required string id = 1; required string title = 2; optional string description = 3; }\n",
        );
        // records { id: "1" title: "First" description: "about" } records { id: "2" title: "S" }
        let body = [
            0x0a, 0x11, 0x0a, 0x01, b'1', 0x12, 0x05, b'F', b'i', b'r', b's', b't', 0x1a, 0x05,
            b'a', b'b', b'o', b'u', b't', 0x0a, 0x06, 0x0a, 0x01, b'2', 0x12, 0x01, b'S',
        ];
        assert_eq!(
            to_json(&body, &m),
            Ok(json!({"records": [
                {"id": "1", "title": "First", "description": "about"},
                {"id": "2", "title": "S"}
            ]}))
        );
        let e = to_json(&[0x0a, 0x7f, 0x01], &m);
        assert!(e.is_err(), "{e:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn proto3_defaults_enums_maps_and_bytes() {
        let dir = scratch("p3");
        let m = descriptor(
            &dir,
            "status.proto",
            "syntax = \"proto3\";\nenum Level { LOW = 0; HIGH = 1; }\nmessage Status {\n  int64 count = 1;\n  Level level = 2;\n  map<string, int32> tally = 3;\n  bytes raw = 4;\n  optional string note = 5;\n  Status child = 6;\n  double ratio = 7;\n}\n",
        );
        // level: HIGH, tally {"b": 2}, {"a": 1}; raw: 0xcafe; level 7 unknown in the child
        let body = [
            0x10, 0x01, 0x1a, 0x05, 0x0a, 0x01, b'b', 0x10, 0x02, 0x1a, 0x05, 0x0a, 0x01, b'a',
            0x10, 0x01, 0x22, 0x02, 0xca, 0xfe, 0x32, 0x02, 0x10, 0x07,
        ];
        assert_eq!(
            to_json(&body, &m),
            Ok(json!({
                "count": 0, "level": "HIGH", "tally": {"a": 1, "b": 2}, "raw": "yv4=",
                "child": {"count": 0, "level": 7, "tally": {}, "raw": "", "ratio": 0.0},
                "ratio": 0.0
            }))
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
