//! An unreachable server gives `Error::Unavailable`, within the configured server-selection
//! timeout, from every store method, with a message that shows nothing of the driver error.
//! Needs no server: it talks to a closed port on the loopback interface.

use std::time::{Duration, Instant};

use portico_conformance::fixtures::Todo;
use portico_domain::{Checked, Entity, Error, Filter, Where};
use portico_mongo::{MongoConfig, MongoStore};
use portico_ports::Store;

const TIMEOUT: Duration = Duration::from_millis(500);
/// Generous slack over the timeout for slow machines; the driver's default would be 30 s.
const SLACK: Duration = Duration::from_secs(10);

fn unreachable() -> MongoConfig {
    MongoConfig::new("mongodb://127.0.0.1:1/?directConnection=true")
        .database("portico_unreachable")
        .server_selection_timeout(TIMEOUT)
}

fn assert_unavailable<T: std::fmt::Debug>(
    what: &str,
    result: portico_domain::Result<T>,
    took: Duration,
) {
    let err = result.expect_err(what);
    assert!(matches!(err, Error::Unavailable(_)), "{what}: {err:?}");
    assert_eq!(err.to_string(), "the data source is unavailable", "{what}");
    assert!(took < TIMEOUT + SLACK, "{what} took {took:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_within_the_timeout() {
    let store = MongoStore::connect_with(unreachable())
        .await
        .expect("connect does no IO");
    let model = Todo::definition();

    let started = Instant::now();
    let result = store.ping().await;
    assert_unavailable("ping", result, started.elapsed());

    let started = Instant::now();
    let result = store.count(model, &Checked::<Where>::all()).await;
    assert_unavailable("count", result, started.elapsed());

    let filter = Filter::new()
        .check(
            model,
            &portico_domain::CheckOptions::new(store.capabilities().clone()),
        )
        .expect("an empty filter is valid");
    let started = Instant::now();
    let result = store.find(model, &filter).await;
    assert_unavailable("find", result, started.elapsed());

    let started = Instant::now();
    let result = store.migrate(model).await;
    assert_unavailable("migrate", result, started.elapsed());

    let record = [("title".to_owned(), portico_domain::Value::from("x"))].into();
    let started = Instant::now();
    let result = store.insert(model, vec![record]).await;
    assert_unavailable("insert", result, started.elapsed());
}

#[tokio::test]
async fn a_connection_string_without_a_database_is_refused() {
    let err = MongoStore::connect("mongodb://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
    let err = MongoStore::connect("postgres://nope").await.unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
}

#[tokio::test]
async fn the_database_comes_from_the_connection_string_path() {
    let store = MongoStore::connect("mongodb://127.0.0.1:1/app?directConnection=true")
        .await
        .expect("connect does no IO");
    assert_eq!(store.database().name(), "app");
}

#[test]
fn config_debug_hides_credentials() {
    let config = MongoConfig::new("mongodb://app:s3cret@db.example:27017/app?authSource=admin");
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("mongodb://***@db.example:27017/app"),
        "{shown}"
    );
}
