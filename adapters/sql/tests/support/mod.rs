//! Test backends: each case gets its own PostgreSQL schema, MySQL database or SQLite memory
//! database, so cases run in parallel without seeing each other.

#![allow(dead_code, unreachable_pub)]

use portico_conformance::{TestStore, Unavailable};
use portico_sql::{SqlOptions, SqlStore};
use sqlx::Executor;

/// The URL of a server backend from its environment variable.
pub fn url(var: &str) -> Result<String, Unavailable> {
    std::env::var(var).map_err(|_| {
        Unavailable(format!(
            "{var} is not set (e.g. {var}=postgres://postgres@127.0.0.1/test)"
        ))
    })
}

fn fresh_name() -> String {
    format!("portico_t_{}", uuid::Uuid::new_v4().simple())
}

/// A store in a fresh PostgreSQL schema, dropped after the case.
pub async fn postgres(url: &str) -> Result<TestStore, Unavailable> {
    let admin = sqlx::PgPool::connect(url).await?;
    let schema = fresh_name();
    admin
        .execute(format!("CREATE SCHEMA \"{schema}\"").as_str())
        .await?;
    let store = SqlStore::connect_with(
        url,
        SqlOptions::default().namespace(&schema).max_connections(2),
    )
    .await?;
    Ok(TestStore::new(store).with_teardown(async move {
        let _ = admin
            .execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str())
            .await;
        admin.close().await;
    }))
}

/// A store in a fresh MySQL/MariaDB database, dropped after the case.
pub async fn mysql(url: &str) -> Result<TestStore, Unavailable> {
    let admin = sqlx::MySqlPool::connect(url).await?;
    let database = fresh_name();
    admin
        .execute(format!("CREATE DATABASE `{database}` CHARACTER SET utf8mb4").as_str())
        .await?;
    let store = SqlStore::connect_with(
        url,
        SqlOptions::default()
            .namespace(&database)
            .max_connections(2),
    )
    .await?;
    Ok(TestStore::new(store).with_teardown(async move {
        let _ = admin
            .execute(format!("DROP DATABASE `{database}`").as_str())
            .await;
        admin.close().await;
    }))
}

/// A store on a fresh in-memory SQLite database.
pub async fn sqlite() -> Result<TestStore, Unavailable> {
    Ok(TestStore::new(SqlStore::connect("sqlite::memory:").await?))
}
