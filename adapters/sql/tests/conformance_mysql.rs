//! The conformance suite on mysql.

mod support;

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};

struct Backend;

#[async_trait::async_trait]
impl Setup for Backend {
    fn name(&self) -> &'static str {
        "mysql"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        support::mysql(&support::url("PORTICO_TEST_MYSQL_URL")?).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Backend)
}
