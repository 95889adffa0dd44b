//! The fault soak: 10,000 desk changes through the outbox worker to a sandbox child
//! process that injects errors, latency and dropped connections. Both the sandbox and the
//! desk (a child process running the worker over a SQLite outbox) are killed -9 and
//! restarted three times each. At the end the sandbox must hold exactly the desk's state.
//!
//! The desk child is this same test binary, started with the one test selected and
//! [`DESK_OUTBOX_ENV`] set: the test then plays the desk instead of the orchestrator.

mod common;

use anchordesk_platform::sync::{OutboxStore, SyncConfig, SyncWorker};
use anchordesk_platform::{ClientConfig, FaultConfig, FaultSettings, Platform, RetryPolicy, ContractClient};
use common::outbox::SqliteOutbox;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OPERATIONS: usize = 10_000;
const KILL_AT_DONE: [i64; 3] = [2_000, 4_500, 7_000];
/// When the desk process is killed -9 and started again: requests in flight are cut, and
/// entries the platform applied but the desk had not yet marked done are sent again with
/// the same key.
const KILL_DESK_AT_DONE: [i64; 3] = [1_200, 3_500, 8_000];
/// Set in the desk child's environment: the path of the desk's outbox.
const DESK_OUTBOX_ENV: &str = "ANCHORDESK_SOAK_DESK_OUTBOX";
/// Set in the desk child's environment: the sandbox's base URL.
const DESK_URL_ENV: &str = "ANCHORDESK_SOAK_DESK_URL";
const TEST_NAME: &str = "ten_thousand_changes_survive_faults_and_kill_9_exactly_once";

/// A sandbox child process; killed with SIGKILL and reaped on drop.
struct SandboxChild {
    child: Child,
    port: u16,
}

impl SandboxChild {
    fn spawn(data_dir: &Path, port: u16) -> SandboxChild {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut child = Command::new(env!("CARGO_BIN_EXE_anchordesk-sandbox"))
                .args(["--port", &port.to_string(), "--rate-limit", "0", "--tick-ms", "200", "--seed", "7", "--admin-token", common::ADMIN, "--data-dir"])
                .arg(data_dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning the sandbox binary");
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line).expect("reading the sandbox's address");
            if let Some(port) = line.trim().rsplit(':').next().and_then(|port| port.parse().ok()) {
                return SandboxChild { child, port };
            }
            // The port may still be held by the killed process for a moment.
            child.kill().ok();
            child.wait().ok();
            assert!(Instant::now() < deadline, "the sandbox did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// kill -9 by PID, then reap.
    fn kill_9(&mut self) {
        self.child.kill().ok();
        self.child.wait().expect("reaping the sandbox child");
    }
}

impl Drop for SandboxChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_9();
        }
    }
}

/// The desk: this test binary in its desk role; killed with SIGKILL and reaped on drop.
struct DeskChild {
    child: Child,
}

impl DeskChild {
    fn spawn(outbox: &Path, base_url: &str) -> DeskChild {
        let child = Command::new(std::env::current_exe().expect("the test binary's path"))
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads", "1"])
            .env(DESK_OUTBOX_ENV, outbox)
            .env(DESK_URL_ENV, base_url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning the desk");
        DeskChild { child }
    }

    /// kill -9 by PID, then reap.
    fn kill_9(&mut self) {
        self.child.kill().ok();
        self.child.wait().expect("reaping the desk child");
    }
}

impl Drop for DeskChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_9();
        }
    }
}

/// The desk's role: send the outbox until killed.
async fn run_desk(outbox: &Path, base_url: &str) {
    let mut client_config = ClientConfig::new(base_url, anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET);
    client_config.timeout = Duration::from_secs(3);
    client_config.retry = RetryPolicy { max_retries: 3, min_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    let platform: Arc<dyn Platform> = Arc::new(ContractClient::new(client_config).unwrap());
    let outbox = Arc::new(SqliteOutbox::open(outbox).unwrap());
    let config = SyncConfig {
        key_prefix: "soak-".into(),
        concurrency: 8,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(1),
        idle_poll: Duration::from_millis(50),
        ..SyncConfig::default()
    };
    let worker = SyncWorker::new(platform, outbox as Arc<dyn OutboxStore>, config);
    // Nobody ever asks the desk to stop: it is killed.
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    worker.run(shutdown).await;
}

async fn set_faults(base_url: &str, faults: &FaultSettings) {
    let response = reqwest::Client::new().put(format!("{base_url}/admin/faults")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(faults).send().await.expect("setting faults");
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_changes_survive_faults_and_kill_9_exactly_once() {
    if let (Some(outbox), Ok(base_url)) = (std::env::var_os(DESK_OUTBOX_ENV), std::env::var(DESK_URL_ENV)) {
        return run_desk(Path::new(&outbox), &base_url).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let platform_dir = dir.path().join("platform");
    let outbox_path = dir.path().join("desk.sqlite3");
    let faults = FaultSettings {
        global: FaultConfig { latency_ms: 1, error_rate: 0.03, rate_limit_rate: 0.002, drop_rate: 0.03, clock_skew_s: 0 },
        ..FaultSettings::default()
    };
    let mut sandbox = SandboxChild::spawn(&platform_dir, 0);
    let port = sandbox.port;
    set_faults(&sandbox.base_url(), &faults).await;
    let outbox = SqliteOutbox::open(&outbox_path).unwrap();
    let mut desk_process = DeskChild::spawn(&outbox_path, &sandbox.base_url());

    let desk = common::desk::generate(7, OPERATIONS, 200);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(100);
    let mut chunks = desk.commands.chunks(250);
    let mut sandbox_kills = 0;
    let mut desk_kills = 0;
    loop {
        if let Some(chunk) = chunks.next() {
            outbox.enqueue(chunk).unwrap();
        }
        let counts = outbox.counts().unwrap();
        if sandbox_kills < KILL_AT_DONE.len() && counts.done >= KILL_AT_DONE[sandbox_kills] {
            sandbox.kill_9();
            sandbox_kills += 1;
            // The desk keeps working while the platform is gone.
            tokio::time::sleep(Duration::from_millis(300)).await;
            sandbox = SandboxChild::spawn(&platform_dir, port);
            set_faults(&sandbox.base_url(), &faults).await;
        }
        if desk_kills < KILL_DESK_AT_DONE.len() && counts.done >= KILL_DESK_AT_DONE[desk_kills] {
            desk_process.kill_9();
            desk_kills += 1;
            desk_process = DeskChild::spawn(&outbox_path, &sandbox.base_url());
        }
        if counts.pending == 0 && counts.done + counts.given_up == desk.commands.len() as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "soak did not finish in time: {counts:?} after {sandbox_kills} + {desk_kills} kills");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    desk_process.kill_9();
    assert_eq!(sandbox_kills, KILL_AT_DONE.len(), "the soak finished before every sandbox kill");
    assert_eq!(desk_kills, KILL_DESK_AT_DONE.len(), "the soak finished before every desk kill");

    set_faults(&sandbox.base_url(), &FaultSettings::default()).await;
    let platform: Arc<dyn Platform> = Arc::new(common::platform(&sandbox.base_url()));
    let counts = outbox.counts().unwrap();
    let mut lost = 0;
    let mut duplicated = 0;
    let mut cursor: Option<String> = None;
    let mut held = std::collections::HashSet::new();
    loop {
        let page = platform.list_products(cursor.as_deref(), 500).await.unwrap();
        for product in &page.items {
            let changes = desk.products[&product.sku].changes;
            lost += (changes - product.revision).max(0);
            duplicated += (product.revision - changes).max(0);
        }
        held.extend(page.items.iter().map(|product| product.sku.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    lost += desk.products.iter().filter(|(sku, _)| !held.contains(*sku)).map(|(_, expected)| expected.changes).sum::<i64>();
    println!(
        "soak: {} operations ({} products, {} broadcasts), {} done, {} given up, {} lost, {} duplicated, \
         {} failed attempts retried, {} kill -9 of the sandbox, {} kill -9 of the desk, {:.1} s ({:.0} ops/s)",
        desk.commands.len(),
        desk.products.len(),
        desk.broadcasts.len(),
        counts.done,
        counts.given_up,
        lost,
        duplicated,
        outbox.failed_attempts().unwrap(),
        sandbox_kills,
        desk_kills,
        elapsed.as_secs_f64(),
        desk.commands.len() as f64 / elapsed.as_secs_f64(),
    );
    assert_eq!(counts.given_up, 0, "{:?}", outbox.given_up_errors().unwrap());
    assert_eq!((lost, duplicated), (0, 0));
    let differences = common::desk::differences(platform.as_ref(), &desk).await;
    assert!(differences.is_empty(), "{differences:#?}");
    sandbox.kill_9();
}
