//! Shaping a JSON answer without a `Value` tree, for the commonest outputs: named
//! outputs each read by one simple JSONPath (member names, indices, wildcards), such as
//! `$.access_token`, `$.item.owner.login` or `$.related[*].id`.
//!
//! A [`Capture`] is compiled once from the outputs: a tree of the members and elements
//! their paths descend through, with each output at the node its path ends on. The
//! answer is then read once: what leads nowhere is checked as a full parse would check
//! it and dropped, each output's nodes are kept as they come (strings borrowed from the
//! answer), and `{"name":value,…}` is written straight out, with each value converted
//! exactly as `Outputs::shape` converts it (`outputs::coerce`).
//!
//! The answer is read by the skimming reader over its bytes (`skim.rs`) first; where that
//! declines (anything it is not sure serde_json reads as it does), by serde_json, as a
//! `DeserializeSeed` whose dropped values go through `select::Discard`. Both keep the
//! same nodes, which are written the same way.
//!
//! It gives the same bytes as parsing the answer and shaping it, or declines: an answer
//! that is not JSON, or with a member written twice on the way to an output (a full
//! parse keeps the last value in the first one's place, which streaming cannot see), is
//! left to the general shaping, which says what is wrong or does what a full parse does.
//! The engine's tests hold the two to the same bytes, and the two readers to each other.

use std::borrow::Cow;

use naftiko_expr::PathStep;
use naftiko_spec::model::OutputType;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::coerce::coerce;
use crate::error::InvokeError;
use crate::minify::minified;
use crate::select::Discard;
use crate::skim::{Decline, Kind, Reader, Scalar, Text};

/// One output: where its value goes and how it is converted.
#[derive(Debug)]
struct Field {
    /// `"name":`, JSON-encoded.
    key: Vec<u8>,
    /// The name, for errors.
    name: String,
    ty: Option<OutputType>,
    /// Its path selects at most one node (else a list of every node it selects).
    definite: bool,
}

/// The members and elements the outputs' paths descend through.
#[derive(Debug, Default)]
struct Node {
    members: Vec<(String, Node)>,
    /// Elements by position (non-negative indices).
    elements: Vec<(usize, Node)>,
    every: Option<Box<Node>>,
    /// The outputs whose paths end here (a node with outputs has no children).
    ends: Vec<usize>,
}

impl Node {
    fn is_inner(&self) -> bool {
        !self.members.is_empty() || !self.elements.is_empty() || self.every.is_some()
    }

    /// The node `steps` lead to, made as needed; `None` for a step this reader does not
    /// follow (a negative index).
    fn descend(&mut self, steps: &[PathStep<'_>]) -> Option<&mut Node> {
        let mut at = self;
        for step in steps {
            at = match *step {
                PathStep::Member(name) => {
                    let i = match at.members.iter().position(|(n, _)| n == name) {
                        Some(i) => i,
                        None => {
                            at.members.push((name.to_owned(), Node::default()));
                            at.members.len() - 1
                        }
                    };
                    &mut at.members[i].1
                }
                PathStep::Index(i) => {
                    let i = usize::try_from(i).ok()?;
                    let at_i = match at.elements.iter().position(|(n, _)| *n == i) {
                        Some(p) => p,
                        None => {
                            at.elements.push((i, Node::default()));
                            at.elements.len() - 1
                        }
                    };
                    &mut at.elements[at_i].1
                }
                PathStep::Wildcard => at.every.get_or_insert_with(Box::default),
            };
        }
        Some(at)
    }

    /// True when no node is both an output's end and on the way to another's, and no
    /// wildcard sits beside names or indices (whose nodes it would also reach).
    fn is_plain(&self) -> bool {
        if !self.ends.is_empty() && self.is_inner() {
            return false;
        }
        if self.every.is_some() && (!self.members.is_empty() || !self.elements.is_empty()) {
            return false;
        }
        self.members.iter().all(|(_, n)| n.is_plain())
            && self.elements.iter().all(|(_, n)| n.is_plain())
            && self.every.as_deref().is_none_or(Node::is_plain)
    }
}

/// Outputs compiled for shaping without a `Value` tree.
#[derive(Debug)]
pub(crate) struct Capture {
    fields: Vec<Field>,
    root: Node,
    /// One output without a name: the answer is its value alone, not an object.
    bare: bool,
}

impl Capture {
    /// The capture of named outputs `(name, path, type)`, when each path is simple; with
    /// `bare`, of one output without a name (`name` is the label its errors carry), whose
    /// value is the answer.
    pub(crate) fn of(
        outputs: Vec<(&str, &naftiko_expr::JsonPathExpr, Option<OutputType>)>,
        bare: bool,
    ) -> Option<Capture> {
        if bare && outputs.len() != 1 {
            return None;
        }
        let mut root = Node::default();
        let mut fields = Vec::new();
        for (i, (name, path, ty)) in outputs.into_iter().enumerate() {
            let (steps, complete) = path.steps();
            if !complete {
                return None;
            }
            root.descend(&steps)?.ends.push(i);
            let mut key = serde_json::to_vec(name).ok()?;
            key.push(b':');
            fields.push(Field {
                key,
                name: name.to_owned(),
                ty,
                definite: path.is_definite(),
            });
        }
        root.is_plain().then_some(Capture { fields, root, bare })
    }

    /// `{"name":value,…}` of the JSON document `doc`; `Ok(None)` when the general shaping
    /// must do it (see the module). A value that does not convert is the error the
    /// general shaping gives.
    pub(crate) fn write(&self, doc: &[u8]) -> Result<Option<Vec<u8>>, InvokeError> {
        match self.skim(doc) {
            Ok(found) => self.written(found, doc.len()).map(Some),
            Err(_) => self.write_by_serde(doc),
        }
    }

    /// [`Capture::write`] by serde_json alone.
    fn write_by_serde(&self, doc: &[u8]) -> Result<Option<Vec<u8>>, InvokeError> {
        // One UTF-8 check for the whole document rather than one per string (a document
        // that is not UTF-8 is refused by the general path, which says where).
        let Ok(text) = std::str::from_utf8(doc) else {
            return Ok(None);
        };
        let mut found = self.slots();
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = At {
            node: &self.root,
            found: &mut found,
        };
        if seed.deserialize(&mut de).is_err() || de.end().is_err() {
            return Ok(None);
        }
        self.written(found, doc.len()).map(Some)
    }

    /// The nodes each output selects in `doc`, read by the skimming reader.
    fn skim<'a>(&self, doc: &'a [u8]) -> Result<Found<'a>, Decline> {
        let mut found = self.slots();
        let mut reader = Reader::new(doc);
        skim_at(&mut reader, &self.root, &mut found)?;
        reader.finish()?;
        Ok(found)
    }

    /// Room for the nodes the outputs select (one allocation in the common case).
    fn slots<'a>(&self) -> Found<'a> {
        Found(Vec::with_capacity(2 * self.fields.len()))
    }

    /// `{"name":value,…}` of the nodes each output selected.
    fn written(&self, found: Found<'_>, size: usize) -> Result<Vec<u8>, InvokeError> {
        let mut found = found.0;
        // By output (a stable sort: each output's nodes stay in the order read), unless
        // they were read in that order already.
        if !found.is_sorted_by_key(|(i, _)| *i) {
            found.sort_by_key(|(i, _)| *i);
        }
        let mut found = found.into_iter();
        let mut out = Vec::with_capacity(64 + size / 4);
        if self.bare {
            if let Some(field) = self.fields.first() {
                field.write(found.map(|(_, v)| v), &mut out)?;
            }
            return Ok(out);
        }
        out.push(b'{');
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&field.key);
            let run = found.as_slice().iter().take_while(|(j, _)| *j == i).count();
            field.write(found.by_ref().take(run).map(|(_, v)| v), &mut out)?;
        }
        out.push(b'}');
        Ok(out)
    }
}

/// The nodes the outputs select, in the order read, each with its output's position.
#[derive(Debug, Default)]
struct Found<'a>(Vec<(usize, Captured<'a>)>);

impl<'a> Found<'a> {
    /// Keeps `value` for each output of `ends` (those whose paths end at its node).
    #[inline]
    fn keep(&mut self, ends: &[usize], value: Captured<'a>) {
        match ends {
            [only] => self.0.push((*only, value)),
            _ => self.keep_each(ends, value),
        }
    }

    /// [`Found::keep`] for a node where several outputs end (or none).
    #[inline(never)]
    fn keep_each(&mut self, ends: &[usize], value: Captured<'a>) {
        if let Some((last, others)) = ends.split_last() {
            for &i in others {
                self.0.push((i, value.clone()));
            }
            self.0.push((*last, value));
        }
    }
}

/// The value at `node` read by `reader`: captured for the outputs ending there, else
/// read for its children (as [`At`] reads it).
fn skim_at<'a>(reader: &mut Reader<'a>, node: &Node, found: &mut Found<'a>) -> Result<(), Decline> {
    if !node.ends.is_empty() {
        found.keep(&node.ends, skim_captured(reader)?);
        return Ok(());
    }
    match reader.kind()? {
        Kind::Object => skim_members(reader, node, found),
        Kind::Array => skim_elements(reader, node, found),
        // A scalar where the paths go on selects nothing.
        Kind::Scalar => reader.skip(),
    }
}

/// The members of an object at `node`, each read at the node its key leads to or
/// skipped; a key leading somewhere twice declines (as in [`At::visit_map`]).
fn skim_members<'a>(
    reader: &mut Reader<'a>,
    node: &Node,
    found: &mut Found<'a>,
) -> Result<(), Decline> {
    if let Some(every) = &node.every {
        return skim_every_member(reader, every, found);
    }
    // The members taken, by position in `node.members`.
    let mut taken: u64 = 0;
    let mut more = reader.open()?;
    while more {
        let key = reader.key()?;
        let member = node
            .members
            .iter()
            .enumerate()
            .find(|(_, (n, _))| same(n.as_bytes(), key.bytes()));
        match member {
            Some((i, (_, child))) => {
                let bit = u32::try_from(i)
                    .ok()
                    .and_then(|i| 1u64.checked_shl(i))
                    .ok_or(Decline::Wide)?;
                if taken & bit != 0 {
                    return Err(Decline::Twice);
                }
                taken |= bit;
                skim_at(reader, child, found)?;
            }
            None => reader.skip()?,
        }
        more = reader.more_members()?;
    }
    Ok(())
}

/// `a == b` for a key and a member's name: the lengths, then byte by byte in place (keys
/// are short, and most that are not a member on the way differ in length or at their
/// first byte), without a call to `memcmp`.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The members of an object under a wildcard, each read at `every`.
fn skim_every_member<'a>(
    reader: &mut Reader<'a>,
    every: &Node,
    found: &mut Found<'a>,
) -> Result<(), Decline> {
    let mut keys: Vec<Text<'a>> = Vec::new();
    let mut more = reader.open()?;
    while more {
        let key = reader.key()?;
        if keys.iter().any(|k| k.bytes() == key.bytes()) {
            return Err(Decline::Twice);
        }
        keys.push(key);
        skim_at(reader, every, found)?;
        more = reader.more_members()?;
    }
    Ok(())
}

/// The elements of an array at `node`, each read at its node or skipped (as in
/// [`At::visit_seq`]).
fn skim_elements<'a>(
    reader: &mut Reader<'a>,
    node: &Node,
    found: &mut Found<'a>,
) -> Result<(), Decline> {
    let mut i = 0usize;
    let mut more = reader.open()?;
    while more {
        let next = match &node.every {
            Some(every) => Some(&**every),
            None => node.elements.iter().find(|(n, _)| *n == i).map(|(_, n)| n),
        };
        match next {
            Some(child) => skim_at(reader, child, found)?,
            None => reader.skip()?,
        }
        i += 1;
        more = reader.more_elements()?;
    }
    Ok(())
}

/// The value `reader` is at, kept as [`Captured`]'s own reading keeps it: a string as
/// its text, anything else as the `Value` serde_json reads from its bytes.
fn skim_captured<'a>(reader: &mut Reader<'a>) -> Result<Captured<'a>, Decline> {
    if reader.kind()? != Kind::Scalar {
        // An object or an array: written as serde_json writes what it reads.
        let (at, depth) = reader.value_at()?;
        let mut json = Vec::new();
        reader.jump(minified(reader.document(), at, depth, &mut json)?);
        return Ok(Captured::Json(json.into_boxed_slice()));
    }
    Ok(match reader.scalar()? {
        Scalar::Text(Text::Plain(text)) => Captured::Plain(text),
        Scalar::Text(Text::Unescaped(text)) => Captured::Str(Cow::Owned(text)),
        Scalar::Number(bytes) => {
            Captured::from(serde_json::from_slice::<Value>(bytes).map_err(|_| Decline::Number)?)
        }
        Scalar::Bool(b) => Captured::Bool(b),
        Scalar::Null => Captured::Null,
    })
}

impl Field {
    /// Writes this output's value from the nodes its path selected (all of them are
    /// taken from `values`, unless a value does not convert).
    fn write<'a>(
        &self,
        mut values: impl Iterator<Item = Captured<'a>>,
        out: &mut Vec<u8>,
    ) -> Result<(), InvokeError> {
        let value = if self.definite {
            match (values.by_ref().last(), self.ty) {
                // A string kept as a string: written as `Value::String` would be.
                (Some(Captured::Str(text)), None | Some(OutputType::String)) => {
                    return serde_json::to_writer(&mut *out, text.as_ref()).map_err(written);
                }
                (Some(Captured::Plain(text)), None | Some(OutputType::String)) => {
                    write_plain(text, out);
                    return Ok(());
                }
                // An object or an array kept as one: its text as it was written.
                (Some(Captured::Json(json)), ty) if keeps(&json, ty) => {
                    out.extend_from_slice(&json);
                    return Ok(());
                }
                (Some(v), _) => v.into_value()?,
                (None, _) => Value::Null,
            }
        } else if matches!(self.ty, None | Some(OutputType::Array)) {
            // A list kept as a list: written as `Value::Array` would be, without making one.
            return write_list(values, out);
        } else {
            Value::Array(
                values
                    .map(Captured::into_value)
                    .collect::<Result<_, InvokeError>>()?,
            )
        };
        serde_json::to_writer(&mut *out, &coerce(value, self.ty, &self.name)?).map_err(written)
    }
}

/// True when converting the object or array written as `json` to `ty` keeps it as it is.
fn keeps(json: &[u8], ty: Option<OutputType>) -> bool {
    match ty {
        None => true,
        Some(OutputType::Object) => json.first() == Some(&b'{'),
        Some(OutputType::Array) => json.first() == Some(&b'['),
        Some(_) => false,
    }
}

/// `values` written as the `Value::Array` of them is written.
fn write_list<'a>(
    values: impl Iterator<Item = Captured<'a>>,
    out: &mut Vec<u8>,
) -> Result<(), InvokeError> {
    out.push(b'[');
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match value {
            Captured::Str(text) => serde_json::to_writer(&mut *out, text.as_ref()),
            Captured::Plain(text) => {
                write_plain(text, out);
                Ok(())
            }
            Captured::Json(json) => {
                out.extend_from_slice(&json);
                Ok(())
            }
            other => serde_json::to_writer(&mut *out, &other.into_value()?),
        }
        .map_err(written)?;
    }
    out.push(b']');
    Ok(())
}

/// A [`Captured::Plain`] string written: as it stands, between quotes (which is how
/// serde_json writes a string with nothing to escape).
fn write_plain(text: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

fn written(e: serde_json::Error) -> InvokeError {
    InvokeError::Internal(format!("writing the answer: {e}"))
}

/// A value at `node`: captured for the outputs ending there, else read for its children.
struct At<'p, 'de> {
    node: &'p Node,
    found: &'p mut Found<'de>,
}

impl<'de> DeserializeSeed<'de> for At<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.node.ends.is_empty() {
            return d.deserialize_any(self);
        }
        let value = <Captured<'de> as de::Deserialize>::deserialize(d)?;
        self.found.keep(&self.node.ends, value);
        Ok(())
    }
}

impl<'de> Visitor<'de> for At<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    // A scalar where the paths go on selects nothing.
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let next = match (
                &self.node.every,
                self.node.elements.iter().find(|(n, _)| *n == i),
            ) {
                (Some(every), _) => Some(&**every),
                (None, Some((_, node))) => Some(node),
                (None, None) => None,
            };
            let more = match next {
                Some(node) => seq
                    .next_element_seed(At {
                        node,
                        found: &mut *self.found,
                    })?
                    .is_some(),
                None => seq.next_element::<Discard>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut taken: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = map.next_key::<Captured<'de>>()? {
            let Captured::Str(key) = key else {
                return Err(de::Error::custom("an object key that is not a string"));
            };
            let node = match &self.node.every {
                Some(every) => Some(&**every),
                None => self
                    .node
                    .members
                    .iter()
                    .find(|(n, _)| *n == key)
                    .map(|(_, n)| n),
            };
            let Some(node) = node else {
                map.next_value::<Discard>()?;
                continue;
            };
            if taken.contains(&key) {
                // Written twice: a full parse keeps the last value in the first place.
                return Err(de::Error::custom("a member written twice"));
            }
            map.next_value_seed(At {
                node,
                found: &mut *self.found,
            })?;
            taken.push(key);
        }
        Ok(())
    }
}

/// A captured node or an object key: a string (borrowed unless it has escapes), else the
/// `Value` a `Value` tree would hold there, kept small (a few words: the found nodes are
/// moved about as they are kept and written) with an object or an array boxed.
#[derive(Debug, Clone)]
pub(crate) enum Captured<'de> {
    Str(Cow<'de, str>),
    /// A string as it stands in the document, with nothing to escape (no quote, backslash
    /// or control character) and checked to be UTF-8: what the skimming reader keeps.
    Plain(&'de [u8]),
    Number(serde_json::Number),
    Bool(bool),
    Null,
    /// An object or an array (or any other `Value` made elsewhere).
    Tree(Box<Value>),
    /// An object or an array as serde_json writes it (`minify.rs`): what the skimming
    /// reader keeps (a boxed slice, so that a captured node stays three words).
    Json(Box<[u8]>),
}

impl Captured<'_> {
    fn into_value(self) -> Result<Value, InvokeError> {
        Ok(match self {
            Captured::Str(text) => Value::String(text.into_owned()),
            // UTF-8 already: nothing is replaced.
            Captured::Plain(text) => Value::String(String::from_utf8_lossy(text).into_owned()),
            Captured::Number(n) => Value::Number(n),
            Captured::Bool(b) => Value::Bool(b),
            Captured::Null => Value::Null,
            Captured::Tree(v) => *v,
            // Written by serde_json's rules from text it reads: never refused.
            Captured::Json(json) => serde_json::from_slice(&json)
                .map_err(|e| InvokeError::Internal(format!("reading a captured value: {e}")))?,
        })
    }
}

impl From<Value> for Captured<'_> {
    fn from(value: Value) -> Self {
        match value {
            Value::Number(n) => Captured::Number(n),
            Value::Bool(b) => Captured::Bool(b),
            Value::Null => Captured::Null,
            tree => Captured::Tree(Box::new(tree)),
        }
    }
}

impl<'de> de::Deserialize<'de> for Captured<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Captured<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Captured<'de>, E> {
                Ok(Captured::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Captured<'de>, E> {
                Ok(Captured::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Captured<'de>, E> {
                Ok(Captured::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Captured<'de>, E> {
                Ok(Captured::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Captured<'de>, E> {
                Ok(Captured::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Captured<'de>, E> {
                Ok(Captured::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Captured<'de>, E> {
                // As `Value`'s own visitor: a non-finite number becomes `null`.
                Ok(serde_json::Number::from_f64(v).map_or(Captured::Null, Captured::Number))
            }
            fn visit_unit<E>(self) -> Result<Captured<'de>, E> {
                Ok(Captured::Null)
            }
            fn visit_none<E>(self) -> Result<Captured<'de>, E> {
                Ok(Captured::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Captured<'de>, A::Error> {
                <Value as de::Deserialize>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Captured::from)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Captured<'de>, A::Error> {
                <Value as de::Deserialize>::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Captured::from)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod skim_tests;

#[cfg(test)]
mod tests {
    //! A capture writes what shaping the whole parsed document writes, byte for byte,
    //! errors included: for the outputs of every operation of the corpus, the tutorial,
    //! the capabilities and the fixtures, on generated documents.

    use super::*;
    use crate::outputs::Outputs;
    use crate::outputs_corpus::{Nothing, along_queries, corpus_outputs, documents, names_of};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// The capture's answer and the general shaping's, as comparable text.
    fn both(capture: &Capture, outputs: &Outputs, text: &[u8]) -> (String, String) {
        let full = crate::inbound::parse_json(text).unwrap();
        let general = match outputs.shape(&full, &Nothing) {
            Ok(v) => String::from_utf8(crate::json_text::json_bytes(&v)).unwrap(),
            Err(e) => format!("{e:?}"),
        };
        let captured = match capture.write(text) {
            Ok(Some(bytes)) => String::from_utf8(bytes).unwrap(),
            Ok(None) => "declined".to_owned(),
            Err(e) => format!("{e:?}"),
        };
        (general, captured)
    }

    #[test]
    fn every_corpus_operation_captures_what_shaping_the_whole_document_gives() {
        let mut captured = 0;
        for (file, outputs) in corpus_outputs() {
            let Some(capture) = outputs.capture() else {
                continue;
            };
            captured += 1;
            let mut runner = TestRunner::new(Config {
                cases: 32,
                failure_persistence: None,
                ..Config::default()
            });
            let result = runner.run(
                &prop_oneof![documents(names_of(&outputs)), along_queries(&outputs)],
                |doc| {
                    let text = serde_json::to_vec(&doc).unwrap();
                    let (general, captured) = both(capture, &outputs, &text);
                    prop_assert_eq!(general, captured);
                    Ok(())
                },
            );
            if let Err(e) = result {
                panic!("{file}: {e}\n{outputs:?}");
            }
        }
        assert!(captured >= 20, "only {captured} outputs lists are captured");
    }

    fn capture_of(paths: &[(&str, &str, Option<OutputType>)]) -> Capture {
        let parsed: Vec<naftiko_expr::JsonPathExpr> = paths
            .iter()
            .map(|(_, p, _)| naftiko_expr::JsonPathExpr::parse(p).unwrap())
            .collect();
        Capture::of(
            paths
                .iter()
                .zip(&parsed)
                .map(|((n, _, t), p)| (*n, p, *t))
                .collect(),
            false,
        )
        .unwrap()
    }

    #[test]
    fn nested_members_arrays_and_indices_are_written_in_output_order() {
        let c = capture_of(&[
            ("owner", "$.item.owner.login", Some(OutputType::String)),
            ("ids", "$.related[*].id", Some(OutputType::Array)),
            ("second", "$.scores[1]", Some(OutputType::Integer)),
            ("all", "$.meta.*", None),
            ("missing", "$.nope.x", None),
        ]);
        let doc = br#"{"item":{"id":"a","owner":{"login":"o\u00e9","x":[1]}},
            "related":[{"id":"r1","score":1},{"id":"r2"},3],"scores":[1,"2",3],
            "meta":{"q":"x","n":null}}"#;
        let out = c.write(doc).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"owner":"oé","ids":["r1","r2"],"second":2,"all":["x",null],"missing":null}"#
        );
    }

    #[test]
    fn a_member_written_twice_on_the_way_or_a_document_that_is_not_json_is_declined() {
        let c = capture_of(&[("a", "$.a.b", None)]);
        assert!(c.write(br#"{"a":{"b":1},"a":{"b":2}}"#).unwrap().is_none());
        assert!(c.write(br#"{"a":{"b":1,"b":2}}"#).unwrap().is_none());
        // Written twice off the way: kept as a full parse keeps it.
        assert_eq!(
            c.write(br#"{"x":1,"a":{"b":1},"x":2}"#).unwrap().unwrap(),
            br#"{"a":1}"#
        );
        for bad in [&b"{\"a\":1,}"[..], b"{\"a\":\"\xff\"}", b"[1", b"{} x"] {
            assert!(c.write(bad).unwrap().is_none());
        }
    }

    #[test]
    fn keys_are_members_only_when_every_byte_is_the_same() {
        let long = "a_member_name_longer_than_a_word_or_two";
        let c = capture_of(&[
            ("ab", "$.ab", None),
            ("empty", "$['']", None),
            ("long", &format!("$.{long}"), None),
        ]);
        // Same length, first byte or prefix: other members, dropped.
        let doc = format!(
            r#"{{"ba":0,"aa":0,"abc":0,"a":0,"":1,"{long}x":0,"{}":0,"ab":2,"{long}":3}}"#,
            &long[..long.len() - 1]
        );
        assert_eq!(
            c.write(doc.as_bytes()).unwrap().unwrap(),
            br#"{"ab":2,"empty":1,"long":3}"#
        );
        // A key with escapes is the member it spells; spelling one twice is declined.
        let escaped = br#"{"ab":4,"a_member_name_longer_than_a_word_or_two":5}"#;
        assert_eq!(
            c.write(escaped).unwrap().unwrap(),
            br#"{"ab":4,"empty":null,"long":5}"#
        );
        assert!(c.write(br#"{"ab":1,"ab":2}"#).unwrap().is_none());
        assert!(c.write(br#"{"":1,"":2}"#).unwrap().is_none());
    }

    #[test]
    fn outputs_read_out_of_order_or_sharing_a_node_are_written_in_output_order() {
        let c = capture_of(&[
            ("b", "$.b", None),
            ("a", "$.a", Some(OutputType::String)),
            ("again", "$.a", None),
            ("each", "$.l[*]", None),
        ]);
        let doc = br#"{"l":[1,{"x":[true]},null],"a":"x","b":{"c":[1.5,-2]}}"#;
        assert_eq!(
            c.write(doc).unwrap().unwrap(),
            br#"{"b":{"c":[1.5,-2]},"a":"x","again":"x","each":[1,{"x":[true]},null]}"#
        );
    }

    #[test]
    fn a_captured_node_is_a_few_words() {
        // Numbers, booleans and null in place, objects and arrays boxed: each found node
        // is moved about as it is kept and written.
        assert!(std::mem::size_of::<Captured<'_>>() <= 3 * std::mem::size_of::<usize>());
    }

    #[test]
    fn an_output_on_the_way_to_another_or_a_negative_index_has_no_capture() {
        let paths = |list: &[&str]| {
            let parsed: Vec<_> = list
                .iter()
                .map(|p| naftiko_expr::JsonPathExpr::parse(p).unwrap())
                .collect();
            let names = ["x", "y"];
            Capture::of(
                parsed
                    .iter()
                    .zip(names)
                    .map(|(p, n)| (n, p, None))
                    .collect(),
                false,
            )
            .is_some()
        };
        assert!(!paths(&["$.a", "$.a.b"]));
        assert!(!paths(&["$.a[-1]"]));
        assert!(!paths(&["$.a[*]", "$.a[0]"]));
        assert!(!paths(&["$..a"]));
        assert!(paths(&["$.a.b", "$.a.c"]));
    }
}
