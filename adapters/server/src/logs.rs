//! Logs: `tracing` on stderr, text or JSON, and database URLs with their passwords hidden.

use std::io::IsTerminal;

use crate::settings::LogFormat;

/// Sets up `tracing` logs once per process: `RUST_LOG` filters (default `info`); text or JSON
/// lines on stderr, coloured only when stderr is a terminal. A second call (tests start several
/// apps in one process) keeps the first set-up.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // An error means a subscriber is already installed: keep it.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Hides the password of a database URL for logs, in its user info and in query parameters
/// whose name holds `password`: `postgres://u:secret@h/db?sslpassword=x&password=y` →
/// `postgres://u:***@h/db?sslpassword=***&password=***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_query(url);
    };
    // The user info ends at the URL's last `@`: an unencoded password may hold `/`, `?` or
    // `@`, and hiding too much is safe in a log.
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let credentials = match credentials.split_once(':') {
                Some((user, _password)) => format!("{user}:***"),
                None => credentials.to_owned(),
            };
            format!("{scheme}://{credentials}@{}", redact_query(host))
        }
        None => format!("{scheme}://{}", redact_query(rest)),
    }
}

/// Hides the values of query parameters whose name holds `password`.
fn redact_query(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                format!("{key}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://me:secret@db:5432/todo"),
            "postgres://me:***@db:5432/todo"
        );
        assert_eq!(
            redact_url("mongodb://me:p%40ss@h1:27017,h2:27017/todo?replicaSet=rs"),
            "mongodb://me:***@h1:27017,h2:27017/todo?replicaSet=rs"
        );
        assert_eq!(
            redact_url("mysql://root:pw@db?ssl-mode=DISABLED"),
            "mysql://root:***@db?ssl-mode=DISABLED"
        );
        assert_eq!(
            redact_url("postgres://db/todo?user=me&password=secret&sslpassword=x"),
            "postgres://db/todo?user=me&password=***&sslpassword=***"
        );
        assert_eq!(
            redact_url("postgres://me:s?e@cret@db/todo"),
            "postgres://me:***@db/todo"
        );
        assert_eq!(
            redact_url("postgres://me:se/cret@db/todo"),
            "postgres://me:***@db/todo"
        );
        assert_eq!(
            redact_url("postgres://db/todo?PASSWORD=secret"),
            "postgres://db/todo?PASSWORD=***"
        );
    }

    #[test]
    fn urls_without_passwords_are_kept() {
        for url in [
            "sqlite://todo.db",
            "sqlite::memory:",
            "memory:",
            "postgres://me@db/todo",
            "mongodb://h:27017/?directConnection=true",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn logs_are_set_up_once() {
        init_logs(LogFormat::Text);
        init_logs(LogFormat::Json);
        tracing::info!("logged");
    }
}
