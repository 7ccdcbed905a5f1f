//! The routes `lb4 relation` generates, seen from a client: has many (`/folders/{id}/notes`),
//! has one (`/folders/{id}/cover`) and belongs to (`/notes/{id}/folder`).

use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::models::Settings;
use crate::support::checks::*;
use crate::support::client::Client;

/// A created list's id.
pub fn folder(client: &Client, title: &str) -> Result<i64, String> {
    id_of(&post(client, "/folders", json!({"title": title}))?)
}

/// A created todo's id, in list `list` through the relation route.
pub fn note_in(client: &Client, list: i64, body: Json) -> Result<i64, String> {
    id_of(&post(client, &format!("/folders/{list}/notes"), body)?)
}

/// Two lists: `home` with notes a (open), b (done), c (open); `work` with d (done). Returns
/// their ids.
pub fn seed(client: &Client) -> Result<(i64, i64), String> {
    let home = folder(client, "home")?;
    let work = folder(client, "work")?;
    for (title, done) in [("a", false), ("b", true), ("c", false)] {
        note_in(client, home, json!({"title": title, "done": done}))?;
    }
    note_in(client, work, json!({"title": "d", "done": true}))?;
    Ok((home, work))
}

pub fn crud_routes_serve_both_models(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let created = post(
        &client,
        "/folders",
        json!({"title": "home", "color": "red"}),
    )?;
    let home = id_of(&created)?;
    expect_json(
        &client.get(&format!("/folders/{home}"))?,
        &json!({"id": home, "title": "home", "color": "red"}),
        "find a list by id",
    )?;
    let todo = id_of(&post(
        &client,
        "/notes",
        json!({"title": "buy milk", "folderId": home}),
    )?)?;
    expect_json(
        &client.get(&format!("/notes/{todo}"))?,
        &json!({"id": todo, "title": "buy milk", "folderId": home}),
        "find a todo by id",
    )?;
    let patched = client.json(
        "PATCH",
        &format!("/folders/{home}"),
        &json!({"color": "blue"}),
    )?;
    expect_status(&patched, 204, "patch a list")?;
    let replaced = client.json(
        "PUT",
        &format!("/notes/{todo}"),
        &json!({"title": "oat milk", "folderId": home, "done": true}),
    )?;
    expect_status(&replaced, 204, "replace a todo")?;
    expect_json(
        &client.get(&format!("/folders/{home}/notes"))?,
        &json!([{"id": todo, "title": "oat milk", "done": true, "folderId": home}]),
        "the replaced todo, through the relation",
    )?;
    ensure(
        count(&client, "/folders/count?where[color]=blue")? == 1,
        || "the patched list".into(),
    )?;
    expect_status(
        &client.delete(&format!("/notes/{todo}"))?,
        204,
        "delete a todo",
    )?;
    ensure(count(&client, "/notes/count")? == 0, || "deleted".into())
}

pub fn has_many_create_sets_the_key(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = folder(&client, "home")?;
    let target = format!("/folders/{home}/notes");
    let created = post(
        &client,
        &target,
        json!({"title": "buy milk", "body": "2 l"}),
    )?;
    let first = id_of(&created)?;
    ensure(
        created == json!({"id": first, "title": "buy milk", "body": "2 l", "folderId": home}),
        || format!("created without the key: {created}"),
    )?;
    // The key may be given, with the list's value.
    let again = post(&client, &target, json!({"title": "walk", "folderId": home}))?;
    ensure(again["folderId"] == json!(home), || {
        format!("the key given: {again}")
    })?;
    // What was created is stored, in the list.
    expect_json(
        &client.get(&format!("/notes/{first}"))?,
        &json!({"id": first, "title": "buy milk", "body": "2 l", "folderId": home}),
        "stored",
    )?;
    ensure(
        count(&client, &format!("/notes/count?where[folderId]={home}"))? == 2,
        || "two notes in the list".into(),
    )
}

pub fn has_many_create_refuses_a_changed_key_bad_bodies_and_missing_folders(
    ctx: &mut Ctx,
) -> Outcome {
    let client = ctx.app()?;
    let home = folder(&client, "home")?;
    let work = folder(&client, "work")?;
    let target = format!("/folders/{home}/notes");
    // Another list's key: LoopBack answers 500; this is the client's mistake.
    let changed = client.json("POST", &target, &json!({"title": "x", "folderId": work}))?;
    expect_invalid_body(
        &changed,
        "Property \"folderId\" cannot be changed!",
        "another list's key",
    )?;
    // A list that does not exist: 404 (LoopBack would create an orphan).
    let missing = client.json("POST", "/folders/999/notes", &json!({"title": "x"}))?;
    let error = expect_error(&missing, 404, "ENTITY_NOT_FOUND", "a missing list")?;
    ensure(
        error["message"] == "Entity not found: Folder with id 999",
        || format!("message: {error}"),
    )?;
    // The body is checked as `NewNoteInFolder`: no id, a title, the key optional.
    let invalid = client.json("POST", &target, &json!({"id": 7, "done": "no"}))?;
    let error = expect_error(&invalid, 422, "VALIDATION_FAILED", "an invalid body")?;
    let details = error["details"].as_array().cloned().unwrap_or_default();
    for expected in [
        json!({"path": "", "code": "required", "message": "must have required property 'title'", "info": {"missingProperty": "title"}}),
        json!({"path": "/done", "code": "type", "message": "must be boolean", "info": {"type": "boolean"}}),
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
        &client.json("POST", "/folders/abc/notes", &json!({"title": "x"}))?,
        "id",
        "/id",
        "a path id that is no integer",
    )?;
    ensure(count(&client, "/notes/count")? == 0, || {
        "nothing was created".into()
    })
}

pub fn has_many_find_filters_within_the_folder(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/folders/{home}/notes");
    let all = client.get(&target)?;
    expect_status(&all, 200, "the list's notes")?;
    ensure(titles(&all.json()) == ["a", "b", "c"], || {
        format!("in id order, only the list's: {}", all.text())
    })?;
    ensure(
        all.json()
            .as_array()
            .is_some_and(|items| items.iter().all(|t| t["folderId"] == json!(home))),
        || format!("every todo carries the key: {}", all.text()),
    )?;
    ensure(
        get_titles(&client, &format!("/folders/{work}/notes"))? == ["d"],
        || "the other list's".into(),
    )?;
    // Both encodings of one filter.
    let json_form = format!(
        "{target}?filter={}",
        encode(r#"{"where":{"done":false},"order":"title DESC"}"#)
    );
    let bracket_form = format!("{target}?filter[where][done]=false&filter[order][0]=title%20DESC");
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
    // The list's notes with their list.
    let with_list = client.get(&format!(
        "{target}?filter[include][]=folder&filter[limit]=1"
    ))?;
    let first = with_list.json()[0].clone();
    ensure(
        first["folder"] == json!({"id": home, "title": "home"}),
        || format!("include in a relation GET: {}", with_list.text()),
    )?;
    // An unknown list has no notes (as in LoopBack).
    expect_json(
        &client.get("/folders/999/notes")?,
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
        &client.get(&format!("{target}?filter[include][]=cover"))?,
        "filter",
        "/filter/include/0",
        "a relation of the source, not the target",
    )
}

pub fn has_many_patch_counts_within_the_folder(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/folders/{home}/notes");
    let patch = |query: &str, body: Json| client.json("PATCH", &format!("{target}{query}"), &body);
    expect_json(
        &patch("?where[done]=false", json!({"done": true}))?,
        &json!({"count": 2}),
        "bracket where",
    )?;
    expect_json(
        &patch(
            &format!("?where={}", encode(r#"{"title":{"inq":["a","d"]}}"#)),
            json!({"body": "first"}),
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
        &client.get(&format!("/folders/{work}/notes"))?,
        &json!([{"id": 4, "title": "d", "done": true, "folderId": work}]),
        "the other list",
    )?;
    ensure(
        count(&client, "/notes/count?where[body]=first")? == 1,
        || "one body".into(),
    )?;
    // The key may be given unchanged, not changed.
    expect_json(
        &patch("", json!({"folderId": home}))?,
        &json!({"count": 3}),
        "the key unchanged",
    )?;
    expect_invalid_body(
        &patch("", json!({"folderId": work}))?,
        "Property \"folderId\" cannot be changed!",
        "the key changed",
    )?;
    ensure(
        count(&client, &format!("/notes/count?where[folderId]={home}"))? == 3,
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
        &patch("?where[nope]=1", json!({"body": "x"}))?,
        "where",
        "/where/nope",
        "a bad where",
    )?;
    expect_json(
        &client.json("PATCH", "/folders/999/notes", &json!({"body": "x"}))?,
        &json!({"count": 0}),
        "an unknown list",
    )
}

pub fn has_many_delete_counts_within_the_folder(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, work) = seed(&client)?;
    let target = format!("/folders/{home}/notes");
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
        &client.delete(&format!("{target}?where[done][gt]=x"))?,
        "where",
        "/where/done/gt",
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
        get_titles(&client, &format!("/folders/{work}/notes"))? == ["d"],
        || "the other list keeps its todo".into(),
    )?;
    expect_json(
        &client.delete("/folders/999/notes")?,
        &json!({"count": 0}),
        "an unknown list",
    )?;
    ensure(count(&client, "/folders/count")? == 2, || {
        "the lists stay".into()
    })
}

pub fn belongs_to_returns_the_folder_or_404(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = folder(&client, "home")?;
    let todo = note_in(&client, home, json!({"title": "a"}))?;
    let loose = id_of(&post(&client, "/notes", json!({"title": "loose"}))?)?;
    let target = format!("/notes/{todo}/folder");
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
    let with_notes = client.get(&format!(
        "{target}?filter={}",
        encode(r#"{"include":["notes"]}"#)
    ))?;
    expect_json(
        &with_notes,
        &json!({"id": home, "title": "home", "notes": [{"id": todo, "title": "a", "folderId": home}]}),
        "include",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[where][title]=home"))?,
        "filter",
        "/filter/where",
        "a where",
    )?;
    expect_error(
        &client.get(&format!("/notes/{loose}/folder"))?,
        404,
        "ENTITY_NOT_FOUND",
        "a todo in no list",
    )?;
    let error = expect_error(
        &client.get("/notes/999/folder")?,
        404,
        "ENTITY_NOT_FOUND",
        "an unknown todo",
    )?;
    ensure(
        error["message"] == "Entity not found: Note with id 999",
        || format!("message: {error}"),
    )?;
    // Only GET: the other verbs are 405 with `Allow`.
    for method in ["POST", "PATCH", "DELETE"] {
        expect_not_allowed(
            &client.json(method, &target, &json!({"title": "x"}))?,
            "GET, HEAD, OPTIONS",
            method,
        )?;
    }
    // Relations are weak: a list deleted leaves its notes, which then belong to nothing.
    expect_status(
        &client.delete(&format!("/folders/{home}"))?,
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

pub fn has_one_create_get_patch_delete(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let home = folder(&client, "home")?;
    let work = folder(&client, "work")?;
    let target = format!("/folders/{home}/cover");
    let error = expect_error(
        &client.get(&target)?,
        404,
        "ENTITY_NOT_FOUND",
        "no cover yet",
    )?;
    ensure(
        error["message"] == format!("Entity not found: Cover with id {{\"folderId\":{home}}}"),
        || format!("message: {error}"),
    )?;
    expect_json(
        &client.json("PATCH", &target, &json!({"value": "x"}))?,
        &json!({"count": 0}),
        "patch without an cover",
    )?;
    expect_json(
        &client.delete(&target)?,
        &json!({"count": 0}),
        "delete without an cover",
    )?;
    // Create: the key is set.
    let created = post(&client, &target, json!({"value": "png"}))?;
    let cover = id_of(&created)?;
    ensure(
        created == json!({"id": cover, "value": "png", "folderId": home}),
        || format!("created: {created}"),
    )?;
    // One cover per list: the key is unique.
    expect_error(
        &client.json("POST", &target, &json!({"value": "gif"}))?,
        409,
        "CONFLICT",
        "a second cover",
    )?;
    expect_invalid_body(
        &client.json("POST", &target, &json!({"value": "gif", "folderId": work}))?,
        "Property \"folderId\" cannot be changed!",
        "another list's key",
    )?;
    expect_error(
        &client.json("POST", &target, &json!({}))?,
        422,
        "VALIDATION_FAILED",
        "no value",
    )?;
    expect_error(
        &client.json("POST", "/folders/999/cover", &json!({"value": "png"}))?,
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
        &client.get(&format!("{target}?filter[include][]=folder"))?,
        &json!({"id": cover, "value": "png", "folderId": home, "folder": {"id": home, "title": "home"}}),
        "include",
    )?;
    expect_bad_parameter(
        &client.get(&format!("{target}?filter[where][value]=png"))?,
        "filter",
        "/filter/where",
        "a where",
    )?;
    expect_error(
        &client.get(&format!("/folders/{work}/cover"))?,
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
        &json!({"id": cover, "value": "jpg", "folderId": home}),
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
        &client.json("PATCH", &target, &json!({"folderId": work}))?,
        "Property \"folderId\" cannot be changed!",
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
    // A new cover may be created once the old one is gone.
    post(&client, &target, json!({"value": "svg"}))?;
    ensure(count(&client, "/folders/count")? == 2, || {
        "the lists stay".into()
    })
}

pub fn navigational_properties_in_bodies_are_400(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    let todo = 1;
    let refused = |method: &str, target: &str, body: Json, property: &str| -> Outcome {
        let response = client.json(method, target, &body)?;
        expect_invalid_body(
            &response,
            &format!(
                "Navigational properties are not allowed in model data (model \"{}\" property \"{property}\")",
                if property == "folder" {
                    "Note"
                } else {
                    "Folder"
                }
            ),
            &format!("{method} {target}"),
        )
    };
    refused(
        "POST",
        "/folders",
        json!({"title": "x", "notes": [{"title": "y"}]}),
        "notes",
    )?;
    refused(
        "PATCH",
        &format!("/folders/{home}"),
        json!({"cover": {"value": "png"}}),
        "cover",
    )?;
    refused(
        "PUT",
        &format!("/folders/{home}"),
        json!({"title": "x", "notes": []}),
        "notes",
    )?;
    refused("PATCH", "/folders", json!({"notes": []}), "notes")?;
    refused(
        "POST",
        "/notes",
        json!({"title": "x", "folder": {"title": "y"}}),
        "folder",
    )?;
    refused(
        "PATCH",
        &format!("/notes/{todo}"),
        json!({"folder": null}),
        "folder",
    )?;
    refused(
        "POST",
        &format!("/folders/{home}/notes"),
        json!({"title": "x", "folder": {"title": "y"}}),
        "folder",
    )?;
    refused(
        "PATCH",
        &format!("/folders/{home}/notes"),
        json!({"folder": {}}),
        "folder",
    )?;
    // Body problems are still reported first, every one of them.
    let both = client.json("POST", "/folders", &json!({"notes": [], "color": 1}))?;
    expect_error(&both, 422, "VALIDATION_FAILED", "invalid and navigational")?;
    ensure(count(&client, "/folders/count")? == 2, || {
        "no list created".into()
    })?;
    ensure(count(&client, "/notes/count")? == 4, || {
        "no todo created".into()
    })?;
    expect_json(
        &client.get(&format!("/folders/{home}"))?,
        &json!({"id": home, "title": "home"}),
        "the list unchanged",
    )
}

pub fn read_only_keeps_only_reading_relation_routes(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    post(
        &client,
        &format!("/folders/{home}/cover"),
        json!({"value": "png"}),
    )?;
    let read_only = ctx.start_app(&Settings {
        read_only: true,
        ..Settings::default()
    })?;
    let reader = read_only.client;
    ensure(
        get_titles(&reader, &format!("/folders/{home}/notes"))? == ["a", "b", "c"],
        || "reading notes".into(),
    )?;
    expect_status(
        &reader.get(&format!("/folders/{home}/cover"))?,
        200,
        "the cover",
    )?;
    expect_status(&reader.get("/notes/1/folder")?, 200, "the list")?;
    for (method, target) in [
        ("POST", format!("/folders/{home}/notes")),
        ("PATCH", format!("/folders/{home}/notes")),
        ("DELETE", format!("/folders/{home}/notes")),
        ("POST", format!("/folders/{home}/cover")),
        ("PATCH", format!("/folders/{home}/cover")),
        ("DELETE", format!("/folders/{home}/cover")),
    ] {
        expect_not_allowed(
            &reader.json(method, &target, &json!({"title": "x", "value": "x"}))?,
            "GET, HEAD, OPTIONS",
            &format!("{method} {target}"),
        )?;
    }
    ensure(count(&client, "/notes/count")? == 4, || {
        "nothing changed".into()
    })
}
