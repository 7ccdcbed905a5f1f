//! The tables and the operations on them, once for the store and for its transactions: both
//! run the same functions, the store over its shared tables, a transaction over its own copy.
//!
//! Every operation computes its outcome from a shared reference first (checking ids and unique
//! values), and takes a table mutably only when it changes something. A table that a
//! transaction's snapshot shares is therefore copied exactly when it changes, never by a read or
//! a failed write — which is what lets a transaction tell, at commit, whether a table it used
//! changed since it began (`Arc::ptr_eq`, see `transaction.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use portico_domain::error::Message;
use portico_domain::filter::eval::{self, Compiled};
use portico_domain::{
    Checked, Direction, Error, Fields, Filter, IdStrategy, IndexKind, ModelDef, Record, Result,
    Value, Where,
};

use crate::row::{Columns, Row};

/// A key a record is stored under: ids are integers, strings or UUIDs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Int(i64),
    Str(Box<str>),
    Uuid(uuid::Uuid),
}

impl Key {
    fn of(id: &Value) -> Result<Key> {
        match id {
            Value::Int(i) => Ok(Key::Int(*i)),
            Value::String(s) => Ok(Key::Str(s.as_str().into())),
            Value::Uuid(u) => Ok(Key::Uuid(*u)),
            other => Err(Error::backend(Message(format!(
                "an id cannot be {}",
                other.kind()
            )))),
        }
    }
}

/// One model's records, in id order, each kept as a compact [`Row`] of the table's columns.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    columns: Columns,
    rows: BTreeMap<Key, Row>,
}

impl Table {
    /// An empty table of `model`'s properties.
    fn of(model: &ModelDef) -> Table {
        Table {
            columns: Columns::of(model),
            rows: BTreeMap::new(),
        }
    }

    /// True when it holds nothing: the same as no table at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The tables by storage name. Each is shared (`Arc`) with the snapshots of the transactions
/// open on the store, and copied by whichever side changes it first (`Arc::make_mut`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Tables(pub(crate) HashMap<String, Arc<Table>>);

impl Tables {
    /// The model's table, if anything created it.
    pub(crate) fn get(&self, model: &ModelDef) -> Option<&Table> {
        self.0.get(model.storage_name()).map(|t| &**t)
    }

    /// The model's table to change: created if absent, and copied first if a snapshot shares
    /// it. Call it only to change the table.
    fn get_mut(&mut self, model: &ModelDef) -> &mut Table {
        Arc::make_mut(
            self.0
                .entry(model.storage_name().to_owned())
                .or_insert_with(|| Arc::new(Table::of(model))),
        )
    }

    /// Creates the model's (empty) table unless it exists, leaving an existing one untouched.
    pub(crate) fn create(&mut self, model: &ModelDef) {
        self.0
            .entry(model.storage_name().to_owned())
            .or_insert_with(|| Arc::new(Table::of(model)));
    }
}

fn id_of<'r>(model: &ModelDef, record: &'r Record) -> Result<&'r Value> {
    record
        .get(&model.id_property().name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| Error::backend(Message(format!("{} record without an id", model.name))))
}

/// True for `id = x`, which the id index answers directly.
/// Ids of the rows matching the clause, using the id index for `id = x`.
fn matching(model: &ModelDef, table: &Table, condition: &Checked<Where>) -> Vec<Key> {
    if condition.matches_all() {
        return table.rows.keys().cloned().collect();
    }
    if let Some(id) = condition.id_lookup(model) {
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
        .filter(|(_, r)| compiled.matches_by(&|name| r.get(&table.columns, name)))
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
                    && r.get(&table.columns, &p.name)
                        .is_some_and(|x| x.filter_eq(v))
            });
            if clash_in_table || seen.iter().any(|s| s.filter_eq(v)) {
                return Err(Error::duplicate_unique(&model.name, &p.name));
            }
            seen.push(v);
        }
    }
    Ok(())
}

/// [`Store::insert`](portico_ports::Store::insert): all or nothing. Generated ids continue
/// from `last_id`, which advances only when the insert succeeds.
pub(crate) fn insert(
    tables: &mut Tables,
    last_id: &mut i64,
    model: &ModelDef,
    records: Vec<Record>,
) -> Result<Vec<Record>> {
    let empty = Table::of(model);
    let table = tables.get(model).unwrap_or(&empty);
    let id_name = &model.id_property().name;
    let strategy = model.id_strategy();
    let mut next = *last_id;
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
            return Err(Error::duplicate_id(&model.name));
        }
        keyed.push((key, record));
    }
    let candidates: Vec<(Key, &Record)> = keyed.iter().map(|(k, r)| (k.clone(), r)).collect();
    check_unique(model, table, &candidates)?;
    if keyed.is_empty() {
        return Ok(Vec::new());
    }
    *last_id = next;
    let table = tables.get_mut(model);
    let rows = keyed
        .iter()
        .map(|(k, r)| (k.clone(), Row::new(&table.columns, r.clone())));
    table.rows.extend(rows);
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}

/// [`Store::find`](portico_ports::Store::find) over the model's table (`None`: no table yet).
pub(crate) fn find(
    model: &ModelDef,
    table: Option<&Table>,
    filter: &Checked<Filter>,
) -> Vec<Record> {
    let Some(table) = table else {
        return Vec::new();
    };
    let condition = filter.checked_where();
    let skip = usize::try_from(filter.skip.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = filter
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let by_id_only = matches!(filter.order.as_slice(), [o] if o.direction == Direction::Asc && o.property == model.id_property().name);
    let rows: Vec<&Row> = if by_id_only && condition.id_lookup(model).is_none() {
        // Rows are kept in id order: scan lazily, stop after the page.
        let compiled = (!condition.matches_all()).then(|| Compiled::new(&condition));
        table
            .rows
            .values()
            .filter(|r| {
                compiled
                    .as_ref()
                    .is_none_or(|c| c.matches_by(&|name| r.get(&table.columns, name)))
            })
            .skip(skip)
            .take(limit)
            .collect()
    } else {
        let mut rows: Vec<&Row> = matching(model, table, &condition)
            .iter()
            .filter_map(|k| table.rows.get(k))
            .collect();
        // `order` always ends with the id, so the sort is total.
        rows.sort_by(|a, b| {
            eval::compare_by(
                &filter.order,
                |p| a.get(&table.columns, p),
                |p| b.get(&table.columns, p),
            )
        });
        rows.into_iter().skip(skip).take(limit).collect()
    };
    rows.into_iter()
        .map(|r| match &filter.fields {
            Some(Fields::Include(names)) => r.to_record_of(&table.columns, names),
            _ => r.to_record(&table.columns),
        })
        .collect()
}

/// [`Store::count`](portico_ports::Store::count) over the model's table.
pub(crate) fn count(model: &ModelDef, table: Option<&Table>, condition: &Checked<Where>) -> u64 {
    table.map_or(0, |t| matching(model, t, condition).len() as u64)
}

/// [`Store::update`](portico_ports::Store::update): all matching rows or none.
pub(crate) fn update(
    tables: &mut Tables,
    model: &ModelDef,
    patch: &Record,
    condition: &Checked<Where>,
) -> Result<u64> {
    let Some(table) = tables.get(model) else {
        return Ok(0);
    };
    let updated: Vec<(Key, Record)> = matching(model, table, condition)
        .into_iter()
        .filter_map(|k| table.rows.get(&k).map(|r| (k, r.to_record(&table.columns))))
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
    if updated.is_empty() {
        return Ok(0);
    }
    let candidates: Vec<(Key, &Record)> = updated.iter().map(|(k, r)| (k.clone(), r)).collect();
    check_unique(model, table, &candidates)?;
    let count = updated.len() as u64;
    let table = tables.get_mut(model);
    let rows = updated
        .into_iter()
        .map(|(k, r)| (k, Row::new(&table.columns, r)));
    table.rows.extend(rows);
    Ok(count)
}

/// [`Store::replace`](portico_ports::Store::replace): null properties are not stored.
pub(crate) fn replace(
    tables: &mut Tables,
    model: &ModelDef,
    id: &Value,
    record: &Record,
) -> Result<bool> {
    let Some(table) = tables.get(model) else {
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
    let table = tables.get_mut(model);
    let row = Row::new(&table.columns, stored);
    table.rows.insert(key, row);
    Ok(true)
}

/// [`Store::delete`](portico_ports::Store::delete).
pub(crate) fn delete(tables: &mut Tables, model: &ModelDef, condition: &Checked<Where>) -> u64 {
    let Some(table) = tables.get(model) else {
        return 0;
    };
    let keys = matching(model, table, condition);
    if keys.is_empty() {
        return 0;
    }
    let rows = &mut tables.get_mut(model).rows;
    for k in &keys {
        rows.remove(k);
    }
    keys.len() as u64
}
