//! LoopBack 4's CRUD REST controller, once for every model: the eight routes of
//! `lb4 controller` / `@loopback/rest-crud` over a [`RecordRepository`].

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response};
use portico_domain::{
    CheckOptions, Checked, Error, Filter, ModelDef, PropertyType, Record, Value, Where, WriteMode,
};
use portico_ports::RecordRepository;
use portico_ports::auth::{Access, OperationKind};
use serde_json::{Value as Json, json};

use crate::auth::KindAccess;
use crate::error::{ApiError, JSON_MEDIA_TYPE};
use crate::{body, etag, params};

/// The page size applied when a list request gives no `limit`, and the largest `limit`
/// honoured: larger ones are capped to it.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 1000;

/// One model's repository mounted at a base path, e.g. `/todos`: LoopBack's eight CRUD routes
/// (or the three reading ones when [read-only](CrudResource::read_only)).
///
/// | route | success | repository call |
/// |---|---|---|
/// | `POST /todos` | 200, the created entity | `create` |
/// | `GET /todos?filter=` | 200, an array | `find` |
/// | `GET /todos/count?where=` | 200, `{"count": n}` | `count` |
/// | `PATCH /todos?where=` | 200, `{"count": n}` | `update_all` |
/// | `GET /todos/{id}?filter=` | 200, the entity | `find_by_id` |
/// | `PATCH /todos/{id}` | 204 | `update_by_id` |
/// | `PUT /todos/{id}` | 204 | `replace_by_id` |
/// | `DELETE /todos/{id}` | 204 | `delete_by_id` |
#[derive(Clone)]
pub struct CrudResource {
    pub(crate) base_path: String,
    pub(crate) repository: Arc<dyn RecordRepository>,
    pub(crate) read_only: bool,
    pub(crate) max_page_size: u64,
    /// Keys refused in `filter`, `where` and bodies beside LoopBack's built-in ones: the
    /// API's [`RestApi::prohibited_keys`](crate::RestApi::prohibited_keys).
    pub(crate) prohibited_keys: Arc<[String]>,
    /// Who may call the reading and the writing routes.
    pub(crate) access: KindAccess,
    /// The property holding each record's owner, when records belong to their creators.
    pub(crate) owner: Option<String>,
}

impl std::fmt::Debug for CrudResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrudResource")
            .field("base_path", &self.base_path)
            .field("model", &self.repository.model().name)
            .field("read_only", &self.read_only)
            .field("max_page_size", &self.max_page_size)
            .finish_non_exhaustive()
    }
}

impl CrudResource {
    /// The model of `repository` served at `base_path` (`/todos`), read-write, with pages of at
    /// most [`DEFAULT_MAX_PAGE_SIZE`] records.
    pub fn new(base_path: impl Into<String>, repository: Arc<dyn RecordRepository>) -> Self {
        CrudResource {
            base_path: base_path.into(),
            repository,
            read_only: false,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            prohibited_keys: Vec::new().into(),
            access: KindAccess::default(),
            owner: None,
        }
    }

    /// Who may call every route of the resource (instead of the API's
    /// [default](crate::RestApi::default_access)).
    pub fn access(mut self, access: Access) -> Self {
        self.access.set(None, access);
        self
    }

    /// Who may call the reading routes (`find`, `count`, `findById`).
    pub fn read_access(mut self, access: Access) -> Self {
        self.access.set(Some(OperationKind::Read), access);
        self
    }

    /// Who may call the writing routes (`create`, `updateAll`, `updateById`, `replaceById`,
    /// `deleteById`).
    pub fn write_access(mut self, access: Access) -> Self {
        self.access.set(Some(OperationKind::Write), access);
        self
    }

    /// Makes each record belong to the caller who created it, through `property` (e.g.
    /// `ownerId`, holding the [`Principal`](portico_ports::Principal)'s id): every route —
    /// and every other route of the API reaching this model, through a relation or an
    /// `include` — reads, counts, updates and deletes only the caller's records (another's is
    /// 404, as a missing one), and a create or replace sets the property to the caller. The
    /// property should not be required (the body need not carry it; a value sent is
    /// replaced). The API needs a token verifier ([`RestApi::authentication`](crate::RestApi::authentication)).
    pub fn owned_by(mut self, property: impl Into<String>) -> Self {
        self.owner = Some(property.into());
        self
    }

    /// Serves only `GET /todos`, `GET /todos/count` and `GET /todos/{id}` when `true`
    /// (LoopBack's `readonly`); the write verbs are then 405, with `Allow` naming the reads.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets the page size: a `GET` list without `limit` returns at most this many records, and
    /// a larger `limit` is capped to it (at least 1).
    pub fn max_page_size(mut self, max_page_size: u64) -> Self {
        self.max_page_size = max_page_size.max(1);
        self
    }

    /// How request filters are checked: the repository's store capabilities and limits, so
    /// the published `where` schema lists only the operators the store honours and the
    /// adapter accepts exactly what the repository accepts.
    pub(crate) fn check_options(&self) -> &CheckOptions {
        self.repository.check_options()
    }

    /// The base path, e.g. `/todos`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The model served.
    pub fn model(&self) -> &ModelDef {
        self.repository.model()
    }
}

/// The eight operations, named as LoopBack's controller methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Find,
    Count,
    UpdateAll,
    FindById,
    UpdateById,
    ReplaceById,
    DeleteById,
}

impl Operation {
    /// Every operation, in the order LoopBack's controller template declares them.
    pub(crate) const ALL: [Operation; 8] = [
        Operation::Create,
        Operation::Count,
        Operation::Find,
        Operation::UpdateAll,
        Operation::FindById,
        Operation::UpdateById,
        Operation::ReplaceById,
        Operation::DeleteById,
    ];

    /// LoopBack's method name: `create`, `findById`…
    pub(crate) fn method_name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Find => "find",
            Operation::Count => "count",
            Operation::UpdateAll => "updateAll",
            Operation::FindById => "findById",
            Operation::UpdateById => "updateById",
            Operation::ReplaceById => "replaceById",
            Operation::DeleteById => "deleteById",
        }
    }

    /// True for the operations a read-only resource keeps.
    pub(crate) fn is_read(self) -> bool {
        matches!(
            self,
            Operation::Find | Operation::Count | Operation::FindById
        )
    }
}

/// What the routes of one resource share: the resource and the body limit.
pub(crate) struct Handlers {
    resource: CrudResource,
    body_limit: usize,
}

impl Handlers {
    /// The handlers of `resource`'s routes; `body_limit` bounds request bodies.
    pub(crate) fn new(resource: CrudResource, body_limit: usize) -> Arc<Self> {
        Arc::new(Handlers {
            resource,
            body_limit,
        })
    }

    /// The endpoint serving `operation` (its verb and path are the route table's).
    pub(crate) fn endpoint(
        self: &Arc<Self>,
        operation: Operation,
    ) -> BoxEndpoint<'static, Response> {
        CrudEndpoint {
            handlers: self.clone(),
            operation,
        }
        .boxed()
    }
}

/// One operation of one resource, as a poem endpoint.
struct CrudEndpoint {
    handlers: Arc<Handlers>,
    operation: Operation,
}

impl Endpoint for CrudEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(self
            .handlers
            .handle(self.operation, req)
            .await
            .unwrap_or_else(IntoResponse::into_response))
    }
}

/// A 200 JSON response.
pub(crate) fn json_response(json: &Json) -> Response {
    Response::builder()
        .content_type(JSON_MEDIA_TYPE)
        .body(Body::from_vec(json.to_string().into_bytes()))
}

/// A 200 response of one record of `model`, as API users see it (written straight to the body).
pub(crate) fn record_response(model: &ModelDef, record: &Record) -> Response {
    let mut body = Vec::with_capacity(256);
    model.write_public_json(record, &mut body);
    Response::builder()
        .content_type(JSON_MEDIA_TYPE)
        .body(Body::from_vec(body))
}

/// A 200 response of a list of records of `model`, as API users see them.
pub(crate) fn records_response(model: &ModelDef, records: &[Record]) -> Response {
    let mut body = Vec::with_capacity(2 + 256 * records.len());
    body.push(b'[');
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        model.write_public_json(record, &mut body);
    }
    body.push(b']');
    Response::builder()
        .content_type(JSON_MEDIA_TYPE)
        .body(Body::from_vec(body))
}

/// A 204 response.
fn no_content() -> Response {
    Response::builder().status(StatusCode::NO_CONTENT).finish()
}

/// The `{id}` path parameter, coerced to the type of `model`'s id property (400 otherwise).
pub(crate) fn path_id(model: &ModelDef, req: &Request) -> Result<Value, ApiError> {
    let raw = req.raw_path_param("id").unwrap_or_default();
    let id_property = model.id_property();
    // Coercion is lenient with text (` 417`, `+417` read as 417), but an id in a path is
    // written one way only: anything else names no record and is refused, not guessed at.
    let canonical = match id_property.ty {
        PropertyType::Integer => {
            let digits = raw.strip_prefix('-').unwrap_or(raw);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        PropertyType::Number => {
            !raw.starts_with('+')
                && raw.trim() == raw
                && raw.parse::<f64>().is_ok_and(f64::is_finite)
        }
        // Written one way by construction (or refused by the coercion below).
        PropertyType::String
        | PropertyType::Boolean
        | PropertyType::DateTime
        | PropertyType::Date
        | PropertyType::Decimal { .. }
        | PropertyType::Enum(_)
        | PropertyType::Uuid
        | PropertyType::Bytes
        | PropertyType::Json
        | PropertyType::Object(_)
        | PropertyType::Array(_) => true,
    };
    match Value::String(raw.to_owned()).coerce(&id_property.ty) {
        Ok(id) if canonical && !id.is_null() && !raw.is_empty() => Ok(id),
        _ => Err(ApiError::invalid_parameter("id", raw).with_details(json!([{
            "path": "/id",
            "code": "type",
            "message": format!("must be {}", id_property.ty),
            "info": {"type": id_property.ty.to_string()},
        }]))),
    }
}

impl Handlers {
    /// The repository serving `req`: the resource's, within the caller's scope when the API
    /// owns models.
    fn repository(&self, req: &Request) -> Result<Arc<dyn RecordRepository>, ApiError> {
        match crate::auth::request_scope(req) {
            Some(scope) => Ok(self.resource.repository.scoped(scope)?),
            None => Ok(Arc::clone(&self.resource.repository)),
        }
    }

    fn model(&self) -> &ModelDef {
        self.resource.repository.model()
    }

    /// Serves `operation`. Each operation's future is boxed on its own: they differ in size by
    /// kilobytes (those reading a body are the largest), and inline in one `match` every request
    /// would allocate and copy the largest.
    async fn handle(&self, operation: Operation, req: Request) -> Result<Response, ApiError> {
        match operation {
            Operation::Create => Box::pin(self.create(req)).await,
            Operation::Find => Box::pin(self.find(req)).await,
            Operation::Count => Box::pin(self.count(req)).await,
            Operation::UpdateAll => Box::pin(self.update_all(req)).await,
            Operation::FindById => Box::pin(self.find_by_id(req)).await,
            Operation::UpdateById => Box::pin(self.update_by_id(req)).await,
            Operation::ReplaceById => Box::pin(self.replace_by_id(req)).await,
            Operation::DeleteById => Box::pin(self.delete_by_id(req)).await,
        }
    }

    /// `POST /{model}`: creates the record in the body.
    async fn create(&self, mut req: Request) -> Result<Response, ApiError> {
        let repo = self.repository(&req)?;
        let json =
            body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys).await?;
        let record = self.record(&json, WriteMode::Create)?;
        let created = repo.create(record).await?;
        Ok(record_response(self.model(), &created))
    }

    /// `GET /{model}`: the records `filter` finds.
    async fn find(&self, req: Request) -> Result<Response, ApiError> {
        let query = req.uri().query().unwrap_or_default();
        let repo = self.repository(&req)?;
        let filter = self.list_filter(query)?;
        let found = repo.find_checked(filter).await?;
        Ok(records_response(self.model(), &found))
    }

    /// `GET /{model}/count`: how many records `where` matches.
    async fn count(&self, req: Request) -> Result<Response, ApiError> {
        let query = req.uri().query().unwrap_or_default();
        let repo = self.repository(&req)?;
        let condition = self.where_param(query)?;
        let count = repo.count_checked(condition).await?;
        Ok(json_response(&json!({ "count": count })))
    }

    /// `PATCH /{model}`: sets the body's properties on the records `where` matches.
    async fn update_all(&self, mut req: Request) -> Result<Response, ApiError> {
        let query = req.uri().query().unwrap_or_default().to_owned();
        let repo = self.repository(&req)?;
        let condition = self.where_param(&query)?;
        let json =
            body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys).await?;
        let patch = self.record(&json, WriteMode::Patch)?;
        let count = repo.update_all_checked(patch, condition).await?;
        Ok(json_response(&json!({ "count": count })))
    }

    /// `GET /{model}/{id}`: the record, with `filter`'s fields and inclusions.
    async fn find_by_id(&self, req: Request) -> Result<Response, ApiError> {
        let query = req.uri().query().unwrap_or_default();
        let repo = self.repository(&req)?;
        let id = self.path_id(&req)?;
        let filter = self.by_id_filter(query)?;
        let found = repo.find_by_id_checked(id, filter).await?;
        let mut response = record_response(self.model(), &found);
        if let Some(tag) = etag::of(self.model(), &found) {
            response.headers_mut().insert(header::ETAG, tag);
        }
        Ok(response)
    }

    /// `PATCH /{model}/{id}`: sets the body's properties on the record.
    async fn update_by_id(&self, mut req: Request) -> Result<Response, ApiError> {
        let repo = self.repository(&req)?;
        let id = self.path_id(&req)?;
        let expected = etag::if_match(self.model(), &req)?;
        let json =
            body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys).await?;
        let mut patch = self.record(&json, WriteMode::Patch)?;
        etag::expect(self.model(), &mut patch, expected);
        etag::checked(repo.update_by_id(id, patch).await, expected)?;
        Ok(no_content())
    }

    /// `PUT /{model}/{id}`: replaces the record with the body.
    async fn replace_by_id(&self, mut req: Request) -> Result<Response, ApiError> {
        let repo = self.repository(&req)?;
        let id = self.path_id(&req)?;
        let expected = etag::if_match(self.model(), &req)?;
        let json =
            body::read_json(&mut req, self.body_limit, &self.resource.prohibited_keys).await?;
        let mut record = self.record(&json, WriteMode::Replace)?;
        etag::expect(self.model(), &mut record, expected);
        etag::checked(repo.replace_by_id(id, record).await, expected)?;
        Ok(no_content())
    }

    /// `DELETE /{model}/{id}`: deletes the record.
    async fn delete_by_id(&self, req: Request) -> Result<Response, ApiError> {
        let repo = self.repository(&req)?;
        let id = self.path_id(&req)?;
        match etag::if_match(self.model(), &req)? {
            Some(version) => etag::checked(
                repo.delete_by_id_at_version(id, version).await,
                Some(version),
            )?,
            None => repo.delete_by_id(id).await?,
        }
        Ok(no_content())
    }

    /// A request body as a record of the model, every problem reported (422); navigational
    /// properties are left for the repository to refuse (400).
    fn record(&self, json: &Json, mode: WriteMode) -> Result<Record, ApiError> {
        body::record_from_json(self.model(), json, mode, None)
    }

    /// The `{id}` path parameter, coerced to the id property's type.
    fn path_id(&self, req: &Request) -> Result<Value, ApiError> {
        path_id(self.model(), req)
    }

    /// The `filter` parameter of a list request, with the page size applied.
    fn list_filter(&self, query: &str) -> Result<Checked<Filter>, ApiError> {
        params::list_filter(
            query,
            self.model(),
            self.resource.check_options(),
            self.resource.max_page_size,
            &self.resource.prohibited_keys,
        )
    }

    /// The `filter` parameter of a find-by-id request, which takes no `where`.
    fn by_id_filter(&self, query: &str) -> Result<Checked<Filter>, ApiError> {
        let filter = match self.filter_param(query)? {
            Some(filter) => filter,
            None => Filter::default().check(self.model(), self.resource.check_options())?,
        };
        Ok(filter
            .for_one_record("find by id")
            .map_err(|e| Error::InvalidFilter(e.prefixed("filter")))?)
    }

    fn filter_param(&self, query: &str) -> Result<Option<Checked<Filter>>, ApiError> {
        params::filter(
            query,
            self.model(),
            self.resource.check_options(),
            &self.resource.prohibited_keys,
        )
    }

    /// The `where` parameter; everything when absent.
    fn where_param(&self, query: &str) -> Result<Checked<Where>, ApiError> {
        Ok(params::where_(
            query,
            self.model(),
            self.resource.check_options(),
            &self.resource.prohibited_keys,
        )?
        .unwrap_or_else(Checked::all))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::{Endpoint as _, Request};
    use portico_domain::{CheckOptions, Entity, Record};
    use portico_ports::MockRecordRepository;

    use crate::{CrudResource, RestApi};

    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct Note {
        #[portico(id, generated)]
        id: Option<i64>,
        text: String,
    }

    /// The JSON of a query string, percent-encoded as a client sends it.
    fn encoded(uri: &str) -> String {
        uri.replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace('[', "%5B")
            .replace(']', "%5D")
    }

    /// The routes check `filter` and `where` once, and hand the checked value on: the
    /// unchecked repository methods, which would check again, are never called.
    #[tokio::test(flavor = "current_thread")]
    async fn routes_hand_the_checked_filter_to_the_repository() {
        let mut repo = MockRecordRepository::new();
        repo.expect_model().return_const(Note::definition().clone());
        repo.expect_check_options()
            .return_const(CheckOptions::new(portico_domain::Capabilities::minimal()));
        repo.expect_find_checked()
            .withf(|f| f.limit == Some(2) && f.where_.is_some())
            .times(1)
            .returning(|_| Ok(Vec::new()));
        repo.expect_count_checked().times(1).returning(|_| Ok(0));
        repo.expect_find_by_id_checked()
            .withf(|_, f| f.fields.is_some())
            .times(1)
            .returning(|_, _| {
                let mut record = Record::new();
                record.insert("id".into(), 1.into());
                record.insert("text".into(), "a".into());
                Ok(record)
            });
        repo.expect_find().never();
        repo.expect_count().never();
        repo.expect_find_by_id().never();
        let endpoint = RestApi::new("notes", "1")
            .resource(CrudResource::new("/notes", Arc::new(repo)))
            .into_endpoint()
            .expect("an API");
        for uri in [
            r#"/notes?filter={"where":{"text":"a"},"limit":2}"#,
            r#"/notes/count?where={"text":"a"}"#,
            r#"/notes/1?filter={"fields":["text"]}"#,
        ] {
            let response = endpoint
                .call(
                    Request::builder()
                        .uri(encoded(uri).parse().expect("a URI"))
                        .finish(),
                )
                .await
                .expect("a response");
            assert_eq!(response.status().as_u16(), 200, "{uri}");
        }
    }
}
