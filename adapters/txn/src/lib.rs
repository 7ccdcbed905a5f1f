//! The life of an open transaction, whatever holds it (a connection, a session): one
//! operation at a time, a clear error once it ended, rollback when abandoned, and the timeout.
//!
//!
//! Shared by the SQL and MongoDB adapters. It is not in `portico-ports`, which runs on no async
//! runtime: the lock and the timer need tokio, as both drivers do.
#![warn(missing_docs)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_ports::TransactionEnd as Ended;
use portico_ports::{RowSink, Store, Transaction, TransactionOptions, TransactionStore};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};
use tokio::time::Instant;

/// What ends a transaction's connection or session.
#[async_trait]
pub trait Finish: Send + 'static {
    /// Commits, mapping the backend's error.
    async fn commit(self) -> Result<()>;
    /// Rolls back, mapping the backend's error.
    async fn rollback(self) -> Result<()>;
    /// True when the backend aborts the whole transaction after an operation failed with
    /// `error` (PostgreSQL and MongoDB after any failed statement). A
    /// [`Error::TransactionConflict`] always ends the transaction, whatever this says.
    fn aborted_by(&self, error: &Error) -> bool;
}

/// False for the errors no statement produces (a filter, a body or an id refused before or
/// after the backend ran, a missing record, an unsupported feature): those leave the
/// transaction as it was on every backend.
pub fn from_the_backend(error: &Error) -> bool {
    !matches!(
        error,
        Error::InvalidFilter(_)
            | Error::InvalidBody(_)
            | Error::NotFound { .. }
            | Error::Unsupported(_)
            | Error::TransactionClosed(_)
    )
}

enum State<C> {
    Active(C),
    Ended(Ended),
}

/// An open transaction's connection (or session), shared by the stores that run inside it.
pub struct Tx<C> {
    state: Mutex<State<C>>,
    /// False once anything ended it (or began to).
    active: AtomicBool,
    /// Set by [`Tx::abandon`], which cannot wait for an operation in flight to release the
    /// state: that operation ends the transaction when it returns.
    abandoned: AtomicBool,
    deadline: Option<Instant>,
    timer: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl<C> std::fmt::Debug for Tx<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("active", &self.active.load(Ordering::Acquire))
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl<C: Finish> Tx<C> {
    /// Holds `conn`, just begun; with a timeout, a timer rolls the transaction back at the
    /// deadline even when nobody uses it.
    pub fn start(conn: C, timeout: Option<Duration>) -> Arc<Tx<C>> {
        let tx = Arc::new(Tx {
            state: Mutex::new(State::Active(conn)),
            active: AtomicBool::new(true),
            abandoned: AtomicBool::new(false),
            deadline: timeout.map(|t| Instant::now() + t),
            timer: std::sync::Mutex::new(None),
        });
        if let Some(deadline) = tx.deadline {
            let weak = Arc::downgrade(&tx);
            let timer = tokio::spawn(async move {
                tokio::time::sleep_until(deadline).await;
                if let Some(tx) = weak.upgrade() {
                    tx.expire(true).await;
                }
            });
            if let Ok(mut slot) = tx.timer.lock() {
                *slot = Some(timer);
            }
        }
        tx
    }

    /// True until it is committed, rolled back, abandoned or past its deadline.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire) && self.deadline.is_none_or(|d| Instant::now() < d)
    }

    fn stop_timer(&self) {
        if let Some(timer) = self.timer.lock().ok().and_then(|mut t| t.take()) {
            timer.abort();
        }
    }

    /// The connection, locked for one operation; `TransactionClosed` once the transaction
    /// ended.
    pub async fn conn(&self) -> Result<MappedMutexGuard<'_, C>> {
        let mut state = self.state.lock().await;
        if self.abandoned.load(Ordering::Acquire) && matches!(*state, State::Active(_)) {
            // Dropping the connection rolls the transaction back.
            *state = State::Ended(Ended::Abandoned);
        }
        MutexGuard::try_map(state, |s| match s {
            State::Active(conn) => Some(conn),
            State::Ended(_) => None,
        })
        .map_err(|state| match &*state {
            State::Ended(ended) => ended.error(),
            State::Active(_) => Ended::Abandoned.error(),
        })
    }

    /// Runs one operation inside the transaction, cancelling it at the deadline (the
    /// transaction is then rolled back).
    pub async fn run<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        let result = match self.deadline {
            None => op.await,
            Some(deadline) => {
                if Instant::now() >= deadline {
                    return Err(self.expire(true).await.error());
                }
                match tokio::time::timeout_at(deadline, op).await {
                    Ok(result) => result,
                    // The statement was interrupted: drop the connection rather than wait on it.
                    Err(_) => return Err(self.expire(false).await.error()),
                }
            }
        };
        if self.abandoned.load(Ordering::Acquire) {
            let mut state = self.state.lock().await;
            if matches!(*state, State::Active(_)) {
                *state = State::Ended(Ended::Abandoned);
            }
        } else if let Err(error) = &result {
            let conflict = matches!(error, Error::TransactionConflict(_));
            let mut state = self.state.lock().await;
            if matches!(&*state, State::Active(conn) if conflict || conn.aborted_by(error)) {
                // The backend gave the transaction up (or will on commit): end it now, which
                // releases its locks, and say so from here on.
                self.active.store(false, Ordering::Release);
                self.stop_timer();
                if let State::Active(conn) =
                    std::mem::replace(&mut *state, State::Ended(Ended::Aborted { conflict }))
                {
                    let _ = conn.rollback().await;
                }
            }
        }
        result
    }

    /// Ends the transaction at its deadline (unless it ended otherwise first); returns how it
    /// ended. `graceful`: wait for the rollback (the connection is idle), else drop the
    /// connection, which rolls back in the background.
    async fn expire(&self, graceful: bool) -> Ended {
        self.active.store(false, Ordering::Release);
        let mut state = self.state.lock().await;
        match std::mem::replace(&mut *state, State::Ended(Ended::TimedOut)) {
            State::Active(conn) => {
                if graceful {
                    // Ended all the same if the rollback fails: the server drops an
                    // unfinished transaction with its connection.
                    let _ = conn.rollback().await;
                }
                Ended::TimedOut
            }
            State::Ended(ended) => {
                *state = State::Ended(ended);
                ended
            }
        }
    }

    /// Commits or rolls back; the transaction has ended afterwards, whatever the outcome.
    async fn finish(&self, commit: bool) -> Result<()> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(self.expire(true).await.error());
        }
        let mut state = self.state.lock().await;
        self.active.store(false, Ordering::Release);
        self.stop_timer();
        let placeholder = if commit {
            Ended::CommitFailed
        } else {
            Ended::RolledBack
        };
        match std::mem::replace(&mut *state, State::Ended(placeholder)) {
            State::Active(_) if self.abandoned.load(Ordering::Acquire) => {
                *state = State::Ended(Ended::Abandoned);
                Err(Ended::Abandoned.error())
            }
            State::Active(conn) if commit => {
                conn.commit().await?;
                *state = State::Ended(Ended::Committed);
                Ok(())
            }
            State::Active(conn) => conn.rollback().await,
            // Already rolled back: what a rollback asks for.
            State::Ended(ended @ Ended::Aborted { .. }) if !commit => {
                *state = State::Ended(ended);
                Ok(())
            }
            // Committing what a conflict rolled back: the conflict, retryable.
            State::Ended(ended @ Ended::Aborted { conflict: true }) => {
                *state = State::Ended(ended);
                Err(Error::transaction_conflict(portico_domain::error::Message(
                    "an operation of the transaction conflicted with a concurrent transaction"
                        .to_owned(),
                )))
            }
            State::Ended(ended) => {
                *state = State::Ended(ended);
                Err(ended.error())
            }
        }
    }

    /// Commits; the transaction has ended afterwards, whatever the outcome.
    pub async fn commit(&self) -> Result<()> {
        self.finish(true).await
    }

    /// Rolls back; the transaction has ended afterwards, whatever the outcome.
    pub async fn rollback(&self) -> Result<()> {
        self.finish(false).await
    }

    /// Ends the transaction without waiting: dropping the connection rolls it back (now, or
    /// when the operation in flight returns).
    pub fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        self.active.store(false, Ordering::Release);
        self.stop_timer();
        if let Ok(mut state) = self.state.try_lock()
            && matches!(*state, State::Active(_))
        {
            *state = State::Ended(Ended::Abandoned);
        }
    }
}

/// The store of an open transaction: `store` (the adapter's store, set to run on the
/// transaction's connection or session) with every operation run through [`Tx::run`], and the
/// transaction's end. Adapters hand it to [`Transaction::new`](portico_ports::Transaction::new).
pub struct TxStore<S, C> {
    store: S,
    tx: Arc<Tx<C>>,
}

/// Opens the transaction the adapter began on `conn`: starts its state machine (with the
/// options' timeout), has `scoped` make the adapter's store that runs on it, and returns the
/// ports' [`Transaction`] over both. The same steps for every adapter; `scoped` only sets its
/// store to the transaction (and turns its `transactions` capability off: they do not nest).
pub fn open<S, C>(
    conn: C,
    options: TransactionOptions,
    scoped: impl FnOnce(Arc<Tx<C>>) -> S,
) -> Transaction
where
    S: Store + 'static,
    C: Finish + 'static,
{
    let tx = Tx::start(conn, options.timeout);
    let store = scoped(Arc::clone(&tx));
    Transaction::new(Arc::new(TxStore::new(store, tx)), options)
}

impl<S, C> TxStore<S, C> {
    /// The transaction store over `store`, which runs inside `tx`.
    pub fn new(store: S, tx: Arc<Tx<C>>) -> Self {
        TxStore { store, tx }
    }
}

impl<S: std::fmt::Debug, C: Finish> std::fmt::Debug for TxStore<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxStore")
            .field("store", &self.store)
            .field("active", &self.tx.is_active())
            .finish()
    }
}

#[async_trait]
impl<S: Store, C: Finish> Store for TxStore<S, C> {
    fn capabilities(&self) -> &Capabilities {
        self.store.capabilities()
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        Err(Error::Unsupported(format!(
            "migrating {} inside a transaction: migrate before beginning it",
            model.name
        )))
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        self.tx.run(self.store.insert(model, records)).await
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        self.tx.run(self.store.find(model, filter)).await
    }

    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut RowSink<'s>,
    ) -> Result<()> {
        self.tx.run(self.store.find_each(model, filter, sink)).await
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.tx.run(self.store.count(model, condition)).await
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        self.tx
            .run(self.store.update(model, patch, condition))
            .await
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        self.tx.run(self.store.replace(model, id, record)).await
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.tx.run(self.store.delete(model, condition)).await
    }

    fn pool_stats(&self) -> Option<portico_ports::PoolStats> {
        self.store.pool_stats()
    }

    async fn ping(&self) -> Result<()> {
        self.tx.run(self.store.ping()).await
    }
}

#[async_trait]
impl<S: Store, C: Finish> TransactionStore for TxStore<S, C> {
    async fn commit(&self) -> Result<()> {
        self.tx.commit().await
    }

    async fn rollback(&self) -> Result<()> {
        self.tx.rollback().await
    }

    fn abandon(&self) {
        self.tx.abandon();
    }

    fn is_active(&self) -> bool {
        self.tx.is_active()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use portico_domain::error::Message;

    use super::*;

    /// Records how the fake connection ended.
    struct Fake(Arc<StdMutex<Vec<&'static str>>>);

    #[async_trait]
    impl Finish for Fake {
        async fn commit(self) -> Result<()> {
            self.0.lock().unwrap().push("commit");
            Ok(())
        }
        async fn rollback(self) -> Result<()> {
            self.0.lock().unwrap().push("rollback");
            Ok(())
        }
        fn aborted_by(&self, error: &Error) -> bool {
            from_the_backend(error)
        }
    }

    fn start(timeout: Option<Duration>) -> (Arc<Tx<Fake>>, Arc<StdMutex<Vec<&'static str>>>) {
        let log = Arc::new(StdMutex::new(Vec::new()));
        (Tx::start(Fake(log.clone()), timeout), log)
    }

    fn closed(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::TransactionClosed(message)) => message,
            other => panic!("expected TransactionClosed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn it_ends_once_and_says_how() {
        let (tx, log) = start(None);
        tx.run(async { tx.conn().await.map(|_| ()) }).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!tx.is_active());
        assert!(closed(tx.conn().await.map(|_| ())).contains("committed"));
        assert!(closed(tx.rollback().await).contains("committed"));
        assert_eq!(*log.lock().unwrap(), ["commit"]);
    }

    #[tokio::test]
    async fn abandoning_drops_the_connection_now_or_after_the_operation_in_flight() {
        let (tx, log) = start(None);
        tx.abandon();
        assert!(closed(tx.conn().await.map(|_| ())).contains("dropped"));
        assert!(
            log.lock().unwrap().is_empty(),
            "dropped, not rolled back by hand"
        );

        let (tx, _) = start(None);
        let in_flight = tx
            .run(async {
                let _conn = tx.conn().await?;
                tx.abandon();
                Ok(())
            })
            .await;
        assert!(in_flight.is_ok());
        assert!(closed(tx.commit().await).contains("dropped"));
    }

    #[tokio::test]
    async fn a_conflict_ends_it_a_refused_filter_does_not() {
        let (tx, log) = start(None);
        let refused: Result<()> = tx.run(async { Err(Error::InvalidBody("{}".into())) }).await;
        assert!(refused.is_err());
        assert!(tx.is_active());
        let conflict: Result<()> = tx
            .run(async { Err(Error::transaction_conflict(Message("40001".into()))) })
            .await;
        assert!(conflict.unwrap_err().is_retryable());
        assert!(!tx.is_active());
        assert!(closed(tx.conn().await.map(|_| ())).contains("conflict"));
        assert!(tx.commit().await.unwrap_err().is_retryable());
        assert_eq!(*log.lock().unwrap(), ["rollback"]);

        let (tx, _) = start(None);
        let _ = tx
            .run(async { Err::<(), _>(Error::transaction_conflict(Message("x".into()))) })
            .await;
        tx.rollback()
            .await
            .expect("rolling back what a conflict rolled back succeeds");
    }

    #[tokio::test]
    async fn the_deadline_rolls_it_back_idle_or_busy() {
        let (tx, log) = start(Some(Duration::from_millis(50)));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!tx.is_active());
        assert!(closed(tx.commit().await).contains("timed out"));
        // By the timer, or (on a loaded machine) by the late commit.
        assert_eq!(*log.lock().unwrap(), ["rollback"]);

        let (tx, _) = start(Some(Duration::from_millis(50)));
        let busy = tx
            .run(async {
                let _conn = tx.conn().await?;
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            })
            .await;
        assert!(closed(busy).contains("timed out"));
        assert!(closed(tx.rollback().await).contains("timed out"));
    }
}
