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
//! hand-off to sqlx's SQLite worker thread, which is fast or many times slower depending on
//! whether that thread is still awake; which side lands on the slow path flips between
//! operations and runs (the ratio can swing far either way), so compare the multi-row
//! operations there. Each side has its own in-memory database, seeded alike.
//!
//! "include" finds 100 lists with their 10 items each through `include`; the sqlx side does
//! the same two queries (the lists, then their items by `= ANY($1)` / `IN (…)`) and groups the
//! items into their lists.
//!
//! Files: `workload.rs` (the entities, the seeded data and the operations as an app writes
//! them), `hand.rs` (the same work written with sqlx alone), `measure.rs` (rounds, medians,
//! the printed table), `scenario.rs` (seed, check equal results, measure each operation), and
//! one file per backend (`postgres.rs`, `sqlite.rs`: its connection, its hand-written SQL).

mod hand;
mod measure;
mod postgres;
mod scenario;
mod sqlite;
mod workload;

use std::time::Duration;

const COMMAND: &str =
    "cargo bench -p portico-sql --bench repository_vs_sqlx --features postgres,sqlite";
/// Both pools get this many connections at most (one task uses one at a time).
const POOL_SIZE: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    println!("portico-sql: the repository against hand-written sqlx doing the same work");
    println!("reproduce: {COMMAND}");
    println!(
        "(PORTICO_TEST_POSTGRES_URL, default {}; BENCH_ROUNDS, default 41; release build)",
        postgres::DEFAULT_URL
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        postgres::run().await;
        sqlite::run().await;
    });
}
