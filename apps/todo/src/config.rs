//! The environment the app reads (`HOST`, `PORT`, `DATABASE_URL`…), checked.

use std::time::Duration;

use portico_http::{CorsPolicy, DEFAULT_MAX_PAGE_SIZE};

/// The `DATABASE_URL` used when none is set: an SQLite file in the working directory,
/// created and migrated on start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://todo.db";

/// The port used when `PORT` is not set (LoopBack's).
pub const DEFAULT_PORT: u16 = 3000;

/// How long in-flight requests may take to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (default).
    Text,
    /// One JSON object per line.
    Json,
}

/// The app's settings, read from the environment by [`Config::from_env`].
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `HOST`: the address to listen on (default `127.0.0.1`; `0.0.0.0` for every interface).
    pub host: String,
    /// `PORT`: the port (default 3000; `0` picks a free one).
    pub port: u16,
    /// `DATABASE_URL`: `sqlite://file.db` (default `sqlite://todo.db`), `sqlite::memory:`,
    /// `postgres://…`, `mysql://…` (also MariaDB), `mongodb://…/db`, or `memory:`.
    pub database_url: String,
    /// How the app uses the database's connections.
    pub database: DatabaseSettings,
    /// The HTTP settings.
    pub http: HttpSettings,
    /// `LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
}

/// The HTTP settings of the Todo API.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// `CORS_ORIGINS`: `*` (default, any origin, as LoopBack), `none`, or a comma-separated
    /// list of origins.
    pub cors: CorsPolicy,
    /// `MAX_PAGE_SIZE`: the most todos one `GET /todos` returns (default 1000).
    pub max_page_size: u64,
    /// `BODY_LIMIT`: the largest request body in bytes (default 1 MiB).
    pub body_limit: usize,
    /// `READ_ONLY`: `true` serves only the reading routes.
    pub read_only: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            cors: CorsPolicy::AnyOrigin,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            body_limit: portico_http::DEFAULT_BODY_LIMIT,
            read_only: false,
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
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

impl std::error::Error for ConfigError {}

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

impl Config {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that cannot be used.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
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
        };
        Ok(Config {
            host: non_empty("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: parse_number("PORT", lookup("PORT"), DEFAULT_PORT)?,
            database_url: non_empty("DATABASE_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            database,
            http: HttpSettings {
                cors,
                max_page_size: parse_number(
                    "MAX_PAGE_SIZE",
                    lookup("MAX_PAGE_SIZE"),
                    DEFAULT_MAX_PAGE_SIZE,
                )?,
                body_limit: parse_number(
                    "BODY_LIMIT",
                    lookup("BODY_LIMIT"),
                    portico_http::DEFAULT_BODY_LIMIT,
                )?,
                read_only,
            },
            log_format,
        })
    }
}
