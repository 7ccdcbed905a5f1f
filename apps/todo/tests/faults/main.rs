//! Fault tests of the Todo app over real TCP:
//!
//! - `private_postgres::outage_fails_fast_and_recovers`: the `portico-todo` binary on a private
//!   PostgreSQL cluster (initdb into a temporary directory, a spare port) under concurrent write
//!   load; the cluster is stopped and started again. While it is down every request is answered
//!   503 within the acquire timeout plus a margin; the app recovers by itself; every 200 is
//!   stored and no 503 left a row.
//! - `private_postgres::sigterm_finishes_in_flight_requests` and
//!   `memory::shutdown_finishes_in_flight_requests`: graceful shutdown, on the binary (SIGTERM)
//!   and in-process (`portico::server::serve`'s shutdown future).
//!
//! (Concurrent conflicts and `ETag`/`If-Match` are the HTTP adapter's, tested on every backend
//! by `adapters/http/tests/e2e`.) Without PostgreSQL binaries the private-cluster cases are
//! skipped with the reason printed, or fail the run under `PORTICO_REQUIRE_ALL_BACKENDS=1`.

// Test-only modules share items with `pub`; nothing here is a public API.
#![allow(unreachable_pub)]

mod app;
mod client;
mod outage;
mod pg;
mod shutdown;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

/// The runtime of the in-process server; test bodies are blocking clients.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

pub type Outcome = Result<(), String>;

pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// Polls `condition` until it holds; fails after `bound` (a guard against hangs).
pub fn wait_until(bound: Duration, what: &str, mut condition: impl FnMut() -> bool) -> Outcome {
    let deadline = Instant::now() + bound;
    loop {
        if condition() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("waited {bound:?} for {what}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Fails the run (under `PORTICO_REQUIRE_ALL_BACKENDS=1`) or notes the skip.
fn unavailable(what: &str, reason: &str, require_all: bool) -> Result<(), ()> {
    if require_all {
        eprintln!(
            "error: {what} is required (PORTICO_REQUIRE_ALL_BACKENDS=1) but unavailable: {reason}"
        );
        return Err(());
    }
    eprintln!("note: skipping the {what} fault tests: {reason}");
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let require_all = std::env::var("PORTICO_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1");
    let mut trials = vec![Trial::test(
        "memory::shutdown_finishes_in_flight_requests",
        || shutdown::in_process_shutdown_finishes_in_flight_requests().map_err(Failed::from),
    )];

    let binaries = pg::Binaries::find();
    let fail = |what: &str, reason: &str| unavailable(what, reason, require_all).is_err();
    if binaries
        .as_ref()
        .is_err_and(|reason| fail("private PostgreSQL", reason))
    {
        return std::process::ExitCode::FAILURE;
    }
    let skip_pg = binaries.is_err();
    type PgCase = fn(pg::Binaries) -> Outcome;
    let pg_cases: [(&str, PgCase); 2] = [
        (
            "outage_fails_fast_and_recovers",
            outage::postgres_outage_fails_fast_and_recovers,
        ),
        (
            "sigterm_finishes_in_flight_requests",
            shutdown::sigterm_finishes_in_flight_requests,
        ),
    ];
    for (name, case) in pg_cases {
        let binaries = binaries.clone();
        trials.push(
            Trial::test(format!("private_postgres::{name}"), move || {
                let binaries = binaries.map_err(Failed::from)?;
                case(binaries).map_err(Failed::from)
            })
            .with_ignored_flag(skip_pg),
        );
    }

    libtest_mimic::run(&args, trials).exit_code()
}
