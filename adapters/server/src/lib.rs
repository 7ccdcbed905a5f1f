//! # portico-server
//!
//! What every Portico app needs at run time, so that its `main` only composes: settings from
//! the environment, the store `DATABASE_URL` names (connected, metered, migrated), logs,
//! LoopBack's `GET /ping`, health probes in the shape of `@loopback/health`, Prometheus
//! metrics, graceful serving — and [`App`] and [`Component`] to put them together.
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! use portico_domain::Entity;
//! use portico_http::ApiInfo;
//! use portico_server::{App, Defaults};
//!
//! #[derive(Entity, Clone, Debug)]
//! struct Todo {
//!     #[portico(id, generated)]
//!     id: Option<i64>,
//!     title: String,
//! }
//!
//! #[tokio::main]
//! async fn main() -> ExitCode {
//!     App::new(
//!         ApiInfo::new("todo", "1.0.0"),
//!         Defaults::new("sqlite://todo.db").mongo_database("todo"),
//!     )
//!     .model::<Todo>()
//!     .routes(|api, ctx| Ok(api.resource(ctx.resource("/todos", &ctx.repository::<Todo>()?))))
//!     .run()
//!     .await
//! }
//! ```
//!
//! [`App::run`] is the whole `main`: `app` serves, `app openapi` prints the OpenAPI document,
//! `app --help` tells the settings. Tests start the same app with [`App::start`] on port 0 and
//! stop it with [`Running::stop`]. Reusable parts (models with their routes, health checks,
//! start and stop hooks) are [`Component`]s, added with [`App::component`]: they mount in the
//! order added, start in that order before the app listens, and stop in reverse after it has
//! drained. There is no binding context: components are values, and what they need they get
//! from the [`Context`] (the store and the settings).
//!
//! ## Settings
//!
//! [`Settings::from_env`] reads these variables; an empty one counts as unset. The app chooses
//! the defaults marked *app* through [`Defaults`].
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `HOST` | the address to listen on (`0.0.0.0` for every interface) | *app*, `127.0.0.1` |
//! | `PORT` | the port (`0` picks a free one) | *app*, `3000` |
//! | `DATABASE_URL` | `memory:`, `sqlite://file.db`, `sqlite::memory:`, `postgres://…`, `mysql://…` / `mariadb://…`, `mongodb://…/db` | *app* |
//! | `DATABASE_ACQUIRE_TIMEOUT_MS` | how long a request waits for a connection before 503: the SQL pool's acquire timeout, MongoDB's server selection timeout | 5000 |
//! | `DATABASE_MAX_CONNECTIONS` | the SQL pool's size (a SQLite file reads on these and writes on one more) | 10 |
//! | `SQLITE_SYNCHRONOUS` | `normal`: a SQLite file's commits do not wait for the disk (a power loss may undo the last ones, a crash of the app loses none); `full`: each commit waits for it | `normal` |
//! | `CORS_ORIGINS` | `*` (any origin), `none`, or a comma-separated list of origins | `*` |
//! | `MAX_PAGE_SIZE` | the most records one list request returns | 1000 |
//! | `BODY_LIMIT` | the largest request body, in bytes | 1048576 |
//! | `READ_ONLY` | `true` serves only the reading routes | `false` |
//! | `PUBLIC_DIR` | a folder of static files served for `GET` paths no route serves, its `index.html` the home page at `/` | *app*, none |
//! | `PROHIBITED_KEYS` | keys refused in `filter`, `where` and bodies beside `__proto__` and `constructor.prototype` (LoopBack's `validation.prohibitedKeys`), comma-separated | none |
//! | `LOG_FORMAT` | `text` or `json` (lines on stderr; colours only on a terminal) | `text` |
//! | `RUST_LOG` | the log filter | `info` |
//! | `SHUTDOWN_GRACE_MS` | how long in-flight requests may take to finish after SIGINT/SIGTERM | 10000 |
//! | `SHUTDOWN_DELAY_MS` | how long to keep accepting (with `/ready` answering 503) before draining | 0 |
//!
//! A `mongodb://` URL that names no database uses [`Defaults::mongo_database`] (`portico`).
//! An invalid value or an unknown `DATABASE_URL` scheme is a [`ConfigError`] naming the
//! variable, and [`App::run`] exits with code 2.
//!
//! ## Features
//!
//! | feature | backend | URLs |
//! |---|---|---|
//! | `memory` (default) | the in-memory store, `portico-memory` | `memory:` |
//! | `sqlite` | `portico-sql` with SQLite (bundled) | `sqlite://file.db`, `sqlite::memory:` |
//! | `postgres` | `portico-sql` with PostgreSQL | `postgres://`, `postgresql://` |
//! | `mysql` | `portico-sql` with MySQL 8 / MariaDB | `mysql://`, `mariadb://` |
//! | `mongodb` | `portico-mongo` | `mongodb://`, `mongodb+srv://` |
//!
//! A URL whose backend's feature is off fails [`connect`] with `Unsupported` ("… the
//! `postgres` feature of portico-server is off").
//!
//! ## Routes
//!
//! Beside the app's own, [`App`] serves:
//!
//! | route | documented | answer |
//! |---|---|---|
//! | `GET /ping` | yes | LoopBack's ping: greeting `Hello from Portico`, date, URL, headers |
//! | `GET /health` | no | every health check |
//! | `GET /live` | no | the liveness checks |
//! | `GET /ready` | no | the readiness checks (the store's [`StoreCheck`], named `database`) |
//! | `GET /metrics` | no | Prometheus text format (`text/plain; version=0.0.4`) |
//!
//! Probe bodies are `{"status":"UP","checks":[{"name":"database","state":"UP","data":{"reason":""}}]}`.
//! Up → 200; a check down → 503 on `/health` and `/ready`, 500 on `/live`; while starting or
//! stopping every probe answers 503 with `"status":"STARTING"` or `"STOPPING"` — stopping
//! begins as soon as a shutdown signal arrives.
//!
//! ## Metrics
//!
//! The [`metrics`](::metrics) facade's recorder is Prometheus' ([`metrics::install`], once per
//! process). Names:
//!
//! | metric | type | labels | recorded by |
//! |---|---|---|---|
//! | `http_requests_total` | counter | `method`, `path`, `status` | the HTTP adapter |
//! | `http_request_duration_seconds` | histogram (5 ms – 10 s) | `method`, `path`, `status` | the HTTP adapter |
//! | `http_requests_in_flight` | gauge | | the HTTP adapter |
//! | `portico_store_operation_duration_seconds` | histogram (0.5 ms – 5 s) | `model`, `operation`, `outcome` | [`MeteredStore`] |
//! | `portico_db_pool_connections` | gauge | `state` (`idle`, `in_use`) | `/metrics`, from the SQL pool |
//!
//! ## Modules
//!
//! [`settings`](Settings) · [`store`](connect) · [`logs`](init_logs) · [`serve`] ·
//! [`health`](Health) · [`metrics`] · [`MeteredStore`] · [`ping`] · [`Component`] · [`App`].
#![warn(missing_docs)]

mod app;
mod component;
mod health;
mod logs;
mod metered;
pub mod metrics;
mod ping;
mod serve;
mod settings;
mod store;

pub use app::{App, Running, StartError};
pub use component::{Component, Context};
pub use health::{CheckKind, Health, HealthCheck, Lifecycle, Probe, StoreCheck, check_fn};
pub use logs::{init_logs, redact_url};
pub use metered::MeteredStore;
pub use ping::{GREETING, ping, ping_endpoint, ping_path_item};
#[doc(no_inline)]
pub use portico_ports::PoolStats;
pub use serve::{bind, serve, shutdown_signal};
pub use settings::{
    ConfigError, DEFAULT_SHUTDOWN_GRACE, DatabaseSettings, Defaults, HttpSettings, LogFormat,
    Settings, VARIABLES,
};
pub use store::{Backend, Database, connect, migrate};
