//! The relation routes end to end on the memory store, and mounting checks.
use std::sync::Arc;

use portico_domain::Entity;
use portico_ports::Repository;

use super::{RelationResource, kebab_case};
use crate::{BuildError, CrudResource, RestApi};

#[derive(Entity, Clone, Debug)]
#[allow(dead_code)] // only the metadata is used
struct Shelf {
    #[portico(id, generated)]
    id: Option<i64>,
    #[portico(has_many(target = Book))]
    books: Option<Vec<Book>>,
}

#[derive(Entity, Clone, Debug)]
struct Book {
    #[portico(id, generated)]
    id: Option<i64>,
    shelf_id: Option<i64>,
}

/// A reader: tags through links, and references many books.
#[derive(Entity, Clone, Debug)]
#[allow(dead_code)] // only the metadata is used
struct Reader {
    #[portico(id, generated)]
    id: Option<i64>,
    book_ids: Option<Vec<i64>>,
    #[portico(has_many_through(target = Tag, through = ReaderTag))]
    tags: Option<Vec<Tag>>,
    #[portico(references_many(target = Book))]
    books: Option<Vec<Book>>,
}

#[derive(Entity, Clone, Debug)]
struct Tag {
    #[portico(id, generated)]
    id: Option<i64>,
    name: String,
}

#[derive(Entity, Clone, Debug)]
struct ReaderTag {
    #[portico(id, generated)]
    id: Option<i64>,
    reader_id: Option<i64>,
    tag_id: Option<i64>,
}

/// Sends one request to `endpoint`; the status and the JSON body.
async fn call(
    endpoint: &poem::endpoint::BoxEndpoint<'static, poem::Response>,
    method: poem::http::Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    use poem::Endpoint as _;
    let mut request = poem::Request::builder().method(method).uri_str(uri);
    if body.is_some() {
        request = request.content_type("application/json");
    }
    let request = request.body(body.map(|b| b.to_string()).unwrap_or_default());
    let response = endpoint.call(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = response.into_body().into_vec().await.expect("a body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn has_many_through_and_references_many_routes() {
    use poem::http::Method;
    use serde_json::json;
    let store: Arc<dyn portico_ports::Store> = Arc::new(portico_memory::MemoryStore::new());
    let readers = Repository::<Reader>::new(store.clone()).expect("a valid model");
    let books = Repository::<Book>::new(store).expect("a valid model");
    let readers = readers.records().clone();
    let endpoint = RestApi::new("readers", "1")
        .resource(CrudResource::new("/readers", Arc::new(readers.clone())))
        .resource(CrudResource::new(
            "/books",
            Arc::new(books.records().clone()),
        ))
        .relation(RelationResource::new("/readers", readers.clone(), "tags"))
        .relation(RelationResource::new("/readers", readers, "books"))
        .into_endpoint()
        .expect("an API");
    for _ in 0..3 {
        assert_eq!(
            call(&endpoint, Method::POST, "/books", Some(json!({})))
                .await
                .0,
            200
        );
    }
    let (status, reader) = call(
        &endpoint,
        Method::POST,
        "/readers",
        Some(json!({"bookIds": [3, 1]})),
    )
    .await;
    assert_eq!((status, reader["id"].clone()), (200, json!(1)));
    // Has-many-through: create links, find, patch and delete go through the links.
    for name in ["new", "old"] {
        let (status, tag) = call(
            &endpoint,
            Method::POST,
            "/readers/1/tags",
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(status, 200, "{tag}");
        assert!(tag.get("readerId").is_none(), "{tag}");
    }
    let (status, tags) = call(&endpoint, Method::GET, "/readers/1/tags", None).await;
    assert_eq!(
        (status, tags),
        (
            200,
            json!([{"id": 1, "name": "new"}, {"id": 2, "name": "old"}])
        )
    );
    let (_, none) = call(&endpoint, Method::GET, "/readers/2/tags", None).await;
    assert_eq!(none, json!([]));
    let (status, count) = call(
        &endpoint,
        Method::PATCH,
        "/readers/1/tags?where[name]=old",
        Some(json!({"name": "older"})),
    )
    .await;
    assert_eq!((status, count), (200, json!({"count": 1})));
    let (status, count) = call(
        &endpoint,
        Method::DELETE,
        "/readers/1/tags?where[name]=new",
        None,
    )
    .await;
    assert_eq!((status, count), (200, json!({"count": 1})));
    let (_, tags) = call(&endpoint, Method::GET, "/readers/1/tags", None).await;
    assert_eq!(tags, json!([{"id": 2, "name": "older"}]));
    let (status, _) = call(
        &endpoint,
        Method::POST,
        "/readers/9/tags",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    // References-many: only GET, the referenced books in id order.
    let (status, referenced) = call(&endpoint, Method::GET, "/readers/1/books", None).await;
    assert_eq!((status, referenced), (200, json!([{"id": 1}, {"id": 3}])));
    let (status, error) = call(&endpoint, Method::POST, "/readers/1/books", Some(json!({}))).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (405, &json!("METHOD_NOT_ALLOWED"))
    );
    // `include` on the CRUD route.
    let (_, with) = call(
        &endpoint,
        Method::GET,
        "/readers/1?filter[include][]=tags&filter[include][]=books",
        None,
    )
    .await;
    assert_eq!(
        with,
        json!({"id": 1, "bookIds": [3, 1], "tags": [{"id": 2, "name": "older"}],
               "books": [{"id": 1}, {"id": 3}]})
    );
}

fn shelves() -> portico_ports::CrudRepository {
    let store = Arc::new(portico_memory::MemoryStore::new());
    Repository::<Shelf>::new(store)
        .expect("a valid model")
        .records()
        .clone()
}

fn build(relations: Vec<RelationResource>) -> Result<(), BuildError> {
    let mut api =
        RestApi::new("shelves", "1").resource(CrudResource::new("/shelves", Arc::new(shelves())));
    for relation in relations {
        api = api.relation(relation);
    }
    api.into_endpoint().map(drop)
}

#[test]
fn mounting_checks_relations_and_paths() {
    let repo = shelves();
    assert_eq!(build(RelationResource::all("/shelves", &repo)), Ok(()));
    assert_eq!(
        build(vec![RelationResource::new(
            "/shelves",
            repo.clone(),
            "bookz"
        )]),
        Err(BuildError::UnknownRelation {
            model: "Shelf".into(),
            relation: "bookz".into()
        })
    );
    for bad in ["", "a/b", ":id"] {
        assert_eq!(
            build(vec![
                RelationResource::new("/shelves", repo.clone(), "books").segment(bad)
            ]),
            Err(BuildError::InvalidSegment(bad.into()))
        );
    }
    assert_eq!(
        build(vec![
            RelationResource::new("/shelves", repo.clone(), "books"),
            RelationResource::new("/shelves", repo.clone(), "books"),
        ]),
        Err(BuildError::DuplicatePath("/shelves/:id/books".into()))
    );
    assert_eq!(
        build(vec![RelationResource::new("shelves", repo, "books")]),
        Err(BuildError::InvalidBasePath("shelves".into()))
    );
}

#[test]
fn segments_default_to_kebab_case() {
    for (name, segment) in [
        ("todos", "todos"),
        ("todoList", "todo-list"),
        ("cartItems", "cart-items"),
        ("ordersByName", "orders-by-name"),
        ("HTTPServer", "http-server"),
        ("userID", "user-id"),
        ("todo_list", "todo-list"),
        ("v2Items", "v2-items"),
    ] {
        assert_eq!(kebab_case(name), segment, "{name}");
    }
}
