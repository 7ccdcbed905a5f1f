//! The backend `DATABASE_URL` names, connected, and the models an app migrates on it.

use std::sync::Arc;

use portico_domain::{Error, ModelDef};
use portico_ports::{PoolStats, Store};

use crate::settings::{ConfigError, Settings};

/// The backend a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `memory:` — the in-memory store (nothing persists); feature `memory`.
    Memory,
    /// `sqlite:` — SQLite; feature `sqlite`.
    Sqlite,
    /// `postgres:`, `postgresql:` — PostgreSQL; feature `postgres`.
    Postgres,
    /// `mysql:`, `mariadb:` — MySQL or MariaDB; feature `mysql`.
    MySql,
    /// `mongodb:`, `mongodb+srv:` — MongoDB; feature `mongodb`.
    Mongo,
}

impl Backend {
    /// The backend for this URL, whether or not its feature is on.
    ///
    /// # Errors
    /// [`ConfigError`] for `DATABASE_URL` when the scheme is unknown.
    pub fn of(url: &str) -> Result<Backend, ConfigError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "memory" => Ok(Backend::Memory),
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            "mongodb" | "mongodb+srv" => Ok(Backend::Mongo),
            _ => Err(ConfigError {
                variable: "DATABASE_URL",
                message: format!(
                    "unknown scheme {scheme:?} (use sqlite://, postgres://, mysql://, mongodb:// or memory:)"
                ),
            }),
        }
    }

    /// The cargo feature of `portico-server` that serves this backend.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
            Backend::Mongo => "mongodb",
        }
    }

    /// Whether this build serves the backend.
    pub fn is_enabled(self) -> bool {
        match self {
            Backend::Memory => cfg!(feature = "memory"),
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::MySql => cfg!(feature = "mysql"),
            Backend::Mongo => cfg!(feature = "mongodb"),
        }
    }
}

/// A connected backend: what [`connect`] returns.
#[derive(Clone)]
pub struct Database {
    /// The store, for repositories.
    pub store: Arc<dyn Store>,
    /// Which backend it is.
    pub backend: Backend,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// A database over a store of the app's own making.
    pub fn new(store: Arc<dyn Store>, backend: Backend) -> Self {
        Database { store, backend }
    }

    /// The store's connection pool now (`Store::pool_stats`); `None` without a pool.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        self.store.pool_stats()
    }
}

/// True when a `mongodb://` URL names no database in its path.
#[cfg_attr(not(feature = "mongodb"), allow(dead_code))]
pub(crate) fn mongo_url_lacks_database(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let without_query = after_scheme.split('?').next().unwrap_or_default();
    without_query
        .split_once('/')
        .is_none_or(|(_, database)| database.is_empty())
}

fn feature_off(backend: Backend) -> Error {
    Error::Unsupported(format!(
        "DATABASE_URL names {backend:?}, but the `{}` feature of portico-server is off",
        backend.feature()
    ))
}

/// Connects to the backend `settings.database_url` names, sized and bounded by
/// `settings.database` (the SQL pool's size and acquire timeout, MongoDB's server selection
/// timeout), without migrating anything. An SQLite file is created when missing; a `mongodb://`
/// URL without a database uses `settings.mongo_database`, and MongoDB is pinged once, so an
/// unreachable server fails here rather than on the first request.
///
/// # Errors
/// `Unsupported` for an unknown scheme or a backend whose feature is off; what connecting
/// returns otherwise: `Unavailable` when the server cannot be reached, `Backend` for a
/// malformed URL.
pub async fn connect(settings: &Settings) -> Result<Database, Error> {
    let url = settings.database_url.as_str();
    let backend = Backend::of(url).map_err(|e| Error::Unsupported(e.to_string()))?;
    if !backend.is_enabled() {
        return Err(feature_off(backend));
    }
    match backend {
        Backend::Memory => connect_memory(),
        Backend::Sqlite | Backend::Postgres | Backend::MySql => {
            connect_sql(settings, backend).await
        }
        Backend::Mongo => connect_mongo(settings).await,
    }
}

#[cfg(feature = "memory")]
fn connect_memory() -> Result<Database, Error> {
    Ok(Database::new(
        Arc::new(portico_memory::MemoryStore::new()),
        Backend::Memory,
    ))
}

#[cfg(not(feature = "memory"))]
fn connect_memory() -> Result<Database, Error> {
    Err(feature_off(Backend::Memory))
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
async fn connect_sql(settings: &Settings, backend: Backend) -> Result<Database, Error> {
    let mut options = portico_sql::SqlOptions::default();
    if let Some(n) = settings.database.max_connections {
        options = options.max_connections(n);
    }
    if let Some(timeout) = settings.database.acquire_timeout {
        options = options.acquire_timeout(timeout);
    }
    if settings.database.sqlite_full_sync {
        options = options.sqlite_synchronous(portico_sql::SqliteSynchronous::Full);
    }
    let sql = portico_sql::SqlStore::connect_with(&settings.database_url, options).await?;
    Ok(Database::new(Arc::new(sql), backend))
}

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
async fn connect_sql(_: &Settings, backend: Backend) -> Result<Database, Error> {
    Err(feature_off(backend))
}

#[cfg(feature = "mongodb")]
async fn connect_mongo(settings: &Settings) -> Result<Database, Error> {
    let url = settings.database_url.as_str();
    let mut config = portico_mongo::MongoConfig::new(url);
    if let Some(timeout) = settings.database.acquire_timeout {
        config = config.server_selection_timeout(timeout);
    }
    if mongo_url_lacks_database(url) {
        config = config.database(settings.mongo_database.clone());
    }
    let store = portico_mongo::MongoStore::connect_with(config).await?;
    store.ping().await?;
    Ok(Database::new(Arc::new(store), Backend::Mongo))
}

#[cfg(not(feature = "mongodb"))]
async fn connect_mongo(_: &Settings) -> Result<Database, Error> {
    Err(feature_off(Backend::Mongo))
}

/// Migrates `models` on `store` in order (LoopBack's autoupdate: creating tables, columns,
/// collections and indexes as needed, never dropping anything). A model listed twice is
/// migrated once.
///
/// # Errors
/// The first model's error: `Unsupported` for a model the store cannot hold, `Unavailable`
/// when the backend cannot be reached.
pub async fn migrate(store: &dyn Store, models: &[&'static ModelDef]) -> Result<(), Error> {
    let mut done: Vec<&'static ModelDef> = Vec::with_capacity(models.len());
    for &model in models {
        if done.iter().any(|m| std::ptr::eq(*m, model)) {
            continue;
        }
        store.migrate(model).await?;
        done.push(model);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Defaults;

    #[test]
    fn backends_follow_the_scheme() {
        assert_eq!(Backend::of("memory:"), Ok(Backend::Memory));
        assert_eq!(Backend::of("sqlite://todo.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(Backend::of("mysql://root@h/db"), Ok(Backend::MySql));
        assert_eq!(Backend::of("mariadb://root@h/db"), Ok(Backend::MySql));
        assert_eq!(Backend::of("mongodb://h:27017/db"), Ok(Backend::Mongo));
        assert_eq!(Backend::of("mongodb+srv://h/db"), Ok(Backend::Mongo));
        let error = Backend::of("redis://h").unwrap_err();
        assert_eq!(error.variable, "DATABASE_URL");
    }

    #[test]
    fn mongo_database_comes_from_the_path() {
        assert!(mongo_url_lacks_database("mongodb://127.0.0.1:27017"));
        assert!(mongo_url_lacks_database(
            "mongodb://127.0.0.1:27017/?directConnection=true"
        ));
        assert!(!mongo_url_lacks_database("mongodb://127.0.0.1:27017/todo"));
    }

    fn settings(url: &str) -> Settings {
        Settings::from_defaults(&Defaults::new(url))
    }

    #[tokio::test]
    async fn unknown_schemes_and_features_that_are_off_are_unsupported() {
        let Err(Error::Unsupported(message)) = connect(&settings("redis://h")).await else {
            panic!("an unknown scheme connected");
        };
        assert!(message.contains("DATABASE_URL"), "{message}");
        for backend in [
            Backend::Memory,
            Backend::Sqlite,
            Backend::Postgres,
            Backend::MySql,
            Backend::Mongo,
        ] {
            if backend.is_enabled() {
                continue;
            }
            let url = match backend {
                Backend::Memory => "memory:",
                Backend::Sqlite => "sqlite::memory:",
                Backend::Postgres => "postgres://u@127.0.0.1/db",
                Backend::MySql => "mysql://u@127.0.0.1/db",
                Backend::Mongo => "mongodb://127.0.0.1/db",
            };
            let Err(Error::Unsupported(message)) = connect(&settings(url)).await else {
                panic!("{backend:?} connected with its feature off");
            };
            assert!(
                message.contains(&format!("the `{}` feature", backend.feature())),
                "{message}"
            );
        }
    }

    #[cfg(feature = "memory")]
    #[tokio::test]
    async fn memory_connects_without_a_pool() {
        let database = connect(&settings("memory:")).await.unwrap();
        assert_eq!(database.backend, Backend::Memory);
        assert_eq!(database.pool_stats(), None);
        database.store.ping().await.unwrap();
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn sqlite_in_memory_reports_its_one_connection() {
        let database = connect(&settings("sqlite::memory:")).await.unwrap();
        assert_eq!(database.backend, Backend::Sqlite);
        database.store.ping().await.unwrap();
        // The connection returns to the pool in the background: idle or not, it is the one.
        let stats = database.pool_stats().unwrap();
        assert_eq!(stats.size, 1);
        assert!(stats.idle <= 1, "{stats:?}");
    }

    /// Connects to the server `PORTICO_TEST_<KEY>_URL` names (skipped when unset): pinged,
    /// its pool reported, an unreachable one `Unavailable` within the acquire timeout.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    async fn server_connects(key: &str, backend: Backend, unreachable: &str) {
        let Ok(url) = std::env::var(format!("PORTICO_TEST_{key}_URL")) else {
            eprintln!("skipped: PORTICO_TEST_{key}_URL is not set");
            return;
        };
        let mut settings = settings(&url);
        settings.database.max_connections = Some(2);
        let database = connect(&settings).await.unwrap();
        assert_eq!(database.backend, backend);
        database.store.ping().await.unwrap();
        let stats = database.pool_stats().unwrap();
        assert!((1..=2).contains(&stats.size), "{stats:?}");

        let mut down = Settings::from_defaults(&Defaults::new(unreachable));
        down.database.acquire_timeout = Some(std::time::Duration::from_millis(300));
        // The bound guards against a hang; it is no speed requirement.
        let refused = tokio::time::timeout(std::time::Duration::from_secs(60), connect(&down))
            .await
            .expect("connecting to an unreachable server gives up");
        assert!(matches!(refused, Err(Error::Unavailable(_))));
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_connects_and_pings() {
        server_connects(
            "POSTGRES",
            Backend::Postgres,
            "postgres://postgres@127.0.0.1:1/test",
        )
        .await;
    }

    #[cfg(feature = "mysql")]
    #[tokio::test]
    async fn mysql_connects_and_pings() {
        server_connects("MYSQL", Backend::MySql, "mysql://root@127.0.0.1:1/test").await;
    }
}
