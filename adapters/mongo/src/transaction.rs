//! Transactions: a driver session with a transaction started at the read concern the asked
//! isolation level maps to, behind a [`Store`](portico_ports::Store) whose every operation runs in it.

use async_trait::async_trait;
use mongodb::ClientSession;
use mongodb::options::{ReadConcern, WriteConcern};
use portico_domain::{Error, Result};
use portico_ports::{IsolationLevel, Transaction, TransactionOptions};

use crate::{MongoStore, error};
use portico_txn::Finish;

/// The read concern a transaction at `level` runs with. A MongoDB transaction reads from one
/// snapshot and fails a write to a document changed since (`WriteConflict`): snapshot
/// isolation, which is at least read committed and repeatable read, but not serializable
/// (two transactions may each read what the other writes: write skew), and never shows
/// uncommitted data. So read uncommitted and serializable are refused rather than run
/// differently.
pub(crate) fn read_concern(level: IsolationLevel) -> Result<ReadConcern> {
    match level {
        IsolationLevel::ReadCommitted => Ok(ReadConcern::majority()),
        IsolationLevel::RepeatableRead => Ok(ReadConcern::snapshot()),
        other => Err(Error::Unsupported(format!(
            "{other} transactions on MongoDB (its transactions are snapshot isolation: use \
             read committed or repeatable read)"
        ))),
    }
}

/// A session with a transaction in progress (a local type, so it can implement [`Finish`]).
pub(crate) struct Session(pub(crate) ClientSession);

#[async_trait]
impl Finish for Session {
    async fn commit(mut self) -> Result<()> {
        self.0
            .commit_transaction()
            .await
            .map_err(error::map_transaction)
    }

    async fn rollback(mut self) -> Result<()> {
        self.0
            .abort_transaction()
            .await
            .map_err(error::map_transaction)
    }

    /// The server aborts a transaction in which a command failed.
    fn aborted_by(&self, error: &Error) -> bool {
        portico_txn::from_the_backend(error)
    }
}

impl MongoStore {
    /// Starts a session and a transaction in it (see [`Store::begin`]).
    pub(crate) async fn begin_transaction(
        &self,
        options: TransactionOptions,
    ) -> Result<Transaction> {
        if self.tx.is_some() {
            return Err(Error::transactions_do_not_nest());
        }
        let read_concern = read_concern(options.isolation)?;
        let mut session = self
            .db
            .client()
            .start_session()
            .await
            .map_err(error::map_transaction)?;
        session
            .start_transaction()
            .read_concern(read_concern)
            .write_concern(WriteConcern::majority())
            .await
            .map_err(error::map_transaction)?;
        let conn = Session(session);
        Ok(portico_txn::open(conn, options, |tx| {
            let mut store = self.clone();
            store.tx = Some(tx);
            // A transaction's store begins none.
            store.capabilities.transactions = false;
            store
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_isolation_serves_read_committed_and_repeatable_read_only() {
        assert_eq!(
            read_concern(IsolationLevel::ReadCommitted).ok(),
            Some(ReadConcern::majority())
        );
        assert_eq!(
            read_concern(IsolationLevel::RepeatableRead).ok(),
            Some(ReadConcern::snapshot())
        );
        for level in [
            IsolationLevel::ReadUncommitted,
            IsolationLevel::Serializable,
        ] {
            assert!(matches!(read_concern(level), Err(Error::Unsupported(_))));
        }
    }
}
