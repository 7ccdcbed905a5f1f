//! Values to BSON and back. Encoding follows the value; decoding follows the model's property
//! types, so every value comes back as the [`Value`] variant the memory store returns.

use bson::spec::BinarySubtype;
use bson::{Binary, Bson, Document, RawArray, RawBsonRef, RawDocument};
use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use portico_domain::error::Message;
use portico_domain::value::parse_decimal;
use portico_domain::{
    Decimal, Error, IdStrategy, ModelDef, NaiveDate, PropertyDef, PropertyType, Record, Result,
    Value,
};
use uuid::Uuid;

/// The field of the id property in every collection.
pub(crate) const ID_FIELD: &str = "_id";

/// The document field a property (or, on a free-form model, an unknown property) is stored in.
pub(crate) fn field_name<'m>(model: &'m ModelDef, property: &'m str) -> &'m str {
    match model.get(property) {
        Some(p) if p.id => ID_FIELD,
        Some(p) => p.column(),
        None => property,
    }
}

/// The document field path a condition's property names: a declared property's field, or, for a
/// dotted path into an embedded object (`publisher.city`), the top property's field followed by
/// the members' names (sub-documents are keyed by member name), so `{"publisher_info.city": …}`
/// reaches into the stored sub-document.
pub(crate) fn field_path<'m>(model: &'m ModelDef, property: &'m str) -> Cow<'m, str> {
    if model.get(property).is_none()
        && let Some((head, rest)) = property.split_once('.')
        && let Some(top) = model.get(head)
        && matches!(top.ty, PropertyType::Object(_))
    {
        return Cow::Owned(format!("{}.{rest}", field_name(model, head)));
    }
    Cow::Borrowed(field_name(model, property))
}

/// The property stored in a document field: `Some(Some(p))` for a declared property, `Some(None)`
/// for an extra field of a free-form model, `None` for a field to ignore.
fn property_of<'m>(model: &'m ModelDef, field: &str) -> Option<Option<&'m PropertyDef>> {
    if field == ID_FIELD {
        return model.properties.iter().find(|p| p.id).map(Some);
    }
    match model
        .properties
        .iter()
        .find(|p| !p.id && p.column() == field)
    {
        Some(p) => Some(Some(p)),
        None if !model.settings.strict => Some(None),
        None => None,
    }
}

/// True for the values that are not stored: null, and JSON null (absent and null are the same).
pub(crate) fn is_nothing(value: &Value) -> bool {
    value.is_null()
}

/// Encodes a value. Null is [`Bson::Null`]; callers leave null properties out of documents.
pub(crate) fn to_bson(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Int(i) => Bson::Int64(*i),
        Value::Float(f) => Bson::Double(*f),
        Value::String(s) => Bson::String(s.clone()),
        Value::DateTime(d) => Bson::DateTime(bson::DateTime::from_millis(d.timestamp_millis())),
        Value::Date(d) => date_to_bson(*d),
        Value::Decimal(d) => decimal_to_bson(d),
        Value::Bytes(b) => Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: b.clone(),
        }),
        Value::Uuid(u) => uuid_to_bson(*u),
        Value::Json(j) => json_to_bson(j),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        // An embedded value object: a sub-document keyed by member name, each member encoded
        // by its own value (null members left out). A related record of an inclusion is never
        // stored, but would be encoded the same way.
        Value::Object(record) => Bson::Document(
            record
                .iter()
                .filter(|(_, v)| !is_nothing(v))
                .map(|(k, v)| (k.clone(), to_bson(v)))
                .collect(),
        ),
    }
}

/// How a value of `property` is stored: the id of a model with store-generated string ids is an
/// ObjectId (its 24 hex digits in records); everything else as [`to_bson`]. A string that is no
/// ObjectId stays a string, which no stored id equals.
pub(crate) fn property_bson(model: &ModelDef, property: &str, value: &Value) -> Bson {
    if let Value::String(s) = value
        && model.id_strategy() == IdStrategy::StoreObjectId
        && model.id_property().name == property
        && let Ok(oid) = bson::oid::ObjectId::parse_str(s)
    {
        return Bson::ObjectId(oid);
    }
    to_bson(value)
}

/// The text form of a stored date.
const DATE_FORMAT: &str = "%Y-%m-%d";

/// A calendar date as a BSON **string** `YYYY-MM-DD` (ISO 8601), not a BSON date: a BSON date
/// is an instant, and would read back as a date-time to anything but a typed read, while the
/// string is exactly what the API shows, reads back as a date, and — zero-padded, fixed width —
/// orders lexicographically as dates order, so `$gt`/`$lt`/sort work on the server. (Years
/// outside 0000..=9999, which chrono writes with a sign, would not order correctly; the API
/// only accepts four-digit years.)
pub(crate) fn date_to_bson(d: NaiveDate) -> Bson {
    Bson::String(d.format(DATE_FORMAT).to_string())
}

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, DATE_FORMAT).ok()
}

/// A decimal as BSON `Decimal128`, converted through its exact text (`8.50` keeps its scale as
/// the exponent), so the server compares and sorts decimals numerically (`8.50 < 10.5`), across
/// exponents (`8.5 == 8.50`).
pub(crate) fn decimal_to_bson(d: &Decimal) -> Bson {
    // Every `rust_decimal` value (at most 28 digits, scale at most 28) fits a Decimal128 (34
    // digits, exponent -6176..=6111) exactly, so the parse does not fail; were it ever to, the
    // exact text is kept rather than a rounded number.
    d.to_string()
        .parse::<bson::Decimal128>()
        .map_or_else(|_| Bson::String(d.to_string()), Bson::Decimal128)
}

/// A stored Decimal128 as a decimal. Its text may be in exponent notation (`1.05E+3`, `1E-7`);
/// NaN, infinities and values beyond `rust_decimal`'s range are `None`.
fn decimal_of(d: bson::Decimal128) -> Option<Decimal> {
    parse_decimal(&d.to_string())
}

/// A UUID as BSON binary subtype 4 (standard representation), so equality and order work.
pub(crate) fn uuid_to_bson(u: Uuid) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Uuid,
        bytes: u.as_bytes().to_vec(),
    })
}

/// JSON as BSON: objects become documents, integers that fit `Int64`, other numbers `Double`.
pub(crate) fn json_to_bson(json: &serde_json::Value) -> Bson {
    use serde_json::Value as J;
    match json {
        J::Null => Bson::Null,
        J::Bool(b) => Bson::Boolean(*b),
        J::Number(n) => n
            .as_i64()
            .map(Bson::Int64)
            .unwrap_or_else(|| Bson::Double(n.as_f64().unwrap_or(f64::NAN))),
        J::String(s) => Bson::String(s.clone()),
        J::Array(items) => Bson::Array(items.iter().map(json_to_bson).collect()),
        J::Object(map) => Bson::Document(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_bson(v)))
                .collect(),
        ),
    }
}

/// A record as a document: the id in `_id` (first), properties under their storage names, null
/// properties left out (absent and null are the same).
pub(crate) fn to_document(model: &ModelDef, record: &Record) -> Document {
    let mut doc = Document::new();
    let id = &model.id_property().name;
    if let Some(v) = record.get(id).filter(|v| !v.is_null()) {
        doc.insert(ID_FIELD, property_bson(model, id, v));
    }
    for (name, value) in record {
        if name == id || is_nothing(value) {
            continue;
        }
        doc.insert(field_name(model, name), to_bson(value));
    }
    doc
}

fn mismatch(
    model: &ModelDef,
    field: &str,
    expected: &PropertyType,
    found: RawBsonRef<'_>,
) -> Error {
    Error::backend(Message(format!(
        "stored field {}.{field} is {:?}, not a {expected}",
        model.storage_name(),
        found.element_type()
    )))
}

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::backend(e)
}

/// Decodes a stored document into a record. With `selection`, only those properties are kept
/// (a projection). Fields of a strict model that match no property are ignored; on a free-form
/// model they are kept under their own name, decoded by their BSON type.
pub(crate) fn from_document(
    model: &ModelDef,
    doc: &RawDocument,
    selection: Option<&[String]>,
) -> Result<Record> {
    let mut record = Record::new();
    for element in doc {
        let (field, raw) = element.map_err(corrupt)?;
        if matches!(raw, RawBsonRef::Null | RawBsonRef::Undefined) {
            continue;
        }
        let Some(property) = property_of(model, field) else {
            continue;
        };
        let name = property.map_or(field, |p| p.name.as_str());
        if selection.is_some_and(|s| !s.iter().any(|n| n == name)) {
            continue;
        }
        let value = match property {
            Some(p) => typed(raw, &p.ty).ok_or_else(|| mismatch(model, field, &p.ty, raw))?,
            None => untyped(raw)?,
        };
        record.insert(name.to_owned(), value);
    }
    Ok(record)
}

fn datetime_of(d: bson::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(d.timestamp_millis()).single()
}

fn uuid_of(raw: RawBsonRef<'_>) -> Option<Uuid> {
    match raw {
        RawBsonRef::Binary(b) if b.subtype == BinarySubtype::Uuid => Uuid::from_slice(b.bytes).ok(),
        _ => None,
    }
}

/// Decodes a stored value as a property of type `ty`; `None` when it has another shape.
fn typed(raw: RawBsonRef<'_>, ty: &PropertyType) -> Option<Value> {
    match ty {
        PropertyType::String => match raw {
            RawBsonRef::String(s) => Some(Value::String(s.to_owned())),
            RawBsonRef::ObjectId(oid) => Some(Value::String(oid.to_hex())),
            _ => None,
        },
        // Any stored string is returned; whether it is one of the values is the entity's
        // concern (as with a string the memory store holds).
        PropertyType::Enum(_) => match raw {
            RawBsonRef::String(s) => Some(Value::String(s.to_owned())),
            _ => None,
        },
        PropertyType::Integer => match raw {
            RawBsonRef::Int64(i) => Some(Value::Int(i)),
            RawBsonRef::Int32(i) => Some(Value::Int(i64::from(i))),
            RawBsonRef::Double(f)
                if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 =>
            {
                Some(Value::Int(f as i64))
            }
            _ => None,
        },
        PropertyType::Number => match raw {
            RawBsonRef::Double(f) => Some(Value::Float(f)),
            RawBsonRef::Int64(i) => Some(Value::Float(i as f64)),
            RawBsonRef::Int32(i) => Some(Value::Float(f64::from(i))),
            _ => None,
        },
        PropertyType::Boolean => match raw {
            RawBsonRef::Boolean(b) => Some(Value::Bool(b)),
            _ => None,
        },
        PropertyType::DateTime => match raw {
            RawBsonRef::DateTime(d) => datetime_of(d).map(Value::DateTime),
            _ => None,
        },
        PropertyType::Date => match raw {
            RawBsonRef::String(s) => date_of(s).map(Value::Date),
            _ => None,
        },
        // Returned with exactly the property's scale, whatever exponent the server kept.
        PropertyType::Decimal { scale, .. } => match raw {
            RawBsonRef::Decimal128(d) => decimal_of(d).map(|mut d| {
                d.rescale(u32::from(*scale));
                Value::Decimal(d)
            }),
            _ => None,
        },
        PropertyType::Uuid => uuid_of(raw).map(Value::Uuid),
        // Binary of any subtype (written as the generic subtype).
        PropertyType::Bytes => match raw {
            RawBsonRef::Binary(b) => Some(Value::Bytes(b.bytes.to_vec())),
            _ => None,
        },
        PropertyType::Json => to_json(raw).ok().map(|j| Value::Json(Box::new(j))),
        // Members by their declared types, keyed by member name; null members are absent, and
        // fields no member declares are ignored (as on a strict model).
        PropertyType::Object(def) => match raw {
            RawBsonRef::Document(members) => {
                let mut record = Record::new();
                for element in members {
                    let (key, member) = element.ok()?;
                    if matches!(member, RawBsonRef::Null | RawBsonRef::Undefined) {
                        continue;
                    }
                    let Some(p) = def.get(key) else {
                        continue;
                    };
                    record.insert(p.name.clone(), typed(member, &p.ty)?);
                }
                Some(Value::Object(record))
            }
            _ => None,
        },
        PropertyType::Array(item) => match raw {
            RawBsonRef::Array(items) => {
                let mut out = Vec::new();
                for element in items {
                    out.push(typed(element.ok()?, item)?);
                }
                Some(Value::Array(out))
            }
            _ => None,
        },
    }
}

/// Decodes an extra field of a free-form model by its BSON type, as the memory store keeps
/// values given without a declared type: integers, floats, strings, booleans, date-times,
/// UUIDs, decimals, bytes, arrays of those, and documents as JSON. (A date is a string here: it
/// is stored as one.)
fn untyped(raw: RawBsonRef<'_>) -> Result<Value> {
    Ok(match raw {
        RawBsonRef::Null | RawBsonRef::Undefined => Value::Null,
        RawBsonRef::Boolean(b) => Value::Bool(b),
        RawBsonRef::Int32(i) => Value::Int(i64::from(i)),
        RawBsonRef::Int64(i) => Value::Int(i),
        RawBsonRef::Double(f) => Value::Float(f),
        RawBsonRef::String(s) => Value::String(s.to_owned()),
        RawBsonRef::DateTime(d) => datetime_of(d).map_or(Value::Null, Value::DateTime),
        RawBsonRef::Binary(_) if uuid_of(raw).is_some() => {
            Value::Uuid(uuid_of(raw).unwrap_or_default())
        }
        RawBsonRef::Binary(b) => Value::Bytes(b.bytes.to_vec()),
        RawBsonRef::Decimal128(d) => match decimal_of(d) {
            Some(d) => Value::Decimal(d),
            None => Value::Json(Box::new(to_json(raw)?)),
        },
        RawBsonRef::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|e| e.map_err(corrupt).and_then(untyped))
                .collect::<Result<_>>()?,
        ),
        other => Value::Json(Box::new(to_json(other)?)),
    })
}

/// A stored value as JSON: documents as objects, numbers as numbers, date-times and UUIDs as
/// the strings the API renders, decimals as their text, other binary as base64; anything else
/// in relaxed extended JSON.
fn to_json(raw: RawBsonRef<'_>) -> Result<serde_json::Value> {
    use serde_json::Value as J;
    Ok(match raw {
        RawBsonRef::Null | RawBsonRef::Undefined => J::Null,
        RawBsonRef::Boolean(b) => J::Bool(b),
        RawBsonRef::Int32(i) => J::from(i),
        RawBsonRef::Int64(i) => J::from(i),
        RawBsonRef::Double(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        RawBsonRef::String(s) => J::String(s.to_owned()),
        RawBsonRef::Document(d) => document_to_json(d)?,
        RawBsonRef::Array(a) => array_to_json(a)?,
        RawBsonRef::DateTime(d) => datetime_of(d).map_or(J::Null, |d| Value::DateTime(d).to_json()),
        RawBsonRef::Binary(_) if uuid_of(raw).is_some() => {
            J::String(uuid_of(raw).unwrap_or_default().hyphenated().to_string())
        }
        RawBsonRef::Binary(b) => Value::Bytes(b.bytes.to_vec()).to_json(),
        RawBsonRef::Decimal128(d) if decimal_of(d).is_some() => {
            J::String(decimal_of(d).unwrap_or_default().to_string())
        }
        other => Bson::try_from(other.to_raw_bson())
            .map_err(corrupt)?
            .into_relaxed_extjson(),
    })
}

fn document_to_json(doc: &RawDocument) -> Result<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for element in doc {
        let (k, v) = element.map_err(corrupt)?;
        map.insert(k.to_owned(), to_json(v)?);
    }
    Ok(serde_json::Value::Object(map))
}

fn array_to_json(array: &RawArray) -> Result<serde_json::Value> {
    array
        .into_iter()
        .map(|e| e.map_err(corrupt).and_then(to_json))
        .collect::<Result<Vec<_>>>()
        .map(serde_json::Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use bson::RawDocumentBuf;
    use expect_test::expect;
    use portico_domain::{IndexKind, ModelSettings, ObjectDef};
    use serde_json::json;

    fn model(strict: bool) -> ModelDef {
        ModelDef::new("Thing")
            .settings(ModelSettings {
                strict,
                ..ModelSettings::default()
            })
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(PropertyDef::new("name", PropertyType::String))
            .property(PropertyDef::new("price", PropertyType::Number))
            .property(PropertyDef::new("due", PropertyType::DateTime))
            .property(PropertyDef::new("ref", PropertyType::Uuid))
            .property(PropertyDef::new("meta", PropertyType::Json))
            .property(PropertyDef::new(
                "tags",
                PropertyType::Array(Box::new(PropertyType::String)),
            ))
            .property(
                PropertyDef::new("stock", PropertyType::Integer)
                    .storage_name("stock_level")
                    .index(IndexKind::Unique),
            )
    }

    fn round_trip(model: &ModelDef, record: &Record) -> Record {
        let doc = to_document(model, record);
        let raw = RawDocumentBuf::from_document(&doc).unwrap();
        from_document(model, &raw, None).unwrap()
    }

    #[test]
    fn every_type_round_trips_as_the_same_value_variant() {
        let m = model(true);
        let record: Record = [
            ("id", Value::Int(7)),
            ("name", Value::from("ä ✓")),
            ("price", Value::Float(2.0)),
            (
                "due",
                Value::DateTime(Utc.timestamp_millis_opt(-86_400_001).unwrap()),
            ),
            ("ref", Value::Uuid(Uuid::from_u128(0x1234))),
            (
                "meta",
                Value::Json(Box::new(json!({"b": [1, 2.5, "x", null], "a": {}}))),
            ),
            (
                "tags",
                Value::Array(vec![Value::from("x"), Value::from("y")]),
            ),
            ("stock", Value::Int(i64::MIN)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(round_trip(&m, &record), record);
        let doc = to_document(&m, &record);
        assert_eq!(doc.keys().next().map(String::as_str), Some("_id"));
        assert!(doc.contains_key("stock_level"));
        assert_eq!(
            doc.get("ref").and_then(|b| match b {
                Bson::Binary(b) => Some(b.subtype),
                _ => None,
            }),
            Some(BinarySubtype::Uuid)
        );
    }

    #[test]
    fn nulls_are_not_stored_and_scalar_json_round_trips() {
        let m = model(true);
        let record: Record = [
            ("id", Value::Int(1)),
            ("name", Value::Null),
            ("meta", Value::Json(Box::new(json!("just a string")))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let doc = to_document(&m, &record);
        assert!(!doc.contains_key("name"));
        let back = round_trip(&m, &record);
        assert_eq!(
            back.get("meta"),
            Some(&Value::Json(Box::new(json!("just a string"))))
        );
        assert_eq!(back.len(), 2);
        let json_null: Record = [
            ("id", Value::Int(1)),
            ("meta", Value::Json(Box::new(json!(null)))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert!(!to_document(&m, &json_null).contains_key("meta"));
    }

    #[test]
    fn free_form_extras_are_kept_only_on_free_form_models() {
        let extras: Record = [
            ("id", Value::Int(1)),
            ("n", Value::Int(5)),
            ("s", Value::from("x")),
            ("list", Value::Array(vec![Value::Int(1), Value::Float(1.5)])),
            ("obj", Value::Json(Box::new(json!({"k": true})))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        assert_eq!(round_trip(&model(false), &extras), extras);
        assert_eq!(round_trip(&model(true), &extras).len(), 1);
    }

    #[test]
    fn a_stored_value_of_the_wrong_type_is_a_backend_error() {
        let m = model(true);
        let raw = RawDocumentBuf::from_document(&bson::doc! {"_id": 1, "name": 5}).unwrap();
        let err = from_document(&m, &raw, None).unwrap_err();
        assert!(matches!(err, Error::Backend(_)), "{err:?}");
        let raw =
            RawDocumentBuf::from_document(&bson::doc! {"_id": 1_i32, "price": 3_i32}).unwrap();
        let back = from_document(&m, &raw, None).unwrap();
        assert_eq!(back.get("id"), Some(&Value::Int(1)));
        assert_eq!(back.get("price"), Some(&Value::Float(3.0)));
    }

    /// A model with every value type beyond the scalars: a date, a decimal, an enum, bytes, an
    /// embedded object (stored under another name) and a list of embedded objects.
    fn book_model() -> ModelDef {
        let publisher = ObjectDef {
            name: "Publisher".into(),
            properties: vec![
                PropertyDef::new("name", PropertyType::String).required(),
                PropertyDef::new("city", PropertyType::String),
                PropertyDef::new("founded", PropertyType::Date),
            ],
        };
        let edition = ObjectDef {
            name: "Edition".into(),
            properties: vec![
                PropertyDef::new("number", PropertyType::Integer).required(),
                PropertyDef::new(
                    "price",
                    PropertyType::Decimal {
                        precision: 8,
                        scale: 2,
                    },
                ),
            ],
        };
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
                PropertyType::Enum(vec!["hardcover".into(), "e-book".into()]),
            ))
            .property(PropertyDef::new(
                "bindings",
                PropertyType::Array(Box::new(PropertyType::Enum(vec![
                    "hardcover".into(),
                    "e-book".into(),
                ]))),
            ))
            .property(PropertyDef::new("cover", PropertyType::Bytes))
            .property(
                PropertyDef::new("publisher", PropertyType::Object(Arc::new(publisher)))
                    .storage_name("publisher_info"),
            )
            .property(PropertyDef::new(
                "editions",
                PropertyType::Array(Box::new(PropertyType::Object(Arc::new(edition)))),
            ))
    }

    fn date(s: &str) -> Value {
        Value::Date(s.parse().unwrap())
    }

    fn decimal(s: &str) -> Value {
        Value::Decimal(s.parse().unwrap())
    }

    fn record(pairs: Vec<(&str, Value)>) -> Record {
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    fn book() -> Record {
        record(vec![
            ("id", Value::Int(1)),
            ("published", date("2024-05-01")),
            ("price", decimal("1050.50")),
            ("binding", Value::from("e-book")),
            (
                "bindings",
                Value::Array(vec![Value::from("hardcover"), Value::from("e-book")]),
            ),
            ("cover", Value::Bytes(vec![0, 1, 254, 255])),
            (
                "publisher",
                Value::Object(record(vec![
                    ("name", Value::from("Acme")),
                    ("city", Value::from("Oslo")),
                    ("founded", date("1899-12-31")),
                ])),
            ),
            (
                "editions",
                Value::Array(vec![
                    Value::Object(record(vec![
                        ("number", Value::Int(1)),
                        ("price", decimal("8.50")),
                    ])),
                    Value::Object(record(vec![("number", Value::Int(2))])),
                ]),
            ),
        ])
    }

    #[test]
    fn the_new_value_types_are_stored_as_documented() {
        let m = book_model();
        let doc = to_document(&m, &book());
        expect![[r#"
            {"_id":1,"binding":"e-book","bindings":["hardcover","e-book"],"cover":{"$binary":{"base64":"AAH+/w==","subType":"00"}},"editions":[{"number":1,"price":{"$numberDecimal":"8.50"}},{"number":2}],"price":{"$numberDecimal":"1050.50"},"published":"2024-05-01","publisher_info":{"city":"Oslo","founded":"1899-12-31","name":"Acme"}}
        "#]]
        .assert_eq(&(Bson::Document(doc).into_relaxed_extjson().to_string() + "\n"));
        assert_eq!(round_trip(&m, &book()), book());
    }

    #[test]
    fn decimals_come_back_with_the_property_scale_whatever_the_stored_exponent() {
        let m = book_model();
        let stored = |d: &str| {
            let doc = bson::doc! {
                "_id": 1_i64,
                "price": Bson::Decimal128(d.parse().unwrap()),
                "editions": [{"number": 1_i64, "price": Bson::Decimal128(d.parse().unwrap())}],
            };
            let back = from_document(&m, &RawDocumentBuf::from_document(&doc).unwrap(), None);
            let back = back.unwrap();
            let Some(Value::Decimal(price)) = back.get("price") else {
                panic!("{back:?}");
            };
            let Some(Value::Array(editions)) = back.get("editions") else {
                panic!("{back:?}");
            };
            assert_eq!(
                editions[0],
                Value::Object(record(vec![
                    ("number", Value::Int(1)),
                    ("price", Value::Decimal(*price))
                ]))
            );
            price.to_string()
        };
        // Decimal128's text of these is `1.05E+3`, `1E-7` and `8.5`.
        assert_eq!(
            "1.05E+3".parse::<bson::Decimal128>().unwrap().to_string(),
            "1.05E+3"
        );
        assert_eq!(stored("1.05E+3"), "1050.00");
        assert_eq!(stored("1E-7"), "0.00");
        assert_eq!(stored("8.5"), "8.50");
        // Finer stored values round as the domain normalizes writes (`rescale`: half away from
        // zero).
        assert_eq!(stored("-0.125"), "-0.13");
        let raw = RawDocumentBuf::from_document(
            &bson::doc! {"_id": 1_i64, "price": Bson::Decimal128("NaN".parse().unwrap())},
        )
        .unwrap();
        assert!(matches!(
            from_document(&m, &raw, None),
            Err(Error::Backend(_))
        ));
    }

    #[test]
    fn new_types_of_the_wrong_shape_are_backend_errors_and_unknown_members_are_ignored() {
        let m = book_model();
        for doc in [
            bson::doc! {"_id": 1_i64, "published": "01.05.2024"},
            bson::doc! {"_id": 1_i64, "published": bson::DateTime::from_millis(0)},
            bson::doc! {"_id": 1_i64, "price": 8.5},
            bson::doc! {"_id": 1_i64, "binding": 1_i64},
            bson::doc! {"_id": 1_i64, "cover": "AAH+/w=="},
            bson::doc! {"_id": 1_i64, "publisher_info": "Acme"},
            bson::doc! {"_id": 1_i64, "publisher_info": {"name": "Acme", "founded": 5_i64}},
        ] {
            let raw = RawDocumentBuf::from_document(&doc).unwrap();
            let err = from_document(&m, &raw, None).unwrap_err();
            assert!(matches!(err, Error::Backend(_)), "{doc}: {err:?}");
        }
        let raw = RawDocumentBuf::from_document(
            &bson::doc! {"_id": 1_i64, "publisher_info": {"name": "Acme", "city": null, "x": 1}},
        )
        .unwrap();
        assert_eq!(
            from_document(&m, &raw, None).unwrap().get("publisher"),
            Some(&Value::Object(record(vec![("name", Value::from("Acme"))])))
        );
    }

    #[test]
    fn free_form_extras_of_the_new_types_keep_their_bson_type() {
        let extras = record(vec![
            ("id", Value::Int(1)),
            ("amount", decimal("2.50")),
            ("blob", Value::Bytes(vec![7])),
        ]);
        assert_eq!(round_trip(&model(false), &extras), extras);
    }
}
