//! The conformance suite on a SQLite file, the apps' default store: a fresh file per case, in
//! WAL mode with reads and writes on connections of their own (in memory, one connection does
//! both, so the `conformance_sqlite` run does not cover that split).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use portico_conformance::{Setup, TestStore, Unavailable};
use portico_sql::SqlStore;

struct Suite {
    folder: PathBuf,
    next: AtomicUsize,
}

#[async_trait::async_trait]
impl Setup for Suite {
    fn name(&self) -> &'static str {
        "sqlite-file"
    }

    async fn store(&self) -> Result<TestStore, Unavailable> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let file = self.folder.join(format!("case-{n}.db"));
        let url = format!("sqlite://{}", file.display());
        let store = SqlStore::connect(&url)
            .await
            .map_err(|e| Unavailable(format!("cannot open {url}: {e}")))?;
        Ok(TestStore::new(store))
    }
}

fn main() -> ExitCode {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-sqlite-file");
    // Files of an earlier run would make a case's store not fresh.
    let _ = std::fs::remove_dir_all(&folder);
    if let Err(e) = std::fs::create_dir_all(&folder) {
        eprintln!("cannot create {}: {e}", folder.display());
        return ExitCode::FAILURE;
    }
    portico_conformance::run(Suite {
        folder,
        next: AtomicUsize::new(0),
    })
}
