//! Reading the capability files `naftiko run` names, at start and at each reload: the
//! flags that place blocks and replace base URIs (`--listen`, `--base-uri`, `--expose`,
//! `--control`), validation with ports checked where the flags put the blocks, and the
//! build options.

use std::io::IsTerminal;
use std::sync::Arc;

use naftiko_engine::{BuildOptions, ClientOptions, McpListen, ProcessEnv};
use naftiko_spec::Severity;
use naftiko_validate::report::{self, Format, RenderOptions};
use naftiko_validate::{Options, Validation, validate_paths_at};

use naftiko_server::tls::Tls;

use crate::args::RunArgs;
use crate::certs;

/// What reading the files came to.
pub(crate) enum Loaded {
    /// Flags that cannot be read, paths that cannot be read, flags that name nothing.
    Usage(Vec<String>),
    /// The files have errors.
    Invalid(Validation),
    /// The files validate: build them with these options, serve TLS as `Tls` says.
    Valid(Box<Validation>, Box<BuildOptions>, Tls),
}

/// Reads and validates the files of `args`.
pub(crate) fn load(args: &RunArgs) -> Loaded {
    let mut usage = Vec::new();
    let mut overrides = Overrides::parse(args, &mut usage);
    let validation = validate_placed(args, &mut overrides, &mut usage);
    if !usage.is_empty() {
        return Loaded::Usage(usage);
    }
    if validation.has_errors() {
        return Loaded::Invalid(validation);
    }
    let (tls, roots) = match (
        certs::tls(args, &validation),
        certs::ca_bundles(args, &validation),
    ) {
        (Ok(tls), Ok(roots)) => (tls, roots),
        (tls, roots) => {
            let mut problems = tls.err().unwrap_or_default();
            problems.extend(roots.err().unwrap_or_default());
            return Loaded::Usage(problems);
        }
    };
    let mut options = overrides.build_options(args);
    options.client.extra_roots = roots.all;
    options.ca_bundles = roots.namespaces;
    Loaded::Valid(Box::new(validation), Box::new(options), tls)
}

/// What `--expose` asks for.
#[derive(Debug, PartialEq)]
enum Expose {
    Mcp(McpListen),
    Skill(String, u16),
}

fn parse_expose(text: &str) -> Result<Expose, String> {
    if text == "skill" {
        return Ok(Expose::Skill("127.0.0.1".to_owned(), 8090));
    }
    let (kind, target) = split_pair("--expose", text, "HOST:PORT")?;
    let (_, host, port) = match (kind, target) {
        ("mcp", "stdio") => return Ok(Expose::Mcp(McpListen::Stdio)),
        ("mcp" | "skill", t) => parse_listen(&format!("x={t}"))
            .map_err(|_| format!("--expose `{text}`: expected {kind}=HOST:PORT"))?,
        _ => {
            return Err(format!(
                "--expose `{text}`: expected mcp=HOST:PORT, mcp=stdio, skill or skill=HOST:PORT"
            ));
        }
    };
    Ok(if kind == "mcp" {
        Expose::Mcp(McpListen::Http(host, port))
    } else {
        Expose::Skill(host, port)
    })
}

fn split_pair<'a>(flag: &str, text: &'a str, what: &str) -> Result<(&'a str, &'a str), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => Err(format!("{flag} `{text}`: expected NAMESPACE={what}")),
    }
}

/// `NAMESPACE=HOST:PORT`, or `HOST:PORT` alone (an empty namespace: the one block that can
/// listen, resolved once the files are read).
fn parse_listen(text: &str) -> Result<(String, String, u16), String> {
    let (ns, addr) = if text.contains('=') {
        split_pair("--listen", text, "HOST:PORT")?
    } else {
        ("", text.trim())
    };
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| format!("--listen `{text}`: expected HOST:PORT after `=`"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--listen `{text}`: `{port}` is not a port number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("--listen `{text}`: the host is empty"));
    }
    Ok((ns.to_owned(), host.to_owned(), port))
}

/// Validates the files, with ports and routes checked where `--listen` puts the blocks (not
/// where the files do); adds to `usage` the paths that cannot be read and the flags that
/// name no block, and gives `--listen HOST:PORT` its block.
fn validate_placed(
    args: &RunArgs,
    overrides: &mut Overrides,
    usage: &mut Vec<String>,
) -> naftiko_validate::Validation {
    let options = Options {
        strict: false,
        ..Options::default()
    };
    let named: Vec<_> = overrides
        .listens
        .iter()
        .filter(|(ns, _, _)| !ns.is_empty())
        .cloned()
        .collect();
    let validation = validate_paths_at(&args.paths, &options, &named);
    usage.extend(validation.path_errors.iter().cloned());
    if !usage.is_empty() {
        return validation;
    }
    let known = crate::overrides::Known::of(&validation);
    usage.extend(known.resolve(&mut overrides.listens, &overrides.base_uris));
    if named.len() == overrides.listens.len() || !usage.is_empty() {
        return validation;
    }
    validate_paths_at(&args.paths, &options, &overrides.listens)
}

/// What the command line says over the capability files (`--base-uri`, `--listen`,
/// `--expose`, `--control`).
struct Overrides {
    base_uris: Vec<(String, String)>,
    listens: Vec<(String, String, u16)>,
    expose_mcp: Option<naftiko_engine::McpListen>,
    expose_skill: Option<(String, u16)>,
    control: Option<(String, u16)>,
}

impl Overrides {
    /// Reads the flags; each one that cannot be read adds a line to `usage`.
    fn parse(args: &RunArgs, usage: &mut Vec<String>) -> Self {
        let mut base_uris = Vec::new();
        for b in &args.base_uri {
            match split_pair("--base-uri", b, "URL") {
                Ok((ns, url)) => match naftiko_engine::base_uri_problem(url) {
                    None => base_uris.push((ns.to_owned(), url.to_owned())),
                    Some(why) => usage.push(format!(
                        "--base-uri `{b}`: {why}; expected NAMESPACE=http(s)://HOST[:PORT][/PATH]"
                    )),
                },
                Err(e) => usage.push(e),
            }
        }
        let mut listens = Vec::new();
        for l in &args.listen {
            match parse_listen(l) {
                Ok(v) => listens.push(v),
                Err(e) => usage.push(e),
            }
        }
        let (mut expose_mcp, mut expose_skill) = (None, None);
        for e in &args.expose {
            match parse_expose(e) {
                Ok(Expose::Mcp(l)) => expose_mcp = Some(l),
                Ok(Expose::Skill(h, p)) => expose_skill = Some((h, p)),
                Err(e) => usage.push(e),
            }
        }
        let control = match args
            .control
            .as_deref()
            .map(|c| parse_listen(&format!("control={c}")))
        {
            Some(Ok((_, host, port))) => Some((host, port)),
            Some(Err(_)) => {
                usage.push(format!(
                    "--control `{}`: expected HOST:PORT",
                    args.control.as_deref().unwrap_or("")
                ));
                None
            }
            None => None,
        };
        Overrides {
            base_uris,
            listens,
            expose_mcp,
            expose_skill,
            control,
        }
    }

    /// How to build: these overrides, the client flags, the process environment.
    fn build_options(self, args: &RunArgs) -> BuildOptions {
        BuildOptions {
            base_uris: self.base_uris,
            listens: self.listens,
            client: ClientOptions {
                connect_timeout: args.connect_timeout,
                total_timeout: args.upstream_timeout,
                max_response_bytes: args.max_upstream_body,
                extra_roots: None,
            },
            env: Arc::new(ProcessEnv),
            expose_mcp: self.expose_mcp,
            expose_skill: self.expose_skill,
            control: self.control,
            general_only: args.general_path,
            transport: None,
            ca_bundles: Vec::new(),
        }
    }
}

/// Prints the validation errors (not the warnings) to standard error.
pub(crate) fn report_errors(validation: &naftiko_validate::Validation) {
    let errors: Vec<_> = validation
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    let options = RenderOptions {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        files_checked: validation.files.len(),
        tool_version: env!("CARGO_PKG_VERSION"),
        path_errors: Vec::new(),
    };
    eprint!(
        "{}",
        report::render(Format::Human, &errors, &validation.sources(), &options)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_values_need_a_namespace_host_and_port() {
        assert_eq!(
            parse_listen("api=127.0.0.1:8081").unwrap(),
            ("api".into(), "127.0.0.1".into(), 8081)
        );
        assert_eq!(parse_listen("api=[::1]:80").unwrap().1, "::1");
        assert!(parse_listen("api=127.0.0.1").is_err());
        assert_eq!(parse_listen("127.0.0.1:80").unwrap().0, "");
        assert!(parse_listen("=127.0.0.1:80").is_err());
    }

    #[test]
    fn expose_values_name_mcp_or_skill() {
        assert_eq!(
            parse_expose("mcp=stdio").unwrap(),
            Expose::Mcp(McpListen::Stdio)
        );
        assert_eq!(
            parse_expose("mcp=127.0.0.1:9").unwrap(),
            Expose::Mcp(McpListen::Http("127.0.0.1".into(), 9))
        );
        assert_eq!(
            parse_expose("skill").unwrap(),
            Expose::Skill("127.0.0.1".into(), 8090)
        );
        assert!(parse_expose("rest=127.0.0.1:1").is_err());
    }
}
