//! `portico-todo`: LoopBack's Todo example as a Portico REST server. `portico-todo openapi`
//! prints its document; the settings are `portico::server`'s (`HOST`, `PORT`, `DATABASE_URL`…).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    portico_todo::app().run().await
}
