//! `portico-todo`: LoopBack's Todo example as a Portico REST server. Composition only: read the
//! environment, set up logs, open the store named by `DATABASE_URL`, build the routes, serve
//! until SIGINT or SIGTERM. See the library docs for each setting.

use std::process::ExitCode;

use portico_todo::{Config, endpoint, init_logs, open_store_with, run};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("portico-todo: {e}");
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
