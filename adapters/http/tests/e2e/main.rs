//! End-to-end tests of the HTTP adapter over real TCP, against models of the suite's own
//! (`models.rs`): every CRUD and relation route, both filter encodings, `include`, every error
//! status in LoopBack's envelope, `ETag`/`If-Match`, concurrent conflicts, CORS, the OpenAPI
//! document and the explorer. Each case runs on every backend (memory and SQLite always;
//! PostgreSQL, MySQL/MariaDB and MongoDB when `PORTICO_TEST_POSTGRES_URL`,
//! `PORTICO_TEST_MYSQL_URL`, `PORTICO_TEST_MONGO_URL` are set or containers can be started,
//! else skipped with the reason printed, or failed when `PORTICO_REQUIRE_ALL_BACKENDS=1`),
//! except those that do not depend on it (memory only). Each case gets a fresh, isolated store
//! from `portico-testing` and its own server on `127.0.0.1:0`; one runtime serves them all.

// Test-only modules share items with `pub`; nothing here is a public API.
#![allow(unreachable_pub)]

mod cases;
mod models;
mod support;

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use portico_domain::Entity;
use portico_ports::Store;
use portico_testing::Backend;

use models::Settings;
use support::client::Client;
use support::server::{TestServer, runtime};

/// What a case works with: a fresh store of one backend (the suite's models migrated), and
/// the API served over it.
pub struct Ctx {
    pub backend: Backend,
    pub store: Arc<dyn Store>,
    server: Option<TestServer>,
}

impl Ctx {
    /// The API with default settings (started on first use).
    pub fn app(&mut self) -> Result<Client, String> {
        if self.server.is_none() {
            self.server = Some(self.start_app(&Settings::default())?);
        }
        Ok(self.server.as_ref().map(|s| s.client).ok_or("no server")?)
    }

    /// Another instance of the API over the same store, with these settings.
    pub fn start_app(&self, settings: &Settings) -> Result<TestServer, String> {
        TestServer::start(models::api(self.store.clone(), settings)?)
    }

    /// Migrates another model into the case's store.
    pub fn migrate<E: Entity>(&self) -> Result<(), String> {
        runtime()
            .block_on(self.store.migrate(E::definition()))
            .map_err(|e| e.to_string())
    }
}

/// A case: its name, whether it depends on the backend (else it runs on memory only), and
/// its body.
pub struct Case {
    pub name: &'static str,
    pub per_backend: bool,
    pub run: fn(&mut Ctx) -> Result<(), String>,
}

fn run_case(backend: Backend, case: &Case) -> Result<(), Failed> {
    let (store, teardown) = runtime()
        .block_on(portico_testing::store(backend))
        .map_err(|u| u.0)?
        .into_parts();
    let outcome = runtime()
        .block_on(models::migrate(store.as_ref()))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let mut ctx = Ctx {
                backend,
                store,
                server: None,
            };
            (case.run)(&mut ctx)
        });
    if let Some(teardown) = teardown {
        runtime().block_on(teardown);
    }
    outcome.map_err(Failed::from)
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let require_all = std::env::var("PORTICO_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1");
    let cases: &'static [Case] = Box::leak(cases::all().into_boxed_slice());
    let mut trials = Vec::new();
    for backend in Backend::ALL {
        let skip = backend.unavailable().map(|u| u.0);
        if let Some(reason) = &skip {
            if require_all {
                eprintln!(
                    "error: backend {} is required (PORTICO_REQUIRE_ALL_BACKENDS=1) but unavailable: {reason}",
                    backend.name()
                );
                return std::process::ExitCode::FAILURE;
            }
            eprintln!("note: skipping the {} HTTP tests: {reason}", backend.name());
        }
        for case in cases {
            if !case.per_backend && backend != Backend::Memory {
                continue;
            }
            let trial = Trial::test(format!("{}::{}", backend.name(), case.name), move || {
                run_case(backend, case)
            })
            .with_ignored_flag(skip.is_some());
            trials.push(trial);
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
