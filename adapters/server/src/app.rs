//! The app: components and the app's own models and routes composed over the store the
//! settings name, served with `/ping`, health probes and metrics until a shutdown signal.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use poem::Response;
use poem::endpoint::BoxEndpoint;
use portico_domain::error::error_chain;
use portico_domain::{Entity, Error, ModelDef};
use portico_http::{ApiInfo, BuildError, RestApi};
use portico_ports::Store;
use serde_json::Value as Json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::component::{Component, Context, Own};
use crate::health::{Health, HealthCheck, StoreCheck};
use crate::logs::{init_logs, redact_url};
use crate::metered::MeteredStore;
use crate::ping::{ping_endpoint, ping_path_item};
use crate::serve::{bind, serve, shutdown_signal};
use crate::settings::{ConfigError, Defaults, LogFormat, Settings, VARIABLES};
use crate::store::{Backend, Database, connect, migrate};

/// How often recorded histogram samples are drained while the app serves.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Why an app cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting cannot be used (exit code 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database cannot be opened or migrated: the backend's feature is off
    /// (`Unsupported`), the server cannot be reached (`Unavailable`), a model cannot be held…
    #[error("cannot open the database: {0}")]
    Database(#[source] Error),
    /// A component cannot mount its routes or start.
    #[error("component {component}: {error}")]
    Component {
        /// The component's name (`app` for the app's own routes).
        component: String,
        /// What it returned.
        #[source]
        error: Error,
    },
    /// The routes do not compose (a path mounted twice, an invalid CORS origin…).
    #[error("cannot build the API: {0}")]
    Build(#[from] BuildError),
    /// The address cannot be bound.
    #[error("cannot listen on {address}: {error}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The IO error.
        #[source]
        error: std::io::Error,
    },
}

impl StartError {
    /// The process exit code for it: 2 for a setting, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            StartError::Config(_) => ExitCode::from(2),
            StartError::Database(_)
            | StartError::Component { .. }
            | StartError::Build(_)
            | StartError::Bind { .. } => ExitCode::FAILURE,
        }
    }
}

/// A Portico app: its API description, its defaults, its components and its own models and
/// routes. `main` composes one and calls [`App::run`]; tests call [`App::start`].
///
/// On start it connects to the backend `DATABASE_URL` names (every store operation timed by
/// [`MeteredStore`]), migrates every component's models and the app's own, mounts the
/// components in order and then the app's own routes on one [`RestApi`] (with the settings'
/// CORS policy and body limit), adds `GET /ping` (documented) and `/health`, `/live`, `/ready`
/// and `/metrics` (not documented), starts the components, binds and serves.
pub struct App {
    info: ApiInfo,
    defaults: Defaults,
    components: Vec<Arc<dyn Component>>,
    own: Own,
}

/// An app's routes over its store, before serving.
struct Routes {
    endpoint: BoxEndpoint<'static, Response>,
    health: Health,
    ctx: Context,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.components.iter().map(|c| c.name()).collect();
        f.debug_struct("App")
            .field("info", &self.info)
            .field("defaults", &self.defaults)
            .field("components", &names)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app described by `info` (the OpenAPI document's title, version, description), over
    /// `defaults` for unset variables.
    pub fn new(info: ApiInfo, defaults: Defaults) -> Self {
        App {
            info,
            defaults,
            components: Vec::new(),
            own: Own::default(),
        }
    }

    /// The settings the app runs with when no variable is set: its [`Defaults`] (what tests
    /// start from: `Settings { http, ..app.default_settings() }`).
    pub fn default_settings(&self) -> Settings {
        Settings::from_defaults(&self.defaults)
    }

    /// Adds a component (mounted, started after those added before it, stopped before them).
    pub fn component(mut self, component: impl Component + 'static) -> Self {
        self.components.push(Arc::new(component));
        self
    }

    /// Adds a model of the app's own to migrate on start.
    pub fn model<E: Entity>(mut self) -> Self {
        self.own.models.push(E::definition());
        self
    }

    /// Adds the app's own routes, mounted after every component's (several calls mount in
    /// order).
    pub fn routes(
        mut self,
        build: impl Fn(RestApi, &Context) -> Result<RestApi, Error> + Send + Sync + 'static,
    ) -> Self {
        self.own.apis.push(Box::new(build));
        self
    }

    /// Adds a health check of the app's own.
    pub fn health_check(mut self, check: impl HealthCheck + 'static) -> Self {
        self.own.checks.push(Arc::new(check));
        self
    }

    /// The components in mounting order, the app's own last.
    fn parts(&self) -> impl DoubleEndedIterator<Item = &dyn Component> {
        self.components
            .iter()
            .map(|c| c.as_ref())
            .chain(std::iter::once(&self.own as &dyn Component))
    }

    /// Every model to migrate, in order.
    fn models(&self) -> Vec<&'static ModelDef> {
        self.parts().flat_map(|c| c.models()).collect()
    }

    /// The documented API over `ctx`: the components', the app's own and `/ping`.
    fn rest_api(&self, ctx: &Context) -> Result<RestApi, StartError> {
        let mut api = RestApi::with_info(self.info.clone())
            .cors(ctx.settings.http.cors.clone())
            .body_limit(ctx.settings.http.body_limit)
            .prohibited_keys(ctx.settings.http.prohibited_keys.clone());
        if let Some(dir) = &ctx.settings.public_dir {
            api = api.static_files(dir.clone());
        }
        for part in self.parts() {
            api = part
                .mount(api, ctx)
                .map_err(|error| StartError::Component {
                    component: part.name().to_owned(),
                    error,
                })?;
        }
        Ok(api.public_route("/ping", ping_endpoint(), Some(ping_path_item())))
    }

    /// The OpenAPI document the app serves at `/openapi.json`, built over the store `settings`
    /// name (nothing is migrated or started).
    ///
    /// # Errors
    /// As [`App::start`], for connecting and mounting.
    pub async fn openapi(&self, settings: &Settings) -> Result<Json, StartError> {
        Backend::of(&settings.database_url)?;
        let database = connect(settings).await.map_err(StartError::Database)?;
        let ctx = Context::new(database.store, settings.clone());
        Ok(self.rest_api(&ctx)?.openapi()?)
    }

    /// Starts the app with `settings` and serves it in a task of the current runtime, on
    /// `settings.port` (`0` picks a free port): what [`App::run`] does before it waits for a
    /// signal, and what tests call.
    ///
    /// # Errors
    /// [`StartError`]: a setting, the database, a component, the routes, or the address.
    pub async fn start(self, settings: Settings) -> Result<Running, StartError> {
        Backend::of(&settings.database_url)?;
        let database = connect(&settings).await.map_err(StartError::Database)?;
        let Routes {
            endpoint,
            health,
            ctx,
        } = self.build_routes(&database, &settings).await?;
        let store = Arc::clone(&ctx.store);

        let parts: Vec<Arc<dyn Component>> = self
            .components
            .iter()
            .cloned()
            .chain(std::iter::once(Arc::new(self.own) as Arc<dyn Component>))
            .collect();
        let mut started = Vec::with_capacity(parts.len());
        for part in &parts {
            if let Err(error) = part.start(&ctx).await {
                stop_all(&started).await;
                return Err(StartError::Component {
                    component: part.name().to_owned(),
                    error,
                });
            }
            started.push(Arc::clone(part));
        }

        let (listener, address) = match bind(&settings.host, settings.port) {
            Ok(bound) => bound,
            Err(error) => {
                stop_all(&started).await;
                return Err(StartError::Bind {
                    address: format!("{}:{}", settings.host, settings.port),
                    error,
                });
            }
        };
        let (shutdown, signal) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            endpoint,
            async move {
                // A dropped sender (a `Running` dropped without `stop`) also shuts down.
                let _ = signal.await;
            },
            settings.shutdown_grace,
        ));
        let upkeep = tokio::spawn(crate::metrics::upkeep(METRICS_UPKEEP));
        health.set_up();
        tracing::info!(
            url = %format!("http://{address}"),
            explorer = %format!("http://{address}/explorer"),
            database = %redact_url(&settings.database_url),
            "Server is running"
        );
        Ok(Running {
            address,
            store,
            database,
            health,
            shutdown: Some(shutdown),
            server: Some(server),
            upkeep,
            components: started,
            delay: settings.shutdown_delay,
        })
    }

    /// Everything [`App::start`] serves, over `store` (the app's models migrated into it), as
    /// one endpoint without a listener, health up and no component started: for in-process
    /// tests of the app on any store (a `MemoryStore`, or `portico_testing::store(backend)`),
    /// called with `portico_http::testing`. `settings.database_url` is not connected to (it
    /// only names the backend in metrics).
    ///
    /// # Errors
    /// As [`App::start`]: migrating, a component, the routes.
    pub async fn endpoint(
        &self,
        store: Arc<dyn Store>,
        settings: &Settings,
    ) -> Result<BoxEndpoint<'static, Response>, StartError> {
        let backend = Backend::of(&settings.database_url).unwrap_or(Backend::Memory);
        let routes = self
            .build_routes(&Database::new(store, backend), settings)
            .await?;
        routes.health.set_up();
        Ok(routes.endpoint)
    }

    /// Meters and migrates the store, and builds every route over it.
    async fn build_routes(
        &self,
        database: &Database,
        settings: &Settings,
    ) -> Result<Routes, StartError> {
        let store: Arc<dyn Store> = Arc::new(MeteredStore::new(Arc::clone(&database.store)));
        let ctx = Context::new(store, settings.clone());
        let mut checks: Vec<Arc<dyn HealthCheck>> =
            vec![Arc::new(StoreCheck::new(Arc::clone(&database.store)))];
        checks.extend(self.parts().flat_map(|c| c.health_checks(&ctx)));
        let health = Health::new(checks);
        let mut api = self.rest_api(&ctx)?;
        for (path, endpoint) in health.endpoints() {
            api = api.undocumented_get(path, endpoint);
        }
        let api =
            api.undocumented_get("/metrics", crate::metrics::endpoint(Some(database.clone())));
        // Mounted first, so that the models the routes' repositories use are migrated too.
        let mut models = self.models();
        models.extend(ctx.used_models());
        migrate(ctx.store.as_ref(), &models)
            .await
            .map_err(StartError::Database)?;
        Ok(Routes {
            endpoint: api.into_endpoint()?,
            health,
            ctx,
        })
    }

    /// The whole of an app's `main`. Without arguments: reads [`Settings::from_env`], sets up
    /// logs, [starts](App::start) the app, serves until SIGINT or SIGTERM, then drains and
    /// stops (see [`Running::stop`]). `openapi` prints the OpenAPI document as JSON to stdout
    /// (over `memory:` unless `DATABASE_URL` is set); `--help` tells this. Every failure is
    /// logged; the exit code is 0, 1 on a failure, 2 for a setting or an unknown argument.
    pub async fn run(self) -> ExitCode {
        // Collected before any await: `std::env::Args` is not `Send`.
        let args: Vec<String> = std::env::args().collect();
        let program = args
            .first()
            .and_then(|p| {
                std::path::Path::new(p)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "app".to_owned());
        let args = args.get(1..).unwrap_or_default();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] => self.serve_from_env().await,
            ["openapi"] => self.print_openapi().await,
            ["--help" | "-h" | "help"] => {
                println!("{}", usage(&program, &self.info, &self.defaults));
                ExitCode::SUCCESS
            }
            unknown => {
                eprintln!(
                    "{program}: unknown argument {:?}\n\n{}",
                    unknown.join(" "),
                    usage(&program, &self.info, &self.defaults)
                );
                ExitCode::from(2)
            }
        }
    }

    async fn serve_from_env(self) -> ExitCode {
        let settings = match Settings::from_env(&self.defaults) {
            Ok(settings) => settings,
            Err(e) => {
                init_logs(LogFormat::Text);
                tracing::error!(variable = e.variable, error = %e, "invalid setting");
                return ExitCode::from(2);
            }
        };
        init_logs(settings.log_format);
        let database = redact_url(&settings.database_url);
        let running = match self.start(settings).await {
            Ok(running) => running,
            Err(e) => {
                tracing::error!(database = %database, error = %error_chain(&e), "cannot start");
                return e.exit_code();
            }
        };
        match running.serve_until(shutdown_signal()).await {
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

    async fn print_openapi(self) -> ExitCode {
        let defaults = self.defaults.clone().database_url("memory:");
        let settings = match Settings::from_env(&defaults) {
            Ok(settings) => settings,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        match self.openapi(&settings).await {
            Ok(document) => {
                let text = serde_json::to_string_pretty(&document)
                    .unwrap_or_else(|_| document.to_string());
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot build the OpenAPI document: {}", error_chain(&e));
                e.exit_code()
            }
        }
    }
}

fn usage(program: &str, info: &ApiInfo, defaults: &Defaults) -> String {
    let width = VARIABLES
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let settings: String = VARIABLES
        .iter()
        .map(|(name, meaning)| format!("  {name:width$}  {meaning}\n"))
        .collect();
    format!(
        "{} {}\n\nUsage: {program} [openapi | --help]\n\n\
         Without arguments, serves the API until SIGINT or SIGTERM.\n\
         openapi   prints the OpenAPI document as JSON (over memory: unless DATABASE_URL is set)\n\
         --help    prints this\n\n\
         Settings (environment):\n{settings}\n\
         This app's defaults: DATABASE_URL={}, HOST={}, PORT={}\n",
        info.title, info.version, defaults.database_url, defaults.host, defaults.port
    )
}

/// Stops components in reverse order.
async fn stop_all(components: &[Arc<dyn Component>]) {
    for component in components.iter().rev() {
        component.stop().await;
        tracing::debug!(component = component.name(), "stopped");
    }
}

/// A started app, serving in a task. Dropping it without [`Running::stop`] shuts the server
/// down in the background (components are not stopped).
pub struct Running {
    /// The address it listens on.
    pub address: SocketAddr,
    /// The app's store (metered), for tests to seed or inspect.
    pub store: Arc<dyn Store>,
    database: Database,
    health: Health,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    upkeep: JoinHandle<()>,
    components: Vec<Arc<dyn Component>>,
    delay: Duration,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("address", &self.address)
            .field("database", &self.database)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://{address}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The app's health (its life cycle and checks).
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// The connected backend.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Stops gracefully: marks the app stopping (`/ready` answers 503), keeps accepting for
    /// the shutdown delay, stops accepting, lets in-flight requests finish within the grace
    /// period, then stops the components in reverse order.
    ///
    /// # Errors
    /// The server's IO error, if it failed while serving.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.health.set_stopping();
        if !self.delay.is_zero() {
            tracing::info!(
                delay_ms = u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
                "stopping: answering /ready with 503 before draining"
            );
            tokio::time::sleep(self.delay).await;
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let result = match self.server.take() {
            Some(server) => server
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        stop_all(&self.components).await;
        self.upkeep.abort();
        result
    }

    /// Serves until `signal` completes (or the server fails), then [stops](Running::stop).
    ///
    /// # Errors
    /// As [`Running::stop`].
    pub async fn serve_until(mut self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        let failed = {
            let Some(server) = self.server.as_mut() else {
                return self.stop().await;
            };
            tokio::select! {
                () = signal => None,
                ended = server => Some(ended),
            }
        };
        match failed {
            None => self.stop().await,
            Some(ended) => {
                self.server = None;
                self.health.set_stopping();
                stop_all(&self.components).await;
                self.upkeep.abort();
                match ended {
                    Ok(Ok(())) => Err(std::io::Error::other("the server stopped by itself")),
                    Ok(Err(e)) => Err(e),
                    Err(e) => Err(std::io::Error::other(e)),
                }
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.upkeep.abort();
    }
}
