//! Concurrent creates of one unique value, and of one id: exactly one wins (200, as LoopBack's
//! POST), every other is 409 `CONFLICT`, and one record is stored. The Todo model has no unique
//! property, so this composes a test API from the library crates over the backend's store.

use std::sync::{Arc, Barrier};

use portico_domain::Entity;
use portico_http::{CrudResource, RestApi};
use portico_ports::{Repository, Store};
use serde_json::{Value as Json, json};

use crate::client::Client;
use crate::{Backend, Outcome, TestServer, ensure, runtime};

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

/// Runs `case` against the members and badges API on a fresh store of `backend`.
fn with_api(backend: Backend, case: fn(Client) -> Outcome) -> Outcome {
    let (store, teardown) = runtime()
        .block_on(portico_testing::store(backend))
        .map_err(|u| u.0)?
        .into_parts();
    let outcome = serve_api(store).and_then(|server| case(server.client));
    if let Some(teardown) = teardown {
        runtime().block_on(teardown);
    }
    outcome
}

fn serve_api(store: Arc<dyn Store>) -> Result<TestServer, String> {
    runtime()
        .block_on(async {
            store.migrate(Member::definition()).await?;
            store.migrate(Badge::definition()).await
        })
        .map_err(|e| e.to_string())?;
    let members = Repository::<Member>::new(store.clone()).map_err(|e| e.to_string())?;
    let badges = Repository::<Badge>::new(store).map_err(|e| e.to_string())?;
    let endpoint = RestApi::new("faults", "1")
        .resource(CrudResource::new(
            "/members",
            Arc::new(members.records().clone()),
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

pub fn concurrent_creates_of_one_unique_value(backend: Backend) -> Outcome {
    with_api(backend, |client| {
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

pub fn concurrent_creates_of_one_id(backend: Backend) -> Outcome {
    with_api(backend, |client| {
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
