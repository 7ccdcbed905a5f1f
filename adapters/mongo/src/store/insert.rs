//! `insert`: ids generated (counter or `ObjectId`), documents written in order, and a batch
//! that fails part-way undone again, so a multi-insert is all-or-nothing.

use bson::{Bson, Document, doc};
use portico_domain::{Error, IdStrategy, IndexKind, ModelDef, Record, Result, Value};

use super::MongoStore;
use crate::codec::{ID_FIELD, is_nothing, to_document};
use crate::error;

/// Inserts the records (with their generated ids) in one ordered write; see the crate docs
/// for how a failed multi-insert is undone outside a transaction.
pub(super) async fn insert(
    store: &MongoStore,
    model: &ModelDef,
    mut records: Vec<Record>,
) -> Result<Vec<Record>> {
    if records.is_empty() {
        return Ok(records);
    }
    check_batch(model, &records)?;
    let id = &model.id_property().name;
    match model.id_strategy() {
        IdStrategy::StoreInteger => {
            let first = store.reserve_ids(model, records.len()).await?;
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
    let collection = store.collection(model);
    let mut session = store.session().await?;
    if let [doc] = docs.as_slice() {
        in_session!(collection.insert_one(doc), session)
            .await
            .map_err(|e| error::map(e, model))?;
    } else if let Err(e) = in_session!(collection.insert_many(&docs).ordered(true), session).await {
        // Inside a transaction, the server aborts it: nothing to undo.
        if session.is_none() {
            undo_partial_insert(store, model, &docs, &e).await;
        }
        return Err(error::map(e, model));
    }
    // Stored values are what was given, minus nulls (absent and null are the same).
    for record in &mut records {
        record.retain(|_, v| !is_nothing(v));
    }
    Ok(records)
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
    store: &MongoStore,
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
        let _ = store
            .collection(model)
            .delete_many(doc! {ID_FIELD: {"$in": inserted}})
            .await;
    }
}
