//! The `WHERE` clause: each operator of the checked filter as SQL with the reference's
//! semantics (negations match NULL, LIKE case-sensitive, strings by code point), per dialect.

use portico_domain::filter::like;
use portico_domain::{Condition, Op, PropertyDef, Value, Where};

use super::Builder;
use crate::args::{Arg, Round};
use crate::dialect::Dialect;

/// The escape character for LIKE patterns: not special in any dialect's string syntax.
const LIKE_ESCAPE: char = '!';

impl Builder<'_> {
    /// Appends a condition tree (an empty `and` is true, an empty `or` false).
    pub(super) fn condition_tree(&mut self, clause: &Where) {
        match clause {
            Where::And(parts) | Where::Or(parts) if parts.is_empty() => {
                self.push(if matches!(clause, Where::And(_)) {
                    "1=1"
                } else {
                    "1=0"
                });
            }
            Where::And(parts) | Where::Or(parts) => {
                let joiner = if matches!(clause, Where::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.push("(");
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.push(joiner);
                    }
                    self.condition_tree(part);
                }
                self.push(")");
            }
            Where::Cond(c) => self.condition(c),
        }
    }

    fn condition(&mut self, c: &Condition) {
        let p = self.property(&c.property);
        match &c.op {
            Op::Eq(Value::Null) | Op::Exists(false) => {
                self.push_column(p);
                self.push(" IS NULL");
            }
            Op::Neq(Value::Null) | Op::Exists(true) => {
                self.push_column(p);
                self.push(" IS NOT NULL");
            }
            Op::Eq(v) => self.compare(p, false, "=", v),
            // Negations also match NULL (the filter reference: "is distinct from").
            Op::Neq(v) => {
                self.push("(");
                self.compare(p, false, "<>", v);
                self.or_null(p);
            }
            Op::Gt(v) => self.compare(p, true, ">", v),
            Op::Gte(v) => self.compare(p, true, ">=", v),
            Op::Lt(v) => self.compare(p, true, "<", v),
            Op::Lte(v) => self.compare(p, true, "<=", v),
            Op::Between(lo, hi) => {
                self.push("(");
                self.compare(p, true, ">=", lo);
                self.push(" AND ");
                self.compare(p, true, "<=", hi);
                self.push(")");
            }
            Op::Inq(items) if items.is_empty() => self.push("1=0"),
            Op::Nin(items) if items.is_empty() => self.push("1=1"),
            Op::Inq(items) => self.membership(p, items),
            Op::Nin(items) => {
                self.push("(NOT (");
                self.membership(p, items);
                self.push(")");
                self.or_null(p);
            }
            Op::Like(pattern) => self.like(p, pattern, false),
            Op::Ilike(pattern) => self.like(p, pattern, true),
            Op::Nlike(pattern) | Op::Nilike(pattern) => {
                self.push("(NOT (");
                self.like(p, pattern, matches!(c.op, Op::Nilike(_)));
                self.push(")");
                self.or_null(p);
            }
            Op::Regexp(spec) => {
                let (op, pattern) = match (self.dialect, spec.case_insensitive) {
                    (Dialect::Postgres, false) => (" ~ ", spec.pattern.clone()),
                    (Dialect::Postgres, true) => (" ~* ", spec.pattern.clone()),
                    (_, false) => (" REGEXP ", spec.pattern.clone()),
                    (_, true) => (" REGEXP ", format!("(?i){}", spec.pattern)),
                };
                self.push_column(p);
                self.push(op);
                self.bind(Arg::Text(Some(pattern)));
            }
        }
    }

    /// ` OR <col> IS NULL)`, closing a negation.
    fn or_null(&mut self, p: &PropertyDef) {
        self.push(" OR ");
        self.push_column(p);
        self.push(" IS NULL)");
    }

    fn compare(&mut self, p: &PropertyDef, ordered: bool, op: &str, value: &Value) {
        if ordered {
            self.push_ordered(p);
        } else {
            self.push_column(p);
        }
        self.push(" ");
        self.push(op);
        self.push(" ");
        // Where decimals are integers (SQLite), a bound with more fraction digits than the
        // column rounds to the integer that keeps the comparison exact.
        let round = match op {
            ">" | "<=" => Round::Floor,
            ">=" | "<" => Round::Ceil,
            _ => Round::Exact,
        };
        self.bind(Arg::rounded(value, &p.ty, round));
    }

    fn membership(&mut self, p: &PropertyDef, items: &[Value]) {
        self.push_column(p);
        if self.dialect == Dialect::Postgres {
            self.push(" = ANY(");
            self.bind(Arg::list(items, &p.ty));
            self.push(")");
            return;
        }
        self.push(" IN (");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::of(item, &p.ty));
        }
        self.push(")");
    }

    /// LIKE keeps its documented semantics on each dialect: case-sensitive `LIKE` on PostgreSQL
    /// and on MySQL's binary collation; `ILIKE` / `LOWER() LIKE LOWER()` for case-insensitive;
    /// SQLite (whose `LIKE` ignores ASCII case) uses the REGEXP function, i.e. Rust's `regex`,
    /// exactly as the reference store does.
    fn like(&mut self, p: &PropertyDef, pattern: &str, insensitive: bool) {
        const ESCAPE: &str = " ESCAPE '!'";
        debug_assert_eq!(LIKE_ESCAPE, '!');
        match (self.dialect, insensitive) {
            (Dialect::Sqlite, _) => {
                let flag = if insensitive { "(?i)" } else { "" };
                self.push_column(p);
                self.push(" REGEXP ");
                self.bind(Arg::Text(Some(format!(
                    "{flag}{}",
                    like::to_regex(pattern)
                ))));
                return;
            }
            (Dialect::Postgres, false) | (Dialect::MySql, false) => {
                self.push_column(p);
                self.push(" LIKE ");
            }
            (Dialect::Postgres, true) => {
                self.push_column(p);
                self.push(" ILIKE ");
            }
            (Dialect::MySql, true) => {
                self.push("LOWER(");
                self.push_column(p);
                self.push(") LIKE LOWER(");
                self.bind(Arg::Text(Some(like::to_sql_like(pattern, LIKE_ESCAPE))));
                self.push(")");
                self.push(ESCAPE);
                return;
            }
        }
        self.bind(Arg::Text(Some(like::to_sql_like(pattern, LIKE_ESCAPE))));
        self.push(ESCAPE);
    }
}
