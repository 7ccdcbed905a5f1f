//! Values to BSON and back. Encoding follows the value; decoding follows the model's property
//! types, so every value comes back as the [`Value`] variant the memory store returns.

use bson::spec::BinarySubtype;
use bson::{Binary, Bson, Document, RawArray, RawBsonRef, RawDocument};
use chrono::{DateTime, TimeZone, Utc};
use portico_domain::error::Message;
use portico_domain::{
    Error, IdStrategy, ModelDef, PropertyDef, PropertyType, Record, Result, Value,
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
    matches!(value, Value::Null | Value::Json(serde_json::Value::Null))
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
        Value::Uuid(u) => uuid_to_bson(*u),
        Value::Json(j) => json_to_bson(j),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        // Never stored (a related record of an inclusion); encoded as a document all the same.
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
    Some(match (ty, raw) {
        (PropertyType::String, RawBsonRef::String(s)) => Value::String(s.to_owned()),
        (PropertyType::String, RawBsonRef::ObjectId(oid)) => Value::String(oid.to_hex()),
        (PropertyType::Integer, RawBsonRef::Int64(i)) => Value::Int(i),
        (PropertyType::Integer, RawBsonRef::Int32(i)) => Value::Int(i64::from(i)),
        (PropertyType::Integer, RawBsonRef::Double(f))
            if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 =>
        {
            Value::Int(f as i64)
        }
        (PropertyType::Number, RawBsonRef::Double(f)) => Value::Float(f),
        (PropertyType::Number, RawBsonRef::Int64(i)) => Value::Float(i as f64),
        (PropertyType::Number, RawBsonRef::Int32(i)) => Value::Float(f64::from(i)),
        (PropertyType::Boolean, RawBsonRef::Boolean(b)) => Value::Bool(b),
        (PropertyType::DateTime, RawBsonRef::DateTime(d)) => Value::DateTime(datetime_of(d)?),
        (PropertyType::Uuid, raw @ RawBsonRef::Binary(_)) => Value::Uuid(uuid_of(raw)?),
        (PropertyType::Json, raw) => Value::Json(to_json(raw).ok()?),
        (PropertyType::Array(item), RawBsonRef::Array(items)) => {
            let mut out = Vec::new();
            for element in items {
                out.push(typed(element.ok()?, item)?);
            }
            Value::Array(out)
        }
        _ => return None,
    })
}

/// Decodes an extra field of a free-form model by its BSON type, as the memory store keeps
/// values given without a declared type: integers, floats, strings, booleans, date-times,
/// UUIDs, arrays of those, and documents as JSON.
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
        RawBsonRef::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|e| e.map_err(corrupt).and_then(untyped))
                .collect::<Result<_>>()?,
        ),
        other => Value::Json(to_json(other)?),
    })
}

/// A stored value as JSON: documents as objects, numbers as numbers, date-times and UUIDs as
/// the strings the API renders; anything else in relaxed extended JSON.
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
    use bson::RawDocumentBuf;
    use portico_domain::{IndexKind, ModelSettings};
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
                Value::Json(json!({"b": [1, 2.5, "x", null], "a": {}})),
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
            ("meta", Value::Json(json!("just a string"))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let doc = to_document(&m, &record);
        assert!(!doc.contains_key("name"));
        let back = round_trip(&m, &record);
        assert_eq!(back.get("meta"), Some(&Value::Json(json!("just a string"))));
        assert_eq!(back.len(), 2);
        let json_null: Record = [("id", Value::Int(1)), ("meta", Value::Json(json!(null)))]
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
            ("obj", Value::Json(json!({"k": true}))),
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
}
