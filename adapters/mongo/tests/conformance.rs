//! The conformance suite on MongoDB: `PORTICO_TEST_MONGO_URL`, else a container, else skipped
//! with the reason printed (a failure under `PORTICO_REQUIRE_ALL_BACKENDS=1`). Each case runs
//! in its own database, dropped afterwards.

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_testing::Backend;

struct Suite;

#[async_trait::async_trait]
impl Setup for Suite {
    fn name(&self) -> &'static str {
        "mongo"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        portico_testing::store(Backend::Mongo).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Suite)
}
