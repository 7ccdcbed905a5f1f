//! A private PostgreSQL cluster the test owns: `initdb` into a temporary directory, `pg_ctl`
//! start and stop on a spare port, removed when dropped. The binaries come from
//! `PORTICO_TEST_PG_BIN`, else the directory of `initdb` on `PATH` (symlinks followed), else
//! the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu). `initdb` and `postgres` refuse to run
//! as root: as root, the cluster belongs to the `postgres` user and every command runs through
//! `runuser -u postgres --`.

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The PostgreSQL server binaries, and who runs them.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub bin: PathBuf,
    /// The client, for setting up and checking.
    pub psql: PathBuf,
    /// `Some("postgres")` when the tests run as root.
    pub run_as: Option<String>,
}

impl Binaries {
    /// Finds the binaries, or tells why they cannot be used here.
    pub fn find() -> Result<Binaries, String> {
        let bin = find_bin_dir().ok_or_else(|| {
            "no PostgreSQL server binaries (initdb, pg_ctl): set PORTICO_TEST_PG_BIN, put initdb \
             on PATH or install postgresql"
                .to_owned()
        })?;
        for tool in ["initdb", "pg_ctl", "postgres"] {
            if !bin.join(tool).is_file() {
                return Err(format!("{} has no {tool}", bin.display()));
            }
        }
        let psql = Some(bin.join("psql"))
            .filter(|p| p.is_file())
            .or_else(|| which("psql"))
            .ok_or_else(|| format!("no psql in {} or on PATH", bin.display()))?;
        let run_as = if running_as_root() {
            let user = std::env::var("PORTICO_TEST_PG_USER").unwrap_or_else(|_| "postgres".into());
            let known = Command::new("id")
                .arg("-u")
                .arg(&user)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !known {
                return Err(format!(
                    "running as root, and initdb refuses root, but there is no {user:?} user to \
                     run it as (PORTICO_TEST_PG_USER names another)"
                ));
            }
            if which("runuser").is_none() {
                return Err(
                    "running as root, and initdb refuses root, but runuser is missing".into(),
                );
            }
            Some(user)
        } else {
            None
        };
        Ok(Binaries { bin, psql, run_as })
    }

    /// A command running `tool` from the binaries' directory, as the cluster's owner.
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// A `psql` command (as a client, run by the current user).
    pub fn psql(&self, port: u16) -> Command {
        let mut command = Command::new(&self.psql);
        command.args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]);
        command
    }
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PORTICO_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    if let Some(initdb) = which("initdb") {
        // Often a symlink into the versioned directory, which holds the other binaries.
        let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
        return initdb.parent().map(Path::to_path_buf);
    }
    // Debian and Ubuntu keep the server binaries per major version, off PATH.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a command to completion; its output is the error when it fails.
fn run(mut command: Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A port nothing listens on right now.
fn spare_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// A private cluster, stopped and deleted when dropped.
pub struct PrivatePostgres {
    pub binaries: Binaries,
    dir: PathBuf,
    pub port: u16,
}

impl PrivatePostgres {
    /// Creates a cluster in a fresh temporary directory and starts it on a spare port.
    pub fn start(binaries: Binaries) -> Result<PrivatePostgres, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("portico-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut cluster = PrivatePostgres {
            binaries,
            dir,
            port: 0,
        };
        if let Some(user) = &cluster.binaries.run_as {
            let mut chown = Command::new("chown");
            chown.arg(format!("{user}:")).arg(&cluster.dir);
            run(chown, "chown")?;
        }
        let mut initdb = cluster.binaries.command("initdb");
        initdb.arg("-D").arg(cluster.data()).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
        ]);
        run(initdb, "initdb")?;
        // Another process may take the spare port between our probe and the server's bind.
        let mut last_error = String::new();
        for _ in 0..3 {
            cluster.port = spare_port()?;
            match cluster.start_server() {
                Ok(()) => return Ok(cluster),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections (`pg_ctl start -w`).
    pub fn start_server(&self) -> Result<(), String> {
        let mut start = self.binaries.command("pg_ctl");
        start
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "120", "-o"])
            .arg(format!(
                "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
                 -c fsync=off -c autovacuum=off",
                self.port,
                self.dir.display()
            ))
            .arg("start");
        run(start, "pg_ctl start").map_err(|e| format!("{e}\nserver log:\n{}", self.log()))
    }

    /// Stops the server and waits until it is down (`pg_ctl stop -w -m <mode>`).
    pub fn stop_server(&self, mode: &str) -> Result<(), String> {
        let mut stop = self.binaries.command("pg_ctl");
        stop.arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "120", "-m", mode, "stop"]);
        run(stop, "pg_ctl stop")
    }

    /// Runs SQL through `psql` and returns its unaligned, tuples-only output.
    pub fn query(&self, sql: &str) -> Result<String, String> {
        let output = self
            .binaries
            .psql(self.port)
            .args(["-A", "-t", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(format!(
                "psql {sql:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Holds `LOCK TABLE "<table>" IN ACCESS EXCLUSIVE MODE` in a `psql` session until the
    /// lock is released (or the session ends): statements on the table wait, in flight.
    pub fn lock_table(&self, table: &str) -> Result<TableLock, String> {
        TableLock::take(self, table)
    }

    /// How many client sessions wait for a lock.
    pub fn lock_waiters(&self) -> Result<usize, String> {
        let n = self.query(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE backend_type = 'client backend' AND wait_event_type = 'Lock'",
        )?;
        n.parse().map_err(|_| format!("count: {n:?}"))
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.stop_server("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `psql` session holding an exclusive table lock until `release` (or drop, or the server's
/// shutdown).
pub struct TableLock {
    psql: std::process::Child,
}

impl TableLock {
    /// Takes the lock and returns once it is held.
    fn take(pg: &PrivatePostgres, table: &str) -> Result<TableLock, String> {
        let mut psql = pg
            .binaries
            .psql(pg.port)
            .args(["-A", "-t"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("psql: {e}"))?;
        let stdin = psql.stdin.as_mut().ok_or("no stdin")?;
        stdin
            .write_all(
                format!(
                    "BEGIN;\nLOCK TABLE \"{table}\" IN ACCESS EXCLUSIVE MODE;\nSELECT 'locked';\n"
                )
                .as_bytes(),
            )
            .map_err(|e| e.to_string())?;
        stdin.flush().map_err(|e| e.to_string())?;
        let stdout = psql.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != "locked" {
            return Err(format!("psql did not take the lock: {line:?}"));
        }
        Ok(TableLock { psql })
    }

    /// Commits, which releases the lock.
    pub fn release(mut self) -> Result<(), String> {
        let mut stdin = self.psql.stdin.take().ok_or("no stdin")?;
        stdin.write_all(b"COMMIT;\n").map_err(|e| e.to_string())?;
        drop(stdin);
        let status = self.psql.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("psql: {status}"))
        }
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        let _ = self.psql.kill();
        let _ = self.psql.wait();
    }
}
