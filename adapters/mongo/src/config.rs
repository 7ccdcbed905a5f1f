//! [`MongoConfig`]: what a store needs to reach its server and database, and the defaults
//! that apply when neither the configuration nor the connection string says otherwise.

use std::time::Duration;

/// The server-selection timeout used when neither the configuration nor the connection string
/// sets one: how long an operation waits for a reachable server before failing with
/// [`Error::Unavailable`](portico_domain::Error::Unavailable).
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The default name of the collection holding the id counters of store-generated integer ids.
pub const DEFAULT_COUNTERS_COLLECTION: &str = "portico_counters";

/// How to reach MongoDB: the connection string, the database and the timeouts. Its `Debug`
/// output hides the credentials of the connection string.
#[derive(Clone)]
pub struct MongoConfig {
    pub(crate) url: String,
    pub(crate) database: Option<String>,
    pub(crate) server_selection_timeout: Option<Duration>,
    pub(crate) counters_collection: String,
}

impl MongoConfig {
    /// A configuration for this `mongodb://` connection string, with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        MongoConfig {
            url: url.into(),
            database: None,
            server_selection_timeout: None,
            counters_collection: DEFAULT_COUNTERS_COLLECTION.to_owned(),
        }
    }

    /// Uses this database (instead of the one in the connection string's path).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.database = Some(name.into());
        self
    }

    /// Fails operations with [`Error::Unavailable`](portico_domain::Error::Unavailable) when no server is usable for this long
    /// (wins over the connection string's `serverSelectionTimeoutMS`).
    pub fn server_selection_timeout(mut self, timeout: Duration) -> Self {
        self.server_selection_timeout = Some(timeout);
        self
    }

    /// Keeps the id counters in this collection (default [`DEFAULT_COUNTERS_COLLECTION`]).
    pub fn counters_collection(mut self, name: impl Into<String>) -> Self {
        self.counters_collection = name.into();
        self
    }
}

impl std::fmt::Debug for MongoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `scheme://user:password@hosts/…` → `scheme://***@hosts/…`
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) => match rest
                .split_once('/')
                .map_or(rest, |(hosts, _)| hosts)
                .rfind('@')
            {
                Some(at) => format!("{scheme}://***{}", &rest[at..]),
                None => self.url.clone(),
            },
            None => "***".to_owned(),
        };
        f.debug_struct("MongoConfig")
            .field("url", &url)
            .field("database", &self.database)
            .field("server_selection_timeout", &self.server_selection_timeout)
            .field("counters_collection", &self.counters_collection)
            .finish()
    }
}
