//! Reading JSON request bodies: media type, size limit (enforced while reading, so chunked
//! bodies are bounded too), syntax and prototype-pollution keys.

use poem::Request;
use poem::error::ReadBodyError;
use portico_domain::{Error, ModelDef, Record, Value, WriteMode};
use serde_json::Value as Json;

use crate::error::ApiError;

/// True for `application/json` and `application/*+json`, with or without parameters.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// Reads the request body as JSON, at most `limit` bytes. A missing `Content-Type` is taken
/// as JSON.
///
/// # Errors
/// 415 for another media type, 413 over the limit, 400 for an empty body, invalid JSON or a
/// `__proto__` / `constructor.prototype` key anywhere in it.
pub(crate) async fn read_json(req: &mut Request, limit: usize) -> Result<Json, ApiError> {
    if let Some(content_type) = req.content_type()
        && !is_json_media_type(content_type)
    {
        return Err(ApiError::unsupported_media_type(content_type));
    }
    let declared_too_large = req
        .header("content-length")
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64);
    if declared_too_large {
        return Err(ApiError::payload_too_large(limit));
    }
    let bytes = req
        .take_body()
        .into_bytes_limit(limit)
        .await
        .map_err(|e| match e {
            ReadBodyError::PayloadTooLarge => ApiError::payload_too_large(limit),
            other => {
                tracing::debug!(error = %other, "could not read the request body");
                ApiError::invalid_body_json("The request body could not be read")
            }
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::missing_body());
    }
    let json: Json = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::invalid_body_json(format!("The request body is not valid JSON: {e}"))
    })?;
    if let Some(path) = portico_domain::value::prototype_key_paths(&json).first() {
        return Err(ApiError::invalid_body_json(format!(
            "The request body cannot contain the key at {path} (__proto__ and constructor.prototype are refused)"
        )));
    }
    Ok(json)
}

/// A JSON body as a record of `model` for `mode`, every problem reported at once (422).
///
/// Properties named as one of the model's relations (navigational properties) are kept as they
/// are, so that the repository refuses them with its own message (400), as for any other
/// caller. `optional` names a property that may be left out even when the model requires it:
/// the key a relation route sets itself.
pub(crate) fn record_from_json(
    model: &ModelDef,
    json: &Json,
    mode: WriteMode,
    optional: Option<&str>,
) -> Result<Record, ApiError> {
    let mut navigational = Vec::new();
    let mut stored = json.clone();
    if let Some(object) = stored.as_object_mut() {
        for relation in &model.relations {
            if let Some(value) = object.remove(&relation.name) {
                navigational.push((relation.name.clone(), value));
            }
        }
    }
    let mut record = match model.record_from_json(&stored, mode) {
        Ok(record) => record,
        Err(mut errors) => {
            let left_out = |d: &portico_domain::ValidationDetail| {
                d.code == "required"
                    && optional.is_some_and(|name| d.info["missingProperty"] == name)
            };
            errors.details.retain(|d| !left_out(d));
            if !errors.details.is_empty() {
                return Err(Error::Validation(errors).into());
            }
            // Only the optional property was missing: every other check passed.
            model
                .record_from_json(&stored, WriteMode::Patch)
                .map_err(|errors| ApiError::from(Error::Validation(errors)))?
        }
    };
    for (name, value) in navigational {
        record.insert(name, Value::from_json_untyped(&value));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
    }
}
