//! The repository ports apps call: typed ([`EntityRepository`]) and untyped
//! ([`RecordRepository`], for generic transports such as the HTTP adapter).

use std::sync::Arc;

use async_trait::async_trait;
use portico_domain::{
    CheckOptions, Checked, Entity, Filter, ModelDef, Patch, Record, Result, Value, Where,
};

use crate::scope::Scope;

/// LoopBack's `EntityCrudRepository` for entity `E`, object-safe so apps can hold
/// `Arc<dyn EntityRepository<Todo>>` and tests can swap the backend or a mock in.
///
/// # Errors
/// Besides what each method lists, every method MUST return
/// [`Error::Unavailable`](portico_domain::Error::Unavailable) when the backend cannot be
/// reached and [`Error::Backend`](portico_domain::Error::Backend) for other backend failures.
/// Methods taking a filter or where clause MUST return
/// [`Error::InvalidFilter`](portico_domain::Error::InvalidFilter) listing every problem, or
/// [`Error::Unsupported`](portico_domain::Error::Unsupported) for an operator the backend
/// cannot honour. A write of a model with a version property that carries no expected
/// version re-reads the record each time a concurrent write moves it on, and MUST give up
/// after a bounded number of attempts with the retryable
/// [`Error::TransactionConflict`](portico_domain::Error::TransactionConflict); one carrying
/// a version MUST return [`Error::StaleVersion`](portico_domain::Error::StaleVersion) when
/// the stored one differs.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EntityRepository<E: Entity>: Send + Sync {
    /// Creates an entity and returns it as stored, with its id and defaults.
    ///
    /// # Errors
    /// MUST return `Validation` when the entity breaks the model (a generated id set, a
    /// required property missing, a constraint broken), `Conflict` when its id or a unique
    /// value exists.
    async fn create(&self, entity: E) -> Result<E>;

    /// Creates several entities, all or none.
    ///
    /// # Errors
    /// As [`EntityRepository::create`], for the first offending entity.
    async fn create_all(&self, entities: Vec<E>) -> Result<Vec<E>>;

    /// Creates the entity when it has no id, otherwise replaces the stored one.
    ///
    /// # Errors
    /// As `create`, or as `replace_by_id` (`NotFound` when the id does not exist).
    async fn save(&self, entity: E) -> Result<E>;

    /// Finds entities matching the filter.
    ///
    /// # Errors
    /// MUST return `InvalidFilter` when `fields` leaves out a property the struct cannot do
    /// without (a non-`Option` field).
    async fn find(&self, filter: Filter) -> Result<Vec<E>>;

    /// Finds the first entity matching the filter, if any.
    ///
    /// # Errors
    /// As `find`.
    async fn find_one(&self, filter: Filter) -> Result<Option<E>>;

    /// Finds an entity by id; the filter may carry `fields` and `include`, not `where`.
    ///
    /// # Errors
    /// MUST return `NotFound` when no entity has this id, `InvalidFilter` when the filter has a
    /// `where`.
    async fn find_by_id(&self, id: E::Id, filter: Option<Filter>) -> Result<E>;

    /// Counts entities matching the clause (all when `None`).
    ///
    /// # Errors
    /// Only the common errors.
    async fn count(&self, condition: Option<Where>) -> Result<u64>;

    /// True when an entity has this id.
    ///
    /// # Errors
    /// Only the common errors.
    async fn exists(&self, id: E::Id) -> Result<bool>;

    /// Changes the patch's properties of one entity.
    ///
    /// # Errors
    /// MUST return `InvalidBody` for an empty patch or one changing the id, `Validation` for a
    /// patch breaking the model, `NotFound` when no entity has this id, `Conflict` on a
    /// duplicated unique value.
    async fn update_by_id(&self, id: E::Id, patch: Patch<E>) -> Result<()>;

    /// Changes the patch's properties of every matching entity; returns how many matched.
    ///
    /// # Errors
    /// MUST return `InvalidBody` for an empty patch or one setting the id, `Validation` for a
    /// patch breaking the model, `Conflict` on a duplicated unique value.
    async fn update_all(&self, patch: Patch<E>, condition: Option<Where>) -> Result<u64>;

    /// Replaces an entity; properties the new one lacks are cleared.
    ///
    /// # Errors
    /// MUST return `InvalidBody` when the entity carries another id, `Validation` when it
    /// breaks the model, `NotFound` when no entity has this id, `Conflict` on a duplicated
    /// unique value.
    async fn replace_by_id(&self, id: E::Id, entity: E) -> Result<()>;

    /// Deletes an entity.
    ///
    /// # Errors
    /// MUST return `NotFound` when no entity has this id.
    async fn delete_by_id(&self, id: E::Id) -> Result<()>;

    /// Deletes every matching entity (all when `None`); returns how many.
    ///
    /// # Errors
    /// Only the common errors.
    async fn delete_all(&self, condition: Option<Where>) -> Result<u64>;
}

/// The same method set over untyped [`Record`]s of one model, for transports that are generic
/// over models (the HTTP adapter). Records returned include hidden properties; render them for
/// API users with [`ModelDef::to_public_json`].
///
/// # Errors
/// As [`EntityRepository`], method by method. Ids are [`Value`]s coerced to the id property's
/// type; an id that cannot be coerced MUST give `InvalidFilter` with the path `/id`.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RecordRepository: Send + Sync {
    /// The model this repository serves.
    fn model(&self) -> &ModelDef;

    /// How this repository checks filters: its store's capabilities and its limits. Transports
    /// that parse and check filters themselves (to report every problem at once) use these, so
    /// they accept exactly what the repository accepts.
    fn check_options(&self) -> &CheckOptions;

    /// This repository within a row-level [`Scope`]: what it reads, counts, updates and
    /// deletes is restricted to the records the scope's caller owns (others are not found),
    /// and what it creates is owned by the caller — through every path, inclusions and
    /// relations included.
    ///
    /// # Errors
    /// MUST return `Unsupported` when the repository cannot be scoped (the default).
    fn scoped(&self, scope: Arc<Scope>) -> Result<Arc<dyn RecordRepository>> {
        let _ = scope;
        Err(portico_domain::Error::Unsupported(format!(
            "the repository of {} cannot be scoped to an owner",
            self.model().name
        )))
    }

    /// As [`EntityRepository::create`].
    ///
    /// # Errors
    /// As [`EntityRepository::create`].
    async fn create(&self, record: Record) -> Result<Record>;

    /// As [`EntityRepository::create_all`].
    ///
    /// # Errors
    /// As [`EntityRepository::create_all`].
    async fn create_all(&self, records: Vec<Record>) -> Result<Vec<Record>>;

    /// As [`EntityRepository::save`].
    ///
    /// # Errors
    /// As [`EntityRepository::save`].
    async fn save(&self, record: Record) -> Result<Record>;

    /// As [`EntityRepository::find`].
    ///
    /// # Errors
    /// As [`EntityRepository::find`].
    async fn find(&self, filter: Filter) -> Result<Vec<Record>>;

    /// As [`EntityRepository::find_one`].
    ///
    /// # Errors
    /// As [`EntityRepository::find_one`].
    async fn find_one(&self, filter: Filter) -> Result<Option<Record>>;

    /// As [`EntityRepository::find_by_id`].
    ///
    /// # Errors
    /// As [`EntityRepository::find_by_id`].
    async fn find_by_id(&self, id: Value, filter: Option<Filter>) -> Result<Record>;

    /// As [`EntityRepository::count`].
    ///
    /// # Errors
    /// As [`EntityRepository::count`].
    async fn count(&self, condition: Option<Where>) -> Result<u64>;

    /// [`find`](Self::find) of a filter the caller already checked against
    /// [`model`](Self::model) with [`check_options`](Self::check_options) (a transport that
    /// reports every problem itself holds one): it is not checked again.
    ///
    /// # Errors
    /// As [`EntityRepository::find`]; a filter checked against another model or other options
    /// is the caller's bug, which the store MAY refuse with `Backend`.
    async fn find_checked(&self, filter: Checked<Filter>) -> Result<Vec<Record>>;

    /// [`find_by_id`](Self::find_by_id) of a checked filter (see
    /// [`find_checked`](Self::find_checked)).
    ///
    /// # Errors
    /// As [`EntityRepository::find_by_id`].
    async fn find_by_id_checked(&self, id: Value, filter: Checked<Filter>) -> Result<Record>;

    /// [`count`](Self::count) of a checked clause (see [`find_checked`](Self::find_checked)).
    ///
    /// # Errors
    /// As [`EntityRepository::count`].
    async fn count_checked(&self, condition: Checked<Where>) -> Result<u64>;

    /// [`update_all`](Self::update_all) of a checked clause (see
    /// [`find_checked`](Self::find_checked)).
    ///
    /// # Errors
    /// As [`EntityRepository::update_all`].
    async fn update_all_checked(&self, patch: Record, condition: Checked<Where>) -> Result<u64>;

    /// As [`EntityRepository::exists`].
    ///
    /// # Errors
    /// As [`EntityRepository::exists`].
    async fn exists(&self, id: Value) -> Result<bool>;

    /// As [`EntityRepository::update_by_id`].
    ///
    /// # Errors
    /// As [`EntityRepository::update_by_id`].
    async fn update_by_id(&self, id: Value, patch: Record) -> Result<()>;

    /// As [`EntityRepository::update_all`].
    ///
    /// # Errors
    /// As [`EntityRepository::update_all`].
    async fn update_all(&self, patch: Record, condition: Option<Where>) -> Result<u64>;

    /// As [`EntityRepository::replace_by_id`].
    ///
    /// # Errors
    /// As [`EntityRepository::replace_by_id`].
    async fn replace_by_id(&self, id: Value, record: Record) -> Result<()>;

    /// As [`EntityRepository::delete_by_id`].
    ///
    /// # Errors
    /// As [`EntityRepository::delete_by_id`].
    async fn delete_by_id(&self, id: Value) -> Result<()>;

    /// As [`EntityRepository::delete_all`].
    ///
    /// # Errors
    /// As [`EntityRepository::delete_all`].
    async fn delete_all(&self, condition: Option<Where>) -> Result<u64>;

    /// Deletes the record with this id if it is at `version` (optimistic concurrency; see
    /// [`PropertyDef::version`](portico_domain::PropertyDef::version)). Writes that carry the
    /// version property in their data (`update_by_id`, `replace_by_id`) check it the same way.
    ///
    /// # Errors
    /// MUST return `StaleVersion` when the record is at another version (deleting nothing),
    /// `NotFound` when no record has this id, `Unsupported` when the model has no version
    /// property (the default).
    async fn delete_by_id_at_version(&self, id: Value, version: i64) -> Result<()> {
        let _ = (id, version);
        Err(portico_domain::Error::Unsupported(format!(
            "{} has no version property",
            self.model().name
        )))
    }
}
