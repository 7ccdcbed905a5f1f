//! Building a store: the driver client from a [`MongoConfig`], or a database handle you
//! already have, and the start-up check that the server answers.

use bson::doc;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};
use portico_domain::error::Message;
use portico_domain::{Capabilities, Error, Result};

use super::MongoStore;
use crate::config::{DEFAULT_COUNTERS_COLLECTION, DEFAULT_SERVER_SELECTION_TIMEOUT, MongoConfig};
use crate::error;

impl MongoStore {
    /// Connects with the defaults to the database named in the connection string's path
    /// (`mongodb://host:27017/app`). See [`MongoStore::connect_with`].
    ///
    /// # Errors
    /// As [`MongoStore::connect_with`].
    pub async fn connect(url: &str) -> Result<MongoStore> {
        MongoStore::connect_with(MongoConfig::new(url)).await
    }

    /// Builds the driver client for `config`. This does no IO (the driver connects on first
    /// use); use [`MongoStore::ping`] to check the server.
    ///
    /// # Errors
    /// [`Error::Backend`] for an invalid connection string or when no database is named.
    pub async fn connect_with(config: MongoConfig) -> Result<MongoStore> {
        let mut options = ClientOptions::parse(&config.url)
            .await
            .map_err(Error::backend)?;
        if let Some(timeout) = config.server_selection_timeout {
            options.server_selection_timeout = Some(timeout);
        } else if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(DEFAULT_SERVER_SELECTION_TIMEOUT);
        }
        let database = config
            .database
            .or_else(|| options.default_database.clone())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Error::backend(Message(
                    "no MongoDB database: name one in the connection string's path or with \
                     MongoConfig::database"
                        .to_owned(),
                ))
            })?;
        let client = Client::with_options(options).map_err(Error::backend)?;
        Ok(MongoStore::from_database(client.database(&database))
            .with_counters_collection(config.counters_collection))
    }

    /// A store over a database handle you already have (its client's options apply).
    pub fn from_database(db: Database) -> MongoStore {
        let mut capabilities = Capabilities::all_operators();
        capabilities.free_form_properties = true;
        capabilities.object_ids = true;
        capabilities.transactions = true;
        // Conditions on `publisher.city`: dotted field paths into sub-documents.
        capabilities.embedded_paths = true;
        MongoStore {
            db,
            counters: DEFAULT_COUNTERS_COLLECTION.to_owned(),
            capabilities,
            tx: None,
        }
    }

    /// Keeps the id counters in this collection.
    pub fn with_counters_collection(mut self, name: impl Into<String>) -> MongoStore {
        self.counters = name.into();
        self
    }

    /// The database this store works in.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Checks that the server answers (the `ping` command).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no server can be reached within the server-selection
    /// timeout, [`Error::Backend`] for other failures.
    pub async fn ping(&self) -> Result<()> {
        self.db
            .run_command(doc! {"ping": 1})
            .await
            .map(|_| ())
            .map_err(error::map_without_model)
    }
}
