//! [`Repository<E>`]: the typed repository, converting entities to records and back around a
//! [`CrudRepository`].

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    Entity, Error, FieldValue as _, Filter, Limits, Patch, Record, RecordError, Result, Value,
    Where,
};

use crate::crud::CrudRepository;
use crate::repository::{EntityRepository, RecordRepository};
use crate::scope::Scope;
use crate::store::Store;

/// The typed repository of entity `E` over a [`Store`]: converts entities to records and back
/// around a [`CrudRepository`].
pub struct Repository<E> {
    records: CrudRepository,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Repository<E> {
    fn clone(&self) -> Self {
        Repository {
            records: self.records.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for Repository<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Repository").field(&self.records).finish()
    }
}

impl<E: Entity> Repository<E> {
    /// The repository of `E` over `store`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `E`'s model needs a capability the store lacks.
    pub fn new(store: Arc<dyn Store>) -> Result<Self> {
        Ok(Repository {
            records: CrudRepository::new(Arc::new(E::definition().clone()), store)?,
            _entity: PhantomData,
        })
    }

    /// Replaces the filter limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.records = self.records.with_limits(limits);
        self
    }

    /// This repository within a row-level [`Scope`] (see [`CrudRepository::scoped`]): what
    /// a custom operation uses to act for its caller only.
    pub fn scoped(&self, scope: Arc<Scope>) -> Self {
        Repository {
            records: self.records.scoped(scope),
            _entity: PhantomData,
        }
    }

    /// The untyped repository underneath (same store, same model).
    pub fn records(&self) -> &CrudRepository {
        &self.records
    }

    fn entity(&self, record: Record, projected: bool) -> Result<E> {
        E::from_record(record).map_err(|e| self.record_error(e, projected))
    }

    fn record_error(&self, e: RecordError, projected: bool) -> Error {
        self.records.entity_error(e, projected, "")
    }

    fn entity_from_values(
        &self,
        values: &mut dyn Iterator<Item = Value>,
        projected: bool,
    ) -> Result<E> {
        E::from_values(values).map_err(|e| self.record_error(e, projected))
    }

    fn entities(&self, records: Vec<Record>, projected: bool) -> Result<Vec<E>> {
        records
            .into_iter()
            .map(|r| self.entity(r, projected))
            .collect()
    }
}

#[async_trait]
impl<E: Entity> EntityRepository<E> for Repository<E> {
    async fn create(&self, entity: E) -> Result<E> {
        self.entity(self.records.create(entity.to_record()).await?, false)
    }

    async fn create_all(&self, entities: Vec<E>) -> Result<Vec<E>> {
        let records = entities.iter().map(Entity::to_record).collect();
        self.entities(self.records.create_all(records).await?, false)
    }

    async fn save(&self, entity: E) -> Result<E> {
        self.entity(self.records.save(entity.to_record()).await?, false)
    }

    async fn find(&self, filter: Filter) -> Result<Vec<E>> {
        let projected = filter.fields.is_some();
        if !filter.include.is_empty() {
            let checked = filter.check(self.records.model(), self.records.check_options())?;
            if let Some(found) = self.records.find_entities_including(&checked).await? {
                return Ok(found);
            }
            // Nested inclusions arrive as navigational properties of records.
            let records = self.records.find_including(checked).await?;
            return self.entities(records, projected);
        }
        let mut found = Vec::new();
        self.records
            .find_each(filter, &mut |values| {
                found.push(self.entity_from_values(values, projected)?);
                Ok(())
            })
            .await?;
        Ok(found)
    }

    async fn find_one(&self, filter: Filter) -> Result<Option<E>> {
        let projected = filter.fields.is_some();
        self.records
            .find_one(filter)
            .await?
            .map(|r| self.entity(r, projected))
            .transpose()
    }

    async fn find_by_id(&self, id: E::Id, filter: Option<Filter>) -> Result<E> {
        let projected = filter.as_ref().is_some_and(|f| f.fields.is_some());
        if filter.as_ref().is_some_and(|f| !f.include.is_empty()) {
            let record = self.records.find_by_id(id.into_value(), filter).await?;
            return self.entity(record, projected);
        }
        let mut found = None;
        self.records
            .find_by_id_each(id.into_value(), filter, &mut |values| {
                found = Some(self.entity_from_values(values, projected)?);
                Ok(())
            })
            .await?;
        found.ok_or_else(|| Error::backend(portico_domain::error::Message("no record".into())))
    }

    async fn count(&self, condition: Option<Where>) -> Result<u64> {
        self.records.count(condition).await
    }

    async fn exists(&self, id: E::Id) -> Result<bool> {
        self.records.exists(id.into_value()).await
    }

    async fn update_by_id(&self, id: E::Id, patch: Patch<E>) -> Result<()> {
        self.records
            .update_by_id(id.into_value(), patch.into_record())
            .await
    }

    async fn update_all(&self, patch: Patch<E>, condition: Option<Where>) -> Result<u64> {
        self.records
            .update_all(patch.into_record(), condition)
            .await
    }

    async fn replace_by_id(&self, id: E::Id, entity: E) -> Result<()> {
        self.records
            .replace_by_id(id.into_value(), entity.to_record())
            .await
    }

    async fn delete_by_id(&self, id: E::Id) -> Result<()> {
        self.records.delete_by_id(id.into_value()).await
    }

    async fn delete_all(&self, condition: Option<Where>) -> Result<u64> {
        self.records.delete_all(condition).await
    }
}
