//! Prometheus metrics: the process's recorder for the [`metrics`] facade, installed once, and
//! `/metrics` rendering it in Prometheus' text format.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, Response};

use crate::store::Database;

/// The histogram of HTTP request durations, in seconds (recorded by the HTTP adapter, labelled
/// `method`, `path`, `status`).
pub const HTTP_REQUEST_DURATION: &str = portico_http::metric_names::REQUEST_DURATION_SECONDS;
/// The counter of HTTP requests (recorded by the HTTP adapter, labelled `method`, `path`,
/// `status`).
pub const HTTP_REQUESTS: &str = portico_http::metric_names::REQUESTS_TOTAL;
/// The histogram of store operation durations, in seconds, labelled `model`, `operation` and
/// `outcome` (recorded by [`MeteredStore`](crate::MeteredStore)).
pub const STORE_OPERATION_DURATION: &str = "portico_store_operation_duration_seconds";
/// The gauge of the SQL pool's connections, labelled `state` (`idle` or `in_use`).
pub const DB_POOL_CONNECTIONS: &str = "portico_db_pool_connections";

/// The content type of Prometheus' text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus' default buckets: web requests, 5 ms to 10 s.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Store operations are faster: 0.5 ms to 5 s.
const STORE_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed as the [`metrics`] facade's global recorder on
/// the first call (later calls, e.g. from several apps started by one test binary, share it).
/// When another recorder was installed first, this one still renders, but records nothing
/// (a warning is logged).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_DURATION.to_owned()), HTTP_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(STORE_OPERATION_DURATION.to_owned()),
                    STORE_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics shows nothing");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "How long HTTP requests take, by method, route and status"
    );
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests, by method, route and status");
    metrics::describe_gauge!(
        portico_http::metric_names::REQUESTS_IN_FLIGHT,
        "HTTP requests being served right now"
    );
    metrics::describe_histogram!(
        STORE_OPERATION_DURATION,
        metrics::Unit::Seconds,
        "How long store operations take, by model, operation and outcome"
    );
    metrics::describe_gauge!(
        DB_POOL_CONNECTIONS,
        "The SQL pool's open connections, by state (idle, in_use)"
    );
}

/// Sets the pool gauges from `database` (when it is SQL), then renders every metric in
/// Prometheus' text format.
pub fn render(database: Option<&Database>) -> String {
    let handle = install();
    if let Some(stats) = database.and_then(Database::pool_stats) {
        let size = f64::from(stats.size);
        #[allow(clippy::cast_precision_loss)] // a pool holds far fewer than 2^52 connections
        let idle = stats.idle as f64;
        metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(idle);
        metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set((size - idle).max(0.0));
    }
    handle.render()
}

/// `GET /metrics`: [`render`] over `database`.
pub fn endpoint(database: Option<Database>) -> BoxEndpoint<'static, Response> {
    install();
    poem::get(poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type(CONTENT_TYPE)
            .header("cache-control", "no-store")
            .body(render(database.as_ref()))
    }))
    .boxed()
}

/// Drains recorded histogram samples every `interval`, so memory stays bounded between
/// scrapes; runs until dropped or aborted (an app runs it while it serves).
pub async fn upkeep(interval: Duration) {
    let handle = install();
    loop {
        tokio::time::sleep(interval).await;
        handle.run_upkeep();
    }
}

#[cfg(test)]
mod tests {
    use poem::{Endpoint, Request};

    use super::*;

    #[tokio::test]
    async fn metrics_render_as_prometheus_text_with_buckets() {
        install();
        assert!(std::ptr::eq(install(), install()));
        metrics::histogram!(STORE_OPERATION_DURATION, "model" => "Unit", "operation" => "find", "outcome" => "ok")
            .record(0.002);
        let response = endpoint(None)
            .call(Request::builder().uri("/metrics".parse().unwrap()).finish())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_type(), Some(CONTENT_TYPE));
        let text = response.into_body().into_string().await.unwrap();
        assert!(
            text.contains(&format!("# TYPE {STORE_OPERATION_DURATION} histogram")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "{STORE_OPERATION_DURATION}_bucket{{model=\"Unit\",operation=\"find\",outcome=\"ok\",le=\"0.0025\"}}"
            )),
            "{text}"
        );
    }
}
