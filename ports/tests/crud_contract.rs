//! The per-entity logic of `CrudRepository`/`Repository`, checked against a mocked store: what
//! reaches the store, and what never does.

use std::sync::Arc;

use portico_domain::{Capabilities, Entity, Error, Filter, Patch, Value, Where};
use portico_ports::{EntityRepository, MockStore, Repository};
use uuid::Uuid;

#[derive(Entity, Clone, Debug, PartialEq)]
struct Todo {
    #[portico(id, generated)]
    id: Option<i64>,
    #[portico(length(max = 10))]
    title: String,
}

#[derive(Entity, Clone, Debug, PartialEq)]
struct Tag {
    #[portico(id, generated)]
    id: Option<Uuid>,
    label: String,
}

/// A store that expects nothing but to be asked for its capabilities.
fn strict_store(capabilities: Capabilities) -> MockStore {
    let mut store = MockStore::new();
    store.expect_capabilities().return_const(capabilities);
    store
}

fn repo<E: Entity>(store: MockStore) -> Repository<E> {
    Repository::new(Arc::new(store)).unwrap()
}

fn todo(title: &str) -> Todo {
    Todo {
        id: None,
        title: title.into(),
    }
}

#[tokio::test]
async fn an_empty_patch_never_reaches_the_store() {
    let todos = repo::<Todo>(strict_store(Capabilities::minimal()));
    let err = todos.update_by_id(1, Patch::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidBody(m) if m == "Data is required for the patch request"));
}

#[tokio::test]
async fn invalid_records_are_refused_before_any_insert() {
    let todos = repo::<Todo>(strict_store(Capabilities::minimal()));
    let err = todos
        .create_all(vec![todo("ok"), todo("far too long a title")])
        .await
        .unwrap_err();
    let Error::Validation(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.details[0].path, "/title");
    assert_eq!(errors.details[0].code, "maxLength");
}

#[tokio::test]
async fn the_kit_generates_uuid_ids_before_the_insert() {
    let mut store = strict_store(Capabilities::minimal());
    store
        .expect_insert()
        .withf(|_, records| matches!(records[0].get("id"), Some(Value::Uuid(_))))
        .times(1)
        .returning(|_, records| Ok(records));
    let tags = repo::<Tag>(store);
    let tag = tags
        .create(Tag {
            id: None,
            label: "x".into(),
        })
        .await
        .unwrap();
    assert!(tag.id.is_some());
}

#[tokio::test]
async fn invalid_filters_never_reach_the_store() {
    let todos = repo::<Todo>(strict_store(Capabilities::minimal()));
    let filter = Filter::new()
        .where_(Where::cond("nope", portico_domain::Op::Eq(1.into())))
        .limit(0);
    let Error::InvalidFilter(errors) = todos.find(filter).await.unwrap_err() else {
        panic!()
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/where/nope", "/limit"]);
}

#[tokio::test]
async fn operators_outside_the_store_capabilities_are_unsupported() {
    let todos = repo::<Todo>(strict_store(Capabilities::minimal()));
    let err = todos
        .find(Filter::new().where_(Todo::FIELDS.title.ilike("a%")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(m) if m.contains("ilike")));
}

#[tokio::test]
async fn a_replacement_carrying_another_id_is_refused() {
    let todos = repo::<Todo>(strict_store(Capabilities::minimal()));
    let err = todos
        .replace_by_id(
            1,
            Todo {
                id: Some(2),
                ..todo("x")
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidBody(m) if m == "id property (id) cannot be updated from 1 to 2")
    );
}

#[tokio::test]
async fn store_outages_come_back_unchanged() {
    let mut store = strict_store(Capabilities::minimal());
    store.expect_count().returning(|_, _| {
        Err(Error::unavailable(portico_domain::error::Message(
            "connection refused".into(),
        )))
    });
    let todos = repo::<Todo>(store);
    let err = todos.count(None).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)));
    assert_eq!(err.to_string(), "the data source is unavailable");
}

#[tokio::test]
async fn a_missing_row_on_update_is_not_found_with_the_loopback_message() {
    let mut store = strict_store(Capabilities::minimal());
    store.expect_update().times(1).returning(|_, _, _| Ok(0));
    let todos = repo::<Todo>(store);
    let err = todos
        .update_by_id(99, Patch::new().set(Todo::FIELDS.title, "x"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Entity not found: Todo with id 99");
}
