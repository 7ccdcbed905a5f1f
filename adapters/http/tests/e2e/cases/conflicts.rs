//! Concurrent creates of one unique value, and of one id: exactly one wins (200, as LoopBack's
//! POST), every other is 409 `CONFLICT`, and one record is stored. Optimistic concurrency:
//! `ETag` on reads by id and `If-Match` preconditions (412) on writes by id.

use std::sync::{Arc, Barrier};

use portico_domain::Entity;
use portico_http::{CrudResource, RestApi};
use portico_ports::{Repository, Store};
use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::support::checks::{Outcome, ensure};
use crate::support::client::{Body, Client};
use crate::support::server::{TestServer, runtime};

/// Concurrent creates per case.
const RACERS: usize = 20;

/// A generated id and a unique property.
#[derive(Entity, Clone, Debug)]
struct Member {
    #[portico(id, generated)]
    id: Option<i64>,
    #[portico(unique)]
    email: String,
}

/// A client-supplied id.
#[derive(Entity, Clone, Debug)]
struct Badge {
    #[portico(id)]
    code: String,
    label: Option<String>,
}

/// A versioned model: its version is the ETag.
#[derive(Entity, Clone, Debug)]
struct Counter {
    #[portico(id, generated)]
    id: Option<i64>,
    value: i64,
    #[portico(version)]
    version: Option<i64>,
}

/// Concurrent writers in the ETag case.
const WRITERS: usize = 50;

/// Runs `case` against the members, counters and badges API over the case's store.
fn with_api(ctx: &mut Ctx, case: fn(Client) -> Outcome) -> Outcome {
    let server = serve_api(ctx.store.clone())?;
    case(server.client)
}

fn serve_api(store: Arc<dyn Store>) -> Result<TestServer, String> {
    runtime()
        .block_on(async {
            store.migrate(Member::definition()).await?;
            store.migrate(Counter::definition()).await?;
            store.migrate(Badge::definition()).await
        })
        .map_err(|e| e.to_string())?;
    let members = Repository::<Member>::new(store.clone()).map_err(|e| e.to_string())?;
    let counters = Repository::<Counter>::new(store.clone()).map_err(|e| e.to_string())?;
    let badges = Repository::<Badge>::new(store).map_err(|e| e.to_string())?;
    let endpoint = RestApi::new("faults", "1")
        .resource(CrudResource::new(
            "/members",
            Arc::new(members.records().clone()),
        ))
        .resource(CrudResource::new(
            "/counters",
            Arc::new(counters.records().clone()),
        ))
        .resource(CrudResource::new(
            "/badges",
            Arc::new(badges.records().clone()),
        ))
        .into_endpoint()
        .map_err(|e| e.to_string())?;
    TestServer::start(endpoint)
}

/// Sends `RACERS` creates at once (released together by a barrier) and returns each answer:
/// the racer's index, status and body.
fn race(
    client: Client,
    path: &'static str,
    body: fn(usize) -> Json,
) -> Result<Vec<(usize, u16, Json)>, String> {
    let barrier = Arc::new(Barrier::new(RACERS));
    let racers: Vec<_> = (0..RACERS)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                client
                    .json("POST", path, &body(i))
                    .map(|r| (i, r.status, r.json()))
            })
        })
        .collect();
    racers
        .into_iter()
        .map(|r| {
            r.join()
                .map_err(|_| "a client thread panicked".to_owned())?
        })
        .collect()
}

/// Exactly one 200, and `RACERS - 1` 409 `CONFLICT` envelopes; returns the winner.
fn one_winner(answers: &[(usize, u16, Json)]) -> Result<(usize, Json), String> {
    let winners: Vec<_> = answers.iter().filter(|(_, s, _)| *s == 200).collect();
    let conflicts = answers
        .iter()
        .filter(|(_, s, body)| {
            *s == 409 && body["error"]["code"] == "CONFLICT" && body["error"]["statusCode"] == 409
        })
        .count();
    let summary = || {
        answers
            .iter()
            .map(|(i, s, body)| format!("#{i}: {s} {body}"))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    ensure(winners.len() == 1 && conflicts == RACERS - 1, || {
        format!(
            "expected one 200 and {} 409 CONFLICT, got:\n  {}",
            RACERS - 1,
            summary()
        )
    })?;
    let (i, _, body) = winners[0];
    Ok((*i, body.clone()))
}

fn expect_count(client: Client, path: &str, expected: u64) -> Outcome {
    let response = client.get(&format!("{path}/count"))?;
    ensure(
        response.status == 200 && response.json() == json!({"count": expected}),
        || {
            format!(
                "{path}/count: expected {expected}, got {} {}",
                response.status,
                response.text()
            )
        },
    )
}

pub fn concurrent_creates_of_one_unique_value(ctx: &mut Ctx) -> Outcome {
    with_api(ctx, |client| {
        let answers = race(client, "/members", |_| json!({"email": "same@example.com"}))?;
        let (_, winner) = one_winner(&answers)?;
        let id = winner["id"]
            .as_i64()
            .ok_or_else(|| format!("the winner has no id: {winner}"))?;
        let stored = client.get(&format!("/members/{id}"))?;
        ensure(
            stored.status == 200 && stored.json() == json!({"id": id, "email": "same@example.com"}),
            || format!("GET /members/{id}: {} {}", stored.status, stored.text()),
        )?;
        expect_count(client, "/members", 1)?;
        // The losers left nothing behind that blocks the next value.
        let next = client.json("POST", "/members", &json!({"email": "other@example.com"}))?;
        ensure(next.status == 200, || {
            format!("a create after the race: {} {}", next.status, next.text())
        })
    })
}

pub fn concurrent_creates_of_one_id(ctx: &mut Ctx) -> Outcome {
    with_api(ctx, |client| {
        let answers = race(
            client,
            "/badges",
            |i| json!({"code": "b1", "label": format!("racer {i}")}),
        )?;
        let (i, winner) = one_winner(&answers)?;
        let expected = json!({"code": "b1", "label": format!("racer {i}")});
        ensure(winner == expected, || {
            format!("the winner's answer: {winner}")
        })?;
        let stored = client.get("/badges/b1")?;
        ensure(stored.status == 200 && stored.json() == expected, || {
            format!(
                "GET /badges/b1: expected the winner's {expected}, got {} {}",
                stored.status,
                stored.text()
            )
        })?;
        expect_count(client, "/badges", 1)
    })
}

/// `ETag` and `If-Match`: a stale tag is 412 and changes nothing, on PATCH, PUT and DELETE.
pub fn if_match_refuses_stale_versions(ctx: &mut Ctx) -> Outcome {
    with_api(ctx, |client| {
        let created = client.json("POST", "/counters", &json!({"value": 0}))?;
        ensure(
            created.json() == json!({"id": 1, "value": 0, "version": 1}),
            || format!("POST /counters: {}", created.text()),
        )?;
        let read = client.get("/counters/1")?;
        ensure(read.header("etag") == Some("\"1\""), || {
            format!("GET /counters/1 ETag: {:?}", read.header("etag"))
        })?;
        fn if_match(tag: &str) -> [(&'static str, &str); 2] {
            [("Content-Type", "application/json"), ("If-Match", tag)]
        }
        let body = json!({"value": 5}).to_string();
        let send = |method: &str, tag: &str| {
            client.send(
                method,
                "/counters/1",
                &if_match(tag),
                Body::Sized(body.as_bytes()),
            )
        };
        let first = send("PATCH", "\"1\"")?;
        ensure(first.status == 204, || {
            format!("PATCH at \"1\": {}", first.status)
        })?;
        for method in ["PATCH", "PUT", "DELETE"] {
            let stale = send(method, "\"1\"")?;
            ensure(
                stale.status == 412 && stale.json()["error"]["code"] == "PRECONDITION_FAILED",
                || {
                    format!(
                        "{method} at a stale \"1\": {} {}",
                        stale.status,
                        stale.text()
                    )
                },
            )?;
        }
        let now = client.get("/counters/1")?;
        ensure(
            now.json() == json!({"id": 1, "value": 5, "version": 2})
                && now.header("etag") == Some("\"2\""),
            || {
                format!(
                    "after the stale writes: {} {:?}",
                    now.text(),
                    now.header("etag")
                )
            },
        )?;
        let unversioned =
            client.send("DELETE", "/members/1", &[("If-Match", "\"1\"")], Body::None)?;
        ensure(unversioned.status == 412, || {
            format!(
                "If-Match on a model without versions: {}",
                unversioned.status
            )
        })?;
        let delete = send("DELETE", "\"2\"")?;
        ensure(delete.status == 204, || {
            format!("DELETE at \"2\": {}", delete.status)
        })?;
        expect_count(client, "/counters", 0)
    })
}

/// `WRITERS` clients each add 1 to one counter: read it with its ETag, PATCH with `If-Match`,
/// and on 412 read again. Exactly one PATCH succeeds per version: the final value is `WRITERS`
/// (none lost), and the versions the winners wrote at are all distinct (none duplicated).
pub fn concurrent_patches_with_etags_lose_nothing(ctx: &mut Ctx) -> Outcome {
    with_api(ctx, |client| {
        let created = client.json("POST", "/counters", &json!({"value": 0}))?;
        ensure(created.status == 200, || {
            format!("POST: {}", created.text())
        })?;
        let barrier = Arc::new(Barrier::new(WRITERS));
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::spawn(move || -> Result<(String, usize), String> {
                    barrier.wait();
                    let mut refused = 0;
                    loop {
                        let read = client.get("/counters/1")?;
                        let tag = read.header("etag").ok_or("no ETag")?.to_owned();
                        let value = read.json()["value"].as_i64().ok_or("no value")?;
                        let body = json!({"value": value + 1}).to_string();
                        let patched = client.send(
                            "PATCH",
                            "/counters/1",
                            &[("Content-Type", "application/json"), ("If-Match", &tag)],
                            Body::Sized(body.as_bytes()),
                        )?;
                        match patched.status {
                            204 => return Ok((tag, refused)),
                            412 => refused += 1,
                            other => return Err(format!("PATCH: {other} {}", patched.text())),
                        }
                    }
                })
            })
            .collect();
        let mut tags = Vec::new();
        let mut refused = 0;
        for writer in writers {
            let (tag, r) = writer
                .join()
                .map_err(|_| "a writer thread panicked".to_owned())??;
            tags.push(tag);
            refused += r;
        }
        tags.sort();
        tags.dedup();
        ensure(tags.len() == WRITERS, || {
            format!(
                "two writers won at one version: {} distinct tags",
                tags.len()
            )
        })?;
        let last = client.get("/counters/1")?;
        let expected = json!({"id": 1, "value": WRITERS, "version": WRITERS + 1});
        ensure(last.json() == expected, || {
            format!(
                "expected {expected}, got {} ({refused} refused PATCHes)",
                last.text()
            )
        })?;
        eprintln!(
            "  {} ETag PATCHes: {WRITERS} succeeded, {refused} refused with 412",
            WRITERS + refused
        );
        Ok(())
    })
}
