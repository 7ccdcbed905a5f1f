//! `include` in every `GET` filter: both encodings, scopes, nesting, paging and errors.

use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::cases::relations::{folder, note_in, seed};
use crate::models::Settings;
use crate::support::checks::*;

/// The titles of each list's included notes, by list title.
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

pub fn include_works_in_both_filter_encodings(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    folder(&client, "empty")?;
    post(
        &client,
        &format!("/folders/{home}/cover"),
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
        format!("/folders?filter={}", encode(r#"{"include":["notes"]}"#)),
        format!(
            "/folders?filter={}",
            encode(r#"{"include":[{"relation":"notes"}]}"#)
        ),
        "/folders?filter[include][0][relation]=notes".to_owned(),
        "/folders?filter[include][]=notes".to_owned(),
        "/folders?filter[include]=notes".to_owned(),
    ] {
        let response = client.get(&target)?;
        expect_status(&response, 200, &target)?;
        let lists = response.json();
        ensure(included_titles(&lists, "notes") == expected, || {
            format!("{target}: {lists}")
        })?;
        // A list without notes has an empty array; no cover is included unless asked.
        ensure(
            lists[2]["notes"] == json!([]) && lists[0].get("cover").is_none(),
            || format!("{target}: {lists}"),
        )?;
    }
    // Two relations at once; a list without an cover has none.
    let both = client.get("/folders?filter[include][]=notes&filter[include][]=cover")?;
    expect_status(&both, 200, "two inclusions")?;
    let lists = both.json();
    ensure(
        lists[0]["cover"]["value"] == "png"
            && lists[1].get("cover").is_none()
            && lists[1]["notes"].as_array().is_some_and(|t| t.len() == 1),
        || format!("notes and cover: {lists}"),
    )?;
    // Find by id and the other side of the relation.
    let one = client.get(&format!("/folders/{home}?filter[include][]=notes"))?;
    expect_status(&one, 200, "find by id")?;
    ensure(titles(&one.json()["notes"]) == ["a", "b", "c"], || {
        format!("find by id with notes: {}", one.text())
    })?;
    let notes = client.get("/notes?filter[include][0][relation]=folder")?;
    expect_status(&notes, 200, "notes with their list")?;
    let notes_json = notes.json();
    let list_titles: Vec<&str> = notes_json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["folder"]["title"].as_str())
        .collect();
    ensure(list_titles == ["home", "home", "home", "work"], || {
        format!("belongs-to included: {}", notes.text())
    })
}

pub fn include_scopes_nest_and_filter(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let (home, _work) = seed(&client)?;
    let scoped = |filter: &str| -> Result<Json, String> {
        let target = format!("/folders?filter={}", encode(filter));
        let response = client.get(&target)?;
        expect_status(&response, 200, filter)?;
        Ok(response.json())
    };
    // where, order, limit and fields of a scope, per list (the key the relation relates by is
    // always selected).
    let lists = scoped(
        r#"{"include":[{"relation":"notes","scope":{"where":{"done":false},"order":["title DESC"],"limit":1,"fields":["title"]}}]}"#,
    )?;
    ensure(
        lists[0]["notes"] == json!([{"title": "c", "folderId": home}])
            && lists[1]["notes"] == json!([]),
        || format!("a scope: {lists}"),
    )?;
    // The same scope in the bracket form.
    let bracket = client.get(
        "/folders?filter[include][0][relation]=notes&filter[include][0][scope][where][title]=b&filter[include][0][scope][fields][0]=title",
    )?;
    expect_status(&bracket, 200, "a bracket scope")?;
    ensure(
        bracket.json()[0]["notes"] == json!([{"title": "b", "folderId": home}]),
        || format!("a bracket scope: {}", bracket.text()),
    )?;
    // Nested: each todo with its list.
    let nested = scoped(
        r#"{"where":{"title":"home"},"include":[{"relation":"notes","scope":{"limit":1,"include":["folder"]}}]}"#,
    )?;
    ensure(
        nested
            == json!([{"id": home, "title": "home", "notes": [
                {"id": 1, "title": "a", "done": false, "folderId": home,
                 "folder": {"id": home, "title": "home"}}
            ]}]),
        || format!("a nested inclusion: {nested}"),
    )?;
    // The parent's fields may leave out the key inclusion needs.
    let fields = scoped(r#"{"fields":["title"],"include":["notes"],"limit":1}"#)?;
    ensure(titles(&fields[0]["notes"]) == ["a", "b", "c"], || {
        format!("fields without the key: {fields}")
    })
}

pub fn include_scope_limits_survive_page_capping(ctx: &mut Ctx) -> Outcome {
    let small_pages = ctx.start_app(&Settings {
        max_page_size: 2,
        ..Settings::default()
    })?;
    let client = small_pages.client;
    let mut lists = Vec::new();
    for l in 0..3 {
        let id = folder(&client, &format!("list {l}"))?;
        for t in 0..3 {
            note_in(&client, id, json!({"title": format!("todo {l}.{t}")}))?;
        }
        lists.push(id);
    }
    let sizes = |filter: &str| -> Result<Vec<usize>, String> {
        let response = client.get(&format!("/folders?filter={}", encode(filter)))?;
        expect_status(&response, 200, filter)?;
        Ok(response
            .json()
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| l["notes"].as_array().map_or(usize::MAX, Vec::len))
            .collect())
    };
    // The page size bounds the lists; each list's notes follow the scope.
    ensure(sizes(r#"{"include":["notes"]}"#)? == [3, 3], || {
        "no scope limit".into()
    })?;
    ensure(
        sizes(r#"{"include":[{"relation":"notes","scope":{"limit":1}}]}"#)? == [1, 1],
        || "a scope limit of 1 per list".into(),
    )?;
    ensure(
        sizes(r#"{"limit":10,"include":[{"relation":"notes","scope":{"limit":3,"skip":1}}]}"#)?
            == [2, 2],
        || "a scope skip per list".into(),
    )?;
    // The relation route is paged like the CRUD routes.
    let target = format!("/folders/{}/notes", lists[0]);
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

pub fn invalid_includes_are_400_with_details(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    seed(&client)?;
    let bad = |filter: &str, path: &str| -> Outcome {
        let target = format!("/folders?filter={}", encode(filter));
        expect_bad_parameter(&client.get(&target)?, "filter", path, filter)
    };
    bad(r#"{"include":["nope"]}"#, "/filter/include/0")?;
    // A problem inside a scope is reported inside it. (The JSON parser records the absolute
    // path of a scope's conditions, which the checker prefixes once more: until the domain
    // records scope-relative paths, the detail reads /filter/include/0/scope/include/0/scope/…,
    // so only its start and end are checked here.)
    let scoped = client.get(&format!(
        "/folders?filter={}",
        encode(r#"{"include":[{"relation":"notes","scope":{"where":{"nope":1}}}]}"#)
    ))?;
    let error = expect_error(&scoped, 400, "INVALID_PARAMETER_VALUE", "a bad scope")?;
    let path = error["details"][0]["path"].as_str().unwrap_or_default();
    ensure(
        path.starts_with("/filter/include/0/scope/") && path.ends_with("/where/nope"),
        || format!("a bad scope: {error}"),
    )?;
    bad(
        r#"{"include":[{"relation":"notes","scope":{"include":["cover"]}}]}"#,
        "/filter/include/0/scope/include/0",
    )?;
    bad(
        r#"{"include":[{"relation":"notes","extra":1}]}"#,
        "/filter/include/0/extra",
    )?;
    // A relation included again is dropped, not refused (the first inclusion decides).
    let twice = client.get(&format!(
        "/folders?filter={}",
        encode(r#"{"include":["notes",{"relation":"notes","scope":{"limit":1}}]}"#)
    ))?;
    expect_status(&twice, 200, "a relation included twice")?;
    expect_bad_parameter(
        &client.get("/folders?filter[include][0][relation]=nope")?,
        "filter",
        "/filter/include/0",
        "bracket form",
    )?;
    expect_bad_parameter(
        &client.get("/folders/1?filter[include][]=nope")?,
        "filter",
        "/filter/include/0",
        "find by id",
    )
}
