//! [`Checked`]: what the check stage hands to stores.

use std::ops::Deref;

use super::{Condition, Fields, Filter, Op, Where};
use crate::value::Value;

/// A filter or where clause that passed [`Filter::check`](super::Filter::check) / [`Where::check`]: property names
/// are known and visible, values have their property's type, `fields` is the complete ordered
/// selection, `order` ends with the id (so ties are stable), and the backend can honour every
/// operator. Adapters receive only checked values.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T>(T);

impl<T> Checked<T> {
    pub(crate) fn new(inner: T) -> Self {
        Checked(inner)
    }

    /// Unwraps the checked value (it is then no longer marked as checked).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl Checked<Where> {
    /// The clause that matches every record (an empty `and`).
    pub fn all() -> Self {
        Checked(Where::And(Vec::new()))
    }

    /// `property = value` on `model`, checked: `None` when the model has no such property or
    /// `value` is null or not of its type (what a row-level scope restricts by).
    pub fn equals(model: &crate::ModelDef, property: &str, value: Value) -> Option<Self> {
        let prop = model.get(property)?;
        if value.is_null() || !value.is_of(&prop.ty) {
            return None;
        }
        Some(Checked(Where::cond(property, Op::Eq(value))))
    }

    /// Both clauses: still checked, as each is.
    pub fn and(self, other: Checked<Where>) -> Self {
        Checked(self.0.and(other.0))
    }
}

impl Checked<Filter> {
    /// The where clause, checked ([`Checked::all`] when the filter has none).
    pub fn checked_where(&self) -> Checked<Where> {
        self.0.where_.clone().map_or_else(Checked::all, Checked)
    }

    /// A checked filter that matches by id only (used by `find_by_id`).
    pub fn with_where(mut self, condition: Checked<Where>) -> Self {
        self.0.where_ = Some(condition.0);
        self
    }

    /// This filter restricted to the records `condition` also matches (its `where` ANDed with
    /// it); paging, order and selection unchanged.
    pub fn and_where(mut self, condition: Checked<Where>) -> Self {
        self.0.where_ = Some(match self.0.where_.take() {
            None => condition.0,
            Some(existing) => existing.and(condition.0),
        });
        self
    }

    /// This filter with its `limit` capped at `max` (set to `max` when it has none): a
    /// transport's page size. Still checked: a limit of at least 1 stays valid.
    pub fn capped(mut self, max: u64) -> Self {
        let max = max.max(1);
        self.0.limit = Some(self.0.limit.map_or(max, |l| l.min(max)));
        self
    }

    /// [`Filter::for_one_record`](super::Filter::for_one_record) of a checked filter: without
    /// `where`, paging dropped.
    ///
    /// # Errors
    /// One `invalid` problem at `/where` when the filter has a where clause.
    pub fn for_one_record(self, reader: &str) -> Result<Self, super::FilterErrors> {
        self.0.for_one_record(reader).map(Checked)
    }

    /// The inclusions, each with its relation name and its checked scope (the empty filter,
    /// checked, when none was given).
    pub fn inclusions(&self) -> impl Iterator<Item = (&str, Checked<Filter>)> + '_ {
        self.0.include.iter().map(|inclusion| {
            let scope = inclusion.scope.as_deref().cloned().unwrap_or_default();
            (inclusion.relation.as_str(), Checked(scope))
        })
    }

    /// The query of one batched inclusion: this (checked) scope restricted to records whose
    /// `key` is one of `values`, with `key` selected, without paging (which the caller applies
    /// per parent) and without nested inclusions (which the caller resolves level by level).
    /// `key` must be a property of the filter's model and `values` of its type — as the keys
    /// of a checked relation are.
    pub fn batch(&self, model: &crate::ModelDef, key: &str, values: Vec<Value>) -> Checked<Filter> {
        let restriction = Where::Cond(Condition {
            property: key.to_owned(),
            op: Op::Inq(values),
            source: None,
            shorthand: false,
        });
        let where_ = match self.0.where_.clone() {
            None => restriction,
            Some(Where::And(mut parts)) => {
                parts.insert(0, restriction);
                Where::And(parts)
            }
            Some(other) => Where::And(vec![restriction, other]),
        };
        let fields = self.0.fields.clone().map(|f| select(f, model, key));
        Checked(Filter {
            where_: Some(where_),
            fields,
            order: self.0.order.clone(),
            limit: None,
            skip: None,
            include: Vec::new(),
        })
    }

    /// Whether rows found by this filter carry property `name` (every property when it
    /// selects none).
    pub fn selects(&self, name: &str) -> bool {
        match &self.0.fields {
            None => true,
            Some(Fields::Include(names)) => names.iter().any(|n| n == name),
            Some(Fields::Exclude(names)) => !names.iter().any(|n| n == name),
        }
    }

    /// This filter with `key` added to its selection (when it selects), so inclusion can
    /// relate records by it.
    pub fn selecting(mut self, model: &crate::ModelDef, key: &str) -> Self {
        self.0.fields = self.0.fields.take().map(|f| select(f, model, key));
        self
    }
}

/// A checked selection with `key` added, kept in the model's property order.
fn select(fields: Fields, model: &crate::ModelDef, key: &str) -> Fields {
    match fields {
        Fields::Include(names) if !names.iter().any(|n| n == key) => {
            let mut selected: Vec<String> = model
                .properties
                .iter()
                .filter(|p| p.name == key || names.contains(&p.name))
                .map(|p| p.name.clone())
                .collect();
            selected.extend(names.into_iter().filter(|n| model.get(n).is_none()));
            Fields::Include(selected)
        }
        other => other,
    }
}
