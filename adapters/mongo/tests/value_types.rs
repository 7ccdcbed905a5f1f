//! The value types beyond the scalars on a real server: a `Book` (the conformance fixture with
//! a date, a decimal, an enum, bytes and embedded objects) is stored with the documented BSON
//! types, and the server — not the kit — compares them: decimals numerically (Decimal128),
//! dates as their ordered `YYYY-MM-DD` strings, enums as strings, `publisher.city` inside the
//! sub-document. Needs a server (see `support`).

mod support;

use std::sync::Arc;

use bson::spec::ElementType;
use bson::{Document, doc};
use portico_conformance::fixtures::{Binding, Book, Edition, Publisher};
use portico_domain::{Decimal, Entity, Filter, NaiveDate};
use portico_mongo::{MongoConfig, MongoStore};
use portico_ports::{EntityRepository, Repository, Store};
use serde_json::json;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn money(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn book(title: &str, published: &str, price: &str, binding: Binding, city: Option<&str>) -> Book {
    Book {
        published: Some(day(published)),
        price: Some(money(price)),
        binding: Some(binding),
        bindings: Some(vec![binding, Binding::Ebook]),
        publisher: Some(Publisher {
            name: format!("{title} press"),
            city: city.map(str::to_owned),
            zip: None,
            founded: Some(day("1900-01-02")),
        }),
        editions: Some(vec![
            Edition {
                number: 1,
                price: Some(money("8.50")),
            },
            Edition {
                number: 2,
                price: None,
            },
        ]),
        cover: Some(vec![0, 1, 254, 255]),
        ..Book::titled(title)
    }
}

#[test]
fn a_book_is_stored_with_the_documented_bson_types_and_filtered_on_the_server() {
    let Some(url) = support::server_url() else {
        return;
    };
    support::runtime().block_on(books(url));
}

async fn books(url: String) {
    let store = MongoStore::connect_with(MongoConfig::new(url).database(support::fresh_database()))
        .await
        .expect("a valid connection string");
    let db = store.database().clone();
    let outcome = exercise(store).await;
    db.drop().await.expect("the test database is dropped");
    outcome.expect("the books round-trip and filter");
}

async fn titles(repo: &Repository<Book>, filter: serde_json::Value) -> Vec<String> {
    let filter = Filter::from_json(&filter).expect("a valid filter");
    repo.find(filter)
        .await
        .expect("the find succeeds")
        .into_iter()
        .map(|b| b.title)
        .collect()
}

async fn exercise(store: MongoStore) -> portico_domain::Result<()> {
    store.migrate(Book::definition()).await?;
    let db = store.database().clone();
    let repo = Repository::<Book>::new(Arc::new(store))?;
    let created = repo
        .create_all(vec![
            book("a", "2024-01-15", "9.99", Binding::Hardcover, Some("Oslo")),
            book(
                "b",
                "2023-12-31",
                "10.50",
                Binding::Paperback,
                Some("Bergen"),
            ),
            book("c", "2024-06-01", "1050.00", Binding::Ebook, None),
            book("d", "2024-05-31", "8.5", Binding::Hardcover, Some("Oslo")),
        ])
        .await?;
    let first = &created[0];
    assert_eq!(
        repo.find_by_id(first.id.unwrap_or_default(), None).await?,
        *first
    );

    // The stored document, as the server holds it.
    let raw = db
        .collection::<Document>(Book::definition().storage_name())
        .find_one(doc! {"_id": first.id.unwrap_or_default()})
        .await
        .map_err(portico_domain::Error::backend)?
        .expect("the book is stored");
    let ty = |key: &str| raw.get(key).map(bson::Bson::element_type);
    assert_eq!(raw.get_str("published").ok(), Some("2024-01-15"));
    assert_eq!(ty("price"), Some(ElementType::Decimal128));
    assert_eq!(
        raw.get("price").map(ToString::to_string).as_deref(),
        Some("9.99")
    );
    assert_eq!(raw.get_str("binding").ok(), Some("hardcover"));
    assert_eq!(
        raw.get_binary_generic("cover").ok(),
        Some(&vec![0, 1, 254, 255])
    );
    let publisher = raw.get_document("publisher").expect("a sub-document");
    assert_eq!(publisher.get_str("city").ok(), Some("Oslo"));
    assert_eq!(publisher.get_str("founded").ok(), Some("1900-01-02"));
    let editions = raw.get_array("editions").expect("an array");
    assert_eq!(
        editions[0]
            .as_document()
            .and_then(|e| e.get("price"))
            .map(bson::Bson::element_type),
        Some(ElementType::Decimal128)
    );

    // Decimals compare numerically on the server, whatever the operand's scale.
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"price": {"gt": "9.5"}}, "order": "title"})
        )
        .await,
        ["a", "b", "c"]
    );
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"price": {"lt": 10}}, "order": "title"})
        )
        .await,
        ["a", "d"]
    );
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"price": {"inq": ["8.5", 1050]}}, "order": "title"})
        )
        .await,
        ["c", "d"]
    );
    assert_eq!(
        titles(&repo, json!({"order": "price DESC"})).await,
        ["c", "b", "a", "d"]
    );
    // Dates as ordered strings.
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"published": {"between": ["2024-01-01", "2024-05-31"]}}, "order": "title"})
        )
        .await,
        ["a", "d"]
    );
    assert_eq!(
        titles(&repo, json!({"order": "published"})).await,
        ["b", "a", "d", "c"]
    );
    // Enums as strings.
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"binding": {"inq": ["hardcover", "e-book"]}}, "order": "title"})
        )
        .await,
        ["a", "c", "d"]
    );
    // A dotted path into the embedded publisher; a missing member is null.
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"publisher.city": "Oslo"}, "order": "title"})
        )
        .await,
        ["a", "d"]
    );
    assert_eq!(
        titles(&repo, json!({"where": {"publisher.city": null}})).await,
        ["c"]
    );
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"publisher.city": {"neq": "Oslo"}}, "order": "title"})
        )
        .await,
        ["b", "c"]
    );
    assert_eq!(
        titles(
            &repo,
            json!({"where": {"and": [{"publisher.city": {"like": "O%"}}, {"price": {"gte": "9.99"}}]}})
        )
        .await,
        ["a"]
    );
    Ok(())
}
