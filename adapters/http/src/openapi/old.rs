//! The OpenAPI 3.0 document, generated from the same [`ModelDef`]s that validate requests.
//!
//! Schemas are named as LoopBack names them — `Todo` (responses; hidden properties absent),
//! `TodoWithRelations` (list and find-by-id responses of a model with relations: its
//! navigational properties added), `NewTodo` (create body: no generated id), `TodoPartial`
//! (patch bodies), `NewTodoInTodoList` (a relation's create body: the key it sets optional),
//! `loopback.Count` — and operations `TodoController.create`, `TodoListTodoController.find`
//! etc. Unlike LoopBack, the filter schemas are model-aware: `Todo.Filter` enumerates the
//! property names `fields` and `order` accept and the relation names `include` accepts (each
//! scope a filter of the target model), and `Todo.WhereFilter` gives each property the
//! operators its type allows. `filter` and `where` are described as
//! `content: application/json` query parameters, as LoopBack does.

use std::collections::{HashMap, HashSet};

use portico_domain::{
    Capabilities, DefaultValue, ModelDef, PropertyDef, PropertyType, RelationKind,
    Value as DomainValue,
};
use serde_json::{Map, Value as Json, json};

use crate::crud::{CrudResource, Operation};
use crate::relation::{RelationOperation, RelationResource};

/// The title and version the document announces.
#[derive(Debug, Clone)]
pub struct ApiInfo {
    /// The API's title.
    pub title: String,
    /// The API's version.
    pub version: String,
    /// A description, when there is one.
    pub description: Option<String>,
}

impl ApiInfo {
    /// An API with this title and version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        ApiInfo {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// Adds a description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A `$ref` to a component schema.
fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of one value of a property type.
fn type_schema(ty: &PropertyType) -> Json {
    match ty {
        PropertyType::String => json!({"type": "string"}),
        PropertyType::Integer => json!({"type": "integer", "format": "int64"}),
        PropertyType::Number => json!({"type": "number"}),
        PropertyType::Boolean => json!({"type": "boolean"}),
        PropertyType::DateTime => json!({"type": "string", "format": "date-time"}),
        PropertyType::Uuid => json!({"type": "string", "format": "uuid"}),
        PropertyType::Json => json!({}),
        PropertyType::Array(item) => json!({"type": "array", "items": type_schema(item)}),
    }
}

/// The schema of a property: its type, constraints, default and description.
fn property_schema(property: &PropertyDef) -> Json {
    let mut schema = type_schema(&property.ty);
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    let c = &property.constraints;
    if let Some(format) = c.format {
        object.insert("format".into(), json!(format.as_str()));
    }
    if let Some(min) = c.min_length {
        object.insert("minLength".into(), json!(min));
    }
    if let Some(max) = c.max_length {
        object.insert("maxLength".into(), json!(max));
    }
    if let Some(pattern) = &c.pattern {
        object.insert("pattern".into(), json!(pattern.as_str()));
    }
    if let Some(min) = c.minimum {
        object.insert("minimum".into(), json!(min));
    }
    if let Some(max) = c.maximum {
        object.insert("maximum".into(), json!(max));
    }
    if !c.enum_values.is_empty() {
        let values: Vec<Json> = c.enum_values.iter().map(DomainValue::to_json).collect();
        object.insert("enum".into(), Json::Array(values));
    }
    if let Some(DefaultValue::Value(value)) = &property.default {
        object.insert("default".into(), value.to_json());
    }
    if let Some(description) = &property.description {
        object.insert("description".into(), json!(description));
    }
    schema
}

/// Which properties a model schema shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `Todo`: what responses carry (no hidden properties).
    Response,
    /// `NewTodo`: the create body (no generated id).
    New,
    /// `TodoPartial`: patch bodies (nothing required).
    Partial,
    /// `TodoReplacement`: the replace body, only generated when hidden properties exist.
    Replacement,
}

fn has_hidden(model: &ModelDef) -> bool {
    model.properties.iter().any(|p| p.hidden)
}

/// The name of the schema of the `PUT` body: `Todo`, unless hidden properties make the
/// response schema unfit for input.
fn replacement_schema_name(model: &ModelDef) -> String {
    if has_hidden(model) {
        format!("{}Replacement", model.name)
    } else {
        model.name.clone()
    }
}

fn model_schema(model: &ModelDef, variant: Variant) -> (String, Json) {
    let name = &model.name;
    let included = |p: &&PropertyDef| match variant {
        Variant::Response => !p.hidden,
        Variant::New => !(p.id && p.generated),
        Variant::Partial | Variant::Replacement => true,
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for property in model.properties.iter().filter(included) {
        properties.insert(property.name.clone(), property_schema(property));
        let must_be_given = property.required && !(property.id && property.generated);
        let required_here = match variant {
            Variant::Partial => false,
            Variant::New | Variant::Replacement => must_be_given && property.default.is_none(),
            Variant::Response => must_be_given,
        };
        if required_here {
            required.push(json!(property.name));
        }
    }
    let (title, typescript, description) = match variant {
        Variant::Response => (name.clone(), None, model.settings.description.clone()),
        Variant::New => {
            let excluded: Vec<&str> = model
                .properties
                .iter()
                .filter(|p| p.id && p.generated)
                .map(|p| p.name.as_str())
                .collect();
            let ts = if excluded.is_empty() {
                name.clone()
            } else {
                let quoted: Vec<String> = excluded.iter().map(|e| format!("'{e}'")).collect();
                format!("Omit<{name}, {}>", quoted.join(" | "))
            };
            let quoted: Vec<String> = excluded.iter().map(|e| format!("'{e}'")).collect();
            let options = format!(
                "(tsType: {ts}, schemaOptions: {{ title: 'New{name}', exclude: [ {} ] }})",
                quoted.join(", ")
            );
            (format!("New{name}"), Some(ts), Some(options))
        }
        Variant::Partial => (
            format!("{name}Partial"),
            Some(format!("Partial<{name}>")),
            Some(format!(
                "(tsType: Partial<{name}>, schemaOptions: {{ partial: true }})"
            )),
        ),
        Variant::Replacement => (
            replacement_schema_name(model),
            Some(name.clone()),
            Some(format!(
                "A {name} to replace the stored one, hidden properties included"
            )),
        ),
    };
    let mut schema = Map::new();
    schema.insert("title".into(), json!(title));
    schema.insert("type".into(), json!("object"));
    if let Some(description) = description {
        schema.insert("description".into(), json!(description));
    }
    schema.insert("properties".into(), Json::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Json::Array(required));
    }
    schema.insert("additionalProperties".into(), json!(!model.settings.strict));
    if let Some(ts) = typescript {
        schema.insert("x-typescript-type".into(), json!(ts));
    }
    (title, Json::Object(schema))
}

/// The operators a `where` clause accepts on a property of this type, with their operand
/// schemas (the filter reference's table).
fn operator_schemas(ty: &PropertyType, capabilities: &Capabilities) -> Map<String, Json> {
    let mut ops = Map::new();
    let mut nullable_value = type_schema(ty);
    if let Some(object) = nullable_value.as_object_mut()
        && !object.is_empty()
    {
        object.insert("nullable".into(), json!(true));
    }
    if ty.is_scalar() {
        ops.insert("eq".into(), nullable_value.clone());
        ops.insert("neq".into(), nullable_value);
    } else {
        let null_only = json!({"nullable": true, "enum": [null]});
        ops.insert("eq".into(), null_only.clone());
        ops.insert("neq".into(), null_only);
    }
    let value = type_schema(ty);
    if ty.is_ordered() {
        for op in ["gt", "gte", "lt", "lte"] {
            ops.insert(op.into(), value.clone());
        }
        ops.insert(
            "between".into(),
            json!({"type": "array", "items": value, "minItems": 2, "maxItems": 2}),
        );
    }
    if ty.is_scalar() {
        let list = json!({"oneOf": [value, {"type": "array", "items": value}]});
        ops.insert("inq".into(), list.clone());
        ops.insert("nin".into(), list);
    }
    ops.insert("exists".into(), json!({"type": "boolean"}));
    if *ty == PropertyType::String {
        let pattern = json!({"type": "string"});
        ops.insert("like".into(), pattern.clone());
        ops.insert("nlike".into(), pattern.clone());
        if capabilities.ilike {
            ops.insert("ilike".into(), pattern.clone());
            ops.insert("nilike".into(), pattern.clone());
        }
        if capabilities.regexp {
            ops.insert("regexp".into(), pattern);
        }
    }
    ops
}

/// `Todo.WhereFilter`: each visible property with its value or its operators, and
/// `and`/`or` lists of where filters.
fn where_schema(model: &ModelDef, capabilities: &Capabilities) -> (String, Json) {
    let title = format!("{}.WhereFilter", model.name);
    let mut properties = Map::new();
    let nested = json!({"type": "array", "items": schema_ref(&title)});
    properties.insert("and".into(), nested.clone());
    properties.insert("or".into(), nested);
    for property in model.properties.iter().filter(|p| !p.hidden) {
        let operators = json!({
            "type": "object",
            "properties": operator_schemas(&property.ty, capabilities),
            "additionalProperties": false,
        });
        let shorthand = if property.ty.is_scalar() {
            let mut value = type_schema(&property.ty);
            if let Some(object) = value.as_object_mut() {
                object.insert("nullable".into(), json!(true));
            }
            value
        } else {
            json!({"nullable": true, "enum": [null]})
        };
        properties.insert(
            property.name.clone(),
            json!({"oneOf": [shorthand, operators]}),
        );
    }
    let schema = json!({
        "title": title,
        "type": "object",
        "properties": properties,
        "additionalProperties": !model.settings.strict,
        "x-typescript-type": format!("@loopback/repository#Where<{}>", model.name),
    });
    (title, schema)
}

/// `Todo.Filter` (with `where`) or `Todo.FilterExcludingWhere` (find by id).
fn filter_schema(model: &ModelDef, with_where: bool) -> (String, Json) {
    let visible: Vec<&PropertyDef> = model.properties.iter().filter(|p| !p.hidden).collect();
    let names: Vec<Json> = visible.iter().map(|p| json!(p.name)).collect();
    let mut order_keys = Vec::new();
    for p in visible.iter().filter(|p| p.ty.is_scalar()) {
        order_keys.push(json!(p.name));
        order_keys.push(json!(format!("{} ASC", p.name)));
        order_keys.push(json!(format!("{} DESC", p.name)));
    }
    let order_key = json!({"type": "string", "enum": order_keys});
    let field_flags: Map<String, Json> = visible
        .iter()
        .map(|p| (p.name.clone(), json!({"type": "boolean"})))
        .collect();
    let mut properties = Map::new();
    properties.insert("offset".into(), json!({"type": "integer", "minimum": 0}));
    properties.insert(
        "limit".into(),
        json!({"type": "integer", "minimum": 1, "example": 100}),
    );
    properties.insert("skip".into(), json!({"type": "integer", "minimum": 0}));
    properties.insert(
        "order".into(),
        json!({"oneOf": [order_key, {"type": "array", "items": order_key}]}),
    );
    if with_where {
        properties.insert(
            "where".into(),
            schema_ref(&format!("{}.WhereFilter", model.name)),
        );
    }
    properties.insert(
        "fields".into(),
        json!({
            "oneOf": [
                {"type": "object", "properties": field_flags, "additionalProperties": false},
                {"type": "array", "items": {"type": "string", "enum": names}, "uniqueItems": true},
            ],
            "title": format!("{}.Fields", model.name),
        }),
    );
    if !model.relations.is_empty() {
        properties.insert("include".into(), include_schema(model));
    }
    let (title, typescript) = if with_where {
        (
            format!("{}.Filter", model.name),
            format!("@loopback/repository#Filter<{}>", model.name),
        )
    } else {
        (
            format!("{}.FilterExcludingWhere", model.name),
            format!("@loopback/repository#FilterExcludingWhere<{}>", model.name),
        )
    };
    let schema = json!({
        "title": title,
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "x-typescript-type": typescript,
    });
    (title, schema)
}

/// The `include` of a model's filter: relation names, or `{relation, scope}` objects whose
/// scope is a filter of that relation's target.
fn include_schema(model: &ModelDef) -> Json {
    let names: Vec<Json> = model.relations.iter().map(|r| json!(r.name)).collect();
    let mut items = vec![json!({"type": "string", "enum": names})];
    for relation in &model.relations {
        items.push(json!({
            "type": "object",
            "properties": {
                "relation": {"type": "string", "enum": [relation.name]},
                "scope": schema_ref(&format!("{}.Filter", relation.target().name)),
            },
            "required": ["relation"],
            "additionalProperties": false,
        }));
    }
    json!({
        "title": format!("{}.IncludeFilter", model.name),
        "type": "array",
        "items": {"anyOf": items},
    })
}

/// The name of the schema a response of `model` uses: `TodoListWithRelations` when it has
/// relations (included ones appear as navigational properties), else `TodoList`.
fn response_schema_name(model: &ModelDef) -> String {
    if model.relations.is_empty() {
        model.name.clone()
    } else {
        format!("{}WithRelations", model.name)
    }
}

/// `TodoListWithRelations`: the response schema with the navigational properties, an array of
/// the target for to-many relations and the target for to-one ones.
fn with_relations_schema(model: &ModelDef) -> (String, Json) {
    let (_, schema) = model_schema(model, Variant::Response);
    let title = format!("{}WithRelations", model.name);
    let mut with = Map::new();
    with.insert("title".into(), json!(title));
    with.insert("type".into(), json!("object"));
    with.insert(
        "description".into(),
        json!(format!(
            "(tsType: {title}, schemaOptions: {{ includeRelations: true }})"
        )),
    );
    let Json::Object(plain) = schema else {
        return (title, Json::Object(with));
    };
    for (key, mut value) in plain {
        if key == "properties"
            && let Some(properties) = value.as_object_mut()
        {
            for relation in &model.relations {
                let target = schema_ref(&response_schema_name(relation.target()));
                let navigational = if relation.kind.targets_many() {
                    json!({"type": "array", "items": target})
                } else {
                    target
                };
                properties.insert(relation.name.clone(), navigational);
            }
        }
        if !matches!(key.as_str(), "title" | "type" | "description") {
            with.insert(key, value);
        }
    }
    with.insert("x-typescript-type".into(), json!(title));
    (title, Json::Object(with))
}

/// `NewTodoInTodoList`: the create body of a relation route — the target's create body, with
/// the key the relation sets (`optional`) no longer required.
fn new_in_schema(target: &ModelDef, source: &ModelDef, optional: Option<&str>) -> (String, Json) {
    let (_, mut schema) = model_schema(target, Variant::New);
    let title = format!("New{}In{}", target.name, source.name);
    let excluded: Vec<String> = target
        .properties
        .iter()
        .filter(|p| p.id && p.generated)
        .map(|p| format!("'{}'", p.name))
        .collect();
    let ts = if excluded.is_empty() {
        target.name.clone()
    } else {
        format!("Omit<{}, {}>", target.name, excluded.join(" | "))
    };
    let mut options = format!("title: '{title}', exclude: [ {} ]", excluded.join(", "));
    if let Some(key) = optional {
        options.push_str(&format!(", optional: [ '{key}' ]"));
    }
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".into(), json!(title));
        object.insert(
            "description".into(),
            json!(format!("(tsType: {ts}, schemaOptions: {{ {options} }})")),
        );
        if let Some(key) = optional {
            let required: Vec<Json> = object
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter(|n| *n != key).cloned().collect())
                .unwrap_or_default();
            if required.is_empty() {
                object.remove("required");
            } else {
                object.insert("required".into(), Json::Array(required));
            }
        }
        object.insert("x-typescript-type".into(), json!(ts));
    }
    (title, schema)
}

/// `loopback.Count`.
fn count_schema() -> Json {
    json!({
        "title": "loopback.Count",
        "type": "object",
        "properties": {"count": {"type": "number"}},
        "x-typescript-type": "@loopback/repository#Count",
    })
}

fn json_content(schema: Json) -> Json {
    json!({"application/json": {"schema": schema}})
}

fn query_json_param(name: &str, schema_name: &str) -> Json {
    json!({"name": name, "in": "query", "content": json_content(schema_ref(schema_name))})
}

/// The path-item entries of one operation of one resource.
fn operation(resource: &CrudResource, operation: Operation) -> Json {
    let model = resource.model();
    let name = &model.name;
    let controller = format!("{name}Controller");
    let id_param = json!({
        "name": model.id_property().name,
        "in": "path",
        "required": true,
        "schema": type_schema(&model.id_property().ty),
    });
    let filter_param = query_json_param("filter", &format!("{name}.Filter"));
    let where_param = query_json_param("where", &format!("{name}.WhereFilter"));
    let count_response = |description: String| json!({"200": {"description": description, "content": json_content(schema_ref("loopback.Count"))}});
    let no_content = |description: String| json!({"204": {"description": description}});
    let body =
        |schema: String| json!({"content": json_content(schema_ref(&schema)), "required": true});
    let (summary, parameters, request_body, responses) = match operation {
        Operation::Create => (
            format!("Creates a {name}"),
            json!([]),
            Some(body(format!("New{name}"))),
            json!({"200": {"description": format!("{name} model instance"),
                           "content": json_content(schema_ref(name))}}),
        ),
        Operation::Count => (
            format!("Counts the {name} instances matching `where`"),
            json!([where_param]),
            None,
            count_response(format!("{name} model count")),
        ),
        Operation::Find => (
            format!(
                "Finds {name} instances (at most {} per page)",
                resource.max_page_size
            ),
            json!([filter_param]),
            None,
            json!({"200": {"description": format!("Array of {name} model instances"),
                           "content": json_content(json!({"type": "array", "items": schema_ref(&response_schema_name(model))}))}}),
        ),
        Operation::UpdateAll => (
            format!("Updates the {name} instances matching `where`"),
            json!([where_param]),
            Some(body(format!("{name}Partial"))),
            count_response(format!("{name} PATCH success count")),
        ),
        Operation::FindById => (
            format!("Finds a {name} by id"),
            json!([
                id_param,
                query_json_param("filter", &format!("{name}.FilterExcludingWhere"))
            ]),
            None,
            json!({"200": {"description": format!("{name} model instance"),
                           "content": json_content(schema_ref(&response_schema_name(model)))}}),
        ),
        Operation::UpdateById => (
            format!("Updates some properties of a {name}"),
            json!([id_param]),
            Some(body(format!("{name}Partial"))),
            no_content(format!("{name} PATCH success")),
        ),
        Operation::ReplaceById => (
            format!("Replaces a {name}"),
            json!([id_param]),
            Some(body(replacement_schema_name(model))),
            no_content(format!("{name} PUT success")),
        ),
        Operation::DeleteById => (
            format!("Deletes a {name}"),
            json!([id_param]),
            None,
            no_content(format!("{name} DELETE success")),
        ),
    };
    let (mut parameters, mut responses) = (parameters, responses);
    if let Some(version) = model.version_property() {
        // Optimistic concurrency: the version is the ETag, If-Match makes writes conditional.
        match operation {
            Operation::FindById => {
                responses["200"]["headers"] = json!({"ETag": {
                    "description": format!("The {name}'s version (`{}`), quoted", version.name),
                    "schema": {"type": "string"}
                }});
            }
            Operation::UpdateById | Operation::ReplaceById | Operation::DeleteById => {
                if let Some(list) = parameters.as_array_mut() {
                    list.push(json!({
                        "name": "If-Match",
                        "in": "header",
                        "description": "The ETag read with the entity: the write happens only if it is still at that version",
                        "schema": {"type": "string"}
                    }));
                }
                responses["412"] = json!({"description": format!("The {name} is no longer at the If-Match version")});
            }
            _ => {}
        }
    }
    let mut op = Map::new();
    op.insert("x-controller-name".into(), json!(controller));
    op.insert("x-operation-name".into(), json!(operation.method_name()));
    op.insert("tags".into(), json!([controller]));
    op.insert("summary".into(), json!(summary));
    op.insert("responses".into(), responses);
    if parameters.as_array().is_some_and(|p| !p.is_empty()) {
        op.insert("parameters".into(), parameters);
    }
    if let Some(request_body) = request_body {
        op.insert("requestBody".into(), request_body);
    }
    op.insert(
        "operationId".into(),
        json!(format!("{controller}.{}", operation.method_name())),
    );
    Json::Object(op)
}

/// The path of an operation in OpenAPI form: `/todos`, `/todos/count`, `/todos/{id}`.
fn operation_path(resource: &CrudResource, operation: Operation) -> String {
    let base = resource.base_path();
    match operation {
        Operation::Create | Operation::Find | Operation::UpdateAll => base.to_owned(),
        Operation::Count => format!("{base}/count"),
        _ => format!("{base}/{{{}}}", resource.model().id_property().name),
    }
}

/// Adds one resource's paths and schemas to a document under construction.
pub(crate) fn add_resource(
    paths: &mut Map<String, Json>,
    schemas: &mut Map<String, Json>,
    resource: &CrudResource,
) {
    let model = resource.model();
    for op in Operation::ALL {
        if resource.read_only && !op.is_read() {
            continue;
        }
        let item = paths
            .entry(operation_path(resource, op))
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(
                op.http_method().as_str().to_ascii_lowercase(),
                operation(resource, op),
            );
        }
    }
    let mut add = |(name, schema): (String, Json)| {
        schemas.insert(name, schema);
    };
    add(model_schema(model, Variant::Response));
    if !resource.read_only {
        add(model_schema(model, Variant::New));
        add(model_schema(model, Variant::Partial));
        if has_hidden(model) {
            add(model_schema(model, Variant::Replacement));
        }
    }
    add(("loopback.Count".to_owned(), count_schema()));
    add_read_schemas(schemas, model, &resource.check_options().capabilities);
}

/// Adds what reading `model` needs — its response schema(s) and filter schemas — and the
/// same for every model its relations reach, since filters include them and responses
/// embed them. Schemas already there are kept.
fn add_read_schemas(
    schemas: &mut Map<String, Json>,
    model: &ModelDef,
    capabilities: &Capabilities,
) {
    let mut pending = vec![model];
    let mut seen = HashSet::new();
    while let Some(model) = pending.pop() {
        if !seen.insert(model.name.clone()) {
            continue;
        }
        let mut add = |(name, schema): (String, Json)| {
            schemas.entry(name).or_insert(schema);
        };
        add(model_schema(model, Variant::Response));
        if !model.relations.is_empty() {
            add(with_relations_schema(model));
        }
        add(filter_schema(model, true));
        add(filter_schema(model, false));
        add(where_schema(model, capabilities));
        pending.extend(model.relations.iter().map(|r| r.target()));
    }
}

/// `todoList` → `TodoList`, `todo-list` → `TodoList`.
fn pascal_case(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// LoopBack's name for a relation controller (`TodoListTodoController`): source and target;
/// source and relation name when two relations of the source share a target; then source and
/// path segment, or a number, so that no two mounted relations share one.
fn relation_controller(
    resource: &RelationResource,
    shared_target: bool,
    used: &mut HashSet<String>,
) -> String {
    let source = &resource.model().name;
    let mut candidates = Vec::new();
    if let Some(relation) = resource.relation().filter(|_| !shared_target) {
        candidates.push(format!("{source}{}Controller", relation.target().name));
    }
    candidates.push(format!(
        "{source}{}Controller",
        pascal_case(resource.relation_name())
    ));
    candidates.push(format!(
        "{source}{}Controller",
        pascal_case(resource.path_segment())
    ));
    let chosen = candidates
        .into_iter()
        .find(|c| !used.contains(c))
        .unwrap_or_else(|| {
            (2..)
                .map(|n| {
                    format!(
                        "{source}{}{n}Controller",
                        pascal_case(resource.path_segment())
                    )
                })
                .find(|c| !used.contains(c))
                .unwrap_or_default()
        });
    used.insert(chosen.clone());
    chosen
}

/// The path-item entry of one operation of one relation.
fn relation_operation(
    resource: &RelationResource,
    controller: &str,
    operation: RelationOperation,
) -> Option<Json> {
    let relation = resource.relation()?;
    let source = resource.model();
    let target = relation.target();
    let (s, t) = (&source.name, &target.name);
    let id_param = json!({
        "name": source.id_property().name,
        "in": "path",
        "required": true,
        "schema": type_schema(&source.id_property().ty),
    });
    let where_param = query_json_param("where", &format!("{t}.WhereFilter"));
    let response = schema_ref(&response_schema_name(target));
    let count_response = |description: String| json!({"200": {"description": description, "content": json_content(schema_ref("loopback.Count"))}});
    let body =
        |schema: String| json!({"content": json_content(schema_ref(&schema)), "required": true});
    let to_one_description = match relation.kind {
        RelationKind::BelongsTo => format!("{t} belonging to {s}"),
        _ => format!("{s} has one {t}"),
    };
    let (method, summary, parameters, request_body, responses) = match operation {
        RelationOperation::Find => (
            "find".to_owned(),
            format!(
                "Finds the {t} instances of a {s} ({}), at most {} per page",
                relation.name, resource.max_page_size
            ),
            json!([id_param, query_json_param("filter", &format!("{t}.Filter"))]),
            None,
            json!({"200": {"description": format!("Array of {s} has many {t}"),
                           "content": json_content(json!({"type": "array", "items": response}))}}),
        ),
        RelationOperation::Get => (
            if relation.kind == RelationKind::BelongsTo {
                format!("get{t}")
            } else {
                "get".to_owned()
            },
            if relation.kind == RelationKind::BelongsTo {
                format!("Finds the {t} a {s} belongs to ({})", relation.name)
            } else {
                format!("Finds the {t} of a {s} ({})", relation.name)
            },
            json!([
                id_param,
                query_json_param("filter", &format!("{t}.FilterExcludingWhere"))
            ]),
            None,
            json!({"200": {"description": to_one_description, "content": json_content(response)},
                   "404": {"description": format!("No {t} is related")}}),
        ),
        RelationOperation::Create => (
            "create".to_owned(),
            format!("Creates a {t} of a {s} ({})", relation.name),
            json!([id_param]),
            Some(body(format!("New{t}In{s}"))),
            json!({"200": {"description": format!("{t} model instance"),
                           "content": json_content(schema_ref(t))},
                   "404": {"description": format!("No {s} has this id")}}),
        ),
        RelationOperation::Patch => (
            "patch".to_owned(),
            format!(
                "Updates the {t} instances of a {s} ({}) matching `where`",
                relation.name
            ),
            json!([id_param, where_param]),
            Some(body(format!("{t}Partial"))),
            count_response(format!("{s}.{t} PATCH success count")),
        ),
        RelationOperation::Delete => (
            "delete".to_owned(),
            format!(
                "Deletes the {t} instances of a {s} ({}) matching `where`",
                relation.name
            ),
            json!([id_param, where_param]),
            None,
            count_response(format!("{s}.{t} DELETE success count")),
        ),
    };
    let mut op = Map::new();
    op.insert("x-controller-name".into(), json!(controller));
    op.insert("x-operation-name".into(), json!(method));
    op.insert("tags".into(), json!([controller]));
    op.insert("summary".into(), json!(summary));
    op.insert("responses".into(), responses);
    op.insert("parameters".into(), parameters);
    if let Some(request_body) = request_body {
        op.insert("requestBody".into(), request_body);
    }
    op.insert(
        "operationId".into(),
        json!(format!("{controller}.{method}")),
    );
    Some(Json::Object(op))
}

/// Adds one relation's path and schemas to a document under construction.
fn add_relation(
    paths: &mut Map<String, Json>,
    schemas: &mut Map<String, Json>,
    resource: &RelationResource,
    controller: &str,
) {
    let Some(relation) = resource.relation() else {
        return;
    };
    let source = resource.model();
    let target = relation.target();
    let operations = resource.operations();
    let item = paths
        .entry(resource.openapi_path())
        .or_insert_with(|| json!({}));
    for op in &operations {
        if let (Some(item), Some(entry)) = (
            item.as_object_mut(),
            relation_operation(resource, controller, *op),
        ) {
            item.insert(op.http_method().as_str().to_ascii_lowercase(), entry);
        }
    }
    add_read_schemas(schemas, target, &resource.check_options().capabilities);
    if operations.iter().any(|op| !op.is_read()) {
        let optional = matches!(relation.kind, RelationKind::HasMany | RelationKind::HasOne)
            .then(|| relation.keys(source).target);
        let (name, schema) = new_in_schema(target, source, optional.as_deref());
        schemas.insert(name, schema);
        let (name, schema) = model_schema(target, Variant::Partial);
        schemas.entry(name).or_insert(schema);
        schemas.insert("loopback.Count".to_owned(), count_schema());
    }
}

/// The whole document: info, the resources' paths, extra documented paths, schemas.
pub(crate) fn document(
    info: &ApiInfo,
    resources: &[CrudResource],
    relations: &[RelationResource],
    extra_paths: &[(String, Json)],
) -> Json {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for (path, item) in extra_paths {
        paths.insert(path.clone(), item.clone());
    }
    for resource in resources {
        add_resource(&mut paths, &mut schemas, resource);
    }
    let pair = |r: &RelationResource| {
        (
            r.model().name.clone(),
            r.relation().map(|d| d.target().name.clone()),
        )
    };
    let mut names: HashMap<(String, Option<String>), HashSet<&str>> = HashMap::new();
    for relation in relations {
        names
            .entry(pair(relation))
            .or_default()
            .insert(relation.relation_name());
    }
    let mut controllers = HashSet::new();
    for relation in relations {
        let shared_target = names.get(&pair(relation)).is_some_and(|n| n.len() > 1);
        let controller = relation_controller(relation, shared_target, &mut controllers);
        add_relation(&mut paths, &mut schemas, relation, &controller);
    }
    let mut info_object = Map::new();
    info_object.insert("title".into(), json!(info.title));
    info_object.insert("version".into(), json!(info.version));
    if let Some(description) = &info.description {
        info_object.insert("description".into(), json!(description));
    }
    json!({
        "openapi": "3.0.0",
        "info": info_object,
        "paths": paths,
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use expect_test::expect_file;
    use portico_domain::{Capabilities, Entity};
    use portico_ports::Repository;

    use super::*;

    /// LoopBack's Todo model, as the app declares it.
    #[derive(Entity, Clone, Debug)]
    struct Todo {
        #[portico(id, generated)]
        id: Option<i64>,
        /// What to do.
        #[portico(length(min = 1, max = 200))]
        title: String,
        desc: Option<String>,
        is_complete: Option<bool>,
        remind_at_address: Option<String>,
        remind_at_geo: Option<String>,
        tag: Option<serde_json::Value>,
    }

    /// A model with a hidden property and a client-supplied id.
    #[derive(Entity, Clone, Debug)]
    struct Account {
        #[portico(id)]
        code: String,
        #[portico(hidden)]
        password: Option<String>,
        #[portico(default = 0)]
        logins: i64,
    }

    /// LoopBack's TodoList example: a list has many todos and one image.
    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct TodoList {
        #[portico(id, generated)]
        id: Option<i64>,
        title: String,
        color: Option<String>,
        #[portico(has_many(target = ListTodo))]
        todos: Option<Vec<ListTodo>>,
        #[portico(has_one(target = TodoListImage))]
        image: Option<Box<TodoListImage>>,
    }

    /// A todo of a list (named `Todo` in the document).
    #[derive(Entity, Clone, Debug)]
    #[portico(name = "Todo")]
    #[allow(dead_code)] // only the metadata is used
    struct ListTodo {
        #[portico(id, generated)]
        id: Option<i64>,
        title: String,
        is_complete: Option<bool>,
        todo_list_id: Option<i64>,
        #[portico(belongs_to(target = TodoList))]
        todo_list: Option<Box<TodoList>>,
    }

    /// The image of a list; its key is required, yet optional in a relation's create body.
    #[derive(Entity, Clone, Debug)]
    struct TodoListImage {
        #[portico(id, generated)]
        id: Option<i64>,
        value: String,
        todo_list_id: i64,
    }

    fn records<E: Entity>() -> portico_ports::CrudRepository {
        let store = Arc::new(portico_memory::MemoryStore::new());
        Repository::<E>::new(store)
            .expect("a valid model")
            .records()
            .clone()
    }

    fn todo_list_document() -> Json {
        let lists = records::<TodoList>();
        let todos = records::<ListTodo>();
        document(
            &ApiInfo::new("todo-list", "1.0.0"),
            &[
                CrudResource::new("/todo-lists", Arc::new(lists.clone())),
                CrudResource::new("/todos", Arc::new(todos.clone())),
            ],
            &[
                RelationResource::new("/todo-lists", lists.clone(), "todos"),
                RelationResource::new("/todo-lists", lists, "image"),
                RelationResource::new("/todos", todos, "todoList"),
            ],
            &[],
        )
    }

    #[test]
    fn todo_list_document_matches_the_snapshot() {
        let pretty = serde_json::to_string_pretty(&todo_list_document()).expect("JSON");
        expect_file!["snapshots/todo_list_openapi.json"].assert_eq(&format!("{pretty}\n"));
    }

    #[test]
    fn relations_are_documented() {
        let document = todo_list_document();
        let schemas = &document["components"]["schemas"];
        let operation_ids: Vec<(&str, &str)> = document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.iter())
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flat_map(|item| item.values())
                    .filter_map(move |op| op["operationId"].as_str().map(|id| (path.as_str(), id)))
            })
            .collect();
        for expected in [
            ("/todo-lists/{id}/todos", "TodoListTodoController.find"),
            ("/todo-lists/{id}/todos", "TodoListTodoController.create"),
            ("/todo-lists/{id}/todos", "TodoListTodoController.patch"),
            ("/todo-lists/{id}/todos", "TodoListTodoController.delete"),
            (
                "/todo-lists/{id}/image",
                "TodoListTodoListImageController.get",
            ),
            (
                "/todo-lists/{id}/image",
                "TodoListTodoListImageController.create",
            ),
            (
                "/todo-lists/{id}/image",
                "TodoListTodoListImageController.patch",
            ),
            (
                "/todo-lists/{id}/image",
                "TodoListTodoListImageController.delete",
            ),
            (
                "/todos/{id}/todo-list",
                "TodoTodoListController.getTodoList",
            ),
        ] {
            assert!(
                operation_ids.contains(&expected),
                "{expected:?} in {operation_ids:?}"
            );
        }
        // Lists are answered with their navigational properties.
        let list_items = &document["paths"]["/todo-lists"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["items"];
        assert_eq!(list_items, &schema_ref("TodoListWithRelations"));
        let with = &schemas["TodoListWithRelations"]["properties"];
        assert_eq!(
            with["todos"],
            json!({"type": "array", "items": schema_ref("TodoWithRelations")})
        );
        assert_eq!(with["image"], schema_ref("TodoListImage"));
        assert_eq!(
            schemas["TodoWithRelations"]["properties"]["todoList"],
            schema_ref("TodoListWithRelations")
        );
        // `include` names the relations; each scope is a filter of the target.
        let include = &schemas["TodoList.Filter"]["properties"]["include"];
        assert_eq!(
            include["items"]["anyOf"][0]["enum"],
            json!(["todos", "image"])
        );
        assert_eq!(
            include["items"]["anyOf"][1]["properties"]["scope"],
            schema_ref("Todo.Filter")
        );
        assert!(schemas["TodoList.FilterExcludingWhere"]["properties"]["include"].is_object());
        assert!(
            schemas["TodoListImage.Filter"]["properties"]
                .get("include")
                .is_none()
        );
        // A relation's create body: no generated id, the key it sets optional.
        let new_image = &schemas["NewTodoListImageInTodoList"];
        assert_eq!(new_image["required"], json!(["value"]));
        assert!(new_image["properties"].get("id").is_none());
        assert!(new_image["properties"]["todoListId"].is_object());
        assert_eq!(schemas["NewTodoListImage"], Json::Null, "no CRUD resource");
        assert!(schemas["TodoListImagePartial"].is_object());
    }

    /// Every `$ref` in `json`.
    fn refs(json: &Json, out: &mut Vec<String>) {
        match json {
            Json::Object(map) => {
                if let Some(Json::String(target)) = map.get("$ref") {
                    out.push(target.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Json::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_every_operation_id_is_unique() {
        let document = todo_list_document();
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{target} is not a component schema"));
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{target} does not resolve"
            );
        }
        let mut ids: Vec<&str> = document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(Json::as_object)
            .flat_map(|item| item.values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total, "duplicate operation ids");
    }

    #[test]
    fn relation_controllers_are_unique() {
        let lists = records::<TodoList>();
        let document = document(
            &ApiInfo::new("a", "1"),
            &[],
            &[
                RelationResource::new("/todo-lists", lists.clone(), "todos"),
                RelationResource::new("/todo-lists", lists, "todos")
                    .segment("items")
                    .read_only(true),
            ],
            &[],
        );
        let get = |path: &str| document["paths"][path]["get"]["operationId"].clone();
        assert_eq!(get("/todo-lists/{id}/todos"), "TodoListTodoController.find");
        assert_eq!(
            get("/todo-lists/{id}/items"),
            "TodoListTodosController.find"
        );
        assert!(
            document["paths"]["/todo-lists/{id}/items"]
                .get("post")
                .is_none()
        );
    }

    fn resource<E: Entity>(base: &str) -> CrudResource {
        let store = Arc::new(portico_memory::MemoryStore::new());
        let repository = Repository::<E>::new(store).expect("a valid model");
        CrudResource::new(base, Arc::new(repository.records().clone()))
    }

    #[test]
    fn todo_document_matches_the_snapshot() {
        let document = document(
            &ApiInfo::new("todo", "1.0.0"),
            &[resource::<Todo>("/todos")],
            &[],
            &[],
        );
        let pretty = serde_json::to_string_pretty(&document).expect("JSON");
        expect_file!["snapshots/todo_openapi.json"].assert_eq(&format!("{pretty}\n"));
    }

    #[test]
    fn hidden_properties_stay_out_of_responses_but_not_of_inputs() {
        let document = document(
            &ApiInfo::new("a", "1"),
            &[resource::<Account>("/accounts")],
            &[],
            &[],
        );
        let schemas = &document["components"]["schemas"];
        assert!(schemas["Account"]["properties"].get("password").is_none());
        assert!(
            schemas["NewAccount"]["properties"]
                .get("password")
                .is_some()
        );
        assert!(
            schemas["AccountPartial"]["properties"]
                .get("password")
                .is_some()
        );
        assert!(
            schemas["AccountReplacement"]["properties"]
                .get("password")
                .is_some()
        );
        assert!(
            schemas["Account.WhereFilter"]["properties"]
                .get("password")
                .is_none()
        );
        assert_eq!(
            document["paths"]["/accounts/{code}"]["put"]["requestBody"]["content"]["application/json"]
                ["schema"],
            json!({"$ref": "#/components/schemas/AccountReplacement"})
        );
        // A client-supplied id is required on create; a defaulted property is not.
        assert_eq!(schemas["NewAccount"]["required"], json!(["code"]));
        assert_eq!(
            schemas["Account"]["properties"]["logins"]["default"],
            json!(0)
        );
    }

    #[test]
    fn read_only_resources_publish_only_reads() {
        let document = document(
            &ApiInfo::new("todo", "1"),
            &[resource::<Todo>("/todos").read_only(true)],
            &[],
            &[],
        );
        let methods = |path: &str| -> Vec<String> {
            document["paths"][path]
                .as_object()
                .map(|item| item.keys().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(methods("/todos"), ["get"]);
        assert_eq!(methods("/todos/{id}"), ["get"]);
        assert_eq!(methods("/todos/count"), ["get"]);
        assert!(document["components"]["schemas"].get("NewTodo").is_none());
    }

    #[test]
    fn where_operators_follow_types_and_capabilities() {
        let minimal = operator_schemas(&PropertyType::String, &Capabilities::minimal());
        assert!(minimal.contains_key("like") && !minimal.contains_key("ilike"));
        let all = operator_schemas(&PropertyType::String, &Capabilities::all_operators());
        assert!(all.contains_key("ilike") && all.contains_key("regexp"));
        let boolean = operator_schemas(&PropertyType::Boolean, &Capabilities::all_operators());
        assert!(!boolean.contains_key("gt") && !boolean.contains_key("like"));
        let any = operator_schemas(&PropertyType::Json, &Capabilities::all_operators());
        let mut keys: Vec<&str> = any.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["eq", "exists", "neq"]);
    }
}
