//! Checked filters and validated records → SQL text and typed bind arguments.
//!
//! Every value is bound, never inlined; identifiers are quoted; the text depends only on the
//! shape of the filter (which properties, which operators, whether there is a limit), so sqlx's
//! per-connection prepared-statement cache is reused. On PostgreSQL, `inq`/`nin` bind one array
//! (`= ANY($1)`), so the text does not grow with the list.

use portico_domain::filter::like;
use portico_domain::{
    Checked, Condition, Direction, Fields, Filter, ModelDef, Op, PropertyDef, Record, Value, Where,
};

use crate::args::Arg;
use crate::dialect::Dialect;

/// SQL text and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
}

/// The escape character for LIKE patterns: not special in any dialect's string syntax.
const LIKE_ESCAPE: char = '!';

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
        if self.dialect == Dialect::Postgres && p.ty == portico_domain::PropertyType::String {
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

    fn condition_tree(&mut self, clause: &Where) {
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
        self.bind(Arg::of(value, &p.ty));
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
    b.push(") VALUES (");
    for (i, p) in properties.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        b.bind(Arg::of(record.get(&p.name).unwrap_or(&Value::Null), &p.ty));
    }
    b.push(")");
    if generated_id && dialect != Dialect::MySql {
        b.push(" RETURNING ");
        b.push_column(model.id_property());
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};
    use portico_domain::{
        Capabilities, CheckOptions, Constraints, IndexKind, PropertyDef, PropertyType, Record,
    };
    use serde_json::json;

    use super::*;

    fn model() -> ModelDef {
        ModelDef::new("Todo")
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(PropertyDef::new("title", PropertyType::String).required())
            .property(PropertyDef::new("isComplete", PropertyType::Boolean))
            .property(PropertyDef::new("due", PropertyType::DateTime).storage_name("due_at"))
            .property(PropertyDef::new("tag", PropertyType::Json))
            .property(
                PropertyDef::new("code", PropertyType::String)
                    .index(IndexKind::Unique)
                    .constraints(Constraints::default()),
            )
    }

    fn checked(json: serde_json::Value) -> Checked<Filter> {
        Filter::from_json_checked(
            &json,
            &model(),
            &CheckOptions::new(Capabilities::all_operators()),
        )
        .unwrap()
    }

    fn render(statement: Statement) -> String {
        let args: Vec<String> = statement.args.iter().map(|a| format!("{a:?}")).collect();
        format!("{}\n  -- {}", statement.sql, args.join(", "))
    }

    fn check_select(json: serde_json::Value, expected: Expect) {
        let filter = checked(json);
        let out: Vec<String> = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
            .into_iter()
            .map(|d| render(select(d, &model(), &filter)))
            .collect();
        expected.assert_eq(&out.join("\n"));
    }

    #[test]
    fn every_operator() {
        check_select(
            json!({"where": {"title": "a", "isComplete": {"neq": true}, "code": {"inq": ["x", "y"]}, "id": {"nin": [1], "between": [1, 9]}}}),
            expect![[r#"
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("title" = $1 AND ("isComplete" <> $2 OR "isComplete" IS NULL) AND "code" = ANY($3) AND (NOT ("id" = ANY($4)) OR "id" IS NULL) AND ("id" >= $5 AND "id" <= $6)) ORDER BY "id" ASC NULLS FIRST
                  -- Text(Some("a")), Bool(Some(true)), List(Text(["x", "y"])), List(Int([1])), Int(Some(1)), Int(Some(9))
                SELECT `id`, `title`, `isComplete`, `due_at`, `tag`, `code` FROM `Todo` WHERE (`title` = ? AND (`isComplete` <> ? OR `isComplete` IS NULL) AND `code` IN (?, ?) AND (NOT (`id` IN (?)) OR `id` IS NULL) AND (`id` >= ? AND `id` <= ?)) ORDER BY `id` ASC
                  -- Text(Some("a")), Bool(Some(true)), Text(Some("x")), Text(Some("y")), Int(Some(1)), Int(Some(1)), Int(Some(9))
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("title" = ? AND ("isComplete" <> ? OR "isComplete" IS NULL) AND "code" IN (?, ?) AND (NOT ("id" IN (?)) OR "id" IS NULL) AND ("id" >= ? AND "id" <= ?)) ORDER BY "id" ASC
                  -- Text(Some("a")), Bool(Some(true)), Text(Some("x")), Text(Some("y")), Int(Some(1)), Int(Some(1)), Int(Some(9))"#]],
        );
        check_select(
            json!({"where": {"or": [{"title": {"like": "50\\%_off%"}}, {"title": {"nilike": "A%"}}, {"title": {"regexp": "/^t/i"}}]}}),
            expect![[r#"
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("title" LIKE $1 ESCAPE '!' OR (NOT ("title" ILIKE $2 ESCAPE '!') OR "title" IS NULL) OR "title" ~* $3) ORDER BY "id" ASC NULLS FIRST
                  -- Text(Some("50!%_off%")), Text(Some("A%")), Text(Some("^t"))
                SELECT `id`, `title`, `isComplete`, `due_at`, `tag`, `code` FROM `Todo` WHERE (`title` LIKE ? ESCAPE '!' OR (NOT (LOWER(`title`) LIKE LOWER(?) ESCAPE '!') OR `title` IS NULL) OR `title` REGEXP ?) ORDER BY `id` ASC
                  -- Text(Some("50!%_off%")), Text(Some("A%")), Text(Some("(?i)^t"))
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("title" REGEXP ? OR (NOT ("title" REGEXP ?) OR "title" IS NULL) OR "title" REGEXP ?) ORDER BY "id" ASC
                  -- Text(Some("(?s)^50%.off.*$")), Text(Some("(?i)(?s)^A.*$")), Text(Some("(?i)^t"))"#]],
        );
        check_select(
            json!({"where": {"tag": null, "due": {"exists": true}, "code": {"inq": []}, "title": {"nin": []}}}),
            expect![[r#"
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("tag" IS NULL AND "due_at" IS NOT NULL AND 1=0 AND 1=1) ORDER BY "id" ASC NULLS FIRST
                  -- 
                SELECT `id`, `title`, `isComplete`, `due_at`, `tag`, `code` FROM `Todo` WHERE (`tag` IS NULL AND `due_at` IS NOT NULL AND 1=0 AND 1=1) ORDER BY `id` ASC
                  -- 
                SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" WHERE ("tag" IS NULL AND "due_at" IS NOT NULL AND 1=0 AND 1=1) ORDER BY "id" ASC
                  -- "#]],
        );
    }

    #[test]
    fn order_fields_and_pages() {
        check_select(
            json!({"fields": ["title", "due"], "order": ["title DESC", "due"], "limit": 10, "skip": 20}),
            expect![[r#"
                SELECT "title", "due_at" FROM "Todo" ORDER BY "title" COLLATE "C" DESC NULLS LAST, "due_at" ASC NULLS FIRST, "id" ASC NULLS FIRST LIMIT $1 OFFSET $2
                  -- Int(Some(10)), Int(Some(20))
                SELECT `title`, `due_at` FROM `Todo` ORDER BY `title` DESC, `due_at` ASC, `id` ASC LIMIT ? OFFSET ?
                  -- Int(Some(10)), Int(Some(20))
                SELECT "title", "due_at" FROM "Todo" ORDER BY "title" DESC, "due_at" ASC, "id" ASC LIMIT ? OFFSET ?
                  -- Int(Some(10)), Int(Some(20))"#]],
        );
        check_select(
            json!({"skip": 5}),
            expect![[r#"
            SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" ORDER BY "id" ASC NULLS FIRST OFFSET $1
              -- Int(Some(5))
            SELECT `id`, `title`, `isComplete`, `due_at`, `tag`, `code` FROM `Todo` ORDER BY `id` ASC LIMIT 18446744073709551615 OFFSET ?
              -- Int(Some(5))
            SELECT "id", "title", "isComplete", "due_at", "tag", "code" FROM "Todo" ORDER BY "id" ASC LIMIT -1 OFFSET ?
              -- Int(Some(5))"#]],
        );
    }

    #[test]
    fn writes() {
        let m = model();
        let mut record = Record::new();
        record.insert("title".into(), Value::from("milk"));
        record.insert("tag".into(), Value::Json(json!({"a": 1})));
        let by_title = Where::cond("title", portico_domain::Op::Eq(Value::from("milk")))
            .check(&m, &CheckOptions::new(Capabilities::all_operators()))
            .unwrap();
        let out: Vec<String> = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
            .into_iter()
            .flat_map(|d| {
                [
                    render(insert(d, &m, &record, true)),
                    render(update(d, &m, &record, &by_title)),
                    render(replace(d, &m, &Value::Int(7), &record)),
                    render(delete(d, &m, &Checked::all())),
                    render(count(d, &m, &by_title)),
                ]
            })
            .collect();
        expect![[r#"
            INSERT INTO "Todo" ("title", "isComplete", "due_at", "tag", "code") VALUES ($1, $2, $3, $4, $5) RETURNING "id"
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None)
            UPDATE "Todo" SET "title" = $1, "tag" = $2 WHERE "title" = $3
              -- Text(Some("milk")), Json(Some(Object {"a": Number(1)})), Text(Some("milk"))
            UPDATE "Todo" SET "title" = $1, "isComplete" = $2, "due_at" = $3, "tag" = $4, "code" = $5 WHERE "id" = $6
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None), Int(Some(7))
            DELETE FROM "Todo"
              -- 
            SELECT COUNT(*) FROM "Todo" WHERE "title" = $1
              -- Text(Some("milk"))
            INSERT INTO `Todo` (`title`, `isComplete`, `due_at`, `tag`, `code`) VALUES (?, ?, ?, ?, ?)
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None)
            UPDATE `Todo` SET `title` = ?, `tag` = ? WHERE `title` = ?
              -- Text(Some("milk")), Json(Some(Object {"a": Number(1)})), Text(Some("milk"))
            UPDATE `Todo` SET `title` = ?, `isComplete` = ?, `due_at` = ?, `tag` = ?, `code` = ? WHERE `id` = ?
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None), Int(Some(7))
            DELETE FROM `Todo`
              -- 
            SELECT COUNT(*) FROM `Todo` WHERE `title` = ?
              -- Text(Some("milk"))
            INSERT INTO "Todo" ("title", "isComplete", "due_at", "tag", "code") VALUES (?, ?, ?, ?, ?) RETURNING "id"
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None)
            UPDATE "Todo" SET "title" = ?, "tag" = ? WHERE "title" = ?
              -- Text(Some("milk")), Json(Some(Object {"a": Number(1)})), Text(Some("milk"))
            UPDATE "Todo" SET "title" = ?, "isComplete" = ?, "due_at" = ?, "tag" = ?, "code" = ? WHERE "id" = ?
              -- Text(Some("milk")), Bool(None), DateTime(None), Json(Some(Object {"a": Number(1)})), Text(None), Int(Some(7))
            DELETE FROM "Todo"
              -- 
            SELECT COUNT(*) FROM "Todo" WHERE "title" = ?
              -- Text(Some("milk"))"#]].assert_eq(&out.join("\n"));
    }
}
