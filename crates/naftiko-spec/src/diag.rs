//! Diagnostics: what `naftiko validate` reports, with a stable rule id and a location.
//!
//! Every check in naftiko appends [`Diagnostic`]s to a list; nothing stops at the first
//! problem. The rule ids are stable (tools and CI configurations may match on them) and
//! listed in [`RULES`]; the reference ruleset's 23 rules keep their original ids.

use serde::Serialize;

use crate::span::Loc;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file cannot be run as written; `naftiko validate` exits 1.
    Error,
    /// Worth fixing, but the file still runs.
    Warning,
    /// A suggestion (the reference ruleset's "info" rules).
    Info,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding about one place in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// How serious it is (after `--strict` promotion, if applied).
    pub severity: Severity,
    /// Stable rule id, e.g. `unknown-key` or `naftiko-namespaces-unique`.
    pub rule: &'static str,
    /// What is wrong, naming the field.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// Where it is.
    pub loc: Loc,
    /// True when the construct is outside the official `1.0.0-alpha2` schema but naftiko
    /// accepts it (community dialect, unknown keys): a warning by default, an error under
    /// `--strict`.
    pub deviation: bool,
}

impl Diagnostic {
    /// An error.
    pub fn error(rule: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, rule, loc, message)
    }

    /// A warning.
    pub fn warning(rule: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, rule, loc, message)
    }

    /// A warning about a construct outside the official schema (an error under `--strict`).
    pub fn deviation(rule: &'static str, loc: Loc, message: impl Into<String>) -> Self {
        let mut d = Self::new(Severity::Warning, rule, loc, message);
        d.deviation = true;
        d
    }

    /// A diagnostic of the given severity.
    pub fn new(
        severity: Severity,
        rule: &'static str,
        loc: Loc,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            rule,
            message: message.into(),
            hint: None,
            loc,
            deviation: false,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Applies `--strict`: deviations from the official schema become errors.
    pub fn apply_strict(&mut self) {
        if self.deviation {
            self.severity = Severity::Error;
        }
    }
}

/// A rule naftiko can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// Default severity (deviations are listed as warnings).
    pub severity: Severity,
    /// One line saying what the rule checks.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($konst:ident = $id:literal, $sev:ident, $summary:literal;)*) => {
        /// Rule id constants, so checks and tests cannot misspell them.
        pub mod rule {
            $(#[doc = $summary] pub const $konst: &str = $id;)*
        }
        /// Every rule naftiko reports, with its default severity.
        pub const RULES: &[RuleInfo] = &[
            $(RuleInfo { id: $id, severity: Severity::$sev, summary: $summary },)*
        ];
    };
}

rules! {
    FILE_UNREADABLE = "file-unreadable", Error, "The file cannot be read, is too large, or is not UTF-8 text.";
    FILE_EMPTY = "file-empty", Error, "The file holds no YAML document.";
    YAML_SYNTAX = "yaml-syntax", Error, "The file is not well-formed YAML.";
    YAML_DUPLICATE_KEY = "yaml-duplicate-key", Error, "A mapping has the same key twice; YAML parsers would silently keep only one.";
    YAML_LIMIT = "yaml-limit", Error, "The document nests too deeply or expands too many aliases (a YAML bomb).";
    YAML_MULTI_DOCUMENT = "yaml-multi-document", Error, "The file holds more than one YAML document.";
    YAML_MERGE_KEY = "yaml-merge-key", Warning, "A `<<` merge key was expanded; it is not part of YAML 1.2 or JSON.";
    YAML_TAG = "yaml-tag", Warning, "A custom YAML tag was ignored.";
    TYPE_MISMATCH = "type-mismatch", Error, "A value has the wrong type (e.g. a list where a string is expected).";
    REQUIRED_FIELD = "required-field", Error, "A field the document needs is missing.";
    INVALID_VALUE = "invalid-value", Error, "A value is not one of the allowed values, or out of range.";
    PATTERN_MISMATCH = "pattern-mismatch", Warning, "A value does not match the format the official schema requires (deviation).";
    UNKNOWN_KEY = "unknown-key", Warning, "A key the model does not know; it is kept but has no effect (deviation).";
    CONFLICTING_FIELDS = "conflicting-fields", Error, "Fields that exclude each other are used together, or none of the required alternatives is given.";
    SCHEMA_CONSTRAINT = "schema-constraint", Warning, "A structure the official schema does not allow, though naftiko can run it (deviation).";
    UNSUPPORTED_VERSION = "unsupported-version", Warning, "The version is a neighbour of one naftiko reads: `naftiko` 1.0.0-alpha1/alpha3 are read as 1.0.0-alpha2, `ikanos` 1.0.0-alpha3/alpha4/beta1-beta4 as 1.0.0-beta5 (deviation).";
    VERSION_UNKNOWN = "version-unknown", Error, "The `naftiko`/`ikanos` version is not one naftiko reads; one error lists the supported versions and the rest of the file is not checked.";
    UNSUPPORTED_FEATURE = "unsupported-feature", Error, "A construct of the specification that naftiko cannot run (an OpenZiti `tunnel`); `run` refuses it too.";
    DIALECT_PARAM_LOCATION = "dialect-param-location", Warning, "Community dialect: `in: form`/`formData` on a consumed input (deviation).";
    DIALECT_CONSUMED_INPUT_FIELDS = "dialect-consumed-input-fields", Warning, "Community dialect: `type`/`required`/`description` on a consumed input (deviation).";
    DIALECT_INTEGER_TYPE = "dialect-integer-type", Warning, "Community dialect: `type: integer` on an output parameter (deviation).";
    DIALECT_AUTH_NONE = "dialect-auth-none", Warning, "Community dialect: `authentication: {type: none}` (deviation).";
    DIALECT_APIKEY_OPENAPI = "dialect-apikey-openapi", Warning, "Community dialect: apikey authentication with OpenAPI's `in`/`name` (deviation).";
    DIALECT_UNTYPED_OUTPUT = "dialect-untyped-output", Warning, "Community dialect: an object output without `properties` or an array without `items`, passed through as is (deviation).";
    DIALECT_EXPOSES_DESCRIPTION = "dialect-exposes-description", Warning, "Community dialect: `description` on a rest/skill/control exposes block (deviation).";
    DIALECT_RAW_FORMAT = "dialect-raw-format", Warning, "Community dialect: `outputRawFormat: text|binary`, passed through as is (deviation).";
    DIALECT_OAUTH2_CLIENT = "dialect-oauth2-client", Warning, "naftiko extension: OAuth 2.0 client-credentials fields (`clientId`, `clientSecret`, `tokenUrl`, `flow`) on a consumed API's `oauth2` authentication (deviation).";
    DIALECT_METHOD = "dialect-method", Warning, "Community dialect: `HEAD` or `OPTIONS` as an operation's method (deviation).";
    DIALECT_EXPOSED_INPUT_REQUIRED = "dialect-exposed-input-required", Warning, "Community dialect: `required` on an exposed REST input (deviation).";
    IMPORT_NOT_FOUND = "import-not-found", Error, "An import cannot be resolved: its file is missing or unreadable, or declares no entry of that namespace in that section (or only imports it itself).";
    IMPORT_CYCLE = "import-cycle", Error, "An import leads back to the importing file (`from` names the file itself, or the entry is imported back from it).";
    IKANOS_IMPORT_FROM_REQUIRED = "ikanos-import-from-required", Error, "An import entry with `from` has an `import` (the namespace to take).";
    IKANOS_IMPORT_IMPORT_REQUIRED = "ikanos-import-import-required", Error, "An import entry with `import` has a `from` (the file to take it from).";
    IKANOS_IMPORT_UNIQUE_ALIAS = "ikanos-import-unique-alias", Error, "The imports of one section take distinct local names (`as`, else `import`).";
    IKANOS_IMPORT_FROM_NOT_SELF = "ikanos-import-from-not-self", Error, "An import's `from` is not `.` (naftiko cannot resolve it, so an error; the reference ruleset only warns).";
    IKANOS_STANDALONE_NO_IMPORTS = "ikanos-standalone-no-imports", Error, "A shared file (no `capability`) holds no import entries: imports go in capability documents.";
    UNRESOLVED_REFERENCE = "unresolved-reference", Error, "A `call`, `ref`, `forward` or step reference names nothing that exists.";
    WITH_UNKNOWN_PARAMETER = "with-unknown-parameter", Warning, "A `with` key is not an input of the called operation.";
    PATH_VARIABLE_UNBOUND = "path-variable-unbound", Warning, "A consumed path variable has no value: no matching input, `with` key or exposed path variable.";
    TEMPLATE_SYNTAX = "template-syntax", Error, "A Mustache template cannot be parsed (only `{{name}}` variables are supported).";
    TEMPLATE_UNRESOLVED = "template-unresolved", Error, "A template variable refers to no bind, input or step.";
    BASE_URI_PLACEHOLDER = "base-uri-placeholder", Warning, "A consumed API's `baseUri` has a `{placeholder}` in its host: `naftiko run` needs `--base-uri NAMESPACE=URL`.";
    BINARY_NOT_BINARY = "binary-not-binary", Error, "Binary content is declared (a REST response with `binary: true` or `responseBinary`, an MCP resource with `binary: true`) over a consumed operation that does not answer `outputRawFormat: binary`.";
    BINARY_OUTPUTS_IGNORED = "binary-outputs-ignored", Warning, "Output parameters over binary content (`outputRawFormat: binary`), which has no fields: they are ignored and the bytes are served as they are.";
    FORMAT_UNSUPPORTED = "format-unsupported", Error, "Output parameters read an upstream answer in a format naftiko does not convert yet (`outputRawFormat`).";
    OUTPUT_SCHEMA = "output-schema", Error, "A consumed operation's `outputSchema` cannot be used: an `avro` or `protobuf` answer read without one, a schema file that cannot be read or parsed, or an HTML selector that does not parse.";
    SCRIPT_LANGUAGE_UNSUPPORTED = "script-language-unsupported", Error, "A script step in `python` or `groovy` (its `language`, else the control adapter's `defaultLanguage`): naftiko runs JavaScript only, in a sandbox embedded in the binary.";
    SCRIPT_LANGUAGE_NOT_ALLOWED = "script-language-not-allowed", Error, "A script step's language is not one of the control adapter's `management.scripting.allowedLanguages`.";
    SCRIPT_FILE = "script-file", Error, "A script step's `file` or `dependencies` entry names no readable UTF-8 file inside its scripts directory (`location`): a missing file, an unsafe path (`..`, absolute) or a link leading outside.";
    SCRIPT_DISABLED = "script-disabled", Warning, "Script steps while the control adapter sets `management.scripting.enabled: false`: they answer 501.";
    ENV_NOT_BOUND = "env-not-bound", Warning, "`{{env.X}}` where no bind declares `X`: the process environment is read at start (an error under `--strict`).";
    JSONPATH_SYNTAX = "jsonpath-syntax", Error, "A JSONPath expression does not compile (RFC 9535 after Jayway normalisation).";
    JSONPATH_JAYWAY = "jsonpath-jayway", Info, "A JSONPath uses Jayway syntax that was normalised to RFC 9535.";
    AUTH_UNENFORCEABLE = "auth-unenforceable", Error, "An exposes block's `authentication` lacks what naftiko needs to enforce it (a token, user, password, key value, or introspection credentials).";
    AUTH_LITERAL_SECRET = "auth-literal-secret", Warning, "A credential is written in the file rather than bound (`{{NAME}}` from `binds`).";
    BIND_UNUSED = "bind-unused", Warning, "A bound variable is referenced by no template.";
    NAMESPACE_DUPLICATE = "namespace-duplicate", Error, "Two files validated together declare the same namespace.";
    ROUTE_CONFLICT = "route-conflict", Error, "Two exposed routes collide on one address, port and method.";
    ROUTE_DUPLICATE = "route-duplicate", Warning, "Two operations of one file with one method on one resource path: REST serves the first, both stay MCP tools (an error under `--strict`).";
    PORT_CONFLICT = "port-conflict", Error, "Two exposes blocks of different types share one address and port.";
    OPERATION_DUPLICATE = "operation-duplicate", Error, "Two operations of one consumed namespace have the same name.";
    NAFTIKO_NAMESPACES_UNIQUE = "naftiko-namespaces-unique", Error, "Namespaces are unique across consumes, exposes and binds.";
    NAFTIKO_CONSUMES_BASEURI_NO_TRAILING_SLASH = "naftiko-consumes-baseuri-no-trailing-slash", Warning, "`baseUri` must not end with `/`.";
    NAFTIKO_CONSUMED_RESOURCE_NO_QUERY_IN_PATH = "naftiko-consumed-resource-no-query-in-path", Warning, "A consumed resource `path` must not contain `?`.";
    NAFTIKO_REST_RESOURCE_PATH_NO_TRAILING_SLASH = "naftiko-rest-resource-path-no-trailing-slash", Warning, "An exposed REST path must not end with `/`.";
    NAFTIKO_REST_RESOURCE_PATH_NO_QUERY = "naftiko-rest-resource-path-no-query", Warning, "An exposed REST path must not contain `?`.";
    NAFTIKO_ADDRESS_NOT_EXAMPLE = "naftiko-address-not-example", Warning, "A rest/mcp/skill `address` must not end with `example.com`.";
    NAFTIKO_AGGREGATE_FUNCTION_DESCRIPTION = "naftiko-aggregate-function-description", Warning, "Aggregate functions need a `description`.";
    NAFTIKO_AGGREGATE_SEMANTICS_CONSISTENCY = "naftiko-aggregate-semantics-consistency", Warning, "A referenced function's semantics agree with MCP hints and the REST method.";
    NAFTIKO_MCP_AUTH_STDIO_CONFLICT = "naftiko-mcp-auth-stdio-conflict", Error, "No `authentication` on a stdio MCP server (naftiko cannot enforce it there; the reference ruleset only warns).";
    NAFTIKO_OAUTH2_HTTPS_AUTHSERVER = "naftiko-oauth2-https-authserver", Error, "An oauth2 `authorizationServerUri` must use https.";
    NAFTIKO_OAUTH2_RESOURCE_HTTPS = "naftiko-oauth2-resource-https", Warning, "An oauth2 `resource` should use https.";
    NAFTIKO_OAUTH2_SCOPES_DEFINED = "naftiko-oauth2-scopes-defined", Warning, "An oauth2 exposes authentication should list `scopes`.";
    NAFTIKO_INFO_TAGS = "naftiko-info-tags", Info, "`info.tags` helps discovery.";
    NAFTIKO_CONSUMES_DESCRIPTION = "naftiko-consumes-description", Warning, "Every consumes entry has a `description`.";
    NAFTIKO_REST_RESOURCE_DESCRIPTION = "naftiko-rest-resource-description", Warning, "Every exposed REST resource has a `description`.";
    NAFTIKO_REST_OPERATION_DESCRIPTION = "naftiko-rest-operation-description", Info, "Every exposed REST operation has a `description`.";
    NAFTIKO_STEPS_NAME_PATTERN = "naftiko-steps-name-pattern", Warning, "Step names match `^[A-Za-z0-9_-]+$`.";
    NAFTIKO_NO_SCRIPT_TAGS_IN_MARKDOWN = "naftiko-no-script-tags-in-markdown", Error, "No `<script` in descriptions.";
    NAFTIKO_NO_EVAL_IN_MARKDOWN = "naftiko-no-eval-in-markdown", Error, "No `eval(` in descriptions.";
    NAFTIKO_BASEURI_NOT_EXAMPLE = "naftiko-baseuri-not-example", Info, "`baseUri` should not point at example.com.";
    NAFTIKO_CONTROL_PORT_SINGLETON_AND_UNIQUE = "naftiko-control-port-singleton-and-unique", Error, "At most one control adapter, on a port no business adapter uses.";
    NAFTIKO_CONTROL_ADDRESS_LOCALHOST_WARNING = "naftiko-control-address-localhost-warning", Warning, "A control `address` should be localhost or 127.0.0.1.";
    NAFTIKO_SCRIPT_DEFAULTS_REQUIRED = "naftiko-script-defaults-required", Error, "Script steps without `location`/`language` need control scripting defaults.";
    IKANOS_NAMESPACES_UNIQUE = "ikanos-namespaces-unique", Error, "Namespaces are unique across consumes, exposes and binds.";
    IKANOS_CONSUMES_BASEURI_NO_TRAILING_SLASH = "ikanos-consumes-baseuri-no-trailing-slash", Warning, "`baseUri` must not end with `/`.";
    IKANOS_CONSUMED_RESOURCE_NO_QUERY_IN_PATH = "ikanos-consumed-resource-no-query-in-path", Warning, "A consumed resource `path` must not contain `?`.";
    IKANOS_REST_RESOURCE_PATH_NO_TRAILING_SLASH = "ikanos-rest-resource-path-no-trailing-slash", Warning, "An exposed REST path must not end with `/`.";
    IKANOS_REST_RESOURCE_PATH_NO_QUERY = "ikanos-rest-resource-path-no-query", Warning, "An exposed REST path must not contain `?`.";
    IKANOS_ADDRESS_NOT_EXAMPLE = "ikanos-address-not-example", Warning, "A rest/mcp/skill `address` must not end with `example.com`.";
    IKANOS_AGGREGATE_FLOW_DESCRIPTION = "ikanos-aggregate-flow-description", Warning, "Aggregate flows need a `description`.";
    IKANOS_AGGREGATE_SEMANTICS_CONSISTENCY = "ikanos-aggregate-semantics-consistency", Warning, "A referenced flow's semantics agree with MCP hints and the REST method.";
    IKANOS_MCP_AUTH_STDIO_CONFLICT = "ikanos-mcp-auth-stdio-conflict", Error, "No `authentication` on a stdio MCP server (naftiko cannot enforce it there; the reference ruleset only warns).";
    IKANOS_OAUTH2_HTTPS_AUTHSERVER = "ikanos-oauth2-https-authserver", Error, "An oauth2 `authorizationServerUri` must use https.";
    IKANOS_OAUTH2_RESOURCE_HTTPS = "ikanos-oauth2-resource-https", Warning, "An oauth2 `resource` should use https.";
    IKANOS_OAUTH2_SCOPES_DEFINED = "ikanos-oauth2-scopes-defined", Warning, "An oauth2 exposes authentication should list `scopes`.";
    IKANOS_INFO_TAGS = "ikanos-info-tags", Info, "`info.tags` helps discovery.";
    IKANOS_CONSUMES_DESCRIPTION = "ikanos-consumes-description", Warning, "Every consumes entry has a `description`.";
    IKANOS_REST_RESOURCE_DESCRIPTION = "ikanos-rest-resource-description", Warning, "Every exposed REST resource has a `description`.";
    IKANOS_REST_OPERATION_DESCRIPTION = "ikanos-rest-operation-description", Info, "Every exposed REST operation has a `description`.";
    IKANOS_NO_SCRIPT_TAGS_IN_MARKDOWN = "ikanos-no-script-tags-in-markdown", Error, "No `<script` in descriptions.";
    IKANOS_NO_EVAL_IN_MARKDOWN = "ikanos-no-eval-in-markdown", Error, "No `eval(` in descriptions.";
    IKANOS_BASEURI_NOT_EXAMPLE = "ikanos-baseuri-not-example", Info, "`baseUri` should not point at example.com.";
    IKANOS_CONTROL_PORT_SINGLETON_AND_UNIQUE = "ikanos-control-port-singleton-and-unique", Error, "At most one control adapter, on a port no business adapter uses.";
    IKANOS_CONTROL_ADDRESS_LOCALHOST_WARNING = "ikanos-control-address-localhost-warning", Warning, "A control `address` should be localhost or 127.0.0.1.";
    IKANOS_SCRIPT_DEFAULTS_REQUIRED = "ikanos-script-defaults-required", Error, "Script steps without `location`/`language` need control scripting defaults.";
    IKANOS_EXPOSES_NAMESPACE_REQUIRED = "ikanos-exposes-namespace-required", Error, "Every rest, mcp and skill exposes block has a `namespace` (control blocks have none).";
    IKANOS_AGGREGATES_NAMESPACE_REQUIRED = "ikanos-aggregates-namespace-required", Error, "Every aggregate declared in the file has a `namespace`.";
    IKANOS_AGGREGATES_UNIQUE_FUNCTION_NAME = "ikanos-aggregates-unique-function-name", Error, "Flow names are unique within an aggregate (flows written as a list; a repeated map key is `yaml-duplicate-key`).";
    IKANOS_TUNNEL_IDENTITY_MUST_BIND = "ikanos-tunnel-identity-must-bind", Error, "Every `{{namespace.KEY}}` in a `tunnel.identity` names a bind of the file and one of its keys.";
    IKANOS_TUNNEL_FALLBACK_DIRECT_WARNS = "ikanos-tunnel-fallback-direct-warns", Warning, "`tunnel.fallback: direct` on a `baseUri` that is not loopback bypasses the tunnel.";
    IKANOS_TUNNEL_WITH_PUBLIC_BASEURI_WARNS = "ikanos-tunnel-with-public-baseuri-warns", Info, "A tunnelled API's `baseUri` has a public top-level domain (`.com`, `.io`, …): check it resolves through the tunnel.";
}

impl RuleInfo {
    /// The specification versions the rule applies to: the reference rulesets' rules
    /// belong to theirs (`naftiko-*` to alpha2, `ikanos-*` to beta5), naftiko's own rules
    /// to both.
    pub fn versions(&self) -> &'static str {
        if self.id.starts_with("naftiko-") {
            "alpha2"
        } else if self.id.starts_with("ikanos-") {
            "beta5"
        } else {
            "alpha2,beta5"
        }
    }
}

/// The beta5 (`ikanos-*`) id of an alpha2 reference rule (`naftiko-*`), for documents of
/// `spec`; the id itself for alpha2 documents and for naftiko's own rules.
pub fn rule_for(id: &'static str, spec: crate::model::Spec) -> &'static str {
    if spec == crate::model::Spec::Alpha2 {
        return id;
    }
    match id {
        rule::NAFTIKO_AGGREGATE_FUNCTION_DESCRIPTION => rule::IKANOS_AGGREGATE_FLOW_DESCRIPTION,
        _ => id
            .strip_prefix("naftiko-")
            .and_then(|rest| {
                RULES
                    .iter()
                    .find(|r| r.id.strip_prefix("ikanos-") == Some(rest))
            })
            .map_or(id, |r| r.id),
    }
}

/// Looks up a rule by id.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}
