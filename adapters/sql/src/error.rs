//! sqlx errors → domain errors, by kind. Messages never carry SQL, parameters or driver text;
//! the driver error stays reachable as the `source` for logs.

use portico_domain::{Error, IndexKind, ModelDef, ValidationErrors};
use sqlx::error::{DatabaseError, ErrorKind};

use crate::migrate::index_name;

/// Maps a sqlx error of an operation on `model`: a lost connection or an exhausted pool →
/// [`Error::Unavailable`]; a serialization failure or deadlock →
/// [`Error::TransactionConflict`]; a unique violation → [`Error::Conflict`] naming the model
/// and, when the driver says which index, the property; a not-null or check violation →
/// [`Error::Validation`]; a missing table or column → [`Error::NotMigrated`]; anything else →
/// [`Error::Backend`].
pub(crate) fn map(error: sqlx::Error, model: &ModelDef) -> Error {
    match error {
        sqlx::Error::Database(db) if is_connection_lost(db.as_ref()) => Error::unavailable(db),
        sqlx::Error::Database(db) if is_conflict(db.as_ref()) => Error::transaction_conflict(db),
        sqlx::Error::Database(db) if missing_schema(db.as_ref()).is_some() => {
            let missing = match missing_schema(db.as_ref()) {
                Some(Missing::Table) => format!("table `{}`", model.storage_name()),
                Some(Missing::Column) | None => {
                    format!("a column of table `{}`", model.storage_name())
                }
            };
            Error::NotMigrated {
                entity: model.name.clone(),
                missing,
                source: db.into(),
            }
        }
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => conflict(model, db.constraint(), db.message()),
            ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                let mut errors = ValidationErrors::new(&model.name);
                errors.push(
                    "",
                    "constraint",
                    "violates a constraint of the data source",
                    serde_json::json!({}),
                );
                Error::Validation(errors)
            }
            _ => Error::backend(db),
        },
        e @ (sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed) => Error::unavailable(e),
        e => Error::backend(e),
    }
}

/// Maps an error of beginning, committing or rolling back a transaction.
pub(crate) fn map_transaction(error: sqlx::Error) -> Error {
    map(error, &ModelDef::new("transaction"))
}

enum Missing {
    Table,
    Column,
}

/// A table or column the statement names does not exist: PostgreSQL `42P01`/`42703`, MySQL
/// 1146/1054, SQLite's "no such table"/"no such column".
fn missing_schema(db: &dyn DatabaseError) -> Option<Missing> {
    #[cfg(feature = "mysql")]
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return match mysql.number() {
            1146 => Some(Missing::Table),
            1054 => Some(Missing::Column),
            _ => None,
        };
    }
    match db.code().as_deref() {
        Some("42P01") => return Some(Missing::Table),
        Some("42703") => return Some(Missing::Column),
        _ => {}
    }
    let message = db.message();
    if message.starts_with("no such table") {
        Some(Missing::Table)
    } else if message.starts_with("no such column") {
        Some(Missing::Column)
    } else {
        None
    }
}

/// Serialization failures, deadlocks and lock timeouts: the transaction lost to a concurrent
/// one, and running it again may succeed. PostgreSQL `40001`/`40P01`; MySQL 1213 (deadlock,
/// SQLSTATE `40001`) and 1205 (lock wait timeout); SQLite `SQLITE_BUSY`/`SQLITE_LOCKED` (and
/// their extended codes).
fn is_conflict(db: &dyn DatabaseError) -> bool {
    #[cfg(feature = "mysql")]
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(mysql.number(), 1205 | 1213);
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6));
    }
    matches!(db.code().as_deref(), Some("40001" | "40P01"))
}

/// The server ended the session, or cannot serve it now: the statement did not run, and the
/// database is (for the moment) unavailable. PostgreSQL: class `08` (connection exception) and
/// `57P01`–`57P05` (admin or crash shutdown, cannot connect now, database dropped, idle session
/// timeout) — a fast shutdown answers the statements in flight with `57P01`. MySQL/MariaDB:
/// SQLSTATE class `08` (1053, server shutdown, is `08S01`) and 1927 (connection killed).
fn is_connection_lost(db: &dyn DatabaseError) -> bool {
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return false;
    }
    #[cfg(feature = "mysql")]
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return mysql.number() == 1927 || mysql.code().is_some_and(|c| c.starts_with("08"));
    }
    db.code()
        .is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
}

/// Names the unique property when the driver tells which index was violated: PostgreSQL by
/// constraint name, MySQL in the message (`… for key 'ux_…'`), SQLite as `table.column`.
fn conflict(model: &ModelDef, constraint: Option<&str>, driver_message: &str) -> Error {
    let table = model.storage_name();
    let mentions = |p: &portico_domain::PropertyDef| {
        let index = index_name(model, p);
        constraint == Some(index.as_str())
            || driver_message.contains(&format!("'{index}'"))
            || driver_message.contains(&format!("'{table}.{index}'"))
            || driver_message.ends_with(&format!("{table}.{}", p.column()))
    };
    if let Some(p) = model
        .properties
        .iter()
        .find(|p| p.index == IndexKind::Unique && mentions(p))
    {
        return Error::duplicate_unique(&model.name, &p.name);
    }
    Error::duplicate_id(&model.name)
}
