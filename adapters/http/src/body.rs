//! Reading JSON request bodies: media type, size limit (enforced while reading, so chunked
//! bodies are bounded too), syntax and prohibited (prototype-pollution and configured) keys.

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

/// True when `req` declares a JSON body or none (a missing `Content-Type` is taken as JSON).
pub(crate) fn declares_json(req: &Request) -> bool {
    req.content_type().is_none_or(is_json_media_type)
}

/// Reads the request body as JSON, at most `limit` bytes. A missing `Content-Type` is taken
/// as JSON.
///
/// # Errors
/// 415 for another media type, 413 over the limit, 400 for an empty body, invalid JSON or a
/// key LoopBack's JSON body parser refuses: `__proto__`, `constructor.prototype` or one of
/// `prohibited_keys` (see [`refuse_prohibited_keys`]).
pub(crate) async fn read_json(
    req: &mut Request,
    limit: usize,
    prohibited_keys: &[String],
) -> Result<Json, ApiError> {
    if let Some(content_type) = req.content_type()
        && !is_json_media_type(content_type)
    {
        return Err(ApiError::unsupported_media_type(content_type));
    }
    let bytes = read_bytes(req, limit).await?;
    parse_json(&bytes, prohibited_keys)
}

/// Reads the request body, whatever its media type, at most `limit` bytes (also when sent
/// chunked, without a length).
///
/// # Errors
/// 413 over the limit (also when the declared length is), 400 when it cannot be read.
pub(crate) async fn read_bytes(req: &mut Request, limit: usize) -> Result<bytes::Bytes, ApiError> {
    let declared_too_large = req
        .header("content-length")
        .and_then(|length| length.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64);
    if declared_too_large {
        return Err(ApiError::payload_too_large(limit));
    }
    req.take_body()
        .into_bytes_limit(limit)
        .await
        .map_err(|e| match e {
            ReadBodyError::PayloadTooLarge => ApiError::payload_too_large(limit),
            other => {
                tracing::debug!(error = %other, "could not read the request body");
                ApiError::invalid_body_json("The request body could not be read")
            }
        })
}

/// True for a body of white space only (no body at all, for JSON).
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// A body read by [`read_bytes`] as JSON.
///
/// # Errors
/// As [`read_json`], media type and size aside.
pub(crate) fn parse_json(bytes: &[u8], prohibited_keys: &[String]) -> Result<Json, ApiError> {
    if is_blank(bytes) {
        return Err(ApiError::missing_body());
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid_body_json(format!("The request body is not valid JSON: {e}"))
    })?;
    refuse_prohibited_keys(&json, prohibited_keys)?;
    Ok(json)
}

/// Refuses the first key LoopBack's JSON body parser refuses (`body-parser.json.ts`: its
/// reviver is `sanitizeJsonParse` with `__proto__`, `constructor.prototype` and the configured
/// `validation.prohibitedKeys`), with LoopBack's message, `JSON string cannot contain
/// "badKey" key.`, as a 400 about the body.
fn refuse_prohibited_keys(json: &Json, prohibited_keys: &[String]) -> Result<(), ApiError> {
    match portico_domain::value::prohibited_key(json, prohibited_keys) {
        Some(key) => Err(ApiError::invalid_body_json(
            portico_domain::value::prohibited_key_message(&key),
        )),
        None => Ok(()),
    }
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
    fn prohibited_keys_are_refused_as_loopback_words_it() {
        let keys = ["badKey".to_owned()];
        for (body, key) in [
            (
                serde_json::json!({"title": "x", "__proto__": {"a": 1}}),
                "__proto__",
            ),
            (
                serde_json::json!({"tag": {"constructor": {"prototype": {"a": 1}}}}),
                "constructor.prototype",
            ),
            (serde_json::json!({"title": "x", "badKey": 1}), "badKey"),
            (serde_json::json!({"tag": [{"badKey.y": 1}]}), "badKey.y"),
        ] {
            let error = refuse_prohibited_keys(&body, &keys)
                .expect_err(key)
                .to_json();
            assert_eq!(
                error["error"],
                serde_json::json!({"statusCode": 400, "name": "BadRequestError",
                    "message": format!("JSON string cannot contain \"{key}\" key."),
                    "code": "INVALID_PARAMETER_VALUE", "parameterName": "body"}),
                "{body}"
            );
        }
        assert!(refuse_prohibited_keys(&serde_json::json!({"badKey": 1}), &[]).is_ok());
        assert!(refuse_prohibited_keys(&serde_json::json!({"badKeys": 1}), &keys).is_ok());
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
    }
}
