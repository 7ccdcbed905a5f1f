//! `portico-todo-jwt`: LoopBack's todo-jwt example as a Portico REST server. `JWT_SECRET`
//! (at least 32 bytes) signs the tokens; without it the server refuses to start, unless
//! `PORTICO_DEVELOPMENT=1` lets it use LoopBack's well-known development secret. The other
//! settings are `portico::server`'s (`HOST`, `PORT`, `DATABASE_URL`…); `portico-todo-jwt
//! openapi` prints the document.

use std::process::ExitCode;

use portico::auth::JwtConfig;

/// mimalloc, as the other apps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match JwtConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("portico-todo-jwt: {error}");
            return ExitCode::from(2);
        }
    };
    if config.used_development_secret() {
        eprintln!(
            "portico-todo-jwt: PORTICO_DEVELOPMENT is set: tokens are signed with LoopBack's well-known development secret; set JWT_SECRET for anything else"
        );
    }
    portico_todo_jwt::app(config).run().await
}
