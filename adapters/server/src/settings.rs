//! The environment an app reads (`HOST`, `PORT`, `DATABASE_URL`…), checked, over defaults the
//! app chooses.

use std::time::Duration;

use portico_http::{CorsPolicy, DEFAULT_BODY_LIMIT, DEFAULT_MAX_PAGE_SIZE};

use crate::store::Backend;

/// How long in-flight requests may take to finish after a shutdown signal, unless
/// `SHUTDOWN_GRACE_MS` says otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Every variable [`Settings::from_env`] reads, with what it means: what `<app> --help` lists.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "HOST",
        "the address to listen on (0.0.0.0 for every interface)",
    ),
    ("PORT", "the port (0 picks a free one)"),
    (
        "DATABASE_URL",
        "memory:, sqlite://file.db, sqlite::memory:, postgres://…, mysql://…, mongodb://…/db",
    ),
    (
        "DATABASE_ACQUIRE_TIMEOUT_MS",
        "how long a request waits for the database before 503 (5000)",
    ),
    ("DATABASE_MAX_CONNECTIONS", "the SQL pool's size (10)"),
    (
        "SQLITE_SYNCHRONOUS",
        "normal or full: whether a SQLite file's commits wait for the disk (normal)",
    ),
    (
        "CORS_ORIGINS",
        "*, none, or a comma-separated list of origins (*)",
    ),
    (
        "MAX_PAGE_SIZE",
        "the most records one list request returns (1000)",
    ),
    ("BODY_LIMIT", "the largest request body, in bytes (1048576)"),
    ("READ_ONLY", "true serves only the reading routes (false)"),
    (
        "PROHIBITED_KEYS",
        "keys refused in filters and bodies beside __proto__ and constructor.prototype, comma-separated",
    ),
    (
        "PUBLIC_DIR",
        "a folder of static files, its index.html the home page",
    ),
    ("LOG_FORMAT", "text or json (text)"),
    ("RUST_LOG", "the log filter (info)"),
    (
        "SHUTDOWN_GRACE_MS",
        "how long requests in flight may take after SIGINT/SIGTERM (10000)",
    ),
    (
        "SHUTDOWN_DELAY_MS",
        "how long to keep accepting, /ready answering 503, before draining (0)",
    ),
];

/// What an app uses when a variable is not set. Only the app knows its default database (a file
/// named after it, `memory:` for a demo), so it has no default of its own.
///
/// ```
/// use portico_server::Defaults;
/// let defaults = Defaults::new("sqlite://todo.db").port(3000).mongo_database("todo");
/// assert_eq!(defaults.host, "127.0.0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// `DATABASE_URL` when unset.
    pub database_url: String,
    /// `HOST` when unset (`127.0.0.1`).
    pub host: String,
    /// `PORT` when unset (3000, LoopBack's).
    pub port: u16,
    /// The database of a `mongodb://` URL that names none (`portico`).
    pub mongo_database: String,
    /// `PUBLIC_DIR` when unset: the folder of static files and the home page (none).
    pub public_dir: Option<std::path::PathBuf>,
}

impl Defaults {
    /// Defaults with this database URL, host `127.0.0.1`, port 3000 and the MongoDB database
    /// `portico`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Defaults {
            database_url: database_url.into(),
            host: "127.0.0.1".to_owned(),
            port: 3000,
            mongo_database: "portico".to_owned(),
            public_dir: None,
        }
    }

    /// Sets the folder of static files served when `PUBLIC_DIR` is unset (its `index.html` is
    /// the home page at `/`).
    pub fn public_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.public_dir = Some(dir.into());
        self
    }

    /// Sets the database URL used when `DATABASE_URL` is unset.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = url.into();
        self
    }

    /// Sets the host used when `HOST` is unset.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Sets the port used when `PORT` is unset (`0` picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the database used when a `mongodb://` URL names none.
    pub fn mongo_database(mut self, name: impl Into<String>) -> Self {
        self.mongo_database = name.into();
        self
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (default).
    Text,
    /// One JSON object per line.
    Json,
}

/// An app's settings: [`Settings::from_env`] reads them, [`Settings::from_defaults`] gives the
/// defaults alone (for tests, which then set fields directly).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `HOST`: the address to listen on (`0.0.0.0` for every interface).
    pub host: String,
    /// `PORT`: the port (`0` picks a free one).
    pub port: u16,
    /// `DATABASE_URL`: `sqlite://file.db`, `sqlite::memory:`, `postgres://…`, `mysql://…`
    /// (also MariaDB), `mongodb://…/db`, or `memory:`.
    pub database_url: String,
    /// The database of a `mongodb://` URL that names none.
    pub mongo_database: String,
    /// How the app uses the database's connections.
    pub database: DatabaseSettings,
    /// The HTTP settings.
    pub http: HttpSettings,
    /// `PUBLIC_DIR`: a folder of static files served for `GET` paths no route serves, its
    /// `index.html` the home page (default the app's, else none).
    pub public_dir: Option<std::path::PathBuf>,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `SHUTDOWN_GRACE_MS`: how long in-flight requests may take to finish after a shutdown
    /// signal (default 10 s).
    pub shutdown_grace: Duration,
    /// `SHUTDOWN_DELAY_MS`: how long the app keeps accepting connections after a shutdown
    /// signal, answering `/ready` with 503, before it stops accepting and drains (default 0):
    /// time for a load balancer to take it out of rotation first.
    pub shutdown_delay: Duration,
}

/// The HTTP settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// `CORS_ORIGINS`: `*` (default, any origin, as LoopBack), `none`, or a comma-separated
    /// list of origins.
    pub cors: CorsPolicy,
    /// `MAX_PAGE_SIZE`: the most records one list request returns (default 1000).
    pub max_page_size: u64,
    /// `BODY_LIMIT`: the largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `READ_ONLY`: `true` serves only the reading routes.
    pub read_only: bool,
    /// `PROHIBITED_KEYS`: a comma-separated list of keys refused in `filter`, `where` and JSON
    /// bodies beside `__proto__` and `constructor.prototype` (LoopBack's
    /// `validation.prohibitedKeys`; default none).
    pub prohibited_keys: Vec<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            cors: CorsPolicy::AnyOrigin,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            body_limit: DEFAULT_BODY_LIMIT,
            read_only: false,
            prohibited_keys: Vec::new(),
        }
    }
}

/// How the app uses the database's connections. `None` leaves a setting to the backend's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseSettings {
    /// `DATABASE_ACQUIRE_TIMEOUT_MS`: how long a request waits for a usable connection before
    /// it is answered 503 — the SQL pool's acquire timeout (default 5 s), MongoDB's server
    /// selection timeout (default the connection string's `serverSelectionTimeoutMS`, else
    /// 5 s). It bounds how long a request takes while the database is down.
    pub acquire_timeout: Option<Duration>,
    /// `DATABASE_MAX_CONNECTIONS`: the size of the SQL connection pool (default 10; ignored by
    /// MongoDB, memory, and SQLite in memory).
    pub max_connections: Option<u32>,
    /// `SQLITE_SYNCHRONOUS=full`: every commit to a SQLite file waits until it is on the disk,
    /// so a power loss loses nothing committed. The default (`normal`) lets a power loss (not
    /// a crash of the app) undo the last commits, and makes each commit microseconds instead
    /// of a disk flush (see `portico_sql::SqliteSynchronous`).
    pub sqlite_full_sync: bool,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn parse_number<T: std::str::FromStr>(
    variable: &'static str,
    value: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            variable,
            message: format!("expected a non-negative integer, got {v:?}"),
        }),
    }
}

impl Settings {
    /// The settings when no variable is set: `defaults`, and the library's defaults for the
    /// rest. Nothing is checked (the database URL's scheme included).
    pub fn from_defaults(defaults: &Defaults) -> Settings {
        Settings {
            host: defaults.host.clone(),
            port: defaults.port,
            database_url: defaults.database_url.clone(),
            mongo_database: defaults.mongo_database.clone(),
            database: DatabaseSettings::default(),
            http: HttpSettings::default(),
            public_dir: defaults.public_dir.clone(),
            log_format: LogFormat::Text,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            shutdown_delay: Duration::ZERO,
        }
    }

    /// Reads the settings from the process environment, over `defaults`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that cannot be used (a malformed number, an unknown
    /// `DATABASE_URL` scheme, …).
    pub fn from_env(defaults: &Defaults) -> Result<Settings, ConfigError> {
        Settings::from_lookup(defaults, |name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests), over
    /// `defaults`. Empty values count as unset.
    ///
    /// # Errors
    /// As [`Settings::from_env`].
    pub fn from_lookup(
        defaults: &Defaults,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let cors = match non_empty("CORS_ORIGINS").as_deref().map(str::trim) {
            None | Some("*") => CorsPolicy::AnyOrigin,
            Some("none") => CorsPolicy::Disabled,
            Some(list) => CorsPolicy::Origins(
                list.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        let read_only = match non_empty("READ_ONLY").as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                return Err(ConfigError {
                    variable: "READ_ONLY",
                    message: format!("expected true or false, got {other:?}"),
                });
            }
        };
        let log_format = match non_empty("LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError {
                    variable: "LOG_FORMAT",
                    message: format!("expected text or json, got {other:?}"),
                });
            }
        };
        let positive = |variable: &'static str| -> Result<Option<u64>, ConfigError> {
            match parse_number(variable, lookup(variable), 0u64)? {
                0 if non_empty(variable).is_none() => Ok(None),
                0 => Err(ConfigError {
                    variable,
                    message: "expected a positive integer, got 0".to_owned(),
                }),
                n => Ok(Some(n)),
            }
        };
        let database = DatabaseSettings {
            acquire_timeout: positive("DATABASE_ACQUIRE_TIMEOUT_MS")?.map(Duration::from_millis),
            max_connections: positive("DATABASE_MAX_CONNECTIONS")?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            sqlite_full_sync: match non_empty("SQLITE_SYNCHRONOUS")
                .map(|v| v.trim().to_ascii_lowercase())
                .as_deref()
            {
                None | Some("normal") => false,
                Some("full") => true,
                Some(other) => {
                    return Err(ConfigError {
                        variable: "SQLITE_SYNCHRONOUS",
                        message: format!("expected normal or full, got {other:?}"),
                    });
                }
            },
        };
        let database_url = non_empty("DATABASE_URL")
            .map(|url| url.trim().to_owned())
            .unwrap_or_else(|| defaults.database_url.clone());
        Backend::of(&database_url)?;
        let grace_ms = parse_number(
            "SHUTDOWN_GRACE_MS",
            lookup("SHUTDOWN_GRACE_MS"),
            u64::try_from(DEFAULT_SHUTDOWN_GRACE.as_millis()).unwrap_or(u64::MAX),
        )?;
        let delay_ms = parse_number("SHUTDOWN_DELAY_MS", lookup("SHUTDOWN_DELAY_MS"), 0u64)?;
        Ok(Settings {
            host: non_empty("HOST").unwrap_or_else(|| defaults.host.clone()),
            port: parse_number("PORT", lookup("PORT"), defaults.port)?,
            database_url,
            mongo_database: defaults.mongo_database.clone(),
            database,
            http: HttpSettings {
                cors,
                max_page_size: positive("MAX_PAGE_SIZE")?.unwrap_or(DEFAULT_MAX_PAGE_SIZE),
                body_limit: positive("BODY_LIMIT")?.map_or(DEFAULT_BODY_LIMIT, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
                read_only,
                prohibited_keys: non_empty("PROHIBITED_KEYS")
                    .map(|list| {
                        list.split(',')
                            .map(|k| k.trim().to_owned())
                            .filter(|k| !k.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            public_dir: non_empty("PUBLIC_DIR")
                .map(std::path::PathBuf::from)
                .or_else(|| defaults.public_dir.clone()),
            log_format,
            shutdown_grace: Duration::from_millis(grace_ms),
            shutdown_delay: Duration::from_millis(delay_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use portico_http::CorsPolicy;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(&Defaults::new("sqlite://app.db"), |name| {
            map.get(name).cloned()
        })
    }

    #[test]
    fn defaults_are_the_apps_on_port_3000() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.port, 3000);
        assert_eq!(s.host, "127.0.0.1");
        assert_eq!(s.database_url, "sqlite://app.db");
        assert_eq!(s.mongo_database, "portico");
        assert_eq!(s.http, HttpSettings::default());
        assert_eq!(s.database, DatabaseSettings::default());
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.shutdown_grace, Duration::from_secs(10));
        assert_eq!(s.shutdown_delay, Duration::ZERO);
        assert_eq!(
            s,
            Settings::from_defaults(&Defaults::new("sqlite://app.db"))
        );
    }

    #[test]
    fn the_app_chooses_its_defaults() {
        let defaults = Defaults::new("memory:")
            .host("0.0.0.0")
            .port(8080)
            .mongo_database("todo");
        let s = Settings::from_lookup(&defaults, |_| None).unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.database_url.as_str()),
            ("0.0.0.0", 8080, "memory:")
        );
        assert_eq!(s.mongo_database, "todo");
        let s = Settings::from_lookup(&defaults, |name| (name == "PORT").then(|| "0".to_owned()))
            .unwrap();
        assert_eq!(s.port, 0);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let s = settings(&[
            ("PORT", "8080"),
            ("DATABASE_URL", "memory:"),
            ("CORS_ORIGINS", "https://a.example, https://b.example"),
            ("MAX_PAGE_SIZE", "50"),
            ("BODY_LIMIT", "2048"),
            ("READ_ONLY", "true"),
            ("LOG_FORMAT", "json"),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "1500"),
            ("DATABASE_MAX_CONNECTIONS", "3"),
            ("SQLITE_SYNCHRONOUS", "Full"),
            ("SHUTDOWN_GRACE_MS", "250"),
            ("SHUTDOWN_DELAY_MS", "1000"),
            ("PROHIBITED_KEYS", "badKey, $where"),
        ])
        .unwrap();
        assert_eq!(s.http.prohibited_keys, ["badKey", "$where"]);
        assert_eq!(s.port, 8080);
        assert_eq!(s.database_url, "memory:");
        assert_eq!(
            s.database,
            DatabaseSettings {
                acquire_timeout: Some(Duration::from_millis(1500)),
                max_connections: Some(3),
                sqlite_full_sync: true,
            }
        );
        assert_eq!(
            s.http.cors,
            CorsPolicy::Origins(vec!["https://a.example".into(), "https://b.example".into()])
        );
        assert_eq!(s.http.max_page_size, 50);
        assert_eq!(s.http.body_limit, 2048);
        assert!(s.http.read_only);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.shutdown_grace, Duration::from_millis(250));
        assert_eq!(s.shutdown_delay, Duration::from_secs(1));
        assert_eq!(
            settings(&[("CORS_ORIGINS", "none")]).unwrap().http.cors,
            CorsPolicy::Disabled
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (variable, bad) in [
            ("PORT", "http"),
            ("PORT", "70000"),
            ("READ_ONLY", "maybe"),
            ("SQLITE_SYNCHRONOUS", "off"),
            ("LOG_FORMAT", "xml"),
            ("MAX_PAGE_SIZE", "-1"),
            ("BODY_LIMIT", "1mb"),
            ("SHUTDOWN_GRACE_MS", "soon"),
            ("SHUTDOWN_DELAY_MS", "-5"),
            ("DATABASE_URL", "redis://h"),
        ] {
            let error = settings(&[(variable, bad)]).unwrap_err();
            assert_eq!(error.variable, variable, "{variable}={bad}");
            assert!(error.to_string().starts_with(variable), "{error}");
        }
        for variable in [
            "DATABASE_ACQUIRE_TIMEOUT_MS",
            "DATABASE_MAX_CONNECTIONS",
            "MAX_PAGE_SIZE",
            "BODY_LIMIT",
        ] {
            for bad in ["0", "-1", "soon"] {
                assert_eq!(settings(&[(variable, bad)]).unwrap_err().variable, variable);
            }
        }
    }

    #[test]
    fn empty_values_are_unset() {
        let s = settings(&[("PORT", " "), ("DATABASE_URL", ""), ("READ_ONLY", "")]).unwrap();
        assert_eq!(s, settings(&[]).unwrap());
    }
}
