//! Avro answers as JSON. The body is either one datum in Avro's binary encoding, read with
//! the operation's `outputSchema` (what the reference engine reads: Avro's
//! `GenericDatumReader`, then Jackson's `AvroMapper`), or an Avro object container file
//! (it starts with `Obj\x01`), whose data are read with the schema the file carries and
//! answered as an array. Values:
//!
//! - records are objects (fields in schema order), arrays arrays, maps objects;
//! - a union is its branch's value (`null`, or the value itself: no `{"type": value}`
//!   wrapper); an enum is its symbol;
//! - `int`/`long` (and the date, time and timestamp logical types over them) are numbers,
//!   `float`/`double` numbers (`"NaN"`, `"Infinity"`, `"-Infinity"` as strings);
//! - `bytes` and `fixed` are base64 text; a `decimal` is its exact decimal text (`"12.34"`:
//!   output `type: number` converts it); a `uuid` its text; a `duration` an object
//!   `{months, days, milliseconds}`.
//!
//! The datum reader is naftiko's own (the schema model and parser are `apache-avro`'s):
//! `apache-avro`'s reader recurses without a bound (a recursive schema let a body of
//! nested unions overflow the stack), reads a string or boolean cut short as `null`, and
//! inflates container blocks without a limit. This one bounds nesting ([`MAX_DEPTH`]),
//! checks every length against the bytes left, counts items that take no bytes
//! ([`MAX_EMPTY_ITEMS`]), inflates within [`MAX_INFLATED`] bytes, and refuses bytes left
//! over. Container codecs: every one Avro defines (`avro_codec.rs`).

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{DecimalSchema, InnerDecimalSchema, Name, UuidSchema};
use naftiko_validate::body_schema::AvroSchema;
use serde_json::{Map, Value};

use super::avro_codec::Codec;

/// Deepest nesting of records, arrays, maps and unions read.
const MAX_DEPTH: usize = 128;
/// Most array or map items, in a whole body, that take no bytes (`null`, empty records):
/// nothing else bounds how many a few bytes can announce.
const MAX_EMPTY_ITEMS: usize = 1 << 16;
/// Most bytes a container file's blocks decode to, in all.
const MAX_INFLATED: usize = 64 << 20;
/// An object container file's first bytes.
const MAGIC: &[u8] = b"Obj\x01";

/// `body` as JSON: a datum of `schema`, or a container file's data.
pub(super) fn to_json(body: &[u8], schema: &AvroSchema) -> Result<Value, String> {
    if let Some(file) = body.strip_prefix(MAGIC) {
        return container(file);
    }
    let mut r = Datum::new(body, &schema.names);
    let value = r.value(&schema.root, None, 0)?;
    if !r.input.is_empty() {
        return Err(format!(
            "{} bytes after the Avro datum (the body does not match `outputSchema`?)",
            r.input.len()
        ));
    }
    Ok(value)
}

/// An object container file (after its magic bytes): its data, as an array.
fn container(file: &[u8]) -> Result<Value, String> {
    let no_names = HashMap::new();
    let mut header = Datum::new(file, &no_names);
    let metadata = header.metadata()?;
    let sync = header.take(16)?;
    let schema_text = metadata
        .get("avro.schema")
        .and_then(|s| std::str::from_utf8(s).ok())
        .ok_or("the Avro container file has no schema")?;
    let schema = AvroSchema::parse(schema_text)
        .map_err(|e| format!("the Avro container file's schema: {e}"))?;
    let codec = Codec::named(metadata.get("avro.codec").map(Vec::as_slice))?;
    let mut blocks = header.input;
    let mut items = Vec::new();
    let mut inflated = 0usize;
    let mut empty = 0usize;
    while !blocks.is_empty() {
        let mut r = Datum::new(blocks, &schema.names);
        let count = r.count()?;
        let size = r.count()?;
        let data = r.take(size)?;
        if r.take(16)? != sync {
            return Err("an Avro container block does not end with the file's sync marker".into());
        }
        blocks = r.input;
        let data = codec.decode(data, MAX_INFLATED - inflated)?;
        inflated += data.len();
        let mut d = Datum::new(&data, &schema.names);
        d.empty = empty;
        for _ in 0..count {
            let before = d.input.len();
            items.push(d.value(&schema.root, None, 0)?);
            d.count_if_empty(before)?;
        }
        if !d.input.is_empty() {
            return Err("an Avro container block has bytes after its data".into());
        }
        empty = d.empty;
    }
    Ok(Value::Array(items))
}

/// Reads binary-encoded Avro from `input`.
struct Datum<'a, 'n> {
    input: &'a [u8],
    names: &'n HashMap<Name, Schema>,
    /// Items read so far that took no bytes.
    empty: usize,
}

impl<'a, 'n> Datum<'a, 'n> {
    fn new(input: &'a [u8], names: &'n HashMap<Name, Schema>) -> Self {
        Datum {
            input,
            names,
            empty: 0,
        }
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.input.len() {
            return Err(format!(
                "the Avro body ends early ({n} bytes announced, {} left)",
                self.input.len()
            ));
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }

    /// A zig-zag varint `long`.
    fn long(&mut self) -> Result<i64, String> {
        let mut raw: u64 = 0;
        for shift in (0..70).step_by(7) {
            let [byte] = self.take(1)? else {
                return Err("the Avro body ends early".into());
            };
            let byte = *byte;
            if shift == 63 && byte > 1 {
                return Err("an Avro long longer than 64 bits".into());
            }
            raw |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                let magnitude = i64::try_from(raw >> 1).unwrap_or(i64::MAX);
                return Ok(if raw & 1 == 0 {
                    magnitude
                } else {
                    -magnitude - 1
                });
            }
        }
        Err("an Avro long longer than 10 bytes".into())
    }

    fn int(&mut self) -> Result<i32, String> {
        i32::try_from(self.long()?).map_err(|_| "an Avro int out of range".to_owned())
    }

    /// A length or count: not negative.
    fn count(&mut self) -> Result<usize, String> {
        usize::try_from(self.long()?).map_err(|_| "a negative Avro length".to_owned())
    }

    /// A `bytes` or `string` payload.
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.count()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| "an Avro string is not UTF-8".to_owned())
    }

    /// A container file's metadata (`map<bytes>`).
    fn metadata(&mut self) -> Result<HashMap<String, Vec<u8>>, String> {
        let mut map = HashMap::new();
        loop {
            let n = self.block_count()?;
            if n == 0 {
                return Ok(map);
            }
            for _ in 0..n {
                let key = self.string()?;
                let value = self.bytes()?.to_vec();
                map.insert(key, value);
            }
        }
    }

    /// The item count of an array or map block (a negative count is followed by the
    /// block's size in bytes, which is skipped).
    fn block_count(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        if n < 0 {
            self.count()?;
        }
        usize::try_from(n.unsigned_abs()).map_err(|_| "an Avro block count out of range".into())
    }

    /// Counts an item that took no bytes, within [`MAX_EMPTY_ITEMS`].
    /// The items of an array or map: blocks of a count and that many items, until a zero
    /// count; `item` reads one.
    fn blocks(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        loop {
            let n = self.block_count()?;
            if n == 0 {
                return Ok(());
            }
            for _ in 0..n {
                let before = self.input.len();
                item(self)?;
                self.count_if_empty(before)?;
            }
        }
    }

    fn count_if_empty(&mut self, before: usize) -> Result<(), String> {
        if self.input.len() == before {
            self.empty += 1;
            if self.empty > MAX_EMPTY_ITEMS {
                return Err(format!(
                    "more than {MAX_EMPTY_ITEMS} Avro items that take no bytes"
                ));
            }
        }
        Ok(())
    }

    /// A value of `schema`, `namespace` being the enclosing one (for relative names).
    fn value(
        &mut self,
        schema: &Schema,
        namespace: Option<&str>,
        depth: usize,
    ) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("Avro data nested deeper than {MAX_DEPTH} levels"));
        }
        let depth = depth + 1;
        Ok(match schema {
            Schema::Null => Value::Null,
            Schema::Boolean => match self.take(1)? {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                _ => return Err("an Avro boolean is neither 0 nor 1".into()),
            },
            Schema::Int | Schema::Date | Schema::TimeMillis => Value::from(self.int()?),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => Value::from(self.long()?),
            Schema::Float => {
                let b = self.fixed::<4>()?;
                super::values::float(f64::from(f32::from_le_bytes(b)))
            }
            Schema::Double => super::values::float(f64::from_le_bytes(self.fixed::<8>()?)),
            Schema::Bytes | Schema::BigDecimal => super::values::base64(self.bytes()?),
            Schema::String => Value::String(self.string()?),
            Schema::Fixed(f) => super::values::base64(self.take(f.size)?),
            Schema::Uuid(u) => self.uuid(u)?,
            Schema::Decimal(d) => self.decimal(d)?,
            Schema::Duration(_) => {
                let b = self.fixed::<12>()?;
                let part = |i: usize| {
                    let mut four = [0u8; 4];
                    four.copy_from_slice(&b[i..i + 4]);
                    Value::from(u32::from_le_bytes(four))
                };
                let mut m = Map::new();
                m.insert("months".into(), part(0));
                m.insert("days".into(), part(4));
                m.insert("milliseconds".into(), part(8));
                Value::Object(m)
            }
            Schema::Enum(e) => {
                let i = self.count()?;
                let symbol = e.symbols.get(i).ok_or("an Avro enum index out of range")?;
                Value::String(symbol.clone())
            }
            Schema::Union(u) => {
                let i = self.count()?;
                let branch = u
                    .variants()
                    .get(i)
                    .ok_or("an Avro union index out of range")?;
                self.value(branch, namespace, depth)?
            }
            Schema::Array(a) => {
                let mut items = Vec::new();
                self.blocks(|r| {
                    items.push(r.value(&a.items, namespace, depth)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            Schema::Map(m) => {
                let mut entries = Map::new();
                self.blocks(|r| {
                    let key = r.string()?;
                    let value = r.value(&m.types, namespace, depth)?;
                    entries.insert(key, value);
                    Ok(())
                })?;
                Value::Object(entries)
            }
            Schema::Record(r) => {
                let name = r.name.fully_qualified_name(namespace);
                let mut fields = Map::new();
                for f in &r.fields {
                    let v = self.value(&f.schema, name.namespace(), depth)?;
                    fields.insert(f.name.clone(), v);
                }
                Value::Object(fields)
            }
            Schema::Ref { name } => {
                let full = name.fully_qualified_name(namespace);
                let names = self.names;
                let target = names
                    .get(full.as_ref())
                    .ok_or("an Avro schema names a type it does not define")?;
                self.value(target, full.namespace(), depth)?
            }
        })
    }

    /// The next `N` bytes as an array.
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn uuid(&mut self, u: &UuidSchema) -> Result<Value, String> {
        let raw = match u {
            UuidSchema::String => return Ok(Value::String(self.string()?)),
            UuidSchema::Bytes => self.bytes()?,
            UuidSchema::Fixed(f) => self.take(f.size)?,
        };
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        if hex.len() != 32 {
            return Err("an Avro uuid is not 16 bytes".into());
        }
        Ok(Value::String(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )))
    }

    fn decimal(&mut self, d: &DecimalSchema) -> Result<Value, String> {
        let raw = match &d.inner {
            InnerDecimalSchema::Bytes => self.bytes()?,
            InnerDecimalSchema::Fixed(f) => self.take(f.size)?,
        };
        decimal_text(raw, d.scale).map(Value::String)
    }
}

/// A decimal's text from its unscaled value (big-endian two's complement) and scale.
fn decimal_text(raw: &[u8], scale: usize) -> Result<String, String> {
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let fill = if negative { 0xff } else { 0x00 };
    // Sign-extension bytes carry nothing.
    let start = raw
        .iter()
        .take_while(|b| **b == fill)
        .count()
        .min(raw.len().saturating_sub(1));
    let significant = &raw[start..];
    if significant.len() > 16 {
        return Err("an Avro decimal wider than 128 bits".into());
    }
    let mut wide = [fill; 16];
    wide[16 - significant.len()..].copy_from_slice(significant);
    let unscaled = i128::from_be_bytes(wide);
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return Ok(format!("{sign}{digits}"));
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    Ok(format!("{sign}{int}.{frac}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const RECORDS: &str = r#"{"type":"record","name":"RecordsList","namespace":"io.naftiko.test","fields":[
        {"name":"records","type":{"type":"array","items":{"type":"record","name":"Record","fields":[
            {"name":"id","type":"string"},{"name":"title","type":"string"},
            {"name":"description","type":["null","string"],"default":null}]}}}]}"#;

    fn schema(text: &str) -> AvroSchema {
        AvroSchema::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn string(s: &str) -> Vec<u8> {
        let mut out = vec![u8::try_from(s.len() * 2).unwrap_or(0)];
        out.extend_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn a_datum_with_arrays_records_and_unions() {
        let mut body = vec![4]; // a block of two records
        body.extend(string("1"));
        body.extend(string("First"));
        body.push(2); // union branch 1: string
        body.extend(string("about"));
        body.extend(string("2"));
        body.extend(string("Second"));
        body.push(0); // union branch 0: null
        body.push(0); // end of the array
        assert_eq!(
            to_json(&body, &schema(RECORDS)),
            Ok(json!({"records": [
                {"id": "1", "title": "First", "description": "about"},
                {"id": "2", "title": "Second", "description": null}
            ]}))
        );
        body.push(0);
        assert!(to_json(&body, &schema(RECORDS)).is_err(), "bytes left over");
        assert!(
            to_json(&body[..body.len() - 3], &schema(RECORDS)).is_err(),
            "cut short"
        );
    }

    #[test]
    fn logical_types_and_scalars() {
        let s = schema(
            r#"{"type":"record","name":"R","fields":[
            {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
            {"name":"neg","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}},
            {"name":"day","type":{"type":"int","logicalType":"date"}},
            {"name":"ok","type":"boolean"},
            {"name":"ratio","type":"double"},
            {"name":"kind","type":{"type":"enum","name":"K","symbols":["A","B"]}},
            {"name":"tags","type":{"type":"map","values":"long"}},
            {"name":"raw","type":{"type":"fixed","name":"F","size":2}}]}"#,
        );
        let mut body = vec![4, 0x04, 0xd2]; // 1234 → "12.34"
        body.extend([2, 0xff]); // -1 → "-0.001"
        body.push(0x02); // date 1
        body.push(1);
        body.extend(2.5f64.to_le_bytes());
        body.push(2); // B
        body.extend([2]); // one entry
        body.extend(string("n"));
        body.push(0x54); // 42
        body.push(0);
        body.extend([0xca, 0xfe]);
        assert_eq!(
            to_json(&body, &s),
            Ok(
                json!({"price": "12.34", "neg": "-0.001", "day": 1, "ok": true, "ratio": 2.5,
                      "kind": "B", "tags": {"n": 42}, "raw": "yv4="})
            )
        );
    }

    #[test]
    fn recursive_schemas_and_empty_items_are_bounded() {
        let list = schema(
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
        );
        assert_eq!(
            to_json(&[2, 2, 0], &list),
            Ok(json!({"next": {"next": {"next": null}}}))
        );
        let deep = vec![2u8; 100_000];
        assert!(to_json(&deep, &list).is_err());
        let nulls = schema(r#"{"type":"array","items":"null"}"#);
        // One block announcing a huge count of nulls.
        assert!(to_json(&[0xfe, 0xff, 0xff, 0xff, 0x0f, 0], &nulls).is_err());
        assert_eq!(to_json(&[6, 0], &nulls), Ok(json!([null, null, null])));
        let s = schema(r#""string""#);
        assert!(
            to_json(&[0xfe, 0xff, 0xff, 0xff, 0x0f], &s).is_err(),
            "length past the end"
        );
        assert!(to_json(&[1], &s).is_err(), "negative length");
    }

    #[test]
    fn decimal_texts() {
        assert_eq!(decimal_text(&[0x00, 0x00, 0x01], 0), Ok("1".into()));
        assert_eq!(decimal_text(&[0xff, 0xff, 0x85], 2), Ok("-1.23".into()));
        assert_eq!(decimal_text(&[0x05], 3), Ok("0.005".into()));
        assert_eq!(decimal_text(&[], 1), Ok("0.0".into()));
        assert!(decimal_text(&[0x7f; 17], 0).is_err());
    }
}
