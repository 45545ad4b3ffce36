//! An exposes block's `authentication`, rendered from binds into the [`Guard`] the server
//! puts in front of the block (docs/semantics.md §5). Every value must be set: a guard is
//! never built from an empty token or password, and a block whose authentication naftiko
//! cannot enforce is a build problem, so `run` refuses to start rather than serve it open.

use std::sync::Arc;

use naftiko_spec::model::{ApiKeyAuth, ApiKeyPlacement, Authentication, OAuth2Auth, Text};

use super::state::{Builder, DocBuild, problem};
use crate::error::BuildProblem;
use crate::guard::oauth2::{ResourceServer, Settings, TokenValidation};
use crate::guard::{DigestGuard, Guard, KeyPlace, Scheme, Secret};
use crate::reqwest_client::LazyClient;
use crate::transport::Transport;

/// The guard of a block's `authentication` (`None` when it declares none); problems go to
/// `b.problems`.
pub(super) fn guard(
    b: &mut Builder<'_>,
    d: &DocBuild<'_>,
    auth: Option<&Authentication>,
    realm: &str,
) -> Option<Arc<Guard>> {
    let scheme = match auth? {
        Authentication::None { .. } => return None,
        a => scheme(b, d, a, realm),
    };
    match scheme {
        Ok(Some(s)) => Some(Arc::new(Guard::new(realm, s))),
        // A value reads a bind that has no value: `binds::check_missing` reports it.
        Ok(None) => None,
        Err(p) => {
            b.problems.push(p);
            None
        }
    }
}

/// The rendered value of a required field; `Ok(None)` when it reads a missing bind.
fn required(
    b: &Builder<'_>,
    d: &DocBuild<'_>,
    t: &Option<Text>,
    field: &str,
    at: &naftiko_spec::Loc,
) -> Result<Option<String>, BuildProblem> {
    let Some(t) = t else {
        return Err(problem(
            at,
            format!(
                "inbound `authentication` needs `{field}`: without it naftiko cannot check callers"
            ),
        ));
    };
    if d.reads_missing_bind(t) {
        return Ok(None);
    }
    let value = d.render_binds(t, "inbound authentication values")?;
    if value.is_empty() {
        return Err(problem(
            &t.loc,
            format!("`{field}` is empty: naftiko would accept no caller, or any"),
        ));
    }
    b.secrets.add(&value);
    Ok(Some(value))
}

fn scheme(
    b: &Builder<'_>,
    d: &DocBuild<'_>,
    auth: &Authentication,
    realm: &str,
) -> Result<Option<Scheme>, BuildProblem> {
    Ok(match auth {
        Authentication::None { .. } => None,
        Authentication::Bearer(a) => {
            required(b, d, &a.token, "token", &a.loc)?.map(|t| Scheme::Bearer(Secret::new(&t)))
        }
        Authentication::Basic(a) => {
            let user = required(b, d, &a.username, "username", &a.loc)?;
            let password = required(b, d, &a.password, "password", &a.loc)?;
            user.zip(password).map(|(u, p)| Scheme::Basic {
                user: Secret::new(&u),
                password: Secret::new(&p),
            })
        }
        Authentication::Digest(a) => {
            let user = required(b, d, &a.username, "username", &a.loc)?;
            let password = required(b, d, &a.password, "password", &a.loc)?;
            user.zip(password)
                .map(|(u, p)| Scheme::Digest(DigestGuard::new(realm, &u, &p)))
        }
        Authentication::ApiKey(k) => api_key(b, d, k)?.map(Scheme::ApiKey),
        Authentication::OAuth2(o) => oauth2(b, d, o, realm)?,
    })
}

fn api_key(
    b: &Builder<'_>,
    d: &DocBuild<'_>,
    k: &ApiKeyAuth,
) -> Result<Option<Vec<(KeyPlace, Secret)>>, BuildProblem> {
    let mut keys = Vec::new();
    let query = k
        .placement
        .as_ref()
        .is_some_and(|p| p.value == ApiKeyPlacement::Query);
    if k.key.is_some() || k.headers.is_empty() {
        let Some(name) = required(b, d, &k.key, "key", &k.loc)? else {
            return Ok(None);
        };
        let Some(value) = required(b, d, &k.value, "value", &k.loc)? else {
            return Ok(None);
        };
        let place = if query {
            KeyPlace::Query(name)
        } else {
            header_place(&name, k.key.as_ref().map_or(&k.loc, |t| &t.loc))?
        };
        keys.push((place, Secret::new(&value)));
    }
    for (name, value) in k.headers.iter() {
        let Some(v) = required(b, d, &Some(value.clone()), &name.value, &value.loc)? else {
            return Ok(None);
        };
        keys.push((header_place(&name.value, &name.loc)?, Secret::new(&v)));
    }
    Ok(Some(keys))
}

fn header_place(name: &str, loc: &naftiko_spec::Loc) -> Result<KeyPlace, BuildProblem> {
    http::header::HeaderName::from_bytes(name.as_bytes())
        .map(|h| KeyPlace::Header(h.as_str().to_owned()))
        .map_err(|_| {
            problem(
                loc,
                format!("API key header `{name}` is not a valid header name"),
            )
        })
}

fn oauth2(
    b: &Builder<'_>,
    d: &DocBuild<'_>,
    o: &OAuth2Auth,
    realm: &str,
) -> Result<Option<Scheme>, BuildProblem> {
    let issuer = required(
        b,
        d,
        &o.authorization_server_uri,
        "authorizationServerUri",
        &o.loc,
    )?;
    let resource = required(b, d, &o.resource, "resource", &o.loc)?;
    let (Some(issuer), Some(resource)) = (issuer, resource) else {
        return Ok(None);
    };
    for (value, field) in [(&issuer, "authorizationServerUri"), (&resource, "resource")] {
        if reqwest::Url::parse(value).is_err() {
            return Err(problem(&o.loc, format!("`{field}` is not an absolute URI")));
        }
    }
    let audience = match &o.audience {
        Some(a) => d.render_binds(a, "inbound authentication values")?,
        None => resource.clone(),
    };
    let validation = match o.token_validation.as_ref().map(|t| t.value.as_str()) {
        None | Some("jwks") => TokenValidation::Jwks,
        Some("introspection") => TokenValidation::Introspection,
        Some(other) => {
            let loc = o.token_validation.as_ref().map_or(&o.loc, |t| &t.loc);
            return Err(problem(
                loc,
                format!(
                    "`tokenValidation: {other}` is not one naftiko enforces (jwks, introspection)"
                ),
            ));
        }
    };
    let client = if validation == TokenValidation::Introspection {
        let id = required(b, d, &o.client_id, "clientId", &o.loc)?;
        let secret = required(b, d, &o.client_secret, "clientSecret", &o.loc)?;
        match id.zip(secret) {
            Some(c) => Some(c),
            None => return Ok(None),
        }
    } else {
        None
    };
    let scopes = o.scopes.iter().map(|s| s.value.clone()).collect();
    let transport: Arc<dyn Transport> = match &b.options.transport {
        Some(t) => t.clone(),
        None => Arc::new(LazyClient::new(&b.options.client)),
    };
    let settings = Settings {
        issuer,
        resource,
        audience,
        scopes,
        validation,
        client,
    };
    Ok(Some(Scheme::OAuth2(Arc::new(ResourceServer::new(
        realm,
        settings,
        transport,
        b.options.client.clone(),
    )))))
}
