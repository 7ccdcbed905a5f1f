//! The test server for the tests that are not the conformance suite: from
//! `portico_conformance::services` (`PORTICO_TEST_MONGO_URL`, else a container with the
//! `containers` feature), else a printed skip, or a failure under
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`.

use std::io::Write;

use portico_conformance::services::{self, Service, ServiceUrl};

/// The MongoDB server for `test`, or `None` (after printing why) when the test is skipped.
/// Call it outside any async runtime (starting a container blocks); keep the result for the
/// whole test (a container lives as long as it).
///
/// # Panics
/// When no server is available and `PORTICO_REQUIRE_ALL_BACKENDS=1`.
pub(crate) fn server(test: &str) -> Option<ServiceUrl> {
    match services::resolve(Service::Mongo) {
        Ok(server) => Some(server),
        Err(why) if std::env::var("PORTICO_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1") => {
            panic!(
                "backend mongo is required (PORTICO_REQUIRE_ALL_BACKENDS=1) but unavailable: {}",
                why.0
            )
        }
        Err(why) => {
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let _ = writeln!(std::io::stderr(), "skipped: {test}: {}", why.0);
            None
        }
    }
}

/// A fresh database name for one test.
pub(crate) fn fresh_database() -> String {
    format!("portico_test_{}", uuid::Uuid::new_v4().simple())
}

/// A multi-threaded runtime for a test.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime")
}
