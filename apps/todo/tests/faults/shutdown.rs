//! Graceful shutdown: requests in flight when the shutdown begins finish with 2xx, and nothing
//! new is accepted. Once in-process (a store that holds inserts until the test opens a gate),
//! once on the real binary with SIGTERM (a PostgreSQL table lock holds the inserts).

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use portico::memory::MemoryStore;
use portico::prelude::*;
use portico_testing::{HookedStore, StoreOp};
use portico_todo::Todo;
use serde_json::json;

use crate::app::AppProcess;
use crate::client::{Client, Response};
use crate::pg::{Binaries, PrivatePostgres};
use crate::{Outcome, ensure, runtime, wait_until};

/// Requests in flight when the shutdown begins.
const IN_FLIGHT: usize = 3;
/// A guard against hangs, not a speed requirement.
const BOUND: Duration = Duration::from_secs(60);

/// `IN_FLIGHT` concurrent `POST /todos`, titled `in-flight-<i>`.
fn post_in_flight(client: Client) -> Vec<JoinHandle<std::result::Result<Response, String>>> {
    (0..IN_FLIGHT)
        .map(|i| {
            std::thread::spawn(move || {
                client.json(
                    "POST",
                    "/todos",
                    &json!({"title": format!("in-flight-{i}")}),
                )
            })
        })
        .collect()
}

/// Waits until connecting to `address` is refused, then checks that a request gets no answer.
fn expect_refused(address: SocketAddr) -> Outcome {
    wait_until(
        BOUND,
        "the listener to close",
        || matches!(TcpStream::connect(address), Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
    )?;
    let late = Client { address }.get("/ping");
    ensure(late.is_err(), || {
        format!("a request after the shutdown began was answered: {late:?}")
    })
}

/// Every in-flight request was answered 200 with its todo.
fn expect_completed(in_flight: Vec<JoinHandle<std::result::Result<Response, String>>>) -> Outcome {
    for (i, handle) in in_flight.into_iter().enumerate() {
        let response = handle
            .join()
            .map_err(|_| "a client thread panicked".to_owned())??;
        let body = response.json();
        ensure(
            response.status == 200
                && body["title"] == format!("in-flight-{i}").as_str()
                && body["id"].is_i64(),
            || {
                format!(
                    "in-flight request {i}: expected 200 with the todo, got {} {}",
                    response.status,
                    response.text()
                )
            },
        )?;
    }
    Ok(())
}

pub fn in_process_shutdown_finishes_in_flight_requests() -> Outcome {
    // The memory store, whose inserts wait until the gate opens.
    let (open, gate) = tokio::sync::watch::channel(false);
    let entered = Arc::new(AtomicUsize::new(0));
    let counted = entered.clone();
    let store = Arc::new(HookedStore::new(
        Arc::new(MemoryStore::new()),
        Box::new(move |op| {
            let mut gate = gate.clone();
            let counted = counted.clone();
            Box::pin(async move {
                if op == StoreOp::Insert {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.wait_for(|open| *open).await;
                }
            })
        }),
    ));
    let app = portico_todo::app();
    let settings = app.default_settings();
    let endpoint = runtime()
        .block_on(app.endpoint(store.clone(), &settings))
        .map_err(|e| e.to_string())?;
    let (listener, address) = portico::server::bind("127.0.0.1", 0).map_err(|e| e.to_string())?;
    let (trigger, signal) = tokio::sync::oneshot::channel::<()>();
    let server = runtime().spawn(portico::server::serve(
        listener,
        endpoint,
        async {
            let _ = signal.await;
        },
        settings.shutdown_grace,
    ));
    let client = Client { address };
    let in_flight = post_in_flight(client);
    let outcome = (|| {
        wait_until(BOUND, "the requests to reach the store", || {
            entered.load(Ordering::SeqCst) == IN_FLIGHT
        })?;
        trigger.send(()).map_err(|()| "the server is gone")?;
        expect_refused(address)?;
        ensure(
            in_flight.iter().all(|h| !h.is_finished()) && !server.is_finished(),
            || "the server did not wait for the requests in flight".to_owned(),
        )
    })();
    // Whatever happened, let the requests finish.
    let _ = open.send(true);
    outcome?;
    expect_completed(in_flight)?;
    let served = runtime()
        .block_on(async { tokio::time::timeout(BOUND, server).await })
        .map_err(|_| "the server did not stop after its requests finished")?
        .map_err(|e| e.to_string())?;
    served.map_err(|e| format!("the server failed: {e}"))?;
    let todos = Repository::<Todo>::new(store).map_err(|e| e.to_string())?;
    let stored = runtime()
        .block_on(todos.count(None))
        .map_err(|e| e.to_string())?;
    ensure(stored == IN_FLIGHT as u64, || {
        format!("{stored} todos stored, expected {IN_FLIGHT}")
    })
}

pub fn sigterm_finishes_in_flight_requests(binaries: Binaries) -> Outcome {
    let pg = PrivatePostgres::start(binaries)?;
    let mut app = AppProcess::start(&[("DATABASE_URL", &pg.url())])?;
    let outcome = sigterm(&pg, &mut app);
    outcome.map_err(|e| format!("{e}\n--- app logs ---\n{}", app.logs()))
}

fn sigterm(pg: &PrivatePostgres, app: &mut AppProcess) -> Outcome {
    let client = app.client;
    let lock = pg.lock_table("Todo")?;
    let in_flight = post_in_flight(client);
    let waiting = || pg.lock_waiters().is_ok_and(|n| n == IN_FLIGHT);
    let outcome = (|| {
        wait_until(BOUND, "the inserts to wait on the lock", waiting)?;
        app.terminate()?;
        expect_refused(client.address)?;
        ensure(
            in_flight.iter().all(|h| !h.is_finished()) && app.exited().is_none(),
            || "the app did not wait for the requests in flight".to_owned(),
        )
    })();
    let released = lock.release();
    outcome?;
    released?;
    expect_completed(in_flight)?;
    let status = app.wait_exit(BOUND)?;
    ensure(status.success(), || format!("the app exited with {status}"))?;
    ensure(app.logs().contains("\"stopped\""), || {
        "the app did not log that it stopped".to_owned()
    })?;
    let stored = pg.query(r#"SELECT count(*) FROM "Todo" WHERE title LIKE 'in-flight-%'"#)?;
    ensure(stored == IN_FLIGHT.to_string(), || {
        format!("{stored} todos stored, expected {IN_FLIGHT}")
    })
}
