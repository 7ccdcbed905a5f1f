//! The domain's error type: what every layer above reports to its callers.

use std::fmt;

use crate::filter::FilterErrors;
use crate::validation::ValidationErrors;

/// A boxed error from a backend, kept as the `source` of [`Error::Unavailable`] and
/// [`Error::Backend`] so logs can show it while API users never see it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Shorthand for results carrying the domain [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when working with entities, whatever the backend.
///
/// Adapters map their driver errors *by kind* into these variants (a unique violation becomes
/// [`Error::Conflict`], an unreachable server [`Error::Unavailable`]); the messages of
/// `Unavailable` and `Backend` are fixed, so no SQL text, parameter or credential can reach an
/// API user through `Display`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No entity of this model has this id (LoopBack's `ENTITY_NOT_FOUND`).
    #[error("Entity not found: {entity} with id {id}")]
    NotFound {
        /// The model name, e.g. `Todo`.
        entity: String,
        /// The id, rendered as JSON (`99`, `"a1b2"`), as LoopBack does.
        id: String,
    },
    /// The data failed validation against the model (LoopBack's `VALIDATION_FAILED`).
    #[error("{0}")]
    Validation(ValidationErrors),
    /// The filter or where clause is invalid; every problem found is listed.
    #[error("{0}")]
    InvalidFilter(FilterErrors),
    /// The write collides with existing data, e.g. a unique property or an existing id.
    #[error("{message}")]
    Conflict {
        /// The model name.
        entity: String,
        /// A message safe to show to API users (names the property, never the value).
        message: String,
    },
    /// The request body is unusable as a whole, e.g. an empty patch
    /// (LoopBack's `INVALID_BODY_DEFINITION`).
    #[error("{0}")]
    InvalidBody(String),
    /// The backend cannot honour this operator or feature with the documented semantics.
    #[error("{0}")]
    Unsupported(String),
    /// The backend cannot be reached (connection refused, pool timeout, server selection).
    #[error("the data source is unavailable")]
    Unavailable(#[source] BoxError),
    /// The store has no table (or column) for the model: it was never migrated, or not since
    /// the model changed. Run the app's migration (`App::run` migrates on start; a store of
    /// your own needs `Store::migrate`). The driver error is kept as the source for logs.
    #[error("{entity} is not migrated: {missing} does not exist in the data source; run migrate")]
    NotMigrated {
        /// The model name.
        entity: String,
        /// What is missing, e.g. "table `Author`".
        missing: String,
        /// The driver error.
        #[source]
        source: BoxError,
    },
    /// Any other backend failure; the cause is kept as the source for logs.
    #[error("the data source failed")]
    Backend(#[source] BoxError),
    /// The transaction (or statement) lost to a concurrent one: a serialization failure, a
    /// deadlock, a write conflict or a busy database. Nothing of it was applied; running the
    /// whole transaction again may succeed ([`Error::is_retryable`]). The driver error is kept
    /// as the source for logs.
    #[error("the operation conflicted with a concurrent transaction; retry it")]
    TransactionConflict(#[source] BoxError),
    /// The transaction can no longer be used: it was committed, rolled back, timed out (and was
    /// rolled back) or aborted by the backend after an error. The message says which.
    #[error("{0}")]
    TransactionClosed(String),
    /// A write carried a version of the entity that is no longer the stored one (optimistic
    /// concurrency, see [`crate::PropertyDef::version`]): it changed nothing. Read the entity
    /// again and retry with its current version.
    #[error("{entity} with id {id} is at version {actual}, not {expected}")]
    StaleVersion {
        /// The model name.
        entity: String,
        /// The id, rendered as JSON.
        id: String,
        /// The version the write expected.
        expected: i64,
        /// The stored version.
        actual: i64,
    },
    /// The caller is not authenticated: no credentials, credentials of the wrong form, a token
    /// that does not verify, or a failed login. The message is LoopBack's for each
    /// ([`AuthFailure`]).
    #[error("{0}")]
    Unauthenticated(AuthFailure),
    /// The caller is authenticated but the policy denies the operation (LoopBack's
    /// `Access denied`).
    #[error("Access denied")]
    AccessDenied,
    /// Too many failed attempts (e.g. logins for one account or from one address): refused
    /// without checking, until `retry_after_secs` have passed.
    #[error("Too many attempts; retry in {retry_after_secs} s")]
    TooManyAttempts {
        /// How long the caller must wait, in whole seconds (at least 1).
        retry_after_secs: u64,
    },
}

/// Why a caller is not authenticated ([`Error::Unauthenticated`]); `Display` is LoopBack's
/// message (`@loopback/authentication-jwt`'s, verbatim).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// No `Authorization` header.
    #[error("Authorization header not found.")]
    MissingCredentials,
    /// An `Authorization` header of another scheme than `Bearer`.
    #[error("Authorization header is not of type 'Bearer'.")]
    NotBearer,
    /// `Bearer` followed by more than one value.
    #[error(
        "Authorization header value has too many parts. It must follow the pattern: 'Bearer xx.yy.zz' where xx.yy.zz is a valid JWT token."
    )]
    TooManyParts,
    /// The token does not verify: the reason as node's `jsonwebtoken` words it (`jwt expired`,
    /// `invalid signature`, `jwt malformed`, `invalid algorithm`, …).
    #[error("Error verifying token : {0}")]
    InvalidToken(String),
    /// A login with an unknown account or a wrong password (the two are not told apart).
    #[error("Invalid email or password.")]
    InvalidCredentials,
}

impl AuthFailure {
    /// A stable machine-readable code for each reason.
    pub fn code(&self) -> &'static str {
        match self {
            AuthFailure::MissingCredentials => "AUTHENTICATION_REQUIRED",
            AuthFailure::NotBearer | AuthFailure::TooManyParts => "INVALID_AUTHORIZATION_HEADER",
            AuthFailure::InvalidToken(_) => "INVALID_TOKEN",
            AuthFailure::InvalidCredentials => "INVALID_CREDENTIALS",
        }
    }
}

impl Error {
    /// Builds [`Error::NotFound`] for a model and an id, rendered as JSON: what users hold
    /// (`Error::not_found("Author", 999)`, a `&str`, a `&Value`).
    pub fn not_found(entity: impl Into<String>, id: impl Into<crate::Value>) -> Self {
        Error::NotFound {
            entity: entity.into(),
            id: id.into().to_json().to_string(),
        }
    }

    /// Builds [`Error::Backend`] from any error.
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Error::Backend(source.into())
    }

    /// Builds [`Error::Unavailable`] from any error.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Error::Unavailable(source.into())
    }

    /// The [`Error::Conflict`] of a write whose id is taken. Every store words it so: the
    /// message names the model, never the value.
    pub fn duplicate_id(entity: &str) -> Self {
        Error::Conflict {
            entity: entity.to_owned(),
            message: format!("{entity} with this id already exists"),
        }
    }

    /// The [`Error::Conflict`] of a write duplicating a unique property's value: the message
    /// names the property, never the value.
    pub fn duplicate_unique(entity: &str, property: &str) -> Self {
        Error::Conflict {
            entity: entity.to_owned(),
            message: format!(
                "{entity} with this value of the unique property '{property}' already exists"
            ),
        }
    }

    /// The [`Error::Conflict`] of a write duplicating some unique value the backend did not
    /// name.
    pub fn duplicate_unknown_unique(entity: &str) -> Self {
        Error::Conflict {
            entity: entity.to_owned(),
            message: format!("{entity} would duplicate a unique value"),
        }
    }

    /// The [`Error::Unsupported`] of beginning a transaction on a store that is itself a
    /// transaction's: transactions do not nest.
    pub fn transactions_do_not_nest() -> Self {
        Error::Unsupported(
            "transactions do not nest: this store is already a transaction's".to_owned(),
        )
    }

    /// Builds [`Error::TransactionConflict`] from any error.
    pub fn transaction_conflict(source: impl Into<BoxError>) -> Self {
        Error::TransactionConflict(source.into())
    }

    /// True when running the same work again (the whole transaction, for an error inside one)
    /// may succeed: today only [`Error::TransactionConflict`].
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::TransactionConflict(_))
    }

    /// A stable machine-readable code, LoopBack's where it has one.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "ENTITY_NOT_FOUND",
            Error::Validation(_) => "VALIDATION_FAILED",
            Error::InvalidFilter(_) => "INVALID_PARAMETER_VALUE",
            Error::Conflict { .. } => "CONFLICT",
            Error::InvalidBody(_) => "INVALID_BODY_DEFINITION",
            Error::Unsupported(_) => "NOT_IMPLEMENTED",
            Error::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Error::NotMigrated { .. } => "NOT_MIGRATED",
            Error::Backend(_) => "INTERNAL_SERVER_ERROR",
            Error::TransactionConflict(_) => "TRANSACTION_CONFLICT",
            Error::TransactionClosed(_) => "TRANSACTION_CLOSED",
            Error::StaleVersion { .. } => "STALE_VERSION",
            Error::Unauthenticated(failure) => failure.code(),
            Error::AccessDenied => "ACCESS_DENIED",
            Error::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
        }
    }
}

/// An error and its sources on one line (`the data source failed: connection reset: …`), for
/// operators' logs only: API users never see sources.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A plain message error, for backends that have nothing better to wrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(pub String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_takes_the_id_users_hold() {
        let message = |e: Error| e.to_string();
        assert_eq!(
            message(Error::not_found("Author", 999)),
            "Entity not found: Author with id 999"
        );
        assert_eq!(
            message(Error::not_found("Account", "ab")),
            r#"Entity not found: Account with id "ab""#
        );
        let id = crate::Value::Int(7);
        assert_eq!(
            message(Error::not_found("Author", &id)),
            "Entity not found: Author with id 7"
        );
    }

    #[test]
    fn only_a_transaction_conflict_is_retryable() {
        let conflict = Error::transaction_conflict(Message("40001 could not serialize".into()));
        assert!(conflict.is_retryable());
        assert_eq!(conflict.code(), "TRANSACTION_CONFLICT");
        assert!(
            !conflict.to_string().contains("40001"),
            "the cause stays in the source"
        );
        let closed = Error::TransactionClosed("the transaction was already committed".into());
        assert!(!closed.is_retryable());
        assert_eq!(closed.code(), "TRANSACTION_CLOSED");
        assert!(!Error::unavailable(Message("down".into())).is_retryable());
    }
}
