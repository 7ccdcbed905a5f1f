//! The conformance suite on the memory store.

use std::process::ExitCode;

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_memory::MemoryStore;

struct MemorySetup;

#[async_trait::async_trait]
impl Setup for MemorySetup {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        Ok(TestStore::new(MemoryStore::new()))
    }
}

fn main() -> ExitCode {
    portico_conformance::run(MemorySetup)
}
