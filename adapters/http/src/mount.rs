//! The router's reading of the route table: each path with the handlers of its rows, and what
//! a path answers for verbs no row serves — `OPTIONS` (204 with `Allow`, and the CORS
//! preflight headers naming exactly those verbs) and anything else (405 with `Allow`).

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, RouteMethod};

use std::sync::Arc;

use crate::auth::{self, Security};
use crate::crud::{self, CrudResource};
use crate::error::ApiError;
use crate::observe::routed;
use crate::relation::{self, RelationResource};
use crate::routes::{Handler, RouteSpec};

/// How long browsers may cache a preflight answer, as LoopBack's default CORS options.
const PREFLIGHT_MAX_AGE: &str = "86400";

/// A custom operation's endpoint, at a path as poem writes it.
pub(crate) struct CustomRoute {
    /// `/todo-lists/:id/complete`; the generated path's spelling where it shares one.
    pub(crate) path: String,
    /// The path as the document writes it (`/todo-lists/{id}/complete`): the route template
    /// logs and metrics name.
    pub(crate) template: String,
    /// The verb.
    pub(crate) method: Method,
    /// What serves it.
    pub(crate) endpoint: BoxEndpoint<'static, Response>,
}

/// How every route is served: the body limit, whether CORS is on, what the guards share.
pub(crate) struct Serving<'a> {
    pub(crate) body_limit: usize,
    pub(crate) cors: bool,
    pub(crate) security: &'a Arc<Security>,
}

/// Mounts every row of `table` on `route`, served by the handlers of `resources` and
/// `relations` (which the rows index), and the custom operations beside them (on the same
/// path where they share one).
pub(crate) fn mount(
    mut route: Route,
    table: &[RouteSpec],
    resources: Vec<CrudResource>,
    relations: Vec<RelationResource>,
    custom: Vec<CustomRoute>,
    serving: &Serving<'_>,
) -> Route {
    let (body_limit, cors, security) = (serving.body_limit, serving.cors, serving.security);
    let crud: Vec<_> = resources
        .into_iter()
        .map(|r| crud::Handlers::new(r, body_limit))
        .collect();
    let related: Vec<_> = relations
        .into_iter()
        .map(|r| relation::Handlers::new(r, body_limit))
        .collect();
    // Paths in table order, each with its rows, then the custom operations' paths.
    let mut paths: Vec<(String, String, Vec<&RouteSpec>, Vec<CustomRoute>)> = Vec::new();
    for spec in table {
        let path = spec.path.poem();
        match paths.iter_mut().find(|(p, ..)| *p == path) {
            Some((_, _, rows, _)) => rows.push(spec),
            None => paths.push((path, spec.path.openapi(), vec![spec], Vec::new())),
        }
    }
    for op in custom {
        match paths.iter_mut().find(|(p, ..)| *p == op.path) {
            Some((.., ops)) => ops.push(op),
            None => paths.push((op.path.clone(), op.template.clone(), Vec::new(), vec![op])),
        }
    }
    for (path, template, rows, ops) in paths {
        let mut methods = RouteMethod::new();
        let mut allowed = Vec::new();
        for op in ops {
            methods = methods.method(op.method.clone(), op.endpoint);
            allowed.push(op.method);
        }
        for spec in rows {
            let endpoint = match spec.handler {
                Handler::Crud(index, operation) => crud[index].endpoint(operation),
                Handler::Relation(index, operation) => match &related[index] {
                    Some(handlers) => handlers.endpoint(operation),
                    // Unknown relations have no rows; `RestApi` refuses them before mounting.
                    None => continue,
                },
            };
            let endpoint = auth::guard(endpoint, security, spec.policy.clone());
            methods = methods.method(spec.method.clone(), endpoint);
            allowed.push(spec.method.clone());
        }
        route = route.at(path, routed(template, Methods::new(methods, allowed, cors)));
    }
    route
}

/// A path's endpoint that knows the verbs it serves.
pub(crate) struct Methods<E> {
    inner: E,
    allowed: Vec<Method>,
    /// `Allow`: the served verbs, `HEAD` with `GET`, and `OPTIONS`.
    allow: HeaderValue,
    /// `Access-Control-Allow-Methods`: the served verbs.
    cors_methods: HeaderValue,
    cors: bool,
}

impl<E: Endpoint> Methods<E> {
    /// `inner`, serving `allowed`; `cors` adds preflight headers to `OPTIONS` answers.
    pub(crate) fn new(inner: E, allowed: Vec<Method>, cors: bool) -> Self {
        let names = |methods: &[Method]| {
            let list: Vec<&str> = methods.iter().map(Method::as_str).collect();
            HeaderValue::from_str(&list.join(", ")).unwrap_or(HeaderValue::from_static(""))
        };
        let mut with_implicit = allowed.clone();
        if allowed.contains(&Method::GET) {
            with_implicit.push(Method::HEAD);
        }
        with_implicit.push(Method::OPTIONS);
        Methods {
            inner,
            allow: names(&with_implicit),
            cors_methods: names(&allowed),
            allowed,
            cors,
        }
    }

    fn serves(&self, method: &Method) -> bool {
        self.allowed.contains(method) || (*method == Method::HEAD && self.serves(&Method::GET))
    }

    /// 204 with `Allow`; for a CORS preflight also the methods, the requested headers and
    /// how long to cache the answer.
    fn options(&self, req: &Request) -> Response {
        let mut response = Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::ALLOW, self.allow.clone())
            .finish();
        let preflight = req.headers().contains_key(header::ORIGIN)
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if self.cors && preflight {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                self.cors_methods.clone(),
            );
            let requested = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .cloned()
                .unwrap_or(HeaderValue::from_static("*"));
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        }
        response
    }
}

impl<E: Endpoint> Endpoint for Methods<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if self.serves(req.method()) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        if req.method() == Method::OPTIONS {
            return Ok(self.options(&req));
        }
        let mut response =
            ApiError::method_not_allowed(req.method().as_str(), req.uri().path()).into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, self.allow.clone());
        Ok(response)
    }
}

/// `endpoint` serving `allowed` only at the route `template`, as a boxed endpoint (extra and
/// static routes).
pub(crate) fn allowing(
    template: &str,
    endpoint: impl Endpoint<Output = Response> + 'static,
    allowed: Vec<Method>,
    cors: bool,
) -> BoxEndpoint<'static, Response> {
    routed(template, Methods::new(endpoint, allowed, cors)).boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::http::Method;
    use poem::{Endpoint as _, Request};
    use portico_domain::Entity;
    use portico_ports::Repository;

    use crate::{CorsPolicy, CrudResource, MAX_URL_LENGTH, RestApi};

    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct Note {
        #[portico(id, generated)]
        id: Option<i64>,
        text: String,
    }

    fn api(cors: CorsPolicy) -> poem::endpoint::BoxEndpoint<'static, poem::Response> {
        let store = Arc::new(portico_memory::MemoryStore::new());
        let notes = Repository::<Note>::new(store).expect("a valid model");
        RestApi::new("notes", "1")
            .resource(CrudResource::new(
                "/notes",
                Arc::new(notes.records().clone()),
            ))
            .cors(cors)
            .into_endpoint()
            .expect("an API")
    }

    async fn send(
        endpoint: &poem::endpoint::BoxEndpoint<'static, poem::Response>,
        request: Request,
    ) -> (u16, poem::http::HeaderMap, serde_json::Value) {
        let response = endpoint.call(request).await.expect("a response");
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let bytes = response.into_body().into_vec().await.expect("a body");
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, headers, json)
    }

    fn header(headers: &poem::http::HeaderMap, name: &str) -> String {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn each_path_answers_for_the_verbs_it_does_not_serve() {
        let endpoint = api(CorsPolicy::AnyOrigin);
        let trace = Request::builder()
            .method(Method::TRACE)
            .uri_str("/notes")
            .finish();
        let (status, headers, body) = send(&endpoint, trace).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (405, Some("METHOD_NOT_ALLOWED"))
        );
        assert_eq!(header(&headers, "allow"), "POST, GET, PATCH, HEAD, OPTIONS");
        let bare = Request::builder()
            .method(Method::OPTIONS)
            .uri_str("/notes/count")
            .finish();
        let (status, headers, _) = send(&endpoint, bare).await;
        assert_eq!(
            (status, header(&headers, "allow")),
            (204, "GET, HEAD, OPTIONS".to_owned())
        );
        assert!(headers.get("access-control-allow-methods").is_none());
        let preflight = Request::builder()
            .method(Method::OPTIONS)
            .uri_str("/notes/1")
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "PUT")
            .finish();
        let (status, headers, _) = send(&endpoint, preflight).await;
        assert_eq!(status, 204);
        assert_eq!(
            header(&headers, "access-control-allow-methods"),
            "GET, PATCH, PUT, DELETE"
        );
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            "https://app.example"
        );
        let unknown = Request::builder().uri_str("/nowhere").finish();
        assert_eq!(send(&endpoint, unknown).await.0, 404);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn over_long_urls_and_odd_ids_get_the_envelope() {
        let endpoint = api(CorsPolicy::Disabled);
        let long = format!("/notes?filter={}", "a".repeat(MAX_URL_LENGTH));
        let (status, _, body) = send(&endpoint, Request::builder().uri_str(&long).finish()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (414, Some("URI_TOO_LONG"))
        );
        let big_headers = Request::builder()
            .uri_str("/notes")
            .header("x-padding", "a".repeat(crate::MAX_HEADERS_SIZE))
            .finish();
        let (status, _, body) = send(&endpoint, big_headers).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (431, Some("HEADERS_TOO_LARGE"))
        );
        for odd in ["/notes/%20417", "/notes/+417", "/notes/4.0", "/notes/-"] {
            let (status, _, body) = send(&endpoint, Request::builder().uri_str(odd).finish()).await;
            assert_eq!(
                (status, body["error"]["parameterName"].as_str()),
                (400, Some("id")),
                "{odd}"
            );
        }
        let (status, _, _) =
            send(&endpoint, Request::builder().uri_str("/notes/-3").finish()).await;
        assert_eq!(status, 404, "a negative id is an id");
    }

    /// The document publishes exactly the verbs the router serves, per path.
    #[tokio::test(flavor = "current_thread")]
    async fn the_document_and_the_router_read_one_table() {
        let endpoint = api(CorsPolicy::Disabled);
        let (_, _, document) = send(
            &endpoint,
            Request::builder().uri_str("/openapi.json").finish(),
        )
        .await;
        for (path, concrete) in [
            ("/notes", "/notes"),
            ("/notes/count", "/notes/count"),
            ("/notes/{id}", "/notes/1"),
        ] {
            let mut published: Vec<String> = document["paths"][path]
                .as_object()
                .map(|item| item.keys().map(|k| k.to_ascii_uppercase()).collect())
                .unwrap_or_default();
            published.extend(["HEAD".to_owned(), "OPTIONS".to_owned()]);
            let options = Request::builder()
                .method(Method::OPTIONS)
                .uri_str(concrete)
                .finish();
            let (_, headers, _) = send(&endpoint, options).await;
            let mut allowed: Vec<String> = header(&headers, "allow")
                .split(", ")
                .map(str::to_owned)
                .collect();
            published.sort();
            allowed.sort();
            assert_eq!(published, allowed, "{path}");
        }
    }
}
