//! Optimistic concurrency over HTTP: the version property of a model (see
//! `PropertyDef::version`) is the entity's `ETag` (`"3"`), and `If-Match` on PATCH, PUT and
//! DELETE by id makes the write conditional on it (412 when stale). Models without a version
//! property send no `ETag`, and `If-Match` on them is 412 unless it is `*`: the server cannot
//! confirm a tag it never issued.

use poem::Request;
use poem::http::{HeaderValue, header};
use portico_domain::{Error, ModelDef, Record, Value};

use crate::error::ApiError;

/// The `ETag` of a found record: its version, quoted.
pub(crate) fn of(model: &ModelDef, record: &Record) -> Option<HeaderValue> {
    let version = model.version_property()?;
    match record.get(&version.name) {
        Some(Value::Int(v)) => HeaderValue::from_str(&format!("\"{v}\"")).ok(),
        _ => None,
    }
}

/// The version an `If-Match` header asks for (`None` without one, or for `*`).
///
/// # Errors
/// 412 for a tag that cannot be one of ours (several tags, a weak tag, not a version, or a
/// model without versions).
pub(crate) fn if_match(model: &ModelDef, req: &Request) -> Result<Option<i64>, ApiError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = raw.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    if model.version_property().is_none() {
        return Err(ApiError::precondition_failed(format!(
            "{} has no version, so If-Match can only be *",
            model.name
        )));
    }
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::precondition_failed(format!(
                "If-Match must be one ETag of this resource, such as \"1\"; got {text}"
            ))
        })
}

/// Puts the `If-Match` version into the written data, where the repository checks it.
pub(crate) fn expect(model: &ModelDef, data: &mut Record, expected: Option<i64>) {
    if let (Some(version), Some(expected)) = (model.version_property(), expected) {
        data.insert(version.name.clone(), Value::Int(expected));
    }
}

/// A write's outcome, a stale version answering 412 when `If-Match` asked for it.
pub(crate) fn checked(
    outcome: portico_domain::Result<()>,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    match outcome {
        Err(e @ Error::StaleVersion { .. }) if expected.is_some() => {
            Err(ApiError::precondition_failed(e.to_string()))
        }
        other => other.map_err(ApiError::from),
    }
}
