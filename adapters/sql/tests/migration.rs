//! Schema migration from models: create, run again (no-op), add properties, run again (columns
//! added, existing rows kept) — on SQLite always, on PostgreSQL and MariaDB when configured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_conformance::TestStore;
use portico_domain::{
    CheckOptions, Decimal, Error, Filter, IndexKind, ModelDef, NaiveDate, ObjectDef, PropertyDef,
    PropertyType, Record, Value,
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

/// v1 with a column of each type beyond the scalars, added by migration.
fn v3() -> ModelDef {
    let maker = ObjectDef {
        name: "Maker".into(),
        properties: vec![
            PropertyDef::new("name", PropertyType::String).required(),
            PropertyDef::new("founded", PropertyType::Date),
            PropertyDef::new(
                "capital",
                PropertyType::Decimal {
                    precision: 12,
                    scale: 3,
                },
            ),
        ],
    };
    let colour = PropertyType::Enum(vec!["red".into(), "green".into(), "it's".into()]);
    v1().property(PropertyDef::new("made", PropertyType::Date))
        .property(
            PropertyDef::new(
                "price",
                PropertyType::Decimal {
                    precision: 18,
                    scale: 2,
                },
            )
            .index(IndexKind::Plain),
        )
        .property(PropertyDef::new("colour", colour.clone()).index(IndexKind::Plain))
        .property(PropertyDef::new(
            "colours",
            PropertyType::Array(Box::new(colour)),
        ))
        .property(PropertyDef::new(
            "maker",
            PropertyType::Object(Arc::new(maker)),
        ))
        .property(PropertyDef::new("blob", PropertyType::Bytes))
}

fn day(text: &str) -> Value {
    Value::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
}

fn money(text: &str) -> Value {
    Value::Decimal(text.parse::<Decimal>().unwrap())
}

async fn titles(store: &dyn Store, model: &ModelDef, json: serde_json::Value) -> Vec<String> {
    let filter = Filter::from_json_checked(
        &json,
        model,
        &CheckOptions::new(store.capabilities().clone()),
    )
    .unwrap();
    store
        .find(model, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|r| match r.get("title") {
            Some(Value::String(s)) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Columns of the new types added to an existing table, values round-tripping with their
/// types (a decimal keeps its scale), filters on them, and the enum's CHECK.
async fn new_types_are_added_and_round_trip(fresh: TestStore) {
    let (store, teardown) = fresh.into_parts();
    let (v1, v3) = (v1(), v3());
    store.migrate(&v1).await.unwrap();
    store.migrate(&v3).await.unwrap();
    store.migrate(&v3).await.unwrap();
    let maker: Record = record(&[
        ("name", "Acme".into()),
        ("founded", day("1901-02-03")),
        ("capital", money("1234.500")),
    ]);
    let full = record(&[
        ("title", "full".into()),
        ("made", day("2024-05-01")),
        ("price", money("8.00")),
        ("colour", "it's".into()),
        ("colours", Value::Array(vec!["red".into(), "green".into()])),
        ("maker", Value::Object(maker)),
        ("blob", Value::Bytes((0..=255).collect())),
    ]);
    let cheap = record(&[
        ("title", "cheap".into()),
        ("made", day("1999-12-31")),
        ("price", money("-0.01")),
        ("colour", "red".into()),
        ("blob", Value::Bytes(Vec::new())),
    ]);
    store
        .insert(&v3, vec![full.clone(), cheap.clone()])
        .await
        .unwrap();
    let rows = all(store.as_ref(), &v3).await;
    let strip = |mut r: Record| {
        r.remove("id");
        r
    };
    assert_eq!(
        rows.into_iter().map(strip).collect::<Vec<_>>(),
        vec![full, cheap]
    );
    let price = &all(store.as_ref(), &v3).await[0]["price"];
    assert_eq!(
        price.to_json(),
        serde_json::json!("8.00"),
        "the scale is kept"
    );

    let find = |json| titles(store.as_ref(), &v3, json);
    assert_eq!(
        find(serde_json::json!({"where": {"made": {"gt": "2000-01-01"}}})).await,
        ["full"]
    );
    assert_eq!(
        find(serde_json::json!({"order": ["made DESC"]})).await,
        ["full", "cheap"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"gte": "-0.01"}}, "order": ["price"]})).await,
        ["cheap", "full"]
    );
    // Bounds with more fraction digits than the column compare exactly.
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"gt": "7.995"}}})).await,
        ["full"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"gte": "8.001"}}})).await,
        Vec::<String>::new()
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"lt": "8.001"}}, "order": ["price DESC"]}))
            .await,
        ["full", "cheap"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"lte": "7.999"}}})).await,
        ["cheap"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"eq": "8.001"}}})).await,
        Vec::<String>::new()
    );
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"eq": "8"}}})).await,
        ["full"]
    );
    assert_eq!(find(serde_json::json!({"where": {"price": {"inq": ["8.0", "-0.010", "3.333"]}}, "order": ["price"]})).await, ["cheap", "full"]);
    assert_eq!(
        find(serde_json::json!({"where": {"price": {"neq": "8.001"}}, "order": ["price"]})).await,
        ["cheap", "full"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"colour": {"inq": ["it's", "green"]}}})).await,
        ["full"]
    );
    assert_eq!(
        find(serde_json::json!({"where": {"blob": {"exists": true}}, "order": ["title"]})).await,
        ["cheap", "full"]
    );

    // The store itself (below the repository's validation) refuses a value the enum lacks.
    let refused = store
        .insert(
            &v3,
            vec![record(&[("title", "x".into()), ("colour", "blue".into())])],
        )
        .await;
    assert!(
        matches!(refused, Err(Error::Validation(_))),
        "the CHECK constraint exists: {refused:?}"
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
async fn sqlite_new_types_are_added_and_round_trip() {
    new_types_are_added_and_round_trip(portico_testing::store(Backend::Sqlite).await.unwrap())
        .await;
}

#[tokio::test]
async fn postgres_new_types_are_added_and_round_trip() {
    if let Some(store) = server(Backend::Postgres).await {
        new_types_are_added_and_round_trip(store).await;
    }
}

#[tokio::test]
async fn mysql_new_types_are_added_and_round_trip() {
    if let Some(store) = server(Backend::MySql).await {
        new_types_are_added_and_round_trip(store).await;
    }
}

#[tokio::test]
async fn sqlite_refuses_decimals_it_cannot_hold_exactly() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    let model = v1().property(PropertyDef::new(
        "big",
        PropertyType::Decimal {
            precision: 19,
            scale: 2,
        },
    ));
    let refused = store.migrate(&model).await;
    assert!(
        matches!(&refused, Err(Error::Unsupported(m)) if m.contains("Gadget.big") && m.contains("18 digits")),
        "{refused:?}"
    );
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

/// A store that was never migrated, or not since the model gained a property, says so: the
/// model and what is missing, to be answered as 503 `NOT_MIGRATED`, never an opaque 500.
///
/// `missing_columns_fail`: SQLite reads a double-quoted name that is no column as a string
/// literal (its "DQS" compatibility), so there only a missing table can be told.
async fn an_unmigrated_model_is_not_migrated(fresh: TestStore, missing_columns_fail: bool) {
    let (store, teardown) = fresh.into_parts();
    let never = ModelDef {
        name: "Nowhere".into(),
        ..v1()
    }
    .settings(portico_domain::ModelSettings {
        storage_name: Some("migration_never_created".into()),
        ..Default::default()
    });
    let options = CheckOptions::new(store.capabilities().clone());
    let everything = Filter::new().check(&never, &options).unwrap();
    match store.find(&never, &everything).await {
        Err(error @ Error::NotMigrated { .. }) => {
            assert_eq!(error.code(), "NOT_MIGRATED");
            assert_eq!(
                error.to_string(),
                "Nowhere is not migrated: table `migration_never_created` does not exist in the data source; run migrate"
            );
        }
        other => panic!("expected NotMigrated, got {other:?}"),
    }
    // Migrated as v1, used as v2: a column is missing.
    store.migrate(&v1()).await.unwrap();
    if missing_columns_fail {
        let v2 = v2();
        let everything = Filter::new().check(&v2, &options).unwrap();
        match store.find(&v2, &everything).await {
            Err(Error::NotMigrated {
                entity, missing, ..
            }) => {
                assert_eq!(
                    (entity.as_str(), missing.as_str()),
                    ("Gadget", "a column of table `migration_gadgets`")
                );
            }
            other => panic!("expected NotMigrated, got {other:?}"),
        }
    }
    if let Some(teardown) = teardown {
        teardown.await;
    }
}

#[tokio::test]
async fn sqlite_an_unmigrated_model_is_not_migrated() {
    an_unmigrated_model_is_not_migrated(
        portico_testing::store(Backend::Sqlite).await.unwrap(),
        false,
    )
    .await;
}

#[tokio::test]
async fn postgres_an_unmigrated_model_is_not_migrated() {
    if let Some(store) = server(Backend::Postgres).await {
        an_unmigrated_model_is_not_migrated(store, true).await;
    }
}

#[tokio::test]
async fn mysql_an_unmigrated_model_is_not_migrated() {
    if let Some(store) = server(Backend::MySql).await {
        an_unmigrated_model_is_not_migrated(store, true).await;
    }
}

/// App replicas starting together on one database each migrate it: several stores (pools of
/// their own, as separate processes have) migrating the same new table at once all succeed,
/// and the table ends up as the model says. `fresh` drops the table before and after.
async fn replicas_migrate_at_once(url: &str, table: &str, fresh: impl AsyncFn()) {
    let mut model = v2();
    model.settings.storage_name = Some(table.to_owned());
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(SqlStore::connect(url).await.unwrap());
    }
    fresh().await;
    let migrations: Vec<_> = stores
        .iter()
        .map(|store| {
            let (store, model) = (store.clone(), model.clone());
            tokio::spawn(async move { store.migrate(&model).await })
        })
        .collect();
    for migration in migrations {
        let outcome = migration.await.unwrap();
        assert!(outcome.is_ok(), "{table}: {outcome:?}");
    }
    stores[1]
        .insert(
            &model,
            vec![record(&[("title", "one".into()), ("code", "c".into())])],
        )
        .await
        .unwrap();
    assert_eq!(all(&stores[2], &model).await.len(), 1);
    fresh().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_replicas_migrate_at_once() {
    let folder = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = folder.join(format!("replicas-migrate-{}.db", std::process::id()));
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    };
    remove();
    let url = format!("sqlite://{}", file.display());
    replicas_migrate_at_once(&url, "migration_race", async || {}).await;
    remove();
}

/// The URL of a server's default database, a table of this run's own and the statement dropping
/// it (`quote` is the server's identifier quote); `None` (after printing why) without a server.
fn race_table(service: portico_testing::Service, quote: char) -> Option<(String, String, String)> {
    let url = match portico_testing::server_url(service) {
        Ok(url) => url,
        Err(reason) => {
            portico_testing::skip(&reason);
            return None;
        }
    };
    let table = format!("migration_race_{}", std::process::id());
    let drop = format!("DROP TABLE IF EXISTS {quote}{table}{quote}");
    Some((url, table, drop))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_migrate_at_once() {
    let Some((url, table, drop)) = race_table(portico_testing::Service::Postgres, '"') else {
        return;
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let fresh = async || {
        sqlx::query(&drop).execute(&pool).await.unwrap();
    };
    replicas_migrate_at_once(&url, &table, fresh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_replicas_migrate_at_once() {
    let Some((url, table, drop)) = race_table(portico_testing::Service::MySql, '`') else {
        return;
    };
    let pool = sqlx::MySqlPool::connect(&url).await.unwrap();
    let fresh = async || {
        sqlx::query(&drop).execute(&pool).await.unwrap();
    };
    replicas_migrate_at_once(&url, &table, fresh).await;
}
