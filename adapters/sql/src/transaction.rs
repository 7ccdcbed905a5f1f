//! Transactions: a connection taken from the pool for the transaction's life, begun at the
//! asked isolation level, behind a [`Store`](portico_ports::Store) whose every statement runs on it.

use async_trait::async_trait;
use portico_domain::{Error, Result};
use portico_ports::{IsolationLevel, Transaction, TransactionOptions};

use crate::conn::TxConn;
use crate::store::Pool;
use crate::{Dialect, SqlStore, error};
use portico_txn::Finish;

/// The statement that begins a transaction at `level` (sqlx's `begin_with`).
///
/// - PostgreSQL: `BEGIN ISOLATION LEVEL …`; read uncommitted runs as read committed there
///   (PostgreSQL never shows uncommitted data, which the SQL standard allows).
/// - MySQL/MariaDB: `SET TRANSACTION ISOLATION LEVEL …` (for the next transaction of the
///   session) then `START TRANSACTION`, in one round trip.
/// - SQLite: `BEGIN IMMEDIATE` for every level: SQLite transactions are serializable, and
///   taking the write lock at the start makes a second writer wait (up to the busy timeout)
///   at its `BEGIN` instead of failing at its first write.
pub(crate) fn begin_statement(dialect: Dialect, level: IsolationLevel) -> String {
    match dialect {
        Dialect::Postgres => format!("BEGIN ISOLATION LEVEL {}", level.sql()),
        Dialect::MySql => format!(
            "SET TRANSACTION ISOLATION LEVEL {}; START TRANSACTION",
            level.sql()
        ),
        Dialect::Sqlite => "BEGIN IMMEDIATE".to_owned(),
    }
}

#[async_trait]
impl Finish for TxConn {
    async fn commit(self) -> Result<()> {
        TxConn::commit(self).await.map_err(error::map_transaction)
    }

    async fn rollback(self) -> Result<()> {
        TxConn::rollback(self).await.map_err(error::map_transaction)
    }

    fn aborted_by(&self, error: &Error) -> bool {
        // Only PostgreSQL's answer depends on the error.
        let _ = error;
        match self {
            // After a failed statement PostgreSQL refuses every other one, and turns COMMIT
            // into ROLLBACK without an error.
            #[cfg(feature = "postgres")]
            TxConn::Postgres(_) => portico_txn::from_the_backend(error),
            // A failed statement is undone alone.
            #[cfg(feature = "mysql")]
            TxConn::MySql(_) => false,
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(_) => false,
        }
    }
}

impl SqlStore {
    /// Begins a transaction on a connection of the pool (see [`Store::begin`]).
    pub(crate) async fn begin_transaction(
        &self,
        options: TransactionOptions,
    ) -> Result<Transaction> {
        if self.tx.is_some() {
            return Err(Error::transactions_do_not_nest());
        }
        let conn = self.begin_conn(options.isolation).await?;
        Ok(portico_txn::open(conn, options, |tx| {
            let mut store = self.clone();
            store.tx = Some(tx);
            // A transaction's store begins none.
            store.capabilities.transactions = false;
            store
        }))
    }

    /// A connection of the pool with a transaction begun on it at `level`.
    pub(crate) async fn begin_conn(&self, level: IsolationLevel) -> Result<TxConn> {
        let statement = begin_statement(self.dialect, level);
        Ok(match &self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => TxConn::Postgres(
                pool.begin_with(statement)
                    .await
                    .map_err(error::map_transaction)?,
            ),
            #[cfg(feature = "mysql")]
            Pool::MySql(pool) => TxConn::MySql(
                pool.begin_with(statement)
                    .await
                    .map_err(error::map_transaction)?,
            ),
            #[cfg(feature = "sqlite")]
            // On a file, a transaction is the writer's: it may write, and SQLite lets one
            // connection write at a time anyway (`BEGIN IMMEDIATE`).
            Pool::Sqlite(pools) => TxConn::Sqlite(
                pools
                    .writer()
                    .begin_with(statement)
                    .await
                    .map_err(error::map_transaction)?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialect_begins_at_the_asked_level() {
        let all = |dialect| {
            IsolationLevel::ALL
                .iter()
                .map(|level| begin_statement(dialect, *level))
                .collect::<Vec<_>>()
        };
        expect_test::expect![[r#"
            [
                "BEGIN ISOLATION LEVEL READ UNCOMMITTED",
                "BEGIN ISOLATION LEVEL READ COMMITTED",
                "BEGIN ISOLATION LEVEL REPEATABLE READ",
                "BEGIN ISOLATION LEVEL SERIALIZABLE",
            ]
        "#]]
        .assert_debug_eq(&all(Dialect::Postgres));
        expect_test::expect![[r#"
            [
                "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; START TRANSACTION",
                "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION",
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION",
                "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; START TRANSACTION",
            ]
        "#]]
        .assert_debug_eq(&all(Dialect::MySql));
        assert!(
            all(Dialect::Sqlite)
                .iter()
                .all(|statement| statement == "BEGIN IMMEDIATE")
        );
    }
}
