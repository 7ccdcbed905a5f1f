//! LoopBack 4's relation REST controllers (what `lb4 relation` generates), once for every
//! relation: the routes of one relation of one model, over the relation repositories of
//! [`CrudRepository::related`].

use std::sync::Arc;

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response, Route, RouteMethod};
use portico_domain::{
    CheckOptions, Error, Filter, FilterError, FilterErrors, ModelDef, RelationDef, RelationKind,
    Where, WriteMode,
};
use portico_ports::{CrudRepository, RecordRepository, RelatedRecords};
use serde_json::{Value as Json, json};

use crate::crud::{DEFAULT_MAX_PAGE_SIZE, json_response, path_id};
use crate::error::ApiError;
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
        }
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

    /// Serves only the `GET` route when `true`; the write routes are then unknown endpoints.
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

    /// The routes' path in poem's form: `/todo-lists/:id/todos`.
    pub(crate) fn route_path(&self) -> String {
        format!("{}/:id/{}", self.base_path, self.segment)
    }

    /// The routes' path in OpenAPI's form: `/todo-lists/{id}/todos`.
    pub(crate) fn openapi_path(&self) -> String {
        format!(
            "{}/{{{}}}/{}",
            self.base_path,
            self.model().id_property().name,
            self.segment
        )
    }

    /// How the request filters are checked: the repository's store capabilities and limits
    /// (the target lives in the same store).
    pub(crate) fn check_options(&self) -> &CheckOptions {
        self.repository.check_options()
    }

    /// The operations served, in LoopBack's template order.
    pub(crate) fn operations(&self) -> Vec<RelationOperation> {
        use RelationOperation as Op;
        let Some(relation) = self.relation() else {
            return Vec::new();
        };
        let all: &[RelationOperation] = match relation.kind {
            RelationKind::HasMany | RelationKind::HasManyThrough => {
                &[Op::Find, Op::Create, Op::Patch, Op::Delete]
            }
            RelationKind::HasOne => &[Op::Get, Op::Create, Op::Patch, Op::Delete],
            RelationKind::BelongsTo => &[Op::Get],
            RelationKind::ReferencesMany => &[Op::Find],
            _ => &[],
        };
        all.iter()
            .copied()
            .filter(|op| !self.read_only || op.is_read())
            .collect()
    }

    /// Adds this relation's routes to `route`; `body_limit` bounds request bodies. Nothing is
    /// added for an unknown relation ([`RestApi`](crate::RestApi) refuses those first).
    pub(crate) fn add_routes(self, route: Route, body_limit: usize) -> Route {
        let operations = self.operations();
        let Some(relation) = self.relation().cloned() else {
            return route;
        };
        let path = self.route_path();
        let keys = relation.keys(self.model());
        let target_key = matches!(relation.kind, RelationKind::HasMany | RelationKind::HasOne)
            .then_some(keys.target);
        let handlers = Arc::new(Handlers {
            target: relation.target(),
            relation,
            target_key,
            resource: self,
            body_limit,
        });
        let mut methods = RouteMethod::new();
        for operation in operations {
            let endpoint = RelationEndpoint {
                handlers: handlers.clone(),
                operation,
            };
            methods = match operation.http_method() {
                Method::POST => methods.post(endpoint),
                Method::PATCH => methods.patch(endpoint),
                Method::DELETE => methods.delete(endpoint),
                _ => methods.get(endpoint),
            };
        }
        route.at(path, methods)
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
    /// The HTTP method.
    pub(crate) fn http_method(self) -> Method {
        match self {
            RelationOperation::Find | RelationOperation::Get => Method::GET,
            RelationOperation::Create => Method::POST,
            RelationOperation::Patch => Method::PATCH,
            RelationOperation::Delete => Method::DELETE,
        }
    }

    /// True for the operations a read-only relation keeps.
    pub(crate) fn is_read(self) -> bool {
        matches!(self, RelationOperation::Find | RelationOperation::Get)
    }
}

struct Handlers {
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
    async fn related(&self, source_id: portico_domain::Value) -> Result<RelatedRecords, ApiError> {
        Ok(self
            .resource
            .repository
            .related(&self.relation.name, source_id)
            .await?)
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
                let found = self.related(id).await?.find(filter).await?;
                let items: Vec<Json> = found.iter().map(|r| target.to_public_json(r)).collect();
                Ok(json_response(&Json::Array(items)))
            }
            RelationOperation::Get => {
                let filter = self.get_filter(&query)?;
                let found = self.related(id).await?.get(filter).await?;
                Ok(json_response(&target.to_public_json(&found)))
            }
            RelationOperation::Create => {
                let json = body::read_json(&mut req, self.body_limit).await?;
                let record = body::record_from_json(
                    target,
                    &json,
                    WriteMode::Create,
                    self.target_key.as_deref(),
                )?;
                let created = self.related(id).await?.create(record, None).await?;
                Ok(json_response(&target.to_public_json(&created)))
            }
            RelationOperation::Patch => {
                let condition = self.where_param(&query)?;
                let json = body::read_json(&mut req, self.body_limit).await?;
                let patch = body::record_from_json(target, &json, WriteMode::Patch, None)?;
                let count = self.related(id).await?.patch(patch, condition).await?;
                Ok(json_response(&json!({ "count": count })))
            }
            RelationOperation::Delete => {
                let condition = self.where_param(&query)?;
                let count = self.related(id).await?.delete(condition).await?;
                Ok(json_response(&json!({ "count": count })))
            }
        }
    }

    /// The `filter` of a to-many `GET`, with the page size applied as on the CRUD routes.
    fn list_filter(&self, query: &str) -> Result<Filter, ApiError> {
        params::list_filter(
            query,
            self.target,
            self.resource.check_options(),
            self.resource.max_page_size,
        )
    }

    /// The `filter` of a to-one `GET`: no `where` (the relation finds the record), and no
    /// paging (there is one record).
    fn get_filter(&self, query: &str) -> Result<Option<Filter>, ApiError> {
        let Some(filter) = self.filter_param(query)? else {
            return Ok(None);
        };
        if filter.where_.is_some() {
            return Err(Error::InvalidFilter(FilterErrors(vec![FilterError {
                path: "/filter/where".to_owned(),
                code: "invalid",
                message: format!(
                    "the {} relation {} finds its record by its key, not by a where clause",
                    self.relation.kind.loopback_name(),
                    self.relation.name
                ),
            }]))
            .into());
        }
        Ok(Some(Filter {
            limit: None,
            skip: None,
            ..filter
        }))
    }

    fn filter_param(&self, query: &str) -> Result<Option<Filter>, ApiError> {
        params::filter(query, self.target, self.resource.check_options())
    }

    fn where_param(&self, query: &str) -> Result<Option<Where>, ApiError> {
        params::where_(query, self.target, self.resource.check_options())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use portico_domain::Entity;
    use portico_ports::Repository;

    use super::{RelationResource, kebab_case};
    use crate::{BuildError, CrudResource, RestApi};

    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct Shelf {
        #[portico(id, generated)]
        id: Option<i64>,
        #[portico(has_many(target = Book))]
        books: Option<Vec<Book>>,
    }

    #[derive(Entity, Clone, Debug)]
    struct Book {
        #[portico(id, generated)]
        id: Option<i64>,
        shelf_id: Option<i64>,
    }

    /// A reader: tags through links, and references many books.
    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct Reader {
        #[portico(id, generated)]
        id: Option<i64>,
        book_ids: Option<Vec<i64>>,
        #[portico(has_many_through(target = Tag, through = ReaderTag))]
        tags: Option<Vec<Tag>>,
        #[portico(references_many(target = Book))]
        books: Option<Vec<Book>>,
    }

    #[derive(Entity, Clone, Debug)]
    struct Tag {
        #[portico(id, generated)]
        id: Option<i64>,
        name: String,
    }

    #[derive(Entity, Clone, Debug)]
    struct ReaderTag {
        #[portico(id, generated)]
        id: Option<i64>,
        reader_id: Option<i64>,
        tag_id: Option<i64>,
    }

    /// Sends one request to `endpoint`; the status and the JSON body.
    async fn call(
        endpoint: &poem::endpoint::BoxEndpoint<'static, poem::Response>,
        method: poem::http::Method,
        uri: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        use poem::Endpoint as _;
        let mut request = poem::Request::builder().method(method).uri_str(uri);
        if body.is_some() {
            request = request.content_type("application/json");
        }
        let request = request.body(body.map(|b| b.to_string()).unwrap_or_default());
        let response = endpoint.call(request).await.expect("a response");
        let status = response.status().as_u16();
        let bytes = response.into_body().into_vec().await.expect("a body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test(flavor = "current_thread")]
    async fn has_many_through_and_references_many_routes() {
        use poem::http::Method;
        use serde_json::json;
        let store: Arc<dyn portico_ports::Store> = Arc::new(portico_memory::MemoryStore::new());
        let readers = Repository::<Reader>::new(store.clone()).expect("a valid model");
        let books = Repository::<Book>::new(store).expect("a valid model");
        let readers = readers.records().clone();
        let endpoint = RestApi::new("readers", "1")
            .resource(CrudResource::new("/readers", Arc::new(readers.clone())))
            .resource(CrudResource::new(
                "/books",
                Arc::new(books.records().clone()),
            ))
            .relation(RelationResource::new("/readers", readers.clone(), "tags"))
            .relation(RelationResource::new("/readers", readers, "books"))
            .into_endpoint()
            .expect("an API");
        for _ in 0..3 {
            assert_eq!(
                call(&endpoint, Method::POST, "/books", Some(json!({})))
                    .await
                    .0,
                200
            );
        }
        let (status, reader) = call(
            &endpoint,
            Method::POST,
            "/readers",
            Some(json!({"bookIds": [3, 1]})),
        )
        .await;
        assert_eq!((status, reader["id"].clone()), (200, json!(1)));
        // Has-many-through: create links, find, patch and delete go through the links.
        for name in ["new", "old"] {
            let (status, tag) = call(
                &endpoint,
                Method::POST,
                "/readers/1/tags",
                Some(json!({"name": name})),
            )
            .await;
            assert_eq!(status, 200, "{tag}");
            assert!(tag.get("readerId").is_none(), "{tag}");
        }
        let (status, tags) = call(&endpoint, Method::GET, "/readers/1/tags", None).await;
        assert_eq!(
            (status, tags),
            (
                200,
                json!([{"id": 1, "name": "new"}, {"id": 2, "name": "old"}])
            )
        );
        let (_, none) = call(&endpoint, Method::GET, "/readers/2/tags", None).await;
        assert_eq!(none, json!([]));
        let (status, count) = call(
            &endpoint,
            Method::PATCH,
            "/readers/1/tags?where[name]=old",
            Some(json!({"name": "older"})),
        )
        .await;
        assert_eq!((status, count), (200, json!({"count": 1})));
        let (status, count) = call(
            &endpoint,
            Method::DELETE,
            "/readers/1/tags?where[name]=new",
            None,
        )
        .await;
        assert_eq!((status, count), (200, json!({"count": 1})));
        let (_, tags) = call(&endpoint, Method::GET, "/readers/1/tags", None).await;
        assert_eq!(tags, json!([{"id": 2, "name": "older"}]));
        let (status, _) = call(
            &endpoint,
            Method::POST,
            "/readers/9/tags",
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(status, 404);
        // References-many: only GET, the referenced books in id order.
        let (status, referenced) = call(&endpoint, Method::GET, "/readers/1/books", None).await;
        assert_eq!((status, referenced), (200, json!([{"id": 1}, {"id": 3}])));
        let (status, _) = call(&endpoint, Method::POST, "/readers/1/books", Some(json!({}))).await;
        assert_eq!(status, 404);
        // `include` on the CRUD route.
        let (_, with) = call(
            &endpoint,
            Method::GET,
            "/readers/1?filter[include][]=tags&filter[include][]=books",
            None,
        )
        .await;
        assert_eq!(
            with,
            json!({"id": 1, "bookIds": [3, 1], "tags": [{"id": 2, "name": "older"}],
                   "books": [{"id": 1}, {"id": 3}]})
        );
    }

    fn shelves() -> portico_ports::CrudRepository {
        let store = Arc::new(portico_memory::MemoryStore::new());
        Repository::<Shelf>::new(store)
            .expect("a valid model")
            .records()
            .clone()
    }

    fn build(relations: Vec<RelationResource>) -> Result<(), BuildError> {
        let mut api = RestApi::new("shelves", "1")
            .resource(CrudResource::new("/shelves", Arc::new(shelves())));
        for relation in relations {
            api = api.relation(relation);
        }
        api.into_endpoint().map(drop)
    }

    #[test]
    fn mounting_checks_relations_and_paths() {
        let repo = shelves();
        assert_eq!(build(RelationResource::all("/shelves", &repo)), Ok(()));
        assert_eq!(
            build(vec![RelationResource::new(
                "/shelves",
                repo.clone(),
                "bookz"
            )]),
            Err(BuildError::UnknownRelation {
                model: "Shelf".into(),
                relation: "bookz".into()
            })
        );
        for bad in ["", "a/b", ":id"] {
            assert_eq!(
                build(vec![
                    RelationResource::new("/shelves", repo.clone(), "books").segment(bad)
                ]),
                Err(BuildError::InvalidSegment(bad.into()))
            );
        }
        assert_eq!(
            build(vec![
                RelationResource::new("/shelves", repo.clone(), "books"),
                RelationResource::new("/shelves", repo.clone(), "books"),
            ]),
            Err(BuildError::DuplicatePath("/shelves/:id/books".into()))
        );
        assert_eq!(
            build(vec![RelationResource::new("shelves", repo, "books")]),
            Err(BuildError::InvalidBasePath("shelves".into()))
        );
    }

    #[test]
    fn segments_default_to_kebab_case() {
        for (name, segment) in [
            ("todos", "todos"),
            ("todoList", "todo-list"),
            ("cartItems", "cart-items"),
            ("ordersByName", "orders-by-name"),
            ("HTTPServer", "http-server"),
            ("userID", "user-id"),
            ("todo_list", "todo-list"),
            ("v2Items", "v2-items"),
        ] {
            assert_eq!(kebab_case(name), segment, "{name}");
        }
    }
}
