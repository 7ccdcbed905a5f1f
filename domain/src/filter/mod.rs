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
pub mod eval;
mod json;
pub mod like;
mod query;

use std::fmt;
use std::ops::Deref;

pub use check::{Capabilities, CheckOptions, Limits};

use crate::value::Value;

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

/// A where clause: conditions combined with `and` / `or`.
#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    /// All must match.
    And(Vec<Where>),
    /// At least one must match.
    Or(Vec<Where>),
    /// One condition on one property.
    Cond(Condition),
}

impl Where {
    /// One condition.
    pub fn cond(property: impl Into<String>, op: Op) -> Where {
        Where::Cond(Condition {
            property: property.into(),
            op,
            source: None,
            shorthand: false,
        })
    }

    /// All of these.
    pub fn all(clauses: impl IntoIterator<Item = Where>) -> Where {
        Where::And(clauses.into_iter().collect())
    }

    /// Any of these.
    pub fn any(clauses: impl IntoIterator<Item = Where>) -> Where {
        Where::Or(clauses.into_iter().collect())
    }

    /// This and that (flattens nested `and`s).
    pub fn and(self, other: Where) -> Where {
        match (self, other) {
            (Where::And(mut a), Where::And(b)) => {
                a.extend(b);
                Where::And(a)
            }
            (Where::And(mut a), w) => {
                a.push(w);
                Where::And(a)
            }
            (w, Where::And(mut b)) => {
                b.insert(0, w);
                Where::And(b)
            }
            (a, b) => Where::And(vec![a, b]),
        }
    }

    /// This or that (flattens nested `or`s).
    pub fn or(self, other: Where) -> Where {
        match (self, other) {
            (Where::Or(mut a), Where::Or(b)) => {
                a.extend(b);
                Where::Or(a)
            }
            (Where::Or(mut a), w) => {
                a.push(w);
                Where::Or(a)
            }
            (a, b) => Where::Or(vec![a, b]),
        }
    }

    /// True for a clause that matches every record: an empty `and`, or an `and` of such.
    /// (Parsed and checked clauses only contain empty `and`s to mean "everything".)
    pub fn matches_all(&self) -> bool {
        match self {
            Where::And(parts) => parts.iter().all(Where::matches_all),
            _ => false,
        }
    }

    /// Parses LoopBack's JSON where form, e.g. `{"isComplete":false,"title":{"like":"%a%"}}`.
    ///
    /// # Errors
    /// Every shape problem found, each with its path.
    pub fn from_json(json: &serde_json::Value) -> Result<Where, FilterErrors> {
        json::parse_where_root(json)
    }

    /// Parses the `where` parameter from a raw query string, in either encoding
    /// (`where={"done":true}` or `where[done]=true`). `None` when absent or empty.
    ///
    /// # Errors
    /// As [`Filter::from_query`].
    pub fn from_query(query: &str, param: &str) -> Result<Option<Where>, FilterErrors> {
        query::param_to_json(query, param)?
            .map(|json| Where::from_json(&json).map_err(|e| e.prefixed(param)))
            .transpose()
    }

    /// Parses and checks a JSON where clause in one go, as [`Filter::from_json_checked`].
    ///
    /// # Errors
    /// As [`Filter::from_json_checked`].
    pub fn from_json_checked(
        json: &serde_json::Value,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Checked<Where>> {
        let (clause, errors) = json::parse_where_lenient(json);
        merge(errors, clause.check(model, options))
    }

    /// [`Where::from_query`] and [`Where::check`] in one go, as [`Filter::from_query_checked`].
    ///
    /// # Errors
    /// As [`Filter::from_json_checked`].
    pub fn from_query_checked(
        query: &str,
        param: &str,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Option<Checked<Where>>> {
        query_checked(query, param, |json| {
            Where::from_json_checked(json, model, options)
        })
    }

    /// Checks the clause against a model (stage 2), as [`Filter::check`] does.
    ///
    /// # Errors
    /// As [`Filter::check`].
    pub fn check(
        self,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Checked<Where>> {
        check::check_where_root(self, model, options)
    }
}

/// One condition: a property and an operator with its operand.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The property's API name.
    pub property: String,
    /// The operator.
    pub op: Op,
    /// Where the condition came from in parsed JSON (its JSON pointer), so that check errors
    /// point at what the user wrote; not part of equality.
    pub(crate) source: Option<Box<str>>,
    /// Written as `{p: value}` rather than `{p: {eq: value}}` (the operand's path differs).
    pub(crate) shorthand: bool,
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.property == other.property && self.op == other.op
    }
}

/// A where operator and its operand(s). See the reference for each one's semantics.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Equal (shorthand `{p: v}`); `Eq(Null)` matches null or missing.
    Eq(Value),
    /// Not equal; also matches null or missing; `Neq(Null)` matches present values.
    Neq(Value),
    /// Greater than.
    Gt(Value),
    /// Greater than or equal.
    Gte(Value),
    /// Less than.
    Lt(Value),
    /// Less than or equal.
    Lte(Value),
    /// Inclusive range.
    Between(Value, Value),
    /// In the list (`[]` matches nothing).
    Inq(Vec<Value>),
    /// Not in the list (`[]` matches everything; null or missing match).
    Nin(Vec<Value>),
    /// Present and non-null (`true`) or null/missing (`false`).
    Exists(bool),
    /// SQL LIKE pattern, case-sensitive, whole value.
    Like(String),
    /// Negated LIKE; null or missing match.
    Nlike(String),
    /// Case-insensitive LIKE.
    Ilike(String),
    /// Negated case-insensitive LIKE; null or missing match.
    Nilike(String),
    /// Regular expression search.
    Regexp(RegexSpec),
}

impl Op {
    /// The operator's LoopBack name.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Eq(_) => "eq",
            Op::Neq(_) => "neq",
            Op::Gt(_) => "gt",
            Op::Gte(_) => "gte",
            Op::Lt(_) => "lt",
            Op::Lte(_) => "lte",
            Op::Between(..) => "between",
            Op::Inq(_) => "inq",
            Op::Nin(_) => "nin",
            Op::Exists(_) => "exists",
            Op::Like(_) => "like",
            Op::Nlike(_) => "nlike",
            Op::Ilike(_) => "ilike",
            Op::Nilike(_) => "nilike",
            Op::Regexp(_) => "regexp",
        }
    }
}

/// A regular expression operand: the pattern and its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexSpec {
    /// The pattern, without delimiters.
    pub pattern: String,
    /// The `i` flag.
    pub case_insensitive: bool,
}

impl RegexSpec {
    /// Parses `^a`, `/^a/` or `/^a/i` (LoopBack's string and literal forms).
    ///
    /// # Errors
    /// A message for an unsupported flag or an invalid pattern.
    pub fn parse(text: &str) -> Result<RegexSpec, String> {
        let (pattern, flags) = match text
            .strip_prefix('/')
            .and_then(|rest| rest.rfind('/').map(|i| (rest, i)))
        {
            Some((rest, i)) => (&rest[..i], &rest[i + 1..]),
            None => (text, ""),
        };
        let mut spec = RegexSpec {
            pattern: pattern.to_owned(),
            case_insensitive: false,
        };
        for flag in flags.chars() {
            match flag {
                'i' => spec.case_insensitive = true,
                // `g` changes nothing about whether a value matches.
                'g' => {}
                other => return Err(format!("unsupported regexp flag '{other}' (supported: i)")),
            }
        }
        spec.compile()
            .map_err(|e| format!("invalid regular expression: {}", last_line(&e.to_string())))?;
        Ok(spec)
    }
}

impl RegexSpec {
    /// The compiled pattern, as every store that evaluates it in Rust compiles it.
    ///
    /// # Errors
    /// The pattern is invalid or compiles beyond [`REGEX_SIZE_LIMIT`].
    pub fn compile(&self) -> Result<regex::Regex, regex::Error> {
        compile_pattern(&self.pattern, self.case_insensitive)
    }
}

/// The most memory one compiled pattern may take: a filter cannot make a store build an
/// unbounded automaton.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a regular expression (a `regexp` pattern or a translated `like` pattern) within
/// [`REGEX_SIZE_LIMIT`].
///
/// # Errors
/// The pattern is invalid or too large.
pub fn compile_pattern(source: &str, case_insensitive: bool) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(source)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
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

/// A filter or where clause that passed [`Filter::check`] / [`Where::check`]: property names
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

/// One problem found in a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// JSON pointer to the offending part, e.g. `/where/and/0/title/like`.
    pub path: String,
    /// A stable code: `unknownProperty`, `unknownOperator`, `type`, `invalid`, `tooDeep`,
    /// `tooMany`, `hiddenProperty`, `unknownRelation`.
    pub code: &'static str,
    /// What is wrong, naming the property or key.
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in one filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterErrors(pub Vec<FilterError>);

impl FilterErrors {
    /// One problem: what a rule outside the parse and check stages reports (an id of the
    /// wrong type, a `where` where none is taken).
    pub fn one(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FilterErrors(vec![FilterError {
            path: path.into(),
            code,
            message: message.into(),
        }])
    }

    pub(crate) fn push(&mut self, path: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FilterError {
            path: path.to_owned(),
            code,
            message: message.into(),
        });
    }

    pub(crate) fn into_result<T>(self, value: T) -> Result<T, FilterErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Prefixes every path with a parameter name (`/where/x` → `/filter/where/x`).
    pub fn prefixed(mut self, param: &str) -> FilterErrors {
        for e in &mut self.0 {
            e.path = format!("/{param}{}", e.path);
        }
        self
    }

    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &FilterError> {
        self.0.iter()
    }
}

impl fmt::Display for FilterErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid filter: ")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FilterErrors {}
