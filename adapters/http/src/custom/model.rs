//! The app's models as poem-openapi types: [`Model<E>`] and [`NewModel<E>`] take and return a
//! Portico entity in a custom operation, with the schema the document already publishes for
//! it (`#/components/schemas/Todo`, `NewTodo`) and the model's own validation.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use portico_domain::{Entity, ModelDef, WriteMode};
use serde_json::Value as Json;

/// Which of a model's published schemas a custom operation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ModelSchema {
    /// `Todo`: the entity as reads return it and replacement bodies carry it.
    Entity,
    /// `NewTodo`: a create body (no store-generated id).
    New,
}

thread_local! {
    /// The models named by the types of the custom API being registered (see [`collect`]).
    static COLLECTED: RefCell<Option<Vec<(&'static ModelDef, ModelSchema)>>> =
        const { RefCell::new(None) };
}

/// Runs `register` (a custom API's `OpenApi::register`), returning the models its types refer
/// to, so the document can publish their schemas even when no resource mounts them.
pub(crate) fn collect(register: impl FnOnce()) -> Vec<(&'static ModelDef, ModelSchema)> {
    COLLECTED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    register();
    COLLECTED
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default()
}

fn note(model: &'static ModelDef, schema: ModelSchema) {
    COLLECTED.with(|c| {
        if let Some(models) = c.borrow_mut().as_mut()
            && !models
                .iter()
                .any(|(m, s)| std::ptr::eq(*m, model) && *s == schema)
        {
            models.push((model, schema));
        }
    });
}

/// An entity as a custom operation takes or returns it: `Json<Model<Todo>>`,
/// `Json<Vec<Model<Todo>>>`. Its schema is the model's (`#/components/schemas/Todo`); as a
/// body it is validated as a replacement (every required property, the id included when the
/// model has one), and it renders as the generated routes render the entity (hidden properties
/// left out).
///
/// ```no_run
/// # use portico_domain::Entity;
/// # #[derive(Entity, Clone, Debug)] struct Todo { #[portico(id, generated)] id: Option<i64>, title: String }
/// use poem_openapi::{OpenApi, param::Path, payload::Json};
/// use portico_http::{ApiError, Model};
///
/// struct Extras;
///
/// #[OpenApi]
/// impl Extras {
///     /// The todo with the longest title.
///     #[oai(path = "/todos/longest", method = "get", operation_id = "TodoExtras.longest")]
///     async fn longest(&self) -> Result<Json<Model<Todo>>, ApiError> {
///         Ok(Json(Model(Todo { id: Some(1), title: "…".into() })))
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Model<E>(pub E);

/// An entity to create, as a custom operation's body: `Json<NewModel<Todo>>`. Its schema is
/// the model's create body (`NewTodo`: no store-generated id), validated as the generated
/// `POST` validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel<E>(pub E);

macro_rules! model_type {
    ($wrapper:ident, $schema:expr, $mode:expr, $name:expr) => {
        impl<E> Deref for $wrapper<E> {
            type Target = E;
            fn deref(&self) -> &E {
                &self.0
            }
        }

        impl<E> DerefMut for $wrapper<E> {
            fn deref_mut(&mut self) -> &mut E {
                &mut self.0
            }
        }

        impl<E: Entity> Type for $wrapper<E> {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                let name: fn(&ModelDef) -> String = $name;
                Cow::Owned(name(E::definition()))
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Reference(Self::name().into_owned())
            }

            fn register(_registry: &mut Registry) {
                // The document publishes the model's schemas itself; only say which.
                note(E::definition(), $schema);
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl<E: Entity> ParseFromJSON for $wrapper<E> {
            fn parse_from_json(value: Option<Json>) -> ParseResult<Self> {
                let value = value.unwrap_or(Json::Null);
                let model = E::definition();
                let record = model
                    .record_from_json(&value, $mode)
                    .map_err(|errors| ParseError::custom(errors.to_string()))?;
                E::from_record(record)
                    .map($wrapper)
                    .map_err(|e| ParseError::custom(e.to_string()))
            }
        }

        impl<E: Entity> ToJSON for $wrapper<E> {
            fn to_json(&self) -> Option<Json> {
                Some(E::definition().to_public_json(&self.0.to_record()))
            }
        }
    };
}

model_type!(Model, ModelSchema::Entity, WriteMode::Replace, |m| m
    .name
    .clone());
model_type!(NewModel, ModelSchema::New, WriteMode::Create, |m| format!(
    "New{}",
    m.name
));
