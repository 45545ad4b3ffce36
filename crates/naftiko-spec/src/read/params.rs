//! Input parameters, output parameters and authentication blocks, shared by the consumed
//! and exposed sides.

use super::reader::{Cx, Need, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    ApiKeyAuth, ApiKeyPlacement, Authentication, BearerAuth, DataType, InputParameter, OAuth2Auth,
    OrderedMap, OutputItems, OutputParameter, OutputType, ParamLocation, UserPassword,
};
use crate::span::{Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// Which official shape an input parameter follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputContext {
    /// `ConsumedInputParameter`: name, in, value.
    Consumed,
    /// `ExposedInputParameter`: name, in, type, description, pattern, value.
    ExposedRest,
    /// `McpToolInputParameter` (tools and aggregate functions): name, type, description, required.
    Tool,
}

const LOCATIONS: &[(&str, ParamLocation, bool)] = &[
    ("query", ParamLocation::Query, true),
    ("header", ParamLocation::Header, true),
    ("path", ParamLocation::Path, true),
    ("cookie", ParamLocation::Cookie, true),
    ("body", ParamLocation::Body, true),
    ("environment", ParamLocation::Environment, true),
    ("form", ParamLocation::Form, false),
    ("formData", ParamLocation::Form, false),
];

const DATA_TYPES: &[(&str, DataType, bool)] = &[
    ("string", DataType::String, true),
    ("number", DataType::Number, true),
    ("integer", DataType::Integer, true),
    ("boolean", DataType::Boolean, true),
    ("array", DataType::Array, true),
    ("object", DataType::Object, true),
];

pub(super) fn read_input(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    context: InputContext,
) -> Option<InputParameter> {
    let mut o = cx.obj(node, ptr, "an input parameter")?;
    let name = o.req_text(cx, "name", Need::Runtime);
    if let Some(n) = &name {
        cx.pattern(
            n,
            "name",
            formats::extended(n),
            "letters, digits, `-`, `_` or `*`",
        );
    }
    let location = if context == InputContext::Tool {
        None
    } else {
        if !o.has("in") {
            o.missing(cx, "in", Need::Schema);
        }
        let loc = o.choice(cx, "in", LOCATIONS, |cx, v| {
            cx.push(Diagnostic::deviation(rule::DIALECT_PARAM_LOCATION, v.loc.clone(), format!("`in: {}` is community dialect; naftiko sends the parameter as an `application/x-www-form-urlencoded` body field", v.value)).with_hint("the official schema has no form location; a `body: {type: formUrlEncoded, …}` block is the official equivalent"));
        });
        if context == InputContext::ExposedRest
            && let Some(l) = &loc
            && l.value == ParamLocation::Environment
        {
            cx.push(Diagnostic::error(
                rule::INVALID_VALUE,
                l.loc.clone(),
                "`in: environment` is only valid on consumed inputs",
            ));
        }
        loc
    };
    let dialect_field = |cx: &mut Cx<'_>, o: &super::reader::Obj<'_>, key: &'static str| {
        let loc = o.key_loc(cx, key);
        cx.push(Diagnostic::deviation(rule::DIALECT_CONSUMED_INPUT_FIELDS, loc, format!("`{key}` on a consumed input is community dialect")).with_hint("the official schema gives consumed inputs only `name`, `in` and `value`; naftiko uses it to check the value"));
    };
    if context == InputContext::Consumed {
        for key in ["type", "required", "description"] {
            if o.has(key) {
                dialect_field(cx, &o, key);
            }
        }
    } else if !o.has("type") {
        o.missing(cx, "type", Need::Schema);
    }
    let data_type = o.choice(cx, "type", DATA_TYPES, |_, _| {});
    if context != InputContext::Consumed && !o.has("description") {
        o.missing(cx, "description", Need::Schema);
    }
    let description = o.text(cx, "description");
    if context == InputContext::ExposedRest && o.has("required") {
        let loc = o.key_loc(cx, "required");
        cx.push(Diagnostic::deviation(rule::DIALECT_EXPOSED_INPUT_REQUIRED, loc, "`required` on an exposed REST input is community dialect").with_hint("path inputs are always required; naftiko honours `required` on query and header inputs"));
    }
    let required = o.boolean(cx, "required");
    let (pattern, value) = if context == InputContext::Tool {
        (None, None)
    } else {
        let pattern = if context == InputContext::ExposedRest {
            o.text(cx, "pattern")
        } else {
            None
        };
        (pattern, o.text(cx, "value"))
    };
    let loc = o.loc(cx);
    o.finish(cx);
    Some(InputParameter {
        name,
        location,
        data_type,
        description,
        required,
        pattern,
        value,
        loc,
    })
}

/// Which official shape an output parameter follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutputContext {
    /// `ConsumedOutputParameter`: name, type, value (a JSONPath).
    Consumed,
    /// Exposed outputs (mapped, orchestrated or mock; checked by the invocation reader).
    Exposed,
}

const OUTPUT_TYPES: &[(&str, OutputType, bool)] = &[
    ("string", OutputType::String, true),
    ("number", OutputType::Number, true),
    ("boolean", OutputType::Boolean, true),
    ("object", OutputType::Object, true),
    ("array", OutputType::Array, true),
    ("integer", OutputType::Integer, false),
];

pub(super) fn read_output(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    context: OutputContext,
) -> Option<OutputParameter> {
    let mut o = cx.obj(node, ptr, "an output parameter")?;
    let name = if context == OutputContext::Consumed {
        o.req_text(cx, "name", Need::Runtime)
    } else {
        o.text(cx, "name")
    };
    if let Some(n) = &name {
        cx.pattern(
            n,
            "name",
            formats::extended(n),
            "letters, digits, `-`, `_` or `*`",
        );
    }
    if !o.has("type") {
        o.missing(cx, "type", Need::Schema);
    }
    let data_type = o.choice(cx, "type", OUTPUT_TYPES, |cx, v| {
        cx.push(Diagnostic::deviation(rule::DIALECT_INTEGER_TYPE, v.loc.clone(), "`type: integer` on an output is community dialect; naftiko coerces the value to an integer").with_hint("the official schema has `number`"));
    });
    let (mapping, value, constant, properties, items) = if context == OutputContext::Consumed {
        if !o.has("value") {
            o.missing(cx, "value", Need::Runtime);
        }
        (None, o.text(cx, "value"), None, None, None)
    } else {
        let mapping = o.text(cx, "mapping");
        let value = o.text(cx, "value");
        let constant = o.take("const").map(|(n, _)| n.to_json());
        let properties = o.take("properties").and_then(|(n, p)| match &n.kind {
            NodeKind::Map(entries) => {
                let mut map = OrderedMap::default();
                for (k, v) in entries {
                    let key_text = k.key_text();
                    let kp = p.key(&key_text);
                    if let Some(out) = read_output(cx, v, &kp, context) {
                        map.entries
                            .push((Spanned::new(key_text, cx.loc(k, &kp)), out));
                    }
                }
                Some(map)
            }
            _ => {
                cx.wrong_type(n, &p, "properties", "a mapping of name: output parameter");
                None
            }
        });
        let items = o.take("items").and_then(|(n, p)| match &n.kind {
            NodeKind::Map(_) => {
                read_output(cx, n, &p, context).map(|out| OutputItems::One(Box::new(out)))
            }
            NodeKind::Seq(_) => {
                Some(OutputItems::Many(cx.list(n, &p, "items", |cx, n, p| {
                    read_output(cx, n, p, context)
                })))
            }
            _ => {
                cx.wrong_type(n, &p, "items", "an output parameter (or a list of them)");
                None
            }
        });
        (mapping, value, constant, properties, items)
    };
    let loc = o.loc(cx);
    o.finish(cx);
    Some(OutputParameter {
        name,
        data_type,
        mapping,
        value,
        constant,
        properties,
        items,
        loc,
    })
}

const AUTH_TYPES: &[&str] = &["basic", "apikey", "bearer", "digest", "oauth2"];

/// Reads an `authentication` block; `consumed` is true on a consumed API (where `oauth2`
/// means the client-credentials grant) and false on an exposes block (a resource server).
pub(super) fn read_authentication(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    consumed: bool,
) -> Option<Authentication> {
    let mut o = cx.obj(node, ptr, "an authentication block")?;
    let Some(kind) = o.req_text(cx, "type", Need::Runtime) else {
        o.finish(cx);
        return None;
    };
    let loc = o.loc(cx);
    let auth = match kind.as_str() {
        "none" => {
            cx.push(
                Diagnostic::deviation(
                    rule::DIALECT_AUTH_NONE,
                    kind.loc.clone(),
                    "`authentication: {type: none}` is community dialect",
                )
                .with_hint("omit `authentication` to call the API without credentials"),
            );
            Some(Authentication::None { loc })
        }
        "basic" | "digest" => {
            let username = o.text(cx, "username");
            let password = o.text(cx, "password");
            let up = UserPassword {
                username,
                password,
                loc,
            };
            Some(if kind.as_str() == "basic" {
                Authentication::Basic(up)
            } else {
                Authentication::Digest(up)
            })
        }
        "bearer" => Some(Authentication::Bearer(BearerAuth {
            token: o.text(cx, "token"),
            loc,
        })),
        "apikey" => {
            let mut key = o.text(cx, "key");
            let value = o.text(cx, "value");
            let places: &[(&str, ApiKeyPlacement, bool)] = &[
                ("header", ApiKeyPlacement::Header, true),
                ("query", ApiKeyPlacement::Query, true),
            ];
            let mut placement = o.choice(cx, "placement", places, |_, _| {});
            if o.has("in") || o.has("name") {
                let at = if o.has("in") { "in" } else { "name" };
                let dloc = o.key_loc(cx, at);
                cx.push(
                    Diagnostic::deviation(
                        rule::DIALECT_APIKEY_OPENAPI,
                        dloc,
                        "apikey with OpenAPI's `in`/`name` is community dialect",
                    )
                    .with_hint(
                        "write `placement: header|query` and `key: <header or parameter name>`",
                    ),
                );
                let openapi_places: &[(&str, ApiKeyPlacement, bool)] = &[
                    ("header", ApiKeyPlacement::Header, true),
                    ("query", ApiKeyPlacement::Query, true),
                ];
                let p2 = o.choice(cx, "in", openapi_places, |_, _| {});
                placement = placement.or(p2);
                let k2 = o.text(cx, "name");
                key = key.or(k2);
            }
            if o.has("headers") {
                let dloc = o.key_loc(cx, "headers");
                cx.push(
                    Diagnostic::deviation(
                        rule::DIALECT_APIKEY_OPENAPI,
                        dloc,
                        "apikey with a `headers` map is community dialect",
                    )
                    .with_hint("naftiko sends every header of the map; the official form is one `key` and `value`"),
                );
            }
            let headers = o.text_map(cx, "headers");
            if key.is_none() && headers.is_empty() {
                let l = o.loc(cx);
                cx.push(
                    Diagnostic::error(
                        rule::REQUIRED_FIELD,
                        l,
                        "`apikey` authentication needs `key` (the header or query parameter name)",
                    )
                    .with_hint("for example `key: X-Api-Key`, `value: '{{env.API_KEY}}'`, `placement: header`"),
                );
            }
            Some(Authentication::ApiKey(ApiKeyAuth {
                key,
                value,
                placement,
                headers,
                loc,
            }))
        }
        "oauth2" => {
            // On a consumed API the engine runs the client-credentials grant: it needs a token
            // endpoint and client credentials, not the resource-server fields.
            let need = if consumed {
                Need::Schema
            } else {
                Need::Runtime
            };
            let authorization_server_uri = o.req_text(cx, "authorizationServerUri", need);
            let resource = o.req_text(cx, "resource", Need::Schema);
            let scopes = o.texts(cx, "scopes");
            let audience = o.text(cx, "audience");
            let mut token_endpoint = o.text(cx, "tokenEndpoint");
            let validations: &[(&str, &str, bool)] = &[
                ("jwks", "jwks", true),
                ("introspection", "introspection", true),
            ];
            let token_validation = o
                .choice(cx, "tokenValidation", validations, |_, _| {})
                .map(|v| Spanned::new(v.value.to_string(), v.loc));
            let mut client_id = None;
            let mut client_secret = None;
            if consumed {
                for key in ["clientId", "clientSecret", "tokenUrl", "flow"] {
                    if o.has(key) {
                        let dloc = o.key_loc(cx, key);
                        cx.push(
                            Diagnostic::deviation(
                                rule::DIALECT_OAUTH2_CLIENT,
                                dloc,
                                format!("`{key}` on `oauth2` authentication is a naftiko extension"),
                            )
                            .with_hint("naftiko fetches a token with the client-credentials grant and caches it until shortly before it expires"),
                        );
                    }
                }
                client_id = o.text(cx, "clientId");
                client_secret = o.text(cx, "clientSecret");
                let token_url = o.text(cx, "tokenUrl");
                token_endpoint = token_endpoint.or(token_url);
                let flows: &[(&str, &str, bool)] = &[
                    ("clientCredentials", "clientCredentials", true),
                    ("client_credentials", "clientCredentials", true),
                    ("authorizationCode", "authorizationCode", true),
                ];
                let _ = o.choice(cx, "flow", flows, |_, _| {});
                if token_endpoint.is_none() && authorization_server_uri.is_none() {
                    let l = o.loc(cx);
                    cx.push(
                        Diagnostic::error(
                            rule::REQUIRED_FIELD,
                            l,
                            "`oauth2` authentication on a consumed API needs `tokenEndpoint`",
                        )
                        .with_hint("the client-credentials grant posts to the authorization server's token endpoint"),
                    );
                }
            }
            Some(Authentication::OAuth2(Box::new(OAuth2Auth {
                authorization_server_uri,
                resource,
                scopes,
                audience,
                token_endpoint,
                token_validation,
                client_id,
                client_secret,
                loc,
            })))
        }
        other => {
            let allowed = AUTH_TYPES
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            cx.push(Diagnostic::error(
                rule::INVALID_VALUE,
                kind.loc.clone(),
                format!("authentication `type` is `{other}`; expected one of {allowed}"),
            ));
            return None;
        }
    };
    o.finish(cx);
    auth
}
