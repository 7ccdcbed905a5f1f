//! Snapshots of the SQL text and arguments per dialect.

use expect_test::{Expect, expect};
use portico_domain::{
    Capabilities, CheckOptions, Checked, Constraints, Filter, IndexKind, ModelDef, PropertyDef,
    PropertyType, Record, Value, Where,
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
    record.insert("tag".into(), Value::Json(Box::new(json!({"a": 1}))));
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

/// A model with a date, a decimal, an enum and bytes.
fn book() -> ModelDef {
    ModelDef::new("Book")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("published", PropertyType::Date))
        .property(PropertyDef::new(
            "price",
            PropertyType::Decimal {
                precision: 10,
                scale: 2,
            },
        ))
        .property(PropertyDef::new(
            "binding",
            PropertyType::Enum(vec!["hardcover".into(), "paperback".into()]),
        ))
        .property(PropertyDef::new("cover", PropertyType::Bytes))
}

fn check_book_select(json: serde_json::Value, expected: Expect) {
    let m = book();
    let filter =
        Filter::from_json_checked(&json, &m, &CheckOptions::new(Capabilities::all_operators()))
            .unwrap();
    let out: Vec<String> = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
        .into_iter()
        .map(|d| render(select(d, &m, &filter)))
        .collect();
    expected.assert_eq(&out.join("\n"));
}

#[test]
fn dates_decimals_enums() {
    check_book_select(
        json!({"where": {"published": {"gte": "2024-05-01"}, "price": {"lt": "8.5"}, "binding": {"inq": ["hardcover", "paperback"]}, "cover": {"exists": true}}, "order": ["published DESC", "price"]}),
        expect![[r#"
            SELECT "id", "published", "price", "binding", "cover" FROM "Book" WHERE ("published" >= $1 AND "price" < $2 AND "binding" = ANY($3) AND "cover" IS NOT NULL) ORDER BY "published" DESC NULLS LAST, "price" ASC NULLS FIRST, "id" ASC NULLS FIRST
              -- Date(Some(2024-05-01)), Decimal(Some(8.5), Scaled { scale: 2, round: Ceil }), List(Text(["hardcover", "paperback"]))
            SELECT `id`, `published`, `price`, `binding`, `cover` FROM `Book` WHERE (`published` >= ? AND `price` < ? AND `binding` IN (?, ?) AND `cover` IS NOT NULL) ORDER BY `published` DESC, `price` ASC, `id` ASC
              -- Date(Some(2024-05-01)), Decimal(Some(8.5), Scaled { scale: 2, round: Ceil }), Text(Some("hardcover")), Text(Some("paperback"))
            SELECT "id", "published", "price", "binding", "cover" FROM "Book" WHERE ("published" >= ? AND "price" < ? AND "binding" IN (?, ?) AND "cover" IS NOT NULL) ORDER BY "published" DESC, "price" ASC, "id" ASC
              -- Date(Some(2024-05-01)), Decimal(Some(8.5), Scaled { scale: 2, round: Ceil }), Text(Some("hardcover")), Text(Some("paperback"))"#]],
    );
    // Decimal bounds with more fraction digits than the column: exact on SQLite's integers.
    check_book_select(
        json!({"where": {"price": {"gt": "8.005", "lte": "9.999", "neq": "1.001", "nin": ["2", 3]}}}),
        expect![[r#"
            SELECT "id", "published", "price", "binding", "cover" FROM "Book" WHERE ("price" > $1 AND "price" <= $2 AND ("price" <> $3 OR "price" IS NULL) AND (NOT ("price" = ANY($4)) OR "price" IS NULL)) ORDER BY "id" ASC NULLS FIRST
              -- Decimal(Some(8.005), Scaled { scale: 2, round: Floor }), Decimal(Some(9.999), Scaled { scale: 2, round: Floor }), Decimal(Some(1.001), Scaled { scale: 2, round: Exact }), List(Decimal([2, 3]))
            SELECT `id`, `published`, `price`, `binding`, `cover` FROM `Book` WHERE (`price` > ? AND `price` <= ? AND (`price` <> ? OR `price` IS NULL) AND (NOT (`price` IN (?, ?)) OR `price` IS NULL)) ORDER BY `id` ASC
              -- Decimal(Some(8.005), Scaled { scale: 2, round: Floor }), Decimal(Some(9.999), Scaled { scale: 2, round: Floor }), Decimal(Some(1.001), Scaled { scale: 2, round: Exact }), Decimal(Some(2), Scaled { scale: 2, round: Exact }), Decimal(Some(3), Scaled { scale: 2, round: Exact })
            SELECT "id", "published", "price", "binding", "cover" FROM "Book" WHERE ("price" > ? AND "price" <= ? AND ("price" <> ? OR "price" IS NULL) AND (NOT ("price" IN (?, ?)) OR "price" IS NULL)) ORDER BY "id" ASC
              -- Decimal(Some(8.005), Scaled { scale: 2, round: Floor }), Decimal(Some(9.999), Scaled { scale: 2, round: Floor }), Decimal(Some(1.001), Scaled { scale: 2, round: Exact }), Decimal(Some(2), Scaled { scale: 2, round: Exact }), Decimal(Some(3), Scaled { scale: 2, round: Exact })"#]],
    );
}

#[test]
fn writes_of_new_types() {
    let m = book();
    let mut record = Record::new();
    record.insert(
        "published".into(),
        Value::Date(portico_domain::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap()),
    );
    record.insert("price".into(), Value::Decimal("8.00".parse().unwrap()));
    record.insert("binding".into(), Value::from("paperback"));
    record.insert("cover".into(), Value::Bytes(vec![0, 255]));
    let out: Vec<String> = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite]
        .into_iter()
        .map(|d| render(insert(d, &m, &record, true)))
        .collect();
    expect![[r#"
        INSERT INTO "Book" ("published", "price", "binding", "cover") VALUES ($1, $2, $3, $4) RETURNING "id"
          -- Date(Some(2024-05-01)), Decimal(Some(8.00), Scaled { scale: 2, round: Exact }), Text(Some("paperback")), Bytes(Some([0, 255]))
        INSERT INTO `Book` (`published`, `price`, `binding`, `cover`) VALUES (?, ?, ?, ?)
          -- Date(Some(2024-05-01)), Decimal(Some(8.00), Scaled { scale: 2, round: Exact }), Text(Some("paperback")), Bytes(Some([0, 255]))
        INSERT INTO "Book" ("published", "price", "binding", "cover") VALUES (?, ?, ?, ?) RETURNING "id"
          -- Date(Some(2024-05-01)), Decimal(Some(8.00), Scaled { scale: 2, round: Exact }), Text(Some("paperback")), Bytes(Some([0, 255]))"#]].assert_eq(&out.join("\n"));
}

#[test]
fn inserts_of_one_shape_join_into_one_statement() {
    let m = model();
    let row = |title: &str| {
        let mut record = Record::new();
        record.insert("title".into(), Value::from(title));
        insert_row(Dialect::Sqlite, &m, &record, true)
    };
    let one = row("a");
    assert_eq!(&one.statement.sql[one.values.clone()], "(?, ?, ?, ?, ?)");
    expect![[r#"
        INSERT INTO "Todo" ("title", "isComplete", "due_at", "tag", "code") VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) RETURNING "id"
          -- Text(Some("a")), Bool(None), DateTime(None), Json(None), Text(None), Text(Some("b")), Bool(None), DateTime(None), Json(None), Text(None), Text(Some("c")), Bool(None), DateTime(None), Json(None), Text(None)"#]]
    .assert_eq(&render(InsertRow::join(&[one, row("b"), row("c")])));
}
