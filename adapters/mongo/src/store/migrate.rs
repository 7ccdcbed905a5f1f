//! `migrate`: the collection, one index per indexed property (unique ones sparse, since nulls
//! are never stored) and the counter of a store-generated integer id.

use bson::doc;
use mongodb::IndexModel;
use mongodb::options::IndexOptions;
use portico_domain::{IdStrategy, IndexKind, ModelDef, Result};

use super::MongoStore;
use crate::error;

/// The code MongoDB answers `create` with when the collection exists.
const NAMESPACE_EXISTS: i32 = 48;

/// Creates the collection, the indexes of indexed properties and the id counter, each
/// unless it exists (see the crate docs, "Indexes").
pub(super) async fn migrate(store: &MongoStore, model: &ModelDef) -> Result<()> {
    match store.db.create_collection(model.storage_name()).await {
        Ok(()) => {}
        Err(e)
            if matches!(e.kind.as_ref(),
                mongodb::error::ErrorKind::Command(c) if c.code == NAMESPACE_EXISTS) => {}
        Err(e) => return Err(error::map(e, model)),
    }
    let indexes: Vec<IndexModel> = model
        .properties
        .iter()
        .filter(|p| !p.id && p.index != IndexKind::None)
        .map(|p| {
            let field = p.column();
            let mut options = IndexOptions::default();
            options.name = Some(error::index_name(field));
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
        store
            .collection(model)
            .create_indexes(indexes)
            .await
            .map_err(|e| error::map(e, model))?;
    }
    if model.id_strategy() == IdStrategy::StoreInteger {
        store.create_counter(model).await?;
    }
    Ok(())
}
