//! # portico-domain
//!
//! Portico's pure core: [values](value), [model metadata](model), [entities](entity), the
//! LoopBack [filter DSL](filter), [validation] and the domain [`Error`]. It does no IO and knows
//! no async runtime, database driver or web framework; adapters translate what it defines.
//!
//! ```
//! use portico_domain::{Entity, Filter};
//!
//! #[derive(Entity, Clone, Debug)]
//! struct Todo {
//!     #[portico(id, generated)]
//!     id: Option<i64>,
//!     #[portico(length(min = 1, max = 200))]
//!     title: String,
//!     is_complete: Option<bool>,
//! }
//!
//! // Typed: a typo such as `Todo::FIELDS.titel` does not compile.
//! let f = Todo::FIELDS;
//! let typed = Filter::new().where_(f.title.like("%milk%")).order(f.title.desc()).limit(3);
//!
//! // The same filter in LoopBack's JSON form.
//! let json = serde_json::json!({"where": {"title": {"like": "%milk%"}}, "order": "title DESC", "limit": 3});
//! assert_eq!(Filter::from_json(&json).unwrap(), typed);
//!
//! // Property names follow LoopBack's camelCase convention.
//! assert!(Todo::definition().get("isComplete").is_some());
//! ```
#![warn(missing_docs)]

pub mod entity;
pub mod error;
pub mod filter;
pub mod model;
pub mod relation;
pub mod validation;
pub mod value;

/// Calendar dates ([`PropertyType::Date`]) and exact decimals ([`PropertyType::Decimal`]), as
/// entity fields hold them.
pub use chrono::NaiveDate;
pub use entity::{Entity, Field, Navigation, Patch, RecordError};
pub use error::{AuthFailure, BoxError, Error, Result};
pub use filter::{
    Capabilities, CheckOptions, Checked, Condition, Direction, Fields, Filter, FilterError,
    FilterErrors, Inclusion, Limits, Op, Order, RegexSpec, Where,
};
pub use model::{
    Constraints, DEFAULT_DECIMAL, DefaultValue, Format, IdStrategy, IndexKind, ModelDef,
    ModelSettings, ObjectDef, PropertyDef, PropertyType, ValueCheck,
};
pub use portico_derive::{Embedded, Entity, PropertyEnum};
pub use relation::{ModelRef, RelationDef, RelationKeys, RelationKind, ThroughDef};
pub use rust_decimal::Decimal;
pub use validation::{ValidationDetail, ValidationErrors, WriteMode};
pub use value::{FieldValue, Record, TypeMismatch, Value};

/// Items the derive macro's generated code refers to. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::entity::{
        Navigation, put_field, take_field, take_member, take_value, with_decimal,
    };
    pub use crate::value::TypeMismatch;
    pub use regex::Regex;
    pub use std::sync::OnceLock;
}
