//! Driver errors → domain errors, by kind. Messages never carry a value or the server's text;
//! the driver error stays reachable as the `source` for logs.

use mongodb::error::{ErrorKind, WriteFailure};
use portico_domain::{Error, IndexKind, ModelDef};

/// Maps a driver error of an operation on `model`: duplicate key → [`Error::Conflict`] naming the model and the property
/// (never the value or the driver's text); unreachable → [`Error::Unavailable`]; a write
/// conflict or a transient transaction error → [`Error::TransactionConflict`]; anything else →
/// [`Error::Backend`]. The driver error is kept as the source of the last three.
pub(crate) fn map(error: mongodb::error::Error, model: &ModelDef) -> Error {
    if let Some(message) = duplicate_key_message(&error) {
        return conflict(model, message);
    }
    if is_unavailable(&error) {
        Error::unavailable(error)
    } else if is_conflict(&error) {
        Error::transaction_conflict(error)
    } else {
        Error::backend(error)
    }
}

/// Maps an error of starting, committing or aborting a transaction: a conflict →
/// [`Error::TransactionConflict`]; a deployment without transactions (standalone server) →
/// [`Error::Unsupported`]; else as [`map`].
pub(crate) fn map_transaction(error: mongodb::error::Error) -> Error {
    if let ErrorKind::Transaction { message, .. } = error.kind.as_ref()
        && message.contains("not supported")
    {
        return Error::Unsupported(format!(
            "transactions on this MongoDB deployment: {message} (they need a replica set or a \
             sharded cluster)"
        ));
    }
    map(error, &ModelDef::new("transaction"))
}

/// Maps an error of a command that writes no model's documents (`ping`, the id counters),
/// whose duplicate keys the caller handles: unreachable → [`Error::Unavailable`], anything
/// else → [`Error::Backend`].
pub(crate) fn map_without_model(error: mongodb::error::Error) -> Error {
    if is_unavailable(&error) {
        Error::unavailable(error)
    } else {
        Error::backend(error)
    }
}

/// MongoDB's duplicate key error code.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// MongoDB's write conflict: a transaction wrote a document another one changed since its
/// snapshot.
const WRITE_CONFLICT: i32 = 112;

/// Server codes meaning the server (or the primary) cannot serve us right now: unreachable,
/// shutting down or stepping down.
const UNAVAILABLE_CODES: &[i32] = &[
    6,     // HostUnreachable
    7,     // HostNotFound
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    189,   // PrimarySteppedDown
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
];

/// The server message of a duplicate key error, if `e` is one.
pub(crate) fn duplicate_key_message(e: &mongodb::error::Error) -> Option<&str> {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => {
            Some(&w.message)
        }
        ErrorKind::InsertMany(m) => m
            .write_errors
            .iter()
            .flatten()
            .find(|w| w.code == DUPLICATE_KEY)
            .map(|w| w.message.as_str()),
        ErrorKind::Command(c) if c.code == DUPLICATE_KEY => Some(&c.message),
        _ => None,
    }
}

/// True for errors meaning the server cannot be reached (or cannot serve us right now).
pub(crate) fn is_unavailable(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown => true,
        ErrorKind::Command(c) => UNAVAILABLE_CODES.contains(&c.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => UNAVAILABLE_CODES.contains(&w.code),
        _ => false,
    }
}

/// True for errors that mean "run the transaction again": a write conflict (112) or any error
/// the server labels `TransientTransactionError`.
pub(crate) fn is_conflict(e: &mongodb::error::Error) -> bool {
    if e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR) {
        return true;
    }
    match e.kind.as_ref() {
        ErrorKind::Command(c) => c.code == WRITE_CONFLICT,
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == WRITE_CONFLICT,
        ErrorKind::InsertMany(m) => m
            .write_errors
            .iter()
            .flatten()
            .any(|w| w.code == WRITE_CONFLICT),
        _ => false,
    }
}

/// The name this crate gives the index of a property's storage field.
pub(crate) fn index_name(field: &str) -> String {
    format!("{field}_1")
}

/// A conflict for a duplicate key error whose server message names the index
/// (`E11000 duplicate key error collection: db.c index: code_1 dup key: { … }`).
pub(crate) fn conflict(model: &ModelDef, server_message: &str) -> Error {
    let index = server_message
        .split_once(" index: ")
        .and_then(|(_, rest)| rest.split_whitespace().next());
    match index {
        Some("_id_") => Error::duplicate_id(&model.name),
        Some(index) => match model
            .properties
            .iter()
            .find(|p| !p.id && p.index == IndexKind::Unique && index_name(p.column()) == index)
        {
            Some(p) => Error::duplicate_unique(&model.name, &p.name),
            None => Error::duplicate_unknown_unique(&model.name),
        },
        None => Error::duplicate_unknown_unique(&model.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_domain::{PropertyDef, PropertyType};

    #[test]
    fn conflict_names_the_property_from_the_index_never_the_value() {
        let model = ModelDef::new("Item")
            .property(PropertyDef::new("id", PropertyType::Integer).id())
            .property(
                PropertyDef::new("code", PropertyType::String)
                    .storage_name("item_code")
                    .index(IndexKind::Unique),
            );
        let msg = |m: &str| match conflict(&model, m) {
            Error::Conflict { entity, message } => format!("{entity}: {message}"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            msg(
                "E11000 duplicate key error collection: db.items index: item_code_1 dup key: { item_code: \"SECRET\" }"
            ),
            "Item: Item with this value of the unique property 'code' already exists"
        );
        assert_eq!(
            msg("E11000 duplicate key error collection: db.items index: _id_ dup key: { _id: 5 }"),
            "Item: Item with this id already exists"
        );
        assert_eq!(
            msg("E11000 something else"),
            "Item: Item would duplicate a unique value"
        );
    }
}
