//! The parameter shape against the general path: whenever a plan takes a request, the
//! upstream request is the one the general path sends, byte for byte; what it must leave
//! to the general path, it declines; and only operations of the shape get a plan.

use super::tests::{
    build, direct_request, general_request, header_map, masked, no_headers, written,
};
use super::*;
use crate::inbound::{Inbound, InboundBody};
use crate::trace::{ClientCall, Parent};
use crate::{OpId, Runtime};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};

/// The consumed API's authentication in the capabilities that send the bound API key
/// as a header.
macro_rules! api_key_header {
    () => {
        "    authentication:\n      type: apikey\n      key: X-Api-Key\n      value: '{{ITEMS_KEY}}'\n      placement: header\n"
    };
}

/// A test capability: its label and description, the preamble every one here shares (the
/// bound API key, a consumed `up` API), then the rest of its text, from `baseUri` on, in
/// pieces.
macro_rules! capability {
    ($label:literal, $description:literal, $($rest:expr),+ $(,)?) => {
        concat!(
            "naftiko: 1.0.0-alpha2\ninfo:\n  label: ",
            $label,
            "\n  description: ",
            $description,
            "\nbinds:\n- namespace: env\n  keys:\n    ITEMS_KEY: ITEMS_KEY\n",
            "capability:\n  consumes:\n  - type: http\n    namespace: up\n",
            $($rest),+
        )
    };
}

/// `GET /items/{id}?q=` with an API key header, `with` naming both arguments.
const ITEMS: &str = capability!(
    "Direct items",
    "Path and query in, nested fields out.",
    "    baseUri: http://127.0.0.1:9\n",
    api_key_header!(),
    r#"    resources:
    - name: item
      path: /items/{id}
      operations:
      - name: get-item
        method: GET
        outputRawFormat: json
        inputParameters:
        - name: id
          in: path
        - name: q
          in: query
        outputParameters:
        - name: id
          type: string
          value: $.item.id
        - name: related
          type: array
          value: $.related[*].id
  exposes:
  - type: rest
    namespace: rest
    port: 8080
    resources:
    - path: /v1/items/{id}
      name: item
      operations:
      - method: GET
        name: get-item
        call: up.get-item
        with:
          id: rest.id
          q: rest.q
"#
);

/// The items operation with an API key in the query, a literal after the variable, a
/// required and an optional query parameter, and no `with`.
fn query_key() -> String {
    ITEMS
        .replace("key: X-Api-Key", "key: api key")
        .replace("placement: header", "placement: query")
        .replace("path: /items/{id}", "path: /a/{id}/b.json")
        .replace(
            "        - name: q\n          in: query\n",
            "        - name: q\n          in: query\n          required: true\n        - name: limit\n          in: query\n",
        )
        .replace("        with:\n          id: rest.id\n          q: rest.q\n", "")
}

/// Bearer credentials, and `with` reading arguments of other names.
fn bearer() -> String {
    ITEMS
        .replace(
            "type: apikey\n      key: X-Api-Key\n      value: '{{ITEMS_KEY}}'\n      placement: header",
            "type: bearer\n      token: '{{ITEMS_KEY}}'",
        )
        .replace("path: /v1/items/{id}", "path: /v1/items/{item}")
        .replace("id: rest.id\n          q: rest.q", "id: rest.item\n          q: rest.search")
}

/// Basic credentials on a `DELETE`.
fn basic() -> String {
    ITEMS
        .replace(
            "type: apikey\n      key: X-Api-Key\n      value: '{{ITEMS_KEY}}'\n      placement: header",
            "type: basic\n      username: '{{ITEMS_USER}}'\n      password: '{{ITEMS_PASSWORD}}'",
        )
        .replace("ITEMS_KEY: ITEMS_KEY", "ITEMS_USER: ITEMS_USER\n    ITEMS_PASSWORD: ITEMS_PASSWORD")
        .replace("method: GET", "method: DELETE")
}

/// `q` and `X` as header parameters (`X` read by its own name, headers included).
fn header_params() -> String {
    ITEMS.replace(
        "        - name: q\n          in: query\n",
        "        - name: q\n          in: header\n        - name: X\n          in: header\n",
    )
}

/// The items route with declared inputs of every location the direct path reads, typed,
/// patterned, required or with a value of their own, `with` reading them and a name no
/// parameter declares (`x`, read by the consumed operation's header parameter).
fn declared_inputs() -> String {
    header_params()
        .replace(
            "        - name: X\n          in: header\n",
            "        - name: X\n          in: header\n        - name: limit\n          in: query\n        - name: tags\n          in: query\n        - name: v\n          in: query\n",
        )
        .replace(
            "      - method: GET\n        name: get-item\n",
            r#"      - method: GET
        name: get-item
        inputParameters:
        - name: id
          in: path
          type: string
          pattern: ^[a-zA-Z0-9_-]+$
        - name: q
          in: query
        - name: limit
          in: query
          type: integer
        - name: tags
          in: query
          type: array
        - name: x
          in: header
          type: boolean
        - name: v
          in: query
          value: fixed
"#,
        )
        .replace("          q: rest.q\n", "          q: rest.q\n          limit: rest.limit\n          tags: rest.tags\n")
}

/// The items operation as a `POST` with `q`, `limit` and `tags` in the body, `where`
/// (`form` or `body`).
fn in_body(location: &str) -> String {
    ITEMS.replace("method: GET", "method: POST").replace(
        "        - name: q\n          in: query\n",
        &format!(
            "        - name: q\n          in: {location}\n        - name: limit\n          in: {location}\n        - name: tags\n          in: {location}\n"
        ),
    )
}

/// `with` entries of every kind the direct path reads: a template of one name (`{{id}}`,
/// read without headers) and of one argument (`{{rest.search}}`), a literal, a template
/// of a bound value.
fn with_templates() -> String {
    header_params()
        .replace(
            "        - name: X\n          in: header\n",
            "        - name: X\n          in: header\n        - name: limit\n          in: query\n",
        )
        .replace(
            "          id: rest.id\n          q: rest.q\n",
            "          id: '{{id}}'\n          q: '{{rest.search}}'\n          limit: 5\n          X: 'k-{{ITEMS_KEY}}'\n",
        )
}

fn runtimes() -> &'static [(Runtime, OpId)] {
    static BUILT: std::sync::OnceLock<Vec<(Runtime, OpId)>> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        vec![
            build("items", ITEMS),
            build("items-query-key", &query_key()),
            build("items-bearer", &bearer()),
            build("items-basic", &basic()),
            build("items-header-params", &header_params()),
            // `{id}` read by the URL template without a declared parameter.
            build(
                "items-implicit-path",
                &ITEMS.replace("        - name: id\n          in: path\n", ""),
            ),
            // Parameters with values of their own: literal, and reading a bound value.
            build(
                "items-own-values",
                &header_params()
                    .replace(
                        "        - name: q\n          in: header\n",
                        "        - name: q\n          in: header\n          value: v2\n",
                    )
                    .replace(
                        "        - name: X\n          in: header\n",
                        "        - name: X\n          in: header\n        - name: k\n          in: query\n          value: 'key {{ITEMS_KEY}}'\n",
                    ),
            ),
            // `{id}` inside a segment, then the path's own query and a fragment.
            build(
                "items-in-segment",
                &ITEMS.replace("path: /items/{id}", "path: /items('{id}').json?v=2&w#f?x"),
            ),
            build(
                "items-fragment",
                &ITEMS.replace("path: /items/{id}", "path: /items/{id}.x/#X-Target=A.B"),
            ),
            build("items-declared", &declared_inputs()),
            // Form and body parameters: a form of them, or a JSON object.
            build("items-form", &in_body("form")),
            build("items-body-fields", &in_body("body")),
            build("items-with-templates", &with_templates()),
            // Cookie parameters: one `Cookie` header after the header parameters.
            build(
                "items-cookies",
                &header_params().replace(
                    "        - name: q\n          in: header\n",
                    "        - name: q\n          in: cookie\n        - name: limit\n          in: cookie\n",
                ),
            ),
            // A path variable that names a query parameter: in the path and the query.
            build(
                "items-path-from-query",
                &ITEMS.replace("        - name: id\n          in: path\n", "        - name: id\n          in: query\n"),
            ),
        ]
    })
}

/// One generated request: path variables, query, headers, content type and body.
#[derive(Debug, Clone)]
pub(super) struct Req {
    pub(super) path: Vec<(String, String)>,
    pub(super) query: Option<String>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) content_type: Option<String>,
    pub(super) body: String,
}

impl Req {
    /// The general path's view of it, as the REST adapter makes it.
    fn inbound(&self) -> Result<Inbound, InvokeError> {
        let query = self
            .query
            .as_deref()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let pairs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(Inbound {
            path: self.path.clone(),
            query,
            headers: header_map(&pairs),
            body: InboundBody::parse(self.content_type.as_deref(), self.body.as_bytes())?,
        })
    }
}

pub(super) fn value() -> impl Strategy<Value = String> {
    let fixed = [
        "", ".", "..", "...", "a b", "é/ü", "%2F", "a+b", "x&y=z", "~*-_.",
    ];
    prop_oneof![
        3 => "[a-zA-Z0-9_-]{1,8}",
        1 => "-?[0-9]{1,3}",
        1 => select(vec!["true", "false"]).prop_map(str::to_owned),
        2 => select(fixed.to_vec()).prop_map(str::to_owned),
        1 => "[ -~]{0,6}",
    ]
}

fn requests() -> impl Strategy<Value = Req> {
    let names = [
        "id", "item", "q", "search", "limit", "api key", "ID", "i-d", "x", "tags", "v",
    ];
    let name = || select(names.to_vec()).prop_map(str::to_owned);
    // Mostly the route's own variable first, then anything.
    let route_var = select(vec!["id", "item"]).prop_map(str::to_owned);
    let path = prop_oneof![
        4 => (route_var, value(), proptest::collection::vec((name(), value()), 0..2))
            .prop_map(|(n, v, mut rest)| {
                rest.insert(0, (n, v));
                rest
            }),
        1 => proptest::collection::vec((name(), value()), 0..3),
    ];
    let query_name = prop_oneof![
        3 => select(vec!["q", "search"]).prop_map(str::to_owned),
        2 => name(),
    ];
    let pair = (query_name, value()).prop_map(|(n, v)| {
        let enc = |t: &str| form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
        format!("{}={}", enc(&n), enc(&v))
    });
    let query = prop_oneof![
        1 => Just(None),
        6 => proptest::collection::vec(pair, 0..4).prop_map(|p| Some(p.join("&"))),
        1 => "[ -~]{0,10}".prop_map(Some),
    ];
    let headers = proptest::collection::vec((name(), value()), 0..2).prop_map(|h| {
        h.into_iter()
            .filter(|(n, v)| {
                http::HeaderName::from_bytes(n.as_bytes()).is_ok()
                    && HeaderValue::from_str(v).is_ok()
            })
            .collect()
    });
    let body = prop_oneof![8 => Just(String::new()), 1 => Just(" \n".to_owned()), 1 => Just("q=1".to_owned())];
    let ct = prop_oneof![
        Just(None),
        Just(Some("application/x-www-form-urlencoded".to_owned()))
    ];
    (path, query, headers, ct, body).prop_map(|(path, query, headers, content_type, body)| Req {
        path,
        query,
        headers,
        content_type,
        body,
    })
}

/// The plan's request and the general path's, for one case.
type Both = (Vec<u8>, Result<Vec<u8>, InvokeError>);

/// Runs `cases` cases of `strategy`: `sent` gives the plan's request and the general
/// path's for a case (`None` when the plan declines it), which must be the same bytes.
/// Fails unless the plan served `at_least` of them; returns how many it served.
pub(super) fn compare<S: Strategy>(
    what: &str,
    cases: u32,
    at_least: usize,
    strategy: S,
    sent: impl Fn(S::Value) -> Option<Both>,
) -> usize {
    let served = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |case| {
        if let Some((direct, general)) = sent(case) {
            served.set(served.get() + 1);
            prop_assert!(
                general.is_ok(),
                "general failed where direct served: {general:?}"
            );
            prop_assert_eq!(masked(&direct), masked(&general.unwrap()));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{what}: {e}");
    }
    let served = served.get();
    assert!(
        served >= at_least,
        "{what}: only {served} cases served directly"
    );
    served
}

/// The plan's request for a call of `tool` with `args`, and the general path's; `None`
/// when `call_tool` would refuse the arguments or the plan declines them.
pub(super) fn tool_requests(
    runtime: &Runtime,
    tool: &crate::ToolSpec,
    args: &Map<String, serde_json::Value>,
) -> Option<Both> {
    let plan = runtime.plan(tool.op)?;
    // `call_tool` checks the arguments against the tool's schema first.
    if crate::tools::check_arguments(&tool.input_schema, args).is_err() {
        return None;
    }
    let t = super::tests::trace();
    let call = ClientCall::start(Parent {
        trace: t,
        span: t.span_id(),
    });
    let direct = plan.written(Source::Tool(args), &call)?;
    let general = general_request(runtime, tool.op, &tool.args.inbound(args.clone()));
    Some((direct, general))
}

/// The plan's request for the REST request `req`, and the general path's.
pub(super) fn rest_requests(runtime: &Runtime, op: OpId, req: &Req) -> Option<Both> {
    let plan = runtime.plan(op)?;
    let pairs: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers = header_map(&pairs);
    let view = DirectRequest {
        content_type: req.content_type.as_deref(),
        query: req.query.as_deref(),
        path_params: &req.path,
        headers: &headers,
        body: req.body.as_bytes(),
    };
    let direct = direct_request(plan, &view)?;
    Some((
        direct,
        req.inbound().and_then(|i| general_request(runtime, op, &i)),
    ))
}

#[test]
fn direct_requests_are_the_general_requests() {
    for (which, (runtime, op)) in runtimes().iter().enumerate() {
        assert!(
            runtime.plan(*op).is_some(),
            "variant {which} has a direct plan"
        );
        compare(&format!("variant {which}"), 1500, 100, requests(), |req| {
            rest_requests(runtime, *op, &req)
        });
    }
}

/// A request of the items shape with `id` and `query`, no headers, no body.
fn items_request<'a>(
    path: &'a [(String, String)],
    query: Option<&'a str>,
    headers: &'a http::HeaderMap,
) -> DirectRequest<'a> {
    DirectRequest {
        content_type: None,
        query,
        path_params: path,
        headers,
        body: b"",
    }
}

#[test]
fn the_items_request_is_written_and_odd_ones_are_declined() {
    let (runtime, op) = &runtimes()[0];
    let plan = runtime.plan(*op).unwrap();
    let path = vec![("id".to_owned(), "a b/é".to_owned())];
    let sent = direct_request(
        plan,
        &items_request(&path, Some("q=red+shoes&x=1"), no_headers()),
    );
    let sent = String::from_utf8(sent.unwrap()).unwrap();
    assert!(
        sent.starts_with("GET /items/a%20b%2F%C3%A9?q=red+shoes HTTP/1.1\r\nhost: 127.0.0.1:9\r\n"),
        "{sent}"
    );
    assert!(
        sent.contains("\r\nx-api-key: s3cr3t-key\r\ntraceparent: "),
        "{sent}"
    );
    assert!(sent.ends_with("\r\n\r\n"), "{sent}");
    // Without `q`, the optional parameter is left out.
    let sent = direct_request(plan, &items_request(&path, None, no_headers())).unwrap();
    assert!(
        String::from_utf8(sent)
            .unwrap()
            .starts_with("GET /items/a%20b%2F%C3%A9 HTTP")
    );
    // `with: {q: rest.q}` reads a header too, as the general path's arguments do.
    let q_header = header_map(&[("q", "from-a-header")]);
    let sent = direct_request(plan, &items_request(&path, None, &q_header)).unwrap();
    assert!(
        String::from_utf8(sent)
            .unwrap()
            .contains("?q=from-a-header HTTP")
    );
    // Header parameters go after host and user agent, before the credentials, in order;
    // a value that is not visible text is no value (as `HeaderValue::to_str` has it).
    let (runtime, op) = &runtimes()[4];
    let headers_plan = runtime.plan(*op).unwrap();
    let both = header_map(&[("Q", "v 1"), ("x", "y")]);
    let sent = direct_request(headers_plan, &items_request(&path, None, &both)).unwrap();
    let sent = String::from_utf8(sent).unwrap();
    assert!(
        sent.contains(
            "\r\nuser-agent: naftiko/0.1.0\r\nq: v 1\r\nx: y\r\nx-api-key: s3cr3t-key\r\n"
        ),
        "{sent}"
    );
    let odd = http::HeaderMap::from_iter([(
        http::HeaderName::from_static("q"),
        HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
    )]);
    let sent = direct_request(headers_plan, &items_request(&path, None, &odd)).unwrap();
    assert!(!String::from_utf8_lossy(&sent).contains("\r\nq: "));
    // Declined: a segment that cannot be one, a path variable spelled another way, a body.
    for bad in ["", ".", ".."] {
        let path = vec![("id".to_owned(), bad.to_owned())];
        assert!(direct_request(plan, &items_request(&path, None, no_headers())).is_none());
    }
    let loose = vec![("I_D".to_owned(), "x".to_owned())];
    assert!(direct_request(plan, &items_request(&loose, None, no_headers())).is_none());
    let mut with_body = items_request(&path, None, no_headers());
    with_body.body = b"{\"q\":1}";
    assert!(direct_request(plan, &with_body).is_none());
    // A required query parameter missing is the general path's error to give.
    let (runtime, op) = &runtimes()[1];
    let plan = runtime.plan(*op).unwrap();
    let path = vec![("id".to_owned(), "7".to_owned())];
    assert!(direct_request(plan, &items_request(&path, Some("limit=2"), no_headers())).is_none());
    let sent = direct_request(
        plan,
        &items_request(&path, Some("limit=2&q=x"), no_headers()),
    );
    assert!(
        String::from_utf8(sent.unwrap())
            .unwrap()
            .starts_with("GET /a/7/b.json?q=x&limit=2&api+key=s3cr3t-key HTTP/1.1\r\n")
    );
}

#[test]
fn items_answers_are_shaped_from_their_bytes() {
    let (runtime, op) = &runtimes()[0];
    let plan = runtime.plan(*op).unwrap();
    let body = r#"{"item":{"id":"a1","name":"x"},"related":[{"id":"r1"},{"id":"r2"}]}"#;
    let answer = Answer {
        status: 200,
        content_type: Some("application/json".into()),
        cache_control: None,
        location: None,
        body: bytes::Bytes::from_static(body.as_bytes()),
    };
    assert_eq!(
        written(plan.shape(answer)),
        r#"200 Some("application/json") Some(200) None None {"id":"a1","related":["r1","r2"]}"#
    );
}

#[test]
fn only_operations_of_the_shape_get_a_parameter_plan() {
    let refused = [
        (
            "a header parameter the credentials write",
            ITEMS.replace(
                "name: q\n          in: query",
                "name: X-API-KEY\n          in: header",
            ),
        ),
        (
            "a header parameter the head writes",
            ITEMS.replace(
                "name: q\n          in: query",
                "name: Host\n          in: header",
            ),
        ),
        (
            "a header parameter the trace writes",
            ITEMS.replace(
                "name: q\n          in: query",
                "name: traceparent\n          in: header",
            ),
        ),
        (
            "two header parameters of one name",
            header_params().replace("name: X\n", "name: Q\n"),
        ),
        (
            "a parameter whose own value reads an argument",
            ITEMS.replace(
                "          in: query\n",
                "          in: query\n          value: '{{rest.id}}'\n",
            ),
        ),
        (
            "a `with` template of two values",
            ITEMS.replace("q: rest.q", "q: '{{id}}-{{rest.q}}'"),
        ),
        (
            "a `with` template reading an earlier entry",
            ITEMS.replace("q: rest.q", "q: '{{id}}'"),
        ),
        (
            "the body passed on, and a body template",
            ORDERS.replace("customer: rest.customer", "body: rest.body"),
        ),
        (
            "the body passed on from another argument",
            passed_on().replace("body: rest.body", "body: rest.q"),
        ),
        (
            "a `%` in a variable's segment",
            ITEMS.replace("path: /items/{id}", "path: /items/%2{id}"),
        ),
        (
            "a variable after the path's own query",
            ITEMS.replace("path: /items/{id}", "path: /items?v=1&id={id}"),
        ),
        ("a bound variable in the path", {
            ITEMS.replace("path: /items/{id}", "path: /items/{{ITEMS_KEY}}/{id}")
        }),
        (
            "credentials read from the request",
            ITEMS.replace("value: '{{ITEMS_KEY}}'", "value: '{{rest.id}}'"),
        ),
        (
            "an API key header the trace writes",
            ITEMS.replace("key: X-Api-Key", "key: traceparent"),
        ),
        (
            "cookie parameters beside credentials written as a cookie",
            ITEMS.replace("key: X-Api-Key", "key: Cookie").replace(
                "        - name: q\n          in: query\n",
                "        - name: q\n          in: cookie\n",
            ),
        ),
    ];
    for (i, (why, yaml)) in refused.into_iter().enumerate() {
        let (runtime, op) = build(&format!("params-refused-{i}"), &yaml);
        assert!(runtime.plan(op).is_none(), "{why}");
    }
}

#[test]
fn a_recorded_span_names_the_url_the_request_went_to() {
    let base = reqwest::Url::parse("https://127.0.0.1:9/base").unwrap();
    let request = b"GET /items/a%20b?q=x+y HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\r\n";
    assert_eq!(
        target_url(&base, request).unwrap().as_str(),
        "https://127.0.0.1:9/items/a%20b?q=x+y"
    );
}

/// The items operation as an MCP tool with typed arguments, one of them optional, read
/// by `with` and by name.
const TOOL: &str = capability!(
    "Direct items tool",
    "Tool arguments in the path and query.",
    "    baseUri: http://127.0.0.1:9/api\n",
    api_key_header!(),
    r#"    resources:
    - name: item
      path: /items/{{sku}}
      operations:
      - name: get-item
        method: GET
        outputRawFormat: json
        inputParameters:
        - name: sku
          in: path
        - name: limit
          in: query
        - name: verbose
          in: query
        - name: ratio
          in: query
        outputParameters:
        - name: id
          type: string
          value: $.item.id
  exposes:
  - type: mcp
    namespace: tools
    address: 127.0.0.1
    port: 9091
    description: Items tools.
    tools:
    - name: get-item
      label: Get item
      description: One item.
      inputParameters:
      - name: sku
        type: string
        description: The SKU.
      - name: limit
        type: integer
        description: How many.
        required: false
      - name: verbose
        type: boolean
        description: Everything.
        required: false
      - name: ratio
        description: Untyped.
        required: false
      call: up.get-item
      with:
        sku: tools.sku
        limit: tools.limit
"#
);

fn tool_arguments() -> impl Strategy<Value = Map<String, serde_json::Value>> {
    use serde_json::{Value, json};
    let any_value = prop_oneof![
        4 => value().prop_map(Value::String),
        2 => any::<i64>().prop_map(Value::from),
        1 => Just(json!(1.5)),
        1 => Just(json!(2.0)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
        1 => Just(json!(["a"])),
        1 => Just(json!({"a": 1})),
    ];
    let names = ["sku", "limit", "verbose", "ratio", "other"];
    proptest::collection::vec((select(names.to_vec()), any_value), 0..5).prop_map(|pairs| {
        let mut map = Map::new();
        map.insert("sku".to_owned(), Value::String("s-1".to_owned()));
        for (name, value) in pairs {
            map.insert(name.to_owned(), value);
        }
        map
    })
}

#[test]
fn direct_tool_requests_are_the_general_requests() {
    let (runtime, op) = build("items-tool", TOOL);
    let tool = &runtime.mcp_services()[0].tools[0];
    let plan = runtime.plan(op).expect("the tool has a direct plan");
    compare("tool", 1500, 100, tool_arguments(), |args| {
        tool_requests(&runtime, tool, &args)
    });
    // Values the general path converts are converted as it does; values it refuses (a
    // missing or `null` required input, one that does not convert) are left to it.
    let served = |v: serde_json::Value| {
        let args = v.as_object().unwrap().clone();
        let sent = tool_requests(&runtime, tool, &args);
        if let Some((direct, general)) = &sent {
            assert_eq!(
                masked(direct),
                masked(general.as_ref().unwrap()),
                "{args:?}"
            );
        }
        let t = super::tests::trace();
        let call = ClientCall::start(Parent {
            trace: t,
            span: t.span_id(),
        });
        plan.written(Source::Tool(&args), &call).is_some()
    };
    use serde_json::json;
    assert!(served(json!({"sku": "a", "limit": 3, "ratio": true})));
    assert!(served(json!({"sku": "a", "limit": "3", "verbose": "true"})));
    assert!(served(json!({"sku": 7, "limit": 2})));
    assert!(!served(json!({"sku": "a", "limit": 2.0})));
    assert!(!served(json!({"sku": "a", "limit": 2.5})));
    assert!(!served(json!({"sku": "a", "verbose": "yes"})));
    assert!(!served(json!({"limit": 3})));
    assert!(!served(json!({"sku": null})));
    // An array in the query: a pair per element.
    assert!(served(json!({"sku": "a", "ratio": [1, "b"]})));
}

/// A JSON body rendered from a `body` template (nested, an array, whole values keeping
/// their type, values inside a longer string, a bound value and an environment one) from
/// the caller's JSON body, `with` naming its members.
const ORDERS: &str = capability!(
    "Direct orders",
    "A JSON body in, a JSON body template out.",
    r#"    baseUri: http://127.0.0.1:9
    resources:
    - name: orders
      path: /orders
      operations:
      - name: create-order
        method: POST
        outputRawFormat: json
        inputParameters:
        - name: customer
          in: environment
        - name: sku
          in: environment
        - name: quantity
          in: environment
        - name: note
          in: environment
        - name: region
          in: environment
        - name: dry
          in: query
        body:
          type: json
          data:
            order:
              customer_id: '{{customer}}'
              lines:
              - sku: '{{sku}}'
                qty: '{{quantity}}'
              note: 'for {{customer}}: {{note}} x{{quantity}} ({{region}}, {{ITEMS_KEY}})'
            region: '{{region}}'
            source: bench
        outputParameters:
        - name: order_id
          type: string
          value: $.order.id
  exposes:
  - type: rest
    namespace: rest
    port: 8080
    resources:
    - path: /v1/orders
      name: orders
      operations:
      - method: POST
        name: create-order
        call: up.create-order
        with:
          customer: rest.customer
          sku: rest.sku
          quantity: rest.qty
          note: rest.note
"#
);

pub(super) fn json_member_value() -> impl Strategy<Value = String> {
    let fixed = [
        "null",
        "true",
        "7",
        "-2.5",
        "1e3",
        "[1,\"a\"]",
        "{\"k\":\"v\"}",
        "\"\"",
        "\"plain\"",
        "\"a \\\"quoted\\\" \\u00e9\"",
        "\"caf\u{e9}\"",
    ];
    prop_oneof![
        3 => select(fixed.to_vec()).prop_map(str::to_owned),
        1 => "[a-z ]{0,6}".prop_map(|t| format!("\"{t}\"")),
    ]
}

fn json_bodies() -> impl Strategy<Value = String> {
    let names = [
        "customer", "sku", "qty", "quantity", "note", "region", "dry", "x",
    ];
    // `x`'s values include objects, so that `{{rest.x.k}}` finds a member now and then.
    let member =
        (select(names.to_vec()), json_member_value()).prop_map(|(n, v)| format!("\"{n}\": {v}"));
    prop_oneof![
        8 => proptest::collection::vec(member, 0..7).prop_map(|m| format!("{{{}}}", m.join(","))),
        1 => Just("[1,2]".to_owned()),
        1 => Just("{\"customer\":".to_owned()),
        1 => Just(String::new()),
    ]
}

/// Inbound content types: mostly `application/json`, now and then one of `others`, or none.
fn content_types(others: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    let other = select(others.to_vec()).prop_map(|t| Some(t.to_owned()));
    prop_oneof![
        6 => Just(Some("application/json".to_owned())),
        u32::try_from(others.len()).unwrap_or(1) => other,
        1 => Just(None),
    ]
}

#[test]
fn direct_json_body_requests_are_the_general_requests() {
    let (runtime, op) = build("orders", ORDERS);
    assert!(runtime.plan(op).is_some(), "the shape has a direct plan");
    let content_type = content_types(&["Application/Problem+JSON; charset=utf-8", "text/plain"]);
    let query = prop_oneof![
        Just(None),
        Just(Some("dry=1".to_owned())),
        Just(Some("customer=q".to_owned()))
    ];
    let cases = (json_bodies(), content_type, query);
    compare("JSON bodies", 2000, 500, cases, |case| {
        rest_requests(&runtime, op, &body_request(case))
    });
}

/// A request of a body, its content type and a query (no path variables or headers).
fn body_request((body, content_type, query): (String, Option<String>, Option<String>)) -> Req {
    Req {
        path: Vec::new(),
        query,
        headers: Vec::new(),
        content_type,
        body,
    }
}

/// The orders operation with `body` (its YAML, from after `body:`) in place of its JSON
/// data.
fn orders_with_body(body: &str) -> String {
    let json_body = ORDERS
        .split("        body:\n")
        .nth(1)
        .and_then(|rest| rest.split("        outputParameters:").next())
        .unwrap_or_default();
    ORDERS.replace(
        &format!("        body:\n{json_body}"),
        &format!("        body:{body}"),
    )
}

/// The orders operation with a `body` of each kind a plan renders, its templates reading
/// parameters, a bound value and inbound arguments (`{{rest.sku}}`, a member of one).
fn body_kinds() -> Vec<(&'static str, String)> {
    let reads = "{{customer}} {{rest.sku}} {{rest.x.k}} {{ITEMS_KEY}} {{note}}";
    let typed = |kind: &str, data: &str| {
        orders_with_body(&format!(
            "\n          type: {kind}\n          data: {data}\n"
        ))
    };
    vec![
        ("XML", typed("xml", &format!("'<o c=\"{reads}\"/>'"))),
        ("text", typed("text", &format!("'order {reads}'"))),
        ("SPARQL", typed("sparql", &format!("'SELECT {reads}'"))),
        ("raw text", orders_with_body(&format!(" 'plain {reads}'\n"))),
        (
            "JSON text",
            orders_with_body(
                " '{\"c\": \"{{customer}}\", \"s\": {{rest.sku}}, \"x\": \"{{rest.x}}\"}'\n",
            ),
        ),
        (
            "JSON data reading arguments",
            typed(
                "json",
                "\n            c: '{{rest.sku}}'\n            x: '{{rest.x.k}} and {{region}}'",
            ),
        ),
        (
            "form fields",
            typed(
                "formUrlEncoded",
                &format!(
                    "\n            c: '{{{{customer}}}}'\n            s: '{{{{rest.sku}}}}'\n            all: '{reads}'"
                ),
            ),
        ),
        (
            "form string",
            typed("formUrlEncoded", &format!("'a={{{{rest.sku}}}}&b={reads}'")),
        ),
    ]
}

#[test]
fn direct_body_templates_of_every_kind_are_the_general_requests() {
    for (kind, yaml) in body_kinds() {
        let (runtime, op) = build(&format!("orders-{kind}"), &yaml);
        assert!(
            runtime.plan(op).is_some(),
            "{kind}: the shape has a direct plan\n{yaml}"
        );
        let content_type = content_types(&["text/plain"]);
        let query = prop_oneof![
            Just(None),
            Just(Some("sku=q%26r".to_owned())),
            Just(Some("x=1".to_owned()))
        ];
        let cases = (json_bodies(), content_type, query);
        compare(kind, 300, 60, cases, |case| {
            rest_requests(&runtime, op, &body_request(case))
        });
    }
    // A multipart body's content type carries its boundary: left to the general path,
    // and so is a template that reads the whole inbound body.
    let refused = [
        (
            "multipart",
            orders_with_body(
                "\n          type: multipartForm\n          data:\n          - name: c\n            value: '{{customer}}'\n",
            ),
        ),
        (
            "the whole body",
            orders_with_body(" 'all: {{rest.body}}'\n"),
        ),
    ];
    let json = Some("application/json".to_owned());
    let req = body_request((r#"{"customer":"c-1"}"#.to_owned(), json, None));
    for (why, yaml) in refused {
        let (runtime, op) = build(&format!("orders-refused-{why}"), &yaml);
        assert!(runtime.plan(op).is_none(), "{why}\n{yaml}");
        // Built and served all the same, by the general path.
        let sent = general_request(&runtime, op, &req.inbound().unwrap()).unwrap();
        assert!(
            sent.windows(3).any(|w| w == b"c-1"),
            "{why}: {}",
            String::from_utf8_lossy(&sent)
        );
    }
}

/// The items operation as a `POST` passing the inbound body on (`with: {body: rest.body}`
/// and a consumed `body` parameter `in: body`).
fn passed_on() -> String {
    ITEMS
        .replace("method: GET", "method: POST")
        .replace(
            "        - name: q\n          in: query\n",
            "        - name: q\n          in: query\n        - name: body\n          in: body\n          required: true\n",
        )
        .replace("q: rest.q", "q: rest.q\n          body: rest.body")
}

/// Bodies to pass on: objects (now and then with a member named `body` or `q`), arrays,
/// odd whitespace and numbers, repeated keys, escapes, and what is no object or array.
fn passed_on_bodies() -> impl Strategy<Value = String> {
    let names = [
        "customer", "q", "x", "note", "sku", "qty", "region", "dry", "body", "\\u0078",
    ];
    let member =
        (select(names.to_vec()), json_member_value()).prop_map(|(n, v)| format!("\"{n}\" : {v}"));
    prop_oneof![
        8 => proptest::collection::vec(member, 0..4).prop_map(|m| format!(" {{ {} }}\n", m.join(" ,\t"))),
        1 => Just("[1, {\"a\": 2.50, \"b\": [-0, 1e2]}, \"caf\\u00e9\"]".to_owned()),
        1 => Just("{\"a\":1,\"a\":2}".to_owned()),
        1 => Just("\"text\"".to_owned()),
        1 => Just("null".to_owned()),
        1 => Just("12".to_owned()),
        1 => Just("{\"customer\":".to_owned()),
        1 => Just(String::new()),
    ]
}

#[test]
fn direct_passed_on_bodies_are_the_general_requests() {
    let (runtime, op) = build("passed-on", &passed_on());
    assert!(runtime.plan(op).is_some(), "the shape has a direct plan");
    let content_type = content_types(&["application/x-www-form-urlencoded"]);
    let query = prop_oneof![
        3 => Just(None),
        1 => Just(Some("q=1".to_owned())),
        1 => Just(Some("body=x".to_owned())),
    ];
    let headers = prop_oneof![
        4 => Just(Vec::new()),
        1 => Just(vec![("body".to_owned(), "h".to_owned())]),
    ];
    let cases = (passed_on_bodies(), content_type, query, headers);
    // About a fifth are served directly: the rest are the declines under test (a body that
    // is no JSON object or array, a `body` argument elsewhere, a repeated key).
    compare(
        "bodies passed on",
        2000,
        300,
        cases,
        |(body, content_type, query, headers)| {
            let req = Req {
                path: vec![("id".to_owned(), "7".to_owned())],
                query,
                headers,
                content_type,
                body,
            };
            rest_requests(&runtime, op, &req)
        },
    );
}
