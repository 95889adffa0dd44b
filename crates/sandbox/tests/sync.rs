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

#[tokio::test]
async fn pulls_resume_from_their_cursor_across_a_restart_and_take_nothing_twice() {
    use anchordesk_platform::{BroadcastCreate, TickRequest, pull};
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.seed = 9;
    let sandbox = anchordesk_sandbox::Sandbox::start(config.clone()).await.unwrap();
    let addr = sandbox.addr();
    let base = sandbox.base_url();
    let platform = common::platform(&base);
    platform.upsert_product("p", "HONEY", &common::product("土蜂蜜 500g", 6800, 10_000)).await.unwrap();
    let broadcast = BroadcastCreate { id: "b1".into(), title: "蜂蜜专场".into(), anchor_id: None, products: vec!["HONEY".into()], scheduled_start_ms: None };
    platform.create_broadcast("c", &broadcast).await.unwrap();
    platform.start_broadcast("s", "b1").await.unwrap();
    platform.list_in_bag("l", "b1", "HONEY", 3900).await.unwrap();
    platform.pin("pin", "b1", Some("HONEY")).await.unwrap();
    let tick = |ticks| {
        let base = base.clone();
        async move {
            reqwest::Client::new().post(format!("{base}/admin/broadcasts/b1/tick")).header(anchordesk_sandbox::ADMIN_TOKEN_HEADER, common::ADMIN).json(&TickRequest { ticks }).send().await.unwrap();
        }
    };
    tick(40).await;

    // The first pull stops early (as if cut short); the second resumes from its cursor.
    let (first, cursor) = pull::events(&platform, "b1", 0, 25).await.unwrap();
    assert_eq!(first.len(), 25);
    let (orders_first, order_cursor) = pull::orders(&platform, "b1", 0, 1_000).await.unwrap();
    sandbox.shutdown().await.unwrap();
    config.addr = addr;
    let sandbox = anchordesk_sandbox::Sandbox::start(config).await.unwrap();
    tick(40).await;
    let (rest, end) = pull::events(&platform, "b1", cursor, 100_000).await.unwrap();
    let (orders_rest, _) = pull::orders(&platform, "b1", order_cursor, 1_000).await.unwrap();

    let (all, all_end) = pull::events(&platform, "b1", 0, 100_000).await.unwrap();
    assert_eq!(all_end, end);
    let seqs: Vec<i64> = first.iter().chain(&rest).map(|event| event.seq).collect();
    assert_eq!(seqs, all.iter().map(|event| event.seq).collect::<Vec<_>>(), "nothing missed, nothing twice");
    assert!(!orders_first.is_empty() && !orders_rest.is_empty(), "the audience kept buying after the restart");
    let (all_orders, _) = pull::orders(&platform, "b1", 0, 100_000).await.unwrap();
    assert_eq!(orders_first.len() + orders_rest.len(), all_orders.len());
    // Nothing new: the cursor stays put.
    assert_eq!(pull::events(&platform, "b1", end, 10).await.unwrap(), (Vec::new(), end));
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_keep_every_entry_pending_until_they_are_fixed() {
    use anchordesk_platform::{ClientConfig, RetryPolicy, ContractClient};
    let dir = tempfile::tempdir().unwrap();
    let sandbox = common::start(&dir.path().join("platform")).await;
    let outbox = Arc::new(SqliteOutbox::open(&dir.path().join("desk.sqlite3")).unwrap());
    let desk = common::desk::generate(3, 20, 5);
    outbox.enqueue(&desk.commands).unwrap();
    let mut config = ClientConfig::new(sandbox.base_url(), anchordesk_sandbox::DEMO_CLIENT_ID, "a-mistyped-secret");
    config.retry = RetryPolicy { max_retries: 0, min_delay: Duration::from_millis(1), max_delay: Duration::from_millis(1) };
    let wrong: Arc<dyn Platform> = Arc::new(ContractClient::new(config).unwrap());
    let worker = SyncWorker::new(wrong, outbox.clone() as Arc<dyn OutboxStore>, worker_config());

    let report = worker.round().await.unwrap();
    assert_eq!((report.sent, report.given_up), (0, 0));
    assert!(report.retrying > 0);
    assert_eq!(outbox.counts().unwrap().pending, 20);
    let status = worker.handle().status();
    assert!(status.last_error.as_deref().is_some_and(|error| error.contains("unauthorized")), "{status:?}");

    // The user fixes the secret: the same outbox drains completely.
    let right: Arc<dyn Platform> = Arc::new(common::platform(&sandbox.base_url()));
    let worker = SyncWorker::new(right.clone(), outbox.clone() as Arc<dyn OutboxStore>, worker_config());
    assert_eq!(worker.drain(Duration::from_secs(20)).await.unwrap(), 0);
    assert_eq!(outbox.counts().unwrap().done, 20);
    assert!(common::desk::differences(right.as_ref(), &desk).await.is_empty());
    sandbox.shutdown().await.unwrap();
}

#[test]
fn the_test_desks_sqlite_outbox_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = SqliteOutbox::open(&dir.path().join("desk.sqlite3")).unwrap();
    let enqueue = |command: &anchordesk_platform::sync::Command| {
        outbox.enqueue(std::slice::from_ref(command)).unwrap();
        outbox.last_id().unwrap()
    };
    assert_eq!(anchordesk_platform::sync::check_store(&outbox, &enqueue), Ok(()));
}
