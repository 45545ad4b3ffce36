//! The steps of a simple JSONPath query, read from its canonical text: the member names,
//! indices and wildcards it descends through, up to the first selection this reader does
//! not follow (descendants `..`, filters, slices, lists of selectors, escaped names).
//!
//! A caller uses them to know which parts of a document a query can reach (the engine
//! parses only those parts of an upstream answer). [`Walk`] evaluates such a query
//! without `serde_json_path`'s general machinery (a node list per segment), with the same
//! results: a property test holds the two to the same nodes.

use serde_json::Value;

/// One step of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'q> {
    /// `.name`, `['name']`: one member of an object.
    Member(&'q str),
    /// `[3]`, `[-1]`: one element of an array (from the end when negative).
    Index(i64),
    /// `.*`, `[*]`: every member of an object or element of an array.
    Wildcard,
}

/// The steps of `query` (canonical RFC 9535 text starting with `$`), and whether they are
/// all of it: `false` when reading stopped at a selection it does not follow, which may
/// then reach anything below the last step read.
pub fn steps(query: &str) -> (Vec<PathStep<'_>>, bool) {
    let mut out = Vec::new();
    let Some(mut rest) = query
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .strip_prefix('$')
    else {
        return (out, false);
    };
    while !rest.is_empty() {
        let Some((step, after)) = step(rest) else {
            return (out, false);
        };
        out.push(step);
        rest = after;
    }
    (out, true)
}

/// The first step of `text` and what follows it; `None` when it is not a simple step.
fn step(text: &str) -> Option<(PathStep<'_>, &str)> {
    if let Some(after) = text.strip_prefix('.') {
        if after.starts_with('.') {
            return None;
        }
        if let Some(after) = after.strip_prefix('*') {
            return Some((PathStep::Wildcard, after));
        }
        let end = after.find(['.', '[']).unwrap_or(after.len());
        let name = &after[..end];
        return shorthand(name).then_some((PathStep::Member(name), &after[end..]));
    }
    let inner = text.strip_prefix('[')?;
    let close = inner.find(']')?;
    let selector = &inner[..close];
    let after = &inner[close + 1..];
    if selector == "*" {
        return Some((PathStep::Wildcard, after));
    }
    let digits = selector.strip_prefix('-').unwrap_or(selector);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some((PathStep::Index(selector.parse().ok()?), after));
    }
    for quote in ['\'', '"'] {
        if let Some(name) = selector
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
            && !name.contains(['\\', '\'', '"', ']'])
            && !name.chars().any(char::is_control)
        {
            return Some((PathStep::Member(name), after));
        }
    }
    None
}

/// A simple query, compiled for evaluation: its steps, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Walk(Vec<Owned>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Member(String),
    Index(i64),
    Wildcard,
}

impl Walk {
    /// The walk of `query`, when every step of it is simple.
    pub(crate) fn of(query: &str) -> Option<Walk> {
        let (steps, complete) = steps(query);
        complete.then(|| {
            Walk(
                steps
                    .into_iter()
                    .map(|s| match s {
                        PathStep::Member(n) => Owned::Member(n.to_owned()),
                        PathStep::Index(i) => Owned::Index(i),
                        PathStep::Wildcard => Owned::Wildcard,
                    })
                    .collect(),
            )
        })
    }

    /// Appends the nodes the query selects in `doc` to `out`, in RFC 9535 order.
    pub(crate) fn nodes<'v>(&self, doc: &'v Value, out: &mut Vec<&'v Value>) {
        walk(&self.0, doc, out);
    }

    /// The one node a query without wildcards selects, if any.
    pub(crate) fn node<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut at = doc;
        for step in &self.0 {
            at = match step {
                Owned::Member(name) => at.as_object()?.get(name)?,
                Owned::Index(i) => element(at.as_array()?, *i)?,
                Owned::Wildcard => return None,
            };
        }
        Some(at)
    }
}

fn walk<'v>(steps: &[Owned], doc: &'v Value, out: &mut Vec<&'v Value>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(doc);
        return;
    };
    match (step, doc) {
        (Owned::Member(name), Value::Object(m)) => {
            if let Some(v) = m.get(name) {
                walk(rest, v, out);
            }
        }
        (Owned::Index(i), Value::Array(a)) => {
            if let Some(v) = element(a, *i) {
                walk(rest, v, out);
            }
        }
        (Owned::Wildcard, Value::Object(m)) => m.values().for_each(|v| walk(rest, v, out)),
        (Owned::Wildcard, Value::Array(a)) => a.iter().for_each(|v| walk(rest, v, out)),
        _ => {}
    }
}

/// Element `i` of `a`, counted from the end when negative.
fn element(a: &[Value], i: i64) -> Option<&Value> {
    let at = if i < 0 {
        a.len()
            .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(i).ok()?
    };
    a.get(at)
}

/// An RFC 9535 member-name shorthand: a letter, `_` or non-ASCII character, then those or
/// digits.
fn shorthand(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathStep::*;
    use proptest::prelude::*;

    #[test]
    fn simple_queries_are_read_to_their_end() {
        assert_eq!(steps("$"), (vec![], true));
        assert_eq!(
            steps("$.item.owner.login"),
            (vec![Member("item"), Member("owner"), Member("login")], true)
        );
        assert_eq!(
            steps("$.related[*].id"),
            (vec![Member("related"), Wildcard, Member("id")], true)
        );
        assert_eq!(
            steps("$['get-ship'].a[0].*[\"b c\"][-2]"),
            (
                vec![
                    Member("get-ship"),
                    Member("a"),
                    Index(0),
                    Wildcard,
                    Member("b c"),
                    Index(-2)
                ],
                true
            )
        );
    }

    /// Documents of a few member names, and queries over those names.
    fn document() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i32>().prop_map(Value::from),
            "[a-c]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[abc]", inner), 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn query() -> impl Strategy<Value = String> {
        let step = prop_oneof![
            "[abc]".prop_map(|n| format!(".{n}")),
            "[abc]".prop_map(|n| format!("['{n}']")),
            (-4i64..5).prop_map(|i| format!("[{i}]")),
            Just(".*".to_owned()),
            Just("[*]".to_owned()),
        ];
        prop::collection::vec(step, 0..5).prop_map(|s| format!("${}", s.concat()))
    }

    proptest! {
        #[test]
        fn a_walk_selects_what_serde_json_path_selects(doc in document(), q in query()) {
            let walk = Walk::of(&q).expect("a simple query");
            let path = serde_json_path::JsonPath::parse(&q).expect("a valid query");
            let mut nodes = Vec::new();
            walk.nodes(&doc, &mut nodes);
            let expected = path.query(&doc).all();
            prop_assert_eq!(&nodes, &expected);
            if !q.contains('*') {
                prop_assert_eq!(walk.node(&doc), expected.first().copied());
            }
        }
    }

    #[test]
    fn other_selections_stop_the_reading() {
        assert_eq!(steps("$.a..b"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[?@.x == 1].b"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[1:3]"), (vec![Member("a")], false));
        assert_eq!(steps("$.a[0,1]"), (vec![Member("a")], false));
        assert_eq!(steps("$['a\\'b']"), (vec![], false));
        assert_eq!(steps("$['a]b']"), (vec![], false));
        assert_eq!(steps("@.a"), (vec![], false));
    }
}
