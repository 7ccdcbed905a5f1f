//! LoopBack's Todo example (`@loopback/example-todo`) on Portico: the [`Todo`] model, served
//! at `/todos` with LoopBack's eight CRUD routes, its home page at `/` (`public/`), and what
//! every Portico app has (`/ping`, the document, the explorer, health and metrics; see
//! `portico::server`). [`app`] is the whole app: `main` runs it, tests start it.
#![warn(missing_docs)]

mod models;

pub use models::Todo;
use portico::prelude::*;

/// The folder of the home page and its files, LoopBack's `public/`, where the sources are
/// (`PUBLIC_DIR` names another, e.g. where a deployment copies it).
pub const PUBLIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/public");

/// The Todo app: `/todos` over the store `DATABASE_URL` names (default the SQLite file
/// `todo.db`; a `mongodb://` URL without a database uses `todo`), and the home page.
pub fn app() -> App {
    let info = ApiInfo::new("@portico/example-todo", env!("CARGO_PKG_VERSION"))
        .description("LoopBack's Todo example, on Portico");
    App::new(
        info,
        Defaults::new("sqlite://todo.db")
            .mongo_database("todo")
            .public_dir(PUBLIC_DIR),
    )
    .routes(|api, ctx| {
        let todos = ctx.repository::<Todo>()?;
        Ok(api.resource(ctx.resource("/todos", &todos)))
    })
}
