//! `portico-todo-list`: LoopBack's TodoList example as a Portico REST server. Composition only:
//! read the environment, set up logs, open the store named by `DATABASE_URL`, build the routes,
//! serve until SIGINT or SIGTERM. The settings are the Todo app's (see `portico_todo::Config`);
//! the default database is `sqlite://todo-list.db`.

use std::process::ExitCode;

use portico_todo_list::{
    bind, config_from_env, endpoint, init_logs, open_store_with, redact_url, serve, shutdown_signal,
};

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
    let database = redact_url(&config.database_url);
    let store = match open_store_with(&config.database_url, &config.database).await {
        Ok(store) => store,
        Err(e) => {
            let error = portico_domain::error::error_chain(&e);
            tracing::error!(database = %database, error = %error, "cannot open the database");
            return ExitCode::FAILURE;
        }
    };
    let app = match endpoint(store, &config.http) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the API");
            return ExitCode::FAILURE;
        }
    };
    let (listener, address) = match bind(&config.host, config.port) {
        Ok(bound) => bound,
        Err(e) => {
            tracing::error!(host = %config.host, port = config.port, error = %e, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        url = %format!("http://{address}"),
        explorer = %format!("http://{address}/explorer"),
        database = %database,
        "Server is running"
    );
    match serve(listener, app, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "the server failed");
            ExitCode::FAILURE
        }
    }
}
