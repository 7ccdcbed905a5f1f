//! LoopBack's `GET /ping` (`PingController`): a greeting, the date, the URL and the request
//! headers.

use poem::{Request, Response};
use serde_json::{Map, Value as Json, json};

/// The greeting `/ping` answers with.
pub const GREETING: &str = "Hello from Portico";

/// The OpenAPI path item of `/ping`, as LoopBack's `PingController` documents it.
pub fn ping_path_item() -> Json {
    json!({"get": {
        "x-controller-name": "PingController",
        "x-operation-name": "ping",
        "tags": ["PingController"],
        "responses": {"200": {
            "description": "Ping Response",
            "content": {"application/json": {"schema": {
                "type": "object",
                "title": "PingResponse",
                "properties": {
                    "greeting": {"type": "string"},
                    "date": {"type": "string"},
                    "url": {"type": "string"},
                    "headers": {
                        "type": "object",
                        "properties": {"Content-Type": {"type": "string"}},
                        "additionalProperties": true
                    }
                }
            }}}
        }},
        "operationId": "PingController.ping"
    }})
}

/// The request headers `/ping` never echoes: credentials, which any page could otherwise read
/// back through a cross-origin call with credentials.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// `GET /ping`: LoopBack's ping response — a greeting, the date, the URL and the request
/// headers (credentials as `***`).
pub async fn ping(req: Request) -> Response {
    let headers: Map<String, Json> = req
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = if CREDENTIAL_HEADERS.contains(&name.as_str()) {
                json!("***")
            } else {
                json!(String::from_utf8_lossy(value.as_bytes()))
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let body = json!({
        "greeting": GREETING,
        "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "url": url,
        "headers": headers,
    });
    Response::builder()
        .content_type("application/json")
        .body(body.to_string())
}

/// The `/ping` route as an endpoint.
pub fn ping_endpoint() -> impl poem::Endpoint<Output = Response> {
    poem::get(poem::endpoint::make(ping))
}

#[cfg(test)]
mod tests {
    use poem::Endpoint;

    use super::*;

    #[tokio::test]
    async fn ping_greets_and_echoes_the_request() {
        let request = Request::builder()
            .uri("/ping?x=1".parse().unwrap())
            .header("x-probe", "yes")
            .header("cookie", "session=secret")
            .header("authorization", "Bearer secret")
            .finish();
        let response = ping_endpoint().call(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Json =
            serde_json::from_slice(&response.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(body["greeting"], GREETING);
        assert_eq!(body["url"], "/ping?x=1");
        assert_eq!(body["headers"]["x-probe"], "yes");
        assert_eq!(body["headers"]["cookie"], "***");
        assert_eq!(body["headers"]["authorization"], "***");
        assert!(body["date"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            ping_path_item()["get"]["operationId"],
            "PingController.ping"
        );
    }
}
