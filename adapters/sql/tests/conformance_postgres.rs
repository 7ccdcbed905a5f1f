//! The conformance suite on postgres: `PORTICO_TEST_POSTGRES_URL`, else a container, else skipped.

mod support;

use std::process::ExitCode;

use portico_conformance::services::Service;
use portico_conformance::{Setup, TestStore, Unavailable};
use support::Server;

struct Backend(Server);

#[async_trait::async_trait]
impl Setup for Backend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        self.0.store().await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Backend(Server::resolve(Service::Postgres)))
}
