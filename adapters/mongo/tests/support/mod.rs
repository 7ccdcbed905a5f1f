//! The test server for the tests that are not the conformance suite, resolved by
//! `portico-testing` (`PORTICO_TEST_MONGO_URL`, else a container, else a printed skip, or a
//! failure under `PORTICO_REQUIRE_ALL_BACKENDS=1`).

use portico_testing::Service;

/// The MongoDB server's URL, or `None` (after printing why) when the test is skipped.
///
/// # Panics
/// When no server is available and `PORTICO_REQUIRE_ALL_BACKENDS=1`.
pub(crate) fn server_url() -> Option<String> {
    portico_testing::server_url(Service::Mongo)
        .map_err(|why| portico_testing::skip(&why))
        .ok()
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
