//! Checked filters and validated records → SQL text and typed bind arguments.
//!
//! Every value is bound, never inlined; identifiers are quoted; the text depends only on the
//! shape of the filter (which properties, which operators, whether there is a limit), so sqlx's
//! per-connection prepared-statement cache is reused. On PostgreSQL, `inq`/`nin` bind one array
//! (`= ANY($1)`), so the text does not grow with the list.
//!
//! One file per kind of statement: `select.rs` (reads and counts), `write.rs` (insert,
//! update, replace, delete), and `condition.rs`, the `WHERE` clause, where each operator keeps
//! the filter reference's semantics on every dialect.

use portico_domain::{Checked, ModelDef, PropertyDef, Where};

use crate::args::Arg;
use crate::dialect::Dialect;

mod condition;
mod select;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use select::{count, select, selected};
pub(crate) use write::{InsertRow, delete, insert, insert_row, replace, update};

/// SQL text and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

/// Appends SQL text and arguments for one statement; the statement kinds' modules add to it.
struct Builder<'a> {
    dialect: Dialect,
    model: &'a ModelDef,
    sql: String,
    args: Vec<Arg>,
}

impl<'a> Builder<'a> {
    fn new(dialect: Dialect, model: &'a ModelDef) -> Self {
        Builder {
            dialect,
            model,
            sql: String::with_capacity(256),
            args: Vec::with_capacity(4),
        }
    }

    fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    fn bind(&mut self, arg: Arg) {
        self.args.push(arg);
        self.dialect
            .placeholder_into(&mut self.sql, self.args.len());
    }

    /// Appends a property's quoted column.
    fn push_column(&mut self, p: &PropertyDef) {
        self.dialect.quote_into(&mut self.sql, p.column());
    }

    /// Appends a property's column as `<`, `>` and `ORDER BY` compare it.
    fn push_ordered(&mut self, p: &PropertyDef) {
        self.push_column(p);
        // Enums are text too: ordered by code point, as on every other backend.
        if self.dialect == Dialect::Postgres
            && matches!(
                p.ty,
                portico_domain::PropertyType::String | portico_domain::PropertyType::Enum(_)
            )
        {
            self.sql.push_str(" COLLATE \"C\"");
        }
    }

    fn push_table(&mut self) {
        self.dialect
            .quote_into(&mut self.sql, self.model.storage_name());
    }

    /// Appends the quoted columns of these properties, comma-separated.
    fn push_columns<'p>(&mut self, properties: impl IntoIterator<Item = &'p PropertyDef>) {
        for (i, p) in properties.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.push_column(p);
        }
    }

    fn column(&self, p: &PropertyDef) -> String {
        self.dialect.quote(p.column())
    }

    fn table(&self) -> String {
        self.dialect.quote(self.model.storage_name())
    }

    fn property(&self, name: &str) -> &'a PropertyDef {
        // Checked filters only name known properties (SQL stores refuse free-form models).
        self.model
            .get(name)
            .unwrap_or_else(|| self.model.id_property())
    }

    fn finish(self) -> Statement {
        Statement {
            sql: self.sql,
            args: self.args,
        }
    }

    fn where_clause(&mut self, clause: &Checked<Where>) {
        if !clause.matches_all() {
            self.push(" WHERE ");
            self.condition_tree(clause);
        }
    }
}
