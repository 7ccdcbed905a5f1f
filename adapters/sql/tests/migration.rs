//! Schema migration from models: create, run again (no-op), add properties, run again (columns
//! added, existing rows kept) — on SQLite always, on PostgreSQL and MariaDB when configured.

use std::time::{Duration, Instant};

use portico_conformance::TestStore;
use portico_domain::{
    CheckOptions, Error, Filter, IndexKind, ModelDef, PropertyDef, PropertyType, Record, Value,
};
use portico_ports::Store;
use portico_sql::{SqlOptions, SqlStore};
use portico_testing::Backend;

fn v1() -> ModelDef {
    let mut model = ModelDef::new("Gadget")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("title", PropertyType::String).required());
    model.settings.storage_name = Some("migration_gadgets".into());
    model
}

fn v2() -> ModelDef {
    v1().property(PropertyDef::new("note", PropertyType::String))
        .property(PropertyDef::new("code", PropertyType::String).index(IndexKind::Unique))
        .property(
            PropertyDef::new("weight", PropertyType::Number)
                .index(IndexKind::Plain)
                .storage_name("weight_kg"),
        )
}

fn record(pairs: &[(&str, Value)]) -> Record {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

async fn all(store: &dyn Store, model: &ModelDef) -> Vec<Record> {
    let filter = Filter::new()
        .check(model, &CheckOptions::new(store.capabilities().clone()))
        .unwrap();
    store.find(model, &filter).await.unwrap()
}

async fn migrate_keeps_data(fresh: TestStore) {
    let (store, teardown) = fresh.into_parts();
    let (v1, v2) = (v1(), v2());
    store.migrate(&v1).await.unwrap();
    store
        .insert(&v1, vec![record(&[("title", "kept".into())])])
        .await
        .unwrap();
    store.migrate(&v1).await.unwrap();
    assert_eq!(
        all(store.as_ref(), &v1).await.len(),
        1,
        "running again is a no-op"
    );

    store.migrate(&v2).await.unwrap();
    store.migrate(&v2).await.unwrap();
    let rows = all(store.as_ref(), &v2).await;
    assert_eq!(
        rows,
        vec![record(&[("id", Value::Int(1)), ("title", "kept".into())])],
        "existing rows are kept"
    );

    let new = record(&[
        ("title", "new".into()),
        ("note", "n".into()),
        ("code", "c1".into()),
        ("weight", Value::Float(1.5)),
    ]);
    let stored = store.insert(&v2, vec![new.clone()]).await.unwrap();
    assert_eq!(stored[0].get("id"), Some(&Value::Int(2)));
    assert_eq!(
        all(store.as_ref(), &v2).await[1].get("weight"),
        Some(&Value::Float(1.5))
    );
    let duplicate = store
        .insert(
            &v2,
            vec![record(&[("title", "dup".into()), ("code", "c1".into())])],
        )
        .await;
    assert!(
        matches!(duplicate, Err(Error::Conflict { message, .. }) if message.contains("'code'")),
        "the unique index exists"
    );
    if let Some(teardown) = teardown {
        teardown.await;
    }
}

/// A fresh store on a server, or `None` (after printing why) when the server is unavailable.
async fn server(backend: Backend) -> Option<TestStore> {
    match portico_testing::store(backend).await {
        Ok(store) => Some(store),
        Err(reason) => {
            portico_testing::skip(&reason);
            None
        }
    }
}

#[tokio::test]
async fn sqlite_migration_adds_columns_and_keeps_rows() {
    migrate_keeps_data(portico_testing::store(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_migration_adds_columns_and_keeps_rows() {
    if let Some(store) = server(Backend::Postgres).await {
        migrate_keeps_data(store).await;
    }
}

#[tokio::test]
async fn mysql_migration_adds_columns_and_keeps_rows() {
    if let Some(store) = server(Backend::MySql).await {
        migrate_keeps_data(store).await;
    }
}

#[tokio::test]
async fn rebuild_drops_the_rows_when_asked() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    store.migrate(&v1()).await.unwrap();
    store
        .insert(&v1(), vec![record(&[("title", "x".into())])])
        .await
        .unwrap();
    store.rebuild(&v1()).await.unwrap();
    assert!(all(&store, &v1()).await.is_empty());
}

#[tokio::test]
async fn free_form_models_are_refused() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    let mut model = v1();
    model.settings.strict = false;
    assert!(matches!(
        store.migrate(&model).await,
        Err(Error::Unsupported(_))
    ));
}

#[tokio::test]
async fn unreachable_servers_are_unavailable_quickly() {
    for url in [
        "postgres://postgres@127.0.0.1:1/test",
        "mysql://root@127.0.0.1:1/test",
    ] {
        let started = Instant::now();
        let result = SqlStore::connect_with(
            url,
            SqlOptions::default().acquire_timeout(Duration::from_secs(2)),
        )
        .await;
        assert!(
            matches!(result, Err(Error::Unavailable(_))),
            "{url}: {result:?}"
        );
        assert_eq!(
            result.unwrap_err().to_string(),
            "the data source is unavailable"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{url} took {:?}",
            started.elapsed()
        );
    }
}
