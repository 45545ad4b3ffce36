//! `exposes: type: skill`: one [`SkillService`] per block, its tools pointing at the
//! document's REST operations or MCP tools; and with `--expose skill`, one derived skill
//! per capability.

use naftiko_spec::model::{ExposedSkill, ExposesSkill};

use super::state::{Builder, DocBuild, DocOps, text};
use crate::services::EXPOSED_SKILL_NAMESPACE;
use crate::skills::{SkillService, SkillSpec, SkillTool, SkillToolKind, kebab};

/// Builds one skill block.
pub(super) fn build(b: &mut Builder<'_>, d: &DocBuild<'_>, sk: &ExposesSkill, ops: &DocOps) {
    let namespace = text(&sk.namespace).unwrap_or_default();
    b.known_exposed.insert(namespace.clone());
    let (address, port) = b
        .options
        .listen_at(&namespace, &sk.address, &sk.port, "127.0.0.1", 8090);
    b.warn_if_open(
        "skill",
        &namespace,
        &address,
        port,
        sk.authentication.is_some(),
    );
    let guard = super::guard::guard(b, d, sk.authentication.as_ref(), &namespace);
    let skills = sk.skills.iter().map(|s| skill(b, d, s, ops)).collect();
    b.skills.push(SkillService {
        guard,
        namespace,
        description: text(&sk.description),
        address,
        port,
        skills,
    });
}

/// One declared skill.
fn skill(b: &Builder<'_>, d: &DocBuild<'_>, s: &ExposedSkill, ops: &DocOps) -> SkillSpec {
    let tools = s
        .tools
        .iter()
        .map(|t| SkillTool {
            name: text(&t.name).unwrap_or_default(),
            description: text(&t.description).unwrap_or_default(),
            kind: match (&t.from, &t.instruction) {
                (Some(from), _) => find_tool(
                    b,
                    ops,
                    &text(&from.source_namespace).unwrap_or_default(),
                    &text(&from.action).unwrap_or_default(),
                ),
                (None, Some(i)) => SkillToolKind::Instruction {
                    path: i.value.clone(),
                },
                (None, None) => SkillToolKind::Instruction {
                    path: String::new(),
                },
            },
        })
        .collect();
    SkillSpec {
        name: text(&s.name).unwrap_or_default(),
        description: text(&s.description).unwrap_or_default(),
        license: text(&s.license),
        compatibility: text(&s.compatibility),
        metadata: s
            .metadata
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect(),
        allowed_tools: text(&s.allowed_tools),
        argument_hint: text(&s.argument_hint),
        user_invocable: s.user_invocable.as_ref().map(|b| b.value),
        disable_model_invocation: s.disable_model_invocation.as_ref().map(|b| b.value),
        location: s
            .location
            .as_ref()
            .map(|l| naftiko_validate::workspace::import_path(d.path, &l.value)),
        tools,
    }
}

/// The document's operation `action` of exposes namespace `ns`: a REST operation first,
/// else an MCP tool.
fn find_tool(b: &Builder<'_>, ops: &DocOps, ns: &str, action: &str) -> SkillToolKind {
    if let Some((_, _, call, i)) = ops.rest.iter().find(|(n, a, _, _)| n == ns && a == action) {
        return SkillToolKind::Derived {
            namespace: ns.to_owned(),
            action: action.to_owned(),
            mode: "rest",
            tool: b.rest_tools.get(*i).cloned(),
            rest: Some(call.clone()),
        };
    }
    let tool = ops
        .mcp
        .iter()
        .find(|(n, t)| n == ns && t.name == action)
        .map(|(_, t)| t.clone());
    SkillToolKind::Derived {
        namespace: ns.to_owned(),
        action: action.to_owned(),
        mode: if tool.is_some() { "mcp" } else { "unknown" },
        tool,
        rest: None,
    }
}

/// With `--expose skill`: the document's REST operations as one skill, named after its
/// label (or file name).
pub(super) fn derive(b: &mut Builder<'_>, d: &DocBuild<'_>, ops: &DocOps) {
    if b.options.expose_skill.is_none() || ops.rest.is_empty() {
        return;
    }
    let info = d.doc.info.as_ref();
    let name = info
        .and_then(|i| i.label.as_ref())
        .map(|l| kebab(&l.value))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            kebab(
                &d.path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        });
    let tools = ops
        .rest
        .iter()
        .map(|(ns, action, _, i)| SkillTool {
            name: action.clone(),
            description: b
                .rest_tools
                .get(*i)
                .and_then(|t| t.description.clone())
                .unwrap_or_default(),
            kind: find_tool(b, ops, ns, action),
        })
        .collect();
    let spec = SkillSpec {
        name,
        description: info.and_then(|i| text(&i.description)).unwrap_or_default(),
        tools,
        ..SkillSpec::default()
    };
    b.derived_skills.push(spec);
}

/// `--expose skill`: the catalog of derived skills.
pub(super) fn expose_derived(b: &mut Builder<'_>) {
    let Some((address, port)) = &b.options.expose_skill else {
        return;
    };
    b.warn_if_open("skill", EXPOSED_SKILL_NAMESPACE, address, *port, false);
    b.skills.push(SkillService {
        namespace: EXPOSED_SKILL_NAMESPACE.to_owned(),
        description: Some(
            "One skill per capability served, derived from its REST operations.".to_owned(),
        ),
        address: address.clone(),
        port: *port,
        skills: std::mem::take(&mut b.derived_skills),
        guard: None,
    });
}
