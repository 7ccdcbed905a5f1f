//! A store that delegates to another and runs a hook before each operation, for tests that
//! count, delay or gate what reaches a backend, or that claim other capabilities.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{Capabilities, Checked, Filter, ModelDef, Record, Result, Value, Where};
use portico_ports::{RowSink, Store, Transaction, TransactionOptions};

/// The operation a [`HookedStore`]'s hook is called for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// `migrate`.
    Migrate,
    /// `insert`.
    Insert,
    /// `find` or `find_each`.
    Find,
    /// `count`.
    Count,
    /// `update`.
    Update,
    /// `replace`.
    Replace,
    /// `delete`.
    Delete,
    /// `ping`.
    Ping,
    /// `begin` (the transaction's own operations run on the inner store's transaction, unhooked).
    Begin,
}

/// What a [`HookedStore`] runs before each operation.
pub type Hook = Box<dyn Fn(StoreOp) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A [`Store`] passing every operation to `inner` after awaiting its hook.
pub struct HookedStore {
    inner: Arc<dyn Store>,
    capabilities: Capabilities,
    hook: Hook,
}

impl HookedStore {
    /// `inner`, with `hook` awaited before each operation.
    pub fn new(inner: Arc<dyn Store>, hook: Hook) -> Self {
        HookedStore {
            capabilities: inner.capabilities().clone(),
            inner,
            hook,
        }
    }

    /// Claims these capabilities instead of the inner store's.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }
}

#[async_trait]
impl Store for HookedStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        (self.hook)(StoreOp::Migrate).await;
        self.inner.migrate(model).await
    }
    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        (self.hook)(StoreOp::Insert).await;
        self.inner.insert(model, records).await
    }
    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        (self.hook)(StoreOp::Find).await;
        self.inner.find(model, filter).await
    }
    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut RowSink<'s>,
    ) -> Result<()> {
        (self.hook)(StoreOp::Find).await;
        self.inner.find_each(model, filter, sink).await
    }
    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        (self.hook)(StoreOp::Count).await;
        self.inner.count(model, condition).await
    }
    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        (self.hook)(StoreOp::Update).await;
        self.inner.update(model, patch, condition).await
    }
    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        (self.hook)(StoreOp::Replace).await;
        self.inner.replace(model, id, record).await
    }
    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        (self.hook)(StoreOp::Delete).await;
        self.inner.delete(model, condition).await
    }
    fn pool_stats(&self) -> Option<portico_ports::PoolStats> {
        self.inner.pool_stats()
    }

    async fn ping(&self) -> Result<()> {
        (self.hook)(StoreOp::Ping).await;
        self.inner.ping().await
    }
    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        (self.hook)(StoreOp::Begin).await;
        self.inner.begin(options).await
    }
}
