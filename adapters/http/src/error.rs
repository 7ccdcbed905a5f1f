//! LoopBack's error envelope, and the one place where domain errors become HTTP statuses.
//!
//! Every error the adapter answers with has the shape LoopBack 4's `strong-error-handler`
//! gives API users:
//!
//! ```json
//! {"error": {"statusCode": 422, "name": "UnprocessableEntityError",
//!            "message": "The request body is invalid. See error object `details` property for more info.",
//!            "code": "VALIDATION_FAILED", "details": [{"path": "", "code": "required", "message": "...", "info": {}}]}}
//! ```
//!
//! A 5xx body carries only the status, a fixed name and message and the code: the cause is
//! logged with `tracing`, never sent.

use poem::http::StatusCode;
use poem::{Body, IntoResponse, Response};
use portico_domain::{AuthFailure, Error, FilterErrors, ValidationErrors};
use serde_json::{Map, Value as Json, json};

/// The media type of every JSON body the adapter writes.
pub(crate) const JSON_MEDIA_TYPE: &str = "application/json";

/// The message LoopBack gives every body validation failure.
const VALIDATION_MESSAGE: &str =
    "The request body is invalid. See error object `details` property for more info.";

/// An HTTP error in LoopBack's envelope: `{"error": {statusCode, name, message, code, details}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    name: &'static str,
    message: String,
    code: &'static str,
    /// Boxed: details are rare, and errors travel in `Result`s.
    details: Option<Box<Json>>,
    extra: Vec<(&'static str, Json)>,
    /// Response headers the error demands (`WWW-Authenticate`, `Retry-After`).
    headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// 412 for an `If-Match` naming a version the entity is no longer at.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailedError",
            "PRECONDITION_FAILED",
            message,
        )
    }

    /// 400 `BAD_REQUEST` with this message: a request a custom operation refuses.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "BAD_REQUEST",
            message,
        )
    }

    /// 403 `FORBIDDEN` with this message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "FORBIDDEN",
            message,
        )
    }

    /// 404 `NOT_FOUND` with this message (a missing entity is rather the domain's
    /// `Error::NotFound`, which reads as LoopBack's `ENTITY_NOT_FOUND`).
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND", message)
    }

    /// 409 `CONFLICT` with this message: the request clashes with the entity's state (an
    /// order cancelled twice).
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "ConflictError", "CONFLICT", message)
    }

    /// 422 `UNPROCESSABLE_ENTITY` with this message: a well-formed request a business rule
    /// refuses.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UnprocessableEntityError",
            "UNPROCESSABLE_ENTITY",
            message,
        )
    }

    /// An error with this status, name, code and message, without details.
    pub fn new(
        status: StatusCode,
        name: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            name,
            message: message.into(),
            code,
            details: None,
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// LoopBack's error name, e.g. `BadRequestError`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A message safe to show to API users.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A stable machine-readable code, LoopBack's where it has one (`ENTITY_NOT_FOUND`).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Per-problem details (`[{path, code, message, info}]`), when there are any.
    pub fn details(&self) -> Option<&Json> {
        self.details.as_deref()
    }

    /// Adds per-problem details.
    pub fn with_details(mut self, details: Json) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// Adds a further field to the envelope, e.g. `parameterName`.
    pub fn with_field(mut self, key: &'static str, value: impl Into<Json>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    /// Adds a response header (a value that is not a valid header value is left out).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The response headers the error adds, e.g. `WWW-Authenticate`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
    }

    /// 404 for a route or verb nobody serves, as LoopBack words it:
    /// `Endpoint "GET /x" not found.`
    pub fn endpoint_not_found(method: &str, path: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFoundError",
            "ENDPOINT_NOT_FOUND",
            format!("Endpoint \"{method} {path}\" not found."),
        )
    }

    /// 405 for a verb a known path does not serve (the caller adds `Allow`).
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowedError",
            "METHOD_NOT_ALLOWED",
            format!("Endpoint \"{path}\" does not serve {method}; see the Allow header."),
        )
    }

    /// 414 for a request target longer than `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "URITooLongError",
            "URI_TOO_LONG",
            format!("The request URL is longer than {limit} bytes"),
        )
    }

    /// 431 for request headers larger than `limit` bytes in all.
    pub fn headers_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "RequestHeaderFieldsTooLargeError",
            "HEADERS_TOO_LARGE",
            format!("The request headers are larger than {limit} bytes"),
        )
    }

    /// 400 for a parameter whose value cannot be used, as LoopBack words it:
    /// `Invalid data "abc" for parameter "id".`
    pub fn invalid_parameter(parameter: &str, raw: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "INVALID_PARAMETER_VALUE",
            format!("Invalid data {} for parameter \"{parameter}\".", json!(raw)),
        )
        .with_field("parameterName", parameter)
    }

    /// 400 for a JSON parameter LoopBack's `parseJson` refuses, in the shape of its
    /// `coerceParameter`: `Invalid data <data as JSON> for parameter "filter".` with
    /// `details: {"syntaxError": reason}` (an object, not a list of problems). `data` is the
    /// value as sent: the text of URL-encoded JSON, the object of the bracket form.
    pub(crate) fn unparsable_parameter(parameter: &str, data: &Json, reason: String) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "INVALID_PARAMETER_VALUE",
            format!("Invalid data {data} for parameter \"{parameter}\"."),
        )
        .with_details(json!({ "syntaxError": reason }))
        .with_field("parameterName", parameter)
    }

    /// 400 for a required parameter left out, as LoopBack words it:
    /// `Required parameter limit is missing!`
    pub fn missing_parameter(parameter: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "MISSING_REQUIRED_PARAMETER",
            format!("Required parameter {parameter} is missing!"),
        )
        .with_field("parameterName", parameter)
    }

    /// 400 for a body that is required but empty.
    pub fn missing_body() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "MISSING_REQUIRED_PARAMETER",
            "Request body is required",
        )
        .with_field("parameterName", "body")
    }

    /// 400 for a body that is not JSON or carries a prototype-pollution key.
    pub fn invalid_body_json(reason: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadRequestError",
            "INVALID_PARAMETER_VALUE",
            reason,
        )
        .with_field("parameterName", "body")
    }

    /// 422 for a body breaking its schema, with AJV-shaped `details`, as LoopBack words it.
    pub(crate) fn validation_failed(details: Json) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UnprocessableEntityError",
            "VALIDATION_FAILED",
            VALIDATION_MESSAGE,
        )
        .with_details(details)
    }

    /// 413 for a body over the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeError",
            "ENTITY_TOO_LARGE",
            format!("request entity too large (the limit is {limit} bytes)"),
        )
    }

    /// 415 for a body that is not JSON, as LoopBack words it.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaTypeError",
            "UNSUPPORTED_MEDIA_TYPE",
            format!("Content-type {content_type} does not match [{JSON_MEDIA_TYPE}]."),
        )
        .with_field("contentType", content_type)
        .with_field("allowedMediaTypes", json!([JSON_MEDIA_TYPE]))
    }

    /// 500 with nothing of the cause in it (log the cause before calling this).
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "INTERNAL_SERVER_ERROR",
            "Internal Server Error",
        )
    }

    /// The envelope as JSON.
    pub fn to_json(&self) -> Json {
        let mut error = Map::new();
        error.insert("statusCode".to_owned(), json!(self.status.as_u16()));
        error.insert("name".to_owned(), json!(self.name));
        error.insert("message".to_owned(), json!(self.message));
        error.insert("code".to_owned(), json!(self.code));
        if let Some(details) = &self.details {
            error.insert("details".to_owned(), details.as_ref().clone());
        }
        for (key, value) in &self.extra {
            error.insert((*key).to_owned(), value.clone());
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// So a custom operation can fail with `ApiError` (`Result<Json<T>, ApiError>`), and `?` turns
/// it into a poem error that still renders as the envelope.
impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        self.clone().into_response()
    }
}

/// In a custom operation's document, `ApiError` is the `default` response: LoopBack's envelope
/// for any error status (Portico adds the statuses it answers itself, such as 400 and 422).
impl poem_openapi::ApiResponse for ApiError {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef};
        MetaResponses {
            responses: vec![MetaResponse {
                description: "An error, in LoopBack's envelope",
                status: None,
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: JSON_MEDIA_TYPE,
                    schema: MetaSchemaRef::Reference(crate::openapi::ERROR_SCHEMA.to_owned()),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {
        // The document always publishes `loopback.Error` beside custom operations.
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::builder()
            .status(self.status)
            .content_type(JSON_MEDIA_TYPE)
            .body(Body::from_vec(self.to_json().to_string().into_bytes()));
        for (name, value) in &self.headers {
            if let Ok(value) = poem::http::HeaderValue::from_str(value) {
                response.headers_mut().append(*name, value);
            }
        }
        response
    }
}

/// RFC 6750's challenge for a failure: `Bearer` alone when no credentials came, with
/// `error="invalid_request"` for a malformed header and `error="invalid_token"` (and the
/// reason) for a token that does not verify.
fn bearer_challenge(failure: &AuthFailure) -> String {
    match failure {
        AuthFailure::MissingCredentials | AuthFailure::InvalidCredentials => "Bearer".to_owned(),
        AuthFailure::NotBearer | AuthFailure::TooManyParts => {
            "Bearer error=\"invalid_request\"".to_owned()
        }
        AuthFailure::InvalidToken(reason) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            reason.replace(['"', '\\'], "'")
        ),
    }
}

/// Maps a domain error to its HTTP status and envelope: **the one place** where this is
/// decided. Causes of 5xx errors are logged here and never sent.
impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let code = error.code();
        match error {
            Error::NotFound { .. } => {
                // LoopBack's EntityNotFoundError has no name of its own: it renders as "Error".
                ApiError::new(StatusCode::NOT_FOUND, "Error", code, error.to_string())
            }
            Error::Validation(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UnprocessableEntityError",
                code,
                VALIDATION_MESSAGE,
            )
            .with_details(validation_details(&errors)),
            Error::InvalidFilter(errors) => {
                let parameter = parameter_of(&errors);
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "BadRequestError",
                    code,
                    format!(
                        "Invalid data for parameter \"{parameter}\". See error object `details` property for more info."
                    ),
                )
                .with_details(filter_details(&errors))
                .with_field("parameterName", parameter)
            }
            Error::Conflict { message, .. } => {
                ApiError::new(StatusCode::CONFLICT, "ConflictError", code, message)
            }
            Error::InvalidBody(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "BadRequestError", code, message)
            }
            Error::Unsupported(message) => ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplementedError",
                code,
                message,
            ),
            Error::Unavailable(_) => {
                tracing::error!(error = %portico_domain::error::error_chain(&error), "the data source is unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableError",
                    code,
                    "Service Unavailable",
                )
            }
            Error::StaleVersion { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "ConflictError",
                code,
                error.to_string(),
            ),
            Error::TransactionConflict(_) => {
                // Retryable: the client may send the request again. The cause is only logged.
                tracing::warn!(error = %portico_domain::error::error_chain(&error), "transaction conflict");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "ConflictError",
                    code,
                    error.to_string(),
                )
            }
            Error::TransactionClosed(_) => {
                // A request never owns a transaction: using a finished one is a server bug.
                tracing::error!(error = %error, "a finished transaction was used");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    code,
                    "Internal Server Error",
                )
            }
            Error::NotMigrated { .. } => {
                // The operator's mistake, not the client's: the log says what to do, the client
                // learns only that the service is not ready (and may retry once it is).
                tracing::error!(error = %portico_domain::error::error_chain(&error), "the data source is not migrated");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableError",
                    code,
                    "Service Unavailable: the data source is not migrated",
                )
            }
            Error::Backend(_) => {
                tracing::error!(error = %portico_domain::error::error_chain(&error), "request failed");
                ApiError::internal()
            }
            Error::Unauthenticated(failure) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedError",
                code,
                failure.to_string(),
            )
            .with_header("www-authenticate", bearer_challenge(&failure)),
            Error::AccessDenied => ApiError::new(
                StatusCode::FORBIDDEN,
                "ForbiddenError",
                code,
                error.to_string(),
            ),
            Error::TooManyAttempts { retry_after_secs } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsError",
                code,
                error.to_string(),
            )
            .with_header("retry-after", retry_after_secs.max(1).to_string()),
        }
    }
}

/// AJV-shaped details: `[{path, code, message, info}]`.
fn validation_details(errors: &ValidationErrors) -> Json {
    errors
        .details
        .iter()
        .map(|d| json!({"path": d.path, "code": d.code, "message": d.message, "info": d.info}))
        .collect()
}

/// Filter problems in the same shape as validation details.
fn filter_details(errors: &FilterErrors) -> Json {
    errors
        .iter()
        .map(|e| json!({"path": e.path, "code": e.code, "message": e.message, "info": {}}))
        .collect()
}

/// The query parameter a filter problem is about: the first segment of its path
/// (`/where/x` → `where`), `filter` when the path does not say.
fn parameter_of(errors: &FilterErrors) -> String {
    errors
        .iter()
        .next()
        .and_then(|e| e.path.strip_prefix('/'))
        .and_then(|rest| rest.split('/').next())
        .filter(|segment| matches!(*segment, "filter" | "where" | "id"))
        .unwrap_or("filter")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_domain::FilterError;

    fn status_and_code(error: Error) -> (u16, &'static str, &'static str) {
        let api = ApiError::from(error);
        (api.status.as_u16(), api.name, api.code)
    }

    #[test]
    fn each_domain_error_has_one_status() {
        let message = || portico_domain::error::Message("secret driver text".to_owned());
        let cases = [
            (
                Error::NotFound {
                    entity: "Todo".into(),
                    id: "99".into(),
                },
                (404, "Error", "ENTITY_NOT_FOUND"),
            ),
            (
                Error::Validation(ValidationErrors::new("Todo")),
                (422, "UnprocessableEntityError", "VALIDATION_FAILED"),
            ),
            (
                Error::InvalidFilter(FilterErrors::default()),
                (400, "BadRequestError", "INVALID_PARAMETER_VALUE"),
            ),
            (
                Error::Conflict {
                    entity: "Todo".into(),
                    message: "duplicate".into(),
                },
                (409, "ConflictError", "CONFLICT"),
            ),
            (
                Error::InvalidBody("empty".into()),
                (400, "BadRequestError", "INVALID_BODY_DEFINITION"),
            ),
            (
                Error::Unsupported("ilike".into()),
                (501, "NotImplementedError", "NOT_IMPLEMENTED"),
            ),
            (
                Error::unavailable(message()),
                (503, "ServiceUnavailableError", "SERVICE_UNAVAILABLE"),
            ),
            (
                Error::backend(message()),
                (500, "InternalServerError", "INTERNAL_SERVER_ERROR"),
            ),
            (
                Error::transaction_conflict(message()),
                (409, "ConflictError", "TRANSACTION_CONFLICT"),
            ),
            (
                Error::TransactionClosed("the transaction was already committed".into()),
                (500, "InternalServerError", "TRANSACTION_CLOSED"),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(status_and_code(error), expected);
        }
    }

    #[test]
    fn not_found_reads_as_loopback_does() {
        let api = ApiError::from(Error::not_found("Todo", 99));
        assert_eq!(
            api.to_json(),
            json!({"error": {"statusCode": 404, "name": "Error",
                "message": "Entity not found: Todo with id 99", "code": "ENTITY_NOT_FOUND"}})
        );
    }

    #[test]
    fn server_errors_never_carry_their_cause() {
        for error in [
            Error::backend(portico_domain::error::Message("password=hunter2".into())),
            Error::unavailable(portico_domain::error::Message("password=hunter2".into())),
            Error::transaction_conflict(portico_domain::error::Message("password=hunter2".into())),
        ] {
            let body = ApiError::from(error).to_json().to_string();
            assert!(!body.contains("hunter2"), "{body}");
            assert!(!body.contains("details"), "{body}");
        }
    }

    #[test]
    fn validation_details_are_ajv_shaped() {
        let mut errors = ValidationErrors::new("Todo");
        errors.push(
            "",
            "required",
            "must have required property 'title'",
            json!({"missingProperty": "title"}),
        );
        let api = ApiError::from(Error::Validation(errors));
        assert_eq!(
            api.to_json()["error"]["details"],
            json!([{"path": "", "code": "required",
                "message": "must have required property 'title'",
                "info": {"missingProperty": "title"}}])
        );
        assert_eq!(api.message, VALIDATION_MESSAGE);
    }

    #[test]
    fn filter_errors_name_their_parameter_and_keep_every_problem() {
        let errors = FilterErrors(vec![
            FilterError {
                path: "/where/titel".into(),
                code: "unknownProperty",
                message: "unknown property 'titel'".into(),
            },
            FilterError {
                path: "/where/id".into(),
                code: "type",
                message: "must be integer".into(),
            },
        ]);
        let api = ApiError::from(Error::InvalidFilter(errors));
        let body = api.to_json();
        assert_eq!(body["error"]["parameterName"], "where");
        assert_eq!(body["error"]["details"].as_array().map(Vec::len), Some(2));
        assert_eq!(body["error"]["details"][0]["path"], "/where/titel");
    }

    #[test]
    fn unparsable_parameters_read_as_loopback_does() {
        let api = ApiError::unparsable_parameter(
            "filter",
            &json!(r#"{"where":{"badKey":1}}"#),
            "JSON string cannot contain \"badKey\" key.".to_owned(),
        );
        assert_eq!(
            api.to_json(),
            json!({"error": {"statusCode": 400, "name": "BadRequestError",
                "message": r#"Invalid data "{\"where\":{\"badKey\":1}}" for parameter "filter"."#,
                "code": "INVALID_PARAMETER_VALUE",
                "details": {"syntaxError": "JSON string cannot contain \"badKey\" key."},
                "parameterName": "filter"}})
        );
    }

    #[test]
    fn endpoint_not_found_reads_as_loopback_does() {
        assert_eq!(
            ApiError::endpoint_not_found("GET", "/x").message,
            "Endpoint \"GET /x\" not found."
        );
    }
}
