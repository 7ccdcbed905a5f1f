//! # portico-memory
//!
//! The in-memory [`Store`]: Portico's reference adapter. It evaluates the filter AST directly,
//! so it is the executable specification of the filter semantics every other adapter must
//! match; it is the embedded default for apps that need no server; and it is the stateful fake
//! to swap in for a real backend in tests.
//!
//! It is thread-safe (one lock per store, never held across an `.await`), generates integer ids
//! from 1 per model (and ObjectId-shaped string ids) and enforces unique properties. It offers
//! every filter operator, free-form models and transactions.
//!
//! ```
//! use std::sync::Arc;
//! use portico_memory::MemoryStore;
//! use portico_ports::{EntityRepository, Repository};
//! # use portico_domain::Entity;
//! # #[derive(Entity, Clone, Debug)]
//! # struct Note { #[portico(id, generated)] id: Option<i64>, text: String }
//! # futures_executor(async {
//! let notes = Repository::<Note>::new(Arc::new(MemoryStore::new())).unwrap();
//! let note = notes.create(Note { id: None, text: "hi".into() }).await.unwrap();
//! assert_eq!(note.id, Some(1));
//! # });
//! # fn futures_executor(f: impl std::future::Future<Output = ()>) {
//! #     // Memory futures never wait, so one poll completes them.
//! #     let waker = std::task::Waker::noop();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     assert!(f.as_mut().poll(&mut cx).is_ready());
//! # }
//! ```
//!
//! ## Transactions
//!
//! [`Store::begin`] takes a snapshot of the store: the map of its tables, each shared with the
//! store until one side changes it, so beginning costs one entry per model and a table is
//! copied only when it is written while a transaction holds it. The transaction reads and
//! writes its snapshot (it sees its own writes, and nothing written since it began), and
//! records which tables it used. Its commit, under the store's lock, checks that none of those
//! tables changed since it began and installs the tables it wrote, all at once; when one did
//! change, the commit fails with [`Error::TransactionConflict`] (retryable: run the transaction
//! again) and applies nothing. A transaction that wrote nothing always commits: it read one
//! committed state. Rollback, dropping it unfinished, and the
//! timeout discard the snapshot; nothing outside ever waits for a transaction.
//!
//! So every transaction runs as if it ran alone at the moment of its commit: serializable. All
//! four isolation levels are accepted and run serializable, which is at least as strict as
//! each (read uncommitted sees no uncommitted write of another transaction either). The price
//! of checking whole tables is that two transactions writing to, or reading what the other
//! writes in, one model conflict even when they touch different records, as does a transaction
//! whose model was written outside any transaction since it began.
//!
//! Store-generated ids are reserved outside the transaction, as SQL sequences are: a
//! rolled-back create consumes its ids, and ids are never reused. A failed operation inside a
//! transaction changes nothing and leaves the transaction open. The timeout is checked at each
//! call (every operation here completes without waiting, so none is ever in flight at the
//! deadline): from the deadline on, the transaction is inactive, its writes are discarded and
//! every call answers `TransactionClosed`. `migrate` and a nested `begin` are refused inside a
//! transaction with `Unsupported`.
#![warn(missing_docs)]

mod row;
mod table;
mod transaction;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use portico_domain::error::Message;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_ports::{Store, Transaction, TransactionOptions};

use crate::table::Tables;
use crate::transaction::MemoryTransaction;

/// Everything a store holds, behind its one lock.
#[derive(Debug, Default)]
struct Data {
    tables: Tables,
    /// The last integer id handed out per table (by storage name). Ids are never reused, not
    /// even those a rolled-back transaction took, as with SQL sequences.
    last_ids: HashMap<String, i64>,
}

impl Data {
    /// The model's tables and id counter, to insert with.
    fn for_insert(&mut self, model: &ModelDef) -> (&mut Tables, &mut i64) {
        let last_id = self
            .last_ids
            .entry(model.storage_name().to_owned())
            .or_default();
        (&mut self.tables, last_id)
    }
}

/// The error of a lock a panicking thread left behind.
fn poisoned<T>(_: T) -> Error {
    Error::backend(Message("memory store lock poisoned".into()))
}

/// The in-memory store. `MemoryStore::new()` is empty and isolated from every other store.
#[derive(Debug)]
pub struct MemoryStore {
    data: Arc<RwLock<Data>>,
    capabilities: Capabilities,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        let mut capabilities = Capabilities::all_operators();
        capabilities.free_form_properties = true;
        capabilities.transactions = true;
        capabilities.object_ids = true;
        capabilities.embedded_paths = true;
        MemoryStore {
            data: Arc::new(RwLock::new(Data::default())),
            capabilities,
        }
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Data>> {
        self.data.write().map_err(poisoned)
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Data>> {
        self.data.read().map_err(poisoned)
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        self.write()?.tables.create(model);
        Ok(())
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        let mut data = self.write()?;
        let (tables, last_id) = data.for_insert(model);
        table::insert(tables, last_id, model, records)
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        Ok(table::find(model, self.read()?.tables.get(model), filter))
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        Ok(table::count(
            model,
            self.read()?.tables.get(model),
            condition,
        ))
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        table::update(&mut self.write()?.tables, model, patch, condition)
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        table::replace(&mut self.write()?.tables, model, id, record)
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        Ok(table::delete(&mut self.write()?.tables, model, condition))
    }

    /// Begins a serializable transaction over a snapshot of the store, at any of the four
    /// isolation levels (see the crate docs, *Transactions*).
    ///
    /// # Errors
    /// `Backend` only when the store's lock was poisoned by a panic.
    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        let snapshot = self.read()?.tables.clone();
        let tx = MemoryTransaction::new(self.data.clone(), snapshot, &self.capabilities, &options);
        Ok(Transaction::new(Arc::new(tx), options))
    }
}
