//! The real `portico-todo` binary as a child process: configured through its environment,
//! ready when it logs "Server is running" (its address is read from that line, `PORT=0`), its
//! logs kept for diagnostics, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value as Json;

use crate::client::Client;

/// A running `portico-todo`.
pub struct AppProcess {
    child: Child,
    pub client: Client,
    logs: Arc<Mutex<Vec<String>>>,
}

impl AppProcess {
    /// Starts the binary with these environment variables (plus `HOST=127.0.0.1`, `PORT=0`,
    /// `LOG_FORMAT=json`) and waits until it serves.
    pub fn start(env: &[(&str, &str)]) -> Result<AppProcess, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_portico-todo"));
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().map_err(|e| format!("portico-todo: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (ready, address) = mpsc::channel::<SocketAddr>();
        let kept = logs.clone();
        // Drains the logs for the child's whole life, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let json: Json = serde_json::from_str(&line).unwrap_or(Json::Null);
                if json["fields"]["message"] == "Server is running" {
                    let url = json["fields"]["url"].as_str().unwrap_or_default();
                    if let Ok(address) = url.trim_start_matches("http://").parse() {
                        let _ = ready.send(address);
                    }
                }
                if let Ok(mut logs) = kept.lock() {
                    logs.push(line);
                }
            }
        });
        let mut app = AppProcess {
            child,
            client: Client {
                address: SocketAddr::from(([127, 0, 0, 1], 0)),
            },
            logs,
        };
        // The readiness line comes within the startup (connect + migrate); the bound only
        // guards against a child that never gets there.
        match address.recv_timeout(Duration::from_secs(120)) {
            Ok(address) => {
                app.client = Client { address };
                Ok(app)
            }
            Err(_) => Err(format!(
                "portico-todo did not start ({:?}):\n{}",
                app.child.try_wait(),
                app.logs()
            )),
        }
    }

    /// The child's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the process to exit, for at most `bound`.
    pub fn wait_exit(&mut self, bound: Duration) -> Result<ExitStatus, String> {
        let deadline = std::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.exited() {
                return Ok(status);
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("portico-todo still runs after {bound:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM, as a process manager does.
    pub fn terminate(&self) -> Result<(), String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM {}: {status}", self.pid()))
        }
    }

    /// The log lines so far.
    pub fn logs(&self) -> String {
        self.logs.lock().map(|l| l.join("\n")).unwrap_or_default()
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
