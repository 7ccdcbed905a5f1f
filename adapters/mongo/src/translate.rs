//! Checked filters to MongoDB query documents: `where` → a filter document, `order` → a sort
//! document, `fields` → a projection. The semantics are those of the filter reference in
//! `portico_domain::filter`; the comments say how each decided edge case maps onto MongoDB.

use bson::{Bson, Document, Regex, doc};
use portico_domain::filter::like::{LikeToken, tokens};
use portico_domain::{Condition, Direction, Fields, ModelDef, Op, Order, RegexSpec, Value, Where};

use crate::codec::{ID_FIELD, field_name, field_path, property_bson};

/// The filter document of a where clause. An empty document matches every document.
pub(crate) fn filter_document(model: &ModelDef, clause: &Where) -> Document {
    match clause {
        Where::And(parts) => {
            // Clauses that match everything (`{}`) are neutral in a conjunction; MongoDB
            // refuses an empty `$and`.
            let mut docs: Vec<Document> = parts
                .iter()
                .map(|p| filter_document(model, p))
                .filter(|d| !d.is_empty())
                .collect();
            match docs.len() {
                0 => Document::new(),
                1 => docs.remove(0),
                _ => doc! {"$and": docs},
            }
        }
        Where::Or(parts) => {
            let mut docs: Vec<Document> = parts.iter().map(|p| filter_document(model, p)).collect();
            if docs.iter().any(Document::is_empty) {
                // One alternative matches everything, so the disjunction does.
                Document::new()
            } else {
                match docs.len() {
                    // Checked clauses never hold an empty `or`; it would match nothing.
                    0 => doc! {ID_FIELD: {"$in": []}},
                    1 => docs.remove(0),
                    _ => doc! {"$or": docs},
                }
            }
        }
        Where::Cond(c) => condition(model, c),
    }
}

fn condition(model: &ModelDef, c: &Condition) -> Document {
    // A dotted path into an embedded object (`publisher.city`) is the same dotted field path,
    // which MongoDB resolves inside the sub-document; a document without the sub-document, or
    // one without the member, is null there (`{p: null}` and negations match it).
    let field = field_path(model, &c.property);
    let to_bson = |v: &Value| property_bson(model, &c.property, v);
    let test: Bson = match &c.op {
        // `{p: null}` matches null and missing alike in MongoDB, as the reference decides.
        Op::Eq(Value::Null) | Op::Exists(false) => Bson::Null,
        Op::Eq(v) => match to_bson(v) {
            // A document or array operand would be read as operators or as an exact array
            // match; `$eq` keeps it a plain equality test.
            b @ (Bson::Document(_) | Bson::Array(_)) => Bson::Document(doc! {"$eq": b}),
            b => b,
        },
        // `$ne: null` matches present values only; `$ne: v` also matches null and missing
        // ("negations match null").
        Op::Neq(Value::Null) | Op::Exists(true) => Bson::Document(doc! {"$ne": Bson::Null}),
        Op::Neq(v) => Bson::Document(doc! {"$ne": to_bson(v)}),
        // Comparisons are type-bracketed in MongoDB: `$gt: 5` never matches null, missing or
        // a string, so they never match null, as decided.
        Op::Gt(v) => Bson::Document(doc! {"$gt": to_bson(v)}),
        Op::Gte(v) => Bson::Document(doc! {"$gte": to_bson(v)}),
        Op::Lt(v) => Bson::Document(doc! {"$lt": to_bson(v)}),
        Op::Lte(v) => Bson::Document(doc! {"$lte": to_bson(v)}),
        Op::Between(lo, hi) => Bson::Document(doc! {"$gte": to_bson(lo), "$lte": to_bson(hi)}),
        // `$in: []` matches nothing and `$nin: []` everything; `$nin` matches null and missing.
        Op::Inq(items) => {
            Bson::Document(doc! {"$in": items.iter().map(&to_bson).collect::<Vec<_>>()})
        }
        Op::Nin(items) => {
            Bson::Document(doc! {"$nin": items.iter().map(&to_bson).collect::<Vec<_>>()})
        }
        Op::Like(p) => regex_test(like_regex(p), "s"),
        Op::Ilike(p) => regex_test(like_regex(p), "is"),
        // `$not` matches documents whose field is not a matching string, null and missing
        // included ("negations match null").
        Op::Nlike(p) => not_regex(like_regex(p), "s"),
        Op::Nilike(p) => not_regex(like_regex(p), "is"),
        Op::Regexp(RegexSpec {
            pattern,
            case_insensitive,
        }) => regex_test(pattern.clone(), if *case_insensitive { "i" } else { "" }),
    };
    let mut doc = Document::new();
    doc.insert(field, test);
    doc
}

fn regex_test(pattern: String, options: &str) -> Bson {
    let mut test = doc! {"$regex": pattern};
    if !options.is_empty() {
        test.insert("$options", options);
    }
    Bson::Document(test)
}

fn not_regex(pattern: String, options: &str) -> Bson {
    Bson::Document(doc! {"$not": Bson::RegularExpression(Regex {
        pattern,
        options: options.to_owned(),
    })})
}

/// A LIKE pattern as an anchored regular expression for MongoDB's PCRE (used with the `s`
/// option, so `%` and `_` also match newlines): `^` … `\z`, the absolute end (`$` would also
/// match before a final newline). Every ASCII punctuation character is escaped, which PCRE
/// reads as the literal character; control characters are written as `\xHH`.
pub(crate) fn like_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push('^');
    for token in tokens(pattern) {
        match token {
            LikeToken::AnyRun => out.push_str(".*"),
            LikeToken::AnyOne => out.push('.'),
            LikeToken::Literal(c) if c.is_ascii_control() => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            LikeToken::Literal(c) => {
                if c.is_ascii_punctuation() && c != '_' {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out.push_str("\\z");
    out
}

/// The sort document of a checked `order` (which ends with the id). MongoDB sorts null and
/// missing before every other value ascending and after them descending, as decided, and
/// strings by their UTF-8 bytes, which is code point order.
pub(crate) fn sort_document(model: &ModelDef, order: &[Order]) -> Document {
    let mut doc = Document::new();
    for key in order {
        let direction = match key.direction {
            Direction::Asc => 1,
            Direction::Desc => -1,
        };
        doc.insert(field_name(model, &key.property), direction);
    }
    doc
}

/// The projection of a checked `fields` (the complete selection), or `None` for every field.
/// `_id` is returned by MongoDB unless excluded, so it is excluded when the id is not selected.
pub(crate) fn projection(model: &ModelDef, fields: Option<&Fields>) -> Option<Document> {
    let Some(Fields::Include(names)) = fields else {
        return None;
    };
    let mut doc = Document::new();
    for name in names {
        doc.insert(field_name(model, name), 1);
    }
    if !doc.contains_key(ID_FIELD) {
        if doc.is_empty() {
            // `{_id: 0}` alone would return every other field; the decoder drops the `_id`.
            doc.insert(ID_FIELD, 1);
        } else {
            doc.insert(ID_FIELD, 0);
        }
    }
    Some(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};
    use portico_domain::{
        Capabilities, CheckOptions, Filter, IndexKind, ModelSettings, ObjectDef, PropertyDef,
        PropertyType,
    };
    use serde_json::json;

    fn model() -> ModelDef {
        ModelDef::new("Item")
            .settings(ModelSettings {
                strict: false,
                storage_name: Some("items".into()),
                description: None,
            })
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(PropertyDef::new("name", PropertyType::String).required())
            .property(PropertyDef::new("count", PropertyType::Integer))
            .property(PropertyDef::new("price", PropertyType::Number))
            .property(PropertyDef::new("active", PropertyType::Boolean))
            .property(PropertyDef::new("due", PropertyType::DateTime))
            .property(PropertyDef::new("refId", PropertyType::Uuid))
            .property(PropertyDef::new("meta", PropertyType::Json))
            .property(PropertyDef::new(
                "tags",
                PropertyType::Array(Box::new(PropertyType::String)),
            ))
            .property(
                PropertyDef::new("stock", PropertyType::Integer)
                    .storage_name("stock_level")
                    .index(IndexKind::Plain),
            )
            .property(PropertyDef::new("secret", PropertyType::String).hidden())
            .property(PropertyDef::new("published", PropertyType::Date))
            .property(PropertyDef::new(
                "amount",
                PropertyType::Decimal {
                    precision: 10,
                    scale: 2,
                },
            ))
            .property(PropertyDef::new(
                "binding",
                PropertyType::Enum(vec![
                    "hardcover".into(),
                    "paperback".into(),
                    "e-book".into(),
                ]),
            ))
            .property(PropertyDef::new("cover", PropertyType::Bytes))
            .property(
                PropertyDef::new(
                    "publisher",
                    PropertyType::Object(std::sync::Arc::new(ObjectDef {
                        name: "Publisher".into(),
                        properties: vec![
                            PropertyDef::new("name", PropertyType::String).required(),
                            PropertyDef::new("city", PropertyType::String),
                            PropertyDef::new("founded", PropertyType::Date),
                        ],
                    })),
                )
                .storage_name("publisher_info"),
            )
    }

    fn capabilities() -> Capabilities {
        let mut capabilities = Capabilities::all_operators();
        capabilities.embedded_paths = true;
        capabilities
    }

    fn checked(filter: serde_json::Value) -> portico_domain::Checked<Filter> {
        Filter::from_json(&filter)
            .unwrap()
            .check(&model(), &CheckOptions::new(capabilities()))
            .unwrap()
    }

    fn show(doc: Document) -> String {
        Bson::Document(doc).into_relaxed_extjson().to_string()
    }

    /// One line per where clause: the LoopBack JSON, then the filter document.
    fn check_wheres(cases: &[serde_json::Value], expect: Expect) {
        let m = model();
        let lines: Vec<String> = cases
            .iter()
            .map(|w| {
                let f = checked(json!({ "where": w }));
                format!(
                    "{w}\n  => {}",
                    show(filter_document(&m, &f.checked_where()))
                )
            })
            .collect();
        expect.assert_eq(&(lines.join("\n") + "\n"));
    }

    #[test]
    fn equality_null_and_exists() {
        check_wheres(
            &[
                json!({}),
                json!({"name": "milk"}),
                json!({"name": {"eq": "milk"}}),
                json!({"id": "3"}),
                json!({"count": null}),
                json!({"count": {"eq": null}}),
                json!({"count": {"neq": 2}}),
                json!({"count": {"neq": null}}),
                json!({"active": false}),
                json!({"meta": {"exists": true}}),
                json!({"tags": {"exists": false}}),
                json!({"stock": 4}),
                json!({"extra": "free-form"}),
            ],
            expect![[r#"
                {}
                  => {}
                {"name":"milk"}
                  => {"name":"milk"}
                {"name":{"eq":"milk"}}
                  => {"name":"milk"}
                {"id":"3"}
                  => {"_id":3}
                {"count":null}
                  => {"count":null}
                {"count":{"eq":null}}
                  => {"count":null}
                {"count":{"neq":2}}
                  => {"count":{"$ne":2}}
                {"count":{"neq":null}}
                  => {"count":{"$ne":null}}
                {"active":false}
                  => {"active":false}
                {"meta":{"exists":true}}
                  => {"meta":{"$ne":null}}
                {"tags":{"exists":false}}
                  => {"tags":null}
                {"stock":4}
                  => {"stock_level":4}
                {"extra":"free-form"}
                  => {"extra":"free-form"}
            "#]],
        );
    }

    #[test]
    fn comparisons_ranges_and_lists() {
        check_wheres(
            &[
                json!({"count": {"gt": 1}}),
                json!({"count": {"gte": "2"}}),
                json!({"price": {"lt": 2}}),
                json!({"price": {"lte": 2.5}}),
                json!({"count": {"gt": 1, "lt": 5}}),
                json!({"count": {"between": [1, 3]}}),
                json!({"name": {"between": ["a", "m"]}}),
                json!({"due": {"gte": "2024-05-01"}}),
                json!({"due": {"lt": 1_714_557_600_000_i64}}),
                json!({"refId": {"gt": "00000000-0000-0000-0000-00000000000A"}}),
                json!({"count": {"inq": [1, "2"]}}),
                json!({"count": {"inq": 7}}),
                json!({"count": {"inq": []}}),
                json!({"count": {"nin": [1, 2]}}),
                json!({"count": {"nin": []}}),
            ],
            expect![[r#"
                {"count":{"gt":1}}
                  => {"count":{"$gt":1}}
                {"count":{"gte":"2"}}
                  => {"count":{"$gte":2}}
                {"price":{"lt":2}}
                  => {"price":{"$lt":2.0}}
                {"price":{"lte":2.5}}
                  => {"price":{"$lte":2.5}}
                {"count":{"gt":1,"lt":5}}
                  => {"$and":[{"count":{"$gt":1}},{"count":{"$lt":5}}]}
                {"count":{"between":[1,3]}}
                  => {"count":{"$gte":1,"$lte":3}}
                {"name":{"between":["a","m"]}}
                  => {"name":{"$gte":"a","$lte":"m"}}
                {"due":{"gte":"2024-05-01"}}
                  => {"due":{"$gte":{"$date":"2024-05-01T00:00:00Z"}}}
                {"due":{"lt":1714557600000}}
                  => {"due":{"$lt":{"$date":"2024-05-01T10:00:00Z"}}}
                {"refId":{"gt":"00000000-0000-0000-0000-00000000000A"}}
                  => {"refId":{"$gt":{"$binary":{"base64":"AAAAAAAAAAAAAAAAAAAACg==","subType":"04"}}}}
                {"count":{"inq":[1,"2"]}}
                  => {"count":{"$in":[1,2]}}
                {"count":{"inq":7}}
                  => {"count":{"$in":[7]}}
                {"count":{"inq":[]}}
                  => {"count":{"$in":[]}}
                {"count":{"nin":[1,2]}}
                  => {"count":{"$nin":[1,2]}}
                {"count":{"nin":[]}}
                  => {"count":{"$nin":[]}}
            "#]],
        );
    }

    #[test]
    fn dates_decimals_enums_and_embedded_paths() {
        check_wheres(
            &[
                json!({"published": {"between": ["2024-01-01", "2024-12-31"]}}),
                json!({"published": {"gte": "2024-05-01", "lt": "2024-06-01"}}),
                json!({"published": {"inq": ["2024-05-01"]}}),
                json!({"amount": {"gt": "9.5"}}),
                json!({"amount": {"lte": 10}}),
                json!({"amount": {"inq": ["8.50", 1050]}}),
                json!({"amount": "8.50"}),
                json!({"binding": {"inq": ["hardcover", "e-book"]}}),
                json!({"binding": {"nin": ["paperback"]}}),
                json!({"publisher.city": "Oslo"}),
                json!({"publisher.city": {"like": "Os%"}}),
                json!({"publisher.city": null}),
                json!({"publisher.founded": {"lt": "1900-01-01"}}),
                json!({"publisher": {"exists": true}}),
                json!({"cover": {"exists": false}}),
            ],
            expect![[r#"
                {"published":{"between":["2024-01-01","2024-12-31"]}}
                  => {"published":{"$gte":"2024-01-01","$lte":"2024-12-31"}}
                {"published":{"gte":"2024-05-01","lt":"2024-06-01"}}
                  => {"$and":[{"published":{"$gte":"2024-05-01"}},{"published":{"$lt":"2024-06-01"}}]}
                {"published":{"inq":["2024-05-01"]}}
                  => {"published":{"$in":["2024-05-01"]}}
                {"amount":{"gt":"9.5"}}
                  => {"amount":{"$gt":{"$numberDecimal":"9.5"}}}
                {"amount":{"lte":10}}
                  => {"amount":{"$lte":{"$numberDecimal":"10"}}}
                {"amount":{"inq":["8.50",1050]}}
                  => {"amount":{"$in":[{"$numberDecimal":"8.50"},{"$numberDecimal":"1050"}]}}
                {"amount":"8.50"}
                  => {"amount":{"$numberDecimal":"8.50"}}
                {"binding":{"inq":["hardcover","e-book"]}}
                  => {"binding":{"$in":["hardcover","e-book"]}}
                {"binding":{"nin":["paperback"]}}
                  => {"binding":{"$nin":["paperback"]}}
                {"publisher.city":"Oslo"}
                  => {"publisher_info.city":"Oslo"}
                {"publisher.city":{"like":"Os%"}}
                  => {"publisher_info.city":{"$regex":"^Os.*\\z","$options":"s"}}
                {"publisher.city":null}
                  => {"publisher_info.city":null}
                {"publisher.founded":{"lt":"1900-01-01"}}
                  => {"publisher_info.founded":{"$lt":"1900-01-01"}}
                {"publisher":{"exists":true}}
                  => {"publisher_info":{"$ne":null}}
                {"cover":{"exists":false}}
                  => {"cover":null}
            "#]],
        );
    }

    #[test]
    fn patterns() {
        check_wheres(
            &[
                json!({"name": {"like": "%milk_"}}),
                json!({"name": {"like": "50\\%_off.*(x)?"}}),
                json!({"name": {"like": "a\\\\b\nc"}}),
                json!({"name": {"nlike": "milk%"}}),
                json!({"name": {"ilike": "école%"}}),
                json!({"name": {"nilike": "%MILK"}}),
                json!({"name": {"regexp": "^mi(l|n)k+"}}),
                json!({"name": {"regexp": "/^milk/i"}}),
                json!({"name": {"regexp": "/milk/g"}}),
            ],
            expect![[r#"
                {"name":{"like":"%milk_"}}
                  => {"name":{"$regex":"^.*milk.\\z","$options":"s"}}
                {"name":{"like":"50\\%_off.*(x)?"}}
                  => {"name":{"$regex":"^50\\%.off\\.\\*\\(x\\)\\?\\z","$options":"s"}}
                {"name":{"like":"a\\\\b\nc"}}
                  => {"name":{"$regex":"^a\\\\b\\x0ac\\z","$options":"s"}}
                {"name":{"nlike":"milk%"}}
                  => {"name":{"$not":{"$regularExpression":{"pattern":"^milk.*\\z","options":"s"}}}}
                {"name":{"ilike":"école%"}}
                  => {"name":{"$regex":"^école.*\\z","$options":"is"}}
                {"name":{"nilike":"%MILK"}}
                  => {"name":{"$not":{"$regularExpression":{"pattern":"^.*MILK\\z","options":"is"}}}}
                {"name":{"regexp":"^mi(l|n)k+"}}
                  => {"name":{"$regex":"^mi(l|n)k+"}}
                {"name":{"regexp":"/^milk/i"}}
                  => {"name":{"$regex":"^milk","$options":"i"}}
                {"name":{"regexp":"/milk/g"}}
                  => {"name":{"$regex":"milk"}}
            "#]],
        );
    }

    #[test]
    fn and_or() {
        check_wheres(
            &[
                json!({"name": "a", "count": 1}),
                json!({"or": [{"name": "a"}, {"count": {"gt": 3}}]}),
                json!({"or": [{"name": "a"}], "count": 2}),
                json!({"and": [{"or": [{"name": "a"}, {"and": [{"count": 1}, {"active": true}]}]}]}),
                json!({"or": [{"name": "a"}, {}]}),
                json!({"and": [{}, {"name": "a"}]}),
            ],
            expect![[r#"
                {"name":"a","count":1}
                  => {"$and":[{"name":"a"},{"count":1}]}
                {"or":[{"name":"a"},{"count":{"gt":3}}]}
                  => {"$or":[{"name":"a"},{"count":{"$gt":3}}]}
                {"or":[{"name":"a"}],"count":2}
                  => {"$and":[{"name":"a"},{"count":2}]}
                {"and":[{"or":[{"name":"a"},{"and":[{"count":1},{"active":true}]}]}]}
                  => {"$or":[{"name":"a"},{"$and":[{"count":1},{"active":true}]}]}
                {"or":[{"name":"a"},{}]}
                  => {}
                {"and":[{},{"name":"a"}]}
                  => {"name":"a"}
            "#]],
        );
    }

    #[test]
    fn order_projection_and_pages() {
        let m = model();
        let lines: Vec<String> = [
            json!({}),
            json!({"order": "count DESC"}),
            json!({"order": ["stock", "name DESC"], "limit": 3, "skip": 2}),
            json!({"order": "id DESC"}),
            json!({"fields": ["name", "count"]}),
            json!({"fields": {"id": true, "stock": true}}),
            json!({"fields": {"meta": false, "tags": false, "due": false, "refId": false, "price": false, "active": false}}),
            json!({"fields": ["name", "extra"]}),
        ]
        .iter()
        .map(|f| {
            let c = checked(f.clone());
            format!(
                "{f}\n  sort {}\n  projection {}\n  skip {:?} limit {:?}",
                show(sort_document(&m, &c.order)),
                projection(&m, c.fields.as_ref()).map_or_else(|| "none".to_owned(), show),
                c.skip,
                c.limit,
            )
        })
        .collect();
        expect![[r#"
            {}
              sort {"_id":1}
              projection none
              skip None limit None
            {"order":"count DESC"}
              sort {"count":-1,"_id":1}
              projection none
              skip None limit None
            {"order":["stock","name DESC"],"limit":3,"skip":2}
              sort {"stock_level":1,"name":-1,"_id":1}
              projection none
              skip Some(2) limit Some(3)
            {"order":"id DESC"}
              sort {"_id":-1}
              projection none
              skip None limit None
            {"fields":["name","count"]}
              sort {"_id":1}
              projection {"name":1,"count":1,"_id":0}
              skip None limit None
            {"fields":{"id":true,"stock":true}}
              sort {"_id":1}
              projection {"_id":1,"stock_level":1}
              skip None limit None
            {"fields":{"meta":false,"tags":false,"due":false,"refId":false,"price":false,"active":false}}
              sort {"_id":1}
              projection {"_id":1,"name":1,"count":1,"stock_level":1,"published":1,"amount":1,"binding":1,"cover":1,"publisher_info":1}
              skip None limit None
            {"fields":["name","extra"]}
              sort {"_id":1}
              projection {"name":1,"extra":1,"_id":0}
              skip None limit None
        "#]]
        .assert_eq(&(lines.join("\n") + "\n"));
    }

    #[test]
    fn like_regex_escapes_every_metacharacter() {
        assert_eq!(like_regex(r"a.b"), r"^a\.b\z");
        assert_eq!(like_regex(r"end\"), r"^end\\\z");
        assert_eq!(
            like_regex("[x]{1}|^$#&~-/"),
            r"^\[x\]\{1\}\|\^\$\#\&\~\-\/\z"
        );
        assert_eq!(like_regex("é_%"), r"^é..*\z");
    }
}
