//! Writes: `INSERT`, `UPDATE` (a patch, or a whole replacement by id) and `DELETE`.

use portico_domain::{Checked, ModelDef, PropertyDef, Record, Value, Where};

use super::{Builder, Statement};
use crate::args::Arg;
use crate::dialect::Dialect;

/// `DELETE FROM … WHERE …`.
pub(crate) fn delete(dialect: Dialect, model: &ModelDef, condition: &Checked<Where>) -> Statement {
    let mut b = Builder::new(dialect, model);
    b.push(&format!("DELETE FROM {}", b.table()));
    b.where_clause(condition);
    b.finish()
}

/// `UPDATE … SET … WHERE …` for the patch's properties (null clears).
pub(crate) fn update(
    dialect: Dialect,
    model: &ModelDef,
    patch: &Record,
    condition: &Checked<Where>,
) -> Statement {
    let mut b = Builder::new(dialect, model);
    b.push(&format!("UPDATE {} SET ", b.table()));
    let mut first = true;
    for p in model
        .properties
        .iter()
        .filter(|p| patch.contains_key(&p.name))
    {
        if !first {
            b.push(", ");
        }
        first = false;
        b.push(&format!("{} = ", b.column(p)));
        b.bind(Arg::of(&patch[&p.name], &p.ty));
    }
    b.where_clause(condition);
    b.finish()
}

/// `UPDATE … SET <every non-id column> … WHERE id = …`: a replacement keeps the row and its id.
pub(crate) fn replace(
    dialect: Dialect,
    model: &ModelDef,
    id: &Value,
    record: &Record,
) -> Statement {
    let mut b = Builder::new(dialect, model);
    b.push(&format!("UPDATE {} SET ", b.table()));
    for (i, p) in model.properties.iter().filter(|p| !p.id).enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.push(&format!("{} = ", b.column(p)));
        b.bind(Arg::of(record.get(&p.name).unwrap_or(&Value::Null), &p.ty));
    }
    let id_prop = model.id_property();
    b.push(&format!(" WHERE {} = ", b.column(id_prop)));
    b.bind(Arg::of(id, &id_prop.ty));
    b.finish()
}

/// `INSERT INTO … (…) VALUES (…)`, leaving out a store-generated id, which PostgreSQL and
/// SQLite return with `RETURNING` (MySQL reports it as the last insert id).
pub(crate) fn insert(
    dialect: Dialect,
    model: &ModelDef,
    record: &Record,
    generated_id: bool,
) -> Statement {
    insert_row(dialect, model, record, generated_id).statement
}

/// An `INSERT` of one row, and where its row of values is in the text, so that inserts of the
/// same shape (the same text) can be joined into one of several rows.
#[derive(Debug)]
pub(crate) struct InsertRow {
    pub(crate) statement: Statement,
    /// The byte range of `(…)`, the row's values, in `statement.sql`.
    pub(crate) values: std::ops::Range<usize>,
}

impl InsertRow {
    /// One statement inserting every row, in order: the rows' values one after another, with
    /// `?` placeholders (SQLite, MySQL; PostgreSQL numbers its placeholders). Every row must
    /// have the text of the first; the rows are kept, to insert on their own if it fails.
    pub(crate) fn join(rows: &[InsertRow]) -> Statement {
        let Some(first) = rows.first() else {
            return Statement {
                sql: String::new(),
                args: Vec::new(),
            };
        };
        let (head, tail) = first.statement.sql.split_at(first.values.end);
        let tuple = &first.statement.sql[first.values.clone()];
        let mut sql = head.to_owned();
        let mut args = first.statement.args.clone();
        for row in &rows[1..] {
            debug_assert_eq!(
                row.statement.sql, first.statement.sql,
                "inserts of one shape"
            );
            sql.push_str(", ");
            sql.push_str(tuple);
            args.extend(row.statement.args.iter().cloned());
        }
        sql.push_str(tail);
        Statement { sql, args }
    }
}

/// [`insert`], with the range of its values.
pub(crate) fn insert_row(
    dialect: Dialect,
    model: &ModelDef,
    record: &Record,
    generated_id: bool,
) -> InsertRow {
    let mut b = Builder::new(dialect, model);
    let properties: Vec<&PropertyDef> = model
        .properties
        .iter()
        .filter(|p| !(generated_id && p.id))
        .collect();
    b.push("INSERT INTO ");
    b.push_table();
    b.push(" (");
    b.push_columns(properties.iter().copied());
    b.push(") VALUES ");
    let start = b.sql.len();
    b.push("(");
    for (i, p) in properties.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::of(record.get(&p.name).unwrap_or(&Value::Null), &p.ty));
    }
    b.push(")");
    let values = start..b.sql.len();
    if generated_id && dialect != Dialect::MySql {
        b.push(" RETURNING ");
        b.push_column(model.id_property());
    }
    InsertRow {
        statement: b.finish(),
        values,
    }
}
