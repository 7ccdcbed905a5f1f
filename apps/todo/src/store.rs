//! The backend `DATABASE_URL` names, connected and migrated.

use std::sync::Arc;

use portico_domain::{Entity, Error};
use portico_ports::Store;

use crate::{ConfigError, DatabaseSettings, Todo};

/// The backend a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `memory:` — the in-memory store (nothing persists).
    Memory,
    /// `sqlite:`, `postgres:`, `postgresql:`, `mysql:`, `mariadb:` — the SQL store.
    Sql,
    /// `mongodb:`, `mongodb+srv:` — the MongoDB store.
    Mongo,
}

impl Backend {
    /// The backend for this URL.
    ///
    /// # Errors
    /// [`ConfigError`] for an unknown scheme.
    pub fn of(url: &str) -> Result<Backend, ConfigError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "memory" => Ok(Backend::Memory),
            "sqlite" | "postgres" | "postgresql" | "mysql" | "mariadb" => Ok(Backend::Sql),
            "mongodb" | "mongodb+srv" => Ok(Backend::Mongo),
            _ => Err(ConfigError {
                variable: "DATABASE_URL",
                message: format!(
                    "unknown scheme {scheme:?} (use sqlite://, postgres://, mysql://, mongodb:// or memory:)"
                ),
            }),
        }
    }
}

/// True when a `mongodb://` URL names no database in its path.
pub(crate) fn mongo_url_lacks_database(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let without_query = after_scheme.split('?').next().unwrap_or_default();
    without_query
        .split_once('/')
        .is_none_or(|(_, database)| database.is_empty())
}

/// Connects to the backend `database_url` names with the default [`DatabaseSettings`] and
/// migrates the Todo model. See [`open_store_with`].
///
/// # Errors
/// As [`open_store_with`].
pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, Error> {
    open_store_with(database_url, &DatabaseSettings::default()).await
}

/// Connects to the backend `database_url` names and migrates the Todo model (creating the
/// SQLite file, tables, collections and indexes as needed; never dropping anything). A
/// `mongodb://` URL without a database uses `todo`. `settings` size the SQL pool and bound how
/// long a request waits for the database (the SQL acquire timeout, MongoDB's server selection).
///
/// # Errors
/// [`ConfigError`] for an unknown scheme (as `Error::Unsupported`), or what connecting and
/// migrating return: `Unavailable` when the server cannot be reached.
pub async fn open_store_with(
    database_url: &str,
    settings: &DatabaseSettings,
) -> Result<Arc<dyn Store>, Error> {
    let store = connect_with(database_url, settings).await?;
    store.migrate(Todo::definition()).await?;
    Ok(store)
}

/// Connects to the backend `database_url` names, as [`open_store_with`], without migrating any
/// model: for apps that compose the same backends with models of their own (the SQLite file is
/// still created when missing).
///
/// # Errors
/// As [`open_store_with`], migration aside.
pub async fn connect_with(
    database_url: &str,
    settings: &DatabaseSettings,
) -> Result<Arc<dyn Store>, Error> {
    let backend = Backend::of(database_url).map_err(|e| Error::Unsupported(e.to_string()))?;
    let store: Arc<dyn Store> = match backend {
        Backend::Memory => Arc::new(portico_memory::MemoryStore::new()),
        Backend::Sql => {
            let mut options = portico_sql::SqlOptions::default();
            if let Some(n) = settings.max_connections {
                options = options.max_connections(n);
            }
            if let Some(timeout) = settings.acquire_timeout {
                options = options.acquire_timeout(timeout);
            }
            Arc::new(portico_sql::SqlStore::connect_with(database_url, options).await?)
        }
        Backend::Mongo => {
            let mut config = portico_mongo::MongoConfig::new(database_url);
            if let Some(timeout) = settings.acquire_timeout {
                config = config.server_selection_timeout(timeout);
            }
            if mongo_url_lacks_database(database_url) {
                config = config.database("todo");
            }
            let store = portico_mongo::MongoStore::connect_with(config).await?;
            store.ping().await?;
            Arc::new(store)
        }
    };
    Ok(store)
}
