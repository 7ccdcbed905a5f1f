//! The per-entity logic, written once over any [`Store`]: LoopBack's `DefaultCrudRepository`.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    CheckOptions, Checked, DefaultValue, Entity, Error, FieldValue as _, Filter, FilterError,
    FilterErrors, IdStrategy, Limits, ModelDef, Patch, Record, RecordError, Result,
    ValidationErrors, Value, Where, WriteMode,
};
use serde_json::json;

use crate::repository::{EntityRepository, RecordRepository};
use crate::store::{RowSink, Store};

/// The untyped repository of one model over a [`Store`]: validation, defaults, id generation,
/// id and patch rules and filter checking happen here, once for every adapter.
#[derive(Clone)]
pub struct CrudRepository {
    model: Arc<ModelDef>,
    store: Arc<dyn Store>,
    options: CheckOptions,
}

impl std::fmt::Debug for CrudRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrudRepository")
            .field("model", &self.model.name)
            .finish_non_exhaustive()
    }
}

impl CrudRepository {
    /// A repository of `model` over `store`, with the default filter [`Limits`].
    ///
    /// # Errors
    /// `Validation`-free by design: returns [`Error::Unsupported`] when the model definition is
    /// itself invalid (no id, two ids…) or needs a capability the store lacks (free-form
    /// properties).
    pub fn new(model: Arc<ModelDef>, store: Arc<dyn Store>) -> Result<Self> {
        if let Err(problems) = model.check() {
            return Err(Error::Unsupported(format!(
                "invalid model {}: {}",
                model.name,
                problems.join("; ")
            )));
        }
        if let Err(problems) = model.check_relations() {
            return Err(Error::Unsupported(problems.join("; ")));
        }
        let capabilities = store.capabilities().clone();
        if !model.settings.strict && !capabilities.free_form_properties {
            return Err(Error::Unsupported(format!(
                "{} is free-form (strict: false), which this backend does not support",
                model.name
            )));
        }
        if model.id_strategy() == IdStrategy::StoreObjectId && !capabilities.object_ids {
            return Err(Error::Unsupported(format!(
                "{} has a store-generated string id (an ObjectId), which this backend does not generate",
                model.name
            )));
        }
        Ok(CrudRepository {
            model,
            store,
            options: CheckOptions::new(capabilities),
        })
    }

    /// Replaces the filter limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.options.limits = limits;
        self
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn id_name(&self) -> &str {
        &self.model.id_property().name
    }

    /// Coerces an id to the id property's type.
    pub(crate) fn coerce_id(&self, id: Value) -> Result<Value> {
        let prop = self.model.id_property();
        if id.is_of(&prop.ty) {
            return Ok(id);
        }
        let shown = id.to_json();
        match id.coerce(&prop.ty) {
            Ok(v) if !v.is_null() => Ok(v),
            _ => Err(Error::InvalidFilter(FilterErrors(vec![FilterError {
                path: "/id".to_owned(),
                code: "type",
                message: format!("{} id must be {}, got {shown}", self.model.name, prop.ty),
            }]))),
        }
    }

    fn where_id(&self, id: &Value) -> Result<Checked<Where>> {
        Where::cond(self.id_name(), portico_domain::Op::Eq(id.clone()))
            .check(&self.model, &self.options)
    }

    fn check_where(&self, condition: Option<Where>) -> Result<Checked<Where>> {
        condition.map_or_else(
            || Ok(Checked::all()),
            |w| w.check(&self.model, &self.options),
        )
    }

    /// Fills defaults, generates a kit id, validates and normalises a record for create.
    fn prepare_new(&self, mut record: Record) -> Result<Record> {
        self.refuse_navigational(&record)?;
        apply_defaults(&self.model, &mut record);
        let strategy = self.model.id_strategy();
        let id_name = self.id_name().to_owned();
        let mut errors = match self.model.validate(&record, WriteMode::Create) {
            Ok(()) => ValidationErrors::new(&self.model.name),
            Err(errors) => errors,
        };
        if strategy == IdStrategy::Client
            && record.get(&id_name).is_none_or(Value::is_null)
            && !errors
                .details
                .iter()
                .any(|d| d.code == "required" && d.info == json!({"missingProperty": id_name}))
        {
            errors.push(
                "",
                "required",
                format!("must have required property '{id_name}'"),
                json!({"missingProperty": id_name}),
            );
        }
        errors.into_result(()).map_err(Error::Validation)?;
        if strategy == IdStrategy::KitUuid {
            record.insert(id_name, Value::Uuid(uuid::Uuid::new_v4()));
        }
        if let Some(version) = self.model.version_property() {
            record.insert(version.name.clone(), Value::Int(1));
        }
        Ok(normalize(record))
    }

    /// LoopBack's answer to a write that would change an id (a 400 over REST).
    fn id_change(&self, from: Option<&Value>, to: &Value) -> Error {
        let id_name = self.id_name();
        Error::InvalidBody(match from {
            Some(from) => {
                format!("{id_name} property ({id_name}) cannot be updated from {from} to {to}")
            }
            None => format!("{id_name} property ({id_name}) cannot be updated"),
        })
    }

    /// Validates a patch: not empty, valid properties, no id change. Returns it normalised,
    /// without an id equal to `keep_id`.
    fn prepare_patch(&self, mut patch: Record, keep_id: Option<&Value>) -> Result<Record> {
        self.refuse_navigational(&patch)?;
        if patch.is_empty() {
            return Err(Error::InvalidBody(
                "Data is required for the patch request".to_owned(),
            ));
        }
        let id_name = self.id_name().to_owned();
        if let Some(given) = patch.remove(&id_name) {
            let prop = self.model.id_property();
            let same = keep_id.is_some_and(|keep| {
                given
                    .clone()
                    .coerce(&prop.ty)
                    .is_ok_and(|g| g.filter_eq(keep))
            });
            if !same {
                return Err(self.id_change(keep_id, &given));
            }
        }
        self.model
            .validate(&patch, WriteMode::Patch)
            .map_err(Error::Validation)?;
        Ok(normalize(patch))
    }

    /// Refuses navigational properties in data to write (LoopBack's
    /// `rejectNavigationalPropertiesInData`).
    fn refuse_navigational(&self, record: &Record) -> Result<()> {
        match self
            .model
            .relations
            .iter()
            .find(|r| record.contains_key(&r.name))
        {
            None => Ok(()),
            Some(r) => Err(Error::InvalidBody(format!(
                "Navigational properties are not allowed in model data (model \"{}\" property \"{}\"), please remove it.",
                self.model.name, r.name
            ))),
        }
    }

    /// The version a write carries (the version property's value in its data), taken out of
    /// the data: the version the caller expects the stored record to be at.
    fn expected_version(&self, data: &mut Record) -> Result<Option<i64>> {
        let Some(version) = self.model.version_property() else {
            return Ok(None);
        };
        match data.remove(&version.name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Int(v)) => Ok(Some(v)),
            Some(other) => Err(Error::InvalidBody(format!(
                "{} must be an integer version, got {}",
                version.name,
                other.kind()
            ))),
        }
    }

    /// The stored version of the record with this id (0 for a record stored before the model
    /// had a version), or `NotFound`.
    async fn stored_version(&self, id: &Value, version_name: &str) -> Result<i64> {
        let filter = Filter::default()
            .fields([self.id_name(), version_name])
            .check(&self.model, &self.options)?
            .with_where(self.where_id(id)?);
        let found = self.store.find(&self.model, &filter).await?;
        let record = found
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(&self.model.name, id))?;
        Ok(match record.get(version_name) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        })
    }

    /// The clause matching the record with this id at this stored version.
    fn where_id_at(&self, id: &Value, version_name: &str, version: i64) -> Result<Checked<Where>> {
        let at = if version == 0 {
            Where::cond(version_name, portico_domain::Op::Eq(Value::Null))
        } else {
            Where::cond(version_name, portico_domain::Op::Eq(Value::Int(version)))
        };
        Where::all([
            Where::cond(self.id_name(), portico_domain::Op::Eq(id.clone())),
            at,
        ])
        .check(&self.model, &self.options)
    }

    /// Writes `patch` to the record with this id as a compare-and-set on its version: at
    /// `expected` when given (else at whatever version it is, retrying when a concurrent write
    /// gets in between), setting the next version.
    async fn write_versioned(
        &self,
        id: &Value,
        version_name: &str,
        expected: Option<i64>,
        mut patch: Record,
    ) -> Result<()> {
        loop {
            let current = self.stored_version(id, version_name).await?;
            if let Some(expected) = expected
                && expected != current
            {
                return Err(self.stale(id, expected, current));
            }
            patch.insert(version_name.to_owned(), Value::Int(current + 1));
            let condition = self.where_id_at(id, version_name, current)?;
            if self.store.update(&self.model, &patch, &condition).await? > 0 {
                return Ok(());
            }
        }
    }

    fn stale(&self, id: &Value, expected: i64, actual: i64) -> Error {
        Error::StaleVersion {
            entity: self.model.name.clone(),
            id: id.to_json().to_string(),
            expected,
            actual,
        }
    }

    async fn delete_at_version(&self, id: Value, version: i64) -> Result<()> {
        let id = self.coerce_id(id)?;
        let version_name = self
            .model
            .version_property()
            .map(|p| p.name.clone())
            .ok_or_else(|| {
                Error::Unsupported(format!("{} has no version property", self.model.name))
            })?;
        let condition = self.where_id_at(&id, &version_name, version)?;
        if self.store.delete(&self.model, &condition).await? > 0 {
            return Ok(());
        }
        let actual = self.stored_version(&id, &version_name).await?;
        Err(self.stale(&id, version, actual))
    }

    /// `update_all` of a versioned model: each matching record is written by a compare-and-set
    /// on its version (so each gets its own next version); a record changed concurrently is
    /// read again and written if it still matches.
    async fn update_all_versioned(
        &self,
        version_name: &str,
        patch: Record,
        condition: Option<Where>,
    ) -> Result<u64> {
        let condition = condition.unwrap_or_else(|| Where::And(Vec::new()));
        let id_name = self.id_name().to_owned();
        let matching = Filter::default()
            .where_(condition.clone())
            .fields([id_name.as_str(), version_name])
            .check(&self.model, &self.options)?;
        let mut pending = self.store.find(&self.model, &matching).await?;
        let mut written = 0;
        while let Some(mut record) = pending.pop() {
            let id = record.remove(&id_name).unwrap_or(Value::Null);
            let current = match record.get(version_name) {
                Some(Value::Int(v)) => *v,
                _ => 0,
            };
            let mut next = patch.clone();
            next.insert(version_name.to_owned(), Value::Int(current + 1));
            let at = self.where_id_at(&id, version_name, current)?.into_inner();
            let guarded = Where::all([at, condition.clone()]).check(&self.model, &self.options)?;
            if self.store.update(&self.model, &next, &guarded).await? > 0 {
                written += 1;
                continue;
            }
            // Changed in between: take it again if it still matches.
            let again = matching.clone().with_where(
                Where::all([
                    Where::cond(&id_name, portico_domain::Op::Eq(id)),
                    condition.clone(),
                ])
                .check(&self.model, &self.options)?,
            );
            pending.extend(self.store.find(&self.model, &again).await?);
        }
        Ok(written)
    }

    /// The error for a found record that does not fit its entity: a selection (`fields`, of
    /// the filter or of the scope of `relation`) leaving out a property the struct needs is
    /// the caller's `InvalidFilter`; anything else is the backend's.
    pub(crate) fn entity_error(&self, e: RecordError, projected: bool, relation: &str) -> Error {
        match (e, projected) {
            (RecordError::Missing(property), true) => {
                let (path, of) = if relation.is_empty() {
                    ("/fields".to_owned(), self.model.name.clone())
                } else {
                    (
                        "/include".to_owned(),
                        format!("the {relation} of {}", self.model.name),
                    )
                };
                Error::InvalidFilter(FilterErrors(vec![FilterError {
                    path,
                    code: "invalid",
                    message: format!(
                        "fields leaves out '{property}', which {of} needs (it is not an Option); select it or use the record repository"
                    ),
                }]))
            }
            (e, _) => Error::backend(e),
        }
    }

    /// `find`, each record handed to `sink` as values in the model's property order.
    pub(crate) async fn find_each(&self, filter: Filter, sink: &mut RowSink<'_>) -> Result<()> {
        let checked = filter.check(&self.model, &self.options)?;
        self.store.find_each(&self.model, &checked, sink).await
    }

    /// `find_by_id`, the record handed to `sink`; `NotFound` when there is none.
    pub(crate) async fn find_by_id_each(
        &self,
        id: Value,
        filter: Option<Filter>,
        sink: &mut RowSink<'_>,
    ) -> Result<()> {
        let (id, checked) = self.by_id_filter(id, filter)?;
        let mut found = false;
        self.store
            .find_each(&self.model, &checked, &mut |values| {
                found = true;
                sink(values)
            })
            .await?;
        if found {
            Ok(())
        } else {
            Err(Error::not_found(&self.model.name, &id))
        }
    }

    fn by_id_filter(&self, id: Value, filter: Option<Filter>) -> Result<(Value, Checked<Filter>)> {
        let id = self.coerce_id(id)?;
        let filter = filter.unwrap_or_default();
        if filter.where_.is_some() {
            return Err(Error::InvalidFilter(FilterErrors(vec![FilterError {
                path: "/where".to_owned(),
                code: "invalid",
                message: "find by id takes no where clause".to_owned(),
            }])));
        }
        let checked = Filter {
            limit: None,
            skip: None,
            ..filter
        }
        .check(&self.model, &self.options)?;
        let checked = checked.with_where(self.where_id(&id)?);
        Ok((id, checked))
    }

    /// Finds records and resolves the filter's inclusions on them. The keys inclusion relates
    /// by are selected even when `fields` leaves them out.
    pub(crate) async fn find_checked(&self, filter: Checked<Filter>) -> Result<Vec<Record>> {
        if filter.include.is_empty() {
            return self.store.find(&self.model, &filter).await;
        }
        let mut query = filter.clone();
        for (name, _) in filter.inclusions() {
            if let Some(relation) = self.model.get_relation(name) {
                query = query.selecting(&self.model, &relation.keys(&self.model).source);
            }
        }
        let mut records = self.store.find(&self.model, &query).await?;
        self.include(&self.model, &mut records, &filter).await?;
        Ok(records)
    }
}

/// Date-times are stored at millisecond precision on every backend.
fn normalize(mut record: Record) -> Record {
    // In place: only date-times change, and rebuilding the map would reallocate every node.
    for v in record.values_mut() {
        if matches!(v, Value::DateTime(_) | Value::Array(_)) {
            *v = std::mem::replace(v, Value::Null).truncate_to_millis();
        }
    }
    record
}

fn apply_defaults(model: &ModelDef, record: &mut Record) {
    for p in &model.properties {
        let Some(default) = &p.default else { continue };
        if record.get(&p.name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let value = match default {
            DefaultValue::Value(v) => v.clone(),
            DefaultValue::Now => Value::DateTime(chrono::Utc::now()),
            DefaultValue::Uuid => Value::Uuid(uuid::Uuid::new_v4()),
        };
        record.insert(p.name.clone(), value);
    }
}

#[async_trait]
impl RecordRepository for CrudRepository {
    fn model(&self) -> &ModelDef {
        &self.model
    }

    fn check_options(&self) -> &CheckOptions {
        &self.options
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
                Ok(normalize(stored))
            }
        }
    }

    async fn find(&self, filter: Filter) -> Result<Vec<Record>> {
        let checked = filter.check(&self.model, &self.options)?;
        self.find_checked(checked).await
    }

    async fn find_one(&self, filter: Filter) -> Result<Option<Record>> {
        Ok(self.find(filter.limit(1)).await?.into_iter().next())
    }

    async fn find_by_id(&self, id: Value, filter: Option<Filter>) -> Result<Record> {
        let (id, checked) = self.by_id_filter(id, filter)?;
        self.find_checked(checked)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(&self.model.name, &id))
    }

    async fn count(&self, condition: Option<Where>) -> Result<u64> {
        let checked = self.check_where(condition)?;
        self.store.count(&self.model, &checked).await
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

    async fn update_all(&self, mut patch: Record, condition: Option<Where>) -> Result<u64> {
        if let Some(version) = self.model.version_property() {
            if self.expected_version(&mut patch)?.is_some() {
                return Err(Error::InvalidBody(format!(
                    "{} is the version; it can only be given when updating one entity by id",
                    version.name
                )));
            }
            let patch = self.prepare_patch(patch, None)?;
            return self
                .update_all_versioned(&version.name, patch, condition)
                .await;
        }
        let patch = self.prepare_patch(patch, None)?;
        let checked = self.check_where(condition)?;
        self.store.update(&self.model, &patch, &checked).await
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
            let mut all = normalize(record);
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
            .replace(&self.model, &id, &normalize(record))
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
            let checked = filter.check(&self.records.model, &self.records.options)?;
            if let Some(found) = self.records.find_entities_including(&checked).await? {
                return Ok(found);
            }
            // Nested inclusions arrive as navigational properties of records.
            let records = self.records.find_checked(checked).await?;
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
