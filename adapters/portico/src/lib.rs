//! # portico
//!
//! Portico in one dependency, as with sqlx or tokio: declare models, get repositories with
//! LoopBack's filter language, serve them as LoopBack-compatible REST with OpenAPI and the
//! explorer, add endpoints of your own, and run it all with settings from the environment,
//! health checks, metrics and graceful shutdown.
//!
//! ```toml
//! [dependencies]
//! portico = { version = "0.1", features = ["postgres"] }   # default: server + sqlite
//! poem-openapi = "5.1"                                      # for endpoints of your own
//! ```
//!
//! | feature | what it adds |
//! |---|---|
//! | `server` (default) | `portico::server`: `App`, `Component`, settings, health, metrics; implies `rest` |
//! | `rest` | `portico::http`: `RestApi`, `CrudResource`, `RelationResource`, `ApiError`, `Model`, `testing` |
//! | `sqlite` (default), `postgres`, `mysql` | `portico::sql`: the SQL store for that database |
//! | `mongodb` | `portico::mongo`: the MongoDB store |
//!
//! The memory store (`portico::memory`) is always there: the embedded default and what tests
//! swap in. Each crate is re-exported whole under a short name; [`prelude`] has what an app
//! names most. `#[derive(Entity)]` finds the domain through this crate, so no other Portico
//! dependency is needed; its `#[portico(...)]` attributes are documented on the derive
//! (`portico::prelude::Entity`, the derive macro). Repository methods (`find`, `create`,
//! `save`…) are those of the `EntityRepository` trait, in the prelude. poem-openapi's derives
//! need `poem-openapi` as a dependency of your own, and `#[tokio::main]` tokio with the
//! `macros` and `rt-multi-thread` features. Run `cargo doc -p portico` without `--no-deps` to
//! read every re-exported crate. An app's tests call its routes in process with
//! `portico::http::testing` over `App::endpoint`.
#![warn(missing_docs)]

pub use portico_domain as domain;
pub use portico_memory as memory;
pub use portico_ports as ports;

#[cfg(feature = "auth")]
pub use portico_auth as auth;
#[cfg(feature = "rest")]
pub use portico_http as http;
#[cfg(feature = "mongodb")]
pub use portico_mongo as mongo;
#[cfg(feature = "server")]
pub use portico_server as server;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub use portico_sql as sql;

/// `#[async_trait]`, for implementing [`server::Component`] and the ports.
pub use async_trait::async_trait;

/// What an app names most: models, filters, repositories, the REST API and the runtime.
pub mod prelude {
    pub use portico_domain::{
        Decimal, Embedded, Entity, Error, FieldValue, Filter, ModelDef, NaiveDate, PropertyEnum,
    };
    pub use portico_ports::{EntityRepository, Repository, Store};

    #[cfg(feature = "rest")]
    pub use portico_http::{
        Access, ApiError, ApiInfo, Caller, CallerScope, CrudResource, Model, NewModel, Principal,
        RelationResource, RestApi,
    };
    #[cfg(feature = "server")]
    pub use portico_server::{App, Component, Context, Defaults};
}
