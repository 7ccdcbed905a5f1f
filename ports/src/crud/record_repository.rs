//! [`RecordRepository`] for [`CrudRepository`]: LoopBack's repository method set over records.

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    CheckOptions, Checked, Error, Filter, ModelDef, Record, Result, Value, Where, WriteMode,
};

use super::{CrudRepository, apply_defaults, normalize};
use crate::repository::RecordRepository;
use crate::scope::Scope;

#[async_trait]
impl RecordRepository for CrudRepository {
    fn model(&self) -> &ModelDef {
        &self.model
    }

    fn check_options(&self) -> &CheckOptions {
        &self.options
    }

    fn scoped(&self, scope: Arc<Scope>) -> Result<Arc<dyn RecordRepository>> {
        Ok(Arc::new(CrudRepository::scoped(self, scope)))
    }

    async fn create(&self, record: Record) -> Result<Record> {
        let mut stored = self.create_all(vec![record]).await?;
        stored.pop().ok_or_else(|| {
            Error::backend(portico_domain::error::Message(
                "insert returned no record".into(),
            ))
        })
    }

    async fn create_all(&self, records: Vec<Record>) -> Result<Vec<Record>> {
        let prepared = records
            .into_iter()
            .map(|r| self.prepare_new(r))
            .collect::<Result<Vec<_>>>()?;
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        self.store.insert(&self.model, prepared).await
    }

    async fn save(&self, record: Record) -> Result<Record> {
        match record.get(self.id_name()).filter(|v| !v.is_null()).cloned() {
            None => self.create(record).await,
            Some(id) => {
                let id = self.coerce_id(id)?;
                let mut stored = record;
                stored.insert(self.id_name().to_owned(), id.clone());
                // Defaults are filled in once, so what is returned is what was stored.
                apply_defaults(&self.model, &mut stored);
                self.replace_by_id(id, stored.clone()).await?;
                Ok(normalize(&self.model, stored))
            }
        }
    }

    async fn find(&self, filter: Filter) -> Result<Vec<Record>> {
        let checked = filter.check(&self.model, &self.options)?;
        self.find_including(checked).await
    }

    async fn find_one(&self, filter: Filter) -> Result<Option<Record>> {
        Ok(self.find(filter.limit(1)).await?.into_iter().next())
    }

    async fn find_by_id(&self, id: Value, filter: Option<Filter>) -> Result<Record> {
        let (id, checked) = self.by_id_filter(id, filter)?;
        self.find_one_by_id(&id, checked).await
    }

    async fn count(&self, condition: Option<Where>) -> Result<u64> {
        let checked = self.check_where(condition)?;
        self.count_checked(checked).await
    }

    async fn find_checked(&self, filter: Checked<Filter>) -> Result<Vec<Record>> {
        self.find_including(filter).await
    }

    async fn find_by_id_checked(&self, id: Value, filter: Checked<Filter>) -> Result<Record> {
        let id = self.coerce_id(id)?;
        let filter = filter
            .for_one_record("find by id")
            .map_err(Error::InvalidFilter)?
            .with_where(self.where_id(&id)?);
        self.find_one_by_id(&id, filter).await
    }

    async fn count_checked(&self, condition: Checked<Where>) -> Result<u64> {
        self.store.count(&self.model, &condition).await
    }

    async fn exists(&self, id: Value) -> Result<bool> {
        let id = self.coerce_id(id)?;
        Ok(self.store.count(&self.model, &self.where_id(&id)?).await? > 0)
    }

    async fn update_by_id(&self, id: Value, mut patch: Record) -> Result<()> {
        let id = self.coerce_id(id)?;
        if let Some(version) = self.model.version_property() {
            let expected = self.expected_version(&mut patch)?;
            let patch = if patch.is_empty() && expected.is_some() {
                patch // only the version: a touch that still counts as a write
            } else {
                self.prepare_patch(patch, Some(&id))?
            };
            return self
                .write_versioned(&id, &version.name, expected, patch)
                .await;
        }
        let patch = self.prepare_patch(patch, Some(&id))?;
        let condition = self.where_id(&id)?;
        let matched = if patch.is_empty() {
            self.store.count(&self.model, &condition).await?
        } else {
            self.store.update(&self.model, &patch, &condition).await?
        };
        if matched == 0 {
            return Err(Error::not_found(&self.model.name, &id));
        }
        Ok(())
    }

    async fn update_all(&self, patch: Record, condition: Option<Where>) -> Result<u64> {
        let checked = self.check_where(condition)?;
        self.update_all_checked(patch, checked).await
    }

    async fn update_all_checked(
        &self,
        mut patch: Record,
        condition: Checked<Where>,
    ) -> Result<u64> {
        if let Some(version) = self.model.version_property() {
            if self.expected_version(&mut patch)?.is_some() {
                return Err(Error::InvalidBody(format!(
                    "{} is the version; it can only be given when updating one entity by id",
                    version.name
                )));
            }
            let patch = self.prepare_patch(patch, None)?;
            return self
                .update_all_versioned(&version.name, patch, condition.into_inner())
                .await;
        }
        let patch = self.prepare_patch(patch, None)?;
        self.store.update(&self.model, &patch, &condition).await
    }

    async fn replace_by_id(&self, id: Value, mut record: Record) -> Result<()> {
        self.refuse_navigational(&record)?;
        let id = self.coerce_id(id)?;
        let expected = self.expected_version(&mut record)?;
        let id_name = self.id_name().to_owned();
        if let Some(given) = record.get(&id_name).filter(|v| !v.is_null())
            && !given
                .clone()
                .coerce(&self.model.id_property().ty)
                .is_ok_and(|g| g.filter_eq(&id))
        {
            return Err(self.id_change(Some(&id), given));
        }
        record.insert(id_name, id.clone());
        apply_defaults(&self.model, &mut record);
        self.model
            .validate(&record, WriteMode::Replace)
            .map_err(Error::Validation)?;
        if let Some(version) = self.model.version_property() {
            // A replace is a patch of every property (absent ones cleared), so it can be a
            // compare-and-set on the version like any other write.
            let mut all = normalize(&self.model, record);
            all.remove(self.id_name());
            for p in self.model.properties.iter().filter(|p| !p.id && !p.version) {
                all.entry(p.name.clone()).or_insert(Value::Null);
            }
            return self
                .write_versioned(&id, &version.name, expected, all)
                .await;
        }
        if !self
            .store
            .replace(&self.model, &id, &normalize(&self.model, record))
            .await?
        {
            return Err(Error::not_found(&self.model.name, &id));
        }
        Ok(())
    }

    async fn delete_by_id(&self, id: Value) -> Result<()> {
        let id = self.coerce_id(id)?;
        if self.store.delete(&self.model, &self.where_id(&id)?).await? == 0 {
            return Err(Error::not_found(&self.model.name, &id));
        }
        Ok(())
    }

    async fn delete_all(&self, condition: Option<Where>) -> Result<u64> {
        let checked = self.check_where(condition)?;
        self.store.delete(&self.model, &checked).await
    }

    async fn delete_by_id_at_version(&self, id: Value, version: i64) -> Result<()> {
        self.delete_at_version(id, version).await
    }
}
