//! The direct path: the commonest operation shapes, compiled down to bytes at build time.
//!
//! Most published capabilities expose operations that call one consumed operation and
//! answer a few fields of its JSON: a form passed straight on (a token endpoint is the
//! classic case), or values placed in the upstream path and query (`GET /items/{id}?q=`
//! with an API key). The general path turns the request into `serde_json` values, resolves
//! each parameter through layered scopes, renders the URL through `url::Url` and the
//! headers through a `HeaderMap`. For these shapes a [`DirectPlan`] does the same job on
//! borrowed bytes: what is the same on every call (the head, the credentials) is written
//! once at build time, the caller's values are copied into the request in the general
//! path's order and encoding, and the answer is shaped straight from its bytes
//! (`capture.rs`, which the general path uses too), or by the general shaping when the
//! outputs need a `Value` tree but no value of the call.
//!
//! It gives the same answers as the general path, byte for byte. A request the plan cannot
//! serve exactly as the general path would (another content type, a repeated or missing
//! field, a value the general path would read from a header or refuse) is declined before
//! anything is sent, and the caller runs the general path. An answer the plan cannot shape
//! exactly (not a 2xx JSON object, a value to convert) is shaped by the general code. The
//! engine's tests hold both paths to the same bytes for every request and answer they try.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method};
use naftiko_spec::model::ParamLocation;
use serde_json::{Map, Value};

use crate::answer::Answer;
use crate::auth::Auth;
use crate::error::InvokeError;
use crate::form::{FormField, form_fields};
use crate::inbound::RequestView;
use crate::invoke::{Input, Invocable, Outcome, Target, shape_answer};
use crate::outputs::Outputs;
use crate::request::ConsumedOp;
use crate::scope::Nothing;
use crate::trace::{ClientCall, Parent, Trace};
use naftiko_http1::write::finish_request;

mod body;
mod params;
mod sent;

use params::ParamsPlan;
use sent::Source;

/// Most form fields a request may have to stay on the direct path.
const MAX_FIELDS: usize = 16;

/// What an adapter knows of a request: the direct path reads it as it stands.
pub(crate) type DirectRequest<'a> = RequestView<'a>;

/// An operation compiled for the direct path.
#[derive(Debug)]
pub(crate) struct DirectPlan {
    op: Arc<ConsumedOp>,
    outputs: Outputs,
    url: reqwest::Url,
    method: Method,
    inputs: Inputs,
    /// What the exposing adapter adds to the call (binary answers' limit and media type).
    exposure: crate::binary::Exposure,
    /// A binary answer's size limit (`ConsumedOp::binary_limit`).
    limit: Option<usize>,
}

/// Where a plan's inputs go.
#[derive(Debug)]
enum Inputs {
    /// The caller's form fields into the upstream form body.
    Form(FormPlan),
    /// The caller's values into the upstream path and query (`params.rs`).
    Params(Box<ParamsPlan>),
}

/// A form passed on.
#[derive(Debug)]
struct FormPlan {
    /// The request line and headers, up to `Content-Length`.
    head: Vec<u8>,
    /// The consumed form parameters, in order, and whether each is required.
    params: Vec<(String, bool)>,
    /// `with: {body: rest.body}`: the caller's other fields go upstream too, first.
    forward_rest: bool,
}

impl DirectPlan {
    /// The plan of `inv`, when it has one of the direct shapes: a call of a consumed
    /// operation on an h1-client upstream whose answers are shaped without a
    /// `Value` tree (`capture.rs`, JSON), passed through, or converted and shaped by the
    /// general code without the call's values, with declared inputs read from the path,
    /// the query, headers or the body's members (`Input::is_read_directly`); and either a
    /// form passed on ([`FormPlan::compile`]) or values placed in the path, the query,
    /// headers, a form, a JSON object or a `body` template of any kind but multipart
    /// ([`ParamsPlan::compile`]).
    pub(crate) fn compile(inv: &Invocable) -> Option<DirectPlan> {
        let Target::Call(op) = &inv.target else {
            return None;
        };
        let callable = op.api.takes_written() && inv.inputs.iter().all(Input::is_read_directly);
        if !callable {
            return None;
        }
        let outputs = inv.outputs_of(op);
        // Outputs shaped without a `Value` tree, or none (the answer passes through), or
        // shaped by the general shaping, which then reads no value of the call's (the plan
        // shapes without the call's scope).
        if outputs.capture().is_none() && outputs.reads_scope() {
            return None;
        }
        let form = inv
            .inputs
            .is_empty()
            .then(|| FormPlan::compile(inv, op))
            .flatten();
        let inputs = match form {
            Some(form) => Inputs::Form(form),
            None => Inputs::Params(Box::new(ParamsPlan::compile(inv, op)?)),
        };
        let exposure = inv.exposure.clone().unwrap_or_default();
        let mut url = op.url.base_url().clone();
        if let Inputs::Form(_) = inputs {
            url = op.url.render(&Nothing).ok()?;
            if url.query() == Some("") {
                url.set_query(None);
            }
        }
        Some(DirectPlan {
            op: op.clone(),
            outputs: outputs.clone(),
            url,
            method: op.method.clone(),
            inputs,
            limit: op.binary_limit(&exposure),
            exposure,
        })
    }

    /// Runs the operation for `req`; `None` when the request needs the general path
    /// (nothing has been sent then).
    pub(crate) async fn run(
        &self,
        req: &DirectRequest<'_>,
        trace: &Trace,
    ) -> Option<Result<Outcome, InvokeError>> {
        self.run_from(Source::Rest(req), trace).await
    }

    /// Runs the operation for an MCP tool's `args` (a tool whose arguments are its
    /// declared inputs); `None` when the call needs the general path (an argument its
    /// input refuses, see `sent.rs`) or the plan reads a form.
    pub(crate) async fn run_tool(
        &self,
        args: &Map<String, Value>,
        trace: &Trace,
    ) -> Option<Result<Outcome, InvokeError>> {
        if matches!(self.inputs, Inputs::Form(_)) {
            return None;
        }
        self.run_from(Source::Tool(args), trace).await
    }

    /// Runs the operation for the values of `src`.
    async fn run_from(
        &self,
        src: Source<'_>,
        trace: &Trace,
    ) -> Option<Result<Outcome, InvokeError>> {
        let call = ClientCall::start(Parent {
            trace,
            span: trace.span_id(),
        });
        let request = self.written(src, &call)?;
        // A recorded span names the URL the request went to.
        let spanned = match &self.inputs {
            Inputs::Params(_) if call.records() => Some(target_url(&self.url, &request)?),
            _ => None,
        };
        let url = spanned.as_ref().unwrap_or(&self.url);
        let api = &self.op.api;
        Some(
            match api
                .send_written(&self.method, url, &request, call, self.limit)
                .await
            {
                Ok(answer) => self.shape(answer),
                Err(e) => Err(e),
            },
        )
    }

    /// The whole upstream request, with `call`'s trace headers after the plan's own, or
    /// `None` to decline.
    #[cfg(test)]
    pub(crate) fn request(
        &self,
        req: &DirectRequest<'_>,
        call: &ClientCall<'_>,
    ) -> Option<Vec<u8>> {
        self.written(Source::Rest(req), call)
    }

    /// The names a request's values are looked up by (tests generate requests of them).
    #[cfg(test)]
    pub(crate) fn argument_names(&self) -> Vec<String> {
        match &self.inputs {
            Inputs::Form(form) => form.params.iter().map(|(n, _)| n.clone()).collect(),
            Inputs::Params(params) => params.argument_names(),
        }
    }

    /// The whole upstream request for the values of `src`, or `None` to decline.
    fn written(&self, src: Source<'_>, call: &ClientCall<'_>) -> Option<Vec<u8>> {
        match (&self.inputs, src) {
            (Inputs::Form(form), Source::Rest(req)) => form.request(&self.method, req, call),
            (Inputs::Form(_), Source::Tool(_)) => None,
            (Inputs::Params(params), src) => params.request(&self.op, src, call),
        }
    }

    /// The outcome of `answer`: the general shaping's (`invoke::shape_answer`), which
    /// writes the plan's outputs straight from the answer's bytes when they have a capture
    /// (`capture.rs`), else shapes them without the call's values, and passes the answer
    /// through when there are none (or it is binary, with the exposure's media type).
    pub(crate) fn shape(&self, answer: Answer) -> Result<Outcome, InvokeError> {
        shape_answer(&self.op, &self.outputs, answer, &Nothing, &self.exposure)
    }
}

impl FormPlan {
    /// The form shape: `with` empty or only `body: <adapter>.body`; no authentication;
    /// a URL without variables; only form parameters without their own value.
    fn compile(inv: &Invocable, op: &ConsumedOp) -> Option<FormPlan> {
        let forward_rest = inv.with.forwards_only_body()?;
        let simple_op = matches!(op.api.auth, Auth::None)
            && !op.has_body_template()
            && op.url.variables().next().is_none()
            && !op.params.is_empty()
            && op.params.iter().all(|p| {
                p.location == ParamLocation::Form && !p.has_own_value() && p.name != "body"
            });
        if !simple_op {
            return None;
        }
        let mut url = op.url.render(&Nothing).ok()?;
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let agent = HeaderValue::from_static(crate::transport::USER_AGENT);
        let head = crate::h1_client::request_head(&op.method, &url, &headers, &agent).ok()?;
        Some(FormPlan {
            head,
            params: op
                .params
                .iter()
                .map(|p| (p.name.clone(), p.required))
                .collect(),
            forward_rest,
        })
    }

    /// The request passing on `req`'s form, or `None` to decline.
    fn request(
        &self,
        method: &Method,
        req: &DirectRequest<'_>,
        call: &ClientCall<'_>,
    ) -> Option<Vec<u8>> {
        if req.query.is_some()
            || !req.path_params.is_empty()
            || (self.forward_rest && req.headers.header("body").is_some())
            || !crate::inbound::is_form(req.content_type)
            || req.body.iter().all(u8::is_ascii_whitespace)
        {
            return None;
        }
        let mut fields: Vec<FormField<'_>> = Vec::with_capacity(8);
        for field in form_fields(req.body) {
            if fields.len() == MAX_FIELDS
                || field.name == "body"
                || fields.iter().any(|f| f.name == field.name)
            {
                return None;
            }
            fields.push(field);
        }
        let mut body: Vec<u8> = Vec::with_capacity(req.body.len() + 16);
        if self.forward_rest {
            for field in &fields {
                if !self.params.iter().any(|(p, _)| *p == field.name) {
                    field.append_to(&mut body);
                }
            }
        }
        for (name, required) in &self.params {
            match fields.iter().find(|f| f.name == name.as_str()) {
                Some(field) => field.append_to(&mut body),
                None if *required => return None,
                None => {}
            }
        }
        let mut out = Vec::with_capacity(self.head.len() + 160 + body.len());
        out.extend_from_slice(&self.head);
        call.push_headers(&mut out);
        finish_request(&mut out, method, Some(&body));
        Some(out)
    }
}

/// The URL a written request goes to: `base` with the request line's target.
fn target_url(base: &reqwest::Url, request: &[u8]) -> Option<reqwest::Url> {
    let line = request.split(|b| *b == b' ').nth(1)?;
    base.join(std::str::from_utf8(line).ok()?).ok()
}

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod params_tests;

#[cfg(test)]
mod tests {
    //! The direct path against the general path, on the same requests and answers: the
    //! upstream request bytes and the outcome must be the same whenever the plan serves.

    use super::*;
    use crate::inbound::{Inbound, InboundBody};
    use crate::invoke::OutcomeBody;
    use crate::{BuildOptions, OpId, Runtime};
    use bytes::Bytes;
    use proptest::prelude::*;
    use proptest::sample::select;
    use std::path::PathBuf;

    /// The seed's shape: every caller field forwarded, three required fields.
    const SEED: &str = include_str!("../../../capabilities/oauth2-tokens.yaml");

    /// No `with`, an optional field, every scalar output type, a quoted member.
    const VARIANT: &str = r#"naftiko: 1.0.0-alpha2
info:
  label: Direct variant
  description: Form in, top-level fields out.
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9/base?v=2
    resources:
    - name: token
      path: /token
      operations:
      - name: get
        method: POST
        outputParameters:
        - name: access_token
          type: string
          value: $.access_token
        - name: expires
          type: number
          value: $.expires_in
        - name: active
          type: boolean
          value: $.active
        - name: data
          value: $.data
        - name: kind
          type: string
          value: $['token-type']
        - name: count
          type: integer
          value: $.data
        inputParameters:
        - name: client_id
          in: form
          type: string
          required: true
        - name: scope
          in: form
          type: string
  exposes:
  - type: rest
    namespace: rest
    port: 8080
    resources:
    - path: /token
      name: token
      operations:
      - method: POST
        name: get
        call: up.get
"#;

    pub(super) fn build(name: &str, yaml: &str) -> (Runtime, OpId) {
        let dir = std::env::temp_dir().join(format!("naftiko-direct-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file: PathBuf = dir.join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).unwrap();
        let validation =
            naftiko_validate::validate_paths(&[file], &naftiko_validate::Options::default());
        assert!(!validation.has_errors(), "{name} does not validate");
        let namespace = if yaml.contains("namespace: up\n") {
            "up"
        } else {
            "oauth2-tokens"
        };
        let options = BuildOptions {
            base_uris: vec![(namespace.into(), "http://127.0.0.1:9".into())],
            transport: Some(Arc::new(Recorder)),
            ..BuildOptions::new(Arc::new(crate::MapEnv::new([
                ("VECTARA_CLIENT_ID", "id"),
                ("VECTARA_CLIENT_SECRET", "secret"),
                ("ITEMS_KEY", "s3cr3t-key"),
                ("ITEMS_USER", "user"),
                ("ITEMS_PASSWORD", "pass:word"),
                ("region", "eu-west"),
            ])))
        };
        let runtime = Runtime::build(&validation, &options).expect("builds");
        let op = match runtime.rest_services().first() {
            Some(service) => service.routes[0].op,
            None => runtime.mcp_services()[0].tools[0].op,
        };
        (runtime, op)
    }

    /// One trace for every request of these tests, so that both paths send the same
    /// trace id and request id.
    pub(super) fn trace() -> &'static Trace {
        static TRACE: std::sync::OnceLock<Trace> = std::sync::OnceLock::new();
        TRACE.get_or_init(Trace::default)
    }

    /// The direct request for `req` in [`trace`]'s trace.
    pub(super) fn direct_request(plan: &DirectPlan, req: &DirectRequest<'_>) -> Option<Vec<u8>> {
        let t = trace();
        plan.request(
            req,
            &ClientCall::start(Parent {
                trace: t,
                span: t.span_id(),
            }),
        )
    }

    pub(super) fn no_headers() -> &'static http::HeaderMap {
        static NONE: std::sync::OnceLock<http::HeaderMap> = std::sync::OnceLock::new();
        NONE.get_or_init(http::HeaderMap::new)
    }

    pub(super) fn header_map(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    /// A request's bytes as text, its `traceparent`'s span id (new for every call) masked.
    pub(super) fn masked(request: &[u8]) -> String {
        let text = String::from_utf8_lossy(request).into_owned();
        let Some(at) = text.find("traceparent: 00-") else {
            return text;
        };
        let span = at + "traceparent: 00-".len() + 33;
        format!("{}{}{}", &text[..span], "x".repeat(16), &text[span + 16..])
    }

    fn runtimes() -> &'static [(Runtime, OpId)] {
        static BUILT: std::sync::OnceLock<Vec<(Runtime, OpId)>> = std::sync::OnceLock::new();
        BUILT.get_or_init(|| {
            vec![
                build("seed", SEED),
                build("variant", VARIANT),
                build("nested", &nested()),
            ]
        })
    }

    /// The variant with outputs of its own the general shaping shapes (nested properties
    /// and items, a path read by descendants, a literal value), none reading a value of
    /// the call.
    fn nested() -> String {
        VARIANT.replace(
            "        call: up.get\n",
            r#"        call: up.get
        outputParameters:
        - type: object
          properties:
            access:
              type: string
              mapping: $.access_token
            kinds:
              type: array
              mapping: $..type
            data:
              type: array
              mapping: $.data
              items:
                type: string
                mapping: $
            source:
              type: string
              value: fixed text
"#,
        )
    }

    thread_local! {
        /// What [`Recorder`] sent on this thread, and what it answers.
        static SENT: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
        static ANSWER: std::cell::RefCell<(u16, Bytes)> =
            const { std::cell::RefCell::new((200, Bytes::from_static(b"{}"))) };
        static TOKIO: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
    }

    /// A transport double: records each request as the h1 client writes it (the direct
    /// path's written-out requests as they are) and answers this thread's [`ANSWER`] as
    /// JSON. Invocations run on this thread ([`TOKIO`]), so tests running at once do not
    /// see each other's requests.
    #[derive(Debug)]
    pub(super) struct Recorder;

    impl crate::transport::Transport for Recorder {
        fn send<'a>(
            &'a self,
            request: crate::transport::Outgoing<'a>,
            _max_body: usize,
        ) -> crate::transport::Sending<'a> {
            use crate::transport::{Outgoing, Received};
            let bytes = match request {
                Outgoing::Written { bytes, .. } => bytes.to_vec(),
                Outgoing::Request {
                    method,
                    url,
                    headers,
                    body,
                } => {
                    let agent = HeaderValue::from_static(crate::transport::USER_AGENT);
                    let mut out =
                        crate::h1_client::request_head(method, url, headers, &agent).unwrap();
                    finish_request(&mut out, method, body.map(|b| &b[..]));
                    out
                }
            };
            SENT.with_borrow_mut(|s| s.push(bytes));
            let (status, body) = ANSWER.with_borrow(Clone::clone);
            let mut head = crate::transport::Head::default();
            head.note(b"content-type", b"application/json");
            Box::pin(async move {
                Ok(Received {
                    status,
                    head,
                    body: bytes::BytesMut::from(&body[..]),
                })
            })
        }

        fn takes_written(&self) -> bool {
            true
        }
    }

    /// The general path's upstream request for `inbound`, as the h1 client writes it; the
    /// invocation's error when it sends nothing.
    pub(super) fn general_request(
        runtime: &Runtime,
        op: OpId,
        inbound: &Inbound,
    ) -> Result<Vec<u8>, InvokeError> {
        SENT.with_borrow_mut(Vec::clear);
        let outcome = TOKIO.with(|t| t.block_on(runtime.invoke(op, inbound, trace())));
        match SENT.with_borrow_mut(std::mem::take).pop() {
            Some(sent) => Ok(sent),
            None => Err(outcome
                .err()
                .unwrap_or_else(|| InvokeError::Internal("nothing sent".into()))),
        }
    }

    /// The general path's outcome for `inbound` when the upstream answers `status` and
    /// `body` as JSON.
    pub(super) fn general_outcome(
        runtime: &Runtime,
        op: OpId,
        inbound: &Inbound,
        status: u16,
        body: Bytes,
    ) -> Result<Outcome, InvokeError> {
        ANSWER.with_borrow_mut(|a| *a = (status, body));
        TOKIO.with(|t| t.block_on(runtime.invoke(op, inbound, trace())))
    }

    /// An outcome as the REST adapter writes it: status, content type, body bytes and the
    /// passed-on headers; an error as its kind and message.
    pub(super) fn written(result: Result<Outcome, InvokeError>) -> String {
        match result {
            Ok(o) => {
                let (ct, body) = match o.body {
                    OutcomeBody::Json(v) => (Some("application/json".to_owned()), v.to_string()),
                    OutcomeBody::JsonText(text) => (
                        Some("application/json".to_owned()),
                        String::from_utf8_lossy(&text).into_owned(),
                    ),
                    OutcomeBody::Raw {
                        content_type,
                        bytes,
                    } => (content_type, String::from_utf8_lossy(&bytes).into_owned()),
                    OutcomeBody::Binary { media_type, bytes } => (
                        Some(media_type),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ),
                    OutcomeBody::Empty => (None, String::new()),
                };
                format!(
                    "{} {:?} {:?} {:?} {:?} {body}",
                    o.status, ct, o.upstream_status, o.cache_control, o.location
                )
            }
            Err(e) => format!("error {} {e}", e.kind()),
        }
    }

    fn inbound(content_type: Option<&str>, body: &[u8]) -> Result<Inbound, InvokeError> {
        let mut headers = http::HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_str(ct).unwrap(),
            );
        }
        Ok(Inbound {
            path: Vec::new(),
            query: Vec::new(),
            headers,
            body: InboundBody::parse(content_type, body)?,
        })
    }

    fn form_body() -> impl Strategy<Value = String> {
        let known = [
            "grant_type",
            "client_id",
            "client_secret",
            "scope",
            "body",
            "extra",
            "a+b",
            "%63lient_id",
        ];
        let name = prop_oneof![
            8 => select(known.to_vec()).prop_map(str::to_owned),
            1 => "[a-z%+]{0,4}",
        ];
        let value = "[a-zA-Z0-9 %+&=*._~é/-]{0,8}";
        let pair = (name, value, any::<bool>()).prop_map(|(n, v, eq)| {
            if eq || !v.is_empty() {
                format!("{n}={v}")
            } else {
                n
            }
        });
        prop_oneof![
            8 => proptest::collection::vec(pair, 0..6).prop_map(|p| p.join("&")),
            1 => "[ -~]{0,12}",
        ]
    }

    fn content_type() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            6 => Just(Some("application/x-www-form-urlencoded".to_owned())),
            1 => Just(Some(" Application/X-WWW-Form-URLencoded ; charset=utf-8".to_owned())),
            1 => Just(Some("application/json".to_owned())),
            1 => Just(Some("text/plain".to_owned())),
            1 => Just(None),
        ]
    }

    fn json_value() -> impl Strategy<Value = String> {
        let fixed = [
            "null",
            "true",
            "false",
            "18446744073709551615",
            "123456789012345678901234",
            "1.5",
            "3600.0",
            "1e3",
            "-0",
            "1e400",
            r#""3600""#,
            r#"" 42 ""#,
            r#""true""#,
            r#""2.5""#,
            r#""a\u00e9\n\"b\/""#,
            r#""\ud800""#,
        ];
        let leaf = prop_oneof![
            16 => select(fixed.to_vec()).prop_map(str::to_owned),
            1 => any::<i64>().prop_map(|i| i.to_string()),
            1 => "\"[a-zA-Z0-9 _.-]{0,10}\"",
        ];
        leaf.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec((json_key(), inner), 0..3).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn json_key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"access_token\"".to_owned()),
            Just("\"expires_in\"".to_owned()),
            Just("\"active\"".to_owned()),
            Just("\"data\"".to_owned()),
            Just("\"token-type\"".to_owned()),
            Just("\"access\\u005ftoken\"".to_owned()),
            Just("\"x\"".to_owned()),
        ]
    }

    fn answer_body() -> impl Strategy<Value = String> {
        let member =
            (json_key(), json_value(), " {0,2}").prop_map(|(k, v, ws)| format!("{k}{ws}:{ws}{v}"));
        prop_oneof![
            8 => proptest::collection::vec(member, 0..7)
                .prop_map(|m| format!("{{{}}}", m.join(","))),
            1 => json_value(),
            1 => "[ -~]{0,12}",
            1 => Just(String::new()),
            1 => Just(format!("{}{{\"access_token\":1}}{}", "[".repeat(130), "]".repeat(130))),
            1 => Just(format!("{{\"x\":{}1{}}}", "[".repeat(127), "]".repeat(127))),
            1 => Just(format!("{{\"x\":{}1{}}}", "[".repeat(126), "]".repeat(126))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whenever the plan takes a request, it sends what the general path sends.
        #[test]
        fn direct_requests_are_the_general_requests(
            which in 0usize..3,
            ct in content_type(),
            body in form_body(),
        ) {
            let (runtime, op) = &runtimes()[which];
            let plan = runtime.plan(*op);
            let plan = plan.expect("the shape has a direct plan");
            let req = DirectRequest {
                content_type: ct.as_deref(),
                query: None,
                path_params: &[],
                headers: no_headers(),
                body: body.as_bytes(),
            };
            if let Some(direct) = direct_request(plan, &req) {
                let general = inbound(ct.as_deref(), body.as_bytes())
                    .and_then(|i| general_request(runtime, *op, &i));
                prop_assert!(general.is_ok(), "general failed where direct served: {general:?}");
                let general = general.unwrap();
                prop_assert!(masked(&direct).contains("\r\nx-request-id: "));
                prop_assert_eq!(masked(&direct), masked(&general));
            }
        }

        /// Every answer is shaped as the general path shapes it.
        #[test]
        fn direct_answers_are_the_general_answers(
            which in 0usize..3,
            status in prop_oneof![8 => Just(200u16), 1 => Just(201), 1 => Just(204), 1 => Just(404), 1 => Just(503)],
            body in answer_body(),
        ) {
            let (runtime, op) = &runtimes()[which];
            let plan = runtime.plan(*op);
            let plan = plan.unwrap();
            let form = if which == 0 {
                "grant_type=g&client_id=c&client_secret=s"
            } else {
                "client_id=c"
            };
            let inbound = inbound(Some("application/x-www-form-urlencoded"), form.as_bytes()).unwrap();
            let bytes = Bytes::from(body);
            let general = general_outcome(runtime, *op, &inbound, status, bytes.clone());
            let direct = plan.shape(Answer {
                status,
                content_type: Some("application/json".into()),
                cache_control: None,
                location: None,
                body: bytes,
            });
            prop_assert_eq!(written(direct), written(general));
        }
    }

    #[test]
    fn the_seed_request_is_served_directly_and_odd_ones_are_declined() {
        let (runtime, op) = &runtimes()[0];
        let plan = runtime.plan(*op).unwrap();
        let form = "grant_type=client_credentials&client_id=demo&client_secret=s3cret";
        let req = |ct: Option<&'static str>, body: &'static str| DirectRequest {
            content_type: ct,
            query: None,
            path_params: &[],
            headers: no_headers(),
            body: body.as_bytes(),
        };
        let form_ct = Some("application/x-www-form-urlencoded");
        let sent = String::from_utf8(direct_request(plan, &req(form_ct, form)).unwrap()).unwrap();
        assert!(
            sent.starts_with("POST /oauth2/token HTTP/1.1\r\n"),
            "{sent}"
        );
        assert!(sent.ends_with(&format!("\r\n\r\n{form}")), "{sent}");
        // Declined: the general path answers these (and explains the errors).
        assert!(direct_request(plan, &req(form_ct, "grant_type=a&client_id=b")).is_none());
        assert!(
            direct_request(
                plan,
                &req(
                    form_ct,
                    "client_id=a&client_id=b&grant_type=c&client_secret=d"
                )
            )
            .is_none()
        );
        assert!(
            direct_request(
                plan,
                &req(form_ct, "body=x&grant_type=a&client_id=b&client_secret=c")
            )
            .is_none()
        );
        assert!(direct_request(plan, &req(Some("application/json"), "{}")).is_none());
        assert!(direct_request(plan, &req(form_ct, "  ")).is_none());
        let mut with_query = req(form_ct, form);
        with_query.query = Some("");
        assert!(direct_request(plan, &with_query).is_none());
        let mut body_header = req(form_ct, form);
        let headers = header_map(&[("body", "x")]);
        body_header.headers = &headers;
        assert!(direct_request(plan, &body_header).is_none());

        // A token answer is written by the plan itself (not the general `Value` path).
        let answer = |body: &'static str| Answer {
            status: 200,
            content_type: Some("application/json".into()),
            cache_control: Some("no-store".into()),
            location: None,
            body: Bytes::from_static(body.as_bytes()),
        };
        let outcome = plan
            .shape(answer(
                r#"{"token_type":"Bearer", "access_token" : "abc", "expires_in":3600}"#,
            ))
            .unwrap();
        assert_eq!(outcome.cache_control.as_deref(), Some("no-store"));
        match outcome.body {
            OutcomeBody::JsonText(bytes) => {
                assert_eq!(&bytes[..], br#"{"access_token":"abc","expires_in":3600}"#);
            }
            other => panic!("not written directly: {other:?}"),
        }
        // An answer that is not an object has nothing where the outputs look.
        let outcome = plan.shape(answer("[1]")).unwrap();
        assert!(
            matches!(&outcome.body, OutcomeBody::JsonText(b) if &b[..] == br#"{"access_token":null,"expires_in":null}"#),
            "{outcome:?}"
        );
        // So is one that is not UTF-8, with the general path's error.
        let bad: &[u8] = b"{\"access_token\":\"\xff\",\"expires_in\":1}";
        let form = inbound(form_ct, form.as_bytes()).unwrap();
        let general = general_outcome(runtime, *op, &form, 200, Bytes::from_static(bad));
        let mut not_utf8 = answer("");
        not_utf8.body = Bytes::from_static(bad);
        let direct = plan.shape(not_utf8);
        assert!(direct.is_err(), "{direct:?}");
        assert_eq!(written(direct), written(general));
    }

    /// Answers in formats other than JSON (converted, then shaped by the general shaping,
    /// or binary, passed on) come out as the general path makes them, errors included.
    #[test]
    fn answers_in_other_formats_are_the_general_answers() {
        let formats = [
            (
                "xml",
                &[
                    "<t><access_token>abc</access_token><expires_in>3600</expires_in></t>",
                    "<access_token>x</access_token>",
                    "<t><unclosed></t>",
                    "",
                ][..],
            ),
            (
                "csv",
                &["access_token,expires_in\nabc,3600\n", "a\n\"b", ""][..],
            ),
            (
                "yaml",
                &["access_token: abc\nexpires_in: 3600\n", "[: x", ""][..],
            ),
            (
                "binary",
                &["\u{0}\u{1}\u{7f}bytes", "{\"access_token\":1}", ""][..],
            ),
        ];
        let form = "client_id=c";
        let form = inbound(Some("application/x-www-form-urlencoded"), form.as_bytes()).unwrap();
        let with_format = |format: &str| {
            VARIANT.replace(
                "        method: POST\n        outputParameters:",
                &format!("        method: POST\n        outputRawFormat: {format}\n        outputParameters:"),
            )
        };
        for (format, bodies) in formats {
            let (runtime, op) = build(&format!("format-{format}"), &with_format(format));
            let plan = runtime
                .plan(op)
                .unwrap_or_else(|| panic!("{format} has a plan"));
            for body in bodies {
                let general = general_outcome(&runtime, op, &form, 200, Bytes::from(*body));
                let direct = plan.shape(Answer {
                    status: 200,
                    content_type: Some("application/json".into()),
                    cache_control: None,
                    location: None,
                    body: Bytes::from(*body),
                });
                assert_eq!(written(direct), written(general), "{format}: {body}");
            }
        }
        // A binary answer is read within its own limit, as on the general path.
        let (runtime, op) = build("format-binary", &with_format("binary"));
        let op_limit = runtime
            .plan(op)
            .map(|p| (p.limit, p.op.binary_limit(&p.exposure)));
        assert!(
            matches!(op_limit, Some((Some(a), Some(b))) if a == b),
            "{op_limit:?}"
        );
    }

    #[test]
    fn only_the_direct_shape_gets_a_plan() {
        // Outputs the general shaping shapes get a plan (`runtimes`), unless a template
        // of theirs reads a value of the call: the plan shapes without the call's scope.
        let reads_bind = nested()
            .replace("value: fixed text", "value: 'for {{ITEMS_KEY}}'")
            .replace(
                "capability:\n",
                "binds:\n- namespace: env\n  keys:\n    ITEMS_KEY: ITEMS_KEY\ncapability:\n",
            );
        let refused = [
            (
                "a `with` value other than the body",
                SEED.replace(
                    "        with:\n          body: rest.body",
                    "        with:\n          body: rest.body\n          client_id: fixed",
                ),
            ),
            ("an output reading a bound value", reads_bind),
            (
                "a parameter's value reading another parameter",
                VARIANT.replace(
                    "in: form\n          type: string\n          required: true",
                    "in: form\n          type: string\n          required: true\n          value: 'x-{{scope}}'",
                ),
            ),
        ];
        for (i, (why, yaml)) in refused.into_iter().enumerate() {
            let (runtime, op) = build(&format!("refused-{i}"), &yaml);
            assert!(runtime.plan(op).is_none(), "{why}");
        }
    }

    #[test]
    fn http_and_https_upstreams_without_a_proxy_get_a_plan() {
        // The transports naftiko picks itself (no test transport): the h1 client, which
        // takes written requests, unless a proxy sends the call through reqwest.
        let plan_for = |base: &str, env: &[(&str, &str)]| {
            let dir = std::env::temp_dir().join(format!("naftiko-direct-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("seed-own-transport.yaml");
            std::fs::write(&file, SEED).unwrap();
            let validation =
                naftiko_validate::validate_paths(&[file], &naftiko_validate::Options::default());
            let options = BuildOptions {
                base_uris: vec![("oauth2-tokens".into(), base.into())],
                ..BuildOptions::new(Arc::new(crate::MapEnv::new(env.iter().copied())))
            };
            let runtime = Runtime::build(&validation, &options).expect("builds");
            let op = runtime.rest_services()[0].routes[0].op;
            runtime.plan(op).is_some()
        };
        assert!(plan_for("http://127.0.0.1:9", &[]));
        assert!(plan_for("https://127.0.0.1:9", &[]));
        assert!(plan_for("https://auth.example.com", &[]));
        let proxy = [("HTTPS_PROXY", "http://127.0.0.1:3128")];
        assert!(!plan_for("https://auth.example.com", &proxy));
        assert!(plan_for("http://127.0.0.1:9", &proxy));
    }
}
