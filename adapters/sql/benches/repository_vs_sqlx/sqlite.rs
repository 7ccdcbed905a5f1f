//! SQLite: two in-memory databases seeded alike, each side with the pool settings the store
//! keeps for in-memory databases.

use std::str::FromStr;
use std::sync::Arc;

use portico_domain::value::format_datetime;
use portico_ports::Store;
use portico_sql::{SqlOptions, SqlStore};

use crate::ACQUIRE_TIMEOUT;
use crate::hand::{COLUMNS, HandWritten, LISTS_SQL, SqlText, attach, same_calls};
use crate::measure::{describe, print_table};
use crate::scenario::bench;
use crate::workload::{BenchList, BenchTodo};

/// The text the store sends on SQLite, written by hand.
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

/// The hand-written side on SQLite.
struct SqliteHand {
    pool: sqlx::SqlitePool,
    sql: SqlText,
}

impl HandWritten for SqliteHand {
    // Date-times are stored as `2024-05-01T10:00:00.000Z` text, as the store does.
    same_calls!(due = |todo| todo.due.as_ref().map(format_datetime));

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
}

/// Runs the SQLite half.
pub(crate) async fn run() {
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
