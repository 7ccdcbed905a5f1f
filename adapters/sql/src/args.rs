//! Bind arguments: values typed by their property, so even a NULL has a column type.

use chrono::{DateTime, Utc};
use portico_domain::{PropertyType, Value};
use uuid::Uuid;

/// One bind argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    DateTime(Option<DateTime<Utc>>),
    Uuid(Option<Uuid>),
    Json(Option<serde_json::Value>),
    /// A list for PostgreSQL's `= ANY($n)`.
    List(List),
}

/// A homogeneous list argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum List {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Text(Vec<String>),
    DateTime(Vec<DateTime<Utc>>),
    Uuid(Vec<Uuid>),
}

impl Arg {
    /// The argument for a value of a property of type `ty` (values are checked or validated,
    /// so they fit the type; anything else binds as NULL of that type).
    pub(crate) fn of(value: &Value, ty: &PropertyType) -> Arg {
        match ty {
            PropertyType::Integer => Arg::Int(match value {
                Value::Int(i) => Some(*i),
                _ => None,
            }),
            PropertyType::Number => Arg::Float(match value {
                Value::Float(f) => Some(*f),
                Value::Int(i) => Some(*i as f64),
                _ => None,
            }),
            PropertyType::Boolean => Arg::Bool(match value {
                Value::Bool(b) => Some(*b),
                _ => None,
            }),
            PropertyType::String => Arg::Text(match value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            }),
            PropertyType::DateTime => Arg::DateTime(match value {
                Value::DateTime(d) => Some(*d),
                _ => None,
            }),
            PropertyType::Uuid => Arg::Uuid(match value {
                Value::Uuid(u) => Some(*u),
                _ => None,
            }),
            PropertyType::Json | PropertyType::Array(_) => {
                Arg::Json((!value.is_null()).then(|| value.to_json()))
            }
        }
    }

    /// A list argument for values of type `ty` (for `= ANY`).
    pub(crate) fn list(values: &[Value], ty: &PropertyType) -> Arg {
        fn collect<T>(values: &[Value], f: impl Fn(&Value) -> Option<T>) -> Vec<T> {
            values.iter().filter_map(f).collect()
        }
        Arg::List(match ty {
            PropertyType::Integer => List::Int(collect(values, |v| {
                if let Value::Int(i) = v {
                    Some(*i)
                } else {
                    None
                }
            })),
            PropertyType::Number => List::Float(collect(values, |v| match v {
                Value::Float(f) => Some(*f),
                Value::Int(i) => Some(*i as f64),
                _ => None,
            })),
            PropertyType::Boolean => List::Bool(collect(values, |v| {
                if let Value::Bool(b) = v {
                    Some(*b)
                } else {
                    None
                }
            })),
            PropertyType::DateTime => List::DateTime(collect(values, |v| {
                if let Value::DateTime(d) = v {
                    Some(*d)
                } else {
                    None
                }
            })),
            PropertyType::Uuid => List::Uuid(collect(values, |v| {
                if let Value::Uuid(u) = v {
                    Some(*u)
                } else {
                    None
                }
            })),
            _ => List::Text(collect(values, |v| {
                if let Value::String(s) = v {
                    Some(s.clone())
                } else {
                    None
                }
            })),
        })
    }
}
