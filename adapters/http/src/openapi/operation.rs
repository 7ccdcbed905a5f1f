//! Operations: each row of the route table as an OpenAPI operation object — the same verb,
//! path, parameters, body and statuses the router serves.

use serde_json::{Map, Value as Json, json};

use super::schema::{ERROR_SCHEMA, Side, schema_ref, type_schema};
use crate::routes::{Content, Param, RouteSpec};

fn json_content(schema: Json) -> Json {
    json!({"application/json": {"schema": schema}})
}

fn parameter(param: &Param) -> Json {
    match param {
        Param::Id { name, ty } => json!({
            "name": name,
            "in": "path",
            "required": true,
            "schema": type_schema(ty, Side::Input),
        }),
        // The example is what the explorer's "Try it out" starts from: without one, Swagger
        // UI builds a sample of the schema (`"order": "string"`), which is a 400.
        Param::Json { name, schema } => json!({
            "name": name,
            "in": "query",
            "content": {"application/json": {"schema": schema_ref(schema), "example": {}}},
        }),
        Param::IfMatch => json!({
            "name": "If-Match",
            "in": "header",
            "description": "The ETag read with the entity: the write happens only if it is still at that version",
            "schema": {"type": "string"},
        }),
    }
}

/// The success response of a route.
fn success(route: &RouteSpec) -> Json {
    let (_, description, content) = &route.success;
    let mut response = Map::new();
    response.insert("description".into(), json!(description));
    let schema = match content {
        Content::Entity(name) => Some(schema_ref(name)),
        Content::List(name) => Some(json!({"type": "array", "items": schema_ref(name)})),
        Content::Count => Some(schema_ref("loopback.Count")),
        Content::Empty => None,
    };
    if let Some(schema) = schema {
        response.insert("content".into(), json_content(schema));
    }
    if let Some(version) = &route.etag {
        response.insert(
            "headers".into(),
            json!({"ETag": {
                "description": format!("The entity's version (`{version}`), quoted"),
                "schema": {"type": "string"},
            }}),
        );
    }
    Json::Object(response)
}

/// One route as an operation object.
pub(crate) fn operation(route: &RouteSpec) -> Json {
    let mut responses = Map::new();
    responses.insert(route.success.0.to_string(), success(route));
    for (status, description) in &route.errors {
        let response = if *status == 414 {
            // Past 64 KiB the HTTP server itself answers, with an empty body.
            json!({"description": description})
        } else {
            json!({"description": description, "content": json_content(schema_ref(ERROR_SCHEMA))})
        };
        responses.insert(status.to_string(), response);
    }
    let mut op = Map::new();
    op.insert("x-controller-name".into(), json!(route.controller));
    op.insert("x-operation-name".into(), json!(route.operation));
    op.insert("tags".into(), json!([route.controller]));
    op.insert("summary".into(), json!(route.summary));
    op.insert("responses".into(), Json::Object(responses));
    if !route.params.is_empty() {
        let params: Vec<Json> = route.params.iter().map(parameter).collect();
        op.insert("parameters".into(), Json::Array(params));
    }
    if let Some(body) = &route.body {
        op.insert(
            "requestBody".into(),
            json!({"content": json_content(schema_ref(body)), "required": true}),
        );
    }
    op.insert(
        "operationId".into(),
        json!(format!("{}.{}", route.controller, route.operation)),
    );
    if let Some(security) = route.policy.security() {
        op.insert("security".into(), security);
    }
    Json::Object(op)
}

/// Adds every route of `table` to the document's paths, grouped by path in table order.
pub(crate) fn add_paths(paths: &mut Map<String, Json>, table: &[RouteSpec]) {
    for route in table {
        let item = paths
            .entry(route.path.openapi())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(route.method.as_str().to_ascii_lowercase(), operation(route));
        }
    }
}
