//! Evaluates checked filters against records: the executable specification of the
//! [filter reference](super). The memory store runs queries with it; inclusion uses
//! [`compare_by`] to merge rows found by several queries in a scope's order.

use std::cmp::Ordering;

use regex::Regex;

use super::{Condition, Direction, Op, Order, Where, compile_pattern, like};
use crate::value::{Record, Value};

/// A where clause with its patterns compiled once per query.
#[derive(Debug)]
pub enum Compiled {
    /// Every part matches.
    And(Vec<Compiled>),
    /// Some part matches.
    Or(Vec<Compiled>),
    /// One property's test.
    Cond(String, Test),
}

/// The test one condition applies to its property's value.
#[derive(Debug)]
pub enum Test {
    /// A comparison, membership or existence operator.
    Op(Op),
    /// LIKE, ILIKE and regexp, compiled; `negated` for nlike/nilike.
    Pattern {
        /// The compiled pattern.
        regex: Regex,
        /// True for `nlike` / `nilike`: a string that does not match passes.
        negated: bool,
    },
}

impl Compiled {
    /// Compiles a checked clause. Patterns were validated by the check stage, so compiling
    /// them cannot fail except on size; such a pattern matches nothing.
    pub fn new(clause: &Where) -> Compiled {
        match clause {
            Where::And(parts) => Compiled::And(parts.iter().map(Compiled::new).collect()),
            Where::Or(parts) => Compiled::Or(parts.iter().map(Compiled::new).collect()),
            Where::Cond(Condition { property, op, .. }) => {
                let pattern = |source: String, insensitive: bool, negated: bool| Test::Pattern {
                    regex: compile_pattern(&source, insensitive).unwrap_or_else(|_| {
                        Regex::new("[^\\s\\S]").expect("the never-matching pattern compiles")
                    }),
                    negated,
                };
                let test = match op {
                    Op::Like(p) => pattern(like::to_regex(p), false, false),
                    Op::Nlike(p) => pattern(like::to_regex(p), false, true),
                    Op::Ilike(p) => pattern(like::to_regex(p), true, false),
                    Op::Nilike(p) => pattern(like::to_regex(p), true, true),
                    Op::Regexp(spec) => pattern(spec.pattern.clone(), spec.case_insensitive, false),
                    other => Test::Op(other.clone()),
                };
                Compiled::Cond(property.clone(), test)
            }
        }
    }

    /// Whether `record` matches (a missing property is null).
    pub fn matches(&self, record: &Record) -> bool {
        self.matches_by(&|name: &str| record.get(name))
    }

    /// Whether the row that `get` reads matches: `get` gives a property's value by name (a
    /// missing property is null), so a store can match rows it keeps in another shape.
    pub fn matches_by<'r>(&self, get: &dyn Fn(&str) -> Option<&'r Value>) -> bool {
        match self {
            Compiled::And(parts) => parts.iter().all(|p| p.matches_by(get)),
            Compiled::Or(parts) => parts.iter().any(|p| p.matches_by(get)),
            Compiled::Cond(property, test) => test.matches(lookup(get, property)),
        }
    }
}

/// The value at `property` of a row, following a dotted path (`address.city`) into embedded
/// objects when the row holds no property of that whole name; null when absent.
fn lookup<'r>(get: &dyn Fn(&str) -> Option<&'r Value>, property: &str) -> &'r Value {
    if let Some(v) = get(property) {
        return v;
    }
    let mut segments = property.split('.');
    let mut current = segments.next().and_then(get);
    for segment in segments {
        current = match current {
            Some(Value::Object(nested)) => nested.get(segment),
            _ => None,
        };
    }
    current.unwrap_or(&Value::Null)
}

impl Test {
    fn matches(&self, v: &Value) -> bool {
        let present = !v.is_null();
        let cmp = |x: &Value| v.total_cmp(x);
        match self {
            Test::Pattern { regex, negated } => {
                let hit = matches!(v, Value::String(s) if regex.is_match(s));
                hit != *negated
            }
            Test::Op(op) => match op {
                Op::Eq(Value::Null) => !present,
                Op::Eq(x) => present && v.filter_eq(x),
                Op::Neq(Value::Null) => present,
                Op::Neq(x) => !present || !v.filter_eq(x),
                Op::Gt(x) => present && cmp(x) == Ordering::Greater,
                Op::Gte(x) => present && cmp(x) != Ordering::Less,
                Op::Lt(x) => present && cmp(x) == Ordering::Less,
                Op::Lte(x) => present && cmp(x) != Ordering::Greater,
                Op::Between(lo, hi) => {
                    present && cmp(lo) != Ordering::Less && cmp(hi) != Ordering::Greater
                }
                Op::Inq(items) => present && items.iter().any(|x| v.filter_eq(x)),
                Op::Nin(items) => !present || !items.iter().any(|x| v.filter_eq(x)),
                Op::Exists(want) => present == *want,
                // Patterns are compiled into `Test::Pattern`.
                Op::Like(_) | Op::Nlike(_) | Op::Ilike(_) | Op::Nilike(_) | Op::Regexp(_) => false,
            },
        }
    }
}

/// Compares two records by the sort keys: nulls first ascending, last descending.
pub fn compare(a: &Record, b: &Record, order: &[Order]) -> Ordering {
    compare_by(order, |p| a.get(p), |p| b.get(p))
}

/// Compares two rows by the sort keys, reading each row's values through its accessor (a
/// missing value is null): nulls first ascending, last descending.
pub fn compare_by<'a>(
    order: &[Order],
    a: impl Fn(&str) -> Option<&'a Value>,
    b: impl Fn(&str) -> Option<&'a Value>,
) -> Ordering {
    for key in order {
        let x = a(&key.property).unwrap_or(&Value::Null);
        let y = b(&key.property).unwrap_or(&Value::Null);
        let o = match key.direction {
            Direction::Asc => x.total_cmp(y),
            Direction::Desc => y.total_cmp(x),
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}
