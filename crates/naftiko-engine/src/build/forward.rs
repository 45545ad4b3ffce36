//! The `forward` resources of REST blocks (docs/semantics.md §5): each one becomes a
//! [`Forward`] of the runtime (the consumed API it passes requests on to, with its
//! authentication, fixed parameters and the document's streaming client, or one of its own
//! when `--ca-bundle` gives the API certificate authorities of its own) and a
//! [`ForwardRoute`] of its block.

use std::sync::Arc;

use naftiko_spec::model::{ExposedResource, Forward as ForwardSpec};

use super::state::{Builder, DocBuild, problem, text};
use crate::forward::{Forward, ForwardParts};
use crate::guard::Guard;
use crate::ids::ForwardId;
use crate::request::FixedParams;
use crate::services::{ForwardRoute, Segment, segments};

/// Builds the forward of `resource`; its route, or `None` when its target cannot be called
/// (a problem is reported once, for the consumed API or by `validate`).
pub(super) fn build(
    b: &mut Builder<'_>,
    d: &DocBuild<'_>,
    resource: &ExposedResource,
    spec: &ForwardSpec,
    guard: Option<&Arc<Guard>>,
) -> Option<ForwardRoute> {
    let path = text(&resource.path).unwrap_or_default();
    let target = &spec.target_namespace.as_ref()?.value;
    let upstream = d.upstreams.get(target)?.clone();
    let api = d.scope.api(target)?;
    let segs = segments(&path);
    let capture = capture(&segs);
    if capture.is_none() && segs.iter().any(|s| matches!(s, Segment::Var { .. })) {
        b.warnings.push(format!(
            "{}: `forward` on {path}: the last segment is not a bare variable (`{{path}}`), so \
             nothing of the request path is passed on: requests go to the base URI of `{target}`",
            d.path.display()
        ));
    }
    let fixed = FixedParams::compile(&api.input_parameters, &d.names, b.options.env.as_ref())
        .map_err(|e| {
            b.problems
                .push(problem(&spec.loc, format!("`forward` to `{target}`: {e}")))
        })
        .ok()?;
    let parts = ForwardParts {
        upstream: upstream.clone(),
        capture: capture.clone(),
        trusted: spec
            .trusted_headers
            .iter()
            .map(|t| t.value.as_str())
            .collect(),
        fixed,
        binds: d.binds_values.clone(),
        // A consumed API with CAs of its own streams through a client that trusts them.
        client: if b.options.ca_bundles.iter().any(|(ns, _)| ns == target) {
            crate::reqwest_client::LazyClient::streaming(&upstream.options)
        } else {
            d.streaming.clone()
        },
    };
    let (forward, ignored) = Forward::new(parts)
        .map_err(|e| {
            b.problems
                .push(problem(&spec.loc, format!("`forward` to `{target}`: {e}")))
        })
        .ok()?;
    for why in ignored {
        b.warnings.push(format!(
            "{}: `forward` on {path}: trusted header {why}; it is ignored",
            d.path.display()
        ));
    }
    let id = ForwardId(b.forwards.len());
    b.forwards.push(forward);
    Some(ForwardRoute {
        path,
        segments: segs,
        captures: capture.is_some(),
        forward: id,
        target: target.clone(),
        guard: guard.cloned(),
    })
}

/// The variable that captures the rest of the path: the last segment, when it is a
/// variable with no text around it (`/notion/{path}`, `/notion/{{path}}`).
fn capture(segs: &[Segment]) -> Option<String> {
    match segs.last() {
        Some(Segment::Var {
            prefix,
            name,
            suffix,
        }) if prefix.is_empty() && suffix.is_empty() => Some(name.clone()),
        _ => None,
    }
}
