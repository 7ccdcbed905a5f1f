//! The workload: the entities, the seeded data, and the operations as an app writes them
//! with the repository.

use chrono::{DateTime, TimeZone, Utc};
use portico_domain::{Entity, Filter};

/// Rows seeded before measuring.
pub(crate) const SEEDED: i64 = 2000;

/// A Todo with a few more columns of the common types.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_todos")]
pub(crate) struct BenchTodo {
    #[portico(id, generated)]
    pub(crate) id: Option<i64>,
    #[portico(length(min = 1, max = 200))]
    pub(crate) title: String,
    pub(crate) desc: Option<String>,
    pub(crate) is_complete: Option<bool>,
    #[portico(index)]
    pub(crate) priority: i64,
    pub(crate) owner: Option<String>,
    pub(crate) due: Option<DateTime<Utc>>,
    pub(crate) estimate: Option<f64>,
}

/// A list with items, for the inclusion scenario.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_lists")]
pub(crate) struct BenchList {
    #[portico(id, generated)]
    pub(crate) id: Option<i64>,
    pub(crate) name: String,
    #[portico(has_many(target = BenchItem))]
    pub(crate) items: Option<Vec<BenchItem>>,
}

/// An item of a list.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_items")]
pub(crate) struct BenchItem {
    #[portico(id, generated)]
    pub(crate) id: Option<i64>,
    pub(crate) title: String,
    pub(crate) bench_list_id: Option<i64>,
}

/// Lists and items per list in the inclusion scenario.
pub(crate) const LISTS: i64 = 100;
pub(crate) const ITEMS_PER_LIST: i64 = 10;

pub(crate) fn with_items() -> Filter {
    Filter::new()
        .include("items")
        .order(BenchList::FIELDS.id.asc())
        .limit(LISTS as u64)
}

pub(crate) fn todo(i: i64) -> BenchTodo {
    let base = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    BenchTodo {
        id: None,
        title: format!("todo number {i}"),
        desc: (i % 2 == 0).then(|| format!("the description of todo {i}, a little longer")),
        is_complete: Some(i % 3 == 0),
        priority: i % 5,
        owner: Some(["ann", "bob", "cy"][(i % 3) as usize].to_owned()),
        due: (i % 4 != 0).then(|| base + chrono::Duration::milliseconds(i * 3_600_123)),
        estimate: Some(i as f64 * 0.25),
    }
}

/// A todo created during the run: complete, so it never enters the filtered query's result.
pub(crate) fn new_todo(i: usize) -> BenchTodo {
    BenchTodo {
        is_complete: Some(true),
        title: format!("created {i}"),
        ..todo(i as i64)
    }
}

// ---- the four operations, as an app writes them with the repository ----

/// First id of the 1000-row page.
pub(crate) const PAGE_SKIP: u64 = 500;
pub(crate) const PAGE_SIZE: u64 = 1000;

pub(crate) fn filtered() -> Filter {
    let f = BenchTodo::FIELDS;
    Filter::new()
        .where_(f.is_complete.eq(false).and(f.priority.gte(3)))
        .order(f.priority.desc())
        .limit(20)
}

pub(crate) fn page() -> Filter {
    Filter::new()
        .order(BenchTodo::FIELDS.id.asc())
        .limit(PAGE_SIZE)
        .skip(PAGE_SKIP)
}

pub(crate) fn cycle_id(i: usize) -> i64 {
    (i as i64 % SEEDED) + 1
}
