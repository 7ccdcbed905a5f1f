//! The conformance suite on postgres: `PORTICO_TEST_POSTGRES_URL`, else a container, else skipped.

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_testing::Backend;

struct Suite;

#[async_trait::async_trait]
impl Setup for Suite {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        portico_testing::store(Backend::Postgres).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Suite)
}
