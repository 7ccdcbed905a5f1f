//! # portico-mongo
//!
//! The MongoDB [`Store`]: Portico's repositories over the official MongoDB driver
//! ([`mongodb`] 3, with rustls). It returns exactly the records the memory reference store
//! returns for every filter (the conformance suite checks it), using only standard MongoDB
//! commands (`find`, `count` via `aggregate`, `insert`, `update`, `delete`, `findAndModify`,
//! `create`, `createIndexes`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use portico_domain::Entity;
//! use portico_mongo::{MongoConfig, MongoStore};
//! use portico_ports::{EntityRepository, Repository, Store};
//!
//! #[derive(Entity, Clone, Debug)]
//! struct Note { #[portico(id, generated)] id: Option<i64>, text: String }
//!
//! # async fn demo() -> portico_domain::Result<()> {
//! let store = MongoStore::connect_with(
//!     MongoConfig::new("mongodb://127.0.0.1:27017/notes")
//!         .server_selection_timeout(std::time::Duration::from_secs(2)),
//! )
//! .await?;
//! store.migrate(Note::definition()).await?;
//! let notes = Repository::<Note>::new(Arc::new(store))?;
//! let note = notes.create(Note { id: None, text: "hi".into() }).await?;
//! assert_eq!(note.id, Some(1));
//! # Ok(()) }
//! ```
//!
//! ## Configuration
//!
//! [`MongoConfig`] holds:
//!
//! - the connection string (`mongodb://…`; every standard option works, e.g.
//!   `directConnection=true`, `replicaSet`, credentials, `tls`);
//! - the database: [`MongoConfig::database`], else the path of the connection string
//!   (`mongodb://host/app` → `app`); one of them is required;
//! - the server-selection timeout: how long an operation waits for a usable server before it
//!   fails with [`Error::Unavailable`]. [`MongoConfig::server_selection_timeout`] wins; else the
//!   connection string's `serverSelectionTimeoutMS`; else
//!   [`DEFAULT_SERVER_SELECTION_TIMEOUT`] (5 s, where the driver's own default is 30 s);
//! - the counters collection for store-generated integer ids
//!   ([`MongoConfig::counters_collection`], default [`DEFAULT_COUNTERS_COLLECTION`]).
//!
//! [`MongoStore::connect_with`] does no IO: the driver connects on first use. Call
//! [`MongoStore::ping`] to check the server at start-up. [`MongoStore::from_database`] builds a
//! store over a [`mongodb::Database`] you already have (to share one client between stores).
//!
//! ## Storage
//!
//! One collection per model, named [`ModelDef::storage_name`]; one field per property, named
//! [`PropertyDef::column`](portico_domain::PropertyDef::column); the id property is stored in
//! `_id`. Null properties are never stored: a patch that sets a property to null `$unset`s it,
//! and `replace` replaces the whole document, so absent and null stay the same thing.
//!
//! | property type | BSON | notes |
//! |---|---|---|
//! | `string` | string | compared and sorted by UTF-8 bytes = code point order |
//! | `integer` | Int64 | Int32 and integral doubles are read too |
//! | `number` | Double | integers are read too |
//! | `boolean` | boolean | |
//! | `date-time` | date (UTC milliseconds) | |
//! | `date` | string `YYYY-MM-DD` | fixed width, so it orders as dates do; read back as a date |
//! | `decimal` | Decimal128 | with the value's scale as exponent (`8.50`); compared and sorted numerically; read back with exactly the property's scale |
//! | enum | string | |
//! | `uuid` | binary subtype 4 | so equality and ordering work |
//! | bytes | binary subtype 0 (generic) | |
//! | embedded object | sub-document | members under their names, each by its own type, null members left out |
//! | `any` (JSON) | document, array or scalar | integers as Int64, other numbers as Double |
//! | array | array | items by their own type (arrays of embedded objects: arrays of sub-documents) |
//!
//! Reads are driven by the model's property types, so every value comes back as the same
//! [`Value`] variant the memory store returns (e.g. `Value::Int` for an integer id). A stored
//! value of another type is an [`Error::Backend`]. On a free-form model (`strict: false`),
//! fields matching no property are kept under their own name and decoded by their BSON type.
//!
//! ## Ids
//!
//! - Store-generated integer ids ([`IdStrategy::StoreInteger`]) come from an atomic counter per
//!   collection: one document `{_id: <collection>, seq: <last id>}` in the counters collection,
//!   created by `migrate` (after the largest integer id already stored, so 0 for a new
//!   collection) and advanced with `findAndModify` (`$inc`, upsert, returning the new value). A
//!   multi-insert reserves all its ids at once. Ids start at 1, are never reused (as with SQL
//!   sequences, a failed insert consumes its ids) and are safe under concurrent creates.
//! - Kit-generated UUID ids are stored as binary subtype 4; client-supplied string ids as
//!   strings.
//! - A generated *string* id ([`IdStrategy::StoreObjectId`], the `object_ids` capability) is a
//!   MongoDB-native id: a new `ObjectId` stored in `_id`, which records always carry as its 24
//!   hex digits — on create and on every read, so the id never changes type (LoopBack's
//!   "create returns an ObjectId, find returns a string" cannot happen). Filters on it compare
//!   ObjectIds, so order is creation order; pattern operators on it are refused.
//!
//! ## Indexes
//!
//! [`Store::migrate`] creates the collection if missing, the id counter of a store-generated
//! integer id (see above), and one index per indexed property,
//! named `<field>_1`: a unique property gets a unique **sparse** index, so documents without
//! the property (null) never conflict; a plain one a normal index. It is idempotent.
//!
//! ## Errors
//!
//! A duplicate key (code 11000) is [`Error::Conflict`], with a message naming the model and
//! the property (found from the index name), never the value or the server's text. Server
//! selection, IO, connection-pool and "not primary / shutting down" errors are
//! [`Error::Unavailable`]; a write conflict or a transient transaction error is
//! [`Error::TransactionConflict`] (see Transactions); anything else is [`Error::Backend`]. The
//! last three keep the driver error as their source.
//!
//! ## Capabilities
//!
//! Every filter operator ([`Capabilities::all_operators`]): `ilike`/`nilike` and `regexp`
//! (PCRE with the `i` option; use the portable syntax the filter reference describes),
//! free-form models, conditions on a member of an embedded object by dotted path
//! (`publisher.city`, queried as the same dotted field path below the top property's field),
//! and transactions (below). How each operator maps to MongoDB is documented (and
//! snapshot-tested) in the translation module; in short: `{p: null}` for null-or-missing,
//! `$ne: null` for `exists: true`, `$ne`/`$nin`/`$not` for negations (which match null and
//! missing), LIKE patterns as anchored, escaped regular expressions with the `s` option (`is`
//! for `ilike`), inclusive `$gte`/`$lte` for `between`.
//!
//! Atomicity outside a transaction: `insert` of several records is all-or-nothing by
//! compensation. Duplicates within the batch are refused before anything is written; the
//! batch is inserted in order and, on a conflict with stored data, the records already
//! inserted are deleted again (others may briefly see them). An `update` whose patch sets a
//! unique property changes at most one document (two matching documents would share the value:
//! a conflict), so it is atomic; `replace` is a single-document write.
//!
//! ## Transactions
//!
//! [`Store::begin`] starts a driver session and a transaction in it (write concern `majority`);
//! repositories built over `Transaction::store()` run every operation with that session, one
//! at a time, for any model of the database. Transactions need a replica set or a sharded
//! cluster: on a standalone server `begin` is `Unsupported`.
//!
//! A MongoDB transaction reads from one snapshot and fails a write to a document that changed
//! since (snapshot isolation). So read committed (read concern `majority`) and repeatable read
//! (read concern `snapshot`) are honoured; read uncommitted (MongoDB never shows uncommitted
//! data) and serializable (snapshot isolation allows write skew: two transactions each reading
//! what the other writes both commit) are refused with `Unsupported`.
//!
//! A write conflict (code 112) or any error labelled `TransientTransactionError` is
//! `Error::TransactionConflict`, which `Error::is_retryable` recognises: run the whole
//! transaction again. The server aborts a transaction in which a command failed (a duplicate
//! key included), so any failed operation ends it: later calls answer `TransactionClosed`, and
//! `rollback` succeeds. Inside a transaction, a multi-record `insert` is atomic (the
//! compensation above is not needed). Store-generated integer ids are reserved outside the
//! transaction, like SQL sequences: a rolled-back create consumes its ids, and concurrent
//! transactions creating records of one model do not conflict on the counter.
//!
//! Dropping an unfinished `Transaction` drops its session, and the driver then aborts the
//! transaction in the background (its `ClientSession` does so on drop). With a timeout, a timer
//! aborts it at the deadline even when idle, an operation still running is cancelled, and every
//! later call answers `TransactionClosed`; independently, the server aborts a transaction older
//! than its `transactionLifetimeLimitSeconds` (60 s by default), which later calls report as a
//! `TransactionConflict`. `migrate` and a nested `begin` are refused inside a transaction.
//!
//! ## Tests and benchmark
//!
//! The conformance suite, the concurrent-id test and the benchmark need a server:
//!
//! ```sh
//! adapters/mongo/scripts/secantus.sh start   # SecantusDB on 127.0.0.1:27117, prints the URL
//! PORTICO_TEST_MONGO_URL='mongodb://127.0.0.1:27117/?directConnection=true' cargo test -p portico-mongo
//! PORTICO_TEST_MONGO_URL='mongodb://127.0.0.1:27117/?directConnection=true' \
//!     cargo bench -p portico-mongo --bench repository_vs_driver
//! adapters/mongo/scripts/secantus.sh stop
//! ```
//!
//! The tests take the server from `portico_conformance::services`: `PORTICO_TEST_MONGO_URL`,
//! else (with the `containers` feature of `portico-conformance`) a container of
//! `PORTICO_TEST_MONGO_IMAGE`, else they are skipped with a printed reason, or fail under
//! `PORTICO_REQUIRE_ALL_BACKENDS=1`. Each conformance case (test target `conformance_mongo`)
//! runs in its own database with a random name, dropped afterwards. The unreachable-server test
//! needs no server. The benchmark (only `PORTICO_TEST_MONGO_URL`) times the Portico repository
//! against hand-written driver calls doing the same work and prints the ratio (medians of
//! alternating runs): find by id, find 20 with a where + order + limit, create one, find a
//! 1000-document page.

#![warn(missing_docs)]

mod codec;
mod config;
mod error;
mod store;
mod transaction;
mod translate;

pub use config::{DEFAULT_COUNTERS_COLLECTION, DEFAULT_SERVER_SELECTION_TIMEOUT, MongoConfig};
pub use store::MongoStore;

// Only the crate docs above name these.
#[cfg(doc)]
use portico_domain::{Capabilities, Error, IdStrategy, ModelDef, Value};
#[cfg(doc)]
use portico_ports::Store;
