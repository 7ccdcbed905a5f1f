//! `migrate` (LoopBack's autoupdate: create the table or add missing columns, then the
//! indexes) and `rebuild` (drop and create), running the DDL that `crate::migrate` writes.

use std::sync::Arc;

use portico_domain::{Error, ModelDef, Result};
use portico_ports::{IsolationLevel, Store};
use portico_txn::Tx;
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

/// Creates what the model needs and is missing (see the crate docs, "Migration"), in a
/// transaction that holds a lock on the model's table: app replicas starting together on one
/// database then migrate it one after another, each seeing what the one before created,
/// instead of racing to create the same table or add the same column (where all but one fail).
/// PostgreSQL and SQLite undo a failed migration whole; MySQL commits each DDL statement.
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
    // SQLite's transactions begin with the write lock (`BEGIN IMMEDIATE`): that is the lock.
    let conn = store.begin_conn(IsolationLevel::ReadCommitted).await?;
    let tx = Tx::start(conn, None);
    let mut locked = store.clone();
    locked.tx = Some(Arc::clone(&tx));
    let lock_name = format!("portico.migrate.{}", model.storage_name());
    let outcome = match locked.lock(model, &lock_name).await {
        Ok(()) => {
            let outcome = create_missing(&locked, model).await;
            // MySQL's lock is the session's, which outlives the transaction.
            let unlocked = locked.unlock(model, &lock_name).await;
            outcome.and(unlocked)
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => tx.commit().await,
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

impl SqlStore {
    /// Waits for the migration lock `name` (PostgreSQL: until the transaction ends; MySQL:
    /// until [`SqlStore::unlock`]), as long as another process holds it.
    async fn lock(&self, model: &ModelDef, name: &str) -> Result<()> {
        let sql = match self.dialect {
            Dialect::Postgres => {
                "SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))) AS locked"
            }
            // 1 once held; 0 after the timeout (an hour: another migration may be long).
            Dialect::MySql => "SELECT GET_LOCK(SHA1(CONCAT(DATABASE(), ?)), 3600)",
            Dialect::Sqlite => return Ok(()),
        };
        let held: Option<i64> = on_conn!(self.conn(model, Access::Write).await?, c => {
            let row = sqlx::query(sql).bind(name).fetch_one(&mut *c).await.map_err(|e| error::map(e, model))?;
            row.try_get_unchecked(0).map_err(Error::backend)?
        });
        if held != Some(1) {
            return Err(Error::unavailable(portico_domain::error::Message(format!(
                "another migration of {} held its lock for an hour",
                model.name
            ))));
        }
        Ok(())
    }

    /// Releases MySQL's migration lock `name`; the others end with the transaction.
    async fn unlock(&self, model: &ModelDef, name: &str) -> Result<()> {
        if self.dialect != Dialect::MySql {
            return Ok(());
        }
        on_conn!(self.conn(model, Access::Write).await?, c => {
            sqlx::query("SELECT RELEASE_LOCK(SHA1(CONCAT(DATABASE(), ?)))")
                .bind(name)
                .execute(&mut *c)
                .await
                .map_err(|e| error::map(e, model))?;
        });
        Ok(())
    }
}

/// The DDL of [`migrate`], on the store of its transaction.
async fn create_missing(store: &SqlStore, model: &ModelDef) -> Result<()> {
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
