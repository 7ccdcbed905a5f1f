//! Connecting: the pool of each backend, opened with the store's settings, and what is
//! learned from the server once at start-up (MySQL or MariaDB; PostgreSQL's encoding and
//! character type, which decide the text operators it can honour).

use portico_domain::{Capabilities, Error, ModelDef, Result};
use sqlx::Row;

use super::{Access, SqlStore};
use crate::conn::on_conn;
use crate::dialect::{Dialect, MySqlFlavor};
use crate::error;
use crate::options::SqlOptions;
#[cfg(feature = "sqlite")]
use crate::options::SqliteSynchronous;

/// The pool of the backend a store speaks to.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePools),
}

/// SQLite's connections: a file has readers and one writer, so writes queue in the pool
/// rather than fight for the file's lock; a database in memory is one connection for both.
#[cfg(feature = "sqlite")]
#[derive(Debug, Clone)]
pub(crate) struct SqlitePools {
    pub(crate) readers: sqlx::SqlitePool,
    /// A file's writing side; `None` in memory, where `readers` writes too.
    pub(crate) file: Option<FileWriter>,
}

/// A SQLite file's writing connection, and the queue of single-row inserts joined on it.
#[cfg(feature = "sqlite")]
#[derive(Debug, Clone)]
pub(crate) struct FileWriter {
    pub(crate) pool: sqlx::SqlitePool,
    pub(crate) group: super::group::GroupInserts,
}

#[cfg(feature = "sqlite")]
impl SqlitePools {
    /// The pool whose connections may write.
    pub(crate) fn writer(&self) -> &sqlx::SqlitePool {
        self.file.as_ref().map_or(&self.readers, |file| &file.pool)
    }
}

/// A malformed URL or option is the caller's (`Backend`, with the cause); anything else on
/// connecting means the server cannot be reached (`Unavailable`).
fn connect_error(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Configuration(source) => Error::Backend(source),
        other => Error::unavailable(other),
    }
}

impl SqlStore {
    /// Connects with default options.
    ///
    /// # Errors
    /// `Unavailable` when the server cannot be reached, `Backend` for a malformed URL,
    /// `Unsupported` for a scheme whose feature is off.
    pub async fn connect(url: &str) -> Result<SqlStore> {
        SqlStore::connect_with(url, SqlOptions::default()).await
    }

    /// Connects with these options.
    ///
    /// # Errors
    /// As [`SqlStore::connect`].
    pub async fn connect_with(url: &str, options: SqlOptions) -> Result<SqlStore> {
        let scheme = url.split(':').next().unwrap_or_default();
        let (pool, dialect) = match scheme {
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => (
                Pool::Postgres(connect_postgres(url, &options).await?),
                Dialect::Postgres,
            ),
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => (
                Pool::MySql(connect_mysql(url, &options).await?),
                Dialect::MySql,
            ),
            #[cfg(feature = "sqlite")]
            "sqlite" => (
                Pool::Sqlite(connect_sqlite(url, &options).await?),
                Dialect::Sqlite,
            ),
            other => {
                return Err(Error::Unsupported(format!(
                    "no SQL backend for '{other}:' URLs in this build (features: postgres, mysql, sqlite)"
                )));
            }
        };
        let mut store = SqlStore {
            pool,
            dialect,
            flavor: None,
            capabilities: Capabilities::all_operators(),
            tx: None,
        };
        store.capabilities.transactions = true;
        if dialect == Dialect::MySql {
            store.flavor = Some(store.detect_mysql_flavor().await?);
        }
        if dialect == Dialect::Postgres {
            store.check_postgres_locale().await?;
        }
        Ok(store)
    }

    /// PostgreSQL's text semantics follow the database's encoding and character type: without
    /// UTF-8, `_` in a LIKE pattern matches a byte rather than a character; with the `C`
    /// character type, `ILIKE` and `~*` fold only ASCII. The first is refused; under the second
    /// `ilike` and `regexp` are declared unsupported rather than answered differently.
    async fn check_postgres_locale(&mut self) -> Result<()> {
        let model = ModelDef::new("settings");
        let (encoding, ctype): (String, String) = on_conn!(self.conn(&model, Access::Read).await?, c => {
            let row = sqlx::query("SELECT current_setting('server_encoding'), current_setting('lc_ctype')")
                .fetch_one(&mut *c)
                .await
                .map_err(|e| error::map(e, &model))?;
            (row.try_get_unchecked(0).map_err(Error::backend)?, row.try_get_unchecked(1).map_err(Error::backend)?)
        });
        if encoding != "UTF8" {
            return Err(Error::Unsupported(format!(
                "the PostgreSQL database uses the {encoding} encoding; Portico needs UTF8"
            )));
        }
        if matches!(ctype.as_str(), "C" | "POSIX") {
            self.capabilities.ilike = false;
            self.capabilities.regexp = false;
        }
        Ok(())
    }

    /// Asks the server whether it is MySQL or MariaDB, whose DDL differs.
    async fn detect_mysql_flavor(&self) -> Result<MySqlFlavor> {
        let model = ModelDef::new("version");
        let version: String = on_conn!(self.conn(&model, Access::Read).await?, c => {
            let row = sqlx::query("SELECT VERSION()").fetch_one(&mut *c).await.map_err(|e| error::map(e, &model))?;
            row.try_get_unchecked::<String, _>(0).map_err(Error::backend)?
        });
        Ok(if version.contains("MariaDB") {
            MySqlFlavor::MariaDb
        } else {
            MySqlFlavor::MySql
        })
    }
}

#[cfg(feature = "postgres")]
async fn connect_postgres(url: &str, options: &SqlOptions) -> Result<sqlx::PgPool> {
    use std::str::FromStr;
    let mut connect = sqlx::postgres::PgConnectOptions::from_str(url).map_err(connect_error)?;
    if let Some(schema) = &options.namespace {
        connect = connect.options([("search_path", schema.as_str())]);
    }
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(connect_error)
}

#[cfg(feature = "mysql")]
async fn connect_mysql(url: &str, options: &SqlOptions) -> Result<sqlx::MySqlPool> {
    use std::str::FromStr;
    let mut connect = sqlx::mysql::MySqlConnectOptions::from_str(url)
        .map_err(connect_error)?
        .charset("utf8mb4");
    if let Some(database) = &options.namespace {
        connect = connect.database(database);
    }
    sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(connect_error)
}

#[cfg(feature = "sqlite")]
async fn connect_sqlite(url: &str, options: &SqlOptions) -> Result<SqlitePools> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::str::FromStr;
    let connect = SqliteConnectOptions::from_str(url)
        .map_err(connect_error)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(options.acquire_timeout)
        .with_regexp();
    let pool = SqlitePoolOptions::new().acquire_timeout(options.acquire_timeout);
    if url.contains(":memory:") || url.contains("mode=memory") {
        // Every connection to `:memory:` is its own database: keep exactly one, forever.
        let readers = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(connect)
            .await
            .map_err(connect_error)?;
        return Ok(SqlitePools {
            readers,
            file: None,
        });
    }
    // WAL: readers never block the writer nor it them, and a commit appends to the log.
    // SQLite lets one connection write at a time: the others would wait on the file lock and
    // retry (or fail with SQLITE_BUSY), so writes queue for one connection of their own.
    let connect = connect.journal_mode(SqliteJournalMode::Wal).synchronous(
        match options.sqlite_synchronous {
            SqliteSynchronous::Normal => sqlx::sqlite::SqliteSynchronous::Normal,
            SqliteSynchronous::Full => sqlx::sqlite::SqliteSynchronous::Full,
        },
    );
    // The writer connects first: switching the file to WAL takes a lock readers would hold.
    let writer = pool
        .clone()
        .max_connections(1)
        .connect_with(connect.clone())
        .await
        .map_err(connect_error)?;
    let readers = pool
        .max_connections(options.max_connections)
        .connect_with(connect.pragma("query_only", "ON"))
        .await
        .map_err(connect_error)?;
    Ok(SqlitePools {
        readers,
        file: Some(FileWriter {
            group: super::group::GroupInserts::start(writer.clone()),
            pool: writer,
        }),
    })
}
