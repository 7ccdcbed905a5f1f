//! Hand-written data access: what an app would write with sqlx alone, decoding into the same
//! structs by column index.

use std::collections::HashMap;

use sqlx::Row;

use crate::workload::{BenchItem, BenchList, BenchTodo};

/// Puts the items (in id order) into their lists, as a hand-written two-query inclusion must.
pub(crate) fn attach(mut lists: Vec<BenchList>, items: Vec<BenchItem>) -> Vec<BenchList> {
    let mut of: HashMap<i64, Vec<BenchItem>> = HashMap::new();
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

pub(crate) const LISTS_SQL: &str =
    r#"SELECT "id", "name" FROM "bench_lists" ORDER BY "id" ASC LIMIT 100"#;

// ---- the same SQL, written by hand ----

pub(crate) const COLUMNS: &str =
    r#""id", "title", "desc", "isComplete", "priority", "owner", "due", "estimate""#;

pub(crate) struct SqlText {
    pub(crate) by_id: String,
    pub(crate) filtered: String,
    pub(crate) page: String,
    pub(crate) insert: String,
}

/// Hand-written data access: what an app would write with sqlx alone.
pub(crate) trait HandWritten {
    /// The SQL text it sends.
    fn sql(&self) -> &SqlText;
    async fn find_by_id(&self, id: i64) -> BenchTodo;
    async fn find_filtered(&self) -> Vec<BenchTodo>;
    async fn find_page(&self) -> Vec<BenchTodo>;
    async fn create(&self, todo: BenchTodo) -> BenchTodo;
    /// 100 lists with their items: two queries, the second by the lists' ids.
    async fn lists_with_items(&self) -> Vec<BenchList>;
}

/// The calls both backends write alike: the same calls on their own pool, with their own SQL
/// text; `due` is how the backend binds a date-time (`|todo| value`).
macro_rules! same_calls {
    (due = |$todo:ident| $due:expr) => {
        fn sql(&self) -> &$crate::hand::SqlText {
            &self.sql
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
                .bind($crate::workload::PAGE_SIZE as i64)
                .bind($crate::workload::PAGE_SKIP as i64)
                .fetch_all(&self.pool)
                .await
                .expect("sqlx page")
        }

        async fn create(&self, $todo: BenchTodo) -> BenchTodo {
            let id: i64 = sqlx::query_scalar(&self.sql.insert)
                .bind(&$todo.title)
                .bind(&$todo.desc)
                .bind($todo.is_complete)
                .bind($todo.priority)
                .bind(&$todo.owner)
                .bind($due)
                .bind($todo.estimate)
                .fetch_one(&self.pool)
                .await
                .expect("sqlx insert");
            BenchTodo {
                id: Some(id),
                ..$todo
            }
        }
    };
}
pub(crate) use same_calls;
