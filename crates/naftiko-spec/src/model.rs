//! The typed model of a Naftiko `1.0.0-alpha2` capability document.
//!
//! One model for both dialects (see `docs/semantics.md` §1): official constructs and the
//! community constructs naftiko accepts (`in: form`, `type`/`required` on consumed inputs,
//! `type: integer`, `authentication: {type: none}`, OpenAPI-style apikeys, untyped
//! objects and arrays, `description` on every exposes block). Which constructs are
//! outside the official schema is reported by [`crate::read`] while reading; the model
//! itself only records what was written.
//!
//! Every element keeps its [`Loc`] so later checks can point at it. Doc comments on fields
//! paraphrase the official schema's descriptions; they are also the descriptions in the
//! JSON Schema that `naftiko schema` prints.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::span::{Loc, Spanned};

/// A string with its location.
pub type Text = Spanned<String>;

/// A mapping whose keys keep their order and their location.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V> {
    /// The entries, in document order.
    pub entries: Vec<(Text, V)>,
}

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap {
            entries: Vec::new(),
        }
    }
}

impl<V> OrderedMap<V> {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(_, v)| v)
    }
    /// Iterates the entries.
    pub fn iter(&self) -> impl Iterator<Item = (&Text, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(&k.value, v)?;
        }
        map.end()
    }
}

impl<V: JsonSchema> JsonSchema for OrderedMap<V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let inner = generator.subschema_for::<V>();
        schemars::json_schema!({ "type": "object", "additionalProperties": inner })
    }
}

/// The specification a document follows: its root key and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spec {
    /// `naftiko: 1.0.0-alpha2` (alpha1 and alpha3 are read alike).
    #[default]
    Alpha2,
    /// `ikanos: 1.0.0-beta5` (`1.0.0-alpha3`, `-alpha4` and `-beta1` to `-beta4` are read
    /// alike: each is beta5 without some of its optional fields).
    Beta5,
}

impl Spec {
    /// The root key of documents of this version.
    pub fn root_key(self) -> &'static str {
        match self {
            Spec::Alpha2 => "naftiko",
            Spec::Beta5 => "ikanos",
        }
    }
    /// The version string this model describes.
    pub fn version(self) -> &'static str {
        match self {
            Spec::Alpha2 => "1.0.0-alpha2",
            Spec::Beta5 => "1.0.0-beta5",
        }
    }
    /// The key that holds a display name (`label` in alpha2, `display` in beta5).
    pub fn display_key(self) -> &'static str {
        match self {
            Spec::Alpha2 => "label",
            Spec::Beta5 => "display",
        }
    }
}

/// The whole document.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// Specification version: the value of `naftiko` (`1.0.0-alpha2`; alpha1 and alpha3
    /// are read alike) or of `ikanos` (`1.0.0-beta5`).
    pub naftiko: Option<Text>,
    /// Which specification the document follows.
    #[serde(skip)]
    pub spec: Spec,
    /// Human-readable metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<Info>,
    /// External variable bindings available file-wide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<Binding>,
    /// Shared consumed HTTP adapters (a "shared consumer file" has only these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<Consumes>,
    /// Technical body of the capability: what it exposes, consumes and aggregates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<Capability>,
    /// Exposes blocks at the root of a beta5 file that holds only them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposes: Vec<Exposes>,
    /// Aggregates at the root of a beta5 file that holds only them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<Aggregate>,
    /// Imports of binds, exposes blocks and aggregates (beta5), wherever they are written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportEntry>,
    /// Where the document is.
    #[serde(skip)]
    pub loc: Loc,
}

impl Document {
    /// The binds of the document, at its root and in its capability.
    pub fn all_binds(&self) -> impl Iterator<Item = &Binding> {
        self.binds
            .iter()
            .chain(self.capability.iter().flat_map(|c| c.binds.iter()))
    }
    /// The consumes entries of the document, at its root and in its capability.
    pub fn all_consumes(&self) -> impl Iterator<Item = &Consumes> {
        self.consumes
            .iter()
            .chain(self.capability.iter().flat_map(|c| c.consumes.iter()))
    }
    /// The exposes blocks of the document, at its root (beta5) and in its capability.
    pub fn all_exposes(&self) -> impl Iterator<Item = &Exposes> {
        self.exposes
            .iter()
            .chain(self.capability.iter().flat_map(|c| c.exposes.iter()))
    }
    /// The aggregates of the document, at its root (beta5) and in its capability.
    pub fn all_aggregates(&self) -> impl Iterator<Item = &Aggregate> {
        self.aggregates
            .iter()
            .chain(self.capability.iter().flat_map(|c| c.aggregates.iter()))
    }
}

/// Human-readable metadata.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// Display name of the capability.
    pub label: Option<Text>,
    /// What the capability does (the richer, the better agents can discover it).
    pub description: Option<Text>,
    /// Tags for discovery and filtering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// Creation date, `YYYY-MM-DD`.
    pub created: Option<Text>,
    /// Last modification date, `YYYY-MM-DD`.
    pub modified: Option<Text>,
    /// Version of the capability (beta5).
    pub version: Option<Text>,
    /// People related to the capability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stakeholders: Vec<Person>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A person related to the capability.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Role, e.g. owner, editor, viewer.
    pub role: Option<Text>,
    /// Full name.
    pub full_name: Option<Text>,
    /// Email address.
    pub email: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A binding to an external source of variables (environment or a file).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// Unique identifier; qualifies variables in templates (`{{namespace.VAR}}`).
    pub namespace: Option<Text>,
    /// What the binding is for.
    pub description: Option<Text>,
    /// URI of the value provider (`file://…`); when omitted, values come from the
    /// environment.
    pub location: Option<Text>,
    /// Variable name (SCREAMING_SNAKE_CASE) → key in the provider.
    pub keys: OrderedMap<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// The technical body of the capability.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    /// Bindings scoped to this capability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<Binding>,
    /// Server adapters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposes: Vec<Exposes>,
    /// Client adapters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumes: Vec<Consumes>,
    /// Domain aggregates with reusable functions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<Aggregate>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A consumed API: inline HTTP, or imported from another file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Consumes {
    /// An HTTP API declared here. Shared: every file that imports it, and every scope
    /// that can call it, holds the same one rather than a deep copy.
    Http(Arc<ConsumesHttp>),
    /// An HTTP API imported from another capability file.
    Import(Box<ImportedConsumes>),
}

impl Consumes {
    /// The namespace other parts of the capability use to refer to this API.
    pub fn namespace(&self) -> Option<&Text> {
        match self {
            Consumes::Http(h) => h.namespace.as_ref(),
            Consumes::Import(i) => i.local_name(),
        }
    }
    /// Where it is.
    pub fn loc(&self) -> &Loc {
        match self {
            Consumes::Http(h) => &h.loc,
            Consumes::Import(i) => &i.loc,
        }
    }
}

/// An HTTP API the capability calls.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumesHttp {
    /// Unique identifier used in `call: namespace.operation`.
    pub namespace: Option<Text>,
    /// What the API does.
    pub description: Option<Text>,
    /// Base URI, e.g. `https://api.example.org/v1` (no trailing `/`).
    pub base_uri: Option<Text>,
    /// Parameters sent with every operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// How to authenticate to the API.
    pub authentication: Option<Authentication>,
    /// An OpenZiti tunnel (beta5): naftiko refuses it, but reads it for the beta5 ruleset's
    /// tunnel rules (left out of the generated schema).
    #[serde(skip)]
    pub tunnel: Option<Tunnel>,
    /// The API's resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ConsumedResource>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A consumed API's OpenZiti reverse tunnel (beta5 `tunnel`), which naftiko cannot dial.
#[derive(Debug, Clone)]
pub struct Tunnel {
    /// The Ziti identity: a path, or a template over binds (`{{secrets.ZITI_IDENTITY}}`).
    pub identity: Option<Text>,
    /// `fail` (the default) or `direct` (dial `baseUri` when the tunnel cannot be opened).
    pub fallback: Option<Text>,
    /// Where the `tunnel` key is.
    pub loc: Loc,
}

/// A reference to a `ConsumesHttp` declared in another file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedConsumes {
    /// Path or `file://` URI of the source file, relative to this file.
    pub location: Option<Text>,
    /// Namespace of the adapter in the source file.
    pub import: Option<Text>,
    /// Local alias.
    #[serde(rename = "as")]
    pub alias: Option<Text>,
    /// What the API does.
    pub description: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Which section an import entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum ImportSection {
    Consumes,
    Binds,
    Exposes,
    Aggregates,
}

impl ImportSection {
    /// The section's key.
    pub fn key(self) -> &'static str {
        match self {
            ImportSection::Consumes => "consumes",
            ImportSection::Binds => "binds",
            ImportSection::Exposes => "exposes",
            ImportSection::Aggregates => "aggregates",
        }
    }
    /// What one entry of the section is, for messages (`an exposes block`).
    pub fn entry_name(self) -> &'static str {
        match self {
            ImportSection::Consumes => "consumed API",
            ImportSection::Binds => "bind",
            ImportSection::Exposes => "exposes block",
            ImportSection::Aggregates => "aggregate",
        }
    }
}

/// A beta5 import of a bind, an exposes block or an aggregate declared in another file
/// (`{from, import, as}`); consumed APIs are imported as [`ImportedConsumes`]. Validation
/// resolves it and puts a copy of the imported entry (named by `as` when given) in its
/// place, so that the rest of naftiko sees it as if it were written inline.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportEntry {
    /// The section the entry is in.
    #[serde(skip)]
    pub section: ImportSection,
    /// True when the section is under `capability` (false: at the document's root).
    #[serde(skip)]
    pub in_capability: bool,
    /// How many inline entries of its section come before it: where the imported entry
    /// goes once resolved.
    #[serde(skip)]
    pub position: usize,
    /// The imported entry's fields.
    #[serde(flatten)]
    pub entry: ImportedConsumes,
}

/// One import entry of a document, whatever its section (see [`Document::import_entries`]).
#[derive(Debug, Clone, Copy)]
pub struct ImportRef<'a> {
    /// The section the entry is in.
    pub section: ImportSection,
    /// True when the section is under `capability`.
    pub in_capability: bool,
    /// How many inline entries of its section come before it (0 for consumed APIs, which
    /// are not copied into the importer).
    pub position: usize,
    /// The entry's fields.
    pub entry: &'a ImportedConsumes,
}

impl Document {
    /// Every import entry of the document, section by section, in document order:
    /// imported consumed APIs (root, then `capability`), then the imports of binds,
    /// exposes blocks and aggregates.
    pub fn import_entries(&self) -> Vec<ImportRef<'_>> {
        let mut out = consumes_imports(&self.consumes, false);
        if let Some(cap) = &self.capability {
            out.extend(consumes_imports(&cap.consumes, true));
        }
        out.extend(self.imports.iter().map(|i| ImportRef {
            section: i.section,
            in_capability: i.in_capability,
            position: i.position,
            entry: &i.entry,
        }));
        out
    }
}

/// The consumed APIs of `list` that are imported.
fn consumes_imports(list: &[Consumes], in_capability: bool) -> Vec<ImportRef<'_>> {
    list.iter()
        .filter_map(|c| match c {
            Consumes::Import(i) => Some(ImportRef {
                section: ImportSection::Consumes,
                in_capability,
                position: 0,
                entry: i,
            }),
            Consumes::Http(_) => None,
        })
        .collect()
}

impl ImportedConsumes {
    /// The name the imported entry takes here: `as`, else `import`.
    pub fn local_name(&self) -> Option<&Text> {
        self.alias.as_ref().or(self.import.as_ref())
    }
}

/// A consumed resource: a path and its operations.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedResource {
    /// Technical name.
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// What the resource is.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// Path appended to `baseUri`; `{name}` and `{{name}}` are path variables.
    pub path: Option<Text>,
    /// Parameters shared by the resource's operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// The operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<ConsumedOperation>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    /// Community dialect: outside the official schema's five methods.
    Head,
    /// Community dialect: outside the official schema's five methods.
    Options,
}

impl Method {
    /// The method's name, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

impl RawFormat {
    /// True for the formats whose bodies `naftiko run` reads for output parameters; the
    /// others can only be passed through. The one list both `validate` and the engine use
    /// (every format is converted today; a new one starts outside the list).
    pub fn is_converted(self) -> bool {
        matches!(
            self,
            RawFormat::Json
                | RawFormat::Text
                | RawFormat::Binary
                | RawFormat::Xml
                | RawFormat::Yaml
                | RawFormat::Csv
                | RawFormat::Tsv
                | RawFormat::Psv
                | RawFormat::Html
                | RawFormat::Markdown
                | RawFormat::Avro
                | RawFormat::Protobuf
        )
    }
}

/// Formats an upstream body can be converted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum RawFormat {
    Json,
    Xml,
    Avro,
    Protobuf,
    Csv,
    Tsv,
    Psv,
    Yaml,
    Html,
    Markdown,
    /// Community dialect: plain text, passed through (or the whole text as a string).
    Text,
    /// Community dialect: bytes, passed through as they came.
    Binary,
}

/// An upstream HTTP operation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedOperation {
    /// Name, unique within the namespace (`call: namespace.name`).
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// What the operation does.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// HTTP method.
    pub method: Option<Spanned<Method>>,
    /// Parameters of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// Format of the upstream body (default json).
    pub output_raw_format: Option<Spanned<RawFormat>>,
    /// Schema file for avro/protobuf bodies.
    pub output_schema: Option<Text>,
    /// Media type of a binary upstream body (beta5).
    pub output_media_type: Option<Text>,
    /// Largest binary body accepted, e.g. `5MiB` (beta5).
    pub max_binary_size: Option<Text>,
    /// Values extracted from the response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_parameters: Vec<OutputParameter>,
    /// Request body.
    pub body: Option<RequestBody>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Where a parameter goes (consumed side) or comes from (exposed side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ParamLocation {
    /// URL query string.
    Query,
    /// HTTP header.
    Header,
    /// Path variable.
    Path,
    /// Cookie.
    Cookie,
    /// JSON body field (or the whole body for a parameter named `body`).
    Body,
    /// Environment variable (consumed side only).
    Environment,
    /// `application/x-www-form-urlencoded` body field (community dialect; `formData` too).
    Form,
}

/// Data types of parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum DataType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
}

impl DataType {
    /// The type's name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Number => "number",
            DataType::Integer => "integer",
            DataType::Boolean => "boolean",
            DataType::Array => "array",
            DataType::Object => "object",
        }
    }
}

/// An input parameter. The same shape serves consumed operations (`name`, `in`, `value`),
/// exposed REST operations (`name`, `in`, `type`, `description`, `pattern`, `value`), MCP
/// tools and aggregate functions (`name`, `type`, `description`, `required`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InputParameter {
    /// Name of the parameter.
    pub name: Option<Text>,
    /// Location of the parameter.
    #[serde(rename = "in")]
    pub location: Option<Spanned<ParamLocation>>,
    /// Expected data type.
    #[serde(rename = "type")]
    pub data_type: Option<Spanned<DataType>>,
    /// What the parameter means.
    pub description: Option<Text>,
    /// Whether the parameter must be given (default true for tools).
    pub required: Option<Spanned<bool>>,
    /// Regex the value must match (strings only).
    pub pattern: Option<Text>,
    /// Static value or template.
    pub value: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Data types of output parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum OutputType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
}

impl OutputType {
    /// True for string, number, integer and boolean.
    pub fn is_scalar(self) -> bool {
        !matches!(self, OutputType::Object | OutputType::Array)
    }
    /// The type's name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::String => "string",
            OutputType::Number => "number",
            OutputType::Integer => "integer",
            OutputType::Boolean => "boolean",
            OutputType::Object => "object",
            OutputType::Array => "array",
        }
    }
}

/// An output parameter: extracted from a response (`value`/`mapping` hold a JSONPath),
/// populated by step mappings (orchestrated, named), or a static/mock value.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputParameter {
    /// Name (consumed, orchestrated and mock outputs).
    pub name: Option<Text>,
    /// Data type.
    #[serde(rename = "type")]
    pub data_type: Option<Spanned<OutputType>>,
    /// JSONPath extracting the value (exposed outputs).
    pub mapping: Option<Text>,
    /// JSONPath (consumed outputs) or static value/template (exposed and mock outputs).
    pub value: Option<Text>,
    /// Schema-level constant, for linting only.
    #[serde(rename = "const")]
    pub constant: Option<serde_json::Value>,
    /// Named properties of an object.
    pub properties: Option<OrderedMap<OutputParameter>>,
    /// Element description of an array.
    pub items: Option<OutputItems>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// The `items` of an array output: one element shape (mapped) or a list (orchestrated).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum OutputItems {
    /// One element shape.
    One(Box<OutputParameter>),
    /// A list of element shapes.
    Many(Vec<OutputParameter>),
}

/// A request body.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RequestBody {
    /// A raw string body (a template).
    Raw(Text),
    /// A typed body.
    Typed(TypedBody),
}

/// A request body with a declared type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TypedBody {
    /// json, text, xml, sparql, formUrlEncoded or multipartForm.
    #[serde(rename = "type")]
    pub kind: Spanned<BodyKind>,
    /// The data: a template string, or structured data whose strings are templates.
    pub data: Option<Spanned<serde_json::Value>>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Kinds of typed request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum BodyKind {
    Json,
    Text,
    Xml,
    Sparql,
    FormUrlEncoded,
    MultipartForm,
}

/// Authentication, to an upstream (consumes) or of inbound requests (exposes).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Authentication {
    /// No authentication (community dialect).
    None {
        /// Where it is.
        #[serde(skip)]
        loc: Loc,
    },
    /// HTTP Basic.
    Basic(UserPassword),
    /// HTTP Digest.
    Digest(UserPassword),
    /// Bearer token.
    Bearer(BearerAuth),
    /// API key in a header or query parameter.
    #[serde(rename = "apikey")]
    ApiKey(ApiKeyAuth),
    /// OAuth 2.0.
    #[serde(rename = "oauth2")]
    OAuth2(Box<OAuth2Auth>),
}

impl Authentication {
    /// Where it is.
    pub fn loc(&self) -> &Loc {
        match self {
            Authentication::None { loc } => loc,
            Authentication::Basic(a) | Authentication::Digest(a) => &a.loc,
            Authentication::Bearer(a) => &a.loc,
            Authentication::ApiKey(a) => &a.loc,
            Authentication::OAuth2(a) => &a.loc,
        }
    }
}

/// Username and password (basic, digest).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UserPassword {
    /// User name (template).
    pub username: Option<Text>,
    /// Password (template; a secret).
    pub password: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A bearer token.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BearerAuth {
    /// The token (template; a secret).
    pub token: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum ApiKeyPlacement {
    Header,
    Query,
}

/// An API key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApiKeyAuth {
    /// Header or query parameter name (OpenAPI's `name` is read here too).
    pub key: Option<Text>,
    /// The key's value (template; a secret).
    pub value: Option<Text>,
    /// header or query (OpenAPI's `in` is read here too).
    pub placement: Option<Spanned<ApiKeyPlacement>>,
    /// Community dialect: several key headers at once (`headers: {X-Key-Id: …, X-Access-Key: …}`).
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub headers: OrderedMap<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// OAuth 2.0 settings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Auth {
    /// Authorization server issuing the tokens.
    pub authorization_server_uri: Option<Text>,
    /// This resource's identifier (RFC 8707).
    pub resource: Option<Text>,
    /// Scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Text>,
    /// Expected audience.
    pub audience: Option<Text>,
    /// Token endpoint.
    pub token_endpoint: Option<Text>,
    /// jwks or introspection.
    pub token_validation: Option<Text>,
    /// naftiko extension (consumed APIs): the OAuth 2.0 client identifier for the
    /// client-credentials grant.
    pub client_id: Option<Text>,
    /// naftiko extension (consumed APIs): the client secret for the client-credentials grant.
    pub client_secret: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A server adapter.
// One value per exposes block of a file, read once: the size of the largest variant costs
// nothing worth an extra indirection on every access.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Exposes {
    /// REST endpoints.
    Rest(ExposesRest),
    /// An MCP server.
    Mcp(ExposesMcp),
    /// An Agent Skills catalog.
    Skill(ExposesSkill),
    /// Health, metrics and status.
    Control(ExposesControl),
}

impl Exposes {
    /// `rest`, `mcp`, `skill` or `control`.
    pub fn kind(&self) -> &'static str {
        match self {
            Exposes::Rest(_) => "rest",
            Exposes::Mcp(_) => "mcp",
            Exposes::Skill(_) => "skill",
            Exposes::Control(_) => "control",
        }
    }
    /// The block's namespace (control blocks have none).
    pub fn namespace(&self) -> Option<&Text> {
        match self {
            Exposes::Rest(e) => e.namespace.as_ref(),
            Exposes::Mcp(e) => e.namespace.as_ref(),
            Exposes::Skill(e) => e.namespace.as_ref(),
            Exposes::Control(_) => None,
        }
    }
    /// Renames the block (how an import's `as` applies); control blocks have no namespace
    /// and are left as they are.
    pub fn rename(&mut self, namespace: Text) {
        match self {
            Exposes::Rest(e) => e.namespace = Some(namespace),
            Exposes::Mcp(e) => e.namespace = Some(namespace),
            Exposes::Skill(e) => e.namespace = Some(namespace),
            Exposes::Control(_) => {}
        }
    }
    /// Listening address, if given.
    pub fn address(&self) -> Option<&Text> {
        match self {
            Exposes::Rest(e) => e.address.as_ref(),
            Exposes::Mcp(e) => e.address.as_ref(),
            Exposes::Skill(e) => e.address.as_ref(),
            Exposes::Control(e) => e.address.as_ref(),
        }
    }
    /// Listening port, if given (stdio MCP servers have none).
    pub fn port(&self) -> Option<&Spanned<u16>> {
        match self {
            Exposes::Rest(e) => e.port.as_ref(),
            Exposes::Mcp(e) => e.port.as_ref(),
            Exposes::Skill(e) => e.port.as_ref(),
            Exposes::Control(e) => e.port.as_ref(),
        }
    }
    /// Where it is.
    pub fn loc(&self) -> &Loc {
        match self {
            Exposes::Rest(e) => &e.loc,
            Exposes::Mcp(e) => &e.loc,
            Exposes::Skill(e) => &e.loc,
            Exposes::Control(e) => &e.loc,
        }
    }
}

/// A REST server adapter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposesRest {
    /// Listening address (default 0.0.0.0).
    pub address: Option<Text>,
    /// Listening port.
    pub port: Option<Spanned<u16>>,
    /// Unique identifier of this API.
    pub namespace: Option<Text>,
    /// What the API is for (community dialect).
    pub description: Option<Text>,
    /// Authentication required on inbound requests.
    pub authentication: Option<Authentication>,
    /// Largest binary body served, e.g. `5MiB` (beta5).
    pub max_binary_size: Option<Text>,
    /// Exposed resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ExposedResource>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An exposed REST resource.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposedResource {
    /// Technical name.
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// What the resource is.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// Path; `{x}` and `{{x}}` are path variables.
    pub path: Option<Text>,
    /// Inputs shared by the operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// Operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<ExposedOperation>,
    /// Forward requests to a consumed namespace as they are.
    pub forward: Option<Forward>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Forwarding of a resource's requests to a consumed API.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Forward {
    /// The consumed namespace to forward to.
    pub target_namespace: Option<Text>,
    /// Inbound headers passed on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_headers: Vec<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A value in a `with` block: a string (reference, template or literal) or a number.
pub type WithValue = Spanned<serde_json::Value>;

/// What an invocable unit runs: shared by REST operations, MCP tools and resources, and
/// aggregate functions.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Reference to an aggregate function, `aggregate.function`.
    #[serde(rename = "ref")]
    pub reference: Option<Text>,
    /// Reference to a consumed operation, `namespace.operation`.
    pub call: Option<Text>,
    /// Values for the called operation's inputs.
    #[serde(default)]
    pub with: OrderedMap<WithValue>,
    /// Orchestration steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Step outputs → output parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mappings: Vec<StepMapping>,
    /// Shape of the result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_parameters: Vec<OutputParameter>,
}

/// An exposed REST operation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposedOperation {
    /// Technical name.
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// What it does.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// HTTP method (default GET).
    pub method: Option<Spanned<Method>>,
    /// Declared inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// Declared responses by status (beta5), kept as written.
    pub responses: Option<Spanned<serde_json::Value>>,
    /// Binary response shorthand (beta5), kept as written.
    pub response_binary: Option<Spanned<serde_json::Value>>,
    /// What it runs.
    #[serde(flatten)]
    pub invocation: Invocation,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

impl ExposedOperation {
    /// The media type its response contract declares for raw bytes: `responseBinary`'s
    /// `mediaType`, else the first `responses` content with `binary: true` (a 2xx status
    /// before the others).
    pub fn binary_media_type(&self) -> Option<&str> {
        if let Some(b) = &self.response_binary {
            return b.value.get("mediaType").and_then(serde_json::Value::as_str);
        }
        let responses = self.responses.as_ref()?.value.as_object()?;
        let success = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .find_map(|(_, r)| binary_content(r));
        success.or_else(|| responses.values().find_map(binary_content))
    }
}

/// The media type of a `responses` entry's content marked `binary: true`.
fn binary_content(response: &serde_json::Value) -> Option<&str> {
    let content = response.get("content")?.as_object()?;
    content
        .iter()
        .find(|(_, c)| c.get("binary") == Some(&serde_json::Value::Bool(true)))
        .map(|(media, _)| media.as_str())
}

/// An MCP server adapter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposesMcp {
    /// `http` (Streamable HTTP, default) or `stdio`.
    pub transport: Option<Text>,
    /// Listening address.
    pub address: Option<Text>,
    /// Listening port (http transport).
    pub port: Option<Spanned<u16>>,
    /// Unique identifier of this server.
    pub namespace: Option<Text>,
    /// Server instructions sent during initialization.
    pub description: Option<Text>,
    /// Authentication on inbound requests.
    pub authentication: Option<Authentication>,
    /// Largest binary body served, e.g. `25MiB` (beta5).
    pub max_binary_size: Option<Text>,
    /// How long clients may cache answers, in milliseconds (beta5).
    pub ttl_ms: Option<Spanned<i64>>,
    /// `public` or `private` (beta5).
    pub cache_scope: Option<Text>,
    /// Tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<McpTool>,
    /// Resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<McpResource>,
    /// Prompt templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<McpPrompt>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An MCP tool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpTool {
    /// Tool name.
    pub name: Option<Text>,
    /// Display name (MCP `title`).
    pub label: Option<Text>,
    /// What the tool does.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// Inputs; they become the tool's input schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// Behaviour hints.
    pub hints: Option<McpToolHints>,
    /// What it runs.
    #[serde(flatten)]
    pub invocation: Invocation,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// MCP tool annotations.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpToolHints {
    /// Does not modify its environment.
    pub read_only: Option<Spanned<bool>>,
    /// May perform destructive updates.
    pub destructive: Option<Spanned<bool>>,
    /// Repeating has no additional effect.
    pub idempotent: Option<Spanned<bool>>,
    /// May interact with external entities.
    pub open_world: Option<Spanned<bool>>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An MCP resource.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpResource {
    /// Resource name.
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// Resource URI (`{param}` placeholders make it a template).
    pub uri: Option<Text>,
    /// What the resource holds.
    pub description: Option<Text>,
    /// MIME type.
    pub mime_type: Option<Text>,
    /// Static content file (`file:///…`).
    pub location: Option<Text>,
    /// The content is bytes, answered as blob contents (beta5).
    pub binary: Option<Spanned<bool>>,
    /// What it runs (dynamic resources).
    #[serde(flatten)]
    pub invocation: Invocation,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An MCP prompt template.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpPrompt {
    /// Prompt name.
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// When to use it.
    pub description: Option<Text>,
    /// Arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<McpPromptArgument>,
    /// Inline messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template: Vec<McpPromptMessage>,
    /// Template file (`file:///…`).
    pub location: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A prompt argument.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpPromptArgument {
    /// Name (`{{name}}` in the template).
    pub name: Option<Text>,
    /// Display name.
    pub label: Option<Text>,
    /// What it means.
    pub description: Option<Text>,
    /// Whether it must be given (default true).
    pub required: Option<Spanned<bool>>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A prompt message.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpPromptMessage {
    /// `user` or `assistant`.
    pub role: Option<Text>,
    /// Content with `{{arg}}` placeholders.
    pub content: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An Agent Skills catalog adapter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposesSkill {
    /// Listening address.
    pub address: Option<Text>,
    /// Listening port.
    pub port: Option<Spanned<u16>>,
    /// Unique identifier.
    pub namespace: Option<Text>,
    /// What the catalog is for.
    pub description: Option<Text>,
    /// Authentication on inbound requests.
    pub authentication: Option<Authentication>,
    /// Skills.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<ExposedSkill>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// One skill of a catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ExposedSkill {
    /// Skill name.
    pub name: Option<Text>,
    /// What the skill does.
    pub description: Option<Text>,
    /// Licence.
    pub license: Option<Text>,
    /// Environment requirements.
    pub compatibility: Option<Text>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: OrderedMap<Text>,
    /// Tools the skill may use.
    pub allowed_tools: Option<Text>,
    /// Hint for arguments.
    pub argument_hint: Option<Text>,
    /// Whether a user can invoke it.
    pub user_invocable: Option<Spanned<bool>>,
    /// Whether the model may not invoke it.
    pub disable_model_invocation: Option<Spanned<bool>>,
    /// Directory of skill files (`file:///…`).
    pub location: Option<Text>,
    /// The skill's tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<SkillTool>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A tool of a skill: derived from another adapter's operation, or an instruction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillTool {
    /// Tool name.
    pub name: Option<Text>,
    /// What it does.
    pub description: Option<Text>,
    /// The adapter operation it comes from.
    pub from: Option<SkillToolFrom>,
    /// Instruction text.
    pub instruction: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Source of a derived skill tool.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillToolFrom {
    /// Namespace of the exposing adapter.
    pub source_namespace: Option<Text>,
    /// Operation or tool name in it.
    pub action: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// The control adapter: health, metrics, status.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExposesControl {
    /// Listening address (default localhost).
    pub address: Option<Text>,
    /// Listening port.
    pub port: Option<Spanned<u16>>,
    /// What the control port is for (community dialect).
    pub description: Option<Text>,
    /// Authentication on inbound requests.
    pub authentication: Option<Authentication>,
    /// Management endpoints (kept as written).
    pub management: Option<serde_json::Value>,
    /// Observability settings (kept as written).
    pub observability: Option<serde_json::Value>,
    /// Scripting defaults from `management.scripting`.
    #[serde(skip)]
    pub scripting_defaults: ScriptingDefaults,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// `management.scripting` of the control adapter: defaults and limits for script steps
/// (each field as written; absent when not written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptingDefaults {
    /// `enabled` (script steps run unless it is `false`).
    pub enabled: Option<Spanned<bool>>,
    /// `defaultLocation`: the scripts directory of steps without `location`.
    pub location: Option<Text>,
    /// `defaultLanguage`: the language of steps without `language`.
    pub language: Option<Text>,
    /// `timeout`, in milliseconds.
    pub timeout: Option<Spanned<u64>>,
    /// `statementLimit`.
    pub statement_limit: Option<Spanned<u64>>,
    /// `allowedLanguages` (empty: no restriction).
    pub allowed_languages: Vec<Text>,
}

/// A domain aggregate grouping reusable functions.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    /// Display name.
    pub label: Option<Text>,
    /// Qualifier, the first part of `ref: aggregate.function`.
    pub namespace: Option<Text>,
    /// Functions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<AggregateFunction>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A reusable function of an aggregate.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AggregateFunction {
    /// Function name.
    pub name: Option<Text>,
    /// What it does.
    pub description: Option<Text>,
    /// Tags for discovery (beta5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Text>,
    /// Media type of the flow's binary result (beta5).
    pub output_media_type: Option<Text>,
    /// Behavioural metadata.
    pub semantics: Option<Semantics>,
    /// Inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_parameters: Vec<InputParameter>,
    /// What it runs.
    #[serde(flatten)]
    pub invocation: Invocation,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Transport-neutral behaviour of a function.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Semantics {
    /// Does not modify state.
    pub safe: Option<Spanned<bool>>,
    /// Repeating has no additional effect.
    pub idempotent: Option<Spanned<bool>>,
    /// The result can be cached.
    pub cacheable: Option<Spanned<bool>>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// An orchestration step.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `call`, `lookup` or `script`.
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    /// Step name; later templates refer to `{{name.output}}`.
    pub name: Option<Text>,
    /// Consumed operation to call (call steps).
    pub call: Option<Text>,
    /// Inputs of the call or script.
    #[serde(default)]
    pub with: OrderedMap<WithValue>,
    /// Step whose output is searched (lookup steps).
    pub index: Option<Text>,
    /// Field compared (lookup steps).
    #[serde(rename = "match")]
    pub match_field: Option<Text>,
    /// Value looked up (lookup steps; a template).
    pub lookup_value: Option<Text>,
    /// Fields kept from the match (lookup steps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_parameters: Vec<Text>,
    /// Script language (script steps).
    pub language: Option<Text>,
    /// Script directory (script steps).
    pub location: Option<Text>,
    /// Script file (script steps).
    pub file: Option<Text>,
    /// Script dependencies (script steps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// Maps a step output to an output parameter.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepMapping {
    /// Output parameter name (dotted for nesting).
    pub target_name: Option<Text>,
    /// Source (JSONPath over step outputs, or a template).
    pub value: Option<Text>,
    /// Where it is.
    #[serde(skip)]
    pub loc: Loc,
}

/// A JSON Schema (draft 2020-12) of the document, generated from this model, for editors.
///
/// It describes what naftiko accepts, community dialect included; `naftiko validate`
/// remains the authority (it also checks references, templates and JSONPaths).
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::SchemaGenerator::default()
        .into_root_schema_for::<Document>()
        .to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://naftiko.io/schemas/naftiko-rs/document.json".into(),
        );
        obj.insert(
            "title".into(),
            "Naftiko capability document (as read by naftiko)".into(),
        );
    }
    schema
}

/// The JSON Schema of documents of `spec`: [`json_schema`] for alpha2; for beta5 the same
/// model under beta5's spellings (`ikanos`, `display`, `flows`, `target`, named things as
/// mappings keyed by name).
pub fn json_schema_for(spec: Spec) -> serde_json::Value {
    let mut schema = json_schema();
    if spec == Spec::Beta5 {
        beta5_spellings(&mut schema);
        if let Some(obj) = schema.as_object_mut() {
            obj.insert(
                "$id".into(),
                "https://naftiko.io/schemas/naftiko-rs/document-beta5.json".into(),
            );
            obj.insert(
                "title".into(),
                "Ikanos 1.0.0-beta5 capability document (as read by naftiko)".into(),
            );
        }
    }
    schema
}

/// Renames alpha2 keys to their beta5 spelling, and turns lists of named things into
/// mappings keyed by name, everywhere in a generated schema.
fn beta5_spellings(value: &mut serde_json::Value) {
    const RENAMED: &[(&str, &str)] = &[
        ("naftiko", "ikanos"),
        ("label", "display"),
        ("functions", "flows"),
        ("targetName", "target"),
    ];
    const NAMED: &[&str] = &[
        "tools",
        "resources",
        "operations",
        "steps",
        "inputParameters",
        "skills",
        "prompts",
        "arguments",
        "flows",
    ];
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get_mut("properties") {
                let entries = std::mem::take(props);
                for (key, mut sub) in entries {
                    let key = RENAMED
                        .iter()
                        .find(|(from, _)| *from == key)
                        .map_or(key, |(_, to)| (*to).to_string());
                    if NAMED.contains(&key.as_str())
                        && let Some(items) = sub.get("items").cloned()
                    {
                        sub =
                            serde_json::json!({ "type": "object", "additionalProperties": items });
                    }
                    props.insert(key, sub);
                }
            }
            map.values_mut().for_each(beta5_spellings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(beta5_spellings),
        _ => {}
    }
}
