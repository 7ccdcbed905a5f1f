//! # portico-http
//!
//! Portico's HTTP adapter: LoopBack 4's REST layer for any model, on
//! [poem](https://docs.rs/poem). Mounting a model's [`RecordRepository`] at a base path gives
//! LoopBack's eight CRUD routes with its status codes and error envelope, so an existing
//! LoopBack client does not notice the difference; the OpenAPI 3 document (`/openapi.json`,
//! `/openapi.yaml`) and the explorer (`/explorer`) are generated from the same [`ModelDef`]s
//! that validate requests.
//!
//! ```no_run
//! use std::sync::Arc;
//! use portico_domain::Entity;
//! use portico_http::{CrudResource, RestApi};
//! use portico_memory::MemoryStore;
//! use portico_ports::Repository;
//!
//! #[derive(Entity, Clone, Debug)]
//! struct Todo {
//!     #[portico(id, generated)]
//!     id: Option<i64>,
//!     title: String,
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let todos = Repository::<Todo>::new(Arc::new(MemoryStore::new()))?;
//! let endpoint = RestApi::new("todo", "1.0.0")
//!     .resource(CrudResource::new("/todos", Arc::new(todos.records().clone())))
//!     .into_endpoint()?;
//! poem::Server::new(poem::listener::TcpListener::bind("127.0.0.1:3000"))
//!     .run(endpoint)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ## Routes
//!
//! See [`CrudResource`] for the eight routes, and [`RelationResource`] for the routes
//! `lb4 relation` generates (`/todo-lists/{id}/todos`, `/todos/{id}/todo-list`,
//! `/todo-lists/{id}/image`). `filter` and `where` accept LoopBack's two encodings —
//! URL-encoded JSON (`?filter={"limit":3}`) and the bracket form
//! (`?filter[limit]=3&filter[where][title][like]=%25milk%25`) — coerced and checked against the
//! model by the core, every problem reported at once. `include` works in every `GET` filter
//! (`?filter[include][]=todos`, `?filter[include][0][relation]=todos`, or with a `scope`): the
//! included relations appear as navigational properties, and the published schemas
//! (`TodoListWithRelations`, the `include` of `TodoList.Filter`) say so.
//!
//! ## Pages
//!
//! A list request is never unbounded: without `limit` it returns at most the resource's
//! maximum page size ([`DEFAULT_MAX_PAGE_SIZE`], 1000, unless
//! [`CrudResource::max_page_size`] says otherwise), and a larger `limit` is capped to it. The
//! `GET` of a to-many relation is paged the same way. An inclusion's scope is not capped: its
//! `limit` and `skip` apply per parent record, as the scope says.
//!
//! ## Errors
//!
//! Every error is LoopBack's envelope `{"error": {statusCode, name, message, code, details}}`;
//! [`ApiError`]'s `From<portico_domain::Error>` is the one place where a domain error gets its
//! status:
//!
//! | status | code | when |
//! |---|---|---|
//! | 400 | `INVALID_PARAMETER_VALUE` | a bad `filter`, `where` or path id (every problem in `details`); a body that is not JSON or holds `__proto__` / `constructor.prototype`; a body id differing from the path id |
//! | 400 | `MISSING_REQUIRED_PARAMETER` | an empty body |
//! | 400 | `INVALID_BODY_DEFINITION` | an empty patch (`{}`); a navigational property in a body; a relation route's body changing the key the relation sets |
//! | 401 | `AUTHENTICATION_REQUIRED`, `INVALID_AUTHORIZATION_HEADER`, `INVALID_TOKEN`, `INVALID_CREDENTIALS` | no, malformed or unverifiable bearer token on an operation that needs a caller (LoopBack's messages, `WWW-Authenticate: Bearer`); a failed login |
//! | 403 | `ACCESS_DENIED` | `Access denied`: the caller lacks the role, or the voters deny |
//! | 404 | `ENTITY_NOT_FOUND` | `Entity not found: Todo with id 99`; a relation route's source that does not exist (`POST`), a to-one relation with no related record (`GET`) |
//! | 404 | `ENDPOINT_NOT_FOUND` | `Endpoint "GET /x" not found.` (unknown paths) |
//! | 405 | `METHOD_NOT_ALLOWED` | a verb the path does not serve, with `Allow` (a bare `OPTIONS` is 204 with `Allow`) |
//! | 409 | `CONFLICT` | a duplicate id or unique value |
//! | 409 | `STALE_VERSION` | a body carrying a version the entity is no longer at |
//! | 409 | `TRANSACTION_CONFLICT` | a write lost to a concurrent transaction (retry it) |
//! | 412 | `PRECONDITION_FAILED` | an `If-Match` ETag the entity is no longer at (models with a `version` property send `ETag` on GET by id) |
//! | 413 | `ENTITY_TOO_LARGE` | a body over the limit ([`DEFAULT_BODY_LIMIT`], 1 MiB), also chunked |
//! | 414 | `URI_TOO_LONG` | a URL over [`MAX_URL_LENGTH`] (16 KiB; past 64 KiB the HTTP server answers itself, with an empty body) |
//! | 415 | `UNSUPPORTED_MEDIA_TYPE` | a body that is not `application/json` |
//! | 422 | `VALIDATION_FAILED` | the body breaks the model (one problem per property; `null` only where the schema says `nullable`; an empty required string); AJV-shaped `details` |
//! | 429 | `TOO_MANY_ATTEMPTS` | too many failed logins (`Retry-After`) |
//! | 431 | `HEADERS_TOO_LARGE` | request headers over [`MAX_HEADERS_SIZE`] (16 KiB) |
//! | 501 | `NOT_IMPLEMENTED` | an operator the backend cannot honour |
//! | 503 | `SERVICE_UNAVAILABLE` | the backend cannot be reached |
//! | 500 | `INTERNAL_SERVER_ERROR` | anything else; the cause is logged, never sent |
//!
//! ## Authentication and authorization
//!
//! [`RestApi::authentication`] sets the [`TokenVerifier`] of bearer tokens; every operation then
//! has an [`Access`] — its own ([`RestApi::operation_access`]), its resource's
//! ([`CrudResource::read_access`], [`CrudResource::write_access`], the same on
//! [`RelationResource`]), or the API's default ([`RestApi::default_access`]: authenticated once
//! a verifier is set). The router enforces it, and the document's `security`, its `jwt` scheme
//! and the 401/403 responses are written from the same value. [`CrudResource::owned_by`] scopes
//! a model's records to their creators through every route. Handlers get the caller with the
//! [`Caller`] extractor.
//!
//! ## CORS
//!
//! Any origin by default, as LoopBack; see [`CorsPolicy`]. A preflight lists exactly the verbs
//! its path serves, read from the same route table as the router and the document.
//!
//! ## Custom endpoints
//!
//! [`RestApi::api`] mounts a poem-openapi `#[OpenApi]` impl of the app's own beside the
//! generated routes: typed path, query and body parameters, the app's `Object`s, and its
//! entities as [`Model`] / [`NewModel`] (the model's schema from `components/schemas`, its
//! validation). Each operation joins the same document and router (a path may carry generated
//! and custom verbs); clashes are a [`BuildError`]. A custom operation fails with [`ApiError`]
//! (`From<portico_domain::Error>`, so `?` on a repository call works) and every rejection is
//! the envelope above: a bad parameter 400 `INVALID_PARAMETER_VALUE` naming it, a body
//! breaking its schema 422 `VALIDATION_FAILED` with AJV-shaped `details`, 413, 415.
//! A complete example, compiled and run as a test, is the README's "Your own app" (a catalogue
//! with two custom endpoints); `apps/todo-list` (`TodoLists`) is another. A `Model<E>` body is
//! validated exactly as the generated routes validate it, value types included: a date, a
//! decimal, an enum or an embedded object that does not fit is 422 naming its path.
//!
//! ## Static files
//!
//! [`RestApi::static_files`] serves a folder for `GET` paths no route serves, its `index.html`
//! at `/` (LoopBack's `public/` home page).
//!
//! ## Logs, request ids and metrics
//!
//! The outermost layer gives every request an id (`x-request-id`, taken from the request when
//! it is 1–128 letters, digits or `-._:`, else generated; sent back on the response), runs it
//! in a `request` span carrying it (so every line logged while serving it does), and logs one
//! access line at `info` (target `portico_http::access`: `method`, `route` — the route
//! template, `/todos/{id}` —, `status`, `elapsed_ms`, and LoopBack's `combined` line without
//! the query string as the message). It records `http_requests_total` and
//! `http_request_duration_seconds` (labels `method`, `path` = the route template or
//! `<unmatched>`, `status`) and `http_requests_in_flight` through the
//! [`metrics`](https://docs.rs/metrics) facade: also for 404, 405, 413, 414 and 431. Each 5xx is
//! logged with its cause at `error`, through [`tracing`](https://docs.rs/tracing).
#![warn(missing_docs)]

mod api;
mod auth;
mod body;
mod cors;
mod crud;
mod custom;
mod error;
mod etag;
mod explorer;
mod files;
mod mount;
mod observe;
mod openapi;
mod params;
mod relation;
mod routes;
mod schema_check;
pub mod testing;

pub use api::{
    BuildError, CorsPolicy, DEFAULT_BODY_LIMIT, MAX_HEADERS_SIZE, MAX_URL_LENGTH, RestApi,
};
pub use auth::{Caller, CallerScope};
pub use crud::{CrudResource, DEFAULT_MAX_PAGE_SIZE};
pub use custom::{Model, NewModel};
pub use error::ApiError;
pub use openapi::ApiInfo;
/// HTTP statuses, for [`ApiError::new`].
#[doc(no_inline)]
pub use poem::http::StatusCode;
#[doc(no_inline)]
pub use portico_domain::ModelDef;
#[doc(no_inline)]
pub use portico_ports::CrudRepository;
#[doc(no_inline)]
pub use portico_ports::RecordRepository;
#[doc(no_inline)]
pub use portico_ports::auth::{Access, Authorization, Decision, Principal, TokenVerifier, Voter};
pub use relation::RelationResource;

/// The names of the metrics the adapter records (through the `metrics` facade), for the app
/// that installs a recorder.
pub mod metric_names {
    pub use crate::observe::{REQUEST_DURATION_SECONDS, REQUESTS_IN_FLIGHT, REQUESTS_TOTAL};
}
