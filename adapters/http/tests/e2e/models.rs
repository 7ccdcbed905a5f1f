//! The suite's own models and the API that serves them: notes in folders, each folder with at
//! most one cover — the three relation kinds `lb4 relation` generates routes for (has many,
//! belongs to, has one) — and `/hello`, an extra documented route.

use std::sync::Arc;

use poem::Response;
use poem::endpoint::BoxEndpoint;
use portico_domain::{Entity, Error};
use portico_http::{
    CorsPolicy, CrudResource, DEFAULT_BODY_LIMIT, DEFAULT_MAX_PAGE_SIZE, RelationResource, RestApi,
};
use portico_ports::{CrudRepository, Repository, Store};
use serde_json::json;

/// A note (LoopBack's Todo in miniature): a required string, optional string and boolean
/// properties, an `any` property, and the folder it may belong to.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)] // the suite reads the metadata, not the fields
pub struct Note {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    pub body: Option<String>,
    pub done: Option<bool>,
    pub tag: Option<serde_json::Value>,
    #[portico(index)]
    pub folder_id: Option<i64>,
    #[portico(belongs_to(target = Folder))]
    pub folder: Option<Box<Folder>>,
}

/// A folder of notes, with an optional cover.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
pub struct Folder {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    pub color: Option<String>,
    #[portico(has_many(target = Note))]
    pub notes: Option<Vec<Note>>,
    #[portico(has_one(target = Cover))]
    pub cover: Option<Box<Cover>>,
}

/// The one cover of a folder: its key is unique.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
pub struct Cover {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub value: String,
    #[portico(unique)]
    pub folder_id: Option<i64>,
    #[portico(belongs_to(target = Folder))]
    pub folder: Option<Box<Folder>>,
}

/// A board of cards, shared by everyone (the auth cases').
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
pub struct Board {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    #[portico(has_many(target = Card))]
    pub cards: Option<Vec<Card>>,
}

/// A card on a board, owned by the user who created it (the auth cases').
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)]
pub struct Card {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    #[portico(index)]
    pub owner_id: Option<String>,
    #[portico(index)]
    pub board_id: Option<i64>,
    #[portico(belongs_to(target = Board))]
    pub board: Option<Box<Board>>,
}

/// Migrates the three models into `store`.
pub async fn migrate(store: &dyn Store) -> Result<(), Error> {
    for model in [
        Note::definition(),
        Folder::definition(),
        Cover::definition(),
    ] {
        store.migrate(model).await?;
    }
    Ok(())
}

/// How the API is served: what an app would configure.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cors: CorsPolicy,
    pub max_page_size: u64,
    pub body_limit: usize,
    pub read_only: bool,
    /// `RestApi::prohibited_keys`.
    pub prohibited_keys: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cors: CorsPolicy::AnyOrigin,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            body_limit: DEFAULT_BODY_LIMIT,
            read_only: false,
            prohibited_keys: Vec::new(),
        }
    }
}

/// The API over `store`: `/notes` and `/folders` (the eight CRUD routes each), the relation
/// routes `/folders/{id}/notes`, `/folders/{id}/cover` and `/notes/{id}/folder`, and `/hello`.
pub fn api(
    store: Arc<dyn Store>,
    settings: &Settings,
) -> Result<BoxEndpoint<'static, Response>, String> {
    let notes = Repository::<Note>::new(store.clone())
        .map_err(|e| e.to_string())?
        .records()
        .clone();
    let folders = Repository::<Folder>::new(store)
        .map_err(|e| e.to_string())?
        .records()
        .clone();
    let resource = |base: &str, repository: &CrudRepository| {
        CrudResource::new(base, Arc::new(repository.clone()))
            .max_page_size(settings.max_page_size)
            .read_only(settings.read_only)
    };
    let relation = |base: &str, repository: &CrudRepository, name: &str| {
        RelationResource::new(base, repository.clone(), name)
            .max_page_size(settings.max_page_size)
            .read_only(settings.read_only)
    };
    RestApi::new("notes", "1.0.0")
        .resource(resource("/notes", &notes))
        .resource(resource("/folders", &folders))
        .relation(relation("/folders", &folders, "notes"))
        .relation(relation("/folders", &folders, "cover"))
        .relation(relation("/notes", &notes, "folder"))
        .route(
            "/hello",
            poem::get(poem::endpoint::make_sync(|_| {
                Response::builder()
                    .content_type("application/json")
                    .body(r#"{"greeting":"hello"}"#)
            })),
            Some(json!({"get": {
                "operationId": "HelloController.hello",
                "responses": {"200": {"description": "A greeting"}}
            }})),
        )
        .cors(settings.cors.clone())
        .body_limit(settings.body_limit)
        .prohibited_keys(settings.prohibited_keys.clone())
        .into_endpoint()
        .map_err(|e| e.to_string())
}

/// A book's binding: an enum property.
#[derive(portico_domain::PropertyEnum, Clone, Copy, Debug, PartialEq)]
#[portico(rename_all = "lowercase")]
pub enum Binding {
    Hardcover,
    Paperback,
    #[portico(rename = "e-book")]
    Ebook,
}

/// An embedded value object.
#[derive(portico_domain::Embedded, Clone, Debug, PartialEq)]
pub struct Publisher {
    pub name: String,
    pub city: Option<String>,
    #[portico(length(max = 10))]
    pub zip: Option<String>,
}

/// A user-defined value type: an ISBN-13, a string of 13 digits; its parsing refuses others.
#[derive(Clone, Debug, PartialEq)]
pub struct Isbn(pub String);

impl portico_domain::FieldValue for Isbn {
    fn property_type() -> portico_domain::PropertyType {
        portico_domain::PropertyType::String
    }
    fn into_value(self) -> portico_domain::Value {
        portico_domain::Value::String(self.0)
    }
    fn from_value(value: portico_domain::Value) -> Result<Self, portico_domain::TypeMismatch> {
        match value {
            portico_domain::Value::String(s)
                if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Isbn(s))
            }
            _ => Err(portico_domain::TypeMismatch::new("an ISBN-13 (13 digits)")),
        }
    }
}

/// The value types beyond the scalars: a date, a decimal, an enum, an embedded object, bytes
/// and a user-defined type.
#[derive(Entity, Clone, Debug, PartialEq)]
#[allow(dead_code)]
pub struct Book {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    pub published: Option<portico_domain::NaiveDate>,
    #[portico(decimal(precision = 10, scale = 2))]
    pub price: Option<portico_domain::Decimal>,
    pub binding: Option<Binding>,
    pub publisher: Option<Publisher>,
    pub cover: Option<Vec<u8>>,
    pub isbn: Option<Isbn>,
}

/// `/books` over `store` (the model migrated first).
pub fn books_api(store: Arc<dyn Store>) -> Result<BoxEndpoint<'static, Response>, String> {
    let runtime = crate::support::server::runtime();
    runtime
        .block_on(store.migrate(Book::definition()))
        .map_err(|e| e.to_string())?;
    let books = Repository::<Book>::new(store).map_err(|e| e.to_string())?;
    RestApi::new("books", "1.0.0")
        .resource(CrudResource::new(
            "/books",
            Arc::new(books.records().clone()),
        ))
        .into_endpoint()
        .map_err(|e| e.to_string())
}
