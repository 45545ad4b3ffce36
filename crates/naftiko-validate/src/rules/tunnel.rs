//! The beta5 ruleset's OpenZiti tunnel rules (`ikanos-rules.yml`, "Reverse Tunnel"): a
//! `tunnel.identity` template names a bind of the file, `fallback: direct` is for loopback
//! APIs only, and a tunnelled API with a public top-level domain is worth a second look.
//!
//! naftiko refuses every `tunnel` (`unsupported-feature`: it cannot dial OpenZiti), but
//! these rules still report, so that a file fixed for naftiko is also right for an engine
//! that tunnels. They follow the ruleset's patterns exactly (its JavaScript regular
//! expressions are matched by hand below).

use std::collections::HashMap;

use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Consumes, ConsumesHttp, Document, Text, Tunnel};

/// Runs the tunnel rules on one beta5 document.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let binds = bound_keys(doc);
    for c in doc.all_consumes() {
        let Consumes::Http(api) = c else { continue };
        let Some(tunnel) = &api.tunnel else { continue };
        if let Some(identity) = &tunnel.identity {
            identity_must_bind(identity, &binds, diags);
        }
        if let Some(base) = &api.base_uri {
            base_uri_rules(api, tunnel, base, diags);
        }
    }
}

/// The `(namespace, key)` of the binds that tunnel identities refer to, which count as used
/// (`bind-unused`); whether they exist is `ikanos-tunnel-identity-must-bind`'s to say.
pub(crate) fn identity_bind_uses(doc: &Document) -> Vec<(String, String)> {
    doc.all_consumes()
        .filter_map(|c| match c {
            Consumes::Http(api) => api.tunnel.as_ref()?.identity.as_ref(),
            Consumes::Import(_) => None,
        })
        .flat_map(|identity| bind_references(&identity.value))
        .map(|(ns, key)| (ns.to_owned(), key.to_owned()))
        .collect()
}

/// The keys each bind namespace of the document declares (root and capability binds; two
/// binds of one namespace pool their keys, as the ruleset's function does).
fn bound_keys(doc: &Document) -> HashMap<&str, Vec<&str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for b in doc.all_binds() {
        let Some(ns) = &b.namespace else { continue };
        let keys = map.entry(ns.as_str()).or_default();
        keys.extend(b.keys.iter().map(|(k, _)| k.as_str()));
    }
    map
}

/// `ikanos-tunnel-identity-must-bind`: every `{{namespace.key}}` in the identity names a
/// declared bind and one of its keys (a bare path has no reference and is not checked).
fn identity_must_bind(
    identity: &Text,
    binds: &HashMap<&str, Vec<&str>>,
    diags: &mut Vec<Diagnostic>,
) {
    for (ns, key) in bind_references(&identity.value) {
        let (message, hint) = match binds.get(ns) {
            None => (
                format!(
                    "`tunnel.identity` uses `{{{{{ns}.{key}}}}}`, but no bind of this file has the namespace `{ns}`"
                ),
                format!("declare a bind `{ns}` with the key `{key}` under `binds`"),
            ),
            Some(keys) if !keys.contains(&key) => (
                format!(
                    "`tunnel.identity` uses `{{{{{ns}.{key}}}}}`, but the bind `{ns}` declares no key `{key}`"
                ),
                format!("add `{key}` to the `keys` of the bind `{ns}`"),
            ),
            Some(_) => continue,
        };
        diags.push(
            Diagnostic::error(
                rule::IKANOS_TUNNEL_IDENTITY_MUST_BIND,
                identity.loc.clone(),
                message,
            )
            .with_hint(hint),
        );
    }
}

/// The `(namespace, key)` of every match of the ruleset's
/// `/\{\{\s*([a-z0-9-]+)\.([a-z0-9-_]+)\s*\}\}/gi` in `text`, left to right.
fn bind_references(text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(open) = text[at..].find("{{") {
        let start = at + open;
        match bind_reference_at(&text[start..]) {
            Some((ns, key, len)) => {
                found.push((ns, key));
                at = start + len;
            }
            None => at = start + 1,
        }
    }
    found
}

/// The reference that starts `text` (at its `{{`), with the length it spans.
fn bind_reference_at(text: &str) -> Option<(&str, &str, usize)> {
    let inner = text.strip_prefix("{{")?.trim_start();
    let ns_len = run_len(inner, |b| b.is_ascii_alphanumeric() || b == b'-');
    let after_ns = inner[ns_len..].strip_prefix('.')?;
    let key_len = run_len(after_ns, |b| {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
    });
    let rest = after_ns[key_len..].trim_start().strip_prefix("}}")?;
    if ns_len == 0 || key_len == 0 {
        return None;
    }
    Some((
        &inner[..ns_len],
        &after_ns[..key_len],
        text.len() - rest.len(),
    ))
}

/// How many leading bytes of `s` satisfy `ok` (ASCII only, so a char boundary).
fn run_len(s: &str, ok: impl Fn(u8) -> bool) -> usize {
    s.bytes().take_while(|b| ok(*b)).count()
}

/// The rules on a tunnelled API's `baseUri`: `ikanos-tunnel-fallback-direct-warns` and
/// `ikanos-tunnel-with-public-baseuri-warns`.
fn base_uri_rules(api: &ConsumesHttp, tunnel: &Tunnel, base: &Text, diags: &mut Vec<Diagnostic>) {
    let direct = tunnel
        .fallback
        .as_ref()
        .is_some_and(|f| f.value == "direct");
    if direct && !is_loopback(&base.value) {
        diags.push(
            Diagnostic::warning(
                rule::IKANOS_TUNNEL_FALLBACK_DIRECT_WARNS,
                base.loc.clone(),
                format!(
                    "`tunnel.fallback: direct` with `baseUri` `{}`, which is not loopback: when the tunnel cannot be opened, requests bypass it",
                    base.value
                ),
            )
            .with_hint("use `fallback: fail` (the default) unless the API is on this host"),
        );
    }
    if has_public_tld(&base.value) {
        let ns = api.namespace.as_ref().map_or("", |n| n.as_str());
        diags.push(
            Diagnostic::new(
                naftiko_spec::Severity::Info,
                rule::IKANOS_TUNNEL_WITH_PUBLIC_BASEURI_WARNS,
                base.loc.clone(),
                format!(
                    "the tunnelled API `{ns}` has a public top-level domain in `baseUri` `{}`",
                    base.value
                ),
            )
            .with_hint("check that the host resolves through the tunnel, not through public DNS"),
        );
    }
}

/// What follows `http://` or `https://`, if `uri` starts with either.
fn after_scheme(uri: &str) -> Option<&str> {
    uri.strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
}

/// The ruleset's `^https?://(127\.0\.0\.1|localhost|\[::1\])(:|/|$)`.
fn is_loopback(uri: &str) -> bool {
    let Some(rest) = after_scheme(uri) else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

/// The ruleset's `^https?://[^/]+\.(com|net|org|io|co|app|dev|cloud|ai)(:|/|$)`: one of
/// these domains, after at least one character of the authority, ends the authority or
/// comes before a `:`.
fn has_public_tld(uri: &str) -> bool {
    const TLDS: &[&str] = &["com", "net", "org", "io", "co", "app", "dev", "cloud", "ai"];
    let Some(rest) = after_scheme(uri) else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.match_indices('.').any(|(dot, _)| {
        let after = &authority[dot + 1..];
        dot > 0
            && TLDS.iter().any(|tld| {
                after
                    .strip_prefix(tld)
                    .is_some_and(|end| end.is_empty() || end.starts_with(':'))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_the_ruleset_pattern() {
        assert_eq!(
            bind_references("{{secrets.ZITI_IDENTITY}}"),
            vec![("secrets", "ZITI_IDENTITY")]
        );
        assert_eq!(
            bind_references("{{ a-b.c_d }}/{{{x.y}}}"),
            vec![("a-b", "c_d"), ("x", "y")]
        );
        for none in [
            "/etc/ziti/id.json",
            "{{KEY}}",
            "{{a.b.c}}",
            "{{.k}}",
            "{{a.}}",
            "{{a.b}",
        ] {
            assert!(bind_references(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn loopback_hosts_end_the_authority_or_come_before_a_port() {
        for yes in [
            "http://localhost",
            "https://127.0.0.1:8443/x",
            "http://[::1]/",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "https://localhost.evil.test",
            "https://crm.internal",
            "ftp://localhost",
            "http://127.0.0.10",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn public_domains_end_the_authority_or_come_before_a_port() {
        for yes in [
            "https://api.example.com",
            "https://a.io:8443/v1",
            "http://x.co/",
            "https://u@h.cloud",
        ] {
            assert!(has_public_tld(yes), "{yes}");
        }
        for no in [
            "https://crm.internal",
            "https://a.com.internal",
            "https://.com",
            "https://x.COM",
            "https://h/a.com",
            "https://a.company",
        ] {
            assert!(!has_public_tld(no), "{no}");
        }
    }
}
