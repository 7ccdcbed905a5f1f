//! Every error status a client can cause or meet, in LoopBack's envelope: bad filters, ids and
//! bodies, limits, media types, unknown routes and verbs, and failing or limited backends.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::cases::crud::create;
use crate::models::{self, Settings};
use crate::support::checks::*;
use crate::support::client::Body;
use crate::support::server::TestServer;
use crate::support::stores::{FailingStore, Failure, minimal_store};

pub fn invalid_filters_report_every_problem(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let paths = |error: &Json| -> Vec<String> {
        error["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["path"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let bracket = client.get("/notes?filter[where][titel]=x&filter[limit]=abc")?;
    let error = expect_error(
        &bracket,
        400,
        "INVALID_PARAMETER_VALUE",
        "bad bracket filter",
    )?;
    let mut got = paths(&error);
    got.sort();
    ensure(got == ["/filter/limit", "/filter/where/titel"], || {
        format!("details: {error}")
    })?;
    let json_form = client.get(&format!(
        "/notes?filter={}",
        encode(r#"{"where":{"id":{"gt":"x"},"nope":1},"order":"tag DESC","color":1}"#)
    ))?;
    let error = expect_error(
        &json_form,
        400,
        "INVALID_PARAMETER_VALUE",
        "bad JSON filter",
    )?;
    ensure(paths(&error).len() == 4, || format!("details: {error}"))?;
    let syntax = client.get(&format!("/notes?filter={}", encode("{bad json")))?;
    expect_error(&syntax, 400, "INVALID_PARAMETER_VALUE", "filter syntax")?;
    let bad_where = client.get("/notes/count?where[done]=maybe")?;
    let error = expect_error(&bad_where, 400, "INVALID_PARAMETER_VALUE", "bad where")?;
    ensure(paths(&error) == ["/where/done"], || {
        format!("details: {error}")
    })?;
    let patch_bad_where = client.json("PATCH", "/notes?where[nope]=1", &json!({"body": "x"}))?;
    expect_error(
        &patch_bad_where,
        400,
        "INVALID_PARAMETER_VALUE",
        "update all bad where",
    )?;
    let by_id_where = client.get("/notes/1?filter[where][id]=1")?;
    let error = expect_error(
        &by_id_where,
        400,
        "INVALID_PARAMETER_VALUE",
        "find by id where",
    )?;
    ensure(paths(&error) == ["/filter/where"], || {
        format!("details: {error}")
    })?;
    let zero_limit = client.get("/notes?filter[limit]=0")?;
    expect_error(&zero_limit, 400, "INVALID_PARAMETER_VALUE", "limit 0")?;
    Ok(())
}

pub fn invalid_path_ids_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    for (method, target) in [
        ("GET", "/notes/abc"),
        ("DELETE", "/notes/1.5"),
        ("GET", "/notes/%20"),
        ("GET", "/notes/%20417"),
        ("GET", "/notes/+417"),
    ] {
        let response = client.send(method, target, &[], Body::None)?;
        let error = expect_error(&response, 400, "INVALID_PARAMETER_VALUE", target)?;
        ensure(
            error["message"].as_str().is_some_and(|m| {
                m.starts_with("Invalid data ") && m.ends_with(" for parameter \"id\".")
            }),
            || format!("{target}: {error}"),
        )?;
    }
    let patch = client.json("PATCH", "/notes/abc", &json!({"title": "x"}))?;
    expect_error(&patch, 400, "INVALID_PARAMETER_VALUE", "patch bad id")?;
    Ok(())
}

pub fn unusable_bodies_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let json = "application/json";
    let malformed = client.raw("POST", "/notes", json, br#"{"title": "#)?;
    expect_error(&malformed, 400, "INVALID_PARAMETER_VALUE", "malformed JSON")?;
    let empty = client.raw("POST", "/notes", json, b"")?;
    expect_error(&empty, 400, "MISSING_REQUIRED_PARAMETER", "empty body")?;
    let not_an_object = client.raw("POST", "/notes", json, b"[1,2]")?;
    expect_error(&not_an_object, 422, "VALIDATION_FAILED", "array body")?;
    let put_malformed = client.raw("PUT", "/notes/1", json, b"{,}")?;
    expect_error(
        &put_malformed,
        400,
        "INVALID_PARAMETER_VALUE",
        "put malformed",
    )?;
    Ok(())
}

pub fn prototype_keys_are_refused(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let json = "application/json";
    let proto = client.raw(
        "POST",
        "/notes",
        json,
        br#"{"title":"x","__proto__":{"a":1}}"#,
    )?;
    expect_error(
        &proto,
        400,
        "INVALID_PARAMETER_VALUE",
        "__proto__ in a body",
    )?;
    let constructor = client.raw(
        "POST",
        "/notes",
        json,
        br#"{"title":"x","tag":{"constructor":{"prototype":{"a":1}}}}"#,
    )?;
    expect_error(
        &constructor,
        400,
        "INVALID_PARAMETER_VALUE",
        "constructor.prototype in a body",
    )?;
    let filter = client.get(&format!(
        "/notes?filter={}",
        encode(r#"{"where":{"__proto__":{"x":1}}}"#)
    ))?;
    expect_error(
        &filter,
        400,
        "INVALID_PARAMETER_VALUE",
        "__proto__ in a filter",
    )?;
    let where_ = client.get(&format!(
        "/notes/count?where={}",
        encode(r#"{"constructor":{"prototype":{"x":1}}}"#)
    ))?;
    expect_error(
        &where_,
        400,
        "INVALID_PARAMETER_VALUE",
        "constructor.prototype in where",
    )?;
    expect_json(
        &client.get("/notes/count")?,
        &json!({"count": 0}),
        "nothing created",
    )
}

/// LoopBack's example-todo acceptance cases ("rejects request with invalid keys -
/// constructor.prototype", "- __proto__", "rejects request with prohibited keys - badKey", with
/// the app configured as `prohibitedKeys: ['badKey']`), and the configured key on the other
/// routes and in bodies.
pub fn prohibited_keys_are_refused_as_loopback_does(ctx: &mut Ctx) -> Outcome {
    let app = ctx.start_app(&Settings {
        prohibited_keys: vec!["badKey".to_owned()],
        ..Settings::default()
    })?;
    let client = app.client;
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
        let response = client.get(&format!("/notes?filter={}", encode(&value)))?;
        let error = expect_error(&response, 400, "INVALID_PARAMETER_VALUE", key)?;
        let expected = json!({
            "statusCode": 400,
            "name": "BadRequestError",
            "message": format!("Invalid data {} for parameter \"filter\".", json!(value)),
            "code": "INVALID_PARAMETER_VALUE",
            "details": {"syntaxError": format!("JSON string cannot contain \"{key}\" key.")},
            "parameterName": "filter",
        });
        ensure(error == expected, || {
            format!("{key}: expected {expected}, got {error}")
        })?;
    }
    let syntax_error = |response: &crate::support::client::Response, what: &str| {
        expect_error(response, 400, "INVALID_PARAMETER_VALUE", what).and_then(|error| {
            ensure(
                error["details"]["syntaxError"] == "JSON string cannot contain \"badKey.x\" key.",
                || format!("{what}: {error}"),
            )
        })
    };
    syntax_error(
        &client.get(&format!(
            "/notes/count?where={}",
            encode(r#"{"tag":{"badKey.x":1}}"#)
        ))?,
        "count where",
    )?;
    syntax_error(
        &client.get("/notes/1?filter[where][badKey.x]=1")?,
        "find by id, bracket form",
    )?;
    syntax_error(
        &client.get(&format!(
            "/folders/1/notes?filter={}",
            encode(r#"{"where":{"badKey.x":1}}"#)
        ))?,
        "relation filter",
    )?;
    // Bodies: LoopBack's JSON body parser refuses the same keys, with the same words.
    let body = |response: &crate::support::client::Response, key: &str, what: &str| {
        expect_error(response, 400, "INVALID_PARAMETER_VALUE", what).and_then(|error| {
            ensure(
                error["message"] == format!("JSON string cannot contain \"{key}\" key.")
                    && error["parameterName"] == "body",
                || format!("{what}: {error}"),
            )
        })
    };
    let tagged = json!({"title": "x", "tag": {"badKey": {"y": 1}}});
    body(&client.json("POST", "/notes", &tagged)?, "badKey", "create")?;
    body(
        &client.json("PATCH", "/notes", &json!({"tag": [{"badKey.z": 1}]}))?,
        "badKey.z",
        "update all",
    )?;
    body(
        &client.json("POST", "/folders/1/notes", &tagged)?,
        "badKey",
        "relation create",
    )?;
    body(
        &client.raw(
            "POST",
            "/notes",
            "application/json",
            br#"{"title":"x","tag":{"constructor":{"prototype":1}}}"#,
        )?,
        "constructor.prototype",
        "built-in key in a body",
    )?;
    expect_json(
        &client.get("/notes/count")?,
        &json!({"count": 0}),
        "nothing created",
    )?;
    // Without the setting, the key is data like any other.
    let default = ctx.app()?;
    expect_status(
        &default.json("POST", "/notes", &tagged)?,
        200,
        "default settings",
    )?;
    let found = default.get(&format!(
        "/notes?filter={}",
        encode(r#"{"where":{"tag":{"exists":true}},"skip":0,"offset":0}"#)
    ))?;
    expect_status(&found, 200, "skip and offset together")
}

pub fn empty_patches_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "x"}))?;
    let by_id = client.json("PATCH", &format!("/notes/{id}"), &json!({}))?;
    expect_error(&by_id, 400, "INVALID_BODY_DEFINITION", "empty patch by id")?;
    let all = client.json("PATCH", "/notes", &json!({}))?;
    expect_error(&all, 400, "INVALID_BODY_DEFINITION", "empty patch all")?;
    Ok(())
}

pub fn bodies_over_the_limit_are_413(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let headers = [("Content-Type", "application/json")];
    let sized = client.send("POST", "/notes", &headers, Body::Sized(big.as_bytes()))?;
    expect_error(&sized, 413, "ENTITY_TOO_LARGE", "sized body")?;
    let chunked = client.send(
        "POST",
        "/notes",
        &headers,
        Body::Chunked(big.as_bytes(), 64 * 1024),
    )?;
    expect_error(&chunked, 413, "ENTITY_TOO_LARGE", "chunked body")?;
    // Just under the limit is fine.
    let fits = format!(r#"{{"title":"{}"}}"#, "x".repeat(1000));
    let ok = client.send(
        "POST",
        "/notes",
        &headers,
        Body::Chunked(fits.as_bytes(), 100),
    )?;
    expect_status(&ok, 200, "small chunked body")?;
    // A smaller configured limit applies.
    let small = ctx.start_app(&Settings {
        body_limit: 64,
        ..Settings::default()
    })?;
    let response = small
        .client
        .json("POST", "/notes", &json!({"title": "x".repeat(100)}))?;
    expect_error(&response, 413, "ENTITY_TOO_LARGE", "configured limit")?;
    Ok(())
}

pub fn non_json_bodies_are_415(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let text = client.raw("POST", "/notes", "text/plain", br#"{"title":"x"}"#)?;
    let error = expect_error(&text, 415, "UNSUPPORTED_MEDIA_TYPE", "text/plain")?;
    ensure(
        error["message"] == "Content-type text/plain does not match [application/json].",
        || format!("message: {error}"),
    )?;
    let form = client.raw(
        "PATCH",
        "/notes/1",
        "application/x-www-form-urlencoded",
        b"title=x",
    )?;
    expect_error(&form, 415, "UNSUPPORTED_MEDIA_TYPE", "form")?;
    let with_charset = client.raw(
        "POST",
        "/notes",
        "application/json; charset=utf-8",
        br#"{"title":"x"}"#,
    )?;
    expect_status(&with_charset, 200, "JSON with a charset")
}

pub fn unknown_routes_are_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    for (method, target, shown) in [
        ("GET", "/x", "GET /x"),
        ("GET", "/notes/1/extra", "GET /notes/1/extra"),
        ("DELETE", "/folders/1/nowhere", "DELETE /folders/1/nowhere"),
        ("PURGE", "/nothing", "PURGE /nothing"),
    ] {
        let response = client.send(method, target, &[], Body::None)?;
        let error = expect_error(&response, 404, "ENDPOINT_NOT_FOUND", target)?;
        ensure(
            error["message"] == format!("Endpoint \"{shown}\" not found."),
            || format!("{method} {target}: {error}"),
        )?;
    }
    Ok(())
}

/// A verb a path does not serve is 405 with `Allow` (the served verbs, `HEAD` with `GET`, and
/// `OPTIONS`); a bare `OPTIONS` is 204 with `Allow`, as in LoopBack.
pub fn unserved_verbs_are_405_with_allow(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let collection = "POST, GET, PATCH, HEAD, OPTIONS";
    let one = "GET, PATCH, PUT, DELETE, HEAD, OPTIONS";
    let count = "GET, HEAD, OPTIONS";
    for (method, target, allow) in [
        ("DELETE", "/notes", collection),
        ("PUT", "/notes", collection),
        ("TRACE", "/notes", collection),
        ("PURGE", "/notes", collection),
        ("POST", "/notes/count", count),
        ("POST", "/notes/1", one),
        ("TRACE", "/folders/1", one),
        ("POST", "/notes/1/folder", count),
        (
            "PUT",
            "/folders/1/notes",
            "POST, GET, PATCH, DELETE, HEAD, OPTIONS",
        ),
        ("POST", "/hello", count),
        ("DELETE", "/openapi.json", count),
    ] {
        let response = client.send(method, target, &[], Body::None)?;
        expect_not_allowed(&response, allow, &format!("{method} {target}"))?;
        let error = response.json()["error"].clone();
        ensure(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains(target) && m.contains(method)),
            || format!("{method} {target}: {error}"),
        )?;
    }
    for (target, allow) in [
        ("/notes", collection),
        ("/notes/7", one),
        ("/notes/count", count),
    ] {
        let bare = client.send("OPTIONS", target, &[], Body::None)?;
        expect_status(&bare, 204, &format!("OPTIONS {target}"))?;
        ensure(
            same_verbs(bare.header("allow"), allow)
                && bare.header("access-control-allow-methods").is_none(),
            || format!("OPTIONS {target}: {:?}", bare.headers),
        )?;
    }
    Ok(())
}

fn failing_app(failure: Failure) -> Result<TestServer, String> {
    let store = Arc::new(FailingStore::new(failure));
    TestServer::start(models::api(store, &Settings::default())?)
}

pub fn unavailable_backends_are_503(_: &mut Ctx) -> Outcome {
    let server = failing_app(Failure::Unavailable)?;
    let client = server.client;
    for response in [
        client.get("/notes")?,
        client.get("/notes/1")?,
        client.json("POST", "/notes", &json!({"title": "x"}))?,
    ] {
        let error = expect_error(&response, 503, "SERVICE_UNAVAILABLE", "unavailable")?;
        ensure(!response.text().contains("hunter2"), || {
            format!("503 leaks its cause: {error}")
        })?;
    }
    Ok(())
}

pub fn backend_failures_are_500_without_internals(_: &mut Ctx) -> Outcome {
    let server = failing_app(Failure::Backend)?;
    let client = server.client;
    for response in [
        client.get("/notes/count")?,
        client.delete("/notes/1")?,
        client.json("PUT", "/notes/1", &json!({"title": "x"}))?,
    ] {
        let error = expect_error(&response, 500, "INTERNAL_SERVER_ERROR", "backend failure")?;
        ensure(
            error
                == json!({"statusCode": 500, "name": "InternalServerError",
                    "message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"}),
            || format!("500 carries more than LoopBack's: {error}"),
        )?;
    }
    Ok(())
}

pub fn unsupported_operators_are_501(_: &mut Ctx) -> Outcome {
    let store = Arc::new(minimal_store());
    crate::runtime()
        .block_on(models::migrate(store.as_ref()))
        .map_err(|e| e.to_string())?;
    let server = TestServer::start(models::api(store, &Settings::default())?)?;
    let client = server.client;
    create(&client, json!({"title": "Milk"}))?;
    let response = client.get("/notes?filter[where][title][ilike]=milk")?;
    expect_error(
        &response,
        501,
        "NOT_IMPLEMENTED",
        "ilike on a minimal store",
    )?;
    let spec = client.get("/openapi.json")?.json();
    let title_ops = &spec["components"]["schemas"]["Note.WhereFilter"]["properties"]["title"]["oneOf"]
        [1]["properties"];
    ensure(
        title_ops.get("like").is_some() && title_ops.get("ilike").is_none(),
        || format!("the where schema ignores the capabilities: {title_ops}"),
    )
}
