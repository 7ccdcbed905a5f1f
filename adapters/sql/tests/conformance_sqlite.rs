//! The conformance suite on sqlite: SQLite in memory, always.

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_testing::Backend;

struct Suite;

#[async_trait::async_trait]
impl Setup for Suite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        portico_testing::store(Backend::Sqlite).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Suite)
}
