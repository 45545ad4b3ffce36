//! `exposes` blocks: REST, MCP, skill and control adapters.

use super::auth::read_authentication;
use super::consumes::{METHODS, lowercase_method};
use super::invocation::{Unit, check_outputs, read_invocation};
use super::params::{InputContext, read_binary_size, read_input};
use super::reader::{Cx, Need, Obj, formats};
use crate::diag::{Diagnostic, rule};
use crate::model::{
    Authentication, ExposedOperation, ExposedResource, ExposedSkill, Exposes, ExposesControl,
    ExposesMcp, ExposesRest, ExposesSkill, Forward, McpPrompt, McpPromptArgument, McpPromptMessage,
    McpResource, McpTool, McpToolHints, ScriptingDefaults, SkillTool, SkillToolFrom, Text,
};
use crate::span::{Loc, Pointer, Spanned};
use crate::yaml::{Node, NodeKind};

/// The fields every kind of exposes block has.
struct Common {
    address: Option<Text>,
    port: Option<Spanned<u16>>,
    /// Always `None` on a control block, which has no namespace.
    namespace: Option<Text>,
    description: Option<Text>,
    authentication: Option<Authentication>,
    loc: Loc,
}

/// Reads one `exposes` block: the fields all kinds share, then those of its `type`.
pub(super) fn read_exposes(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<Exposes> {
    let mut o = cx.obj(node, ptr, "an exposes block")?;
    let kind = o.req_text(cx, "type", Need::Runtime)?;
    o.what = exposes_what(cx, &kind)?;
    let common = read_common(cx, &mut o, kind.as_str());
    let exposes = match kind.as_str() {
        "rest" => read_rest_block(cx, &mut o, common),
        "mcp" => read_mcp_block(cx, &mut o, common),
        "skill" => read_skill_block(cx, &mut o, common),
        _ => read_control_block(cx, &mut o, common),
    };
    o.finish(cx);
    Some(exposes)
}

/// How messages name an exposes block of type `kind`; `None` (reported) for an unknown
/// type.
fn exposes_what(cx: &mut Cx<'_>, kind: &Text) -> Option<&'static str> {
    match kind.as_str() {
        "rest" => Some("a rest exposes block"),
        "mcp" => Some("an mcp exposes block"),
        "skill" => Some("a skill exposes block"),
        "control" => Some("a control exposes block"),
        other => {
            cx.push(Diagnostic::error(
                rule::INVALID_VALUE,
                kind.loc.clone(),
                format!(
                    "exposes `type` is `{other}`; expected one of `rest`, `mcp`, `skill`, `control`"
                ),
            ));
            None
        }
    }
}

/// Reads the fields every exposes block has (a `kind` block).
fn read_common(cx: &mut Cx<'_>, o: &mut Obj<'_>, kind: &str) -> Common {
    let address = o.text(cx, "address");
    if let Some(a) = &address {
        cx.pattern(
            a,
            "address",
            formats::address(a),
            "a hostname or an IP address",
        );
    }
    let port = read_port(cx, o, kind);
    let authentication = o
        .take("authentication")
        .and_then(|(n, p)| read_authentication(cx, n, &p, false));
    let namespace = if kind == "control" {
        None
    } else if cx.beta5() {
        o.ruled_namespace(cx)
    } else {
        let ns = o.req_text(cx, "namespace", Need::Runtime);
        if let Some(n) = &ns {
            cx.pattern(n, "namespace", formats::kebab(n), "letters, digits and `-`");
        }
        ns
    };
    // The official schema allows `description` on mcp and skill blocks only.
    if matches!(kind, "rest" | "control") && o.has("description") {
        let loc = o.key_loc(cx, "description");
        cx.push(
            Diagnostic::deviation(
                rule::DIALECT_EXPOSES_DESCRIPTION,
                loc,
                format!("`description` on a {kind} exposes block is community dialect"),
            )
            .with_hint(
                "the official schema allows `description` only on mcp and skill exposes blocks",
            ),
        );
    }
    let description = o.text(cx, "description");
    let loc = o.loc(cx);
    Common {
        address,
        port,
        namespace,
        description,
        authentication,
        loc,
    }
}

/// The rest of a REST exposes block: its resources.
fn read_rest_block(cx: &mut Cx<'_>, o: &mut Obj<'_>, c: Common) -> Exposes {
    let max_binary_size = if cx.beta5() {
        read_binary_size(cx, o)
    } else {
        None
    };
    let resources = o.named(cx, "resources", read_rest_resource);
    Exposes::Rest(ExposesRest {
        address: c.address,
        port: c.port,
        namespace: c.namespace,
        description: c.description,
        authentication: c.authentication,
        max_binary_size,
        resources,
        loc: c.loc,
    })
}

/// The rest of an MCP exposes block: its transport (a stdio server has no port), tools,
/// resources and prompts.
fn read_mcp_block(cx: &mut Cx<'_>, o: &mut Obj<'_>, c: Common) -> Exposes {
    let transport = {
        let choices: &[(&str, &str, bool)] = &[("http", "http", true), ("stdio", "stdio", true)];
        o.choice(cx, "transport", choices, |_, _| {})
            .map(|t| Spanned::new(t.value.to_string(), t.loc))
    };
    let stdio = transport.as_ref().is_some_and(|t| t.as_str() == "stdio");
    if stdio && c.port.is_some() {
        let ploc = o.key_loc(cx, "port");
        cx.push(Diagnostic::error(
            rule::CONFLICTING_FIELDS,
            ploc,
            "a stdio MCP server has no `port`",
        ));
    }
    if !stdio && c.port.is_none() && !o.has("port") {
        o.missing(cx, "port", Need::Runtime);
    }
    if !o.has("tools") {
        o.missing(cx, "tools", Need::Schema);
    }
    let (max_binary_size, ttl_ms, cache_scope) = read_mcp_cache(cx, o);
    let tools = o.named(cx, "tools", read_tool);
    let resources = o.named(cx, "resources", read_mcp_resource);
    let prompts = o.named(cx, "prompts", read_prompt);
    Exposes::Mcp(ExposesMcp {
        transport,
        address: c.address,
        port: c.port,
        namespace: c.namespace,
        description: c.description,
        authentication: c.authentication,
        max_binary_size,
        ttl_ms,
        cache_scope,
        tools,
        resources,
        prompts,
        loc: c.loc,
    })
}

/// The rest of a skill exposes block: its skills.
fn read_skill_block(cx: &mut Cx<'_>, o: &mut Obj<'_>, c: Common) -> Exposes {
    if !o.has("skills") {
        o.missing(cx, "skills", Need::Runtime);
    }
    let skills = o.named(cx, "skills", read_skill);
    Exposes::Skill(ExposesSkill {
        address: c.address,
        port: c.port,
        namespace: c.namespace,
        description: c.description,
        authentication: c.authentication,
        skills,
        loc: c.loc,
    })
}

/// The rest of a control exposes block: `management` and `observability`, checked and
/// kept as JSON.
fn read_control_block(cx: &mut Cx<'_>, o: &mut Obj<'_>, c: Common) -> Exposes {
    let mut scripting_defaults = ScriptingDefaults::default();
    let management = o.take("management").map(|(n, p)| {
        scripting_defaults = check_management(cx, n, &p);
        n.to_json()
    });
    let observability = o.take("observability").map(|(n, p)| {
        check_observability(cx, n, &p);
        n.to_json()
    });
    Exposes::Control(ExposesControl {
        address: c.address,
        port: c.port,
        description: c.description,
        authentication: c.authentication,
        management,
        observability,
        scripting_defaults,
        loc: c.loc,
    })
}

fn read_port(cx: &mut Cx<'_>, o: &mut Obj<'_>, kind: &str) -> Option<Spanned<u16>> {
    let Some((n, p)) = o.take("port") else {
        if kind != "mcp" {
            o.missing(cx, "port", Need::Runtime);
        }
        return None;
    };
    match n.kind {
        NodeKind::Int(i) if (1..=65535).contains(&i) => u16::try_from(i)
            .ok()
            .map(|v| Spanned::new(v, cx.loc(n, &p))),
        NodeKind::Int(i) => {
            let loc = cx.loc(n, &p);
            cx.push(Diagnostic::error(
                rule::INVALID_VALUE,
                loc,
                format!("`port` is {i}; a port is between 1 and 65535"),
            ));
            None
        }
        _ => {
            cx.wrong_type(n, &p, "port", "an integer between 1 and 65535");
            None
        }
    }
}

fn read_rest_resource(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<ExposedResource> {
    let mut o = cx.obj(node, ptr, "an exposed resource")?;
    let name = o.name(cx, given, None, formats::kebab, "letters, digits and `-`");
    let label = o.display(cx, None);
    let description = o.text(cx, "description");
    let tags = o.tags(cx);
    let path = o.req_text(cx, "path", Need::Runtime);
    let input_parameters = o.named(cx, "inputParameters", |cx, n, p, name| {
        read_input(cx, n, p, name, InputContext::ExposedRest)
    });
    let operations = o.named(cx, "operations", read_rest_operation);
    let forward = o.take("forward").and_then(|(n, p)| {
        let mut f = cx.obj(n, &p, "`forward`")?;
        let target_namespace = f.req_text(cx, "targetNamespace", Need::Runtime);
        let trusted_headers = f.texts(cx, "trustedHeaders");
        let loc = f.loc(cx);
        f.finish(cx);
        Some(Forward {
            target_namespace,
            trusted_headers,
            loc,
        })
    });
    if !o.has("operations") && !o.has("forward") {
        let loc = o.loc(cx);
        cx.push(Diagnostic::error(
            rule::REQUIRED_FIELD,
            loc,
            "an exposed resource needs `operations` or `forward`",
        ));
    }
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ExposedResource {
        name,
        label,
        description,
        tags,
        path,
        input_parameters,
        operations,
        forward,
        loc,
    })
}

fn read_rest_operation(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<ExposedOperation> {
    let mut o = cx.obj(node, ptr, "an exposed operation")?;
    let name = o.name(cx, given, None, formats::kebab, "letters, digits and `-`");
    let label = o.display(cx, None);
    let description = o.text(cx, "description");
    let tags = o.tags(cx);
    if !o.has("method") {
        o.missing(cx, "method", Need::Schema);
    }
    let method = o.choice(cx, "method", METHODS, lowercase_method);
    let input_parameters = o.named(cx, "inputParameters", |cx, n, p, name| {
        read_input(cx, n, p, name, InputContext::ExposedRest)
    });
    let (responses, response_binary) = read_responses(cx, &mut o);
    let invocation = read_invocation(cx, &mut o, Unit::RestOperation);
    let loc = o.loc(cx);
    if invocation.reference.is_none()
        && !invocation.steps.is_empty()
        && name.is_none()
        && !invocation
            .output_parameters
            .iter()
            .all(|p| p.name.is_none())
    {
        o.missing(cx, "name", Need::Schema);
    }
    check_outputs(cx, Unit::RestOperation, &invocation, &loc, false);
    o.finish(cx);
    Some(ExposedOperation {
        name,
        label,
        description,
        tags,
        method,
        input_parameters,
        responses,
        response_binary,
        invocation,
        loc,
    })
}

fn read_tool(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer, given: Option<Text>) -> Option<McpTool> {
    let mut o = cx.obj(node, ptr, "an MCP tool")?;
    let has_ref = o.has("ref");
    let need = (!has_ref).then_some(Need::Runtime);
    let name = o.name(cx, given, need, formats::kebab, "letters, digits and `-`");
    let label = o.display(cx, None);
    let tags = o.tags(cx);
    let description = if has_ref {
        o.text(cx, "description")
    } else {
        o.req_text(cx, "description", Need::Schema)
    };
    let input_parameters = o.named(cx, "inputParameters", |cx, n, p, name| {
        read_input(cx, n, p, name, InputContext::Tool)
    });
    let hints = o.take("hints").and_then(|(n, p)| {
        let mut h = cx.obj(n, &p, "`hints`")?;
        let read_only = h.boolean(cx, "readOnly");
        let destructive = h.boolean(cx, "destructive");
        let idempotent = h.boolean(cx, "idempotent");
        let open_world = h.boolean(cx, "openWorld");
        let loc = h.loc(cx);
        h.finish(cx);
        Some(McpToolHints {
            read_only,
            destructive,
            idempotent,
            open_world,
            loc,
        })
    });
    let invocation = read_invocation(cx, &mut o, Unit::McpTool);
    let loc = o.loc(cx);
    check_outputs(cx, Unit::McpTool, &invocation, &loc, false);
    o.finish(cx);
    Some(McpTool {
        name,
        label,
        description,
        tags,
        input_parameters,
        hints,
        invocation,
        loc,
    })
}

fn read_mcp_resource(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<McpResource> {
    let mut o = cx.obj(node, ptr, "an MCP resource")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::extended,
        "letters, digits, `-`, `_` or `*`",
    );
    let label = o.display(cx, Some(Need::Schema));
    let uri = o.req_text(cx, "uri", Need::Runtime);
    let description = o.req_text(cx, "description", Need::Schema);
    let mime_type = o.text(cx, "mimeType");
    if let Some(m) = &mime_type {
        cx.pattern(
            m,
            "mimeType",
            formats::mime_type(m),
            "a media type such as `application/json`",
        );
    }
    let location = o.text(cx, "location");
    if let Some(l) = &location {
        cx.pattern(l, "location", l.starts_with("file:///"), "a `file:///` URI");
    }
    let binary = read_resource_binary(cx, &mut o);
    if o.has("ref") {
        let loc = o.key_loc(cx, "ref");
        cx.push(Diagnostic::deviation(
            rule::UNKNOWN_KEY,
            loc,
            "MCP resources have no `ref` in the official schema",
        ));
    }
    let invocation = read_invocation(cx, &mut o, Unit::McpResource);
    let loc = o.loc(cx);
    check_outputs(cx, Unit::McpResource, &invocation, &loc, location.is_some());
    o.finish(cx);
    Some(McpResource {
        name,
        label,
        uri,
        description,
        mime_type,
        location,
        binary,
        invocation,
        loc,
    })
}

fn read_prompt(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<McpPrompt> {
    let mut o = cx.obj(node, ptr, "an MCP prompt")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::extended,
        "letters, digits, `-`, `_` or `*`",
    );
    let label = o.display(cx, Some(Need::Schema));
    let description = o.req_text(cx, "description", Need::Schema);
    let arguments = o.named(cx, "arguments", read_prompt_argument);
    let template = o.list(cx, "template", read_prompt_message);
    let location = o.text(cx, "location");
    if let Some(l) = &location {
        cx.pattern(l, "location", l.starts_with("file:///"), "a `file:///` URI");
    }
    o.one_of(
        cx,
        ("template", o.has("template")),
        ("location", location.is_some()),
    );
    let loc = o.loc(cx);
    o.finish(cx);
    Some(McpPrompt {
        name,
        label,
        description,
        arguments,
        template,
        location,
        loc,
    })
}

/// Reads an argument of an MCP prompt.
fn read_prompt_argument(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<McpPromptArgument> {
    let mut a = cx.obj(node, ptr, "a prompt argument")?;
    let name = a.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::extended,
        "letters, digits, `-`, `_` or `*`",
    );
    let label = a.display(cx, None);
    let description = a.req_text(cx, "description", Need::Schema);
    let required = a.boolean(cx, "required");
    let loc = a.loc(cx);
    a.finish(cx);
    Some(McpPromptArgument {
        name,
        label,
        description,
        required,
        loc,
    })
}

/// Reads a message of an MCP prompt's `template`: its `role` and `content`.
fn read_prompt_message(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<McpPromptMessage> {
    let mut m = cx.obj(node, ptr, "a prompt message")?;
    let roles: &[(&str, &str, bool)] = &[("user", "user", true), ("assistant", "assistant", true)];
    if !m.has("role") {
        m.missing(cx, "role", Need::Runtime);
    }
    let role = m
        .choice(cx, "role", roles, |_, _| {})
        .map(|r| Spanned::new(r.value.to_string(), r.loc));
    let content = m.req_text(cx, "content", Need::Runtime);
    let loc = m.loc(cx);
    m.finish(cx);
    Some(McpPromptMessage { role, content, loc })
}

/// Reads one skill of a skill exposes block: its metadata and its tools.
fn read_skill(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<ExposedSkill> {
    let mut o = cx.obj(node, ptr, "a skill")?;
    let name = o.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::kebab,
        "letters, digits and `-`",
    );
    let description = o.req_text(cx, "description", Need::Schema);
    let license = o.text(cx, "license");
    let compatibility = o.text(cx, "compatibility");
    if let Some(c) = &compatibility {
        cx.pattern(
            c,
            "compatibility",
            c.chars().count() <= 500,
            "at most 500 characters",
        );
    }
    let metadata = o.text_map(cx, "metadata");
    let allowed_tools = o.text(cx, "allowed-tools");
    if let Some(a) = &allowed_tools {
        cx.pattern(
            a,
            "allowed-tools",
            a.chars().count() <= 1024,
            "at most 1024 characters",
        );
    }
    let argument_hint = o.text(cx, "argument-hint");
    let user_invocable = o.boolean(cx, "user-invocable");
    let disable_model_invocation = o.boolean(cx, "disable-model-invocation");
    let location = o.text(cx, "location");
    if let Some(l) = &location {
        cx.pattern(l, "location", l.starts_with("file:///"), "a `file:///` URI");
    }
    let tools = o.named(cx, "tools", read_skill_tool);
    let loc = o.loc(cx);
    o.finish(cx);
    Some(ExposedSkill {
        name,
        description,
        license,
        compatibility,
        metadata,
        allowed_tools,
        argument_hint,
        user_invocable,
        disable_model_invocation,
        location,
        tools,
        loc,
    })
}

/// Reads a tool of a skill: it comes `from` an adapter's action or is an `instruction`.
fn read_skill_tool(
    cx: &mut Cx<'_>,
    node: &Node,
    ptr: &Pointer,
    given: Option<Text>,
) -> Option<SkillTool> {
    let mut t = cx.obj(node, ptr, "a skill tool")?;
    let name = t.name(
        cx,
        given,
        Some(Need::Runtime),
        formats::kebab,
        "letters, digits and `-`",
    );
    let description = t.req_text(cx, "description", Need::Schema);
    let from = t
        .take("from")
        .and_then(|(n, p)| read_skill_tool_from(cx, n, &p));
    let instruction = t.text(cx, "instruction");
    t.one_of(
        cx,
        ("from", t.has("from")),
        ("instruction", t.has("instruction")),
    );
    let loc = t.loc(cx);
    t.finish(cx);
    Some(SkillTool {
        name,
        description,
        from,
        instruction,
        loc,
    })
}

/// Reads a skill tool's `from`: the namespace and action it delegates to.
fn read_skill_tool_from(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<SkillToolFrom> {
    let mut f = cx.obj(node, ptr, "`from`")?;
    let source_namespace = f.req_text(cx, "sourceNamespace", Need::Runtime);
    let action = f.req_text(cx, "action", Need::Runtime);
    let loc = f.loc(cx);
    f.finish(cx);
    Some(SkillToolFrom {
        source_namespace,
        action,
        loc,
    })
}

/// Checks the control block's `management` settings (kept as JSON in the model); its
/// `scripting` settings, read.
fn check_management(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> ScriptingDefaults {
    let Some(mut o) = cx.obj(node, ptr, "`management`") else {
        return ScriptingDefaults::default();
    };
    for key in ["health", "info", "reload", "validate"] {
        o.boolean(cx, key);
    }
    if let Some((n, p)) = o.take("logs")
        && !matches!(n.kind, NodeKind::Bool(_))
        && let Some(mut l) = cx.obj(n, &p, "`logs`")
    {
        l.boolean(cx, "level-control");
        l.boolean(cx, "stream");
        int_in(cx, &mut l, "max-subscribers", 1, 20);
        l.finish(cx);
    }
    let scripting = o
        .take("scripting")
        .and_then(|(n, p)| read_scripting(cx, n, &p))
        .unwrap_or_default();
    o.finish(cx);
    scripting
}

/// `management.scripting`: checked and read.
fn read_scripting(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) -> Option<ScriptingDefaults> {
    const LANGUAGES: [&str; 3] = ["javascript", "python", "groovy"];
    let mut s = cx.obj(node, ptr, "`scripting`")?;
    let enabled = s.boolean(cx, "enabled");
    let location = s.text(cx, "defaultLocation");
    if let Some(l) = &location {
        cx.pattern(
            l,
            "defaultLocation",
            l.starts_with("file:///"),
            "a `file:///` URI",
        );
    }
    let langs = LANGUAGES.map(|l| (l, l, true));
    let language = s
        .choice(cx, "defaultLanguage", &langs, |_, _| {})
        .map(|l| Spanned::new(l.value.to_owned(), l.loc));
    let positive = |v: Spanned<i64>| Spanned::new(v.value.unsigned_abs(), v.loc);
    let timeout = int_in(cx, &mut s, "timeout", 1, i64::MAX).map(positive);
    let statement_limit = int_in(cx, &mut s, "statementLimit", 1, i64::MAX).map(positive);
    let allowed_languages = s
        .take("allowedLanguages")
        .map(|(n, p)| {
            cx.list(n, &p, "allowedLanguages", |cx, item, ip| {
                let t = cx.text(item, ip, "allowedLanguages")?;
                if LANGUAGES.contains(&t.as_str()) {
                    return Some(t);
                }
                cx.bad_value(item, ip, "allowedLanguages", &LANGUAGES);
                None
            })
        })
        .unwrap_or_default();
    s.finish(cx);
    Some(ScriptingDefaults {
        enabled,
        location,
        language,
        timeout,
        statement_limit,
        allowed_languages,
    })
}

/// The integer `key`, when it is one between `min` and `max` (otherwise reported).
fn int_in(
    cx: &mut Cx<'_>,
    o: &mut Obj<'_>,
    key: &'static str,
    min: i64,
    max: i64,
) -> Option<Spanned<i64>> {
    if let Some((n, p)) = o.take(key) {
        match n.kind {
            NodeKind::Int(i) if (min..=max).contains(&i) => {
                return Some(Spanned::new(i, cx.loc(n, &p)));
            }
            NodeKind::Int(i) => {
                let loc = cx.loc(n, &p);
                cx.push(Diagnostic::error(
                    rule::INVALID_VALUE,
                    loc,
                    format!(
                        "`{key}` is {i}; expected at least {min}{}",
                        if max < i64::MAX {
                            format!(" and at most {max}")
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            _ => cx.wrong_type(n, &p, key, "an integer"),
        }
    }
    None
}

/// Checks the control block's `observability` settings (kept as JSON in the model).
fn check_observability(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) {
    let Some(mut o) = cx.obj(node, ptr, "`observability`") else {
        return;
    };
    o.boolean(cx, "enabled");
    if let Some((n, p)) = o.take("metrics")
        && let Some(mut m) = cx.obj(n, &p, "`metrics`")
    {
        local(cx, &mut m, false);
        m.finish(cx);
    }
    if let Some((n, p)) = o.take("traces")
        && let Some(mut t) = cx.obj(n, &p, "`traces`")
    {
        if let Some((n, p)) = t.take("sampling") {
            match n.kind {
                NodeKind::Int(i) if (0..=1).contains(&i) => {}
                NodeKind::Float(f) if (0.0..=1.0).contains(&f) => {}
                _ => cx.wrong_type(n, &p, "sampling", "a number between 0 and 1"),
            }
        }
        let props: &[(&str, (), bool)] = &[("w3c", (), true), ("b3", (), true)];
        t.choice(cx, "propagation", props, |_, _| {});
        local(cx, &mut t, true);
        t.finish(cx);
    }
    if let Some((n, p)) = o.take("exporters")
        && let Some(mut e) = cx.obj(n, &p, "`exporters`")
    {
        if let Some((n, p)) = e.take("otlp")
            && let Some(mut x) = cx.obj(n, &p, "`otlp`")
        {
            x.req_text(cx, "endpoint", Need::Runtime);
            x.finish(cx);
        }
        e.finish(cx);
    }
    o.finish(cx);
}

fn local(cx: &mut Cx<'_>, o: &mut Obj<'_>, buffer: bool) {
    if let Some((n, p)) = o.take("local")
        && let Some(mut l) = cx.obj(n, &p, "`local`")
    {
        l.boolean(cx, "enabled");
        if buffer {
            int_in(cx, &mut l, "buffer-size", 10, 10000);
        }
        l.finish(cx);
    }
}

/// beta5's binary and cache settings of an MCP block: `maxBinarySize`, `ttlMs`,
/// `cacheScope` (the caching hints of MCP 2026-07-28 results).
#[allow(clippy::type_complexity)]
fn read_mcp_cache(
    cx: &mut Cx<'_>,
    o: &mut Obj<'_>,
) -> (Option<Text>, Option<Spanned<i64>>, Option<Text>) {
    if !cx.beta5() {
        return (None, None, None);
    }
    let size = read_binary_size(cx, o);
    let ttl = o.take("ttlMs").and_then(|(n, p)| match n.kind {
        NodeKind::Int(i) => Some(Spanned::new(i, cx.loc(n, &p))),
        _ => {
            cx.wrong_type(n, &p, "ttlMs", "an integer (milliseconds)");
            None
        }
    });
    let scopes: &[(&str, &str, bool)] = &[("public", "public", true), ("private", "private", true)];
    let scope = o
        .choice(cx, "cacheScope", scopes, |_, _| {})
        .map(|s| Spanned::new(s.value.to_string(), s.loc));
    (size, ttl, scope)
}

/// beta5's `binary` on an MCP resource: its content is bytes, answered as blob contents.
fn read_resource_binary(cx: &mut Cx<'_>, o: &mut Obj<'_>) -> Option<Spanned<bool>> {
    if !cx.beta5() {
        return None;
    }
    o.boolean(cx, "binary")
}

/// beta5's `responses` and `responseBinary` on a REST operation (one or the other), kept
/// as written after their shape is checked.
#[allow(clippy::type_complexity)]
fn read_responses(
    cx: &mut Cx<'_>,
    o: &mut Obj<'_>,
) -> (
    Option<Spanned<serde_json::Value>>,
    Option<Spanned<serde_json::Value>>,
) {
    if !cx.beta5() {
        return (None, None);
    }
    if o.has("responses") && o.has("responseBinary") {
        let loc = o.key_loc(cx, "responseBinary");
        cx.push(Diagnostic::error(
            rule::CONFLICTING_FIELDS,
            loc,
            "an exposed operation has `responses` or `responseBinary`, not both",
        ));
    }
    let responses = o.take("responses").map(|(n, p)| {
        check_responses(cx, n, &p);
        Spanned::new(n.to_json(), cx.loc(n, &p))
    });
    let binary = o.take("responseBinary").and_then(|(n, p)| {
        let mut b = cx.obj(n, &p, "`responseBinary`")?;
        if let Some((sn, sp)) = b.take("status") {
            match sn.kind {
                NodeKind::Int(i) if (100..=599).contains(&i) => {}
                _ => cx.wrong_type(sn, &sp, "status", "an HTTP status between 100 and 599"),
            }
        }
        let media = b.req_text(cx, "mediaType", Need::Runtime);
        if let Some(m) = &media {
            cx.pattern(
                m,
                "mediaType",
                formats::mime_type(m),
                "a media type such as `image/png`",
            );
        }
        b.text(cx, "description");
        b.finish(cx);
        Some(Spanned::new(n.to_json(), cx.loc(n, &p)))
    });
    (responses, binary)
}

/// Checks `responses`: status (`200`, `4XX`) → `{description, content: {media type:
/// {binary, schema}}}`.
fn check_responses(cx: &mut Cx<'_>, node: &Node, ptr: &Pointer) {
    let NodeKind::Map(entries) = &node.kind else {
        cx.wrong_type(node, ptr, "responses", "a mapping of status: response");
        return;
    };
    for (k, v) in entries {
        let status = k.key_text();
        let kp = ptr.key(&status);
        let b = status.as_bytes();
        let ok = b.len() == 3
            && (b'1'..=b'5').contains(&b[0])
            && b[1..].iter().all(|c| c.is_ascii_digit() || *c == b'X');
        if !ok {
            let loc = cx.loc(k, &kp);
            cx.push(Diagnostic::deviation(
                rule::PATTERN_MISMATCH,
                loc,
                format!(
                    "response status `{status}`; the official schema requires `^[1-5][0-9X]{{2}}$`"
                ),
            ));
        }
        let Some(mut r) = cx.obj(v, &kp, "a response") else {
            continue;
        };
        r.text(cx, "description");
        if let Some((cn, cp)) = r.take("content") {
            let NodeKind::Map(media) = &cn.kind else {
                cx.wrong_type(cn, &cp, "content", "a mapping of media type: content");
                r.finish(cx);
                continue;
            };
            {
                for (mk, mv) in media {
                    let name = mk.key_text();
                    let mp = cp.key(&name);
                    if !formats::mime_type(&name) {
                        let loc = cx.loc(mk, &mp);
                        cx.push(Diagnostic::deviation(
                            rule::PATTERN_MISMATCH,
                            loc,
                            format!("`{name}` is not a media type"),
                        ));
                    }
                    if let Some(mut m) = cx.obj(mv, &mp, "a response content") {
                        m.boolean(cx, "binary");
                        if let Some((sn, sp)) = m.take("schema")
                            && !matches!(sn.kind, NodeKind::Map(_))
                        {
                            cx.wrong_type(sn, &sp, "schema", "a mapping (a JSON Schema)");
                        }
                        m.finish(cx);
                    }
                }
            }
        }
        r.finish(cx);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// An MCP prompt takes `template` or `location`, a skill tool `from` or `instruction`:
    /// exactly one of each pair, both being one error and neither another.
    #[test]
    fn alternatives_need_exactly_one() {
        let text = "naftiko: 1.0.0-alpha2
capability:
  exposes:
  - type: mcp
    namespace: m
    prompts:
    - name: both
      template: []
      location: file:///p.md
    - name: neither
  - type: skill
    namespace: s
    skills:
    - name: k
      tools:
      - name: both
        from: {sourceNamespace: m, action: a}
        instruction: x.md
      - name: neither
";
        let doc = crate::load_str(Path::new("alternatives.yaml").into(), text);
        let said: Vec<(&str, &str)> = doc
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.message.as_str()))
            .collect();
        for expected in [
            (
                "conflicting-fields",
                "an MCP prompt has `template` or `location`, not both",
            ),
            (
                "required-field",
                "an MCP prompt needs `template` or `location`",
            ),
            (
                "conflicting-fields",
                "a skill tool has `from` or `instruction`, not both",
            ),
            (
                "required-field",
                "a skill tool needs `from` or `instruction`",
            ),
        ] {
            assert!(said.contains(&expected), "{expected:?} not in {said:#?}");
        }
    }
}
