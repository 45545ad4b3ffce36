//! `authentication` blocks, on consumed APIs and on exposes blocks: one reader per `type`
//! (`basic` and `digest`, `bearer`, `apikey`, `oauth2`, and the community's `none`).

use super::reader::{Cx, Need, Obj};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    ApiKeyAuth, ApiKeyPlacement, Authentication, BearerAuth, OAuth2Auth, Text, UserPassword,
};
use crate::span::{Loc, Pointer, Spanned};
use crate::yaml::Node;

const AUTH_TYPES: &[&str] = &["basic", "apikey", "bearer", "digest", "oauth2"];

/// Where an API key goes: `placement`, or OpenAPI's `in`.
const API_KEY_PLACES: &[(&str, ApiKeyPlacement, bool)] = &[
    ("header", ApiKeyPlacement::Header, true),
    ("query", ApiKeyPlacement::Query, true),
];

/// How an OAuth 2 resource server validates tokens (`tokenValidation`).
const TOKEN_VALIDATIONS: &[(&str, &str, bool)] = &[
    ("jwks", "jwks", true),
    ("introspection", "introspection", true),
];

/// The OAuth 2 grants a consumed API may name (`flow`).
const OAUTH2_FLOWS: &[(&str, &str, bool)] = &[
    ("clientCredentials", "clientCredentials", true),
    ("client_credentials", "clientCredentials", true),
    ("authorizationCode", "authorizationCode", true),
];

/// The naftiko extensions of `oauth2` on a consumed API.
const OAUTH2_CLIENT_KEYS: [&str; 4] = ["clientId", "clientSecret", "tokenUrl", "flow"];

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
        "none" => read_none(cx, &kind, loc),
        "basic" => Authentication::Basic(read_user_password(cx, &mut o, loc)),
        "digest" => Authentication::Digest(read_user_password(cx, &mut o, loc)),
        "bearer" => Authentication::Bearer(BearerAuth {
            token: o.text(cx, "token"),
            loc,
        }),
        "apikey" => Authentication::ApiKey(read_api_key(cx, &mut o, loc)),
        "oauth2" => Authentication::OAuth2(Box::new(read_oauth2(cx, &mut o, consumed, loc))),
        _ => {
            unknown_type(cx, &kind);
            return None;
        }
    };
    o.finish(cx);
    Some(auth)
}

/// Reports an unknown authentication `type`.
fn unknown_type(cx: &mut Cx<'_>, kind: &Text) {
    let allowed = AUTH_TYPES
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.push(Diagnostic::error(
        rule::INVALID_VALUE,
        kind.loc.clone(),
        format!(
            "authentication `type` is `{}`; expected one of {allowed}",
            kind.as_str()
        ),
    ));
}

/// `type: none`, the community's way to say no credentials.
fn read_none(cx: &mut Cx<'_>, kind: &Text, loc: Loc) -> Authentication {
    cx.push(
        Diagnostic::deviation(
            rule::DIALECT_AUTH_NONE,
            kind.loc.clone(),
            "`authentication: {type: none}` is community dialect",
        )
        .with_hint("omit `authentication` to call the API without credentials"),
    );
    Authentication::None { loc }
}

/// The `username` and `password` of `basic` and `digest`.
fn read_user_password(cx: &mut Cx<'_>, o: &mut Obj<'_>, loc: Loc) -> UserPassword {
    let username = o.text(cx, "username");
    let password = o.text(cx, "password");
    UserPassword {
        username,
        password,
        loc,
    }
}

/// An `apikey` block: `key`, `value` and `placement`, or the community's OpenAPI form
/// (`in`, `name`) and `headers` map; it needs a key or headers.
fn read_api_key(cx: &mut Cx<'_>, o: &mut Obj<'_>, loc: Loc) -> ApiKeyAuth {
    let mut key = o.text(cx, "key");
    let value = o.text(cx, "value");
    let mut placement = o.choice(cx, "placement", API_KEY_PLACES, |_, _| {});
    if o.has("in") || o.has("name") {
        let (openapi_placement, openapi_key) = read_api_key_openapi(cx, o);
        placement = placement.or(openapi_placement);
        key = key.or(openapi_key);
    }
    if o.has("headers") {
        let dloc = o.key_loc(cx, "headers");
        cx.push(
            Diagnostic::deviation(
                rule::DIALECT_APIKEY_OPENAPI,
                dloc,
                "apikey with a `headers` map is community dialect",
            )
            .with_hint(
                "naftiko sends every header of the map; the official form is one `key` and `value`",
            ),
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
            .with_hint(
                "for example `key: X-Api-Key`, `value: '{{env.API_KEY}}'`, `placement: header`",
            ),
        );
    }
    ApiKeyAuth {
        key,
        value,
        placement,
        headers,
        loc,
    }
}

/// The community's OpenAPI form of an API key (reported): its placement (`in`) and key
/// (`name`).
fn read_api_key_openapi(
    cx: &mut Cx<'_>,
    o: &mut Obj<'_>,
) -> (Option<Spanned<ApiKeyPlacement>>, Option<Text>) {
    let at = if o.has("in") { "in" } else { "name" };
    let dloc = o.key_loc(cx, at);
    cx.push(
        Diagnostic::deviation(
            rule::DIALECT_APIKEY_OPENAPI,
            dloc,
            "apikey with OpenAPI's `in`/`name` is community dialect",
        )
        .with_hint("write `placement: header|query` and `key: <header or parameter name>`"),
    );
    let placement = o.choice(cx, "in", API_KEY_PLACES, |_, _| {});
    let key = o.text(cx, "name");
    (placement, key)
}

/// An `oauth2` block: a resource server's fields, plus the client-credentials grant's on
/// a consumed API.
fn read_oauth2(cx: &mut Cx<'_>, o: &mut Obj<'_>, consumed: bool, loc: Loc) -> OAuth2Auth {
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
    let token_endpoint = o.text(cx, "tokenEndpoint");
    let token_validation = o
        .choice(cx, "tokenValidation", TOKEN_VALIDATIONS, |_, _| {})
        .map(|v| Spanned::new(v.value.to_string(), v.loc));
    let mut auth = OAuth2Auth {
        authorization_server_uri,
        resource,
        scopes,
        audience,
        token_endpoint,
        token_validation,
        client_id: None,
        client_secret: None,
        loc,
    };
    if consumed {
        read_oauth2_client(cx, o, &mut auth);
    } else {
        read_introspection_client(cx, o, &mut auth);
    }
    auth
}

/// A `dialect-oauth2-client` deviation for each of `keys` the `oauth2` block has; `hint`
/// says what naftiko does with them.
fn report_extensions(cx: &mut Cx<'_>, o: &mut Obj<'_>, keys: &[&'static str], hint: &str) {
    for key in keys {
        if o.has(key) {
            let dloc = o.key_loc(cx, key);
            cx.push(
                Diagnostic::deviation(
                    rule::DIALECT_OAUTH2_CLIENT,
                    dloc,
                    format!("`{key}` on `oauth2` authentication is a naftiko extension"),
                )
                .with_hint(hint),
            );
        }
    }
}

/// `clientId` and `clientSecret` on an exposes block's `oauth2` (naftiko extensions,
/// reported): the credentials naftiko presents to the introspection endpoint.
fn read_introspection_client(cx: &mut Cx<'_>, o: &mut Obj<'_>, auth: &mut OAuth2Auth) {
    report_extensions(
        cx,
        o,
        &["clientId", "clientSecret"],
        "naftiko authenticates with it at the introspection endpoint (`tokenValidation: introspection`)",
    );
    auth.client_id = o.text(cx, "clientId");
    auth.client_secret = o.text(cx, "clientSecret");
}

/// The client-credentials fields of `oauth2` on a consumed API (naftiko extensions,
/// reported); the grant needs a token endpoint.
fn read_oauth2_client(cx: &mut Cx<'_>, o: &mut Obj<'_>, auth: &mut OAuth2Auth) {
    report_extensions(
        cx,
        o,
        &OAUTH2_CLIENT_KEYS,
        "naftiko fetches a token with the client-credentials grant and caches it until shortly before it expires",
    );
    auth.client_id = o.text(cx, "clientId");
    auth.client_secret = o.text(cx, "clientSecret");
    let token_url = o.text(cx, "tokenUrl");
    auth.token_endpoint = auth.token_endpoint.take().or(token_url);
    let _ = o.choice(cx, "flow", OAUTH2_FLOWS, |_, _| {});
    if auth.token_endpoint.is_none() && auth.authorization_server_uri.is_none() {
        let l = o.loc(cx);
        cx.push(
            Diagnostic::error(
                rule::REQUIRED_FIELD,
                l,
                "`oauth2` authentication on a consumed API needs `tokenEndpoint`",
            )
            .with_hint(
                "the client-credentials grant posts to the authorization server's token endpoint",
            ),
        );
    }
}
