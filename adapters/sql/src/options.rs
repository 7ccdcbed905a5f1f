//! [`SqlOptions`]: the pool's size and acquire timeout, the namespace a store works in, and how
//! durably SQLite commits.

use std::time::Duration;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) namespace: Option<String>,
    pub(crate) sqlite_synchronous: SqliteSynchronous,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            namespace: None,
            sqlite_synchronous: SqliteSynchronous::Normal,
        }
    }
}

/// When a SQLite file database waits for the disk (its `synchronous` pragma; the file is
/// always in WAL mode).
///
/// Either way a crash of the process loses nothing committed and never corrupts the file; they
/// differ on a power loss or an OS crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    /// The default: commits append to the write-ahead log without waiting for the disk, which
    /// is synced at checkpoints. A power loss may undo the last transactions committed before
    /// it (never a part of one). Commits cost microseconds instead of a disk flush each.
    #[default]
    Normal,
    /// Every commit waits until the log is on the disk: nothing committed is lost even on a
    /// power loss, at the cost of one flush per commit.
    Full,
}

impl SqlOptions {
    /// The most connections the pool opens (default 10). A SQLite file uses them for reads and
    /// one more connection for every write; SQLite in memory always uses 1 for everything.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long to wait for a connection before failing with `Unavailable` (default 5 s). A
    /// SQLite write also waits this long for another process's write lock.
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

    /// How durably a SQLite file commits (default [`SqliteSynchronous::Normal`]). Ignored by
    /// the other backends and by SQLite in memory.
    pub fn sqlite_synchronous(mut self, synchronous: SqliteSynchronous) -> Self {
        self.sqlite_synchronous = synchronous;
        self
    }
}
