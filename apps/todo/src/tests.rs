//! Unit tests of the configuration, backend choice and URL redaction.

use super::*;
use crate::store::mongo_url_lacks_database;
use std::collections::HashMap;
use std::time::Duration;

use portico_http::CorsPolicy;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn defaults_are_sqlite_on_port_3000() {
    let c = config(&[]).unwrap();
    assert_eq!(c.port, 3000);
    assert_eq!(c.host, "127.0.0.1");
    assert_eq!(c.database_url, "sqlite://todo.db");
    assert_eq!(c.http, HttpSettings::default());
    assert_eq!(c.database, DatabaseSettings::default());
    assert_eq!(c.log_format, LogFormat::Text);
}

#[test]
fn settings_are_read_and_checked() {
    let c = config(&[
        ("PORT", "8080"),
        ("DATABASE_URL", "memory:"),
        ("CORS_ORIGINS", "https://a.example, https://b.example"),
        ("MAX_PAGE_SIZE", "50"),
        ("READ_ONLY", "true"),
        ("LOG_FORMAT", "json"),
        ("DATABASE_ACQUIRE_TIMEOUT_MS", "1500"),
        ("DATABASE_MAX_CONNECTIONS", "3"),
    ])
    .unwrap();
    assert_eq!(c.port, 8080);
    assert_eq!(
        c.database,
        DatabaseSettings {
            acquire_timeout: Some(Duration::from_millis(1500)),
            max_connections: Some(3),
        }
    );
    assert_eq!(
        c.http.cors,
        CorsPolicy::Origins(vec!["https://a.example".into(), "https://b.example".into()])
    );
    assert_eq!(c.http.max_page_size, 50);
    assert!(c.http.read_only);
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(config(&[("PORT", "http")]).unwrap_err().variable, "PORT");
    assert_eq!(
        config(&[("READ_ONLY", "maybe")]).unwrap_err().variable,
        "READ_ONLY"
    );
    for variable in ["DATABASE_ACQUIRE_TIMEOUT_MS", "DATABASE_MAX_CONNECTIONS"] {
        for bad in ["0", "-1", "soon"] {
            assert_eq!(config(&[(variable, bad)]).unwrap_err().variable, variable);
        }
    }
}

#[test]
fn backends_follow_the_scheme() {
    assert_eq!(Backend::of("memory:"), Ok(Backend::Memory));
    assert_eq!(Backend::of("sqlite://todo.db"), Ok(Backend::Sql));
    assert_eq!(Backend::of("postgres://u@h/db"), Ok(Backend::Sql));
    assert_eq!(Backend::of("mysql://root@h/db"), Ok(Backend::Sql));
    assert_eq!(Backend::of("mongodb://h:27017/db"), Ok(Backend::Mongo));
    assert!(Backend::of("redis://h").is_err());
}

#[test]
fn mongo_database_comes_from_the_path() {
    assert!(mongo_url_lacks_database("mongodb://127.0.0.1:27017"));
    assert!(mongo_url_lacks_database(
        "mongodb://127.0.0.1:27017/?directConnection=true"
    ));
    assert!(!mongo_url_lacks_database("mongodb://127.0.0.1:27017/todo"));
}

#[test]
fn passwords_are_redacted() {
    assert_eq!(
        redact_url("postgres://me:secret@db:5432/todo"),
        "postgres://me:***@db:5432/todo"
    );
    assert_eq!(redact_url("sqlite://todo.db"), "sqlite://todo.db");
    assert_eq!(redact_url("memory:"), "memory:");
}
