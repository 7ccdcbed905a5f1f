//! The `filter` and `where` query parameters, read the same way by every route: both of
//! LoopBack's encodings, checked against the model with the repository's options, every problem
//! reported at once.

use portico_domain::{CheckOptions, Checked, Filter, ModelDef, Where};

use crate::error::ApiError;

/// The `filter` parameter, if given.
pub(crate) fn filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
) -> Result<Option<Filter>, ApiError> {
    Ok(Filter::from_query_checked(query, "filter", model, options)?.map(Checked::into_inner))
}

/// The `where` parameter, if given.
pub(crate) fn where_(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
) -> Result<Option<Where>, ApiError> {
    Ok(Where::from_query_checked(query, "where", model, options)?.map(Checked::into_inner))
}

/// The `filter` of a list request with the page size applied: the limit is `max_page_size`
/// when none is given, and capped to it otherwise.
pub(crate) fn list_filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
    max_page_size: u64,
) -> Result<Filter, ApiError> {
    let mut filter = filter(query, model, options)?.unwrap_or_default();
    filter.limit = Some(filter.limit.map_or(max_page_size, |l| l.min(max_page_size)));
    Ok(filter)
}
