//! The Agent Skills catalog adapter: one skill service of the runtime (an `exposes: type:
//! skill` block, or the catalog `--expose skill` derives) served read-only over HTTP.
//!
//! | route | answer |
//! |---|---|
//! | `GET /skills` | `{"count","skills":[{"name","description"[,"license"],"tools":[names]}]}` |
//! | `GET /skills/{name}` | the skill's metadata and tools (derived tools with their schemas) |
//! | `GET /skills/{name}/SKILL.md` | its own `SKILL.md`, or one generated from the catalog data |
//! | `GET /skills/{name}/contents` | `{"name","files":[{"path","size","type"}]}` |
//! | `GET /skills/{name}/contents/{file…}` | one file (`SKILL.md` included) |
//! | `GET /skills/{name}/download` | a zip whose entries sit under a `<name>/` folder |
//!
//! `HEAD` is answered like `GET`; any other method gets 405. Every error is
//! `application/problem+json`: 404 for an unknown skill or file, 400 for an unsafe path.
//!
//! A skill's files are those under its `location` directory. They are read only from
//! inside that directory's canonical path: requested segments must match
//! `^[a-zA-Z0-9._-]+$` and not be `.` or `..`, and a symlink that resolves outside the
//! directory is refused (400) when asked for and left out of listings and downloads;
//! symlinked directories are never followed. Listings and downloads hold only files whose
//! every segment is safe, so whatever is listed can be fetched.
//!
//! The generated `SKILL.md` has YAML front matter (`name`, `description` and the optional
//! Agent Skills fields), a *When to use* section, and per tool its inputs, outputs and how to
//! call it: a `curl` command for a REST operation, a `tools/call` request for an MCP tool, a
//! link for an instruction file. Downloads are built in memory (stored entries) and refused
//! above [`MAX_SKILL_BYTES`].

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS};
use http::{Method, Request, StatusCode};
use naftiko_engine::catalog::{mime_of, safe_segment};
use naftiko_engine::skills::{RestCall, SkillService, SkillSpec, SkillTool, SkillToolKind};
use naftiko_engine::trace::Trace;
use naftiko_engine::{McpListen, Runtime, ToolSpec};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use crate::problem;
use crate::traced::SpanNote;

/// Largest size of a skill download (all its files together), and of one file served.
pub const MAX_SKILL_BYTES: u64 = 32 * 1024 * 1024;

/// Most files listed or archived for one skill.
const MAX_FILES: usize = 10_000;

/// Deepest directory level walked under a skill's location.
const MAX_DEPTH: usize = 32;

/// Name of a skill's main file.
const SKILL_MD: &str = "SKILL.md";

/// What the handler of one skill listener needs.
struct SkillApp {
    runtime: Arc<Runtime>,
    service: usize,
    bound: Arc<BoundAddresses>,
}

/// Where the server bound each exposes namespace (the real ports when `:0` was asked for),
/// so that generated `SKILL.md` files document them.
#[derive(Debug, Default)]
pub struct BoundAddresses(pub Vec<(String, std::net::SocketAddr)>);

impl BoundAddresses {
    /// Where `namespace` listens, once bound.
    pub fn of(&self, namespace: &str) -> Option<std::net::SocketAddr> {
        self.0.iter().find(|(n, _)| n == namespace).map(|(_, a)| *a)
    }
}

/// The axum router of one skill catalog: `service` indexes [`Runtime::skill_services`].
pub fn router(runtime: Arc<Runtime>, service: usize, bound: Arc<BoundAddresses>) -> axum::Router {
    axum::Router::new()
        .fallback(handle)
        .with_state(Arc::new(SkillApp {
            runtime,
            service,
            bound,
        }))
}

/// The endpoint a request path names (segments still percent-encoded).
enum Endpoint<'a> {
    Catalog,
    Detail(&'a str),
    SkillMd(&'a str),
    Contents(&'a str),
    File(&'a str, &'a [&'a str]),
    Download(&'a str),
}

impl Endpoint<'_> {
    /// The route template, for the access log.
    fn route(&self) -> &'static str {
        match self {
            Endpoint::Catalog => "/skills",
            Endpoint::Detail(_) => "/skills/{name}",
            Endpoint::SkillMd(_) => "/skills/{name}/SKILL.md",
            Endpoint::Contents(_) => "/skills/{name}/contents",
            Endpoint::File(..) => "/skills/{name}/contents/{file}",
            Endpoint::Download(_) => "/skills/{name}/download",
        }
    }
}

fn endpoint<'a>(segments: &'a [&'a str]) -> Option<Endpoint<'a>> {
    match segments {
        ["skills"] => Some(Endpoint::Catalog),
        ["skills", name] => Some(Endpoint::Detail(name)),
        ["skills", name, "SKILL.md"] => Some(Endpoint::SkillMd(name)),
        ["skills", name, "contents"] => Some(Endpoint::Contents(name)),
        ["skills", name, "contents", file @ ..] => Some(Endpoint::File(name, file)),
        ["skills", name, "download"] => Some(Endpoint::Download(name)),
        _ => None,
    }
}

async fn handle(State(app): State<Arc<SkillApp>>, request: Request<Body>) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let trace = request.extensions().get::<Trace>();
    let request_id = trace.map_or("-", |t| t.request_id().as_str()).to_owned();
    let trace_id = trace.map(|t| *t.trace_hex());
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
    let (mut response, route) = match endpoint(&segments) {
        None => (
            problem::problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "no skill catalog endpoint has this path",
                Map::new(),
            ),
            "-",
        ),
        Some(e) if method != Method::GET && method != Method::HEAD => (
            problem::method_not_allowed(&method, &[Method::GET, Method::HEAD]),
            e.route(),
        ),
        Some(e) => (respond(&app, &e).await, e.route()),
    };
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "naftiko::access",
        method = %method,
        route = %route,
        status,
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        request_id = %request_id,
        trace_id = %trace_id.as_ref().map_or("-", |t| t.as_str()),
        "request"
    );
    let route = (route != "-").then_some(route);
    response.extensions_mut().insert(SpanNote {
        route,
        attributes: Vec::new(),
    });
    response
}

async fn respond(app: &SkillApp, endpoint: &Endpoint<'_>) -> Response {
    let Some(service) = app.runtime.skill_services().get(app.service) else {
        return Fail::Internal("this skill catalog is not configured".to_owned()).response();
    };
    let name = match endpoint {
        Endpoint::Catalog => return json_response(&catalog(service)),
        Endpoint::Detail(n)
        | Endpoint::SkillMd(n)
        | Endpoint::Contents(n)
        | Endpoint::File(n, _)
        | Endpoint::Download(n) => n,
    };
    let skill = match decode(name) {
        Ok(name) => match service.skills.iter().find(|s| s.name == name) {
            Some(s) => s,
            None => return Fail::NotFound(format!("no skill is named `{name}`")).response(),
        },
        Err(f) => return f.response(),
    };
    if let Endpoint::Detail(_) = endpoint {
        return json_response(&detail(skill));
    }
    let file = match endpoint {
        Endpoint::File(_, raw) => match safe_segments(raw) {
            Ok(segments) => Some(segments),
            Err(f) => return f.response(),
        },
        _ => None,
    };
    let generated = generate_skill_md(&app.runtime, &app.bound, skill);
    let skill = skill.clone();
    let work = match endpoint {
        Endpoint::SkillMd(_) => Work::SkillMd,
        Endpoint::Contents(_) => Work::Contents,
        Endpoint::Download(_) => Work::Download,
        _ => Work::File(file.unwrap_or_default()),
    };
    match tokio::task::spawn_blocking(move || work.run(&skill, generated)).await {
        Ok(Ok(response)) => response,
        Ok(Err(f)) => f.response(),
        Err(e) => Fail::Internal(format!("reading the skill's files failed: {e}")).response(),
    }
}

/// Filesystem work, run on the blocking pool.
enum Work {
    SkillMd,
    Contents,
    File(Vec<String>),
    Download,
}

impl Work {
    fn run(self, skill: &SkillSpec, generated: String) -> Result<Response, Fail> {
        match self {
            Work::SkillMd => {
                // Served even when the location directory is missing: the generated one.
                let root = location_root(skill).ok().flatten();
                skill_md_response(root.as_deref(), generated)
            }
            Work::Contents => {
                let root = location_root(skill)?;
                let files = skill_files(root.as_deref(), &generated)?;
                let list: Vec<Value> = files
                    .iter()
                    .map(|f| json!({"path": f.path, "size": f.size, "type": mime_of(&f.path)}))
                    .collect();
                Ok(json_response(&json!({"name": skill.name, "files": list})))
            }
            Work::File(segments) if segments.len() == 1 && segments[0] == SKILL_MD => {
                let root = location_root(skill).ok().flatten();
                skill_md_response(root.as_deref(), generated)
            }
            Work::File(segments) => {
                let root = location_root(skill)?;
                let Some(root) = root else {
                    return Err(Fail::NotFound(format!(
                        "skill `{}` has no location directory, so no file but {SKILL_MD}",
                        skill.name
                    )));
                };
                let file = resolve(&root, &segments)?;
                let bytes = read_limited(&file)?;
                let path = segments.join("/");
                Ok(file_response(mime_of(&path), bytes))
            }
            Work::Download => {
                let root = location_root(skill)?;
                let folder = if safe_segment(&skill.name) {
                    skill.name.clone()
                } else {
                    "skill".to_owned()
                };
                let bytes = zip_skill(&folder, root.as_deref(), &generated)?;
                let mut response = (StatusCode::OK, bytes).into_response();
                let headers = response.headers_mut();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/zip"));
                if let Ok(v) =
                    HeaderValue::from_str(&format!("attachment; filename=\"{folder}.zip\""))
                {
                    headers.insert(CONTENT_DISPOSITION, v);
                }
                Ok(response)
            }
        }
    }
}

/// Why a request cannot be answered.
enum Fail {
    NotFound(String),
    BadPath(String),
    TooLarge(String),
    Internal(String),
}

impl Fail {
    fn response(&self) -> Response {
        let (status, kind, detail) = match self {
            Fail::NotFound(d) => (StatusCode::NOT_FOUND, "not-found", d),
            Fail::BadPath(d) => (StatusCode::BAD_REQUEST, "invalid-path", d),
            Fail::TooLarge(d) => (StatusCode::INTERNAL_SERVER_ERROR, "skill-too-large", d),
            Fail::Internal(d) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", d),
        };
        problem::problem(status, kind, detail, Map::new())
    }
}

fn json_response(value: &Value) -> Response {
    let mut response = (StatusCode::OK, value.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn file_response(media_type: &'static str, bytes: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    let value = if media_type.starts_with("text/") {
        HeaderValue::from_str(&format!("{media_type}; charset=utf-8"))
            .unwrap_or_else(|_| HeaderValue::from_static(media_type))
    } else {
        HeaderValue::from_static(media_type)
    };
    headers.insert(CONTENT_TYPE, value);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Percent-decodes one path segment.
fn decode(raw: &str) -> Result<String, Fail> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Fail::BadPath("a path segment is not valid percent-encoded UTF-8".to_owned()))
}

/// The decoded segments of a requested file path, all safe.
fn safe_segments(raw: &[&str]) -> Result<Vec<String>, Fail> {
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let s = decode(r)?;
        if !safe_segment(&s) {
            return Err(Fail::BadPath(
                "file paths are relative, `/`-separated names of letters, digits, `.`, `_` and `-` (no `..`)"
                    .to_owned(),
            ));
        }
        out.push(s);
    }
    if out.is_empty() || out.len() > MAX_DEPTH {
        return Err(Fail::BadPath(
            "the file path is empty or too deep".to_owned(),
        ));
    }
    Ok(out)
}

/// The canonical location directory of a skill (`None` when it declares none).
fn location_root(skill: &SkillSpec) -> Result<Option<PathBuf>, Fail> {
    let Some(location) = &skill.location else {
        return Ok(None);
    };
    match std::fs::canonicalize(location) {
        Ok(p) if p.is_dir() => Ok(Some(p)),
        _ => {
            tracing::warn!(
                target: "naftiko::skill",
                skill = %skill.name,
                location = %location.display(),
                "the skill's location is not a directory"
            );
            Err(Fail::NotFound(format!(
                "the location directory of skill `{}` does not exist",
                skill.name
            )))
        }
    }
}

/// A file under `root`, symlinks resolved: 400 when it resolves outside, 404 when missing.
fn resolve(root: &Path, segments: &[String]) -> Result<PathBuf, Fail> {
    let mut path = root.to_path_buf();
    path.extend(segments);
    let missing = || Fail::NotFound(format!("no file `{}` in this skill", segments.join("/")));
    let real = std::fs::canonicalize(&path).map_err(|_| missing())?;
    if !real.starts_with(root) {
        return Err(Fail::BadPath(
            "the path leads outside the skill's location".to_owned(),
        ));
    }
    if !real.is_file() {
        return Err(missing());
    }
    Ok(real)
}

/// Reads a file of at most [`MAX_SKILL_BYTES`].
fn read_limited(path: &Path) -> Result<Vec<u8>, Fail> {
    let size = std::fs::metadata(path)
        .map_err(|e| Fail::Internal(format!("cannot read a skill file: {e}")))?
        .len();
    if size > MAX_SKILL_BYTES {
        return Err(Fail::TooLarge(format!(
            "the file is larger than {MAX_SKILL_BYTES} bytes"
        )));
    }
    std::fs::read(path).map_err(|e| Fail::Internal(format!("cannot read a skill file: {e}")))
}

/// The skill's own `SKILL.md` under `root`, if it has one.
fn own_skill_md(root: Option<&Path>) -> Option<PathBuf> {
    resolve(root?, &[SKILL_MD.to_owned()]).ok()
}

fn skill_md_response(root: Option<&Path>, generated: String) -> Result<Response, Fail> {
    let bytes = match own_skill_md(root) {
        Some(own) => read_limited(&own)?,
        None => generated.into_bytes(),
    };
    Ok(file_response("text/markdown", bytes))
}

/// One file of a skill.
struct SkillFile {
    /// Relative, `/`-separated.
    path: String,
    /// Where it is read from (`None`: the generated `SKILL.md`).
    source: Option<PathBuf>,
    size: u64,
}

/// Every regular file under `root` whose segments are all safe, sorted by path; symlinks to
/// files inside `root` count, symlinked directories are not followed.
fn walk(root: &Path) -> Result<Vec<SkillFile>, Fail> {
    let io = |e: std::io::Error| Fail::Internal(format!("cannot list the skill's files: {e}"));
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !safe_segment(&name) {
                continue;
            }
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let source = if kind.is_dir() {
                if depth + 1 < MAX_DEPTH {
                    stack.push((entry.path(), rel, depth + 1));
                }
                continue;
            } else if kind.is_file() {
                entry.path()
            } else if kind.is_symlink() {
                match std::fs::canonicalize(entry.path()) {
                    Ok(real) if real.starts_with(root) && real.is_file() => real,
                    _ => continue,
                }
            } else {
                continue;
            };
            let size = std::fs::metadata(&source).map_err(io)?.len();
            out.push(SkillFile {
                path: rel,
                source: Some(source),
                size,
            });
            if out.len() > MAX_FILES {
                return Err(Fail::TooLarge(format!(
                    "the skill has more than {MAX_FILES} files"
                )));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The skill's files: `SKILL.md` (its own, or the generated one) and everything under its
/// location, sorted by path.
fn skill_files(root: Option<&Path>, generated: &str) -> Result<Vec<SkillFile>, Fail> {
    let mut files = match root {
        Some(root) => walk(root)?,
        None => Vec::new(),
    };
    if !files.iter().any(|f| f.path == SKILL_MD) {
        files.push(SkillFile {
            path: SKILL_MD.to_owned(),
            source: None,
            size: generated.len() as u64,
        });
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(files)
}

/// A zip of the skill's files under `folder/`, built in memory.
fn zip_skill(folder: &str, root: Option<&Path>, generated: &str) -> Result<Vec<u8>, Fail> {
    let files = skill_files(root, generated)?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let too_large = || {
        Fail::TooLarge(format!(
            "the skill's files add up to more than {MAX_SKILL_BYTES} bytes"
        ))
    };
    if total > MAX_SKILL_BYTES {
        return Err(too_large());
    }
    let zip_error = |e: zip::result::ZipError| Fail::Internal(format!("cannot build the zip: {e}"));
    let io_error = |e: std::io::Error| Fail::Internal(format!("cannot build the zip: {e}"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    zip.add_directory(format!("{folder}/"), options)
        .map_err(zip_error)?;
    let mut written: u64 = 0;
    for f in &files {
        // Each folder has its own entry, before its first file.
        for (i, _) in f.path.match_indices('/') {
            let parent = &f.path[..=i];
            if dirs.insert(parent.to_owned()) {
                zip.add_directory(format!("{folder}/{parent}"), options)
                    .map_err(zip_error)?;
            }
        }
        let bytes = match &f.source {
            Some(source) => read_limited(source)?,
            None => generated.as_bytes().to_vec(),
        };
        written += bytes.len() as u64;
        if written > MAX_SKILL_BYTES {
            return Err(too_large());
        }
        zip.start_file(format!("{folder}/{}", f.path), options)
            .map_err(zip_error)?;
        zip.write_all(&bytes).map_err(io_error)?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

/// The catalog: every skill with its tool names.
fn catalog(service: &SkillService) -> Value {
    let skills: Vec<Value> = service
        .skills
        .iter()
        .map(|s| {
            let mut m = Map::new();
            m.insert("name".to_owned(), json!(s.name));
            m.insert("description".to_owned(), json!(s.description));
            if let Some(l) = &s.license {
                m.insert("license".to_owned(), json!(l));
            }
            let tools: Vec<&str> = s.tools.iter().map(|t| t.name.as_str()).collect();
            m.insert("tools".to_owned(), json!(tools));
            Value::Object(m)
        })
        .collect();
    json!({"count": skills.len(), "skills": skills})
}

/// One skill's metadata and tools.
fn detail(skill: &SkillSpec) -> Value {
    let mut m = Map::new();
    m.insert("name".to_owned(), json!(skill.name));
    m.insert("description".to_owned(), json!(skill.description));
    for (key, value) in [
        ("license", &skill.license),
        ("compatibility", &skill.compatibility),
        ("argument-hint", &skill.argument_hint),
        ("allowed-tools", &skill.allowed_tools),
    ] {
        if let Some(v) = value {
            m.insert(key.to_owned(), json!(v));
        }
    }
    if let Some(b) = skill.user_invocable {
        m.insert("user-invocable".to_owned(), json!(b));
    }
    if let Some(b) = skill.disable_model_invocation {
        m.insert("disable-model-invocation".to_owned(), json!(b));
    }
    if !skill.metadata.is_empty() {
        let meta: Map<String, Value> = skill
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        m.insert("metadata".to_owned(), Value::Object(meta));
    }
    let tools: Vec<Value> = skill
        .tools
        .iter()
        .map(|t| {
            let mut o = Map::new();
            o.insert("name".to_owned(), json!(t.name));
            o.insert("description".to_owned(), json!(t.description));
            match &t.kind {
                SkillToolKind::Derived {
                    namespace,
                    action,
                    mode,
                    tool,
                    ..
                } => {
                    o.insert("type".to_owned(), json!("derived"));
                    o.insert(
                        "invocationRef".to_owned(),
                        json!({"targetNamespace": namespace, "action": action, "mode": mode}),
                    );
                    if let Some(spec) = tool {
                        o.insert("inputSchema".to_owned(), spec.input_schema.clone());
                        if let Some(out) = &spec.output_schema {
                            o.insert("outputSchema".to_owned(), out.clone());
                        }
                    }
                }
                SkillToolKind::Instruction { path } => {
                    o.insert("type".to_owned(), json!("instruction"));
                    o.insert("instruction".to_owned(), json!(path));
                }
            }
            Value::Object(o)
        })
        .collect();
    m.insert("tools".to_owned(), json!(tools));
    Value::Object(m)
}

/// A YAML double-quoted scalar (safe for any text).
fn yaml_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for one Markdown table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A shell single-quoted word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A host as written in a URL a client on this machine can use.
fn client_host(address: &str) -> String {
    match address {
        "" | "0.0.0.0" => "127.0.0.1".to_owned(),
        "::" | "[::]" => "[::1]".to_owned(),
        a if a.contains(':') && !a.starts_with('[') => format!("[{a}]"),
        a => a.to_owned(),
    }
}

/// `http://HOST:PORT` (`<port>` when the port is chosen at startup).
fn base_url(address: &str, port: u16) -> String {
    let host = client_host(address);
    if port == 0 {
        format!("http://{host}:<port>")
    } else {
        format!("http://{host}:{port}")
    }
}

/// The type of a schema property, for people (`string`, `array of integer`, …).
fn type_of(schema: &Value) -> String {
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    match schema
        .get("items")
        .and_then(|i| i.get("type"))
        .and_then(Value::as_str)
    {
        Some(item) if ty == "array" => format!("array of {item}"),
        _ => ty,
    }
}

/// An example value of a schema property.
fn example(name: &str, schema: &Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => json!(format!("<{name}>")),
    }
}

/// `(name, property schema, required)` of an object schema.
fn properties(schema: &Value) -> Vec<(String, Value, bool)> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.clone(), v.clone(), required.contains(&k.as_str())))
                .collect()
        })
        .unwrap_or_default()
}

fn describe(schema: &Value) -> String {
    cell(
        schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or(""),
    )
}

fn inputs_table(out: &mut String, tool: &ToolSpec) {
    let props = properties(&tool.input_schema);
    if props.is_empty() {
        out.push_str("**Inputs:** none.\n\n");
        return;
    }
    out.push_str(
        "**Inputs:**\n\n| Name | Type | Required | Description |\n| --- | --- | --- | --- |\n",
    );
    for (name, schema, required) in &props {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cell(name),
            cell(&type_of(schema)),
            if *required { "yes" } else { "no" },
            describe(schema)
        );
    }
    out.push('\n');
}

fn outputs_table(out: &mut String, tool: &ToolSpec) {
    let Some(schema) = &tool.output_schema else {
        return;
    };
    let props = properties(schema);
    if props.is_empty() {
        return;
    }
    out.push_str(
        "**Outputs** (a JSON object):\n\n| Name | Type | Description |\n| --- | --- | --- |\n",
    );
    for (name, schema, _) in &props {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            cell(name),
            cell(&type_of(schema)),
            describe(schema)
        );
    }
    out.push('\n');
}

/// Path variables (`{name}`) of a REST path.
fn path_variables(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim().to_owned())
        .collect()
}

fn rest_howto(out: &mut String, call: &RestCall, tool: Option<&ToolSpec>) {
    let vars = path_variables(&call.path);
    let others: Vec<(String, Value, bool)> = tool
        .map(|t| properties(&t.input_schema))
        .unwrap_or_default()
        .into_iter()
        .filter(|(n, _, _)| !vars.contains(n))
        .collect();
    let method = call.method.to_ascii_uppercase();
    let has_body = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
    let mut url = format!("{}{}", base_url(&call.address, call.port), call.path);
    if !has_body && !others.is_empty() {
        let query: Vec<String> = others
            .iter()
            .map(|(n, _, _)| format!("{n}={{{n}}}"))
            .collect();
        url.push('?');
        url.push_str(&query.join("&"));
    }
    out.push_str("**How to call it** (REST):\n\n```sh\n");
    let _ = write!(out, "curl -X {method} {}", shell_quote(&url));
    if has_body {
        let body: Map<String, Value> = others
            .iter()
            .map(|(n, s, _)| (n.clone(), example(n, s)))
            .collect();
        let _ = write!(
            out,
            " \\\n  -H 'Content-Type: application/json' \\\n  -d {}",
            shell_quote(&Value::Object(body).to_string())
        );
    }
    out.push_str("\n```\n\n");
    let mut notes = Vec::new();
    if !vars.is_empty() {
        notes.push("Replace each `{name}` in the URL with its value.");
    }
    if has_body && !others.is_empty() {
        notes.push("Fill the JSON body with the inputs (leave out optional ones you do not need).");
    } else if !others.is_empty() {
        notes.push(
            "Pass the other inputs as query parameters (leave out optional ones you do not need).",
        );
    }
    if call.port == 0 {
        notes.push("The port was chosen when the server started: use the one it logged.");
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "{}\n", notes.join(" "));
    }
}

fn mcp_howto(
    out: &mut String,
    runtime: &Runtime,
    bound: &BoundAddresses,
    namespace: &str,
    tool: &ToolSpec,
) {
    let server = runtime
        .mcp_services()
        .iter()
        .find(|m| m.namespace == namespace)
        .map(|m| match &m.listen {
            McpListen::Http(address, port) => {
                let port = bound.of(namespace).map_or(*port, |a| a.port());
                format!("Streamable HTTP at `{}/mcp`", base_url(address, port))
            }
            McpListen::Stdio => "stdio".to_owned(),
        })
        .unwrap_or_else(|| "its configured transport".to_owned());
    let args: Map<String, Value> = properties(&tool.input_schema)
        .iter()
        .map(|(n, s, _)| (n.clone(), example(n, s)))
        .collect();
    let request = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool.name, "arguments": args},
    });
    let _ = write!(
        out,
        "**How to call it** (MCP): call the tool `{}` of the MCP server `{namespace}` ({server}) with the arguments:\n\n```json\n{}\n```\n\nAs a JSON-RPC request:\n\n```json\n{}\n```\n\n",
        tool.name,
        serde_json::to_string_pretty(&Value::Object(args)).unwrap_or_default(),
        request
    );
}

/// What a skill tool does: its own description, else its operation's description or title.
fn description_of(tool: &SkillTool) -> Option<&str> {
    let spec = match &tool.kind {
        SkillToolKind::Derived {
            tool: Some(spec), ..
        } => Some(spec),
        _ => None,
    };
    [
        Some(tool.description.as_str()),
        spec.and_then(|s| s.description.as_deref()),
        spec.and_then(|s| s.title.as_deref()),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|d| !d.is_empty())
}

/// The first sentence of a text.
fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// The `SKILL.md` generated for a skill from the catalog data: front matter, when to use it,
/// and each tool's inputs, outputs and how to call it.
pub fn generate_skill_md(runtime: &Runtime, bound: &BoundAddresses, skill: &SkillSpec) -> String {
    let mut out = front_matter(skill);
    when_to_use(&mut out, skill);
    out.push_str("## Tools\n\n");
    if skill.tools.is_empty() {
        out.push_str("This skill declares no tools.\n");
    }
    for t in &skill.tools {
        tool_section(&mut out, runtime, bound, skill, t);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The front matter (the Agent Skills fields) and the title.
fn front_matter(skill: &SkillSpec) -> String {
    let mut out = String::from("---\n");
    let _ = writeln!(out, "name: {}", yaml_str(&skill.name));
    let _ = writeln!(out, "description: {}", yaml_str(&skill.description));
    for (key, value) in [
        ("license", &skill.license),
        ("compatibility", &skill.compatibility),
        ("allowed-tools", &skill.allowed_tools),
        ("argument-hint", &skill.argument_hint),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "{key}: {}", yaml_str(v));
        }
    }
    for (key, value) in [
        ("user-invocable", skill.user_invocable),
        ("disable-model-invocation", skill.disable_model_invocation),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "{key}: {v}");
        }
    }
    if !skill.metadata.is_empty() {
        out.push_str("metadata:\n");
        for (k, v) in &skill.metadata {
            let _ = writeln!(out, "  {}: {}", yaml_str(k), yaml_str(v));
        }
    }
    out.push_str("---\n\n");
    let _ = writeln!(out, "# {}\n", skill.name);
    if !skill.description.trim().is_empty() {
        let _ = writeln!(out, "{}\n", skill.description.trim());
    }
    out
}

/// `## When to use`: the description's first sentence and what each tool is for.
fn when_to_use(out: &mut String, skill: &SkillSpec) {
    out.push_str("## When to use\n\n");
    let summary = first_sentence(&skill.description).trim_end_matches('.');
    let lead = if summary.is_empty() {
        "Use this skill when a task needs".to_owned()
    } else {
        format!(
            "Use this skill when a task is about this: *{}*. It fits when the task needs",
            cell(summary)
        )
    };
    if skill.tools.is_empty() {
        let _ = writeln!(out, "{lead} its instructions.\n");
    } else {
        let _ = writeln!(out, "{lead} to:\n");
        for t in &skill.tools {
            match description_of(t) {
                Some(what) => {
                    let _ = writeln!(out, "- {} (`{}`)", cell(what.trim_end_matches('.')), t.name);
                }
                None => {
                    let _ = writeln!(out, "- `{}`", t.name);
                }
            }
        }
        out.push('\n');
    }
    if let Some(hint) = &skill.argument_hint {
        let _ = writeln!(out, "Arguments: `{}`\n", hint.replace('`', "'"));
    }
    if skill.disable_model_invocation == Some(true) {
        out.push_str("Load it only when asked to explicitly.\n\n");
    }
}

/// One tool's section: what it runs, its inputs, how to call it, its outputs; or its
/// instructions.
fn tool_section(
    out: &mut String,
    runtime: &Runtime,
    bound: &BoundAddresses,
    skill: &SkillSpec,
    t: &SkillTool,
) {
    let _ = writeln!(out, "### {}\n", t.name);
    if let Some(what) = description_of(t) {
        let _ = writeln!(out, "{what}\n");
    }
    match &t.kind {
        SkillToolKind::Derived {
            namespace,
            action,
            mode,
            tool,
            rest,
        } => {
            let _ = writeln!(out, "Runs `{action}` of `{namespace}` ({mode}).\n");
            if let Some(spec) = tool {
                inputs_table(out, spec);
            }
            match (*mode, rest, tool) {
                ("rest", Some(call), spec) => {
                    // The real port when `:0` was asked for.
                    let mut call = call.clone();
                    if let Some(addr) = bound.of(namespace) {
                        call.port = addr.port();
                    }
                    rest_howto(out, &call, spec.as_ref());
                }
                ("mcp", _, Some(spec)) => mcp_howto(out, runtime, bound, namespace, spec),
                _ => {
                    let _ = writeln!(
                        out,
                        "**Not available:** `{namespace}` has no operation or tool named `{action}`.\n"
                    );
                }
            }
            if let Some(spec) = tool {
                outputs_table(out, spec);
            }
        }
        SkillToolKind::Instruction { path } => {
            let is_file =
                skill.location.is_some() && !path.is_empty() && path.split('/').all(safe_segment);
            if is_file {
                let _ = writeln!(out, "**Instructions:** [{path}]({path})\n");
            } else if path.trim().is_empty() {
                out.push_str("**Instructions:** none given.\n\n");
            } else {
                out.push_str("**Instructions:**\n\n");
                for line in path.trim().lines() {
                    let _ = writeln!(out, "> {line}");
                }
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_segments_are_refused() {
        for bad in ["..", ".", "", "a b", "a%2Fb", "%2E%2E", "x\\y"] {
            assert!(safe_segments(&[bad]).is_err(), "{bad}");
        }
        assert_eq!(
            safe_segments(&["docs", "guide.md"]).ok().unwrap(),
            vec!["docs".to_owned(), "guide.md".to_owned()]
        );
    }

    #[test]
    fn yaml_strings_are_quoted_and_escaped() {
        assert_eq!(yaml_str("a: \"b\"\n\\"), r#""a: \"b\"\n\\""#);
        assert_eq!(yaml_str("\u{7}"), r#""\u0007""#);
    }

    #[test]
    fn hosts_are_usable_by_local_clients() {
        assert_eq!(base_url("0.0.0.0", 80), "http://127.0.0.1:80");
        assert_eq!(base_url("::", 80), "http://[::1]:80");
        assert_eq!(base_url("::1", 0), "http://[::1]:<port>");
        assert_eq!(base_url("localhost", 8), "http://localhost:8");
    }
}
