//! Writes to stored documents: `update`, `replace` and `delete`.

use bson::{Bson, Document, doc};
use portico_domain::error::Message;
use portico_domain::{Checked, Error, IndexKind, ModelDef, Record, Result, Value, Where};

use super::MongoStore;
use super::find::each_found;
use crate::codec::{self, ID_FIELD, field_name, is_nothing, to_bson, to_document};
use crate::{error, translate};

/// Applies the patch (`$set`, and `$unset` for nulls) to the matching documents; a patch that
/// sets a unique property changes at most one (two matches would share the value).
pub(super) async fn update(
    store: &MongoStore,
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
    let collection = store.collection(model);
    let mut session = store.session().await?;
    if set.is_empty() && unset.is_empty() {
        return in_session!(collection.count_documents(query), session)
            .await
            .map_err(|e| error::map(e, model));
    }
    let mut update = Document::new();
    if !set.is_empty() {
        update.insert("$set", set);
    }
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    let unique = model.properties.iter().find(|p| {
        !p.id && p.index == IndexKind::Unique && patch.get(&p.name).is_some_and(|v| !is_nothing(v))
    });
    let Some(unique) = unique else {
        return in_session!(collection.update_many(query, update), session)
            .await
            .map(|r| r.matched_count)
            .map_err(|e| error::map(e, model));
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
        .map_err(|e| error::map(e, model))
}

/// Replaces the document with this id by the record, whole (so absent properties are gone).
pub(super) async fn replace(
    store: &MongoStore,
    model: &ModelDef,
    id: &Value,
    record: &Record,
) -> Result<bool> {
    let id = codec::property_bson(model, &model.id_property().name, id);
    let mut doc = to_document(model, record);
    doc.insert(ID_FIELD, id.clone());
    let mut session = store.session().await?;
    let collection = store.collection(model);
    in_session!(collection.replace_one(doc! {ID_FIELD: id}, doc), session)
        .await
        .map(|r| r.matched_count > 0)
        .map_err(|e| error::map(e, model))
}

/// Deletes the matching documents.
pub(super) async fn delete(
    store: &MongoStore,
    model: &ModelDef,
    condition: &Checked<Where>,
) -> Result<u64> {
    let mut session = store.session().await?;
    let collection = store.collection(model);
    in_session!(
        collection.delete_many(translate::filter_document(model, condition)),
        session
    )
    .await
    .map(|r| r.deleted_count)
    .map_err(|e| error::map(e, model))
}
