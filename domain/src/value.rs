//! Values: what one property of one record holds, independent of any backend.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::model::PropertyType;

/// A record: property name → value, the shape every backend stores and returns.
///
/// Absent properties are simply not in the map; [`Value::Null`] and absence mean the same
/// thing to filters (see the filter reference).
pub type Record = BTreeMap<String, Value>;

/// One property value.
///
/// Date-times are UTC with millisecond precision: the repository truncates finer values on write
/// so every backend round-trips them exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A finite 64-bit float.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// A UTC date-time (millisecond precision once stored).
    DateTime(DateTime<Utc>),
    /// A calendar date.
    Date(NaiveDate),
    /// An exact decimal number (stored with its property's scale).
    Decimal(Decimal),
    /// Binary data.
    Bytes(Vec<u8>),
    /// A UUID.
    Uuid(Uuid),
    /// Arbitrary JSON (LoopBack's `any` / `object` properties). Boxed: a JSON value is three
    /// times the size of any other variant, and every value (every field of every stored
    /// record) would pay for it.
    Json(Box<serde_json::Value>),
    /// An array of values of one property type.
    Array(Vec<Value>),
    /// A nested record: an embedded value object ([`PropertyType::Object`]), or a related
    /// record as inclusion returns it in a navigational property (`todoList` of a todo; a
    /// has-many relation holds an [`Value::Array`] of these, and those are never stored).
    Object(Record),
}

impl Value {
    /// True for [`Value::Null`], and for JSON `null` in a JSON property (both mean "no value").
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Json(j) => j.is_null(),
            _ => false,
        }
    }

    /// True when the value already has the variant a property of type `ty` holds (so
    /// [`Value::coerce`] would return it unchanged), and for an enum, is one of its values.
    /// Null is of no type.
    pub fn is_of(&self, ty: &PropertyType) -> bool {
        if let (PropertyType::Enum(allowed), Value::String(s)) = (ty, self) {
            return allowed.contains(s);
        }
        matches!(
            (ty, self),
            (PropertyType::String, Value::String(_))
                | (PropertyType::Boolean, Value::Bool(_))
                | (PropertyType::Integer, Value::Int(_))
                | (PropertyType::Number, Value::Float(_))
                | (PropertyType::DateTime, Value::DateTime(_))
                | (PropertyType::Date, Value::Date(_))
                | (PropertyType::Decimal { .. }, Value::Decimal(_))
                | (PropertyType::Uuid, Value::Uuid(_))
                | (PropertyType::Bytes, Value::Bytes(_))
                | (PropertyType::Object(_), Value::Object(_))
                | (PropertyType::Json, Value::Json(_))
        )
    }

    /// The name of this value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::DateTime(_) => "date-time",
            Value::Date(_) => "date",
            Value::Decimal(_) => "decimal",
            Value::Bytes(_) => "bytes",
            Value::Uuid(_) => "uuid",
            Value::Json(_) => "json",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Renders the value as LoopBack renders it in JSON: date-times as ISO 8601 with
    /// milliseconds and `Z`, UUIDs as hyphenated strings; dates as `YYYY-MM-DD`, decimals as
    /// strings with their scale (`"8.50"`), bytes as padded base64.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::DateTime(d) => J::String(format_datetime(d)),
            Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
            Value::Decimal(d) => J::String(d.to_string()),
            Value::Bytes(b) => J::String(BASE64.encode(b)),
            Value::Uuid(u) => J::String(u.hyphenated().to_string()),
            Value::Json(j) => (**j).clone(),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(record) => J::Object(
                record
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Writes the value as JSON text onto `out`: the text of `self.to_json()`, without building
    /// it for the values most records hold (strings, numbers, booleans, arrays, objects).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(true) => out.extend_from_slice(b"true"),
            Value::Bool(false) => out.extend_from_slice(b"false"),
            // Writing to a `Vec` cannot fail.
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::String(s) => write_json_string(s, out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Value::Object(record) => {
                let mut members = crate::model::JsonMembers::open(out);
                for (k, v) in record.iter().filter(|(_, v)| !v.is_null()) {
                    v.write_json(members.key(k));
                }
                members.close();
            }
            Value::Json(j) => {
                let _ = serde_json::to_writer(out, j);
            }
            Value::Float(_)
            | Value::DateTime(_)
            | Value::Date(_)
            | Value::Decimal(_)
            | Value::Bytes(_)
            | Value::Uuid(_) => {
                let _ = serde_json::to_writer(out, &self.to_json());
            }
        }
    }

    /// Reads JSON without a property type: integers that fit become [`Value::Int`], other
    /// numbers [`Value::Float`], objects [`Value::Json`]. Filters use this before coercion.
    pub fn from_json_untyped(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::Array(items.iter().map(Value::from_json_untyped).collect()),
            J::Object(_) => Value::Json(Box::new(json.clone())),
        }
    }

    /// Converts JSON to a value of `ty`, strictly: the JSON type must match (request bodies).
    /// Date-times, dates, UUIDs and bytes (base64) are read from strings, as JSON has no such
    /// types; decimals from their plain text (`"-12.50"`, see [`parse_decimal_text`]) or an
    /// integer — a fraction as a JSON number is refused, being a binary float to most clients;
    /// embedded objects property by property.
    ///
    /// # Errors
    /// A [`TypeMismatch`] naming the expected type when the JSON does not fit, with the path of
    /// the offending member inside an embedded object or array.
    pub fn from_json_typed(
        json: &serde_json::Value,
        ty: &PropertyType,
    ) -> Result<Value, TypeMismatch> {
        Value::from_json_as(json, ty, Members::Refuse)
    }

    /// As [`Value::from_json_typed`], for JSON a store holds (an array or embedded object in a
    /// JSON column): a member the object type no longer declares is left out, as a document
    /// store leaves it, rather than making the row unreadable.
    ///
    /// # Errors
    /// As [`Value::from_json_typed`].
    pub fn from_stored_json(
        json: &serde_json::Value,
        ty: &PropertyType,
    ) -> Result<Value, TypeMismatch> {
        Value::from_json_as(json, ty, Members::Ignore)
    }

    fn from_json_as(
        json: &serde_json::Value,
        ty: &PropertyType,
        unknown: Members,
    ) -> Result<Value, TypeMismatch> {
        use serde_json::Value as J;
        let mismatch = || TypeMismatch::of(ty);
        match (ty, json) {
            (_, J::Null) => Ok(Value::Null),
            (PropertyType::Enum(_), J::String(s)) => Ok(Value::String(s.clone())),
            (PropertyType::Date, J::String(s)) => {
                parse_date(s).map(Value::Date).ok_or_else(mismatch)
            }
            (PropertyType::Decimal { .. }, J::String(s)) => parse_decimal_text(s)
                .map(Value::Decimal)
                .ok_or_else(mismatch),
            // A fraction must come as text: as a JSON number it is a binary float to most
            // clients. Integers are exact either way.
            (PropertyType::Decimal { .. }, J::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| is_integral(*f)).map(|f| f as i64))
                .map(|i| Value::Decimal(Decimal::from(i)))
                .ok_or_else(mismatch),
            (PropertyType::Bytes, J::String(s)) => {
                BASE64.decode(s).map(Value::Bytes).map_err(|_| mismatch())
            }
            (PropertyType::Object(def), J::Object(members)) => {
                let mut record = Record::new();
                for (key, member) in members {
                    let value = match def.get(key) {
                        Some(_) if member.is_null() => continue,
                        Some(p) => Value::from_json_as(member, &p.ty, unknown)
                            .map_err(|m| m.within(key))?,
                        None if unknown == Members::Ignore => continue,
                        None => return Err(TypeMismatch::unknown_member(key)),
                    };
                    record.insert(key.clone(), value);
                }
                Ok(Value::Object(record))
            }
            (PropertyType::Json, j) => Ok(Value::Json(Box::new(j.clone()))),
            (PropertyType::String, J::String(s)) => Ok(Value::String(s.clone())),
            (PropertyType::Boolean, J::Bool(b)) => Ok(Value::Bool(*b)),
            (PropertyType::Integer, J::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| is_integral(*f)).map(|f| f as i64))
                .map(Value::Int)
                .ok_or_else(mismatch),
            (PropertyType::Number, J::Number(n)) => {
                n.as_f64().map(Value::Float).ok_or_else(mismatch)
            }
            (PropertyType::DateTime, J::String(s)) => {
                parse_datetime(s).map(Value::DateTime).ok_or_else(mismatch)
            }
            (PropertyType::Uuid, J::String(s)) => {
                Uuid::parse_str(s).map(Value::Uuid).map_err(|_| mismatch())
            }
            (PropertyType::Array(item), J::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, j)| match j {
                    J::Null => Err(TypeMismatch::of(item).within(&i.to_string())),
                    j => {
                        Value::from_json_as(j, item, unknown).map_err(|m| m.within(&i.to_string()))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(mismatch()),
        }
    }

    /// Coerces a value to `ty` the way LoopBack coerces query parameters: strings become
    /// integers, numbers, booleans (`true/false/1/0`), date-times (ISO 8601), dates
    /// (`YYYY-MM-DD`), decimals or UUIDs; integers become numbers or decimals; integral floats
    /// become integers; epoch milliseconds become date-times. An embedded object's members are
    /// coerced to their own types.
    ///
    /// # Errors
    /// A [`TypeMismatch`] when no lossless conversion exists (`"abc"` for an integer, `3.5`
    /// for an integer, a boolean for a string…).
    pub fn coerce(self, ty: &PropertyType) -> Result<Value, TypeMismatch> {
        let mismatch = || TypeMismatch::of(ty);
        match (ty, self) {
            (_, Value::Null) => Ok(Value::Null),
            (PropertyType::Enum(_), Value::String(s)) => Ok(Value::String(s)),
            (PropertyType::Date, Value::Date(d)) => Ok(Value::Date(d)),
            (PropertyType::Date, Value::String(s)) => {
                parse_date(&s).map(Value::Date).ok_or_else(mismatch)
            }
            (PropertyType::Decimal { .. }, Value::Decimal(d)) => Ok(Value::Decimal(d)),
            (PropertyType::Decimal { .. }, Value::Int(i)) => Ok(Value::Decimal(Decimal::from(i))),
            // A filter bound: plain text, its fraction rounded to what a decimal holds.
            (PropertyType::Decimal { .. }, Value::String(s)) => parse_decimal_bound(&s)
                .map(Value::Decimal)
                .ok_or_else(mismatch),
            (PropertyType::Decimal { .. }, Value::Float(f)) if f.abs() <= 1e28 => {
                parse_decimal(&f.to_string())
                    .or_else(|| rust_decimal::prelude::FromPrimitive::from_f64(f))
                    .map(Value::Decimal)
                    .ok_or_else(mismatch)
            }
            (PropertyType::Bytes, Value::Bytes(b)) => Ok(Value::Bytes(b)),
            (PropertyType::Bytes, Value::String(s)) => {
                BASE64.decode(&s).map(Value::Bytes).map_err(|_| mismatch())
            }
            (PropertyType::Object(def), Value::Object(record)) => record
                .into_iter()
                .map(|(key, v)| match def.get(&key) {
                    Some(p) => v
                        .coerce(&p.ty)
                        .map(|v| (key.clone(), v))
                        .map_err(|m| m.within(&key)),
                    None => Err(TypeMismatch::unknown_member(&key)),
                })
                .collect::<Result<Record, _>>()
                .map(Value::Object),
            (PropertyType::Object(_), Value::Json(json)) => Value::from_json_typed(&json, ty),
            (PropertyType::Json, Value::Json(j)) => Ok(Value::Json(j)),
            (PropertyType::Json, v) => Ok(Value::Json(Box::new(v.to_json()))),
            (PropertyType::String, Value::String(s)) => Ok(Value::String(s)),
            (PropertyType::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
            (PropertyType::Boolean, Value::String(s)) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(mismatch()),
            },
            (PropertyType::Boolean, Value::Int(i @ (0 | 1))) => Ok(Value::Bool(i == 1)),
            (PropertyType::Integer, Value::Int(i)) => Ok(Value::Int(i)),
            (PropertyType::Integer, Value::Float(f)) if is_integral(f) => Ok(Value::Int(f as i64)),
            (PropertyType::Integer, Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| mismatch()),
            (PropertyType::Number, Value::Float(f)) => Ok(Value::Float(f)),
            (PropertyType::Number, Value::Int(i)) => Ok(Value::Float(i as f64)),
            (PropertyType::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::Float)
                .ok_or_else(mismatch),
            (PropertyType::DateTime, Value::DateTime(d)) => Ok(Value::DateTime(d)),
            (PropertyType::DateTime, Value::String(s)) => {
                parse_datetime(&s).map(Value::DateTime).ok_or_else(mismatch)
            }
            (PropertyType::DateTime, Value::Int(ms)) => Utc
                .timestamp_millis_opt(ms)
                .single()
                .map(Value::DateTime)
                .ok_or_else(mismatch),
            (PropertyType::Uuid, Value::Uuid(u)) => Ok(Value::Uuid(u)),
            (PropertyType::Uuid, Value::String(s)) => {
                Uuid::parse_str(&s).map(Value::Uuid).map_err(|_| mismatch())
            }
            (PropertyType::Array(item), Value::Array(items)) => items
                .into_iter()
                .map(|v| {
                    if v.is_null() {
                        Err(mismatch())
                    } else {
                        v.coerce(item)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            (PropertyType::Array(item), Value::Json(json)) if json.is_array() => {
                let items = json.as_array().map(Vec::as_slice).unwrap_or_default();
                Value::Array(items.iter().map(Value::from_json_untyped).collect())
                    .coerce(&PropertyType::Array(item.clone()))
            }
            _ => Err(mismatch()),
        }
    }

    /// True when the value is already of the shape `ty` stores (no coercion needed).
    pub fn fits(&self, ty: &PropertyType) -> bool {
        match (ty, self) {
            (_, Value::Null) | (PropertyType::Json, Value::Json(_)) => true,
            (PropertyType::String, Value::String(_))
            | (PropertyType::Boolean, Value::Bool(_))
            | (PropertyType::Integer, Value::Int(_))
            | (PropertyType::DateTime, Value::DateTime(_))
            | (PropertyType::Date, Value::Date(_))
            | (PropertyType::Decimal { .. }, Value::Decimal(_))
            | (PropertyType::Enum(_), Value::String(_))
            | (PropertyType::Bytes, Value::Bytes(_))
            | (PropertyType::Uuid, Value::Uuid(_)) => true,
            (PropertyType::Number, Value::Float(f)) => f.is_finite(),
            (PropertyType::Object(def), Value::Object(record)) => record
                .iter()
                .all(|(k, v)| def.get(k).is_some_and(|p| v.fits(&p.ty))),
            (PropertyType::Array(item), Value::Array(items)) => {
                items.iter().all(|v| !v.is_null() && v.fits(item))
            }
            _ => false,
        }
    }

    /// The total order filters use for `gt`/`lt`/`between` and `order`: null first, then
    /// numbers (integers, floats and decimals compared numerically), strings by Unicode code
    /// point, date-times, dates, UUIDs, booleans (`false < true`). Values of unrelated kinds
    /// compare by kind.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value as V;
        match (self, other) {
            (V::Null, V::Null) => Ordering::Equal,
            (V::Null, _) => Ordering::Less,
            (_, V::Null) => Ordering::Greater,
            (V::Int(a), V::Int(b)) => a.cmp(b),
            (V::Float(a), V::Float(b)) => a.total_cmp(b),
            (V::Int(a), V::Float(b)) => (*a as f64).total_cmp(b),
            (V::Float(a), V::Int(b)) => a.total_cmp(&(*b as f64)),
            (V::String(a), V::String(b)) => a.cmp(b),
            (V::DateTime(a), V::DateTime(b)) => a.cmp(b),
            (V::Date(a), V::Date(b)) => a.cmp(b),
            (V::Decimal(a), V::Decimal(b)) => a.cmp(b),
            (V::Decimal(a), V::Int(b)) => a.cmp(&Decimal::from(*b)),
            (V::Int(a), V::Decimal(b)) => Decimal::from(*a).cmp(b),
            (V::Bytes(a), V::Bytes(b)) => a.cmp(b),
            (V::Uuid(a), V::Uuid(b)) => a.cmp(b),
            (V::Bool(a), V::Bool(b)) => a.cmp(b),
            (V::Array(a), V::Array(b)) => a
                .iter()
                .zip(b)
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.len().cmp(&b.len())),
            (V::Json(a), V::Json(b)) => a.to_string().cmp(&b.to_string()),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Int(_) | Value::Float(_) | Value::Decimal(_) => 1,
            Value::String(_) => 2,
            Value::DateTime(_) => 3,
            Value::Date(_) => 4,
            Value::Uuid(_) => 5,
            Value::Bool(_) => 6,
            Value::Bytes(_) => 7,
            Value::Array(_) => 8,
            Value::Json(_) => 9,
            Value::Object(_) => 10,
        }
    }

    /// Equality as filters see it: integers and floats compare numerically.
    pub fn filter_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(_), Value::Float(_))
            | (Value::Float(_), Value::Int(_))
            | (Value::Int(_), Value::Decimal(_))
            | (Value::Decimal(_), Value::Int(_))
            | (Value::Decimal(_), Value::Decimal(_)) => self.total_cmp(other).is_eq(),
            _ => self == other,
        }
    }

    /// The value as every backend stores it, for a property of `ty`: date-times truncated to
    /// milliseconds, decimals carrying exactly the property's scale (`8` → `8.00`), the same
    /// inside arrays and embedded objects. Call it on values that passed validation.
    pub fn normalize(self, ty: &PropertyType) -> Value {
        match (ty, self) {
            (_, Value::DateTime(d)) => Value::DateTime(truncate_millis(d)),
            (PropertyType::Decimal { scale, .. }, Value::Decimal(mut d)) => {
                d.rescale(u32::from(*scale));
                Value::Decimal(d)
            }
            (PropertyType::Array(item), Value::Array(items)) => {
                Value::Array(items.into_iter().map(|v| v.normalize(item)).collect())
            }
            // An untyped list (an undeclared property): its date-times all the same.
            (PropertyType::Json, Value::Array(items)) => {
                Value::Array(items.into_iter().map(|v| v.normalize(ty)).collect())
            }
            (PropertyType::Object(def), Value::Object(record)) => Value::Object(
                record
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match def.get(&k) {
                            Some(p) => v.normalize(&p.ty),
                            None => v,
                        };
                        (k, v)
                    })
                    .collect(),
            ),
            (_, v) => v,
        }
    }

    /// True when [`Value::normalize`] may change this value.
    pub fn needs_normalizing(&self) -> bool {
        matches!(
            self,
            Value::DateTime(_) | Value::Decimal(_) | Value::Array(_) | Value::Object(_)
        )
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// JSON pointers of every `__proto__` key, and every `constructor` key holding a `prototype`,
/// anywhere in `json`. LoopBack's `parseJson` refuses such JSON, so Portico refuses it in filters
/// and bodies too: harmless here, it could harm a JavaScript service the data is passed on to.
pub fn prototype_key_paths(json: &serde_json::Value) -> Vec<String> {
    fn walk(json: &serde_json::Value, path: &mut String, found: &mut Vec<String>) {
        let visit =
            |key: &str, value: &serde_json::Value, path: &mut String, found: &mut Vec<String>| {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                if key == "__proto__" || (key == "constructor" && value.get("prototype").is_some())
                {
                    found.push(path.clone());
                }
                walk(value, path, found);
                path.truncate(len);
            };
        match json {
            serde_json::Value::Object(map) => {
                map.iter().for_each(|(k, v)| visit(k, v, path, found))
            }
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| visit(&i.to_string(), v, path, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(json, &mut String::new(), &mut found);
    found
}

/// The keys LoopBack's `parseJson` always refuses (`@loopback/rest` `parse-json.ts`), beside
/// the configured ones.
pub const BUILT_IN_PROHIBITED_KEYS: [&str; 2] = ["__proto__", "constructor.prototype"];

/// The first key of `json` that LoopBack's `parseJson` refuses, named as its error names it
/// (see [`prohibited_key_message`]); `prohibited_keys` are configured ones, refused beside
/// [`BUILT_IN_PROHIBITED_KEYS`].
///
/// This is LoopBack's `sanitizeJsonParse` reviver, run as `JSON.parse` runs a reviver: depth
/// first, a value's members before the value itself, members in JavaScript's property order
/// (array-index keys ascending, then the rest as written), array items keyed by their index,
/// the whole document last under the key `""`. A key is refused when it
/// - is `__proto__`;
/// - is `constructor` and its value is an object with a key `prototype` or `prototype.…`
///   (named `constructor.prototype`);
/// - equals a prohibited key, built-in or configured, or starts with one followed by `.`
///   (`constructor.prototype.x`, `badKey.y`).
pub fn prohibited_key(json: &serde_json::Value, prohibited_keys: &[String]) -> Option<String> {
    let matches = |key: &str, pattern: &str| {
        key.strip_prefix(pattern)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    let refused = |key: &str, value: &serde_json::Value| -> Option<String> {
        if key == "__proto__" {
            return Some(key.to_owned());
        }
        if key == "constructor"
            && value
                .as_object()
                .is_some_and(|members| members.keys().any(|k| matches(k, "prototype")))
        {
            return Some("constructor.prototype".to_owned());
        }
        let mut patterns = BUILT_IN_PROHIBITED_KEYS
            .iter()
            .copied()
            .chain(prohibited_keys.iter().map(String::as_str));
        patterns
            .any(|pattern| matches(key, pattern))
            .then(|| key.to_owned())
    };
    fn walk(
        key: &str,
        value: &serde_json::Value,
        refused: &dyn Fn(&str, &serde_json::Value) -> Option<String>,
    ) -> Option<String> {
        match value {
            serde_json::Value::Object(members) => {
                // JavaScript orders array-index keys first, ascending; the rest keep their order.
                let mut indexed: Vec<(u32, &String, &serde_json::Value)> = members
                    .iter()
                    .filter_map(|(k, v)| array_index(k).map(|i| (i, k, v)))
                    .collect();
                indexed.sort_by_key(|(i, _, _)| *i);
                let indexed = indexed.into_iter().map(|(_, k, v)| (k, v));
                let named = members.iter().filter(|(k, _)| array_index(k).is_none());
                for (k, v) in indexed.chain(named) {
                    if let Some(found) = walk(k, v, refused) {
                        return Some(found);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(found) = walk(&i.to_string(), item, refused) {
                        return Some(found);
                    }
                }
            }
            _ => {}
        }
        refused(key, value)
    }
    walk("", json, &refused)
}

/// The message LoopBack's `parseJson` refuses a key with: `JSON string cannot contain "k" key.`
pub fn prohibited_key_message(key: &str) -> String {
    format!("JSON string cannot contain \"{key}\" key.")
}

/// A canonical array index (`0`, `17`; not `017` or `-1`), below 2³² − 1, as JavaScript
/// orders object keys.
fn array_index(key: &str) -> Option<u32> {
    let canonical =
        key == "0" || (!key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit()));
    key.parse::<u32>()
        .ok()
        .filter(|&i| canonical && !key.is_empty() && i < u32::MAX)
}

/// The value did not fit the property type, or did not parse as the field's own Rust type.
///
/// A [`FieldValue`] of your own returns it from [`FieldValue::from_value`]:
/// `TypeMismatch::new("an ISBN-13")` reads "must be an ISBN-13" in the 422 a write answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be {expected}")]
pub struct TypeMismatch {
    /// What was expected, completing "must be …" (`integer`, `date`, `an ISBN-13`…).
    pub expected: String,
    /// Where inside the value the problem is, as a JSON pointer relative to the property
    /// (`/city` of an embedded address, `/2` of an array); empty for the value itself.
    pub path: String,
}

impl TypeMismatch {
    /// A mismatch of the value itself: it "must be `expected`".
    pub fn new(expected: impl Into<String>) -> Self {
        TypeMismatch {
            expected: expected.into(),
            path: String::new(),
        }
    }

    /// A mismatch of a value that must be of `ty`.
    pub fn of(ty: &PropertyType) -> Self {
        TypeMismatch::new(ty.to_string())
    }

    /// The same mismatch, seen from the object or array holding the value under `key`.
    #[must_use]
    pub fn within(mut self, key: &str) -> Self {
        self.path = format!("/{key}{}", self.path);
        self
    }

    /// A member an embedded object does not declare.
    fn unknown_member(key: &str) -> Self {
        TypeMismatch {
            expected: "a declared property of the object".to_owned(),
            path: format!("/{key}"),
        }
    }
}

/// What JSON conversion does with a member an embedded object does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Members {
    /// A request body: refused.
    Refuse,
    /// Stored data: left out.
    Ignore,
}

/// Base64 as JSON carries bytes: RFC 4648's standard alphabet, padded.
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Parses a calendar date written `YYYY-MM-DD` exactly (four-digit year, a real day:
/// `2023-02-31` is refused).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let well_formed = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// Parses a decimal written as JSON bodies and query strings write one: `-?digits(.digits)?`
/// exactly (`-12.50`; not `+1`, `1e3`, `.5` or ` 1`), as the published schemas say.
pub fn parse_decimal_text(s: &str) -> Option<Decimal> {
    let (negative, integer, fraction) = plain_decimal(s)?;
    // As written when a decimal holds it (so `"5.00"` keeps its scale)...
    if let Ok(d) = Decimal::from_str_exact(s) {
        return Some(d);
    }
    // ...else leading and trailing zeros carry no digits, and the rest is read exactly: more
    // digits than a decimal holds is refused, not rounded away.
    let integer = integer.trim_start_matches('0');
    let fraction = fraction.map_or("", |f| f.trim_end_matches('0'));
    let sign = if negative { "-" } else { "" };
    let integer = if integer.is_empty() { "0" } else { integer };
    let text = if fraction.is_empty() {
        format!("{sign}{integer}")
    } else {
        format!("{sign}{integer}.{fraction}")
    };
    Decimal::from_str_exact(&text).ok()
}

/// `-?digits(.digits)?` split into its sign, integer digits and fraction digits.
fn plain_decimal(s: &str) -> Option<(bool, &str, Option<&str>)> {
    let unsigned = s.strip_prefix('-');
    let negative = unsigned.is_some();
    let unsigned = unsigned.unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (digits(integer) && fraction.is_none_or(digits)).then_some((negative, integer, fraction))
}

/// Parses a filter bound written as plain text: exactly when a decimal holds it, else with its
/// fraction rounded to the 28 digits a decimal holds (the comparison cannot tell beyond them).
pub fn parse_decimal_bound(s: &str) -> Option<Decimal> {
    parse_decimal_text(s).or_else(|| plain_decimal(s).and_then(|_| s.parse::<Decimal>().ok()))
}

/// Parses a decimal from any text a store or a float gives: plain (`-12.50`) or scientific
/// (`1.25e3`, `1.05E+3`), never through a float.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        s.parse::<Decimal>().ok()
    }
}

/// True for a float that is an integer exactly: whole, and within ±2^53, where a double holds
/// every integer. Beyond, a number read as a double (JSON's `1e19`, or an integer too long for
/// 64 bits such as `-9223372036854775809`) may have lost digits; integers that large are read
/// exactly only when written as integers that fit.
fn is_integral(f: f64) -> bool {
    const EXACT: f64 = (1u64 << 53) as f64;
    f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT
}

/// Truncates a date-time to whole milliseconds.
pub fn truncate_millis(d: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(d.timestamp_millis())
        .single()
        .unwrap_or(d)
}

/// Formats a date-time as LoopBack does: `2024-05-01T12:00:00.000Z`.
pub fn format_datetime(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses RFC 3339 / ISO 8601 date-times (with an offset, or UTC when it has none) and plain
/// dates (`2024-05-01` = midnight UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive.and_utc());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// A Rust type that can be a property of an entity: how it maps to a [`PropertyType`] and to
/// and from a [`Value`]. Implemented for the usual scalar types, `Option<T>` (nullable) and
/// `Vec<T>` (arrays); derived by `#[derive(PropertyEnum)]` and `#[derive(Embedded)]`;
/// implement it for your own newtypes to use them in entities.
///
/// Every write — REST, typed create, replace, patch, `updateAll`, relation creates — runs the
/// property's [`FieldValue::check`] (by default, `from_value` on a copy), so a value the entity
/// could not read back is refused with 422 naming the property, never stored:
///
/// ```
/// use portico_domain::{FieldValue, PropertyType, TypeMismatch, Value};
///
/// /// An ISBN-13, stored as its 13 digits.
/// #[derive(Clone, Debug, PartialEq)]
/// struct Isbn(String);
///
/// impl FieldValue for Isbn {
///     fn property_type() -> PropertyType {
///         PropertyType::String
///     }
///     fn into_value(self) -> Value {
///         Value::String(self.0)
///     }
///     fn from_value(value: Value) -> Result<Self, TypeMismatch> {
///         match value {
///             Value::String(s) if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) => {
///                 Ok(Isbn(s))
///             }
///             _ => Err(TypeMismatch::new("an ISBN-13 (13 digits)")),
///         }
///     }
/// }
///
/// assert!(Isbn::check(&Value::from("9780262510875")).is_ok());
/// assert_eq!(
///     Isbn::check(&Value::from("978-0")).unwrap_err().to_string(),
///     "must be an ISBN-13 (13 digits)"
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a property of an entity",
    label = "not a Portico property type",
    note = "property types: String, bool, i64, i32, i16, i8, u32, u16, f64, chrono::DateTime<Utc>, chrono::NaiveDate, rust_decimal::Decimal, uuid::Uuid, Vec<u8> (bytes), serde_json::Value, Option<T> (nullable) and Vec<T> of those, an enum with #[derive(PropertyEnum)], a struct with #[derive(Embedded)], or a type of your own implementing `portico_domain::FieldValue`",
    note = "a navigational property needs a relation attribute: #[portico(has_many(target = …))], belongs_to, has_one, has_many_through, references_many"
)]
pub trait FieldValue: Sized {
    /// The property type this Rust type maps to.
    fn property_type() -> PropertyType;
    /// Converts into a value.
    fn into_value(self) -> Value;
    /// Converts back from a stored value.
    ///
    /// # Errors
    /// A [`TypeMismatch`] when the value has another shape (or is null for a non-`Option`).
    fn from_value(value: Value) -> Result<Self, TypeMismatch>;
    /// True only for `Option<T>`: the property may be absent.
    fn is_optional() -> bool {
        false
    }
    /// Whether `value` (already of [`FieldValue::property_type`], never null) reads back as
    /// this type. The default converts a copy; override it when that is costly.
    ///
    /// # Errors
    /// The [`TypeMismatch`] `from_value` returns.
    fn check(value: &Value) -> Result<(), TypeMismatch> {
        Self::from_value(value.clone()).map(drop)
    }
}

macro_rules! int_field_value {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn property_type() -> PropertyType { PropertyType::Integer }
            fn into_value(self) -> Value { Value::Int(i64::from(self)) }
            fn from_value(value: Value) -> Result<Self, TypeMismatch> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| TypeMismatch::of(&PropertyType::Integer)),
                    _ => Err(TypeMismatch::of(&PropertyType::Integer)),
                }
            }
            fn check(value: &Value) -> Result<(), TypeMismatch> {
                match value {
                    Value::Int(i) if <$t>::try_from(*i).is_ok() => Ok(()),
                    _ => Err(TypeMismatch::of(&PropertyType::Integer)),
                }
            }
        }
    )*};
}
// Not `u8`: `Vec<u8>` is bytes.
int_field_value!(i64, i32, i16, i8, u32, u16);

macro_rules! simple_field_value {
    ($t:ty, $pt:expr, $variant:ident) => {
        impl FieldValue for $t {
            fn property_type() -> PropertyType {
                $pt
            }
            fn into_value(self) -> Value {
                Value::$variant(self)
            }
            fn from_value(value: Value) -> Result<Self, TypeMismatch> {
                match value {
                    Value::$variant(v) => Ok(v),
                    _ => Err(TypeMismatch::of(&$pt)),
                }
            }
            fn check(value: &Value) -> Result<(), TypeMismatch> {
                match value {
                    Value::$variant(_) => Ok(()),
                    _ => Err(TypeMismatch::of(&$pt)),
                }
            }
        }
    };
}
simple_field_value!(String, PropertyType::String, String);
simple_field_value!(bool, PropertyType::Boolean, Bool);
simple_field_value!(f64, PropertyType::Number, Float);
simple_field_value!(DateTime<Utc>, PropertyType::DateTime, DateTime);
simple_field_value!(Uuid, PropertyType::Uuid, Uuid);
simple_field_value!(NaiveDate, PropertyType::Date, Date);
simple_field_value!(Decimal, crate::model::DEFAULT_DECIMAL, Decimal);

/// Bytes: base64 in JSON, `BYTEA`/`BLOB` columns, BSON binary.
impl FieldValue for Vec<u8> {
    fn property_type() -> PropertyType {
        PropertyType::Bytes
    }
    fn into_value(self) -> Value {
        Value::Bytes(self)
    }
    fn from_value(value: Value) -> Result<Self, TypeMismatch> {
        match value {
            Value::Bytes(b) => Ok(b),
            _ => Err(TypeMismatch::of(&PropertyType::Bytes)),
        }
    }
    fn check(value: &Value) -> Result<(), TypeMismatch> {
        match value {
            Value::Bytes(_) => Ok(()),
            _ => Err(TypeMismatch::of(&PropertyType::Bytes)),
        }
    }
}
/// LoopBack's `any`: JSON as it is.
impl FieldValue for serde_json::Value {
    fn property_type() -> PropertyType {
        PropertyType::Json
    }
    fn into_value(self) -> Value {
        Value::Json(Box::new(self))
    }
    fn from_value(value: Value) -> Result<Self, TypeMismatch> {
        match value {
            Value::Json(j) => Ok(*j),
            _ => Err(TypeMismatch::of(&PropertyType::Json)),
        }
    }
    fn check(value: &Value) -> Result<(), TypeMismatch> {
        match value {
            Value::Json(_) => Ok(()),
            _ => Err(TypeMismatch::of(&PropertyType::Json)),
        }
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn property_type() -> PropertyType {
        T::property_type()
    }
    fn into_value(self) -> Value {
        self.map_or(Value::Null, T::into_value)
    }
    fn from_value(value: Value) -> Result<Self, TypeMismatch> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
    fn is_optional() -> bool {
        true
    }
    fn check(value: &Value) -> Result<(), TypeMismatch> {
        match value {
            Value::Null => Ok(()),
            v => T::check(v),
        }
    }
}

impl<T: FieldValue> FieldValue for Vec<T> {
    fn property_type() -> PropertyType {
        PropertyType::Array(Box::new(T::property_type()))
    }
    fn into_value(self) -> Value {
        Value::Array(self.into_iter().map(T::into_value).collect())
    }
    fn from_value(value: Value) -> Result<Self, TypeMismatch> {
        match value {
            Value::Array(items) => items.into_iter().map(T::from_value).collect(),
            _ => Err(TypeMismatch::of(&Self::property_type())),
        }
    }
    fn check(value: &Value) -> Result<(), TypeMismatch> {
        match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| T::check(item).map_err(|m| m.within(&i.to_string()))),
            _ => Ok(()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<&Value> for Value {
    fn from(value: &Value) -> Self {
        value.clone()
    }
}

impl<T: FieldValue> From<T> for Value {
    fn from(v: T) -> Self {
        v.into_value()
    }
}

/// Writes `s` as a JSON string (quoted and escaped as serde_json does) onto `out`.
pub(crate) fn write_json_string(s: &str, out: &mut Vec<u8>) {
    // Writing to a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_four_words() {
        // Every field of every record held in memory is one: a larger variant (unboxed JSON
        // was 80 bytes) grows them all.
        assert_eq!(std::mem::size_of::<Value>(), 32);
    }

    #[test]
    fn coercion_follows_loopback_query_rules() {
        let int = PropertyType::Integer;
        assert_eq!(Value::from("3").coerce(&int), Ok(Value::Int(3)));
        assert!(Value::from("3.5").coerce(&int).is_err());
        assert_eq!(Value::Float(4.0).coerce(&int), Ok(Value::Int(4)));
        assert_eq!(
            Value::from("true").coerce(&PropertyType::Boolean),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            Value::from("0").coerce(&PropertyType::Boolean),
            Ok(Value::Bool(false))
        );
        assert!(Value::from("yes").coerce(&PropertyType::Boolean).is_err());
        assert!(Value::Int(5).coerce(&PropertyType::String).is_err());
        let d = Value::from("2024-05-01T10:00:00.123Z")
            .coerce(&PropertyType::DateTime)
            .unwrap();
        assert_eq!(d.to_json(), serde_json::json!("2024-05-01T10:00:00.123Z"));
    }

    #[test]
    fn prohibited_keys_are_found_as_loopback_parse_json_finds_them() {
        use serde_json::json;
        let first = |json: serde_json::Value, keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            prohibited_key(&json, &keys)
        };
        assert_eq!(
            first(json!({"a": {"__proto__": 1}}), &[]).as_deref(),
            Some("__proto__")
        );
        assert_eq!(
            first(json!({"constructor": {"prototype": {}}}), &[]).as_deref(),
            Some("constructor.prototype")
        );
        assert_eq!(
            first(json!({"constructor": {"prototype.x": 1}}), &[]).as_deref(),
            Some("constructor.prototype")
        );
        assert_eq!(
            first(
                json!({"where": {"constructor.prototype": {"toString": "def"}}}),
                &[]
            )
            .as_deref(),
            Some("constructor.prototype")
        );
        assert_eq!(
            first(json!({"__proto__.polluted": 1}), &[]).as_deref(),
            Some("__proto__.polluted")
        );
        assert_eq!(
            first(
                json!({"where": {"badKey": {"toString": "def"}}}),
                &["badKey"]
            )
            .as_deref(),
            Some("badKey")
        );
        assert_eq!(
            first(json!({"badKey.x": 1}), &["badKey"]).as_deref(),
            Some("badKey.x")
        );
        // Neither a longer name nor a constructor without a prototype, nor a value.
        for fine in [
            json!({"badKeys": 1, "constructor": "x", "c": {"constructor": {"name": 1}}}),
            json!({"a": "__proto__", "b": ["constructor.prototype"]}),
            json!({"constructor": ["prototype"]}),
        ] {
            assert_eq!(first(fine.clone(), &["badKey"]), None, "{fine}");
        }
        // Depth first, a value's members before it, siblings as written.
        assert_eq!(
            first(json!({"badKey": {"__proto__": 1}}), &["badKey"]).as_deref(),
            Some("__proto__")
        );
        assert_eq!(
            first(json!({"x": {"badKey": 1}, "__proto__": 1}), &["badKey"]).as_deref(),
            Some("badKey")
        );
        assert_eq!(
            first(json!({"constructor": {"prototype": {"__proto__": 1}}}), &[]).as_deref(),
            Some("__proto__")
        );
        // Array items are keyed by their index; array-index keys come first in an object.
        assert_eq!(first(json!({"a": [5, 6]}), &["1"]).as_deref(), Some("1"));
        assert_eq!(
            first(json!({"b": 1, "10": 1, "2": 1}), &["b", "2", "10"]).as_deref(),
            Some("2")
        );
        // The document itself is visited last, under the key "".
        assert_eq!(first(json!({"a": 1}), &[""]).as_deref(), Some(""));
        assert_eq!(
            prohibited_key_message("badKey"),
            "JSON string cannot contain \"badKey\" key."
        );
    }

    #[test]
    fn prototype_keys_are_found_anywhere() {
        let json = serde_json::json!({"a": [1, {"__proto__": {}}], "constructor": {"prototype": 1}, "b": {"constructor": "fine"}});
        assert_eq!(
            prototype_key_paths(&json),
            ["/a/1/__proto__", "/constructor"]
        );
    }

    #[test]
    fn datetimes_render_with_millis_and_z() {
        let d = parse_datetime("2024-05-01T12:00:00+02:00").unwrap();
        assert_eq!(format_datetime(&d), "2024-05-01T10:00:00.000Z");
        assert_eq!(
            format_datetime(&parse_datetime("2024-05-01").unwrap()),
            "2024-05-01T00:00:00.000Z"
        );
    }

    #[test]
    fn order_puts_null_first_and_compares_numbers_across_kinds() {
        assert!(Value::Null.total_cmp(&Value::Int(-5)).is_lt());
        assert!(Value::Int(2).total_cmp(&Value::Float(2.5)).is_lt());
        assert!(Value::from("Z").total_cmp(&Value::from("a")).is_lt());
        assert!(Value::Int(2).filter_eq(&Value::Float(2.0)));
    }
}
