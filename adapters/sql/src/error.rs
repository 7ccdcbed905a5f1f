//! sqlx errors → domain errors, by kind. Messages never carry SQL, parameters or driver text;
//! the driver error stays reachable as the `source` for logs.

use portico_domain::{Error, IndexKind, ModelDef, ValidationErrors};
use sqlx::error::ErrorKind;

use crate::migrate::index_name;

pub(crate) fn map(error: sqlx::Error, model: &ModelDef) -> Error {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => Error::Conflict {
                entity: model.name.clone(),
                message: conflict_message(model, db.constraint(), db.message()),
            },
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

/// Names the unique property when the driver tells which index was violated: PostgreSQL by
/// constraint name, MySQL in the message (`… for key 'ux_…'`), SQLite as `table.column`.
fn conflict_message(model: &ModelDef, constraint: Option<&str>, driver_message: &str) -> String {
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
        return format!(
            "{} with this value of the unique property '{}' already exists",
            model.name, p.name
        );
    }
    format!("{} with this id already exists", model.name)
}
