//! Reading only what the outputs can reach of a JSON answer.
//!
//! Shaping an answer evaluates each output's JSONPath on the parsed document. A typical
//! answer is a kilobyte or more of which the outputs read a handful of members, and
//! building the whole `Value` tree (a map per object, a string per member) is most of
//! the cost of a request. A [`Selection`], compiled once from the outputs, says which
//! members and elements their queries can reach; [`parse`] builds a tree of only those,
//! checking everything else exactly as a full parse would without keeping it. The
//! JSONPath evaluation is unchanged and sees the same values wherever it looks.
//!
//! Where the reach of a query is not known (descendants, filters, slices), everything
//! below that point is kept. A document the parse refuses is parsed again in full by the
//! caller, whose error then says why.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The parts of a document to keep.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Selection {
    /// The whole value.
    All,
    /// Only some members or elements (a scalar is kept as it is).
    Some(Box<Node>),
}

/// What to keep of an object or an array.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Node {
    /// Members by name (each already merged with `every`, see [`Selection::finish`]).
    members: Vec<(String, Selection)>,
    /// Every member and every element (wildcards).
    every: Option<Selection>,
    /// Every element of an array (indices; merged with `every`).
    elements: Option<Selection>,
}

impl Selection {
    /// Nothing yet: a selection to add to.
    pub(crate) fn none() -> Selection {
        Selection::Some(Box::default())
    }

    /// Keeps this whole value.
    pub(crate) fn keep_all(&mut self) {
        *self = Selection::All;
    }

    /// The selection of what `steps` reach from here (a member name, an index or a
    /// wildcard each); `None` when this value is kept whole already.
    pub(crate) fn descend(
        &mut self,
        steps: &[naftiko_expr::PathStep<'_>],
    ) -> Option<&mut Selection> {
        let mut at = self;
        for step in steps {
            let Selection::Some(node) = at else {
                return None;
            };
            let slot = match step {
                naftiko_expr::PathStep::Member(name) => {
                    let i = match node.members.iter().position(|(n, _)| n == name) {
                        Some(i) => i,
                        None => {
                            node.members.push(((*name).to_owned(), Selection::none()));
                            node.members.len() - 1
                        }
                    };
                    &mut node.members[i].1
                }
                naftiko_expr::PathStep::Index(_) => {
                    node.elements.get_or_insert_with(Selection::none)
                }
                naftiko_expr::PathStep::Wildcard => node.every.get_or_insert_with(Selection::none),
            };
            at = slot;
        }
        Some(at)
    }

    /// Every element of an array here (items of an `array` output).
    pub(crate) fn elements(&mut self) -> Option<&mut Selection> {
        match self {
            Selection::All => None,
            Selection::Some(node) => Some(node.elements.get_or_insert_with(Selection::none)),
        }
    }

    /// Merges the wildcards into the names and indices beside them, so that a member or an
    /// element is looked up once when parsing.
    pub(crate) fn finish(mut self) -> Selection {
        if let Selection::Some(node) = &mut self {
            let every = node.every.take();
            node.members = std::mem::take(&mut node.members)
                .into_iter()
                .map(|(n, s)| (n, merge(s, every.as_ref()).finish()))
                .collect();
            node.elements = match node.elements.take() {
                Some(e) => Some(merge(e, every.as_ref()).finish()),
                None => every.clone().map(Selection::finish),
            };
            node.every = every.map(Selection::finish);
        }
        self
    }
}

/// `a` and `b` together.
fn merge(a: Selection, b: Option<&Selection>) -> Selection {
    let Some(b) = b else { return a };
    match (a, b) {
        (Selection::All, _) | (_, Selection::All) => Selection::All,
        (Selection::Some(mut a), Selection::Some(b)) => {
            for (name, sel) in &b.members {
                match a.members.iter().position(|(n, _)| n == name) {
                    Some(i) => {
                        let mine = std::mem::replace(&mut a.members[i].1, Selection::All);
                        a.members[i].1 = merge(mine, Some(sel));
                    }
                    None => a.members.push((name.clone(), sel.clone())),
                }
            }
            a.every = merge_opt(a.every.take(), b.every.as_ref());
            a.elements = merge_opt(a.elements.take(), b.elements.as_ref());
            Selection::Some(a)
        }
    }
}

fn merge_opt(a: Option<Selection>, b: Option<&Selection>) -> Option<Selection> {
    match (a, b) {
        (Some(a), b) => Some(merge(a, b)),
        (None, b) => b.cloned(),
    }
}

/// `bytes` parsed as JSON, keeping what `selection` says; `None` when it is not a JSON
/// document this parse accepts (the caller's full parse then explains).
pub(crate) fn parse(bytes: &[u8], selection: &Selection) -> Option<Value> {
    // One UTF-8 check for the whole document rather than one per string.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Kept(selection).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// A value, kept as its selection says.
#[derive(Clone, Copy)]
struct Kept<'s>(&'s Selection);

impl<'de> DeserializeSeed<'de> for Kept<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.0 {
            Selection::All => de::Deserialize::deserialize(d),
            Selection::Some(node) => d.deserialize_any(Partial(node)),
        }
    }
}

/// An object or array of which only some members or elements are kept; a scalar is read
/// as `Value`'s own visitor reads it.
struct Partial<'s>(&'s Node);

impl<'de> Visitor<'de> for Partial<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As `Value`'s own visitor: a non-finite number becomes `null`.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        match &self.0.elements {
            Some(kept) => {
                while let Some(v) = seq.next_element_seed(Kept(kept))? {
                    out.push(v);
                }
            }
            // Names do not select in an array: nothing below is reachable.
            None => while seq.next_element::<Discard>()?.is_some() {},
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let kept = self
                .0
                .members
                .iter()
                .find(|(n, _)| *n == key.0)
                .map(|(_, s)| s)
                .or(self.0.every.as_ref());
            match kept {
                Some(kept) => {
                    let v = map.next_value_seed(Kept(kept))?;
                    out.insert(key.0.into_owned(), v);
                }
                None => {
                    map.next_value::<Discard>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A value parsed in full and dropped. Unlike [`serde::de::IgnoredAny`] through `serde_json`'s
/// `deserialize_ignored_any` (which skims), this goes through `deserialize_any`: numbers,
/// strings, escapes and nesting are checked exactly as for a `Value`.
pub(crate) struct Discard;

impl<'de> de::Deserialize<'de> for Discard {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DiscardVisitor)
    }
}

struct DiscardVisitor;

impl<'de> Visitor<'de> for DiscardVisitor {
    type Value = Discard;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_str<E>(self, _: &str) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_unit<E>(self) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_none<E>(self) -> Result<Discard, E> {
        Ok(Discard)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Discard, A::Error> {
        while seq.next_element::<Discard>()?.is_some() {}
        Ok(Discard)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Discard, A::Error> {
        while map.next_key::<IgnoredKey>()?.is_some() {
            map.next_value::<Discard>()?;
        }
        Ok(Discard)
    }
}

/// An object key parsed in full (as a `Value`'s `String` key would be) and dropped.
pub(crate) struct IgnoredKey;

impl<'de> de::Deserialize<'de> for IgnoredKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DiscardVisitor).map(|_| IgnoredKey)
    }
}

#[cfg(test)]
mod tests {
    //! A document read with the selection of its outputs is shaped exactly as the whole
    //! document is: for the outputs of every operation of the corpus, on generated
    //! documents made of the member names their queries use.

    use super::*;
    use crate::json_samples::refused;
    use crate::outputs::Outputs;
    use crate::outputs_corpus::{Nothing, along_queries, corpus_outputs, documents, names_of};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    /// The document parsed whole and parsed with the selection, shaped, as comparable text (errors too).
    fn both(outputs: &Outputs, doc: &Value) -> (String, String) {
        let text = serde_json::to_vec(doc).unwrap();
        let full = crate::inbound::parse_json(&text).unwrap();
        let kept = parse(&text, outputs.selection()).expect("a JSON document parses");
        (
            format!("{:?}", outputs.shape(&full, &Nothing)),
            format!("{:?}", outputs.shape(&kept, &Nothing)),
        )
    }

    #[test]
    fn every_corpus_operation_shapes_a_selected_document_as_the_whole_one() {
        let mut all = corpus_outputs();
        // The same outputs in several files are tried once.
        let mut seen = std::collections::HashSet::new();
        all.retain(|(_, o)| seen.insert(format!("{o:?}")));

        assert!(all.len() >= 60, "only {} outputs lists", all.len());
        let mut partial = 0;
        for (file, outputs) in &all {
            if *outputs.selection() != Selection::All {
                partial += 1;
            }
            let mut runner = TestRunner::new(Config {
                cases: 32,
                failure_persistence: None,
                ..Config::default()
            });
            let result = runner.run(
                &prop_oneof![documents(names_of(outputs)), along_queries(outputs)],
                |doc| {
                    let (whole, kept) = both(outputs, &doc);
                    prop_assert_eq!(whole, kept);
                    Ok(())
                },
            );
            if let Err(e) = result {
                panic!("{file}: {e}\n{outputs:?}");
            }
        }
        // Many take the whole document (`$`); the others' paths are simple enough to
        // leave the rest of the document out.
        eprintln!(
            "{partial} of {} distinct outputs lists select part of the document",
            all.len()
        );
        assert!(partial >= 40, "{partial} of {} select", all.len());
    }

    #[test]
    fn duplicate_members_and_escaped_keys_are_kept_as_a_full_parse_keeps_them() {
        let mut selection = Selection::none();
        for path in ["$.a.b", "$['k-ey']", "$.list[*].id", "$.m.*.v"] {
            let p = naftiko_expr::JsonPathExpr::parse(path).unwrap();
            let (steps, complete) = p.steps();
            assert!(complete, "{path}");
            selection.descend(&steps).unwrap().keep_all();
        }
        let selection = selection.finish();
        let text = br#"{"a":{"b":1,"c":2},"x":[1,{"y":2}],"a":{"b":3},"k\u002dey":"\u00e9",
            "list":[{"id":1,"z":0},2,{"id":[3]}],"m":{"p":{"v":1,"w":2},"q":{"v":3}}}"#;
        let kept = parse(text, &selection).unwrap();
        assert_eq!(
            kept,
            serde_json::json!({"a":{"b":3},"k-ey":"é","list":[{"id":1},2,{"id":[3]}],
                "m":{"p":{"v":1},"q":{"v":3}}})
        );
        let full: Value = serde_json::from_slice(text).unwrap();
        for path in ["$.a.b", "$['k-ey']", "$.list[*].id", "$.m.*.v"] {
            let p = naftiko_expr::JsonPathExpr::parse(path).unwrap();
            assert_eq!(p.extract(&kept), p.extract(&full), "{path}");
        }
    }

    #[test]
    fn what_a_full_parse_refuses_is_refused() {
        let selection = Selection::none();
        let in_objects = refused()
            .into_iter()
            .map(|v| [&b"{\"a\":"[..], &v, b"}"].concat());
        for bad in refused().into_iter().chain(in_objects) {
            assert!(
                parse(&bad, &selection).is_none(),
                "{}",
                String::from_utf8_lossy(&bad)
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(deep.as_bytes(), &selection).is_none());
    }
}
