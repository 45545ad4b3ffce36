//! Test material for the output shaping fast paths (`select.rs`, `capture.rs`): every
//! outputs list of the corpus, the official tutorial, the benchmarks' capabilities, the
//! project's capabilities and its test fixtures, and generated documents made of the member names their queries use.

use proptest::prelude::*;
use serde_json::Value;

use crate::outputs::Outputs;
pub(crate) use crate::scope::Nothing;

/// Documents whose members are named from `names` (and two names no query uses).
pub(crate) fn documents(names: Vec<String>) -> impl Strategy<Value = Value> {
    let mut names = names;
    names.extend(["zz".to_owned(), "0".to_owned()]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z0-9 ]{0,6}".prop_map(Value::String),
        Just(Value::String("42".to_owned())),
        Just(Value::String("true".to_owned())),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        let names = names.clone();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(names), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Documents in which the queries of `outputs` find something: for each query, a value
/// laid out along its steps (objects with its members and others, arrays long enough for
/// its indices, several elements or members under its wildcards), merged into one.
pub(crate) fn along_queries(outputs: &Outputs) -> BoxedStrategy<Value> {
    let queries: Vec<Vec<Step>> = outputs
        .queries()
        .iter()
        .map(|q| q.steps().0.iter().map(Step::of).collect())
        .collect();
    let each: Vec<BoxedStrategy<Value>> = queries.iter().map(|q| along(q)).collect();
    each.into_iter()
        .fold(Just(Value::Null).boxed(), |acc, one| {
            (acc, one).prop_map(|(a, b)| merged(a, b)).boxed()
        })
}

/// A query step, owned (strategies outlive the outputs they are made from).
#[derive(Debug, Clone)]
enum Step {
    Member(String),
    Index(i64),
    Wildcard,
}

impl Step {
    fn of(step: &naftiko_expr::PathStep<'_>) -> Step {
        match *step {
            naftiko_expr::PathStep::Member(n) => Step::Member(n.to_owned()),
            naftiko_expr::PathStep::Index(i) => Step::Index(i),
            naftiko_expr::PathStep::Wildcard => Step::Wildcard,
        }
    }
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1e3f64..1e3).prop_map(Value::from),
        "[a-z ]{0,4}".prop_map(Value::String),
        Just(Value::String("7".to_owned())),
        prop::collection::vec(any::<i8>().prop_map(Value::from), 0..3).prop_map(Value::Array),
        Just(serde_json::json!({"k": "v", "n": 1})),
    ]
    .boxed()
}

fn along(steps: &[Step]) -> BoxedStrategy<Value> {
    let Some((step, rest)) = steps.split_first() else {
        return leaf();
    };
    let inner = along(rest);
    match step.clone() {
        Step::Member(name) => (inner, leaf())
            .prop_map(move |(v, other)| {
                Value::Object(
                    [(name.clone(), v), ("other".to_owned(), other)]
                        .into_iter()
                        .collect(),
                )
            })
            .boxed(),
        Step::Index(i) => {
            let at = usize::try_from(i.unsigned_abs()).unwrap_or(0);
            prop::collection::vec(inner, at + 1..at + 3)
                .prop_map(Value::Array)
                .boxed()
        }
        Step::Wildcard => prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[xyz]", inner), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
        .boxed(),
    }
}

/// `a` with `b`'s members added (objects merged member by member); otherwise `a`, or `b`
/// when `a` is null.
fn merged(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Null, b) => b,
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let mine = a.remove(&k).unwrap_or(Value::Null);
                a.insert(k, merged(mine, v));
            }
            Value::Object(a)
        }
        (a, _) => a,
    }
}

/// The member names the queries of `outputs` descend through.
pub(crate) fn names_of(outputs: &Outputs) -> Vec<String> {
    let text = format!("{outputs:?}");
    let mut names: Vec<String> = Vec::new();
    // Every quoted word of the compiled outputs' debug text: the queries' names are
    // among them (so are a few other words, which only widen the documents).
    for piece in text.split('"').skip(1).step_by(2) {
        for part in piece.split(['.', '[', ']', '\'', '$', '*']) {
            if !part.is_empty() && part.len() < 40 && !names.iter().any(|n| n == part) {
                names.push(part.to_owned());
            }
        }
    }
    names
}

/// Every outputs list (of consumed operations, exposed operations, MCP tools) that
/// reads the document, in the corpus, the official tutorial, the project's
/// capabilities and its test fixtures.
pub(crate) fn corpus_outputs() -> Vec<(String, Outputs)> {
    use naftiko_spec::model::{Consumes, Exposes, OutputParameter};
    let files = corpus_files();
    let validation =
        naftiko_validate::validate_paths(&files, &naftiko_validate::Options::default());
    let mut out = Vec::new();
    for file in &validation.files {
        let Some(doc) = &file.document else { continue };
        let mut lists: Vec<&Vec<OutputParameter>> = Vec::new();
        for c in doc.all_consumes() {
            if let Consumes::Http(api) = c {
                for r in &api.resources {
                    lists.extend(r.operations.iter().map(|o| &o.output_parameters));
                }
            }
        }
        for e in doc.all_exposes() {
            match e {
                Exposes::Rest(rest) => {
                    for r in &rest.resources {
                        lists.extend(r.operations.iter().map(|o| &o.invocation.output_parameters));
                    }
                }
                Exposes::Mcp(mcp) => {
                    lists.extend(mcp.tools.iter().map(|t| &t.invocation.output_parameters));
                }
                _ => {}
            }
        }
        for params in lists {
            let compiled = crate::scope::testing::with_plain_names(|n| Outputs::compile(params, n));
            if let Ok(outputs) = compiled
                && outputs.reads_document()
            {
                out.push((file.path.display().to_string(), outputs));
            }
        }
    }
    out
}

/// Every capability file of the corpus, the official tutorial, the benchmarks, the
/// project's capabilities and its test fixtures, in order.
pub(crate) fn corpus_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("../shared/corpus"),
        root.join("../shared/reference/ikanos-beta5"),
        root.join("../shared/bench/capabilities"),
        root.join("capabilities"),
        root.join("scripts/bench-shapes/capabilities"),
        root.join("tests/fixtures"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the directory is there") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
