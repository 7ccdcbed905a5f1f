//! # portico-testing
//!
//! A ready store for an integration test, in one call:
//!
//! ```no_run
//! # async fn example() {
//! use portico_testing::{Backend, store};
//!
//! let fresh = match store(Backend::Postgres).await {
//!     Ok(fresh) => fresh,
//!     Err(reason) => return portico_testing::skip(&reason),
//! };
//! let (store, teardown) = fresh.into_parts();
//! // … build repositories over `store`, run the test …
//! if let Some(teardown) = teardown {
//!     teardown.await;
//! }
//! # }
//! ```
//!
//! Each call returns an isolated store: its own PostgreSQL schema, MySQL/MariaDB database,
//! MongoDB database, SQLite or memory instance; the teardown drops it. Servers are resolved once
//! per test binary by [`portico_conformance::services`]: the `PORTICO_TEST_<SERVICE>_URL`
//! variable, else (with the `containers` feature and a Docker engine) one container per
//! service, removed when the test process ends, else [`Unavailable`] with the reason.
//! [`skip`] prints that reason, or fails the test under `PORTICO_REQUIRE_ALL_BACKENDS=1`.
#![warn(missing_docs)]

use std::io::Write;
use std::sync::OnceLock;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mongodb"))]
use std::time::{Duration, Instant};

pub use portico_conformance::services::Service;
use portico_conformance::services::{self, ServiceUrl};
pub use portico_conformance::{Hook, HookedStore, StoreOp, Teardown, TestStore, Unavailable};
use portico_memory::MemoryStore;
#[cfg(feature = "mongodb")]
use portico_mongo::{MongoConfig, MongoStore};
#[cfg(any(feature = "postgres", feature = "mysql"))]
use portico_sql::SqlOptions;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use portico_sql::SqlStore;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::Executor;

/// A backend a test can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The memory store.
    Memory,
    /// SQLite in memory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
    /// MongoDB.
    Mongo,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 5] = [
        Backend::Memory,
        Backend::Sqlite,
        Backend::Postgres,
        Backend::MySql,
        Backend::Mongo,
    ];

    /// The server behind this backend, if it has one.
    pub fn service(self) -> Option<Service> {
        match self {
            Backend::Memory | Backend::Sqlite => None,
            Backend::Postgres => Some(Service::Postgres),
            Backend::MySql => Some(Service::MySql),
            Backend::Mongo => Some(Service::Mongo),
        }
    }

    /// Why this backend cannot be used in this run, if it cannot (resolving its server once).
    pub fn unavailable(self) -> Option<Unavailable> {
        self.service().and_then(|s| server_url(s).err())
    }

    /// The cargo feature of portico-testing that brings it (`memory` always is).
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
            Backend::Mongo => "mongodb",
        }
    }

    /// A short name (`postgres`…).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
            Backend::Mongo => "mongo",
        }
    }
}

/// A fresh, isolated store on `backend`.
///
/// # Errors
/// [`Unavailable`] when the backend's server is neither configured nor startable.
pub async fn store(backend: Backend) -> Result<TestStore, Unavailable> {
    match backend {
        Backend::Memory => Ok(TestStore::new(MemoryStore::new())),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => Ok(TestStore::new(SqlStore::connect("sqlite::memory:").await?)),
        #[cfg(feature = "postgres")]
        Backend::Postgres => postgres(&server_url(Service::Postgres)?).await,
        #[cfg(feature = "mysql")]
        Backend::MySql => mysql(&server_url(Service::MySql)?).await,
        #[cfg(feature = "mongodb")]
        Backend::Mongo => mongo(&server_url(Service::Mongo)?).await,
        #[allow(unreachable_patterns)] // every backend's feature on
        off => Err(Unavailable(format!(
            "the `{}` feature of portico-testing is off",
            off.feature()
        ))),
    }
}

/// Prints why a backend is skipped, or fails when every backend is required
/// (`PORTICO_REQUIRE_ALL_BACKENDS=1`).
///
/// # Panics
/// Under `PORTICO_REQUIRE_ALL_BACKENDS=1`, always.
pub fn skip(reason: &Unavailable) {
    if std::env::var("PORTICO_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1") {
        panic!("a required backend is unavailable: {}", reason.0);
    }
    // Straight to stderr: libtest captures `eprintln!` of passing tests, hiding the reason.
    let _ = writeln!(std::io::stderr(), "skipped: {}", reason.0);
}

/// The URL of a service, resolved once per process.
///
/// # Errors
/// [`Unavailable`] with the reason it could not be resolved.
pub fn server_url(service: Service) -> Result<String, Unavailable> {
    static POSTGRES: OnceLock<Result<ServiceUrl, Unavailable>> = OnceLock::new();
    static MYSQL: OnceLock<Result<ServiceUrl, Unavailable>> = OnceLock::new();
    static MONGO: OnceLock<Result<ServiceUrl, Unavailable>> = OnceLock::new();
    let cell = match service {
        Service::Postgres => &POSTGRES,
        Service::MySql => &MYSQL,
        Service::Mongo => &MONGO,
    };
    // Starting a container blocks on its own runtime, which cannot nest inside the caller's:
    // resolve on a plain thread.
    let resolved = cell.get_or_init(|| {
        std::thread::spawn(move || services::resolve(service))
            .join()
            .unwrap_or_else(|_| Err(Unavailable("resolving the service panicked".into())))
    });
    resolved
        .as_ref()
        .map(|r| r.url.clone())
        .map_err(Clone::clone)
}

#[cfg(any(feature = "postgres", feature = "mysql", feature = "mongodb"))]
fn fresh_name() -> String {
    format!("portico_t_{}", uuid::Uuid::new_v4().simple())
}

/// Retries while a just-started container finishes initialising.
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mongodb"))]
async fn retry<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T, Unavailable> {
    let started = Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if started.elapsed() > Duration::from_secs(30) => {
                return Err(Unavailable(e.to_string()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// A store in a fresh schema on the PostgreSQL server at `url`, dropped by the teardown.
///
/// # Errors
/// [`Unavailable`] when the server cannot be reached.
#[cfg(feature = "postgres")]
pub async fn postgres(url: &str) -> Result<TestStore, Unavailable> {
    let admin = retry(|| {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(url)
    })
    .await?;
    let schema = fresh_name();
    admin
        .execute(format!("CREATE SCHEMA \"{schema}\"").as_str())
        .await?;
    let store = SqlStore::connect_with(
        url,
        SqlOptions::default().namespace(&schema).max_connections(4),
    )
    .await?;
    Ok(TestStore::new(store).with_teardown(async move {
        let _ = admin
            .execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str())
            .await;
        admin.close().await;
    }))
}

/// A store in a fresh database on the MySQL/MariaDB server at `url`, dropped by the teardown.
///
/// # Errors
/// [`Unavailable`] when the server cannot be reached.
#[cfg(feature = "mysql")]
pub async fn mysql(url: &str) -> Result<TestStore, Unavailable> {
    let admin = retry(|| {
        sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(1)
            .connect(url)
    })
    .await?;
    let database = fresh_name();
    admin
        .execute(format!("CREATE DATABASE `{database}` CHARACTER SET utf8mb4").as_str())
        .await?;
    let store = SqlStore::connect_with(
        url,
        SqlOptions::default()
            .namespace(&database)
            .max_connections(4),
    )
    .await?;
    Ok(TestStore::new(store).with_teardown(async move {
        let _ = admin
            .execute(format!("DROP DATABASE `{database}`").as_str())
            .await;
        admin.close().await;
    }))
}

/// A store in a fresh database on the MongoDB server at `url`, dropped by the teardown.
///
/// # Errors
/// [`Unavailable`] when the server cannot be reached.
#[cfg(feature = "mongodb")]
pub async fn mongo(url: &str) -> Result<TestStore, Unavailable> {
    let config = MongoConfig::new(url).database(fresh_name());
    let store = retry(|| {
        let config = config.clone();
        async move {
            let store = MongoStore::connect_with(config).await?;
            store.ping().await.map(|()| store)
        }
    })
    .await?;
    let database = store.database().clone();
    Ok(TestStore::new(store).with_teardown(async move {
        let _ = database.drop().await;
    }))
}
