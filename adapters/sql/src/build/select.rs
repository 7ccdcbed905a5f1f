//! Reads: `SELECT` with its order and page, and `SELECT COUNT(*)`.

use portico_domain::{Checked, Direction, Fields, Filter, ModelDef, PropertyDef, Where};

use super::{Builder, Statement};
use crate::args::Arg;
use crate::dialect::Dialect;

/// The properties a filter selects, in declaration order.
pub(crate) fn selected<'m>(model: &'m ModelDef, filter: &Filter) -> Vec<&'m PropertyDef> {
    match &filter.fields {
        Some(Fields::Include(names)) => model
            .properties
            .iter()
            .filter(|p| names.contains(&p.name))
            .collect(),
        _ => model.properties.iter().collect(),
    }
}

/// `SELECT … FROM … WHERE … ORDER BY … LIMIT … OFFSET …`.
pub(crate) fn select(dialect: Dialect, model: &ModelDef, filter: &Checked<Filter>) -> Statement {
    let mut b = Builder::new(dialect, model);
    b.push("SELECT ");
    match &filter.fields {
        Some(Fields::Include(names)) => {
            b.push_columns(model.properties.iter().filter(|p| names.contains(&p.name)))
        }
        _ => b.push_columns(&model.properties),
    }
    b.push(" FROM ");
    b.push_table();
    if let Some(condition) = &filter.where_
        && !condition.matches_all()
    {
        b.push(" WHERE ");
        b.condition_tree(condition);
    }
    if !filter.order.is_empty() {
        b.push(" ORDER BY ");
        for (i, key) in filter.order.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            let p = b.property(&key.property);
            b.push_ordered(p);
            // Nulls first ascending, last descending: MySQL's and SQLite's default, spelled
            // out for PostgreSQL.
            let direction = match (key.direction, dialect) {
                (Direction::Asc, Dialect::Postgres) => "ASC NULLS FIRST",
                (Direction::Desc, Dialect::Postgres) => "DESC NULLS LAST",
                (Direction::Asc, _) => "ASC",
                (Direction::Desc, _) => "DESC",
            };
            b.push(" ");
            b.push(direction);
        }
    }
    let limit = filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let skip = filter
        .skip
        .filter(|s| *s > 0)
        .map(|s| i64::try_from(s).unwrap_or(i64::MAX));
    match (limit, skip, dialect) {
        (Some(limit), _, _) => {
            b.push(" LIMIT ");
            b.bind(Arg::Int(Some(limit)));
        }
        // MySQL and SQLite need a LIMIT before an OFFSET: "no limit" is spelled as the largest.
        (None, Some(_), Dialect::MySql) => b.push(" LIMIT 18446744073709551615"),
        (None, Some(_), Dialect::Sqlite) => b.push(" LIMIT -1"),
        (None, _, _) => {}
    }
    if let Some(skip) = skip {
        b.push(" OFFSET ");
        b.bind(Arg::Int(Some(skip)));
    }
    b.finish()
}

/// `SELECT COUNT(*) FROM … WHERE …`.
pub(crate) fn count(dialect: Dialect, model: &ModelDef, condition: &Checked<Where>) -> Statement {
    let mut b = Builder::new(dialect, model);
    b.push("SELECT COUNT(*) FROM ");
    b.push_table();
    b.where_clause(condition);
    b.finish()
}
