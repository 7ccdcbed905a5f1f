//! The cases: LoopBack's REST contract for the Todo app, seen from a client.

use std::sync::Arc;

use portico_domain::Entity;
use portico_http::{CrudResource, RestApi};
use portico_ports::Repository;
use portico_todo::HttpSettings;
use serde_json::{Value as Json, json};

use crate::client::{Body, Client, Response};
use crate::stores::{FailingStore, Failure, minimal_store};
use crate::{Case, Ctx, TestServer};

type Outcome = Result<(), String>;

macro_rules! cases {
    ($per_backend:expr => $($name:ident),* $(,)?) => {
        vec![$(Case { name: stringify!($name), per_backend: $per_backend, run: $name }),*]
    };
}

pub fn all() -> Vec<Case> {
    let mut cases = cases![true =>
        create_returns_the_entity_with_its_generated_id,
        create_refuses_invalid_bodies_with_every_problem,
        find_lists_todos_in_id_order_without_absent_properties,
        find_accepts_both_filter_encodings,
        find_projects_fields,
        count_accepts_both_where_encodings,
        update_all_patches_matching_todos_and_counts_them,
        find_by_id_returns_the_todo_or_404,
        update_by_id_patches_one_todo,
        replace_by_id_replaces_the_whole_todo,
        delete_by_id_deletes_once,
        any_json_round_trips_in_tag,
        invalid_filters_report_every_problem,
        invalid_path_ids_are_400,
        unusable_bodies_are_400,
        prototype_keys_are_refused,
        empty_patches_are_400,
        bodies_over_the_limit_are_413,
        non_json_bodies_are_415,
        unknown_routes_and_verbs_are_404,
        pages_are_bounded,
        read_only_serves_only_reads,
        conflicts_are_409_and_hidden_properties_never_leave,
    ];
    cases.extend(cases![false =>
        ping_answers_as_loopback_does,
        cors_allows_any_origin_by_default,
        cors_can_be_restricted,
        openapi_and_explorer_are_served,
        unavailable_backends_are_503,
        backend_failures_are_500_without_internals,
        unsupported_operators_are_501,
    ]);
    cases
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

fn expect_status(response: &Response, status: u16, what: &str) -> Outcome {
    ensure(response.status == status, || {
        format!(
            "{what}: expected {status}, got {} {}",
            response.status,
            response.text()
        )
    })
}

fn expect_json(response: &Response, expected: &Json, what: &str) -> Outcome {
    expect_status(response, 200, what)?;
    ensure(&response.json() == expected, || {
        format!("{what}: expected {expected}, got {}", response.text())
    })
}

/// Checks LoopBack's envelope and returns its `error` object.
fn expect_error(response: &Response, status: u16, code: &str, what: &str) -> Result<Json, String> {
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

fn create(client: &Client, body: Json) -> Result<i64, String> {
    let response = client.json("POST", "/todos", &body)?;
    expect_status(&response, 200, "create")?;
    response.json()["id"]
        .as_i64()
        .ok_or_else(|| format!("create returned no id: {}", response.text()))
}

fn seed(client: &Client) -> Result<(), String> {
    for (title, complete) in [
        ("buy milk", false),
        ("walk the dog", true),
        ("oat milk", false),
        ("milk the cow", true),
    ] {
        create(client, json!({"title": title, "isComplete": complete}))?;
    }
    Ok(())
}

fn titles(response: &Response) -> Vec<String> {
    response
        .json()
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn create_returns_the_entity_with_its_generated_id(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let first = client.json(
        "POST",
        "/todos",
        &json!({"title": "buy milk", "desc": "2 litres"}),
    )?;
    expect_json(
        &first,
        &json!({"id": 1, "title": "buy milk", "desc": "2 litres"}),
        "first create",
    )?;
    let second = client.json(
        "POST",
        "/todos",
        &json!({"title": "walk", "isComplete": false}),
    )?;
    expect_json(
        &second,
        &json!({"id": 2, "title": "walk", "isComplete": false}),
        "second create",
    )
}

fn create_refuses_invalid_bodies_with_every_problem(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let response = client.json(
        "POST",
        "/todos",
        &json!({"id": 9, "isComplete": "yes", "foo": 1}),
    )?;
    let error = expect_error(&response, 422, "VALIDATION_FAILED", "invalid create")?;
    ensure(error["name"] == "UnprocessableEntityError", || {
        format!("name: {error}")
    })?;
    let details = error["details"].as_array().cloned().unwrap_or_default();
    for expected in [
        json!({"path": "", "code": "required", "message": "must have required property 'title'", "info": {"missingProperty": "title"}}),
        json!({"path": "/isComplete", "code": "type", "message": "must be boolean", "info": {"type": "boolean"}}),
        json!({"path": "", "code": "additionalProperties", "message": "must NOT have additional properties", "info": {"additionalProperty": "foo"}}),
        json!({"path": "", "code": "additionalProperties", "message": "must NOT have additional properties", "info": {"additionalProperty": "id"}}),
    ] {
        ensure(details.contains(&expected), || {
            format!("missing detail {expected} in {error}")
        })?;
    }
    ensure(details.len() == 4, || format!("extra details: {error}"))?;
    let count = client.get("/todos/count")?;
    expect_json(&count, &json!({"count": 0}), "nothing created")
}

fn find_lists_todos_in_id_order_without_absent_properties(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    expect_json(&client.get("/todos")?, &json!([]), "empty list")?;
    create(&client, json!({"title": "b"}))?;
    create(
        &client,
        json!({"title": "a", "desc": "first", "isComplete": true}),
    )?;
    expect_json(
        &client.get("/todos")?,
        &json!([
            {"id": 1, "title": "b"},
            {"id": 2, "title": "a", "desc": "first", "isComplete": true}
        ]),
        "list",
    )
}

fn find_accepts_both_filter_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let expected = vec!["oat milk".to_owned(), "milk the cow".to_owned()];
    let bracket = client.get(
        "/todos?filter[where][title][like]=%25milk%25&filter[order][0]=title%20DESC&filter[limit]=2",
    )?;
    expect_status(&bracket, 200, "bracket form")?;
    ensure(titles(&bracket) == expected, || {
        format!("bracket form: {}", bracket.text())
    })?;
    let json_form = client.get(&format!(
        "/todos?filter={}",
        encode(r#"{"where":{"title":{"like":"%milk%"}},"order":["title DESC"],"limit":2}"#)
    ))?;
    expect_status(&json_form, 200, "JSON form")?;
    ensure(titles(&json_form) == expected, || {
        format!("JSON form: {}", json_form.text())
    })?;
    // Strings from the query string are coerced to the property types.
    let coerced = client.get(
        "/todos?filter[where][isComplete]=true&filter[where][id][inq][0]=2&filter[where][id][inq][1]=4",
    )?;
    ensure(titles(&coerced) == ["walk the dog", "milk the cow"], || {
        format!("coerced: {}", coerced.text())
    })?;
    let skip = client.get("/todos?filter[skip]=3")?;
    ensure(titles(&skip) == ["milk the cow"], || {
        format!("skip: {}", skip.text())
    })
}

fn find_projects_fields(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    expect_json(
        &client.get("/todos?filter[fields][title]=true&filter[limit]=1")?,
        &json!([{"title": "buy milk"}]),
        "bracket fields",
    )?;
    expect_json(
        &client.get(&format!(
            "/todos/2?filter={}",
            encode(r#"{"fields":["id","isComplete"]}"#)
        ))?,
        &json!({"id": 2, "isComplete": true}),
        "find by id with fields",
    )
}

fn count_accepts_both_where_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    expect_json(&client.get("/todos/count")?, &json!({"count": 4}), "all")?;
    expect_json(
        &client.get("/todos/count?where[isComplete]=false")?,
        &json!({"count": 2}),
        "bracket where",
    )?;
    expect_json(
        &client.get(&format!(
            "/todos/count?where={}",
            encode(r#"{"or":[{"title":"oat milk"},{"id":{"gt":3}}]}"#)
        ))?,
        &json!({"count": 2}),
        "JSON where",
    )
}

fn update_all_patches_matching_todos_and_counts_them(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let response = client.json(
        "PATCH",
        "/todos?where[title][like]=%25milk%25",
        &json!({"desc": "dairy"}),
    )?;
    expect_json(&response, &json!({"count": 3}), "update all")?;
    expect_json(
        &client.get("/todos/count?where[desc]=dairy")?,
        &json!({"count": 3}),
        "patched",
    )?;
    let all = client.json("PATCH", "/todos", &json!({"isComplete": true}))?;
    expect_json(&all, &json!({"count": 4}), "update every todo")
}

fn find_by_id_returns_the_todo_or_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "read", "desc": "a book"}))?;
    expect_json(
        &client.get(&format!("/todos/{id}"))?,
        &json!({"id": id, "title": "read", "desc": "a book"}),
        "find by id",
    )?;
    let missing = client.get("/todos/99")?;
    let error = expect_error(&missing, 404, "ENTITY_NOT_FOUND", "missing id")?;
    ensure(
        error
            == json!({"statusCode": 404, "name": "Error",
            "message": "Entity not found: Todo with id 99", "code": "ENTITY_NOT_FOUND"}),
        || format!("not LoopBack's 404: {error}"),
    )
}

fn update_by_id_patches_one_todo(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "read", "desc": "a book"}))?;
    let response = client.json(
        "PATCH",
        &format!("/todos/{id}"),
        &json!({"isComplete": true}),
    )?;
    expect_status(&response, 204, "patch")?;
    ensure(response.body.is_empty(), || "a 204 with a body".into())?;
    expect_json(
        &client.get(&format!("/todos/{id}"))?,
        &json!({"id": id, "title": "read", "desc": "a book", "isComplete": true}),
        "patched",
    )?;
    // null clears a property; the same id in the body is fine.
    let clear = client.json(
        "PATCH",
        &format!("/todos/{id}"),
        &json!({"id": id, "desc": null}),
    )?;
    expect_status(&clear, 204, "clear desc")?;
    expect_json(
        &client.get(&format!("/todos/{id}"))?,
        &json!({"id": id, "title": "read", "isComplete": true}),
        "cleared",
    )?;
    let wrong_type = client.json("PATCH", &format!("/todos/{id}"), &json!({"title": 5}))?;
    expect_error(&wrong_type, 422, "VALIDATION_FAILED", "patch type")?;
    let other_id = client.json("PATCH", &format!("/todos/{id}"), &json!({"id": 77}))?;
    expect_error(
        &other_id,
        400,
        "INVALID_BODY_DEFINITION",
        "patch changing the id",
    )?;
    let missing = client.json("PATCH", "/todos/99", &json!({"title": "x"}))?;
    expect_error(&missing, 404, "ENTITY_NOT_FOUND", "patch missing")?;
    Ok(())
}

fn replace_by_id_replaces_the_whole_todo(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(
        &client,
        json!({"title": "read", "desc": "a book", "isComplete": false}),
    )?;
    let response = client.json("PUT", &format!("/todos/{id}"), &json!({"title": "write"}))?;
    expect_status(&response, 204, "put")?;
    expect_json(
        &client.get(&format!("/todos/{id}"))?,
        &json!({"id": id, "title": "write"}),
        "replaced (absent properties cleared)",
    )?;
    let same_id = client.json(
        "PUT",
        &format!("/todos/{id}"),
        &json!({"id": id, "title": "again"}),
    )?;
    expect_status(&same_id, 204, "put with the same id")?;
    let other_id = client.json(
        "PUT",
        &format!("/todos/{id}"),
        &json!({"id": id + 1, "title": "x"}),
    )?;
    let error = expect_error(
        &other_id,
        400,
        "INVALID_BODY_DEFINITION",
        "put with another id",
    )?;
    ensure(
        error["message"] == format!("id property (id) cannot be updated from {id} to {}", id + 1),
        || format!("message: {error}"),
    )?;
    let no_title = client.json("PUT", &format!("/todos/{id}"), &json!({"desc": "x"}))?;
    expect_error(&no_title, 422, "VALIDATION_FAILED", "put without title")?;
    let missing = client.json("PUT", "/todos/99", &json!({"title": "x"}))?;
    expect_error(&missing, 404, "ENTITY_NOT_FOUND", "put missing")?;
    Ok(())
}

fn delete_by_id_deletes_once(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "x"}))?;
    expect_status(&client.delete(&format!("/todos/{id}"))?, 204, "delete")?;
    expect_error(
        &client.delete(&format!("/todos/{id}"))?,
        404,
        "ENTITY_NOT_FOUND",
        "delete twice",
    )?;
    expect_error(
        &client.get(&format!("/todos/{id}"))?,
        404,
        "ENTITY_NOT_FOUND",
        "get deleted",
    )?;
    Ok(())
}

fn any_json_round_trips_in_tag(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let tag = json!({"labels": ["home", "urgent"], "weight": 2.5, "nested": {"ok": true}});
    let id = create(&client, json!({"title": "tagged", "tag": tag}))?;
    let found = client.get(&format!("/todos/{id}"))?;
    expect_json(
        &found,
        &json!({"id": id, "title": "tagged", "tag": tag}),
        "tag",
    )?;
    let scalar = create(&client, json!({"title": "scalar tag", "tag": "just text"}))?;
    expect_json(
        &client.get(&format!("/todos/{scalar}"))?,
        &json!({"id": scalar, "title": "scalar tag", "tag": "just text"}),
        "scalar tag",
    )?;
    expect_json(
        &client.get("/todos/count?where[tag][exists]=true")?,
        &json!({"count": 2}),
        "exists on any",
    )
}

fn invalid_filters_report_every_problem(ctx: &mut Ctx) -> Outcome {
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
    let bracket = client.get("/todos?filter[where][titel]=x&filter[limit]=abc")?;
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
        "/todos?filter={}",
        encode(r#"{"where":{"id":{"gt":"x"},"nope":1},"order":"tag DESC","color":1}"#)
    ))?;
    let error = expect_error(
        &json_form,
        400,
        "INVALID_PARAMETER_VALUE",
        "bad JSON filter",
    )?;
    ensure(paths(&error).len() == 4, || format!("details: {error}"))?;
    let syntax = client.get(&format!("/todos?filter={}", encode("{bad json")))?;
    expect_error(&syntax, 400, "INVALID_PARAMETER_VALUE", "filter syntax")?;
    let bad_where = client.get("/todos/count?where[isComplete]=maybe")?;
    let error = expect_error(&bad_where, 400, "INVALID_PARAMETER_VALUE", "bad where")?;
    ensure(paths(&error) == ["/where/isComplete"], || {
        format!("details: {error}")
    })?;
    let patch_bad_where = client.json("PATCH", "/todos?where[nope]=1", &json!({"desc": "x"}))?;
    expect_error(
        &patch_bad_where,
        400,
        "INVALID_PARAMETER_VALUE",
        "update all bad where",
    )?;
    let by_id_where = client.get("/todos/1?filter[where][id]=1")?;
    let error = expect_error(
        &by_id_where,
        400,
        "INVALID_PARAMETER_VALUE",
        "find by id where",
    )?;
    ensure(paths(&error) == ["/filter/where"], || {
        format!("details: {error}")
    })?;
    let zero_limit = client.get("/todos?filter[limit]=0")?;
    expect_error(&zero_limit, 400, "INVALID_PARAMETER_VALUE", "limit 0")?;
    Ok(())
}

fn invalid_path_ids_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    for (method, target) in [
        ("GET", "/todos/abc"),
        ("DELETE", "/todos/1.5"),
        ("GET", "/todos/%20"),
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
    let patch = client.json("PATCH", "/todos/abc", &json!({"title": "x"}))?;
    expect_error(&patch, 400, "INVALID_PARAMETER_VALUE", "patch bad id")?;
    Ok(())
}

fn unusable_bodies_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let json = "application/json";
    let malformed = client.raw("POST", "/todos", json, br#"{"title": "#)?;
    expect_error(&malformed, 400, "INVALID_PARAMETER_VALUE", "malformed JSON")?;
    let empty = client.raw("POST", "/todos", json, b"")?;
    expect_error(&empty, 400, "MISSING_REQUIRED_PARAMETER", "empty body")?;
    let not_an_object = client.raw("POST", "/todos", json, b"[1,2]")?;
    expect_error(&not_an_object, 422, "VALIDATION_FAILED", "array body")?;
    let put_malformed = client.raw("PUT", "/todos/1", json, b"{,}")?;
    expect_error(
        &put_malformed,
        400,
        "INVALID_PARAMETER_VALUE",
        "put malformed",
    )?;
    Ok(())
}

fn prototype_keys_are_refused(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let json = "application/json";
    let proto = client.raw(
        "POST",
        "/todos",
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
        "/todos",
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
        "/todos?filter={}",
        encode(r#"{"where":{"__proto__":{"x":1}}}"#)
    ))?;
    expect_error(
        &filter,
        400,
        "INVALID_PARAMETER_VALUE",
        "__proto__ in a filter",
    )?;
    let where_ = client.get(&format!(
        "/todos/count?where={}",
        encode(r#"{"constructor":{"prototype":{"x":1}}}"#)
    ))?;
    expect_error(
        &where_,
        400,
        "INVALID_PARAMETER_VALUE",
        "constructor.prototype in where",
    )?;
    expect_json(
        &client.get("/todos/count")?,
        &json!({"count": 0}),
        "nothing created",
    )
}

fn empty_patches_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "x"}))?;
    let by_id = client.json("PATCH", &format!("/todos/{id}"), &json!({}))?;
    expect_error(&by_id, 400, "INVALID_BODY_DEFINITION", "empty patch by id")?;
    let all = client.json("PATCH", "/todos", &json!({}))?;
    expect_error(&all, 400, "INVALID_BODY_DEFINITION", "empty patch all")?;
    Ok(())
}

fn bodies_over_the_limit_are_413(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let headers = [("Content-Type", "application/json")];
    let sized = client.send("POST", "/todos", &headers, Body::Sized(big.as_bytes()))?;
    expect_error(&sized, 413, "ENTITY_TOO_LARGE", "sized body")?;
    let chunked = client.send(
        "POST",
        "/todos",
        &headers,
        Body::Chunked(big.as_bytes(), 64 * 1024),
    )?;
    expect_error(&chunked, 413, "ENTITY_TOO_LARGE", "chunked body")?;
    // Just under the limit is fine.
    let fits = format!(r#"{{"title":"{}"}}"#, "x".repeat(1000));
    let ok = client.send(
        "POST",
        "/todos",
        &headers,
        Body::Chunked(fits.as_bytes(), 100),
    )?;
    expect_status(&ok, 200, "small chunked body")?;
    // A smaller configured limit applies.
    let small = ctx.start_app(&HttpSettings {
        body_limit: 64,
        ..HttpSettings::default()
    })?;
    let response = small
        .client
        .json("POST", "/todos", &json!({"title": "x".repeat(100)}))?;
    expect_error(&response, 413, "ENTITY_TOO_LARGE", "configured limit")?;
    Ok(())
}

fn non_json_bodies_are_415(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let text = client.raw("POST", "/todos", "text/plain", br#"{"title":"x"}"#)?;
    let error = expect_error(&text, 415, "UNSUPPORTED_MEDIA_TYPE", "text/plain")?;
    ensure(
        error["message"] == "Content-type text/plain does not match [application/json].",
        || format!("message: {error}"),
    )?;
    let form = client.raw(
        "PATCH",
        "/todos/1",
        "application/x-www-form-urlencoded",
        b"title=x",
    )?;
    expect_error(&form, 415, "UNSUPPORTED_MEDIA_TYPE", "form")?;
    let with_charset = client.raw(
        "POST",
        "/todos",
        "application/json; charset=utf-8",
        br#"{"title":"x"}"#,
    )?;
    expect_status(&with_charset, 200, "JSON with a charset")
}

fn unknown_routes_and_verbs_are_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    for (method, target, shown) in [
        ("GET", "/x", "GET /x"),
        ("GET", "/todos/1/extra", "GET /todos/1/extra"),
        ("DELETE", "/todos", "DELETE /todos"),
        ("POST", "/todos/count", "POST /todos/count"),
        ("PURGE", "/todos", "PURGE /todos"),
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

fn pages_are_bounded(ctx: &mut Ctx) -> Outcome {
    let small_pages = ctx.start_app(&HttpSettings {
        max_page_size: 3,
        ..HttpSettings::default()
    })?;
    let client = small_pages.client;
    for i in 0..5 {
        create(&client, json!({"title": format!("todo {i}")}))?;
    }
    let count = |target: &str| -> Result<usize, String> {
        let response = client.get(target)?;
        expect_status(&response, 200, target)?;
        Ok(response.json().as_array().map_or(0, Vec::len))
    };
    ensure(count("/todos")? == 3, || {
        "no limit: the page size applies".into()
    })?;
    ensure(count("/todos?filter[limit]=10")? == 3, || {
        "a larger limit is capped".into()
    })?;
    ensure(count("/todos?filter[limit]=2")? == 2, || {
        "a smaller limit is kept".into()
    })?;
    ensure(count("/todos?filter[skip]=3")? == 2, || {
        "the last page".into()
    })?;
    expect_json(
        &client.get("/todos/count")?,
        &json!({"count": 5}),
        "count is not paged",
    )
}

fn read_only_serves_only_reads(ctx: &mut Ctx) -> Outcome {
    let writer = ctx.app()?;
    let id = create(&writer, json!({"title": "x"}))?;
    let reader = ctx.start_app(&HttpSettings {
        read_only: true,
        ..HttpSettings::default()
    })?;
    let client = reader.client;
    expect_status(&client.get("/todos")?, 200, "find")?;
    expect_status(&client.get("/todos/count")?, 200, "count")?;
    expect_status(&client.get(&format!("/todos/{id}"))?, 200, "find by id")?;
    for (method, target) in [
        ("POST", "/todos".to_owned()),
        ("PATCH", "/todos".to_owned()),
        ("PATCH", format!("/todos/{id}")),
        ("PUT", format!("/todos/{id}")),
        ("DELETE", format!("/todos/{id}")),
    ] {
        let response = client.json(method, &target, &json!({"title": "y"}))?;
        expect_error(&response, 404, "ENDPOINT_NOT_FOUND", &target)?;
    }
    let spec = client.get("/openapi.json")?.json();
    ensure(spec["paths"]["/todos"].get("post").is_none(), || {
        "the read-only spec lists create".into()
    })
}

/// A model with a client-supplied id, a unique property and a hidden one.
#[derive(Entity, Clone, Debug)]
struct Account {
    #[portico(id)]
    code: String,
    #[portico(unique)]
    email: String,
    #[portico(hidden)]
    password: Option<String>,
    name: Option<String>,
}

fn conflicts_are_409_and_hidden_properties_never_leave(ctx: &mut Ctx) -> Outcome {
    ctx.migrate::<Account>()?;
    let accounts = Repository::<Account>::new(ctx.store.clone()).map_err(|e| e.to_string())?;
    let endpoint = RestApi::new("accounts", "1")
        .resource(CrudResource::new(
            "/accounts",
            Arc::new(accounts.records().clone()),
        ))
        .into_endpoint()
        .map_err(|e| e.to_string())?;
    let server = TestServer::start(endpoint)?;
    let client = server.client;
    let created = client.json(
        "POST",
        "/accounts",
        &json!({"code": "a1", "email": "a@example.com", "password": "hunter2"}),
    )?;
    expect_json(
        &created,
        &json!({"code": "a1", "email": "a@example.com"}),
        "create without the hidden property",
    )?;
    let same_id = client.json(
        "POST",
        "/accounts",
        &json!({"code": "a1", "email": "b@example.com"}),
    )?;
    expect_error(&same_id, 409, "CONFLICT", "duplicate id")?;
    let same_email = client.json(
        "POST",
        "/accounts",
        &json!({"code": "a2", "email": "a@example.com"}),
    )?;
    let error = expect_error(&same_email, 409, "CONFLICT", "duplicate unique value")?;
    ensure(!error.to_string().contains("a@example.com"), || {
        format!("the conflict shows the value: {error}")
    })?;
    let no_id = client.json("POST", "/accounts", &json!({"email": "c@example.com"}))?;
    expect_error(&no_id, 422, "VALIDATION_FAILED", "client id missing")?;
    for target in ["/accounts", "/accounts/a1"] {
        let text = client.get(target)?.text();
        ensure(
            !text.contains("hunter2") && !text.contains("password"),
            || format!("{target} shows the hidden property: {text}"),
        )?;
    }
    let probe = client.get("/accounts?filter[where][password]=hunter2")?;
    expect_error(&probe, 400, "INVALID_PARAMETER_VALUE", "filter on hidden")?;
    let spec = client.get("/openapi.json")?.json();
    let schemas = &spec["components"]["schemas"];
    ensure(
        schemas["Account"]["properties"].get("password").is_none()
            && schemas["NewAccount"]["properties"]
                .get("password")
                .is_some()
            && schemas["AccountReplacement"]["properties"]
                .get("password")
                .is_some(),
        || format!("hidden property in the wrong schemas: {schemas}"),
    )
}

fn ping_answers_as_loopback_does(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let response = client.send("GET", "/ping?x=1", &[("X-Test", "yes")], Body::None)?;
    expect_status(&response, 200, "ping")?;
    let body = response.json();
    ensure(
        body["greeting"].is_string()
            && body["date"].as_str().is_some_and(|d| d.ends_with('Z'))
            && body["url"] == "/ping?x=1"
            && body["headers"]["x-test"] == "yes",
        || format!("ping: {body}"),
    )?;
    let post = client.send("POST", "/ping", &[], Body::None)?;
    expect_error(&post, 404, "ENDPOINT_NOT_FOUND", "POST /ping")?;
    Ok(())
}

fn cors_allows_any_origin_by_default(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let origin = [("Origin", "https://elsewhere.example")];
    let response = client.send("GET", "/todos", &origin, Body::None)?;
    expect_status(&response, 200, "CORS get")?;
    ensure(
        response.header("access-control-allow-origin") == Some("https://elsewhere.example"),
        || format!("no CORS header: {:?}", response.headers),
    )?;
    let error = client.send("GET", "/todos/99", &origin, Body::None)?;
    ensure(
        error.header("access-control-allow-origin").is_some(),
        || "error responses lack CORS headers".into(),
    )?;
    let preflight = client.send(
        "OPTIONS",
        "/todos",
        &[
            ("Origin", "https://elsewhere.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        Body::None,
    )?;
    ensure(
        preflight.status < 300
            && preflight
                .header("access-control-allow-methods")
                .is_some_and(|m| m.contains("POST")),
        || format!("preflight: {} {:?}", preflight.status, preflight.headers),
    )
}

fn cors_can_be_restricted(ctx: &mut Ctx) -> Outcome {
    let restricted = ctx.start_app(&HttpSettings {
        cors: portico_http::CorsPolicy::Origins(vec!["https://app.example".into()]),
        ..HttpSettings::default()
    })?;
    let client = restricted.client;
    let allowed = client.send(
        "GET",
        "/todos",
        &[("Origin", "https://app.example")],
        Body::None,
    )?;
    ensure(
        allowed.header("access-control-allow-origin") == Some("https://app.example"),
        || format!("allowed origin: {:?}", allowed.headers),
    )?;
    let refused = client.send(
        "GET",
        "/todos",
        &[("Origin", "https://evil.example")],
        Body::None,
    )?;
    ensure(
        refused.status >= 400 && refused.header("access-control-allow-origin").is_none(),
        || format!("refused origin: {} {:?}", refused.status, refused.headers),
    )?;
    ensure(refused.json()["error"]["statusCode"].is_number(), || {
        format!("refused origin without an envelope: {}", refused.text())
    })
}

fn openapi_and_explorer_are_served(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let spec = client.get("/openapi.json")?;
    expect_status(&spec, 200, "openapi.json")?;
    let spec = spec.json();
    ensure(spec["openapi"] == "3.0.0", || "not OpenAPI 3.0".into())?;
    let operation_ids: Vec<&str> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(|item| item.as_object())
        .flat_map(|item| item.values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for id in [
        "TodoController.create",
        "TodoController.count",
        "TodoController.find",
        "TodoController.updateAll",
        "TodoController.findById",
        "TodoController.updateById",
        "TodoController.replaceById",
        "TodoController.deleteById",
        "PingController.ping",
    ] {
        ensure(operation_ids.contains(&id), || format!("{id} missing"))?;
    }
    let yaml = client.get("/openapi.yaml")?;
    expect_status(&yaml, 200, "openapi.yaml")?;
    ensure(
        yaml.text().contains("operationId: TodoController.create"),
        || "YAML lacks the operations".into(),
    )?;
    for target in ["/explorer", "/explorer/"] {
        let page = client.get(target)?;
        expect_status(&page, 200, target)?;
        ensure(
            page.text().contains("SwaggerUIBundle") && page.text().contains("TodoController"),
            || format!("{target} is not the explorer"),
        )?;
    }
    Ok(())
}

fn failing_app(failure: Failure) -> Result<TestServer, String> {
    let endpoint = portico_todo::endpoint(
        Arc::new(FailingStore::new(failure)),
        &HttpSettings::default(),
    )
    .map_err(|e| e.to_string())?;
    TestServer::start(endpoint)
}

fn unavailable_backends_are_503(_: &mut Ctx) -> Outcome {
    let server = failing_app(Failure::Unavailable)?;
    let client = server.client;
    for response in [
        client.get("/todos")?,
        client.get("/todos/1")?,
        client.json("POST", "/todos", &json!({"title": "x"}))?,
    ] {
        let error = expect_error(&response, 503, "SERVICE_UNAVAILABLE", "unavailable")?;
        ensure(!response.text().contains("hunter2"), || {
            format!("503 leaks its cause: {error}")
        })?;
    }
    Ok(())
}

fn backend_failures_are_500_without_internals(_: &mut Ctx) -> Outcome {
    let server = failing_app(Failure::Backend)?;
    let client = server.client;
    for response in [
        client.get("/todos/count")?,
        client.delete("/todos/1")?,
        client.json("PUT", "/todos/1", &json!({"title": "x"}))?,
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

fn unsupported_operators_are_501(_: &mut Ctx) -> Outcome {
    let store = Arc::new(minimal_store());
    let endpoint =
        portico_todo::endpoint(store, &HttpSettings::default()).map_err(|e| e.to_string())?;
    let server = TestServer::start(endpoint)?;
    let client = server.client;
    create(&client, json!({"title": "Milk"}))?;
    let response = client.get("/todos?filter[where][title][ilike]=milk")?;
    expect_error(
        &response,
        501,
        "NOT_IMPLEMENTED",
        "ilike on a minimal store",
    )?;
    let spec = client.get("/openapi.json")?.json();
    let title_ops = &spec["components"]["schemas"]["Todo.WhereFilter"]["properties"]["title"]["oneOf"]
        [1]["properties"];
    ensure(
        title_ops.get("like").is_some() && title_ops.get("ilike").is_none(),
        || format!("the where schema ignores the capabilities: {title_ops}"),
    )
}
