//! The conformance suite on sqlite.

mod support;

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};

struct Backend;

#[async_trait::async_trait]
impl Setup for Backend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        support::sqlite().await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Backend)
}
