//! Calling an app's routes in process, without a listener: what an app's own tests send to
//! the endpoint `App::endpoint` (`portico::server`) or [`RestApi::into_endpoint`] builds.
//!
//! ```
//! # use std::sync::Arc;
//! # use portico_domain::Entity;
//! # use portico_ports::Repository;
//! use portico_http::testing::{get, post};
//! use portico_http::{CrudResource, RestApi};
//! use serde_json::json;
//!
//! # #[derive(Entity, Clone, Debug)] struct Note { #[portico(id, generated)] id: Option<i64>, text: String }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let notes = Repository::<Note>::new(Arc::new(portico_memory::MemoryStore::new())).unwrap();
//! let api = RestApi::new("notes", "1")
//!     .resource(CrudResource::new("/notes", Arc::new(notes.records().clone())))
//!     .into_endpoint()
//!     .unwrap();
//! assert_eq!(post(&api, "/notes", json!({"text": "hi"})).await.0, 200);
//! assert_eq!(get(&api, "/notes/1").await, (200, json!({"id": 1, "text": "hi"})));
//! # }
//! ```
//!
//! [`RestApi::into_endpoint`]: crate::RestApi::into_endpoint

use std::collections::HashMap;

use async_trait::async_trait;
use poem::http::HeaderMap;
pub use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request};
use portico_domain::{AuthFailure, Error};
use portico_ports::auth::{Principal, TokenVerifier};
use serde_json::{Value as Json, json};

/// What a route answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body: its JSON when it is JSON, else its text as a JSON string.
    pub body: Json,
}

impl Answer {
    /// A header's value, when it is there and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request to `endpoint`: `body`, when given, as `application/json`.
///
/// # Panics
/// When `uri` is no valid request target or the endpoint fails to answer (a test's failure).
pub async fn call(
    endpoint: &impl Endpoint,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&Json>,
) -> Answer {
    let mut request = Request::builder().method(method).uri_str(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request
            .content_type("application/json")
            .body(body.to_string()),
        None => request.finish(),
    };
    let response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let bytes = response
        .into_body()
        .into_vec()
        .await
        .unwrap_or_else(|e| panic!("the body of {uri}: {e}"));
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET uri`: the status and the body.
pub async fn get(endpoint: &impl Endpoint, uri: &str) -> (u16, Json) {
    let answer = call(endpoint, Method::GET, uri, &[], None).await;
    (answer.status, answer.body)
}

/// `method uri` with a JSON body: the status and the body.
pub async fn send(endpoint: &impl Endpoint, method: Method, uri: &str, body: Json) -> (u16, Json) {
    let answer = call(endpoint, method, uri, &[], Some(&body)).await;
    (answer.status, answer.body)
}

/// `POST uri` with a JSON body: the status and the body.
pub async fn post(endpoint: &impl Endpoint, uri: &str, body: Json) -> (u16, Json) {
    send(endpoint, Method::POST, uri, body).await
}

/// The document `endpoint` serves at `/openapi.json`, pretty-printed with a final newline: what
/// an app's checked-in snapshot holds
/// (`expect_test::expect_file!["openapi.json"].assert_eq(&document_text(&app).await)`).
///
/// # Panics
/// When the document is not JSON (a test's failure).
pub async fn document_text(endpoint: &impl Endpoint) -> String {
    let (status, document) = get(endpoint, "/openapi.json").await;
    assert_eq!(status, 200, "GET /openapi.json: {document}");
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// The document an app's binary prints for `<binary> openapi` (on its default store:
/// `DATABASE_URL` is removed).
///
/// # Panics
/// When the binary fails or prints no JSON (a test's failure).
pub fn printed_document(binary: &str) -> Json {
    let output = std::process::Command::new(binary)
        .arg("openapi")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("{binary} openapi: {e}"));
    assert!(output.status.success(), "{binary} openapi: {output:?}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{binary} openapi printed no JSON: {e}"))
}

/// A [`TokenVerifier`] of fixed tokens, each standing for a principal: the mock principal of
/// a test (`RestApi::authentication(Arc::new(StaticTokens::new().token("alice", alice)))`,
/// then `Authorization: Bearer alice`). Any other token is 401 `Error verifying token :
/// invalid token`.
#[derive(Debug, Clone, Default)]
pub struct StaticTokens(HashMap<String, Principal>);

impl StaticTokens {
    /// No tokens yet.
    pub fn new() -> Self {
        StaticTokens::default()
    }

    /// With `token` standing for `principal`.
    pub fn token(mut self, token: impl Into<String>, principal: Principal) -> Self {
        self.0.insert(token.into(), principal);
        self
    }
}

#[async_trait]
impl TokenVerifier for StaticTokens {
    async fn verify(&self, token: &str) -> portico_domain::Result<Principal> {
        self.0.get(token).cloned().ok_or_else(|| {
            Error::Unauthenticated(AuthFailure::InvalidToken("invalid token".to_owned()))
        })
    }
}

/// Holds the document `endpoint` serves to what it enforces, operation by operation: each
/// operation is called without credentials (path parameters `1`, a `{}` body for writes) and
/// must answer 401 exactly when the document gives it a `security` requirement; with
/// `authorization` (an `Authorization` header value of a valid caller), those requiring
/// security must then not answer 401. Returns every mismatch, `METHOD path: why` (empty when
/// the two agree).
///
/// # Panics
/// When the endpoint serves no JSON document (a test's failure).
pub async fn security_mismatches(
    endpoint: &impl Endpoint,
    authorization: Option<&str>,
) -> Vec<String> {
    let (status, document) = get(endpoint, "/openapi.json").await;
    assert_eq!(status, 200, "GET /openapi.json: {document}");
    let mut mismatches = Vec::new();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        let uri: String = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (verb, operation) in item.as_object().into_iter().flatten() {
            let Ok(method) = Method::from_bytes(verb.to_ascii_uppercase().as_bytes()) else {
                continue;
            };
            let secured = operation
                .get("security")
                .and_then(Json::as_array)
                .is_some_and(|s| !s.is_empty());
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let anonymous = call(endpoint, method.clone(), &uri, &[], body.as_ref()).await;
            if secured != (anonymous.status == 401) {
                mismatches.push(format!(
                    "{method} {path}: documented {}, answered {} without credentials",
                    if secured { "secured" } else { "public" },
                    anonymous.status
                ));
            }
            if let (true, Some(value)) = (secured, authorization) {
                let known = call(
                    endpoint,
                    method.clone(),
                    &uri,
                    &[("authorization", value)],
                    body.as_ref(),
                )
                .await;
                if known.status == 401 {
                    mismatches.push(format!(
                        "{method} {path}: answered 401 to a valid caller: {}",
                        known.body
                    ));
                }
            }
        }
    }
    mismatches
}
