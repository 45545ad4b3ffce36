//! `binds`: the values a capability reads from its environment or from files, resolved once
//! at build time (docs/semantics.md §2).
//!
//! A bind without `location` reads environment variables; with `location: file://…` it reads
//! top-level keys of a YAML, JSON or `.env` file, relative to the capability file. Values
//! that cannot be found are kept as missing with the reason, so the build can name every
//! missing variable that a template needs at once, and only warn about the others.

use std::path::{Path, PathBuf};

use naftiko_spec::Loc;
use naftiko_spec::model::{Binding, Document};
use serde_json::Value;

use crate::env::EnvSource;
use crate::secrets::Secrets;

/// One bound variable.
#[derive(Debug, Clone)]
pub struct BindEntry {
    /// The bind's namespace (`env` in `{{env.API_KEY}}`).
    pub namespace: String,
    /// The variable name templates use (`API_KEY`).
    pub key: String,
    /// Where its value comes from, for messages (`environment variable API_KEY`).
    pub origin: String,
    /// The value, or why there is none.
    pub value: Result<String, String>,
    /// Where the key is declared.
    pub loc: Loc,
}

/// Every bound variable of one document.
#[derive(Debug, Clone, Default)]
pub struct BindTable {
    /// The variables, in document order.
    pub entries: Vec<BindEntry>,
}

impl BindTable {
    /// Resolves the root and capability `binds` of `doc` (read from `path`).
    ///
    /// Every value found is registered in `secrets`.
    pub fn resolve(doc: &Document, path: &Path, env: &dyn EnvSource, secrets: &Secrets) -> Self {
        let mut table = BindTable::default();
        let binds = doc
            .binds
            .iter()
            .chain(doc.capability.iter().flat_map(|c| c.binds.iter()));
        for bind in binds {
            table.resolve_bind(bind, path, env);
        }
        for e in &table.entries {
            if let Ok(v) = &e.value {
                secrets.add(v);
            }
        }
        table
    }

    fn resolve_bind(&mut self, bind: &Binding, path: &Path, env: &dyn EnvSource) {
        let namespace = bind
            .namespace
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default();
        let file = bind
            .location
            .as_ref()
            .map(|l| read_bind_file(path, &l.value));
        for (key, source) in bind.keys.iter() {
            let (origin, value) = match &file {
                None => (
                    format!("environment variable `{}`", source.value),
                    env.var(&source.value).ok_or_else(|| {
                        format!("environment variable `{}` is not set", source.value)
                    }),
                ),
                Some(Err(e)) => (
                    format!("key `{}` of a bind file", source.value),
                    Err(e.clone()),
                ),
                Some(Ok((file_path, values))) => (
                    format!("key `{}` of {}", source.value, file_path.display()),
                    lookup_key(values, &source.value).ok_or_else(|| {
                        format!("{} has no key `{}`", file_path.display(), source.value)
                    }),
                ),
            };
            self.entries.push(BindEntry {
                namespace: namespace.clone(),
                key: key.value.clone(),
                origin,
                value,
                loc: key.loc.clone(),
            });
        }
    }

    /// Adds the process environment variables that `{{env.X}}` templates in `texts` read
    /// without a bind declaring `X` (the community dialect, docs/semantics.md §2), declared
    /// at `loc` (the document). Every value found is registered in `secrets`.
    pub fn add_environment_reads(
        &mut self,
        texts: &[&str],
        env: &dyn EnvSource,
        secrets: &Secrets,
        loc: &Loc,
    ) {
        for text in texts {
            for name in env_reads(text) {
                if self.entries.iter().any(|e| e.key == name) {
                    continue;
                }
                let value = env
                    .var(name)
                    .ok_or_else(|| format!("environment variable `{name}` is not set"));
                if let Ok(v) = &value {
                    secrets.add(v);
                }
                self.entries.push(BindEntry {
                    namespace: "env".to_owned(),
                    key: name.to_owned(),
                    origin: format!("environment variable `{name}` (no bind declares it)"),
                    value,
                    loc: loc.clone(),
                });
            }
        }
    }

    /// The index of the variable a template name refers to: `KEY`, `<namespace>.KEY`, or the
    /// community `env.KEY` (any namespace). `None` when the name is not a bind.
    pub fn find(&self, path: &[String]) -> Option<usize> {
        match path {
            [key] => self.entries.iter().position(|e| &e.key == key),
            [ns, key] => self
                .entries
                .iter()
                .position(|e| &e.namespace == ns && &e.key == key)
                .or_else(|| {
                    (ns == "env")
                        .then(|| self.entries.iter().position(|e| &e.key == key))
                        .flatten()
                }),
            _ => None,
        }
    }

    /// True when `name` is a bind namespace (so `{{name.X}}` must be a bind).
    pub fn is_namespace(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.namespace == name)
    }
}

/// The names `X` of the `{{env.X}}` templates in `text` (a YAML file's text: templates
/// can only be in its strings), in order, each once.
fn env_reads(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find("}}") else { break };
        let inner = rest[..end].trim();
        if let Some(name) = inner.strip_prefix("env.")
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// Reads a bind file: `Ok((path, top-level object))` or why it cannot be used.
fn read_bind_file(capability: &Path, location: &str) -> Result<(PathBuf, Value), String> {
    if !location.starts_with("file:") {
        let scheme = location.split("://").next().unwrap_or(location);
        return Err(format!(
            "bind location `{location}` uses `{scheme}`; naftiko reads `file://` locations only"
        ));
    }
    let file = naftiko_validate::workspace::import_path(capability, location);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read bind file {}: {e}", file.display()))?;
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let parsed = match ext {
        "env" => Ok(parse_dotenv(&text)),
        "json" => serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()),
        "yaml" | "yml" => yaml_serde::from_str::<Value>(&text).map_err(|e| e.to_string()),
        _ if file.file_name().and_then(|n| n.to_str()) == Some(".env") => Ok(parse_dotenv(&text)),
        _ => serde_json::from_str::<Value>(&text)
            .or_else(|_| yaml_serde::from_str::<Value>(&text))
            .map_err(|e| e.to_string()),
    }
    .map_err(|e| format!("bind file {} is not valid: {e}", file.display()))?;
    if !parsed.is_object() {
        return Err(format!(
            "bind file {} must hold a mapping of keys to values",
            file.display()
        ));
    }
    Ok((file, parsed))
}

/// A top-level key of a bind file, as text (scalars only).
fn lookup_key(values: &Value, key: &str) -> Option<String> {
    match values.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `KEY=VALUE` lines (`export ` prefixes, `#` comments and surrounding quotes allowed).
fn parse_dotenv(text: &str) -> Value {
    let mut map = serde_json::Map::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        map.insert(k.trim().to_owned(), Value::String(v.to_owned()));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_are_parsed_with_quotes_and_exports() {
        let v = parse_dotenv("# c\nexport A=1\nB=\"two words\"\nC='x'\nnot a pair\n");
        assert_eq!(v, serde_json::json!({"A": "1", "B": "two words", "C": "x"}));
    }

    #[test]
    fn non_file_locations_are_refused_with_the_scheme() {
        let e = read_bind_file(Path::new("cap.yaml"), "vault://secret/x").unwrap_err();
        assert!(e.contains("vault"), "{e}");
    }
}
