//! A small, exact validator for request bodies against OpenAPI 3.0 schema objects, which
//! words its problems as AJV 8 does (LoopBack validates with AJV), so a custom endpoint's
//! `422 VALIDATION_FAILED` carries the same `details` as a generated model body.
//!
//! Keywords are evaluated in AJV's order, with AJV's `allErrors` behaviour: first the
//! keywords that apply to any value (`$ref`, `const`, `enum`, `not`, `anyOf`, `oneOf`,
//! `allOf`), then the number, string, array and object keywords, each group only when the
//! value is of that type. A failed `type` is reported up front, or — when the schema has a
//! single type with keywords of its own group (`type: string` with `maxLength`) — in place of
//! that group, exactly where AJV reports it. Keywords of another type never descend into a
//! value of the wrong type.
//!
//! Not supported (ignored): string `format`s (`email`, `date-time`, ...), `propertyNames`,
//! `dependencies`, `contains`, `additionalItems`, `if`/`then`/`else`, `discriminator`, and
//! `$ref`s outside `#/components/schemas/`.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Number, Value as Json, json};

/// How deep schemas may nest (each `$ref`, combinator, property or item is one level)
/// before the check stops descending: a bound on recursion for any input.
const MAX_DEPTH: usize = 128;

/// The most problems reported for one value: a hostile body cannot make a 422 larger than its
/// own size many times over.
pub(crate) const MAX_PROBLEMS: usize = 100;

/// Where `$ref`s point: the document's `components.schemas`.
const REF_PREFIX: &str = "#/components/schemas/";

/// One problem: AJV-shaped as LoopBack sends it in `details`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// JSON pointer of the value: `""` for the root, `/items/0/name` below it.
    pub(crate) path: String,
    /// The AJV keyword that failed: `required`, `type`, `maxLength`, ...
    pub(crate) code: &'static str,
    /// AJV 8's message, e.g. `must have required property 'title'`.
    pub(crate) message: String,
    /// AJV's `params`, e.g. `{"missingProperty": "title"}`.
    pub(crate) info: Json,
}

impl Problem {
    /// The problem as one entry of LoopBack's `details`: `{path, code, message, info}`.
    pub(crate) fn to_json(&self) -> Json {
        json!({
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "info": self.info,
        })
    }
}

/// Every problem of `value` against `schema` (an OpenAPI 3.0 schema object as JSON),
/// resolving `$ref: "#/components/schemas/X"` in `schemas` (the document's
/// `components.schemas`). Empty = valid. At most [`MAX_PROBLEMS`] are told.
pub(crate) fn check(schema: &Json, schemas: &Map<String, Json>, value: &Json) -> Vec<Problem> {
    let mut checker = Checker {
        schemas,
        patterns: HashMap::new(),
        active_refs: Vec::new(),
    };
    let mut out = Vec::new();
    let mut path = String::new();
    checker.check(schema, value, &mut path, 0, &mut out);
    out.truncate(MAX_PROBLEMS);
    out
}

/// The four data types that have keywords of their own, in AJV's evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Number,
    String,
    Array,
    Object,
}

impl Group {
    /// The keywords AJV files under this type (implemented or not: any of them moves a
    /// single-type check into the group).
    fn keywords(self) -> &'static [&'static str] {
        match self {
            Group::Number => &[
                "maximum",
                "minimum",
                "exclusiveMaximum",
                "exclusiveMinimum",
                "multipleOf",
                "format",
            ],
            Group::String => &["maxLength", "minLength", "pattern", "format"],
            Group::Array => &[
                "maxItems",
                "minItems",
                "uniqueItems",
                "additionalItems",
                "items",
                "contains",
            ],
            Group::Object => &[
                "maxProperties",
                "minProperties",
                "required",
                "propertyNames",
                "additionalProperties",
                "dependencies",
                "properties",
                "patternProperties",
            ],
        }
    }

    /// The group a JSON type name belongs to (`integer` has none, as in AJV).
    fn of_type(ty: &str) -> Option<Group> {
        match ty {
            "number" => Some(Group::Number),
            "string" => Some(Group::String),
            "array" => Some(Group::Array),
            "object" => Some(Group::Object),
            _ => None,
        }
    }

    /// Whether `value` is of this group's type.
    fn holds(self, value: &Json) -> bool {
        match self {
            Group::Number => value.is_number(),
            Group::String => value.is_string(),
            Group::Array => value.is_array(),
            Group::Object => value.is_object(),
        }
    }

    /// Whether `schema` has any keyword of this group.
    fn used_by(self, schema: &Map<String, Json>) -> bool {
        self.keywords().iter().any(|k| schema.contains_key(*k))
    }
}

/// The state of one check: the referenced schemas, compiled patterns and the `$ref`s being
/// applied (a cycle guard).
struct Checker<'s> {
    schemas: &'s Map<String, Json>,
    /// Compiled patterns by source; `None` for one that does not compile (skipped).
    patterns: HashMap<String, Option<Regex>>,
    /// `(referenced schema, value)` pairs being checked: the same pair again is a cycle.
    active_refs: Vec<(*const Json, *const Json)>,
}

impl Checker<'_> {
    /// Appends every problem of `value` (at `path`) against `schema` to `out`.
    fn check(
        &mut self,
        schema: &Json,
        value: &Json,
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        if out.len() >= MAX_PROBLEMS {
            return;
        }
        if depth > MAX_DEPTH {
            // Refused, not skipped: a body nested past what is checked is not known valid.
            if out.last().is_none_or(|p| p.code != "maxDepth") {
                out.push(problem(
                    path,
                    "maxDepth",
                    format!("must NOT be nested deeper than {MAX_DEPTH} schema levels"),
                    json!({"limit": MAX_DEPTH}),
                ));
            }
            return;
        }
        let s = match schema {
            Json::Object(s) => s,
            Json::Bool(false) => {
                out.push(problem(
                    path,
                    "false schema",
                    "boolean schema is false",
                    json!({}),
                ));
                return;
            }
            _ => return,
        };
        let types = schema_types(s);
        // AJV checks a single type with keywords of its own group inside that group.
        let deferred = match types.as_slice() {
            [ty] => Group::of_type(ty).filter(|g| g.used_by(s)),
            _ => None,
        };
        if !types.is_empty() && deferred.is_none() && !types.iter().any(|t| is_type(value, t)) {
            out.push(type_problem(s, path));
        }

        self.any_keywords(s, value, path, depth, out);

        for group in [Group::Number, Group::String, Group::Array, Group::Object] {
            if !group.used_by(s) {
                continue;
            }
            if group.holds(value) {
                match (group, value) {
                    (Group::Number, Json::Number(n)) => number_keywords(s, n, path, out),
                    (Group::String, Json::String(text)) => self.string_keywords(s, text, path, out),
                    (Group::Array, Json::Array(items)) => {
                        self.array_keywords(s, items, path, depth, out);
                    }
                    (Group::Object, Json::Object(object)) => {
                        self.object_keywords(s, object, path, depth, out);
                    }
                    _ => {}
                }
            } else if deferred == Some(group) {
                out.push(type_problem(s, path));
            }
        }
    }

    /// The keywords for any type: `$ref`, `const`, `enum`, `not`, `anyOf`, `oneOf`, `allOf`.
    fn any_keywords(
        &mut self,
        s: &Map<String, Json>,
        value: &Json,
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        if let Some(Json::String(reference)) = s.get("$ref") {
            self.check_ref(reference, value, path, depth, out);
        }
        if let Some(constant) = s.get("const")
            && !js_equal(value, constant)
        {
            out.push(problem(
                path,
                "const",
                "must be equal to constant",
                json!({"allowedValue": js_json(constant)}),
            ));
        }
        if let Some(Json::Array(allowed)) = s.get("enum")
            && !allowed.iter().any(|a| js_equal(value, a))
        {
            out.push(problem(
                path,
                "enum",
                "must be equal to one of the allowed values",
                json!({"allowedValues": js_json(&Json::Array(allowed.clone()))}),
            ));
        }
        if let Some(not) = s.get("not") {
            let mut sub = Vec::new();
            self.check(not, value, path, depth + 1, &mut sub);
            if sub.is_empty() {
                out.push(problem(path, "not", "must NOT be valid", json!({})));
            }
        }
        if let Some(Json::Array(branches)) = s.get("anyOf") {
            let mut failed = Vec::new();
            let mut valid = false;
            for branch in branches {
                let mut sub = Vec::new();
                self.check(branch, value, path, depth + 1, &mut sub);
                if sub.is_empty() {
                    valid = true;
                    break;
                }
                failed.append(&mut sub);
            }
            if !valid {
                out.append(&mut failed);
                out.push(problem(
                    path,
                    "anyOf",
                    "must match a schema in anyOf",
                    json!({}),
                ));
            }
        }
        if let Some(Json::Array(branches)) = s.get("oneOf") {
            self.check_one_of(branches, value, path, depth, out);
        }
        if let Some(Json::Array(branches)) = s.get("allOf") {
            for branch in branches {
                self.check(branch, value, path, depth + 1, out);
            }
        }
    }

    /// `$ref`: the referenced schema's problems, at the same path. An unknown reference is
    /// skipped; a reference cycle on the same value stops.
    fn check_ref(
        &mut self,
        reference: &str,
        value: &Json,
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let Some(name) = reference.strip_prefix(REF_PREFIX) else {
            return;
        };
        let name = name.replace("~1", "/").replace("~0", "~");
        let schemas = self.schemas;
        let Some(target) = schemas.get(&name) else {
            return;
        };
        let key = (target as *const Json, value as *const Json);
        if self.active_refs.contains(&key) {
            return;
        }
        self.active_refs.push(key);
        self.check(target, value, path, depth + 1, out);
        self.active_refs.pop();
    }

    /// `oneOf`, as AJV evaluates it: stops at the second passing branch, keeps the failing
    /// branches' problems when it fails.
    fn check_one_of(
        &mut self,
        branches: &[Json],
        value: &Json,
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let mut failed = Vec::new();
        let mut valid = false;
        let mut passing = Json::Null;
        for (i, branch) in branches.iter().enumerate() {
            let mut sub = Vec::new();
            self.check(branch, value, path, depth + 1, &mut sub);
            let ok = sub.is_empty();
            failed.append(&mut sub);
            if ok && valid {
                valid = false;
                passing = json!([passing, i]);
                break;
            }
            if ok {
                valid = true;
                passing = json!(i);
            }
        }
        if !valid {
            out.append(&mut failed);
            out.push(problem(
                path,
                "oneOf",
                "must match exactly one schema in oneOf",
                json!({"passingSchemas": passing}),
            ));
        }
    }

    /// The string keywords: `maxLength`, `minLength` (in code points) and `pattern`.
    fn string_keywords(
        &mut self,
        s: &Map<String, Json>,
        text: &str,
        path: &str,
        out: &mut Vec<Problem>,
    ) {
        let length = text.chars().count() as f64;
        size_bounds(
            s,
            ["maxLength", "minLength"],
            length,
            "characters",
            path,
            out,
        );
        if let Some(Json::String(pattern)) = s.get("pattern")
            && let Some(regex) = self.regex(pattern)
            && !regex.is_match(text)
        {
            out.push(problem(
                path,
                "pattern",
                format!("must match pattern \"{pattern}\""),
                json!({"pattern": pattern}),
            ));
        }
    }

    /// The array keywords: `maxItems`, `minItems`, `uniqueItems` and `items`.
    fn array_keywords(
        &mut self,
        s: &Map<String, Json>,
        items: &[Json],
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let count = items.len() as f64;
        size_bounds(s, ["maxItems", "minItems"], count, "items", path, out);
        if s.get("uniqueItems") == Some(&Json::Bool(true))
            && let Some((i, j)) = duplicate(s.get("items"), items)
        {
            out.push(problem(
                path,
                "uniqueItems",
                format!("must NOT have duplicate items (items ## {j} and {i} are identical)"),
                json!({"i": i, "j": j}),
            ));
        }
        match s.get("items") {
            Some(Json::Array(tuple)) => {
                for (index, (item, item_schema)) in items.iter().zip(tuple).enumerate() {
                    let len = push_index(path, index);
                    self.check(item_schema, item, path, depth + 1, out);
                    path.truncate(len);
                }
            }
            Some(item_schema) => {
                for (index, item) in items.iter().enumerate() {
                    let len = push_index(path, index);
                    self.check(item_schema, item, path, depth + 1, out);
                    path.truncate(len);
                }
            }
            None => {}
        }
    }

    /// The object keywords: `maxProperties`, `minProperties`, `required`,
    /// `additionalProperties`, `properties` and `patternProperties`.
    fn object_keywords(
        &mut self,
        s: &Map<String, Json>,
        object: &Map<String, Json>,
        path: &mut String,
        depth: usize,
        out: &mut Vec<Problem>,
    ) {
        let count = object.len() as f64;
        size_bounds(
            s,
            ["maxProperties", "minProperties"],
            count,
            "properties",
            path,
            out,
        );
        if let Some(Json::Array(required)) = s.get("required") {
            for name in required.iter().filter_map(Json::as_str) {
                if !object.contains_key(name) {
                    out.push(problem(
                        path,
                        "required",
                        format!("must have required property '{name}'"),
                        json!({"missingProperty": name}),
                    ));
                }
            }
        }
        let properties = match s.get("properties") {
            Some(Json::Object(properties)) => Some(properties),
            _ => None,
        };
        let patterns: Vec<(Regex, &Json)> = match s.get("patternProperties") {
            Some(Json::Object(patterns)) => patterns
                .iter()
                .filter_map(|(p, sub)| self.regex(p).map(|r| (r, sub)))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(additional) = s.get("additionalProperties")
            && additional != &Json::Bool(true)
        {
            for (key, item) in object {
                let declared = properties.is_some_and(|p| p.contains_key(key))
                    || patterns.iter().any(|(r, _)| r.is_match(key));
                if declared {
                    continue;
                }
                if additional == &Json::Bool(false) {
                    out.push(problem(
                        path,
                        "additionalProperties",
                        "must NOT have additional properties",
                        json!({"additionalProperty": key}),
                    ));
                } else {
                    let len = push_key(path, key);
                    self.check(additional, item, path, depth + 1, out);
                    path.truncate(len);
                }
            }
        }
        if let Some(properties) = properties {
            for (name, sub) in properties {
                if let Some(item) = object.get(name) {
                    let len = push_key(path, name);
                    self.check(sub, item, path, depth + 1, out);
                    path.truncate(len);
                }
            }
        }
        for (regex, sub) in &patterns {
            for (key, item) in object {
                if regex.is_match(key) {
                    let len = push_key(path, key);
                    self.check(sub, item, path, depth + 1, out);
                    path.truncate(len);
                }
            }
        }
    }

    /// The compiled `pattern`, cached; `None` when it does not compile.
    fn regex(&mut self, pattern: &str) -> Option<Regex> {
        self.patterns
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok())
            .clone()
    }
}

/// The number keywords: `maximum`, `minimum` (with OpenAPI 3.0's boolean
/// `exclusiveMaximum`/`exclusiveMinimum`), the numeric `exclusiveMaximum`/`exclusiveMinimum`,
/// `multipleOf` and the integer-width `format`s.
fn number_keywords(s: &Map<String, Json>, n: &Number, path: &str, out: &mut Vec<Problem>) {
    let Some(x) = n.as_f64() else {
        return;
    };
    let exclusive = |key: &str| s.get(key) == Some(&Json::Bool(true));
    let bounds: [(&'static str, Option<&Json>, &str); 4] = [
        (
            "maximum",
            s.get("maximum"),
            if exclusive("exclusiveMaximum") {
                "<"
            } else {
                "<="
            },
        ),
        (
            "minimum",
            s.get("minimum"),
            if exclusive("exclusiveMinimum") {
                ">"
            } else {
                ">="
            },
        ),
        ("exclusiveMaximum", s.get("exclusiveMaximum"), "<"),
        ("exclusiveMinimum", s.get("exclusiveMinimum"), ">"),
    ];
    for (keyword, limit, comparison) in bounds {
        let Some(limit_json @ Json::Number(limit)) = limit else {
            continue;
        };
        let Some(limit) = limit.as_f64() else {
            continue;
        };
        let ok = match comparison {
            "<" => x < limit,
            "<=" => x <= limit,
            ">" => x > limit,
            _ => x >= limit,
        };
        if !ok {
            out.push(problem(
                path,
                keyword,
                format!("must be {comparison} {}", js_number(limit)),
                json!({"comparison": comparison, "limit": js_json(limit_json)}),
            ));
        }
    }
    if let Some(factor_json @ Json::Number(factor)) = s.get("multipleOf")
        && let Some(factor) = factor.as_f64()
    {
        let ratio = x / factor;
        if !ratio.is_finite() || ratio != ratio.trunc() {
            out.push(problem(
                path,
                "multipleOf",
                format!("must be multiple of {}", js_number(factor)),
                json!({"multipleOf": js_json(factor_json)}),
            ));
        }
    }
    if let Some(Json::String(format)) = s.get("format")
        && !integer_format_ok(format, n)
    {
        out.push(problem(
            path,
            "format",
            format!("must match format \"{format}\""),
            json!({"format": format}),
        ));
    }
}

/// Whether `n` fits the integer-width `format` (`int32`, `uint8`, ...); true for any other
/// format, which is informational.
fn integer_format_ok(format: &str, n: &Number) -> bool {
    let (min, max): (f64, f64) = match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "uint8" => (0.0, u8::MAX.into()),
        "uint16" => (0.0, u16::MAX.into()),
        "uint32" => (0.0, u32::MAX.into()),
        "int64" => {
            return n.is_i64()
                || integral(n).is_some_and(|f| (-(2f64.powi(63))..2f64.powi(63)).contains(&f));
        }
        "uint64" => {
            return n.is_u64() || integral(n).is_some_and(|f| (0.0..2f64.powi(64)).contains(&f));
        }
        _ => return true,
    };
    integral(n).is_some_and(|f| f >= min && f <= max)
}

/// `n` as a float when it is an integer (`3` or `3.0`, as JavaScript sees them).
fn integral(n: &Number) -> Option<f64> {
    n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0)
}

/// The JSON types a schema allows: its `type` (a name or a list of names), plus `null`
/// when it is `nullable: true`. Unknown names are ignored.
fn schema_types(s: &Map<String, Json>) -> Vec<&str> {
    const KNOWN: [&str; 7] = [
        "number", "integer", "string", "array", "object", "boolean", "null",
    ];
    let mut types: Vec<&str> = match s.get("type") {
        Some(Json::String(ty)) => vec![ty.as_str()],
        Some(Json::Array(tys)) => tys.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    types.retain(|t| KNOWN.contains(t));
    if !types.is_empty() && !types.contains(&"null") && s.get("nullable") == Some(&Json::Bool(true))
    {
        types.push("null");
    }
    types
}

/// Whether `value` is of the JSON type `ty`; `integer` takes `3` and `3.0` but not `3.5`.
fn is_type(value: &Json, ty: &str) -> bool {
    match (ty, value) {
        ("null", Json::Null)
        | ("boolean", Json::Bool(_))
        | ("string", Json::String(_))
        | ("array", Json::Array(_))
        | ("object", Json::Object(_))
        | ("number", Json::Number(_)) => true,
        ("integer", Json::Number(n)) => n.is_i64() || n.is_u64() || integral(n).is_some(),
        _ => false,
    }
}

/// The `type` problem: `must be string`, with the schema's own `type` (not `nullable`).
fn type_problem(s: &Map<String, Json>, path: &str) -> Problem {
    let declared = s.get("type").cloned().unwrap_or(Json::Null);
    let shown = match &declared {
        Json::String(ty) => ty.clone(),
        Json::Array(tys) => tys
            .iter()
            .map(|t| t.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    problem(
        path,
        "type",
        format!("must be {shown}"),
        json!({"type": declared}),
    )
}

/// The first duplicate pair `(i, j)` of `uniqueItems`, found as AJV finds it: for items of
/// scalar declared types, scanning from the end and skipping items of other types (then
/// `i < j`); otherwise comparing each item with the ones before it, from the end (`j < i`).
fn duplicate(items_schema: Option<&Json>, items: &[Json]) -> Option<(usize, usize)> {
    if items.len() < 2 {
        return None;
    }
    let item_types = match items_schema {
        Some(Json::Object(s)) => schema_types(s),
        _ => Vec::new(),
    };
    let scalar =
        !item_types.is_empty() && !item_types.iter().any(|t| *t == "object" || *t == "array");
    if scalar {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for i in (0..items.len()).rev() {
            let item = &items[i];
            if !item_types.iter().any(|t| is_type(item, t)) {
                continue;
            }
            let key = match item {
                Json::String(text) => format!("s{text}"),
                Json::Number(n) => format!("n{}", js_number(n.as_f64().unwrap_or(f64::NAN))),
                other => other.to_string(),
            };
            if let Some(&j) = seen.get(&key) {
                return Some((i, j));
            }
            seen.insert(key, i);
        }
        return None;
    }
    // AJV compares each item with those before it, from the end: the pair it reports is the
    // last item that has an equal one before it, with the nearest such. One pass over a
    // canonical text of each item finds the same pair in linear time.
    let mut last_seen: HashMap<String, usize> = HashMap::new();
    let mut found = None;
    for (i, item) in items.iter().enumerate() {
        let key = canonical(item);
        if let Some(&j) = last_seen.get(&key) {
            found = Some((i, j));
        }
        last_seen.insert(key, i);
    }
    found
}

/// A text equal for two values exactly when `js_equal` holds: object keys sorted, numbers as
/// JavaScript prints them. Iterative, so any depth is safe.
fn canonical(value: &Json) -> String {
    enum Step<'a> {
        Value(&'a Json),
        Text(&'static str),
        Key(&'a str),
    }
    let mut out = String::new();
    let mut stack = vec![Step::Value(value)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(text) => out.push_str(text),
            Step::Key(key) => {
                out.push_str(&Json::String(key.to_owned()).to_string());
                out.push(':');
            }
            Step::Value(Json::Number(n)) => {
                out.push_str(&js_number(n.as_f64().unwrap_or(f64::NAN)));
            }
            Step::Value(Json::Array(items)) => {
                out.push('[');
                stack.push(Step::Text("]"));
                for item in items.iter().rev() {
                    stack.push(Step::Text(","));
                    stack.push(Step::Value(item));
                }
            }
            Step::Value(Json::Object(map)) => {
                out.push('{');
                stack.push(Step::Text("}"));
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                for key in keys.into_iter().rev() {
                    stack.push(Step::Text(","));
                    stack.push(Step::Value(&map[key]));
                    stack.push(Step::Key(key));
                }
            }
            Step::Value(other) => out.push_str(&other.to_string()),
        }
    }
    out
}

/// Deep equality as JavaScript's `fast-deep-equal` sees JSON: numbers by value (`1 == 1.0`),
/// objects regardless of key order. Iterative, so any depth is safe.
fn js_equal(a: &Json, b: &Json) -> bool {
    let mut pending = vec![(a, b)];
    while let Some((a, b)) = pending.pop() {
        match (a, b) {
            (Json::Null, Json::Null) => {}
            (Json::Bool(x), Json::Bool(y)) if x == y => {}
            (Json::String(x), Json::String(y)) if x == y => {}
            (Json::Number(x), Json::Number(y)) if numbers_equal(x, y) => {}
            (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
                pending.extend(x.iter().zip(y));
            }
            (Json::Object(x), Json::Object(y)) if x.len() == y.len() => {
                for (key, xv) in x {
                    match y.get(key) {
                        Some(yv) => pending.push((xv, yv)),
                        None => return false,
                    }
                }
            }
            _ => return false,
        }
    }
    true
}

/// Two JSON numbers equal by value: exactly for integers, as floats otherwise.
fn numbers_equal(x: &Number, y: &Number) -> bool {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return a == b;
    }
    x.as_f64() == y.as_f64()
}

/// A schema value as JavaScript would serialize it back: integral floats lose their `.0`
/// (`1.0` → `1`), as AJV's `params` show them. Deep values beyond the bound are kept as is.
fn js_json(value: &Json) -> Json {
    fn go(value: &Json, depth: usize) -> Json {
        match value {
            Json::Number(n) if !n.is_i64() && !n.is_u64() => match integral(n) {
                Some(f) if f.abs() < 9_007_199_254_740_992.0 => json!(f as i64),
                _ => value.clone(),
            },
            Json::Array(items) if depth < MAX_DEPTH => {
                Json::Array(items.iter().map(|v| go(v, depth + 1)).collect())
            }
            Json::Object(map) if depth < MAX_DEPTH => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), go(v, depth + 1)))
                    .collect(),
            ),
            _ => value.clone(),
        }
    }
    go(value, 0)
}

/// A number as JavaScript's `String(n)` writes it: `1`, `1.5`, `1e+21`, `1e-7`.
fn js_number(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let exp = format!("{f:e}");
    match exp.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => exp,
    }
}

/// A problem at `path`.
fn problem(path: &str, code: &'static str, message: impl Into<String>, info: Json) -> Problem {
    Problem {
        path: path.to_owned(),
        code,
        message: message.into(),
        info,
    }
}

/// Appends `/key` (JSON-pointer escaped) to `path`; returns the length to truncate back to.
fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
    len
}

/// Appends `/index` to `path`; returns the length to truncate back to.
fn push_index(path: &mut String, index: usize) -> usize {
    let len = path.len();
    path.push('/');
    path.push_str(&index.to_string());
    len
}

/// `maxLength`/`minLength`, `maxItems`/`minItems`, `maxProperties`/`minProperties`: `size`
/// (characters, items, properties) against the schema's `[most, least]` keywords.
fn size_bounds(
    s: &Map<String, Json>,
    [most, least]: [&'static str; 2],
    size: f64,
    noun: &str,
    path: &str,
    out: &mut Vec<Problem>,
) {
    for (keyword, more) in [(most, true), (least, false)] {
        let Some(limit) = s.get(keyword).and_then(Json::as_f64) else {
            continue;
        };
        if (more && size > limit) || (!more && size < limit) {
            let comparison = if more { "more" } else { "fewer" };
            let shown = js_number(limit);
            out.push(problem(
                path,
                keyword,
                format!("must NOT have {comparison} than {shown} {noun}"),
                json!({"limit": js_json(&s[keyword])}),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems of `value` against `schema`, with no components.
    fn problems(schema: Json, value: Json) -> Vec<Json> {
        check(&schema, &Map::new(), &value)
            .iter()
            .map(Problem::to_json)
            .collect()
    }

    /// The problems of `value` against `schema`, with `components` as the schemas map.
    fn problems_in(components: Json, schema: Json, value: Json) -> Vec<Json> {
        let Json::Object(schemas) = components else {
            panic!("components must be an object");
        };
        check(&schema, &schemas, &value)
            .iter()
            .map(Problem::to_json)
            .collect()
    }

    /// One detail as LoopBack sends it.
    fn detail(path: &str, code: &str, message: &str, info: Json) -> Json {
        json!({"path": path, "code": code, "message": message, "info": info})
    }

    #[test]
    fn valid_values_have_no_problems() {
        let schema = json!({
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "maxLength": 5},
                "done": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": false,
        });
        let value = json!({"title": "abc", "done": true, "tags": ["a", "b"]});
        assert_eq!(problems(schema, value), Vec::<Json>::new());
        assert!(problems(json!({}), json!({"anything": [1, null]})).is_empty());
        assert!(problems(json!(true), json!(5)).is_empty());
    }

    #[test]
    fn required_reports_each_missing_property_at_the_object() {
        let schema = json!({"type": "object", "required": ["title", "done", "id"]});
        assert_eq!(
            problems(schema, json!({"done": null})),
            vec![
                detail(
                    "",
                    "required",
                    "must have required property 'title'",
                    json!({"missingProperty": "title"})
                ),
                detail(
                    "",
                    "required",
                    "must have required property 'id'",
                    json!({"missingProperty": "id"})
                ),
            ]
        );
    }

    #[test]
    fn type_names_the_declared_type() {
        for (ty, value) in [
            ("string", json!(1)),
            ("number", json!("1")),
            ("integer", json!(true)),
            ("boolean", json!(0)),
            ("array", json!({})),
            ("object", json!([])),
            ("null", json!(0)),
        ] {
            assert_eq!(
                problems(json!({"type": ty}), value),
                vec![detail(
                    "",
                    "type",
                    &format!("must be {ty}"),
                    json!({"type": ty})
                )],
                "{ty}"
            );
        }
        assert_eq!(
            problems(json!({"type": ["string", "integer"]}), json!(true)),
            vec![detail(
                "",
                "type",
                "must be string,integer",
                json!({"type": ["string", "integer"]})
            )]
        );
    }

    #[test]
    fn integer_accepts_integral_floats_like_ajv() {
        let schema = json!({"type": "integer"});
        assert!(problems(schema.clone(), json!(3)).is_empty());
        assert!(problems(schema.clone(), json!(3.0)).is_empty());
        assert!(problems(schema.clone(), json!(-7)).is_empty());
        assert!(problems(schema.clone(), json!(u64::MAX)).is_empty());
        assert_eq!(
            problems(schema, json!(3.5)),
            vec![detail(
                "",
                "type",
                "must be integer",
                json!({"type": "integer"})
            )]
        );
        assert!(problems(json!({"type": "number"}), json!(3.5)).is_empty());
    }

    #[test]
    fn integer_keeps_checking_number_keywords_after_a_fractional_value() {
        // `integer` has no keyword group of its own, so AJV checks the type up front and
        // still applies the number keywords to 0.5.
        let schema = json!({"type": "integer", "minimum": 1});
        assert_eq!(
            problems(schema, json!(0.5)),
            vec![
                detail("", "type", "must be integer", json!({"type": "integer"})),
                detail(
                    "",
                    "minimum",
                    "must be >= 1",
                    json!({"comparison": ">=", "limit": 1})
                ),
            ]
        );
    }

    #[test]
    fn a_failed_type_does_not_descend() {
        let schema = json!({
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string"}},
            "additionalProperties": false,
        });
        assert_eq!(
            problems(schema, json!(["a"])),
            vec![detail(
                "",
                "type",
                "must be object",
                json!({"type": "object"})
            )]
        );
        let schema = json!({"type": "array", "items": {"type": "string"}, "minItems": 2});
        assert_eq!(
            problems(schema, json!({"0": 1})),
            vec![detail(
                "",
                "type",
                "must be array",
                json!({"type": "array"})
            )]
        );
        let schema = json!({"type": "string", "maxLength": 1, "pattern": "^a"});
        assert_eq!(
            problems(schema, json!(12345)),
            vec![detail(
                "",
                "type",
                "must be string",
                json!({"type": "string"})
            )]
        );
    }

    #[test]
    fn type_errors_sit_where_ajv_puts_them() {
        // A single type without keywords of its own: checked first.
        assert_eq!(
            problems(json!({"type": "string", "enum": ["a"]}), json!(5)),
            vec![
                detail("", "type", "must be string", json!({"type": "string"})),
                detail(
                    "",
                    "enum",
                    "must be equal to one of the allowed values",
                    json!({"allowedValues": ["a"]})
                ),
            ]
        );
        // With string keywords: checked in the string group, after the any-type keywords.
        assert_eq!(
            problems(
                json!({"type": "string", "maxLength": 3, "enum": ["a"]}),
                json!(5)
            ),
            vec![
                detail(
                    "",
                    "enum",
                    "must be equal to one of the allowed values",
                    json!({"allowedValues": ["a"]})
                ),
                detail("", "type", "must be string", json!({"type": "string"})),
            ]
        );
    }

    #[test]
    fn nullable_allows_null_only_when_true() {
        let nullable = json!({"type": "string", "nullable": true, "maxLength": 2});
        assert!(problems(nullable.clone(), json!(null)).is_empty());
        assert!(problems(nullable.clone(), json!("ab")).is_empty());
        // The message names the declared type only, as AJV's does.
        assert_eq!(
            problems(nullable, json!(1)),
            vec![detail(
                "",
                "type",
                "must be string",
                json!({"type": "string"})
            )]
        );
        for schema in [
            json!({"type": "string"}),
            json!({"type": "string", "nullable": false}),
        ] {
            assert_eq!(
                problems(schema, json!(null)),
                vec![detail(
                    "",
                    "type",
                    "must be string",
                    json!({"type": "string"})
                )]
            );
        }
        let object = json!({
            "type": "object",
            "properties": {"due": {"type": "string", "nullable": true}},
        });
        assert!(problems(object, json!({"due": null})).is_empty());
        // An `enum` must list null itself, as in AJV.
        assert_eq!(
            problems(
                json!({"type": "string", "nullable": true, "enum": ["a"]}),
                json!(null)
            ),
            vec![detail(
                "",
                "enum",
                "must be equal to one of the allowed values",
                json!({"allowedValues": ["a"]})
            )]
        );
    }

    #[test]
    fn additional_properties_false_reports_each_unknown_key() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {}},
            "additionalProperties": false,
        });
        assert_eq!(
            problems(schema, json!({"a": 1, "foo": 2, "bar": 3})),
            vec![
                detail(
                    "",
                    "additionalProperties",
                    "must NOT have additional properties",
                    json!({"additionalProperty": "foo"})
                ),
                detail(
                    "",
                    "additionalProperties",
                    "must NOT have additional properties",
                    json!({"additionalProperty": "bar"})
                ),
            ]
        );
    }

    #[test]
    fn additional_properties_schema_checks_the_extra_values() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": {"type": "integer"},
        });
        assert_eq!(
            problems(schema, json!({"a": "x", "n": 1, "m": "two"})),
            vec![detail(
                "/m",
                "type",
                "must be integer",
                json!({"type": "integer"})
            )]
        );
        assert!(
            problems(
                json!({"type": "object", "additionalProperties": true}),
                json!({"x": 1})
            )
            .is_empty()
        );
    }

    #[test]
    fn pattern_properties_are_not_additional() {
        let schema = json!({
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": false,
        });
        assert_eq!(
            problems(schema, json!({"x-a": "ok", "x-b": 1, "y": 0})),
            vec![
                detail(
                    "",
                    "additionalProperties",
                    "must NOT have additional properties",
                    json!({"additionalProperty": "y"})
                ),
                detail("/x-b", "type", "must be string", json!({"type": "string"})),
            ]
        );
    }

    #[test]
    fn property_counts() {
        let schema = json!({"type": "object", "minProperties": 2, "maxProperties": 3});
        assert!(problems(schema.clone(), json!({"a": 1, "b": 2})).is_empty());
        assert_eq!(
            problems(schema.clone(), json!({"a": 1})),
            vec![detail(
                "",
                "minProperties",
                "must NOT have fewer than 2 properties",
                json!({"limit": 2})
            )]
        );
        assert_eq!(
            problems(schema, json!({"a": 1, "b": 2, "c": 3, "d": 4})),
            vec![detail(
                "",
                "maxProperties",
                "must NOT have more than 3 properties",
                json!({"limit": 3})
            )]
        );
    }

    #[test]
    fn string_lengths_count_code_points() {
        let schema = json!({"type": "string", "maxLength": 5, "minLength": 2});
        // Five code points, more than five UTF-16 units and bytes.
        assert!(problems(schema.clone(), json!("h😀llé")).is_empty());
        assert_eq!(
            problems(schema.clone(), json!("h😀llé!")),
            vec![detail(
                "",
                "maxLength",
                "must NOT have more than 5 characters",
                json!({"limit": 5})
            )]
        );
        assert_eq!(
            problems(schema, json!("😀")),
            vec![detail(
                "",
                "minLength",
                "must NOT have fewer than 2 characters",
                json!({"limit": 2})
            )]
        );
    }

    #[test]
    fn pattern_is_unanchored_and_a_bad_one_is_skipped() {
        let schema = json!({"type": "string", "pattern": "^a"});
        assert!(problems(schema.clone(), json!("abc")).is_empty());
        assert_eq!(
            problems(schema, json!("bac")),
            vec![detail(
                "",
                "pattern",
                "must match pattern \"^a\"",
                json!({"pattern": "^a"})
            )]
        );
        assert!(problems(json!({"pattern": "b"}), json!("abc")).is_empty());
        assert!(
            problems(
                json!({"type": "string", "pattern": "(unclosed"}),
                json!("x")
            )
            .is_empty()
        );
    }

    #[test]
    fn minimum_and_maximum_inclusive() {
        let schema = json!({"type": "number", "minimum": 1, "maximum": 10});
        assert!(problems(schema.clone(), json!(1)).is_empty());
        assert!(problems(schema.clone(), json!(10.0)).is_empty());
        assert_eq!(
            problems(schema.clone(), json!(0)),
            vec![detail(
                "",
                "minimum",
                "must be >= 1",
                json!({"comparison": ">=", "limit": 1})
            )]
        );
        assert_eq!(
            problems(schema, json!(10.5)),
            vec![detail(
                "",
                "maximum",
                "must be <= 10",
                json!({"comparison": "<=", "limit": 10})
            )]
        );
    }

    #[test]
    fn exclusive_bounds_in_both_forms() {
        // OpenAPI 3.0: a boolean beside minimum/maximum, reported under minimum/maximum.
        let boolean = json!({
            "type": "number",
            "minimum": 1.0,
            "exclusiveMinimum": true,
            "maximum": 2.5,
            "exclusiveMaximum": true,
        });
        assert!(problems(boolean.clone(), json!(2)).is_empty());
        assert_eq!(
            problems(boolean.clone(), json!(1)),
            vec![detail(
                "",
                "minimum",
                "must be > 1",
                json!({"comparison": ">", "limit": 1})
            )]
        );
        assert_eq!(
            problems(boolean, json!(2.5)),
            vec![detail(
                "",
                "maximum",
                "must be < 2.5",
                json!({"comparison": "<", "limit": 2.5})
            )]
        );
        let not_exclusive = json!({"minimum": 1, "exclusiveMinimum": false});
        assert!(problems(not_exclusive, json!(1)).is_empty());
        // JSON Schema: the bound itself.
        let numeric = json!({"exclusiveMinimum": 0, "exclusiveMaximum": 5});
        assert!(problems(numeric.clone(), json!(0.1)).is_empty());
        assert_eq!(
            problems(numeric.clone(), json!(0)),
            vec![detail(
                "",
                "exclusiveMinimum",
                "must be > 0",
                json!({"comparison": ">", "limit": 0})
            )]
        );
        assert_eq!(
            problems(numeric, json!(5)),
            vec![detail(
                "",
                "exclusiveMaximum",
                "must be < 5",
                json!({"comparison": "<", "limit": 5})
            )]
        );
    }

    #[test]
    fn multiple_of() {
        let schema = json!({"type": "number", "multipleOf": 0.5});
        assert!(problems(schema.clone(), json!(1.5)).is_empty());
        assert!(problems(schema.clone(), json!(3)).is_empty());
        assert_eq!(
            problems(schema, json!(1.25)),
            vec![detail(
                "",
                "multipleOf",
                "must be multiple of 0.5",
                json!({"multipleOf": 0.5})
            )]
        );
        assert_eq!(
            problems(json!({"multipleOf": 2.0}), json!(7)),
            vec![detail(
                "",
                "multipleOf",
                "must be multiple of 2",
                json!({"multipleOf": 2})
            )]
        );
    }

    #[test]
    fn integer_width_formats() {
        let int32 = json!({"type": "integer", "format": "int32"});
        assert!(problems(int32.clone(), json!(2_147_483_647)).is_empty());
        assert!(problems(int32.clone(), json!(-2_147_483_648)).is_empty());
        assert!(problems(int32.clone(), json!(5.0)).is_empty());
        assert_eq!(
            problems(int32.clone(), json!(2_147_483_648_i64)),
            vec![detail(
                "",
                "format",
                "must match format \"int32\"",
                json!({"format": "int32"})
            )]
        );
        // A fraction fails both the type and the format, as in AJV.
        assert_eq!(
            problems(int32, json!(1.5))
                .iter()
                .map(|p| p["code"].clone())
                .collect::<Vec<_>>(),
            vec![json!("type"), json!("format")]
        );
        let int64 = json!({"type": "integer", "format": "int64"});
        assert!(problems(int64.clone(), json!(i64::MIN)).is_empty());
        assert!(problems(int64.clone(), json!(i64::MAX)).is_empty());
        assert_eq!(problems(int64.clone(), json!(u64::MAX)).len(), 1);
        assert_eq!(problems(int64, json!(1e19)).len(), 1);
        for (format, ok, bad) in [
            ("int8", json!(-128), json!(128)),
            ("int16", json!(32767), json!(-32769)),
            ("uint8", json!(255), json!(256)),
            ("uint16", json!(0), json!(-1)),
            ("uint32", json!(4_294_967_295_u32), json!(4_294_967_296_u64)),
            ("uint64", json!(u64::MAX), json!(-1)),
        ] {
            let schema = json!({"type": "integer", "format": format});
            assert!(problems(schema.clone(), ok).is_empty(), "{format}");
            assert_eq!(
                problems(schema, bad),
                vec![detail(
                    "",
                    "format",
                    &format!("must match format \"{format}\""),
                    json!({"format": format})
                )],
                "{format}"
            );
        }
        // Other formats are informational; integer formats leave strings alone.
        assert!(problems(json!({"type": "number", "format": "double"}), json!(1.5)).is_empty());
        assert!(
            problems(
                json!({"type": "string", "format": "email"}),
                json!("not an email")
            )
            .is_empty()
        );
        assert!(problems(json!({"format": "int32"}), json!("99999999999")).is_empty());
    }

    #[test]
    fn enum_and_const_compare_like_javascript() {
        let schema = json!({"enum": [1, "a", {"x": [1, 2]}, null]});
        for ok in [
            json!(1),
            json!(1.0),
            json!("a"),
            json!({"x": [1.0, 2]}),
            json!(null),
        ] {
            assert!(problems(schema.clone(), ok.clone()).is_empty(), "{ok}");
        }
        assert_eq!(
            problems(schema, json!({"x": [2, 1]})),
            vec![detail(
                "",
                "enum",
                "must be equal to one of the allowed values",
                json!({"allowedValues": [1, "a", {"x": [1, 2]}, null]})
            )]
        );
        let constant = json!({"const": {"a": 1, "b": [true]}});
        assert!(problems(constant.clone(), json!({"b": [true], "a": 1.0})).is_empty());
        assert_eq!(
            problems(constant, json!({"a": 1})),
            vec![detail(
                "",
                "const",
                "must be equal to constant",
                json!({"allowedValue": {"a": 1, "b": [true]}})
            )]
        );
    }

    #[test]
    fn item_counts_and_paths() {
        let schema = json!({
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {"type": "string"},
        });
        assert_eq!(
            problems(schema.clone(), json!([])),
            vec![detail(
                "",
                "minItems",
                "must NOT have fewer than 1 items",
                json!({"limit": 1})
            )]
        );
        assert_eq!(
            problems(schema, json!(["a", 2, null])),
            vec![
                detail(
                    "",
                    "maxItems",
                    "must NOT have more than 2 items",
                    json!({"limit": 2})
                ),
                detail("/1", "type", "must be string", json!({"type": "string"})),
                detail("/2", "type", "must be string", json!({"type": "string"})),
            ]
        );
    }

    #[test]
    fn unique_items_report_the_pair_ajv_finds() {
        // Scalar item types: AJV's indexed scan from the end, skipping wrong types.
        let scalar = json!({"type": "array", "uniqueItems": true, "items": {"type": "integer"}});
        assert!(problems(scalar.clone(), json!([1, 2, 3])).is_empty());
        assert_eq!(
            problems(scalar.clone(), json!([1, 2, 1.0])),
            vec![detail(
                "",
                "uniqueItems",
                "must NOT have duplicate items (items ## 2 and 0 are identical)",
                json!({"i": 0, "j": 2})
            )]
        );
        // "x" is not an integer: skipped by the scan, reported by `items`.
        assert_eq!(
            problems(scalar, json!(["x", 1, "x"])),
            vec![
                detail("/0", "type", "must be integer", json!({"type": "integer"})),
                detail("/2", "type", "must be integer", json!({"type": "integer"})),
            ]
        );
        // Anything else: each item against the ones before it, from the end.
        let general = json!({"type": "array", "uniqueItems": true});
        assert_eq!(
            problems(general, json!([{"a": 1}, {"b": 2}, {"a": 1.0}, 3])),
            vec![detail(
                "",
                "uniqueItems",
                "must NOT have duplicate items (items ## 0 and 2 are identical)",
                json!({"i": 2, "j": 0})
            )]
        );
        assert!(problems(json!({"uniqueItems": false}), json!([1, 1])).is_empty());
        let nullable = json!({
            "uniqueItems": true,
            "items": {"type": "string", "nullable": true},
        });
        assert!(problems(nullable.clone(), json!(["null", null])).is_empty());
        assert_eq!(problems(nullable, json!([null, "a", null])).len(), 1);
    }

    #[test]
    fn tuple_items_check_by_position() {
        let schema = json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(
            problems(schema, json!(["a", "b", "c"])),
            vec![detail(
                "/1",
                "type",
                "must be integer",
                json!({"type": "integer"})
            )]
        );
    }

    #[test]
    fn nested_objects_in_arrays_through_ref() {
        let components = json!({
            "TodoList": {
                "type": "object",
                "required": ["title"],
                "properties": {
                    "title": {"type": "string"},
                    "todos": {"type": "array", "items": {"$ref": "#/components/schemas/Todo"}},
                },
                "additionalProperties": false,
            },
            "Todo": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 3},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
        });
        let schema = json!({"$ref": "#/components/schemas/TodoList"});
        let value = json!({
            "todos": [
                {"name": "ok"},
                {},
                {"name": "toolong"},
                {"name": 5, "tags": ["a", 1]},
                "nope",
            ],
            "extra": true,
        });
        assert_eq!(
            problems_in(components, schema, value),
            vec![
                detail(
                    "",
                    "required",
                    "must have required property 'title'",
                    json!({"missingProperty": "title"})
                ),
                detail(
                    "",
                    "additionalProperties",
                    "must NOT have additional properties",
                    json!({"additionalProperty": "extra"})
                ),
                detail(
                    "/todos/1",
                    "required",
                    "must have required property 'name'",
                    json!({"missingProperty": "name"})
                ),
                detail(
                    "/todos/2/name",
                    "maxLength",
                    "must NOT have more than 3 characters",
                    json!({"limit": 3})
                ),
                detail(
                    "/todos/3/name",
                    "type",
                    "must be string",
                    json!({"type": "string"})
                ),
                detail(
                    "/todos/3/tags/1",
                    "type",
                    "must be string",
                    json!({"type": "string"})
                ),
                detail(
                    "/todos/4",
                    "type",
                    "must be object",
                    json!({"type": "object"})
                ),
            ]
        );
    }

    #[test]
    fn unknown_refs_are_skipped() {
        assert!(problems(json!({"$ref": "#/components/schemas/Nope"}), json!(1)).is_empty());
        assert!(problems(json!({"$ref": "http://elsewhere/x.json"}), json!(1)).is_empty());
        // Escaped names resolve.
        let components = json!({"a/b": {"type": "string"}});
        assert_eq!(
            problems_in(
                components,
                json!({"$ref": "#/components/schemas/a~1b"}),
                json!(1)
            )
            .len(),
            1
        );
    }

    #[test]
    fn paths_escape_json_pointer_characters() {
        let schema = json!({"properties": {"a/b~c": {"type": "string"}}});
        assert_eq!(
            problems(schema, json!({"a/b~c": 1})),
            vec![detail(
                "/a~1b~0c",
                "type",
                "must be string",
                json!({"type": "string"})
            )]
        );
    }

    #[test]
    fn all_of_collects_every_branch() {
        let schema = json!({
            "allOf": [
                {"type": "object", "required": ["a"]},
                {"required": ["b"]},
            ],
        });
        assert_eq!(
            problems(schema, json!({})),
            vec![
                detail(
                    "",
                    "required",
                    "must have required property 'a'",
                    json!({"missingProperty": "a"})
                ),
                detail(
                    "",
                    "required",
                    "must have required property 'b'",
                    json!({"missingProperty": "b"})
                ),
            ]
        );
    }

    #[test]
    fn any_of_keeps_branch_problems_only_when_all_fail() {
        let schema = json!({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]});
        assert!(problems(schema.clone(), json!("x")).is_empty());
        assert!(problems(schema.clone(), json!(7)).is_empty());
        assert_eq!(
            problems(schema, json!(3)),
            vec![
                detail("", "type", "must be string", json!({"type": "string"})),
                detail(
                    "",
                    "minimum",
                    "must be >= 5",
                    json!({"comparison": ">=", "limit": 5})
                ),
                detail("", "anyOf", "must match a schema in anyOf", json!({})),
            ]
        );
    }

    #[test]
    fn one_of_reports_passing_schemas() {
        let schema = json!({
            "oneOf": [
                {"type": "integer"},
                {"type": "number", "minimum": 2},
                {"type": "string"},
            ],
        });
        assert!(problems(schema.clone(), json!("x")).is_empty());
        assert!(problems(schema.clone(), json!(1)).is_empty());
        assert_eq!(
            problems(schema.clone(), json!(3)),
            vec![detail(
                "",
                "oneOf",
                "must match exactly one schema in oneOf",
                json!({"passingSchemas": [0, 1]})
            )]
        );
        assert_eq!(
            problems(schema, json!(true)),
            vec![
                detail("", "type", "must be integer", json!({"type": "integer"})),
                detail("", "type", "must be number", json!({"type": "number"})),
                detail("", "type", "must be string", json!({"type": "string"})),
                detail(
                    "",
                    "oneOf",
                    "must match exactly one schema in oneOf",
                    json!({"passingSchemas": null})
                ),
            ]
        );
        // The failing branches before the second pass stay, as in AJV.
        let schema = json!({"oneOf": [{"type": "string"}, {}, {}]});
        assert_eq!(
            problems(schema, json!(1)),
            vec![
                detail("", "type", "must be string", json!({"type": "string"})),
                detail(
                    "",
                    "oneOf",
                    "must match exactly one schema in oneOf",
                    json!({"passingSchemas": [1, 2]})
                ),
            ]
        );
    }

    #[test]
    fn not_and_false_schemas() {
        let schema = json!({"not": {"type": "string"}});
        assert!(problems(schema.clone(), json!(1)).is_empty());
        assert_eq!(
            problems(schema, json!("x")),
            vec![detail("", "not", "must NOT be valid", json!({}))]
        );
        assert_eq!(
            problems(json!({"properties": {"a": false}}), json!({"a": 1})),
            vec![detail(
                "/a",
                "false schema",
                "boolean schema is false",
                json!({})
            )]
        );
    }

    #[test]
    fn problem_to_json_has_loopback_fields() {
        let found = check(&json!({"required": ["x"]}), &Map::new(), &json!({}));
        assert_eq!(
            found,
            vec![Problem {
                path: String::new(),
                code: "required",
                message: "must have required property 'x'".to_owned(),
                info: json!({"missingProperty": "x"}),
            }]
        );
        let keys: Vec<String> = match found[0].to_json() {
            Json::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        };
        assert_eq!(keys, ["path", "code", "message", "info"]);
    }

    #[test]
    fn reference_cycles_stop() {
        let components = json!({
            "Loop": {"$ref": "#/components/schemas/Loop"},
            "Twice": {"allOf": [
                {"$ref": "#/components/schemas/Twice"},
                {"$ref": "#/components/schemas/Twice"},
            ]},
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "string"}]},
        });
        for name in ["Loop", "Twice"] {
            let schema = json!({"$ref": format!("#/components/schemas/{name}")});
            assert!(problems_in(components.clone(), schema, json!(1)).is_empty());
        }
        // A branch that only leads back to itself on the same value counts as passing.
        let schema = json!({"$ref": "#/components/schemas/A"});
        assert!(problems_in(components.clone(), schema.clone(), json!("s")).is_empty());
        assert!(problems_in(components, schema, json!(1)).is_empty());
    }

    #[test]
    fn recursive_schemas_follow_the_data() {
        let components = json!({
            "Node": {
                "type": "object",
                "properties": {
                    "v": {"type": "integer"},
                    "child": {"$ref": "#/components/schemas/Node"},
                },
            },
        });
        let schema = json!({"$ref": "#/components/schemas/Node"});
        let value = json!({"v": 1, "child": {"v": 2, "child": {"v": "three"}}});
        assert_eq!(
            problems_in(components, schema, value),
            vec![detail(
                "/child/child/v",
                "type",
                "must be integer",
                json!({"type": "integer"})
            )]
        );
    }

    #[test]
    fn problems_are_capped_and_unique_items_are_linear() {
        let many = Json::Array(vec![json!(1); 10_000]);
        let capped = check(
            &json!({"type": "array", "items": {"type": "string"}}),
            &Map::new(),
            &many,
        );
        assert_eq!(capped.len(), MAX_PROBLEMS);
        // Distinct objects, no item schema: one pass (a quadratic scan would take minutes).
        let distinct = Json::Array((0..50_000).map(|i| json!({"n": i})).collect());
        assert!(check(&json!({"uniqueItems": true}), &Map::new(), &distinct).is_empty());
        let mut twice = distinct.clone();
        if let Json::Array(items) = &mut twice {
            items.push(json!({"n": 7}));
        }
        let found = problems(json!({"uniqueItems": true}), twice);
        assert_eq!(found[0]["info"], json!({"i": 50_000, "j": 7}));
    }

    #[test]
    fn deep_input_does_not_overflow() {
        let components = json!({
            "Node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/components/schemas/Node"}},
                "required": ["child"],
            },
            "Nested": {"type": "array", "items": {"$ref": "#/components/schemas/Nested"}},
        });
        let mut value = json!(null);
        let mut array = json!(1);
        for _ in 0..400 {
            value = json!({"child": value});
            array = Json::Array(vec![array]);
        }
        let pair = Json::Array(vec![array.clone(), array.clone()]);
        let node = json!({"$ref": "#/components/schemas/Node"});
        let nested = json!({"$ref": "#/components/schemas/Nested"});
        // The check itself fits a small stack at its depth bound; the values are built and
        // dropped outside, on the test's own thread.
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .stack_size(1024 * 1024)
                .spawn_scoped(scope, || {
                    // Checked as deep as the bound allows, then refused once (not skipped).
                    for problems in [
                        problems_in(components.clone(), node, value.clone()),
                        problems_in(components, nested, array.clone()),
                    ] {
                        assert_eq!(problems.len(), 1, "{problems:?}");
                        assert_eq!(problems[0]["code"], "maxDepth");
                    }
                    // Deep equality is iterative.
                    let schemas = Map::new();
                    let constant = json!({"const": &value});
                    assert!(check(&constant, &schemas, &value).is_empty());
                    let listed = json!({"enum": [&array]});
                    assert_eq!(check(&listed, &schemas, &value).len(), 1);
                    let unique = json!({"uniqueItems": true});
                    assert_eq!(check(&unique, &schemas, &pair).len(), 1);
                });
            match worker.map(|w| w.join()) {
                Ok(Ok(())) => {}
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(e) => panic!("no thread: {e}"),
            }
        });
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        assert_eq!(js_number(1.0), "1");
        assert_eq!(js_number(-3.0), "-3");
        assert_eq!(js_number(0.5), "0.5");
        assert_eq!(js_number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(js_number(1e20), "100000000000000000000");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(1.5e-7), "1.5e-7");
        assert_eq!(js_number(0.000001), "0.000001");
        assert_eq!(js_number(-0.0), "0");
        assert_eq!(
            js_json(&json!([1.0, 2.5, {"a": -4.0}])),
            json!([1, 2.5, {"a": -4}])
        );
    }

    mod poem_generated {
        use poem_openapi::{Object, registry::Registry, types::Type};

        use super::*;

        /// A nested object, referenced by name.
        #[derive(Object)]
        struct Tag {
            #[oai(validator(min_length = 1))]
            name: String,
        }

        /// A body as a custom endpoint declares it.
        #[derive(Object)]
        struct NewTodo {
            #[oai(validator(max_length = 10))]
            title: String,
            #[oai(validator(minimum(value = "1"), maximum(value = "5", exclusive)))]
            priority: Option<i32>,
            #[oai(validator(pattern = "^[a-z]+$"))]
            slug: Option<String>,
            tags: Vec<Tag>,
            /// The main tag, described (poem wraps the reference in `allOf`).
            main: Option<Tag>,
            count: u8,
        }

        /// The generated `components.schemas` and the body's schema.
        fn generated() -> (Map<String, Json>, Json) {
            let mut registry = Registry::new();
            NewTodo::register(&mut registry);
            let schemas = match serde_json::to_value(&registry.schemas) {
                Ok(Json::Object(schemas)) => schemas,
                other => panic!("schemas did not serialize: {other:?}"),
            };
            let body = match serde_json::to_value(NewTodo::schema_ref()) {
                Ok(body) => body,
                Err(e) => panic!("schema ref did not serialize: {e}"),
            };
            (schemas, body)
        }

        fn codes_and_paths(value: Json) -> Vec<(String, &'static str, String)> {
            let (schemas, body) = generated();
            check(&body, &schemas, &value)
                .into_iter()
                .map(|p| (p.path, p.code, p.message))
                .collect()
        }

        #[test]
        fn the_generated_schema_has_the_validators() {
            let (schemas, body) = generated();
            assert_eq!(body, json!({"$ref": "#/components/schemas/NewTodo"}));
            let todo = &schemas["NewTodo"];
            assert_eq!(todo["type"], "object");
            assert_eq!(todo["required"], json!(["title", "tags", "count"]));
            assert_eq!(todo["properties"]["title"]["maxLength"], 10);
            assert_eq!(todo["properties"]["priority"]["minimum"], 1.0);
            assert_eq!(todo["properties"]["priority"]["exclusiveMaximum"], true);
            assert_eq!(todo["properties"]["priority"]["format"], "int32");
            assert_eq!(
                todo["properties"]["tags"]["items"],
                json!({"$ref": "#/components/schemas/Tag"})
            );
        }

        #[test]
        fn a_valid_body_passes() {
            let value = json!({
                "title": "write",
                "priority": 4,
                "slug": "abc",
                "tags": [{"name": "x"}],
                "main": {"name": "y"},
                "count": 3,
            });
            assert_eq!(codes_and_paths(value), vec![]);
            assert_eq!(
                codes_and_paths(json!({"title": "t", "tags": [], "count": 0})),
                vec![]
            );
        }

        #[test]
        fn every_problem_is_reported() {
            let value = json!({
                "title": "far too long a title",
                "priority": 5,
                "slug": "Not-A-Slug",
                "tags": [{"name": ""}, {}, 7],
                "main": {"name": 1},
                "count": 300,
            });
            let s = |p: &str| p.to_owned();
            assert_eq!(
                codes_and_paths(value),
                vec![
                    (
                        s("/title"),
                        "maxLength",
                        s("must NOT have more than 10 characters")
                    ),
                    (s("/priority"), "maximum", s("must be < 5")),
                    (s("/slug"), "pattern", s("must match pattern \"^[a-z]+$\"")),
                    (
                        s("/tags/0/name"),
                        "minLength",
                        s("must NOT have fewer than 1 characters")
                    ),
                    (
                        s("/tags/1"),
                        "required",
                        s("must have required property 'name'")
                    ),
                    (s("/tags/2"), "type", s("must be object")),
                    (s("/main/name"), "type", s("must be string")),
                    (s("/count"), "format", s("must match format \"uint8\"")),
                ]
            );
        }

        #[test]
        fn option_fields_are_not_nullable() {
            // poem-openapi does not mark `Option` fields `nullable`: null is rejected, as
            // LoopBack rejects it for a property without `nullable: true`.
            assert_eq!(
                codes_and_paths(json!({
                    "title": "t",
                    "tags": [],
                    "count": 1,
                    "priority": null,
                    "main": null,
                })),
                vec![
                    ("/priority".to_owned(), "type", "must be integer".to_owned()),
                    ("/main".to_owned(), "type", "must be object".to_owned()),
                ]
            );
        }

        #[test]
        fn missing_fields_and_minimum() {
            assert_eq!(
                codes_and_paths(json!({"priority": 0})),
                vec![
                    (
                        String::new(),
                        "required",
                        "must have required property 'title'".to_owned()
                    ),
                    (
                        String::new(),
                        "required",
                        "must have required property 'tags'".to_owned()
                    ),
                    (
                        String::new(),
                        "required",
                        "must have required property 'count'".to_owned()
                    ),
                    ("/priority".to_owned(), "minimum", "must be >= 1".to_owned()),
                ]
            );
        }
    }
}
