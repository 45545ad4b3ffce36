//! criterion micro-benchmarks of the request path's parts, on the seed capability
//! (`capabilities/oauth2-tokens.yaml`): template rendering, JSONPath extraction, and whole
//! invocations (request building, the upstream exchange with a transport double that
//! answers from memory, output shaping) on the general path and on the direct path
//! (`direct.rs`, which serves the seed when it runs). Run with `cargo bench -p
//! naftiko-engine`; figures and the method are in `docs/performance.md`. (These print
//! timings; no test asserts on them.)

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::borrow::Cow;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use naftiko_engine::transport::{Head, Outgoing, Received, Sending, Transport};
use naftiko_engine::{BuildOptions, Inbound, InboundBody, MapEnv, OpId, RequestView, Runtime};
use naftiko_expr::template::{Lookup, VarRef};
use naftiko_expr::{JsonPathExpr, Template};
use serde_json::{Map, Value, json};

/// The upstream's answer, from memory: what the transport double gives every request.
const ANSWER: &[u8] =
    br#"{"access_token":"eyJ.abc.def","token_type":"Bearer","expires_in":3600,"scope":"read write"}"#;

/// A transport that answers every request with [`ANSWER`] without the network (it takes
/// written-out requests too, so the seed keeps its direct plan).
#[derive(Debug)]
struct FromMemory;

impl Transport for FromMemory {
    fn send<'a>(&'a self, request: Outgoing<'a>, _max_body: usize) -> Sending<'a> {
        black_box(request);
        let mut head = Head::default();
        head.note(b"content-type", b"application/json");
        Box::pin(async move {
            Ok(Received {
                status: 200,
                head,
                body: bytes::BytesMut::from(ANSWER),
            })
        })
    }

    fn takes_written(&self) -> bool {
        true
    }
}

/// The seed capability, built once with its two bound variables and a transport double.
fn seed() -> (Runtime, OpId) {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../capabilities/oauth2-tokens.yaml");
    let validation =
        naftiko_validate::validate_paths(&[file], &naftiko_validate::Options::default());
    assert!(!validation.has_errors(), "the seed does not validate");
    let options = BuildOptions {
        base_uris: vec![("oauth2-tokens".into(), "http://127.0.0.1:9".into())],
        ..BuildOptions::new(Arc::new(MapEnv::new([
            ("VECTARA_CLIENT_ID", "id"),
            ("VECTARA_CLIENT_SECRET", "secret"),
        ])))
    };
    let options = BuildOptions {
        transport: Some(Arc::new(FromMemory)),
        ..options
    };
    let runtime = Runtime::build(&validation, &options).expect("the seed builds");
    let op = runtime.rest_services()[0].routes[0].op;
    (runtime, op)
}

/// The seed's inbound request, as the REST adapter hands it to the engine.
fn inbound() -> Inbound {
    let form = b"grant_type=client_credentials&client_id=demo&client_secret=s3cret";
    Inbound {
        path: Vec::new(),
        query: Vec::new(),
        headers: http::HeaderMap::new(),
        body: InboundBody::parse(Some("application/x-www-form-urlencoded"), form).unwrap(),
    }
}

struct Vars(Map<String, Value>);

impl Lookup for Vars {
    fn lookup(&self, var: &VarRef) -> Option<Cow<'_, Value>> {
        self.0.get(var.name()).map(Cow::Borrowed)
    }
}

fn template_rendering(c: &mut Criterion) {
    let mut group = c.benchmark_group("template");
    let vars = Vars(
        json!({"voyage-id": "V-123", "port": "NLRTM", "limit": 50})
            .as_object()
            .unwrap()
            .clone(),
    );
    let path = Template::parse("/voyages/{{voyage-id}}/ports/{{port}}?limit={{limit}}").unwrap();
    group.bench_function("render_3_vars", |b| {
        b.iter(|| black_box(path.render(&vars)))
    });
    let literal = Template::parse("application/json").unwrap();
    group.bench_function("render_literal", |b| {
        b.iter(|| black_box(literal.render_cow(&vars)))
    });
    group.bench_function("parse_3_vars", |b| {
        b.iter(|| {
            black_box(Template::parse(black_box(
                "/voyages/{{voyage-id}}/ports/{{port}}?limit={{limit}}",
            )))
        })
    });
    group.finish();
}

fn jsonpath_extraction(c: &mut Criterion) {
    let mut group = c.benchmark_group("jsonpath");
    let token = json!({"access_token": "eyJ.abc.def", "token_type": "Bearer", "expires_in": 3600, "scope": "read"});
    let top = JsonPathExpr::parse("$.access_token").unwrap();
    group.bench_function("extract_top_level", |b| {
        b.iter(|| black_box(top.extract(&token)))
    });
    let items: Vec<Value> = (0..50)
        .map(|i| json!({"id": i, "name": format!("item {i}"), "tags": ["a", "b"], "price": i * 3}))
        .collect();
    let list = json!({"data": {"items": items}});
    let filter = JsonPathExpr::parse("$.data.items[?@.price > 100].name").unwrap();
    group.bench_function("extract_filter_50_items", |b| {
        b.iter(|| black_box(filter.extract(&list)))
    });
    group.finish();
}

fn request_building(c: &mut Criterion) {
    let (runtime, op) = seed();
    let inbound = inbound();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("seed");
    let trace = naftiko_engine::trace::Trace::default();
    group.bench_function("general_invocation", |b| {
        b.iter(|| {
            black_box(
                tokio
                    .block_on(runtime.invoke(op, &inbound, &trace))
                    .unwrap(),
            )
        })
    });
    let form = b"grant_type=client_credentials&client_id=demo&client_secret=s3cret";
    let no_headers = http::HeaderMap::new();
    let view = RequestView {
        content_type: Some("application/x-www-form-urlencoded"),
        query: None,
        path_params: &[],
        headers: &no_headers,
        body: form,
    };
    assert!(
        tokio
            .block_on(runtime.invoke_direct(op, &view, &trace))
            .is_some(),
        "the seed has a direct plan"
    );
    group.bench_function("direct_invocation", |b| {
        b.iter(|| black_box(tokio.block_on(runtime.invoke_direct(op, black_box(&view), &trace))))
    });
    group.bench_function("inbound_form_parse", |b| {
        b.iter(|| {
            black_box(
                InboundBody::parse(
                    Some("application/x-www-form-urlencoded"),
                    black_box(b"grant_type=client_credentials&client_id=demo&client_secret=s3cret"),
                )
                .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    template_rendering,
    jsonpath_extraction,
    request_building
);
criterion_main!(benches);
