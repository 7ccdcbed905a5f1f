//! Health checks in the shape of LoopBack's `@loopback/health`: `/health` (every check),
//! `/live` (liveness checks) and `/ready` (readiness checks), with the app's life cycle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::{EndpointExt, Response};
use portico_ports::Store;
use serde_json::{Value as Json, json};

/// Which probes a check answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// Readiness: the app can serve requests now (its database answers). A failing readiness
    /// check takes the instance out of the load balancer, not down.
    Ready,
    /// Liveness: the process works at all. A failing liveness check gets it restarted.
    Live,
}

/// One health check. Checks run concurrently on every probe, each bounded by
/// [`Health::with_check_timeout`]; a check should bound its own work more tightly.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// The name the probe's body shows (`database`).
    fn name(&self) -> &str;
    /// Which probes it answers for.
    fn kind(&self) -> CheckKind;
    /// Runs the check.
    ///
    /// # Errors
    /// Why it is down, as a reason a probe may show (no secrets).
    async fn check(&self) -> Result<(), String>;
}

/// A health check from a function: `check_fn("cache", CheckKind::Ready, || async { Ok(()) })`.
pub fn check_fn<F, Fut>(name: impl Into<String>, kind: CheckKind, check: F) -> impl HealthCheck
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    FnCheck {
        name: name.into(),
        kind,
        check,
    }
}

/// See [`check_fn`].
struct FnCheck<F> {
    name: String,
    kind: CheckKind,
    check: F,
}

#[async_trait]
impl<F, Fut> HealthCheck for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> CheckKind {
        self.kind
    }

    async fn check(&self) -> Result<(), String> {
        (self.check)().await
    }
}

/// The readiness check of a [`Store`] (named `database`): [`Store::ping`], within a timeout
/// (default 2 s), so `/ready` answers in time even while the database hangs.
pub struct StoreCheck {
    store: Arc<dyn Store>,
    timeout: Duration,
}

impl StoreCheck {
    /// The timeout unless [`StoreCheck::timeout`] says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// The check of `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        StoreCheck {
            store,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Sets how long the ping may take before the check fails.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait]
impl HealthCheck for StoreCheck {
    fn name(&self) -> &str {
        "database"
    }

    fn kind(&self) -> CheckKind {
        CheckKind::Ready
    }

    async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(self.timeout, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            // The domain error's message is safe to show: it never carries the driver's.
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "the data source did not answer within {} ms",
                self.timeout.as_millis()
            )),
        }
    }
}

/// Where the app is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Starting: migrating, starting components (every probe answers 503).
    Starting,
    /// Serving (probes answer from their checks).
    Up,
    /// Shutting down: draining in-flight requests (every probe answers 503).
    Stopping,
}

impl Lifecycle {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Lifecycle::Starting,
            1 => Lifecycle::Up,
            _ => Lifecycle::Stopping,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            Lifecycle::Starting => 0,
            Lifecycle::Up => 1,
            Lifecycle::Stopping => 2,
        }
    }
}

/// Which probe is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `/health`: every check.
    Health,
    /// `/live`: liveness checks.
    Live,
    /// `/ready`: readiness checks.
    Ready,
}

impl Probe {
    fn includes(self, kind: CheckKind) -> bool {
        match self {
            Probe::Health => true,
            Probe::Live => kind == CheckKind::Live,
            Probe::Ready => kind == CheckKind::Ready,
        }
    }

    /// The status of a failing check on this probe: 500 on `/live` (as LoopBack), else 503.
    fn down_status(self) -> StatusCode {
        match self {
            Probe::Live => StatusCode::INTERNAL_SERVER_ERROR,
            Probe::Health | Probe::Ready => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

struct Inner {
    lifecycle: AtomicU8,
    checks: Vec<Arc<dyn HealthCheck>>,
    check_timeout: Duration,
    /// The last run of every check and when it ended: probes within [`Health::RESULTS_TTL`]
    /// of it reuse it, and concurrent probes wait for one run (a flood of probes costs the
    /// database one ping a second, not one per probe).
    last_run: tokio::sync::Mutex<Option<(Instant, Arc<Vec<Outcome>>)>>,
}

/// One check's outcome: its name, kind, and why it is down.
type Outcome = (String, CheckKind, Result<(), String>);

/// The app's health: its life cycle and its checks, shared by the probes' endpoints (clones
/// share the state).
///
/// Bodies are `{"status":"UP","checks":[{"name":"database","state":"UP","data":{"reason":""}}]}`;
/// a failing check is `"state":"DOWN"` with its reason. Status codes follow LoopBack: all up →
/// 200; a check down → 503 on `/health` and `/ready`, 500 on `/live`; starting or stopping →
/// 503 with `"status":"STARTING"` or `"STOPPING"`.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.inner.checks.iter().map(|c| c.name()).collect();
        f.debug_struct("Health")
            .field("lifecycle", &self.lifecycle())
            .field("checks", &names)
            .finish()
    }
}

impl Health {
    /// The bound of every check unless [`Health::with_check_timeout`] says otherwise.
    pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

    /// How long the outcome of a run of the checks answers probes.
    pub const RESULTS_TTL: Duration = Duration::from_secs(1);

    /// A starting app's health with these checks.
    pub fn new(checks: Vec<Arc<dyn HealthCheck>>) -> Self {
        Health::with_check_timeout(checks, Self::DEFAULT_CHECK_TIMEOUT)
    }

    /// [`Health::new`], each check bounded by `timeout` (a check past it is down).
    pub fn with_check_timeout(checks: Vec<Arc<dyn HealthCheck>>, timeout: Duration) -> Self {
        Health {
            inner: Arc::new(Inner {
                lifecycle: AtomicU8::new(Lifecycle::Starting.to_u8()),
                checks,
                check_timeout: timeout,
                last_run: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Where the app is in its life.
    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle::from_u8(self.inner.lifecycle.load(Ordering::SeqCst))
    }

    /// Marks the app as serving.
    pub fn set_up(&self) {
        self.set(Lifecycle::Up);
    }

    /// Marks the app as shutting down: every probe answers 503 from now on.
    pub fn set_stopping(&self) {
        self.set(Lifecycle::Stopping);
    }

    fn set(&self, lifecycle: Lifecycle) {
        self.inner
            .lifecycle
            .store(lifecycle.to_u8(), Ordering::SeqCst);
    }

    /// Runs every check concurrently, or reuses the last run when it is recent.
    async fn outcomes(&self) -> Arc<Vec<Outcome>> {
        let mut last_run = self.inner.last_run.lock().await;
        if let Some((at, outcomes)) = last_run.as_ref()
            && at.elapsed() < Self::RESULTS_TTL
        {
            return Arc::clone(outcomes);
        }
        let timeout = self.inner.check_timeout;
        let runs = self.inner.checks.iter().map(|check| async move {
            let outcome = match tokio::time::timeout(timeout, check.check()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!(
                    "the check did not finish within {} ms",
                    timeout.as_millis()
                )),
            };
            (check.name().to_owned(), check.kind(), outcome)
        });
        let outcomes = Arc::new(futures_util::future::join_all(runs).await);
        *last_run = Some((Instant::now(), Arc::clone(&outcomes)));
        outcomes
    }

    /// The probe's checks (run at most once a [`Health::RESULTS_TTL`]) and its status code
    /// and body.
    pub async fn probe(&self, probe: Probe) -> (StatusCode, Json) {
        let outcomes = self.outcomes().await;
        let results: Vec<(String, Result<(), String>)> = outcomes
            .iter()
            .filter(|(_, kind, _)| probe.includes(*kind))
            .map(|(name, _, outcome)| (name.clone(), outcome.clone()))
            .collect();
        let all_up = results.iter().all(|(_, outcome)| outcome.is_ok());
        let checks: Vec<Json> = results
            .into_iter()
            .map(|(name, outcome)| {
                let (state, reason) = match outcome {
                    Ok(()) => ("UP", String::new()),
                    Err(reason) => ("DOWN", reason),
                };
                json!({"name": name, "state": state, "data": {"reason": reason}})
            })
            .collect();
        let (status, code) = match (self.lifecycle(), all_up) {
            (Lifecycle::Starting, _) => ("STARTING", StatusCode::SERVICE_UNAVAILABLE),
            (Lifecycle::Stopping, _) => ("STOPPING", StatusCode::SERVICE_UNAVAILABLE),
            (Lifecycle::Up, true) => ("UP", StatusCode::OK),
            (Lifecycle::Up, false) => ("DOWN", probe.down_status()),
        };
        (code, json!({"status": status, "checks": checks}))
    }

    /// The probes' routes: `/health`, `/live` and `/ready`.
    pub fn endpoints(&self) -> Vec<(&'static str, BoxEndpoint<'static, Response>)> {
        [
            ("/health", Probe::Health),
            ("/live", Probe::Live),
            ("/ready", Probe::Ready),
        ]
        .into_iter()
        .map(|(path, probe)| {
            let health = self.clone();
            let endpoint = poem::get(poem::endpoint::make(move |_| {
                let health = health.clone();
                async move {
                    let (status, body) = health.probe(probe).await;
                    Response::builder()
                        .status(status)
                        .content_type("application/json")
                        .header("cache-control", "no-store")
                        .body(body.to_string())
                }
            }))
            .boxed();
            (path, endpoint)
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {

    use poem::{Endpoint, Request};

    use super::*;

    struct Fixed {
        name: &'static str,
        kind: CheckKind,
        outcome: Result<(), String>,
        delay: Duration,
    }

    #[async_trait]
    impl HealthCheck for Fixed {
        fn name(&self) -> &str {
            self.name
        }
        fn kind(&self) -> CheckKind {
            self.kind
        }
        async fn check(&self) -> Result<(), String> {
            tokio::time::sleep(self.delay).await;
            self.outcome.clone()
        }
    }

    fn check(
        name: &'static str,
        kind: CheckKind,
        outcome: Result<(), &str>,
    ) -> Arc<dyn HealthCheck> {
        Arc::new(Fixed {
            name,
            kind,
            outcome: outcome.map_err(str::to_owned),
            delay: Duration::ZERO,
        })
    }

    async fn get(health: &Health, path: &str) -> (u16, Json) {
        let (_, endpoint) = health
            .endpoints()
            .into_iter()
            .find(|(p, _)| *p == path)
            .unwrap();
        let response = endpoint
            .call(Request::builder().uri(path.parse().unwrap()).finish())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = serde_json::from_slice(&response.into_body().into_vec().await.unwrap()).unwrap();
        (status, body)
    }

    #[tokio::test]
    async fn all_up_is_200_with_loopbacks_body() {
        let health = Health::new(vec![
            check("database", CheckKind::Ready, Ok(())),
            check("process", CheckKind::Live, Ok(())),
        ]);
        health.set_up();
        assert_eq!(
            get(&health, "/ready").await,
            (
                200,
                json!({"status": "UP", "checks": [{"name": "database", "state": "UP", "data": {"reason": ""}}]})
            )
        );
        let (status, body) = get(&health, "/health").await;
        assert_eq!((status, body["checks"].as_array().unwrap().len()), (200, 2));
        let (status, body) = get(&health, "/live").await;
        assert_eq!(
            (status, &body["checks"][0]["name"]),
            (200, &json!("process"))
        );
    }

    #[tokio::test]
    async fn a_failing_check_is_down_on_its_probes_only() {
        let health = Health::new(vec![
            check(
                "database",
                CheckKind::Ready,
                Err("the data source is unavailable"),
            ),
            check("process", CheckKind::Live, Ok(())),
        ]);
        health.set_up();
        let (status, body) = get(&health, "/ready").await;
        assert_eq!(status, 503);
        assert_eq!(
            body,
            json!({"status": "DOWN", "checks": [{"name": "database", "state": "DOWN", "data": {"reason": "the data source is unavailable"}}]})
        );
        let (status, body) = get(&health, "/health").await;
        assert_eq!((status, &body["status"]), (503, &json!("DOWN")));
        assert_eq!(get(&health, "/live").await.0, 200);

        let dead = Health::new(vec![check("process", CheckKind::Live, Err("stuck"))]);
        dead.set_up();
        assert_eq!(get(&dead, "/live").await.0, 500);
        assert_eq!(get(&dead, "/ready").await.0, 200);
    }

    #[tokio::test]
    async fn concurrent_probes_share_one_run_of_the_checks() {
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let counting = check_fn("database", CheckKind::Ready, move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        });
        let health = Health::new(vec![Arc::new(counting)]);
        health.set_up();
        let probes = (0..50).map(|_| get(&health, "/ready"));
        for (status, _) in futures_util::future::join_all(probes).await {
            assert_eq!(status, 200);
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "one run for 50 probes within the TTL"
        );
    }

    #[tokio::test]
    async fn a_check_from_a_function() {
        let cache = check_fn("cache", CheckKind::Live, || async {
            Err("cold".to_owned())
        });
        let health = Health::new(vec![Arc::new(cache)]);
        health.set_up();
        let (status, body) = get(&health, "/live").await;
        assert_eq!(status, 500);
        assert_eq!(body["checks"][0]["data"]["reason"], "cold");
    }

    #[tokio::test]
    async fn starting_and_stopping_are_503() {
        let health = Health::new(vec![check("database", CheckKind::Ready, Ok(()))]);
        assert_eq!(health.lifecycle(), Lifecycle::Starting);
        for path in ["/health", "/live", "/ready"] {
            let (status, body) = get(&health, path).await;
            assert_eq!(
                (status, &body["status"]),
                (503, &json!("STARTING")),
                "{path}"
            );
        }
        health.set_up();
        assert_eq!(get(&health, "/ready").await.0, 200);
        let clone = health.clone();
        clone.set_stopping();
        let (status, body) = get(&health, "/ready").await;
        assert_eq!((status, &body["status"]), (503, &json!("STOPPING")));
    }

    #[tokio::test]
    async fn checks_run_concurrently_and_are_bounded() {
        // Each check waits for the other two to have started: run one after another, they
        // would all time out.
        let barrier = Arc::new(tokio::sync::Barrier::new(3));
        let meeting = |name: &'static str| -> Arc<dyn HealthCheck> {
            let barrier = Arc::clone(&barrier);
            Arc::new(check_fn(name, CheckKind::Ready, move || {
                let barrier = Arc::clone(&barrier);
                async move {
                    barrier.wait().await;
                    Ok(())
                }
            }))
        };
        let health = Health::with_check_timeout(
            vec![meeting("a"), meeting("b"), meeting("c")],
            Duration::from_secs(60),
        );
        health.set_up();
        let (status, body) = get(&health, "/ready").await;
        assert_eq!(status, 200, "{body}");

        let hung = Health::with_check_timeout(
            vec![Arc::new(Fixed {
                name: "hung",
                kind: CheckKind::Ready,
                outcome: Ok(()),
                delay: Duration::from_secs(3600),
            })],
            Duration::from_millis(50),
        );
        hung.set_up();
        let (status, body) = get(&hung, "/ready").await;
        assert_eq!((status, &body["checks"][0]["state"]), (503, &json!("DOWN")));
    }

    #[cfg(feature = "memory")]
    #[tokio::test]
    async fn the_store_check_pings() {
        let check = StoreCheck::new(Arc::new(portico_memory::MemoryStore::new()));
        assert_eq!((check.name(), check.kind()), ("database", CheckKind::Ready));
        assert_eq!(check.check().await, Ok(()));
    }
}
