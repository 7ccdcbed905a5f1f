//! Validation of records against model metadata, with AJV-style details as LoopBack reports
//! them (`[{path, code, message, info}]`).
//!
//! The model's metadata is the one source of truth: required properties, types and
//! [`Constraints`](crate::Constraints) come from it, and the checks themselves (string length
//! in characters, e-mail and URL formats) are the `validator` crate's.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Value as J, json};
use validator::{ValidateEmail, ValidateLength, ValidateUrl};

use crate::model::{Format, ModelDef, PropertyDef, PropertyType};
use crate::value::{Record, Value};

/// What kind of write a record is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// A new record: required properties must be present; a generated id must not.
    Create,
    /// A full replacement: required properties must be present.
    Replace,
    /// A partial update: only the given properties are checked.
    Patch,
}

/// One validation problem, shaped like an AJV error as LoopBack's REST layer reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationDetail {
    /// JSON pointer of the offending value (`/title`), or `""` for the object itself.
    pub path: String,
    /// AJV keyword: `required`, `type`, `additionalProperties`, `minLength`, `maxLength`,
    /// `pattern`, `minimum`, `maximum`, `enum`, `format`.
    pub code: String,
    /// AJV-style message, e.g. `must have required property 'title'`.
    pub message: String,
    /// Keyword details, e.g. `{"missingProperty": "title"}`.
    pub info: J,
}

/// Every validation problem of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationErrors {
    /// The model name.
    pub entity: String,
    /// The problems, in property order.
    pub details: Vec<ValidationDetail>,
}

impl ValidationErrors {
    /// No problems yet, for `entity`.
    pub fn new(entity: impl Into<String>) -> Self {
        ValidationErrors {
            entity: entity.into(),
            details: Vec::new(),
        }
    }

    /// Adds a problem.
    pub fn push(
        &mut self,
        path: impl Into<String>,
        code: &str,
        message: impl Into<String>,
        info: J,
    ) {
        self.details.push(ValidationDetail {
            path: path.into(),
            code: code.to_owned(),
            message: message.into(),
            info,
        });
    }

    /// `Ok(value)` when no problem was found.
    ///
    /// # Errors
    /// `self` when it holds problems.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.details.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// True when no problem was found.
    pub fn is_empty(&self) -> bool {
        self.details.is_empty()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "The {} instance is not valid: ", self.entity)?;
        for (i, d) in self.details.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let path = if d.path.is_empty() { "/" } else { &d.path };
            write!(f, "{path} {}", d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl ModelDef {
    /// Converts a JSON request body to a record of this model, checking JSON types strictly and
    /// then validating it for `mode`; every problem is reported. Unknown properties are kept
    /// on free-form models and reported on strict ones; `__proto__` and `constructor.prototype` keys are
    /// always refused (code `prototypeKey`).
    ///
    /// # Errors
    /// All problems found.
    pub fn record_from_json(&self, json: &J, mode: WriteMode) -> Result<Record, ValidationErrors> {
        let mut errors = ValidationErrors::new(&self.name);
        let Some(object) = json.as_object() else {
            errors.push("", "type", "must be object", json!({"type": "object"}));
            return Err(errors);
        };
        for path in crate::value::prototype_key_paths(json) {
            errors.push(
                path,
                "prototypeKey",
                "__proto__ and constructor.prototype keys are not allowed",
                json!({}),
            );
        }
        let mut record = Record::new();
        // Properties whose JSON was already refused: one problem per property, so the record's
        // validation must not report them again (as missing, or as mistyped).
        let mut refused = HashSet::new();
        for (key, value) in object {
            match self.get(key) {
                Some(p) if value.is_null() && !p.accepts_null(mode) => {
                    refused.insert(key.as_str());
                    errors.push(
                        format!("/{key}"),
                        "type",
                        format!("must be {}", p.ty),
                        json!({"type": p.ty.to_string()}),
                    );
                }
                Some(p) => match Value::from_json_typed(value, &p.ty) {
                    Ok(v) => {
                        if let Some(detail) = empty_required_string(p, &v) {
                            errors.details.push(detail);
                        }
                        record.insert(key.clone(), v);
                    }
                    Err(m) => {
                        refused.insert(key.as_str());
                        errors.push(
                            format!("/{key}{}", m.path),
                            "type",
                            format!("must be {}", m.expected),
                            json!({"type": m.expected}),
                        );
                    }
                },
                None => {
                    record.insert(key.clone(), Value::from_json_untyped(value));
                }
            }
        }
        if let Err(more) = self.validate(&record, mode) {
            // Type problems were reported above from the JSON; so were refused properties.
            let reported = |d: &ValidationDetail| {
                d.code == "type"
                    || (d.code == "required"
                        && d.info["missingProperty"]
                            .as_str()
                            .is_some_and(|name| refused.contains(name)))
            };
            errors
                .details
                .extend(more.details.into_iter().filter(|d| !reported(d)));
        }
        errors.into_result(record)
    }

    /// Validates a record for `mode`: unknown properties (strict models), a generated id on
    /// create, required properties, value types and constraints.
    ///
    /// # Errors
    /// All problems found.
    pub fn validate(&self, record: &Record, mode: WriteMode) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new(&self.name);
        for key in record.keys() {
            let known = self.get(key);
            let generated_id =
                known.is_some_and(|p| p.id && p.generated) && mode == WriteMode::Create;
            // `publisher.city` as a key would write into the embedded object behind its
            // validation (a document store reads it as a path): refused on every model.
            let dotted_into_declared = known.is_none()
                && key
                    .split_once('.')
                    .is_some_and(|(head, _)| self.get(head).is_some());
            if (known.is_none() && self.settings.strict) || generated_id || dotted_into_declared {
                errors.push(
                    "",
                    "additionalProperties",
                    "must NOT have additional properties",
                    json!({"additionalProperty": key}),
                );
            }
        }
        for p in &self.properties {
            let value = record.get(&p.name);
            if matches!(mode, WriteMode::Create | WriteMode::Replace)
                && p.required
                && !(p.id && p.generated)
                && value.is_none_or(Value::is_null)
                && p.default.is_none()
            {
                errors.push(
                    "",
                    "required",
                    format!("must have required property '{}'", p.name),
                    json!({"missingProperty": p.name}),
                );
                continue;
            }
            match value {
                Some(Value::Null) if p.required => {
                    errors.push(
                        format!("/{}", p.name),
                        "type",
                        format!("must be {}", p.ty),
                        json!({"type": p.ty.to_string()}),
                    );
                }
                Some(v) if !v.fits(&p.ty) => {
                    errors.push(
                        format!("/{}", p.name),
                        "type",
                        format!("must be {}", p.ty),
                        json!({"type": p.ty.to_string()}),
                    );
                }
                Some(v) if !v.is_null() => check_value(p, v, &format!("/{}", p.name), &mut errors),
                _ => {}
            }
        }
        errors.into_result(())
    }
}

impl PropertyDef {
    /// Whether a JSON body written for `mode` may give `null` for this property (the published
    /// schemas say `nullable` exactly here). A patch clears an optional property with `null`;
    /// a property of LoopBack's `any` type (`Json`) holds `null` as any other value. Elsewhere
    /// `null` is refused, as LoopBack's AJV refuses it for a property not marked nullable: on
    /// create and replace, leaving the property out says the same; the id, the version and
    /// required properties never take it.
    pub fn accepts_null(&self, mode: WriteMode) -> bool {
        !self.required
            && !self.id
            && !self.version
            && (mode == WriteMode::Patch || self.ty == PropertyType::Json)
    }

    /// The fewest characters a string of this property may have in a JSON body: its
    /// `min_length`, and at least 1 when the property is required (LoopBack's presence check
    /// refuses an empty string for a required property). `None` for other types.
    pub fn body_min_length(&self) -> Option<u64> {
        if self.ty != PropertyType::String {
            return None;
        }
        let required = u64::from(self.required);
        match self.constraints.min_length {
            Some(min) => Some(min.max(required)),
            None => (required > 0).then_some(required),
        }
    }
}

/// The problem of an empty string given for a required property whose constraints do not
/// already demand a length (then [`check_constraints`] reports it).
fn empty_required_string(p: &PropertyDef, value: &Value) -> Option<ValidationDetail> {
    let unconstrained = p.constraints.min_length.is_none_or(|min| min == 0);
    match value {
        Value::String(s) if s.is_empty() && p.required && unconstrained => Some(ValidationDetail {
            path: format!("/{}", p.name),
            code: "minLength".to_owned(),
            message: "must NOT have fewer than 1 characters".to_owned(),
            info: json!({"limit": 1}),
        }),
        _ => None,
    }
}

/// Everything but the JSON type of a non-null value that fits `p.ty`: the property's
/// constraints, what its type demands (an enum's values, a decimal's digits, an embedded
/// object's own properties), and the parsing of the field's Rust type.
fn check_value(p: &PropertyDef, value: &Value, path: &str, errors: &mut ValidationErrors) {
    check_constraints(p, value, path, errors);
    let before = errors.details.len();
    check_type(&p.ty, value, path, errors);
    if errors.details.len() == before
        && let Some(check) = p.check
        && let Err(m) = check(value)
    {
        errors.push(
            format!("{path}{}", m.path),
            "format",
            format!("must be {}", m.expected),
            json!({"format": m.expected}),
        );
    }
}

fn check_type(ty: &PropertyType, value: &Value, path: &str, errors: &mut ValidationErrors) {
    match (ty, value) {
        // JSON carries dates as `YYYY-MM-DD`: a year beyond four digits could not be read back.
        (PropertyType::Date, Value::Date(d))
            if !(0..=9999).contains(&chrono::Datelike::year(d)) =>
        {
            errors.push(
                path,
                "format",
                "must be a date of the years 0000 to 9999",
                json!({"format": "date"}),
            );
        }
        (PropertyType::Enum(allowed), Value::String(s)) if !allowed.contains(s) => {
            errors.push(
                path,
                "enum",
                "must be equal to one of the allowed values",
                json!({"allowedValues": allowed}),
            );
        }
        (PropertyType::Decimal { precision, scale }, Value::Decimal(d)) => {
            check_decimal(*precision, *scale, *d, path, errors);
        }
        (PropertyType::Object(def), Value::Object(record)) => {
            for nested in &def.properties {
                let nested_path = format!("{path}/{}", nested.name);
                match record.get(&nested.name).filter(|v| !v.is_null()) {
                    None if nested.required && nested.default.is_none() => errors.push(
                        path,
                        "required",
                        format!("must have required property '{}'", nested.name),
                        json!({"missingProperty": nested.name}),
                    ),
                    None => {}
                    Some(v) => check_value(nested, v, &nested_path, errors),
                }
            }
        }
        (PropertyType::Array(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                check_type(item, v, &format!("{path}/{i}"), errors);
            }
        }
        _ => {}
    }
}

/// A decimal's fraction digits at most `scale` (AJV's `multipleOf`), its integer digits at
/// most `precision - scale` (an exclusive bound).
fn check_decimal(
    precision: u8,
    scale: u8,
    d: rust_decimal::Decimal,
    path: &str,
    errors: &mut ValidationErrors,
) {
    // `ModelDef::check` keeps scales within 28, where this step exists.
    if let Ok(step) = rust_decimal::Decimal::try_new(1, u32::from(scale))
        && d.normalize().scale() > u32::from(scale)
    {
        errors.push(
            path,
            "multipleOf",
            format!("must be multiple of {step}"),
            json!({"multipleOf": step.to_string()}),
        );
        return;
    }
    let integer_digits = u32::from(precision.saturating_sub(scale));
    let limit = 10u128.checked_pow(integer_digits);
    let too_large = limit.is_some_and(|limit| d.trunc().abs().mantissa().unsigned_abs() >= limit);
    if too_large {
        let limit = format!("1e{integer_digits}");
        errors.push(
            path,
            if d.is_sign_negative() {
                "exclusiveMinimum"
            } else {
                "exclusiveMaximum"
            },
            if d.is_sign_negative() {
                format!("must be > -{limit}")
            } else {
                format!("must be < {limit}")
            },
            json!({"comparison": if d.is_sign_negative() { ">" } else { "<" }, "limit": limit}),
        );
    }
}

fn check_constraints(p: &PropertyDef, value: &Value, path: &str, errors: &mut ValidationErrors) {
    let c = &p.constraints;
    let path = || path.to_owned();
    if let Value::String(s) = value {
        if let Some(min) = c.min_length
            && !s.validate_length(Some(min), None, None)
        {
            errors.push(
                path(),
                "minLength",
                format!("must NOT have fewer than {min} characters"),
                json!({"limit": min}),
            );
        }
        if let Some(max) = c.max_length
            && !s.validate_length(None, Some(max), None)
        {
            errors.push(
                path(),
                "maxLength",
                format!("must NOT have more than {max} characters"),
                json!({"limit": max}),
            );
        }
        if let Some(pattern) = &c.pattern
            && !pattern.is_match(s)
        {
            errors.push(
                path(),
                "pattern",
                format!("must match pattern \"{}\"", pattern.as_str()),
                json!({"pattern": pattern.as_str()}),
            );
        }
        let format_ok = match c.format {
            Some(Format::Email) => s.validate_email(),
            Some(Format::Uri) => s.validate_url(),
            None => true,
        };
        if let (false, Some(format)) = (format_ok, c.format) {
            errors.push(
                path(),
                "format",
                format!("must match format \"{}\"", format.as_str()),
                json!({"format": format.as_str()}),
            );
        }
    }
    let number = match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        // The bounds are written as floats; a decimal compares by its nearest one.
        Value::Decimal(d) => rust_decimal::prelude::ToPrimitive::to_f64(d),
        _ => None,
    };
    if let Some(n) = number {
        if let Some(min) = c.minimum.filter(|min| n < *min) {
            errors.push(
                path(),
                "minimum",
                format!("must be >= {min}"),
                json!({"comparison": ">=", "limit": min}),
            );
        }
        if let Some(max) = c.maximum.filter(|max| n > *max) {
            errors.push(
                path(),
                "maximum",
                format!("must be <= {max}"),
                json!({"comparison": "<=", "limit": max}),
            );
        }
    }
    if !c.enum_values.is_empty() && !c.enum_values.iter().any(|allowed| allowed.filter_eq(value)) {
        let allowed: Vec<J> = c.enum_values.iter().map(Value::to_json).collect();
        errors.push(
            path(),
            "enum",
            "must be equal to one of the allowed values",
            json!({"allowedValues": allowed}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Constraints;

    fn model() -> ModelDef {
        ModelDef::new("Todo")
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(
                PropertyDef::new("title", PropertyType::String)
                    .required()
                    .constraints(Constraints {
                        min_length: Some(2),
                        max_length: Some(5),
                        ..Constraints::default()
                    }),
            )
            .property(
                PropertyDef::new("email", PropertyType::String).constraints(Constraints {
                    format: Some(Format::Email),
                    ..Constraints::default()
                }),
            )
            .property(
                PropertyDef::new("stars", PropertyType::Integer).constraints(Constraints {
                    minimum: Some(0.0),
                    maximum: Some(5.0),
                    enum_values: vec![Value::Int(1), Value::Int(3), Value::Int(5)],
                    ..Constraints::default()
                }),
            )
    }

    #[test]
    fn reports_loopback_shaped_details_for_a_create_body() {
        let err = model()
            .record_from_json(
                &json!({"id": 9, "isComplete": true, "email": "nope", "stars": 7}),
                WriteMode::Create,
            )
            .unwrap_err();
        let got: Vec<(String, String)> = err
            .details
            .iter()
            .map(|d| (d.path.clone(), d.code.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("", "additionalProperties"),
                ("", "additionalProperties"),
                ("", "required"),
                ("/email", "format"),
                ("/stars", "maximum"),
                ("/stars", "enum"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(
            err.details[2].message,
            "must have required property 'title'"
        );
        assert_eq!(err.details[2].info, json!({"missingProperty": "title"}));
    }

    #[test]
    fn json_types_are_strict_in_bodies() {
        let err = model()
            .record_from_json(&json!({"title": 5}), WriteMode::Patch)
            .unwrap_err();
        assert_eq!(err.details[0].path, "/title");
        assert_eq!(err.details[0].message, "must be string");
    }

    #[test]
    fn each_property_is_reported_once() {
        let err = model()
            .record_from_json(&json!({"title": 7, "stars": "x"}), WriteMode::Create)
            .unwrap_err();
        let got: Vec<(&str, &str)> = err
            .details
            .iter()
            .map(|d| (d.path.as_str(), d.code.as_str()))
            .collect();
        assert_eq!(got, [("/title", "type"), ("/stars", "type")]);
    }

    #[test]
    fn null_is_a_value_only_where_the_property_accepts_it() {
        let model = model().property(PropertyDef::new("any", PropertyType::Json));
        for mode in [WriteMode::Create, WriteMode::Replace] {
            let err = model
                .record_from_json(&json!({"title": "abc", "email": null}), mode)
                .unwrap_err();
            assert_eq!(
                (
                    err.details.len(),
                    err.details[0].path.as_str(),
                    err.details[0].message.as_str()
                ),
                (1, "/email", "must be string")
            );
            assert!(
                model
                    .record_from_json(&json!({"title": "abc", "any": null}), mode)
                    .is_ok()
            );
        }
        assert!(
            model
                .record_from_json(&json!({"email": null}), WriteMode::Patch)
                .is_ok()
        );
        let title = model
            .record_from_json(&json!({"title": null}), WriteMode::Create)
            .unwrap_err();
        assert_eq!(title.details.len(), 1, "{title}");
        assert_eq!(title.details[0].code, "type");
        for mode in [WriteMode::Patch, WriteMode::Replace] {
            assert!(model.record_from_json(&json!({"id": null}), mode).is_err());
        }
    }

    #[test]
    fn a_required_string_is_not_empty() {
        let model = ModelDef::new("Note")
            .property(
                PropertyDef::new("id", PropertyType::Integer)
                    .id()
                    .generated(),
            )
            .property(PropertyDef::new("text", PropertyType::String).required());
        let err = model
            .record_from_json(&json!({"text": ""}), WriteMode::Create)
            .unwrap_err();
        assert_eq!(err.details[0].code, "minLength");
        assert_eq!(
            model.get("text").and_then(PropertyDef::body_min_length),
            Some(1)
        );
        assert_eq!(model.get("id").and_then(PropertyDef::body_min_length), None);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(
            model()
                .record_from_json(&json!({"title": "ééééé"}), WriteMode::Create)
                .is_ok()
        );
        let err = model()
            .record_from_json(&json!({"title": "a"}), WriteMode::Create)
            .unwrap_err();
        assert_eq!(err.details[0].code, "minLength");
    }
}
