//! LoopBack 4's relation REST controllers (what `lb4 relation` generates), once for every
//! relation: the routes of one relation of one model, over the relation repositories of
//! [`CrudRepository::related`].

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use portico_domain::{
    CheckOptions, Checked, Error, Filter, ModelDef, RelationDef, Where, WriteMode,
};
use portico_ports::auth::{Access, OperationKind};
use portico_ports::{CrudRepository, RecordRepository, RelatedRecords};
use serde_json::json;

use crate::auth::KindAccess;
use crate::crud::{
    DEFAULT_MAX_PAGE_SIZE, json_response, path_id, record_response, records_response,
};
use crate::error::ApiError;
use crate::routes::key_set_by_relation;
use crate::{body, params};

/// One relation of a model served under the model's base path, e.g. `todos` of `TodoList` at
/// `/todo-lists/{id}/todos`: the routes of LoopBack's relation controller for its kind.
///
/// | kind | route | success | relation repository call |
/// |---|---|---|---|
/// | has-many, has-many-through | `GET /todo-lists/{id}/todos?filter=` | 200, an array | `find` |
/// | | `POST /todo-lists/{id}/todos` | 200, the created entity | `create` |
/// | | `PATCH /todo-lists/{id}/todos?where=` | 200, `{"count": n}` | `patch` |
/// | | `DELETE /todo-lists/{id}/todos?where=` | 200, `{"count": n}` | `delete` |
/// | has-one | `GET /todo-lists/{id}/image?filter=` | 200, the entity (404 when there is none) | `get` |
/// | | `POST /todo-lists/{id}/image` | 200, the created entity | `create` |
/// | | `PATCH /todo-lists/{id}/image?where=` | 200, `{"count": n}` | `patch` |
/// | | `DELETE /todo-lists/{id}/image?where=` | 200, `{"count": n}` | `delete` |
/// | belongs-to | `GET /todos/{id}/todo-list?filter=` | 200, the entity (404 when there is none) | `get` |
/// | references-many | `GET /customers/{id}/promotions?filter=` | 200, an array | `find` |
///
/// `filter` and `where` are read as on the CRUD routes (both encodings, checked against the
/// target model, every problem reported); a `GET` of a to-one relation takes no `where`, and a
/// list is paged as [`CrudResource::max_page_size`](crate::CrudResource::max_page_size) pages.
/// A `POST` body may leave out the key the relation sets (`todoListId`); giving it another
/// value, or any navigational property, is 400. A `POST` for a source that does not exist is
/// 404 (LoopBack would create an orphan).
///
/// ```no_run
/// # use portico_http::{CrudResource, RelationResource, RestApi};
/// # fn demo(lists: portico_ports::CrudRepository) -> Result<(), portico_http::BuildError> {
/// let endpoint = RestApi::new("todo-list", "1.0.0")
///     .resource(CrudResource::new("/todo-lists", std::sync::Arc::new(lists.clone())))
///     .relation(RelationResource::new("/todo-lists", lists.clone(), "todos"))
///     .relation(RelationResource::new("/todo-lists", lists, "image"))
///     .into_endpoint()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RelationResource {
    pub(crate) base_path: String,
    pub(crate) repository: CrudRepository,
    pub(crate) relation: String,
    pub(crate) segment: String,
    pub(crate) read_only: bool,
    pub(crate) max_page_size: u64,
    /// Keys refused in `filter`, `where` and bodies beside LoopBack's built-in ones: the
    /// API's [`RestApi::prohibited_keys`](crate::RestApi::prohibited_keys).
    pub(crate) prohibited_keys: Arc<[String]>,
    /// Who may call the reading and the writing routes.
    pub(crate) access: KindAccess,
}

impl std::fmt::Debug for RelationResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelationResource")
            .field("base_path", &self.base_path)
            .field("model", &self.repository.model().name)
            .field("relation", &self.relation)
            .field("segment", &self.segment)
            .field("read_only", &self.read_only)
            .field("max_page_size", &self.max_page_size)
            .finish_non_exhaustive()
    }
}

impl RelationResource {
    /// Relation `relation` of the model of `repository`, whose records are served at
    /// `base_path` (`/todo-lists`): its routes are `{base_path}/{id}/{segment}`, the segment
    /// being the relation name in kebab case (`todoList` → `todo-list`) unless
    /// [`segment`](RelationResource::segment) says otherwise. Read-write, with pages of at most
    /// [`DEFAULT_MAX_PAGE_SIZE`] records. An unknown relation name is reported by
    /// [`RestApi::into_endpoint`](crate::RestApi::into_endpoint).
    pub fn new(
        base_path: impl Into<String>,
        repository: CrudRepository,
        relation: impl Into<String>,
    ) -> Self {
        let relation = relation.into();
        RelationResource {
            base_path: base_path.into(),
            repository,
            segment: kebab_case(&relation),
            relation,
            read_only: false,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            prohibited_keys: Vec::new().into(),
            access: KindAccess::default(),
        }
    }

    /// Who may call every route of the relation (instead of the API's
    /// [default](crate::RestApi::default_access)). Owned models stay scoped to their owner
    /// here as everywhere ([`CrudResource::owned_by`](crate::CrudResource::owned_by)).
    pub fn access(mut self, access: Access) -> Self {
        self.access.set(None, access);
        self
    }

    /// Who may call the `GET` route.
    pub fn read_access(mut self, access: Access) -> Self {
        self.access.set(Some(OperationKind::Read), access);
        self
    }

    /// Who may call the writing routes (`POST`, `PATCH`, `DELETE`).
    pub fn write_access(mut self, access: Access) -> Self {
        self.access.set(Some(OperationKind::Write), access);
        self
    }

    /// Every relation of the model of `repository`, each with its default segment.
    pub fn all(base_path: impl Into<String>, repository: &CrudRepository) -> Vec<Self> {
        let base_path = base_path.into();
        repository
            .model()
            .relations
            .iter()
            .map(|r| RelationResource::new(base_path.clone(), repository.clone(), r.name.clone()))
            .collect()
    }

    /// Sets the last path segment (`items` serves `/todo-lists/{id}/items`).
    pub fn segment(mut self, segment: impl Into<String>) -> Self {
        self.segment = segment.into();
        self
    }

    /// Serves only the `GET` route when `true`; the write verbs are then 405, with `Allow`.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets the page size of the `GET` route of a to-many relation: without `limit` it
    /// returns at most this many records, and a larger `limit` is capped to it (at least 1).
    pub fn max_page_size(mut self, max_page_size: u64) -> Self {
        self.max_page_size = max_page_size.max(1);
        self
    }

    /// The source's base path, e.g. `/todo-lists`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The last path segment, e.g. `todos`.
    pub fn path_segment(&self) -> &str {
        &self.segment
    }

    /// The relation name, e.g. `todos`.
    pub fn relation_name(&self) -> &str {
        &self.relation
    }

    /// The source model.
    pub fn model(&self) -> &ModelDef {
        self.repository.model()
    }

    /// The relation's definition, `None` when the model has no relation of this name.
    pub fn relation(&self) -> Option<&RelationDef> {
        self.model().get_relation(&self.relation)
    }

    /// How the request filters are checked: the repository's store capabilities and limits
    /// (the target lives in the same store).
    pub(crate) fn check_options(&self) -> &CheckOptions {
        self.repository.check_options()
    }
}

/// `todoList` → `todo-list`, `cartItems` → `cart-items`, `HTTPServer` → `http-server`,
/// `todo_list` → `todo-list`.
pub(crate) fn kebab_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '_' | '-' | ' ') {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            continue;
        }
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if boundary && !out.ends_with('-') {
                out.push('-');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The operations of LoopBack's relation controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelationOperation {
    /// `GET`, the related records (to-many).
    Find,
    /// `GET`, the related record (to-one).
    Get,
    /// `POST`, a new related record.
    Create,
    /// `PATCH`, the related records matching `where`.
    Patch,
    /// `DELETE`, the related records matching `where`.
    Delete,
}

impl RelationOperation {
    /// True for the operations a read-only relation keeps.
    pub(crate) fn is_read(self) -> bool {
        matches!(self, RelationOperation::Find | RelationOperation::Get)
    }
}

/// What the routes of one relation share: the resource, the relation, its target and the body
/// limit.
pub(crate) struct Handlers {
    resource: RelationResource,
    relation: RelationDef,
    target: &'static ModelDef,
    /// The target property the relation sets (has-many, has-one): optional in create bodies.
    target_key: Option<String>,
    body_limit: usize,
}

/// One operation of one relation, as a poem endpoint.
struct RelationEndpoint {
    handlers: Arc<Handlers>,
    operation: RelationOperation,
}

impl Endpoint for RelationEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(self
            .handlers
            .handle(self.operation, req)
            .await
            .unwrap_or_else(IntoResponse::into_response))
    }
}

impl Handlers {
    /// The handlers of `resource`'s routes, `None` for an unknown relation (which
    /// [`RestApi`](crate::RestApi) refuses before mounting); `body_limit` bounds request bodies.
    pub(crate) fn new(resource: RelationResource, body_limit: usize) -> Option<Arc<Self>> {
        let relation = resource.relation()?.clone();
        Some(Arc::new(Handlers {
            target: relation.target(),
            target_key: key_set_by_relation(&relation, resource.model()),
            relation,
            resource,
            body_limit,
        }))
    }

    /// The endpoint serving `operation` (its verb and path are the route table's).
    pub(crate) fn endpoint(
        self: &Arc<Self>,
        operation: RelationOperation,
    ) -> BoxEndpoint<'static, Response> {
        RelationEndpoint {
            handlers: self.clone(),
            operation,
        }
        .boxed()
    }

    /// The relation repository of `source_id`, within the caller's scope when the API owns
    /// models (of the source or the target).
    async fn related(
        &self,
        req: &Request,
        source_id: portico_domain::Value,
    ) -> Result<RelatedRecords, ApiError> {
        let repository = &self.resource.repository;
        Ok(match crate::auth::request_scope(req) {
            Some(scope) => {
                repository
                    .scoped(scope)
                    .related(&self.relation.name, source_id)
                    .await?
            }
            None => repository.related(&self.relation.name, source_id).await?,
        })
    }

    async fn handle(
        &self,
        operation: RelationOperation,
        mut req: Request,
    ) -> Result<Response, ApiError> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let id = path_id(self.resource.model(), &req)?;
        let target = self.target;
        match operation {
            RelationOperation::Find => {
                let filter = self.list_filter(&query)?;
                let found = self.related(&req, id).await?.find(filter).await?;
                Ok(records_response(target, &found))
            }
            RelationOperation::Get => {
                let filter = self.get_filter(&query)?;
                let found = self.related(&req, id).await?.get(filter).await?;
                Ok(record_response(target, &found))
            }
            RelationOperation::Create => {
                let json =
                    body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys)
                        .await?;
                let record = body::record_from_json(
                    target,
                    &json,
                    WriteMode::Create,
                    self.target_key.as_deref(),
                )?;
                let created = self.related(&req, id).await?.create(record, None).await?;
                Ok(record_response(target, &created))
            }
            RelationOperation::Patch => {
                let condition = self.where_param(&query)?;
                let json =
                    body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys)
                        .await?;
                let patch = body::record_from_json(target, &json, WriteMode::Patch, None)?;
                let count = self
                    .related(&req, id)
                    .await?
                    .patch(patch, condition)
                    .await?;
                Ok(json_response(&json!({ "count": count })))
            }
            RelationOperation::Delete => {
                let condition = self.where_param(&query)?;
                let count = self.related(&req, id).await?.delete(condition).await?;
                Ok(json_response(&json!({ "count": count })))
            }
        }
    }

    /// The `filter` of a to-many `GET`, with the page size applied as on the CRUD routes.
    // Relation routes hand plain filters on: the relation repository adds its key
    // condition and checks the whole (the CRUD routes hand the checked one through).
    fn list_filter(&self, query: &str) -> Result<Filter, ApiError> {
        params::list_filter(
            query,
            self.target,
            self.resource.check_options(),
            self.resource.max_page_size,
            &self.resource.prohibited_keys,
        )
        .map(Checked::into_inner)
    }

    /// The `filter` of a to-one `GET`: no `where` (the relation finds the record), and no
    /// paging (there is one record).
    fn get_filter(&self, query: &str) -> Result<Option<Filter>, ApiError> {
        let Some(filter) = self.filter_param(query)? else {
            return Ok(None);
        };
        let reader = format!(
            "the {} relation {}",
            self.relation.kind.loopback_name(),
            self.relation.name
        );
        let filter = filter
            .for_one_record(&reader)
            .map_err(|e| Error::InvalidFilter(e.prefixed("filter")))?;
        Ok(Some(filter))
    }

    fn filter_param(&self, query: &str) -> Result<Option<Filter>, ApiError> {
        Ok(params::filter(
            query,
            self.target,
            self.resource.check_options(),
            &self.resource.prohibited_keys,
        )?
        .map(Checked::into_inner))
    }

    fn where_param(&self, query: &str) -> Result<Option<Where>, ApiError> {
        Ok(params::where_(
            query,
            self.target,
            self.resource.check_options(),
            &self.resource.prohibited_keys,
        )?
        .map(Checked::into_inner))
    }
}

#[cfg(test)]
mod tests;
