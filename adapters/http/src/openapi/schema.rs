//! Component schemas of models, as LoopBack names them: `Todo`, `NewTodo`, `TodoPartial`,
//! `TodoReplacement`, `TodoWithRelations`, `NewTodoInTodoList`, `loopback.Count` and the
//! error envelope `loopback.Error`.
//!
//! What a body may hold is decided by the domain (`PropertyDef::accepts_null`,
//! `PropertyDef::body_min_length`, `ModelDef::record_from_json`); these schemas only publish it,
//! so the schema and the validation cannot disagree.

use portico_domain::{DefaultValue, ModelDef, PropertyDef, PropertyType, Value, WriteMode};
use serde_json::{Map, Value as Json, json};

use crate::routes::{read_schema_name, replacement_schema_name};

/// A `$ref` to a component schema.
pub(crate) fn schema_ref(name: &str) -> Json {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of one value of a property type.
pub(crate) fn type_schema(ty: &PropertyType) -> Json {
    match ty {
        PropertyType::String => json!({"type": "string"}),
        PropertyType::Integer => json!({"type": "integer", "format": "int64"}),
        PropertyType::Number => json!({"type": "number"}),
        PropertyType::Boolean => json!({"type": "boolean"}),
        PropertyType::DateTime => json!({"type": "string", "format": "date-time"}),
        PropertyType::Uuid => json!({"type": "string", "format": "uuid"}),
        PropertyType::Json => json!({}),
        PropertyType::Array(item) => json!({"type": "array", "items": type_schema(item)}),
    }
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
    /// `TodoReplacement`: the replace body, only generated when hidden properties exist.
    Replacement,
}

impl Variant {
    /// The write a body of this schema is validated for.
    fn mode(self) -> WriteMode {
        match self {
            Variant::New => WriteMode::Create,
            Variant::Partial => WriteMode::Patch,
            // `Todo` is the replace body too (see `replacement_schema_name`).
            Variant::Response | Variant::Replacement => WriteMode::Replace,
        }
    }
}

/// The schema of a property in a schema of `variant`: its type, constraints, default and
/// description; `nullable` where a body may give `null`; `readOnly` for the id wherever the
/// client cannot set it (everywhere but the create body of a client-supplied id).
fn property_schema(property: &PropertyDef, variant: Variant) -> Json {
    let mut schema = type_schema(&property.ty);
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    let c = &property.constraints;
    if let Some(format) = c.format {
        object.insert("format".into(), json!(format.as_str()));
    }
    if let Some(min) = property.body_min_length() {
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
    if let Some(DefaultValue::Value(value)) = &property.default {
        object.insert("default".into(), value.to_json());
    }
    if let Some(description) = &property.description {
        object.insert("description".into(), json!(description));
    }
    // `{}` (any) already admits null.
    if property.accepts_null(variant.mode()) && property.ty != PropertyType::Json {
        object.insert("nullable".into(), json!(true));
    }
    if property.id && variant != Variant::New {
        object.insert("readOnly".into(), json!(true));
    }
    schema
}

/// The schema of `model` for `variant`, and its name.
pub(crate) fn model_schema(model: &ModelDef, variant: Variant) -> (String, Json) {
    let name = &model.name;
    let included = |p: &&PropertyDef| match variant {
        Variant::Response => !p.hidden,
        Variant::New => !(p.id && p.generated),
        Variant::Partial | Variant::Replacement => true,
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for property in model.properties.iter().filter(included) {
        properties.insert(property.name.clone(), property_schema(property, variant));
        let must_be_given = property.required && !(property.id && property.generated);
        let required_here = match variant {
            Variant::Partial => false,
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
    if variant == Variant::Partial {
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
    let (_, schema) = model_schema(model, Variant::Response);
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
                    "details": {
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
                },
                "required": ["statusCode", "name", "message"],
            },
        },
        "required": ["error"],
    })
}
