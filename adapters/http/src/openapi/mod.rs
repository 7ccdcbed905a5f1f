//! The OpenAPI 3.0 document, generated from the route table the router mounts and from the
//! same [`ModelDef`]s that validate requests.
//!
//! Schemas are named as LoopBack names them — `Todo` (create responses and the replace body;
//! hidden properties absent), `TodoWithRelations` (what reads answer: navigational properties
//! added, nothing required since `fields` may leave any property out), `NewTodo` (create body:
//! no generated id), `TodoPartial` (patch bodies), `NewTodoInTodoList` (a relation's create
//! body: the key it sets optional), `loopback.Count`, `loopback.Error` (every error response) —
//! and operations `TodoController.create`, `TodoListTodoController.find` etc. Every operation
//! lists each error status its route answers. Unlike LoopBack, the filter schemas are
//! model-aware (see `filter.rs`). `filter` and `where` are described as
//! `content: application/json` query parameters, as LoopBack does.
//!
//! - `schema.rs`: model schemas and the envelope.
//! - `filter.rs`: filter, where and include schemas.
//! - `operation.rs`: the route table's rows as operations.

mod filter;
mod operation;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use poem::http::Method;
use portico_domain::{CheckOptions, ModelDef};
use serde_json::{Map, Value as Json, json};

use crate::auth::Policy;
use crate::crud::CrudResource;
use crate::custom::{self, CustomApi, ModelSchema};
use crate::relation::RelationResource;
use crate::routes::{RouteSpec, key_set_by_relation};
pub(crate) use schema::ERROR_SCHEMA;
use schema::{Variant, model_schema};

/// `{"$ref": "#/components/schemas/loopback.Error"}`.
pub(crate) fn error_schema_ref() -> Json {
    schema::schema_ref(ERROR_SCHEMA)
}

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

/// Adds one resource's schemas to a document under construction.
fn add_resource_schemas(schemas: &mut Map<String, Json>, resource: &CrudResource) {
    let model = resource.model();
    let mut add = |(name, schema): (String, Json)| {
        schemas.insert(name, schema);
    };
    add(model_schema(model, Variant::Response));
    if !resource.read_only {
        add(model_schema(model, Variant::New));
        add(model_schema(model, Variant::Partial));
        if model.version_property().is_some() {
            add(model_schema(model, Variant::PartialAll));
        }
        if model.properties.iter().any(|p| p.hidden) {
            add(model_schema(model, Variant::Replacement));
        }
    }
    add(("loopback.Count".to_owned(), schema::count_schema()));
    add_read_schemas(schemas, model, resource.check_options());
}

/// Adds what reading `model` needs — its response schemas and filter schemas — and the same
/// for every model its relations reach, since filters include them and responses embed them.
/// Schemas already there are kept.
fn add_read_schemas(schemas: &mut Map<String, Json>, model: &ModelDef, options: &CheckOptions) {
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
        add(schema::with_relations_schema(model));
        add(filter::filter_schema(model, true, options));
        add(filter::filter_schema(model, false, options));
        add(filter::where_schema(model, options));
        for def in schema::object_defs(model) {
            add((def.name.clone(), schema::object_schema(def)));
        }
        pending.extend(model.relations.iter().map(|r| r.target()));
    }
}

/// The name of an embedded object type that two different object types share, or that a
/// schema of a model (`Book`, `NewBook`, `BookPartial`, ...) already has, among the models the
/// resources and relations reach. Two models embedding the same object type share its schema.
pub(crate) fn object_schema_clash(
    resources: &[CrudResource],
    relations: &[RelationResource],
) -> Option<String> {
    let mut pending: Vec<&ModelDef> = resources.iter().map(CrudResource::model).collect();
    pending.extend(relations.iter().map(RelationResource::model));
    let mut seen = HashSet::new();
    let mut models = Vec::new();
    while let Some(model) = pending.pop() {
        if seen.insert(model.name.clone()) {
            models.push(model);
            pending.extend(model.relations.iter().map(|r| r.target()));
        }
    }
    let mut taken: HashSet<String> = ["loopback.Count", "loopback.Error"]
        .map(str::to_owned)
        .into();
    for model in &models {
        let name = &model.name;
        taken.extend([
            name.clone(),
            format!("New{name}"),
            format!("{name}Partial"),
            format!("{name}PartialAll"),
            format!("{name}Replacement"),
            format!("{name}WithRelations"),
        ]);
    }
    let mut objects: Vec<&portico_domain::ObjectDef> = Vec::new();
    for def in models.iter().flat_map(|m| schema::object_defs(m)) {
        if taken.contains(&def.name) {
            return Some(def.name.clone());
        }
        match objects.iter().find(|d| d.name == def.name) {
            Some(other) if *other != def => return Some(def.name.clone()),
            Some(_) => {}
            None => objects.push(def),
        }
    }
    None
}

/// Adds one relation's schemas to a document under construction.
fn add_relation_schemas(schemas: &mut Map<String, Json>, resource: &RelationResource) {
    let Some(relation) = resource.relation() else {
        return;
    };
    let source = resource.model();
    let target = relation.target();
    add_read_schemas(schemas, target, resource.check_options());
    let writes = crate::routes::relation_operations(relation.kind)
        .iter()
        .any(|op| !op.is_read());
    if writes && !resource.read_only {
        let optional = key_set_by_relation(relation, source);
        let (name, schema) = schema::new_in_schema(target, source, optional.as_deref());
        schemas.insert(name, schema);
        let (name, schema) = model_schema(target, Variant::Partial);
        schemas.entry(name).or_insert(schema);
        if target.version_property().is_some() {
            let (name, schema) = model_schema(target, Variant::PartialAll);
            schemas.entry(name).or_insert(schema);
        }
        schemas.insert("loopback.Count".to_owned(), schema::count_schema());
    }
}

/// What a document is made of.
pub(crate) struct Parts<'a> {
    /// The CRUD resources.
    pub(crate) resources: &'a [CrudResource],
    /// The relation resources.
    pub(crate) relations: &'a [RelationResource],
    /// The route table built from both.
    pub(crate) table: &'a [RouteSpec],
    /// Documented extra routes: path and path item.
    pub(crate) extra_paths: &'a [(String, Json)],
    /// The custom APIs.
    pub(crate) custom: &'a [&'a CustomApi],
    /// The body limit (told in 413 responses).
    pub(crate) body_limit: usize,
    /// The policies of the custom operations and documented extra routes: path (as OpenAPI
    /// writes it), verb, policy. (The table's rows carry their own.)
    pub(crate) policies: &'a [(String, Method, Policy)],
    /// `components.securitySchemes`, when tokens are verified.
    pub(crate) security_schemes: Option<Json>,
}

/// The whole document: info, the routes of the table, the custom operations, extra documented
/// paths, schemas.
pub(crate) fn document(info: &ApiInfo, parts: &Parts<'_>) -> Json {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for (path, item) in parts.extra_paths {
        paths.insert(path.clone(), item.clone());
    }
    operation::add_paths(&mut paths, parts.table);
    for resource in parts.resources {
        add_resource_schemas(&mut schemas, resource);
    }
    for relation in parts.relations {
        add_relation_schemas(&mut schemas, relation);
    }
    let mut tags = Vec::new();
    for api in parts.custom {
        for op in &api.operations {
            let mut op = op.clone();
            custom::add_error_responses(&mut op, parts.body_limit);
            let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
            if let Some(item) = item.as_object_mut() {
                item.insert(op.method.as_str().to_ascii_lowercase(), op.object);
            }
        }
        for (name, schema) in &api.schemas {
            schemas
                .entry(name.clone())
                .or_insert_with(|| schema.clone());
        }
        for (model, which) in &api.models {
            let variant = match which {
                ModelSchema::Entity => Variant::Response,
                ModelSchema::New => Variant::New,
            };
            let (name, schema) = model_schema(model, variant);
            schemas.entry(name).or_insert(schema);
            for def in schema::object_defs(model) {
                schemas
                    .entry(def.name.clone())
                    .or_insert_with(|| schema::object_schema(def));
            }
        }
        for tag in &api.tags {
            // One entry per name: several impls may share a `Tags` enum.
            if !tags.iter().any(|t: &Json| t["name"] == tag["name"]) {
                tags.push(tag.clone());
            }
        }
    }
    let mut guarded = false;
    for (path, method, policy) in parts.policies {
        let operation = paths
            .get_mut(path)
            .and_then(|item| item.get_mut(method.as_str().to_ascii_lowercase()));
        if let Some(operation) = operation {
            policy.document(operation);
            guarded |= policy.access.requires_authentication();
        }
    }
    if !parts.table.is_empty() || !parts.custom.is_empty() || guarded {
        schemas.insert(schema::ERROR_SCHEMA.to_owned(), schema::error_schema());
    }
    let mut info_object = Map::new();
    info_object.insert("title".into(), json!(info.title));
    info_object.insert("version".into(), json!(info.version));
    if let Some(description) = &info.description {
        info_object.insert("description".into(), json!(description));
    }
    let mut document = json!({
        "openapi": "3.0.0",
        "info": info_object,
        "paths": paths,
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas},
    });
    if let Some(schemes) = &parts.security_schemes {
        document["components"]["securitySchemes"] = schemes.clone();
    }
    if !tags.is_empty()
        && let Some(object) = document.as_object_mut()
    {
        object.insert("tags".into(), Json::Array(tags));
    }
    document
}
