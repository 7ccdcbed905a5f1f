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
//! ## SQLite files
//!
//! A SQLite file is opened in WAL mode: readers never wait for the writer nor it for them.
//! SQLite lets one connection write at a time, so a file store has a pool of reading
//! connections (`max_connections`, marked `query_only`) and one writing connection that every
//! insert, update, delete, migration and transaction queues for — in the pool, not on the
//! file's lock, so concurrent writes neither spin on `SQLITE_BUSY` nor fail with it. Commits
//! run with `synchronous = NORMAL` by default: a crash of the process loses nothing committed,
//! but a power loss or an OS crash may undo the last commits before it (never a part of one);
//! [`SqliteSynchronous::Full`] makes every commit wait for the disk. Another process writing
//! the same file is waited for up to the acquire timeout. `sqlite::memory:` is one connection
//! for everything.
//!
//! Single-record inserts on a file arriving together are joined into one multi-row `INSERT`
//! (up to 64 rows) by a task that owns the writer's queue: each statement on the writer is a
//! hand-off to the thread sqlx runs it on, and those hand-offs, not SQLite, bounded concurrent
//! creates. Each caller still gets its own row's id, and its own error: a joined statement
//! inserts all its rows or none, and when it fails each row is inserted again on its own.
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
//! | date | `DATE` | `DATE` | `TEXT`, `2024-05-01` |
//! | decimal(p, s) | `NUMERIC(p,s)` | `DECIMAL(p,s)` | `INTEGER`, the value times 10^s (p ≤ 18) |
//! | enum | `TEXT` | `VARCHAR(n)`, n the longest value | `TEXT` |
//! | uuid | `UUID` | `CHAR(36)` | `TEXT` |
//! | bytes | `BYTEA` | `LONGBLOB` | `BLOB` |
//! | any, array, embedded object | `JSONB` | `JSON` | `TEXT` (JSON) |
//!
//! An enum column has a `CHECK (… IN (…))` of its values. Decimals keep their scale (`8.00`
//! reads back as `8.00`); SQLite's are exact 64-bit integers, so migration refuses a precision
//! above 18 there (`Unsupported`), and a filter bound with more fraction digits than the column
//! still compares exactly. Embedded objects and arrays are JSON, their members typed on read
//! (dates, decimals and bytes inside are JSON strings); conditions on members (`address.city`)
//! are not supported.
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
//! asked. Each model migrates in a transaction holding a lock on its table (PostgreSQL's
//! advisory lock, MySQL's `GET_LOCK`, SQLite's write lock), so app replicas starting together
//! on an empty database migrate it one after another rather than racing to create the same
//! table. PostgreSQL indexes keep nulls first, the order queries sort in.
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
//! The benchmark `repository_vs_sqlx` (`benches/repository_vs_sqlx/`) times the full
//! repository path (`Arc<dyn EntityRepository<E>>`: typed filter → check → SQL → decode →
//! entity) against hand-written sqlx sending the same SQL text into the same struct, on
//! PostgreSQL and SQLite in one run: find by id; 20 rows with a where, an order and a limit;
//! create one; include (100 lists with 10 items each, two queries); a 1000-row page. Rounds of
//! the two sides alternate, and it prints each side's median and the ratio repository / sqlx
//! (also as the median of paired rounds), all measured in that run. PostgreSQL comes from
//! `PORTICO_TEST_POSTGRES_URL` and is skipped if unreachable:
//!
//! ```text
//! cargo bench -p portico-sql --bench repository_vs_sqlx --features postgres,sqlite
//! ```
//!
//! On SQLite a one-statement operation mostly measures the hand-off to sqlx's worker thread,
//! whose cost depends on whether that thread is still awake; which side lands on the slow path
//! flips between operations and runs, so only the multi-row operations are meaningful there.
//!
//! The goal is a ratio of at most 1.05 (1.1 for include). What stands between: each column
//! still passes through a `Value` before it lands in the struct (a typed reader generated by
//! the derive would remove it, for inclusion too), and a create converts the entity to a record
//! and back and clones strings into bind arguments.
#![warn(missing_docs)]

mod args;
mod build;
mod conn;
mod dialect;
mod error;
mod migrate;
mod options;
mod rows;
mod store;
mod transaction;

pub use dialect::Dialect;
pub use options::{SqlOptions, SqliteSynchronous};
pub use store::SqlStore;

// Only the crate docs above name it.
#[cfg(doc)]
use portico_ports::Store;
