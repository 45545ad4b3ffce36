//! The skimming reader (`skim.rs`) against serde_json's reading of the same documents:
//! for the outputs of every operation of the corpus, on generated documents, and on
//! documents broken or made tricky in the parts the outputs take and in the parts they
//! drop, it declines or writes what serde_json's reading writes, byte for byte, errors
//! included, and never writes anything for a document serde_json refuses. It declines
//! no realistic document, and reads the bench kit's items answer.

use super::*;
use crate::json_samples::{refused, tricky};
use crate::outputs::Outputs;
use crate::outputs_corpus::{along_queries, corpus_outputs, documents, names_of};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;

/// The bench kit's items answer (`bench-upstream`, `GET /items/abc?q=x`).
const ITEMS: &str = r#"{"item":{"id":"abc","name":"Item abc","description":"A mock catalogue item served by bench-upstream for gateway benchmarks. This text only pads the document to about one kilobyte, the size of a typical REST resource.","tags":["benchmark","mock","gateway","json","nested"],"price":{"amount":1999,"currency":"EUR"},"stock":42,"active":true,"dimensions":{"width_mm":120,"height_mm":45,"depth_mm":30,"weight_g":250},"rating":{"average":4.6,"count":128},"sku":"SKU-abc","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T12:30:00Z","owner":{"login":"bench-owner","id":1001,"type":"User","site_admin":false,"profile":{"url":"https://example.invalid/users/bench-owner","followers":12,"following":3}}},"related":[{"id":"abc-r1","score":0.97},{"id":"abc-r2","score":0.91},{"id":"abc-r3","score":0.84},{"id":"abc-r4","score":0.72},{"id":"abc-r5","score":0.65}],"meta":{"q":"x","page":1,"per_page":5,"total_related":5,"source":"bench-upstream","cache":"miss"}}"#;

/// The items capability's outputs (`../shared/bench/capabilities/items.yaml`).
fn items_capture() -> Capture {
    let s = Some(OutputType::String);
    capture_of(&[
        ("id", "$.item.id", s),
        ("name", "$.item.name", s),
        ("owner", "$.item.owner.login", s),
        ("related_ids", "$.related[*].id", Some(OutputType::Array)),
        ("q", "$.meta.q", s),
    ])
}

/// How the reader did on a document on which it agrees with serde_json's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skimmed {
    Read,
    Declined,
}

/// The reader's answer on `text` against serde_json's: the same bytes, or the same
/// error converting a value, for a document serde_json reads; or a decline.
fn against_serde(capture: &Capture, text: &[u8]) -> Result<Skimmed, String> {
    let Ok(found) = capture.skim(text) else {
        return Ok(Skimmed::Declined);
    };
    if serde_json::from_slice::<Value>(text).is_err() {
        return Err("read a document serde_json refuses".to_owned());
    }
    let skimmed = capture.written(found, text.len());
    match (skimmed, capture.write_by_serde(text)) {
        (Ok(a), Ok(Some(b))) if a == b => Ok(Skimmed::Read),
        (Err(a), Err(b)) if format!("{a:?}") == format!("{b:?}") => Ok(Skimmed::Read),
        (a, b) => Err(format!(
            "skimmed {:?}, read by serde_json {:?}",
            a.map(|v| String::from_utf8_lossy(&v).into_owned()),
            b.map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
        )),
    }
}

/// A change to how a generated document is written.
#[derive(Debug, Clone)]
enum Change {
    None,
    /// Whitespace between the tokens (which, from a seed).
    Spaced(usize),
    /// Each key's first character written as a `\u` escape.
    EscapedKeys,
    /// One object (which) with its first member written twice, `null` first.
    Twice(Index),
    /// A refused or tricky value (which) in place of any node (which).
    Splice(Index, Index),
    /// A refused or tricky value (which) in place of a node an output takes (which).
    SpliceTaken(Index, Index),
    /// One byte of the text (where) changed to another.
    Byte(Index, u8),
    /// One byte inserted.
    Insert(Index, u8),
    /// One byte deleted.
    Delete(Index),
}

fn changes() -> impl Strategy<Value = Change> {
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"\"\\,:{}[]0-.eE+ \t\n\x01\x7f\x80\xc3\xff".to_vec()),
    ];
    prop_oneof![
        Just(Change::None),
        any::<usize>().prop_map(Change::Spaced),
        Just(Change::EscapedKeys),
        any::<Index>().prop_map(Change::Twice),
        (any::<Index>(), any::<Index>()).prop_map(|(f, n)| Change::Splice(f, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(f, n)| Change::SpliceTaken(f, n)),
        (any::<Index>(), byte.clone()).prop_map(|(at, b)| Change::Byte(at, b)),
        (any::<Index>(), byte).prop_map(|(at, b)| Change::Insert(at, b)),
        any::<Index>().prop_map(Change::Delete),
    ]
}

/// A step from the root to a node: a member's key or an element's position.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    At(usize),
}

/// A document written as JSON with one change, counting its nodes, the nodes the
/// outputs' queries take and its objects as it goes (the counts of a first writing
/// place the change in the second).
struct Writer<'q> {
    queries: &'q [Vec<PathStep<'q>>],
    spaced: Option<usize>,
    escaped_keys: bool,
    /// The object written with a member twice.
    twice: Option<usize>,
    /// The node, or the node taken by an output, replaced by a fragment, and the fragment.
    splice: Option<(usize, &'q [u8])>,
    splice_taken: Option<(usize, &'q [u8])>,
    path: Vec<Seg>,
    nodes: usize,
    taken: usize,
    objects: usize,
    tokens: usize,
    out: Vec<u8>,
}

impl<'q> Writer<'q> {
    fn new(queries: &'q [Vec<PathStep<'q>>]) -> Self {
        Writer {
            queries,
            spaced: None,
            escaped_keys: false,
            twice: None,
            splice: None,
            splice_taken: None,
            path: Vec::new(),
            nodes: 0,
            taken: 0,
            objects: 0,
            tokens: 0,
            out: Vec::new(),
        }
    }

    /// True when the node at `path` is one an output's query takes.
    fn taken_here(&self) -> bool {
        self.queries.iter().any(|q| {
            q.len() == self.path.len()
                && q.iter()
                    .zip(&self.path)
                    .all(|(step, seg)| match (step, seg) {
                        (PathStep::Member(n), Seg::Key(k)) => n == k,
                        (PathStep::Index(i), Seg::At(at)) => usize::try_from(*i) == Ok(*at),
                        (PathStep::Wildcard, _) => true,
                        _ => false,
                    })
        })
    }

    fn token(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
        if let Some(seed) = self.spaced {
            let ws: [&[u8]; 6] = [b"", b" ", b"\n  ", b"\t", b"\r\n", b""];
            self.tokens += 1;
            self.out
                .extend_from_slice(ws[(self.tokens.wrapping_mul(7) ^ seed) % ws.len()]);
        }
    }

    fn value(&mut self, v: &Value) {
        let node = self.nodes;
        self.nodes += 1;
        let taken = self.taken_here().then(|| {
            self.taken += 1;
            self.taken - 1
        });
        if let Some((at, fragment)) = self.splice
            && at == node
        {
            return self.token(fragment);
        }
        if let (Some((at, fragment)), Some(taken)) = (self.splice_taken, taken)
            && at == taken
        {
            return self.token(fragment);
        }
        match v {
            Value::Object(members) => self.object(members),
            Value::Array(elements) => {
                self.token(b"[");
                for (i, e) in elements.iter().enumerate() {
                    if i > 0 {
                        self.token(b",");
                    }
                    self.path.push(Seg::At(i));
                    self.value(e);
                    self.path.pop();
                }
                self.token(b"]");
            }
            scalar => self.token(&serde_json::to_vec(scalar).unwrap()),
        }
    }

    fn object(&mut self, members: &serde_json::Map<String, Value>) {
        let object = self.objects;
        self.objects += 1;
        self.token(b"{");
        if self.twice == Some(object)
            && let Some((k, _)) = members.iter().next()
        {
            self.key(k);
            self.token(b"null,");
        }
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                self.token(b",");
            }
            self.key(k);
            self.path.push(Seg::Key(k.clone()));
            self.value(v);
            self.path.pop();
        }
        self.token(b"}");
    }

    fn key(&mut self, k: &str) {
        let mut text = serde_json::to_vec(k).unwrap();
        if self.escaped_keys
            && let Some(first) = k.chars().next()
        {
            let rest = serde_json::to_vec(&k[first.len_utf8()..]).unwrap();
            let mut units = [0u16; 2];
            text = b"\"".to_vec();
            for unit in first.encode_utf16(&mut units) {
                text.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
            text.extend_from_slice(&rest[1..]);
        }
        text.push(b':');
        self.token(&text);
    }
}

/// `doc` written with `change`, and `fragments` to splice from.
fn written_with(
    doc: &Value,
    queries: &[Vec<PathStep<'_>>],
    change: &Change,
    fragments: &[Vec<u8>],
) -> Vec<u8> {
    let mut counting = Writer::new(queries);
    counting.value(doc);
    let mut w = Writer::new(queries);
    match change {
        Change::Spaced(seed) => w.spaced = Some(*seed),
        Change::EscapedKeys => w.escaped_keys = true,
        Change::Twice(which) if counting.objects > 0 => {
            w.twice = Some(which.index(counting.objects));
        }
        Change::Splice(f, at) => {
            w.splice = Some((at.index(counting.nodes), f.get(fragments).as_slice()));
        }
        Change::SpliceTaken(f, at) if counting.taken > 0 => {
            w.splice_taken = Some((at.index(counting.taken), f.get(fragments).as_slice()));
        }
        _ => {}
    }
    w.value(doc);
    let mut text = w.out;
    let len = text.len();
    match change {
        Change::Byte(at, b) if len > 0 => text[at.index(len)] = *b,
        Change::Insert(at, b) => text.insert(at.index(len + 1), *b),
        Change::Delete(at) if len > 0 => {
            text.remove(at.index(len));
        }
        _ => {}
    }
    text
}

/// Every distinct outputs list of the corpus that has a capture, with its queries.
fn corpus_captures() -> Vec<(String, Outputs)> {
    let mut seen = std::collections::HashSet::new();
    let mut all: Vec<(String, Outputs)> = corpus_outputs()
        .into_iter()
        .filter(|(_, o)| o.capture().is_some())
        .collect();
    all.retain(|(_, o)| seen.insert(format!("{o:?}")));
    assert!(
        all.len() >= 20,
        "only {} outputs lists are captured",
        all.len()
    );
    all
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_skimming_reader_writes_what_serde_json_reading_writes_or_declines() {
    let fragments: Vec<Vec<u8>> = refused().into_iter().chain(tricky()).collect();
    let (read, declined) = (Cell::new(0usize), Cell::new(0usize));
    for (file, outputs) in corpus_captures() {
        let capture = outputs.capture().unwrap();
        let queries: Vec<Vec<PathStep<'_>>> =
            outputs.queries().iter().map(|q| q.steps().0).collect();
        let docs = prop_oneof![documents(names_of(&outputs)), along_queries(&outputs)];
        let result = runner(256).run(&(docs, changes()), |(doc, change)| {
            let text = written_with(&doc, &queries, &change, &fragments);
            match against_serde(capture, &text) {
                Ok(Skimmed::Read) => read.set(read.get() + 1),
                Ok(Skimmed::Declined) => declined.set(declined.get() + 1),
                Err(e) => {
                    let shown = String::from_utf8_lossy(&text);
                    return Err(TestCaseError::fail(format!("{e}\n{change:?}\n{shown}")));
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{file}: {e}\n{outputs:?}");
        }
    }
    let (read, declined) = (read.get(), declined.get());
    eprintln!("read {read}, declined {declined}");
    // Both happen, and most changes leave a document the reader reads.
    assert!(
        declined > 100 && read > declined,
        "{read} read, {declined} declined"
    );
}

#[test]
fn the_skimming_reader_declines_no_realistic_document() {
    for (file, outputs) in corpus_captures() {
        let capture = outputs.capture().unwrap();
        let queries: Vec<Vec<PathStep<'_>>> =
            outputs.queries().iter().map(|q| q.steps().0).collect();
        let docs = prop_oneof![documents(names_of(&outputs)), along_queries(&outputs)];
        let spacing = prop_oneof![
            Just(Change::None),
            any::<usize>().prop_map(Change::Spaced),
            Just(Change::EscapedKeys),
        ];
        let result = runner(64).run(&(docs, spacing), |(doc, change)| {
            let text = written_with(&doc, &queries, &change, &[]);
            let how = against_serde(capture, &text);
            let shown = String::from_utf8_lossy(&text).into_owned();
            prop_assert_eq!(how, Ok(Skimmed::Read), "{:?}\n{}", change, shown);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{file}: {e}\n{outputs:?}");
        }
    }
}

#[test]
fn the_items_answer_is_read_by_the_skimming_reader() {
    let capture = items_capture();
    let expected = r#"{"id":"abc","name":"Item abc","owner":"bench-owner","related_ids":["abc-r1","abc-r2","abc-r3","abc-r4","abc-r5"],"q":"x"}"#;
    assert_eq!(against_serde(&capture, ITEMS.as_bytes()), Ok(Skimmed::Read));
    let found = capture.skim(ITEMS.as_bytes()).unwrap();
    let written = capture.written(found, ITEMS.len()).unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), expected);
    let written = capture.write(ITEMS.as_bytes()).unwrap().unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), expected);
}

#[test]
fn every_refusal_where_an_output_takes_or_drops_a_value_is_declined() {
    let capture = items_capture();
    // (what is replaced, by what around the fragment): nodes outputs take (directly and
    // under a wildcard) and nodes they drop (beside them, deep, in a wildcard's element).
    let spots = [
        ("\"id\":\"abc\"", "\"id\":"),
        ("\"abc-r2\"", ""),
        ("\"q\":\"x\"", "\"q\":"),
        ("\"login\":\"bench-owner\"", "\"login\":"),
        ("\"stock\":42", "\"stock\":"),
        ("0.84", ""),
        ("\"cache\":\"miss\"", "\"cache\":"),
        ("\"https://example.invalid/users/bench-owner\"", ""),
        (
            "[\"benchmark\",\"mock\",\"gateway\",\"json\",\"nested\"]",
            "",
        ),
    ];
    for fragment in refused() {
        for (what, before) in spots {
            let mut doc = ITEMS.as_bytes().to_vec();
            let at = ITEMS.find(what).unwrap();
            let mut with = before.as_bytes().to_vec();
            with.extend_from_slice(&fragment);
            doc.splice(at..at + what.len(), with);
            let shown = String::from_utf8_lossy(&doc).into_owned();
            assert!(serde_json::from_slice::<Value>(&doc).is_err(), "{shown}");
            assert!(capture.skim(&doc).is_err(), "{shown}");
            assert!(capture.write(&doc).unwrap().is_none(), "{shown}");
        }
    }
}

#[test]
fn tricky_values_where_an_output_takes_or_drops_them_are_read_as_serde_json_reads_them() {
    let capture = capture_of_every_type();
    let mut read = 0;
    for fragment in tricky() {
        for (name, _) in FIELDS {
            // In the node the output takes, and beside it.
            for key in [name, "other"] {
                let mut doc = format!("{{\"{key}\":").into_bytes();
                doc.extend_from_slice(&fragment);
                doc.extend_from_slice(b",\"zz\":1}");
                let how = against_serde(&capture, &doc);
                let shown = String::from_utf8_lossy(&doc).into_owned();
                assert!(how.is_ok(), "{how:?}: {shown}");
                read += usize::from(how == Ok(Skimmed::Read));
            }
        }
    }
    // All but the deep nesting and the doubled member inside a taken object are read.
    let all = tricky().len() * FIELDS.len() * 2;
    assert!(read + 2 * FIELDS.len() >= all, "{read} of {all}");
}

/// One output of each type (and none), each at its own member.
const FIELDS: [(&str, Option<OutputType>); 7] = [
    ("untyped", None),
    ("string", Some(OutputType::String)),
    ("integer", Some(OutputType::Integer)),
    ("number", Some(OutputType::Number)),
    ("boolean", Some(OutputType::Boolean)),
    ("object", Some(OutputType::Object)),
    ("array", Some(OutputType::Array)),
];

fn capture_of_every_type() -> Capture {
    let paths: Vec<String> = FIELDS.iter().map(|(n, _)| format!("$.{n}")).collect();
    let parsed: Vec<_> = paths
        .iter()
        .map(|p| naftiko_expr::JsonPathExpr::parse(p).unwrap())
        .collect();
    let fields = FIELDS.iter().zip(&parsed).map(|((n, t), p)| (*n, p, *t));
    Capture::of(fields.collect(), false).unwrap()
}

#[test]
fn escaped_and_doubled_keys_on_the_way_are_read_as_serde_json_reads_them() {
    let capture = items_capture();
    // An escaped key on the way is the member it spells.
    let escaped = ITEMS.replacen("\"owner\":", "\"\\u006fwner\":", 1);
    assert_eq!(
        against_serde(&capture, escaped.as_bytes()),
        Ok(Skimmed::Read)
    );
    let written = capture.write(escaped.as_bytes()).unwrap().unwrap();
    assert!(String::from_utf8(written).unwrap().contains("bench-owner"));
    // Written twice on the way (plainly, escaped, under a wildcard): declined by both.
    let wild = capture_of(&[("all", "$.meta.*", None)]);
    for (capture, doc) in [
        (
            &capture,
            ITEMS.replacen("{\"id\":\"abc\"", "{\"id\":\"x\",\"id\":\"abc\"", 1),
        ),
        (
            &capture,
            ITEMS.replacen("\"meta\":{", "\"meta\":{\"q\":1,", 1),
        ),
        (
            &capture,
            ITEMS.replacen("\"meta\":{", "\"\\u006deta\":{},\"meta\":{", 1),
        ),
        (
            &wild,
            ITEMS.replacen("\"page\":1", "\"page\":1,\"p\\u0061ge\":2", 1),
        ),
    ] {
        assert_eq!(
            capture.skim(doc.as_bytes()).err(),
            Some(Decline::Twice),
            "{doc}"
        );
        assert!(capture.write(doc.as_bytes()).unwrap().is_none());
    }
    // Written twice off the way: read, as serde_json reads it.
    let doc = ITEMS.replacen("\"stock\":42", "\"stock\":42,\"stock\":43", 1);
    assert_eq!(against_serde(&capture, doc.as_bytes()), Ok(Skimmed::Read));
}

fn capture_of(paths: &[(&str, &str, Option<OutputType>)]) -> Capture {
    let parsed: Vec<_> = paths
        .iter()
        .map(|(_, p, _)| naftiko_expr::JsonPathExpr::parse(p).unwrap())
        .collect();
    let fields = paths.iter().zip(&parsed).map(|((n, _, t), p)| (*n, p, *t));
    Capture::of(fields.collect(), false).unwrap()
}
