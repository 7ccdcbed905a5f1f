//! The `filter` and `where` query parameters, read the same way by every route: both of
//! LoopBack's encodings, checked against the model with the repository's options, every problem
//! reported at once. The checked value is what the CRUD routes hand to the repository, so a
//! filter is checked once per request.
//!
//! Before anything else, a parameter's keys are sanitized as LoopBack's `parseJson` does
//! (`@loopback/rest` `parse-json.ts`, called by `coerceParameter`): the first `__proto__`,
//! `constructor.prototype` or configured prohibited key
//! ([`RestApi::prohibited_keys`](crate::RestApi::prohibited_keys)) is answered with LoopBack's
//! 400, `details: {"syntaxError": "JSON string cannot contain \"__proto__\" key."}`.

use portico_domain::value::{prohibited_key, prohibited_key_message};
use portico_domain::{CheckOptions, Checked, Error, Filter, ModelDef, Where};
use serde_json::Value as Json;

use crate::error::ApiError;

/// The `filter` parameter, if given.
pub(crate) fn filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
    prohibited_keys: &[String],
) -> Result<Option<Checked<Filter>>, ApiError> {
    let Some(json) = param_json(query, "filter", prohibited_keys)? else {
        return Ok(None);
    };
    Ok(Some(
        Filter::from_json_checked(&json, model, options).map_err(|e| prefixed(e, "filter"))?,
    ))
}

/// The `where` parameter, if given.
pub(crate) fn where_(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
    prohibited_keys: &[String],
) -> Result<Option<Checked<Where>>, ApiError> {
    let Some(json) = param_json(query, "where", prohibited_keys)? else {
        return Ok(None);
    };
    Ok(Some(
        Where::from_json_checked(&json, model, options).map_err(|e| prefixed(e, "where"))?,
    ))
}

/// The `filter` of a list request with the page size applied: the limit is `max_page_size`
/// when none is given, and capped to it otherwise.
pub(crate) fn list_filter(
    query: &str,
    model: &ModelDef,
    options: &CheckOptions,
    max_page_size: u64,
    prohibited_keys: &[String],
) -> Result<Checked<Filter>, ApiError> {
    let filter = match filter(query, model, options, prohibited_keys)? {
        Some(filter) => filter,
        None => Filter::default().check(model, options)?,
    };
    Ok(filter.capped(max_page_size))
}

/// Stage 1 of parameter `param`: its JSON (`None` when absent or empty), refused as LoopBack's
/// `coerceParameter` refuses what `parseJson` throws on when it holds a prohibited key.
fn param_json(
    query: &str,
    param: &str,
    prohibited_keys: &[String],
) -> Result<Option<Json>, ApiError> {
    let Some(json) = Filter::query_param_json(query, param).map_err(Error::InvalidFilter)? else {
        return Ok(None);
    };
    let Some(key) = prohibited_key(&json, prohibited_keys) else {
        return Ok(Some(json));
    };
    // The value as sent: the (last) text of URL-encoded JSON, else the bracket form's object.
    let sent = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == param)
        .last()
        .map_or(json, |(_, text)| Json::String(text.into_owned()));
    Err(ApiError::unparsable_parameter(
        param,
        &sent,
        prohibited_key_message(&key),
    ))
}

/// Check-stage problems name the parameter in their paths (`/where/x` → `/filter/where/x`).
fn prefixed(error: Error, param: &str) -> Error {
    match error {
        Error::InvalidFilter(errors) => Error::InvalidFilter(errors.prefixed(param)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use portico_domain::{Capabilities, Entity};
    use serde_json::json;

    use super::*;

    #[derive(Entity, Clone, Debug)]
    #[allow(dead_code)] // only the metadata is used
    struct Todo {
        #[portico(id, generated)]
        id: Option<i64>,
        title: String,
    }

    fn refused(query: &str, keys: &[&str]) -> Json {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        let options = CheckOptions::new(Capabilities::minimal());
        let error = if query.contains("where=") || query.starts_with("where[") {
            where_(query, Todo::definition(), &options, &keys).map(|_| ())
        } else {
            filter(query, Todo::definition(), &options, &keys).map(|_| ())
        };
        error.expect_err(query).to_json()["error"].clone()
    }

    /// The three cases of LoopBack's example-todo acceptance suite (`todo.acceptance.ts`,
    /// "rejects request with invalid keys" / "prohibited keys"), the app configuring
    /// `prohibitedKeys: ['badKey']` (unencoded here: the parser decodes either way).
    #[test]
    fn loopback_todo_acceptance_cases() {
        for (where_, key) in [
            (
                r#"{"constructor.prototype":{"toString":"def"}}"#,
                "constructor.prototype",
            ),
            (r#"{"__proto__":{"toString":"def"}}"#, "__proto__"),
            (r#"{"badKey":{"toString":"def"}}"#, "badKey"),
        ] {
            let value = format!(
                r#"{{"offset":0,"limit":100,"skip":0,"where":{where_},"fields":{{"title":true,"id":true}}}}"#
            );
            assert_eq!(
                refused(&format!("filter={value}"), &["badKey"]),
                json!({
                    "statusCode": 400,
                    "name": "BadRequestError",
                    "message": format!("Invalid data {} for parameter \"filter\".", json!(value)),
                    "code": "INVALID_PARAMETER_VALUE",
                    "details": {"syntaxError": format!("JSON string cannot contain \"{key}\" key.")},
                    "parameterName": "filter",
                }),
                "{key}"
            );
        }
    }

    #[test]
    fn prohibited_keys_are_refused_in_both_encodings_and_in_where() {
        let error = refused("filter[where][badKey.x]=1", &["badKey"]);
        assert_eq!(
            error["message"],
            r#"Invalid data {"where":{"badKey.x":"1"}} for parameter "filter"."#
        );
        assert_eq!(
            error["details"],
            json!({"syntaxError": "JSON string cannot contain \"badKey.x\" key."})
        );
        let error = refused(
            "where=%7B%22constructor%22%3A%7B%22prototype%22%3A1%7D%7D",
            &[],
        );
        assert_eq!(
            error["message"],
            r#"Invalid data "{\"constructor\":{\"prototype\":1}}" for parameter "where"."#
        );
        assert_eq!(error["parameterName"], "where");
        // Before the check stage: `nope` is no property, and is not what is reported.
        let error = refused(r#"where={"nope":1,"a":{"__proto__.x":1}}"#, &[]);
        assert_eq!(
            error["details"],
            json!({"syntaxError": "JSON string cannot contain \"__proto__.x\" key."})
        );
    }

    #[test]
    fn other_problems_keep_their_details() {
        let error = refused(r#"filter={"where":{"titel":"x"}}"#, &["badKey"]);
        assert_eq!(error["details"][0]["path"], "/filter/where/titel");
        let error = refused("filter={oops", &[]);
        assert_eq!(error["details"][0]["code"], "syntax");
        let options = CheckOptions::new(Capabilities::minimal());
        let keys = ["badKey".to_owned()];
        let fine = filter(
            r#"filter={"where":{"title":"badKeys"},"skip":0,"offset":2}"#,
            Todo::definition(),
            &options,
            &keys,
        );
        assert_eq!(fine.expect("a filter").map(|f| f.skip), Some(Some(2)));
    }
}
