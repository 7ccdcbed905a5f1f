//! Store-generated integer ids under concurrency: 1,000 creates from 16 tasks get 1,000
//! distinct ids, with no error. Needs a server (see `support`).

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use portico_conformance::fixtures::Todo;
use portico_domain::Entity;
use portico_mongo::{MongoConfig, MongoStore};
use portico_ports::{EntityRepository, Repository, Store};

const TASKS: usize = 16;
const CREATES: usize = 1_000;

#[test]
fn concurrent_creates_get_distinct_generated_ids() {
    let Some(url) = support::server_url() else {
        return;
    };
    support::runtime().block_on(concurrent_creates(url));
}

async fn concurrent_creates(url: String) {
    let store = MongoStore::connect_with(MongoConfig::new(url).database(support::fresh_database()))
        .await
        .expect("a valid connection string");
    let db = store.database().clone();
    store.migrate(Todo::definition()).await.expect("migrate");
    let todos = Arc::new(Repository::<Todo>::new(Arc::new(store)).expect("a repository"));

    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let todos = todos.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in (t..CREATES).step_by(TASKS) {
                    let created = todos.create(Todo::new(&format!("todo {i}"))).await?;
                    ids.push(created.id.expect("a generated id"));
                }
                Ok::<_, portico_domain::Error>(ids)
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(task_ids) => ids.extend(task_ids),
            Err(e) => errors.push(e),
        }
    }
    let stored = todos.count(None).await;
    let _ = db.drop().await;

    assert!(errors.is_empty(), "errors: {errors:?}");
    assert_eq!(ids.len(), CREATES, "ids are distinct");
    assert_eq!(ids.first(), Some(&1));
    assert_eq!(ids.last(), Some(&(CREATES as i64)), "no id was skipped");
    assert_eq!(stored.expect("count"), CREATES as u64);
}
