//! Reads: `find` (records), `find_each` (values in property order, for typed reads) and
//! `count`, each row decoded as it arrives.

use portico_domain::{Checked, Error, Filter, ModelDef, Record, Result, Value, Where};
use sqlx::Row;

use super::{Access, SqlStore, decode};
use crate::conn::on_conn;
use crate::rows::{BindArg, ReadValue};
use crate::{build, error};

/// True when the filter can match at most one row (a limit of 1, or equality on the id): such
/// reads stop at the first row instead of draining the result.
fn at_most_one(model: &ModelDef, filter: &Filter) -> bool {
    filter.limit == Some(1)
        || filter
            .where_
            .as_ref()
            .is_some_and(|w| w.id_lookup(model).is_some())
}

/// Runs the select for `filter` and decodes each row with `$decode` as it arrives, so no row
/// outlives its decoding.
macro_rules! fetch_decoded {
    ($store:expr, $model:expr, $filter:expr, |$row:ident| $decode:expr) => {{
        let statement = build::select($store.dialect, $model, $filter);
        let one = at_most_one($model, $filter);
        on_conn!($store.conn($model, Access::Read).await?, c => {
            let query = sqlx::query(&statement.sql).bind_all(statement.args);
            if one {
                let row = query
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(|e| error::map(e, $model))?;
                row.map(|$row| -> std::result::Result<_, sqlx::Error> { $decode })
                    .into_iter()
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(decode)
            } else {
                query
                    .try_map(|$row| $decode)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| error::map(e, $model))
            }
        })
    }};
}

/// Reads the matching rows as records (nulls left out, as the reference store gives them).
pub(super) async fn find(
    store: &SqlStore,
    model: &ModelDef,
    filter: &Checked<Filter>,
) -> Result<Vec<Record>> {
    let selected = build::selected(model, filter);
    fetch_decoded!(store, model, filter, |row| {
        let mut record = Record::new();
        for (i, p) in selected.iter().enumerate() {
            let value = row.read(i, &p.ty)?;
            if !value.is_null() {
                record.insert(p.name.clone(), value);
            }
        }
        Ok(record)
    })
}

/// Hands each matching row to `sink` as values in property order, with no record per row.
pub(super) async fn find_each<'s>(
    store: &SqlStore,
    model: &ModelDef,
    filter: &Checked<Filter>,
    sink: &mut portico_ports::RowSink<'s>,
) -> Result<()> {
    // Per property: the column it was read into, when selected.
    let mut column = 0;
    let slots: Vec<Option<(usize, &portico_domain::PropertyType)>> = model
        .properties
        .iter()
        .map(|p| {
            let selected = match &filter.fields {
                Some(portico_domain::Fields::Include(names)) => names.contains(&p.name),
                _ => true,
            };
            selected.then(|| {
                column += 1;
                (column - 1, &p.ty)
            })
        })
        .collect();
    let mut failure: Option<Error> = None;
    fetch_decoded!(store, model, filter, |row| {
        if failure.is_some() {
            return Ok(());
        }
        let mut read_error = None;
        let mut values = slots.iter().map(|slot| match slot {
            Some((i, ty)) => row.read(*i, ty).unwrap_or_else(|e| {
                read_error.get_or_insert(e);
                Value::Null
            }),
            None => Value::Null,
        });
        let fed = sink(&mut values);
        drop(values);
        if let Some(e) = read_error {
            return Err(e);
        }
        if let Err(e) = fed {
            failure = Some(e);
        }
        Ok(())
    })?;
    failure.map_or(Ok(()), Err)
}

/// Counts the matching rows.
pub(super) async fn count(
    store: &SqlStore,
    model: &ModelDef,
    condition: &Checked<Where>,
) -> Result<u64> {
    let statement = build::count(store.dialect, model, condition);
    on_conn!(store.conn(model, Access::Read).await?, c => {
        let row = sqlx::query(&statement.sql)
            .bind_all(statement.args)
            .fetch_one(&mut *c)
            .await
            .map_err(|e| error::map(e, model))?;
        let n: i64 = row.try_get(0).map_err(decode)?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
}
