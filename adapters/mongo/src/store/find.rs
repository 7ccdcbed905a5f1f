//! Reads: `find` (filter, sort, projection, paging, one batch for a page) and `count`, and the
//! cursor loop they and `update` share.

use bson::{Document, RawDocument};
use mongodb::ClientSession;
use portico_domain::{Checked, Fields, Filter, ModelDef, Record, Result, Where};

use super::MongoStore;
use crate::codec::from_document;
use crate::{error, translate};

/// The largest `limit` fetched in one batch.
const MAX_SINGLE_BATCH: u32 = 10_000;

/// Reads the matching documents in the filter's order, decoded by the model's property types.
pub(super) async fn find(
    store: &MongoStore,
    model: &ModelDef,
    filter: &Checked<Filter>,
) -> Result<Vec<Record>> {
    let clause = filter.checked_where();
    let query = translate::filter_document(model, &clause);
    let collection = store.collection(model);
    let mut find = collection.find(query);
    if clause.id_lookup(model).is_none() {
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
    let mut session = store.session().await?;
    let mut records = Vec::new();
    each_found(model, find, session.as_deref_mut(), |doc| {
        records.push(from_document(model, doc, selection)?);
        Ok(())
    })
    .await?;
    Ok(records)
}

/// Counts the matching documents.
pub(super) async fn count(
    store: &MongoStore,
    model: &ModelDef,
    condition: &Checked<Where>,
) -> Result<u64> {
    let mut session = store.session().await?;
    let collection = store.collection(model);
    in_session!(
        collection.count_documents(translate::filter_document(model, condition)),
        session
    )
    .await
    .map_err(|e| error::map(e, model))
}

/// True when the clause is `id = value`: at most one document matches, in any order.
/// Runs `find` (in the transaction's session, if any) and hands each document to `each`.
pub(super) async fn each_found(
    model: &ModelDef,
    find: mongodb::action::Find<'_, Document>,
    session: Option<&mut ClientSession>,
    mut each: impl FnMut(&RawDocument) -> Result<()>,
) -> Result<()> {
    let map = |e| error::map(e, model);
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
