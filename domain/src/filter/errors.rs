//! The problems found in a filter, each with its JSON-pointer path.

use std::fmt;

/// One problem found in a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// JSON pointer to the offending part, e.g. `/where/and/0/title/like`.
    pub path: String,
    /// A stable code: `unknownProperty`, `unknownOperator`, `type`, `invalid`, `tooDeep`,
    /// `tooMany`, `hiddenProperty`, `unknownRelation`; in a query parameter also `syntax`
    /// (malformed JSON) and `prohibitedKey` (a key LoopBack's `parseJson` refuses, such as
    /// `__proto__`: the message is LoopBack's, `JSON string cannot contain "__proto__" key.`).
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
