//! Model metadata: what a model is named, which properties it has and how they behave.
//!
//! One [`ModelDef`] is the single source of truth for storage (column names, indexes),
//! validation (required, constraints), filters (known properties and their types) and, in the
//! HTTP adapter, the published JSON schemas.

use std::fmt;

use crate::relation::RelationDef;
use crate::value::Value;

/// The type of a property, as JSON schema and LoopBack name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyType {
    /// A UTF-8 string.
    String,
    /// A 64-bit integer.
    Integer,
    /// A 64-bit float.
    Number,
    /// A boolean.
    Boolean,
    /// A UTC date-time, millisecond precision.
    DateTime,
    /// A calendar date without a time zone (`2024-05-01`), ordered.
    Date,
    /// An exact decimal number of at most `precision` digits, `scale` of them after the point
    /// (SQL's `NUMERIC(precision, scale)`). Stored values carry exactly `scale` fraction digits;
    /// JSON shows them as a string (`"8.50"`), so no client reads money through a float.
    Decimal {
        /// The most significant digits (1..=28).
        precision: u8,
        /// The digits after the decimal point (at most `precision`).
        scale: u8,
    },
    /// One of a fixed list of strings (a Rust enum of unit variants, see
    /// `#[derive(PropertyEnum)]`). Compared with `eq`/`inq`; not ordered.
    Enum(Vec<String>),
    /// A UUID.
    Uuid,
    /// Binary data, base64 (RFC 4648, padded) in JSON.
    Bytes,
    /// Arbitrary JSON (LoopBack's `any` and `object`).
    Json,
    /// An embedded value object: a nested record with properties of its own (see
    /// `#[derive(Embedded)]`), stored as JSON or a sub-document.
    Object(std::sync::Arc<ObjectDef>),
    /// An array of one item type.
    Array(Box<PropertyType>),
}

/// The properties of an embedded value object ([`PropertyType::Object`]).
#[derive(Debug, Clone)]
pub struct ObjectDef {
    /// The object type's name (`Address`), also its schema name.
    pub name: String,
    /// Its properties, in declaration order.
    pub properties: Vec<PropertyDef>,
}

impl ObjectDef {
    /// The property called `name`.
    pub fn get(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }
}

impl PartialEq for ObjectDef {
    /// Object types are told apart by name and property names and types (constraints hold
    /// regular expressions, which do not compare).
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.properties.len() == other.properties.len()
            && self
                .properties
                .iter()
                .zip(&other.properties)
                .all(|(a, b)| a.name == b.name && a.ty == b.ty && a.required == b.required)
    }
}

impl Eq for ObjectDef {}

/// The decimal type a `rust_decimal::Decimal` field has without a `decimal(...)` attribute.
pub const DEFAULT_DECIMAL: PropertyType = PropertyType::Decimal {
    precision: 18,
    scale: 2,
};

impl PropertyType {
    /// True for types whose values have an order (`gt`, `between`, `order` are allowed).
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            PropertyType::String
                | PropertyType::Integer
                | PropertyType::Number
                | PropertyType::DateTime
                | PropertyType::Date
                | PropertyType::Decimal { .. }
                | PropertyType::Uuid
        )
    }

    /// True for types whose values are single comparable scalars (`eq`, `inq` are allowed).
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            PropertyType::Json
                | PropertyType::Array(_)
                | PropertyType::Bytes
                | PropertyType::Object(_)
        )
    }
}

impl fmt::Display for PropertyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyType::String | PropertyType::Enum(_) => f.write_str("string"),
            PropertyType::Integer => f.write_str("integer"),
            PropertyType::Number => f.write_str("number"),
            PropertyType::Boolean => f.write_str("boolean"),
            PropertyType::DateTime => f.write_str("date-time"),
            PropertyType::Date => f.write_str("date"),
            PropertyType::Decimal { .. } => f.write_str("decimal"),
            PropertyType::Uuid => f.write_str("uuid"),
            PropertyType::Bytes => f.write_str("base64"),
            PropertyType::Json => f.write_str("any"),
            PropertyType::Object(_) => f.write_str("object"),
            PropertyType::Array(item) => write!(f, "array of {item}"),
        }
    }
}

/// What is wrong with a property type, if anything: a decimal beyond what every backend holds
/// exactly (`rust_decimal`'s 28 digits), an enum without values — also inside arrays and
/// embedded objects.
fn type_problem(ty: &PropertyType) -> Option<String> {
    match ty {
        PropertyType::Decimal { precision, scale }
            if *precision == 0 || *precision > 28 || scale > precision =>
        {
            Some(format!(
                "decimal({precision}, {scale}): the precision must be 1 to 28 and the scale at most the precision"
            ))
        }
        PropertyType::Enum(values) if values.is_empty() => {
            Some("an enum needs at least one value".to_owned())
        }
        PropertyType::Array(item) => type_problem(item),
        PropertyType::Object(def) => def.properties.iter().find_map(|member| {
            type_problem(&member.ty).map(|problem| format!("{}: {problem}", member.name))
        }),
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
        | PropertyType::Json => None,
    }
}

/// How a property's value is filled in when a create leaves it out.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A fixed value.
    Value(Value),
    /// The current time (LoopBack's `defaultFn: 'now'`).
    Now,
    /// A fresh random UUID (LoopBack's `defaultFn: 'uuidv4'`).
    Uuid,
}

/// Whether a property is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexKind {
    /// Not indexed.
    #[default]
    None,
    /// A plain index.
    Plain,
    /// A unique index: a second record with the same non-null value is a conflict.
    Unique,
}

/// A well-known string format, checked on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An e-mail address.
    Email,
    /// An absolute URL.
    Uri,
}

impl Format {
    /// The JSON schema name of the format.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Email => "email",
            Format::Uri => "uri",
        }
    }
}

/// Value constraints (LoopBack's `jsonSchema` keywords), checked by the repository on every
/// write.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// Minimum string length, in characters.
    pub min_length: Option<u64>,
    /// Maximum string length, in characters.
    pub max_length: Option<u64>,
    /// A regular expression the string must match (unanchored, as in JSON schema).
    pub pattern: Option<regex::Regex>,
    /// Inclusive lower bound for numbers.
    pub minimum: Option<f64>,
    /// Inclusive upper bound for numbers.
    pub maximum: Option<f64>,
    /// The allowed values.
    pub enum_values: Vec<Value>,
    /// A string format.
    pub format: Option<Format>,
}

impl Constraints {
    /// True when no constraint is set.
    pub fn is_empty(&self) -> bool {
        self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.enum_values.is_empty()
            && self.format.is_none()
    }
}

/// One property of a model.
#[derive(Debug, Clone)]
pub struct PropertyDef {
    /// The property name as API users see it (`isComplete`).
    pub name: String,
    /// Its type.
    pub ty: PropertyType,
    /// Must be present and non-null on create and replace.
    pub required: bool,
    /// This is the id property (one per model).
    pub id: bool,
    /// The value is generated (an integer id by the store, a UUID id by the kit).
    pub generated: bool,
    /// The value filled in when a create leaves the property out.
    pub default: Option<DefaultValue>,
    /// Stored and accepted on input, never shown in API output, never usable in filters.
    pub hidden: bool,
    /// Index kind.
    pub index: IndexKind,
    /// Human description (goes into the published schema).
    pub description: Option<String>,
    /// The column or field name in the store, when it differs from `name`.
    pub storage_name: Option<String>,
    /// Value constraints.
    pub constraints: Constraints,
    /// The optimistic-concurrency version (an integer, one per model): set to 1 on create,
    /// incremented by every write through the repository; a write expecting another version
    /// fails with [`crate::Error::StaleVersion`] and changes nothing.
    pub version: bool,
    /// The parsing of the field's own Rust type ([`crate::FieldValue::check`]), run on every
    /// write after the type and constraint checks, so no path stores a value the entity cannot
    /// read back. The derive sets it; untyped models leave it `None`.
    pub check: Option<ValueCheck>,
}

/// Checks that a value of the right [`PropertyType`] also parses as the field's Rust type.
pub type ValueCheck = fn(&Value) -> Result<(), crate::TypeMismatch>;

impl PropertyDef {
    /// A plain optional property of this type.
    pub fn new(name: impl Into<String>, ty: PropertyType) -> Self {
        PropertyDef {
            name: name.into(),
            ty,
            required: false,
            id: false,
            generated: false,
            default: None,
            hidden: false,
            index: IndexKind::None,
            description: None,
            storage_name: None,
            constraints: Constraints::default(),
            version: false,
            check: None,
        }
    }

    /// Marks the property required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the property as the id.
    pub fn id(mut self) -> Self {
        self.id = true;
        self
    }

    /// Marks the property as the model's optimistic-concurrency version (see
    /// [`PropertyDef::version`]).
    pub fn version(mut self) -> Self {
        self.version = true;
        self
    }

    /// Marks the property generated.
    pub fn generated(mut self) -> Self {
        self.generated = true;
        self
    }

    /// Sets the default.
    pub fn default_value(mut self, default: DefaultValue) -> Self {
        self.default = Some(default);
        self
    }

    /// Marks the property hidden.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Sets the index kind.
    pub fn index(mut self, index: IndexKind) -> Self {
        self.index = index;
        self
    }

    /// Sets the storage (column/field) name.
    pub fn storage_name(mut self, name: impl Into<String>) -> Self {
        self.storage_name = Some(name.into());
        self
    }

    /// Sets the constraints.
    pub fn constraints(mut self, constraints: Constraints) -> Self {
        self.constraints = constraints;
        self
    }

    /// Sets the check of the field's own Rust type (see [`PropertyDef::check`]).
    pub fn checked_by(mut self, check: ValueCheck) -> Self {
        self.check = Some(check);
        self
    }

    /// The name used in the store.
    pub fn column(&self) -> &str {
        self.storage_name.as_deref().unwrap_or(&self.name)
    }
}

/// How ids of a model come to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStrategy {
    /// An integer generated by the store (auto-increment, or an atomic counter on MongoDB),
    /// starting at 1 and increasing, on every backend.
    StoreInteger,
    /// A random UUID generated by the kit before the insert.
    KitUuid,
    /// A string generated by the store: a MongoDB ObjectId, as 24 lowercase hex digits, whose
    /// order is creation order. Only stores with the `object_ids` capability hold such models.
    StoreObjectId,
    /// Supplied by the client on create.
    Client,
}

/// Model-wide settings.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// Strict models reject unknown properties (LoopBack's default); free-form models keep them.
    pub strict: bool,
    /// The table or collection name, when it differs from the model name.
    pub storage_name: Option<String>,
    /// Human description.
    pub description: Option<String>,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            strict: true,
            storage_name: None,
            description: None,
        }
    }
}

/// A model definition: name, properties, settings and relations.
#[derive(Debug, Clone)]
pub struct ModelDef {
    /// The model name (`Todo`).
    pub name: String,
    /// Properties in declaration order (which is also the output order).
    pub properties: Vec<PropertyDef>,
    /// Settings.
    pub settings: ModelSettings,
    /// Relations.
    pub relations: Vec<RelationDef>,
}

impl ModelDef {
    /// A strict model with no properties yet.
    pub fn new(name: impl Into<String>) -> Self {
        ModelDef {
            name: name.into(),
            properties: Vec::new(),
            settings: ModelSettings::default(),
            relations: Vec::new(),
        }
    }

    /// Adds a property.
    pub fn property(mut self, property: PropertyDef) -> Self {
        self.properties.push(property);
        self
    }

    /// Replaces the settings.
    pub fn settings(mut self, settings: ModelSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Adds a relation.
    pub fn relation(mut self, relation: RelationDef) -> Self {
        self.relations.push(relation);
        self
    }

    /// Looks a relation up by name.
    pub fn get_relation(&self, name: &str) -> Option<&RelationDef> {
        self.relations.iter().find(|r| r.name == name)
    }

    /// Checks every relation against its target models ([`RelationDef::check`]). Separate from
    /// [`ModelDef::check`], which must not reach other models: a definition is checked while
    /// it is built, when a target pointing back at it cannot be built yet.
    ///
    /// # Errors
    /// A list of human-readable problems.
    pub fn check_relations(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for (i, r) in self.relations.iter().enumerate() {
            if self.relations[..i].iter().any(|q| q.name == r.name) {
                problems.push(format!(
                    "relation {}.{} is declared twice",
                    self.name, r.name
                ));
            }
            if let Err(more) = r.check(self) {
                problems.extend(more);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Looks a property up by its API name.
    pub fn get(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The id property.
    ///
    /// # Panics
    /// Never for a model that passed [`ModelDef::check`]; repositories check on construction.
    pub fn id_property(&self) -> &PropertyDef {
        self.properties
            .iter()
            .find(|p| p.id)
            .expect("a checked model has exactly one id property")
    }

    /// How this model's ids are produced.
    pub fn id_strategy(&self) -> IdStrategy {
        let id = self.id_property();
        match (id.generated, &id.ty) {
            (true, PropertyType::Integer) => IdStrategy::StoreInteger,
            (true, PropertyType::String) => IdStrategy::StoreObjectId,
            (true, _) => IdStrategy::KitUuid,
            (false, _) => IdStrategy::Client,
        }
    }

    /// The optimistic-concurrency version property, if the model has one.
    pub fn version_property(&self) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.version)
    }

    /// The table or collection name.
    pub fn storage_name(&self) -> &str {
        self.settings.storage_name.as_deref().unwrap_or(&self.name)
    }

    /// Checks the definition itself: exactly one id property, a generated id is an integer or a
    /// UUID, unique property and storage names, constraints that fit their types.
    ///
    /// # Errors
    /// A list of human-readable problems.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let ids: Vec<_> = self.properties.iter().filter(|p| p.id).collect();
        if ids.len() != 1 {
            problems.push(format!(
                "model {} must have exactly one id property, found {}",
                self.name,
                ids.len()
            ));
        }
        for id in ids {
            if id.generated
                && !matches!(
                    id.ty,
                    PropertyType::Integer | PropertyType::Uuid | PropertyType::String
                )
            {
                problems.push(format!(
                    "generated id {}.{} must be an integer, a uuid or a string",
                    self.name, id.name
                ));
            }
            if !matches!(
                id.ty,
                PropertyType::String | PropertyType::Integer | PropertyType::Uuid
            ) {
                problems.push(format!(
                    "id {}.{} must be a string, integer or uuid",
                    self.name, id.name
                ));
            }
        }
        let versions: Vec<_> = self.properties.iter().filter(|p| p.version).collect();
        if versions.len() > 1 {
            problems.push(format!(
                "model {} has more than one version property",
                self.name
            ));
        }
        for v in versions {
            if v.ty != PropertyType::Integer || v.id {
                problems.push(format!(
                    "version {}.{} must be an integer property other than the id",
                    self.name, v.name
                ));
            }
        }
        for (i, p) in self.properties.iter().enumerate() {
            if self.properties[..i].iter().any(|q| q.name == p.name) {
                problems.push(format!(
                    "property {}.{} is declared twice",
                    self.name, p.name
                ));
            }
            if self.properties[..i]
                .iter()
                .any(|q| q.column() == p.column())
            {
                problems.push(format!(
                    "storage name {} of {}.{} is used twice",
                    p.column(),
                    self.name,
                    p.name
                ));
            }
            if let Some(problem) = type_problem(&p.ty) {
                problems.push(format!("{}.{}: {problem}", self.name, p.name));
            }
            let c = &p.constraints;
            let stringy = matches!(p.ty, PropertyType::String);
            if (c.min_length.is_some()
                || c.max_length.is_some()
                || c.pattern.is_some()
                || c.format.is_some())
                && !stringy
            {
                problems.push(format!(
                    "{}.{}: length, pattern and format apply to strings only",
                    self.name, p.name
                ));
            }
            if (c.minimum.is_some() || c.maximum.is_some())
                && !matches!(
                    p.ty,
                    PropertyType::Integer | PropertyType::Number | PropertyType::Decimal { .. }
                )
            {
                problems.push(format!(
                    "{}.{}: minimum and maximum apply to numbers only",
                    self.name, p.name
                ));
            }
            if let Some(DefaultValue::Value(v)) = &p.default
                && !v.fits(&p.ty)
            {
                problems.push(format!(
                    "{}.{}: default value must be {}",
                    self.name, p.name, p.ty
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Renders a record as API output: properties in declaration order, absent ones left out,
    /// hidden ones never included; then included relations (rendered by their target models);
    /// free-form extras (non-strict models) follow. The JSON of the text
    /// [`ModelDef::write_public_json`] writes, which says what is shown once for both.
    pub fn to_public_json(&self, record: &crate::Record) -> serde_json::Value {
        let mut text = Vec::new();
        self.write_public_json(record, &mut text);
        serde_json::from_slice(&text).expect("the JSON text written for a record parses")
    }

    /// A record as API users see it (see [`ModelDef::to_public_json`]), written as JSON text
    /// onto `out` without building a JSON value first (a map and a copy of every key and
    /// string): what the REST routes send.
    pub fn write_public_json(&self, record: &crate::Record, out: &mut Vec<u8>) {
        let mut members = JsonMembers::open(out);
        for p in self.properties.iter().filter(|p| !p.hidden) {
            if let Some(v) = record.get(&p.name).filter(|v| !v.is_null()) {
                v.write_json(members.key(&p.name));
            }
        }
        for r in &self.relations {
            let target = r.target();
            match record.get(&r.name) {
                Some(Value::Object(related)) => {
                    target.write_public_json(related, members.key(&r.name));
                }
                Some(Value::Array(items)) => {
                    let out = members.key(&r.name);
                    out.push(b'[');
                    let related = items.iter().filter_map(|item| match item {
                        Value::Object(related) => Some(related),
                        _ => None,
                    });
                    for (i, related) in related.enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        target.write_public_json(related, out);
                    }
                    out.push(b']');
                }
                _ => {}
            }
        }
        if !self.settings.strict {
            for (k, v) in record.iter().filter(|(k, v)| {
                self.get(k).is_none() && self.get_relation(k).is_none() && !v.is_null()
            }) {
                v.write_json(members.key(k));
            }
        }
        members.close();
    }
}

/// Writes a JSON object's members one after another.
pub(crate) struct JsonMembers<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> JsonMembers<'o> {
    /// Opens the object (`{`).
    pub(crate) fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonMembers { out, first: true }
    }

    /// Writes `"name":` (after a comma unless it is the first), for the value to follow.
    pub(crate) fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        crate::value::write_json_string(name, self.out);
        self.out.push(b':');
        self.out
    }

    /// Closes the object (`}`).
    pub(crate) fn close(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_json_shows_what_api_users_see() {
        let mut model = ModelDef::new("Thing")
            .property(PropertyDef::new("id", PropertyType::Integer).id())
            .property(PropertyDef::new("name", PropertyType::String))
            .property(PropertyDef::new("secret", PropertyType::String).hidden())
            .property(PropertyDef::new("score", PropertyType::Number))
            .property(PropertyDef::new("done", PropertyType::Boolean))
            .property(PropertyDef::new("at", PropertyType::DateTime))
            .property(PropertyDef::new("day", PropertyType::Date))
            .property(PropertyDef::new("price", crate::model::DEFAULT_DECIMAL))
            .property(PropertyDef::new("blob", PropertyType::Bytes))
            .property(PropertyDef::new(
                "tags",
                PropertyType::Array(Box::new(PropertyType::String)),
            ))
            .property(PropertyDef::new("meta", PropertyType::Json));
        model.settings.strict = false;
        let record: crate::Record = [
            ("id", Value::Int(-7)),
            ("name", Value::from("quote \" and \\ and \u{1} and é")),
            ("secret", Value::from("never shown")),
            ("score", Value::Float(0.1)),
            ("done", Value::Bool(false)),
            (
                "at",
                Value::from_json_typed(
                    &serde_json::json!("2024-05-01T10:00:00.123Z"),
                    &PropertyType::DateTime,
                )
                .unwrap(),
            ),
            (
                "day",
                Value::from_json_typed(&serde_json::json!("2024-05-01"), &PropertyType::Date)
                    .unwrap(),
            ),
            (
                "price",
                Value::from_json_typed(&serde_json::json!("12.50"), &crate::model::DEFAULT_DECIMAL)
                    .unwrap(),
            ),
            ("blob", Value::Bytes(vec![0, 1, 255])),
            ("tags", Value::Array(vec![Value::from("a"), Value::Null])),
            (
                "meta",
                Value::Json(Box::new(
                    serde_json::json!({"z": [1, {"y": null}], "a": 1.5}),
                )),
            ),
            (
                "extra",
                Value::Object(
                    [
                        ("k".to_owned(), Value::Int(1)),
                        ("n".to_owned(), Value::Null),
                    ]
                    .into_iter()
                    .collect(),
                ),
            ),
            ("gone", Value::Null),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut written = Vec::new();
        model.write_public_json(&record, &mut written);
        // Declaration order; no hidden, null or absent property; values as the API shows them.
        let expected = r#"{"id":-7,"name":"quote \" and \\ and \u0001 and é","score":0.1,"done":false,"at":"2024-05-01T10:00:00.123Z","day":"2024-05-01","price":"12.50","blob":"AAH/","tags":["a",null],"meta":{"z":[1,{"y":null}],"a":1.5},"extra":{"k":1}}"#;
        assert_eq!(String::from_utf8(written).unwrap(), expected);
        assert_eq!(model.to_public_json(&record).to_string(), expected);
        let mut empty = Vec::new();
        model.write_public_json(&crate::Record::new(), &mut empty);
        assert_eq!(empty, b"{}");
    }

    #[test]
    fn check_reports_every_problem() {
        let def = ModelDef::new("Bad")
            .property(
                PropertyDef::new("a", PropertyType::Boolean)
                    .id()
                    .generated(),
            )
            .property(
                PropertyDef::new("b", PropertyType::Integer).constraints(Constraints {
                    max_length: Some(3),
                    ..Constraints::default()
                }),
            )
            .property(PropertyDef::new("b", PropertyType::String));
        let problems = def.check().unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn decimal_and_enum_types_are_checked() {
        let with = |ty: PropertyType| {
            ModelDef::new("M")
                .property(PropertyDef::new("id", PropertyType::Integer).id())
                .property(PropertyDef::new("p", ty))
                .check()
        };
        assert!(
            with(PropertyType::Decimal {
                precision: 28,
                scale: 28
            })
            .is_ok()
        );
        assert!(
            with(PropertyType::Decimal {
                precision: 29,
                scale: 2
            })
            .is_err()
        );
        assert!(
            with(PropertyType::Decimal {
                precision: 4,
                scale: 5
            })
            .is_err()
        );
        assert!(with(PropertyType::Enum(Vec::new())).is_err());
        assert!(
            with(PropertyType::Array(Box::new(
                PropertyType::Enum(Vec::new())
            )))
            .is_err()
        );
    }

    #[test]
    fn id_strategy_follows_type_and_generated() {
        let m = |ty, generated| {
            let mut p = PropertyDef::new("id", ty).id();
            p.generated = generated;
            ModelDef::new("M").property(p).id_strategy()
        };
        assert_eq!(m(PropertyType::Integer, true), IdStrategy::StoreInteger);
        assert_eq!(m(PropertyType::Uuid, true), IdStrategy::KitUuid);
        assert_eq!(m(PropertyType::String, true), IdStrategy::StoreObjectId);
        assert_eq!(m(PropertyType::String, false), IdStrategy::Client);
    }
}
