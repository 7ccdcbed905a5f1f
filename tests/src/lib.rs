//! # portico-conformance
//!
//! The conformance suite every [`Store`] adapter must pass: one library of async test cases
//! (LoopBack's `@loopback/repository-tests` CRUD cases, the querying and manipulation semantics
//! of its juggler connector suite, and Portico's own filter reference), instantiated once per
//! adapter. Adding a backend is one small file:
//!
//! ```toml
//! # adapters/foo/Cargo.toml
//! [[test]]
//! name = "conformance"
//! harness = false
//! ```
//!
//! ```ignore
//! // adapters/foo/tests/conformance.rs
//! struct FooSetup;
//!
//! #[async_trait::async_trait]
//! impl portico_conformance::Setup for FooSetup {
//!     fn name(&self) -> &'static str { "foo" }
//!     async fn store(&self) -> Result<TestStore, portico_conformance::Unavailable> {
//!         let (store, database) = FooStore::connect_fresh().await?;
//!         Ok(TestStore::new(store).with_teardown(async move { database.drop().await }))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     portico_conformance::run(FooSetup)
//! }
//! ```
//!
//! Each case gets a fresh, isolated store from [`Setup::store`]. Cases that need a capability
//! the store lacks (e.g. `ilike`) are reported as ignored, and cases that check the refusal of
//! an unsupported operator run instead. When the backend is unavailable the whole suite is
//! skipped with the printed reason, unless `PORTICO_REQUIRE_ALL_BACKENDS=1`, which turns the
//! skip into a failure. The binary speaks libtest's command line, so `cargo test` and
//! `cargo nextest` filter and list cases as usual.

#![warn(missing_docs)]

pub mod fixtures;
mod hooked;
pub mod services;
mod suite;

pub use hooked::{Hook, HookedStore, StoreOp};

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use libtest_mimic::{Arguments, Failed, Trial};
use portico_domain::{Capabilities, Entity};
use portico_ports::{CrudRepository, Repository, Store};

/// Why a backend cannot be used for this run (printed when the suite is skipped).
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl<E: std::fmt::Display> From<E> for Unavailable {
    fn from(e: E) -> Self {
        Unavailable(e.to_string())
    }
}

/// Work to run after a case, whatever its outcome (e.g. dropping the case's database).
pub type Teardown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A fresh store for one case, and how to clean up after it.
pub struct TestStore {
    store: Arc<dyn Store>,
    teardown: Option<Teardown>,
}

impl TestStore {
    /// A store that needs no cleanup.
    pub fn new(store: impl Store + 'static) -> Self {
        TestStore {
            store: Arc::new(store),
            teardown: None,
        }
    }

    /// The store and its teardown, for tests outside the suite that reuse a setup.
    pub fn into_parts(self) -> (Arc<dyn Store>, Option<Teardown>) {
        (self.store, self.teardown)
    }

    /// Adds work to run after the case.
    pub fn with_teardown(mut self, teardown: impl Future<Output = ()> + Send + 'static) -> Self {
        self.teardown = Some(Box::pin(teardown));
        self
    }
}

/// How an adapter plugs into the suite.
#[async_trait]
pub trait Setup: Send + Sync + 'static {
    /// The backend's name, shown in skip messages (`memory`, `postgres`…).
    fn name(&self) -> &'static str;

    /// A fresh store, isolated from every other store this setup returns (its own database,
    /// schema or instance), so cases can run in parallel.
    ///
    /// # Errors
    /// [`Unavailable`] when the backend cannot be reached or is not configured.
    async fn store(&self) -> Result<TestStore, Unavailable>;
}

/// What a case returns: any error fails it.
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

type CaseFuture = Pin<Box<dyn Future<Output = TestResult> + Send>>;

/// One conformance case.
pub(crate) struct Case {
    name: &'static str,
    run: fn(Ctx) -> CaseFuture,
    requires: fn(&Capabilities) -> bool,
}

impl Case {
    pub(crate) fn new(name: &'static str, run: fn(Ctx) -> CaseFuture) -> Self {
        Case {
            name,
            run,
            requires: |_| true,
        }
    }

    pub(crate) fn requires(mut self, requires: fn(&Capabilities) -> bool) -> Self {
        self.requires = requires;
        self
    }
}

/// Registers async case functions: `cases![a, b]` → `vec![Case::new("module::a", …), …]`.
macro_rules! cases {
    ($($name:ident $(if $req:expr)?),* $(,)?) => {
        vec![$(
            $crate::Case::new(concat!(module_path!(), "::", stringify!($name)), |ctx| Box::pin($name(ctx)))
                $(.requires($req))?
        ),*]
    };
}
pub(crate) use cases;

/// What a case works with: a fresh store with every fixture model migrated.
#[derive(Clone)]
pub struct Ctx {
    store: Arc<dyn Store>,
}

impl Ctx {
    /// The store under test.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Its capabilities.
    pub fn capabilities(&self) -> &Capabilities {
        self.store.capabilities()
    }

    /// The typed repository of `E`.
    ///
    /// # Panics
    /// When the store refuses the model; cases only use models the store can hold.
    pub fn repo<E: Entity>(&self) -> Repository<E> {
        Repository::new(self.store.clone()).expect("the store accepts the fixture model")
    }

    /// The untyped repository of `E`'s model.
    pub fn records<E: Entity>(&self) -> CrudRepository {
        self.repo::<E>().records().clone()
    }
}

/// Runs the suite against `setup`: call it from the `main` of a `harness = false` test.
pub fn run(setup: impl Setup) -> ExitCode {
    let args = Arguments::from_args();
    let setup = Arc::new(setup);
    let require_all = std::env::var("PORTICO_REQUIRE_ALL_BACKENDS").is_ok_and(|v| v == "1");
    let probe = runtime().block_on(async {
        let fresh = setup.store().await?;
        let capabilities = fresh.store.capabilities().clone();
        if let Some(teardown) = fresh.teardown {
            teardown.await;
        }
        Ok::<_, Unavailable>(capabilities)
    });
    let (capabilities, skip_reason) = match probe {
        Ok(capabilities) => (Some(capabilities), None),
        Err(Unavailable(reason)) => (None, Some(reason)),
    };
    if let Some(reason) = &skip_reason {
        if require_all {
            eprintln!(
                "error: backend {} is required (PORTICO_REQUIRE_ALL_BACKENDS=1) but unavailable: {reason}",
                setup.name()
            );
            return ExitCode::FAILURE;
        }
        eprintln!("skipped: {} conformance suite: {reason}", setup.name());
    }
    let trials = suite::all()
        .into_iter()
        .map(|case| {
            let supported = capabilities.as_ref().is_some_and(|c| (case.requires)(c));
            let ignored = skip_reason.is_some() || !supported;
            let setup = setup.clone();
            let run = case.run;
            let name = case.name.trim_start_matches("portico_conformance::suite::");
            let trial =
                Trial::test(name, move || run_case(setup.as_ref(), run)).with_ignored_flag(ignored);
            match (&skip_reason, supported) {
                (Some(_), _) => trial.with_kind("backend unavailable"),
                (None, false) => trial.with_kind("capability missing"),
                (None, true) => trial,
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime can be built")
}

fn run_case(setup: &dyn Setup, run: fn(Ctx) -> CaseFuture) -> Result<(), Failed> {
    let outcome = runtime().block_on(async {
        let TestStore { store, teardown } = setup
            .store()
            .await
            .map_err(|u| format!("backend unavailable: {}", u.0))?;
        // The case runs as a task so that a panic in it still lets the teardown run.
        let case = tokio::spawn(async move {
            let mut models = fixtures::models();
            if store.capabilities().free_form_properties {
                models.extend(fixtures::free_form_models());
            }
            if store.capabilities().object_ids {
                models.extend(fixtures::object_id_models());
            }
            for model in models {
                store
                    .migrate(model)
                    .await
                    .map_err(|e| format!("migrating {}: {e}", model.name))?;
            }
            run(Ctx { store }).await.map_err(|e| format!("{e}"))
        })
        .await;
        if let Some(teardown) = teardown {
            teardown.await;
        }
        match case {
            Ok(result) => result,
            Err(join) => Err(join
                .try_into_panic()
                .map_or_else(|_| "the case was cancelled".to_owned(), panic_message)),
        }
    });
    outcome.map_err(Failed::from)
}

fn panic_message(panic: Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the case panicked".to_owned())
}
