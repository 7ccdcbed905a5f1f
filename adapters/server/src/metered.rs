//! A [`Store`] decorator timing every operation into the
//! `portico_store_operation_duration_seconds` histogram.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_ports::{RowSink, Store, Transaction, TransactionOptions, TransactionStore};

use crate::metrics::STORE_OPERATION_DURATION;

/// A [`Store`] passing every operation to `inner` and recording how long it took in the
/// `portico_store_operation_duration_seconds` histogram, labelled `model` (empty for `ping` and
/// `begin`), `operation` (`migrate`, `insert`, `find`, `find_each`, `count`, `update`,
/// `replace`, `delete`, `ping`, `begin`, and `commit`/`rollback` in a transaction) and
/// `outcome` (`ok`, or the error's kind: `not_found`, `validation`, `invalid_filter`,
/// `conflict`, `invalid_body`, `unsupported`, `unavailable`, `backend`,
/// `transaction_conflict`, `transaction_closed`, `stale_version`). The operations of a
/// transaction it begins are recorded too. It claims the inner store's capabilities.
///
/// This is the interceptor pattern for ports: a decorator implementing the port trait.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
}

impl MeteredStore {
    /// `inner`, metered.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        MeteredStore { inner }
    }
}

impl std::fmt::Debug for MeteredStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeteredStore").finish_non_exhaustive()
    }
}

/// The `outcome` label of a result.
fn outcome<T>(result: &Result<T>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => match e {
            Error::NotFound { .. } => "not_found",
            Error::Validation(_) => "validation",
            Error::InvalidFilter(_) => "invalid_filter",
            Error::Conflict { .. } => "conflict",
            Error::InvalidBody(_) => "invalid_body",
            Error::Unsupported(_) => "unsupported",
            Error::Unavailable(_) => "unavailable",
            Error::NotMigrated { .. } => "not_migrated",
            Error::Backend(_) => "backend",
            Error::TransactionConflict(_) => "transaction_conflict",
            Error::TransactionClosed(_) => "transaction_closed",
            Error::StaleVersion { .. } => "stale_version",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::AccessDenied => "access_denied",
            Error::TooManyAttempts { .. } => "too_many_attempts",
        },
    }
}

/// Runs `operation`, recording its duration.
async fn timed<T>(
    model: &str,
    operation: &'static str,
    run: impl Future<Output = Result<T>>,
) -> Result<T> {
    let started = Instant::now();
    let result = run.await;
    metrics::histogram!(
        STORE_OPERATION_DURATION,
        "model" => model.to_owned(),
        "operation" => operation,
        "outcome" => outcome(&result),
    )
    .record(started.elapsed().as_secs_f64());
    result
}

#[async_trait]
impl Store for MeteredStore {
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        timed(&model.name, "migrate", self.inner.migrate(model)).await
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        timed(&model.name, "insert", self.inner.insert(model, records)).await
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        timed(&model.name, "find", self.inner.find(model, filter)).await
    }

    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut RowSink<'s>,
    ) -> Result<()> {
        timed(
            &model.name,
            "find_each",
            self.inner.find_each(model, filter, sink),
        )
        .await
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        timed(&model.name, "count", self.inner.count(model, condition)).await
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        timed(
            &model.name,
            "update",
            self.inner.update(model, patch, condition),
        )
        .await
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        timed(
            &model.name,
            "replace",
            self.inner.replace(model, id, record),
        )
        .await
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        timed(&model.name, "delete", self.inner.delete(model, condition)).await
    }

    fn pool_stats(&self) -> Option<portico_ports::PoolStats> {
        self.inner.pool_stats()
    }

    async fn ping(&self) -> Result<()> {
        timed("", "ping", self.inner.ping()).await
    }

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        let transaction = timed("", "begin", self.inner.begin(options.clone())).await?;
        let store = MeteredStore::new(transaction.store());
        Ok(Transaction::new(
            Arc::new(MeteredTransaction {
                store,
                transaction: Mutex::new(Some(transaction)),
            }),
            options,
        ))
    }
}

/// A transaction begun on a [`MeteredStore`]: its operations metered, its end delegated to the
/// inner store's transaction.
struct MeteredTransaction {
    store: MeteredStore,
    /// The inner transaction until it is committed, rolled back or abandoned.
    transaction: Mutex<Option<Transaction>>,
}

impl MeteredTransaction {
    fn take(&self) -> Option<Transaction> {
        self.transaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

#[async_trait]
impl Store for MeteredTransaction {
    fn capabilities(&self) -> &Capabilities {
        self.store.capabilities()
    }
    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        self.store.migrate(model).await
    }
    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        self.store.insert(model, records).await
    }
    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        self.store.find(model, filter).await
    }
    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut RowSink<'s>,
    ) -> Result<()> {
        self.store.find_each(model, filter, sink).await
    }
    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.store.count(model, condition).await
    }
    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        self.store.update(model, patch, condition).await
    }
    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        self.store.replace(model, id, record).await
    }
    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.store.delete(model, condition).await
    }
    async fn ping(&self) -> Result<()> {
        self.store.ping().await
    }
    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        self.store.begin(options).await
    }
}

#[async_trait]
impl TransactionStore for MeteredTransaction {
    async fn commit(&self) -> Result<()> {
        match self.take() {
            Some(transaction) => timed("", "commit", transaction.commit()).await,
            None => Err(closed()),
        }
    }

    async fn rollback(&self) -> Result<()> {
        match self.take() {
            Some(transaction) => timed("", "rollback", transaction.rollback()).await,
            None => Err(closed()),
        }
    }

    fn abandon(&self) {
        // Dropping the inner transaction unfinished abandons it.
        drop(self.take());
    }

    fn is_active(&self) -> bool {
        self.transaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(Transaction::is_active)
    }
}

/// The error of ending a transaction already ended through this wrapper (the ports'
/// `Transaction` ends it once, so this is not reached through it).
fn closed() -> Error {
    Error::TransactionClosed("the transaction has already ended".to_owned())
}

#[cfg(all(test, feature = "memory"))]
mod tests {
    use portico_domain::Entity;
    use portico_ports::{EntityRepository, Repository, TransactionOptions};

    use super::*;

    #[derive(Entity, Clone, Debug, PartialEq)]
    struct Gauge {
        #[portico(id, generated)]
        id: Option<i64>,
        label: String,
    }

    fn rendered_count(text: &str, model: &str, operation: &str, outcome: &str) -> u64 {
        let prefix = format!(
            "{STORE_OPERATION_DURATION}_count{{model=\"{model}\",operation=\"{operation}\",outcome=\"{outcome}\"}} "
        );
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    #[tokio::test]
    async fn every_operation_is_timed_and_delegated() {
        let handle = crate::metrics::install();
        let store: Arc<dyn Store> = Arc::new(MeteredStore::new(Arc::new(
            portico_memory::MemoryStore::new(),
        )));
        assert_eq!(
            store.capabilities(),
            portico_memory::MemoryStore::new().capabilities()
        );
        let before = handle.render();
        store.migrate(Gauge::definition()).await.unwrap();
        store.ping().await.unwrap();
        let gauges = Repository::<Gauge>::new(Arc::clone(&store)).unwrap();
        let created = gauges
            .create(Gauge {
                id: None,
                label: "a".into(),
            })
            .await
            .unwrap();
        assert_eq!(gauges.find(Default::default()).await.unwrap().len(), 1);
        assert_eq!(gauges.count(None).await.unwrap(), 1);
        assert!(gauges.find_by_id(99, None).await.is_err());
        gauges.delete_by_id(created.id.unwrap()).await.unwrap();

        let tx = store.begin(TransactionOptions::new()).await.unwrap();
        let in_tx = tx.repository::<Gauge>().unwrap();
        in_tx
            .create(Gauge {
                id: None,
                label: "b".into(),
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(gauges.count(None).await.unwrap(), 1);

        let after = handle.render();
        let grew = |model: &str, operation: &str, outcome: &str| {
            rendered_count(&after, model, operation, outcome)
                > rendered_count(&before, model, operation, outcome)
        };
        for operation in ["migrate", "insert", "count", "delete"] {
            assert!(grew("Gauge", operation, "ok"), "{operation}\n{after}");
        }
        assert!(
            grew("Gauge", "find", "ok") || grew("Gauge", "find_each", "ok"),
            "{after}"
        );
        assert!(grew("", "ping", "ok"), "{after}");
        assert!(grew("", "begin", "ok"), "{after}");
        assert!(grew("", "commit", "ok"), "{after}");
    }

    #[test]
    fn outcomes_name_the_error_kind() {
        assert_eq!(outcome(&Ok(())), "ok");
        assert_eq!(
            outcome::<()>(&Err(Error::Unavailable("down".into()))),
            "unavailable"
        );
        assert_eq!(
            outcome::<()>(&Err(Error::Unsupported(String::new()))),
            "unsupported"
        );
    }
}
