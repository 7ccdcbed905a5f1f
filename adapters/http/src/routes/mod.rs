//! The route table: every route the API serves, written once — verb, path, operation id,
//! parameters, request body, success response and every error status it answers.
//!
//! Two readers share it, so they cannot drift apart: the router (`mount.rs`) mounts each row
//! on its handler and answers `OPTIONS` and unserved verbs of a path from the same rows, and
//! the OpenAPI document (`openapi/operation.rs`) renders each row as an operation.
//!
//! - `crud.rs`: the rows of a CRUD resource.
//! - `relation.rs`: the rows of a relation, per kind, and the controllers' names.

use std::collections::BTreeMap;

use poem::http::Method;
use portico_domain::{ModelDef, PropertyType};

use crate::api::{MAX_HEADERS_SIZE, MAX_URL_LENGTH};
use crate::auth::{KindAccess, Policy};
use portico_ports::auth::{Access, OperationKind};

/// Gives an operation its access: from its id and its resource's own access (if any), the
/// API's override for the id, else the resource's, else the API's default.
pub(crate) type Resolve<'a> = &'a dyn Fn(&str, Option<&Access>) -> Access;

/// The policy of a row of `resource` (the model's name) with operation id `operation`, reading
/// or writing, its resource's `own` access resolved by `resolve`.
fn row_policy(
    resolve: Resolve<'_>,
    own: &KindAccess,
    resource: &str,
    operation: String,
    read: bool,
) -> Policy {
    let kind = if read {
        OperationKind::Read
    } else {
        OperationKind::Write
    };
    Policy {
        access: resolve(&operation, own.of(kind)),
        resource: resource.to_owned(),
        operation,
        kind,
    }
}
use crate::crud::{CrudResource, Operation};
use crate::relation::{RelationOperation, RelationResource};

mod crud;
mod relation;

pub(crate) use relation::{key_set_by_relation, relation_operations};

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    /// A fixed segment: `todos`, `count`.
    Literal(String),
    /// The source's id; OpenAPI names it after the id property.
    Id(String),
}

/// A route's path, rendered for poem (`/todos/:id`) or OpenAPI (`/todos/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RoutePath(Vec<Segment>);

impl RoutePath {
    /// `base` (`/todo-lists`), then `/{id}` when `id` names the id property, then `suffix`.
    fn new(base: &str, id: Option<&str>, suffix: Option<&str>) -> Self {
        let mut segments: Vec<Segment> = base
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| Segment::Literal(s.to_owned()))
            .collect();
        if let Some(id) = id {
            segments.push(Segment::Id(id.to_owned()));
        }
        if let Some(suffix) = suffix {
            segments.push(Segment::Literal(suffix.to_owned()));
        }
        RoutePath(segments)
    }

    fn render(&self, id: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            out.push('/');
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Id(name) => out.push_str(&id(name)),
            }
        }
        out
    }

    /// The path as poem routes it; handlers read the id as the `id` path parameter.
    pub(crate) fn poem(&self) -> String {
        self.render(|_| ":id".to_owned())
    }

    /// The path as OpenAPI writes it.
    pub(crate) fn openapi(&self) -> String {
        self.render(|name| format!("{{{name}}}"))
    }
}

/// A parameter of a route.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// The `{id}` path segment, of the id property's type.
    Id {
        /// The id property's name.
        name: String,
        /// Its type.
        ty: PropertyType,
    },
    /// A query parameter holding JSON (LoopBack's `filter` and `where`), of a component schema.
    Json {
        /// `filter` or `where`.
        name: &'static str,
        /// The schema's name, e.g. `Todo.Filter`.
        schema: String,
    },
    /// `If-Match`: the ETag (version) a write by id expects.
    IfMatch,
}

/// What a successful response carries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    /// One entity of this schema.
    Entity(String),
    /// An array of entities of this schema.
    List(String),
    /// `loopback.Count`.
    Count,
    /// Nothing (204).
    Empty,
}

/// One route.
#[derive(Debug, Clone)]
pub(crate) struct RouteSpec {
    /// The HTTP method.
    pub(crate) method: Method,
    /// The path.
    pub(crate) path: RoutePath,
    /// LoopBack's controller name, e.g. `TodoController`.
    pub(crate) controller: String,
    /// LoopBack's method name, e.g. `findById`; the operation id is `controller.operation`.
    pub(crate) operation: String,
    /// A one-line summary.
    pub(crate) summary: String,
    /// The parameters, in order.
    pub(crate) params: Vec<Param>,
    /// The request body's schema name, for routes that read a body.
    pub(crate) body: Option<String>,
    /// The success status (200 or 204), its description and content.
    pub(crate) success: (u16, String, Content),
    /// The version property whose value the success response sends as `ETag`.
    pub(crate) etag: Option<String>,
    /// Every error status the route answers, ascending, with when.
    pub(crate) errors: Vec<(u16, String)>,
    /// The handler that serves it.
    pub(crate) handler: Handler,
    /// Who may call it: what the router enforces and the document's `security` says.
    pub(crate) policy: Policy,
}

/// Which handler serves a route: an index into the API's resources or relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    /// Operation of the `n`th CRUD resource.
    Crud(usize, Operation),
    /// Operation of the `n`th relation resource.
    Relation(usize, RelationOperation),
}

/// The error statuses of a route under construction, each with every reason it happens.
#[derive(Default)]
struct Errors(BTreeMap<u16, Vec<String>>);

impl Errors {
    fn add(&mut self, status: u16, reason: impl Into<String>) -> &mut Self {
        self.0.entry(status).or_default().push(reason.into());
        self
    }

    /// The `{id}` parameter: 400 when it is not of the id's type.
    fn id(&mut self, ty: &PropertyType) -> &mut Self {
        self.add(400, format!("the id is not a valid {ty}"))
    }

    /// A `filter` or `where` parameter: 400 when invalid, 501 for an operator the store lacks.
    fn query(&mut self, name: &str) -> &mut Self {
        self.add(
            400,
            format!("`{name}` is invalid (every problem is in `details`)"),
        )
        .add(
            501,
            format!("`{name}` uses an operator the data source cannot honour"),
        )
    }

    /// A JSON body.
    fn body(&mut self, body_limit: usize) -> &mut Self {
        self.add(
            400,
            "the body is empty, not JSON, or holds a navigational property",
        )
        .add(413, format!("the body is larger than {body_limit} bytes"))
        .add(415, "the body is not `application/json`")
        .add(
            422,
            "the body breaks the model (every problem is in `details`)",
        )
    }

    /// A write that may collide with stored data.
    fn conflicts(&mut self) -> &mut Self {
        self.add(
            409,
            "a unique value or the id is taken, the body's version is stale, or the write lost to a concurrent transaction (retry it)",
        )
    }

    /// The statuses an operation's policy answers (401, 403).
    fn policy(&mut self, policy: &Policy) -> &mut Self {
        for (status, reason) in policy.errors() {
            self.add(status, reason);
        }
        self
    }

    fn into_list(self) -> Vec<(u16, String)> {
        self.0
            .into_iter()
            .map(|(status, reasons)| {
                let text = reasons.join("; ");
                let mut chars = text.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
                (
                    status,
                    format!("{}{}", first.unwrap_or_default(), chars.as_str()),
                )
            })
            .collect()
    }
}

/// The errors every route may answer: an over-long request head, an unreachable store.
fn common_errors() -> Errors {
    let mut errors = Errors::default();
    errors
        .add(
            414,
            format!(
                "the URL is longer than {MAX_URL_LENGTH} bytes (LoopBack's envelope; past 64 KiB the HTTP server answers with an empty body)"
            ),
        )
        .add(431, format!("the headers are larger than {MAX_HEADERS_SIZE} bytes"))
        .add(503, "the data source cannot be reached");
    errors
}

/// The whole table: the CRUD routes of `resources`, then the routes of `relations`, each with
/// its access as `resolve` gives it.
pub(crate) fn table(
    resources: &[CrudResource],
    relations: &[RelationResource],
    body_limit: usize,
    resolve: Resolve<'_>,
) -> Vec<RouteSpec> {
    let mut routes = Vec::new();
    for (index, resource) in resources.iter().enumerate() {
        routes.extend(crud::crud_routes(index, resource, body_limit, resolve));
    }
    for (index, (relation, controller)) in relations
        .iter()
        .zip(relation::relation_controllers(relations))
        .enumerate()
    {
        routes.extend(relation::relation_routes(
            index,
            relation,
            &controller,
            body_limit,
            resolve,
        ));
    }
    routes
}

fn id_param(model: &ModelDef) -> Param {
    let id = model.id_property();
    Param::Id {
        name: id.name.clone(),
        ty: id.ty.clone(),
    }
}

fn json_param(name: &'static str, schema: String) -> Param {
    Param::Json { name, schema }
}

/// The schema a read of `model` answers with: `TodoWithRelations` (navigational properties
/// included; nothing required, since `fields` may leave any property out).
pub(crate) fn read_schema_name(model: &ModelDef) -> String {
    format!("{}WithRelations", model.name)
}

/// The name of the schema of an update-all (`PATCH` of a collection) body: `TodoPartial`,
/// unless the model has a version, which only a write by id can be conditional on
/// (`TodoPartialAll` leaves it out).
pub(crate) fn update_all_schema_name(model: &ModelDef) -> String {
    if model.version_property().is_some() {
        format!("{}PartialAll", model.name)
    } else {
        format!("{}Partial", model.name)
    }
}

/// The name of the schema of the `PUT` body: `Todo`, unless hidden properties make the
/// response schema unfit for input.
pub(crate) fn replacement_schema_name(model: &ModelDef) -> String {
    if model.properties.iter().any(|p| p.hidden) {
        format!("{}Replacement", model.name)
    } else {
        model.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::RoutePath;

    #[test]
    fn paths_render_for_both_readers() {
        let path = RoutePath::new("/todo-lists", Some("id"), Some("todos"));
        assert_eq!(path.poem(), "/todo-lists/:id/todos");
        assert_eq!(path.openapi(), "/todo-lists/{id}/todos");
        let by_code = RoutePath::new("/accounts", Some("code"), None);
        assert_eq!(by_code.openapi(), "/accounts/{code}");
        assert_eq!(
            RoutePath::new("/a/b", None, Some("count")).poem(),
            "/a/b/count"
        );
    }
}
