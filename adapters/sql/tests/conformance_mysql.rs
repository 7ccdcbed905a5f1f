//! The conformance suite on mysql: `PORTICO_TEST_MYSQL_URL`, else a container, else skipped.

mod support;

use std::process::ExitCode;

use portico_conformance::services::Service;
use portico_conformance::{Setup, TestStore, Unavailable};
use support::Server;

struct Backend(Server);

#[async_trait::async_trait]
impl Setup for Backend {
    fn name(&self) -> &'static str {
        "mysql"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        self.0.store().await
    }
}

fn main() -> ExitCode {
    portico_conformance::run(Backend(Server::resolve(Service::MySql)))
}
