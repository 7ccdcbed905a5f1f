//! [`RelatedRecords`]: LoopBack's relation repositories and accessors over records.

use portico_domain::{Error, Filter, Op, Record, RelationDef, RelationKind, Result, Value, Where};

use crate::crud::CrudRepository;
use crate::repository::RecordRepository;

use super::include::distinct;

/// The related records of one source record through one relation: LoopBack's
/// `HasManyRepository`, `HasOneRepository`, `HasManyThroughRepository` and `BelongsToAccessor`
/// in one untyped type (for transports that are generic over models). Each method applies to
/// the kinds it names and returns `Unsupported` for the others. The typed
/// [`HasMany`](crate::HasMany), [`HasOne`](crate::HasOne), [`BelongsTo`](crate::BelongsTo) and
/// [`HasManyThrough`](crate::HasManyThrough) expose only what their kind offers.
#[derive(Debug, Clone)]
pub struct RelatedRecords {
    source: CrudRepository,
    source_id: Value,
    /// The source's relating value (its key_from), null when unset.
    source_value: Value,
    relation: RelationDef,
    target_key: String,
    link_keys: Option<(String, String)>,
    target: CrudRepository,
    link: Option<CrudRepository>,
}

impl RelatedRecords {
    /// The repository of relation `name` for the source record with id `source_id`: LoopBack's
    /// relation repositories and accessors, over records.
    ///
    /// # Errors
    /// `Unsupported` for an unknown relation; `InvalidFilter` for an id of the wrong type;
    /// `NotFound` when the relation relates by a property other than the id and no source
    /// record has this id.
    pub(crate) async fn open(
        source: &CrudRepository,
        name: &str,
        source_id: Value,
    ) -> Result<RelatedRecords> {
        let model = source.model();
        let relation = model
            .get_relation(name)
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "{} has no relation {name} (known: {})",
                    model.name,
                    model
                        .relations
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
            .clone();
        let keys = relation.keys(model);
        let id_name = model.id_property().name.clone();
        let source_id = source.coerce_id(source_id)?;
        let source_value = if keys.source == id_name && relation.kind != RelationKind::BelongsTo {
            source_id.clone()
        } else {
            let filter = Filter::default().fields([keys.source.as_str(), id_name.as_str()]);
            let mut source = source.find_by_id(source_id.clone(), Some(filter)).await?;
            source.remove(&keys.source).unwrap_or(Value::Null)
        };
        let target = source.related_repository(relation.target())?;
        let link = relation
            .through_model()
            .map(|link| source.related_repository(link))
            .transpose()?;
        Ok(RelatedRecords {
            source: source.clone(),
            source_id,
            source_value,
            relation,
            target_key: keys.target,
            link_keys: keys.through,
            target,
            link,
        })
    }

    /// The relation.
    pub fn relation(&self) -> &RelationDef {
        &self.relation
    }

    /// The target model's repository.
    pub fn target(&self) -> &CrudRepository {
        &self.target
    }

    fn only(&self, kinds: &[RelationKind], what: &str) -> Result<()> {
        if kinds.contains(&self.relation.kind) {
            Ok(())
        } else {
            Err(Error::Unsupported(format!(
                "{what} does not apply to {} relation {}",
                self.relation.kind.loopback_name(),
                self.relation.name
            )))
        }
    }

    /// The clause selecting this source's targets (has-many, has-one), or `None` when the
    /// source has no relating value.
    fn constraint(&self) -> Where {
        Where::cond(self.target_key.clone(), Op::Eq(self.source_value.clone()))
    }

    fn constrained(&self, condition: Option<Where>) -> Where {
        match condition {
            Some(w) => Where::all([self.constraint(), w]),
            None => self.constraint(),
        }
    }

    /// The target ids linked to this source (has-many-through).
    async fn linked_ids(&self) -> Result<Vec<Value>> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let links = link
            .find(
                Filter::default()
                    .where_(Where::cond(
                        link_from.clone(),
                        Op::Eq(self.source_value.clone()),
                    ))
                    .fields([link_to.as_str()]),
            )
            .await?;
        Ok(distinct(
            links.into_iter().filter_map(|mut l| l.remove(link_to)),
        ))
    }

    fn link_parts(&self) -> Result<(&CrudRepository, &(String, String))> {
        match (&self.link, &self.link_keys) {
            (Some(link), Some(keys)) => Ok((link, keys)),
            _ => Err(Error::Unsupported(format!(
                "relation {} has no through model",
                self.relation.name
            ))),
        }
    }

    async fn through_condition(&self, condition: Option<Where>) -> Result<Where> {
        let ids = Where::cond(self.target_key.clone(), Op::Inq(self.linked_ids().await?));
        Ok(match condition {
            Some(w) => Where::all([ids, w]),
            None => ids,
        })
    }

    /// Rejects data setting the relation's key to another value, and sets it (LoopBack's
    /// `constrainDataObject`).
    fn constrain_data(&self, mut data: Record, set: bool) -> Result<Record> {
        if let Some(given) = data.get(&self.target_key).filter(|v| !v.is_null()) {
            let ty = &self
                .target
                .model()
                .get(&self.target_key)
                .map(|p| p.ty.clone());
            let same = ty.as_ref().is_some_and(|ty| {
                given
                    .clone()
                    .coerce(ty)
                    .is_ok_and(|g| g.filter_eq(&self.source_value))
            });
            if !same {
                return Err(Error::InvalidBody(format!(
                    "Property \"{}\" cannot be changed!",
                    self.target_key
                )));
            }
        }
        if set {
            data.insert(self.target_key.clone(), self.source_value.clone());
        }
        Ok(data)
    }

    fn no_source_value(&self) -> Error {
        Error::InvalidBody(format!(
            "{} {} has no {} to relate by",
            self.source.model().name,
            self.source_id,
            self.relation.keys(self.source.model()).source
        ))
    }

    /// Finds the related records (has-many, has-many-through, has-one, references-many).
    ///
    /// # Errors
    /// As [`RecordRepository::find`].
    pub async fn find(&self, filter: Filter) -> Result<Vec<Record>> {
        if self.source_value.is_null() {
            return Ok(Vec::new());
        }
        let condition = filter.where_.clone();
        let condition = match self.relation.kind {
            RelationKind::HasMany | RelationKind::HasOne | RelationKind::BelongsTo => {
                self.constrained(condition)
            }
            RelationKind::HasManyThrough => self.through_condition(condition).await?,
            _ => {
                let ids = match &self.source_value {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let ids = Where::cond(self.target_key.clone(), Op::Inq(ids));
                match condition {
                    Some(w) => Where::all([ids, w]),
                    None => ids,
                }
            }
        };
        self.target
            .find(Filter {
                where_: Some(condition),
                ..filter
            })
            .await
    }

    /// The one related record (has-one, belongs-to); the filter may carry `fields` and
    /// `include`, not `where`.
    ///
    /// # Errors
    /// `NotFound` when there is none (for belongs-to also when the source has no key set).
    pub async fn get(&self, filter: Option<Filter>) -> Result<Record> {
        self.only(&[RelationKind::HasOne, RelationKind::BelongsTo], "get")?;
        let filter = filter
            .unwrap_or_default()
            .for_one_record(&format!("the relation {}", self.relation.name))
            .map_err(Error::InvalidFilter)?;
        let not_found = || {
            Error::not_found(
                &self.target.model().name,
                Value::Json(Box::new(
                    serde_json::json!({ &self.target_key: self.source_value.to_json() }),
                )),
            )
        };
        if self.source_value.is_null() {
            return Err(not_found());
        }
        self.target
            .find_one(Filter {
                where_: Some(self.constraint()),
                ..filter
            })
            .await?
            .ok_or_else(not_found)
    }

    /// Creates a related record (has-many, has-one, has-many-through), setting its key. For
    /// has-many-through, also creates the link record, with `link_data` as its other
    /// properties.
    ///
    /// # Errors
    /// `InvalidBody` when the data sets the key to another value; `NotFound` when the source
    /// record does not exist; otherwise as [`RecordRepository::create`].
    pub async fn create(&self, data: Record, link_data: Option<Record>) -> Result<Record> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "create",
        )?;
        // Unlike LoopBack (weak relations), no record is created for a missing source.
        if !self.source.exists(self.source_id.clone()).await? {
            return Err(Error::not_found(&self.source.model().name, &self.source_id));
        }
        if self.relation.kind != RelationKind::HasManyThrough {
            if self.source_value.is_null() {
                return Err(self.no_source_value());
            }
            return self.target.create(self.constrain_data(data, true)?).await;
        }
        let created = self.target.create(data).await?;
        let target_id = created
            .get(&self.target.model().id_property().name)
            .cloned()
            .unwrap_or(Value::Null);
        if let Err(e) = self.link(target_id.clone(), link_data).await {
            // Without a transaction the pair is not atomic: undo the target.
            let _ = self.target.delete_by_id(target_id).await;
            return Err(e);
        }
        Ok(created)
    }

    /// Changes the patch's properties of the related records matching `condition` (all when
    /// `None`); returns how many. The patch may not change the relation's key.
    ///
    /// # Errors
    /// `InvalidBody` when the patch changes the key; otherwise as
    /// [`RecordRepository::update_all`].
    pub async fn patch(&self, patch: Record, condition: Option<Where>) -> Result<u64> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "patch",
        )?;
        if self.source_value.is_null() {
            return Ok(0);
        }
        if self.relation.kind == RelationKind::HasManyThrough {
            let condition = self.through_condition(condition).await?;
            return self.target.update_all(patch, Some(condition)).await;
        }
        let patch = self.constrain_data(patch, false)?;
        self.target
            .update_all(patch, Some(self.constrained(condition)))
            .await
    }

    /// Deletes the related records matching `condition` (all when `None`); returns how many.
    /// For has-many-through, their link records go too.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn delete(&self, condition: Option<Where>) -> Result<u64> {
        self.only(
            &[
                RelationKind::HasMany,
                RelationKind::HasOne,
                RelationKind::HasManyThrough,
            ],
            "delete",
        )?;
        if self.source_value.is_null() {
            return Ok(0);
        }
        if self.relation.kind != RelationKind::HasManyThrough {
            return self
                .target
                .delete_all(Some(self.constrained(condition)))
                .await;
        }
        let id_name = self.target.model().id_property().name.clone();
        let doomed: Vec<Value> = self
            .target
            .find(
                Filter::default()
                    .where_(self.through_condition(condition).await?)
                    .fields([id_name.as_str()]),
            )
            .await?
            .into_iter()
            .filter_map(|mut r| r.remove(&id_name))
            .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        let (link, (_, link_to)) = self.link_parts()?;
        link.delete_all(Some(Where::cond(link_to.clone(), Op::Inq(doomed.clone()))))
            .await?;
        self.target
            .delete_all(Some(Where::cond(id_name, Op::Inq(doomed))))
            .await
    }

    /// Links an existing target to the source (has-many-through): creates the link record,
    /// with `link_data` as its other properties. Returns the link record.
    ///
    /// # Errors
    /// `NotFound` when no target has this id; otherwise as [`RecordRepository::create`].
    pub async fn link(&self, target_id: Value, link_data: Option<Record>) -> Result<Record> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let target_id = self.target.coerce_id(target_id)?;
        if !self.target.exists(target_id.clone()).await? {
            return Err(Error::not_found(&self.target.model().name, &target_id));
        }
        let mut data = link_data.unwrap_or_default();
        data.insert(link_from.clone(), self.source_value.clone());
        data.insert(link_to.clone(), target_id);
        link.create(data).await
    }

    /// Removes the link between the source and a target (has-many-through); returns how many
    /// link records went.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn unlink(&self, target_id: Value) -> Result<u64> {
        let (link, (link_from, link_to)) = self.link_parts()?;
        let target_id = self.target.coerce_id(target_id)?;
        link.delete_all(Some(Where::all([
            Where::cond(link_from.clone(), Op::Eq(self.source_value.clone())),
            Where::cond(link_to.clone(), Op::Eq(target_id)),
        ])))
        .await
    }

    /// Removes every link of the source (has-many-through); returns how many.
    ///
    /// # Errors
    /// As [`RecordRepository::delete_all`].
    pub async fn unlink_all(&self) -> Result<u64> {
        let (link, (link_from, _)) = self.link_parts()?;
        link.delete_all(Some(Where::cond(
            link_from.clone(),
            Op::Eq(self.source_value.clone()),
        )))
        .await
    }
}
