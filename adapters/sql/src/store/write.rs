//! Writes to stored rows: `update`, `replace` and `delete`, one statement each.

use portico_domain::{Checked, ModelDef, Record, Result, Value, Where};

use super::{Access, SqlStore};
use crate::conn::on_conn;
use crate::rows::BindArg;
use crate::{build, error};

/// Runs one statement and returns the number of rows it affected.
async fn run(store: &SqlStore, model: &ModelDef, statement: build::Statement) -> Result<u64> {
    on_conn!(store.conn(model, Access::Write).await?, c => {
        let result = sqlx::query(&statement.sql).bind_all(statement.args).execute(&mut *c).await;
        Ok(result.map_err(|e| error::map(e, model))?.rows_affected())
    })
}

/// Sets the patch's properties (null clears) on the matching rows.
pub(super) async fn update(
    store: &SqlStore,
    model: &ModelDef,
    patch: &Record,
    condition: &Checked<Where>,
) -> Result<u64> {
    run(
        store,
        model,
        build::update(store.dialect, model, patch, condition),
    )
    .await
}

/// Replaces every non-id column of the row with this id.
pub(super) async fn replace(
    store: &SqlStore,
    model: &ModelDef,
    id: &Value,
    record: &Record,
) -> Result<bool> {
    Ok(run(
        store,
        model,
        build::replace(store.dialect, model, id, record),
    )
    .await?
        > 0)
}

/// Deletes the matching rows.
pub(super) async fn delete(
    store: &SqlStore,
    model: &ModelDef,
    condition: &Checked<Where>,
) -> Result<u64> {
    run(store, model, build::delete(store.dialect, model, condition)).await
}
