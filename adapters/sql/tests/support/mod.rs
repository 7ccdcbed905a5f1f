//! Test backends: each case gets its own PostgreSQL schema, MySQL database or SQLite memory
//! database, so cases run in parallel without seeing each other. Servers come from
//! `portico_conformance::services`: an environment URL, else a container, else a skip.

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use portico_conformance::services::{self, Service, ServiceUrl};
use portico_conformance::{TestStore, Unavailable};
use portico_sql::{SqlOptions, SqlStore};
use sqlx::Executor;

/// A resolved server for a whole test binary (a container lives as long as this).
pub struct Server {
    service: Service,
    resolved: Result<ServiceUrl, Unavailable>,
}

impl Server {
    /// Resolves the service once.
    pub fn resolve(service: Service) -> Server {
        Server {
            service,
            resolved: services::resolve(service),
        }
    }

    /// The URL, or why there is none.
    pub fn url(&self) -> Result<&str, Unavailable> {
        self.resolved
            .as_ref()
            .map(|r| r.url.as_str())
            .map_err(Clone::clone)
    }

    /// A fresh isolated store on this server.
    pub async fn store(&self) -> Result<TestStore, Unavailable> {
        let url = self.url()?;
        match self.service {
            Service::Postgres => postgres(url).await,
            Service::MySql => mysql(url).await,
            Service::Mongo => Err(Unavailable("not an SQL service".into())),
        }
    }
}

fn fresh_name() -> String {
    format!("portico_t_{}", uuid::Uuid::new_v4().simple())
}

/// Connects an admin pool, retrying while a just-started container finishes initialising.
async fn admin<DB: sqlx::Database>(url: &str) -> Result<sqlx::Pool<DB>, Unavailable> {
    let started = Instant::now();
    loop {
        match sqlx::pool::PoolOptions::<DB>::new()
            .max_connections(1)
            .connect(url)
            .await
        {
            Ok(pool) => return Ok(pool),
            Err(e) if started.elapsed() > Duration::from_secs(30) => return Err(e.into()),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// A store in a fresh PostgreSQL schema, dropped after the case.
pub async fn postgres(url: &str) -> Result<TestStore, Unavailable> {
    let admin = admin::<sqlx::Postgres>(url).await?;
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
    let admin = admin::<sqlx::MySql>(url).await?;
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
