//! The Portico repository against hand-written MongoDB driver calls doing the same work (the
//! same command with the same options, and every document decoded into the same struct; a
//! create takes the next id from the same counter), in one run:
//!
//! ```sh
//! adapters/mongo/scripts/secantus.sh start
//! PORTICO_TEST_MONGO_URL='mongodb://127.0.0.1:27117/?directConnection=true' \
//!     cargo bench -p portico-mongo --bench repository_vs_driver
//! ```
//!
//! Each operation is run in rounds; a round runs both sides once, alternating which goes first,
//! so drift in the server (caches, a neighbour's load) hits both alike. The table shows the
//! median of each side and the ratio of the medians (Portico / driver). `BENCH_ROUNDS` scales
//! the number of rounds (default 1.0). Without `PORTICO_TEST_MONGO_URL` it prints why and exits.

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bson::{Bson, Document, doc};
use chrono::{DateTime, TimeZone, Utc};
use mongodb::Collection;
use mongodb::options::ReturnDocument;
use portico_domain::{Entity, Filter};
use portico_mongo::{MongoConfig, MongoStore};
use portico_ports::{EntityRepository, Repository, Store};

/// The benchmark's entity.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_products")]
struct Product {
    #[portico(id, generated)]
    id: Option<i64>,
    name: String,
    #[portico(index)]
    category: String,
    price: f64,
    stock: Option<i64>,
    created_at: DateTime<Utc>,
}

const SEEDED: i64 = 3_000;
const CATEGORIES: i64 = 10;

fn product(i: i64) -> Product {
    Product {
        id: None,
        name: format!("product {i:05}"),
        category: format!("c{}", i % CATEGORIES),
        price: ((i * 7919) % 10_000) as f64 / 100.0,
        stock: (i % 3 != 0).then_some(i % 50),
        created_at: Utc
            .timestamp_millis_opt(1_700_000_000_000 + i * 60_000)
            .single()
            .expect("a valid time"),
    }
}

/// What a hand-written driver user writes: read the fields of the document into the struct.
fn decode(doc: &Document) -> Product {
    Product {
        id: Some(doc.get_i64("_id").expect("_id")),
        name: doc.get_str("name").expect("name").to_owned(),
        category: doc.get_str("category").expect("category").to_owned(),
        price: doc.get_f64("price").expect("price"),
        stock: doc.get_i64("stock").ok(),
        created_at: doc
            .get_datetime("createdAt")
            .expect("createdAt")
            .to_chrono(),
    }
}

/// Drains a cursor, decoding each document as it arrives (what a driver user writes).
async fn decode_all(mut cursor: mongodb::Cursor<Document>, expected: usize) -> Vec<Product> {
    let mut out = Vec::with_capacity(expected);
    while cursor.advance().await.expect("advance") {
        out.push(decode(&cursor.deserialize_current().expect("a document")));
    }
    out
}

fn encode(id: i64, p: &Product) -> Document {
    let mut d = doc! {
        "_id": id,
        "name": &p.name,
        "category": &p.category,
        "price": p.price,
        "createdAt": bson::DateTime::from_chrono(p.created_at),
    };
    if let Some(stock) = p.stock {
        d.insert("stock", stock);
    }
    d
}

struct Row {
    name: &'static str,
    driver: Duration,
    portico: Duration,
    rounds: usize,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F: Future<Output = ()>>(f: F) -> Duration {
    let start = Instant::now();
    f.await;
    start.elapsed()
}

/// Runs both sides `rounds` times, alternating which goes first, after a short warm-up.
async fn compare<D, DF, P, PF>(name: &'static str, rounds: usize, driver: D, portico: P) -> Row
where
    D: Fn(usize) -> DF,
    DF: Future<Output = ()>,
    P: Fn(usize) -> PF,
    PF: Future<Output = ()>,
{
    for i in 0..rounds.div_ceil(10) {
        driver(i).await;
        portico(i).await;
    }
    let mut d = Vec::with_capacity(rounds);
    let mut p = Vec::with_capacity(rounds);
    for i in 0..rounds {
        if i % 2 == 0 {
            d.push(time(driver(i)).await);
            p.push(time(portico(i)).await);
        } else {
            p.push(time(portico(i)).await);
            d.push(time(driver(i)).await);
        }
    }
    Row {
        name,
        driver: median(d),
        portico: median(p),
        rounds,
    }
}

fn rounds(base: usize) -> usize {
    let scale: f64 = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((base as f64 * scale).round() as usize).max(3)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(url) = std::env::var("PORTICO_TEST_MONGO_URL") else {
        eprintln!(
            "skipped: PORTICO_TEST_MONGO_URL is not set (start a server with \
             adapters/mongo/scripts/secantus.sh start)"
        );
        return;
    };
    let database = format!("portico_bench_{}", uuid::Uuid::new_v4().simple());
    let store = MongoStore::connect_with(MongoConfig::new(url).database(database))
        .await
        .expect("a valid connection string");
    store.ping().await.expect("the server answers");
    let db = store.database().clone();
    store.migrate(Product::definition()).await.expect("migrate");
    let repo = Arc::new(Repository::<Product>::new(Arc::new(store)).expect("a repository"));
    let coll: Collection<Document> = db.collection("bench_products");
    let counters: Collection<Document> = db.collection("portico_counters");

    let seeded = repo
        .create_all((1..=SEEDED).map(product).collect())
        .await
        .expect("seed");
    assert_eq!(seeded.len() as i64, SEEDED);

    let f = Product::FIELDS;
    let mut rows = Vec::new();

    // Find by id.
    let id_of = |i: usize| (i as i64 * 37) % SEEDED + 1;
    rows.push(
        compare(
            "find by id",
            rounds(400),
            |i| {
                let coll = coll.clone();
                async move {
                    let doc = coll
                        .find_one(doc! {"_id": id_of(i)})
                        .await
                        .expect("find_one")
                        .expect("found");
                    black_box(decode(&doc));
                }
            },
            |i| {
                let repo = repo.clone();
                async move {
                    black_box(repo.find_by_id(id_of(i), None).await.expect("find_by_id"));
                }
            },
        )
        .await,
    );

    // 20 documents: where + order + limit.
    let category = |i: usize| format!("c{}", i as i64 % CATEGORIES);
    rows.push(
        compare(
            "find 20 (where+order+limit)",
            rounds(200),
            |i| {
                let coll = coll.clone();
                async move {
                    let cursor = coll
                        .find(doc! {"category": category(i)})
                        .sort(doc! {"price": -1, "_id": 1})
                        .limit(20)
                        .batch_size(20)
                        .await
                        .expect("find");
                    let out = decode_all(cursor, 20).await;
                    assert_eq!(out.len(), 20);
                    black_box(out);
                }
            },
            |i| {
                let repo = repo.clone();
                async move {
                    let found = repo
                        .find(
                            Filter::new()
                                .where_(f.category.eq(category(i)))
                                .order(f.price.desc())
                                .limit(20),
                        )
                        .await
                        .expect("find");
                    assert_eq!(found.len(), 20);
                    black_box(found);
                }
            },
        )
        .await,
    );

    // Create one: the driver side does the same work (next id from the counter, then insert).
    rows.push(
        compare(
            "create one",
            rounds(300),
            |i| {
                let coll = coll.clone();
                let counters = counters.clone();
                async move {
                    let p = product(SEEDED + i as i64);
                    let counter = counters
                        .find_one_and_update(
                            doc! {"_id": "bench_products"},
                            doc! {"$inc": {"seq": 1_i64}},
                        )
                        .upsert(true)
                        .return_document(ReturnDocument::After)
                        .await
                        .expect("counter")
                        .expect("a counter");
                    let id = match counter.get("seq") {
                        Some(Bson::Int64(n)) => *n,
                        other => panic!("counter {other:?}"),
                    };
                    coll.insert_one(encode(id, &p)).await.expect("insert");
                    black_box(Product { id: Some(id), ..p });
                }
            },
            |i| {
                let repo = repo.clone();
                async move {
                    let p = product(SEEDED + i as i64);
                    black_box(repo.create(p).await.expect("create"));
                }
            },
        )
        .await,
    );

    // A page of 1000 documents.
    rows.push(
        compare(
            "find 1000 (page)",
            rounds(30),
            |i| {
                let coll = coll.clone();
                async move {
                    let cursor = coll
                        .find(doc! {})
                        .sort(doc! {"_id": 1})
                        .skip((i % 2 * 1000) as u64)
                        .limit(1000)
                        .batch_size(1000)
                        .await
                        .expect("find");
                    let out = decode_all(cursor, 1000).await;
                    assert_eq!(out.len(), 1000);
                    black_box(out);
                }
            },
            |i| {
                let repo = repo.clone();
                async move {
                    let found = repo
                        .find(Filter::new().skip((i % 2 * 1000) as u64).limit(1000))
                        .await
                        .expect("find");
                    assert_eq!(found.len(), 1000);
                    black_box(found);
                }
            },
        )
        .await,
    );

    let _ = db.drop().await;

    println!();
    println!(
        "| {:<28} | {:>6} | {:>12} | {:>12} | {:>7} |",
        "operation", "rounds", "driver", "portico", "ratio"
    );
    println!(
        "|{:-<30}|{:->8}|{:->14}|{:->14}|{:->9}|",
        "", "", "", "", ""
    );
    for row in &rows {
        println!(
            "| {:<28} | {:>6} | {:>12.3?} | {:>12.3?} | {:>6.2}x |",
            row.name,
            row.rounds,
            row.driver,
            row.portico,
            row.portico.as_secs_f64() / row.driver.as_secs_f64()
        );
    }
    println!();
    println!("medians of alternating runs; ratio = portico / driver");
}
