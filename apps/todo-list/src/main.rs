//! `portico-todo-list`: LoopBack's TodoList example as a Portico REST server — the
//! `TodoLists` component in an app of its own, on the SQLite file `todo-list.db` unless
//! `DATABASE_URL` says otherwise. `portico-todo-list openapi` prints its document.

/// mimalloc: a request allocates and frees some 70 blocks, which glibc's malloc made a quarter
/// of the instructions of a `GET /todos/{id}`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    portico_todo_list::app().run().await
}
