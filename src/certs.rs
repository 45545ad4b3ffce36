//! The certificate flags of `naftiko run`, read at start and at each reload: `--tls-cert`
//! and `--tls-key` (what listeners serve TLS with) and `--ca-bundle` (certificate
//! authorities upstream HTTPS trusts beside the system's roots). Each takes `PATH` (for
//! all) or `NAMESPACE=PATH`; every problem is reported at once, as a usage error.

use std::sync::Arc;

use naftiko_engine::CaBundle;
use naftiko_server::tls::Tls;
use naftiko_validate::Validation;

use crate::args::RunArgs;

/// `PATH` or `NAMESPACE=PATH` of `flag`.
fn split(flag: &str, value: &str) -> Result<(Option<String>, String), String> {
    match value.split_once('=') {
        Some((ns, path)) if !ns.is_empty() && !path.is_empty() => {
            Ok((Some(ns.to_owned()), path.to_owned()))
        }
        Some(_) => Err(format!("{flag} `{value}`: expected PATH or NAMESPACE=PATH")),
        None if value.is_empty() => Err(format!("{flag}: the path is empty")),
        None => Ok((None, value.to_owned())),
    }
}

/// Every value of `flag`, split; problems go to `problems`.
fn values(
    flag: &str,
    list: &[String],
    problems: &mut Vec<String>,
) -> Vec<(Option<String>, String)> {
    list.iter()
        .filter_map(|v| split(flag, v).map_err(|e| problems.push(e)).ok())
        .collect()
}

/// `--tls-cert` and `--tls-key`, paired by namespace and read; every problem at once
/// (a flag without its pair, a namespace naming no block, a file that cannot be used).
pub(crate) fn tls(args: &RunArgs, validation: &Validation) -> Result<Tls, Vec<String>> {
    let split = |flag: &str, value: &str| match value.split_once('=') {
        Some((ns, path)) if !ns.is_empty() && !path.is_empty() => {
            Ok((Some(ns.to_owned()), path.to_owned()))
        }
        Some(_) => Err(format!("{flag} `{value}`: expected PATH or NAMESPACE=PATH")),
        None if value.is_empty() => Err(format!("{flag}: the path is empty")),
        None => Ok((None, value.to_owned())),
    };
    let mut problems = Vec::new();
    let certs: Vec<_> = args
        .tls_cert
        .iter()
        .filter_map(|c| split("--tls-cert", c).map_err(|e| problems.push(e)).ok())
        .collect();
    let keys: Vec<_> = args
        .tls_key
        .iter()
        .filter_map(|k| split("--tls-key", k).map_err(|e| problems.push(e)).ok())
        .collect();
    let known = crate::overrides::Known::of(validation);
    let mut tls = Tls::default();
    for (ns, cert) in &certs {
        let Some((_, key)) = keys.iter().find(|(k, _)| k == ns) else {
            problems.push(format!(
                "--tls-cert `{cert}` has no --tls-key{}",
                for_namespace(ns)
            ));
            continue;
        };
        if let Some(ns) = ns
            && ns != "control"
            && !known.exposed.contains(ns)
        {
            problems.push(format!(
                "--tls-cert `{ns}=…`: no exposes block `{ns}` (known: {}, control)",
                known.exposed.join(", ")
            ));
            continue;
        }
        match naftiko_server::tls::server_config(cert.as_ref(), key.as_ref()) {
            Ok(config) => match ns {
                Some(ns) => tls.namespaces.push((ns.clone(), config)),
                None => tls.all = Some(config),
            },
            Err(e) => problems.push(e.to_string()),
        }
    }
    for (ns, key) in &keys {
        if !certs.iter().any(|(c, _)| c == ns) {
            problems.push(format!(
                "--tls-key `{key}` has no --tls-cert{}",
                for_namespace(ns)
            ));
        }
    }
    if problems.is_empty() {
        Ok(tls)
    } else {
        Err(problems)
    }
}

fn for_namespace(ns: &Option<String>) -> String {
    ns.as_ref()
        .map(|n| format!(" for `{n}`"))
        .unwrap_or_default()
}

/// What `--ca-bundle` adds to the system's roots.
#[derive(Debug, Default)]
pub(crate) struct Roots {
    /// For every consumed API (several `PATH`s together).
    pub(crate) all: Option<Arc<CaBundle>>,
    /// By consumed namespace.
    pub(crate) namespaces: Vec<(String, Arc<CaBundle>)>,
}

/// `--ca-bundle`, read.
pub(crate) fn ca_bundles(args: &RunArgs, validation: &Validation) -> Result<Roots, Vec<String>> {
    let mut problems = Vec::new();
    let known = crate::overrides::Known::of(validation);
    let mut roots = Roots::default();
    for (ns, path) in values("--ca-bundle", &args.ca_bundle, &mut problems) {
        if let Some(ns) = &ns
            && !known.consumed.contains(ns)
        {
            problems.push(format!(
                "--ca-bundle `{ns}=…`: no consumed API `{ns}` (known: {})",
                known.consumed.join(", ")
            ));
            continue;
        }
        let bundle = match CaBundle::read(path.as_ref()) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("--ca-bundle {e}"));
                continue;
            }
        };
        match ns {
            Some(ns) => roots.namespaces.push((ns, Arc::new(bundle))),
            None => {
                let merged = match &roots.all {
                    Some(all) => all.merged(&bundle),
                    None => bundle,
                };
                roots.all = Some(Arc::new(merged));
            }
        }
    }
    if problems.is_empty() {
        Ok(roots)
    } else {
        Err(problems)
    }
}
