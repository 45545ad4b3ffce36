//! What every path item of an exported document shares: naftiko's problem bodies
//! (RFC 9457) and OpenAPI's way of writing a path.

use serde_json::{Value, json};

/// A response's content when it is one of naftiko's problems.
pub(crate) fn problem_content() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

/// The `401` response of a guarded block's operations.
pub(crate) fn unauthorized() -> Value {
    json!({"description": "The request carries no valid credentials.", "content": problem_content()})
}

/// naftiko's problem bodies (RFC 9457).
pub(crate) fn problem_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "`urn:naftiko:problem:<kind>`."},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
        "required": ["type", "title", "status"],
    })
}

/// `/items/{{id}}` and `/items/{id}` as OpenAPI writes them: `/items/{id}`.
pub(crate) fn openapi_path(path: &str) -> String {
    path.replace("{{", "{").replace("}}", "}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variable_spellings_are_written_the_openapi_way() {
        assert_eq!(openapi_path("/a/{{id}}/b/{x}"), "/a/{id}/b/{x}");
    }
}
