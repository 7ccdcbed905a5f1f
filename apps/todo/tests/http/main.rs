//! End-to-end HTTP tests of the Todo app over real TCP: every route, both filter encodings and
//! every error status, on each backend (memory and SQLite always; PostgreSQL, MySQL/MariaDB and
//! MongoDB when `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_MYSQL_URL`, `PORTICO_TEST_MONGO_URL`
//! are set, else skipped with the reason printed, or failed when
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`). Each case gets a fresh store and its own server on
//! `127.0.0.1:0`.

// Test-only modules share items with `pub`; nothing here is a public API.
#![allow(unreachable_pub)]

mod backends;
mod cases;
mod client;
#[path = "../support/server.rs"]
mod server;
mod stores;

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use portico_domain::Entity;
use portico_ports::Store;
use portico_todo::{HttpSettings, Todo};

use backends::Backend;
use client::Client;
pub use server::{TestServer, runtime};

/// What a case works with: a fresh store of one backend, and the Todo app served over it.
pub struct Ctx {
    pub backend: Backend,
    pub store: Arc<dyn Store>,
    server: Option<TestServer>,
}

impl Ctx {
    /// The Todo app with default settings (started on first use).
    pub fn app(&mut self) -> Result<Client, String> {
        if self.server.is_none() {
            self.server = Some(self.start_app(&HttpSettings::default())?);
        }
        Ok(self.server.as_ref().map(|s| s.client).ok_or("no server")?)
    }

    /// Another instance of the Todo app over the same store, with these settings.
    pub fn start_app(&self, settings: &HttpSettings) -> Result<TestServer, String> {
        let endpoint =
            portico_todo::endpoint(self.store.clone(), settings).map_err(|e| e.to_string())?;
        TestServer::start(endpoint)
    }

    /// Migrates a model into the case's store.
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
        .block_on(store.migrate(Todo::definition()))
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
