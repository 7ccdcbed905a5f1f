//! PostgreSQL: a fresh schema for the run, both pools into it, and a check that the store
//! sent exactly the hand-written SQL text.

use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use portico_sql::{SqlOptions, SqlStore};
use sqlx::Connection;

use crate::hand::{COLUMNS, HandWritten, LISTS_SQL, SqlText, attach, same_calls};
use crate::measure::{describe, print_table};
use crate::scenario::bench;
use crate::workload::{BenchList, BenchTodo};
use crate::{ACQUIRE_TIMEOUT, POOL_SIZE};

/// The server used when `PORTICO_TEST_POSTGRES_URL` is not set.
pub(crate) const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1/test";
/// The `application_name` of the sqlx pool's connections, to tell them from the store's.
const SQLX_APP: &str = "portico_bench_sqlx";

/// The text the store sends on PostgreSQL, written by hand.
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

/// The hand-written side on PostgreSQL.
struct PgHand {
    pool: sqlx::PgPool,
    sql: SqlText,
}

impl HandWritten for PgHand {
    same_calls!(due = |todo| todo.due);

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
}

/// Runs the PostgreSQL half, or says why it is skipped.
pub(crate) async fn run() {
    let url = std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.into());
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
