//! The conformance suite on the memory store.

use std::process::ExitCode;
use std::sync::Arc;

use portico_conformance::{Setup, Unavailable};
use portico_memory::MemoryStore;
use portico_ports::Store;

struct MemorySetup;

#[async_trait::async_trait]
impl Setup for MemorySetup {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn store(&self) -> Result<Arc<dyn Store>, Unavailable> {
        Ok(Arc::new(MemoryStore::new()))
    }
}

fn main() -> ExitCode {
    portico_conformance::run(MemorySetup)
}
