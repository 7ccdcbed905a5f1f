//! Bind arguments: values typed by their property, so even a NULL has a column type.

use chrono::{DateTime, NaiveDate, Utc};
use portico_domain::{Decimal, PropertyType, Value};
use uuid::Uuid;

/// One bind argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Float(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    DateTime(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    /// A decimal of a `Decimal { scale, .. }` property: bound as is where the database has a
    /// decimal type, as its value times 10^scale (an integer, see [`scaled`]) on SQLite.
    Decimal(Option<Decimal>, Scaled),
    Bytes(Option<Vec<u8>>),
    Uuid(Option<Uuid>),
    Json(Option<serde_json::Value>),
    /// A list for PostgreSQL's `= ANY($n)`.
    List(List),
}

/// How a decimal becomes SQLite's integer: the column's scale, and which integer stands for a
/// value with more fraction digits than the column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scaled {
    pub(crate) scale: u32,
    pub(crate) round: Round,
}

/// The integer a decimal with more fraction digits than the column's scale becomes, chosen so
/// that the comparison keeps its meaning on integer columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Round {
    /// Equality (writes, `eq`, `inq`…): no stored value equals it, so it becomes
    /// [`UNSTORABLE`].
    Exact,
    /// `> v` and `<= v`: the largest integer below it.
    Floor,
    /// `>= v` and `< v`: the smallest integer above it.
    Ceil,
}

/// An integer no SQLite decimal column holds: migration refuses precisions above 18, so stored
/// values stay below 10^18 in magnitude.
pub(crate) const UNSTORABLE: i64 = i64::MAX;

/// A decimal as SQLite stores it: `d` times 10^scale, exactly, as an integer (rounded as
/// `round` says when `d` has more fraction digits; saturated past the range of `i64`, which is
/// beyond every stored value).
pub(crate) fn scaled(d: Decimal, Scaled { scale, round }: Scaled) -> i64 {
    let mantissa = d.mantissa();
    let digits = d.scale();
    let value: Option<i128> = if digits <= scale {
        10_i128
            .checked_pow(scale - digits)
            .and_then(|factor| mantissa.checked_mul(factor))
    } else {
        let divisor = 10_i128.pow(digits - scale);
        let (quotient, remainder) = (mantissa.div_euclid(divisor), mantissa.rem_euclid(divisor));
        match (remainder, round) {
            (0, _) => Some(quotient),
            (_, Round::Exact) => return UNSTORABLE,
            (_, Round::Floor) => Some(quotient),
            (_, Round::Ceil) => Some(quotient + 1),
        }
    };
    let saturated = if mantissa < 0 { i64::MIN } else { i64::MAX };
    value.map_or(saturated, |v| i64::try_from(v).unwrap_or(saturated))
}

/// A homogeneous list argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum List {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Text(Vec<String>),
    DateTime(Vec<DateTime<Utc>>),
    Date(Vec<NaiveDate>),
    Decimal(Vec<Decimal>),
    Uuid(Vec<Uuid>),
}

fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::Decimal(d) => Some(*d),
        Value::Int(i) => Some(Decimal::from(*i)),
        _ => None,
    }
}

impl Arg {
    /// The argument for a value of a property of type `ty` (values are checked or validated,
    /// so they fit the type; anything else binds as NULL of that type).
    pub(crate) fn of(value: &Value, ty: &PropertyType) -> Arg {
        Arg::rounded(value, ty, Round::Exact)
    }

    /// As [`Arg::of`], rounding a decimal with more fraction digits than its column as `round`
    /// says where decimals are stored as integers.
    pub(crate) fn rounded(value: &Value, ty: &PropertyType, round: Round) -> Arg {
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
            PropertyType::String | PropertyType::Enum(_) => Arg::Text(match value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            }),
            PropertyType::DateTime => Arg::DateTime(match value {
                Value::DateTime(d) => Some(*d),
                _ => None,
            }),
            PropertyType::Date => Arg::Date(match value {
                Value::Date(d) => Some(*d),
                _ => None,
            }),
            PropertyType::Decimal { scale, .. } => Arg::Decimal(
                decimal_of(value),
                Scaled {
                    scale: u32::from(*scale),
                    round,
                },
            ),
            PropertyType::Bytes => Arg::Bytes(match value {
                Value::Bytes(b) => Some(b.clone()),
                _ => None,
            }),
            PropertyType::Uuid => Arg::Uuid(match value {
                Value::Uuid(u) => Some(*u),
                _ => None,
            }),
            PropertyType::Json | PropertyType::Array(_) | PropertyType::Object(_) => {
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
            PropertyType::Date => List::Date(collect(values, |v| {
                if let Value::Date(d) = v {
                    Some(*d)
                } else {
                    None
                }
            })),
            PropertyType::Decimal { .. } => List::Decimal(collect(values, decimal_of)),
            PropertyType::Uuid => List::Uuid(collect(values, |v| {
                if let Value::Uuid(u) = v {
                    Some(*u)
                } else {
                    None
                }
            })),
            PropertyType::String | PropertyType::Enum(_) => List::Text(collect(values, |v| {
                if let Value::String(s) = v {
                    Some(s.clone())
                } else {
                    None
                }
            })),
            // Not scalar: the filter check refuses `inq`/`nin` on these before SQL is built.
            PropertyType::Bytes
            | PropertyType::Json
            | PropertyType::Array(_)
            | PropertyType::Object(_) => List::Text(Vec::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(round: Round) -> Scaled {
        Scaled { scale: 2, round }
    }

    #[test]
    fn decimals_scale_to_exact_integers() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(scaled(d("8.00"), s(Round::Exact)), 800);
        assert_eq!(scaled(d("8"), s(Round::Exact)), 800);
        assert_eq!(scaled(d("-8.5"), s(Round::Exact)), -850);
        assert_eq!(scaled(d("8.0100"), s(Round::Exact)), 801);
        assert_eq!(scaled(d("8.005"), s(Round::Exact)), UNSTORABLE);
        assert_eq!(scaled(d("8.005"), s(Round::Floor)), 800);
        assert_eq!(scaled(d("8.005"), s(Round::Ceil)), 801);
        assert_eq!(scaled(d("-8.005"), s(Round::Floor)), -801);
        assert_eq!(scaled(d("-8.005"), s(Round::Ceil)), -800);
        assert_eq!(
            scaled(d("79228162514264337593543950335"), s(Round::Exact)),
            i64::MAX
        );
        assert_eq!(
            scaled(d("-79228162514264337593543950335"), s(Round::Floor)),
            i64::MIN
        );
    }
}
