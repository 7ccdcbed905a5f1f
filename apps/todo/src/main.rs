//! `portico-todo`: LoopBack's Todo example as a Portico REST server. `portico-todo openapi`
//! prints its document; the settings are `portico::server`'s (`HOST`, `PORT`, `DATABASE_URL`…).

/// mimalloc: a request allocates and frees some 70 blocks, which glibc's malloc made a quarter
/// of the instructions of a `GET /todos/{id}`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    portico_todo::app().run().await
}
