//! The per-entity logic, written once over any [`Store`]: LoopBack's `DefaultCrudRepository`.

use std::sync::Arc;

use portico_domain::{
    CheckOptions, Checked, DefaultValue, Error, Filter, FilterErrors, IdStrategy, Limits, ModelDef,
    PropertyType, Record, RecordError, Result, ValidationErrors, Value, Where, WriteMode,
};
use serde_json::json;

use crate::relations::RelatedRecords;
use crate::scope::{Scope, ScopedStore};
use crate::store::{RowSink, Store};

mod record_repository;
mod versioned;

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

    /// This repository within `scope` ([`ScopedStore`]): every read, count, write and
    /// inclusion it (and every relation repository it opens) runs sees only the records the
    /// scope's caller owns; creates are given the caller as owner. Cheap: nothing is checked
    /// again.
    pub fn scoped(&self, scope: Arc<Scope>) -> CrudRepository {
        CrudRepository {
            model: Arc::clone(&self.model),
            store: Arc::new(ScopedStore::new(Arc::clone(&self.store), scope)),
            options: self.options.clone(),
        }
    }

    /// The repository of relation `name` for the source record with id `source_id`: LoopBack's
    /// relation repositories and accessors, over records.
    ///
    /// # Errors
    /// `Unsupported` for an unknown relation; `InvalidFilter` for an id of the wrong type;
    /// `NotFound` when the relation relates by a property other than the id and no source
    /// record has this id.
    pub async fn related(&self, name: &str, source_id: Value) -> Result<RelatedRecords> {
        RelatedRecords::open(self, name, source_id).await
    }

    /// A repository of a related model over the same store and limits.
    pub(crate) fn related_repository(&self, model: &ModelDef) -> Result<CrudRepository> {
        Ok(
            CrudRepository::new(Arc::new(model.clone()), Arc::clone(self.store()))?
                .with_limits(self.options.limits),
        )
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
            _ => Err(Error::InvalidFilter(FilterErrors::one(
                "/id",
                "type",
                format!("{} id must be {}, got {shown}", self.model.name, prop.ty),
            ))),
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
        Ok(normalize(&self.model, record))
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
        Ok(normalize(&self.model, patch))
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
                Error::InvalidFilter(FilterErrors::one(
                    path,
                    "invalid",
                    format!(
                        "fields leaves out '{property}', which {of} needs (it is not an Option); select it or use the record repository"
                    ),
                ))
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
        let checked = filter
            .unwrap_or_default()
            .for_one_record("find by id")
            .map_err(Error::InvalidFilter)?
            .check(&self.model, &self.options)?;
        let checked = checked.with_where(self.where_id(&id)?);
        Ok((id, checked))
    }

    /// The one record `filter` (restricted to the id `id`) finds, or `NotFound`.
    async fn find_one_by_id(&self, id: &Value, filter: Checked<Filter>) -> Result<Record> {
        self.find_including(filter)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(&self.model.name, id))
    }

    /// Finds records and resolves the filter's inclusions on them. The keys inclusion relates
    /// by are selected even when `fields` leaves them out.
    pub(crate) async fn find_including(&self, filter: Checked<Filter>) -> Result<Vec<Record>> {
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

/// Values as every backend stores them ([`Value::normalize`]: date-times at millisecond
/// precision, decimals at their property's scale).
fn normalize(model: &ModelDef, mut record: Record) -> Record {
    // In place: few values change, and rebuilding the map would reallocate every node.
    for (name, v) in record.iter_mut() {
        if v.needs_normalizing() {
            // An undeclared property (free-form models) is normalised as `any` is: its
            // date-times, also in arrays, are truncated all the same.
            let ty = model.get(name).map_or(&PropertyType::Json, |p| &p.ty);
            *v = std::mem::replace(v, Value::Null).normalize(ty);
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
