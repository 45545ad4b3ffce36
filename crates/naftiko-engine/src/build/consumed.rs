//! Consumed APIs: each one's base URI (or its `--base-uri`), authentication, client (the
//! h1 client for `http://` and `https://` without a proxy, else reqwest) and compiled
//! operations, keyed `namespace.operation`.
//! After a reload, a consumed API that did not change keeps its client and token source
//! (`kept.rs`).

use std::sync::Arc;

use naftiko_spec::model::{Authentication, ConsumesHttp, OAuth2Auth};

use super::state::{BindsOnly, Builder, DocBuild, problem};
use crate::auth::{Auth, TokenSource};
use crate::env::EnvSource;
use crate::error::BuildProblem;
use crate::h1_client::H1Client;
use crate::kept::{KeptUpstream, fingerprint};
use crate::request::ConsumedOp;
use crate::reqwest_client::LazyClient;
use crate::scope::Tpl;
use crate::secrets::Secrets;
use crate::transport::{ClientOptions, Transport};
use crate::upstream::Upstream;
use crate::upstream_tls::LazyTls;

/// Builds every consumed API the document can call into `d.consumed`.
pub(super) fn build(b: &mut Builder<'_>, d: &mut DocBuild<'_>) {
    let options = b.options;
    // One reqwest client per document (proxies, token endpoints), built on first use; and
    // one set of TLS settings for the h1 clients, built on the first HTTPS connection.
    let reqwest: Arc<dyn Transport> = match &options.transport {
        Some(t) => t.clone(),
        None => Arc::new(LazyClient::new(&options.client)),
    };
    let tls = Arc::new(LazyTls::new(options.client.extra_roots.clone()));
    for (ns, api) in &d.scope.consumes {
        let Some(base) = base_uri(b, d, ns, api) else {
            d.unusable.insert(ns.clone());
            continue;
        };
        // A consumed API with CAs of its own (`--ca-bundle NS=PATH`) gets clients of its own.
        let own = own_client(options, ns);
        let client = own.as_ref().map_or(&options.client, |o| &o.options);
        let reqwest = own.as_ref().map_or(&reqwest, |o| &o.reqwest);
        let tls = own.as_ref().map_or(&tls, |o| &o.tls);
        let mut auth = match auth(d, api, &b.secrets, reqwest, client) {
            Ok(a) => a,
            Err(p) => {
                b.problems.push(p);
                d.unusable.insert(ns.clone());
                continue;
            }
        };
        let fp = fingerprint(ns, &base, api, &d.binds_values, client);
        let previous = b.previous.and_then(|p| p.get(&fp)).cloned();
        let transport: Arc<dyn Transport> = match (&options.transport, &previous) {
            (Some(t), _) => t.clone(),
            (None, Some(kept)) => kept.transport.clone(),
            (None, None) if uses_h1_client(&base, options.env.as_ref()) => Arc::new(
                H1Client::new(
                    client.connect_timeout,
                    crate::transport::USER_AGENT,
                    tls.clone(),
                )
                .with_fallback(reqwest.clone()),
            ),
            (None, None) => reqwest.clone(),
        };
        if let (Auth::OAuth2(_), Some(token)) = (&auth, previous.and_then(|k| k.token)) {
            auth = Auth::OAuth2(token);
        }
        let token = match &auth {
            Auth::OAuth2(t) => Some(t.clone()),
            _ => None,
        };
        b.kept.insert(
            fp,
            KeptUpstream {
                transport: transport.clone(),
                token,
            },
        );
        let upstream = Arc::new(Upstream {
            namespace: ns.clone(),
            base,
            transport,
            auth,
            options: client.clone(),
            secrets: b.secrets.clone(),
            metrics: b.metrics.clone(),
            calls: std::sync::OnceLock::new(),
        });
        operations(b, d, ns, api, &upstream);
        d.upstreams.insert(ns.clone(), upstream);
    }
}

/// The clients of a consumed API with certificate authorities of its own.
struct OwnClient {
    /// Its settings: the global ones, its CAs added to the global ones.
    options: ClientOptions,
    /// Its reqwest client.
    reqwest: Arc<dyn Transport>,
    /// Its h1 client's TLS settings.
    tls: Arc<LazyTls>,
}

/// The client settings and HTTPS clients of consumed API `ns` when `--ca-bundle NS=PATH`
/// gives it certificate authorities of its own (added to the global ones).
fn own_client(options: &crate::build::BuildOptions, ns: &str) -> Option<OwnClient> {
    let (_, bundle) = options.ca_bundles.iter().find(|(n, _)| n == ns)?;
    let mut client = options.client.clone();
    client.extra_roots = Some(match &options.client.extra_roots {
        Some(global) => Arc::new(global.merged(bundle)),
        None => bundle.clone(),
    });
    let reqwest: Arc<dyn Transport> = match &options.transport {
        Some(t) => t.clone(),
        None => Arc::new(LazyClient::new(&client)),
    };
    let tls = Arc::new(LazyTls::new(client.extra_roots.clone()));
    Some(OwnClient {
        options: client,
        reqwest,
        tls,
    })
}

/// The base URI of consumed API `ns`: its `--base-uri`, else its rendered `baseUri`; `None`
/// (with one problem, naming the flag to pass) when there is none that can be used.
fn base_uri(b: &mut Builder<'_>, d: &DocBuild<'_>, ns: &str, api: &ConsumesHttp) -> Option<String> {
    if let Some((_, url)) = b.options.base_uris.iter().find(|(n, _)| n == ns) {
        if let Some(why) = crate::url::base_uri_problem(url) {
            b.problems.push(BuildProblem {
                loc: None,
                message: format!("--base-uri `{ns}={url}`: {why}; expected an http(s) URL"),
            });
            return None;
        }
        return Some(url.clone());
    }
    let t = api.base_uri.as_ref()?;
    let base = match Tpl::compile(&t.value, &d.names) {
        Ok(tpl) => tpl.render(&BindsOnly(&d.binds_values)),
        Err(e) => {
            b.problems.push(problem(&t.loc, e));
            return None;
        }
    };
    match crate::url::base_uri_problem(&base) {
        None => Some(base),
        Some(why) => {
            b.problems.push(problem(
                &t.loc,
                format!(
                    "consumed API `{ns}` has no usable base URI: {why}; pass the server to call with `naftiko run --base-uri {ns}=https://HOST[:PORT][/PATH]`"
                ),
            ));
            None
        }
    }
}

/// Compiles the operations of one consumed API.
fn operations(
    b: &mut Builder<'_>,
    d: &mut DocBuild<'_>,
    ns: &str,
    api: &ConsumesHttp,
    upstream: &Arc<Upstream>,
) {
    for r in &api.resources {
        let path = r.path.as_ref().map(|p| p.value.as_str()).unwrap_or("");
        for op in &r.operations {
            let Some(name) = &op.name else { continue };
            let key = format!("{ns}.{}", name.value);
            if d.consumed.contains_key(&key) {
                continue;
            }
            match ConsumedOp::compile(
                upstream.clone(),
                path,
                &[&api.input_parameters, &r.input_parameters],
                op,
                &d.names,
                b.options.env.as_ref(),
            ) {
                Ok(c) => {
                    d.consumed.insert(key, Arc::new(c));
                }
                Err(e) => b.problems.push(problem(&op.loc, format!("`{key}`: {e}"))),
            }
        }
    }
}

/// A consumed API's authentication, its templates compiled; token requests go through
/// `transport`.
fn auth(
    d: &DocBuild<'_>,
    api: &ConsumesHttp,
    secrets: &Secrets,
    transport: &Arc<dyn Transport>,
    client: &ClientOptions,
) -> Result<Auth, BuildProblem> {
    let tpl = |t: &Option<naftiko_spec::model::Text>| -> Result<Tpl, BuildProblem> {
        let text = t.as_ref().map(|t| t.value.as_str()).unwrap_or("");
        let compiled = Tpl::compile(text, &d.names).map_err(|e| BuildProblem {
            loc: t.as_ref().map(|t| t.loc.clone()),
            message: e,
        })?;
        // Literal credentials written in the file are secrets too.
        if compiled.binds().next().is_none() {
            secrets.add(text);
        }
        Ok(compiled)
    };
    Ok(match &api.authentication {
        None | Some(Authentication::None { .. }) => Auth::None,
        Some(Authentication::Basic(a)) => Auth::Basic {
            user: tpl(&a.username)?,
            password: tpl(&a.password)?,
        },
        Some(Authentication::Digest(a)) => Auth::Digest {
            user: tpl(&a.username)?,
            password: tpl(&a.password)?,
        },
        Some(Authentication::Bearer(b)) => Auth::Bearer(tpl(&b.token)?),
        Some(Authentication::ApiKey(k)) => {
            let query = k
                .placement
                .as_ref()
                .is_some_and(|p| p.value == naftiko_spec::model::ApiKeyPlacement::Query);
            let mut headers = Vec::new();
            for (name, value) in k.headers.iter() {
                let header =
                    http::header::HeaderName::from_bytes(name.value.as_bytes()).map_err(|_| {
                        problem(
                            &name.loc,
                            format!("`{}` is not a valid header name", name.value),
                        )
                    })?;
                headers.push((header, tpl(&Some(value.clone()))?));
            }
            if let Some(key) = k.key.as_ref().filter(|t| !t.value.contains("{{"))
                && !query
                && http::header::HeaderName::from_bytes(key.value.as_bytes()).is_err()
            {
                return Err(problem(
                    &key.loc,
                    format!("API key header `{}` is not a valid header name", key.value),
                ));
            }
            Auth::ApiKey {
                key: k.key.as_ref().map(|_| tpl(&k.key)).transpose()?,
                value: tpl(&k.value)?,
                query,
                headers,
            }
        }
        Some(Authentication::OAuth2(o)) => Auth::OAuth2(Arc::new(token_source(
            d,
            o,
            secrets,
            transport.clone(),
            client.clone(),
        )?)),
    })
}

/// The OAuth 2.0 client-credentials token source of a consumed API.
fn token_source(
    d: &DocBuild<'_>,
    o: &OAuth2Auth,
    secrets: &Secrets,
    transport: Arc<dyn Transport>,
    client: ClientOptions,
) -> Result<TokenSource, BuildProblem> {
    let render = |t: &Option<naftiko_spec::model::Text>| -> Result<Option<String>, BuildProblem> {
        t.as_ref()
            .map(|t| d.render_binds(t, "OAuth 2.0 client settings"))
            .transpose()
    };
    let endpoint_text = match render(&o.token_endpoint)? {
        Some(e) => e,
        None => match render(&o.authorization_server_uri)? {
            Some(base) => format!("{}/oauth2/token", base.trim_end_matches('/')),
            None => return Err(problem(&o.loc, "`oauth2` needs `tokenEndpoint`")),
        },
    };
    let endpoint = reqwest::Url::parse(&endpoint_text)
        .map_err(|e| problem(&o.loc, format!("token endpoint is not a URL: {e}")))?;
    let (Some(id), Some(secret)) = (render(&o.client_id)?, render(&o.client_secret)?) else {
        return Err(problem(
            &o.loc,
            "`oauth2` on a consumed API needs `clientId` and `clientSecret` (client-credentials grant)",
        ));
    };
    let mut extra = Vec::new();
    if !o.scopes.is_empty() {
        extra.push((
            "scope".to_owned(),
            o.scopes
                .iter()
                .map(|s| s.value.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    if let Some(a) = render(&o.audience)? {
        extra.push(("audience".to_owned(), a));
    }
    if let Some(r) = render(&o.resource)? {
        extra.push(("resource".to_owned(), r));
    }
    Ok(TokenSource::new(
        endpoint,
        transport,
        client,
        id,
        secret,
        extra,
        secrets.clone(),
    ))
}

/// True when calls to `base` can skip reqwest: HTTP or HTTPS with no proxy configured for
/// its scheme (the variables reqwest reads; `NO_PROXY` aside: any proxy setting for the
/// scheme leaves the choice to reqwest).
fn uses_h1_client(base: &str, env: &dyn EnvSource) -> bool {
    let proxies: [&str; 4] = if base.starts_with("http://") {
        ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    } else if base.starts_with("https://") {
        ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        return false;
    };
    !proxies
        .iter()
        .any(|v| env.var(v).is_some_and(|p| !p.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    #[test]
    fn http_and_https_without_a_proxy_for_their_scheme_take_the_h1_client() {
        let none = MapEnv::new::<&str, &str>([]);
        assert!(uses_h1_client("http://127.0.0.1:9", &none));
        assert!(uses_h1_client("https://api.example.com/v1", &none));
        let https_proxy = MapEnv::new([("HTTPS_PROXY", "http://proxy:3128")]);
        assert!(uses_h1_client("http://127.0.0.1:9", &https_proxy));
        assert!(!uses_h1_client("https://api.example.com", &https_proxy));
        let lower = MapEnv::new([("https_proxy", "http://proxy:3128")]);
        assert!(!uses_h1_client("https://api.example.com", &lower));
        let http_proxy = MapEnv::new([("http_proxy", "http://proxy:3128")]);
        assert!(!uses_h1_client("http://127.0.0.1:9", &http_proxy));
        assert!(uses_h1_client("https://api.example.com", &http_proxy));
        let all = MapEnv::new([("ALL_PROXY", "socks5://proxy:1080")]);
        assert!(!uses_h1_client("http://127.0.0.1:9", &all));
        assert!(!uses_h1_client("https://api.example.com", &all));
        let blank = MapEnv::new([("HTTPS_PROXY", " ")]);
        assert!(uses_h1_client("https://api.example.com", &blank));
    }
}
