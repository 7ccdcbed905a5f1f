//! [`RestApi`]: resources, extra routes, the OpenAPI document, the explorer, CORS and the
//! error envelope, composed into one poem endpoint.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use poem::endpoint::BoxEndpoint;
use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{HeaderValue, Method};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use serde_json::Value as Json;

use crate::crud::CrudResource;
use crate::error::{ApiError, JSON_MEDIA_TYPE};
use crate::openapi::{self, ApiInfo};
use crate::relation::RelationResource;
use crate::routes::{self, Handler, RouteSpec};
use crate::{cors, mount};
use portico_domain::error::error_chain;

/// The request body limit applied unless [`RestApi::body_limit`] says otherwise: 1 MiB, as
/// LoopBack's `1mb`.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Which browser origins may call the API (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsPolicy {
    /// Any origin, with credentials: LoopBack's default.
    AnyOrigin,
    /// Only these origins (`https://app.example.com`), with credentials.
    Origins(Vec<String>),
    /// No CORS headers at all (browsers then refuse cross-origin calls).
    Disabled,
}

/// Why a [`RestApi`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A base path is empty, lacks its leading `/` or ends with `/`.
    InvalidBasePath(String),
    /// Two resources or routes claim the same path.
    DuplicatePath(String),
    /// Two resources serve models of the same name (their schemas would collide).
    DuplicateModel(String),
    /// A CORS origin is not a valid header value.
    InvalidOrigin(String),
    /// A [`RelationResource`] names a relation its model does not have.
    UnknownRelation {
        /// The source model.
        model: String,
        /// The relation name given.
        relation: String,
    },
    /// A relation's path segment is empty or holds `/` or `:`.
    InvalidSegment(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::InvalidBasePath(p) => write!(
                f,
                "invalid base path {p:?}: it must start with '/' and not end with it"
            ),
            BuildError::DuplicatePath(p) => write!(f, "the path {p} is mounted twice"),
            BuildError::DuplicateModel(m) => write!(f, "the model {m} is mounted twice"),
            BuildError::InvalidOrigin(o) => write!(f, "invalid CORS origin {o:?}"),
            BuildError::UnknownRelation { model, relation } => {
                write!(f, "the model {model} has no relation {relation}")
            }
            BuildError::InvalidSegment(s) => write!(
                f,
                "invalid relation path segment {s:?}: it must be non-empty, without '/' or ':'"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// An extra route (e.g. `/ping`), with its OpenAPI path item when it should be documented.
struct ExtraRoute {
    path: String,
    endpoint: BoxEndpoint<'static, Response>,
    path_item: Option<Json>,
}

/// A LoopBack-compatible REST API: CRUD resources, relation routes, extra routes,
/// `/openapi.json`, `/openapi.yaml` and the explorer at `/explorer`.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use portico_http::{CrudResource, RestApi};
/// # fn demo(todos: Arc<dyn portico_ports::RecordRepository>) -> Result<(), portico_http::BuildError> {
/// let endpoint = RestApi::new("todo", "1.0.0")
///     .resource(CrudResource::new("/todos", todos).max_page_size(100))
///     .into_endpoint()?;
/// # Ok(()) }
/// ```
pub struct RestApi {
    info: ApiInfo,
    resources: Vec<CrudResource>,
    relations: Vec<RelationResource>,
    extra_routes: Vec<ExtraRoute>,
    cors: CorsPolicy,
    body_limit: usize,
    explorer: bool,
}

impl std::fmt::Debug for RestApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestApi")
            .field("info", &self.info)
            .field("resources", &self.resources)
            .field("relations", &self.relations)
            .field("cors", &self.cors)
            .field("body_limit", &self.body_limit)
            .field("explorer", &self.explorer)
            .finish_non_exhaustive()
    }
}

impl RestApi {
    /// An API with this title and version, no resources yet, CORS for any origin, a 1 MiB body
    /// limit and the explorer on.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        RestApi::with_info(ApiInfo::new(title, version))
    }

    /// An API described by `info`.
    pub fn with_info(info: ApiInfo) -> Self {
        RestApi {
            info,
            resources: Vec::new(),
            relations: Vec::new(),
            extra_routes: Vec::new(),
            cors: CorsPolicy::AnyOrigin,
            body_limit: DEFAULT_BODY_LIMIT,
            explorer: true,
        }
    }

    /// Mounts a model's CRUD routes.
    pub fn resource(mut self, resource: CrudResource) -> Self {
        self.resources.push(resource);
        self
    }

    /// Mounts the routes of one relation of a model (`/todo-lists/{id}/todos`).
    pub fn relation(mut self, relation: RelationResource) -> Self {
        self.relations.push(relation);
        self
    }

    /// Adds a route of the app's own, e.g. `/ping`; `path_item` (an OpenAPI path item object)
    /// documents it in the published document.
    pub fn route(
        mut self,
        path: impl Into<String>,
        endpoint: impl Endpoint<Output = Response> + 'static,
        path_item: Option<Json>,
    ) -> Self {
        self.extra_routes.push(ExtraRoute {
            path: path.into(),
            endpoint: endpoint.boxed(),
            path_item,
        });
        self
    }

    /// Sets the CORS policy (default: any origin, as LoopBack).
    pub fn cors(mut self, cors: CorsPolicy) -> Self {
        self.cors = cors;
        self
    }

    /// Sets the largest request body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]);
    /// larger bodies get 413, also when sent chunked.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Serves the explorer at `/explorer` (default) or not.
    pub fn explorer(mut self, enabled: bool) -> Self {
        self.explorer = enabled;
        self
    }

    /// The OpenAPI 3.0 document of this API.
    pub fn openapi(&self) -> Json {
        self.document(&self.table())
    }

    /// The route table of the resources and relations: what the router mounts and the
    /// document publishes.
    fn table(&self) -> Vec<RouteSpec> {
        routes::table(&self.resources, &self.relations, self.body_limit)
    }

    fn document(&self, table: &[RouteSpec]) -> Json {
        let extra: Vec<(String, Json)> = self
            .extra_routes
            .iter()
            .filter_map(|r| {
                r.path_item
                    .clone()
                    .map(|item| (openapi_path(&r.path), item))
            })
            .collect();
        openapi::document(&self.info, &self.resources, &self.relations, table, &extra)
    }

    fn check(&self, table: &[RouteSpec]) -> Result<(), BuildError> {
        let mut models = HashSet::new();
        for resource in &self.resources {
            let base = resource.base_path();
            if !base.starts_with('/') || base.ends_with('/') || base.contains(':') {
                return Err(BuildError::InvalidBasePath(base.to_owned()));
            }
            if !models.insert(resource.model().name.clone()) {
                return Err(BuildError::DuplicateModel(resource.model().name.clone()));
            }
        }
        for relation in &self.relations {
            let base = relation.base_path();
            if !base.starts_with('/') || base.ends_with('/') || base.contains(':') {
                return Err(BuildError::InvalidBasePath(base.to_owned()));
            }
            let segment = relation.path_segment();
            if segment.is_empty() || segment.contains(['/', ':', '*', '{', '}']) {
                return Err(BuildError::InvalidSegment(segment.to_owned()));
            }
            if relation.relation().is_none() {
                return Err(BuildError::UnknownRelation {
                    model: relation.model().name.clone(),
                    relation: relation.relation_name().to_owned(),
                });
            }
        }
        // Each path of the table belongs to one resource or relation.
        let mut owners: HashMap<String, (bool, usize)> = HashMap::new();
        for spec in table {
            let owner = match spec.handler {
                Handler::Crud(index, _) => (true, index),
                Handler::Relation(index, _) => (false, index),
            };
            let path = spec.path.poem();
            if *owners.entry(path.clone()).or_insert(owner) != owner {
                return Err(BuildError::DuplicatePath(path));
            }
        }
        let mut paths: HashSet<String> = owners.into_keys().collect();
        for route in &self.extra_routes {
            if !paths.insert(route.path.clone()) {
                return Err(BuildError::DuplicatePath(route.path.clone()));
            }
        }
        if let CorsPolicy::Origins(origins) = &self.cors
            && let Some(bad) = origins.iter().find(|o| HeaderValue::from_str(o).is_err())
        {
            return Err(BuildError::InvalidOrigin(bad.clone()));
        }
        Ok(())
    }

    /// Builds the endpoint to serve.
    ///
    /// # Errors
    /// [`BuildError`] for an invalid or duplicated base path, a model mounted twice, an unknown
    /// relation or invalid relation path segment, or an invalid CORS origin.
    pub fn into_endpoint(self) -> Result<BoxEndpoint<'static, Response>, BuildError> {
        let table = self.table();
        self.check(&table)?;
        let document = self.document(&table);
        let spec_json = document.to_string();
        let spec_yaml = Bytes::from(to_yaml(&document));
        let cors = self.cors != CorsPolicy::Disabled;
        let mut route = mount::mount(
            Route::new(),
            &table,
            self.resources,
            self.relations,
            self.body_limit,
            cors,
        );
        for extra in self.extra_routes {
            // A documented route serves the verbs its path item names; others are as given.
            let verbs: Option<Vec<Method>> = extra
                .path_item
                .as_ref()
                .and_then(Json::as_object)
                .map(|item| {
                    item.keys()
                        .filter_map(|k| Method::from_bytes(k.to_ascii_uppercase().as_bytes()).ok())
                        .collect()
                });
            route = match verbs {
                Some(verbs) => route.at(extra.path, mount::allowing(extra.endpoint, verbs, cors)),
                None => route.at(extra.path, extra.endpoint),
            };
        }
        let get = || vec![Method::GET];
        route = route
            .at(
                "/openapi.json",
                mount::allowing(
                    static_get(JSON_MEDIA_TYPE, Bytes::from(spec_json.clone())),
                    get(),
                    cors,
                ),
            )
            .at(
                "/openapi.yaml",
                mount::allowing(static_get("application/yaml", spec_yaml), get(), cors),
            );
        if self.explorer {
            let html = Bytes::from(crate::explorer::html(&spec_json));
            route = route
                .at(
                    "/explorer",
                    mount::allowing(
                        static_get("text/html; charset=utf-8", html.clone()),
                        get(),
                        cors,
                    ),
                )
                .at(
                    "/explorer/",
                    mount::allowing(static_get("text/html; charset=utf-8", html), get(), cors),
                );
        }
        // Errors become LoopBack envelopes inside CORS, so error responses carry CORS headers
        // too; the outer layer maps anything left, and logs.
        let policy = Arc::new(self.cors);
        let endpoint = route
            .around(map_errors)
            .around(move |endpoint, req| cors::apply(policy.clone(), endpoint, req))
            .around(log_and_map_errors)
            .boxed();
        Ok(endpoint)
    }
}

/// `/todos/:id` → `/todos/{id}`.
fn openapi_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The document as YAML (JSON → YAML cannot fail: every JSON value is YAML).
fn to_yaml(document: &Json) -> String {
    serde_yaml::to_string(document).unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not render the OpenAPI document as YAML");
        String::new()
    })
}

/// A `GET` endpoint answering with a fixed text.
fn static_get(content_type: &'static str, content: Bytes) -> impl Endpoint<Output = Response> {
    let page = Arc::new(content);
    poem::get(poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type(content_type)
            .body(Body::from_bytes(page.as_ref().clone()))
    }))
}

/// The longest request target (path and query) served: Node's, and so LoopBack's, limit on
/// a request head. A longer one is 414 in LoopBack's envelope. (Past 64 KiB the HTTP stack
/// answers 414 itself, before any endpoint runs.)
pub const MAX_URL_LENGTH: usize = 16 * 1024;

/// The most bytes of request headers (names and values) served; more is 431.
pub const MAX_HEADERS_SIZE: usize = 16 * 1024;

/// Refuses over-long request heads, and turns every error into LoopBack's envelope (unknown
/// routes into LoopBack's 404).
async fn map_errors<E: Endpoint>(endpoint: Arc<E>, req: Request) -> poem::Result<Response> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URL_LENGTH {
        return Ok(ApiError::uri_too_long(MAX_URL_LENGTH).into_response());
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADERS_SIZE {
        return Ok(ApiError::headers_too_large(MAX_HEADERS_SIZE).into_response());
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    Ok(match endpoint.call(req).await {
        Ok(output) => output.into_response(),
        Err(error) => to_api_error(&error, &method, &path).into_response(),
    })
}

/// As [`map_errors`], and logs each request at `debug` (method, path, status, time).
async fn log_and_map_errors<E: Endpoint>(endpoint: Arc<E>, req: Request) -> poem::Result<Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let response = match endpoint.call(req).await {
        Ok(output) => output.into_response(),
        Err(error) => to_api_error(&error, &method, &path).into_response(),
    };
    tracing::debug!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    Ok(response)
}

/// A poem error as a LoopBack envelope.
fn to_api_error(error: &poem::Error, method: &Method, path: &str) -> ApiError {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return api.clone();
    }
    if error.is::<NotFoundError>() {
        return ApiError::endpoint_not_found(method.as_str(), path);
    }
    if error.is::<MethodNotAllowedError>() {
        // Only routes mounted without their verbs known get here (no `Allow` to give).
        return ApiError::method_not_allowed(method.as_str(), path);
    }
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(error = %error_chain(error), %method, %path, "request failed");
        return ApiError::internal();
    }
    let name = match status.as_u16() {
        401 => "UnauthorizedError",
        403 => "ForbiddenError",
        404 => "NotFoundError",
        405 => "MethodNotAllowedError",
        413 => "PayloadTooLargeError",
        415 => "UnsupportedMediaTypeError",
        _ => "BadRequestError",
    };
    let code = if status.as_u16() == 403 {
        "FORBIDDEN"
    } else {
        "BAD_REQUEST"
    };
    ApiError::new(status, name, code, error.to_string())
}
