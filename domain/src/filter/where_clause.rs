//! Where clauses: conditions combined with `and` / `or`, their operators and regular
//! expression operands.

use super::{CheckOptions, Checked, FilterErrors, check, json, merge, query, query_checked};
use crate::value::Value;

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
    /// The id this clause looks up, when it is exactly `id = value` on `model`'s id property
    /// (with a non-null value): what a store may serve from its primary key, as one row.
    pub fn id_lookup(&self, model: &crate::ModelDef) -> Option<&Value> {
        match self {
            Where::Cond(Condition {
                property,
                op: Op::Eq(value),
                ..
            }) if !value.is_null() && *property == model.id_property().name => Some(value),
            _ => None,
        }
    }

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
    /// As [`Filter::from_query`](super::Filter::from_query).
    pub fn from_query(query: &str, param: &str) -> Result<Option<Where>, FilterErrors> {
        query::param_to_json(query, param)?
            .map(|json| Where::from_json(&json).map_err(|e| e.prefixed(param)))
            .transpose()
    }

    /// Parses and checks a JSON where clause in one go, as [`Filter::from_json_checked`](super::Filter::from_json_checked).
    ///
    /// # Errors
    /// As [`Filter::from_json_checked`](super::Filter::from_json_checked).
    pub fn from_json_checked(
        json: &serde_json::Value,
        model: &crate::ModelDef,
        options: &CheckOptions,
    ) -> crate::Result<Checked<Where>> {
        let (clause, errors) = json::parse_where_lenient(json);
        merge(errors, clause.check(model, options))
    }

    /// [`Where::from_query`] and [`Where::check`] in one go, as [`Filter::from_query_checked`](super::Filter::from_query_checked).
    ///
    /// # Errors
    /// As [`Filter::from_json_checked`](super::Filter::from_json_checked).
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

    /// Checks the clause against a model (stage 2), as [`Filter::check`](super::Filter::check) does.
    ///
    /// # Errors
    /// As [`Filter::check`](super::Filter::check).
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
