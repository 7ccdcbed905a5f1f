//! The Portico repository against hand-written sqlx doing the same work, on PostgreSQL and
//! SQLite, in one run:
//!
//! ```text
//! cargo bench -p portico-sql --bench repository_vs_sqlx --features postgres,sqlite
//! ```
//!
//! PostgreSQL comes from `PORTICO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1/test`) and is skipped, with the reason printed, when it cannot
//! be reached; the run works in a fresh schema that it drops at the end. SQLite is a shared
//! in-memory database. `BENCH_ROUNDS` (default 41) sets how many measured rounds each side gets.
//!
//! Each side gets the same pool settings and the same seeded table (migrated with
//! `Store::migrate`). The repository side is the path an app takes:
//! `Arc<dyn EntityRepository<BenchTodo>>` → typed filter → check → SQL → bind → decode →
//! record → entity. The sqlx side sends the same SQL text (on PostgreSQL the run checks that
//! the store sent exactly that text) with `sqlx::query_as`/`query_scalar` and decodes into
//! the same struct by column index. Both must return equal results, which is asserted once.
//!
//! Timing: both sides are warmed up, N is calibrated so a round lasts about 15 ms, then they
//! alternate rounds of N iterations (A B, B A, …) and the median of the per-iteration times of
//! the rounds is reported for each; ratio = repository median / sqlx median, and "paired ratio"
//! is the median of repository / sqlx over adjacent pairs of rounds, which shrugs off load
//! that comes and goes. One current-thread tokio runtime, one task, so the numbers are
//! latencies. On PostgreSQL "create one" is a commit, so it mostly measures the WAL flush.
//!
//! On SQLite, a one-statement operation (find by id, create one) costs little more than the
//! hand-off to sqlx's SQLite worker thread, which takes either about 10 µs or about 200 µs
//! depending on whether that thread is still awake; which side lands on the slow path flips
//! between operations and runs (seen: find by id 18× one way while create one was 0.09× the
//! other), so compare the multi-row operations there. Each side has its own in-memory
//! database, seeded alike.
//!
//! "include" finds 100 lists with their 10 items each through `include`; the sqlx side does
//! the same two queries (the lists, then their items by `= ANY($1)` / `IN (…)`) and groups the
//! items into their lists.

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use portico_domain::value::format_datetime;
use portico_domain::{Entity, Filter};
use portico_ports::{EntityRepository, Repository, Store};
use portico_sql::{SqlOptions, SqlStore};
use sqlx::{Connection, Row};

const COMMAND: &str =
    "cargo bench -p portico-sql --bench repository_vs_sqlx --features postgres,sqlite";
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1/test";
/// Rows seeded before measuring.
const SEEDED: i64 = 2000;
/// Both pools get this many connections at most (one task uses one at a time).
const POOL_SIZE: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// The `application_name` of the sqlx pool's connections, to tell them from the store's.
const SQLX_APP: &str = "portico_bench_sqlx";

/// A Todo with a few more columns of the common types.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_todos")]
pub struct BenchTodo {
    #[portico(id, generated)]
    pub id: Option<i64>,
    #[portico(length(min = 1, max = 200))]
    pub title: String,
    pub desc: Option<String>,
    pub is_complete: Option<bool>,
    #[portico(index)]
    pub priority: i64,
    pub owner: Option<String>,
    pub due: Option<DateTime<Utc>>,
    pub estimate: Option<f64>,
}

/// A list with items, for the inclusion scenario.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_lists")]
pub struct BenchList {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub name: String,
    #[portico(has_many(target = BenchItem))]
    pub items: Option<Vec<BenchItem>>,
}

/// An item of a list.
#[derive(Entity, Clone, Debug, PartialEq)]
#[portico(table = "bench_items")]
pub struct BenchItem {
    #[portico(id, generated)]
    pub id: Option<i64>,
    pub title: String,
    pub bench_list_id: Option<i64>,
}

/// Lists and items per list in the inclusion scenario.
const LISTS: i64 = 100;
const ITEMS_PER_LIST: i64 = 10;

fn with_items() -> Filter {
    Filter::new()
        .include("items")
        .order(BenchList::FIELDS.id.asc())
        .limit(LISTS as u64)
}

/// Puts the items (in id order) into their lists, as a hand-written two-query inclusion must.
fn attach(mut lists: Vec<BenchList>, items: Vec<BenchItem>) -> Vec<BenchList> {
    let mut of: std::collections::HashMap<i64, Vec<BenchItem>> = std::collections::HashMap::new();
    for item in items {
        if let Some(list) = item.bench_list_id {
            of.entry(list).or_default().push(item);
        }
    }
    for list in &mut lists {
        list.items = Some(list.id.and_then(|id| of.remove(&id)).unwrap_or_default());
    }
    lists
}

fn todo(i: i64) -> BenchTodo {
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
fn new_todo(i: usize) -> BenchTodo {
    BenchTodo {
        is_complete: Some(true),
        title: format!("created {i}"),
        ..todo(i as i64)
    }
}

// Hand-written decoding: by column index, in the order of the SELECT list.
macro_rules! from_row {
    ($row:ty) => {
        impl<'r> sqlx::FromRow<'r, $row> for BenchTodo {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(BenchTodo {
                    id: row.try_get(0)?,
                    title: row.try_get(1)?,
                    desc: row.try_get(2)?,
                    is_complete: row.try_get(3)?,
                    priority: row.try_get(4)?,
                    owner: row.try_get(5)?,
                    due: row.try_get(6)?,
                    estimate: row.try_get(7)?,
                })
            }
        }
    };
}
from_row!(sqlx::postgres::PgRow);
from_row!(sqlx::sqlite::SqliteRow);

macro_rules! list_rows {
    ($row:ty) => {
        impl<'r> sqlx::FromRow<'r, $row> for BenchList {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(BenchList {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    items: None,
                })
            }
        }
        impl<'r> sqlx::FromRow<'r, $row> for BenchItem {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(BenchItem {
                    id: row.try_get(0)?,
                    title: row.try_get(1)?,
                    bench_list_id: row.try_get(2)?,
                })
            }
        }
    };
}
list_rows!(sqlx::postgres::PgRow);
list_rows!(sqlx::sqlite::SqliteRow);

const LISTS_SQL: &str = r#"SELECT "id", "name" FROM "bench_lists" ORDER BY "id" ASC LIMIT 100"#;

// ---- the four operations, as an app writes them with the repository ----

/// First id of the 1000-row page.
const PAGE_SKIP: u64 = 500;
const PAGE_SIZE: u64 = 1000;

fn filtered() -> Filter {
    let f = BenchTodo::FIELDS;
    Filter::new()
        .where_(f.is_complete.eq(false).and(f.priority.gte(3)))
        .order(f.priority.desc())
        .limit(20)
}

fn page() -> Filter {
    Filter::new()
        .order(BenchTodo::FIELDS.id.asc())
        .limit(PAGE_SIZE)
        .skip(PAGE_SKIP)
}

fn cycle_id(i: usize) -> i64 {
    (i as i64 % SEEDED) + 1
}

// ---- the same SQL, written by hand ----

const COLUMNS: &str =
    r#""id", "title", "desc", "isComplete", "priority", "owner", "due", "estimate""#;

struct SqlText {
    by_id: String,
    filtered: String,
    page: String,
    insert: String,
}

fn pg_sql() -> SqlText {
    SqlText {
        by_id: format!(
            r#"SELECT {COLUMNS} FROM "bench_todos" WHERE "id" = $1 ORDER BY "id" ASC NULLS FIRST"#
        ),
        filtered: format!(
            r#"SELECT {COLUMNS} FROM "bench_todos" WHERE ("isComplete" = $1 AND "priority" >= $2) ORDER BY "priority" DESC NULLS LAST, "id" ASC NULLS FIRST LIMIT $3"#
        ),
        page: format!(
            r#"SELECT {COLUMNS} FROM "bench_todos" ORDER BY "id" ASC NULLS FIRST LIMIT $1 OFFSET $2"#
        ),
        insert: r#"INSERT INTO "bench_todos" ("title", "desc", "isComplete", "priority", "owner", "due", "estimate") VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "id""#.to_owned(),
    }
}

fn sqlite_sql() -> SqlText {
    SqlText {
        by_id: format!(r#"SELECT {COLUMNS} FROM "bench_todos" WHERE "id" = ? ORDER BY "id" ASC"#),
        filtered: format!(
            r#"SELECT {COLUMNS} FROM "bench_todos" WHERE ("isComplete" = ? AND "priority" >= ?) ORDER BY "priority" DESC, "id" ASC LIMIT ?"#
        ),
        page: format!(r#"SELECT {COLUMNS} FROM "bench_todos" ORDER BY "id" ASC LIMIT ? OFFSET ?"#),
        insert: r#"INSERT INTO "bench_todos" ("title", "desc", "isComplete", "priority", "owner", "due", "estimate") VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING "id""#.to_owned(),
    }
}

/// Hand-written data access: what an app would write with sqlx alone.
trait HandWritten {
    /// The SQL text it sends.
    fn sql(&self) -> &SqlText;
    async fn find_by_id(&self, id: i64) -> BenchTodo;
    async fn find_filtered(&self) -> Vec<BenchTodo>;
    async fn find_page(&self) -> Vec<BenchTodo>;
    async fn create(&self, todo: BenchTodo) -> BenchTodo;
    /// 100 lists with their items: two queries, the second by the lists' ids.
    async fn lists_with_items(&self) -> Vec<BenchList>;
}

struct PgHand {
    pool: sqlx::PgPool,
    sql: SqlText,
}

impl HandWritten for PgHand {
    fn sql(&self) -> &SqlText {
        &self.sql
    }

    async fn lists_with_items(&self) -> Vec<BenchList> {
        let lists: Vec<BenchList> = sqlx::query_as(LISTS_SQL)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx lists");
        let ids: Vec<i64> = lists.iter().filter_map(|l| l.id).collect();
        let items = sqlx::query_as(
            r#"SELECT "id", "title", "benchListId" FROM "bench_items" WHERE "benchListId" = ANY($1) ORDER BY "id" ASC"#,
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .expect("sqlx items");
        attach(lists, items)
    }

    async fn find_by_id(&self, id: i64) -> BenchTodo {
        sqlx::query_as(&self.sql.by_id)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .expect("sqlx find by id")
    }

    async fn find_filtered(&self) -> Vec<BenchTodo> {
        sqlx::query_as(&self.sql.filtered)
            .bind(false)
            .bind(3_i64)
            .bind(20_i64)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx filtered find")
    }

    async fn find_page(&self) -> Vec<BenchTodo> {
        sqlx::query_as(&self.sql.page)
            .bind(PAGE_SIZE as i64)
            .bind(PAGE_SKIP as i64)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx page")
    }

    async fn create(&self, todo: BenchTodo) -> BenchTodo {
        let id: i64 = sqlx::query_scalar(&self.sql.insert)
            .bind(&todo.title)
            .bind(&todo.desc)
            .bind(todo.is_complete)
            .bind(todo.priority)
            .bind(&todo.owner)
            .bind(todo.due)
            .bind(todo.estimate)
            .fetch_one(&self.pool)
            .await
            .expect("sqlx insert");
        BenchTodo {
            id: Some(id),
            ..todo
        }
    }
}

struct SqliteHand {
    pool: sqlx::SqlitePool,
    sql: SqlText,
}

impl HandWritten for SqliteHand {
    fn sql(&self) -> &SqlText {
        &self.sql
    }

    async fn lists_with_items(&self) -> Vec<BenchList> {
        let lists: Vec<BenchList> = sqlx::query_as(LISTS_SQL)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx lists");
        let marks = vec!["?"; lists.len()].join(", ");
        let sql = format!(
            r#"SELECT "id", "title", "benchListId" FROM "bench_items" WHERE "benchListId" IN ({marks}) ORDER BY "id" ASC"#
        );
        let mut query = sqlx::query_as(&sql);
        for id in lists.iter().filter_map(|l| l.id) {
            query = query.bind(id);
        }
        let items = query.fetch_all(&self.pool).await.expect("sqlx items");
        attach(lists, items)
    }

    async fn find_by_id(&self, id: i64) -> BenchTodo {
        sqlx::query_as(&self.sql.by_id)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .expect("sqlx find by id")
    }

    async fn find_filtered(&self) -> Vec<BenchTodo> {
        sqlx::query_as(&self.sql.filtered)
            .bind(false)
            .bind(3_i64)
            .bind(20_i64)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx filtered find")
    }

    async fn find_page(&self) -> Vec<BenchTodo> {
        sqlx::query_as(&self.sql.page)
            .bind(PAGE_SIZE as i64)
            .bind(PAGE_SKIP as i64)
            .fetch_all(&self.pool)
            .await
            .expect("sqlx page")
    }

    async fn create(&self, todo: BenchTodo) -> BenchTodo {
        // Date-times are stored as `2024-05-01T10:00:00.000Z` text, as the store does.
        let id: i64 = sqlx::query_scalar(&self.sql.insert)
            .bind(&todo.title)
            .bind(&todo.desc)
            .bind(todo.is_complete)
            .bind(todo.priority)
            .bind(&todo.owner)
            .bind(todo.due.as_ref().map(format_datetime))
            .bind(todo.estimate)
            .fetch_one(&self.pool)
            .await
            .expect("sqlx insert");
        BenchTodo {
            id: Some(id),
            ..todo
        }
    }
}

// ---- measurement ----

/// How long one round of one side lasts: the iteration count is calibrated to it, so short
/// rounds interleave the two sides finely and load from elsewhere hits both alike.
const ROUND_TARGET: Duration = Duration::from_millis(15);

struct Measured {
    operation: &'static str,
    iterations: usize,
    repository_us: f64,
    sqlx_us: f64,
    /// The median over rounds of repository / sqlx of the same pair of rounds.
    paired_ratio: f64,
}

/// µs per iteration of `n` iterations starting at iteration number `start`.
async fn round(f: &mut impl AsyncFnMut(usize), start: usize, n: usize) -> f64 {
    let t = Instant::now();
    for i in start..start + n {
        f(i).await;
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(41)
}

/// Warms both sides up and calibrates the iterations per round, then alternates rounds
/// (A B, B A, A B…) and takes medians.
async fn compare(
    operation: &'static str,
    mut repository: impl AsyncFnMut(usize),
    mut hand: impl AsyncFnMut(usize),
) -> Measured {
    let rounds = rounds();
    let mut next = 0;
    // Warm-up: 10 iterations each, then about a round's worth each.
    let a = round(&mut repository, next, 10).await;
    let b = round(&mut hand, next, 10).await;
    next += 10;
    let target = ROUND_TARGET.as_secs_f64() * 1e6;
    let mut n = ((target / a.min(b)) as usize).clamp(3, 5000);
    let a = round(&mut repository, next, n).await;
    let b = round(&mut hand, next, n).await;
    next += n;
    n = ((2.0 * target / (a + b)) as usize).clamp(3, 5000);

    let (mut ta, mut tb) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for r in 0..rounds {
        if r % 2 == 0 {
            ta.push(round(&mut repository, next, n).await);
            tb.push(round(&mut hand, next, n).await);
        } else {
            tb.push(round(&mut hand, next, n).await);
            ta.push(round(&mut repository, next, n).await);
        }
        next += n;
    }
    let paired = ta.iter().zip(&tb).map(|(a, b)| a / b).collect();
    Measured {
        operation,
        iterations: n,
        repository_us: median(ta),
        sqlx_us: median(tb),
        paired_ratio: median(paired),
    }
}

fn print_table(title: &str, rows: &[Measured]) {
    println!("\n{title}");
    println!("| operation | repository µs | sqlx µs | ratio | paired ratio | iterations/round |");
    println!("|---|---:|---:|---:|---:|---:|");
    for m in rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.3} | {:.3} | {} |",
            m.operation,
            m.repository_us,
            m.sqlx_us,
            m.repository_us / m.sqlx_us,
            m.paired_ratio,
            m.iterations
        );
    }
}

/// Seeds the table, checks that both sides return the same results, then measures.
/// Migrates and seeds one store: the lists with their items, then the todos.
async fn seed(store: &Arc<dyn Store>) -> Vec<BenchTodo> {
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
async fn bench(
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

fn main() {
    println!("portico-sql: the repository against hand-written sqlx doing the same work");
    println!("reproduce: {COMMAND}");
    println!(
        "(PORTICO_TEST_POSTGRES_URL, default {DEFAULT_PG_URL}; BENCH_ROUNDS, default 41; release build)"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        postgres().await;
        sqlite().await;
    });
}

fn describe(backend: &str, detail: &str) -> String {
    format!(
        "{backend} ({detail}; {SEEDED} rows seeded; median of {} rounds, µs per operation)",
        rounds()
    )
}

async fn postgres() {
    let url = std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
    let mut admin = match sqlx::PgConnection::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            println!("\nPostgreSQL skipped: cannot connect to {url}: {e}");
            return;
        }
    };
    let schema = format!(
        "portico_bench_{}_{}",
        std::process::id(),
        Utc::now().timestamp_millis()
    );
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut admin)
        .await
        .expect("create schema");

    let result = async {
        let store = SqlStore::connect_with(
            &url,
            SqlOptions::default()
                .namespace(&schema)
                .max_connections(POOL_SIZE)
                .acquire_timeout(ACQUIRE_TIMEOUT),
        )
        .await
        .expect("store");
        let connect = sqlx::postgres::PgConnectOptions::from_str(&url)
            .expect("url")
            .options([("search_path", schema.as_str())])
            .application_name(SQLX_APP);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(connect)
            .await
            .expect("sqlx pool");
        let hand = PgHand {
            pool,
            sql: pg_sql(),
        };
        // The store's connections must have sent exactly the hand-written text.
        let admin_url = url.clone();
        let mut check = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("check connection");
        let mut sent = async |operation: &'static str, sql: &str| {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND application_name <> $1 AND query = $2",
            )
            .bind(SQLX_APP)
            .bind(sql)
            .fetch_one(&mut check)
            .await
            .expect("pg_stat_activity");
            assert!(n > 0, "{operation}: the store did not send\n  {sql}");
        };
        let rows = bench(Arc::new(store), None, &hand, &mut sent).await;
        hand.pool.close().await;
        rows
    };
    let rows = result.await;
    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    print_table(
        &describe(
            "PostgreSQL",
            &format!("{url}, pools of {POOL_SIZE}, schema dropped after"),
        ),
        &rows,
    );
}

async fn sqlite() {
    // Two named in-memory databases, seeded alike: one for the store, one for the sqlx pool.
    // (Sharing one through SQLite's shared cache makes each side wait on the other's table
    // locks — a statement left unreset after `fetch_optional` holds one — which measures the
    // lock hand-off, not the two sides.)
    let url = |side: &str| {
        format!(
            "sqlite:file:portico_bench_{side}_{}?mode=memory&cache=shared",
            std::process::id()
        )
    };
    let open = async |url: &str| {
        SqlStore::connect_with(url, SqlOptions::default().acquire_timeout(ACQUIRE_TIMEOUT))
            .await
            .expect("store")
    };
    let store = open(&url("repository")).await;
    // Seeds the sqlx side's database, and keeps it alive while the run lasts.
    let hand_db: Arc<dyn Store> = Arc::new(open(&url("sqlx")).await);
    // The store's settings for an in-memory database: one connection, kept forever.
    let connect = sqlx::sqlite::SqliteConnectOptions::from_str(&url("sqlx"))
        .expect("url")
        .create_if_missing(true)
        .foreign_keys(true)
        .with_regexp();
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(connect)
        .await
        .expect("sqlx pool");
    let hand = SqliteHand {
        pool,
        sql: sqlite_sql(),
    };
    let mut sent = async |_: &'static str, _: &str| {};
    let rows = bench(Arc::new(store), Some(hand_db), &hand, &mut sent).await;
    print_table(
        &describe(
            "SQLite",
            "in-memory databases seeded alike, pools of 1 connection as the store keeps for memory databases",
        ),
        &rows,
    );
}
