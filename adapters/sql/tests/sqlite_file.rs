//! A SQLite file under concurrent writes: single-row inserts arriving together are joined into
//! one statement (the store's group inserts), and each caller still gets its own row's id and
//! its own error.

use std::collections::BTreeMap;

use portico_domain::{Error, IndexKind, ModelDef, PropertyDef, PropertyType, Record, Value};
use portico_ports::Store;
use portico_sql::SqlStore;

fn model() -> ModelDef {
    ModelDef::new("Ticket")
        .property(
            PropertyDef::new("id", PropertyType::Integer)
                .id()
                .generated(),
        )
        .property(PropertyDef::new("code", PropertyType::String).index(IndexKind::Unique))
}

fn ticket(code: &str) -> Record {
    [("code".to_owned(), Value::from(code))]
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_get_their_own_ids_and_errors() {
    let folder = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let file = folder.join(format!("group-inserts-{}.db", std::process::id()));
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    };
    remove();
    let store = SqlStore::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let model = model();
    store.migrate(&model).await.unwrap();
    // 200 inserts at once; codes 0–199, except that two ask for "dup".
    let inserts: Vec<_> = (0..200)
        .map(|i| {
            let (store, model) = (store.clone(), model.clone());
            let code = if i == 17 || i == 150 {
                "dup".to_owned()
            } else {
                format!("c{i}")
            };
            tokio::spawn(async move {
                let outcome = store.insert(&model, vec![ticket(&code)]).await;
                (code, outcome)
            })
        })
        .collect();
    let mut ids = BTreeMap::new();
    let mut conflicts = 0;
    for insert in inserts {
        let (code, outcome) = insert.await.unwrap();
        match outcome {
            Ok(created) => {
                assert_eq!(created.len(), 1);
                assert_eq!(created[0]["code"], Value::from(code.as_str()));
                let Value::Int(id) = created[0]["id"] else {
                    panic!("no id: {created:?}");
                };
                assert!(ids.insert(id, code).is_none(), "id {id} given twice");
            }
            Err(Error::Conflict { .. }) if code == "dup" => conflicts += 1,
            Err(other) => panic!("{code}: {other:?}"),
        }
    }
    assert_eq!((ids.len(), conflicts), (199, 1));
    // Each caller's id is the row holding its code.
    let filter = portico_domain::Filter::new()
        .check(
            &model,
            &portico_domain::CheckOptions::new(store.capabilities().clone()),
        )
        .unwrap();
    let stored = store.find(&model, &filter).await.unwrap();
    assert_eq!(stored.len(), 199);
    let stored_ids: BTreeMap<i64, String> = stored
        .iter()
        .map(|r| match (&r["id"], &r["code"]) {
            (Value::Int(id), Value::String(code)) => (*id, code.clone()),
            other => panic!("not a ticket: {other:?}"),
        })
        .collect();
    assert_eq!(stored_ids, ids);
    drop(store);
    remove();
}
