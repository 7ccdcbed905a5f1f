//! The backends the end-to-end tests run on, each case on a fresh, isolated store from
//! `portico-testing` (a new memory store, SQLite memory database, PostgreSQL schema,
//! MySQL/MariaDB database or MongoDB database; servers from the environment or a container).

pub use portico_testing::Backend;
