//! The value types beyond the scalars over REST: dates, decimals, enums, embedded objects,
//! bytes and a user-defined type — what bodies may hold, what responses show, how filters
//! read them (both encodings, dotted paths into embedded objects).

use serde_json::{Value as Json, json};

use crate::Ctx;
use crate::models::books_api;
use crate::support::checks::*;
use crate::support::client::Client;
use crate::support::server::TestServer;

fn books(ctx: &Ctx) -> Result<TestServer, String> {
    TestServer::start(books_api(ctx.store.clone())?)
}

/// The `details` of a 422, as `(path, code)` pairs.
fn invalid(
    client: &Client,
    method: &str,
    target: &str,
    body: Json,
) -> Result<Vec<(String, String)>, String> {
    let response = client.json(method, target, &body)?;
    let error = expect_error(
        &response,
        422,
        "VALIDATION_FAILED",
        &format!("{method} {target} {body}"),
    )?;
    Ok(error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

fn expect_detail(details: &[(String, String)], path: &str, code: &str, what: &str) -> Outcome {
    ensure(details.iter().any(|(p, c)| p == path && c == code), || {
        format!("{what}: no {code} at {path} in {details:?}")
    })
}

pub fn value_type_bodies_are_validated(ctx: &mut Ctx) -> Outcome {
    let server = books(ctx)?;
    let client = server.client;
    for (body, path, code) in [
        (
            json!({"title": "x", "published": "2023-02-31"}),
            "/published",
            "type",
        ),
        (
            json!({"title": "x", "price": "1.234"}),
            "/price",
            "multipleOf",
        ),
        (
            json!({"title": "x", "price": 123456789}),
            "/price",
            "exclusiveMaximum",
        ),
        (
            json!({"title": "x", "binding": "scroll"}),
            "/binding",
            "enum",
        ),
        (
            json!({"title": "x", "publisher": {"name": "P", "zip": "12345678901"}}),
            "/publisher/zip",
            "maxLength",
        ),
        (
            json!({"title": "x", "publisher": {"city": "Paris"}}),
            "/publisher",
            "required",
        ),
        (
            json!({"title": "x", "cover": "not base64!"}),
            "/cover",
            "type",
        ),
    ] {
        let details = invalid(&client, "POST", "/books", body.clone())?;
        expect_detail(&details, path, code, &body.to_string())?;
    }
    let count = client.get("/books/count")?;
    expect_json(&count, &json!({"count": 0}), "nothing stored")
}

pub fn value_types_round_trip(ctx: &mut Ctx) -> Outcome {
    let server = books(ctx)?;
    let client = server.client;
    let created = client.json(
        "POST",
        "/books",
        &json!({
            "title": "Dune",
            "published": "1965-08-01",
            "price": 8,
            "binding": "paperback",
            "publisher": {"name": "Chilton", "city": "Philadelphia", "zip": null},
            "cover": "AAEC/w==",
            "isbn": "9780441172719",
        }),
    )?;
    let expected = json!({
        "id": 1,
        "title": "Dune",
        "published": "1965-08-01",
        "price": "8.00",
        "binding": "paperback",
        "publisher": {"name": "Chilton", "city": "Philadelphia"},
        "cover": "AAEC/w==",
        "isbn": "9780441172719",
    });
    expect_json(&created, &expected, "create")?;
    expect_json(&client.get("/books/1")?, &expected, "find by id")?;
    // A decimal as a string, exactly; `8.5` reads back with the scale.
    let patched = client.json("PATCH", "/books/1", &json!({"price": "8.5"}))?;
    expect_status(&patched, 204, "patch")?;
    let read = client.get("/books/1")?;
    expect_status(&read, 200, "read")?;
    ensure(read.json()["price"] == "8.50", || {
        format!("price: {}", read.text())
    })
}

pub fn value_types_filter_in_both_encodings(ctx: &mut Ctx) -> Outcome {
    let server = books(ctx)?;
    let client = server.client;
    for body in [
        json!({"title": "old", "published": "1999-12-31", "binding": "hardcover", "price": "10.00",
            "publisher": {"name": "A", "city": "London"}}),
        json!({"title": "new", "published": "2021-03-04", "binding": "paperback", "price": "5.50",
            "publisher": {"name": "B", "city": "Paris"}}),
        json!({"title": "ebook", "published": "2022-01-01", "binding": "e-book"}),
    ] {
        post(&client, "/books", body)?;
    }
    let titles_of = |target: &str| get_titles(&client, target);
    let bracket = titles_of(
        "/books?filter[where][published][gt]=2020-01-01&filter[where][binding][inq][0]=paperback",
    )?;
    ensure(bracket == ["new"], || format!("bracket form: {bracket:?}"))?;
    let filter =
        json!({"where": {"published": {"gt": "2020-01-01"}, "binding": {"inq": ["paperback"]}}});
    let json_form = titles_of(&format!("/books?filter={}", encode(&filter.to_string())))?;
    ensure(json_form == ["new"], || format!("JSON form: {json_form:?}"))?;
    let cheap = json!({"where": {"price": {"lt": 6}}});
    let cheap = titles_of(&format!("/books?filter={}", encode(&cheap.to_string())))?;
    ensure(cheap == ["new"], || format!("decimal lt: {cheap:?}"))?;
    let between = titles_of(
        "/books?filter[where][price][between][0]=5.5&filter[where][price][between][1]=10&filter[order]=price%20DESC",
    )?;
    ensure(between == ["old", "new"], || {
        format!("decimal between: {between:?}")
    })?;
    let paris = json!({"where": {"publisher.city": "Paris"}});
    let paris = titles_of(&format!("/books?filter={}", encode(&paris.to_string())))?;
    ensure(paris == ["new"], || format!("dotted path: {paris:?}"))?;
    let bad = client.get("/books?filter[where][published][gt]=2023-02-31")?;
    expect_error(
        &bad,
        400,
        "INVALID_PARAMETER_VALUE",
        "a date that does not exist",
    )?;
    let bad = client.get("/books?filter[where][binding]=scroll")?;
    expect_error(&bad, 400, "INVALID_PARAMETER_VALUE", "a value of no enum")?;
    Ok(())
}

pub fn user_defined_types_refuse_what_they_cannot_read(ctx: &mut Ctx) -> Outcome {
    let server = books(ctx)?;
    let client = server.client;
    post(
        &client,
        "/books",
        json!({"title": "ok", "isbn": "9780441172719"}),
    )?;
    for (method, target, body) in [
        ("POST", "/books", json!({"title": "x", "isbn": "978-0"})),
        ("PATCH", "/books/1", json!({"isbn": "978-0"})),
        ("PUT", "/books/1", json!({"title": "x", "isbn": "978-0"})),
        ("PATCH", "/books", json!({"isbn": "978-0"})),
    ] {
        let details = invalid(&client, method, target, body)?;
        expect_detail(&details, "/isbn", "format", &format!("{method} {target}"))?;
    }
    let read = client.get("/books/1")?;
    expect_status(&read, 200, "read")?;
    ensure(read.json()["isbn"] == "9780441172719", || {
        format!("unchanged: {}", read.text())
    })
}
