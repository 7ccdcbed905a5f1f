//! Relations, written once over any [`Store`]: batched inclusion (one query per relation level,
//! never one per parent) and LoopBack's relation repositories.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::filter::eval;
use portico_domain::{
    Checked, Entity, Error, Filter, ModelDef, Op, Patch, Record, RelationDef, RelationKind, Result,
    Value, Where,
};

use crate::crud::CrudRepository;
use crate::repository::RecordRepository;
use crate::store::Store;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The lookup key of a relating value. Keys are ids (integers, strings, UUIDs), compared
/// without rendering them; anything else falls back to its JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LookupKey {
    Int(i64),
    String(String),
    Uuid(uuid::Uuid),
    Other(String),
}

fn lookup_key(value: &Value) -> LookupKey {
    match value {
        Value::Int(i) => LookupKey::Int(*i),
        Value::String(s) => LookupKey::String(s.clone()),
        Value::Uuid(u) => LookupKey::Uuid(*u),
        other => LookupKey::Other(other.to_string()),
    }
}

/// The distinct non-null values, in first-seen order.
fn distinct(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| !v.is_null() && seen.insert(lookup_key(v)))
        .collect()
}

/// The values a source row relates by: its key, or each element of a references-many array.
fn relating_values(key: Option<&Value>, kind: RelationKind) -> Vec<Value> {
    match (kind, key) {
        (RelationKind::ReferencesMany, Some(Value::Array(items))) => items.clone(),
        (RelationKind::ReferencesMany, _) | (_, None) => Vec::new(),
        (_, Some(v)) => vec![v.clone()],
    }
}

/// A found row as inclusion handles it: a [`Record`] (the untyped path), or the values in the
/// model's property order (the typed path, which builds entities without a record per row).
#[async_trait]
pub(crate) trait Row: Default + Clone + Send + Sync + 'static {
    /// Runs one query.
    async fn fetch(
        store: &dyn Store,
        model: &ModelDef,
        filter: &Checked<Filter>,
    ) -> Result<Vec<Self>>;

    /// The value of property `name`, at `index` among the model's properties.
    fn value(&self, name: &str, index: usize) -> Option<&Value>;

    /// Leaves property `name` (at `index`) out, as a row that did not select it.
    fn clear(&mut self, name: &str, index: usize);
}

#[async_trait]
impl Row for Record {
    async fn fetch(
        store: &dyn Store,
        model: &ModelDef,
        filter: &Checked<Filter>,
    ) -> Result<Vec<Self>> {
        store.find(model, filter).await
    }

    fn value(&self, name: &str, _: usize) -> Option<&Value> {
        self.get(name)
    }

    fn clear(&mut self, name: &str, _: usize) {
        self.remove(name);
    }
}

#[async_trait]
impl Row for Vec<Value> {
    async fn fetch(
        store: &dyn Store,
        model: &ModelDef,
        filter: &Checked<Filter>,
    ) -> Result<Vec<Self>> {
        let mut rows = Vec::new();
        store
            .find_each(model, filter, &mut |values| {
                rows.push(values.collect());
                Ok(())
            })
            .await?;
        Ok(rows)
    }

    fn value(&self, _: &str, index: usize) -> Option<&Value> {
        self.get(index).filter(|v| !v.is_null())
    }

    fn clear(&mut self, _: &str, index: usize) {
        if let Some(value) = self.get_mut(index) {
            *value = Value::Null;
        }
    }
}

/// A row as the typed path reads it: values in the model's property order.
type ValueRow = Vec<Value>;

/// Where property `name` sits among the model's properties (for [`Row::value`]).
fn index_of(model: &ModelDef, name: &str) -> usize {
    model
        .properties
        .iter()
        .position(|p| p.name == name)
        .unwrap_or(usize::MAX)
}

/// Runs one batched query per chunk of at most `chunk` key values. The rows come back in the
/// scope's order, as from one query: several chunks' rows are merged by the scope's sort keys
/// (selected for the merge, then cleared again when the scope did not select them).
async fn find_batched<R: Row>(
    store: &dyn Store,
    model: &ModelDef,
    scope: &Checked<Filter>,
    key: &str,
    values: Vec<Value>,
    chunk: usize,
) -> Result<Vec<R>> {
    let chunk = chunk.max(1);
    if values.len() <= chunk {
        return R::fetch(store, model, &scope.batch(model, key, values)).await;
    }
    let unselected: Vec<&str> = scope
        .order
        .iter()
        .map(|o| o.property.as_str())
        .filter(|p| !scope.selects(p))
        .collect();
    let mut merged = scope.clone();
    for property in &unselected {
        merged = merged.selecting(model, property);
    }
    let mut found = Vec::new();
    for part in values.chunks(chunk) {
        found.extend(R::fetch(store, model, &merged.batch(model, key, part.to_vec())).await?);
    }
    let sort_keys: Vec<(&str, usize)> = scope
        .order
        .iter()
        .map(|o| (o.property.as_str(), index_of(model, &o.property)))
        .collect();
    fn value_of<'r, R: Row>(
        row: &'r R,
        name: &str,
        sort_keys: &[(&str, usize)],
    ) -> Option<&'r Value> {
        let index = sort_keys
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(usize::MAX, |k| k.1);
        row.value(name, index)
    }
    // Each chunk is already sorted and the order ends with the id: a stable sort merges them.
    found.sort_by(|a, b| {
        eval::compare_by(
            &scope.order,
            |p| value_of(a, p, &sort_keys),
            |p| value_of(b, p, &sort_keys),
        )
    });
    for row in &mut found {
        for property in &unselected {
            if *property != key {
                row.clear(property, index_of(model, property));
            }
        }
    }
    Ok(found)
}

/// The rows found for one inclusion, and which of them (by position, in the scope's order,
/// paged per parent) each parent gets.
pub(crate) struct Related<R> {
    rows: Vec<R>,
    picks: Vec<Vec<usize>>,
}

impl<R: Row> Related<R> {
    /// Hands out each parent's rows: moved on their last use, cloned before.
    fn distribute(mut self) -> Vec<Vec<R>> {
        let mut uses = vec![0usize; self.rows.len()];
        for &i in self.picks.iter().flatten() {
            uses[i] += 1;
        }
        let rows = &mut self.rows;
        self.picks
            .into_iter()
            .map(|picked| {
                picked
                    .into_iter()
                    .map(|i| {
                        uses[i] -= 1;
                        if uses[i] == 0 {
                            std::mem::take(&mut rows[i])
                        } else {
                            rows[i].clone()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

impl CrudRepository {
    /// Resolves the checked filter's inclusions on `records` of `model`: for each relation one
    /// batched query (two for has-many-through: the links, then the targets), then the
    /// scope's own inclusions on everything found, level by level. A scope's `skip` and
    /// `limit` apply per parent record.
    pub(crate) fn include<'a>(
        &'a self,
        model: &'a ModelDef,
        records: &'a mut [Record],
        filter: &'a Checked<Filter>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if records.is_empty() {
                return Ok(());
            }
            for (name, scope) in filter.inclusions() {
                let relation = self.relation_of(model, name)?;
                let keys = relation.keys(model);
                let wanted: Vec<Vec<Value>> = records
                    .iter()
                    .map(|r| relating_values(r.get(&keys.source), relation.kind))
                    .collect();
                let mut related: Related<Record> =
                    self.related_rows(model, relation, &scope, &wanted).await?;
                // Nested inclusions, once over every record some source keeps.
                if scope.inclusions().next().is_some() {
                    let target = relation.target();
                    let mut kept: Vec<usize> = related.picks.iter().flatten().copied().collect();
                    kept.sort_unstable();
                    kept.dedup();
                    let mut nested: Vec<Record> = kept
                        .iter()
                        .map(|&i| std::mem::take(&mut related.rows[i]))
                        .collect();
                    self.related_repository(target)?
                        .include(target, &mut nested, &scope)
                        .await?;
                    for (record, &i) in nested.into_iter().zip(&kept) {
                        related.rows[i] = record;
                    }
                }
                for (record, rows) in records.iter_mut().zip(related.distribute()) {
                    let mut objects = rows.into_iter().map(Value::Object);
                    let value = if relation.kind.targets_many() {
                        Value::Array(objects.collect())
                    } else {
                        match objects.next() {
                            Some(object) => object,
                            None => continue,
                        }
                    };
                    record.insert(relation.name.clone(), value);
                }
            }
            Ok(())
        })
    }

    pub(crate) fn relation_of<'m>(
        &self,
        model: &'m ModelDef,
        name: &str,
    ) -> Result<&'m RelationDef> {
        model
            .get_relation(name)
            .ok_or_else(|| Error::Unsupported(format!("{} has no relation {name}", model.name)))
    }

    /// Finds the related rows of one relation for parents relating by `wanted` (per parent,
    /// its key values): one batched query for the targets (after one for the links of a
    /// has-many-through), grouped per parent in the scope's order, paged per parent.
    pub(crate) async fn related_rows<R: Row>(
        &self,
        model: &ModelDef,
        relation: &RelationDef,
        scope: &Checked<Filter>,
        wanted: &[Vec<Value>],
    ) -> Result<Related<R>> {
        let target = relation.target();
        let keys = relation.keys(model);
        let chunk = self.check_options().limits.max_list_len;
        let store = self.store().as_ref();
        let source_values = distinct(wanted.iter().flatten().cloned());

        // For has-many-through: which target keys each source key links to, in link order.
        let (target_key_values, links_of) = match (&keys.through, relation.through_model()) {
            (Some((link_from, link_to)), Some(link)) => {
                let link_scope = Filter::default().check(link, self.check_options())?;
                let links: Vec<Record> =
                    find_batched(store, link, &link_scope, link_from, source_values, chunk).await?;
                let mut links_of: HashMap<LookupKey, Vec<Value>> = HashMap::new();
                for mut l in links {
                    let from = l.remove(link_from).unwrap_or(Value::Null);
                    let to = l.remove(link_to).unwrap_or(Value::Null);
                    if !to.is_null() {
                        links_of.entry(lookup_key(&from)).or_default().push(to);
                    }
                }
                let targets = distinct(links_of.values().flatten().cloned());
                (targets, Some(links_of))
            }
            _ => (source_values, None),
        };
        let rows: Vec<R> = if target_key_values.is_empty() {
            Vec::new()
        } else {
            find_batched(store, target, scope, &keys.target, target_key_values, chunk).await?
        };

        // Which found rows (by position) each source gets, in the scope's order.
        let key_index = index_of(target, &keys.target);
        let mut by_key: HashMap<LookupKey, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            if let Some(v) = r.value(&keys.target, key_index) {
                by_key.entry(lookup_key(v)).or_default().push(i);
            }
        }
        let (skip, limit) = (scope.skip.unwrap_or(0) as usize, scope.limit);
        let picks = wanted
            .iter()
            .map(|values| {
                let related_keys: Vec<LookupKey> = match &links_of {
                    Some(links_of) => values
                        .iter()
                        .flat_map(|v| links_of.get(&lookup_key(v)).into_iter().flatten())
                        .map(lookup_key)
                        .collect(),
                    None => values.iter().map(lookup_key).collect(),
                };
                let mut picked: Vec<usize> = related_keys
                    .iter()
                    .flat_map(|k| by_key.get(k).into_iter().flatten().copied())
                    .collect();
                // Keys matched separately come back grouped by key: restore the scope's order.
                picked.sort_unstable();
                picked.dedup();
                let picked = picked.into_iter().skip(skip);
                match (relation.kind.targets_many(), limit) {
                    (false, _) => picked.take(1).collect(),
                    (true, Some(limit)) => picked.take(limit as usize).collect(),
                    (true, None) => picked.collect(),
                }
            })
            .collect();
        Ok(Related { rows, picks })
    }

    /// The typed form of `find` with inclusions whose scopes include nothing further: parents
    /// and related entities are read as values in property order and built directly, with no
    /// record per row. Returns `None` for nested inclusions (the record path handles those).
    pub(crate) async fn find_entities_including<E: Entity>(
        &self,
        filter: &Checked<Filter>,
    ) -> Result<Option<Vec<E>>> {
        let inclusions: Vec<(&str, Checked<Filter>)> = filter.inclusions().collect();
        if inclusions
            .iter()
            .any(|(_, scope)| scope.inclusions().next().is_some())
        {
            return Ok(None);
        }
        let model = self.model();
        let mut query = filter.clone();
        for (name, _) in &inclusions {
            query = query.selecting(model, &self.relation_of(model, name)?.keys(model).source);
        }
        let rows: Vec<Vec<Value>> = Row::fetch(self.store().as_ref(), model, &query).await?;
        // Per parent: each relation's related rows.
        let mut attached: Vec<Vec<(&str, Vec<ValueRow>)>> =
            rows.iter().map(|_| Vec::new()).collect();
        if !rows.is_empty() {
            for (name, scope) in &inclusions {
                let relation = self.relation_of(model, name)?;
                let source = relation.keys(model).source;
                let index = index_of(model, &source);
                let wanted: Vec<Vec<Value>> = rows
                    .iter()
                    .map(|r| relating_values(r.value(&source, index), relation.kind))
                    .collect();
                let related: Related<Vec<Value>> =
                    self.related_rows(model, relation, scope, &wanted).await?;
                for (slot, rows) in attached.iter_mut().zip(related.distribute()) {
                    slot.push((*name, rows));
                }
            }
        }
        rows.into_iter()
            .zip(attached)
            .map(|(row, relations)| {
                let mut entity = E::from_values(&mut row.into_iter())
                    .map_err(|e| self.entity_error(e, filter.fields.is_some(), ""))?;
                for (name, rows) in relations {
                    entity
                        .set_related(name, rows)
                        .map_err(|e| self.entity_error(e, true, name))?;
                }
                Ok(entity)
            })
            .collect::<Result<Vec<E>>>()
            .map(Some)
    }

    /// A repository of a related model over the same store and limits.
    pub(crate) fn related_repository(&self, model: &ModelDef) -> Result<CrudRepository> {
        Ok(
            CrudRepository::new(Arc::new(model.clone()), Arc::clone(self.store()))?
                .with_limits(self.check_options().limits),
        )
    }

    /// The repository of relation `name` for the source record with id `source_id`: LoopBack's
    /// relation repositories and accessors, over records.
    ///
    /// # Errors
    /// `Unsupported` for an unknown relation; `InvalidFilter` for an id of the wrong type;
    /// `NotFound` when the relation relates by a property other than the id and no source
    /// record has this id.
    pub async fn related(&self, name: &str, source_id: Value) -> Result<RelatedRecords> {
        let model = self.model();
        let relation = model
            .get_relation(name)
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "{} has no relation {name} (known: {})",
                    model.name,
                    model
                        .relations
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
            .clone();
        let keys = relation.keys(model);
        let id_name = model.id_property().name.clone();
        let source_id = self.coerce_id(source_id)?;
        let source_value = if keys.source == id_name && relation.kind != RelationKind::BelongsTo {
            source_id.clone()
        } else {
            let filter = Filter::default().fields([keys.source.as_str(), id_name.as_str()]);
            let mut source = self.find_by_id(source_id.clone(), Some(filter)).await?;
            source.remove(&keys.source).unwrap_or(Value::Null)
        };
        let target = self.related_repository(relation.target())?;
        let link = relation
            .through_model()
            .map(|link| self.related_repository(link))
            .transpose()?;
        Ok(RelatedRecords {
            source: self.clone(),
            source_id,
            source_value,
            relation,
            target_key: keys.target,
            link_keys: keys.through,
            target,
            link,
        })
    }
}

/// The related records of one source record through one relation: LoopBack's
/// `HasManyRepository`, `HasOneRepository`, `HasManyThroughRepository` and `BelongsToAccessor`
/// in one untyped type (for transports that are generic over models). Each method applies to
/// the kinds it names and returns `Unsupported` for the others. The typed [`HasMany`],
/// [`HasOne`], [`BelongsTo`] and [`HasManyThrough`] expose only what their kind offers.
#[derive(Debug, Clone)]
pub struct RelatedRecords {
    source: CrudRepository,
    source_id: Value,
    /// The source's relating value (its key_from), null when unset.
    source_value: Value,
    relation: RelationDef,
    target_key: String,
    link_keys: Option<(String, String)>,
    target: CrudRepository,
    link: Option<CrudRepository>,
}

impl RelatedRecords {
    /// The relation.
    pub fn relation(&self) -> &RelationDef {
        &self.relation
    }

    /// The target model's repository.
    pub fn target(&self) -> &CrudRepository {
        &self.target
    }

    fn only(&self, kinds: &[RelationKind], what: &str) -> Result<()> {
        if kinds.contains(&self.relation.kind) {
            Ok(())
        } else {
            Err(Error::Unsupported(format!(
                "{what} does not apply to {} relation {}",
                self.relation.kind.loopback_name(),
                self.relation.name
            )))
        }
    }

    /// The clause selecting this source's targets (has-many, has-one), or `None` when the
    /// source has no relating value.
    fn constraint(&self) -> Where {
        Where::cond(self.target_key.clone(), Op::Eq(self.source_value.clone()))
    }

    fn constrained(&self, condition: Option<Where>) -> Where {
        match condition {
            Some(w) => Where::all([self.constraint(), w]),
            None => self.constraint(),
        }
    }

    /// The target ids linked to this source (has-many-through).
    async fn linked_ids(&self) -> Result<Vec<Value>> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let links = link
            .find(
                Filter::default()
                    .where_(Where::cond(
                        link_from.clone(),
                        Op::Eq(self.source_value.clone()),
                    ))
                    .fields([link_to.as_str()]),
            )
            .await?;
        Ok(distinct(
            links.into_iter().filter_map(|mut l| l.remove(link_to)),
        ))
    }

    fn link_parts(&self) -> Result<(&CrudRepository, &(String, String))> {
        match (&self.link, &self.link_keys) {
            (Some(link), Some(keys)) => Ok((link, keys)),
            _ => Err(Error::Unsupported(format!(
                "relation {} has no through model",
                self.relation.name
            ))),
        }
    }

    async fn through_condition(&self, condition: Option<Where>) -> Result<Where> {
        let ids = Where::cond(self.target_key.clone(), Op::Inq(self.linked_ids().await?));
        Ok(match condition {
            Some(w) => Where::all([ids, w]),
            None => ids,
        })
    }

    /// Rejects data setting the relation's key to another value, and sets it (LoopBack's
    /// `constrainDataObject`).
    fn constrain_data(&self, mut data: Record, set: bool) -> Result<Record> {
        if let Some(given) = data.get(&self.target_key).filter(|v| !v.is_null()) {
            let ty = &self
                .target
                .model()
                .get(&self.target_key)
                .map(|p| p.ty.clone());
            let same = ty.as_ref().is_some_and(|ty| {
                given
                    .clone()
                    .coerce(ty)
                    .is_ok_and(|g| g.filter_eq(&self.source_value))
            });
            if !same {
                return Err(Error::InvalidBody(format!(
                    "Property \"{}\" cannot be changed!",
                    self.target_key
                )));
            }
        }
        if set {
            data.insert(self.target_key.clone(), self.source_value.clone());
        }
        Ok(data)
    }

    fn no_source_value(&self) -> Error {
        Error::InvalidBody(format!(
            "{} {} has no {} to relate by",
            self.source.model().name,
            self.source_id,
            self.relation.keys(self.source.model()).source
        ))
    }

    /// Finds the related records (has-many, has-many-through, has-one, references-many).
    ///
    /// # Errors
    /// As [`RecordRepository::find`].
    pub async fn find(&self, filter: Filter) -> Result<Vec<Record>> {
        if self.source_value.is_null() {
            return Ok(Vec::new());
        }
        let condition = filter.where_.clone();
        let condition = match self.relation.kind {
            RelationKind::HasMany | RelationKind::HasOne | RelationKind::BelongsTo => {
                self.constrained(condition)
            }
            RelationKind::HasManyThrough => self.through_condition(condition).await?,
            _ => {
                let ids = match &self.source_value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let ids = Where::cond(self.target_key.clone(), Op::Inq(ids));
                match condition {
                    Some(w) => Where::all([ids, w]),
                    None => ids,
                }
            }
        };
        self.target
            .find(Filter {
                where_: Some(condition),
                ..filter
            })
            .await
    }

    /// The one related record (has-one, belongs-to); the filter may carry `fields` and
    /// `include`, not `where`.
    ///
    /// # Errors
    /// `NotFound` when there is none (for belongs-to also when the source has no key set).
    pub async fn get(&self, filter: Option<Filter>) -> Result<Record> {
        self.only(&[RelationKind::HasOne, RelationKind::BelongsTo], "get")?;
        let filter = filter.unwrap_or_default();
        if filter.where_.is_some() {
            return Err(Error::InvalidFilter(portico_domain::FilterErrors(vec![
                portico_domain::FilterError {
                    path: "/where".to_owned(),
                    code: "invalid",
                    message: "a related record is found by its key, not by a where clause"
                        .to_owned(),
                },
            ])));
        }
        let not_found = || {
            Error::not_found(
                &self.target.model().name,
                &Value::Json(serde_json::json!({ &self.target_key: self.source_value.to_json() })),
            )
        };
        if self.source_value.is_null() {
            return Err(not_found());
        }
        self.target
            .find_one(Filter {
                where_: Some(self.constraint()),
                ..filter
            })
            .await?
            .ok_or_else(not_found)
    }

    /// Creates a related record (has-many, has-one, has-many-through), setting its key. For
    /// has-many-through, also creates the link record, with `link_data` as its other
    /// properties.
    ///
    /// # Errors
    /// `InvalidBody` when the data sets the key to another value; `NotFound` when the source
    /// record does not exist; otherwise as [`RecordRepository::create`].
    pub async fn create(&self, data: Record, link_data: Option<Record>) -> Result<Record> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "create",
        )?;
        // Unlike LoopBack (weak relations), no record is created for a missing source.
        if !self.source.exists(self.source_id.clone()).await? {
            return Err(Error::not_found(&self.source.model().name, &self.source_id));
        }
        if self.relation.kind != RelationKind::HasManyThrough {
            if self.source_value.is_null() {
                return Err(self.no_source_value());
            }
            return self.target.create(self.constrain_data(data, true)?).await;
        }
        let created = self.target.create(data).await?;
        let target_id = created
            .get(&self.target.model().id_property().name)
            .cloned()
            .unwrap_or(Value::Null);
        if let Err(e) = self.link(target_id.clone(), link_data).await {
            // Without a transaction the pair is not atomic: undo the target.
            let _ = self.target.delete_by_id(target_id).await;
            return Err(e);
        }
        Ok(created)
    }

    /// Changes the patch's properties of the related records matching `condition` (all when
    /// `None`); returns how many. The patch may not change the relation's key.
    ///
    /// # Errors
    /// `InvalidBody` when the patch changes the key; otherwise as
    /// [`RecordRepository::update_all`].
    pub async fn patch(&self, patch: Record, condition: Option<Where>) -> Result<u64> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "patch",
        )?;
        if self.source_value.is_null() {
            return Ok(0);
        }
        if self.relation.kind == RelationKind::HasManyThrough {
            let condition = self.through_condition(condition).await?;
            return self.target.update_all(patch, Some(condition)).await;
        }
        let patch = self.constrain_data(patch, false)?;
        self.target
            .update_all(patch, Some(self.constrained(condition)))
            .await
    }

    /// Deletes the related records matching `condition` (all when `None`); returns how many.
    /// For has-many-through, their link records go too.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn delete(&self, condition: Option<Where>) -> Result<u64> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "delete",
        )?;
        if self.source_value.is_null() {
            return Ok(0);
        }
        if self.relation.kind != RelationKind::HasManyThrough {
            return self
                .target
                .delete_all(Some(self.constrained(condition)))
                .await;
        }
        let id_name = self.target.model().id_property().name.clone();
        let doomed: Vec<Value> = self
            .target
            .find(
                Filter::default()
                    .where_(self.through_condition(condition).await?)
                    .fields([id_name.as_str()]),
            )
            .await?
            .into_iter()
            .filter_map(|mut r| r.remove(&id_name))
            .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        let (link, (_, link_to)) = self.link_parts()?;
        link.delete_all(Some(Where::cond(link_to.clone(), Op::Inq(doomed.clone()))))
            .await?;
        self.target
            .delete_all(Some(Where::cond(id_name, Op::Inq(doomed))))
            .await
    }

    /// Links an existing target to the source (has-many-through): creates the link record,
    /// with `link_data` as its other properties. Returns the link record.
    ///
    /// # Errors
    /// `NotFound` when no target has this id; otherwise as [`RecordRepository::create`].
    pub async fn link(&self, target_id: Value, link_data: Option<Record>) -> Result<Record> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let target_id = self.target.coerce_id(target_id)?;
        if !self.target.exists(target_id.clone()).await? {
            return Err(Error::not_found(&self.target.model().name, &target_id));
        }
        let mut data = link_data.unwrap_or_default();
        data.insert(link_from.clone(), self.source_value.clone());
        data.insert(link_to.clone(), target_id);
        link.create(data).await
    }

    /// Removes the link between the source and a target (has-many-through); returns how many
    /// link records went.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn unlink(&self, target_id: Value) -> Result<u64> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let target_id = self.target.coerce_id(target_id)?;
        link.delete_all(Some(Where::all([
            Where::cond(link_from.clone(), Op::Eq(self.source_value.clone())),
            Where::cond(link_to.clone(), Op::Eq(target_id)),
        ])))
        .await
    }

    /// Removes every link of the source (has-many-through); returns how many.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn unlink_all(&self) -> Result<u64> {
        let (link, (link_from, _)) = self.link_parts()?;
        link.delete_all(Some(Where::cond(
            link_from.clone(),
            Op::Eq(self.source_value.clone()),
        )))
        .await
    }
}

/// Converts a found record to `T`.
fn to_entity<T: Entity>(record: Record) -> Result<T> {
    T::from_record(record).map_err(Error::backend)
}

/// Opens the typed relation `name` of kind `kind` from `E` to `T`.
async fn open<E: Entity, T: Entity>(
    repository: &crate::Repository<E>,
    name: &str,
    kinds: &[RelationKind],
    source_id: E::Id,
) -> Result<RelatedRecords> {
    use portico_domain::FieldValue as _;
    let related = repository
        .records()
        .related(name, source_id.into_value())
        .await?;
    let relation = related.relation();
    if !kinds.contains(&relation.kind) || relation.target().name != T::definition().name {
        return Err(Error::Unsupported(format!(
            "{}#{name} is a {} relation to {}, not a {} relation to {}",
            E::definition().name,
            relation.kind.loopback_name(),
            relation.target().name,
            kinds
                .iter()
                .map(|k| k.loopback_name())
                .collect::<Vec<_>>()
                .join(" or "),
            T::definition().name
        )));
    }
    Ok(related)
}

macro_rules! typed_relation {
    ($(#[$doc:meta])* $name:ident, $open:ident, [$($kind:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T> {
            records: RelatedRecords,
            _target: PhantomData<fn() -> T>,
        }

        impl<T: Entity> $name<T> {
            /// The untyped relation repository underneath.
            pub fn records(&self) -> &RelatedRecords {
                &self.records
            }
        }

        impl<E: Entity> crate::Repository<E> {
            #[doc = concat!("The [`", stringify!($name), "`] repository of relation `name` for the entity with id `source_id`.")]
            ///
            /// # Errors
            /// `Unsupported` when `E` has no such relation to `T` of this kind; `NotFound` when
            /// the relation relates by a property other than the id and no entity has this id.
            pub async fn $open<T: Entity>(&self, name: &str, source_id: E::Id) -> Result<$name<T>> {
                Ok($name {
                    records: open::<E, T>(self, name, &[$(RelationKind::$kind),+], source_id).await?,
                    _target: PhantomData,
                })
            }
        }
    };
}

typed_relation!(
    /// LoopBack's `HasManyRepository`: the targets of one source entity.
    HasMany,
    has_many,
    [HasMany]
);
typed_relation!(
    /// LoopBack's `HasOneRepository`: the one target of one source entity.
    HasOne,
    has_one,
    [HasOne]
);
typed_relation!(
    /// LoopBack's `BelongsToAccessor`: the entity a source entity points at.
    BelongsTo,
    belongs_to,
    [BelongsTo]
);
typed_relation!(
    /// LoopBack's `HasManyThroughRepository`: targets linked to one source through a link
    /// model.
    HasManyThrough,
    has_many_through,
    [HasManyThrough]
);

/// The create/find/patch/delete of a to-many relation repository.
macro_rules! to_many_methods {
    ($name:ident, $what:literal, $delete_doc:literal) => {
        impl<T: Entity> $name<T> {
            #[doc = concat!("Creates a target: ", $what, ".")]
            ///
            /// # Errors
            /// As [`RelatedRecords::create`].
            pub async fn create(&self, entity: T) -> Result<T> {
                to_entity(self.records.create(entity.to_record(), None).await?)
            }

            /// Finds the source's targets matching the filter.
            ///
            /// # Errors
            /// As [`RelatedRecords::find`].
            pub async fn find(&self, filter: Filter) -> Result<Vec<T>> {
                self.records
                    .find(filter)
                    .await?
                    .into_iter()
                    .map(to_entity)
                    .collect()
            }

            /// Patches the source's targets matching `condition`; returns how many.
            ///
            /// # Errors
            /// As [`RelatedRecords::patch`].
            pub async fn patch(&self, patch: Patch<T>, condition: Option<Where>) -> Result<u64> {
                self.records.patch(patch.into_record(), condition).await
            }

            #[doc = $delete_doc]
            ///
            /// # Errors
            /// As [`RelatedRecords::delete`].
            pub async fn delete(&self, condition: Option<Where>) -> Result<u64> {
                self.records.delete(condition).await
            }
        }
    };
}

to_many_methods!(
    HasMany,
    "its key is set to the source's",
    "Deletes the source's targets matching `condition`; returns how many."
);
to_many_methods!(
    HasManyThrough,
    "it is created, then linked to the source",
    "Deletes the linked targets matching `condition`, and their links; returns how many targets went."
);

impl<T: Entity> HasOne<T> {
    /// Creates the target with its key set to the source's.
    ///
    /// # Errors
    /// As [`RelatedRecords::create`].
    pub async fn create(&self, entity: T) -> Result<T> {
        to_entity(self.records.create(entity.to_record(), None).await?)
    }

    /// The target.
    ///
    /// # Errors
    /// As [`RelatedRecords::get`].
    pub async fn get(&self, filter: Option<Filter>) -> Result<T> {
        to_entity(self.records.get(filter).await?)
    }

    /// Patches the target; returns how many records changed (0 or 1).
    ///
    /// # Errors
    /// As [`RelatedRecords::patch`].
    pub async fn patch(&self, patch: Patch<T>) -> Result<u64> {
        self.records.patch(patch.into_record(), None).await
    }

    /// Deletes the target; returns how many records went.
    ///
    /// # Errors
    /// As [`RelatedRecords::delete`].
    pub async fn delete(&self) -> Result<u64> {
        self.records.delete(None).await
    }
}

impl<T: Entity> BelongsTo<T> {
    /// The entity the source points at.
    ///
    /// # Errors
    /// As [`RelatedRecords::get`].
    pub async fn get(&self) -> Result<T> {
        to_entity(self.records.get(None).await?)
    }
}

impl<T: Entity> HasManyThrough<T> {
    /// Links an existing target.
    ///
    /// # Errors
    /// As [`RelatedRecords::link`].
    pub async fn link(&self, target_id: T::Id) -> Result<()> {
        use portico_domain::FieldValue as _;
        self.records
            .link(target_id.into_value(), None)
            .await
            .map(drop)
    }

    /// Unlinks a target; returns how many links went.
    ///
    /// # Errors
    /// As [`RelatedRecords::unlink`].
    pub async fn unlink(&self, target_id: T::Id) -> Result<u64> {
        use portico_domain::FieldValue as _;
        self.records.unlink(target_id.into_value()).await
    }

    /// Unlinks every target; returns how many links went.
    ///
    /// # Errors
    /// As [`RelatedRecords::unlink_all`].
    pub async fn unlink_all(&self) -> Result<u64> {
        self.records.unlink_all().await
    }
}
