//! The outermost layer of the REST API: a request id, a `request` span, one access line and the
//! HTTP metrics for every request, whatever answers it (a handler, the router's 404 or 405, a
//! refused request head, a mapped error).
//!
//! - **Request id.** `x-request-id` is taken from the request when it is 1–128 letters,
//!   digits or `-._:`, else one is generated (16 hex digits); it is set on the request (so
//!   handlers and anything they call see it) and on the response.
//! - **Span.** The inner endpoint runs inside a `request` span with the field `request_id`, so
//!   every line logged while serving the request — the handlers', the store's — carries it.
//! - **Access line.** One `info` event per request, target `portico_http::access`, inside the
//!   span: `method`, `route` (the route template, e.g. `/todos/{id}`; `<unmatched>` when no
//!   route matched), `status`, `elapsed_ms` (a float), and as its message the line LoopBack's
//!   default access log (morgan's `combined` format) writes — with the path but never the query
//!   string, which may carry filter values: `127.0.0.1 - - [03/Dec/2026:12:00:00 +0000] "GET
//!   /todos HTTP/1.1" 200 - "-" "curl/8.5.0"`. Its length field is `-` (the length is known only
//!   when the server writes the body), as in LoopBack's own line for the same request.
//! - **Metrics**, through the [`metrics`] facade (no-ops until the app installs a recorder):
//!   `http_requests_total{method,path,status}` (counter), `http_request_duration_seconds{method,
//!   path,status}` (histogram, seconds) and `http_requests_in_flight` (gauge). `path` is the
//!   route template or `<unmatched>`, `method` one of the standard verbs or `OTHER`, so the label
//!   sets stay bounded.
//!
//! The time is to the response head: a streamed body is not waited for.
//!
//! poem's [`Route`](poem::Route) does not tell which pattern matched, so [`observe`] puts an
//! empty [`MatchedRoute`] slot in the request's extensions and the matched path's endpoint fills
//! it with [`record_route`] (or by being wrapped in [`routed`]).

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use metrics::Label;
use poem::http::{HeaderName, HeaderValue, Method};
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

/// The request and response header carrying the request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a request; a longer one is replaced.
pub(crate) const MAX_REQUEST_ID_LEN: usize = 128;

/// The `path` label and `route` field of a request no route matched.
pub(crate) const UNMATCHED: &str = "<unmatched>";

/// The counter of requests served, by `method`, `path` and `status`.
pub const REQUESTS_TOTAL: &str = "http_requests_total";

/// The histogram of the time to the response head in seconds, by `method`, `path` and
/// `status`.
pub const REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";

/// The gauge of requests being served.
pub const REQUESTS_IN_FLIGHT: &str = "http_requests_in_flight";

/// The target of the access lines, to filter them apart (`portico_http::access=info`).
pub(crate) const ACCESS_TARGET: &str = "portico_http::access";

/// The slot, in a request's extensions, for the template of the route that matched it.
///
/// [`observe`] inserts an empty one before calling the inner endpoint and keeps a handle to
/// it; [`record_route`] fills it. The first template recorded wins.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatchedRoute(Arc<OnceLock<Arc<str>>>);

impl MatchedRoute {
    /// The template recorded, if a route matched.
    pub(crate) fn get(&self) -> Option<&Arc<str>> {
        self.0.get()
    }

    /// The slot of `req`, outside [`observe`] none.
    pub(crate) fn of(req: &Request) -> Option<MatchedRoute> {
        req.extensions().get::<MatchedRoute>().cloned()
    }

    /// Records `template`, unless one is already (for an endpoint that knows only after
    /// answering whether it matched).
    pub(crate) fn set(&self, template: &Arc<str>) {
        let _ = self.0.set(Arc::clone(template));
    }
}

/// Records `template` (the OpenAPI form, `/todos/{id}`) as the route that matched `req`.
///
/// Called by a path's endpoint when the router hands it the request. Costs a type-map lookup
/// and a reference count; does nothing outside [`observe`] or when a template was already
/// recorded.
pub(crate) fn record_route(req: &Request, template: &Arc<str>) {
    if let Some(slot) = req.extensions().get::<MatchedRoute>() {
        // Already set: the first template recorded stays.
        let _ = slot.0.set(Arc::clone(template));
    }
}

/// `inner`, recording `template` as the matched route of each request it is called with.
pub(crate) fn routed<E: Endpoint>(template: impl Into<Arc<str>>, inner: E) -> Routed<E> {
    Routed {
        template: template.into(),
        inner,
    }
}

/// An endpoint that records its route template, then calls the one it wraps; see [`routed`].
pub(crate) struct Routed<E> {
    /// The template recorded, e.g. `/todos/{id}`.
    template: Arc<str>,
    /// The endpoint called.
    inner: E,
}

impl<E: Endpoint> Endpoint for Routed<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        record_route(&req, &self.template);
        self.inner.call(req).await
    }
}

/// Serves `req` with `endpoint` inside a `request` span carrying its request id, sets
/// `x-request-id` on the response, logs the access line and records the metrics; see the
/// module's documentation. For [`EndpointExt::around`](poem::EndpointExt::around), as the
/// outermost layer.
///
/// An error left by the inner endpoint becomes its response here (as the server would make
/// it), so that it carries the request id and is counted with its status.
pub(crate) async fn observe<E: Endpoint>(
    endpoint: Arc<E>,
    mut req: Request,
) -> poem::Result<Response> {
    let started = Instant::now();
    let id = match req.headers().get(&REQUEST_ID) {
        Some(given) if valid_request_id(given) => given.clone(),
        _ => {
            let id = generate_request_id();
            req.headers_mut().insert(REQUEST_ID, id.clone());
            id
        }
    };
    let method = req.method().clone();
    // Read off the request only when the access line is logged: no allocation per request
    // otherwise.
    let line = tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO)
        .then(|| CombinedLine::of(&req));
    let matched = MatchedRoute::default();
    req.extensions_mut().insert(matched.clone());
    let span = tracing::info_span!("request", request_id = %id.to_str().unwrap_or_default());
    let in_flight = InFlight::enter();
    async move {
        // Boxed: each layer's future would hold the next one's inline, and every request
        // would copy and allocate the whole nest at once (see `api::into_endpoint`).
        let mut response = match Box::pin(endpoint.call(req)).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        drop(in_flight);
        let elapsed = started.elapsed().as_secs_f64();
        let status = response.status();
        response.headers_mut().insert(REQUEST_ID, id);
        let route = matched.get();
        if let Some(line) = &line {
            tracing::info!(
                target: ACCESS_TARGET,
                method = %method,
                route = %route.map_or(UNMATCHED, |r| &**r),
                status = status.as_u16(),
                elapsed_ms = elapsed * 1000.0,
                "{}",
                line.with_status(status.as_u16(), response.headers())
            );
        }
        let path = match route {
            Some(template) => metrics::SharedString::from(Arc::clone(template)),
            None => metrics::SharedString::const_str(UNMATCHED),
        };
        let labels = vec![
            Label::new("method", method_label(&method)),
            Label::new("path", path),
            Label::new("status", status_label(status.as_u16())),
        ];
        metrics::counter!(REQUESTS_TOTAL, labels.clone()).increment(1);
        metrics::histogram!(REQUEST_DURATION_SECONDS, labels).record(elapsed);
        Ok(response)
    }
    .instrument(span)
    .await
}

/// Whether a request's `x-request-id` is taken as it is: 1 to [`MAX_REQUEST_ID_LEN`] visible
/// ASCII characters (no spaces, no control characters).
fn valid_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_LEN
        // Letters, digits and `-._:`: nothing that reads as a field or quote in a log line.
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// A fresh request id: 16 lowercase hex digits, the SipHash (keyed at random once per process)
/// of a process-wide counter — distinct within a process, unpredictable across processes.
fn generate_request_id() -> HeaderValue {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hash = KEYS.get_or_init(RandomState::new).hash_one(n);
    let mut digits = [0_u8; 16];
    for (i, digit) in digits.iter_mut().enumerate() {
        let nibble = (hash >> (60 - 4 * i)) & 0xf;
        *digit = HEX[usize::try_from(nibble).unwrap_or(0)];
    }
    HeaderValue::from_bytes(&digits).unwrap_or(HeaderValue::from_static("0000000000000000"))
}

/// The `method` label: a standard verb, else `OTHER` (bounded cardinality).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The three digits of every status code from 100 to 999, for `'static` labels.
static STATUS_DIGITS: [u8; 2700] = {
    let mut digits = [0_u8; 2700];
    let mut i = 0;
    while i < 900 {
        let code = i + 100;
        digits[i * 3] = b'0' + (code / 100) as u8;
        digits[i * 3 + 1] = b'0' + (code / 10 % 10) as u8;
        digits[i * 3 + 2] = b'0' + (code % 10) as u8;
        i += 1;
    }
    digits
};

/// The `status` label: the code's three digits, without allocating.
fn status_label(code: u16) -> &'static str {
    let Some(offset) = usize::from(code).checked_sub(100).map(|i| i * 3) else {
        return "000";
    };
    STATUS_DIGITS
        .get(offset..offset + 3)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .unwrap_or("000")
}

/// One request in `http_requests_in_flight`, for as long as it lives (also when the request
/// is cancelled).
struct InFlight;

impl InFlight {
    /// Counts a request in.
    fn enter() -> Self {
        metrics::gauge!(REQUESTS_IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(REQUESTS_IN_FLIGHT).decrement(1.0);
    }
}

/// What a `combined`-format access line needs from the request, read before it is handled.
struct CombinedLine {
    remote: String,
    at: chrono::DateTime<chrono::Utc>,
    method: Method,
    path: String,
    version: poem::http::Version,
    referrer: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
}

impl CombinedLine {
    fn of(req: &Request) -> Self {
        let remote = match req.remote_addr().as_socket_addr() {
            Some(address) => address.ip().to_string(),
            None => "-".to_owned(),
        };
        CombinedLine {
            remote,
            at: chrono::Utc::now(),
            method: req.method().clone(),
            path: req.uri().path().to_owned(),
            version: req.version(),
            referrer: req.headers().get(poem::http::header::REFERER).cloned(),
            user_agent: req.headers().get(poem::http::header::USER_AGENT).cloned(),
        }
    }

    fn with_status<'a>(
        &'a self,
        status: u16,
        headers: &'a poem::http::HeaderMap,
    ) -> impl std::fmt::Display + 'a {
        struct Line<'a>(&'a CombinedLine, u16, Option<&'a HeaderValue>);
        impl std::fmt::Display for Line<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let Line(line, status, length) = self;
                let text = |value: Option<&HeaderValue>| {
                    value
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned()
                };
                let version = match line.version {
                    poem::http::Version::HTTP_10 => "1.0",
                    poem::http::Version::HTTP_2 => "2.0",
                    _ => "1.1",
                };
                write!(
                    f,
                    "{} - - [{}] \"{} {} HTTP/{version}\" {status} {} \"{}\" \"{}\"",
                    line.remote,
                    line.at.format("%d/%b/%Y:%H:%M:%S +0000"),
                    line.method,
                    line.path,
                    text(*length),
                    text(line.referrer.as_ref()),
                    text(line.user_agent.as_ref()),
                )
            }
        }
        Line(
            self,
            status,
            headers.get(poem::http::header::CONTENT_LENGTH),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Mutex;

    use metrics::{
        Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata,
        Recorder, SharedString, Unit,
    };
    use poem::http::StatusCode;
    use poem::{EndpointExt, Route, handler};

    use super::*;

    /// One metric update: kind, name, labels (sorted), value.
    type Event = (&'static str, String, Vec<(String, String)>, f64);

    /// A recorder that keeps every update, in order.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<Event>>>);

    /// A handle of [`Capture`]: the metric's kind and key.
    struct Handle {
        kind: &'static str,
        key: Key,
        log: Capture,
    }

    impl Handle {
        fn push(&self, value: f64) {
            let mut labels: Vec<_> = self
                .key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let event = (self.kind, self.key.name().to_owned(), labels, value);
            self.log.0.lock().unwrap().push(event);
        }
    }

    impl CounterFn for Handle {
        fn increment(&self, value: u64) {
            self.push(value as f64);
        }
        fn absolute(&self, value: u64) {
            self.push(value as f64);
        }
    }

    impl GaugeFn for Handle {
        fn increment(&self, value: f64) {
            self.push(value);
        }
        fn decrement(&self, value: f64) {
            self.push(-value);
        }
        fn set(&self, value: f64) {
            self.push(value);
        }
    }

    impl HistogramFn for Handle {
        fn record(&self, value: f64) {
            self.push(value);
        }
    }

    impl Capture {
        fn handle(&self, kind: &'static str, key: &Key) -> Arc<Handle> {
            Arc::new(Handle {
                kind,
                key: key.clone(),
                log: self.clone(),
            })
        }

        fn events(&self) -> Vec<Event> {
            self.0.lock().unwrap().clone()
        }

        /// The labels of the updates of `name`, as `k=v` lists.
        fn labels_of(&self, name: &str) -> Vec<String> {
            self.events()
                .into_iter()
                .filter(|(_, n, _, _)| n == name)
                .map(|(_, _, labels, _)| {
                    labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect()
        }
    }

    impl Recorder for Capture {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.handle("counter", key))
        }
        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::from_arc(self.handle("gauge", key))
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.handle("histogram", key))
        }
    }

    #[handler]
    fn todo() -> &'static str {
        tracing::info!("finding the todo");
        "a todo"
    }

    /// `/todos/:id`, recorded as `/todos/{id}`, behind [`observe`].
    fn app() -> impl Endpoint<Output = Response> {
        Route::new()
            .at("/todos/:id", routed("/todos/{id}", poem::get(todo)))
            .around(observe)
    }

    fn request(method: Method, uri: &str, id: Option<&[u8]>) -> Request {
        let mut builder = Request::builder().method(method).uri(uri.parse().unwrap());
        if let Some(id) = id {
            builder = builder.header(REQUEST_ID, HeaderValue::from_bytes(id).unwrap());
        }
        builder.finish()
    }

    fn response_id(response: &Response) -> String {
        let id = response.headers().get(REQUEST_ID).expect("x-request-id");
        id.to_str().unwrap().to_owned()
    }

    fn generated(id: &str) -> bool {
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }

    #[tokio::test]
    async fn echoes_a_given_request_id() {
        let response = app()
            .call(request(Method::GET, "/todos/1", Some(b"abc-123_X")))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response_id(&response), "abc-123_X");
        let longest = "x".repeat(MAX_REQUEST_ID_LEN);
        let response = app()
            .call(request(Method::GET, "/todos/1", Some(longest.as_bytes())))
            .await
            .unwrap();
        assert_eq!(response_id(&response), longest);
    }

    #[tokio::test]
    async fn generates_a_request_id_when_absent() {
        let first = response_id(
            &app()
                .call(request(Method::GET, "/todos/1", None))
                .await
                .unwrap(),
        );
        let second = response_id(
            &app()
                .call(request(Method::GET, "/todos/1", None))
                .await
                .unwrap(),
        );
        assert!(generated(&first), "{first}");
        assert!(generated(&second), "{second}");
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn replaces_an_invalid_request_id() {
        let too_long = "x".repeat(MAX_REQUEST_ID_LEN + 1);
        let invalid: [&[u8]; 4] = [b"", b"has space", b"tab\there", too_long.as_bytes()];
        for id in invalid {
            let response = app()
                .call(request(Method::GET, "/todos/1", Some(id)))
                .await
                .unwrap();
            let got = response_id(&response);
            assert!(generated(&got), "{id:?} became {got}");
        }
        // Not ASCII (a valid header value all the same).
        let response = app()
            .call(request(Method::GET, "/todos/1", Some("é".as_bytes())))
            .await
            .unwrap();
        assert!(generated(&response_id(&response)));
    }

    #[tokio::test]
    async fn handlers_see_the_request_id() {
        #[handler]
        fn echo(req: &Request) -> String {
            req.headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_owned()
        }
        let app = Route::new().at("/echo", poem::get(echo)).around(observe);
        let response = app.call(request(Method::GET, "/echo", None)).await.unwrap();
        let id = response_id(&response);
        assert_eq!(response.into_body().into_string().await.unwrap(), id);
    }

    #[tokio::test]
    async fn records_the_template_not_the_url() {
        let capture = Capture::default();
        let _recorder = metrics::set_default_local_recorder(&capture);
        let response = app()
            .call(request(Method::GET, "/todos/42", None))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let labels = "method=GET,path=/todos/{id},status=200";
        assert_eq!(capture.labels_of(REQUESTS_TOTAL), [labels]);
        assert_eq!(capture.labels_of(REQUEST_DURATION_SECONDS), [labels]);
        let events = capture.events();
        let counted: Vec<f64> = events
            .iter()
            .filter(|(kind, name, _, _)| *kind == "counter" && name == REQUESTS_TOTAL)
            .map(|e| e.3)
            .collect();
        assert_eq!(counted, [1.0]);
        let seconds = events
            .iter()
            .find(|(kind, _, _, _)| *kind == "histogram")
            .map(|e| e.3)
            .unwrap();
        assert!((0.0..10.0).contains(&seconds), "{seconds}");
        let in_flight: Vec<f64> = events
            .iter()
            .filter(|(_, name, _, _)| name == REQUESTS_IN_FLIGHT)
            .map(|e| e.3)
            .collect();
        assert_eq!(in_flight, [1.0, -1.0]);
    }

    #[tokio::test]
    async fn unmatched_paths_and_other_methods() {
        let capture = Capture::default();
        let _recorder = metrics::set_default_local_recorder(&capture);
        // The router's 404 is an error; it is answered and counted all the same.
        let response = app()
            .call(request(Method::GET, "/nope/7", None))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(generated(&response_id(&response)));
        // A verb the path does not serve: the path matched.
        let response = app()
            .call(request(Method::DELETE, "/todos/1", None))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let purge = Method::from_bytes(b"PURGE").unwrap();
        app().call(request(purge, "/todos/1", None)).await.unwrap();
        assert_eq!(
            capture.labels_of(REQUESTS_TOTAL),
            [
                "method=GET,path=<unmatched>,status=404",
                "method=DELETE,path=/todos/{id},status=405",
                "method=OTHER,path=/todos/{id},status=405",
            ]
        );
    }

    /// A `MakeWriter` keeping what is logged.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What the tests' global subscriber logged. Global, not per thread: tracing caches per
    /// callsite whether anyone wants it, and with a single thread-local subscriber the other
    /// tests' threads (which have none) would decide "no".
    fn logged() -> &'static Lines {
        static LINES: OnceLock<Lines> = OnceLock::new();
        LINES.get_or_init(|| {
            let lines = Lines::default();
            let writer = lines.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this crate's tests");
            lines
        })
    }

    #[tokio::test]
    async fn log_lines_carry_the_request_id() {
        let logged = logged();
        app()
            .call(request(
                Method::GET,
                "/todos/42?token=secret",
                Some(b"observe-log-1"),
            ))
            .await
            .unwrap();
        app()
            .call(request(Method::GET, "/nope", Some(b"observe-log-2")))
            .await
            .unwrap();
        let text = String::from_utf8(logged.0.lock().unwrap().clone()).unwrap();
        let of = |id: &str| -> Vec<String> {
            let span = format!("request{{request_id={id}}}");
            text.lines()
                .filter(|l| l.contains(&span))
                .map(str::to_owned)
                .collect()
        };
        let first = of("observe-log-1");
        let second = of("observe-log-2");
        assert_eq!((first.len(), second.len()), (2, 1), "{text}");
        assert!(first[0].contains("finding the todo"), "{text}");
        for (line, route, status) in [
            (&first[1], "/todos/{id}", 200),
            (&second[0], UNMATCHED, 404),
        ] {
            assert!(line.contains(&format!("{ACCESS_TARGET}: ")), "{line}");
            assert!(line.contains("method=GET"), "{line}");
            assert!(line.contains(&format!("route={route} ")), "{line}");
            assert!(line.contains(&format!("status={status} ")), "{line}");
            assert!(line.contains("elapsed_ms="), "{line}");
            assert!(
                !line.contains("secret"),
                "the query string is not logged: {line}"
            );
        }
        // LoopBack's `combined` line, the path without its query.
        assert!(
            first[1].contains(r#""GET /todos/42 HTTP/1.1" 200 - "-" "-""#),
            "{}",
            first[1]
        );
    }

    #[test]
    fn status_labels_are_the_codes() {
        for code in [100, 200, 204, 404, 431, 500, 599, 999] {
            assert_eq!(status_label(code), code.to_string());
        }
        assert_eq!(status_label(42), "000");
        assert_eq!(status_label(1000), "000");
    }

    #[test]
    fn record_route_outside_observe_does_nothing() {
        let req = request(Method::GET, "/x", None);
        record_route(&req, &Arc::from("/x"));
        assert!(req.extensions().get::<MatchedRoute>().is_none());
        // The first template recorded stays.
        let mut req = request(Method::GET, "/x", None);
        let slot = MatchedRoute::default();
        req.extensions_mut().insert(slot.clone());
        record_route(&req, &Arc::from("/first"));
        record_route(&req, &Arc::from("/second"));
        assert_eq!(slot.get().map(|t| &**t), Some("/first"));
    }
}
