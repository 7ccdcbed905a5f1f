//! An [`App`] started in process on port 0, over `memory:` and (with the `sqlite` feature)
//! `sqlite::memory:`: its routes, probes and metrics, its components' life cycle, and a
//! graceful stop with a request in flight.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use portico_domain::{Entity, Error, ModelDef};
use portico_http::{ApiInfo, CrudResource, RestApi};
use portico_ports::Repository;
use portico_server::{
    App, CheckKind, Component, Context, Defaults, HealthCheck, Running, Settings, StartError,
};
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

/// The model the test app serves.
#[derive(Entity, Clone, Debug, PartialEq)]
struct Note {
    #[portico(id, generated)]
    id: Option<i64>,
    text: String,
}

/// A response: status, headers (lower-cased) and body.
#[derive(Debug)]
struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or(Json::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
async fn request(
    address: SocketAddr,
    method: &str,
    target: &str,
    body: Option<&Json>,
) -> std::io::Result<Response> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let body = body.map(Json::to_string).unwrap_or_default();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::other("no response within 30 s"))??;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no end of headers in {raw:?}")))?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let rest = &raw[end + 4..];
    let body = if head.contains("\r\ntransfer-encoding: chunked") {
        dechunk(rest).ok_or_else(|| std::io::Error::other("bad chunked body"))?
    } else {
        rest.to_vec()
    };
    Ok(Response { status, head, body })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = rest.get(line + 2..)?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

async fn get(running: &Running, target: &str) -> Response {
    request(running.address, "GET", target, None)
        .await
        .unwrap_or_else(|e| panic!("GET {target}: {e}"))
}

fn settings(url: &str) -> Settings {
    Settings::from_defaults(&Defaults::new(url).port(0))
}

/// The Notes API over the context's store.
fn notes(api: RestApi, ctx: &Context) -> Result<RestApi, Error> {
    let notes = Repository::<Note>::new(Arc::clone(&ctx.store))?;
    Ok(api.resource(
        CrudResource::new("/notes", Arc::new(notes.records().clone()))
            .max_page_size(ctx.settings.http.max_page_size)
            .read_only(ctx.settings.http.read_only),
    ))
}

fn app() -> App {
    App::new(ApiInfo::new("notes", "1.0.0"), Defaults::new("memory:"))
        .model::<Note>()
        .routes(notes)
}

/// What every backend serves: the model, `/ping`, the probes, the metrics, the document.
async fn serves_everything(url: &str) {
    let running = app().start(settings(url)).await.unwrap();
    assert!(running.url().starts_with("http://127.0.0.1:"));
    assert_ne!(running.address.port(), 0);

    let ping = get(&running, "/ping").await;
    assert_eq!(ping.status, 200);
    assert_eq!(ping.json()["greeting"], "Hello from Portico");
    assert_eq!(ping.json()["url"], "/ping");

    let up = json!({"status": "UP", "checks": [{"name": "database", "state": "UP", "data": {"reason": ""}}]});
    let health = get(&running, "/health").await;
    assert_eq!((health.status, health.json()), (200, up.clone()));
    let ready = get(&running, "/ready").await;
    assert_eq!((ready.status, ready.json()), (200, up));
    let live = get(&running, "/live").await;
    assert_eq!(
        (live.status, live.json()),
        (200, json!({"status": "UP", "checks": []}))
    );

    let created = request(
        running.address,
        "POST",
        "/notes",
        Some(&json!({"text": "hello"})),
    )
    .await
    .unwrap();
    assert_eq!(created.status, 200, "{}", created.text());
    let listed = get(&running, "/notes").await;
    assert_eq!(listed.json(), json!([{"id": 1, "text": "hello"}]));

    let metrics = get(&running, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        metrics.head
    );
    let text = metrics.text();
    assert!(
        text.contains("# TYPE portico_store_operation_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains(
            "portico_store_operation_duration_seconds_count{model=\"Note\",operation=\"insert\",outcome=\"ok\"}"
        ),
        "{text}"
    );
    if url.starts_with("sqlite") {
        assert!(
            text.contains("portico_db_pool_connections{state=\"idle\"}"),
            "{text}"
        );
    }

    let document = get(&running, "/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/ping") && paths.contains_key("/notes"));
    for hidden in ["/health", "/live", "/ready", "/metrics"] {
        assert!(!paths.contains_key(hidden), "{hidden} is documented");
    }

    let address = running.address;
    running.stop().await.unwrap();
    assert!(
        request(address, "GET", "/ping", None).await.is_err(),
        "still serving after stop"
    );
}

#[tokio::test]
async fn memory_app_serves_its_routes_probes_and_metrics() {
    serves_everything("memory:").await;
}

/// A model the routes' repository names is migrated though nothing lists it.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_models_of_the_routes_repositories_are_migrated() {
    let app = App::new(
        ApiInfo::new("notes", "1.0.0"),
        Defaults::new("sqlite::memory:"),
    )
    .routes(|api, ctx| Ok(api.resource(ctx.resource("/notes", &ctx.repository::<Note>()?))));
    let running = app.start(settings("sqlite::memory:")).await.unwrap();
    let body = serde_json::json!({"text": "kept"});
    let created = request(running.address, "POST", "/notes", Some(&body))
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{:?}", created.body);
    running.stop().await.unwrap();
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_app_serves_its_routes_probes_and_metrics() {
    serves_everything("sqlite::memory:").await;
}

#[tokio::test]
async fn the_document_is_the_served_one() {
    let document = app().openapi(&settings("memory:")).await.unwrap();
    assert_eq!(document["info"]["title"], "notes");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/ping") && paths.contains_key("/notes/{id}"));
    assert!(!paths.contains_key("/health"));
}

/// A slow route: it tells when a request has arrived, and answers once released.
#[derive(Clone, Default)]
struct Gate {
    arrived: Arc<Notify>,
    release: Arc<Notify>,
}

#[tokio::test]
async fn stopping_answers_ready_503_and_drains_in_flight_requests() {
    let gate = Gate::default();
    let route_gate = gate.clone();
    let app = app().routes(move |api, _| {
        let gate = route_gate.clone();
        Ok(api.route(
            "/slow",
            poem::get(poem::endpoint::make(move |_| {
                let gate = gate.clone();
                async move {
                    gate.arrived.notify_one();
                    gate.release.notified().await;
                    "done"
                }
            })),
            None,
        ))
    });
    let mut settings = settings("memory:");
    // Long enough for this test to see /ready answer 503 before the listener closes; the
    // test does not wait for it to elapse to pass its checks.
    settings.shutdown_delay = Duration::from_secs(2);
    let running = app.start(settings).await.unwrap();
    let address = running.address;

    let slow = tokio::spawn(async move { request(address, "GET", "/slow", None).await });
    gate.arrived.notified().await;
    let stopping = tokio::spawn(running.stop());

    let mut ready = None;
    for _ in 0..200 {
        let answer = request(address, "GET", "/ready", None).await.unwrap();
        if answer.status == 503 {
            ready = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ready = ready.expect("/ready never answered 503 while stopping");
    assert_eq!(ready.json()["status"], "STOPPING");

    gate.release.notify_one();
    let slow = slow.await.unwrap().unwrap();
    assert_eq!((slow.status, slow.text().as_str()), (200, "done"));
    stopping.await.unwrap().unwrap();
    assert!(request(address, "GET", "/ready", None).await.is_err());
}

/// A component that logs its life cycle and brings a health check.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    fail_start: bool,
    check: Result<(), String>,
}

struct FixedCheck(Result<(), String>);

#[async_trait]
impl HealthCheck for FixedCheck {
    fn name(&self) -> &str {
        "fixed"
    }
    fn kind(&self) -> CheckKind {
        CheckKind::Ready
    }
    async fn check(&self) -> Result<(), String> {
        self.0.clone()
    }
}

#[async_trait]
impl Component for Recorder {
    fn name(&self) -> &str {
        self.name
    }
    fn models(&self) -> Vec<&'static ModelDef> {
        vec![Note::definition()]
    }
    fn mount(&self, api: RestApi, _: &Context) -> Result<RestApi, Error> {
        self.log
            .lock()
            .unwrap()
            .push(format!("mount {}", self.name));
        Ok(api)
    }
    fn health_checks(&self, _: &Context) -> Vec<Arc<dyn HealthCheck>> {
        vec![Arc::new(FixedCheck(self.check.clone()))]
    }
    async fn start(&self, _: &Context) -> Result<(), Error> {
        if self.fail_start {
            return Err(Error::Unsupported("cannot start".into()));
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("start {}", self.name));
        Ok(())
    }
    async fn stop(&self) {
        self.log.lock().unwrap().push(format!("stop {}", self.name));
    }
}

fn recorder(name: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Recorder {
    Recorder {
        name,
        log: Arc::clone(log),
        fail_start: false,
        check: Ok(()),
    }
}

#[tokio::test]
async fn components_start_in_order_and_stop_in_reverse() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut failing = recorder("b", &log);
    failing.check = Err("b is unwell".into());
    let running = app()
        .component(recorder("a", &log))
        .component(failing)
        .start(settings("memory:"))
        .await
        .unwrap();
    let ready = get(&running, "/ready").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["status"], "DOWN");
    let checks = ready.json()["checks"].clone();
    assert_eq!(checks.as_array().unwrap().len(), 3, "{checks}");
    assert_eq!(
        checks[2],
        json!({"name": "fixed", "state": "DOWN", "data": {"reason": "b is unwell"}})
    );
    assert_eq!(get(&running, "/live").await.status, 200);
    running.stop().await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "mount a", "mount b", "start a", "start b", "stop b", "stop a"
        ]
    );
}

#[tokio::test]
async fn a_component_that_cannot_start_stops_those_before_it() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut broken = recorder("b", &log);
    broken.fail_start = true;
    let error = app()
        .component(recorder("a", &log))
        .component(broken)
        .start(settings("memory:"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StartError::Component { component, .. } if component == "b"),
        "{error:?}"
    );
    assert_eq!(
        *log.lock().unwrap(),
        ["mount a", "mount b", "start a", "stop a"]
    );
}

#[tokio::test]
async fn start_failures_say_what_failed() {
    let error = app().start(settings("redis://h")).await.unwrap_err();
    assert!(matches!(error, StartError::Config(ref e) if e.variable == "DATABASE_URL"));
    assert_eq!(error.exit_code(), std::process::ExitCode::from(2));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut busy = settings("memory:");
    busy.port = taken.local_addr().unwrap().port();
    let error = app().start(busy).await.unwrap_err();
    assert!(matches!(error, StartError::Bind { .. }), "{error:?}");
    assert_eq!(error.exit_code(), std::process::ExitCode::FAILURE);

    let twice = app()
        .routes(notes)
        .start(settings("memory:"))
        .await
        .unwrap_err();
    assert!(matches!(twice, StartError::Build(_)), "{twice:?}");
}

#[cfg(not(feature = "postgres"))]
#[tokio::test]
async fn a_backend_whose_feature_is_off_is_unsupported() {
    let error = app()
        .start(settings("postgres://postgres@127.0.0.1/test"))
        .await
        .unwrap_err();
    let StartError::Database(Error::Unsupported(message)) = &error else {
        panic!("{error:?}");
    };
    assert!(
        message.contains("the `postgres` feature of portico-server is off"),
        "{message}"
    );
}

/// Apps can be started and run from spawned tasks (and `RestApi` built in the closures).
#[test]
fn starting_and_running_are_send() {
    fn send<T: Send>(_: &T) {}
    let start = app().start(settings("memory:"));
    send(&start);
    drop(start);
    let run = app().run();
    send(&run);
    drop(run);
    send(&app());
}
