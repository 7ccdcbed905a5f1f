//! The eight CRUD routes, seen from a client: what each answers, paging, read-only resources,
//! conflicts and hidden properties.

use std::sync::Arc;

use portico_domain::Entity;
use portico_http::{CrudResource, RestApi};
use portico_ports::Repository;
use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::models::Settings;
use crate::support::checks::*;
use crate::support::client::Client;
use crate::support::server::TestServer;

pub fn create(client: &Client, body: Json) -> Result<i64, String> {
    let response = client.json("POST", "/notes", &body)?;
    expect_status(&response, 200, "create")?;
    response.json()["id"]
        .as_i64()
        .ok_or_else(|| format!("create returned no id: {}", response.text()))
}

pub fn seed(client: &Client) -> Result<(), String> {
    for (title, complete) in [
        ("buy milk", false),
        ("walk the dog", true),
        ("oat milk", false),
        ("milk the cow", true),
    ] {
        create(client, json!({"title": title, "done": complete}))?;
    }
    Ok(())
}

pub fn create_returns_the_entity_with_its_generated_id(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let first = client.json(
        "POST",
        "/notes",
        &json!({"title": "buy milk", "body": "2 litres"}),
    )?;
    expect_json(
        &first,
        &json!({"id": 1, "title": "buy milk", "body": "2 litres"}),
        "first create",
    )?;
    let second = client.json("POST", "/notes", &json!({"title": "walk", "done": false}))?;
    expect_json(
        &second,
        &json!({"id": 2, "title": "walk", "done": false}),
        "second create",
    )
}

pub fn create_refuses_invalid_bodies_with_every_problem(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let response = client.json("POST", "/notes", &json!({"id": 9, "done": "yes", "foo": 1}))?;
    let error = expect_error(&response, 422, "VALIDATION_FAILED", "invalid create")?;
    ensure(error["name"] == "UnprocessableEntityError", || {
        format!("name: {error}")
    })?;
    let details = error["details"].as_array().cloned().unwrap_or_default();
    for expected in [
        json!({"path": "", "code": "required", "message": "must have required property 'title'", "info": {"missingProperty": "title"}}),
        json!({"path": "/done", "code": "type", "message": "must be boolean", "info": {"type": "boolean"}}),
        json!({"path": "", "code": "additionalProperties", "message": "must NOT have additional properties", "info": {"additionalProperty": "foo"}}),
        json!({"path": "", "code": "additionalProperties", "message": "must NOT have additional properties", "info": {"additionalProperty": "id"}}),
    ] {
        ensure(details.contains(&expected), || {
            format!("missing detail {expected} in {error}")
        })?;
    }
    ensure(details.len() == 4, || format!("extra details: {error}"))?;
    // As in LoopBack: null only where the schema says nullable, and a required string is not
    // empty.
    for (body, path) in [
        (json!({"title": "x", "body": null}), "/body"),
        (json!({"title": ""}), "/title"),
    ] {
        let response = client.json("POST", "/notes", &body)?;
        let error = expect_error(&response, 422, "VALIDATION_FAILED", &body.to_string())?;
        ensure(detail_paths(&error) == [path], || {
            format!("{body}: one detail at {path} expected, got {error}")
        })?;
    }
    let count = client.get("/notes/count")?;
    expect_json(&count, &json!({"count": 0}), "nothing created")
}

pub fn find_lists_notes_in_id_order_without_absent_properties(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    expect_json(&client.get("/notes")?, &json!([]), "empty list")?;
    create(&client, json!({"title": "b"}))?;
    create(
        &client,
        json!({"title": "a", "body": "first", "done": true}),
    )?;
    expect_json(
        &client.get("/notes")?,
        &json!([
            {"id": 1, "title": "b"},
            {"id": 2, "title": "a", "body": "first", "done": true}
        ]),
        "list",
    )
}

pub fn find_accepts_both_filter_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let expected = vec!["oat milk".to_owned(), "milk the cow".to_owned()];
    let bracket = client.get(
        "/notes?filter[where][title][like]=%25milk%25&filter[order][0]=title%20DESC&filter[limit]=2",
    )?;
    expect_status(&bracket, 200, "bracket form")?;
    ensure(titles(&bracket.json()) == expected, || {
        format!("bracket form: {}", bracket.text())
    })?;
    let json_form = client.get(&format!(
        "/notes?filter={}",
        encode(r#"{"where":{"title":{"like":"%milk%"}},"order":["title DESC"],"limit":2}"#)
    ))?;
    expect_status(&json_form, 200, "JSON form")?;
    ensure(titles(&json_form.json()) == expected, || {
        format!("JSON form: {}", json_form.text())
    })?;
    // Strings from the query string are coerced to the property types.
    let coerced = client.get(
        "/notes?filter[where][done]=true&filter[where][id][inq][0]=2&filter[where][id][inq][1]=4",
    )?;
    ensure(
        titles(&coerced.json()) == ["walk the dog", "milk the cow"],
        || format!("coerced: {}", coerced.text()),
    )?;
    let skip = client.get("/notes?filter[skip]=3")?;
    ensure(titles(&skip.json()) == ["milk the cow"], || {
        format!("skip: {}", skip.text())
    })
}

pub fn find_projects_fields(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    expect_json(
        &client.get("/notes?filter[fields][title]=true&filter[limit]=1")?,
        &json!([{"title": "buy milk"}]),
        "bracket fields",
    )?;
    expect_json(
        &client.get(&format!(
            "/notes/2?filter={}",
            encode(r#"{"fields":["id","done"]}"#)
        ))?,
        &json!({"id": 2, "done": true}),
        "find by id with fields",
    )
}

pub fn count_accepts_both_where_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    expect_json(&client.get("/notes/count")?, &json!({"count": 4}), "all")?;
    expect_json(
        &client.get("/notes/count?where[done]=false")?,
        &json!({"count": 2}),
        "bracket where",
    )?;
    expect_json(
        &client.get(&format!(
            "/notes/count?where={}",
            encode(r#"{"or":[{"title":"oat milk"},{"id":{"gt":3}}]}"#)
        ))?,
        &json!({"count": 2}),
        "JSON where",
    )
}

pub fn update_all_patches_matching_notes_and_counts_them(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let response = client.json(
        "PATCH",
        "/notes?where[title][like]=%25milk%25",
        &json!({"body": "dairy"}),
    )?;
    expect_json(&response, &json!({"count": 3}), "update all")?;
    expect_json(
        &client.get("/notes/count?where[body]=dairy")?,
        &json!({"count": 3}),
        "patched",
    )?;
    let all = client.json("PATCH", "/notes", &json!({"done": true}))?;
    expect_json(&all, &json!({"count": 4}), "update every todo")
}

pub fn find_by_id_returns_the_note_or_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "read", "body": "a book"}))?;
    expect_json(
        &client.get(&format!("/notes/{id}"))?,
        &json!({"id": id, "title": "read", "body": "a book"}),
        "find by id",
    )?;
    let missing = client.get("/notes/99")?;
    let error = expect_error(&missing, 404, "ENTITY_NOT_FOUND", "missing id")?;
    ensure(
        error
            == json!({"statusCode": 404, "name": "Error",
            "message": "Entity not found: Note with id 99", "code": "ENTITY_NOT_FOUND"}),
        || format!("not LoopBack's 404: {error}"),
    )
}

pub fn update_by_id_patches_one_note(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "read", "body": "a book"}))?;
    let response = client.json("PATCH", &format!("/notes/{id}"), &json!({"done": true}))?;
    expect_status(&response, 204, "patch")?;
    ensure(response.body.is_empty(), || "a 204 with a body".into())?;
    expect_json(
        &client.get(&format!("/notes/{id}"))?,
        &json!({"id": id, "title": "read", "body": "a book", "done": true}),
        "patched",
    )?;
    // null clears a property; the same id in the body is fine.
    let clear = client.json(
        "PATCH",
        &format!("/notes/{id}"),
        &json!({"id": id, "body": null}),
    )?;
    expect_status(&clear, 204, "clear body")?;
    expect_json(
        &client.get(&format!("/notes/{id}"))?,
        &json!({"id": id, "title": "read", "done": true}),
        "cleared",
    )?;
    let wrong_type = client.json("PATCH", &format!("/notes/{id}"), &json!({"title": 5}))?;
    expect_error(&wrong_type, 422, "VALIDATION_FAILED", "patch type")?;
    let other_id = client.json("PATCH", &format!("/notes/{id}"), &json!({"id": 77}))?;
    expect_error(
        &other_id,
        400,
        "INVALID_BODY_DEFINITION",
        "patch changing the id",
    )?;
    let missing = client.json("PATCH", "/notes/99", &json!({"title": "x"}))?;
    expect_error(&missing, 404, "ENTITY_NOT_FOUND", "patch missing")?;
    Ok(())
}

pub fn replace_by_id_replaces_the_whole_note(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(
        &client,
        json!({"title": "read", "body": "a book", "done": false}),
    )?;
    let response = client.json("PUT", &format!("/notes/{id}"), &json!({"title": "write"}))?;
    expect_status(&response, 204, "put")?;
    expect_json(
        &client.get(&format!("/notes/{id}"))?,
        &json!({"id": id, "title": "write"}),
        "replaced (absent properties cleared)",
    )?;
    let same_id = client.json(
        "PUT",
        &format!("/notes/{id}"),
        &json!({"id": id, "title": "again"}),
    )?;
    expect_status(&same_id, 204, "put with the same id")?;
    let other_id = client.json(
        "PUT",
        &format!("/notes/{id}"),
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
    let no_title = client.json("PUT", &format!("/notes/{id}"), &json!({"body": "x"}))?;
    expect_error(&no_title, 422, "VALIDATION_FAILED", "put without title")?;
    let missing = client.json("PUT", "/notes/99", &json!({"title": "x"}))?;
    expect_error(&missing, 404, "ENTITY_NOT_FOUND", "put missing")?;
    Ok(())
}

pub fn delete_by_id_deletes_once(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let id = create(&client, json!({"title": "x"}))?;
    expect_status(&client.delete(&format!("/notes/{id}"))?, 204, "delete")?;
    expect_error(
        &client.delete(&format!("/notes/{id}"))?,
        404,
        "ENTITY_NOT_FOUND",
        "delete twice",
    )?;
    expect_error(
        &client.get(&format!("/notes/{id}"))?,
        404,
        "ENTITY_NOT_FOUND",
        "get deleted",
    )?;
    Ok(())
}

pub fn any_json_round_trips_in_tag(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let tag = json!({"labels": ["home", "urgent"], "weight": 2.5, "nested": {"ok": true}});
    let id = create(&client, json!({"title": "tagged", "tag": tag}))?;
    let found = client.get(&format!("/notes/{id}"))?;
    expect_json(
        &found,
        &json!({"id": id, "title": "tagged", "tag": tag}),
        "tag",
    )?;
    let scalar = create(&client, json!({"title": "scalar tag", "tag": "just text"}))?;
    expect_json(
        &client.get(&format!("/notes/{scalar}"))?,
        &json!({"id": scalar, "title": "scalar tag", "tag": "just text"}),
        "scalar tag",
    )?;
    expect_json(
        &client.get("/notes/count?where[tag][exists]=true")?,
        &json!({"count": 2}),
        "exists on any",
    )
}

pub fn pages_are_bounded(ctx: &mut Ctx) -> Outcome {
    let small_pages = ctx.start_app(&Settings {
        max_page_size: 3,
        ..Settings::default()
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
    ensure(count("/notes")? == 3, || {
        "no limit: the page size applies".into()
    })?;
    ensure(count("/notes?filter[limit]=10")? == 3, || {
        "a larger limit is capped".into()
    })?;
    ensure(count("/notes?filter[limit]=2")? == 2, || {
        "a smaller limit is kept".into()
    })?;
    ensure(count("/notes?filter[skip]=3")? == 2, || {
        "the last page".into()
    })?;
    expect_json(
        &client.get("/notes/count")?,
        &json!({"count": 5}),
        "count is not paged",
    )
}

pub fn read_only_serves_only_reads(ctx: &mut Ctx) -> Outcome {
    let writer = ctx.app()?;
    let id = create(&writer, json!({"title": "x"}))?;
    let reader = ctx.start_app(&Settings {
        read_only: true,
        ..Settings::default()
    })?;
    let client = reader.client;
    expect_status(&client.get("/notes")?, 200, "find")?;
    expect_status(&client.get("/notes/count")?, 200, "count")?;
    expect_status(&client.get(&format!("/notes/{id}"))?, 200, "find by id")?;
    for (method, target) in [
        ("POST", "/notes".to_owned()),
        ("PATCH", "/notes".to_owned()),
        ("PATCH", format!("/notes/{id}")),
        ("PUT", format!("/notes/{id}")),
        ("DELETE", format!("/notes/{id}")),
    ] {
        // The paths stay, serving their reads only (405 with `Allow`, as any unserved verb).
        let response = client.json(method, &target, &json!({"title": "y"}))?;
        expect_not_allowed(
            &response,
            "GET, HEAD, OPTIONS",
            &format!("{method} {target}"),
        )?;
    }
    let spec = client.get("/openapi.json")?.json();
    ensure(spec["paths"]["/notes"].get("post").is_none(), || {
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

pub fn conflicts_are_409_and_hidden_properties_never_leave(ctx: &mut Ctx) -> Outcome {
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
