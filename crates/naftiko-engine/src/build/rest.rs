//! `exposes: type: rest`: one [`RestService`] per block, one route and operation per
//! resource operation (and a forward route per `forward`, built in `forward.rs`), and each
//! operation as an MCP tool description (for `--expose mcp` and the skills that refer to
//! it).

use naftiko_spec::model::{ExposesRest, ParamLocation};

use super::state::{Builder, DocBuild, DocOps, text};
use crate::ids::OpId;
use crate::invoke::{InputStyle, Invocable};
use crate::services::{OperationInfo, RestService, Route, Segment, segments};
use crate::skills::RestCall;
use crate::tools::{ArgMapping, ToolSpec, input_schema, output_schema};

/// Builds one REST block.
pub(super) fn build(b: &mut Builder<'_>, d: &DocBuild<'_>, rest: &ExposesRest, ops: &mut DocOps) {
    let namespace = text(&rest.namespace).unwrap_or_default();
    b.known_exposed.insert(namespace.clone());
    let (address, port) =
        b.options
            .listen_at(&namespace, &rest.address, &rest.port, "127.0.0.1", 8080);
    let guard = super::guard::guard(b, d, rest.authentication.as_ref(), &namespace);
    let mut routes = Vec::new();
    let mut forwards = Vec::new();
    for resource in &rest.resources {
        let path = text(&resource.path).unwrap_or_default();
        if let Some(spec) = &resource.forward {
            forwards.extend(super::forward::build(b, d, resource, spec, guard.as_ref()));
        }
        for op in &resource.operations {
            let method = op
                .method
                .as_ref()
                .map(|m| m.value.as_str())
                .unwrap_or("GET");
            let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
                continue;
            };
            let inputs = resource.input_parameters.iter().chain(&op.input_parameters);
            let mut built = d.build_invocable(
                inputs,
                InputStyle::Rest,
                &op.invocation,
                &op.loc,
                &mut b.problems,
            );
            built.exposure = Some(crate::binary::Exposure {
                binary_limit: crate::binary::limit(rest.max_binary_size.as_ref()),
                media_type: op.binary_media_type().map(std::sync::Arc::from),
            });
            let name = text(&op.name).unwrap_or_else(|| format!("{method} {path}"));
            let segs = segments(&path);
            let description = text(&op.description)
                .or_else(|| built.call_description())
                .or_else(|| text(&resource.description));
            let id = OpId(b.ops.len());
            ops.rest.push((
                namespace.clone(),
                name.clone(),
                RestCall {
                    method: method.to_string(),
                    path: path.clone(),
                    address: address.clone(),
                    port,
                },
                b.rest_tools.len(),
            ));
            if rest.authentication.is_some() {
                b.guarded_rest_tools.insert(b.rest_tools.len());
            }
            b.rest_tools
                .push(rest_tool(&built, &name, description, &segs, id));
            let info = OperationInfo {
                namespace: namespace.clone(),
                name,
                call: op.invocation.call.as_ref().map(|c| c.value.clone()),
            };
            b.push_op(info, built);
            routes.push(Route {
                path: path.clone(),
                segments: segs,
                method,
                op: id,
                guard: guard.clone(),
            });
        }
    }
    b.warn_if_open(
        "rest",
        &namespace,
        &address,
        port,
        rest.authentication.is_some(),
    );
    b.services.push(RestService {
        namespace,
        file: d.path.clone(),
        address,
        port,
        routes,
        forwards,
    });
}

/// The MCP tool derived from a REST operation (`--expose mcp`).
fn rest_tool(
    built: &Invocable,
    name: &str,
    description: Option<String>,
    segs: &[Segment],
    op: OpId,
) -> ToolSpec {
    let path: Vec<String> = segs
        .iter()
        .filter_map(|s| match s {
            Segment::Var { name, .. } => Some(name.clone()),
            Segment::Literal(_) => None,
        })
        .collect();
    let located = |l: ParamLocation| -> Vec<String> {
        built
            .inputs
            .iter()
            .filter(|i| i.location == l)
            .map(|i| i.name.clone())
            .collect()
    };
    ToolSpec {
        name: name.to_owned(),
        title: None,
        description,
        input_schema: input_schema(&built.inputs, &built.with, &built.target, &path),
        output_schema: output_schema(built.output_schema()),
        annotations: None,
        op,
        args: ArgMapping::Rest {
            query: located(ParamLocation::Query),
            headers: located(ParamLocation::Header),
            path,
        },
    }
}
