//! `portico-todo-list`: LoopBack's TodoList example as a Portico REST server. Composition only:
//! read the environment, set up logs, open the store named by `DATABASE_URL`, build the routes,
//! serve until SIGINT or SIGTERM. The settings are the Todo app's (see `portico_todo::Config`);
//! the default database is `sqlite://todo-list.db`.

use std::process::ExitCode;

use portico_todo_list::{config_from_env, endpoint, init_logs, open_store_with, run};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match config_from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("portico-todo-list: {e}");
            return ExitCode::from(2);
        }
    };
    init_logs(config.log_format);
    run(
        &config,
        open_store_with(&config.database_url, &config.database),
        endpoint,
    )
    .await
}
