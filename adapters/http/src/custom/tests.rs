//! Custom operations beside generated ones: one router, one document, LoopBack's envelope for
//! every rejection, clashes refused.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::{Endpoint as _, Request, Response};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json as OaJson, PlainText};
use poem_openapi::{Object, OpenApi};
use portico_domain::Entity;
use portico_ports::{EntityRepository, Repository};
use serde_json::{Value as Json, json};

use crate::{ApiError, BuildError, CrudResource, Model, NewModel, RestApi};

#[derive(Entity, Clone, Debug, PartialEq)]
struct Note {
    #[portico(id, generated)]
    id: Option<i64>,
    #[portico(length(max = 20))]
    text: String,
}

/// A custom body.
#[derive(Object)]
struct Shout {
    /// How many exclamation marks.
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    marks: u32,
    /// A prefix.
    #[oai(validator(max_length = 3))]
    prefix: Option<String>,
}

/// A custom response.
#[derive(Object)]
struct Loud {
    text: String,
}

struct NoteExtras {
    notes: Arc<dyn EntityRepository<Note>>,
}

#[OpenApi]
impl NoteExtras {
    /// Shouts a note.
    #[oai(
        path = "/notes/:id/shout",
        method = "post",
        operation_id = "NoteExtras.shout"
    )]
    async fn shout(&self, id: Path<i64>, body: OaJson<Shout>) -> Result<OaJson<Loud>, ApiError> {
        let note = self.notes.find_by_id(id.0, None).await?;
        let marks = "!".repeat(body.marks as usize);
        let prefix = body.prefix.clone().unwrap_or_default();
        Ok(OaJson(Loud {
            text: format!("{prefix}{}{marks}", note.text.to_uppercase()),
        }))
    }

    /// The first notes, as models.
    #[oai(
        path = "/notes/first",
        method = "get",
        operation_id = "NoteExtras.first"
    )]
    async fn first(
        &self,
        #[oai(validator(maximum(value = "10")))] limit: Query<Option<u32>>,
    ) -> Result<OaJson<Vec<Model<Note>>>, ApiError> {
        let filter = portico_domain::Filter::new().limit(u64::from(limit.0.unwrap_or(2)));
        let notes = self.notes.find(filter).await?;
        Ok(OaJson(notes.into_iter().map(Model).collect()))
    }

    /// A second verb on a generated path: creates a note with the given id's text doubled.
    #[oai(path = "/notes/:id", method = "post", operation_id = "NoteExtras.copy")]
    async fn copy(&self, id: Path<i64>) -> Result<OaJson<Model<Note>>, ApiError> {
        let note = self.notes.find_by_id(id.0, None).await?;
        let copy = self
            .notes
            .create(Note {
                id: None,
                text: format!("{} (copy)", note.text),
            })
            .await?;
        Ok(OaJson(Model(copy)))
    }

    /// Searches notes by text.
    #[oai(
        path = "/notes/search",
        method = "get",
        operation_id = "NoteExtras.search"
    )]
    async fn search(&self, q: Query<String>) -> Result<OaJson<Vec<Model<Note>>>, ApiError> {
        let f = Note::FIELDS;
        let found = self
            .notes
            .find(portico_domain::Filter::new().where_(f.text.eq(q.0)))
            .await?;
        Ok(OaJson(found.into_iter().map(Model).collect()))
    }

    /// Counts the characters of a text body.
    #[oai(
        path = "/notes/measure",
        method = "post",
        operation_id = "NoteExtras.measure"
    )]
    async fn measure(&self, body: PlainText<String>) -> OaJson<usize> {
        OaJson(body.0.chars().count())
    }

    /// Fails the worst way.
    #[oai(
        path = "/notes/panic",
        method = "get",
        operation_id = "NoteExtras.panic"
    )]
    async fn panic(&self) -> OaJson<u32> {
        panic!("a bug in an operation")
    }

    /// Creates a note from a model body.
    #[oai(
        path = "/notes/import",
        method = "post",
        operation_id = "NoteExtras.import"
    )]
    async fn import(&self, body: OaJson<NewModel<Note>>) -> Result<OaJson<Model<Note>>, ApiError> {
        Ok(OaJson(Model(self.notes.create(body.0.0).await?)))
    }
}

fn api() -> (RestApi, Arc<dyn EntityRepository<Note>>) {
    let store = Arc::new(portico_memory::MemoryStore::new());
    let notes = Repository::<Note>::new(store).expect("a valid model");
    let repository: Arc<dyn EntityRepository<Note>> = Arc::new(notes.clone());
    let api = RestApi::new("notes", "1")
        .resource(CrudResource::new(
            "/notes",
            Arc::new(notes.records().clone()),
        ))
        .api(NoteExtras {
            notes: repository.clone(),
        });
    (api, repository)
}

async fn send(
    endpoint: &BoxEndpoint<'static, Response>,
    method: Method,
    uri: &str,
    body: Option<(&str, &str)>,
) -> (u16, Json) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri.parse().expect("a URI"));
    if let Some((content_type, _)) = body {
        request = request.content_type(content_type);
    }
    let request = match body {
        Some((_, text)) => request.body(text.to_owned()),
        None => request.finish(),
    };
    let response = endpoint.call(request).await.expect("a response");
    let status = response.status().as_u16();
    let bytes = response.into_body().into_vec().await.expect("a body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
}

#[tokio::test]
async fn custom_operations_serve_beside_generated_ones() {
    let (api, notes) = api();
    let endpoint = api.into_endpoint().expect("an API");
    notes
        .create(Note {
            id: None,
            text: "hello".into(),
        })
        .await
        .expect("created");
    let json = Some(("application/json", r#"{"marks":3,"prefix":">"}"#));
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", json).await;
    assert_eq!((status, body), (200, json!({"text": ">HELLO!!!"})));
    // The generated GET and the custom POST share /notes/{id}.
    let (status, body) = send(&endpoint, Method::POST, "/notes/1", None).await;
    assert_eq!(
        (status, body),
        (200, json!({"id": 2, "text": "hello (copy)"}))
    );
    let (status, body) = send(&endpoint, Method::GET, "/notes/2", None).await;
    assert_eq!((status, body["text"].clone()), (200, json!("hello (copy)")));
    let (status, body) = send(&endpoint, Method::GET, "/notes/first?limit=1", None).await;
    assert_eq!((status, body), (200, json!([{"id": 1, "text": "hello"}])));
    let new = Some(("application/json", r#"{"text":"imported"}"#));
    let (status, body) = send(&endpoint, Method::POST, "/notes/import", new).await;
    assert_eq!((status, body), (200, json!({"id": 3, "text": "imported"})));
    // A domain error from the operation renders as the generated routes render it.
    let (status, body) = send(&endpoint, Method::POST, "/notes/99/shout", json).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "ENTITY_NOT_FOUND");
}

#[tokio::test]
async fn rejections_are_loopback_envelopes_with_portico_codes() {
    let (api, _) = api();
    let endpoint = api.into_endpoint().expect("an API");
    let json = |text: &'static str| Some(("application/json", text));
    // A bad path parameter is named as the operation names it, never `param0`.
    let (status, body) = send(&endpoint, Method::POST, "/notes/abc/shout", json("{}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(
        body["error"]["message"],
        r#"Invalid data "abc" for parameter "id"."#
    );
    assert_eq!(body["error"]["parameterName"], "id");
    // A query parameter breaking its validator.
    let (status, body) = send(&endpoint, Method::GET, "/notes/first?limit=11", None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(body["error"]["parameterName"], "limit");
    let (status, body) = send(&endpoint, Method::GET, "/notes/first?limit=x", None).await;
    assert_eq!(
        (status, body["error"]["parameterName"].clone()),
        (400, json!("limit"))
    );
    // Malformed JSON, the wrong media type, an empty body.
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", json("{")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_PARAMETER_VALUE"))
    );
    let text = Some(("text/plain", "hi"));
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", text).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (415, json!("UNSUPPORTED_MEDIA_TYPE"))
    );
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", json("")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("MISSING_REQUIRED_PARAMETER"))
    );
    // A custom body breaking its schema: 422 with every problem, AJV-shaped.
    let bad = json(r#"{"marks":9,"prefix":"toolong","extra":1}"#);
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    let details = body["error"]["details"].as_array().expect("details");
    let paths: Vec<&str> = details.iter().filter_map(|d| d["path"].as_str()).collect();
    assert!(paths.contains(&"/marks"), "{body}");
    assert!(paths.contains(&"/prefix"), "{body}");
    let (status, body) = send(&endpoint, Method::POST, "/notes/1/shout", json("{}")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["code"], "required");
    // A model body gets the model's own details, as the generated POST gives them.
    let long = json(r#"{"text":"a text longer than twenty characters"}"#);
    let (status, custom) = send(&endpoint, Method::POST, "/notes/import", long).await;
    let (_, generated) = send(&endpoint, Method::POST, "/notes", long).await;
    assert_eq!(status, 422);
    assert_eq!(custom["error"]["details"], generated["error"]["details"]);
    let (status, _) = send(
        &endpoint,
        Method::POST,
        "/notes/import",
        json(r#"{"id":5,"text":"x"}"#),
    )
    .await;
    assert_eq!(status, 422, "a generated id is refused in a NewModel body");
    // A JSON body without a media type is JSON, as on the generated routes.
    let untyped = Request::builder()
        .method(Method::POST)
        .uri("/notes/import".parse().expect("a URI"))
        .body(r#"{"text":"untyped"}"#);
    let response = endpoint.call(untyped).await.expect("a response");
    assert_eq!(response.status().as_u16(), 200);
    // A required query parameter left out, as LoopBack words it.
    let (status, body) = send(&endpoint, Method::GET, "/notes/search", None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "MISSING_REQUIRED_PARAMETER");
    assert_eq!(body["error"]["message"], "Required parameter q is missing!");
    let (status, body) = send(&endpoint, Method::GET, "/notes/search?q=untyped", None).await;
    assert_eq!(
        (status, &body[0]["text"]),
        (200, &json!("untyped")),
        "{body}"
    );
    // A panicking operation is LoopBack's 500, its cause never sent.
    let (status, body) = send(&endpoint, Method::GET, "/notes/panic", None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (500, &json!("INTERNAL_SERVER_ERROR"))
    );
    assert!(!body.to_string().contains("a bug"), "{body}");
    // 405 and OPTIONS know the custom verbs.
    let (status, _) = send(&endpoint, Method::DELETE, "/notes/1/shout", None).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn every_body_is_read_within_the_limit() {
    let (api, _) = api();
    let endpoint = api.body_limit(16).into_endpoint().expect("an API");
    let short = Some(("text/plain", "héllo"));
    assert_eq!(
        send(&endpoint, Method::POST, "/notes/measure", short).await,
        (200, json!(5))
    );
    let long = Some(("text/plain", "a text longer than sixteen bytes"));
    let (status, body) = send(&endpoint, Method::POST, "/notes/measure", long).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (413, &json!("ENTITY_TOO_LARGE"))
    );
    // Without a length: read in chunks, and still bounded.
    let chunks = futures_util::stream::iter(
        ["a text longer ", "than sixteen bytes"]
            .map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from_static(c.as_bytes()))),
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/notes/measure".parse().expect("a URI"))
        .content_type("text/plain")
        .body(poem::Body::from_bytes_stream(chunks));
    let response = endpoint.call(request).await.expect("a response");
    assert_eq!(response.status().as_u16(), 413);
}

#[test]
fn the_document_holds_custom_operations_and_schemas() {
    let (api, _) = api();
    let document = api.openapi().expect("a document");
    let item = &document["paths"]["/notes/{id}"];
    assert!(
        item["get"].is_object() && item["post"].is_object(),
        "{item}"
    );
    assert_eq!(item["post"]["operationId"], "NoteExtras.copy");
    assert_eq!(
        item["post"]["responses"]["200"]["content"]["application/json; charset=utf-8"]["schema"],
        json!({"$ref": "#/components/schemas/Note"})
    );
    let shout = &document["paths"]["/notes/{id}/shout"]["post"];
    assert_eq!(
        shout["requestBody"]["content"]["application/json; charset=utf-8"]["schema"],
        json!({"$ref": "#/components/schemas/Shout"})
    );
    for status in ["400", "413", "415", "422", "500", "default"] {
        assert_eq!(
            shout["responses"][status]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/loopback.Error"}),
            "{status}"
        );
    }
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["Shout"]["properties"]["marks"]["maximum"],
        json!(5.0)
    );
    assert!(schemas["Loud"].is_object() && schemas["NewNote"].is_object());
    let import = &document["paths"]["/notes/import"]["post"];
    assert_eq!(
        import["requestBody"]["content"]["application/json; charset=utf-8"]["schema"],
        json!({"$ref": "#/components/schemas/NewNote"})
    );
}

struct Clash;

#[OpenApi]
impl Clash {
    /// Claims the generated count route.
    #[oai(path = "/notes/count", method = "get")]
    async fn count(&self) -> OaJson<u32> {
        OaJson(0)
    }
}

struct SameId;

#[OpenApi]
impl SameId {
    /// Claims a generated operation id.
    #[oai(path = "/other", method = "get", operation_id = "NoteController.find")]
    async fn other(&self) -> OaJson<u32> {
        OaJson(0)
    }
}

/// An `Object` named as the model.
#[derive(Object)]
#[oai(rename = "Note")]
struct FakeNote {
    text: String,
}

struct SameSchema;

#[OpenApi]
impl SameSchema {
    /// Publishes a second `Note` schema.
    #[oai(path = "/fake", method = "get")]
    async fn fake(&self) -> OaJson<FakeNote> {
        OaJson(FakeNote {
            text: String::new(),
        })
    }
}

struct OtherNames;

#[OpenApi]
impl OtherNames {
    /// Names the id of `/notes/{id}` otherwise.
    #[oai(path = "/notes/:noteId", method = "post")]
    async fn other(&self, #[oai(name = "noteId")] note_id: Path<i64>) -> OaJson<i64> {
        OaJson(note_id.0)
    }
}

#[test]
fn clashes_are_refused_when_building() {
    let base = || api().0;
    assert_eq!(
        base().api(Clash).into_endpoint().err(),
        Some(BuildError::DuplicateOperation {
            method: "GET".into(),
            path: "/notes/count".into()
        })
    );
    assert_eq!(
        base().api(SameId).into_endpoint().err(),
        Some(BuildError::DuplicateOperationId(
            "NoteController.find".into()
        ))
    );
    assert_eq!(
        base().api(SameSchema).into_endpoint().err(),
        Some(BuildError::DuplicateSchema("Note".into()))
    );
    assert!(matches!(
        base().api(OtherNames).into_endpoint().err(),
        Some(BuildError::PathParameterNames { .. })
    ));
    let message = BuildError::DuplicateSchema("Note".into()).to_string();
    assert!(message.contains("rename"), "{message}");
}

struct SwappedPath;

#[OpenApi]
impl SwappedPath {
    /// Takes its path parameters in the wrong order.
    #[oai(path = "/pairs/:left/:right", method = "get")]
    async fn pair(&self, right: Path<i64>, left: Path<i64>) -> OaJson<i64> {
        OaJson(left.0 - right.0)
    }
}

struct OnTheDocument;

#[OpenApi]
impl OnTheDocument {
    /// Claims the document's own path.
    #[oai(path = "/openapi.json", method = "post")]
    async fn document(&self) -> OaJson<u32> {
        OaJson(0)
    }
}

/// Two impls sharing an `Object`.
struct FirstLoud;

#[OpenApi]
impl FirstLoud {
    /// One.
    #[oai(path = "/loud/one", method = "get")]
    async fn one(&self) -> OaJson<Loud> {
        OaJson(Loud { text: "one".into() })
    }
}

struct SecondLoud;

#[OpenApi]
impl SecondLoud {
    /// Two.
    #[oai(path = "/loud/two", method = "get")]
    async fn two(&self) -> OaJson<Loud> {
        OaJson(Loud { text: "two".into() })
    }
}

#[test]
fn path_parameters_and_builtin_paths_are_checked() {
    let base = || api().0;
    assert_eq!(
        base().api(SwappedPath).into_endpoint().err(),
        Some(BuildError::PathParameterOrder {
            path: "/pairs/{left}/{right}".into(),
            parameters: vec!["right".into(), "left".into()],
        })
    );
    assert_eq!(
        base().api(OnTheDocument).into_endpoint().err(),
        Some(BuildError::DuplicatePath("/openapi.json".into()))
    );
    assert!(
        base().api(OnTheDocument).openapi().is_err(),
        "no document either"
    );
    // One type used by two APIs is one schema, and one tag per name.
    let document = base()
        .api(FirstLoud)
        .api(SecondLoud)
        .openapi()
        .expect("a document");
    assert!(document["components"]["schemas"]["Loud"].is_object());
}
