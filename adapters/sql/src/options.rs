//! [`SqlOptions`]: the pool's size and acquire timeout, and the namespace a store works in.

use std::time::Duration;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) namespace: Option<String>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            namespace: None,
        }
    }
}

impl SqlOptions {
    /// The most connections the pool opens (default 10; SQLite in memory always uses 1).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long to wait for a connection before failing with `Unavailable` (default 5 s).
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Works inside this PostgreSQL schema (`search_path`) or MySQL database, which must exist.
    /// Ignored by SQLite.
    pub fn namespace(mut self, name: impl Into<String>) -> Self {
        self.namespace = Some(name.into());
        self
    }
}
