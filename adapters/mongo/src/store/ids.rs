//! Store-generated integer ids: one atomic counter document per collection, created by
//! `migrate` and advanced by `findAndModify`, so ids behave as SQL sequences do.

use bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use portico_domain::error::Message;
use portico_domain::{Error, ModelDef, Result};

use super::MongoStore;
use crate::codec::ID_FIELD;
use crate::error;

impl MongoStore {
    /// Reserves `n` consecutive ids for `model`; returns the first.
    pub(super) async fn reserve_ids(&self, model: &ModelDef, n: usize) -> Result<i64> {
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
                Err(e) if error::duplicate_key_message(&e).is_some() && attempt < 5 => {}
                Err(e) => return Err(error::map_without_model(e)),
            }
        }
    }

    /// Creates the id counter of `model` unless it exists, starting after the largest integer
    /// id already stored (0 for an empty collection). Creates then only advance an existing
    /// counter. (`reserve_ids` upserts too, for a store used without `migrate`.)
    pub(super) async fn create_counter(&self, model: &ModelDef) -> Result<()> {
        let last = self
            .collection(model)
            .find_one(doc! {ID_FIELD: {"$type": "number"}})
            .sort(doc! {ID_FIELD: -1})
            .projection(doc! {ID_FIELD: 1})
            .await
            .map_err(|e| error::map(e, model))?
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
            Err(e) if error::duplicate_key_message(&e).is_some() => Ok(()),
            Err(e) => Err(error::map_without_model(e)),
        }
    }
}
