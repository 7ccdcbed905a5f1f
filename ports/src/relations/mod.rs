//! Relations, written once over any [`Store`](crate::Store): batched inclusion (one query per
//! relation level, never one per parent) and LoopBack's relation repositories.

mod include;
mod records;
mod typed;

pub use records::RelatedRecords;
pub use typed::{BelongsTo, HasMany, HasManyThrough, HasOne};
