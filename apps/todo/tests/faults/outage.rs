//! A PostgreSQL outage under write load: the real binary, a private cluster stopped (`pg_ctl stop
//! -m fast`, while a table lock holds every writer's insert in flight, so statements are cut
//! short on every run) and started again under it, every answer recorded and checked against
//! what the database holds afterwards.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::app::AppProcess;
use crate::client::Client;
use crate::pg::{Binaries, PrivatePostgres};
use crate::{Outcome, ensure, wait_until};

/// The app's acquire timeout in this test (`DATABASE_ACQUIRE_TIMEOUT_MS`).
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);
/// What a request may take beyond the acquire timeout while the database is down: generous, as
/// this bound says "fails fast, never hangs", not "is quick".
const MARGIN: Duration = Duration::from_secs(3);
/// Concurrent writers.
const WRITERS: usize = 4;
/// How long a phase may take before the test gives up (a guard against hangs, not a speed
/// requirement).
const PHASE_BOUND: Duration = Duration::from_secs(90);

/// One `POST /todos` as the client saw it.
struct Write {
    writer: usize,
    title: String,
    started: Instant,
    answered: Instant,
    /// Status and body, or why no response came.
    outcome: Result<(u16, Json), String>,
}

impl Write {
    fn status(&self) -> Option<u16> {
        self.outcome.as_ref().ok().map(|(status, _)| *status)
    }

    fn ok(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }

    fn took(&self) -> Duration {
        self.answered - self.started
    }

    fn describe(&self) -> String {
        match &self.outcome {
            Ok((status, body)) => format!("{} → {status} {body} in {:?}", self.title, self.took()),
            Err(e) => format!("{} → no response ({e}) after {:?}", self.title, self.took()),
        }
    }
}

type Log = Arc<Mutex<Vec<Write>>>;

fn writer(client: Client, writer: usize, stop: Arc<AtomicBool>, log: Log) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let title = format!("outage-w{writer}-{n}");
        n += 1;
        let started = Instant::now();
        let outcome = client
            .json("POST", "/todos", &json!({"title": title}))
            .map(|r| (r.status, r.json()));
        let answered = Instant::now();
        if let Ok(mut log) = log.lock() {
            log.push(Write {
                writer,
                title,
                started,
                answered,
                outcome,
            });
        }
    }
}

fn count(log: &Log, keep: impl Fn(&Write) -> bool) -> usize {
    log.lock()
        .map(|l| l.iter().filter(|w| keep(w)).count())
        .unwrap_or(0)
}

/// Every writer has had `n` requests matching `keep`.
fn each_writer(log: &Log, n: usize, keep: impl Fn(&Write) -> bool) -> bool {
    (0..WRITERS).all(|w| count(log, |x| x.writer == w && keep(x)) >= n)
}

pub fn postgres_outage_fails_fast_and_recovers(binaries: Binaries) -> Outcome {
    let pg = PrivatePostgres::start(binaries)?;
    let timeout_ms = ACQUIRE_TIMEOUT.as_millis().to_string();
    let mut app = AppProcess::start(&[
        ("DATABASE_URL", &pg.url()),
        ("DATABASE_ACQUIRE_TIMEOUT_MS", &timeout_ms),
        ("DATABASE_MAX_CONNECTIONS", "4"),
    ])?;
    let client = app.client;
    let result = outage(&pg, &mut app, client);
    result.map_err(|e| {
        format!(
            "{e}\n--- app logs ---\n{}\n--- server log ---\n{}",
            app.logs(),
            pg.log()
        )
    })
}

fn outage(pg: &PrivatePostgres, app: &mut AppProcess, client: Client) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (stop, log) = (stop.clone(), log.clone());
            std::thread::spawn(move || writer(client, w, stop, log))
        })
        .collect();
    let phases = (|| -> Result<Phases, String> {
        // Healthy: every writer has written.
        wait_until(PHASE_BOUND, "writes before the outage", || {
            each_writer(&log, 20, Write::ok)
        })?;
        // Every writer's insert in flight in the server when it stops: a lock holds them.
        let lock = pg.lock_table("Todo")?;
        wait_until(PHASE_BOUND, "the inserts to wait on the lock", || {
            pg.lock_waiters().is_ok_and(|n| n == WRITERS)
        })?;
        let stopping = Instant::now();
        pg.stop_server("fast")?;
        let down = Instant::now();
        drop(lock);
        // Down: every writer has had requests begun and answered while the server was down.
        wait_until(PHASE_BOUND, "answers during the outage", || {
            each_writer(&log, 2, |w| w.started >= down)
        })?;
        let ping = client.get("/ping")?;
        ensure(ping.status == 200, || {
            format!("/ping during the outage: {} {}", ping.status, ping.text())
        })?;
        // Readiness tells the database is down (LoopBack's shape), liveness does not.
        let ready = client.get("/ready")?;
        ensure(
            ready.status == 503
                && ready.json()["status"] == "DOWN"
                && ready.json()["checks"][0]["state"] == "DOWN",
            || {
                format!(
                    "/ready during the outage: {} {}",
                    ready.status,
                    ready.text()
                )
            },
        )?;
        let live = client.get("/live")?;
        ensure(live.status == 200, || {
            format!("/live during the outage: {} {}", live.status, live.text())
        })?;
        ensure(app.exited().is_none(), || {
            format!("the app exited during the outage: {:?}", app.exited())
        })?;
        let restarting = Instant::now();
        pg.start_server()?;
        let up = Instant::now();
        // Recovered, without a restart of the app: every writer writes again.
        wait_until(PHASE_BOUND, "writes after the outage", || {
            each_writer(&log, 3, |w| w.started >= up && w.ok())
        })?;
        // Probes reuse a run of the checks for up to a second: UP follows within that.
        wait_until(PHASE_BOUND, "/ready UP after the outage", || {
            client
                .get("/ready")
                .is_ok_and(|ready| ready.status == 200 && ready.json()["status"] == "UP")
        })?;
        Ok(Phases {
            stopping,
            down,
            restarting,
            up,
        })
    })();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.join();
    }
    let phases = phases?;
    let writes = std::mem::take(&mut *log.lock().map_err(|e| e.to_string())?);
    report(&writes, &phases);
    check_answers(&writes, &phases)?;
    check_data(pg, client, &writes)?;
    ensure(app.exited().is_none(), || {
        format!("the app exited: {:?}", app.exited())
    })
}

struct Phases {
    /// `pg_ctl stop` was called.
    stopping: Instant,
    /// `pg_ctl stop` returned: the server is down.
    down: Instant,
    /// `pg_ctl start` was called.
    restarting: Instant,
    /// `pg_ctl start` returned: the server accepts connections.
    up: Instant,
}

impl Phases {
    /// The request overlapped the outage.
    fn overlaps(&self, w: &Write) -> bool {
        w.answered >= self.stopping && w.started <= self.up
    }
}

fn check_answers(writes: &[Write], phases: &Phases) -> Outcome {
    let lines = |keep: &dyn Fn(&Write) -> bool| -> String {
        writes
            .iter()
            .filter(|w| keep(w))
            .take(20)
            .map(Write::describe)
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    // Every request was answered, with a success or a 503: never a 500, never nothing.
    let bad = |w: &Write| !matches!(w.status(), Some(200 | 503));
    ensure(!writes.iter().any(bad), || {
        format!("answers other than 200 and 503:\n  {}", lines(&bad))
    })?;
    let not_envelope = |w: &Write| {
        w.status() == Some(503)
            && w.outcome.as_ref().is_ok_and(|(_, body)| {
                body["error"]["code"] != "SERVICE_UNAVAILABLE" || body["error"]["statusCode"] != 503
            })
    };
    ensure(!writes.iter().any(not_envelope), || {
        format!(
            "503 without LoopBack's envelope:\n  {}",
            lines(&not_envelope)
        )
    })?;
    // Fail fast: while the database is down, a request waits at most the acquire timeout.
    let bound = ACQUIRE_TIMEOUT + MARGIN;
    let slow = |w: &Write| (phases.overlaps(w) || !w.ok()) && w.took() > bound;
    ensure(!writes.iter().any(slow), || {
        format!(
            "requests during the outage answered after more than {bound:?}:\n  {}",
            lines(&slow)
        )
    })?;
    // A request begun and answered while the server was down cannot have succeeded.
    let impossible =
        |w: &Write| w.started >= phases.down && w.answered <= phases.restarting && w.ok();
    ensure(!writes.iter().any(impossible), || {
        format!(
            "successes while the server was down:\n  {}",
            lines(&impossible)
        )
    })
}

fn check_data(pg: &PrivatePostgres, client: Client, writes: &[Write]) -> Outcome {
    // The database is the judge: every row, read straight from it.
    let rows = pg.query(r#"SELECT id || ' ' || title FROM "Todo" ORDER BY id"#)?;
    let mut stored: std::collections::HashMap<&str, Vec<i64>> = std::collections::HashMap::new();
    for line in rows.lines().filter(|l| !l.is_empty()) {
        let (id, title) = line
            .split_once(' ')
            .ok_or_else(|| format!("bad row {line:?}"))?;
        let id: i64 = id.parse().map_err(|_| format!("bad row {line:?}"))?;
        stored.entry(title).or_default().push(id);
    }
    let mut problems = Vec::new();
    for w in writes {
        let found = stored.get(w.title.as_str()).map_or(&[][..], Vec::as_slice);
        match &w.outcome {
            Ok((status, body)) if (200..300).contains(status) => {
                let id = body["id"].as_i64();
                if body["title"] != w.title.as_str()
                    || id.is_none()
                    || found != [id.unwrap_or_default()]
                {
                    problems.push(format!(
                        "answered {status} {body}, stored with ids {found:?}"
                    ));
                }
            }
            _ => {
                if !found.is_empty() {
                    problems.push(format!("{}: stored with ids {found:?}", w.describe()));
                }
            }
        }
    }
    let successes = writes.iter().filter(|w| w.ok()).count();
    let total: usize = stored.values().map(Vec::len).sum();
    if total != successes {
        problems.push(format!("{total} rows for {successes} successful writes"));
    }
    // And the app, serving again, counts the same.
    let counted = client.get("/todos/count")?;
    if counted.status != 200 || counted.json() != json!({"count": total}) {
        problems.push(format!(
            "GET /todos/count: {} {}",
            counted.status,
            counted.text()
        ));
    }
    ensure(problems.is_empty(), || {
        format!(
            "the data disagrees with the answers:\n  {}",
            problems
                .into_iter()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n  ")
        )
    })
}

/// Prints what happened (libtest-mimic does not capture it).
fn report(writes: &[Write], phases: &Phases) {
    use std::io::Write as _;
    let tally = |keep: &dyn Fn(&Write) -> bool| -> String {
        let kept: Vec<&Write> = writes.iter().filter(|w| keep(w)).collect();
        let ok = kept.iter().filter(|w| w.ok()).count();
        let unavailable = kept.iter().filter(|w| w.status() == Some(503)).count();
        let slowest = kept.iter().map(|w| w.took()).max().unwrap_or_default();
        format!(
            "{} writes, {ok} 2xx, {unavailable} 503, {} other, slowest {slowest:.2?}",
            kept.len(),
            kept.len() - ok - unavailable
        )
    };
    let recovery = writes
        .iter()
        .filter(|w| w.ok() && w.answered >= phases.restarting)
        .map(|w| w.answered - phases.restarting)
        .min()
        .unwrap_or_default();
    let _ = writeln!(
        std::io::stdout(),
        "outage ({WRITERS} writers, acquire timeout {ACQUIRE_TIMEOUT:?}): {}\n  \
         before the stop: {}\n  \
         stopping (answered after `pg_ctl stop` began, begun before it returned; \
         {WRITERS} of them in a statement when it began): {}\n  \
         down for {:.2?} (begun after `pg_ctl stop` returned, before `pg_ctl start` began): {}\n  \
         restarting (begun before `pg_ctl start` returned): {}\n  \
         after the restart: {}\n  \
         first 2xx {recovery:.2?} after `pg_ctl start` began (it took {:.2?} to return)",
        tally(&|_| true),
        tally(&|w| w.answered < phases.stopping),
        tally(&|w| w.answered >= phases.stopping && w.started < phases.down),
        phases.restarting - phases.down,
        tally(&|w| w.started >= phases.down && w.started < phases.restarting),
        tally(&|w| w.started >= phases.restarting && w.started < phases.up),
        tally(&|w| w.started >= phases.up),
        phases.up - phases.restarting,
    );
}
