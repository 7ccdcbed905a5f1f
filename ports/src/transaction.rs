//! Transactions: a [`Store`] scoped to one transaction of one datasource, so the repositories
//! built over it keep their whole method set and run inside it.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use portico_domain::{Entity, Error, Result};
//! # use portico_ports::{EntityRepository, IsolationLevel, Repository, Store, TransactionOptions};
//! # #[derive(Entity, Clone, Debug)]
//! # struct Account { #[portico(id)] id: String, balance: i64 }
//! # #[derive(Entity, Clone, Debug)]
//! # struct Transfer { #[portico(id, generated)] id: Option<i64>, from: String, to: String, amount: i64 }
//! async fn transfer(store: &dyn Store, from: &str, to: &str, amount: i64) -> Result<()> {
//!     loop {
//!         let tx = store
//!             .begin(TransactionOptions::new().isolation(IsolationLevel::Serializable))
//!             .await?;
//!         let accounts = Repository::<Account>::new(tx.store())?;
//!         let transfers = Repository::<Transfer>::new(tx.store())?;
//!         let work = async {
//!             let mut a = accounts.find_by_id(from.to_owned(), None).await?;
//!             let mut b = accounts.find_by_id(to.to_owned(), None).await?;
//!             a.balance -= amount;
//!             b.balance += amount;
//!             accounts.replace_by_id(a.id.clone(), a).await?;
//!             accounts.replace_by_id(b.id.clone(), b).await?;
//!             transfers
//!                 .create(Transfer { id: None, from: from.into(), to: to.into(), amount })
//!                 .await?;
//!             Ok::<_, Error>(())
//!         };
//!         let outcome = match work.await {
//!             Ok(()) => tx.commit().await,
//!             // Dropping `tx` would roll it back too; rolling back explicitly reports errors.
//!             Err(e) => tx.rollback().await.and(Err(e)),
//!         };
//!         match outcome {
//!             Err(e) if e.is_retryable() => continue,
//!             other => return other,
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use portico_domain::{Entity, Error, ModelDef, Result};

use crate::crud::CrudRepository;
use crate::store::Store;
use crate::typed::Repository;

/// How much a transaction sees of concurrent ones (the SQL standard's levels). A backend runs
/// a level at least as strict as the one asked for, or refuses it with
/// [`Error::Unsupported`](portico_domain::Error::Unsupported); each adapter documents its
/// mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IsolationLevel {
    /// May see other transactions' uncommitted writes (where the backend offers it).
    ReadUncommitted,
    /// Sees only committed data; each statement sees what was committed when it began. The
    /// default.
    #[default]
    ReadCommitted,
    /// Reads the same rows the same way for the whole transaction.
    RepeatableRead,
    /// As if the transactions had run one after the other; the backend refuses (with
    /// [`Error::TransactionConflict`](portico_domain::Error::TransactionConflict)) what cannot
    /// be serialised.
    Serializable,
}

impl IsolationLevel {
    /// Every level, weakest first.
    pub const ALL: [IsolationLevel; 4] = [
        IsolationLevel::ReadUncommitted,
        IsolationLevel::ReadCommitted,
        IsolationLevel::RepeatableRead,
        IsolationLevel::Serializable,
    ];

    /// The level as SQL names it (`READ COMMITTED`).
    pub fn sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IsolationLevel::ReadUncommitted => "read uncommitted",
            IsolationLevel::ReadCommitted => "read committed",
            IsolationLevel::RepeatableRead => "repeatable read",
            IsolationLevel::Serializable => "serializable",
        })
    }
}

/// How a transaction ended: what every store's transaction tells a later use of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionEnd {
    /// Committed.
    Committed,
    /// The commit failed (nothing was applied).
    CommitFailed,
    /// Rolled back on request.
    RolledBack,
    /// Dropped unfinished, and rolled back.
    Abandoned,
    /// Rolled back at its deadline.
    TimedOut,
    /// Rolled back after an operation failed.
    Aborted {
        /// The failure was a conflict with a concurrent transaction.
        conflict: bool,
    },
}

impl TransactionEnd {
    /// The error every later use of the transaction gets.
    pub fn error(self) -> Error {
        Error::TransactionClosed(
            match self {
                TransactionEnd::Committed => "the transaction was already committed",
                TransactionEnd::CommitFailed => "the transaction ended when its commit failed",
                TransactionEnd::RolledBack => "the transaction was already rolled back",
                TransactionEnd::Abandoned => "the transaction was dropped unfinished and rolled back",
                TransactionEnd::TimedOut => "the transaction timed out and was rolled back",
                TransactionEnd::Aborted { conflict: true } => {
                    "the transaction was rolled back after a conflict with a concurrent transaction; run it again"
                }
                TransactionEnd::Aborted { conflict: false } => {
                    "the transaction was rolled back after an operation in it failed"
                }
            }
            .to_owned(),
        )
    }
}

/// How to begin a transaction: its isolation level and an optional timeout
/// (`TransactionOptions::new().isolation(IsolationLevel::Serializable).timeout(d)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionOptions {
    /// The isolation level (default [`IsolationLevel::ReadCommitted`]).
    pub isolation: IsolationLevel,
    /// When set, the store rolls the transaction back this long after it began, whether or not
    /// it is in use; every later call, `commit` included, fails with
    /// [`Error::TransactionClosed`](portico_domain::Error::TransactionClosed). An operation still
    /// running at that moment is cancelled.
    pub timeout: Option<Duration>,
}

impl TransactionOptions {
    /// Read committed, no timeout.
    pub fn new() -> Self {
        TransactionOptions::default()
    }

    /// Sets the isolation level.
    pub fn isolation(mut self, level: IsolationLevel) -> Self {
        self.isolation = level;
        self
    }

    /// Rolls the transaction back `timeout` after it began.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl From<IsolationLevel> for TransactionOptions {
    fn from(level: IsolationLevel) -> Self {
        TransactionOptions::new().isolation(level)
    }
}

/// The port of an open transaction, implemented by adapters: a [`Store`] whose every operation
/// runs inside the transaction, plus its end. [`Store::begin`] returns it wrapped in a
/// [`Transaction`], which is what callers hold.
///
/// Its [`Store`] methods keep their contracts, with these additions:
///
/// # Errors
/// Every method (commit and rollback included) MUST return
/// [`Error::TransactionClosed`](portico_domain::Error::TransactionClosed), saying why, once the
/// transaction was committed, rolled back, abandoned, or timed out; and
/// [`Error::TransactionConflict`](portico_domain::Error::TransactionConflict) when the backend
/// aborts the transaction to resolve a conflict with a concurrent one (serialization failure,
/// deadlock, write conflict). [`Store::migrate`] MUST return `Unsupported` (schema changes do
/// not belong in a transaction: MySQL would commit it implicitly), and so MUST
/// [`Store::begin`] (transactions do not nest).
#[async_trait]
pub trait TransactionStore: Store {
    /// Makes the transaction's writes durable and visible to others, and ends it.
    ///
    /// # Errors
    /// MUST return `TransactionConflict` when the backend refuses to commit because of a
    /// concurrent transaction (the transaction is then rolled back), `TransactionClosed` when
    /// the transaction had already ended, and the availability and backend errors of
    /// [`Store`] otherwise (after which the outcome is unknown and the transaction ended).
    async fn commit(&self) -> Result<()>;

    /// Discards the transaction's writes and ends it.
    ///
    /// # Errors
    /// MUST return `TransactionClosed` when the transaction had already ended; availability
    /// and backend errors otherwise (the transaction ended all the same: the server discards
    /// an unfinished transaction whose connection is lost).
    async fn rollback(&self) -> Result<()>;

    /// Ends the transaction without waiting: starts a rollback and makes every later call fail
    /// with `TransactionClosed`. [`Transaction`] calls it when dropped unfinished. It MUST NOT
    /// block, and does nothing once the transaction ended.
    fn abandon(&self);

    /// True until the transaction is committed, rolled back, abandoned or timed out.
    fn is_active(&self) -> bool;
}

/// An open transaction, from [`Store::begin`]. Repositories built over [`Transaction::store`]
/// run inside it — several models of one datasource in one transaction:
///
/// ```no_run
/// # use portico_domain::{Entity, Result};
/// # use portico_ports::{EntityRepository, Repository, Store, TransactionOptions};
/// # #[derive(Entity, Clone, Debug)]
/// # struct Order { #[portico(id, generated)] id: Option<i64>, total: i64 }
/// # #[derive(Entity, Clone, Debug)]
/// # struct Line { #[portico(id, generated)] id: Option<i64>, order_id: i64 }
/// # async fn run(store: &dyn Store) -> Result<()> {
/// let tx = store.begin(TransactionOptions::new()).await?;
/// let order = tx.repository::<Order>()?.create(Order { id: None, total: 3 }).await?;
/// tx.repository::<Line>()?.create(Line { id: None, order_id: order.id.unwrap() }).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
///
/// Ending it takes it by value: [`commit`](Transaction::commit) or
/// [`rollback`](Transaction::rollback). Dropping it unfinished rolls it back (without
/// waiting), even while repositories built over its store are still alive: they then answer
/// [`Error::TransactionClosed`](portico_domain::Error::TransactionClosed), as after a commit,
/// a rollback or the timeout.
pub struct Transaction {
    store: Arc<dyn TransactionStore>,
    options: TransactionOptions,
    ended: bool,
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("options", &self.options)
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

impl Transaction {
    /// Wraps an adapter's open transaction (what [`Store::begin`] implementations return).
    pub fn new(store: Arc<dyn TransactionStore>, options: TransactionOptions) -> Self {
        Transaction {
            store,
            options,
            ended: false,
        }
    }

    /// The store that runs inside this transaction: build repositories over it
    /// (`Repository::<E>::new(tx.store())`, `CrudRepository::new(model, tx.store())`).
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The typed repository of `E` inside this transaction.
    ///
    /// # Errors
    /// As [`Repository::new`].
    pub fn repository<E: Entity>(&self) -> Result<Repository<E>> {
        Repository::new(self.store())
    }

    /// The untyped repository of `model` inside this transaction.
    ///
    /// # Errors
    /// As [`CrudRepository::new`].
    pub fn records(&self, model: Arc<ModelDef>) -> Result<CrudRepository> {
        CrudRepository::new(model, self.store())
    }

    /// The options it was begun with.
    pub fn options(&self) -> &TransactionOptions {
        &self.options
    }

    /// True until it is committed, rolled back, dropped or timed out.
    pub fn is_active(&self) -> bool {
        !self.ended && self.store.is_active()
    }

    /// Commits: its writes become durable and visible to others.
    ///
    /// # Errors
    /// [`Error::TransactionConflict`](portico_domain::Error::TransactionConflict) when the
    /// backend refused to commit because of a concurrent transaction (nothing was written; run
    /// the transaction again); `TransactionClosed` when it had already ended (timed out, or
    /// aborted by the backend after an error); `Unavailable`/`Backend` otherwise.
    pub async fn commit(mut self) -> Result<()> {
        self.ended = true;
        self.store.commit().await
    }

    /// Rolls back: none of its writes remain.
    ///
    /// # Errors
    /// `TransactionClosed` when it had already ended (timed out); `Unavailable`/`Backend`
    /// otherwise (the transaction ended all the same).
    pub async fn rollback(mut self) -> Result<()> {
        self.ended = true;
        self.store.rollback().await
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.ended {
            self.store.abandon();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use portico_domain::{Capabilities, Checked, Error, Filter, Record, Value, Where};

    use super::*;

    /// Records how the transaction ended.
    struct Fake {
        calls: Mutex<Vec<&'static str>>,
        capabilities: Capabilities,
    }

    impl Fake {
        fn new() -> Arc<Fake> {
            Arc::new(Fake {
                calls: Mutex::new(Vec::new()),
                capabilities: Capabilities::minimal(),
            })
        }

        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }

        fn call(&self, name: &'static str) {
            self.calls.lock().unwrap().push(name);
        }
    }

    #[async_trait]
    impl Store for Fake {
        fn capabilities(&self) -> &Capabilities {
            &self.capabilities
        }
        async fn migrate(&self, _: &ModelDef) -> Result<()> {
            Err(Error::Unsupported("migrate in a transaction".into()))
        }
        async fn insert(&self, _: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
            self.call("insert");
            Ok(records)
        }
        async fn find(&self, _: &ModelDef, _: &Checked<Filter>) -> Result<Vec<Record>> {
            Ok(Vec::new())
        }
        async fn count(&self, _: &ModelDef, _: &Checked<Where>) -> Result<u64> {
            Ok(0)
        }
        async fn update(&self, _: &ModelDef, _: &Record, _: &Checked<Where>) -> Result<u64> {
            Ok(0)
        }
        async fn replace(&self, _: &ModelDef, _: &Value, _: &Record) -> Result<bool> {
            Ok(false)
        }
        async fn delete(&self, _: &ModelDef, _: &Checked<Where>) -> Result<u64> {
            Ok(0)
        }
    }

    #[async_trait]
    impl TransactionStore for Fake {
        async fn commit(&self) -> Result<()> {
            self.call("commit");
            Ok(())
        }
        async fn rollback(&self) -> Result<()> {
            self.call("rollback");
            Ok(())
        }
        fn abandon(&self) {
            self.call("abandon");
        }
        fn is_active(&self) -> bool {
            self.calls().is_empty()
        }
    }

    #[tokio::test]
    async fn commit_and_rollback_end_it_once_and_do_not_abandon() {
        let fake = Fake::new();
        let tx = Transaction::new(fake.clone(), TransactionOptions::new());
        assert!(tx.is_active());
        tx.commit().await.unwrap();
        assert_eq!(fake.calls(), ["commit"]);

        let fake = Fake::new();
        Transaction::new(fake.clone(), TransactionOptions::new())
            .rollback()
            .await
            .unwrap();
        assert_eq!(fake.calls(), ["rollback"]);
    }

    #[test]
    fn dropping_it_unfinished_abandons_it_even_while_its_store_is_held() {
        let fake = Fake::new();
        let tx = Transaction::new(fake.clone(), TransactionOptions::new());
        let store = tx.store();
        drop(tx);
        assert_eq!(fake.calls(), ["abandon"]);
        drop(store);
        assert_eq!(fake.calls(), ["abandon"]);
    }

    #[tokio::test]
    async fn its_store_is_the_transaction_store() {
        let fake = Fake::new();
        let tx = Transaction::new(fake.clone(), TransactionOptions::new());
        tx.store()
            .insert(&ModelDef::new("Thing"), vec![Record::new()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(fake.calls(), ["insert", "commit"]);
    }

    #[test]
    fn options_build_and_levels_read_as_sql() {
        let options = TransactionOptions::new()
            .isolation(IsolationLevel::Serializable)
            .timeout(Duration::from_secs(2));
        assert_eq!(options.isolation, IsolationLevel::Serializable);
        assert_eq!(options.timeout, Some(Duration::from_secs(2)));
        assert_eq!(
            TransactionOptions::new().isolation,
            IsolationLevel::ReadCommitted
        );
        assert_eq!(
            TransactionOptions::from(IsolationLevel::RepeatableRead).isolation,
            IsolationLevel::RepeatableRead
        );
        assert_eq!(IsolationLevel::RepeatableRead.sql(), "REPEATABLE READ");
        assert_eq!(
            IsolationLevel::ReadUncommitted.to_string(),
            "read uncommitted"
        );
    }
}
