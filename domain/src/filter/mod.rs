//! The filter DSL: LoopBack 4's `where`, `fields`, `order`, `limit`, `skip`/`offset` and
//! `include`, in three stages (as in nextest-filtering):
//!
//! 1. **Parse** — from the typed builder ([`Filter::new`], [`crate::Field`]), from LoopBack JSON
//!    ([`Filter::from_json`]) or from the query string in either encoding
//!    ([`Filter::from_query`]). Parsing checks shapes only (operators, list forms, limits).
//! 2. **Check** — [`Filter::check`] validates against a [`ModelDef`](crate::ModelDef): known
//!    and visible properties, operators allowed for each type, values coerced to property types
//!    (`"3"` → 3), nesting depth and list sizes, backend [`Capabilities`]. Every problem is
//!    collected with its JSON-pointer path.
//! 3. **Use** — a [`Checked`] filter: a plain AST, no serde, that adapters translate (SQL, BSON)
//!    or evaluate (memory).
//!
//! The semantics every backend must implement are in the reference below.
#![doc = include_str!("REFERENCE.md")]

mod check;
mod checked;
mod errors;
pub mod eval;
mod json;
pub mod like;
mod query;
mod where_clause;

pub use check::{Capabilities, CheckOptions, Limits};
pub use checked::Checked;
pub use errors::{FilterError, FilterErrors};
pub use where_clause::{Condition, Op, REGEX_SIZE_LIMIT, RegexSpec, Where, compile_pattern};

/// A filter as LoopBack defines it. Build one with the builder methods, [`Filter::from_json`]
/// or [`Filter::from_query`], then [`Filter::check`] it against a model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Which records match; `None` matches all.
    pub where_: Option<Where>,
    /// Which properties to return; `None` returns all visible ones.
    pub fields: Option<Fields>,
    /// Sort keys, most significant first.
    pub order: Vec<Order>,
    /// At most this many records (≥ 1).
    pub limit: Option<u64>,
    /// Skip this many records first (LoopBack's `skip` and its alias `offset`).
    pub skip: Option<u64>,
    /// Related models to include.
    pub include: Vec<Inclusion>,
}

impl Filter {
    /// The filter of a read of one record that something else finds (an id, a to-one
    /// relation's key), which `reader` names in the message: it takes no `where`, and paging
    /// means nothing for one record, so `limit` and `skip` are dropped.
    ///
    /// # Errors
    /// One `invalid` problem at `/where` when the filter has a where clause.
    pub fn for_one_record(self, reader: &str) -> Result<Filter, FilterErrors> {
        if self.where_.is_some() {
            return Err(FilterErrors::one(
                "/where",
                "invalid",
                format!("{reader} finds its record by its key and takes no where clause"),
            ));
        }
        Ok(Filter {
            limit: None,
            skip: None,
            ..self
        })
    }

    /// An empty filter: everything, in id order.
    pub fn new() -> Self {
        Filter::default()
    }

    /// Sets the where clause, AND-ing it with one already set (LoopBack's `impose`).
    pub fn where_(mut self, condition: Where) -> Self {
        self.where_ = Some(match self.where_.take() {
            Some(existing) => existing.and(condition),
            None => condition,
        });
        self
    }

    /// Returns only these properties.
    pub fn fields<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.fields = Some(Fields::Include(names.into_iter().map(Into::into).collect()));
        self
    }

    /// Returns every visible property but these.
    pub fn exclude_fields<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.fields = Some(Fields::Exclude(names.into_iter().map(Into::into).collect()));
        self
    }

    /// Adds a sort key.
    pub fn order(mut self, order: Order) -> Self {
        self.order.push(order);
        self
    }

    /// Sets the limit.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets the number of records to skip.
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Includes a relation.
    pub fn include(mut self, inclusion: impl Into<Inclusion>) -> Self {
        self.include.push(inclusion.into());
        self
    }

    /// Parses LoopBack's JSON form, e.g.
    /// `{"where":{"title":{"like":"%milk%"}},"order":["title DESC"],"limit":3}`.
    ///
    /// # Errors
    /// Every shape problem found, each with its path.
    pub fn from_json(json: &serde_json::Value) -> Result<Filter, FilterErrors> {
        json::parse_filter(json)
    }

    /// Parses the `filter` parameter from a raw (still percent-encoded) query string, in either
    /// encoding LoopBack accepts: `filter={"limit":3}` (URL-encoded JSON) or the bracket form
    /// `filter[where][title][like]=%25milk%25&filter[order][0]=title%20DESC&filter[limit]=3`.
    /// Returns `None` when the parameter is absent or empty.
    ///
    /// # Errors
    /// Malformed JSON, conflicting bracket keys or an invalid filter shape.
    pub fn from_query(query: &str, param: &str) -> Result<Option<Filter>, FilterErrors> {
        query::param_to_json(query, param)?
            .map(|json| Filter::from_json(&json).map_err(|e| e.prefixed(param)))
            .transpose()
    }

    /// Parses LoopBack's JSON form and checks it against a model in one go, reporting the
    /// problems of both stages together (what transports want: one answer listing everything).
    ///
    /// # Errors
    /// As [`Filter::check`], with the parse problems included.
    pub fn from_json_checked(
        json: &serde_json::Value,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Checked<Filter>> {
        let (filter, errors) = json::parse_filter_lenient(json);
        merge(errors, filter.check(model, options))
    }

    /// [`Filter::from_query`] and [`Filter::check`] in one go, reporting every problem.
    ///
    /// # Errors
    /// As [`Filter::from_json_checked`].
    pub fn from_query_checked(
        query: &str,
        param: &str,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Option<Checked<Filter>>> {
        query_checked(query, param, |json| {
            Filter::from_json_checked(json, model, options)
        })
    }

    /// Checks the filter against a model (stage 2).
    ///
    /// # Errors
    /// [`crate::Error::InvalidFilter`] with every problem found, or
    /// [`crate::Error::Unsupported`] when the filter is valid but uses an operator the backend's
    /// capabilities exclude.
    pub fn check(
        self,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Checked<Filter>> {
        check::check_filter(self, model, options)
    }
}

/// Combines parse-stage problems with the check stage's outcome: every problem is reported;
/// an unsupported operator only matters once the filter is otherwise valid.
fn merge<T>(
    mut errors: FilterErrors,
    checked: crate::Result<Checked<T>>,
) -> crate::Result<Checked<T>> {
    match checked {
        Ok(checked) if errors.0.is_empty() => Ok(checked),
        Err(crate::Error::InvalidFilter(more)) => {
            errors.0.extend(more.0);
            Err(crate::Error::InvalidFilter(errors))
        }
        Err(other) if errors.0.is_empty() => Err(other),
        _ => Err(crate::Error::InvalidFilter(errors)),
    }
}

/// One query parameter, in either encoding, parsed and checked by `checked`; errors name the
/// parameter in their paths.
fn query_checked<T>(
    query: &str,
    param: &str,
    checked: impl FnOnce(&serde_json::Value) -> crate::Result<T>,
) -> crate::Result<Option<T>> {
    let Some(json) = query::param_to_json(query, param).map_err(crate::Error::InvalidFilter)?
    else {
        return Ok(None);
    };
    checked(&json).map(Some).map_err(|e| prefix_error(e, param))
}

fn prefix_error(error: crate::Error, param: &str) -> crate::Error {
    match error {
        crate::Error::InvalidFilter(errors) => crate::Error::InvalidFilter(errors.prefixed(param)),
        other => other,
    }
}

/// Which properties a filter returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    /// Only these (after checking: the complete, ordered selection).
    Include(Vec<String>),
    /// All visible properties but these.
    Exclude(Vec<String>),
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending: nulls first.
    Asc,
    /// Descending: nulls last.
    Desc,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The property.
    pub property: String,
    /// The direction.
    pub direction: Direction,
}

impl Order {
    /// Ascending by `property`.
    pub fn asc(property: impl Into<String>) -> Order {
        Order {
            property: property.into(),
            direction: Direction::Asc,
        }
    }

    /// Descending by `property`.
    pub fn desc(property: impl Into<String>) -> Order {
        Order {
            property: property.into(),
            direction: Direction::Desc,
        }
    }
}

/// A relation to include, with an optional scope filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Inclusion {
    /// The relation name.
    pub relation: String,
    /// Filter applied to the related records.
    pub scope: Option<Box<Filter>>,
}

impl Inclusion {
    /// Includes `relation` with a scope filter on the related records.
    pub fn scoped(relation: impl Into<String>, scope: Filter) -> Self {
        Inclusion {
            relation: relation.into(),
            scope: Some(Box::new(scope)),
        }
    }
}

impl From<&str> for Inclusion {
    fn from(relation: &str) -> Self {
        Inclusion {
            relation: relation.to_owned(),
            scope: None,
        }
    }
}
