//! The cases: the REST contract of LoopBack's relation controllers, and `include`, for the
//! TodoList app, seen from a client.

use portico_todo_list::HttpSettings;
use serde_json::{Value as Json, json};

use crate::client::{Client, Response};
use crate::{Case, Ctx};

type Outcome = Result<(), String>;

macro_rules! cases {
    ($per_backend:expr => $($name:ident),* $(,)?) => {
        vec![$(Case { name: stringify!($name), per_backend: $per_backend, run: $name }),*]
    };
}

pub fn all() -> Vec<Case> {
    let mut cases = cases![true =>
        crud_routes_serve_both_models,
        has_many_create_sets_the_key,
        has_many_create_refuses_a_changed_key_bad_bodies_and_missing_lists,
        has_many_find_filters_within_the_list,
        has_many_patch_counts_within_the_list,
        has_many_delete_counts_within_the_list,
        belongs_to_returns_the_list_or_404,
        has_one_create_get_patch_delete,
        include_works_in_both_filter_encodings,
        include_scopes_nest_and_filter,
        include_scope_limits_survive_page_capping,
        invalid_includes_are_400_with_details,
        navigational_properties_in_bodies_are_400,
        read_only_keeps_only_reading_relation_routes,
    ];
    cases.extend(cases![false =>
        openapi_documents_relations_and_include,
        ping_answers,
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

/// Checks a 400 `INVALID_PARAMETER_VALUE` naming `parameter`, with a detail at `path`.
fn expect_bad_parameter(response: &Response, parameter: &str, path: &str, what: &str) -> Outcome {
    let error = expect_error(response, 400, "INVALID_PARAMETER_VALUE", what)?;
    ensure(error["parameterName"] == parameter, || {
        format!("{what}: parameter {parameter} expected in {error}")
    })?;
    let paths: Vec<&str> = error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["path"].as_str())
        .collect();
    ensure(paths.contains(&path), || {
        format!("{what}: a detail at {path} expected in {error}")
    })
}

/// Checks a 400 `INVALID_BODY_DEFINITION` whose message contains `message`.
fn expect_invalid_body(response: &Response, message: &str, what: &str) -> Outcome {
    let error = expect_error(response, 400, "INVALID_BODY_DEFINITION", what)?;
    ensure(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(message)),
        || format!("{what}: message with {message:?} expected, got {error}"),
    )
}

/// POSTs a body that must be created, and returns the created entity.
fn post(client: &Client, target: &str, body: Json) -> Result<Json, String> {
    let response = client.json("POST", target, &body)?;
    expect_status(&response, 200, &format!("POST {target}"))?;
    Ok(response.json())
}

/// The id of a created entity.
fn id_of(entity: &Json) -> Result<i64, String> {
    entity["id"]
        .as_i64()
        .ok_or_else(|| format!("no id in {entity}"))
}

/// A created list's id.
fn list(client: &Client, title: &str) -> Result<i64, String> {
    id_of(&post(client, "/todo-lists", json!({"title": title}))?)
}

/// A created todo's id, in list `list` through the relation route.
fn todo_in(client: &Client, list: i64, body: Json) -> Result<i64, String> {
    id_of(&post(client, &format!("/todo-lists/{list}/todos"), body)?)
}

/// Two lists: `home` with todos a (open), b (done), c (open); `work` with d (done). Returns
/// their ids.
fn seed(client: &Client) -> Result<(i64, i64), String> {
    let home = list(client, "home")?;
    let work = list(client, "work")?;
    for (title, done) in [("a", false), ("b", true), ("c", false)] {
        todo_in(client, home, json!({"title": title, "isComplete": done}))?;
    }
    todo_in(client, work, json!({"title": "d", "isComplete": true}))?;
    Ok((home, work))
}

fn titles(json: &Json) -> Vec<String> {
    json.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn get_titles(client: &Client, target: &str) -> Result<Vec<String>, String> {
    let response = client.get(target)?;
    expect_status(&response, 200, target)?;
    Ok(titles(&response.json()))
}

/// The titles of each list's included todos, by list title.
fn included_titles(lists: &Json, relation: &str) -> Vec<(String, Vec<String>)> {
    lists
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            (
                l["title"].as_str().unwrap_or_default().to_owned(),
                titles(&l[relation]),
            )
        })
        .collect()
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

fn count(client: &Client, target: &str) -> Result<i64, String> {
    let response = client.get(target)?;
    expect_status(&response, 200, target)?;
    response.json()["count"]
        .as_i64()
        .ok_or_else(|| format!("{target}: no count in {}", response.text()))
}

fn crud_routes_serve_both_models(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let created = post(
        &client,
        "/todo-lists",
        json!({"title": "home", "color": "red"}),
    )?;
    let home = id_of(&created)?;
    expect_json(
        &client.get(&format!("/todo-lists/{home}"))?,
        &json!({"id": home, "title": "home", "color": "red"}),
        "find a list by id",
    )?;
    let todo = id_of(&post(
        &client,
        "/todos",
        json!({"title": "buy milk", "todoListId": home}),
    )?)?;
    expect_json(
        &client.get(&format!("/todos/{todo}"))?,
        &json!({"id": todo, "title": "buy milk", "todoListId": home}),
        "find a todo by id",
    )?;
    let patched = client.json(
        "PATCH",
        &format!("/todo-lists/{home}"),
        &json!({"color": "blue"}),
    )?;
    expect_status(&patched, 204, "patch a list")?;
    let replaced = client.json(
        "PUT",
        &format!("/todos/{todo}"),
        &json!({"title": "oat milk", "todoListId": home, "isComplete": true}),
    )?;
    expect_status(&replaced, 204, "replace a todo")?;
    expect_json(
        &client.get(&format!("/todo-lists/{home}/todos"))?,
        &json!([{"id": todo, "title": "oat milk", "isComplete": true, "todoListId": home}]),
        "the replaced todo, through the relation",
    )?;
    ensure(
        count(&client, "/todo-lists/count?where[color]=blue")? == 1,
        || "the patched list".into(),
    )?;
    expect_status(
        &client.delete(&format!("/todos/{todo}"))?,
        204,
        "delete a todo",
    )?;
    ensure(count(&client, "/todos/count")? == 0, || "deleted".into())
}

fn has_many_create_sets_the_key(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = list(&client, "home")?;
    let target = format!("/todo-lists/{home}/todos");
    let created = post(
        &client,
        &target,
        json!({"title": "buy milk", "desc": "2 l"}),
    )?;
    let first = id_of(&created)?;
    ensure(
        created == json!({"id": first, "title": "buy milk", "desc": "2 l", "todoListId": home}),
        || format!("created without the key: {created}"),
    )?;
    // The key may be given, with the list's value.
    let again = post(
        &client,
        &target,
        json!({"title": "walk", "todoListId": home}),
    )?;
    ensure(again["todoListId"] == json!(home), || {
        format!("the key given: {again}")
    })?;
    // What was created is stored, in the list.
    expect_json(
        &client.get(&format!("/todos/{first}"))?,
        &json!({"id": first, "title": "buy milk", "desc": "2 l", "todoListId": home}),
        "stored",
    )?;
    ensure(
        count(&client, &format!("/todos/count?where[todoListId]={home}"))? == 2,
        || "two todos in the list".into(),
    )
}

fn has_many_create_refuses_a_changed_key_bad_bodies_and_missing_lists(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = list(&client, "home")?;
    let work = list(&client, "work")?;
    let target = format!("/todo-lists/{home}/todos");
    // Another list's key: LoopBack answers 500; this is the client's mistake.
    let changed = client.json("POST", &target, &json!({"title": "x", "todoListId": work}))?;
    expect_invalid_body(
        &changed,
        "Property \"todoListId\" cannot be changed!",
        "another list's key",
    )?;
    // A list that does not exist: 404 (LoopBack would create an orphan).
    let missing = client.json("POST", "/todo-lists/999/todos", &json!({"title": "x"}))?;
    let error = expect_error(&missing, 404, "ENTITY_NOT_FOUND", "a missing list")?;
    ensure(
        error["message"] == "Entity not found: TodoList with id 999",
        || format!("message: {error}"),
    )?;
    // The body is checked as `NewTodoInTodoList`: no id, a title, the key optional.
    let invalid = client.json("POST", &target, &json!({"id": 7, "isComplete": "no"}))?;
    let error = expect_error(&invalid, 422, "VALIDATION_FAILED", "an invalid body")?;
    let details = error["details"].as_array().cloned().unwrap_or_default();
    for expected in [
        json!({"path": "", "code": "required", "message": "must have required property 'title'", "info": {"missingProperty": "title"}}),
        json!({"path": "/isComplete", "code": "type", "message": "must be boolean", "info": {"type": "boolean"}}),
        json!({"path": "", "code": "additionalProperties", "message": "must NOT have additional properties", "info": {"additionalProperty": "id"}}),
    ] {
        ensure(details.contains(&expected), || {
            format!("missing detail {expected} in {error}")
        })?;
    }
    ensure(details.len() == 3, || format!("extra details: {error}"))?;
    expect_error(
        &client.raw("POST", &target, "application/json", b"")?,
        400,
        "MISSING_REQUIRED_PARAMETER",
        "an empty body",
    )?;
    expect_error(
        &client.raw("POST", &target, "text/plain", b"title")?,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "not JSON",
    )?;
    expect_bad_parameter(
        &client.json("POST", "/todo-lists/abc/todos", &json!({"title": "x"}))?,
        "id",
        "/id",
        "a path id that is no integer",
    )?;
    ensure(count(&client, "/todos/count")? == 0, || {
        "nothing was created".into()
    })
}

fn has_many_find_filters_within_the_list(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/todo-lists/{home}/todos");
    let all = client.get(&target)?;
    expect_status(&all, 200, "the list's todos")?;
    ensure(titles(&all.json()) == ["a", "b", "c"], || {
        format!("in id order, only the list's: {}", all.text())
    })?;
    ensure(
        all.json()
            .as_array()
            .is_some_and(|items| items.iter().all(|t| t["todoListId"] == json!(home))),
        || format!("every todo carries the key: {}", all.text()),
    )?;
    ensure(
        get_titles(&client, &format!("/todo-lists/{work}/todos"))? == ["d"],
        || "the other list's".into(),
    )?;
    // Both encodings of one filter.
    let json_form = format!(
        "{target}?filter={}",
        encode(r#"{"where":{"isComplete":false},"order":"title DESC"}"#)
    );
    let bracket_form =
        format!("{target}?filter[where][isComplete]=false&filter[order][0]=title%20DESC");
    for form in [&json_form, &bracket_form] {
        ensure(get_titles(&client, form)? == ["c", "a"], || {
            format!("{form}: where and order")
        })?;
    }
    ensure(
        get_titles(&client, &format!("{target}?filter[limit]=1&filter[skip]=1"))? == ["b"],
        || "limit and skip".into(),
    )?;
    expect_json(
        &client.get(&format!(
            "{target}?filter[fields][title]=true&filter[limit]=1"
        ))?,
        &json!([{"title": "a"}]),
        "fields",
    )?;
    // The list's todos with their list.
    let with_list = client.get(&format!(
        "{target}?filter[include][]=todoList&filter[limit]=1"
    ))?;
    let first = with_list.json()[0].clone();
    ensure(
        first["todoList"] == json!({"id": home, "title": "home"}),
        || format!("include in a relation GET: {}", with_list.text()),
    )?;
    // An unknown list has no todos (as in LoopBack).
    expect_json(
        &client.get("/todo-lists/999/todos")?,
        &json!([]),
        "an unknown list",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[where][nope]=1"))?,
        "filter",
        "/filter/where/nope",
        "an unknown property",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter={}", encode("{\"where\":")))?,
        "filter",
        "/filter",
        "malformed JSON",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[include][]=image"))?,
        "filter",
        "/filter/include/0",
        "a relation of the source, not the target",
    )
}

fn has_many_patch_counts_within_the_list(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/todo-lists/{home}/todos");
    let patch = |query: &str, body: Json| client.json("PATCH", &format!("{target}{query}"), &body);
    expect_json(
        &patch("?where[isComplete]=false", json!({"isComplete": true}))?,
        &json!({"count": 2}),
        "bracket where",
    )?;
    expect_json(
        &patch(
            &format!("?where={}", encode(r#"{"title":{"inq":["a","d"]}}"#)),
            json!({"desc": "first"}),
        )?,
        &json!({"count": 1}),
        "JSON where: the other list's d is not counted",
    )?;
    expect_json(
        &patch("", json!({"tag": {"k": 1}}))?,
        &json!({"count": 3}),
        "no where: the whole list",
    )?;
    // The other list is untouched.
    expect_json(
        &client.get(&format!("/todo-lists/{work}/todos"))?,
        &json!([{"id": 4, "title": "d", "isComplete": true, "todoListId": work}]),
        "the other list",
    )?;
    ensure(
        count(&client, "/todos/count?where[desc]=first")? == 1,
        || "one desc".into(),
    )?;
    // The key may be given unchanged, not changed.
    expect_json(
        &patch("", json!({"todoListId": home}))?,
        &json!({"count": 3}),
        "the key unchanged",
    )?;
    expect_invalid_body(
        &patch("", json!({"todoListId": work}))?,
        "Property \"todoListId\" cannot be changed!",
        "the key changed",
    )?;
    ensure(
        count(&client, &format!("/todos/count?where[todoListId]={home}"))? == 3,
        || "no todo moved".into(),
    )?;
    expect_error(
        &patch("", json!({}))?,
        400,
        "INVALID_BODY_DEFINITION",
        "an empty patch",
    )?;
    expect_error(
        &patch("", json!({"title": 5}))?,
        422,
        "VALIDATION_FAILED",
        "a mistyped patch",
    )?;
    expect_bad_parameter(
        &patch("?where[nope]=1", json!({"desc": "x"}))?,
        "where",
        "/where/nope",
        "a bad where",
    )?;
    expect_json(
        &client.json("PATCH", "/todo-lists/999/todos", &json!({"desc": "x"}))?,
        &json!({"count": 0}),
        "an unknown list",
    )
}

fn has_many_delete_counts_within_the_list(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/todo-lists/{home}/todos");
    expect_json(
        &client.delete(&format!("{target}?where[title]=a"))?,
        &json!({"count": 1}),
        "bracket where",
    )?;
    expect_json(
        &client.delete(&format!(
            "{target}?where={}",
            encode(r#"{"title":{"inq":["b","d"]}}"#)
        ))?,
        &json!({"count": 1}),
        "JSON where: the other list's d is not deleted",
    )?;
    expect_bad_parameter(
        &client.delete(&format!("{target}?where[isComplete][gt]=x"))?,
        "where",
        "/where/isComplete/gt",
        "a bad where",
    )?;
    expect_json(
        &client.delete(&target)?,
        &json!({"count": 1}),
        "no where: the rest of the list",
    )?;
    expect_json(
        &client.delete(&target)?,
        &json!({"count": 0}),
        "nothing left",
    )?;
    ensure(
        get_titles(&client, &format!("/todo-lists/{work}/todos"))? == ["d"],
        || "the other list keeps its todo".into(),
    )?;
    expect_json(
        &client.delete("/todo-lists/999/todos")?,
        &json!({"count": 0}),
        "an unknown list",
    )?;
    ensure(count(&client, "/todo-lists/count")? == 2, || {
        "the lists stay".into()
    })
}

fn belongs_to_returns_the_list_or_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = list(&client, "home")?;
    let todo = todo_in(&client, home, json!({"title": "a"}))?;
    let loose = id_of(&post(&client, "/todos", json!({"title": "loose"}))?)?;
    let target = format!("/todos/{todo}/todo-list");
    expect_json(
        &client.get(&target)?,
        &json!({"id": home, "title": "home"}),
        "the list",
    )?;
    expect_json(
        &client.get(&format!("{target}?filter[fields][title]=true"))?,
        &json!({"title": "home"}),
        "fields",
    )?;
    let with_todos = client.get(&format!(
        "{target}?filter={}",
        encode(r#"{"include":["todos"]}"#)
    ))?;
    expect_json(
        &with_todos,
        &json!({"id": home, "title": "home", "todos": [{"id": todo, "title": "a", "todoListId": home}]}),
        "include",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[where][title]=home"))?,
        "filter",
        "/filter/where",
        "a where",
    )?;
    expect_error(
        &client.get(&format!("/todos/{loose}/todo-list"))?,
        404,
        "ENTITY_NOT_FOUND",
        "a todo in no list",
    )?;
    let error = expect_error(
        &client.get("/todos/999/todo-list")?,
        404,
        "ENTITY_NOT_FOUND",
        "an unknown todo",
    )?;
    ensure(
        error["message"] == "Entity not found: Todo with id 999",
        || format!("message: {error}"),
    )?;
    // Only GET: the other verbs are unknown endpoints.
    for method in ["POST", "PATCH", "DELETE"] {
        expect_error(
            &client.json(method, &target, &json!({"title": "x"}))?,
            404,
            "ENDPOINT_NOT_FOUND",
            method,
        )?;
    }
    // Relations are weak: a list deleted leaves its todos, which then belong to nothing.
    expect_status(
        &client.delete(&format!("/todo-lists/{home}"))?,
        204,
        "delete the list",
    )?;
    expect_error(
        &client.get(&target)?,
        404,
        "ENTITY_NOT_FOUND",
        "a deleted list",
    )?;
    Ok(())
}

fn has_one_create_get_patch_delete(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = list(&client, "home")?;
    let work = list(&client, "work")?;
    let target = format!("/todo-lists/{home}/image");
    let error = expect_error(
        &client.get(&target)?,
        404,
        "ENTITY_NOT_FOUND",
        "no image yet",
    )?;
    ensure(
        error["message"]
            == format!("Entity not found: TodoListImage with id {{\"todoListId\":{home}}}"),
        || format!("message: {error}"),
    )?;
    expect_json(
        &client.json("PATCH", &target, &json!({"value": "x"}))?,
        &json!({"count": 0}),
        "patch without an image",
    )?;
    expect_json(
        &client.delete(&target)?,
        &json!({"count": 0}),
        "delete without an image",
    )?;
    // Create: the key is set.
    let created = post(&client, &target, json!({"value": "png"}))?;
    let image = id_of(&created)?;
    ensure(
        created == json!({"id": image, "value": "png", "todoListId": home}),
        || format!("created: {created}"),
    )?;
    // One image per list: the key is unique.
    expect_error(
        &client.json("POST", &target, &json!({"value": "gif"}))?,
        409,
        "CONFLICT",
        "a second image",
    )?;
    expect_invalid_body(
        &client.json(
            "POST",
            &target,
            &json!({"value": "gif", "todoListId": work}),
        )?,
        "Property \"todoListId\" cannot be changed!",
        "another list's key",
    )?;
    expect_error(
        &client.json("POST", &target, &json!({}))?,
        422,
        "VALIDATION_FAILED",
        "no value",
    )?;
    expect_error(
        &client.json("POST", "/todo-lists/999/image", &json!({"value": "png"}))?,
        404,
        "ENTITY_NOT_FOUND",
        "a missing list",
    )?;
    // Get, with a filter without where.
    expect_json(&client.get(&target)?, &created, "get")?;
    expect_json(
        &client.get(&format!("{target}?filter[fields][value]=true"))?,
        &json!({"value": "png"}),
        "fields",
    )?;
    expect_json(
        &client.get(&format!("{target}?filter[include][]=todoList"))?,
        &json!({"id": image, "value": "png", "todoListId": home, "todoList": {"id": home, "title": "home"}}),
        "include",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[where][value]=png"))?,
        "filter",
        "/filter/where",
        "a where",
    )?;
    expect_error(
        &client.get(&format!("/todo-lists/{work}/image"))?,
        404,
        "ENTITY_NOT_FOUND",
        "the other list has none",
    )?;
    // Patch.
    expect_json(
        &client.json("PATCH", &target, &json!({"value": "jpg"}))?,
        &json!({"count": 1}),
        "patch",
    )?;
    expect_json(
        &client.get(&target)?,
        &json!({"id": image, "value": "jpg", "todoListId": home}),
        "patched",
    )?;
    expect_json(
        &client.json(
            "PATCH",
            &format!("{target}?where[value]=gif"),
            &json!({"value": "bmp"}),
        )?,
        &json!({"count": 0}),
        "patch where nothing matches",
    )?;
    expect_invalid_body(
        &client.json("PATCH", &target, &json!({"todoListId": work}))?,
        "Property \"todoListId\" cannot be changed!",
        "the key changed",
    )?;
    expect_error(
        &client.json("PATCH", &target, &json!({}))?,
        400,
        "INVALID_BODY_DEFINITION",
        "an empty patch",
    )?;
    // Delete.
    expect_json(&client.delete(&target)?, &json!({"count": 1}), "delete")?;
    expect_error(&client.get(&target)?, 404, "ENTITY_NOT_FOUND", "deleted")?;
    // A new image may be created once the old one is gone.
    post(&client, &target, json!({"value": "svg"}))?;
    ensure(count(&client, "/todo-lists/count")? == 2, || {
        "the lists stay".into()
    })
}

fn include_works_in_both_filter_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    list(&client, "empty")?;
    post(
        &client,
        &format!("/todo-lists/{home}/image"),
        json!({"value": "png"}),
    )?;
    let expected = vec![
        (
            "home".to_owned(),
            vec!["a".to_owned(), "b".into(), "c".into()],
        ),
        ("work".to_owned(), vec!["d".to_owned()]),
        ("empty".to_owned(), vec![]),
    ];
    for target in [
        format!("/todo-lists?filter={}", encode(r#"{"include":["todos"]}"#)),
        format!(
            "/todo-lists?filter={}",
            encode(r#"{"include":[{"relation":"todos"}]}"#)
        ),
        "/todo-lists?filter[include][0][relation]=todos".to_owned(),
        "/todo-lists?filter[include][]=todos".to_owned(),
        "/todo-lists?filter[include]=todos".to_owned(),
    ] {
        let response = client.get(&target)?;
        expect_status(&response, 200, &target)?;
        let lists = response.json();
        ensure(included_titles(&lists, "todos") == expected, || {
            format!("{target}: {lists}")
        })?;
        // A list without todos has an empty array; no image is included unless asked.
        ensure(
            lists[2]["todos"] == json!([]) && lists[0].get("image").is_none(),
            || format!("{target}: {lists}"),
        )?;
    }
    // Two relations at once; a list without an image has none.
    let both = client.get("/todo-lists?filter[include][]=todos&filter[include][]=image")?;
    expect_status(&both, 200, "two inclusions")?;
    let lists = both.json();
    ensure(
        lists[0]["image"]["value"] == "png"
            && lists[1].get("image").is_none()
            && lists[1]["todos"].as_array().is_some_and(|t| t.len() == 1),
        || format!("todos and image: {lists}"),
    )?;
    // Find by id and the other side of the relation.
    let one = client.get(&format!("/todo-lists/{home}?filter[include][]=todos"))?;
    expect_status(&one, 200, "find by id")?;
    ensure(titles(&one.json()["todos"]) == ["a", "b", "c"], || {
        format!("find by id with todos: {}", one.text())
    })?;
    let todos = client.get("/todos?filter[include][0][relation]=todoList")?;
    expect_status(&todos, 200, "todos with their list")?;
    let todos_json = todos.json();
    let list_titles: Vec<&str> = todos_json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["todoList"]["title"].as_str())
        .collect();
    ensure(list_titles == ["home", "home", "home", "work"], || {
        format!("belongs-to included: {}", todos.text())
    })
}

fn include_scopes_nest_and_filter(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    let scoped = |filter: &str| -> Result<Json, String> {
        let target = format!("/todo-lists?filter={}", encode(filter));
        let response = client.get(&target)?;
        expect_status(&response, 200, filter)?;
        Ok(response.json())
    };
    // where, order, limit and fields of a scope, per list (the key the relation relates by is
    // always selected).
    let lists = scoped(
        r#"{"include":[{"relation":"todos","scope":{"where":{"isComplete":false},"order":["title DESC"],"limit":1,"fields":["title"]}}]}"#,
    )?;
    ensure(
        lists[0]["todos"] == json!([{"title": "c", "todoListId": home}])
            && lists[1]["todos"] == json!([]),
        || format!("a scope: {lists}"),
    )?;
    // The same scope in the bracket form.
    let bracket = client.get(
        "/todo-lists?filter[include][0][relation]=todos&filter[include][0][scope][where][title]=b&filter[include][0][scope][fields][0]=title",
    )?;
    expect_status(&bracket, 200, "a bracket scope")?;
    ensure(
        bracket.json()[0]["todos"] == json!([{"title": "b", "todoListId": home}]),
        || format!("a bracket scope: {}", bracket.text()),
    )?;
    // Nested: each todo with its list.
    let nested = scoped(
        r#"{"where":{"title":"home"},"include":[{"relation":"todos","scope":{"limit":1,"include":["todoList"]}}]}"#,
    )?;
    ensure(
        nested
            == json!([{"id": home, "title": "home", "todos": [
                {"id": 1, "title": "a", "isComplete": false, "todoListId": home,
                 "todoList": {"id": home, "title": "home"}}
            ]}]),
        || format!("a nested inclusion: {nested}"),
    )?;
    // The parent's fields may leave out the key inclusion needs.
    let fields = scoped(r#"{"fields":["title"],"include":["todos"],"limit":1}"#)?;
    ensure(titles(&fields[0]["todos"]) == ["a", "b", "c"], || {
        format!("fields without the key: {fields}")
    })
}

fn include_scope_limits_survive_page_capping(ctx: &mut Ctx) -> Outcome {
    let small_pages = ctx.start_app(&HttpSettings {
        max_page_size: 2,
        ..HttpSettings::default()
    })?;
    let client = small_pages.client;
    let mut lists = Vec::new();
    for l in 0..3 {
        let id = list(&client, &format!("list {l}"))?;
        for t in 0..3 {
            todo_in(&client, id, json!({"title": format!("todo {l}.{t}")}))?;
        }
        lists.push(id);
    }
    let sizes = |filter: &str| -> Result<Vec<usize>, String> {
        let response = client.get(&format!("/todo-lists?filter={}", encode(filter)))?;
        expect_status(&response, 200, filter)?;
        Ok(response
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| l["todos"].as_array().map_or(usize::MAX, Vec::len))
            .collect())
    };
    // The page size bounds the lists; each list's todos follow the scope.
    ensure(sizes(r#"{"include":["todos"]}"#)? == [3, 3], || {
        "no scope limit".into()
    })?;
    ensure(
        sizes(r#"{"include":[{"relation":"todos","scope":{"limit":1}}]}"#)? == [1, 1],
        || "a scope limit of 1 per list".into(),
    )?;
    ensure(
        sizes(r#"{"limit":10,"include":[{"relation":"todos","scope":{"limit":3,"skip":1}}]}"#)?
            == [2, 2],
        || "a scope skip per list".into(),
    )?;
    // The relation route is paged like the CRUD routes.
    let target = format!("/todo-lists/{}/todos", lists[0]);
    ensure(get_titles(&client, &target)?.len() == 2, || {
        "the page size applies".into()
    })?;
    ensure(
        get_titles(&client, &format!("{target}?filter[limit]=5"))?.len() == 2,
        || "a larger limit is capped".into(),
    )?;
    ensure(
        get_titles(&client, &format!("{target}?filter[skip]=2"))? == ["todo 0.2"],
        || "the last page".into(),
    )
}

fn invalid_includes_are_400_with_details(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let bad = |filter: &str, path: &str| -> Outcome {
        let target = format!("/todo-lists?filter={}", encode(filter));
        expect_bad_parameter(&client.get(&target)?, "filter", path, filter)
    };
    bad(r#"{"include":["nope"]}"#, "/filter/include/0")?;
    // A problem inside a scope is reported inside it. (The JSON parser records the absolute
    // path of a scope's conditions, which the checker prefixes once more: until the domain
    // records scope-relative paths, the detail reads /filter/include/0/scope/include/0/scope/…,
    // so only its start and end are checked here.)
    let scoped = client.get(&format!(
        "/todo-lists?filter={}",
        encode(r#"{"include":[{"relation":"todos","scope":{"where":{"nope":1}}}]}"#)
    ))?;
    let error = expect_error(&scoped, 400, "INVALID_PARAMETER_VALUE", "a bad scope")?;
    let path = error["details"][0]["path"].as_str().unwrap_or_default();
    ensure(
        path.starts_with("/filter/include/0/scope/") && path.ends_with("/where/nope"),
        || format!("a bad scope: {error}"),
    )?;
    bad(
        r#"{"include":[{"relation":"todos","scope":{"include":["image"]}}]}"#,
        "/filter/include/0/scope/include/0",
    )?;
    bad(
        r#"{"include":[{"relation":"todos","extra":1}]}"#,
        "/filter/include/0/extra",
    )?;
    bad(r#"{"include":["todos","todos"]}"#, "/filter/include/1")?;
    expect_bad_parameter(
        &client.get("/todo-lists?filter[include][0][relation]=nope")?,
        "filter",
        "/filter/include/0",
        "bracket form",
    )?;
    expect_bad_parameter(
        &client.get("/todo-lists/1?filter[include][]=nope")?,
        "filter",
        "/filter/include/0",
        "find by id",
    )
}

fn navigational_properties_in_bodies_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    let todo = 1;
    let refused = |method: &str, target: &str, body: Json, property: &str| -> Outcome {
        let response = client.json(method, target, &body)?;
        expect_invalid_body(
            &response,
            &format!(
                "Navigational properties are not allowed in model data (model \"{}\" property \"{property}\")",
                if property == "todoList" {
                    "Todo"
                } else {
                    "TodoList"
                }
            ),
            &format!("{method} {target}"),
        )
    };
    refused(
        "POST",
        "/todo-lists",
        json!({"title": "x", "todos": [{"title": "y"}]}),
        "todos",
    )?;
    refused(
        "PATCH",
        &format!("/todo-lists/{home}"),
        json!({"image": {"value": "png"}}),
        "image",
    )?;
    refused(
        "PUT",
        &format!("/todo-lists/{home}"),
        json!({"title": "x", "todos": []}),
        "todos",
    )?;
    refused("PATCH", "/todo-lists", json!({"todos": []}), "todos")?;
    refused(
        "POST",
        "/todos",
        json!({"title": "x", "todoList": {"title": "y"}}),
        "todoList",
    )?;
    refused(
        "PATCH",
        &format!("/todos/{todo}"),
        json!({"todoList": null}),
        "todoList",
    )?;
    refused(
        "POST",
        &format!("/todo-lists/{home}/todos"),
        json!({"title": "x", "todoList": {"title": "y"}}),
        "todoList",
    )?;
    refused(
        "PATCH",
        &format!("/todo-lists/{home}/todos"),
        json!({"todoList": {}}),
        "todoList",
    )?;
    // Body problems are still reported first, every one of them.
    let both = client.json("POST", "/todo-lists", &json!({"todos": [], "color": 1}))?;
    expect_error(&both, 422, "VALIDATION_FAILED", "invalid and navigational")?;
    ensure(count(&client, "/todo-lists/count")? == 2, || {
        "no list created".into()
    })?;
    ensure(count(&client, "/todos/count")? == 4, || {
        "no todo created".into()
    })?;
    expect_json(
        &client.get(&format!("/todo-lists/{home}"))?,
        &json!({"id": home, "title": "home"}),
        "the list unchanged",
    )
}

fn read_only_keeps_only_reading_relation_routes(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    post(
        &client,
        &format!("/todo-lists/{home}/image"),
        json!({"value": "png"}),
    )?;
    let read_only = ctx.start_app(&HttpSettings {
        read_only: true,
        ..HttpSettings::default()
    })?;
    let reader = read_only.client;
    ensure(
        get_titles(&reader, &format!("/todo-lists/{home}/todos"))? == ["a", "b", "c"],
        || "reading todos".into(),
    )?;
    expect_status(
        &reader.get(&format!("/todo-lists/{home}/image"))?,
        200,
        "the image",
    )?;
    expect_status(&reader.get("/todos/1/todo-list")?, 200, "the list")?;
    for (method, target) in [
        ("POST", format!("/todo-lists/{home}/todos")),
        ("PATCH", format!("/todo-lists/{home}/todos")),
        ("DELETE", format!("/todo-lists/{home}/todos")),
        ("POST", format!("/todo-lists/{home}/image")),
        ("PATCH", format!("/todo-lists/{home}/image")),
        ("DELETE", format!("/todo-lists/{home}/image")),
    ] {
        expect_error(
            &reader.json(method, &target, &json!({"title": "x", "value": "x"}))?,
            404,
            "ENDPOINT_NOT_FOUND",
            &format!("{method} {target}"),
        )?;
    }
    ensure(count(&client, "/todos/count")? == 4, || {
        "nothing changed".into()
    })
}

fn openapi_documents_relations_and_include(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let spec = client.get("/openapi.json")?;
    expect_status(&spec, 200, "openapi.json")?;
    let spec = spec.json();
    let operations: Vec<(String, String, String)> = spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(method, op)| {
                    (
                        path.clone(),
                        method.clone(),
                        op["operationId"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        })
        .collect();
    for (path, method, id) in [
        (
            "/todo-lists/{id}/todos",
            "get",
            "TodoListTodoController.find",
        ),
        (
            "/todo-lists/{id}/todos",
            "post",
            "TodoListTodoController.create",
        ),
        (
            "/todo-lists/{id}/todos",
            "patch",
            "TodoListTodoController.patch",
        ),
        (
            "/todo-lists/{id}/todos",
            "delete",
            "TodoListTodoController.delete",
        ),
        (
            "/todo-lists/{id}/image",
            "get",
            "TodoListTodoListImageController.get",
        ),
        (
            "/todo-lists/{id}/image",
            "post",
            "TodoListTodoListImageController.create",
        ),
        (
            "/todo-lists/{id}/image",
            "patch",
            "TodoListTodoListImageController.patch",
        ),
        (
            "/todo-lists/{id}/image",
            "delete",
            "TodoListTodoListImageController.delete",
        ),
        (
            "/todos/{id}/todo-list",
            "get",
            "TodoTodoListController.getTodoList",
        ),
        ("/todo-lists", "get", "TodoListController.find"),
        ("/todos/{id}", "get", "TodoController.findById"),
        ("/ping", "get", "PingController.ping"),
    ] {
        let wanted = (path.to_owned(), method.to_owned(), id.to_owned());
        ensure(operations.contains(&wanted), || {
            format!("{wanted:?} missing")
        })?;
    }
    ensure(
        !operations
            .iter()
            .any(|(path, method, _)| path == "/todos/{id}/todo-list" && method != "get"),
        || "belongs-to is read-only".into(),
    )?;
    let schemas = &spec["components"]["schemas"];
    let include = &schemas["TodoList.Filter"]["properties"]["include"];
    ensure(
        include["items"]["anyOf"][0]["enum"] == json!(["todos", "image"]),
        || format!("the include enum: {include}"),
    )?;
    ensure(
        schemas["Todo.Filter"]["properties"]["include"]["items"]["anyOf"][0]["enum"]
            == json!(["todoList"]),
        || "the todos' include enum".into(),
    )?;
    let with = &schemas["TodoListWithRelations"]["properties"];
    ensure(
        with["todos"]["items"]["$ref"] == "#/components/schemas/TodoWithRelations"
            && with["image"]["$ref"] == "#/components/schemas/TodoListImageWithRelations",
        || format!("TodoListWithRelations: {with}"),
    )?;
    ensure(
        spec["paths"]["/todo-lists"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["items"]["$ref"]
            == "#/components/schemas/TodoListWithRelations",
        || "lists are answered with their relations".into(),
    )?;
    let new_todo = &schemas["NewTodoInTodoList"];
    ensure(
        new_todo["required"] == json!(["title"])
            && new_todo["properties"].get("id").is_none()
            && new_todo["properties"]["todoListId"].is_object(),
        || format!("NewTodoInTodoList: {new_todo}"),
    )?;
    ensure(
        spec["paths"]["/todo-lists/{id}/todos"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            == "#/components/schemas/NewTodoInTodoList",
        || "the create body".into(),
    )?;
    let page = client.get("/explorer")?;
    expect_status(&page, 200, "explorer")?;
    ensure(page.text().contains("TodoListTodoController"), || {
        "the explorer embeds the relation routes".into()
    })
}

fn ping_answers(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let response = client.get("/ping")?;
    expect_status(&response, 200, "ping")?;
    ensure(response.json()["greeting"].is_string(), || {
        format!("greeting: {}", response.text())
    })
}
