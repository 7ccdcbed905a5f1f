//! The conformance suite on postgres.

mod support;

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};

struct Backend;

#[async_trait::async_trait]
impl Setup for Backend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        support::postgres(&support::url("PORTICO_TEST_POSTGRES_URL")?).await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Backend)
}
