//! The TodoList app's own HTTP surface, in process (`App::endpoint`): its three models
//! migrated under its own storage names and served — CRUD, the three relations' routes,
//! `include`, a todo list's version as its `ETag` (`If-Match`, 412 when stale), and its typed
//! operations `POST /todo-lists/{id}/complete` and `GET /todo-lists/{id}/stats` — on every
//! backend (memory and SQLite always; PostgreSQL, MySQL/MariaDB and MongoDB when
//! `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_MYSQL_URL`, `PORTICO_TEST_MONGO_URL` are set or
//! containers can be started, else skipped with the reason printed, or failed when
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`); `/ping`, its OpenAPI document (a snapshot) and explorer; its settings reaching the relation routes and its own operations.
//! The HTTP adapter's contract (every relation route, `include`, custom operations and errors)
//! is tested by its own suite, `adapters/http/tests/e2e`, and its unit tests.

use std::sync::Arc;

use poem::Response;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use portico::http::testing::{call, document_text, get, printed_document, send};
use portico::ports::Store;
use portico::server::{HttpSettings, Settings};
use portico_testing::Backend;
use serde_json::{Value as Json, json};

type App = BoxEndpoint<'static, Response>;

async fn post(app: &App, uri: &str, body: Json) -> Json {
    let (status, created) = send(app, Method::POST, uri, body).await;
    assert_eq!(status, 200, "POST {uri}: {created}");
    created
}

/// The app over `store` (migrated), with these HTTP settings.
async fn app(store: Arc<dyn Store>, http: HttpSettings) -> App {
    let app = portico_todo_list::app();
    let settings = Settings {
        http,
        ..app.default_settings()
    };
    app.endpoint(store, &settings)
        .await
        .expect("the TodoList app's routes")
}

fn memory() -> Arc<dyn Store> {
    Arc::new(portico::memory::MemoryStore::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_todos_and_images_are_served_and_stored_on_every_backend() {
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
        let name = backend.name();
        let home = post(
            &app,
            "/todo-lists",
            json!({"title": "home", "color": "red"}),
        )
        .await;
        assert_eq!(
            home,
            json!({"id": 1, "title": "home", "color": "red", "version": 1}),
            "{name}"
        );
        let todo = post(
            &app,
            "/todo-lists/1/todos",
            json!({"title": "buy milk", "isComplete": false, "tag": {"k": 1}}),
        )
        .await;
        assert_eq!(
            todo,
            json!({"id": 1, "title": "buy milk", "isComplete": false, "tag": {"k": 1}, "todoListId": 1}),
            "{name}"
        );
        let image = post(&app, "/todo-lists/1/image", json!({"value": "png"})).await;
        assert_eq!(
            image,
            json!({"id": 1, "value": "png", "todoListId": 1}),
            "{name}"
        );
        assert_eq!(
            get(&app, "/todos/1/todo-list").await,
            (
                200,
                json!({"id": 1, "title": "home", "color": "red", "version": 1})
            ),
            "{name}"
        );
        assert_eq!(
            get(
                &app,
                "/todo-lists?filter[include][]=todos&filter[include][]=image"
            )
            .await,
            (
                200,
                json!([{"id": 1, "title": "home", "color": "red", "version": 1, "todos": [todo], "image": image}])
            ),
            "{name}"
        );
        assert_eq!(
            get(&app, "/todos/count").await,
            (200, json!({"count": 1})),
            "{name}"
        );
        check_own_operations(&app, name).await;
        check_versions(&app, name).await;
        if let Some(teardown) = teardown {
            teardown.await;
        }
    }
}

#[tokio::test]
async fn ping_openapi_and_explorer_describe_the_app() {
    let app = app(memory(), HttpSettings::default()).await;
    let (status, ping) = get(&app, "/ping").await;
    assert_eq!(status, 200);
    assert!(ping["greeting"].is_string(), "{ping}");
    let (status, spec) = get(&app, "/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(spec["info"]["title"], "@portico/example-todo-list");
    let operation = |path: &str, method: &str| spec["paths"][path][method]["operationId"].clone();
    for (path, method, id) in [
        ("/todo-lists", "get", "TodoListController.find"),
        ("/todos/{id}", "get", "TodoController.findById"),
        (
            "/todo-lists/{id}/todos",
            "get",
            "TodoListTodoController.find",
        ),
        (
            "/todo-lists/{id}/todos",
            "post",
            "TodoListTodoController.create",
        ),
        (
            "/todo-lists/{id}/image",
            "get",
            "TodoListTodoListImageController.get",
        ),
        (
            "/todo-lists/{id}/image",
            "delete",
            "TodoListTodoListImageController.delete",
        ),
        (
            "/todos/{id}/todo-list",
            "get",
            "TodoTodoListController.getTodoList",
        ),
        ("/ping", "get", "PingController.ping"),
        (
            "/todo-lists/{id}/complete",
            "post",
            "TodoListController.complete",
        ),
        ("/todo-lists/{id}/stats", "get", "TodoListController.stats"),
    ] {
        assert_eq!(operation(path, method), json!(id), "{method} {path}");
    }
    let include =
        &spec["components"]["schemas"]["TodoList.Filter"]["properties"]["include"]["oneOf"][0];
    assert_eq!(
        include["items"]["anyOf"][0]["enum"],
        json!(["todos", "image"])
    );
    let (status, page) = get(&app, "/explorer").await;
    assert_eq!(status, 200);
    assert!(
        page.as_str()
            .is_some_and(|p| p.contains("TodoListTodoController")),
        "{page}"
    );
}

/// The app's settings reach the relation routes too (what each one means is the adapter's,
/// tested in its own suite).
#[tokio::test]
async fn settings_reach_the_relation_routes() {
    let store = memory();
    let writer = app(store.clone(), HttpSettings::default()).await;
    post(&writer, "/todo-lists", json!({"title": "home"})).await;
    for i in 0..3 {
        post(
            &writer,
            "/todo-lists/1/todos",
            json!({"title": format!("t{i}")}),
        )
        .await;
    }
    let settings = HttpSettings {
        max_page_size: 2,
        read_only: true,
        ..HttpSettings::default()
    };
    let reader = app(store, settings).await;
    let (status, todos) = get(&reader, "/todo-lists/1/todos").await;
    assert_eq!(
        (status, todos.as_array().map(Vec::len)),
        (200, Some(2)),
        "{todos}"
    );
    let (status, _) = send(
        &reader,
        Method::POST,
        "/todo-lists/1/todos",
        json!({"title": "x"}),
    )
    .await;
    assert_eq!(status, 405, "read-only relation route");
    let deleted = call(&reader, Method::DELETE, "/todo-lists/1/image", &[], None).await;
    assert_eq!(deleted.status, 405, "read-only relation route");
    // The app's own writing operation is not served either; its reading one is.
    let (status, _) = send(&reader, Method::POST, "/todo-lists/1/complete", json!({})).await;
    assert_eq!(status, 404, "read-only: no complete operation");
    assert_eq!(
        get(&reader, "/todo-lists/1/stats").await,
        (200, json!({"total": 3, "done": 0}))
    );
}

/// `POST /todo-lists/{id}/complete` and `GET /todo-lists/{id}/stats` over a list that holds
/// one todo (not done): what they answer, and what they change in the store.
async fn check_own_operations(app: &App, backend: &str) {
    post(
        app,
        "/todo-lists/1/todos",
        json!({"title": "call mum", "isComplete": true}),
    )
    .await;
    post(app, "/todo-lists/1/todos", json!({"title": "walk the dog"})).await;
    let other = post(app, "/todo-lists", json!({"title": "work"})).await;
    post(app, "/todo-lists/2/todos", json!({"title": "reply"})).await;
    assert_eq!(other["id"], 2, "{backend}");
    assert_eq!(
        get(app, "/todo-lists/1/stats").await,
        (200, json!({"total": 3, "done": 1})),
        "{backend}: stats"
    );
    // Only the list's todos not done yet are counted and changed.
    assert_eq!(
        send(app, Method::POST, "/todo-lists/1/complete", json!({})).await,
        (200, json!({"count": 2})),
        "{backend}: complete"
    );
    assert_eq!(
        get(app, "/todo-lists/1/stats").await,
        (200, json!({"total": 3, "done": 3})),
        "{backend}: stats after complete"
    );
    assert_eq!(
        get(app, "/todos/count?where[isComplete]=true").await,
        (200, json!({"count": 3})),
        "{backend}: the other list's todo is untouched"
    );
    assert_eq!(
        get(app, "/todo-lists/2/stats").await,
        (200, json!({"total": 1, "done": 0})),
        "{backend}"
    );
    // An unknown list is LoopBack's 404; a bad id names the parameter.
    for (method, uri) in [
        (Method::POST, "/todo-lists/99/complete"),
        (Method::GET, "/todo-lists/99/stats"),
    ] {
        let answer = call(app, method, uri, &[], None).await;
        assert_eq!(
            (answer.status, &answer.body["error"]["code"]),
            (404, &json!("ENTITY_NOT_FOUND")),
            "{backend}: {uri}"
        );
    }
    let (status, body) = get(app, "/todo-lists/x/stats").await;
    assert_eq!(status, 400, "{backend}: {body}");
    assert_eq!(
        body["error"]["message"],
        r#"Invalid data "x" for parameter "id"."#
    );
}

/// A todo list's version is its `ETag`, and `If-Match` makes writes by id conditional on it:
/// a stale one is 412 and changes nothing (list 2, created at version 1).
async fn check_versions(app: &App, backend: &str) {
    let read = call(app, Method::GET, "/todo-lists/2", &[], None).await;
    assert_eq!(
        (read.status, read.header("etag")),
        (200, Some("\"1\"")),
        "{backend}: {}",
        read.body
    );
    let patch = |tag: &'static str, title: &'static str| async move {
        let body = json!({ "title": title });
        let headers = [("If-Match", tag)];
        call(app, Method::PATCH, "/todo-lists/2", &headers, Some(&body)).await
    };
    assert_eq!(patch("\"1\"", "office").await.status, 204, "{backend}");
    let stale = patch("\"1\"", "stale").await;
    assert_eq!(
        (stale.status, &stale.body["error"]["code"]),
        (412, &json!("PRECONDITION_FAILED")),
        "{backend}: a stale If-Match"
    );
    let read = call(app, Method::GET, "/todo-lists/2", &[], None).await;
    assert_eq!(
        (read.status, read.header("etag"), &read.body),
        (
            200,
            Some("\"2\""),
            &json!({"id": 2, "title": "office", "version": 2})
        ),
        "{backend}"
    );
}

/// The document the app publishes, checked in: a change to the API shows as a diff of
/// `tests/http/openapi.json` (`UPDATE_EXPECT=1` rewrites it); `portico-todo-list openapi` prints
/// the same, so a reviewer (or CI) reads the API without starting it.
#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let app = app(memory(), HttpSettings::default()).await;
    expect_test::expect_file!["openapi.json"].assert_eq(&document_text(&app).await);
    let printed = printed_document(env!("CARGO_BIN_EXE_portico-todo-list"));
    let snapshot: Json = serde_json::from_str(include_str!("openapi.json")).expect("JSON");
    assert_eq!(printed, snapshot);
}
