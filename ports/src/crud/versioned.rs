//! Optimistic concurrency: every write by id of a model with a version property is a
//! compare-and-set on the version.

use portico_domain::error::Message;
use portico_domain::{Checked, Error, Filter, Record, Result, Value, Where};

use super::CrudRepository;

/// How often a write without an expected version re-reads a record that concurrent writers
/// keep moving on, before it fails with a retryable `TransactionConflict`.
const MAX_WRITE_ATTEMPTS: usize = 16;

impl CrudRepository {
    /// The version a write carries (the version property's value in its data), taken out of
    /// the data: the version the caller expects the stored record to be at.
    pub(super) fn expected_version(&self, data: &mut Record) -> Result<Option<i64>> {
        let Some(version) = self.model.version_property() else {
            return Ok(None);
        };
        match data.remove(&version.name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Int(v)) => Ok(Some(v)),
            Some(other) => Err(Error::InvalidBody(format!(
                "{} must be an integer version, got {}",
                version.name,
                other.kind()
            ))),
        }
    }

    /// The stored version of the record with this id (0 for a record stored before the model
    /// had a version), or `NotFound`.
    pub(super) async fn stored_version(&self, id: &Value, version_name: &str) -> Result<i64> {
        let filter = Filter::default()
            .fields([self.id_name(), version_name])
            .check(&self.model, &self.options)?
            .with_where(self.where_id(id)?);
        let found = self.store.find(&self.model, &filter).await?;
        let record = found
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(&self.model.name, id))?;
        Ok(match record.get(version_name) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        })
    }

    /// The clause matching the record with this id at this stored version.
    pub(super) fn where_id_at(
        &self,
        id: &Value,
        version_name: &str,
        version: i64,
    ) -> Result<Checked<Where>> {
        let at = if version == 0 {
            Where::cond(version_name, portico_domain::Op::Eq(Value::Null))
        } else {
            Where::cond(version_name, portico_domain::Op::Eq(Value::Int(version)))
        };
        Where::all([
            Where::cond(self.id_name(), portico_domain::Op::Eq(id.clone())),
            at,
        ])
        .check(&self.model, &self.options)
    }

    /// Writes `patch` to the record with this id as a compare-and-set on its version: at
    /// `expected` when given (else at whatever version it is, retrying when a concurrent write
    /// gets in between), setting the next version.
    pub(super) async fn write_versioned(
        &self,
        id: &Value,
        version_name: &str,
        expected: Option<i64>,
        mut patch: Record,
    ) -> Result<()> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let current = self.stored_version(id, version_name).await?;
            if let Some(expected) = expected
                && expected != current
            {
                return Err(self.stale(id, expected, current));
            }
            patch.insert(version_name.to_owned(), Value::Int(current + 1));
            let condition = self.where_id_at(id, version_name, current)?;
            if self.store.update(&self.model, &patch, &condition).await? > 0 {
                return Ok(());
            }
        }
        Err(self.kept_changing(id))
    }

    /// Gives up on a record that other writers moved on at every attempt: the caller may retry
    /// (a livelock is not worth unbounded round trips).
    fn kept_changing(&self, id: &Value) -> Error {
        Error::transaction_conflict(Message(format!(
            "{} {} was changed by concurrent writes at each of {MAX_WRITE_ATTEMPTS} attempts",
            self.model.name,
            id.to_json()
        )))
    }

    pub(super) fn stale(&self, id: &Value, expected: i64, actual: i64) -> Error {
        Error::StaleVersion {
            entity: self.model.name.clone(),
            id: id.to_json().to_string(),
            expected,
            actual,
        }
    }

    pub(super) async fn delete_at_version(&self, id: Value, version: i64) -> Result<()> {
        let id = self.coerce_id(id)?;
        let version_name = self
            .model
            .version_property()
            .map(|p| p.name.clone())
            .ok_or_else(|| {
                Error::Unsupported(format!("{} has no version property", self.model.name))
            })?;
        let condition = self.where_id_at(&id, &version_name, version)?;
        if self.store.delete(&self.model, &condition).await? > 0 {
            return Ok(());
        }
        let actual = self.stored_version(&id, &version_name).await?;
        Err(self.stale(&id, version, actual))
    }

    /// `update_all` of a versioned model: each matching record is written by a compare-and-set
    /// on its version (so each gets its own next version); a record changed concurrently is
    /// read again and written if it still matches.
    pub(super) async fn update_all_versioned(
        &self,
        version_name: &str,
        patch: Record,
        condition: Where,
    ) -> Result<u64> {
        let id_name = self.id_name().to_owned();
        let matching = Filter::default()
            .where_(condition.clone())
            .fields([id_name.as_str(), version_name])
            .check(&self.model, &self.options)?;
        let mut pending: Vec<(Record, usize)> = self
            .store
            .find(&self.model, &matching)
            .await?
            .into_iter()
            .map(|r| (r, 1))
            .collect();
        let mut written = 0;
        while let Some((mut record, attempt)) = pending.pop() {
            let id = record.remove(&id_name).unwrap_or(Value::Null);
            let current = match record.get(version_name) {
                Some(Value::Int(v)) => *v,
                _ => 0,
            };
            let mut next = patch.clone();
            next.insert(version_name.to_owned(), Value::Int(current + 1));
            let at = self.where_id_at(&id, version_name, current)?.into_inner();
            let guarded = Where::all([at, condition.clone()]).check(&self.model, &self.options)?;
            if self.store.update(&self.model, &next, &guarded).await? > 0 {
                written += 1;
                continue;
            }
            if attempt == MAX_WRITE_ATTEMPTS {
                return Err(self.kept_changing(&id));
            }
            // Changed in between: take it again if it still matches.
            let again = matching.clone().with_where(
                Where::all([
                    Where::cond(&id_name, portico_domain::Op::Eq(id)),
                    condition.clone(),
                ])
                .check(&self.model, &self.options)?,
            );
            let found = self.store.find(&self.model, &again).await?;
            pending.extend(found.into_iter().map(|r| (r, attempt + 1)));
        }
        Ok(written)
    }
}
