//! LoopBack's `examples/todo-jwt` on Portico: accounts (`POST /signup`, `POST /users/login` →
//! `{token}`, `GET /whoAmI`; `portico::auth::Accounts`) and the [`Todo`] routes behind JWT
//! bearer tokens — 401 without one — where each user sees, counts, changes and deletes only
//! their own todos (`CrudResource::owned_by`). [`app`] is the whole app; `main` runs it with
//! [`JwtConfig::from_env`] (`JWT_SECRET` is required outside `PORTICO_DEVELOPMENT=1`).
#![warn(missing_docs)]

mod models;

pub use models::Todo;
use portico::auth::{Accounts, JwtConfig, JwtService};
use portico::prelude::*;

/// The todo-jwt app over the store `DATABASE_URL` names (default the SQLite file
/// `todo-jwt.db`; a `mongodb://` URL without a database uses `todo-jwt`), its tokens issued
/// and verified as `jwt` says.
pub fn app(jwt: JwtConfig) -> App {
    app_with(Accounts::new(JwtService::new(jwt)))
}

/// The app with these accounts (e.g. cheaper password hashing or other login limits in
/// tests).
pub fn app_with(accounts: Accounts) -> App {
    let info = ApiInfo::new("@portico/example-todo-jwt", env!("CARGO_PKG_VERSION"))
        .description("LoopBack's todo-jwt example, on Portico: each user's own todos");
    let defaults = Defaults::new("sqlite://todo-jwt.db").mongo_database("todo-jwt");
    App::new(info, defaults)
        .component(accounts)
        .routes(|api, ctx| {
            let todos = ctx.repository::<Todo>()?;
            Ok(api.resource(ctx.resource("/todos", &todos).owned_by("ownerId")))
        })
}
