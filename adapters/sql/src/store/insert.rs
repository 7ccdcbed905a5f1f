//! `insert`: one statement per record, several in one transaction (a savepoint inside an open
//! one), reading back store-generated ids. A single record on a SQLite file goes through the
//! file's group inserts (`group.rs`).

use portico_domain::{IdStrategy, ModelDef, Record, Result, Value};
use sqlx::{Connection, Row};

use super::{Access, SqlStore, decode};
use crate::conn::on_conn;
use crate::dialect::Dialect;
use crate::rows::{BindArg, LastInsertId};
use crate::{build, error};

/// Inserts the records, all or none, and returns them with their generated ids.
pub(super) async fn insert(
    store: &SqlStore,
    model: &ModelDef,
    records: Vec<Record>,
) -> Result<Vec<Record>> {
    let generated = model.id_strategy() == IdStrategy::StoreInteger;
    let id_name = model.id_property().name.clone();
    #[cfg(feature = "sqlite")]
    if let (Some(group), None, [record]) = (store.sqlite_group(), &store.tx, records.as_slice()) {
        let row = build::insert_row(store.dialect, model, record, generated);
        let id = group
            .insert(row, generated)
            .await
            .map_err(|e| error::map(e, model))?;
        let mut records = records;
        if let Some(id) = id {
            records[0].insert(id_name, Value::Int(id));
        }
        return Ok(records);
    }
    let statements: Vec<build::Statement> = records
        .iter()
        .map(|r| build::insert(store.dialect, model, r, generated))
        .collect();
    let mut ids = Vec::with_capacity(records.len());
    let mysql = store.dialect == Dialect::MySql;
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
    on_conn!(store.conn(model, Access::Write).await?, c => {
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
