//! Row-level ownership: a [`Scope`] says which models' records belong to whom, and a
//! [`ScopedStore`] runs every operation of a store within it — the `where` of every find,
//! count, update and delete ANDed with `owner = caller`, the owner set on every create and
//! kept on every write. Being a `Store`, it scopes whatever runs over it: repositories,
//! relation repositories and inclusions alike, so no path can reach another caller's record.

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    AuthFailure, Capabilities, Checked, Error, Filter, ModelDef, Record, Result, Value, Where,
};

use crate::store::{PoolStats, RowSink, Store};
use crate::transaction::{Transaction, TransactionOptions};

/// Which models' records belong to a caller, and who the caller is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// The caller's id; `None` for an anonymous caller, who owns nothing.
    owner: Option<String>,
    /// Owned models: the model's name and the property holding its owner's id (shared by
    /// the scopes of every caller of one API).
    owned: Arc<Vec<(String, String)>>,
}

/// What a scope does to one model's records.
enum Restriction {
    /// The model is not owned: no restriction.
    Unrestricted,
    /// The caller can own none of them (anonymous, or an id the owner property cannot hold).
    Nothing(Error),
    /// Only those whose `property` is `value`.
    Owner {
        property: String,
        value: Value,
        condition: Checked<Where>,
    },
}

impl Scope {
    /// The scope of the caller with this id (`None`: anonymous), owning no model yet.
    pub fn of(owner: Option<&str>) -> Self {
        Scope {
            owner: owner.map(str::to_owned),
            owned: Arc::default(),
        }
    }

    /// With `model`'s records owned through `property` (e.g. `Todo`, `ownerId`).
    pub fn owning(mut self, model: impl Into<String>, property: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.owned).push((model.into(), property.into()));
        self
    }

    /// The same owned models, for the caller with this id: cheap (the models are shared), so
    /// a transport builds the scope once and gives each request its caller.
    pub fn for_owner(&self, owner: Option<&str>) -> Self {
        Scope {
            owner: owner.map(str::to_owned),
            owned: Arc::clone(&self.owned),
        }
    }

    fn restriction(&self, model: &ModelDef) -> Restriction {
        let Some((_, property)) = self.owned.iter().find(|(name, _)| *name == model.name) else {
            return Restriction::Unrestricted;
        };
        let Some(owner) = &self.owner else {
            return Restriction::Nothing(Error::Unauthenticated(AuthFailure::MissingCredentials));
        };
        let typed = model
            .get(property)
            .and_then(|p| Value::String(owner.clone()).coerce(&p.ty).ok());
        match typed.and_then(|value| {
            Checked::<Where>::equals(model, property, value.clone()).map(|c| (value, c))
        }) {
            Some((value, condition)) => Restriction::Owner {
                property: property.clone(),
                value,
                condition,
            },
            // An owner property that cannot hold this caller's id: they own none of them.
            None => Restriction::Nothing(Error::AccessDenied),
        }
    }
}

/// A [`Store`] running every operation within a [`Scope`] (see the module docs). Transactions
/// are refused: a transaction's store would escape the scope.
#[derive(Clone)]
pub struct ScopedStore {
    inner: Arc<dyn Store>,
    scope: Arc<Scope>,
}

impl ScopedStore {
    /// `inner` within `scope`.
    pub fn new(inner: Arc<dyn Store>, scope: Arc<Scope>) -> Self {
        ScopedStore { inner, scope }
    }
}

#[async_trait]
impl Store for ScopedStore {
    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        self.inner.migrate(model).await
    }

    async fn insert(&self, model: &ModelDef, mut records: Vec<Record>) -> Result<Vec<Record>> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => {}
            Restriction::Nothing(error) => return Err(error),
            Restriction::Owner {
                property, value, ..
            } => {
                for record in &mut records {
                    record.insert(property.clone(), value.clone());
                }
            }
        }
        self.inner.insert(model, records).await
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.find(model, filter).await,
            Restriction::Nothing(_) => Ok(Vec::new()),
            Restriction::Owner { condition, .. } => {
                let scoped = filter.clone().and_where(condition);
                self.inner.find(model, &scoped).await
            }
        }
    }

    async fn find_each<'s>(
        &self,
        model: &ModelDef,
        filter: &Checked<Filter>,
        sink: &mut RowSink<'s>,
    ) -> Result<()> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.find_each(model, filter, sink).await,
            Restriction::Nothing(_) => Ok(()),
            Restriction::Owner { condition, .. } => {
                let scoped = filter.clone().and_where(condition);
                self.inner.find_each(model, &scoped, sink).await
            }
        }
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.count(model, condition).await,
            Restriction::Nothing(_) => Ok(0),
            Restriction::Owner {
                condition: owned, ..
            } => self.inner.count(model, &condition.clone().and(owned)).await,
        }
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.update(model, patch, condition).await,
            Restriction::Nothing(_) => Ok(0),
            Restriction::Owner {
                property,
                value,
                condition: owned,
            } => {
                // The owner is kept: a patch naming it can only name the caller.
                let mut patch = patch.clone();
                if let Some(slot) = patch.get_mut(&property) {
                    *slot = value;
                }
                let scoped = condition.clone().and(owned);
                self.inner.update(model, &patch, &scoped).await
            }
        }
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.replace(model, id, record).await,
            Restriction::Nothing(_) => Ok(false),
            Restriction::Owner {
                property,
                value,
                condition,
            } => {
                let id_name = &model.id_property().name;
                let Some(by_id) = Checked::<Where>::equals(model, id_name, id.clone()) else {
                    return Ok(false);
                };
                // Owners change only through the scope, which keeps them: a record the caller
                // owns now is still theirs when it is replaced.
                if self.inner.count(model, &by_id.and(condition)).await? == 0 {
                    return Ok(false);
                }
                let mut record = record.clone();
                record.insert(property, value);
                self.inner.replace(model, id, &record).await
            }
        }
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        match self.scope.restriction(model) {
            Restriction::Unrestricted => self.inner.delete(model, condition).await,
            Restriction::Nothing(_) => Ok(0),
            Restriction::Owner {
                condition: owned, ..
            } => {
                self.inner
                    .delete(model, &condition.clone().and(owned))
                    .await
            }
        }
    }

    fn pool_stats(&self) -> Option<PoolStats> {
        self.inner.pool_stats()
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        let _ = options;
        Err(Error::Unsupported(
            "transactions are not available within an owner's scope".to_owned(),
        ))
    }
}
