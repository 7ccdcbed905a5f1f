//! Binding arguments and reading rows, per backend. Each backend stores some types in its own
//! way (see the crate docs); this is the only place that knows.

use portico_domain::{PropertyType, Value};
use sqlx::Row;

use crate::args::Arg;

/// Binds one argument to a query.
pub(crate) trait BindArg: Sized {
    fn bind_arg(self, arg: Arg) -> Self;

    fn bind_all(self, args: Vec<Arg>) -> Self {
        args.into_iter().fold(self, BindArg::bind_arg)
    }
}

/// The id a backend generated for the row an `INSERT` wrote, where the statement result
/// carries it (MySQL); the others return it with `RETURNING`.
pub(crate) trait LastInsertId {
    fn generated_id(&self) -> i64;
}

/// Reads one column of a row as a value of a property type.
pub(crate) trait ReadValue {
    fn read(&self, index: usize, ty: &PropertyType) -> Result<Value, sqlx::Error>;
}

fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, f)
}

fn json_value(json: Option<serde_json::Value>, ty: &PropertyType) -> Result<Value, sqlx::Error> {
    match json {
        None => Ok(Value::Null),
        Some(j) => match ty {
            PropertyType::Json => Ok(Value::Json(Box::new(j))),
            // Arrays and embedded objects: their items and members typed (dates, decimals,
            // bytes inside are JSON strings).
            _ => Value::from_stored_json(&j, ty).map_err(|e| sqlx::Error::Decode(Box::new(e))),
        },
    }
}

/// A decimal read from a decimal column, with exactly the property's fraction digits.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn decimal(d: Option<portico_domain::Decimal>, scale: u8) -> Value {
    opt(d, |mut d| {
        d.rescale(u32::from(scale));
        Value::Decimal(d)
    })
}

/// JSON stored as text (MySQL/MariaDB, SQLite).
#[cfg(any(feature = "mysql", feature = "sqlite"))]
fn json_text(text: Option<String>, ty: &PropertyType) -> Result<Value, sqlx::Error> {
    let json = text
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    json_value(json, ty)
}

/// A UUID stored as text (MySQL/MariaDB, SQLite).
#[cfg(any(feature = "mysql", feature = "sqlite"))]
fn uuid_text(text: Option<String>) -> Result<Value, sqlx::Error> {
    text.map(|t| uuid::Uuid::parse_str(&t).map(Value::Uuid))
        .transpose()
        .map(|v| v.unwrap_or(Value::Null))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

#[cfg(feature = "postgres")]
mod postgres {
    use sqlx::postgres::{PgArguments, PgRow, Postgres};

    use crate::args::List;
    use sqlx::query::Query;

    use super::*;

    impl BindArg for Query<'_, Postgres, PgArguments> {
        fn bind_arg(self, arg: Arg) -> Self {
            match arg {
                Arg::Int(v) => self.bind(v),
                Arg::Float(v) => self.bind(v),
                Arg::Bool(v) => self.bind(v),
                Arg::Text(v) => self.bind(v),
                Arg::DateTime(v) => self.bind(v),
                Arg::Date(v) => self.bind(v),
                Arg::Decimal(v, _) => self.bind(v),
                Arg::Bytes(v) => self.bind(v),
                Arg::Uuid(v) => self.bind(v),
                Arg::Json(v) => self.bind(v),
                Arg::List(List::Int(v)) => self.bind(v),
                Arg::List(List::Float(v)) => self.bind(v),
                Arg::List(List::Bool(v)) => self.bind(v),
                Arg::List(List::Text(v)) => self.bind(v),
                Arg::List(List::DateTime(v)) => self.bind(v),
                Arg::List(List::Date(v)) => self.bind(v),
                Arg::List(List::Decimal(v)) => self.bind(v),
                Arg::List(List::Uuid(v)) => self.bind(v),
            }
        }
    }

    impl LastInsertId for sqlx::postgres::PgQueryResult {
        fn generated_id(&self) -> i64 {
            0
        }
    }

    impl ReadValue for PgRow {
        fn read(&self, i: usize, ty: &PropertyType) -> Result<Value, sqlx::Error> {
            Ok(match ty {
                PropertyType::String | PropertyType::Enum(_) => {
                    opt(self.try_get(i)?, Value::String)
                }
                PropertyType::Integer => opt(self.try_get(i)?, Value::Int),
                PropertyType::Number => opt(self.try_get(i)?, Value::Float),
                PropertyType::Boolean => opt(self.try_get(i)?, Value::Bool),
                PropertyType::DateTime => opt(self.try_get(i)?, Value::DateTime),
                PropertyType::Date => opt(self.try_get(i)?, Value::Date),
                PropertyType::Decimal { scale, .. } => decimal(self.try_get(i)?, *scale),
                PropertyType::Bytes => opt(self.try_get(i)?, Value::Bytes),
                PropertyType::Uuid => opt(self.try_get(i)?, Value::Uuid),
                PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_) => {
                    json_value(self.try_get(i)?, ty)?
                }
            })
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use sqlx::mysql::{MySql, MySqlArguments, MySqlRow};
    use sqlx::query::Query;

    use super::*;

    impl BindArg for Query<'_, MySql, MySqlArguments> {
        fn bind_arg(self, arg: Arg) -> Self {
            match arg {
                Arg::Int(v) => self.bind(v),
                Arg::Float(v) => self.bind(v),
                Arg::Bool(v) => self.bind(v),
                Arg::Text(v) => self.bind(v),
                // DATETIME(3) holds UTC wall-clock time; no session time zone is involved.
                Arg::DateTime(v) => self.bind(v.map(|d| d.naive_utc())),
                Arg::Date(v) => self.bind(v),
                Arg::Decimal(v, _) => self.bind(v),
                Arg::Bytes(v) => self.bind(v),
                Arg::Uuid(v) => self.bind(v.map(|u| u.hyphenated().to_string())),
                Arg::Json(v) => self.bind(v.map(|j| j.to_string())),
                // Lists are bound item by item on MySQL (`IN (?, …)`); never built as one.
                Arg::List(_) => self.bind(None::<String>),
            }
        }
    }

    impl LastInsertId for sqlx::mysql::MySqlQueryResult {
        fn generated_id(&self) -> i64 {
            i64::try_from(sqlx::mysql::MySqlQueryResult::last_insert_id(self)).unwrap_or(i64::MAX)
        }
    }

    impl ReadValue for MySqlRow {
        fn read(&self, i: usize, ty: &PropertyType) -> Result<Value, sqlx::Error> {
            Ok(match ty {
                // Binary-collated text carries MySQL's BINARY flag, which sqlx's String type
                // check refuses; the bytes are UTF-8 text all the same.
                PropertyType::String | PropertyType::Enum(_) => {
                    opt(self.try_get_unchecked(i)?, Value::String)
                }
                PropertyType::Integer => opt(self.try_get(i)?, Value::Int),
                PropertyType::Number => opt(self.try_get(i)?, Value::Float),
                PropertyType::Boolean => opt(self.try_get(i)?, Value::Bool),
                PropertyType::DateTime => {
                    opt(self.try_get::<Option<chrono::NaiveDateTime>, _>(i)?, |n| {
                        Value::DateTime(n.and_utc())
                    })
                }
                PropertyType::Date => opt(self.try_get(i)?, Value::Date),
                PropertyType::Decimal { scale, .. } => decimal(self.try_get(i)?, *scale),
                PropertyType::Bytes => opt(self.try_get(i)?, Value::Bytes),
                PropertyType::Uuid => uuid_text(self.try_get_unchecked(i)?)?,
                PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_) => {
                    json_text(self.try_get_unchecked(i)?, ty)?
                }
            })
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use portico_domain::value::{format_datetime, parse_datetime};
    use sqlx::query::Query;

    use crate::args::scaled;
    use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteRow};

    use super::*;

    impl<'q> BindArg for Query<'q, Sqlite, SqliteArguments<'q>> {
        fn bind_arg(self, arg: Arg) -> Self {
            match arg {
                Arg::Int(v) => self.bind(v),
                Arg::Float(v) => self.bind(v),
                Arg::Bool(v) => self.bind(v),
                Arg::Text(v) => self.bind(v),
                Arg::DateTime(v) => self.bind(v.map(|d| format_datetime(&d))),
                Arg::Date(v) => self.bind(v.map(|d| d.format("%Y-%m-%d").to_string())),
                Arg::Decimal(v, scale) => self.bind(v.map(|d| scaled(d, scale))),
                Arg::Bytes(v) => self.bind(v),
                Arg::Uuid(v) => self.bind(v.map(|u| u.hyphenated().to_string())),
                Arg::Json(v) => self.bind(v.map(|j| j.to_string())),
                Arg::List(_) => self.bind(None::<String>),
            }
        }
    }

    impl LastInsertId for sqlx::sqlite::SqliteQueryResult {
        fn generated_id(&self) -> i64 {
            self.last_insert_rowid()
        }
    }

    impl ReadValue for SqliteRow {
        fn read(&self, i: usize, ty: &PropertyType) -> Result<Value, sqlx::Error> {
            Ok(match ty {
                PropertyType::String | PropertyType::Enum(_) => {
                    opt(self.try_get(i)?, Value::String)
                }
                PropertyType::Integer => opt(self.try_get(i)?, Value::Int),
                PropertyType::Number => opt(self.try_get(i)?, Value::Float),
                PropertyType::Boolean => opt(self.try_get(i)?, Value::Bool),
                PropertyType::Date => {
                    let text: Option<String> = self.try_get(i)?;
                    match text {
                        None => Value::Null,
                        Some(t) => {
                            Value::Date(chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(
                                |_| sqlx::Error::Decode(format!("not a date: {t}").into()),
                            )?)
                        }
                    }
                }
                PropertyType::Decimal { scale, .. } => {
                    opt(self.try_get::<Option<i64>, _>(i)?, |n| {
                        Value::Decimal(portico_domain::Decimal::new(n, u32::from(*scale)))
                    })
                }
                PropertyType::Bytes => opt(self.try_get(i)?, Value::Bytes),
                PropertyType::DateTime => {
                    let text: Option<String> = self.try_get(i)?;
                    match text {
                        None => Value::Null,
                        Some(t) => Value::DateTime(parse_datetime(&t).ok_or_else(|| {
                            sqlx::Error::Decode(format!("not a date-time: {t}").into())
                        })?),
                    }
                }
                PropertyType::Uuid => uuid_text(self.try_get(i)?)?,
                PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_) => {
                    json_text(self.try_get(i)?, ty)?
                }
            })
        }
    }
}
