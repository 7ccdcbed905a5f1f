//! What every case checks with: statuses, bodies, LoopBack's error envelope, and a few readers
//! of responses.

use serde_json::{Value as Json, json};

use super::client::{Client, Response};

pub type Outcome = Result<(), String>;

pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

pub fn expect_status(response: &Response, status: u16, what: &str) -> Outcome {
    ensure(response.status == status, || {
        format!(
            "{what}: expected {status}, got {} {}",
            response.status,
            response.text()
        )
    })
}

/// A 200 with exactly this JSON body.
pub fn expect_json(response: &Response, expected: &Json, what: &str) -> Outcome {
    expect_status(response, 200, what)?;
    ensure(&response.json() == expected, || {
        format!("{what}: expected {expected}, got {}", response.text())
    })
}

/// Checks LoopBack's envelope and returns its `error` object.
pub fn expect_error(
    response: &Response,
    status: u16,
    code: &str,
    what: &str,
) -> Result<Json, String> {
    expect_status(response, status, what)?;
    ensure(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        || format!("{what}: error without a JSON content type"),
    )?;
    let error = response.json()["error"].clone();
    ensure(
        error["statusCode"] == json!(status)
            && error["code"] == json!(code)
            && error["name"].is_string()
            && error["message"].is_string(),
        || {
            format!(
                "{what}: expected a {status} {code} envelope, got {}",
                response.text()
            )
        },
    )?;
    Ok(error)
}

/// Checks a 405 `METHOD_NOT_ALLOWED` envelope whose `Allow` lists the verbs of `allow` (in
/// any order).
pub fn expect_not_allowed(response: &Response, allow: &str, what: &str) -> Outcome {
    expect_error(response, 405, "METHOD_NOT_ALLOWED", what)?;
    ensure(same_verbs(response.header("allow"), allow), || {
        format!(
            "{what}: expected Allow {allow:?}, got {:?}",
            response.header("allow")
        )
    })
}

/// True when the `Allow` header lists the verbs of `expected` (in any order).
pub fn same_verbs(allow: Option<&str>, expected: &str) -> bool {
    let verbs = |list: &str| {
        let mut verbs: Vec<String> = list.split(',').map(|v| v.trim().to_owned()).collect();
        verbs.sort();
        verbs
    };
    allow.is_some_and(|allow| verbs(allow) == verbs(expected))
}

/// Checks a 400 `INVALID_PARAMETER_VALUE` naming `parameter`, with a detail at `path`.
pub fn expect_bad_parameter(
    response: &Response,
    parameter: &str,
    path: &str,
    what: &str,
) -> Outcome {
    let error = expect_error(response, 400, "INVALID_PARAMETER_VALUE", what)?;
    ensure(error["parameterName"] == parameter, || {
        format!("{what}: parameter {parameter} expected in {error}")
    })?;
    ensure(detail_paths(&error).iter().any(|p| p == path), || {
        format!("{what}: a detail at {path} expected in {error}")
    })
}

/// Checks a 400 `INVALID_BODY_DEFINITION` whose message contains `message`.
pub fn expect_invalid_body(response: &Response, message: &str, what: &str) -> Outcome {
    let error = expect_error(response, 400, "INVALID_BODY_DEFINITION", what)?;
    ensure(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(message)),
        || format!("{what}: message with {message:?} expected, got {error}"),
    )
}

/// The `path` of each detail of an error.
pub fn detail_paths(error: &Json) -> Vec<String> {
    error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["path"].as_str().map(str::to_owned))
        .collect()
}

/// The `title` of each entity of a JSON array.
pub fn titles(json: &Json) -> Vec<String> {
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["title"].as_str().map(str::to_owned))
        .collect()
}

/// The titles a `GET` of a list answers.
pub fn get_titles(client: &Client, target: &str) -> Result<Vec<String>, String> {
    let response = client.get(target)?;
    expect_status(&response, 200, target)?;
    Ok(titles(&response.json()))
}

/// The `count` a `GET …/count` answers.
pub fn count(client: &Client, target: &str) -> Result<i64, String> {
    let response = client.get(target)?;
    expect_status(&response, 200, target)?;
    response.json()["count"]
        .as_i64()
        .ok_or_else(|| format!("{target}: no count in {}", response.text()))
}

/// POSTs a body that must be created, and returns the created entity.
pub fn post(client: &Client, target: &str, body: Json) -> Result<Json, String> {
    let response = client.json("POST", target, &body)?;
    expect_status(&response, 200, &format!("POST {target}"))?;
    Ok(response.json())
}

/// The id of a created entity.
pub fn id_of(entity: &Json) -> Result<i64, String> {
    entity["id"]
        .as_i64()
        .ok_or_else(|| format!("no id in {entity}"))
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
