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
//! ## Transactions
//!
//! [`Store::begin`] takes a connection from the pool for the transaction's life and begins it
//! at the asked isolation level; repositories built over `Transaction::store()` run every
//! statement on that connection, one operation at a time, for any model of the database:
//!
//! ```no_run
//! # async fn run(store: &portico_sql::SqlStore) -> portico_domain::Result<()> {
//! use portico_ports::{IsolationLevel, Store, TransactionOptions};
//! let tx = store
//!     .begin(TransactionOptions::new().isolation(IsolationLevel::Serializable))
//!     .await?;
//! // Repository::<Order>::new(tx.store())?, Repository::<Line>::new(tx.store())?, …
//! tx.commit().await?;
//! # Ok(()) }
//! ```
//!
//! | level | PostgreSQL | MySQL/MariaDB | SQLite |
//! |---|---|---|---|
//! | read uncommitted | runs as read committed (PostgreSQL shows no uncommitted data) | read uncommitted | serializable |
//! | read committed (default) | read committed | read committed | serializable |
//! | repeatable read | repeatable read (snapshot) | repeatable read | serializable |
//! | serializable | serializable (SSI) | serializable (locking reads) | serializable |
//!
//! PostgreSQL begins with `BEGIN ISOLATION LEVEL …`; MySQL/MariaDB send `SET TRANSACTION
//! ISOLATION LEVEL …; START TRANSACTION` on the connection; SQLite, whose transactions are
//! always serializable, begins with `BEGIN IMMEDIATE`, so a second writer waits (up to the busy
//! timeout, 5 s) at its `BEGIN` rather than failing later. An in-memory SQLite database has a
//! single connection: while a transaction is open, every other operation on the store, and a
//! second `begin`, waits for it to end (up to the acquire timeout, then `Unavailable`).
//!
//! A serialization failure or deadlock (PostgreSQL `40001`/`40P01`, MySQL 1213 and lock wait
//! timeout 1205, SQLite `SQLITE_BUSY`/`SQLITE_LOCKED`) is `Error::TransactionConflict`, which
//! `Error::is_retryable` recognises: run the whole transaction again. A conflict ends the
//! transaction (it is rolled back); so does any failed statement on PostgreSQL, which refuses
//! every later statement of a transaction after one failed (and would turn `COMMIT` into a
//! silent rollback): later calls answer `TransactionClosed`, and `rollback` succeeds. On
//! MySQL/MariaDB and SQLite a failed statement is undone alone and the transaction goes on. A
//! create of several records inside a transaction runs under a savepoint, so it stays all or
//! nothing.
//!
//! Dropping an unfinished `Transaction` rolls it back (sqlx queues the `ROLLBACK`, which runs
//! before the connection returns to the pool). With a timeout, a timer rolls the transaction
//! back at the deadline even when it is idle, an operation still running then is cancelled (its
//! connection is dropped, so the server rolls back), and every later call answers
//! `TransactionClosed`. `migrate` and a nested `begin` are refused (`Unsupported`) inside a
//! transaction: MySQL would commit it implicitly at the first DDL statement.
//!
//! ## Errors
//!
//! By kind: a unique violation is `Conflict` (naming the unique property when the database
//! says which index), a not-null or check violation `Validation`, a serialization failure or
//! deadlock `TransactionConflict` (see above), an unreachable server or a pool timeout
//! `Unavailable`, anything else `Backend`. No SQL text, parameter or credential is in a
//! message.
//!
//! ## Performance
//!
//! The SQL text depends only on the filter's shape and every value is bound, so sqlx's
//! prepared-statement cache is reused; typed reads build entities straight from the row's
//! columns (`Store::find_each`), without a record per row.
//!
//! `benches/repository_vs_sqlx.rs` times the full repository path (`Arc<dyn
//! EntityRepository<E>>`: typed filter → check → SQL → decode → entity) against hand-written sqlx
//! sending the same SQL text into the same struct, on PostgreSQL and SQLite in one run (rounds
//! alternate; paired medians; PostgreSQL from `PORTICO_TEST_POSTGRES_URL`, skipped if
//! unreachable):
//!
//! ```text
//! cargo bench -p portico-sql --bench repository_vs_sqlx --features postgres,sqlite
//! ```
//!
//! | repository / sqlx (paired median of 41 rounds, 2-core machine) | PostgreSQL | SQLite |
//! |---|---|---|
//! | find by id | 1.02–1.06 (1.24–1.78 in noisy runs) | see below |
//! | 20 rows, where + order + limit | 1.02–1.05 | 1.06–1.34 |
//! | create one | 1.03–1.08 | see below |
//! | include: 100 lists × 10 items (two queries) | 1.19 (1.6 before typed inclusion) | 1.20 |
//! | 1000-row page | 1.06–1.09 | 1.07–1.17 |
//!
//! On SQLite a one-statement operation mostly measures the hand-off to sqlx's worker thread,
//! 10 µs or 200 µs depending on whether it is still awake; which side lands on the slow path
//! flips between operations and runs, so only the multi-row rows are meaningful there.
//!
//! The goal is ≤ 1.05× (≤ 1.1× for include). What is left: each column still passes through a
//! `Value` before it lands in the struct (a typed reader generated by the derive would remove
//! it, for inclusion too), and a create converts the entity to a record and back and clones
//! strings into bind arguments.
#![warn(missing_docs)]

mod args;
mod build;
mod conn;
mod dialect;
mod error;
mod migrate;
mod rows;
mod transaction;
use portico_txn as tx;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use conn::{Conn, Pooled, TxConn, on_conn};
use portico_domain::{
    Capabilities, Checked, Error, Filter, IdStrategy, ModelDef, Record, Result, Value, Where,
};
use portico_ports::{Store, Transaction, TransactionOptions};
use rows::{BindArg, LastInsertId, ReadValue};
use sqlx::{Connection, Row};

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

/// A [`Store`] on PostgreSQL, MySQL/MariaDB or SQLite.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    dialect: Dialect,
    flavor: Option<MySqlFlavor>,
    capabilities: Capabilities,
    /// Set on the store of an open transaction: every statement runs on its connection.
    tx: Option<Arc<tx::Tx<TxConn>>>,
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
            tx: None,
        };
        store.capabilities.free_form_properties = false;
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
        let (encoding, ctype): (String, String) = on_conn!(self.conn(&model).await?, c => {
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

    /// The dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn detect_mysql_flavor(&self) -> Result<MySqlFlavor> {
        let model = ModelDef::new("version");
        let version: String = on_conn!(self.conn(&model).await?, c => {
            let row = sqlx::query("SELECT VERSION()").fetch_one(&mut *c).await.map_err(|e| error::map(e, &model))?;
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
        on_conn!(self.conn(model).await?, c => { sqlx::query(&drop).execute(&mut *c).await.map_err(|e| error::map(e, model))?; });
        self.migrate(model).await
    }

    async fn existing_columns(&self, model: &ModelDef) -> Result<Vec<String>> {
        let sql = migrate::columns_query(self.dialect);
        on_conn!(self.conn(model).await?, c => {
            let rows = sqlx::query(sql).bind(model.storage_name()).fetch_all(&mut *c).await.map_err(|e| error::map(e, model))?;
            rows.iter().map(|r| r.try_get_unchecked::<String, _>(0).map_err(Error::backend)).collect()
        })
    }

    async fn execute(&self, model: &ModelDef, sql: &str) -> Result<u64> {
        on_conn!(self.conn(model).await?, c => {
            Ok(sqlx::query(sql).execute(&mut *c).await.map_err(|e| error::map(e, model))?.rows_affected())
        })
    }

    async fn mysql_index_exists(&self, model: &ModelDef, index: &str) -> Result<bool> {
        on_conn!(self.conn(model).await?, c => {
            let row = sqlx::query(migrate::MYSQL_INDEX_EXISTS)
                .bind(model.storage_name())
                .bind(index)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| error::map(e, model))?;
            Ok(row.try_get::<i64, _>(0).map_err(Error::backend)? > 0)
        })
    }

    /// The connection an operation runs on: the transaction's, else one from the pool.
    async fn conn(&self, model: &ModelDef) -> Result<Conn<'_>> {
        if let Some(tx) = &self.tx {
            return Ok(Conn::Tx(tx.conn().await?));
        }
        let map = |e| error::map(e, model);
        Ok(Conn::Pooled(match &self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => Pooled::Postgres(pool.acquire().await.map_err(map)?),
            #[cfg(feature = "mysql")]
            Pool::MySql(pool) => Pooled::MySql(pool.acquire().await.map_err(map)?),
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await.map_err(map)?),
        }))
    }

    async fn run(&self, model: &ModelDef, statement: build::Statement) -> Result<u64> {
        on_conn!(self.conn(model).await?, c => {
            let result = sqlx::query(&statement.sql).bind_all(statement.args).execute(&mut *c).await;
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

/// True when the filter can match at most one row (a limit of 1, or equality on the id): such
/// reads stop at the first row instead of draining the result.
fn at_most_one(model: &ModelDef, filter: &Filter) -> bool {
    filter.limit == Some(1)
        || matches!(&filter.where_, Some(Where::Cond(c))
            if c.property == model.id_property().name
                && matches!(&c.op, portico_domain::Op::Eq(v) if !v.is_null()))
}

/// Runs the select for `filter` and decodes each row with `$decode` as it arrives, so no row
/// outlives its decoding.
macro_rules! fetch_decoded {
    ($self:expr, $model:expr, $filter:expr, |$row:ident| $decode:expr) => {{
        let statement = build::select($self.dialect, $model, $filter);
        let one = at_most_one($model, $filter);
        on_conn!($self.conn($model).await?, c => {
            let query = sqlx::query(&statement.sql).bind_all(statement.args);
            if one {
                let row = query
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(|e| error::map(e, $model))?;
                row.map(|$row| -> std::result::Result<_, sqlx::Error> { $decode })
                    .into_iter()
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(decode)
            } else {
                query
                    .try_map(|$row| $decode)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| error::map(e, $model))
            }
        })
    }};
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
        let mysql = self.dialect == Dialect::MySql;
        macro_rules! insert_all {
            ($conn:expr) => {
                for statement in statements {
                    let query = sqlx::query(&statement.sql).bind_all(statement.args);
                    if !generated {
                        query
                            .execute(&mut *$conn)
                            .await
                            .map_err(|e| error::map(e, model))?;
                    } else if mysql {
                        let result = query
                            .execute(&mut *$conn)
                            .await
                            .map_err(|e| error::map(e, model))?;
                        ids.push(result.generated_id());
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
        // Several records go in one transaction (all or none) — a savepoint inside an open
        // transaction; one needs none.
        on_conn!(self.conn(model).await?, c => {
            if statements.len() == 1 {
                insert_all!(c);
            } else {
                let mut batch = c.begin().await.map_err(|e| error::map(e, model))?;
                insert_all!(batch);
                batch.commit().await.map_err(|e| error::map(e, model))?;
            }
        });
        let mut records = records;
        if generated {
            for (record, id) in records.iter_mut().zip(ids) {
                record.insert(id_name.clone(), Value::Int(id));
            }
        }
        Ok(records)
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        let selected = build::selected(model, filter);
        fetch_decoded!(self, model, filter, |row| {
            let mut record = Record::new();
            for (i, p) in selected.iter().enumerate() {
                let value = row.read(i, &p.ty)?;
                if !value.is_null() {
                    record.insert(p.name.clone(), value);
                }
            }
            Ok(record)
        })
    }

    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut portico_ports::RowSink<'s>,
    ) -> Result<()> {
        // Per property: the column it was read into, when selected.
        let mut column = 0;
        let slots: Vec<Option<(usize, &portico_domain::PropertyType)>> = model
            .properties
            .iter()
            .map(|p| {
                let selected = match &filter.fields {
                    Some(portico_domain::Fields::Include(names)) => names.contains(&p.name),
                    _ => true,
                };
                selected.then(|| {
                    column += 1;
                    (column - 1, &p.ty)
                })
            })
            .collect();
        let mut failure: Option<Error> = None;
        fetch_decoded!(self, model, filter, |row| {
            if failure.is_some() {
                return Ok(());
            }
            let mut read_error = None;
            let mut values = slots.iter().map(|slot| match slot {
                Some((i, ty)) => row.read(*i, ty).unwrap_or_else(|e| {
                    read_error.get_or_insert(e);
                    Value::Null
                }),
                None => Value::Null,
            });
            let fed = sink(&mut values);
            drop(values);
            if let Some(e) = read_error {
                return Err(e);
            }
            if let Err(e) = fed {
                failure = Some(e);
            }
            Ok(())
        })?;
        failure.map_or(Ok(()), Err)
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        let statement = build::count(self.dialect, model, condition);
        on_conn!(self.conn(model).await?, c => {
            let row = sqlx::query(&statement.sql)
                .bind_all(statement.args)
                .fetch_one(&mut *c)
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

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        self.begin_transaction(options).await
    }
}
