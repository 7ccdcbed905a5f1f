//! `migrate` (LoopBack's autoupdate: create the table or add missing columns, then the
//! indexes) and `rebuild` (drop and create), running the DDL that `crate::migrate` writes.

use portico_domain::{Error, ModelDef, Result};
use portico_ports::Store;
use sqlx::Row;

use super::{Access, SqlStore};
use crate::conn::on_conn;
use crate::dialect::Dialect;
use crate::{error, migrate as ddl};

impl SqlStore {
    /// Drops the model's table and creates it again, empty (LoopBack's automigrate).
    ///
    /// # Errors
    /// As [`Store::migrate`].
    pub async fn rebuild(&self, model: &ModelDef) -> Result<()> {
        let drop = format!(
            "DROP TABLE IF EXISTS {}",
            self.dialect.quote(model.storage_name())
        );
        on_conn!(self.conn(model, Access::Write).await?, c => { sqlx::query(&drop).execute(&mut *c).await.map_err(|e| error::map(e, model))?; });
        self.migrate(model).await
    }

    async fn existing_columns(&self, model: &ModelDef) -> Result<Vec<String>> {
        let sql = ddl::columns_query(self.dialect);
        on_conn!(self.conn(model, Access::Write).await?, c => {
            let rows = sqlx::query(sql).bind(model.storage_name()).fetch_all(&mut *c).await.map_err(|e| error::map(e, model))?;
            rows.iter().map(|r| r.try_get_unchecked::<String, _>(0).map_err(Error::backend)).collect()
        })
    }

    async fn execute(&self, model: &ModelDef, sql: &str) -> Result<u64> {
        on_conn!(self.conn(model, Access::Write).await?, c => {
            Ok(sqlx::query(sql).execute(&mut *c).await.map_err(|e| error::map(e, model))?.rows_affected())
        })
    }

    async fn mysql_index_exists(&self, model: &ModelDef, index: &str) -> Result<bool> {
        on_conn!(self.conn(model, Access::Write).await?, c => {
            let row = sqlx::query(ddl::MYSQL_INDEX_EXISTS)
                .bind(model.storage_name())
                .bind(index)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| error::map(e, model))?;
            Ok(row.try_get::<i64, _>(0).map_err(Error::backend)? > 0)
        })
    }
}

/// Creates what the model needs and is missing (see the crate docs, "Migration").
pub(super) async fn migrate(store: &SqlStore, model: &ModelDef) -> Result<()> {
    if !model.settings.strict {
        return Err(Error::Unsupported(format!(
            "{} is free-form, which SQL stores do not support",
            model.name
        )));
    }
    if let Some(reason) = ddl::unsupported(store.dialect, model) {
        return Err(Error::Unsupported(reason));
    }
    let existing = store.existing_columns(model).await?;
    if existing.is_empty() {
        store
            .execute(
                model,
                &ddl::create_table(store.dialect, store.flavor, model),
            )
            .await?;
    } else {
        for p in model
            .properties
            .iter()
            .filter(|p| !existing.iter().any(|c| c == p.column()))
        {
            store
                .execute(
                    model,
                    &ddl::add_column(store.dialect, store.flavor, model, p),
                )
                .await?;
        }
    }
    for p in ddl::indexed(model) {
        if store.dialect == Dialect::MySql
            && store
                .mysql_index_exists(model, &ddl::index_name(model, p))
                .await?
        {
            continue;
        }
        store
            .execute(model, &ddl::create_index(store.dialect, model, p))
            .await?;
    }
    Ok(())
}
