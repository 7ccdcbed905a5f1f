//! Stage 1: LoopBack's JSON filter form → AST, checking shapes and collecting every error.

use serde_json::Value as J;

use super::{Direction, Fields, Filter, FilterErrors, Inclusion, Op, Order, RegexSpec, Where};
use crate::value::Value;

const FILTER_KEYS: &str = "where, fields, order, limit, skip, offset, include";

pub(super) fn parse_filter(json: &J) -> Result<Filter, FilterErrors> {
    let (filter, errors) = parse_filter_lenient(json);
    errors.into_result(filter)
}

/// Parses what can be parsed and reports the rest, so the check stage can add its own
/// findings about the valid parts.
pub(super) fn parse_filter_lenient(json: &J) -> (Filter, FilterErrors) {
    let mut errors = FilterErrors::default();
    let filter = filter_at(json, "", &mut errors);
    (filter, errors)
}

pub(super) fn parse_where_root(json: &J) -> Result<Where, FilterErrors> {
    let (parsed, errors) = parse_where_lenient(json);
    errors.into_result(parsed)
}

/// As [`parse_filter_lenient`], for a bare where clause.
pub(super) fn parse_where_lenient(json: &J) -> (Where, FilterErrors) {
    let mut errors = FilterErrors::default();
    let parsed = where_at(json, "", &mut errors);
    (parsed.unwrap_or(Where::And(Vec::new())), errors)
}

fn filter_at(json: &J, path: &str, errors: &mut FilterErrors) -> Filter {
    let mut filter = Filter::default();
    let Some(object) = json.as_object() else {
        errors.push(path, "type", "the filter must be an object");
        return filter;
    };
    let (mut skip, mut offset) = (None, None);
    for (key, value) in object {
        let at = format!("{path}/{}", escape(key));
        match key.as_str() {
            "where" => filter.where_ = where_at(value, &at, errors),
            "fields" => filter.fields = fields_at(value, &at, errors),
            "order" => filter.order = order_at(value, &at, errors),
            "limit" => filter.limit = count_at(value, &at, 1, errors),
            "skip" => skip = count_at(value, &at, 0, errors),
            "offset" => offset = count_at(value, &at, 0, errors),
            "include" => filter.include = include_at(value, &at, errors),
            _ => errors.push(
                &at,
                "unknownKey",
                format!("unknown filter key '{key}' (expected one of: {FILTER_KEYS})"),
            ),
        }
    }
    // Aliases, each checked. Given both, `skip` wins unless it is 0, as LoopBack's juggler
    // takes `filter.skip || filter.offset` (`ModelUtils._normalize`) once each is coerced to
    // a number (so a `"0"` skip gives way to the offset too).
    filter.skip = match (skip, offset) {
        (Some(skip), _) if skip > 0 => Some(skip),
        (skip, offset) => offset.or(skip),
    };
    filter
}

/// Reads a non-negative integer at least `min`; numeric strings are accepted (query strings).
fn count_at(json: &J, path: &str, min: u64, errors: &mut FilterErrors) -> Option<u64> {
    let n = match json {
        J::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9e15)
                .map(|f| f as u64)
        }),
        J::String(s) => s.trim().parse::<u64>().ok(),
        J::Null => return None,
        _ => None,
    };
    match n {
        Some(n) if n >= min => Some(n),
        _ => {
            let what = if min == 0 {
                "a non-negative integer"
            } else {
                "a positive integer"
            };
            errors.push(path, "type", format!("must be {what}, got {json}"));
            None
        }
    }
}

fn fields_at(json: &J, path: &str, errors: &mut FilterErrors) -> Option<Fields> {
    match json {
        J::Null => None,
        J::Array(items) if items.is_empty() => None,
        J::Array(items) => {
            let mut names = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(name) => names.push(name.to_owned()),
                    None => errors.push(&format!("{path}/{i}"), "type", "must be a property name"),
                }
            }
            Some(Fields::Include(names))
        }
        J::String(name) => Some(Fields::Include(vec![name.clone()])),
        J::Object(map) if map.is_empty() => None,
        J::Object(map) => {
            let (mut include, mut exclude) = (Vec::new(), Vec::new());
            for (name, flag) in map {
                match bool_of(flag) {
                    Some(true) => include.push(name.clone()),
                    Some(false) => exclude.push(name.clone()),
                    None => errors.push(
                        &format!("{path}/{}", escape(name)),
                        "type",
                        "must be true or false",
                    ),
                }
            }
            // LoopBack: any `true` selects exactly those; only `false`s exclude.
            Some(if include.is_empty() {
                Fields::Exclude(exclude)
            } else {
                Fields::Include(include)
            })
        }
        _ => {
            errors.push(
                path,
                "type",
                "must be an array of property names or an object of booleans",
            );
            None
        }
    }
}

fn order_at(json: &J, path: &str, errors: &mut FilterErrors) -> Vec<Order> {
    let items: Vec<(String, &J)> = match json {
        J::Null => return Vec::new(),
        // LoopBack also splits "a ASC, b DESC".
        J::String(_) => vec![(path.to_owned(), json)],
        J::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, j)| (format!("{path}/{i}"), j))
            .collect(),
        _ => {
            errors.push(
                path,
                "type",
                "must be a string or an array of strings like \"title DESC\"",
            );
            return Vec::new();
        }
    };
    let mut order = Vec::new();
    for (at, item) in items {
        let Some(text) = item.as_str() else {
            errors.push(&at, "type", "must be a string like \"title DESC\"");
            continue;
        };
        if text.split(',').all(|part| part.trim().is_empty()) {
            // An empty sort key orders by nothing: a mistake, as the published enum says.
            errors.push(&at, "invalid", "must be a sort key like \"title DESC\"");
            continue;
        }
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let property = words.next().unwrap_or_default().to_owned();
            let direction = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("ASC") => Some(Direction::Asc),
                Some("DESC") => Some(Direction::Desc),
                Some(_) => None,
            };
            match (direction, words.next()) {
                (Some(direction), None) => order.push(Order {
                    property,
                    direction,
                }),
                _ => errors.push(
                    &at,
                    "invalid",
                    format!("invalid order '{part}': expected \"<property> [ASC|DESC]\""),
                ),
            }
        }
    }
    order
}

fn include_at(json: &J, path: &str, errors: &mut FilterErrors) -> Vec<Inclusion> {
    let items: Vec<(String, &J)> = match json {
        J::Null => return Vec::new(),
        J::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, j)| (format!("{path}/{i}"), j))
            .collect(),
        J::String(_) | J::Object(_) => vec![(path.to_owned(), json)],
        _ => {
            errors.push(
                path,
                "type",
                "must be an array of relation names or {relation, scope} objects",
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (at, item) in items {
        match item {
            J::String(name) => out.push(Inclusion::from(name.as_str())),
            J::Object(map) => {
                for key in map
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "relation" | "scope"))
                {
                    errors.push(
                        &format!("{at}/{}", escape(key)),
                        "unknownKey",
                        format!("unknown inclusion key '{key}'"),
                    );
                }
                let scope = map.get("scope").filter(|s| !s.is_null()).map(|s| {
                    let prefix = format!("{at}/scope");
                    let mut scope = filter_at(s, &prefix, errors);
                    // The check reports a scope's problems under its inclusion's path itself,
                    // so the scope's conditions remember where they are within the scope.
                    if let Some(w) = &mut scope.where_ {
                        relativize(w, &prefix);
                    }
                    Box::new(scope)
                });
                match map.get("relation").and_then(J::as_str) {
                    Some(name) => out.push(Inclusion {
                        relation: name.to_owned(),
                        scope,
                    }),
                    None => {
                        errors.push(&format!("{at}/relation"), "type", "must be a relation name")
                    }
                }
            }
            _ => errors.push(
                &at,
                "type",
                "must be a relation name or a {relation, scope} object",
            ),
        }
    }
    out
}

fn where_at(json: &J, path: &str, errors: &mut FilterErrors) -> Option<Where> {
    let object = match json {
        J::Null => return None,
        J::Object(object) => object,
        _ => {
            errors.push(path, "type", "the where clause must be an object");
            return None;
        }
    };
    let mut clauses = Vec::new();
    for (key, value) in object {
        let at = format!("{path}/{}", escape(key));
        match key.as_str() {
            "and" | "or" => {
                let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                    errors.push(
                        &at,
                        "type",
                        format!("'{key}' must be a non-empty array of where clauses"),
                    );
                    continue;
                };
                let parts: Vec<Option<Where>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| where_at(item, &format!("{at}/{i}"), errors))
                    .collect();
                // An empty clause `{}` matches everything: it is neutral in `and` and makes an
                // `or` match everything.
                if key == "or" && parts.iter().any(Option::is_none) {
                    continue;
                }
                let parts: Vec<Where> = parts.into_iter().flatten().collect();
                if !parts.is_empty() {
                    clauses.push(if key == "and" {
                        Where::And(parts)
                    } else {
                        Where::Or(parts)
                    });
                }
            }
            property => clauses.extend(condition_at(property, value, &at, errors)),
        }
    }
    match clauses.len() {
        0 => None,
        1 => clauses.pop(),
        _ => Some(Where::And(clauses)),
    }
}

pub(super) const OPERATORS: &str =
    "eq, neq, gt, gte, lt, lte, between, inq, nin, exists, like, nlike, ilike, nilike, regexp";

/// Parses `{prop: value}` or `{prop: {op: operand, …}}`; several operators are AND-ed.
fn condition_at(property: &str, json: &J, path: &str, errors: &mut FilterErrors) -> Vec<Where> {
    let ops = match json {
        J::Object(ops) if is_operator_object(ops) => ops,
        // Shorthand equality: scalars, and JSON objects/arrays that are not operator objects.
        other => {
            return vec![sourced(
                property,
                Op::Eq(Value::from_json_untyped(other)),
                path,
                true,
            )];
        }
    };
    let mut out = Vec::new();
    for (name, operand) in ops {
        let at = format!("{path}/{}", escape(name));
        if let Some(op) = operator(name, operand, &at, errors) {
            out.push(sourced(property, op, path, false));
        }
    }
    out
}

/// A condition remembering the JSON pointer of its property.
/// Makes the recorded sources of a scope's conditions relative to the scope.
fn relativize(clause: &mut Where, prefix: &str) {
    match clause {
        Where::And(parts) | Where::Or(parts) => {
            for part in parts {
                relativize(part, prefix);
            }
        }
        Where::Cond(cond) => {
            if let Some(rest) = cond.source.as_deref().and_then(|s| s.strip_prefix(prefix)) {
                cond.source = Some(rest.into());
            }
        }
    }
}

fn sourced(property: &str, op: Op, path: &str, shorthand: bool) -> Where {
    Where::Cond(super::Condition {
        property: property.to_owned(),
        op,
        source: Some(path.into()),
        shorthand,
    })
}

/// An object is an operator object when any key is an operator name or `options`; an object
/// mixing operators and other keys is reported key by key.
fn is_operator_object(map: &serde_json::Map<String, J>) -> bool {
    !map.is_empty() && map.keys().any(|k| is_operator(k))
}

fn is_operator(key: &str) -> bool {
    OPERATORS.split(", ").any(|op| op == key)
}

fn operator(name: &str, operand: &J, path: &str, errors: &mut FilterErrors) -> Option<Op> {
    let scalar = || Value::from_json_untyped(operand);
    let op = match name {
        "eq" => Op::Eq(scalar()),
        "neq" => Op::Neq(scalar()),
        "gt" => Op::Gt(scalar()),
        "gte" => Op::Gte(scalar()),
        "lt" => Op::Lt(scalar()),
        "lte" => Op::Lte(scalar()),
        "between" => match operand.as_array().map(Vec::as_slice) {
            Some([lo, hi]) => {
                Op::Between(Value::from_json_untyped(lo), Value::from_json_untyped(hi))
            }
            _ => {
                errors.push(path, "type", "between takes an array of exactly two values");
                return None;
            }
        },
        "inq" | "nin" => {
            // LoopBack turns a scalar into a one-element list (the query-string form sends one).
            let items = match operand {
                J::Array(items) => items.iter().map(Value::from_json_untyped).collect(),
                J::Object(_) => {
                    errors.push(path, "type", format!("{name} takes an array of values"));
                    return None;
                }
                single => vec![Value::from_json_untyped(single)],
            };
            if name == "inq" {
                Op::Inq(items)
            } else {
                Op::Nin(items)
            }
        }
        "exists" => match bool_of(operand) {
            Some(b) => Op::Exists(b),
            None => {
                errors.push(path, "type", "exists takes true or false");
                return None;
            }
        },
        "like" | "nlike" | "ilike" | "nilike" => {
            let Some(pattern) = operand.as_str() else {
                errors.push(path, "type", format!("{name} takes a string pattern"));
                return None;
            };
            let pattern = pattern.to_owned();
            match name {
                "like" => Op::Like(pattern),
                "nlike" => Op::Nlike(pattern),
                "ilike" => Op::Ilike(pattern),
                _ => Op::Nilike(pattern),
            }
        }
        "regexp" => {
            let Some(text) = operand.as_str() else {
                errors.push(
                    path,
                    "type",
                    "regexp takes a string such as \"^a\" or \"/^a/i\"",
                );
                return None;
            };
            match RegexSpec::parse(text) {
                Ok(spec) => Op::Regexp(spec),
                Err(message) => {
                    errors.push(path, "invalid", message);
                    return None;
                }
            }
        }
        other => {
            errors.push(
                path,
                "unknownOperator",
                format!("unknown operator '{other}' (expected one of: {OPERATORS})"),
            );
            return None;
        }
    };
    Some(op)
}

fn bool_of(json: &J) -> Option<bool> {
    match json {
        J::Bool(b) => Some(*b),
        J::String(s) if s == "true" || s == "1" => Some(true),
        J::String(s) if s == "false" || s == "0" => Some(false),
        J::Number(n) if n.as_u64() == Some(1) => Some(true),
        J::Number(n) if n.as_u64() == Some(0) => Some(false),
        _ => None,
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(json: J) -> Vec<String> {
        parse_filter(&json)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| format!("{} {}", e.path, e.code))
            .collect()
    }

    #[test]
    fn parses_the_loopback_example() {
        let f = parse_filter(&json!({
            "where": {"title": {"like": "%milk%"}, "isComplete": false},
            "order": ["title DESC"], "limit": 3, "offset": "2", "fields": {"title": true}
        }))
        .unwrap();
        assert_eq!(f.limit, Some(3));
        assert_eq!(f.skip, Some(2));
        assert_eq!(f.order, vec![Order::desc("title")]);
        assert_eq!(f.fields, Some(Fields::Include(vec!["title".into()])));
        assert_eq!(
            f.where_,
            Some(Where::And(vec![
                Where::cond("title", Op::Like("%milk%".into())),
                Where::cond("isComplete", Op::Eq(Value::Bool(false))),
            ]))
        );
    }

    #[test]
    fn collects_every_error_with_its_path() {
        let got = paths(json!({
            "where": {"and": [{"a": {"foo": 1, "gt": 2}}, {"b": {"between": [1]}}], "or": []},
            "limit": 0, "skip": -1, "order": "title SIDEWAYS", "bogus": 1
        }));
        assert_eq!(
            got,
            vec![
                "/where/and/0/a/foo unknownOperator",
                "/where/and/1/b/between type",
                "/where/or type",
                "/limit type",
                "/skip type",
                "/order invalid",
                "/bogus unknownKey",
            ]
        );
    }

    #[test]
    fn skip_and_offset_together_take_skip_unless_it_is_zero() {
        let skip = |json: J| parse_filter(&json).map(|f| f.skip);
        assert_eq!(skip(json!({"skip": 3, "offset": 5})), Ok(Some(3)));
        assert_eq!(skip(json!({"offset": 5, "skip": 3})), Ok(Some(3)));
        assert_eq!(skip(json!({"skip": 0, "offset": 5})), Ok(Some(5)));
        assert_eq!(skip(json!({"offset": 5, "skip": "0"})), Ok(Some(5)));
        assert_eq!(skip(json!({"skip": null, "offset": 5})), Ok(Some(5)));
        assert_eq!(skip(json!({"skip": 0, "offset": 0})), Ok(Some(0)));
        assert_eq!(
            skip(json!({"offset": 0, "limit": 100, "skip": 0})),
            Ok(Some(0))
        );
        assert_eq!(skip(json!({"offset": 2})), Ok(Some(2)));
        assert_eq!(skip(json!({"skip": 4, "offset": null})), Ok(Some(4)));
        // Each is checked, the one that loses too.
        assert_eq!(
            paths(json!({"skip": 3, "offset": -1})),
            vec!["/offset type"]
        );
    }

    #[test]
    fn several_operators_on_one_property_are_and_ed() {
        let w = parse_where_root(&json!({"n": {"gt": 1, "lt": 5}})).unwrap();
        assert_eq!(
            w,
            Where::And(vec![
                Where::cond("n", Op::Gt(Value::Int(1))),
                Where::cond("n", Op::Lt(Value::Int(5)))
            ])
        );
    }

    #[test]
    fn an_empty_sort_key_is_refused() {
        assert_eq!(paths(json!({"order": ""})), ["/order invalid"]);
        assert_eq!(
            paths(json!({"order": ["title", " , ", ""]})),
            ["/order/1 invalid", "/order/2 invalid"]
        );
        assert!(Filter::from_json(&json!({"order": "title, "})).is_ok());
    }

    #[test]
    fn scalar_inq_becomes_a_list_and_regexp_literals_keep_flags() {
        let w = parse_where_root(&json!({"a": {"inq": "x"}, "b": {"regexp": "/^t/i"}})).unwrap();
        assert_eq!(
            w,
            Where::And(vec![
                Where::cond("a", Op::Inq(vec![Value::from("x")])),
                Where::cond(
                    "b",
                    Op::Regexp(RegexSpec {
                        pattern: "^t".into(),
                        case_insensitive: true
                    })
                ),
            ])
        );
        assert!(parse_where_root(&json!({"b": {"regexp": "/(/"}})).is_err());
        assert!(parse_where_root(&json!({"b": {"regexp": "/a/x"}})).is_err());
    }
}
