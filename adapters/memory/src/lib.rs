//! # portico-memory
//!
//! The in-memory [`Store`]: Portico's reference adapter. It evaluates the filter AST directly,
//! so it is the executable specification of the filter semantics every other adapter must
//! match; it is the embedded default for apps that need no server; and it is the stateful fake
//! to swap in for a real backend in tests.
//!
//! It is thread-safe (one lock per store, never held across an `.await`), generates integer ids
//! from 1 per model (and ObjectId-shaped string ids) and enforces unique properties. It offers
//! every filter operator and free-form models, and no transactions: its `transactions`
//! capability is false and `Store::begin` answers `Unsupported`.
//!
//! ```
//! use std::sync::Arc;
//! use portico_memory::MemoryStore;
//! use portico_ports::{EntityRepository, Repository};
//! # use portico_domain::Entity;
//! # #[derive(Entity, Clone, Debug)]
//! # struct Note { #[portico(id, generated)] id: Option<i64>, text: String }
//! # futures_executor(async {
//! let notes = Repository::<Note>::new(Arc::new(MemoryStore::new())).unwrap();
//! let note = notes.create(Note { id: None, text: "hi".into() }).await.unwrap();
//! assert_eq!(note.id, Some(1));
//! # });
//! # fn futures_executor(f: impl std::future::Future<Output = ()>) {
//! #     // Memory futures never wait, so one poll completes them.
//! #     let waker = std::task::Waker::noop();
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     let mut f = std::pin::pin!(f);
//! #     assert!(f.as_mut().poll(&mut cx).is_ready());
//! # }
//! ```
#![warn(missing_docs)]

mod eval;

use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockWriteGuard};

use async_trait::async_trait;
use portico_domain::error::Message;
use portico_domain::{
    Capabilities, Checked, Direction, Error, Fields, Filter, IdStrategy, IndexKind, ModelDef, Op,
    Record, Result, Value, Where,
};
use portico_ports::Store;

use crate::eval::Compiled;

/// A key a record is stored under: ids are integers, strings or UUIDs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Int(i64),
    Str(String),
    Uuid(uuid::Uuid),
}

impl Key {
    fn of(id: &Value) -> Result<Key> {
        match id {
            Value::Int(i) => Ok(Key::Int(*i)),
            Value::String(s) => Ok(Key::Str(s.clone())),
            Value::Uuid(u) => Ok(Key::Uuid(*u)),
            other => Err(Error::backend(Message(format!(
                "an id cannot be {}",
                other.kind()
            )))),
        }
    }
}

#[derive(Debug, Default)]
struct Table {
    rows: BTreeMap<Key, Record>,
    /// The last integer id handed out (ids are never reused, as with SQL sequences).
    last_id: i64,
}

/// The in-memory store. `MemoryStore::new()` is empty and isolated from every other store.
#[derive(Debug)]
pub struct MemoryStore {
    tables: RwLock<HashMap<String, Table>>,
    capabilities: Capabilities,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        let mut capabilities = Capabilities::all_operators();
        capabilities.transactions = false;
        capabilities.object_ids = true;
        MemoryStore {
            tables: RwLock::new(HashMap::new()),
            capabilities,
        }
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, HashMap<String, Table>>> {
        self.tables
            .write()
            .map_err(|_| Error::backend(Message("memory store lock poisoned".into())))
    }

    fn read<T>(&self, model: &ModelDef, f: impl FnOnce(Option<&Table>) -> T) -> Result<T> {
        let tables = self
            .tables
            .read()
            .map_err(|_| Error::backend(Message("memory store lock poisoned".into())))?;
        Ok(f(tables.get(model.storage_name())))
    }
}

fn id_of<'r>(model: &ModelDef, record: &'r Record) -> Result<&'r Value> {
    record
        .get(&model.id_property().name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| Error::backend(Message(format!("{} record without an id", model.name))))
}

/// True for `id = x`, which the id index answers directly.
fn is_id_lookup(model: &ModelDef, condition: &Where) -> bool {
    matches!(condition, Where::Cond(c) if c.property == model.id_property().name && matches!(c.op, Op::Eq(_)))
}

/// Ids of the rows matching the clause, using the id index for `id = x`.
fn matching(model: &ModelDef, table: &Table, condition: &Checked<Where>) -> Vec<Key> {
    if condition.matches_all() {
        return table.rows.keys().cloned().collect();
    }
    if let Where::Cond(c) = &**condition
        && c.property == model.id_property().name
        && let Op::Eq(id) = &c.op
    {
        return Key::of(id)
            .ok()
            .filter(|k| table.rows.contains_key(k))
            .into_iter()
            .collect();
    }
    let compiled = Compiled::new(condition);
    table
        .rows
        .iter()
        .filter(|(_, r)| compiled.matches(r))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Fails with a conflict when a candidate row duplicates a unique value of another row (rows
/// with a candidate's key are being replaced and do not count) or of another candidate.
fn check_unique(model: &ModelDef, table: &Table, candidates: &[(Key, &Record)]) -> Result<()> {
    for p in model
        .properties
        .iter()
        .filter(|p| p.index == IndexKind::Unique)
    {
        let mut seen: Vec<&Value> = Vec::new();
        for (_, row) in candidates {
            let Some(v) = row.get(&p.name).filter(|v| !v.is_null()) else {
                continue;
            };
            let clash_in_table = table.rows.iter().any(|(k, r)| {
                !candidates.iter().any(|(c, _)| c == k)
                    && r.get(&p.name).is_some_and(|x| x.filter_eq(v))
            });
            if clash_in_table || seen.iter().any(|s| s.filter_eq(v)) {
                return Err(Error::Conflict {
                    entity: model.name.clone(),
                    message: format!(
                        "{} with this value of the unique property '{}' already exists",
                        model.name, p.name
                    ),
                });
            }
            seen.push(v);
        }
    }
    Ok(())
}

#[async_trait]
impl Store for MemoryStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        self.write()?
            .entry(model.storage_name().to_owned())
            .or_default();
        Ok(())
    }

    async fn insert(&self, model: &ModelDef, records: Vec<Record>) -> Result<Vec<Record>> {
        let mut tables = self.write()?;
        let table = tables.entry(model.storage_name().to_owned()).or_default();
        let id_name = &model.id_property().name;
        let strategy = model.id_strategy();
        let mut next = table.last_id;
        let mut keyed = Vec::with_capacity(records.len());
        for mut record in records {
            match strategy {
                IdStrategy::StoreInteger => {
                    next += 1;
                    record.insert(id_name.clone(), Value::Int(next));
                }
                // ObjectId-shaped: 24 hex digits, ordered by creation, as on MongoDB.
                IdStrategy::StoreObjectId => {
                    next += 1;
                    record.insert(id_name.clone(), Value::String(format!("{next:024x}")));
                }
                IdStrategy::KitUuid | IdStrategy::Client => {}
            }
            let key = Key::of(id_of(model, &record)?)?;
            if table.rows.contains_key(&key) || keyed.iter().any(|(k, _)| k == &key) {
                let id = id_of(model, &record)?;
                return Err(Error::Conflict {
                    entity: model.name.clone(),
                    message: format!("{} with id {} already exists", model.name, id.to_json()),
                });
            }
            keyed.push((key, record));
        }
        let candidates: Vec<(Key, &Record)> = keyed.iter().map(|(k, r)| (k.clone(), r)).collect();
        check_unique(model, table, &candidates)?;
        table.last_id = next;
        let stored = keyed.iter().map(|(_, r)| r.clone()).collect();
        table.rows.extend(keyed);
        Ok(stored)
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        self.read(model, |table| {
            let Some(table) = table else {
                return Vec::new();
            };
            let condition = filter.checked_where();
            let skip = usize::try_from(filter.skip.unwrap_or(0)).unwrap_or(usize::MAX);
            let limit = filter
                .limit
                .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
            let by_id_only = matches!(filter.order.as_slice(), [o] if o.direction == Direction::Asc && o.property == model.id_property().name);
            let rows: Vec<&Record> = if by_id_only && !is_id_lookup(model, &condition) {
                // Rows are kept in id order: scan lazily, stop after the page.
                let compiled = (!condition.matches_all()).then(|| Compiled::new(&condition));
                table
                    .rows
                    .values()
                    .filter(|r| compiled.as_ref().is_none_or(|c| c.matches(r)))
                    .skip(skip)
                    .take(limit)
                    .collect()
            } else {
                let mut rows: Vec<&Record> = matching(model, table, &condition)
                    .iter()
                    .filter_map(|k| table.rows.get(k))
                    .collect();
                // `order` always ends with the id, so the sort is total.
                rows.sort_by(|a, b| eval::compare(a, b, &filter.order));
                rows.into_iter().skip(skip).take(limit).collect()
            };
            rows.into_iter()
                .map(|r| match &filter.fields {
                    Some(Fields::Include(names)) => names
                        .iter()
                        .filter_map(|n| r.get(n).map(|v| (n.clone(), v.clone())))
                        .collect(),
                    _ => r.clone(),
                })
                .collect()
        })
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        self.read(model, |table| {
            table.map_or(0, |t| matching(model, t, condition).len() as u64)
        })
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        let mut tables = self.write()?;
        let Some(table) = tables.get_mut(model.storage_name()) else {
            return Ok(0);
        };
        let keys = matching(model, table, condition);
        let updated: Vec<(Key, Record)> = keys
            .iter()
            .filter_map(|k| table.rows.get(k).map(|r| (k.clone(), r.clone())))
            .map(|(k, mut r)| {
                for (name, value) in patch {
                    if value.is_null() {
                        r.remove(name);
                    } else {
                        r.insert(name.clone(), value.clone());
                    }
                }
                (k, r)
            })
            .collect();
        let candidates: Vec<(Key, &Record)> = updated.iter().map(|(k, r)| (k.clone(), r)).collect();
        check_unique(model, table, &candidates)?;
        let count = updated.len() as u64;
        table.rows.extend(updated);
        Ok(count)
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        let mut tables = self.write()?;
        let Some(table) = tables.get_mut(model.storage_name()) else {
            return Ok(false);
        };
        let key = Key::of(id)?;
        if !table.rows.contains_key(&key) {
            return Ok(false);
        }
        let stored: Record = record
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_unique(model, table, &[(key.clone(), &stored)])?;
        table.rows.insert(key, stored);
        Ok(true)
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        let mut tables = self.write()?;
        let Some(table) = tables.get_mut(model.storage_name()) else {
            return Ok(0);
        };
        let keys = matching(model, table, condition);
        for k in &keys {
            table.rows.remove(k);
        }
        Ok(keys.len() as u64)
    }
}

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
