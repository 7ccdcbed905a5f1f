//! # portico-ports
//!
//! The ports of Portico's hexagon:
//!
//! - [`EntityRepository<E>`] — what apps call: LoopBack's full repository method set for a typed
//!   entity, object-safe (`Arc<dyn EntityRepository<Todo>>`);
//! - [`RecordRepository`] — the same over untyped records, for transports that are generic over
//!   models;
//! - [`Store`] — what adapters implement: a narrow, record-level storage port;
//! - [`Transaction`] — an open transaction from [`Store::begin`]: repositories built over
//!   [`Transaction::store`] run inside it ([`TransactionStore`] is its adapter-side port).
//!
//! - [`auth`] — who calls ([`Principal`]), who may ([`Access`], [`Voter`], [`Authorization`]),
//!   and [`TokenVerifier`], the port a transport hands bearer tokens to; [`Scope`] restricts a
//!   repository to the records its caller owns.
//!
//! Between them, [`CrudRepository`] and [`Repository<E>`] hold the per-entity logic once for
//! every adapter (LoopBack's `DefaultCrudRepository` over its `CrudConnector`): validation,
//! defaults, id generation, id and patch rules, filter checking against the model and the
//! store's capabilities.
//!
//! With the `mock` feature, `MockEntityRepository<E>`, `MockRecordRepository` and `MockStore`
//! ([mockall](https://docs.rs/mockall)) stand in for any port in unit tests; the memory adapter
//! is the stateful alternative.
//!
//! This crate does no IO and depends on no async runtime: the traits are `async_trait`s that
//! any executor can drive.
#![warn(missing_docs)]

pub mod auth;
mod crud;
mod relations;
mod repository;
mod scope;
mod store;
mod transaction;
mod typed;

pub use auth::{Access, Authorization, Decision, OperationKind, Principal, TokenVerifier, Voter};
#[cfg(feature = "mock")]
pub use auth::{MockTokenVerifier, MockVoter};
pub use crud::CrudRepository;
pub use relations::{BelongsTo, HasMany, HasManyThrough, HasOne, RelatedRecords};
pub use repository::{EntityRepository, RecordRepository};
#[cfg(feature = "mock")]
pub use repository::{MockEntityRepository, MockRecordRepository};
pub use scope::{Scope, ScopedStore};
#[cfg(feature = "mock")]
pub use store::MockStore;
pub use store::{PoolStats, RowSink, Store};
pub use transaction::{
    IsolationLevel, Transaction, TransactionEnd, TransactionOptions, TransactionStore,
};
pub use typed::Repository;
