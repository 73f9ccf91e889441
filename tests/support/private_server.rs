//! [`PrivateServer`]: a PostgreSQL or MariaDB server that one test owns, so
//! that it can stop the server under a running Folio and start it again on
//! the same port and data directory. It never touches the shared servers
//! that `FOLIO_TEST_DATABASE_URL` names.
//!
//! The server runs from a data directory in a temporary directory, on a port
//! the OS had free, and answers on 127.0.0.1 only. Stopping it is abrupt, as
//! a crash is: PostgreSQL's immediate shutdown (`SIGQUIT` to the postmaster),
//! MariaDB's `SIGKILL`. Every process it starts is ended by its PID when the
//! value drops, even when the test fails half-way, before the directory is
//! removed. Linux only (it reads `/proc` to see a process end); where the
//! server's tools are missing, the constructors print a line and return
//! `None`, and the test skips.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database};

/// How long a server may take to start, or to end once signalled.
const STARTUP: Duration = Duration::from_secs(60);

/// Which server this is, and what runs it.
enum Engine {
    /// PostgreSQL, run by `pg_ctl` from this directory of binaries.
    Postgres {
        /// The directory holding `initdb`, `pg_ctl` and `postgres`.
        bin: PathBuf,
    },
    /// MariaDB, `mariadbd` run as a child of the test.
    MariaDb {
        /// The running server, while it runs.
        child: Option<Child>,
    },
}

/// A database server of the test's own, stopped and removed when it drops.
pub struct PrivateServer {
    engine: Engine,
    /// The port it listens on, the same after every restart.
    port: u16,
    /// The running server's process id (the postmaster's, or `mariadbd`'s).
    pid: Option<u32>,
    /// Holds the data directory (`data/`), the socket and the server's log;
    /// declared last, so that it is removed after `Drop` ends the server.
    dir: tempfile::TempDir,
}

impl PrivateServer {
    /// A new, running PostgreSQL server, or `None` when `initdb` and
    /// `pg_ctl` are not installed.
    pub async fn postgres() -> Option<PrivateServer> {
        let Some(bin) = postgres_bin() else {
            println!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) are installed");
            return None;
        };
        let dir = tempfile::tempdir().expect("a directory for the PostgreSQL server");
        // The server refuses to run as root; as root, it runs as `postgres`,
        // which must own the directory.
        let as_root = is_root();
        if as_root {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()));
        }
        let data = dir.path().join("data");
        run(postgres_command(as_root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"]));
        let mut server = PrivateServer {
            engine: Engine::Postgres { bin },
            port: free_port(),
            pid: None,
            dir,
        };
        server.start().await;
        Some(server)
    }

    /// A new, running MariaDB server, or `None` when `mariadb-install-db`
    /// and `mariadbd` are not installed.
    pub async fn mariadb() -> Option<PrivateServer> {
        if !installed("mariadb-install-db") || !installed("mariadbd") {
            println!(
                "skipped: no MariaDB server binaries (mariadb-install-db, mariadbd) are installed"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("a directory for the MariaDB server");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("a temporary directory for the MariaDB server");
        {
            // Two installs at once have been seen to fail on each other's
            // temporary tables: one at a time, each in its own `tmpdir`.
            static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one_at_a_time = INSTALLING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            run(Command::new("mariadb-install-db")
                .arg("--no-defaults")
                .arg(format!("--datadir={}", dir.path().join("data").display()))
                .arg(format!("--tmpdir={}", tmp.display()))
                .args([
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ]));
        }
        let mut server = PrivateServer {
            engine: Engine::MariaDb { child: None },
            port: free_port(),
            pid: None,
            dir,
        };
        server.start().await;
        Some(server)
    }

    /// The server's URL, naming no database.
    pub fn url(&self) -> String {
        match self.engine {
            Engine::Postgres { .. } => format!("postgres://postgres@127.0.0.1:{}", self.port),
            Engine::MariaDb { .. } => format!("mysql://root@127.0.0.1:{}", self.port),
        }
    }

    /// Creates the database `name` on the server and returns its URL.
    pub async fn create_database(&self, name: &str) -> String {
        let admin = Database::connect(self.url())
            .await
            .expect("connecting to the private server");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating a database on the private server");
        admin.close().await.ok();
        format!("{}/{name}", self.url())
    }

    /// Starts the server on its port and data directory, and waits until it
    /// accepts connections.
    pub async fn start(&mut self) {
        assert!(self.pid.is_none(), "the private server is already running");
        let (dir, port) = (self.dir.path().to_owned(), self.port);
        match &mut self.engine {
            Engine::Postgres { bin } => {
                let data = dir.join("data");
                run(postgres_command(is_root(), &bin.join("pg_ctl"))
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(dir.join("server.log"))
                    .arg("-o")
                    .arg(format!("-p {port} -k {} -h 127.0.0.1", dir.display()))
                    .args(["-w", "start"]));
                let pid_file = std::fs::read_to_string(data.join("postmaster.pid"))
                    .expect("the postmaster's pid file");
                let pid = pid_file
                    .lines()
                    .next()
                    .and_then(|line| line.trim().parse().ok())
                    .expect("a pid on the pid file's first line");
                self.pid = Some(pid);
            }
            Engine::MariaDb { child } => {
                let spawned = Command::new("mariadbd")
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", dir.join("data").display()))
                    .arg(format!("--tmpdir={}", dir.join("tmp").display()))
                    .arg(format!("--port={port}"))
                    .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
                    .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
                    .arg(format!("--log-error={}", dir.join("server.log").display()))
                    .args([
                        "--bind-address=127.0.0.1",
                        "--user=root",
                        // Any user, no password: the server is the test's alone.
                        "--skip-grant-tables",
                        "--innodb-buffer-pool-size=32M",
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("starting mariadbd");
                self.pid = Some(spawned.id());
                *child = Some(spawned);
            }
        }
        self.wait_until_accepting().await;
    }

    /// Stops the server abruptly, as a crash would, and waits until its
    /// process has ended.
    pub fn stop(&mut self) {
        let Some(pid) = self.pid.take() else {
            return;
        };
        match &mut self.engine {
            Engine::Postgres { .. } => {
                // SIGQUIT: immediate shutdown, the postmaster ends its backends.
                signal(pid, "QUIT");
                if !wait_for_exit(pid, STARTUP) {
                    signal(pid, "KILL");
                    wait_for_exit(pid, STARTUP);
                }
            }
            Engine::MariaDb { child } => {
                signal(pid, "KILL");
                if let Some(mut child) = child.take() {
                    let _ = child.wait();
                }
            }
        }
    }

    /// Freezes the server (SIGSTOP to it and to every process it started):
    /// it keeps its connections and accepts new ones, and answers nothing,
    /// as a server stuck on a full disk or a hung storage volume would.
    /// Returns once every thread of them has stopped: a signal is only
    /// queued when `kill` returns, and a thread already running may answer
    /// one more request before it stops.
    pub fn freeze(&self) {
        let processes = self.processes();
        for pid in &processes {
            signal(*pid, "STOP");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !processes.iter().all(|pid| stopped(*pid)) {
            assert!(Instant::now() < deadline, "the private server did not stop");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        for pid in self.processes() {
            signal(pid, "CONT");
        }
    }

    /// The running server's process and its children (PostgreSQL's backends).
    fn processes(&self) -> Vec<u32> {
        let Some(pid) = self.pid else {
            return Vec::new();
        };
        let parent_of = |child: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // After the command name (in parentheses): state, then the parent's pid.
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        let mut found = vec![pid];
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                if let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok())
                    && parent_of(child) == Some(pid)
                {
                    found.push(child);
                }
            }
        }
        found
    }

    /// The last lines of the server's log (the directory goes with the
    /// server, so a failure message carries them).
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    async fn wait_until_accepting(&self) {
        let deadline = Instant::now() + STARTUP;
        loop {
            let mut options = ConnectOptions::new(self.url());
            options
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(1));
            match Database::connect(options).await {
                Ok(conn) => {
                    conn.close().await.ok();
                    return;
                }
                Err(err) => assert!(
                    Instant::now() < deadline,
                    "the private server did not start: {err}; the end of its log:\n{}",
                    self.log_tail()
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The newest PostgreSQL version's directory of binaries: Debian keeps each
/// version's under `/usr/lib/postgresql/<version>/bin`, off `PATH`.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `program`, run as the `postgres` user when the tests run as root.
fn postgres_command(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Whether the tests run as root.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Whether `program` is on `PATH`.
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `command` to its end; a failure fails the test with its output.
fn run(command: &mut Command) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("running {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A port nothing listens on now, for the server to take.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Sends the signal named `name` (`QUIT`, `KILL`) to process `pid`.
/// Whether every thread of process `pid` is stopped (state `T`), or the
/// process is gone.
fn stopped(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    threads.flatten().all(|thread| {
        std::fs::read_to_string(thread.path().join("stat")).map_or(true, |stat| {
            // After the command name (in parentheses) comes the state.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "T" || state == "t")
        })
    })
}

fn signal(pid: u32, name: &str) {
    // It may have ended already; either way it is gone.
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `limit` for process `pid` to end; whether it did. A zombie
/// counts as ended: a daemon's parent may never reap it.
fn wait_for_exit(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let running = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                // The state follows the command name, which is in parentheses.
                let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
                Some(state != 'Z' && state != 'X')
            })
            .unwrap_or(false);
        if !running {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
