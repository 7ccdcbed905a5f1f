//! The route tree and the server: `/todos`, `/ping`, the OpenAPI document and the explorer,
//! served until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, Request, Response};
use portico_domain::Error;
use portico_http::{ApiInfo, CrudResource, RestApi};
use portico_ports::{Repository, Store};
use serde_json::{Map, Value as Json, json};

use crate::{Config, HttpSettings, LogFormat, SHUTDOWN_GRACE, Todo};

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

/// `GET /ping`: LoopBack's ping response — a greeting, the date, the URL and the request
/// headers.
pub async fn ping(req: Request) -> Response {
    let headers: Map<String, Json> = req
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                json!(String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let body = json!({
        "greeting": "Hello from Portico",
        "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "url": url,
        "headers": headers,
    });
    Response::builder()
        .content_type("application/json")
        .body(body.to_string())
}

/// The app's route tree over `store`: `/todos`, `/ping`, `/openapi.json`, `/openapi.yaml` and
/// `/explorer`, with LoopBack's error envelope and CORS.
///
/// # Errors
/// `Unsupported` when the store cannot hold the Todo model or a setting is invalid (e.g. a
/// CORS origin that is no valid header value).
pub fn endpoint(
    store: Arc<dyn Store>,
    settings: &HttpSettings,
) -> Result<BoxEndpoint<'static, Response>, Error> {
    let todos = Repository::<Todo>::new(store)?;
    let resource = CrudResource::new("/todos", Arc::new(todos.records().clone()))
        .max_page_size(settings.max_page_size)
        .read_only(settings.read_only);
    RestApi::with_info(
        ApiInfo::new("@portico/example-todo", env!("CARGO_PKG_VERSION"))
            .description("LoopBack's Todo example, on Portico"),
    )
    .resource(resource)
    .route(
        "/ping",
        poem::get(poem::endpoint::make(ping)),
        Some(ping_path_item()),
    )
    .cors(settings.cors.clone())
    .body_limit(settings.body_limit)
    .into_endpoint()
    .map_err(|e| Error::Unsupported(e.to_string()))
}

/// Builds the routes over the store an app opens.
pub type BuildEndpoint =
    fn(Arc<dyn Store>, &HttpSettings) -> Result<BoxEndpoint<'static, Response>, Error>;

/// Runs an app once its configuration is read and logs are set up: waits for `store` (the
/// opening of the store `config` names), builds the routes with `build`, binds and serves until
/// SIGINT or SIGTERM. Every failure is logged; the exit code says how it went. The Todo and
/// TodoList binaries are this call.
pub async fn run(
    config: &Config,
    store: impl Future<Output = Result<Arc<dyn Store>, Error>>,
    build: BuildEndpoint,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let database = redact_url(&config.database_url);
    let store = match store.await {
        Ok(store) => store,
        Err(e) => {
            let error = portico_domain::error::error_chain(&e);
            tracing::error!(database = %database, error = %error, "cannot open the database");
            return ExitCode::FAILURE;
        }
    };
    let app = match build(store, &config.http) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the API");
            return ExitCode::FAILURE;
        }
    };
    let (listener, address) = match bind(&config.host, config.port) {
        Ok(bound) => bound,
        Err(e) => {
            tracing::error!(host = %config.host, port = config.port, error = %e, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        url = %format!("http://{address}"),
        explorer = %format!("http://{address}/explorer"),
        database = %database,
        "Server is running"
    );
    match serve(listener, app, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "the server failed");
            ExitCode::FAILURE
        }
    }
}

/// Serves `endpoint` on an already bound `listener` until `shutdown` completes, then lets
/// in-flight requests finish for up to [`SHUTDOWN_GRACE`].
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: std::net::TcpListener,
    endpoint: impl Endpoint<Output = Response> + 'static,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = poem::listener::TcpAcceptor::from_std(listener)?;
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown, Some(SHUTDOWN_GRACE))
        .await
}

/// Binds `host:port` (port 0 picks a free one) and tells the address actually bound.
///
/// # Errors
/// When the address cannot be resolved or bound.
pub fn bind(host: &str, port: u16) -> std::io::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind((host, port))?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Sets up `tracing` logs: `RUST_LOG` filters (default `info`); text or JSON lines on stderr.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let Err(e) = result {
        eprintln!("logs are not set up: {e}");
    }
}

/// Hides the password of a database URL for logs: `postgres://u:secret@h/db` →
/// `postgres://u:***@h/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
