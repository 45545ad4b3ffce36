//! Property tests of [`Template`]: text without `{{` is literal, generated `{{name}}`
//! templates list and render their variables exactly, and a template keeps its source.

use std::borrow::Cow;
use std::collections::BTreeMap;

use naftiko_expr::Template;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any JSON value, a few levels deep.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z0-9{}.]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Text that contains no `{{`: arbitrary Unicode, and brace-heavy text that is more likely
/// to confuse a parser (single braces, `}}`, a trailing `{`).
fn text_without_open_tag() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), r"[a-z {}.#^/!&=<>\n]{0,24}", r"[{}]{0,6}"]
        .prop_filter("contains `{{`", |t| !t.contains("{{"))
}

/// One piece of a generated template.
#[derive(Debug, Clone)]
enum Piece {
    /// Literal text, never containing a brace.
    Literal(String),
    /// A `{{name}}` tag for the variable with this index (modulo the number of names),
    /// padded inside the braces with this whitespace.
    Tag(usize, &'static str),
}

/// Names (from `[a-z][a-z0-9_-]{0,8}`) with their string values, and the template pieces.
fn generated() -> impl Strategy<Value = (BTreeMap<String, String>, Vec<Piece>)> {
    let names = prop::collection::btree_map("[a-z][a-z0-9_-]{0,8}", any::<String>(), 1..6);
    let piece = prop_oneof![
        r"[^{}]{0,12}".prop_map(Piece::Literal),
        (
            any::<usize>(),
            prop::sample::select(vec!["", " ", "  ", "\t"])
        )
            .prop_map(|(i, pad)| Piece::Tag(i, pad)),
    ];
    (names, prop::collection::vec(piece, 0..12))
}

/// The template text, the variable names in order, and the expected rendering.
fn assemble(values: &BTreeMap<String, String>, pieces: &[Piece]) -> (String, Vec<String>, String) {
    let names: Vec<&String> = values.keys().collect();
    let (mut source, mut vars, mut expected) = (String::new(), Vec::new(), String::new());
    for piece in pieces {
        match piece {
            Piece::Literal(text) => {
                source.push_str(text);
                expected.push_str(text);
            }
            Piece::Tag(i, pad) => {
                let name = names[i % names.len()];
                source.push_str(&format!("{{{{{pad}{name}{pad}}}}}"));
                vars.push(name.clone());
                expected.push_str(&values[name]);
            }
        }
    }
    (source, vars, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_without_open_tag_renders_as_itself(text in text_without_open_tag(), v in any_value()) {
        let t = Template::parse(&text).unwrap();
        prop_assert!(t.is_literal());
        prop_assert_eq!(t.as_literal(), Some(text.as_str()));
        prop_assert_eq!(t.render(&v), text.as_str());
        prop_assert_eq!(t.render_cow(&v), text.as_str());
        prop_assert_eq!(t.render_with(|_| Some(Cow::Borrowed(&v))), text.as_str());
        prop_assert_eq!(t.source(), text.as_str());
    }

    #[test]
    fn generated_templates_list_and_render_their_variables((values, pieces) in generated()) {
        let (source, vars, expected) = assemble(&values, &pieces);
        let t = Template::parse(&source)
            .unwrap_or_else(|e| panic!("{source:?} does not parse: {e}"));
        let listed: Vec<&str> = t.variables().map(|v| v.name()).collect();
        prop_assert_eq!(&listed, &vars);
        for var in t.variables() {
            prop_assert_eq!(&source[var.name_span()], var.name());
            prop_assert_eq!(var.path(), [var.name().to_owned()]);
        }
        let map: Map<String, Value> = values
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        prop_assert_eq!(t.render(&map), expected.as_str());
        prop_assert_eq!(t.render(&Value::Object(map)), expected.as_str());
        // Missing variables render as nothing: only the literal text is left.
        let literals: String = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Literal(text) => Some(text.as_str()),
                Piece::Tag(..) => None,
            })
            .collect();
        prop_assert_eq!(t.render(&Map::new()), literals);
        prop_assert_eq!(t.source(), source.as_str());
    }

    #[test]
    fn a_parsed_template_keeps_its_source(text in prop_oneof![
        any::<String>(),
        r"[a-z {}.#^/!&=<>\t]{0,24}",
    ]) {
        if let Ok(t) = Template::parse(&text) {
            prop_assert_eq!(t.source(), text.as_str());
            prop_assert_eq!(t.to_string(), text.as_str());
            prop_assert_eq!(Template::parse(t.source()).unwrap(), t);
        }
    }
}
