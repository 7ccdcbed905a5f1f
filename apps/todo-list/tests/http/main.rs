//! The TodoList app's own HTTP surface, in process: its three models migrated under its own
//! storage names and served — CRUD, the three relations' routes and `include` — on every
//! backend (memory and SQLite always; PostgreSQL, MySQL/MariaDB and MongoDB when
//! `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_MYSQL_URL`, `PORTICO_TEST_MONGO_URL` are set or
//! containers can be started, else skipped with the reason printed, or failed when
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`); `/ping`, its OpenAPI document and explorer; its settings
//! reaching the relation routes. The HTTP adapter's contract (every relation route, `include`
//! and error) is tested by its own suite, `adapters/http/tests/e2e`.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::{Endpoint, Request, Response};
use portico_ports::Store;
use portico_testing::Backend;
use portico_todo_list::HttpSettings;
use serde_json::{Value as Json, json};

type App = BoxEndpoint<'static, Response>;

/// Sends one request to `app`: the status and the body (as JSON when it is JSON, else as a
/// string).
async fn call(app: &App, method: Method, uri: &str, body: Option<Json>) -> (u16, Json) {
    let request = Request::builder().method(method).uri_str(uri);
    let request = match body {
        Some(body) => request
            .content_type("application/json")
            .body(body.to_string()),
        None => request.finish(),
    };
    let response = app.call(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = response.into_body().into_vec().await.expect("a body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

async fn get(app: &App, uri: &str) -> (u16, Json) {
    call(app, Method::GET, uri, None).await
}

async fn post(app: &App, uri: &str, body: Json) -> Json {
    let (status, created) = call(app, Method::POST, uri, Some(body)).await;
    assert_eq!(status, 200, "POST {uri}: {created}");
    created
}

fn app(store: Arc<dyn Store>, settings: &HttpSettings) -> App {
    portico_todo_list::endpoint(store, settings).expect("the TodoList app's routes")
}

async fn memory() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(portico_memory::MemoryStore::new());
    portico_todo_list::migrate(store.as_ref())
        .await
        .expect("migrated");
    store
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
        portico_todo_list::migrate(store.as_ref())
            .await
            .expect("migrated");
        let app = app(store, &HttpSettings::default());
        let name = backend.name();
        let home = post(
            &app,
            "/todo-lists",
            json!({"title": "home", "color": "red"}),
        )
        .await;
        assert_eq!(
            home,
            json!({"id": 1, "title": "home", "color": "red"}),
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
            (200, json!({"id": 1, "title": "home", "color": "red"})),
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
                json!([{"id": 1, "title": "home", "color": "red", "todos": [todo], "image": image}])
            ),
            "{name}"
        );
        assert_eq!(
            get(&app, "/todos/count").await,
            (200, json!({"count": 1})),
            "{name}"
        );
        if let Some(teardown) = teardown {
            teardown.await;
        }
    }
}

#[tokio::test]
async fn ping_openapi_and_explorer_describe_the_app() {
    let app = app(memory().await, &HttpSettings::default());
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
    let store = memory().await;
    let writer = app(store.clone(), &HttpSettings::default());
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
    let reader = app(store, &settings);
    let (status, todos) = get(&reader, "/todo-lists/1/todos").await;
    assert_eq!(
        (status, todos.as_array().map(Vec::len)),
        (200, Some(2)),
        "{todos}"
    );
    let (status, _) = call(
        &reader,
        Method::POST,
        "/todo-lists/1/todos",
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, 405, "read-only relation route");
    let (status, _) = call(&reader, Method::DELETE, "/todo-lists/1/image", None).await;
    assert_eq!(status, 405, "read-only relation route");
}
