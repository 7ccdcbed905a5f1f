//! The store: its handle on the database and the [`Store`] port, each operation in a file of
//! its own (`find.rs` reads and counts, `insert.rs` creates, `write.rs` updates, replaces and
//! deletes, `migrate.rs` creates collections and indexes, `ids.rs` keeps the counters of
//! store-generated integer ids, `connect.rs` builds the store).

use std::sync::Arc;

use async_trait::async_trait;
use bson::Document;
use mongodb::{ClientSession, Collection, Database};
use portico_domain::{Capabilities, Checked, Filter, ModelDef, Record, Result, Value, Where};
use portico_ports::{Store, Transaction, TransactionOptions};
use portico_txn::Tx;
use tokio::sync::MappedMutexGuard;

use crate::transaction::Session;

/// The MongoDB store: one collection per model in one database. Cheap to clone (the driver's
/// client is a handle to a shared connection pool).
#[derive(Debug, Clone)]
pub struct MongoStore {
    pub(crate) db: Database,
    /// The collection of the id counters.
    pub(crate) counters: String,
    pub(crate) capabilities: Capabilities,
    /// Set on the store of an open transaction: every operation runs in its session.
    pub(crate) tx: Option<Arc<Tx<Session>>>,
}

/// Adds the transaction's session (an `Option` of a guard of it) to a driver action.
macro_rules! in_session {
    ($action:expr, $session:expr) => {{
        let action = $action;
        match $session.as_deref_mut() {
            Some(session) => action.session(session),
            None => action,
        }
    }};
}

mod connect;
mod find;
mod ids;
mod insert;
mod migrate;
mod write;

impl MongoStore {
    /// The collection of `model`'s documents.
    fn collection(&self, model: &ModelDef) -> Collection<Document> {
        self.db.collection(model.storage_name())
    }

    /// The transaction's session, locked for one operation; `None` outside a transaction.
    async fn session(&self) -> Result<Option<MappedMutexGuard<'_, ClientSession>>> {
        match &self.tx {
            Some(tx) => Ok(Some(MappedMutexGuard::map(tx.conn().await?, |s| &mut s.0))),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl Store for MongoStore {
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

    async fn ping(&self) -> Result<()> {
        // The inherent `ping`: the `ping` command, within the server selection timeout.
        MongoStore::ping(self).await
    }

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        self.begin_transaction(options).await
    }
}
