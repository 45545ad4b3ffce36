//! naftiko's own rules on `authentication` blocks:
//!
//! - an exposes block's authentication that lacks what naftiko needs to enforce it (a
//!   `bearer` without `token`, `basic`/`digest` without `username` or `password`, an
//!   `apikey` without `value`, `introspection` without `clientId` and `clientSecret`) is an
//!   error: `run` would refuse to start rather than serve the block open;
//! - a credential written in the file (`token`, `password`, an API key's `value`,
//!   `clientSecret`), on a consumed API or an exposes block, rather than a template over
//!   `binds`, is a warning: the file would carry the secret into version control.

use naftiko_spec::Loc;
use naftiko_spec::diag::{Diagnostic, rule};
use naftiko_spec::model::{Authentication, Document, Exposes, Text};

/// Runs both rules on every authentication block of `doc`.
pub fn check(doc: &Document, diags: &mut Vec<Diagnostic>) {
    let Some(cap) = &doc.capability else { return };
    for c in &cap.consumes {
        if let naftiko_spec::model::Consumes::Http(h) = c
            && let Some(a) = &h.authentication
        {
            literal_secrets(a, diags);
        }
    }
    for e in &cap.exposes {
        let auth = match e {
            Exposes::Rest(r) => r.authentication.as_ref(),
            Exposes::Mcp(m) => m.authentication.as_ref(),
            Exposes::Skill(s) => s.authentication.as_ref(),
            Exposes::Control(c) => c.authentication.as_ref(),
        };
        if let Some(a) = auth {
            enforceable(a, diags);
            literal_secrets(a, diags);
        }
    }
}

/// The fields `a` needs and lacks, as one error (one mistake, one diagnostic).
fn enforceable(a: &Authentication, diags: &mut Vec<Diagnostic>) {
    let (scheme, missing): (&str, Vec<&str>) = match a {
        Authentication::None { .. } => return,
        Authentication::Bearer(b) => ("bearer", lacking(&[("token", &b.token)])),
        Authentication::Basic(u) => (
            "basic",
            lacking(&[("username", &u.username), ("password", &u.password)]),
        ),
        Authentication::Digest(u) => (
            "digest",
            lacking(&[("username", &u.username), ("password", &u.password)]),
        ),
        // A missing `key` is already a required-field error of the reader.
        Authentication::ApiKey(k) if k.headers.is_empty() && k.key.is_some() => {
            ("apikey", lacking(&[("value", &k.value)]))
        }
        Authentication::ApiKey(_) => return,
        Authentication::OAuth2(o)
            if o.token_validation
                .as_ref()
                .is_some_and(|t| t.value == "introspection") =>
        {
            (
                "oauth2 introspection",
                lacking(&[
                    ("clientId", &o.client_id),
                    ("clientSecret", &o.client_secret),
                ]),
            )
        }
        Authentication::OAuth2(_) => return,
    };
    if missing.is_empty() {
        return;
    }
    let fields = missing
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    diags.push(
        Diagnostic::error(
            rule::AUTH_UNENFORCEABLE,
            a.loc().clone(),
            format!("`{scheme}` authentication without {fields}: naftiko cannot check callers"),
        )
        .with_hint("bind the value, e.g. `binds: [{namespace: env, keys: {API_TOKEN: API_TOKEN}}]` and `token: '{{API_TOKEN}}'`"),
    );
}

fn lacking<'f>(fields: &[(&'f str, &Option<Text>)]) -> Vec<&'f str> {
    fields
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect()
}

/// A warning per credential written as a literal.
fn literal_secrets(a: &Authentication, diags: &mut Vec<Diagnostic>) {
    let secrets: Vec<(&str, &Option<Text>)> = match a {
        Authentication::None { .. } => Vec::new(),
        Authentication::Bearer(b) => vec![("token", &b.token)],
        Authentication::Basic(u) | Authentication::Digest(u) => vec![("password", &u.password)],
        Authentication::ApiKey(k) => vec![("value", &k.value)],
        Authentication::OAuth2(o) => vec![("clientSecret", &o.client_secret)],
    };
    let mut found: Vec<(&str, &Loc)> = secrets
        .into_iter()
        .filter_map(|(name, t)| t.as_ref().map(|t| (name, t)))
        .filter(|(_, t)| is_literal(&t.value))
        .map(|(name, t)| (name, &t.loc))
        .collect();
    if let Authentication::ApiKey(k) = a {
        found.extend(
            k.headers
                .iter()
                .filter(|(_, v)| is_literal(&v.value))
                .map(|(n, v)| (n.value.as_str(), &v.loc)),
        );
    }
    for (name, loc) in found {
        diags.push(
            Diagnostic::warning(
                rule::AUTH_LITERAL_SECRET,
                loc.clone(),
                format!("`{name}` is written in the file: a credential belongs in the environment or a secret store, not in version control"),
            )
            .with_hint("bind it (`binds: [{namespace: env, keys: {NAME: NAME}}]`) and write `'{{NAME}}'`"),
        );
    }
}

/// A non-empty value with no template in it.
fn is_literal(value: &str) -> bool {
    !value.trim().is_empty() && !value.contains("{{")
}
