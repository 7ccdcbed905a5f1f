//! Policies and ownership over real TCP: tokens verified (a mock principal per token,
//! `testing::StaticTokens`), 401 and 403 in LoopBack's envelope, and records owned by their
//! creators unreachable by anyone else through any route — CRUD, relation routes, `include`,
//! counts and bulk writes.

use std::sync::Arc;

use portico_http::testing::StaticTokens;
use portico_http::{Access, CrudResource, RelationResource, RestApi};
use portico_ports::auth::{AccessRequest, Decision, Voter};
use portico_ports::{Principal, Repository};
use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::models::{Board, Card};
use crate::support::checks::*;
use crate::support::client::{Body, Client, Response};
use crate::support::server::TestServer;

/// `/boards` (any caller reads, administrators write), `/cards` owned by their creators, and
/// `/boards/{id}/cards`.
fn owned_api(ctx: &Ctx) -> Result<TestServer, String> {
    ctx.migrate::<Board>()?;
    ctx.migrate::<Card>()?;
    let boards = Repository::<Board>::new(ctx.store.clone())
        .map_err(|e| e.to_string())?
        .records()
        .clone();
    let cards = Repository::<Card>::new(ctx.store.clone())
        .map_err(|e| e.to_string())?
        .records()
        .clone();
    let tokens = StaticTokens::new()
        .token("alice", Principal::new("alice"))
        .token("bob", Principal::new("bob"))
        .token("root", Principal::new("root").with_roles(["admin"]));
    let endpoint = RestApi::new("boards", "1.0.0")
        .authentication(Arc::new(tokens))
        // A voter: only their owner deletes boards (cards are owned anyway).
        .operation_access("BoardController.deleteById", Access::voter(Only("root")))
        .resource(
            CrudResource::new("/boards", Arc::new(boards.clone()))
                .write_access(Access::roles(["admin"])),
        )
        .resource(CrudResource::new("/cards", Arc::new(cards)).owned_by("ownerId"))
        .relation(RelationResource::new("/boards", boards, "cards"))
        .into_endpoint()
        .map_err(|e| e.to_string())?;
    TestServer::start(endpoint)
}

/// Allows one principal, denies the rest.
struct Only(&'static str);

#[async_trait::async_trait]
impl Voter for Only {
    async fn vote<'a>(&self, request: &AccessRequest<'a>) -> Decision {
        if request.principal.id == self.0 {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

fn call(
    client: &Client,
    who: &str,
    method: &str,
    target: &str,
    body: Option<Json>,
) -> Result<Response, String> {
    let authorization = format!("Bearer {who}");
    let text = body.map(|b| b.to_string());
    let mut headers = vec![("Authorization", authorization.as_str())];
    if text.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let body = text
        .as_deref()
        .map_or(Body::None, |t| Body::Sized(t.as_bytes()));
    client.send(method, target, &headers, body)
}

pub fn policies_answer_401_and_403_in_the_envelope(ctx: &mut Ctx) -> Outcome {
    let server = owned_api(ctx)?;
    let client = server.client;
    let anonymous = client.get("/boards")?;
    let error = expect_error(&anonymous, 401, "AUTHENTICATION_REQUIRED", "no token")?;
    ensure(
        error["message"] == "Authorization header not found.",
        || format!("{error}"),
    )?;
    ensure(
        anonymous.header("www-authenticate") == Some("Bearer"),
        || {
            format!(
                "WWW-Authenticate: {:?}",
                anonymous.header("www-authenticate")
            )
        },
    )?;
    let unknown = call(&client, "mallory", "GET", "/boards", None)?;
    let error = expect_error(&unknown, 401, "INVALID_TOKEN", "unknown token")?;
    ensure(
        error["message"] == "Error verifying token : invalid token",
        || format!("{error}"),
    )?;
    expect_status(
        &call(&client, "alice", "GET", "/boards", None)?,
        200,
        "a reader",
    )?;
    let denied = call(
        &client,
        "alice",
        "POST",
        "/boards",
        Some(json!({"title": "x"})),
    )?;
    let error = expect_error(&denied, 403, "ACCESS_DENIED", "a writer without the role")?;
    ensure(error["message"] == "Access denied", || format!("{error}"))?;
    expect_status(
        &call(
            &client,
            "root",
            "POST",
            "/boards",
            Some(json!({"title": "x"})),
        )?,
        200,
        "an admin",
    )?;
    // The voter's operation: its own access overrules the resource's write role.
    let voted = call(&client, "alice", "DELETE", "/boards/1", None)?;
    expect_error(&voted, 403, "ACCESS_DENIED", "the voter denies")?;
    let allowed = call(&client, "root", "DELETE", "/boards/1", None)?;
    expect_status(&allowed, 204, "the voter allows")?;
    // Preflights and unserved verbs need no token.
    expect_status(
        &client.send("OPTIONS", "/cards", &[], Body::None)?,
        204,
        "OPTIONS",
    )?;
    Ok(())
}

pub fn owned_records_are_unreachable_by_others(ctx: &mut Ctx) -> Outcome {
    let server = owned_api(ctx)?;
    let client = server.client;
    let board = call(
        &client,
        "root",
        "POST",
        "/boards",
        Some(json!({"title": "team"})),
    )?;
    expect_status(&board, 200, "board")?;
    let board = id_of(&board.json())?;
    let mine = call(
        &client,
        "alice",
        "POST",
        &format!("/boards/{board}/cards"),
        Some(json!({"title": "a1"})),
    )?;
    expect_status(&mine, 200, "alice's card through the relation")?;
    ensure(mine.json()["ownerId"] == "alice", || mine.text())?;
    let alices = id_of(&mine.json())?;
    let other = call(
        &client,
        "bob",
        "POST",
        "/cards",
        Some(json!({"title": "b1", "boardId": board, "ownerId": "alice"})),
    )?;
    expect_status(&other, 200, "bob's card")?;
    ensure(other.json()["ownerId"] == "bob", || {
        format!("the owner is the caller: {}", other.text())
    })?;

    let titles_for = |who: &str, target: &str| -> Result<Vec<String>, String> {
        let response = call(&client, who, "GET", target, None)?;
        expect_status(&response, 200, target)?;
        Ok(titles(&response.json()))
    };
    ensure(titles_for("bob", "/cards")? == ["b1"], || {
        "bob lists only his".into()
    })?;
    ensure(
        titles_for("bob", &format!("/boards/{board}/cards"))? == ["b1"],
        || "relation route".into(),
    )?;
    let included = call(
        &client,
        "bob",
        "GET",
        "/boards?filter[include][]=cards",
        None,
    )?;
    expect_status(&included, 200, "include")?;
    ensure(titles(&included.json()[0]["cards"]) == ["b1"], || {
        format!("include: {}", included.text())
    })?;
    let included = call(
        &client,
        "bob",
        "GET",
        &format!("/boards/{board}?filter[include][]=cards"),
        None,
    )?;
    ensure(titles(&included.json()["cards"]) == ["b1"], || {
        format!("include by id: {}", included.text())
    })?;
    let counted = call(&client, "bob", "GET", "/cards/count?where[title]=a1", None)?;
    expect_json(&counted, &json!({"count": 0}), "count")?;
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"title": "x"}))),
        ("PUT", Some(json!({"title": "x"}))),
        ("DELETE", None),
    ] {
        let response = call(&client, "bob", method, &format!("/cards/{alices}"), body)?;
        expect_error(
            &response,
            404,
            "ENTITY_NOT_FOUND",
            &format!("bob {method}s alice's card"),
        )?;
    }
    let patched = call(
        &client,
        "bob",
        "PATCH",
        "/cards",
        Some(json!({"title": "all mine"})),
    )?;
    expect_json(&patched, &json!({"count": 1}), "updateAll")?;
    let patched = call(
        &client,
        "bob",
        "PATCH",
        &format!("/boards/{board}/cards"),
        Some(json!({"title": "all mine"})),
    )?;
    expect_json(&patched, &json!({"count": 1}), "relation patch")?;
    let deleted = call(
        &client,
        "bob",
        "DELETE",
        &format!("/boards/{board}/cards?where[title]=a1"),
        None,
    )?;
    expect_json(&deleted, &json!({"count": 0}), "relation delete")?;
    // Alice's card is untouched and hers.
    let kept = call(&client, "alice", "GET", &format!("/cards/{alices}"), None)?;
    expect_status(&kept, 200, "alice reads hers")?;
    ensure(
        kept.json()["title"] == "a1" && kept.json()["ownerId"] == "alice",
        || kept.text(),
    )?;
    ensure(titles_for("alice", "/cards")? == ["a1"], || {
        "alice lists only hers".into()
    })?;
    // Bob's bulk delete through the relation reaches his own only.
    let deleted = call(
        &client,
        "bob",
        "DELETE",
        &format!("/boards/{board}/cards"),
        None,
    )?;
    expect_json(&deleted, &json!({"count": 1}), "bob deletes his")?;
    ensure(titles_for("alice", "/cards")? == ["a1"], || {
        "alice's card survives".into()
    })?;
    Ok(())
}
