//! What the API publishes and how browsers may call it: the OpenAPI document (JSON and YAML),
//! the explorer, CORS, and an extra documented route.

use serde_json::json;

use portico_http::CorsPolicy;

use crate::Ctx;
use crate::models::Settings;
use crate::support::checks::*;
use crate::support::client::Body;

pub fn cors_allows_any_origin_by_default(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let origin = [("Origin", "https://elsewhere.example")];
    let response = client.send("GET", "/notes", &origin, Body::None)?;
    expect_status(&response, 200, "CORS get")?;
    ensure(
        response.header("access-control-allow-origin") == Some("https://elsewhere.example"),
        || format!("no CORS header: {:?}", response.headers),
    )?;
    ensure(
        response.header("access-control-expose-headers")
            == Some("ETag, WWW-Authenticate, Retry-After"),
        || format!("exposed: {:?}", response.headers),
    )?;
    let error = client.send("GET", "/notes/99", &origin, Body::None)?;
    ensure(
        error.header("access-control-allow-origin").is_some(),
        || "error responses lack CORS headers".into(),
    )?;
    let preflight = client.send(
        "OPTIONS",
        "/notes",
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

pub fn cors_can_be_restricted(ctx: &mut Ctx) -> Outcome {
    let restricted = ctx.start_app(&Settings {
        cors: CorsPolicy::Origins(vec!["https://app.example".into()]),
        ..Settings::default()
    })?;
    let client = restricted.client;
    let allowed = client.send(
        "GET",
        "/notes",
        &[("Origin", "https://app.example")],
        Body::None,
    )?;
    ensure(
        allowed.header("access-control-allow-origin") == Some("https://app.example"),
        || format!("allowed origin: {:?}", allowed.headers),
    )?;
    let refused = client.send(
        "GET",
        "/notes",
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

pub fn openapi_and_explorer_are_served(ctx: &mut Ctx) -> Outcome {
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
        "NoteController.create",
        "NoteController.count",
        "NoteController.find",
        "NoteController.updateAll",
        "NoteController.findById",
        "NoteController.updateById",
        "NoteController.replaceById",
        "NoteController.deleteById",
        "HelloController.hello",
    ] {
        ensure(operation_ids.contains(&id), || format!("{id} missing"))?;
    }
    let yaml = client.get("/openapi.yaml")?;
    expect_status(&yaml, 200, "openapi.yaml")?;
    ensure(
        yaml.text().contains("operationId: NoteController.create"),
        || "YAML lacks the operations".into(),
    )?;
    for target in ["/explorer", "/explorer/"] {
        let page = client.get(target)?;
        expect_status(&page, 200, target)?;
        ensure(
            page.text().contains("SwaggerUIBundle") && page.text().contains("NoteController"),
            || format!("{target} is not the explorer"),
        )?;
    }
    Ok(())
}

pub fn openapi_documents_relations_and_include(ctx: &mut Ctx) -> Outcome {
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
        ("/folders/{id}/notes", "get", "FolderNoteController.find"),
        ("/folders/{id}/notes", "post", "FolderNoteController.create"),
        ("/folders/{id}/notes", "patch", "FolderNoteController.patch"),
        (
            "/folders/{id}/notes",
            "delete",
            "FolderNoteController.delete",
        ),
        ("/folders/{id}/cover", "get", "FolderCoverController.get"),
        (
            "/folders/{id}/cover",
            "post",
            "FolderCoverController.create",
        ),
        (
            "/folders/{id}/cover",
            "patch",
            "FolderCoverController.patch",
        ),
        (
            "/folders/{id}/cover",
            "delete",
            "FolderCoverController.delete",
        ),
        (
            "/notes/{id}/folder",
            "get",
            "NoteFolderController.getFolder",
        ),
        ("/folders", "get", "FolderController.find"),
        ("/notes/{id}", "get", "NoteController.findById"),
        ("/hello", "get", "HelloController.hello"),
    ] {
        let wanted = (path.to_owned(), method.to_owned(), id.to_owned());
        ensure(operations.contains(&wanted), || {
            format!("{wanted:?} missing")
        })?;
    }
    ensure(
        !operations
            .iter()
            .any(|(path, method, _)| path == "/notes/{id}/folder" && method != "get"),
        || "belongs-to is read-only".into(),
    )?;
    let schemas = &spec["components"]["schemas"];
    // Every filter key may be null (read as absent): the schema is the first alternative.
    let include = &schemas["Folder.Filter"]["properties"]["include"]["oneOf"][0];
    ensure(
        include["items"]["anyOf"][0]["enum"] == json!(["notes", "cover"]),
        || format!("the include enum: {include}"),
    )?;
    ensure(
        schemas["Note.Filter"]["properties"]["include"]["oneOf"][0]["items"]["anyOf"][0]["enum"]
            == json!(["folder"]),
        || "the notes' include enum".into(),
    )?;
    let with = &schemas["FolderWithRelations"]["properties"];
    ensure(
        with["notes"]["items"]["$ref"] == "#/components/schemas/NoteWithRelations"
            && with["cover"]["$ref"] == "#/components/schemas/CoverWithRelations",
        || format!("FolderWithRelations: {with}"),
    )?;
    ensure(
        spec["paths"]["/folders"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["items"]["$ref"]
            == "#/components/schemas/FolderWithRelations",
        || "lists are answered with their relations".into(),
    )?;
    let new_todo = &schemas["NewNoteInFolder"];
    ensure(
        new_todo["required"] == json!(["title"])
            && new_todo["properties"].get("id").is_none()
            && new_todo["properties"]["folderId"].is_object(),
        || format!("NewNoteInFolder: {new_todo}"),
    )?;
    ensure(
        spec["paths"]["/folders/{id}/notes"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            == "#/components/schemas/NewNoteInFolder",
        || "the create body".into(),
    )?;
    let page = client.get("/explorer")?;
    expect_status(&page, 200, "explorer")?;
    ensure(page.text().contains("FolderNoteController"), || {
        "the explorer embeds the relation routes".into()
    })
}

/// A route of the app's own (`RestApi::route`) is served with the API's envelope and CORS, and
/// its path item is published.
pub fn extra_routes_are_served_and_documented(ctx: &mut Ctx) -> Outcome {
    let client = ctx.app()?;
    let origin = [("Origin", "https://elsewhere.example")];
    let hello = client.send("GET", "/hello?x=1", &origin, Body::None)?;
    expect_json(&hello, &json!({"greeting": "hello"}), "GET /hello")?;
    ensure(
        hello.header("access-control-allow-origin") == Some("https://elsewhere.example"),
        || format!("no CORS header on an extra route: {:?}", hello.headers),
    )?;
    expect_not_allowed(
        &client.send("POST", "/hello", &[], Body::None)?,
        "GET, HEAD, OPTIONS",
        "POST /hello",
    )?;
    let spec = client.get("/openapi.json")?.json();
    ensure(
        spec["paths"]["/hello"]["get"]["operationId"] == "HelloController.hello"
            && spec["paths"]["/hello"].get("post").is_none(),
        || format!("/hello in the document: {}", spec["paths"]["/hello"]),
    )
}
