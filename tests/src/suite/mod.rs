//! The cases, one module per area. Each module lists its cases with `cases![…]`.

mod crud;
mod object_ids;
mod query;
mod relations;
mod transactions;
mod value_types;
mod values;
mod versions;
mod where_ops;

pub(crate) fn all() -> Vec<crate::Case> {
    let mut all = Vec::new();
    all.extend(crud::cases());
    all.extend(object_ids::cases());
    all.extend(values::cases());
    all.extend(value_types::cases());
    all.extend(where_ops::cases());
    all.extend(query::cases());
    all.extend(relations::cases());
    all.extend(transactions::cases());
    all.extend(versions::cases());
    all
}
