//! The Todo app's own HTTP surface, in process: its model served at `/todos` and migrated on
//! every backend (memory and SQLite always; PostgreSQL, MySQL/MariaDB and MongoDB when
//! `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_MYSQL_URL`, `PORTICO_TEST_MONGO_URL` are set,
//! else skipped with the reason printed, or failed when `PORTICO_REQUIRE_ALL_BACKENDS=1`),
//! `/ping`, its OpenAPI document and explorer, and its [`HttpSettings`] reaching the routes.
//! The HTTP adapter's contract (every route, filter and error) is tested by its own suite,
//! `adapters/http/tests/e2e`; serving over TCP and shutting down, by `tests/faults`.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::{Endpoint, Request, Response};
use portico_domain::Entity;
use portico_ports::Store;
use portico_testing::Backend;
use portico_todo::{HttpSettings, Todo};
use serde_json::{Value as Json, json};

/// Sends one request to `app` and returns the status, the headers and the body (as JSON when
/// it is JSON, else as a string).
async fn call(
    app: &BoxEndpoint<'static, Response>,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Json>,
) -> (u16, poem::http::HeaderMap, Json) {
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
    let response = app.call(request).await.expect("a response");
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let bytes = response.into_body().into_vec().await.expect("a body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

async fn get(app: &BoxEndpoint<'static, Response>, uri: &str) -> (u16, Json) {
    let (status, _, body) = call(app, Method::GET, uri, &[], None).await;
    (status, body)
}

async fn send(
    app: &BoxEndpoint<'static, Response>,
    method: Method,
    uri: &str,
    body: Json,
) -> (u16, Json) {
    let (status, _, body) = call(app, method, uri, &[], Some(body)).await;
    (status, body)
}

fn app(store: Arc<dyn Store>, settings: &HttpSettings) -> BoxEndpoint<'static, Response> {
    portico_todo::endpoint(store, settings).expect("the Todo app's routes")
}

/// A memory store with the Todo model migrated.
async fn memory() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(portico_memory::MemoryStore::new());
    store.migrate(Todo::definition()).await.expect("migrated");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todos_are_served_and_stored_on_every_backend() {
    for backend in Backend::ALL {
        let fresh = match portico_testing::store(backend).await {
            Ok(fresh) => fresh,
            Err(reason) => {
                portico_testing::skip(&reason);
                continue;
            }
        };
        let (store, teardown) = fresh.into_parts();
        store.migrate(Todo::definition()).await.expect("migrated");
        let app = app(store, &HttpSettings::default());
        let todo = json!({
            "title": "buy milk",
            "desc": "2 litres",
            "isComplete": false,
            "remindAtAddress": "1 Main St",
            "remindAtGeo": "40.7,-74.0",
            "tag": {"labels": ["home"], "weight": 2.5}
        });
        let (status, created) = send(&app, Method::POST, "/todos", todo.clone()).await;
        let mut expected = todo.clone();
        expected["id"] = json!(1);
        assert_eq!(
            (status, &created),
            (200, &expected),
            "{}: create",
            backend.name()
        );
        assert_eq!(
            get(&app, "/todos/1").await,
            (200, expected.clone()),
            "{}",
            backend.name()
        );
        assert_eq!(
            get(&app, "/todos?filter[where][isComplete]=false").await,
            (200, json!([expected])),
            "{}: find",
            backend.name()
        );
        let (status, _) = send(&app, Method::PATCH, "/todos/1", json!({"isComplete": true})).await;
        assert_eq!(status, 204, "{}: patch", backend.name());
        assert_eq!(
            get(&app, "/todos/count?where[isComplete]=true").await,
            (200, json!({"count": 1})),
            "{}: count",
            backend.name()
        );
        let (status, _, _) = call(&app, Method::DELETE, "/todos/1", &[], None).await;
        assert_eq!(status, 204, "{}: delete", backend.name());
        if let Some(teardown) = teardown {
            teardown.await;
        }
    }
}

#[tokio::test]
async fn ping_answers_as_loopback_does() {
    let app = app(memory().await, &HttpSettings::default());
    let (status, _, body) = call(&app, Method::GET, "/ping?x=1", &[("X-Test", "yes")], None).await;
    assert_eq!(status, 200);
    assert!(body["greeting"].is_string(), "{body}");
    assert!(
        body["date"].as_str().is_some_and(|d| d.ends_with('Z')),
        "{body}"
    );
    assert_eq!(body["url"], "/ping?x=1");
    assert_eq!(body["headers"]["x-test"], "yes");
    // Only GET: the adapter answers other verbs 405 with `Allow`.
    let (status, headers, body) = call(&app, Method::POST, "/ping", &[], None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (405, Some("METHOD_NOT_ALLOWED"))
    );
    assert_eq!(
        headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD, OPTIONS")
    );
}

#[tokio::test]
async fn openapi_and_explorer_describe_the_app() {
    let app = app(memory().await, &HttpSettings::default());
    let (status, spec) = get(&app, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(spec["info"]["title"], "@portico/example-todo");
    let operations: Vec<&str> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Json::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for id in [
        "TodoController.create",
        "TodoController.count",
        "TodoController.find",
        "TodoController.updateAll",
        "TodoController.findById",
        "TodoController.updateById",
        "TodoController.replaceById",
        "TodoController.deleteById",
        "PingController.ping",
    ] {
        assert!(operations.contains(&id), "{id} missing from {operations:?}");
    }
    let properties = &spec["components"]["schemas"]["Todo"]["properties"];
    for property in [
        "id",
        "title",
        "desc",
        "isComplete",
        "remindAtAddress",
        "remindAtGeo",
        "tag",
    ] {
        assert!(
            properties.get(property).is_some(),
            "Todo.{property} missing: {properties}"
        );
    }
    let (status, page) = get(&app, "/explorer").await;
    assert_eq!(status, 200);
    assert!(
        page.as_str().is_some_and(|p| p.contains("TodoController")),
        "{page}"
    );
}

/// Each setting of [`HttpSettings`] reaches the routes (what each one means is the adapter's,
/// tested in its own suite).
#[tokio::test]
async fn settings_reach_the_routes() {
    let store = memory().await;
    let small = app(
        store.clone(),
        &HttpSettings {
            max_page_size: 2,
            body_limit: 64,
            ..HttpSettings::default()
        },
    );
    for i in 0..3 {
        let (status, _) = send(
            &small,
            Method::POST,
            "/todos",
            json!({"title": format!("t{i}")}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (_, page) = get(&small, "/todos").await;
    assert_eq!(
        page.as_array().map(Vec::len),
        Some(2),
        "MAX_PAGE_SIZE: {page}"
    );
    let (status, _) = send(
        &small,
        Method::POST,
        "/todos",
        json!({"title": "x".repeat(100)}),
    )
    .await;
    assert_eq!(status, 413, "BODY_LIMIT");

    let reader = app(
        store.clone(),
        &HttpSettings {
            read_only: true,
            ..HttpSettings::default()
        },
    );
    assert_eq!(
        get(&reader, "/todos/count").await,
        (200, json!({"count": 3}))
    );
    let (status, _) = send(&reader, Method::POST, "/todos", json!({"title": "y"})).await;
    assert_eq!(status, 405, "READ_ONLY");
    let (_, spec) = get(&reader, "/openapi.json").await;
    assert!(
        spec["paths"]["/todos"].get("post").is_none(),
        "READ_ONLY document"
    );

    let restricted = app(
        store,
        &HttpSettings {
            cors: portico_http::CorsPolicy::Origins(vec!["https://app.example".into()]),
            ..HttpSettings::default()
        },
    );
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://evil.example", false),
    ] {
        let headers = [("Origin", origin)];
        let (status, headers, _) =
            call(&restricted, Method::GET, "/todos/count", &headers, None).await;
        let echoed = headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok());
        if allowed {
            assert_eq!((status, echoed), (200, Some(origin)), "CORS_ORIGINS");
        } else {
            assert!(status >= 400 && echoed.is_none(), "CORS_ORIGINS: {status}");
        }
    }
}
