//! The store: its pool (or its transaction's connection) and the [`Store`] port, each
//! operation in a file of its own (`find.rs` reads and counts, `insert.rs` creates, `write.rs`
//! updates, replaces and deletes, `migrate.rs` is autoupdate, `connect.rs` opens the pool).

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_ports::{PoolStats, Store, Transaction, TransactionOptions};
use portico_txn::Tx;

use crate::conn::{Conn, Pooled, TxConn, on_conn};
use crate::dialect::{Dialect, MySqlFlavor};
use crate::error;

mod connect;
mod find;
#[cfg(feature = "sqlite")]
mod group;
mod insert;
mod migrate;
mod write;

pub(crate) use connect::Pool;

/// A [`Store`] on PostgreSQL, MySQL/MariaDB or SQLite.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(crate) pool: Pool,
    pub(crate) dialect: Dialect,
    /// Which MySQL, on MySQL (their DDL differs).
    pub(crate) flavor: Option<MySqlFlavor>,
    pub(crate) capabilities: Capabilities,
    /// Set on the store of an open transaction: every statement runs on its connection.
    pub(crate) tx: Option<Arc<Tx<TxConn>>>,
}

impl SqlStore {
    /// The dialect this store speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection an operation runs on: the transaction's, else one from the pool (on a
    /// SQLite file, the writer's for a write).
    async fn conn(&self, model: &ModelDef, access: Access) -> Result<Conn<'_>> {
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
            Pool::Sqlite(pools) => {
                let pool = match access {
                    Access::Read => &pools.readers,
                    Access::Write => pools.writer(),
                };
                Pooled::Sqlite(pool.acquire().await.map_err(map)?)
            }
        }))
    }
}

impl SqlStore {
    /// The group inserts of a SQLite file store.
    #[cfg(feature = "sqlite")]
    fn sqlite_group(&self) -> Option<&group::GroupInserts> {
        match &self.pool {
            Pool::Sqlite(pools) => pools.file.as_ref().map(|file| &file.group),
            #[allow(unreachable_patterns)] // the other backends' features on
            _ => None,
        }
    }
}

/// Whether an operation may write, which decides the connection it gets on a SQLite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl SqlStore {
    /// The pool's connections now: open and idle (SQLite in memory keeps exactly one). The
    /// store of a transaction tells its datasource's pool.
    fn pool(&self) -> PoolStats {
        let (size, idle) = match &self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
            #[cfg(feature = "mysql")]
            Pool::MySql(pool) => (pool.size(), pool.num_idle()),
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pools) => pools.file.iter().fold(
                (pools.readers.size(), pools.readers.num_idle()),
                |(size, idle), file| (size + file.pool.size(), idle + file.pool.num_idle()),
            ),
        };
        PoolStats { size, idle }
    }
}

/// A row that does not decode as its property's type: the table is not what the metadata says.
fn decode(error: sqlx::Error) -> Error {
    Error::backend(error)
}

#[async_trait]
impl Store for SqlStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        migrate::migrate(self, model).await
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        insert::insert(self, model, records).await
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        find::find(self, model, filter).await
    }

    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut portico_ports::RowSink<'s>,
    ) -> Result<()> {
        find::find_each(self, model, filter, sink).await
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        find::count(self, model, condition).await
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        write::update(self, model, patch, condition).await
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        write::replace(self, model, id, record).await
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        write::delete(self, model, condition).await
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        Some(self.pool())
    }

    async fn ping(&self) -> Result<()> {
        // Waits for a connection as long as the pool's acquire timeout, as every operation
        // does, so a database that is down answers `Unavailable` within it.
        let model = ModelDef::new("ping");
        on_conn!(self.conn(&model, Access::Read).await?, c => {
            sqlx::query("SELECT 1")
                .execute(&mut *c)
                .await
                .map_err(|e| error::map(e, &model))?;
        });
        Ok(())
    }

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        self.begin_transaction(options).await
    }
}
