//! Component schemas of models, as LoopBack names them: `Todo`, `NewTodo`, `TodoPartial`,
//! `TodoReplacement`, `TodoWithRelations`, `NewTodoInTodoList`, `loopback.Count`, the
//! error envelope `loopback.Error`, and one schema per embedded object type (`Publisher`),
//! which every model and variant embedding it refers to.
//!
//! Value types: a date is `format: date`, bytes `format: byte` (base64), an enum a string
//! with its `enum`; a decimal is a string (`format: decimal`, `x-precision`, `x-scale`) in
//! what only responses carry; a body gives it as such a string within its precision and scale,
//! or as an integer; a filter as a string or any number.
//!
//! What a body may hold is decided by the domain (`PropertyDef::accepts_null`,
//! `PropertyDef::body_min_length`, `ModelDef::record_from_json`); these schemas only publish it,
//! so the schema and the validation cannot disagree.

use portico_domain::{
    DefaultValue, ModelDef, ObjectDef, PropertyDef, PropertyType, Value, WriteMode,
};
use serde_json::{Map, Value as Json, json};

use crate::routes::{read_schema_name, replacement_schema_name, update_all_schema_name};

/// A `$ref` to a component schema.
pub(crate) fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Which way a schema's values travel: a decimal is written as a string or a number, but
/// read back as a string only (see [`decimal_body_schema`] for bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// What responses carry.
    Output,
    /// What a filter or a path parameter may give.
    Input,
    /// What a request body may give: for a decimal, only what fits its precision and scale.
    Body,
}

/// The pattern of a decimal's text as responses write it (and as inputs may).
const DECIMAL_PATTERN: &str = r"^-?\d+(\.\d+)?$";

/// The pattern of a decimal's text in a filter: at most 28 integer digits besides leading zeros.
const FILTER_DECIMAL_PATTERN: &str = r"^-?0*\d{1,28}(\.\d+)?$";

/// A decimal a body may give: its text with at most `precision - scale` integer digits and
/// `scale` fraction digits (leading and trailing zeros aside, as the domain counts them), or an
/// integer within the same bounds. A fraction must come as text: a JSON number with a fraction
/// is a binary float to most clients, the very thing a decimal avoids.
fn decimal_body_schema(precision: u8, scale: u8) -> Json {
    let integer_digits = precision.saturating_sub(scale);
    let integer = if integer_digits == 0 {
        "0+".to_owned()
    } else {
        format!(r"0*\d{{1,{integer_digits}}}")
    };
    let fraction = if scale == 0 {
        r"(\.0+)?".to_owned()
    } else {
        format!(r"(\.\d{{1,{scale}}}0*)?")
    };
    // At most 28 digits, so the bound fits an i128 and, as JSON, is exact up to 10^18.
    let largest = 10i128.pow(u32::from(integer_digits)) - 1;
    let bound = i64::try_from(largest).unwrap_or(i64::MAX);
    json!({"oneOf": [
        {
            "type": "string",
            "format": "decimal",
            "pattern": format!("^-?{integer}{fraction}$"),
            "x-precision": precision,
            "x-scale": scale,
        },
        {"type": "integer", "minimum": -bound, "maximum": bound},
    ]})
}

/// `{"nullable": true, "enum": [null]}`: null and nothing else.
pub(crate) fn null_only() -> Json {
    json!({"nullable": true, "enum": [null]})
}

/// The schema of one value of a property type, as `side` sees it.
pub(crate) fn type_schema(ty: &PropertyType, side: Side) -> Json {
    match ty {
        PropertyType::String => json!({"type": "string"}),
        PropertyType::Integer => json!({"type": "integer", "format": "int64"}),
        PropertyType::Number => json!({"type": "number"}),
        PropertyType::Boolean => json!({"type": "boolean"}),
        PropertyType::DateTime => json!({"type": "string", "format": "date-time"}),
        PropertyType::Date => json!({"type": "string", "format": "date"}),
        PropertyType::Decimal { precision, scale } => {
            let text = json!({
                "type": "string",
                "format": "decimal",
                "pattern": DECIMAL_PATTERN,
                "x-precision": precision,
                "x-scale": scale,
            });
            match side {
                Side::Output => text,
                // A filter bound: any decimal a decimal can be (28 integer digits; a longer
                // fraction is rounded), as text or a number.
                Side::Input => json!({"oneOf": [
                    {
                        "type": "string",
                        "format": "decimal",
                        "pattern": FILTER_DECIMAL_PATTERN,
                    },
                    {"type": "number", "minimum": -1e28, "maximum": 1e28},
                ]}),
                Side::Body => decimal_body_schema(*precision, *scale),
            }
        }
        PropertyType::Enum(values) => json!({"type": "string", "enum": values}),
        PropertyType::Uuid => json!({"type": "string", "format": "uuid"}),
        PropertyType::Bytes => json!({"type": "string", "format": "byte"}),
        PropertyType::Json => json!({}),
        PropertyType::Object(def) => schema_ref(&def.name),
        PropertyType::Array(item) => json!({"type": "array", "items": type_schema(item, side)}),
    }
}

/// `schema`, admitting `null` too: `nullable` beside its `type`, or one more `oneOf` branch
/// for a `$ref` or a `oneOf` (where `nullable` would not apply). `{}` already admits it.
pub(crate) fn nullable(schema: Json) -> Json {
    let Json::Object(mut object) = schema else {
        return schema;
    };
    if object.contains_key("type") {
        object.insert("nullable".into(), json!(true));
        // `nullable` does not widen an `enum`: null must be listed.
        if let Some(Json::Array(values)) = object.get_mut("enum")
            && !values.contains(&Json::Null)
        {
            values.push(Json::Null);
        }
        return Json::Object(object);
    }
    if object.is_empty() {
        return Json::Object(object);
    }
    let has_ref = object.contains_key("$ref");
    if !has_ref && let Some(Json::Array(branches)) = object.get_mut("oneOf") {
        branches.push(null_only());
        return Json::Object(object);
    }
    json!({"oneOf": [Json::Object(object), null_only()]})
}

/// `schema` with annotation keys (`description`, `default`, `readOnly`) beside it; a `$ref`
/// is wrapped in `allOf` first, as OpenAPI 3.0 ignores a `$ref`'s siblings.
fn annotated(schema: Json, keys: Map<String, Json>) -> Json {
    if keys.is_empty() {
        return schema;
    }
    let mut object = match schema {
        Json::Object(object) if !object.contains_key("$ref") => object,
        other => {
            let mut object = Map::new();
            object.insert("allOf".into(), json!([other]));
            object
        }
    };
    object.extend(keys);
    Json::Object(object)
}

/// The value constraints of `property` (lengths, pattern, bounds, allowed values, a string
/// format) on `schema` when it has a `type` (they apply to strings and numbers only).
fn constrained(property: &PropertyDef, min_length: Option<u64>, mut schema: Json) -> Json {
    let Some(object) = schema.as_object_mut().filter(|o| o.contains_key("type")) else {
        return schema;
    };
    let c = &property.constraints;
    if let Some(format) = c.format {
        object.insert("format".into(), json!(format.as_str()));
    }
    if let Some(min) = min_length {
        object.insert("minLength".into(), json!(min));
    }
    if let Some(max) = c.max_length {
        object.insert("maxLength".into(), json!(max));
    }
    if let Some(pattern) = &c.pattern {
        object.insert("pattern".into(), json!(pattern.as_str()));
    }
    if let Some(min) = c.minimum {
        object.insert("minimum".into(), json!(min));
    }
    if let Some(max) = c.maximum {
        object.insert("maximum".into(), json!(max));
    }
    if !c.enum_values.is_empty() {
        let values: Vec<Json> = c.enum_values.iter().map(Value::to_json).collect();
        object.insert("enum".into(), Json::Array(values));
    }
    schema
}

/// The `description` and `default` of `property`.
fn annotations(property: &PropertyDef) -> Map<String, Json> {
    let mut keys = Map::new();
    if let Some(DefaultValue::Value(value)) = &property.default {
        keys.insert("default".into(), value.to_json());
    }
    if let Some(description) = &property.description {
        keys.insert("description".into(), json!(description));
    }
    keys
}

/// The named schema of an embedded object (`Publisher`): its members, those required, no other
/// key. One schema serves every model and variant embedding it (an embedded object is always
/// written whole), so a decimal member admits a number too. A member given `null` is left
/// out, so optional members are nullable.
pub(crate) fn object_schema(def: &ObjectDef) -> Json {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for member in &def.properties {
        let mut schema = constrained(
            member,
            member.constraints.min_length,
            type_schema(&member.ty, Side::Body),
        );
        if !member.required {
            schema = nullable(schema);
        }
        properties.insert(member.name.clone(), annotated(schema, annotations(member)));
        if member.required && member.default.is_none() {
            required.push(json!(member.name));
        }
    }
    let mut schema = Map::new();
    schema.insert("title".into(), json!(def.name));
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Json::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Json::Array(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    Json::Object(schema)
}

/// Every embedded object type `model`'s properties reach (members' own objects included),
/// each once, by name, in declaration order.
pub(crate) fn object_defs(model: &ModelDef) -> Vec<&ObjectDef> {
    fn walk<'a>(ty: &'a PropertyType, found: &mut Vec<&'a ObjectDef>) {
        match ty {
            PropertyType::Object(def) => {
                if found.iter().any(|d| d.name == def.name) {
                    return;
                }
                found.push(def);
                for member in &def.properties {
                    walk(&member.ty, found);
                }
            }
            PropertyType::Array(item) => walk(item, found),
            PropertyType::String
            | PropertyType::Integer
            | PropertyType::Number
            | PropertyType::Boolean
            | PropertyType::DateTime
            | PropertyType::Date
            | PropertyType::Decimal { .. }
            | PropertyType::Enum(_)
            | PropertyType::Uuid
            | PropertyType::Bytes
            | PropertyType::Json => {}
        }
    }
    let mut found = Vec::new();
    for property in &model.properties {
        walk(&property.ty, &mut found);
    }
    found
}

/// Which properties a model schema shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `Todo`: what responses carry (no hidden properties); also the replace body when the
    /// model has no hidden property.
    Response,
    /// `NewTodo`: the create body (no generated id).
    New,
    /// `TodoPartial`: patch bodies (nothing required, at least one property).
    Partial,
    /// `TodoPartialAll`: update-all bodies of a versioned model, the version left out (see
    /// `update_all_schema_name`).
    PartialAll,
    /// `TodoReplacement`: the replace body, only generated when hidden properties exist.
    Replacement,
}

impl Variant {
    /// The write a body of this schema is validated for.
    fn mode(self) -> WriteMode {
        match self {
            Variant::New => WriteMode::Create,
            Variant::Partial | Variant::PartialAll => WriteMode::Patch,
            // `Todo` is the replace body too (see `replacement_schema_name`).
            Variant::Response | Variant::Replacement => WriteMode::Replace,
        }
    }
}

/// The schema of a property in a schema of `variant`: its type, constraints, default and
/// description; `nullable` where a body may give `null`; `readOnly` for the id wherever the
/// client cannot set it (everywhere but the create body of a client-supplied id). `side` is
/// [`Side::Output`] only for schemas no body is checked against.
fn property_schema(property: &PropertyDef, variant: Variant, side: Side) -> Json {
    let schema = constrained(
        property,
        property.body_min_length(),
        type_schema(&property.ty, side),
    );
    let mut keys = annotations(property);
    // `{}` (any) already admits null.
    let accepts_null = property.accepts_null(variant.mode()) && property.ty != PropertyType::Json;
    let read_only = property.id && variant != Variant::New;
    match schema {
        // A `$ref` or a `oneOf`: null is one more branch, annotations sit outside.
        Json::Object(object) if object.contains_key("$ref") || object.contains_key("oneOf") => {
            let schema = Json::Object(object);
            let schema = if accepts_null {
                nullable(schema)
            } else {
                schema
            };
            if read_only {
                keys.insert("readOnly".into(), json!(true));
            }
            annotated(schema, keys)
        }
        Json::Object(mut object) => {
            object.extend(keys);
            if accepts_null {
                object.insert("nullable".into(), json!(true));
                if let (PropertyType::Enum(_), Some(Json::Array(values))) =
                    (&property.ty, object.get_mut("enum"))
                {
                    values.push(Json::Null);
                }
            }
            if read_only {
                object.insert("readOnly".into(), json!(true));
            }
            Json::Object(object)
        }
        other => other,
    }
}

/// The schema of `model` for `variant`, and its name.
pub(crate) fn model_schema(model: &ModelDef, variant: Variant) -> (String, Json) {
    // `Todo` is the replace body too unless the model has hidden properties.
    let side = match variant {
        Variant::Response if replacement_schema_name(model) != model.name => Side::Output,
        _ => Side::Body,
    };
    variant_schema(model, variant, side)
}

/// The schema of `model` for `variant`, its properties seen from `side`, and its name.
fn variant_schema(model: &ModelDef, variant: Variant, side: Side) -> (String, Json) {
    let name = &model.name;
    let included = |p: &&PropertyDef| match variant {
        Variant::Response => !p.hidden,
        Variant::New => !(p.id && p.generated),
        Variant::Partial | Variant::Replacement => true,
        Variant::PartialAll => !p.version,
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for property in model.properties.iter().filter(included) {
        properties.insert(
            property.name.clone(),
            property_schema(property, variant, side),
        );
        let must_be_given = property.required && !(property.id && property.generated);
        let required_here = match variant {
            Variant::Partial | Variant::PartialAll => false,
            Variant::New | Variant::Replacement => must_be_given && property.default.is_none(),
            Variant::Response => must_be_given,
        };
        if required_here {
            required.push(json!(property.name));
        }
    }
    let (title, typescript, description) = match variant {
        Variant::Response => (name.clone(), None, model.settings.description.clone()),
        Variant::New => {
            let (excluded, ts) = without_generated_ids(model);
            let options = format!(
                "(tsType: {ts}, schemaOptions: {{ title: 'New{name}', exclude: [ {} ] }})",
                excluded.join(", ")
            );
            (format!("New{name}"), Some(ts), Some(options))
        }
        Variant::Partial => (
            format!("{name}Partial"),
            Some(format!("Partial<{name}>")),
            Some(format!(
                "(tsType: Partial<{name}>, schemaOptions: {{ partial: true }})"
            )),
        ),
        Variant::PartialAll => (
            update_all_schema_name(model),
            Some(format!(
                "Partial<Omit<{name}, '{}'>>",
                model.version_property().map_or("", |v| v.name.as_str())
            )),
            Some(format!(
                "A patch of every {name} matching `where`: no version, which only a write by id can be conditional on"
            )),
        ),
        Variant::Replacement => (
            replacement_schema_name(model),
            Some(name.clone()),
            Some(format!(
                "A {name} to replace the stored one, hidden properties included"
            )),
        ),
    };
    let mut schema = Map::new();
    schema.insert("title".into(), json!(title));
    schema.insert("type".into(), json!("object"));
    if let Some(description) = description {
        schema.insert("description".into(), json!(description));
    }
    schema.insert("properties".into(), Json::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Json::Array(required));
    }
    if matches!(variant, Variant::Partial | Variant::PartialAll) {
        // An empty patch is refused (400): it would change nothing.
        schema.insert("minProperties".into(), json!(1));
    }
    schema.insert("additionalProperties".into(), json!(!model.settings.strict));
    if let Some(ts) = typescript {
        schema.insert("x-typescript-type".into(), json!(ts));
    }
    (title, Json::Object(schema))
}

/// `TodoListWithRelations`: what reads answer with — the response schema with the
/// navigational properties (an array of the target for to-many relations, the target for
/// to-one ones) and nothing required, since a `fields` filter may leave any property out.
pub(crate) fn with_relations_schema(model: &ModelDef) -> (String, Json) {
    let (_, schema) = variant_schema(model, Variant::Response, Side::Output);
    let title = read_schema_name(model);
    let mut with = Map::new();
    with.insert("title".into(), json!(title));
    with.insert("type".into(), json!("object"));
    with.insert(
        "description".into(),
        json!(format!(
            "(tsType: {title}, schemaOptions: {{ includeRelations: true }}); a `fields` filter leaves properties out"
        )),
    );
    let Json::Object(plain) = schema else {
        return (title, Json::Object(with));
    };
    for (key, mut value) in plain {
        if key == "properties"
            && let Some(properties) = value.as_object_mut()
        {
            for relation in &model.relations {
                let target = schema_ref(&read_schema_name(relation.target()));
                let navigational = if relation.kind.targets_many() {
                    json!({"type": "array", "items": target})
                } else {
                    target
                };
                properties.insert(relation.name.clone(), navigational);
            }
        }
        if !matches!(key.as_str(), "title" | "type" | "description" | "required") {
            with.insert(key, value);
        }
    }
    with.insert("x-typescript-type".into(), json!(title));
    (title, Json::Object(with))
}

/// What a create body leaves out, as LoopBack's `schemaOptions` names it: the quoted names of
/// the store-generated ids, and the TypeScript type of the body (`Omit<Todo, 'id'>`).
fn without_generated_ids(model: &ModelDef) -> (Vec<String>, String) {
    let excluded: Vec<String> = model
        .properties
        .iter()
        .filter(|p| p.id && p.generated)
        .map(|p| format!("'{}'", p.name))
        .collect();
    let ts = if excluded.is_empty() {
        model.name.clone()
    } else {
        format!("Omit<{}, {}>", model.name, excluded.join(" | "))
    };
    (excluded, ts)
}

/// `NewTodoInTodoList`: the create body of a relation route — the target's create body, with
/// the key the relation sets (`optional`) no longer required.
pub(crate) fn new_in_schema(
    target: &ModelDef,
    source: &ModelDef,
    optional: Option<&str>,
) -> (String, Json) {
    let (_, mut schema) = model_schema(target, Variant::New);
    let title = format!("New{}In{}", target.name, source.name);
    let (excluded, ts) = without_generated_ids(target);
    let mut options = format!("title: '{title}', exclude: [ {} ]", excluded.join(", "));
    if let Some(key) = optional {
        options.push_str(&format!(", optional: [ '{key}' ]"));
    }
    if let Some(object) = schema.as_object_mut() {
        object.insert("title".into(), json!(title));
        object.insert(
            "description".into(),
            json!(format!("(tsType: {ts}, schemaOptions: {{ {options} }})")),
        );
        if let Some(key) = optional {
            let required: Vec<Json> = object
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter(|n| *n != key).cloned().collect())
                .unwrap_or_default();
            if required.is_empty() {
                object.remove("required");
            } else {
                object.insert("required".into(), Json::Array(required));
            }
        }
        object.insert("x-typescript-type".into(), json!(ts));
    }
    (title, schema)
}

/// `loopback.Count`.
pub(crate) fn count_schema() -> Json {
    json!({
        "title": "loopback.Count",
        "type": "object",
        "properties": {"count": {"type": "number"}},
        "x-typescript-type": "@loopback/repository#Count",
    })
}

/// The name of the error envelope's schema.
pub(crate) const ERROR_SCHEMA: &str = "loopback.Error";

/// `loopback.Error`: LoopBack's error envelope, the body of every error response.
pub(crate) fn error_schema() -> Json {
    json!({
        "title": ERROR_SCHEMA,
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "statusCode": {"type": "integer"},
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    // One entry per problem; for a `filter` or `where` that is no JSON
                    // (or holds a prohibited key), LoopBack's `{"syntaxError": reason}`.
                    "details": {
                        "oneOf": [
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "path": {"type": "string"},
                                        "code": {"type": "string"},
                                        "message": {"type": "string"},
                                        "info": {"type": "object"},
                                    },
                                },
                            },
                            {
                                "type": "object",
                                "properties": {"syntaxError": {"type": "string"}},
                                "required": ["syntaxError"],
                            },
                        ],
                    },
                },
                "required": ["statusCode", "name", "message"],
            },
        },
        "required": ["error"],
    })
}
