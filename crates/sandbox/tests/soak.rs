//! The fault soak: 10,000 desk changes through the outbox worker to a sandbox child
//! process that injects errors, latency and dropped connections and is killed -9 and
//! restarted three times, while the desk's worker is aborted mid-flight and replaced three
//! times. At the end the sandbox must hold exactly the desk's state.

mod common;

use anchordesk_platform::sync::{OutboxStore, SyncConfig, SyncWorker};
use anchordesk_platform::{ClientConfig, FaultConfig, FaultSettings, Platform, RetryPolicy, SandboxPlatform};
use common::outbox::SqliteOutbox;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OPERATIONS: usize = 10_000;
const KILL_AT_DONE: [i64; 3] = [2_000, 4_500, 7_000];
/// When the desk's worker is aborted mid-flight and replaced by a new one, as after a
/// crash of the desk: requests in flight are cut and entries sent but not yet marked done
/// are sent again with the same key.
const RESTART_DESK_AT_DONE: [i64; 3] = [1_200, 3_500, 8_000];

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
                .args(["--port", &port.to_string(), "--rate-limit", "0", "--tick-ms", "200", "--seed", "7", "--data-dir"])
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

async fn set_faults(base_url: &str, faults: &FaultSettings) {
    let response = reqwest::Client::new().put(format!("{base_url}/admin/faults")).json(faults).send().await.expect("setting faults");
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_changes_survive_faults_and_kill_9_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let platform_dir = dir.path().join("platform");
    let faults = FaultSettings {
        global: FaultConfig { latency_ms: 1, error_rate: 0.03, rate_limit_rate: 0.002, drop_rate: 0.03, clock_skew_s: 0 },
        ..FaultSettings::default()
    };
    let mut sandbox = SandboxChild::spawn(&platform_dir, 0);
    let port = sandbox.port;
    set_faults(&sandbox.base_url(), &faults).await;

    let mut client_config = ClientConfig::new(sandbox.base_url(), anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET);
    client_config.timeout = Duration::from_secs(3);
    client_config.retry = RetryPolicy { max_retries: 3, min_delay: Duration::from_millis(20), max_delay: Duration::from_millis(300) };
    let platform: Arc<dyn Platform> = Arc::new(SandboxPlatform::new(client_config).unwrap());
    let outbox = Arc::new(SqliteOutbox::open(&dir.path().join("desk.sqlite3")).unwrap());
    let config = SyncConfig {
        key_prefix: "soak-".into(),
        concurrency: 8,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(1),
        idle_poll: Duration::from_millis(50),
        ..SyncConfig::default()
    };
    let start_desk = |shutdown| {
        let worker = SyncWorker::new(platform.clone(), outbox.clone() as Arc<dyn OutboxStore>, config.clone());
        let handle = worker.handle();
        (handle, tokio::spawn(worker.run(shutdown)))
    };
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let (mut handle, mut running) = start_desk(shutdown.clone());
    let mut desk_restarts = 0;

    let desk = common::desk::generate(7, OPERATIONS, 200);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(100);
    let mut chunks = desk.commands.chunks(250);
    let mut kills = 0;
    loop {
        if let Some(chunk) = chunks.next() {
            outbox.enqueue(chunk).unwrap();
            handle.wake();
        }
        let counts = outbox.counts().unwrap();
        if kills < KILL_AT_DONE.len() && counts.done >= KILL_AT_DONE[kills] {
            sandbox.kill_9();
            kills += 1;
            // The desk keeps working while the platform is gone.
            tokio::time::sleep(Duration::from_millis(300)).await;
            sandbox = SandboxChild::spawn(&platform_dir, port);
            set_faults(&sandbox.base_url(), &faults).await;
        }
        if desk_restarts < RESTART_DESK_AT_DONE.len() && counts.done >= RESTART_DESK_AT_DONE[desk_restarts] {
            running.abort();
            assert!(running.await.unwrap_err().is_cancelled());
            desk_restarts += 1;
            (handle, running) = start_desk(shutdown.clone());
        }
        if counts.pending == 0 && counts.done + counts.given_up == desk.commands.len() as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "soak did not finish in time: {counts:?} after {kills} kills");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(kills, KILL_AT_DONE.len(), "the soak finished before every kill");
    assert_eq!(desk_restarts, RESTART_DESK_AT_DONE.len(), "the soak finished before every desk restart");

    set_faults(&sandbox.base_url(), &FaultSettings::default()).await;
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
         {} failed attempts retried, {} kill -9 of the sandbox, {} desk worker aborts, {:.1} s ({:.0} ops/s)",
        desk.commands.len(),
        desk.products.len(),
        desk.broadcasts.len(),
        counts.done,
        counts.given_up,
        lost,
        duplicated,
        outbox.failed_attempts().unwrap(),
        kills,
        desk_restarts,
        elapsed.as_secs_f64(),
        desk.commands.len() as f64 / elapsed.as_secs_f64(),
    );
    assert_eq!(counts.given_up, 0, "{:?}", outbox.given_up_errors().unwrap());
    assert_eq!((lost, duplicated), (0, 0));
    let differences = common::desk::differences(platform.as_ref(), &desk).await;
    assert!(differences.is_empty(), "{differences:#?}");
    sandbox.kill_9();
}
