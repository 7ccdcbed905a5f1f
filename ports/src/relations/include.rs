//! Batched inclusion: one query per relation level over all parents (two for
//! has-many-through), never one per parent; a scope's `skip`/`limit` per parent.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use portico_domain::filter::eval;
use portico_domain::{
    Checked, Entity, Error, Filter, ModelDef, Record, RelationDef, RelationKind, Result, Value,
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
pub(super) fn distinct(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
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
}
