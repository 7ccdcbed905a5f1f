//! Components: what a reusable part of an app brings (models, routes, health checks, a start
//! and a stop), composed by value — LoopBack's components and life-cycle observers without a
//! binding context.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use portico_domain::{Entity, Error, ModelDef};
use portico_http::{CrudResource, RelationResource, RestApi};
use portico_ports::{Repository, Store};

use crate::health::HealthCheck;
use crate::settings::Settings;

/// What components and the app's own builders get: the connected store and the settings.
#[derive(Clone)]
pub struct Context {
    /// The app's store (metered: every operation is timed into the store histogram). Build
    /// repositories over it with [`Context::repository`].
    pub store: Arc<dyn Store>,
    /// The settings the app runs with ([`Context::resource`] and [`Context::relation`] apply
    /// the HTTP ones, `MAX_PAGE_SIZE` and `READ_ONLY`).
    pub settings: Settings,
    /// The models [`Context::repository`] was asked for, and those their relations reach.
    used: Arc<Mutex<Vec<&'static ModelDef>>>,
}

impl Context {
    /// A context over `store` with `settings` (what [`App`](crate::App) makes; tests of a
    /// component make their own).
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        Context {
            store,
            settings,
            used: Arc::default(),
        }
    }

    /// The repository of `E` over the app's store. `E` and every model its relations reach
    /// are migrated before the app serves, whether or not a component lists them in
    /// [`Component::models`].
    ///
    /// # Errors
    /// `Unsupported` when the store cannot hold the model.
    pub fn repository<E: Entity>(&self) -> Result<Repository<E>, Error> {
        let repository = Repository::new(Arc::clone(&self.store))?;
        if let Ok(mut used) = self.used.lock() {
            let mut pending = vec![E::definition()];
            while let Some(model) = pending.pop() {
                if !used.iter().any(|m| std::ptr::eq(*m, model)) {
                    used.push(model);
                    pending.extend(model.relations.iter().map(|r| r.target()));
                }
            }
        }
        Ok(repository)
    }

    /// The models [`Context::repository`] was asked for so far, with those their relations
    /// reach.
    pub fn used_models(&self) -> Vec<&'static ModelDef> {
        self.used
            .lock()
            .map(|used| used.clone())
            .unwrap_or_default()
    }

    /// LoopBack's CRUD routes of `repository` at `base` (`/todos`), with the app's page size
    /// and read-only settings.
    pub fn resource<E: Entity>(&self, base: &str, repository: &Repository<E>) -> CrudResource {
        CrudResource::new(base, Arc::new(repository.records().clone()))
            .max_page_size(self.settings.http.max_page_size)
            .read_only(self.settings.http.read_only)
    }

    /// The routes of `repository`'s relation `name` under `base` (`/todo-lists/{id}/todos`),
    /// with the app's page size and read-only settings.
    pub fn relation<E: Entity>(
        &self,
        base: &str,
        repository: &Repository<E>,
        name: &str,
    ) -> RelationResource {
        RelationResource::new(base, repository.records().clone(), name)
            .max_page_size(self.settings.http.max_page_size)
            .read_only(self.settings.http.read_only)
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A part of an app: its models, its routes, its health checks and its life cycle.
///
/// An [`App`](crate::App) migrates every component's [`models`](Component::models) before
/// anything else, then [mounts](Component::mount) the components in the order they were added,
/// [starts](Component::start) them in that order before it listens, and
/// [stops](Component::stop) them in reverse order once in-flight requests have drained.
///
/// ```
/// use portico_domain::{Entity, Error, ModelDef};
/// use portico_http::RestApi;
/// use portico_ports::Repository;
/// use portico_server::{Component, Context};
///
/// #[derive(Entity, Clone, Debug)]
/// struct Note {
///     #[portico(id, generated)]
///     id: Option<i64>,
///     text: String,
/// }
///
/// struct Notes;
///
/// #[async_trait::async_trait]
/// impl Component for Notes {
///     fn name(&self) -> &str {
///         "notes"
///     }
///     fn models(&self) -> Vec<&'static ModelDef> {
///         vec![Note::definition()]
///     }
///     fn mount(&self, api: RestApi, ctx: &Context) -> Result<RestApi, Error> {
///         let notes = ctx.repository::<Note>()?;
///         Ok(api.resource(ctx.resource("/notes", &notes)))
///     }
/// }
/// ```
#[async_trait]
pub trait Component: Send + Sync {
    /// The name logs use.
    fn name(&self) -> &str;

    /// The models to migrate before the app starts, beside those its
    /// [`Context::repository`] calls name (default none).
    fn models(&self) -> Vec<&'static ModelDef> {
        Vec::new()
    }

    /// Adds the component's resources, relations and routes to `api`.
    ///
    /// # Errors
    /// What building its repositories returns, e.g. `Unsupported` for a model the store
    /// cannot hold; the app does not start.
    fn mount(&self, api: RestApi, ctx: &Context) -> Result<RestApi, Error>;

    /// The health checks it adds to `/health`, `/live` and `/ready` (default none).
    fn health_checks(&self, ctx: &Context) -> Vec<Arc<dyn HealthCheck>> {
        let _ = ctx;
        Vec::new()
    }

    /// Runs after migration and mounting, before the app listens (default nothing).
    ///
    /// # Errors
    /// Any: the app does not start, and the components started before it are stopped.
    async fn start(&self, ctx: &Context) -> Result<(), Error> {
        let _ = ctx;
        Ok(())
    }

    /// Runs once the server has stopped and in-flight requests have drained, in reverse order
    /// of starting (default nothing).
    async fn stop(&self) {}
}

/// A builder of the app's own routes ([`App::routes`](crate::App::routes)).
pub(crate) type ApiBuilder = dyn Fn(RestApi, &Context) -> Result<RestApi, Error> + Send + Sync;

/// The app's own models, routes and checks, composed as its last component.
#[derive(Default)]
pub(crate) struct Own {
    pub(crate) models: Vec<&'static ModelDef>,
    pub(crate) apis: Vec<Box<ApiBuilder>>,
    pub(crate) checks: Vec<Arc<dyn HealthCheck>>,
}

#[async_trait]
impl Component for Own {
    fn name(&self) -> &str {
        "app"
    }

    fn models(&self) -> Vec<&'static ModelDef> {
        self.models.clone()
    }

    fn mount(&self, mut api: RestApi, ctx: &Context) -> Result<RestApi, Error> {
        for build in &self.apis {
            api = build(api, ctx)?;
        }
        Ok(api)
    }

    fn health_checks(&self, _: &Context) -> Vec<Arc<dyn HealthCheck>> {
        self.checks.clone()
    }
}
