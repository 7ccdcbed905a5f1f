//! The `filter` and `where` query parameters, read the same way by every route: both of
//! LoopBack's encodings, checked against the model with the repository's options, every problem
//! reported at once. The checked value is what the CRUD routes hand to the repository, so a
//! filter is checked once per request.

use portico_domain::{CheckOptions, Checked, Filter, ModelDef, Where};

use crate::error::ApiError;

/// The `filter` parameter, if given.
pub(crate) fn filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
) -> Result<Option<Checked<Filter>>, ApiError> {
    Ok(Filter::from_query_checked(query, "filter", model, options)?)
}

/// The `where` parameter, if given.
pub(crate) fn where_(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
) -> Result<Option<Checked<Where>>, ApiError> {
    Ok(Where::from_query_checked(query, "where", model, options)?)
}

/// The `filter` of a list request with the page size applied: the limit is `max_page_size`
/// when none is given, and capped to it otherwise.
pub(crate) fn list_filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
    max_page_size: u64,
) -> Result<Checked<Filter>, ApiError> {
    let filter = match filter(query, model, options)? {
        Some(filter) => filter,
        None => Filter::default().check(model, options)?,
    };
    Ok(filter.capped(max_page_size))
}
