//! Baselines for the benchmark in `apps/todo/scripts/bench.sh`.
//!
//! The binary `bare-poem-todo` is the framework's own limit: a bare poem handler that serves
//! the same JSON as the Portico Todo app (`apps/todo`) from a `HashMap` behind a `RwLock`, on
//! the same listener settings (a std listener bound with `bind`, served through poem's
//! `TcpAcceptor`, on tokio's multi-threaded runtime). Portico on its memory store, divided by
//! this, is what the framework costs per request.
//!
//! This library holds the handler logic so that it is unit-tested beside the code; the binary
//! only binds and serves.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use poem::http::StatusCode;
use poem::web::{Data, Json, Path, Query};
use poem::{EndpointExt, IntoResponse, Response, Route, get, handler};
use serde_json::{Map, Value, json};

/// The properties of LoopBack's Todo model, in the order Portico's Todo declares them (and so
/// writes them), without `id`, which the store assigns and which comes first.
const PROPERTIES: [&str; 9] = [
    "title",
    "desc",
    "isComplete",
    "remindAtAddress",
    "remindAtGeo",
    "tag",
    "dueDate",
    "priority",
    "estimateHours",
];

/// The todos, by id, and the id the next create assigns.
#[derive(Debug, Default)]
pub struct Store {
    /// Each todo as the JSON object it is served as, `id` first.
    todos: HashMap<i64, Map<String, Value>>,
    /// The id of the next todo created: ids are dense (nothing is deleted), so the first `n`
    /// by id are ids `1..`, found without sorting.
    next_id: i64,
}

impl Store {
    /// An empty store; the first todo created gets id 1.
    #[must_use]
    pub fn new() -> Self {
        Self {
            todos: HashMap::new(),
            next_id: 1,
        }
    }

    /// Creates a todo from a JSON body and returns it with its new id, or `None` when the body
    /// is not a todo (not an object, `title` missing or not a string, an unknown property, or
    /// an `id` of its own).
    pub fn create(&mut self, body: &Value) -> Option<Map<String, Value>> {
        let body = body.as_object()?;
        if !body.get("title").is_some_and(Value::is_string)
            || body.keys().any(|key| !PROPERTIES.contains(&key.as_str()))
        {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut todo = Map::with_capacity(body.len() + 1);
        todo.insert("id".to_owned(), Value::from(id));
        for property in PROPERTIES {
            if let Some(value) = body.get(property).filter(|value| !value.is_null()) {
                todo.insert(property.to_owned(), value.clone());
            }
        }
        self.todos.insert(id, todo.clone());
        Some(todo)
    }

    /// The todo with this id.
    #[must_use]
    pub fn get(&self, id: i64) -> Option<&Map<String, Value>> {
        self.todos.get(&id)
    }

    /// The first `limit` todos by id (all of them without a limit).
    #[must_use]
    pub fn first(&self, limit: Option<usize>) -> Vec<&Map<String, Value>> {
        (1..self.next_id)
            .filter_map(|id| self.todos.get(&id))
            .take(limit.unwrap_or(usize::MAX))
            .collect()
    }

    /// How many todos there are.
    #[must_use]
    pub fn count(&self) -> usize {
        self.todos.len()
    }
}

/// The shared store, as the handlers receive it.
type Shared = std::sync::Arc<RwLock<Store>>;

/// A LoopBack-shaped error body, as Portico answers it.
fn error(status: StatusCode, name: &str, code: &str, message: &str) -> Response {
    let body = json!({"error": {
        "statusCode": status.as_u16(), "name": name, "message": message, "code": code,
    }});
    (status, Json(body)).into_response()
}

/// `GET /ping`: a greeting, which the benchmark waits for before it seeds (the apps' ping
/// answers more: the date, the URL and the headers; it is not measured).
#[handler]
fn ping() -> Json<Value> {
    Json(json!({"greeting": "Hello from bare poem"}))
}

/// `GET /todos/{id}`: the todo, or 404 as Portico answers it.
#[handler]
fn find_by_id(Path(id): Path<String>, Data(store): Data<&Shared>) -> Response {
    let store = store.read().unwrap_or_else(PoisonError::into_inner);
    match id.parse().ok().and_then(|id| store.get(id)) {
        Some(todo) => Json(todo).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "Error",
            "ENTITY_NOT_FOUND",
            &format!("Entity not found: Todo with id {id}"),
        ),
    }
}

/// `GET /todos`: the todos by id, the first `filter[limit]` of them when it is given.
#[handler]
fn find(Query(query): Query<HashMap<String, String>>, Data(store): Data<&Shared>) -> Response {
    let limit = match query.get("filter[limit]").map(|limit| limit.parse()) {
        None => None,
        Some(Ok(limit)) => Some(limit),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequestError",
                "INVALID_PARAMETER_VALUE",
                "Invalid data for parameter \"filter\": limit must be a non-negative integer",
            );
        }
    };
    let store = store.read().unwrap_or_else(PoisonError::into_inner);
    Json(store.first(limit)).into_response()
}

/// `GET /todos/count`: `{"count": N}`.
#[handler]
fn count(Data(store): Data<&Shared>) -> Json<Value> {
    let store = store.read().unwrap_or_else(PoisonError::into_inner);
    Json(json!({"count": store.count()}))
}

/// `POST /todos`: creates a todo and answers it with its id, 200 as LoopBack and Portico do;
/// 422 for a body that is not a todo.
#[handler]
fn create(body: Json<Value>, Data(store): Data<&Shared>) -> Response {
    let created = store
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .create(&body);
    match created {
        Some(todo) => Json(todo).into_response(),
        None => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UnprocessableEntityError",
            "VALIDATION_FAILED",
            "The request body is invalid. See error object `details` property for more info.",
        ),
    }
}

/// The routes, over an empty store.
pub fn app() -> impl poem::Endpoint<Output = Response> {
    let store: Shared = std::sync::Arc::new(RwLock::new(Store::new()));
    Route::new()
        .at("/ping", get(ping))
        .at("/todos", get(find).post(create))
        .at("/todos/count", get(count))
        .at("/todos/:id", get(find_by_id))
        .data(store)
        .map_to_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_with_dense_ids_and_answers_first_by_id() {
        let mut store = Store::new();
        let first = store
            .create(&json!({"title": "a", "isComplete": false}))
            .unwrap();
        assert_eq!(
            Value::Object(first),
            json!({"id": 1, "title": "a", "isComplete": false})
        );
        store.create(&json!({"desc": "d", "title": "b"})).unwrap();
        assert_eq!(store.count(), 2);
        assert_eq!(store.get(2).unwrap()["desc"], "d");
        // Properties come out in the model's order, `id` first, whatever the body's order.
        let keys: Vec<_> = store.get(2).unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "title", "desc"]);
        let ids: Vec<_> = store
            .first(Some(1))
            .iter()
            .map(|t| t["id"].clone())
            .collect();
        assert_eq!(ids, [json!(1)]);
        assert_eq!(store.first(None).len(), 2);
    }

    #[test]
    fn refuses_what_is_not_a_todo() {
        let mut store = Store::new();
        assert!(store.create(&json!([])).is_none());
        assert!(store.create(&json!({"desc": "no title"})).is_none());
        assert!(store.create(&json!({"title": 1})).is_none());
        assert!(store.create(&json!({"title": "a", "id": 5})).is_none());
        assert!(store.create(&json!({"title": "a", "unknown": 5})).is_none());
        assert_eq!(store.count(), 0);
    }

    /// Calls `app` and answers the status and the body as JSON.
    async fn call(
        app: &impl poem::Endpoint<Output = Response>,
        request: poem::Request,
    ) -> (StatusCode, Value) {
        let response = app.call(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().into_vec().await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// A request with a JSON body.
    fn post(uri: &str, body: &Value) -> poem::Request {
        poem::Request::builder()
            .method(poem::http::Method::POST)
            .uri(poem::http::Uri::try_from(uri).unwrap())
            .content_type("application/json")
            .body(body.to_string())
    }

    /// A `GET` request.
    fn get(uri: &str) -> poem::Request {
        poem::Request::builder()
            .uri(poem::http::Uri::try_from(uri).unwrap())
            .finish()
    }

    #[tokio::test]
    async fn serves_the_routes() {
        let app = app();
        assert_eq!(call(&app, get("/ping")).await.0, StatusCode::OK);
        assert_eq!(
            call(&app, post("/todos", &json!({"title": "x"}))).await,
            (StatusCode::OK, json!({"id": 1, "title": "x"}))
        );
        call(&app, post("/todos", &json!({"title": "y"}))).await;
        assert_eq!(
            call(&app, get("/todos/2")).await,
            (StatusCode::OK, json!({"id": 2, "title": "y"}))
        );
        assert_eq!(call(&app, get("/todos/3")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(&app, get("/todos/x")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            call(&app, get("/todos/count")).await,
            (StatusCode::OK, json!({"count": 2}))
        );
        assert_eq!(
            call(&app, get("/todos?filter%5Blimit%5D=1")).await,
            (StatusCode::OK, json!([{"id": 1, "title": "x"}]))
        );
        assert_eq!(
            call(&app, get("/todos?filter%5Blimit%5D=-1")).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            call(&app, post("/todos", &json!({"desc": "no title"})))
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
