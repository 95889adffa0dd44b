//! The outbox worker against a real sandbox with faults switched on.

mod common;

use anchordesk_platform::sync::{OutboxStore, SyncConfig, SyncWorker};
use anchordesk_platform::{FaultConfig, FaultSettings, Platform};
use common::outbox::SqliteOutbox;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn worker_config() -> SyncConfig {
    SyncConfig {
        key_prefix: "desk-test-".into(),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(500),
        idle_poll: Duration::from_millis(50),
        ..SyncConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_loses_nothing_duplicates_nothing_and_keeps_order_under_faults() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(&dir.path().join("platform")).await;
    sandbox.set_faults(FaultSettings {
        global: FaultConfig { latency_ms: 2, error_rate: 0.15, rate_limit_rate: 0.01, drop_rate: 0.1, clock_skew_s: 0 },
        ..FaultSettings::default()
    });
    let outbox = Arc::new(SqliteOutbox::open(&dir.path().join("desk.sqlite3")).unwrap());
    let platform: Arc<dyn Platform> = Arc::new(common::platform(&sandbox.base_url()));
    let worker = SyncWorker::new(platform.clone(), outbox.clone() as Arc<dyn OutboxStore>, worker_config());
    let handle = worker.handle();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(shutdown));

    let desk = common::desk::generate(1, 600, 25);
    // The desk keeps making changes while the worker sends.
    for chunk in desk.commands.chunks(50) {
        outbox.enqueue(chunk).unwrap();
        handle.wake();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox.counts().unwrap().pending > 0 {
        assert!(Instant::now() < deadline, "outbox not drained: {:?}", outbox.counts().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap();

    let counts = outbox.counts().unwrap();
    assert_eq!(counts.given_up, 0, "{:?}", outbox.given_up_errors().unwrap());
    assert_eq!(counts.done as usize, desk.commands.len());
    // The client's own retries absorb most faults; the rest reach the worker as retries.
    assert!(sandbox.injected_faults() > 50, "only {} faults injected", sandbox.injected_faults());
    sandbox.set_faults(FaultSettings::default());
    let differences = common::desk::differences(platform.as_ref(), &desk).await;
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(handle.status().last_success_ms.is_some());
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn changes_made_while_the_network_is_down_drain_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(&dir.path().join("platform")).await;
    // Pulling the network: every connection is dropped.
    sandbox.set_faults(FaultSettings { global: FaultConfig { drop_rate: 1.0, ..FaultConfig::default() }, ..FaultSettings::default() });
    let outbox = Arc::new(SqliteOutbox::open(&dir.path().join("desk.sqlite3")).unwrap());
    let platform: Arc<dyn Platform> = Arc::new(common::platform(&sandbox.base_url()));
    let worker = SyncWorker::new(platform.clone(), outbox.clone() as Arc<dyn OutboxStore>, worker_config());
    let desk = common::desk::generate(2, 40, 10);
    outbox.enqueue(&desk.commands).unwrap();

    let left = worker.drain(Duration::from_millis(1500)).await.unwrap();
    assert!(left > 0, "the outbox cannot drain while offline");
    let status = worker.handle().status();
    assert!(status.last_error.as_deref().is_some_and(|error| error.contains("dropped") || error.contains("error")), "{status:?}");
    assert_eq!(outbox.counts().unwrap().done, 0);

    sandbox.set_faults(FaultSettings::default());
    assert_eq!(worker.drain(Duration::from_secs(20)).await.unwrap(), 0);
    assert_eq!(outbox.counts().unwrap().done, 40);
    let differences = common::desk::differences(platform.as_ref(), &desk).await;
    assert!(differences.is_empty(), "{differences:#?}");
    sandbox.shutdown().await.unwrap();
}
