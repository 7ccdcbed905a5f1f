//! LoopBack's TodoList example (`@loopback/example-todo-list`) on Portico, as one reusable
//! [`Component`]: [`TodoLists`] brings the models (`models.rs`), LoopBack's CRUD and relation
//! routes (`/todo-lists`, `/todos`, `/todo-lists/{id}/todos`, `/todo-lists/{id}/image`,
//! `/todos/{id}/todo-list`) and two typed operations LoopBack's example lacks:
//! `POST /todo-lists/{id}/complete` and `GET /todo-lists/{id}/stats`. [`app`] is the app that
//! serves it on its own (`main` runs it); any other app mounts it the same way.
#![warn(missing_docs)]

mod models;

pub use models::{Todo, TodoList, TodoListImage};
use poem_openapi::{Object, OpenApi, Tags, param::Path, payload::Json};
use portico::domain::Patch;
use portico::prelude::*;

/// The TodoList feature: mount it in any app (`App::component(TodoLists)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TodoLists;

#[portico::async_trait]
impl Component for TodoLists {
    fn name(&self) -> &str {
        "todo-lists"
    }

    fn mount(&self, api: RestApi, ctx: &Context) -> Result<RestApi, Error> {
        let (lists, todos) = (ctx.repository::<TodoList>()?, ctx.repository::<Todo>()?);
        let api = api
            .resource(ctx.resource("/todo-lists", &lists))
            .resource(ctx.resource("/todos", &todos))
            .relation(ctx.relation("/todo-lists", &lists, "todos"))
            .relation(ctx.relation("/todo-lists", &lists, "image"))
            .relation(ctx.relation("/todos", &todos, "todoList"));
        let api = api.api(TodoListStatistics {
            lists: lists.clone(),
            todos: todos.clone(),
        });
        Ok(if ctx.settings.http.read_only {
            api
        } else {
            api.api(TodoListCompletion { lists, todos })
        })
    }
}

/// The TodoList app: the [`TodoLists`] component over the store `DATABASE_URL` names (default
/// the SQLite file `todo-list.db`; a `mongodb://` URL without a database uses `todo-list`).
pub fn app() -> App {
    let info = ApiInfo::new("@portico/example-todo-list", env!("CARGO_PKG_VERSION"))
        .description("LoopBack's TodoList example, on Portico");
    let defaults = Defaults::new("sqlite://todo-list.db").mongo_database("todo-list");
    App::new(info, defaults).component(TodoLists)
}

/// Groups the operations with the generated ones in the explorer.
#[derive(Tags)]
enum Controllers {
    /// Todo lists.
    TodoListController,
}

/// How many todos an operation changed.
#[derive(Object, Debug, PartialEq)]
pub struct Completed {
    /// The todos marked done (those done already are not counted).
    pub count: u64,
}

/// How far a list is.
#[derive(Object, Debug, PartialEq)]
pub struct TodoListStats {
    /// Its todos.
    pub total: u64,
    /// Those done.
    pub done: u64,
}

/// Reading a todo list beyond CRUD.
struct TodoListStatistics {
    lists: Repository<TodoList>,
    todos: Repository<Todo>,
}

#[OpenApi(tag = "Controllers::TodoListController")]
impl TodoListStatistics {
    /// Counts the list's todos, and those done.
    #[oai(
        path = "/todo-lists/:id/stats",
        method = "get",
        operation_id = "TodoListController.stats"
    )]
    async fn stats(&self, id: Path<i64>) -> Result<Json<TodoListStats>, ApiError> {
        self.lists.find_by_id(id.0, None).await?;
        let f = Todo::FIELDS;
        let total = self.todos.count(Some(f.todo_list_id.eq(id.0))).await?;
        let done_where = f.todo_list_id.eq(id.0).and(f.is_complete.eq(true));
        let done = self.todos.count(Some(done_where)).await?;
        Ok(Json(TodoListStats { total, done }))
    }
}

/// Writing a todo list beyond CRUD (not mounted when the app is read-only).
struct TodoListCompletion {
    lists: Repository<TodoList>,
    todos: Repository<Todo>,
}

#[OpenApi(tag = "Controllers::TodoListController")]
impl TodoListCompletion {
    /// Marks every todo of the list done.
    #[oai(
        path = "/todo-lists/:id/complete",
        method = "post",
        operation_id = "TodoListController.complete"
    )]
    async fn complete(&self, id: Path<i64>) -> Result<Json<Completed>, ApiError> {
        self.lists.find_by_id(id.0, None).await?;
        let f = Todo::FIELDS;
        let pending = f.todo_list_id.eq(id.0).and(f.is_complete.neq(true));
        let patch = Patch::new().set(f.is_complete, true);
        let count = self.todos.update_all(patch, Some(pending)).await?;
        Ok(Json(Completed { count }))
    }
}
