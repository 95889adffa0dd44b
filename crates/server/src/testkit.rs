//! For tests (the `testkit` feature, never in a shipped build). A real PostgreSQL for a test: `initdb` in a temporary folder as the unprivileged
//! `postgres` user (PostgreSQL refuses to run as root), started on a free loopback port with
//! `pg_ctl`, a database created, and stopped (by the PID file, waiting) when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.filter_map(Result::ok).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().expect("PostgreSQL is installed (apt-get install postgresql; `make test` does it)")
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) -> String {
    let output = Command::new("runuser").args(["-u", "postgres", "--"]).arg(bin.join(tool)).args(args).output().expect("runuser runs");
    assert!(output.status.success(), "{tool} {args:?}: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl TestPostgres {
    pub fn start() -> TestPostgres {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new().prefix("anchordesk-pg-").tempdir_in("/tmp").unwrap();
        let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
        assert!(status.success(), "chown the temporary folder to postgres");
        let data = dir.path().join("data");
        let (data_s, dir_s) = (data.display().to_string(), dir.path().display().to_string());
        as_postgres(&bin, "initdb", &["-D", &data_s, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
        let port = free_port();
        let options = format!("-p {port} -k {dir_s} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = dir.path().join("postgres.log").display().to_string();
        as_postgres(&bin, "pg_ctl", &["-D", &data_s, "-o", &options, "-l", &log, "-w", "start"]);
        as_postgres(&bin, "createdb", &["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "anchordesk"]);
        TestPostgres { dir, bin, port }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/anchordesk", self.port)
    }

    /// Runs SQL as the superuser (to set up a state a test needs, or read one back); returns
    /// what it printed, unaligned and without headers.
    pub fn psql(&self, sql: &str) -> String {
        as_postgres(&self.bin, "psql", &["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "anchordesk", "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql])
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = Command::new("runuser").args(["-u", "postgres", "--"]).arg(self.bin.join("pg_ctl")).args(["-D", &data, "-m", "fast", "-w", "stop"]).output();
    }
}
