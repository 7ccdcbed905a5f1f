//! The typed relation repositories: [`HasMany`], [`HasOne`], [`BelongsTo`] and
//! [`HasManyThrough`], each exposing only what its kind offers, over [`RelatedRecords`].

use std::marker::PhantomData;

use portico_domain::{Entity, Error, Filter, Patch, Record, RelationKind, Result, Where};

use super::records::RelatedRecords;

/// Converts a found record to `T`.
fn to_entity<T: Entity>(record: Record) -> Result<T> {
    T::from_record(record).map_err(Error::backend)
}

/// Opens the typed relation `name` of kind `kind` from `E` to `T`.
async fn open<E: Entity, T: Entity>(
    repository: &crate::Repository<E>,
    name: &str,
    kinds: &[RelationKind],
    source_id: E::Id,
) -> Result<RelatedRecords> {
    use portico_domain::FieldValue as _;
    let related = repository
        .records()
        .related(name, source_id.into_value())
        .await?;
    let relation = related.relation();
    if !kinds.contains(&relation.kind) || relation.target().name != T::definition().name {
        return Err(Error::Unsupported(format!(
            "{}#{name} is a {} relation to {}, not a {} relation to {}",
            E::definition().name,
            relation.kind.loopback_name(),
            relation.target().name,
            kinds
                .iter()
                .map(|k| k.loopback_name())
                .collect::<Vec<_>>()
                .join(" or "),
            T::definition().name
        )));
    }
    Ok(related)
}

macro_rules! typed_relation {
    ($(#[$doc:meta])* $name:ident, $open:ident, [$($kind:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<T> {
            records: RelatedRecords,
            _target: PhantomData<fn() -> T>,
        }

        impl<T: Entity> $name<T> {
            /// The untyped relation repository underneath.
            pub fn records(&self) -> &RelatedRecords {
                &self.records
            }
        }

        impl<E: Entity> crate::Repository<E> {
            #[doc = concat!("The [`", stringify!($name), "`] repository of relation `name` for the entity with id `source_id`.")]
            ///
            /// # Errors
            /// `Unsupported` when `E` has no such relation to `T` of this kind; `NotFound` when
            /// the relation relates by a property other than the id and no entity has this id.
            pub async fn $open<T: Entity>(&self, name: &str, source_id: E::Id) -> Result<$name<T>> {
                Ok($name {
                    records: open::<E, T>(self, name, &[$(RelationKind::$kind),+], source_id).await?,
                    _target: PhantomData,
                })
            }
        }
    };
}

typed_relation!(
    /// LoopBack's `HasManyRepository`: the targets of one source entity.
    HasMany,
    has_many,
    [HasMany]
);
typed_relation!(
    /// LoopBack's `HasOneRepository`: the one target of one source entity.
    HasOne,
    has_one,
    [HasOne]
);
typed_relation!(
    /// LoopBack's `BelongsToAccessor`: the entity a source entity points at.
    BelongsTo,
    belongs_to,
    [BelongsTo]
);
typed_relation!(
    /// LoopBack's `HasManyThroughRepository`: targets linked to one source through a link
    /// model.
    HasManyThrough,
    has_many_through,
    [HasManyThrough]
);

/// The create/find/patch/delete of a to-many relation repository.
macro_rules! to_many_methods {
    ($name:ident, $what:literal, $delete_doc:literal) => {
        impl<T: Entity> $name<T> {
            #[doc = concat!("Creates a target: ", $what, ".")]
            ///
            /// # Errors
            /// As [`RelatedRecords::create`].
            pub async fn create(&self, entity: T) -> Result<T> {
                to_entity(self.records.create(entity.to_record(), None).await?)
            }

            /// Finds the source's targets matching the filter.
            ///
            /// # Errors
            /// As [`RelatedRecords::find`].
            pub async fn find(&self, filter: Filter) -> Result<Vec<T>> {
                self.records
                    .find(filter)
                    .await?
                    .into_iter()
                    .map(to_entity)
                    .collect()
            }

            /// Patches the source's targets matching `condition`; returns how many.
            ///
            /// # Errors
            /// As [`RelatedRecords::patch`].
            pub async fn patch(&self, patch: Patch<T>, condition: Option<Where>) -> Result<u64> {
                self.records.patch(patch.into_record(), condition).await
            }

            #[doc = $delete_doc]
            ///
            /// # Errors
            /// As [`RelatedRecords::delete`].
            pub async fn delete(&self, condition: Option<Where>) -> Result<u64> {
                self.records.delete(condition).await
            }
        }
    };
}

to_many_methods!(
    HasMany,
    "its key is set to the source's",
    "Deletes the source's targets matching `condition`; returns how many."
);
to_many_methods!(
    HasManyThrough,
    "it is created, then linked to the source",
    "Deletes the linked targets matching `condition`, and their links; returns how many targets went."
);

impl<T: Entity> HasOne<T> {
    /// Creates the target with its key set to the source's.
    ///
    /// # Errors
    /// As [`RelatedRecords::create`].
    pub async fn create(&self, entity: T) -> Result<T> {
        to_entity(self.records.create(entity.to_record(), None).await?)
    }

    /// The target.
    ///
    /// # Errors
    /// As [`RelatedRecords::get`].
    pub async fn get(&self, filter: Option<Filter>) -> Result<T> {
        to_entity(self.records.get(filter).await?)
    }

    /// Patches the target; returns how many records changed (0 or 1).
    ///
    /// # Errors
    /// As [`RelatedRecords::patch`].
    pub async fn patch(&self, patch: Patch<T>) -> Result<u64> {
        self.records.patch(patch.into_record(), None).await
    }

    /// Deletes the target; returns how many records went.
    ///
    /// # Errors
    /// As [`RelatedRecords::delete`].
    pub async fn delete(&self) -> Result<u64> {
        self.records.delete(None).await
    }
}

impl<T: Entity> BelongsTo<T> {
    /// The entity the source points at.
    ///
    /// # Errors
    /// As [`RelatedRecords::get`].
    pub async fn get(&self) -> Result<T> {
        to_entity(self.records.get(None).await?)
    }
}

impl<T: Entity> HasManyThrough<T> {
    /// Links an existing target.
    ///
    /// # Errors
    /// As [`RelatedRecords::link`].
    pub async fn link(&self, target_id: T::Id) -> Result<()> {
        use portico_domain::FieldValue as _;
        self.records
            .link(target_id.into_value(), None)
            .await
            .map(drop)
    }

    /// Unlinks a target; returns how many links went.
    ///
    /// # Errors
    /// As [`RelatedRecords::unlink`].
    pub async fn unlink(&self, target_id: T::Id) -> Result<u64> {
        use portico_domain::FieldValue as _;
        self.records.unlink(target_id.into_value()).await
    }

    /// Unlinks every target; returns how many links went.
    ///
    /// # Errors
    /// As [`RelatedRecords::unlink_all`].
    pub async fn unlink_all(&self) -> Result<u64> {
        self.records.unlink_all().await
    }
}
