//! Endpoints of the app's own: a poem-openapi `#[OpenApi]` impl mounted beside the generated
//! resources ([`crate::RestApi::api`]), in the same router and the same document.
//!
//! poem-openapi describes an API by its type (`OpenApi::meta`, `OpenApi::register`); this
//! module reads that description **per operation**, so a path may carry generated and custom
//! methods (poem-openapi's own spec merge keeps only one of two path items with the same path,
//! poem#923), and serves each operation through one shared `OpenApiService` endpoint (its
//! `Query` extractor needs that wrapper). In front of each operation sits [`Operation`]'s
//! endpoint, which gives custom operations what generated ones have: LoopBack's envelope with
//! Portico's codes for every rejection (a bad path or query parameter named as the operation
//! names it, never `param0`; malformed JSON; the wrong media type), the body limit, and 422
//! `VALIDATION_FAILED` with AJV-shaped `details` for a JSON body that breaks its schema.
//!
//! - `model.rs`: [`Model`] and [`NewModel`], the app's entities as poem-openapi types.

mod model;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{Method, Uri};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response};
use poem_openapi::registry::{MetaParamIn, MetaSchemaRef, Registry};
use poem_openapi::{OpenApi, OpenApiService};
use portico_domain::{ModelDef, WriteMode};
use serde_json::{Map, Value as Json, json};

pub(crate) use model::ModelSchema;
pub use model::{Model, NewModel};

use crate::api::BuildError;
use crate::body;
use crate::error::ApiError;
use crate::schema_check;

/// How a custom operation's JSON body is checked before poem-openapi parses it.
#[derive(Debug, Clone)]
enum BodyCheck {
    /// A [`Model`] or [`NewModel`]: the model's own validation, as the generated routes run it.
    Model(&'static ModelDef, WriteMode),
    /// Any other schema (the app's `Object`s): the published schema, keyword by keyword.
    Schema(Json),
}

/// One operation of a custom API: its place in the document and what its endpoint checks.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// The verb.
    pub(crate) method: Method,
    /// The path as OpenAPI writes it (`/todo-lists/{id}/complete`).
    pub(crate) path: String,
    /// The operation object, as poem-openapi describes it (Portico's error statuses added).
    pub(crate) object: Json,
    /// Its `operationId`, when it has one.
    pub(crate) operation_id: Option<String>,
    /// The names of its path parameters, in the order poem-openapi extracts them (`param0`…),
    /// which is the path's (checked when the API is read).
    path_params: Vec<String>,
    /// Its other parameters, by name: where each is read from.
    params: Vec<(String, MetaParamIn)>,
    /// Its request body, when it reads one.
    body: Option<RequestBody>,
}

/// What a custom operation's request body is.
#[derive(Debug, Clone)]
struct RequestBody {
    /// How a JSON body is checked, when the operation reads JSON.
    json: Option<BodyCheck>,
    /// Whether the body must be there.
    required: bool,
}

impl Operation {
    /// The segments of [`Operation::path`], a parameter as `None`.
    fn segments(&self) -> Vec<Option<&str>> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    None
                } else {
                    Some(s)
                }
            })
            .collect()
    }

    /// The names of the path's parameters, in path order.
    fn template_params(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect()
    }
}

/// A custom API, described and ready to serve.
pub(crate) struct CustomApi {
    /// Its operations, one per verb and path.
    pub(crate) operations: Vec<Operation>,
    /// The schemas its types registered (the app's `Object`s), by name.
    pub(crate) schemas: Map<String, Json>,
    /// The models its [`Model`] and [`NewModel`] types refer to.
    pub(crate) models: Vec<(&'static ModelDef, ModelSchema)>,
    /// The tags it declares (with their descriptions).
    pub(crate) tags: Vec<Json>,
    /// The `OpenApiService` serving every operation.
    endpoint: Arc<BoxEndpoint<'static>>,
}

impl std::fmt::Debug for CustomApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomApi")
            .field("operations", &self.operations)
            .field("schemas", &self.schemas.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn to_json(value: &impl serde::Serialize) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

impl CustomApi {
    /// Reads `T`'s description and builds the endpoint serving it.
    ///
    /// # Errors
    /// [`BuildError::DuplicateOperationId`] when two of its operations share an `operationId`
    /// (poem-openapi would panic).
    pub(crate) fn new<T: OpenApi + Send + Sync + 'static>(api: T) -> Result<Self, BuildError> {
        let mut registry = Registry::new();
        let models = model::collect(|| T::register(&mut registry));
        let model_schemas: Vec<(String, &'static ModelDef, WriteMode)> = models
            .iter()
            .map(|(model, schema)| match schema {
                ModelSchema::Entity => (model.name.clone(), *model, WriteMode::Replace),
                ModelSchema::New => (format!("New{}", model.name), *model, WriteMode::Create),
            })
            .collect();
        let schemas: Map<String, Json> = registry
            .schemas
            .iter()
            .map(|(name, schema)| (name.clone(), to_json(schema)))
            .collect();
        let tags = registry.tags.iter().map(to_json).collect();
        let mut operations = Vec::new();
        let mut ids = HashSet::new();
        for path in T::meta().into_iter().flat_map(|api| api.paths) {
            for op in path.operations {
                if let Some(id) = op.operation_id
                    && !ids.insert(id)
                {
                    return Err(BuildError::DuplicateOperationId(id.to_owned()));
                }
                let path_params: Vec<String> = op
                    .params
                    .iter()
                    .filter(|p| p.in_type == MetaParamIn::Path)
                    .map(|p| p.name.clone())
                    .collect();
                let params = op
                    .params
                    .iter()
                    .filter(|p| p.in_type != MetaParamIn::Path)
                    .map(|p| (p.name.clone(), p.in_type))
                    .collect();
                let body = op.request.as_ref().map(|request| RequestBody {
                    json: request
                        .content
                        .iter()
                        .find(|m| m.content_type.starts_with("application/json"))
                        .map(|media| match &media.schema {
                            MetaSchemaRef::Reference(name) => model_schemas
                                .iter()
                                .find(|(schema, ..)| schema == name)
                                .map_or_else(
                                    || BodyCheck::Schema(to_json(&media.schema)),
                                    |(_, model, mode)| BodyCheck::Model(model, *mode),
                                ),
                            MetaSchemaRef::Inline(_) => BodyCheck::Schema(to_json(&media.schema)),
                        }),
                    required: request.required,
                });
                let operation = Operation {
                    method: op.method.clone(),
                    path: path.path.clone(),
                    operation_id: op.operation_id.map(str::to_owned),
                    object: to_json(&op),
                    path_params,
                    params,
                    body,
                };
                // poem-openapi binds the nth `Path` argument to the nth parameter of the path,
                // whatever its name: a different name or order would document a parameter the
                // path lacks.
                let in_path_order = operation
                    .template_params()
                    .into_iter()
                    .eq(operation.path_params.iter().map(String::as_str));
                if !in_path_order {
                    return Err(BuildError::PathParameterOrder {
                        path: operation.path.clone(),
                        parameters: operation.path_params.clone(),
                    });
                }
                operations.push(operation);
            }
        }
        let endpoint = Arc::new(OpenApiService::new(api, "", "").into_endpoint());
        Ok(CustomApi {
            operations,
            schemas,
            models,
            tags,
            endpoint,
        })
    }

    /// The endpoint serving `operation` (one of [`CustomApi::operations`]), Portico's checks
    /// in front of it; `schemas` are the document's, for `$ref`s in bodies.
    pub(crate) fn endpoint(
        &self,
        operation: &Operation,
        schemas: Arc<Map<String, Json>>,
        body_limit: usize,
        prohibited_keys: Arc<[String]>,
    ) -> BoxEndpoint<'static, Response> {
        OperationEndpoint {
            inner: self.endpoint.clone(),
            operation: Arc::new(operation.clone()),
            schemas,
            body_limit,
            prohibited_keys,
        }
        .boxed()
    }
}

/// The statuses Portico itself may answer for a custom operation, added to its responses
/// (what the operation's own `ApiError`s are is told by its `default` response).
pub(crate) fn add_error_responses(operation: &mut Operation, body_limit: usize) {
    let mut errors: Vec<(u16, String)> = Vec::new();
    if !operation.params.is_empty() || !operation.path_params.is_empty() {
        errors.push((400, "a parameter is missing or invalid".to_owned()));
    }
    if let Some(body) = &operation.body {
        if body.json.is_some() {
            errors.push((400, "the body is empty or not JSON".to_owned()));
        }
        errors.push((413, format!("the body is larger than {body_limit} bytes")));
        errors.push((
            415,
            if body.json.is_some() {
                "the body is not `application/json`".to_owned()
            } else {
                "the body is not of a media type the operation reads".to_owned()
            },
        ));
        errors.push((
            422,
            "the body breaks its schema (every problem is in `details`)".to_owned(),
        ));
    }
    if !operation.path_params.is_empty() {
        errors.push((404, "what the path names does not exist".to_owned()));
    }
    errors.push((500, "an unexpected failure (logged, never sent)".to_owned()));
    let Some(responses) = operation
        .object
        .get_mut("responses")
        .and_then(Json::as_object_mut)
    else {
        return;
    };
    let mut descriptions: std::collections::BTreeMap<u16, Vec<String>> = Default::default();
    for (status, description) in errors {
        descriptions.entry(status).or_default().push(description);
    }
    for (status, reasons) in descriptions {
        responses.entry(status.to_string()).or_insert_with(|| {
            json!({
                "description": reasons.join("; "),
                "content": {"application/json": {"schema": crate::openapi::error_schema_ref()}},
            })
        });
    }
}

/// A custom operation's endpoint: Portico's body checks, then the shared `OpenApiService`, its
/// rejections turned into LoopBack envelopes.
struct OperationEndpoint {
    inner: Arc<BoxEndpoint<'static>>,
    operation: Arc<Operation>,
    schemas: Arc<Map<String, Json>>,
    body_limit: usize,
    prohibited_keys: Arc<[String]>,
}

impl Endpoint for OperationEndpoint {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        // The body is read here, within the limit whatever its media type, and handed on; a
        // JSON one is parsed (syntax, prohibited keys) and its problems against the schema are
        // told when poem-openapi refuses it, so parameters are still checked first, in the
        // operation's order.
        let mut json_body = None;
        if let Some(request) = &self.operation.body {
            let bytes = body::read_bytes(&mut req, self.body_limit).await?;
            if let Some(check) = &request.json
                && body::declares_json(&req)
            {
                if body::is_blank(&bytes) {
                    if request.required {
                        return Err(ApiError::missing_body().into());
                    }
                } else {
                    json_body = Some((check, body::parse_json(&bytes, &self.prohibited_keys)?));
                    if req.content_type().is_none() {
                        // A missing media type is JSON, as on the generated routes.
                        req.headers_mut().insert(
                            poem::http::header::CONTENT_TYPE,
                            poem::http::HeaderValue::from_static("application/json"),
                        );
                    }
                }
            }
            req.set_body(bytes);
        }
        let uri = req.uri().clone();
        let headers = self.header_params(&req);
        match self.inner.call(req).await {
            Ok(response) => Ok(response.into_response()),
            Err(error) => {
                let seen = Seen {
                    uri: &uri,
                    headers: &headers,
                    body: json_body.as_ref().map(|(check, json)| (*check, json)),
                };
                Err(rejection(&error, &self.operation, &seen, &self.schemas)
                    .map_or(error, poem::Error::from))
            }
        }
    }
}

impl OperationEndpoint {
    /// The values of the operation's header parameters, kept to quote them in a rejection.
    fn header_params(&self, req: &Request) -> Vec<(String, String)> {
        self.operation
            .params
            .iter()
            .filter(|(_, place)| *place == MetaParamIn::Header)
            .filter_map(|(name, _)| Some((name.clone(), req.header(name)?.to_owned())))
            .collect()
    }
}

/// What the request carried, for quoting it in a rejection.
struct Seen<'a> {
    uri: &'a Uri,
    headers: &'a [(String, String)],
    body: Option<(&'a BodyCheck, &'a Json)>,
}

/// 422 with every problem of `json`, as the generated routes report a model body's.
fn check_body(check: &BodyCheck, schemas: &Map<String, Json>, json: &Json) -> Result<(), ApiError> {
    match check {
        BodyCheck::Model(model, mode) => {
            crate::body::record_from_json(model, json, *mode, None).map(|_| ())
        }
        BodyCheck::Schema(schema) => {
            let problems = schema_check::check(schema, schemas, json);
            if problems.is_empty() {
                Ok(())
            } else {
                let details = problems
                    .iter()
                    .map(schema_check::Problem::to_json)
                    .collect();
                Err(ApiError::validation_failed(Json::Array(details)))
            }
        }
    }
}

/// poem-openapi's rejection of a request as LoopBack's envelope with Portico's codes, or `None`
/// for other errors (the outer layer maps those).
fn rejection(
    error: &poem::Error,
    operation: &Operation,
    seen: &Seen<'_>,
    schemas: &Map<String, Json>,
) -> Option<ApiError> {
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if let Some(e) = error.downcast_ref::<ParsePathError>() {
        // poem-openapi names path parameters `param0`, `param1`… in the path's order.
        let index: Option<usize> = e.name.strip_prefix("param").and_then(|n| n.parse().ok());
        let name = index
            .and_then(|i| operation.path_params.get(i))
            .map_or(e.name, String::as_str);
        let raw = index
            .and_then(|i| path_param(operation, seen.uri, i))
            .unwrap_or_default();
        return Some(ApiError::invalid_parameter(name, &raw));
    }
    if let Some(e) = error.downcast_ref::<ParseParamError>() {
        let place = operation
            .params
            .iter()
            .find(|(name, _)| name == e.name)
            .map(|(_, place)| *place);
        let raw = match place {
            Some(MetaParamIn::Query) => query_param(seen.uri, e.name),
            Some(MetaParamIn::Header) => seen
                .headers
                .iter()
                .find(|(name, _)| name == e.name)
                .map(|(_, value)| value.clone()),
            _ => None,
        };
        return Some(match raw {
            Some(raw) => ApiError::invalid_parameter(e.name, &raw),
            None if matches!(place, Some(MetaParamIn::Query | MetaParamIn::Header)) => {
                ApiError::missing_parameter(e.name)
            }
            None => ApiError::invalid_parameter(e.name, ""),
        });
    }
    if let Some(e) = error.downcast_ref::<ParseRequestPayloadError>() {
        // A JSON body was read as JSON already: what is left is a value problem, told in full
        // by the schema where it can be.
        if let Some((check, json)) = seen.body
            && let Err(error) = check_body(check, schemas, json)
        {
            return Some(error);
        }
        let reason = strip_type_prefix(&e.reason);
        return Some(ApiError::validation_failed(json!([{
            "path": "",
            "code": "parse",
            "message": reason,
            "info": {},
        }])));
    }
    if let Some(e) = error.downcast_ref::<ParseMultipartError>() {
        return Some(ApiError::invalid_body_json(
            strip_type_prefix(&e.reason).to_owned(),
        ));
    }
    if let Some(e) = error.downcast_ref::<ContentTypeError>() {
        return Some(match e {
            ContentTypeError::NotSupported { content_type } => {
                ApiError::unsupported_media_type(content_type)
            }
            ContentTypeError::ExpectContentType => ApiError::unsupported_media_type(""),
        });
    }
    None
}

/// `failed to parse "Type": reason` → `reason`.
fn strip_type_prefix(reason: &str) -> &str {
    reason
        .strip_prefix("failed to parse \"")
        .and_then(|rest| rest.split_once("\": "))
        .map_or(reason, |(_, reason)| reason)
}

/// The `position`th parameter segment of the request's path, as sent.
fn path_param(operation: &Operation, uri: &Uri, position: usize) -> Option<String> {
    let segments = operation.segments();
    let index = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .nth(position)?
        .0;
    let raw = uri.path().split('/').filter(|s| !s.is_empty()).nth(index)?;
    Some(raw.to_owned())
}

/// The first value of the query parameter `name`.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}
