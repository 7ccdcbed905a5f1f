//! The conformance suite on mysql: `PORTICO_TEST_MYSQL_URL`, else a container, else skipped.

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_testing::Backend;

struct Suite;

#[async_trait::async_trait]
impl Setup for Suite {
    fn name(&self) -> &'static str {
        "mysql"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        portico_testing::store(Backend::MySql).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Suite)
}
