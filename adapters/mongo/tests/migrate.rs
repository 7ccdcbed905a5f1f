//! `migrate` creates the collection and its indexes from the metadata, and is idempotent.
//! Needs a server (see `support`).

mod support;

use bson::{Document, doc};
use portico_domain::{IndexKind, ModelDef, ModelSettings, PropertyDef, PropertyType};
use portico_mongo::{MongoConfig, MongoStore};
use portico_ports::Store;

fn model() -> ModelDef {
    ModelDef::new("Gadget")
        .settings(ModelSettings {
            storage_name: Some("gadgets".into()),
            ..ModelSettings::default()
        })
        .property(PropertyDef::new("id", PropertyType::String).id())
        .property(
            PropertyDef::new("serial", PropertyType::String)
                .storage_name("serial_no")
                .index(IndexKind::Unique),
        )
        .property(PropertyDef::new("kind", PropertyType::String).index(IndexKind::Plain))
        .property(PropertyDef::new("note", PropertyType::String))
}

#[test]
fn migrate_creates_the_collection_and_indexes_idempotently() {
    let Some(url) = support::server_url() else {
        return;
    };
    support::runtime().block_on(migrate_twice(url));
}

async fn migrate_twice(url: String) {
    let store = MongoStore::connect_with(MongoConfig::new(url).database(support::fresh_database()))
        .await
        .expect("a valid connection string");
    let db = store.database().clone();
    let model = model();
    let outcome = async {
        store.migrate(&model).await?;
        store.migrate(&model).await?;
        let collections = db
            .list_collection_names()
            .await
            .map_err(portico_domain::Error::backend)?;
        let mut indexes = Vec::new();
        let mut cursor = db
            .collection::<Document>("gadgets")
            .list_indexes()
            .await
            .map_err(portico_domain::Error::backend)?;
        while cursor
            .advance()
            .await
            .map_err(portico_domain::Error::backend)?
        {
            let index = cursor
                .deserialize_current()
                .map_err(portico_domain::Error::backend)?;
            let mut summary = doc! {"name": index.keys.keys().next().cloned().unwrap_or_default()};
            if let Some(options) = index.options {
                summary.insert("name", options.name.unwrap_or_default());
                summary.insert("unique", options.unique.unwrap_or(false));
                summary.insert("sparse", options.sparse.unwrap_or(false));
            }
            summary.insert("keys", index.keys);
            indexes.push(summary);
        }
        indexes.sort_by_key(|d| d.get_str("name").unwrap_or_default().to_owned());
        Ok::<_, portico_domain::Error>((collections, indexes))
    }
    .await;
    let _ = db.drop().await;
    let (collections, indexes) = outcome.expect("migrate and list");
    assert!(
        collections.iter().any(|c| c == "gadgets"),
        "{collections:?}"
    );
    assert_eq!(
        indexes,
        vec![
            doc! {"name": "_id_", "unique": false, "sparse": false, "keys": {"_id": 1}},
            doc! {"name": "kind_1", "unique": false, "sparse": false, "keys": {"kind": 1}},
            doc! {"name": "serial_no_1", "unique": true, "sparse": true, "keys": {"serial_no": 1}},
        ]
    );
}

#[test]
fn migrate_starts_the_id_counter_after_the_stored_integer_ids() {
    let Some(url) = support::server_url() else {
        return;
    };
    support::runtime().block_on(counter_after_stored_ids(url));
}

async fn counter_after_stored_ids(url: String) {
    let store = MongoStore::connect_with(MongoConfig::new(url).database(support::fresh_database()))
        .await
        .expect("a valid connection string");
    let db = store.database().clone();
    let model = ModelDef::new("Legacy")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("name", PropertyType::String));
    let outcome = async {
        db.collection::<Document>("Legacy")
            .insert_many([
                doc! {"_id": 7_i64, "name": "old"},
                doc! {"_id": 3_i64, "name": "older"},
            ])
            .await
            .map_err(portico_domain::Error::backend)?;
        store.migrate(&model).await?;
        store.migrate(&model).await?;
        let record = [("name".to_owned(), portico_domain::Value::from("new"))].into();
        store.insert(&model, vec![record]).await
    }
    .await;
    let _ = db.drop().await;
    let inserted = outcome.expect("migrate and insert");
    assert_eq!(inserted[0].get("id"), Some(&portico_domain::Value::Int(8)));
}
