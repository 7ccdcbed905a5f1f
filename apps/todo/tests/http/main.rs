//! The Todo app's own HTTP surface, in process (`App::endpoint`): its model served at
//! `/todos` and migrated on every backend (memory and SQLite always; PostgreSQL, MySQL/MariaDB
//! and MongoDB when `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_MYSQL_URL`,
//! `PORTICO_TEST_MONGO_URL` are set, else skipped with the reason printed, or failed when
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`), its home page, `/ping`, health and metrics, its OpenAPI
//! document (a snapshot) and explorer, and its settings reaching the routes. The HTTP
//! adapter's contract (every route, filter and error) is tested by its own suite,
//! `adapters/http/tests/e2e`; the runtime's, by `adapters/server/tests`; serving over TCP,
//! outages and shutting down, by `tests/faults`.

use std::sync::Arc;

use poem::Response;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use portico::http::testing::{call, document_text, get, printed_document, send};
use portico::ports::Store;
use portico::server::{HttpSettings, Settings};
use portico_testing::Backend;
use serde_json::{Value as Json, json};

/// The app over `store` (migrated), with these HTTP settings.
async fn app(store: Arc<dyn Store>, http: HttpSettings) -> BoxEndpoint<'static, Response> {
    let app = portico_todo::app();
    let settings = Settings {
        http,
        ..app.default_settings()
    };
    app.endpoint(store, &settings)
        .await
        .expect("the Todo app's routes")
}

fn memory() -> Arc<dyn Store> {
    Arc::new(portico::memory::MemoryStore::new())
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
        let app = app(store, HttpSettings::default()).await;
        let todo = json!({
            "title": "buy milk",
            "desc": "2 litres",
            "isComplete": false,
            "remindAtAddress": "1 Main St",
            "remindAtGeo": "40.7,-74.0",
            "tag": {"labels": ["home"], "weight": 2.5},
            "dueDate": "2026-12-24",
            "priority": "high",
            "estimateHours": "1.5"
        });
        let (status, created) = send(&app, Method::POST, "/todos", todo.clone()).await;
        let mut expected = todo.clone();
        expected["id"] = json!(1);
        // Decimals come back exact, as strings with their scale.
        expected["estimateHours"] = json!("1.50");
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
        assert_eq!(
            get(
                &app,
                "/todos?filter[where][dueDate][lt]=2027-01-01&filter[where][priority][inq][0]=high&filter[where][estimateHours][gte]=1.5"
            )
            .await,
            (200, json!([expected])),
            "{}: find by date, enum and decimal",
            backend.name()
        );
        let (status, refused) = send(
            &app,
            Method::PATCH,
            "/todos/1",
            json!({"dueDate": "2026-02-31", "priority": "urgent", "estimateHours": "0.125"}),
        )
        .await;
        let paths: Vec<&str> = refused["error"]["details"]
            .as_array()
            .map(|d| d.iter().filter_map(|d| d["path"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            (status, paths),
            (422, vec!["/dueDate", "/priority", "/estimateHours"]),
            "{}: bad values are refused with their paths: {refused}",
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
        let deleted = call(&app, Method::DELETE, "/todos/1", &[], None).await;
        assert_eq!(deleted.status, 204, "{}: delete", backend.name());
        if let Some(teardown) = teardown {
            teardown.await;
        }
    }
}

#[tokio::test]
async fn ping_answers_as_loopback_does() {
    let app = app(memory(), HttpSettings::default()).await;
    let answer = call(&app, Method::GET, "/ping?x=1", &[("X-Test", "yes")], None).await;
    let body = answer.body;
    assert_eq!(answer.status, 200);
    assert!(body["greeting"].is_string(), "{body}");
    assert!(
        body["date"].as_str().is_some_and(|d| d.ends_with('Z')),
        "{body}"
    );
    assert_eq!(body["url"], "/ping?x=1");
    assert_eq!(body["headers"]["x-test"], "yes");
    // Only GET: the adapter answers other verbs 405 with `Allow`.
    let answer = call(&app, Method::POST, "/ping", &[], None).await;
    assert_eq!(
        (answer.status, answer.body["error"]["code"].as_str()),
        (405, Some("METHOD_NOT_ALLOWED"))
    );
    assert_eq!(answer.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[tokio::test]
async fn openapi_and_explorer_describe_the_app() {
    let app = app(memory(), HttpSettings::default()).await;
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
    let store = memory();
    let small = app(
        store.clone(),
        HttpSettings {
            max_page_size: 2,
            body_limit: 64,
            ..HttpSettings::default()
        },
    )
    .await;
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
        HttpSettings {
            read_only: true,
            ..HttpSettings::default()
        },
    )
    .await;
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
        HttpSettings {
            cors: portico::http::CorsPolicy::Origins(vec!["https://app.example".into()]),
            ..HttpSettings::default()
        },
    )
    .await;
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://evil.example", false),
    ] {
        let headers = [("Origin", origin)];
        let answer = call(&restricted, Method::GET, "/todos/count", &headers, None).await;
        let (status, echoed) = (answer.status, answer.header("access-control-allow-origin"));
        if allowed {
            assert_eq!((status, echoed), (200, Some(origin)), "CORS_ORIGINS");
        } else {
            assert!(status >= 400 && echoed.is_none(), "CORS_ORIGINS: {status}");
        }
    }
}

#[tokio::test]
async fn the_home_page_health_and_metrics_are_served() {
    let app = app(memory(), HttpSettings::default()).await;
    let home = call(&app, Method::GET, "/", &[], None).await;
    assert_eq!(home.status, 200);
    assert!(
        home.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(
        home.body
            .as_str()
            .is_some_and(|page| page.contains("@portico/example-todo"))
    );
    let (status, _) = get(&app, "/no-such-file.txt").await;
    assert_eq!(status, 404);
    for probe in ["/health", "/live", "/ready"] {
        let (status, body) = get(&app, probe).await;
        assert_eq!(
            (status, &body["status"]),
            (200, &json!("UP")),
            "{probe}: {body}"
        );
    }
    let refused = call(&app, Method::POST, "/ready", &[], None).await;
    assert_eq!(
        (refused.status, refused.header("allow")),
        (405, Some("GET, HEAD, OPTIONS"))
    );
    let (_, ready) = get(&app, "/ready").await;
    assert_eq!(ready["checks"][0]["name"], "database");
    // The probes and /metrics stay out of the document.
    let (_, spec) = get(&app, "/openapi.json").await;
    for hidden in ["/health", "/live", "/ready", "/metrics"] {
        assert!(
            spec["paths"].get(hidden).is_none(),
            "{hidden} is documented"
        );
    }
    let (status, _) = send(&app, Method::POST, "/todos", json!({"title": "metered"})).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, "/todos/1").await;
    assert_eq!(status, 200);
    let (status, metrics) = get(&app, "/metrics").await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap_or_default().to_owned();
    // Route templates, never the URL.
    assert!(
        metrics.contains(r#"path="/todos/{id}""#) && !metrics.contains(r#"path="/todos/1""#),
        "{metrics}"
    );
    assert!(
        metrics.contains("portico_store_operation_duration_seconds"),
        "{metrics}"
    );
}

/// The document the app publishes, checked in: a change to the API shows as a diff of
/// `tests/http/openapi.json` (`UPDATE_EXPECT=1` rewrites it); `portico-todo openapi` prints
/// the same, so a reviewer (or CI) reads the API without starting it.
#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let app = app(memory(), HttpSettings::default()).await;
    expect_test::expect_file!["openapi.json"].assert_eq(&document_text(&app).await);
    let printed = printed_document(env!("CARGO_BIN_EXE_portico-todo"));
    let snapshot: Json = serde_json::from_str(include_str!("openapi.json")).expect("JSON");
    assert_eq!(printed, snapshot);
}
