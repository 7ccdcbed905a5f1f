//! Stores for the error paths no healthy backend takes: one whose every call fails (503, 500)
//! and one that honours only the minimal operators (501).

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::error::Message;
use portico_domain::{
    Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};
use portico_memory::MemoryStore;
use portico_ports::Store;
use portico_testing::HookedStore;

/// How every call of a [`FailingStore`] fails.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// `Error::Unavailable` (503).
    Unavailable,
    /// `Error::Backend` (500), with a secret in its source.
    Backend,
}

/// A store whose calls all fail (migration excepted).
pub struct FailingStore {
    pub failure: Failure,
    pub capabilities: Capabilities,
}

impl FailingStore {
    pub fn new(failure: Failure) -> Self {
        FailingStore {
            failure,
            capabilities: Capabilities::all_operators(),
        }
    }

    fn fail<T>(&self) -> Result<T> {
        let cause = Message("connect to db.internal:5432 as admin password=hunter2 failed".into());
        Err(match self.failure {
            Failure::Unavailable => Error::unavailable(cause),
            Failure::Backend => Error::backend(cause),
        })
    }
}

#[async_trait]
impl Store for FailingStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    async fn migrate(&self, _: &ModelDef) -> Result<()> {
        Ok(())
    }
    async fn insert(&self, _: &ModelDef, _: Vec<Record>) -> Result<Vec<Record>> {
        self.fail()
    }
    async fn find(&self, _: &ModelDef, _: &Checked<Filter>) -> Result<Vec<Record>> {
        self.fail()
    }
    async fn count(&self, _: &ModelDef, _: &Checked<Where>) -> Result<u64> {
        self.fail()
    }
    async fn update(&self, _: &ModelDef, _: &Record, _: &Checked<Where>) -> Result<u64> {
        self.fail()
    }
    async fn replace(&self, _: &ModelDef, _: &Value, _: &Record) -> Result<bool> {
        self.fail()
    }
    async fn delete(&self, _: &ModelDef, _: &Checked<Where>) -> Result<u64> {
        self.fail()
    }
}

/// The memory store, claiming only the operators every backend must offer.
pub fn minimal_store() -> HookedStore {
    HookedStore::new(
        Arc::new(MemoryStore::new()),
        Box::new(|_| Box::pin(async {})),
    )
    .with_capabilities(Capabilities::minimal())
}
