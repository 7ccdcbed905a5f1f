//! A transaction on the memory store: a snapshot of its tables, written in place, checked and
//! installed at commit (the crate docs, *Transactions*, say what it guarantees).
//!
//! Locks: a transaction's state lock is taken before the store's lock (an insert reserves its
//! ids in the store; a commit installs its tables), never the other way round, and neither is
//! held across an `.await` — every operation completes without waiting.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

use async_trait::async_trait;
use portico_domain::error::Message;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_ports::TransactionEnd as Ended;
use portico_ports::{Store, Transaction, TransactionOptions, TransactionStore};

use crate::table::{self, Table, Tables};
use crate::{Data, poisoned};

/// An open transaction's tables.
struct Snapshot {
    /// The store's tables when the transaction began, kept as they were to check against at
    /// commit: holding them makes the store copy a table before it changes it, so a table the
    /// store still holds is unchanged exactly when it is the same `Arc`.
    base: Tables,
    /// `base` with the transaction's writes: what its operations read and write.
    work: Tables,
    /// The storage names of the tables it read or wrote.
    used: HashSet<String>,
}

impl Snapshot {
    /// The tables the transaction wrote, as it wrote them.
    fn written(&self) -> impl Iterator<Item = (&String, &Arc<Table>)> {
        self.work
            .0
            .iter()
            .filter(|(name, t)| !self.base.0.get(*name).is_some_and(|b| Arc::ptr_eq(b, t)))
    }

    /// The first table it used that the store changed since the transaction began.
    fn changed_since(&self, store: &Tables) -> Option<&String> {
        self.used.iter().find(|name| {
            match (self.base.0.get(*name), store.0.get(*name)) {
                (Some(then), Some(now)) => !Arc::ptr_eq(then, now),
                (None, None) => false,
                // Created since, but empty is the same as absent (`migrate` creates tables).
                (None, Some(now)) => !now.is_empty(),
                // Tables are never removed.
                (Some(_), None) => true,
            }
        })
    }
}

enum State {
    Open(Snapshot),
    Ended(Ended),
}

/// The [`TransactionStore`] of the memory store.
pub(crate) struct MemoryTransaction {
    /// The store's data, where the commit installs the written tables and inserts reserve ids.
    data: Arc<RwLock<Data>>,
    state: Mutex<State>,
    /// Set by [`TransactionStore::abandon`], which does not wait for the state lock: the next
    /// call ends the transaction if `abandon` could not.
    abandoned: AtomicBool,
    deadline: Option<Instant>,
    /// The store's, without transactions (they do not nest).
    capabilities: Capabilities,
}

impl std::fmt::Debug for MemoryTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTransaction")
            .field("active", &self.is_active())
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl MemoryTransaction {
    /// A transaction over `snapshot`, the store's tables taken under its lock.
    pub(crate) fn new(
        data: Arc<RwLock<Data>>,
        snapshot: Tables,
        capabilities: &Capabilities,
        options: &TransactionOptions,
    ) -> Self {
        let mut capabilities = capabilities.clone();
        capabilities.transactions = false;
        MemoryTransaction {
            data,
            state: Mutex::new(State::Open(Snapshot {
                work: snapshot.clone(),
                base: snapshot,
                used: HashSet::new(),
            })),
            abandoned: AtomicBool::new(false),
            // A timeout too long to represent never expires.
            deadline: options.timeout.and_then(|t| Instant::now().checked_add(t)),
            capabilities,
        }
    }

    /// The state, locked, after ending the transaction if it was abandoned or its deadline
    /// passed.
    fn state(&self) -> Result<MutexGuard<'_, State>> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if matches!(*state, State::Open(_)) {
            if self.abandoned.load(Ordering::Acquire) {
                *state = State::Ended(Ended::Abandoned);
            } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
                *state = State::Ended(Ended::TimedOut);
            }
        }
        Ok(state)
    }

    /// Runs one operation on the transaction's tables, noting that it used `model`'s;
    /// `TransactionClosed` once the transaction ended.
    fn run<T>(&self, model: &ModelDef, op: impl FnOnce(&mut Tables) -> Result<T>) -> Result<T> {
        let mut state = self.state()?;
        match &mut *state {
            State::Open(snapshot) => {
                snapshot.used.insert(model.storage_name().to_owned());
                op(&mut snapshot.work)
            }
            State::Ended(ended) => Err(ended.error()),
        }
    }

    /// Ends the transaction, taking its snapshot; `TransactionClosed` when it had ended.
    /// `outcome` is how it ended unless the caller records otherwise.
    fn end(state: &mut State, outcome: Ended) -> Result<Snapshot> {
        match std::mem::replace(state, State::Ended(outcome)) {
            State::Open(snapshot) => Ok(snapshot),
            State::Ended(ended) => {
                *state = State::Ended(ended);
                Err(ended.error())
            }
        }
    }
}

#[async_trait]
impl Store for MemoryTransaction {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        Err(Error::Unsupported(format!(
            "migrating {} inside a transaction: migrate before beginning it",
            model.name
        )))
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        self.run(model, |tables| {
            // Ids come from the store's counter, so no other insert (inside a transaction or
            // not) is ever handed the same ones.
            let mut data = self.data.write().map_err(poisoned)?;
            let (_, last_id) = data.for_insert(model);
            table::insert(tables, last_id, model, records)
        })
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        self.run(model, |tables| {
            Ok(table::find(model, tables.get(model), filter))
        })
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.run(model, |tables| {
            Ok(table::count(model, tables.get(model), condition))
        })
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        self.run(model, |tables| {
            table::update(tables, model, patch, condition)
        })
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        self.run(model, |tables| table::replace(tables, model, id, record))
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.run(model, |tables| Ok(table::delete(tables, model, condition)))
    }

    async fn begin(&self, _: TransactionOptions) -> Result<Transaction> {
        Err(Error::transactions_do_not_nest())
    }
}

#[async_trait]
impl TransactionStore for MemoryTransaction {
    /// Installs the tables it wrote, unless a table it used changed since it began (then
    /// `TransactionConflict`, and nothing is applied). Ends the transaction either way.
    async fn commit(&self) -> Result<()> {
        let mut state = self.state()?;
        let snapshot = Self::end(&mut state, Ended::CommitFailed)?;
        let mut written = snapshot.written().peekable();
        if written.peek().is_some() {
            // Read-only transactions need no check: they read one committed state.
            let mut data = self.data.write().map_err(poisoned)?;
            if let Some(table) = snapshot.changed_since(&data.tables) {
                return Err(Error::transaction_conflict(Message(format!(
                    "table {table} changed since the transaction began"
                ))));
            }
            for (name, table) in written {
                data.tables.0.insert(name.clone(), table.clone());
            }
        }
        *state = State::Ended(Ended::Committed);
        Ok(())
    }

    async fn rollback(&self) -> Result<()> {
        Self::end(&mut *self.state()?, Ended::RolledBack).map(drop)
    }

    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        if let Ok(mut state) = self.state.try_lock()
            && matches!(*state, State::Open(_))
        {
            *state = State::Ended(Ended::Abandoned);
        }
    }

    fn is_active(&self) -> bool {
        self.state()
            .is_ok_and(|state| matches!(*state, State::Open(_)))
    }
}
