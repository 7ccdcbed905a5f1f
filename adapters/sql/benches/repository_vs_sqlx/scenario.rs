//! One backend's run: seed both sides, check once that they return equal results, then
//! measure each operation.

use std::hint::black_box;
use std::sync::Arc;

use portico_domain::Entity;
use portico_ports::{EntityRepository, Repository, Store};

use crate::hand::HandWritten;
use crate::measure::{Measured, compare};
use crate::workload::{
    BenchItem, BenchList, BenchTodo, ITEMS_PER_LIST, LISTS, PAGE_SIZE, PAGE_SKIP, SEEDED, cycle_id,
    filtered, new_todo, page, todo, with_items,
};

/// Migrates and seeds one store: the lists with their items, then the todos.
pub(crate) async fn seed(store: &Arc<dyn Store>) -> Vec<BenchTodo> {
    for model in [
        BenchTodo::definition(),
        BenchList::definition(),
        BenchItem::definition(),
    ] {
        store.migrate(model).await.expect("migrate");
    }
    let created_lists = Repository::<BenchList>::new(store.clone())
        .expect("repository")
        .create_all(
            (1..=LISTS)
                .map(|i| BenchList {
                    id: None,
                    name: format!("list {i}"),
                    items: None,
                })
                .collect(),
        )
        .await
        .expect("seed lists");
    Repository::<BenchItem>::new(store.clone())
        .expect("repository")
        .create_all(
            (0..ITEMS_PER_LIST)
                .flat_map(|j| {
                    created_lists.iter().map(move |l| BenchItem {
                        id: None,
                        title: format!("item {j} of {}", l.name),
                        bench_list_id: l.id,
                    })
                })
                .collect(),
        )
        .await
        .expect("seed items");
    let seeded = Repository::<BenchTodo>::new(store.clone())
        .expect("repository")
        .create_all((1..=SEEDED).map(todo).collect())
        .await
        .expect("seed");
    assert_eq!(seeded.last().and_then(|t| t.id), Some(SEEDED));
    seeded
}

/// Seeds the tables, checks that both sides return the same results, then measures. `hand_db`
/// is the store of the database the sqlx side reads when it is not the repository's own
/// (seeded identically), `None` when both share one.
pub(crate) async fn bench(
    store: Arc<dyn Store>,
    hand_db: Option<Arc<dyn Store>>,
    hand: &impl HandWritten,
    sent: &mut impl AsyncFnMut(&'static str, &str),
) -> Vec<Measured> {
    let seeded = seed(&store).await;
    if let Some(hand_db) = &hand_db {
        assert_eq!(seed(hand_db).await, seeded);
    }
    let shared = hand_db.is_none();
    let repo: Arc<dyn EntityRepository<BenchTodo>> =
        Arc::new(Repository::<BenchTodo>::new(store.clone()).expect("repository"));
    let lists: Arc<dyn EntityRepository<BenchList>> =
        Arc::new(Repository::<BenchList>::new(store.clone()).expect("repository"));
    let included = lists.find(with_items()).await.expect("include");
    assert_eq!(included.len(), LISTS as usize);
    assert!(
        included
            .iter()
            .all(|l| l.items.as_ref().map(Vec::len) == Some(ITEMS_PER_LIST as usize))
    );
    assert_eq!(included, hand.lists_with_items().await);

    // Equal results, once.
    let by_repo = repo.find_by_id(7, None).await.expect("find by id");
    sent("find by id", &hand.sql().by_id).await;
    assert_eq!(by_repo, hand.find_by_id(7).await);
    assert_eq!(by_repo, seeded[6]);

    let by_repo = repo.find(filtered()).await.expect("filtered find");
    sent("where + order + limit 20", &hand.sql().filtered).await;
    assert_eq!(by_repo.len(), 20);
    assert_eq!(by_repo, hand.find_filtered().await);

    let by_repo = repo.find(page()).await.expect("page");
    sent("1000-row page", &hand.sql().page).await;
    assert_eq!(by_repo.len(), PAGE_SIZE as usize);
    assert_eq!(by_repo[0].id, Some(PAGE_SKIP as i64 + 1));
    assert_eq!(by_repo, hand.find_page().await);

    let created = repo.create(new_todo(0)).await.expect("create");
    sent("create one", &hand.sql().insert).await;
    let by_hand = hand.create(new_todo(0)).await;
    assert_eq!(
        BenchTodo {
            id: created.id,
            ..by_hand.clone()
        },
        created
    );
    if shared {
        assert_eq!(by_hand.id, created.id.map(|id| id + 1));
        // What sqlx stored reads back through the repository as what it wrote.
        assert_eq!(
            repo.find_by_id(by_hand.id.unwrap(), None).await.unwrap(),
            by_hand
        );
    }

    let mut rows = Vec::new();
    rows.push(
        compare(
            "find by id",
            async |i| {
                black_box(repo.find_by_id(cycle_id(i), None).await.unwrap());
            },
            async |i| {
                black_box(hand.find_by_id(cycle_id(i)).await);
            },
        )
        .await,
    );
    rows.push(
        compare(
            "where + order + limit 20",
            async |_| {
                black_box(repo.find(filtered()).await.unwrap());
            },
            async |_| {
                black_box(hand.find_filtered().await);
            },
        )
        .await,
    );
    rows.push(
        compare(
            "create one",
            async |i| {
                black_box(repo.create(new_todo(i)).await.unwrap());
            },
            async |i| {
                black_box(hand.create(new_todo(i)).await);
            },
        )
        .await,
    );
    rows.push(
        compare(
            "include: 100 lists × 10 items",
            async |_| {
                black_box(lists.find(with_items()).await.unwrap());
            },
            async |_| {
                black_box(hand.lists_with_items().await);
            },
        )
        .await,
    );
    rows.push(
        compare(
            "1000-row page",
            async |_| {
                black_box(repo.find(page()).await.unwrap());
            },
            async |_| {
                black_box(hand.find_page().await);
            },
        )
        .await,
    );
    rows
}
