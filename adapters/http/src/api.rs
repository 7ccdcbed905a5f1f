//! [`RestApi`]: resources, extra routes, the OpenAPI document, the explorer, CORS and the
//! error envelope, composed into one poem endpoint.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use poem::endpoint::BoxEndpoint;
use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{HeaderValue, Method};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route};
use serde_json::Value as Json;

use crate::auth::{Policy, Security};
use crate::crud::CrudResource;
use crate::custom::CustomApi;
use crate::error::{ApiError, JSON_MEDIA_TYPE};
use crate::openapi::{self, ApiInfo};
use crate::relation::RelationResource;
use crate::routes::{self, Handler, RouteSpec};
use crate::{auth, cors, mount};
use portico_domain::error::error_chain;
use portico_ports::Scope;
use portico_ports::auth::{Access, Authorization, OperationKind, TokenVerifier};

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
    /// Two operations (generated or custom) serve the same verb on the same path.
    DuplicateOperation {
        /// The verb.
        method: String,
        /// The path, as OpenAPI writes it.
        path: String,
    },
    /// Two operations have the same `operationId`.
    DuplicateOperationId(String),
    /// A custom API's schema has the name of another schema of the document (e.g. an `Object`
    /// named like a model).
    DuplicateSchema(String),
    /// Two different embedded object types (`#[derive(Embedded)]`) have one name, or one is
    /// named as a schema of a model (`Book`, `NewBook`, ...): their schemas would clash.
    DuplicateObjectSchema(String),
    /// A custom operation's path parameters are not named as its path names them, in its
    /// order (poem-openapi binds them by position).
    PathParameterOrder {
        /// The operation's path.
        path: String,
        /// Its path parameters, in argument order.
        parameters: Vec<String>,
    },
    /// An operation needs an authenticated caller, or a resource is owned, but no token
    /// verifier is set ([`RestApi::authentication`]): nothing could authenticate its callers.
    NoAuthentication(String),
    /// [`RestApi::operation_access`] names an operation id no operation has.
    UnknownOperation(String),
    /// A resource is [owned](CrudResource::owned_by) through a property its model lacks.
    UnknownOwnerProperty {
        /// The model.
        model: String,
        /// The property named.
        property: String,
    },
    /// A custom operation's path is a served path with its parameters named otherwise
    /// (`/todos/{todoId}` beside `/todos/{id}`).
    PathParameterNames {
        /// The custom operation's path.
        path: String,
        /// The path already served.
        served: String,
    },
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
            BuildError::DuplicateOperation { method, path } => {
                write!(f, "two operations serve {method} {path}")
            }
            BuildError::DuplicateOperationId(id) => {
                write!(f, "two operations have the operationId {id:?}")
            }
            BuildError::DuplicateSchema(name) => write!(
                f,
                "a custom API's schema is named {name:?}, as another schema of the document (rename it with #[oai(rename = \"…\")])"
            ),
            BuildError::DuplicateObjectSchema(name) => write!(
                f,
                "two embedded object types, or an embedded object type and a model's schema, are named {name:?}"
            ),
            BuildError::PathParameterOrder { path, parameters } => write!(
                f,
                "the operation at {path} takes the path parameters {parameters:?}: name them as the path does, in its order (`id: Path<i64>` for `:id`)"
            ),
            BuildError::NoAuthentication(operation) => write!(
                f,
                "{operation} needs an authenticated caller, but no token verifier is set (RestApi::authentication)"
            ),
            BuildError::UnknownOperation(id) => {
                write!(f, "operation_access names {id:?}, which no operation has")
            }
            BuildError::UnknownOwnerProperty { model, property } => {
                write!(
                    f,
                    "{model} is owned through {property:?}, which it does not have"
                )
            }
            BuildError::PathParameterNames { path, served } => write!(
                f,
                "the custom path {path} names its parameters differently from the served path {served}"
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
    /// The verbs it serves, when known: `OPTIONS` and other verbs are answered for it.
    verbs: Option<Vec<Method>>,
    /// Who may call it: `None` follows the API's default.
    access: Option<Access>,
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
    custom: Vec<Result<CustomApi, BuildError>>,
    extra_routes: Vec<ExtraRoute>,
    static_dir: Option<std::path::PathBuf>,
    cors: CorsPolicy,
    body_limit: usize,
    explorer: bool,
    prohibited_keys: Vec<String>,
    verifier: Option<Arc<dyn TokenVerifier>>,
    default_access: Option<Access>,
    authorization: Authorization,
    operation_access: Vec<(String, Access)>,
}

impl std::fmt::Debug for RestApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestApi")
            .field("info", &self.info)
            .field("resources", &self.resources)
            .field("relations", &self.relations)
            .field("custom", &self.custom)
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
            custom: Vec::new(),
            extra_routes: Vec::new(),
            static_dir: None,
            cors: CorsPolicy::AnyOrigin,
            body_limit: DEFAULT_BODY_LIMIT,
            explorer: true,
            prohibited_keys: Vec::new(),
            verifier: None,
            default_access: None,
            authorization: Authorization::default(),
            operation_access: Vec::new(),
        }
    }

    /// Verifies bearer tokens with `verifier` (e.g. `portico-auth`'s `JwtService`): the
    /// document gets the `jwt` security scheme (HTTP bearer, JWT), and every operation not
    /// given an access of its own needs an authenticated caller — unless
    /// [`default_access`](RestApi::default_access) says otherwise. The document, the explorer,
    /// health, `/metrics` and `/ping` stay public.
    pub fn authentication(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Who may call the operations given no access of their own: [`Access::Authenticated`]
    /// once [`authentication`](RestApi::authentication) is set, [`Access::Public`] before.
    /// Anything but public needs a verifier ([`BuildError::NoAuthentication`]).
    pub fn default_access(mut self, access: Access) -> Self {
        self.default_access = Some(access);
        self
    }

    /// How voters' answers combine ([`Access::Voters`]); LoopBack's defaults unless set.
    pub fn authorization(mut self, authorization: Authorization) -> Self {
        self.authorization = authorization;
        self
    }

    /// Who may call the operation `operation_id` (generated — `TodoController.deleteById`,
    /// `TodoListTodoController.create` — or custom), over its resource's access and the
    /// default. An id no operation has is a [`BuildError::UnknownOperation`].
    pub fn operation_access(mut self, operation_id: impl Into<String>, access: Access) -> Self {
        self.operation_access.push((operation_id.into(), access));
        self
    }

    /// The access of operations given none of their own.
    fn default_policy(&self) -> Access {
        match (&self.default_access, &self.verifier) {
            (Some(access), _) => access.clone(),
            (None, Some(_)) => Access::Authenticated,
            (None, None) => Access::Public,
        }
    }

    /// The access of operation `id`: its override, else its resource's, else the default.
    fn resolve_access(&self, id: &str, own: Option<&Access>) -> Access {
        self.operation_access
            .iter()
            .rev()
            .find(|(op, _)| op == id)
            .map(|(_, access)| access.clone())
            .or_else(|| own.cloned())
            .unwrap_or_else(|| self.default_policy())
    }

    /// The policy of a custom operation.
    fn custom_policy(&self, op: &crate::custom::Operation) -> Policy {
        let id = op
            .operation_id
            .clone()
            .unwrap_or_else(|| format!("{} {}", op.method, op.path));
        Policy {
            access: self.resolve_access(&id, None),
            resource: op.path.clone(),
            operation: id,
            kind: kind_of(&op.method),
        }
    }

    /// The policy of an extra route's verb.
    /// The operation id is its path item's `operationId` for the verb, else `GET /path`; an
    /// override of that id wins over the route's own access (`/ping` is public unless the app
    /// says otherwise).
    fn extra_policy(&self, route: &ExtraRoute, method: &Method) -> Policy {
        let template = openapi_path(&route.path);
        let id = route
            .path_item
            .as_ref()
            .and_then(|item| item.get(method.as_str().to_ascii_lowercase()))
            .and_then(|op| op.get("operationId"))
            .and_then(Json::as_str)
            .map_or_else(|| format!("{method} {template}"), str::to_owned);
        Policy {
            access: self.resolve_access(&id, route.access.as_ref()),
            resource: template,
            operation: id,
            kind: kind_of(method),
        }
    }

    /// What the guards share.
    fn security(&self) -> Arc<Security> {
        let owned = self
            .resources
            .iter()
            .filter_map(|r| {
                r.owner
                    .as_ref()
                    .map(|p| (r.model().name.clone(), p.clone()))
            })
            .fold(None, |scope: Option<Scope>, (model, property)| {
                Some(
                    scope
                        .unwrap_or_else(|| Scope::of(None))
                        .owning(model, property),
                )
            });
        Arc::new(Security {
            verifier: self.verifier.clone(),
            authorization: self.authorization,
            owned,
        })
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

    /// Mounts endpoints of the app's own, written as a poem-openapi `#[OpenApi]` impl (typed
    /// path, query and body parameters, the app's `Object`s, [`Model`](crate::Model)s of its
    /// entities): each operation joins the document beside the generated ones (a path may carry
    /// both), its schemas join `components`, and every rejection is LoopBack's envelope (a bad
    /// parameter 400 `INVALID_PARAMETER_VALUE` naming it, malformed JSON 400, a wrong media
    /// type 415, a body breaking its schema 422 `VALIDATION_FAILED` with `details`, a body over
    /// the limit 413). A tuple mounts several impls at once.
    ///
    /// Name path parameters after their template (`id: Path<i64>` for `/todos/:id/…`): errors
    /// and the document use that name.
    ///
    /// ```no_run
    /// use poem_openapi::{Object, OpenApi, param::Path, payload::Json};
    /// use portico_http::{ApiError, RestApi};
    ///
    /// #[derive(Object)]
    /// struct Greeting { text: String }
    ///
    /// struct Hello;
    ///
    /// #[OpenApi]
    /// impl Hello {
    ///     /// Greets someone.
    ///     #[oai(path = "/hello/:name", method = "get", operation_id = "HelloController.hello")]
    ///     async fn hello(&self, name: Path<String>) -> Result<Json<Greeting>, ApiError> {
    ///         Ok(Json(Greeting { text: format!("Hello, {}!", name.0) }))
    ///     }
    /// }
    ///
    /// # fn demo() -> Result<(), portico_http::BuildError> {
    /// let endpoint = RestApi::new("hello", "1.0.0").api(Hello).into_endpoint()?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`RestApi::into_endpoint`] refuses (with a [`BuildError`]) an operation whose verb and
    /// path another serves, a repeated `operationId`, and a schema named as another.
    pub fn api<T: poem_openapi::OpenApi + Send + Sync + 'static>(mut self, api: T) -> Self {
        self.custom.push(CustomApi::new(api));
        self
    }

    /// Adds a route of the app's own, e.g. `/ping`; `path_item` (an OpenAPI path item object)
    /// documents it in the published document. (For typed endpoints, see [`RestApi::api`].)
    pub fn route(
        mut self,
        path: impl Into<String>,
        endpoint: impl Endpoint<Output = Response> + 'static,
        path_item: Option<Json>,
    ) -> Self {
        // A documented route serves the verbs its path item names; others are as given.
        let verbs = path_item.as_ref().and_then(Json::as_object).map(|item| {
            item.keys()
                .filter_map(|k| Method::from_bytes(k.to_ascii_uppercase().as_bytes()).ok())
                .collect()
        });
        self.extra_routes.push(ExtraRoute {
            path: path.into(),
            endpoint: endpoint.boxed(),
            path_item,
            verbs,
            access: None,
        });
        self
    }

    /// [`route`](RestApi::route), public whatever the default access (e.g. `/ping`).
    pub fn public_route(
        mut self,
        path: impl Into<String>,
        endpoint: impl Endpoint<Output = Response> + 'static,
        path_item: Option<Json>,
    ) -> Self {
        self = self.route(path, endpoint, path_item);
        if let Some(route) = self.extra_routes.last_mut() {
            route.access = Some(Access::Public);
        }
        self
    }

    /// Adds a public `GET` route of the app's own left out of the document (health probes,
    /// `/metrics`): other verbs are 405 with `Allow`, `OPTIONS` 204, as on every other path.
    pub fn undocumented_get(
        mut self,
        path: impl Into<String>,
        endpoint: impl Endpoint<Output = Response> + 'static,
    ) -> Self {
        self.extra_routes.push(ExtraRoute {
            path: path.into(),
            endpoint: endpoint.boxed(),
            path_item: None,
            verbs: Some(vec![Method::GET]),
            access: Some(Access::Public),
        });
        self
    }

    /// Serves the files of `dir` for `GET` paths no route serves, its `index.html` as the home
    /// page at `/`: LoopBack's `app.static('/', path.join(__dirname, '../public'))`. Routes win
    /// over files; files are not in the document; a missing file is LoopBack's 404.
    pub fn static_files(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.static_dir = Some(dir.into());
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

    /// Refuses these keys in the `filter` and `where` parameters and in JSON request bodies of
    /// the resources and relations, beside the `__proto__` and `constructor.prototype` always
    /// refused: LoopBack's `RestBindings.REQUEST_BODY_PARSER_OPTIONS`
    /// `{validation: {prohibitedKeys}}`. A key is refused when equal to one, or starting with
    /// one followed by `.` (`badKey`, `badKey.x`), at any depth; the first found is answered
    /// with LoopBack's 400, `JSON string cannot contain "badKey" key.` (for a parameter in
    /// `details.syntaxError`, for a body as the message).
    pub fn prohibited_keys(mut self, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.prohibited_keys = keys
            .into_iter()
            .map(Into::into)
            // An empty key would be every JSON document's root, refusing every body.
            .filter(|key: &String| !key.is_empty())
            .collect();
        self
    }

    /// Serves the explorer at `/explorer` (default) or not.
    pub fn explorer(mut self, enabled: bool) -> Self {
        self.explorer = enabled;
        self
    }

    /// The OpenAPI 3.0 document of this API, as [`RestApi::into_endpoint`] would serve it.
    ///
    /// # Errors
    /// As [`RestApi::into_endpoint`]: an API that cannot be served has no document.
    pub fn openapi(&self) -> Result<Json, BuildError> {
        let table = self.table();
        self.check(&table)?;
        Ok(self.document(&table))
    }

    /// The route table of the resources and relations: what the router mounts and the
    /// document publishes.
    fn table(&self) -> Vec<RouteSpec> {
        routes::table(
            &self.resources,
            &self.relations,
            self.body_limit,
            &|id, own| self.resolve_access(id, own),
        )
    }

    fn document(&self, table: &[RouteSpec]) -> Json {
        let custom: Vec<&CustomApi> = self.custom.iter().filter_map(|c| c.as_ref().ok()).collect();
        self.document_with(table, &custom)
    }

    fn document_with(&self, table: &[RouteSpec], custom: &[&CustomApi]) -> Json {
        let extra: Vec<(String, Json)> = self
            .extra_routes
            .iter()
            .filter_map(|r| {
                r.path_item
                    .clone()
                    .map(|item| (openapi_path(&r.path), item))
            })
            .collect();
        let mut policies: Vec<(String, Method, Policy)> = Vec::new();
        for api in custom {
            for op in &api.operations {
                policies.push((op.path.clone(), op.method.clone(), self.custom_policy(op)));
            }
        }
        for route in &self.extra_routes {
            for method in route.verbs.iter().flatten() {
                policies.push((
                    openapi_path(&route.path),
                    method.clone(),
                    self.extra_policy(route, method),
                ));
            }
        }
        openapi::document(
            &self.info,
            &openapi::Parts {
                resources: &self.resources,
                relations: &self.relations,
                table,
                extra_paths: &extra,
                custom,
                body_limit: self.body_limit,
                policies: &policies,
                security_schemes: self.security().schemes(),
            },
        )
    }

    /// The paths `into_endpoint` serves itself: the document, the explorer (when on) and the
    /// home page (with static files).
    fn builtin_paths(&self) -> Vec<&'static str> {
        let mut paths = vec!["/openapi.json", "/openapi.yaml"];
        if self.explorer {
            paths.extend(["/explorer", "/explorer/"]);
        }
        if self.static_dir.is_some() {
            paths.push("/");
        }
        paths
    }

    /// Refuses custom operations clashing with each other or with generated ones.
    fn check_custom(&self, table: &[RouteSpec]) -> Result<(), BuildError> {
        let mut custom = Vec::new();
        for api in &self.custom {
            custom.push(api.as_ref().map_err(Clone::clone)?);
        }
        if custom.is_empty() {
            return Ok(());
        }
        // Served paths by shape (parameters unnamed), with the verbs and ids taken.
        let mut paths: HashMap<String, String> = HashMap::new();
        let mut operations: HashSet<(Method, String)> = HashSet::new();
        let mut ids: HashSet<String> = HashSet::new();
        for spec in table {
            let path = spec.path.openapi();
            paths.insert(path_shape(&path), path.clone());
            operations.insert((spec.method.clone(), path_shape(&path)));
            ids.insert(format!("{}.{}", spec.controller, spec.operation));
        }
        for extra in &self.extra_routes {
            let path = openapi_path(&extra.path);
            paths.insert(path_shape(&path), path);
        }
        // The routes `into_endpoint` adds itself.
        for path in self.builtin_paths() {
            paths.insert(path_shape(path), path.to_owned());
        }
        let generated = self.document_with(table, &[]);
        let mut schemas: HashMap<String, Json> = generated["components"]["schemas"]
            .as_object()
            .map(|s| s.clone().into_iter().collect())
            .unwrap_or_default();
        for api in &custom {
            for op in &api.operations {
                let shape = path_shape(&op.path);
                let builtin = self.builtin_paths().iter().any(|p| path_shape(p) == shape);
                let extra = self
                    .extra_routes
                    .iter()
                    .any(|r| path_shape(&openapi_path(&r.path)) == shape);
                if builtin || extra {
                    return Err(BuildError::DuplicatePath(op.path.clone()));
                }
                match paths.get(&shape) {
                    Some(served) if *served != op.path => {
                        return Err(BuildError::PathParameterNames {
                            path: op.path.clone(),
                            served: served.clone(),
                        });
                    }
                    Some(_) => {}
                    None => {
                        paths.insert(shape.clone(), op.path.clone());
                    }
                }
                if !operations.insert((op.method.clone(), shape)) {
                    return Err(BuildError::DuplicateOperation {
                        method: op.method.to_string(),
                        path: op.path.clone(),
                    });
                }
                if let Some(id) = &op.operation_id
                    && !ids.insert(id.clone())
                {
                    return Err(BuildError::DuplicateOperationId(id.clone()));
                }
            }
            // The same type registered by two APIs is one schema; two types of one name clash.
            for (name, schema) in &api.schemas {
                match schemas.get(name) {
                    Some(taken) if taken != schema => {
                        return Err(BuildError::DuplicateSchema(name.clone()));
                    }
                    Some(_) => {}
                    None => {
                        schemas.insert(name.clone(), schema.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Refuses policies nothing could enforce, and overrides naming no operation.
    fn check_security(&self, table: &[RouteSpec]) -> Result<(), BuildError> {
        let mut policies: Vec<Policy> = table.iter().map(|spec| spec.policy.clone()).collect();
        for api in self.custom.iter().filter_map(|c| c.as_ref().ok()) {
            policies.extend(api.operations.iter().map(|op| self.custom_policy(op)));
        }
        for route in &self.extra_routes {
            for method in route.verbs.iter().flatten() {
                policies.push(self.extra_policy(route, method));
            }
        }
        if self.verifier.is_none() {
            if let Some(policy) = policies.iter().find(|p| p.access.requires_authentication()) {
                return Err(BuildError::NoAuthentication(policy.operation.clone()));
            }
            if let Some(resource) = self.resources.iter().find(|r| r.owner.is_some()) {
                return Err(BuildError::NoAuthentication(format!(
                    "the owned resource {}",
                    resource.base_path()
                )));
            }
        }
        for resource in &self.resources {
            if let Some(property) = &resource.owner
                && resource.model().get(property).is_none()
            {
                return Err(BuildError::UnknownOwnerProperty {
                    model: resource.model().name.clone(),
                    property: property.clone(),
                });
            }
        }
        for (id, _) in &self.operation_access {
            if !policies.iter().any(|p| p.operation == *id) {
                return Err(BuildError::UnknownOperation(id.clone()));
            }
        }
        Ok(())
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
        if let Some(name) = openapi::object_schema_clash(&self.resources, &self.relations) {
            return Err(BuildError::DuplicateObjectSchema(name));
        }
        self.check_custom(table)?;
        self.check_security(table)?;
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
    /// relation or invalid relation path segment, an invalid CORS origin, two embedded object
    /// types of one schema name, or a custom operation
    /// clashing with another (same verb and path, same `operationId`, same schema name).
    pub fn into_endpoint(mut self) -> Result<BoxEndpoint<'static, Response>, BuildError> {
        let keys: Arc<[String]> = std::mem::take(&mut self.prohibited_keys).into();
        self.resources
            .iter_mut()
            .for_each(|r| r.prohibited_keys = keys.clone());
        self.relations
            .iter_mut()
            .for_each(|r| r.prohibited_keys = keys.clone());
        let table = self.table();
        self.check(&table)?;
        let document = self.document(&table);
        let spec_json = document.to_string();
        let spec_yaml = Bytes::from(to_yaml(&document));
        let cors = self.cors != CorsPolicy::Disabled;
        let schemas = Arc::new(
            document["components"]["schemas"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let security = self.security();
        // The policy of each verb an extra route documents; any other verb follows the
        // default.
        let extra_policies: Vec<Vec<(Option<Method>, Policy)>> = self
            .extra_routes
            .iter()
            .map(|extra| {
                let mut policies: Vec<(Option<Method>, Policy)> = extra
                    .verbs
                    .iter()
                    .flatten()
                    .map(|m| (Some(m.clone()), self.extra_policy(extra, m)))
                    .collect();
                policies.push((None, self.extra_policy(extra, &Method::POST)));
                policies
            })
            .collect();
        let mut custom_routes = Vec::new();
        for api in self.custom.iter().filter_map(|c| c.as_ref().ok()) {
            for op in &api.operations {
                let policy = self.custom_policy(op);
                let served = table
                    .iter()
                    .find(|spec| path_shape(&spec.path.openapi()) == path_shape(&op.path));
                let path = served.map_or_else(|| poem_path(&op.path), |spec| spec.path.poem());
                custom_routes.push(mount::CustomRoute {
                    path,
                    template: op.path.clone(),
                    method: op.method.clone(),
                    endpoint: auth::guard(
                        api.endpoint(op, schemas.clone(), self.body_limit, keys.clone()),
                        &security,
                        policy,
                    ),
                });
            }
        }
        let mut route = mount::mount(
            Route::new(),
            &table,
            self.resources,
            self.relations,
            custom_routes,
            &mount::Serving {
                body_limit: self.body_limit,
                cors,
                security: &security,
            },
        );
        let extra_routes = std::mem::take(&mut self.extra_routes);
        for (mut extra, policies) in extra_routes.into_iter().zip(extra_policies) {
            let template = openapi_path(&extra.path);
            extra.endpoint = auth::guard_methods(extra.endpoint, &security, policies);
            route = match extra.verbs {
                Some(verbs) => route.at(
                    extra.path,
                    mount::allowing(&template, extra.endpoint, verbs, cors),
                ),
                None => route.at(extra.path, crate::observe::routed(template, extra.endpoint)),
            };
        }
        let get = || vec![Method::GET];
        route = route
            .at(
                "/openapi.json",
                mount::allowing(
                    "/openapi.json",
                    static_get(JSON_MEDIA_TYPE, Bytes::from(spec_json.clone())),
                    get(),
                    cors,
                ),
            )
            .at(
                "/openapi.yaml",
                mount::allowing(
                    "/openapi.yaml",
                    static_get("application/yaml", spec_yaml),
                    get(),
                    cors,
                ),
            );
        if self.explorer {
            let html = Bytes::from(crate::explorer::html(&spec_json));
            route = route
                .at(
                    "/explorer",
                    mount::allowing(
                        "/explorer",
                        static_get("text/html; charset=utf-8", html.clone()),
                        get(),
                        cors,
                    ),
                )
                .at(
                    "/explorer/",
                    mount::allowing(
                        "/explorer/",
                        static_get("text/html; charset=utf-8", html),
                        get(),
                        cors,
                    ),
                );
        }
        if let Some(dir) = self.static_dir {
            route = route.nest("/", crate::files::folder(dir));
        }
        // Errors become LoopBack envelopes inside CORS, so error responses carry CORS headers
        // too; the outer layer maps anything left, and logs. Each layer boxes the future of
        // the next: inline, a layer's future holds the next one's and its own arguments, so
        // the sizes compound (10 KB for this chain before, copied and allocated per request).
        let policy = Arc::new(self.cors);
        let endpoint = route
            .around(map_errors)
            .around(move |endpoint, req| cors::apply(policy.clone(), endpoint, req))
            .around(map_remaining_errors)
            // A panicking handler (a custom operation's) is LoopBack's 500, logged, counted.
            .with(poem::middleware::CatchPanic::new().with_handler(panic_response))
            .around(crate::observe::observe)
            .boxed();
        Ok(endpoint)
    }
}

/// Whether a verb reads or writes.
fn kind_of(method: &Method) -> OperationKind {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        OperationKind::Read
    } else {
        OperationKind::Write
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

/// A path's shape, its parameters unnamed: `/todos/{id}` and `/todos/{todoId}` are one route.
fn path_shape(openapi_path: &str) -> String {
    openapi_path
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// A custom operation's OpenAPI path as this router mounts it: its first parameter `:id`, as
/// the generated routes name theirs, the next ones `:p1`, `:p2`… (poem-openapi matches the
/// path again with names of its own).
fn poem_path(openapi_path: &str) -> String {
    let mut index = 0;
    openapi_path
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                let name = if index == 0 {
                    ":id".to_owned()
                } else {
                    format!(":p{index}")
                };
                index += 1;
                name
            } else {
                s.to_owned()
            }
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
    Box::pin(map_remaining_errors(endpoint, req)).await
}

/// Turns an error left by `endpoint` into LoopBack's envelope: inside CORS (by
/// [`map_errors`]) and once more outside it, for what CORS itself leaves (the access line and
/// metrics are `observe`'s, outside this).
async fn map_remaining_errors<E: Endpoint>(
    endpoint: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    // The URI is reference-counted: kept for the error message without copying the path.
    let (method, uri) = (req.method().clone(), req.uri().clone());
    Ok(match Box::pin(endpoint.call(req)).await {
        Ok(output) => output.into_response(),
        Err(error) => to_api_error(&error, &method, uri.path()).into_response(),
    })
}

/// The answer to a handler that panicked: the cause is logged, never sent.
fn panic_response(cause: Box<dyn std::any::Any + Send>) -> Response {
    let message = cause
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a handler panicked");
    ApiError::internal().into_response()
}

/// A poem error as a LoopBack envelope.
fn to_api_error(error: &poem::Error, method: &Method, path: &str) -> ApiError {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return api.clone();
    }
    if error.is::<NotFoundError>() || error.status() == poem::http::StatusCode::NOT_FOUND {
        // No route, or no static file.
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
