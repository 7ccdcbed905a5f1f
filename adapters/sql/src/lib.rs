//! # portico-sql
//!
//! Portico's [`Store`] on SQL databases through [sqlx](https://docs.rs/sqlx) 0.8: PostgreSQL,
//! MySQL/MariaDB and SQLite, with the filter semantics of `portico_domain::filter` — not each
//! database's defaults — and schema migration from model metadata.
//!
//! ## Features
//!
//! | feature | URL | notes |
//! |---|---|---|
//! | `postgres` | `postgres://user@host/db` | strings compared in the `"C"` collation; `inq` as `= ANY($1)` |
//! | `mysql` | `mysql://root@host/db` | MySQL 8 and MariaDB; binary, no-pad string collation |
//! | `sqlite` | `sqlite://file.db`, `sqlite::memory:` | bundled SQLite; `like`/`ilike`/`regexp` through Rust's `regex` |
//!
//! No feature is on by default; enable the backends you use.
//!
//! ## Connecting
//!
//! ```no_run
//! # async fn run() -> portico_domain::Result<()> {
//! use std::time::Duration;
//! use portico_sql::{SqlOptions, SqlStore};
//!
//! let store = SqlStore::connect_with(
//!     "postgres://postgres@127.0.0.1/test",
//!     SqlOptions::default().max_connections(20).acquire_timeout(Duration::from_secs(2)),
//! )
//! .await?;
//! # Ok(()) }
//! ```
//!
//! A server that cannot be reached, or a pool that stays exhausted past the acquire timeout,
//! gives `Error::Unavailable`. `SqlOptions::namespace` isolates a store in a PostgreSQL schema
//! or a MySQL database (tests use one per case).
//!
//! ## Types
//!
//! | property | PostgreSQL | MySQL/MariaDB | SQLite |
//! |---|---|---|---|
//! | string | `TEXT` | `LONGTEXT` (`VARCHAR(n)` when indexed), binary no-pad collation | `TEXT` |
//! | integer | `BIGINT` | `BIGINT` | `INTEGER` |
//! | number | `DOUBLE PRECISION` | `DOUBLE` | `REAL` |
//! | boolean | `BOOLEAN` | `BOOLEAN` | `INTEGER` |
//! | date-time | `TIMESTAMPTZ(3)` | `DATETIME(3)`, UTC | `TEXT`, `2024-05-01T10:00:00.000Z` |
//! | uuid | `UUID` | `CHAR(36)` | `TEXT` |
//! | any, array | `JSONB` | `JSON` | `TEXT` (JSON) |
//!
//! A store-generated integer id is an identity / `AUTO_INCREMENT` / `AUTOINCREMENT` column, so
//! ids start at 1 and are never reused. Column and table names come from the metadata
//! (`column = "…"`, `table = "…"`).
//!
//! ## Migration
//!
//! [`Store::migrate`] is LoopBack's autoupdate: it creates missing tables, adds missing columns
//! (nullable, so existing rows stay valid) and creates indexes and unique indexes. It is
//! idempotent and never drops anything; [`SqlStore::rebuild`] drops and recreates a table, when
//! asked.
//!
//! ## Errors
//!
//! By kind: a unique violation is `Conflict` (naming the unique property when the database
//! says which index), a not-null or check violation `Validation`, an unreachable server or a
//! pool timeout `Unavailable`, anything else `Backend`. No SQL text, parameter or credential is
//! in a message.
//!
//! ## Performance
//!
//! The SQL text depends only on the filter's shape and every value is bound, so sqlx's
//! prepared-statement cache is reused. `benches/repository_vs_sqlx.rs` times the repository
//! against hand-written sqlx doing the same work; see its docs for the command and results.
#![warn(missing_docs)]

mod args;
mod build;
mod dialect;
mod error;
mod migrate;
mod rows;

use std::time::Duration;

use async_trait::async_trait;
use portico_domain::{
    Capabilities, Checked, Error, Filter, IdStrategy, ModelDef, Record, Result, Value, Where,
};
use portico_ports::Store;
use rows::{BindArg, ReadValue};
use sqlx::Row;

pub use dialect::Dialect;
use dialect::MySqlFlavor;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    max_connections: u32,
    acquire_timeout: Duration,
    namespace: Option<String>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            namespace: None,
        }
    }
}

impl SqlOptions {
    /// The most connections the pool opens (default 10; SQLite in memory always uses 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long to wait for a connection before failing with `Unavailable` (default 5 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Works inside this PostgreSQL schema (`search_path`) or MySQL database, which must exist.
    /// Ignored by SQLite.
    pub fn namespace(mut self, name: impl Into<String>) -> Self {
        self.namespace = Some(name.into());
        self
    }
}

#[derive(Debug, Clone)]
enum Pool {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

/// Runs the same code on whichever pool the store has; `$pool` is bound to it.
macro_rules! on_pool {
    ($self:expr, $pool:ident => $body:expr) => {
        match &$self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres($pool) => $body,
            #[cfg(feature = "mysql")]
            Pool::MySql($pool) => $body,
            #[cfg(feature = "sqlite")]
            Pool::Sqlite($pool) => $body,
        }
    };
}

/// A [`Store`] on PostgreSQL, MySQL/MariaDB or SQLite.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    dialect: Dialect,
    flavor: Option<MySqlFlavor>,
    capabilities: Capabilities,
}

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
        };
        store.capabilities.free_form_properties = false;
        store.capabilities.transactions = false;
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
        let (encoding, ctype): (String, String) = on_pool!(self, pool => {
            let row = sqlx::query("SELECT current_setting('server_encoding'), current_setting('lc_ctype')")
                .fetch_one(pool)
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

    /// The dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn detect_mysql_flavor(&self) -> Result<MySqlFlavor> {
        let model = ModelDef::new("version");
        let version: String = on_pool!(self, pool => {
            let row = sqlx::query("SELECT VERSION()").fetch_one(pool).await.map_err(|e| error::map(e, &model))?;
            row.try_get_unchecked::<String, _>(0).map_err(Error::backend)?
        });
        Ok(if version.contains("MariaDB") {
            MySqlFlavor::MariaDb
        } else {
            MySqlFlavor::MySql
        })
    }

    /// Drops the model's table and creates it again, empty (LoopBack's automigrate).
    ///
    /// # Errors
    /// As [`Store::migrate`].
    pub async fn rebuild(&self, model: &ModelDef) -> Result<()> {
        let drop = format!(
            "DROP TABLE IF EXISTS {}",
            self.dialect.quote(model.storage_name())
        );
        on_pool!(self, pool => { sqlx::query(&drop).execute(pool).await.map_err(|e| error::map(e, model))?; });
        self.migrate(model).await
    }

    async fn existing_columns(&self, model: &ModelDef) -> Result<Vec<String>> {
        let sql = migrate::columns_query(self.dialect);
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(model.storage_name()).fetch_all(pool).await.map_err(|e| error::map(e, model))?;
            rows.iter().map(|r| r.try_get_unchecked::<String, _>(0).map_err(Error::backend)).collect()
        })
    }

    async fn execute(&self, model: &ModelDef, sql: &str) -> Result<u64> {
        on_pool!(self, pool => {
            Ok(sqlx::query(sql).execute(pool).await.map_err(|e| error::map(e, model))?.rows_affected())
        })
    }

    async fn mysql_index_exists(&self, model: &ModelDef, index: &str) -> Result<bool> {
        on_pool!(self, pool => {
            let row = sqlx::query(migrate::MYSQL_INDEX_EXISTS)
                .bind(model.storage_name())
                .bind(index)
                .fetch_one(pool)
                .await
                .map_err(|e| error::map(e, model))?;
            Ok(row.try_get::<i64, _>(0).map_err(Error::backend)? > 0)
        })
    }

    async fn run(&self, model: &ModelDef, statement: build::Statement) -> Result<u64> {
        on_pool!(self, pool => {
            let result = sqlx::query(&statement.sql).bind_all(statement.args).execute(pool).await;
            Ok(result.map_err(|e| error::map(e, model))?.rows_affected())
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
async fn connect_sqlite(url: &str, options: &SqlOptions) -> Result<sqlx::SqlitePool> {
    use std::str::FromStr;
    let connect = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(connect_error)?
        .create_if_missing(true)
        .foreign_keys(true)
        .with_regexp();
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut pool = sqlx::sqlite::SqlitePoolOptions::new().acquire_timeout(options.acquire_timeout);
    pool = if in_memory {
        // Every connection to `:memory:` is its own database: keep exactly one, forever.
        pool.max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        pool.max_connections(options.max_connections)
    };
    pool.connect_with(connect).await.map_err(connect_error)
}

fn decode(error: sqlx::Error) -> Error {
    Error::backend(error)
}

#[async_trait]
impl Store for SqlStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        if !model.settings.strict {
            return Err(Error::Unsupported(format!(
                "{} is free-form, which SQL stores do not support",
                model.name
            )));
        }
        let existing = self.existing_columns(model).await?;
        if existing.is_empty() {
            self.execute(
                model,
                &migrate::create_table(self.dialect, self.flavor, model),
            )
            .await?;
        } else {
            for p in model
                .properties
                .iter()
                .filter(|p| !existing.iter().any(|c| c == p.column()))
            {
                self.execute(
                    model,
                    &migrate::add_column(self.dialect, self.flavor, model, p),
                )
                .await?;
            }
        }
        for p in migrate::indexed(model) {
            if self.dialect == Dialect::MySql
                && self
                    .mysql_index_exists(model, &migrate::index_name(model, p))
                    .await?
            {
                continue;
            }
            self.execute(model, &migrate::create_index(self.dialect, model, p))
                .await?;
        }
        Ok(())
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        let generated = model.id_strategy() == IdStrategy::StoreInteger;
        let id_name = model.id_property().name.clone();
        let statements: Vec<build::Statement> = records
            .iter()
            .map(|r| build::insert(self.dialect, model, r, generated))
            .collect();
        let mut ids = Vec::with_capacity(records.len());
        // Several records go in one transaction (all or none); one needs none.
        macro_rules! insert_all {
            ($conn:expr, $last_id:expr) => {
                for statement in statements {
                    let query = sqlx::query(&statement.sql).bind_all(statement.args);
                    if !generated {
                        query
                            .execute(&mut *$conn)
                            .await
                            .map_err(|e| error::map(e, model))?;
                    } else if self.dialect == Dialect::MySql {
                        let result = query
                            .execute(&mut *$conn)
                            .await
                            .map_err(|e| error::map(e, model))?;
                        ids.push($last_id(&result));
                    } else {
                        let row = query
                            .fetch_one(&mut *$conn)
                            .await
                            .map_err(|e| error::map(e, model))?;
                        ids.push(row.try_get::<i64, _>(0).map_err(decode)?);
                    }
                }
            };
        }
        macro_rules! insert_on {
            ($pool:expr, $last_id:expr) => {{
                if statements.len() == 1 {
                    let mut conn = $pool.acquire().await.map_err(|e| error::map(e, model))?;
                    insert_all!(conn, $last_id);
                } else {
                    let mut tx = $pool.begin().await.map_err(|e| error::map(e, model))?;
                    insert_all!(tx, $last_id);
                    tx.commit().await.map_err(|e| error::map(e, model))?;
                }
            }};
        }
        match &self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => insert_on!(pool, |_: &sqlx::postgres::PgQueryResult| 0_i64),
            #[cfg(feature = "mysql")]
            Pool::MySql(pool) => insert_on!(pool, |r: &sqlx::mysql::MySqlQueryResult| r
                .last_insert_id()
                as i64),
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => insert_on!(pool, |r: &sqlx::sqlite::SqliteQueryResult| r
                .last_insert_rowid()),
        }
        let mut records = records;
        if generated {
            for (record, id) in records.iter_mut().zip(ids) {
                record.insert(id_name.clone(), Value::Int(id));
            }
        }
        Ok(records)
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        let statement = build::select(self.dialect, model, filter);
        let selected = build::selected(model, filter);
        on_pool!(self, pool => {
            let rows = sqlx::query(&statement.sql)
                .bind_all(statement.args)
                .fetch_all(pool)
                .await
                .map_err(|e| error::map(e, model))?;
            rows.iter()
                .map(|row| {
                    let mut record = Record::new();
                    for (i, p) in selected.iter().enumerate() {
                        let value = row.read(i, &p.ty).map_err(decode)?;
                        if !value.is_null() {
                            record.insert(p.name.clone(), value);
                        }
                    }
                    Ok(record)
                })
                .collect()
        })
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        let statement = build::count(self.dialect, model, condition);
        on_pool!(self, pool => {
            let row = sqlx::query(&statement.sql)
                .bind_all(statement.args)
                .fetch_one(pool)
                .await
                .map_err(|e| error::map(e, model))?;
            let n: i64 = row.try_get(0).map_err(decode)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        self.run(model, build::update(self.dialect, model, patch, condition))
            .await
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        Ok(self
            .run(model, build::replace(self.dialect, model, id, record))
            .await?
            > 0)
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.run(model, build::delete(self.dialect, model, condition))
            .await
    }
}
