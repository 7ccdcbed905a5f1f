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
//! | `uuid` | binary subtype 4 | so equality and ordering work |
//! | `any` (JSON) | document, array or scalar | integers as Int64, other numbers as Double |
//! | array | array | items by their own type |
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
//! (PCRE with the `i` option; use the portable syntax the filter reference describes) and
//! free-form models, and transactions (below). How each operator maps to MongoDB is documented (and
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
mod errors;
mod transaction;
mod translate;
use portico_txn as tx;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bson::{Bson, Document, RawDocument, doc};
use mongodb::options::{ClientOptions, IndexOptions, ReturnDocument};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use portico_domain::error::Message;
use portico_domain::{
    Capabilities, Checked, Error, Fields, Filter, IdStrategy, IndexKind, ModelDef, Op, Record,
    Result, Value, Where,
};
use portico_ports::{Store, Transaction, TransactionOptions};
use tokio::sync::MappedMutexGuard;

use crate::codec::{ID_FIELD, field_name, from_document, is_nothing, to_bson, to_document};

/// The server-selection timeout used when neither the configuration nor the connection string
/// sets one: how long an operation waits for a reachable server before failing with
/// [`Error::Unavailable`].
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The default name of the collection holding the id counters of store-generated integer ids.
pub const DEFAULT_COUNTERS_COLLECTION: &str = "portico_counters";

/// The largest `limit` fetched in one batch.
const MAX_SINGLE_BATCH: u32 = 10_000;

/// The code MongoDB answers `create` with when the collection exists.
const NAMESPACE_EXISTS: i32 = 48;

/// How to reach MongoDB: the connection string, the database and the timeouts. Its `Debug`
/// output hides the credentials of the connection string.
#[derive(Clone)]
pub struct MongoConfig {
    url: String,
    database: Option<String>,
    server_selection_timeout: Option<Duration>,
    counters_collection: String,
}

impl MongoConfig {
    /// A configuration for this `mongodb://` connection string, with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        MongoConfig {
            url: url.into(),
            database: None,
            server_selection_timeout: None,
            counters_collection: DEFAULT_COUNTERS_COLLECTION.to_owned(),
        }
    }

    /// Uses this database (instead of the one in the connection string's path).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.database = Some(name.into());
        self
    }

    /// Fails operations with [`Error::Unavailable`] when no server is usable for this long
    /// (wins over the connection string's `serverSelectionTimeoutMS`).
    pub fn server_selection_timeout(mut self, timeout: Duration) -> Self {
        self.server_selection_timeout = Some(timeout);
        self
    }

    /// Keeps the id counters in this collection (default [`DEFAULT_COUNTERS_COLLECTION`]).
    pub fn counters_collection(mut self, name: impl Into<String>) -> Self {
        self.counters_collection = name.into();
        self
    }
}

impl std::fmt::Debug for MongoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `scheme://user:password@hosts/…` → `scheme://***@hosts/…`
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) => match rest
                .split_once('/')
                .map_or(rest, |(hosts, _)| hosts)
                .rfind('@')
            {
                Some(at) => format!("{scheme}://***{}", &rest[at..]),
                None => self.url.clone(),
            },
            None => "***".to_owned(),
        };
        f.debug_struct("MongoConfig")
            .field("url", &url)
            .field("database", &self.database)
            .field("server_selection_timeout", &self.server_selection_timeout)
            .field("counters_collection", &self.counters_collection)
            .finish()
    }
}

/// The MongoDB store: one collection per model in one database. Cheap to clone (the driver's
/// client is a handle to a shared connection pool).
#[derive(Debug, Clone)]
pub struct MongoStore {
    db: Database,
    counters: String,
    capabilities: Capabilities,
    /// Set on the store of an open transaction: every operation runs in its session.
    tx: Option<Arc<tx::Tx<transaction::Session>>>,
}

/// Adds the transaction's session (an `Option` of a guard of it) to a driver action.
macro_rules! in_session {
    ($action:expr, $session:expr) => {{
        let action = $action;
        match $session.as_deref_mut() {
            Some(session) => action.session(session),
            None => action,
        }
    }};
}

impl MongoStore {
    /// Connects with the defaults to the database named in the connection string's path
    /// (`mongodb://host:27017/app`). See [`MongoStore::connect_with`].
    ///
    /// # Errors
    /// As [`MongoStore::connect_with`].
    pub async fn connect(url: &str) -> Result<MongoStore> {
        MongoStore::connect_with(MongoConfig::new(url)).await
    }

    /// Builds the driver client for `config`. This does no IO (the driver connects on first
    /// use); use [`MongoStore::ping`] to check the server.
    ///
    /// # Errors
    /// [`Error::Backend`] for an invalid connection string or when no database is named.
    pub async fn connect_with(config: MongoConfig) -> Result<MongoStore> {
        let mut options = ClientOptions::parse(&config.url)
            .await
            .map_err(Error::backend)?;
        if let Some(timeout) = config.server_selection_timeout {
            options.server_selection_timeout = Some(timeout);
        } else if options.server_selection_timeout.is_none() {
            options.server_selection_timeout = Some(DEFAULT_SERVER_SELECTION_TIMEOUT);
        }
        let database = config
            .database
            .or_else(|| options.default_database.clone())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Error::backend(Message(
                    "no MongoDB database: name one in the connection string's path or with \
                     MongoConfig::database"
                        .to_owned(),
                ))
            })?;
        let client = Client::with_options(options).map_err(Error::backend)?;
        Ok(MongoStore::from_database(client.database(&database))
            .with_counters_collection(config.counters_collection))
    }

    /// A store over a database handle you already have (its client's options apply).
    pub fn from_database(db: Database) -> MongoStore {
        let mut capabilities = Capabilities::all_operators();
        capabilities.object_ids = true;
        capabilities.transactions = true;
        MongoStore {
            db,
            counters: DEFAULT_COUNTERS_COLLECTION.to_owned(),
            capabilities,
            tx: None,
        }
    }

    /// Keeps the id counters in this collection.
    pub fn with_counters_collection(mut self, name: impl Into<String>) -> MongoStore {
        self.counters = name.into();
        self
    }

    /// The database this store works in.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Checks that the server answers (the `ping` command).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when no server can be reached within the server-selection
    /// timeout, [`Error::Backend`] for other failures.
    pub async fn ping(&self) -> Result<()> {
        self.db
            .run_command(doc! {"ping": 1})
            .await
            .map(|_| ())
            .map_err(|e| {
                if errors::is_unavailable(&e) {
                    Error::unavailable(e)
                } else {
                    Error::backend(e)
                }
            })
    }

    fn collection(&self, model: &ModelDef) -> Collection<Document> {
        self.db.collection(model.storage_name())
    }

    /// The transaction's session, locked for one operation; `None` outside a transaction.
    async fn session(&self) -> Result<Option<MappedMutexGuard<'_, ClientSession>>> {
        match &self.tx {
            Some(tx) => Ok(Some(MappedMutexGuard::map(tx.conn().await?, |s| &mut s.0))),
            None => Ok(None),
        }
    }

    /// Reserves `n` consecutive ids for `model`; returns the first.
    async fn reserve_ids(&self, model: &ModelDef, n: usize) -> Result<i64> {
        let n = i64::try_from(n).map_err(Error::backend)?;
        let counters = self.db.collection::<Document>(&self.counters);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = counters
                .find_one_and_update(
                    doc! {ID_FIELD: model.storage_name()},
                    doc! {"$inc": {"seq": n}},
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            match result {
                Ok(Some(counter)) => {
                    let last = match counter.get("seq") {
                        Some(Bson::Int64(i)) => *i,
                        Some(Bson::Int32(i)) => i64::from(*i),
                        Some(Bson::Double(f)) if f.fract() == 0.0 => *f as i64,
                        _ => {
                            return Err(Error::backend(Message(format!(
                                "the id counter of {} is not an integer",
                                model.storage_name()
                            ))));
                        }
                    };
                    return Ok(last - n + 1);
                }
                Ok(None) => {
                    return Err(Error::backend(Message(
                        "findAndModify with upsert returned no counter".to_owned(),
                    )));
                }
                // Two first upserts of one counter can race; the loser retries (and finds the
                // counter the winner created).
                Err(e) if errors::duplicate_key_message(&e).is_some() && attempt < 5 => {}
                Err(e) if errors::is_unavailable(&e) => return Err(Error::unavailable(e)),
                Err(e) => return Err(Error::backend(e)),
            }
        }
    }

    /// Creates the id counter of `model` unless it exists, starting after the largest integer
    /// id already stored (0 for an empty collection). Creates then only advance an existing
    /// counter. (`reserve_ids` upserts too, for a store used without `migrate`.)
    async fn create_counter(&self, model: &ModelDef) -> Result<()> {
        let last = self
            .collection(model)
            .find_one(doc! {ID_FIELD: {"$type": "number"}})
            .sort(doc! {ID_FIELD: -1})
            .projection(doc! {ID_FIELD: 1})
            .await
            .map_err(|e| errors::map(model, e))?
            .and_then(|d| match d.get(ID_FIELD) {
                Some(Bson::Int64(i)) => Some(*i),
                Some(Bson::Int32(i)) => Some(i64::from(*i)),
                _ => None,
            })
            .unwrap_or(0);
        let counters = self.db.collection::<Document>(&self.counters);
        match counters
            .update_one(
                doc! {ID_FIELD: model.storage_name()},
                doc! {"$setOnInsert": {"seq": last}},
            )
            .upsert(true)
            .await
        {
            Ok(_) => Ok(()),
            // A concurrent migrate created it first.
            Err(e) if errors::duplicate_key_message(&e).is_some() => Ok(()),
            Err(e) if errors::is_unavailable(&e) => Err(Error::unavailable(e)),
            Err(e) => Err(Error::backend(e)),
        }
    }

    /// Refuses a batch that holds one id, or one value of a unique property, twice.
    fn check_batch(model: &ModelDef, records: &[Record]) -> Result<()> {
        if records.len() < 2 {
            return Ok(());
        }
        for p in model
            .properties
            .iter()
            .filter(|p| p.id || p.index == IndexKind::Unique)
        {
            let mut seen = std::collections::HashSet::new();
            for record in records {
                let Some(v) = record.get(&p.name).filter(|v| !v.is_null()) else {
                    continue;
                };
                if !seen.insert(v.to_json().to_string()) {
                    return Err(if p.id {
                        Error::duplicate_id(&model.name)
                    } else {
                        Error::duplicate_unique(&model.name, &p.name)
                    });
                }
            }
        }
        Ok(())
    }

    /// After an ordered `insert_many` failed on document `i`, deletes documents `..i` again.
    async fn undo_partial_insert(
        &self,
        model: &ModelDef,
        docs: &[Document],
        error: &mongodb::error::Error,
    ) {
        let mongodb::error::ErrorKind::InsertMany(failure) = error.kind.as_ref() else {
            return;
        };
        let Some(failed) = failure.write_errors.iter().flatten().map(|w| w.index).min() else {
            return;
        };
        let inserted: Vec<Bson> = docs[..failed.min(docs.len())]
            .iter()
            .filter_map(|d| d.get(ID_FIELD).cloned())
            .collect();
        if !inserted.is_empty() {
            // Best effort: the conflict is what the caller needs to hear about.
            let _ = self
                .collection(model)
                .delete_many(doc! {ID_FIELD: {"$in": inserted}})
                .await;
        }
    }
}

/// True when the clause is `id = value`: at most one document matches, in any order.
fn is_id_lookup(model: &ModelDef, clause: &Where) -> bool {
    matches!(clause, Where::Cond(c) if matches!(c.op, Op::Eq(_))
        && model.get(&c.property).is_some_and(|p| p.id))
}

#[async_trait]
impl Store for MongoStore {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn migrate(&self, model: &ModelDef) -> Result<()> {
        match self.db.create_collection(model.storage_name()).await {
            Ok(()) => {}
            Err(e)
                if matches!(e.kind.as_ref(),
                    mongodb::error::ErrorKind::Command(c) if c.code == NAMESPACE_EXISTS) => {}
            Err(e) => return Err(errors::map(model, e)),
        }
        let indexes: Vec<IndexModel> = model
            .properties
            .iter()
            .filter(|p| !p.id && p.index != IndexKind::None)
            .map(|p| {
                let field = p.column();
                let mut options = IndexOptions::default();
                options.name = Some(errors::index_name(field));
                if p.index == IndexKind::Unique {
                    // Nulls are never stored, so a sparse index skips exactly the records
                    // without a value, which never conflict.
                    options.unique = Some(true);
                    options.sparse = Some(true);
                }
                IndexModel::builder()
                    .keys(doc! {field: 1})
                    .options(options)
                    .build()
            })
            .collect();
        if !indexes.is_empty() {
            self.collection(model)
                .create_indexes(indexes)
                .await
                .map_err(|e| errors::map(model, e))?;
        }
        if model.id_strategy() == IdStrategy::StoreInteger {
            self.create_counter(model).await?;
        }
        Ok(())
    }

    async fn insert(&self, model: &ModelDef, mut records: Vec<Record>) -> Result<Vec<Record>> {
        if records.is_empty() {
            return Ok(records);
        }
        MongoStore::check_batch(model, &records)?;
        let id = &model.id_property().name;
        match model.id_strategy() {
            IdStrategy::StoreInteger => {
                let first = self.reserve_ids(model, records.len()).await?;
                for (record, n) in records.iter_mut().zip(first..) {
                    record.insert(id.clone(), Value::Int(n));
                }
            }
            IdStrategy::StoreObjectId => {
                for record in &mut records {
                    record.insert(
                        id.clone(),
                        Value::String(bson::oid::ObjectId::new().to_hex()),
                    );
                }
            }
            IdStrategy::KitUuid | IdStrategy::Client => {}
        }
        let docs: Vec<Document> = records.iter().map(|r| to_document(model, r)).collect();
        let collection = self.collection(model);
        let mut session = self.session().await?;
        if let [doc] = docs.as_slice() {
            in_session!(collection.insert_one(doc), session)
                .await
                .map_err(|e| errors::map(model, e))?;
        } else if let Err(e) =
            in_session!(collection.insert_many(&docs).ordered(true), session).await
        {
            // Inside a transaction, the server aborts it: nothing to undo.
            if session.is_none() {
                self.undo_partial_insert(model, &docs, &e).await;
            }
            return Err(errors::map(model, e));
        }
        // Stored values are what was given, minus nulls (absent and null are the same).
        for record in &mut records {
            record.retain(|_, v| !is_nothing(v));
        }
        Ok(records)
    }

    async fn find(&self, model: &ModelDef, filter: &Checked<Filter>) -> Result<Vec<Record>> {
        let clause = filter.checked_where();
        let query = translate::filter_document(model, &clause);
        let collection = self.collection(model);
        let mut find = collection.find(query);
        if !is_id_lookup(model, &clause) {
            find = find.sort(translate::sort_document(model, &filter.order));
        }
        if let Some(projection) = translate::projection(model, filter.fields.as_ref()) {
            find = find.projection(projection);
        }
        if let Some(skip) = filter.skip {
            find = find.skip(skip);
        }
        if let Some(limit) = filter.limit {
            find = find.limit(i64::try_from(limit).unwrap_or(i64::MAX));
            // A page the size of the limit comes in one batch (the server still caps a batch at
            // 16 MiB) instead of 101 documents and a `getMore`.
            if let Ok(batch) = u32::try_from(limit)
                && batch <= MAX_SINGLE_BATCH
            {
                find = find.batch_size(batch);
            }
        }
        let selection = match &filter.fields {
            Some(Fields::Include(names)) => Some(names.as_slice()),
            _ => None,
        };
        let mut session = self.session().await?;
        let mut records = Vec::new();
        each_found(model, find, session.as_deref_mut(), |doc| {
            records.push(from_document(model, doc, selection)?);
            Ok(())
        })
        .await?;
        Ok(records)
    }

    async fn count(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        let mut session = self.session().await?;
        let collection = self.collection(model);
        in_session!(
            collection.count_documents(translate::filter_document(model, condition)),
            session
        )
        .await
        .map_err(|e| errors::map(model, e))
    }

    async fn update(
        &self,
        model: &ModelDef,
        patch: &Record,
        condition: &Checked<Where>,
    ) -> Result<u64> {
        let id = &model.id_property().name;
        let mut set = Document::new();
        let mut unset = Document::new();
        for (name, value) in patch.iter().filter(|(name, _)| *name != id) {
            if is_nothing(value) {
                unset.insert(field_name(model, name), "");
            } else {
                set.insert(field_name(model, name), to_bson(value));
            }
        }
        let query = translate::filter_document(model, condition);
        let collection = self.collection(model);
        let mut session = self.session().await?;
        if set.is_empty() && unset.is_empty() {
            return in_session!(collection.count_documents(query), session)
                .await
                .map_err(|e| errors::map(model, e));
        }
        let mut update = Document::new();
        if !set.is_empty() {
            update.insert("$set", set);
        }
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        let unique = model.properties.iter().find(|p| {
            !p.id
                && p.index == IndexKind::Unique
                && patch.get(&p.name).is_some_and(|v| !is_nothing(v))
        });
        let Some(unique) = unique else {
            return in_session!(collection.update_many(query, update), session)
                .await
                .map(|r| r.matched_count)
                .map_err(|e| errors::map(model, e));
        };
        // The patch gives every matching record one unique value: two matches are a conflict
        // (found before anything changes), one is a single-document (atomic) update.
        let find = collection
            .find(query.clone())
            .projection(doc! {ID_FIELD: 1})
            .limit(2);
        let mut ids = Vec::new();
        each_found(model, find, session.as_deref_mut(), |doc| {
            let id = doc
                .get(ID_FIELD)
                .map_err(Error::backend)?
                .map(|raw| raw.to_raw_bson())
                .ok_or_else(|| Error::backend(Message("a document without _id".to_owned())))?;
            ids.push(Bson::try_from(id).map_err(Error::backend)?);
            Ok(())
        })
        .await?;
        let one = match ids.as_slice() {
            [] => return Ok(0),
            [one] => one.clone(),
            _ => {
                return Err(Error::duplicate_unique(&model.name, &unique.name));
            }
        };
        let mut query_one = doc! {ID_FIELD: one};
        if !query.is_empty() {
            query_one = doc! {"$and": [query_one, query]};
        }
        in_session!(collection.update_one(query_one, update), session)
            .await
            .map(|r| r.matched_count)
            .map_err(|e| errors::map(model, e))
    }

    async fn replace(&self, model: &ModelDef, id: &Value, record: &Record) -> Result<bool> {
        let id = codec::property_bson(model, &model.id_property().name, id);
        let mut doc = to_document(model, record);
        doc.insert(ID_FIELD, id.clone());
        let mut session = self.session().await?;
        let collection = self.collection(model);
        in_session!(collection.replace_one(doc! {ID_FIELD: id}, doc), session)
            .await
            .map(|r| r.matched_count > 0)
            .map_err(|e| errors::map(model, e))
    }

    async fn delete(&self, model: &ModelDef, condition: &Checked<Where>) -> Result<u64> {
        let mut session = self.session().await?;
        let collection = self.collection(model);
        in_session!(
            collection.delete_many(translate::filter_document(model, condition)),
            session
        )
        .await
        .map(|r| r.deleted_count)
        .map_err(|e| errors::map(model, e))
    }

    async fn begin(&self, options: TransactionOptions) -> Result<Transaction> {
        self.begin_transaction(options).await
    }
}

/// Runs `find` (in the transaction's session, if any) and hands each document to `each`.
async fn each_found(
    model: &ModelDef,
    find: mongodb::action::Find<'_, Document>,
    session: Option<&mut ClientSession>,
    mut each: impl FnMut(&RawDocument) -> Result<()>,
) -> Result<()> {
    let map = |e| errors::map(model, e);
    match session {
        None => {
            let mut cursor = find.await.map_err(map)?;
            while cursor.advance().await.map_err(map)? {
                each(cursor.current())?;
            }
        }
        Some(session) => {
            let mut cursor = find.session(&mut *session).await.map_err(map)?;
            while cursor.advance(session).await.map_err(map)? {
                each(cursor.current())?;
            }
        }
    }
    Ok(())
}
