//! The app's own outbox drained into a real sandbox server on loopback, with faults.

use anchordesk_core::Store;
use anchordesk_desk_sync::DeskOutbox;
use anchordesk_platform::sync::{SyncConfig, SyncWorker};
use anchordesk_platform::{ClientConfig, Platform, ContractClient};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn sandbox(dir: &std::path::Path) -> anchordesk_sandbox::RunningSandbox {
    let mut config = anchordesk_sandbox::Config::new(dir.join("sandbox"));
    config.addr = "127.0.0.1:0".parse().unwrap();
    anchordesk_sandbox::Sandbox::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_desk_syncs_its_sample_catalog_and_later_edits() {
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox(dir.path()).await;
    let mut store = Store::open(&dir.path().join("desk.sqlite3")).unwrap();
    let n_samples = store.seed_sample_catalog_once().unwrap();
    let store = Arc::new(Mutex::new(store));

    let platform = Arc::new(
        ContractClient::new(ClientConfig::new(
            running.base_url(),
            anchordesk_sandbox::DEMO_CLIENT_ID,
            anchordesk_sandbox::DEMO_CLIENT_SECRET,
        ))
        .unwrap(),
    );
    let config = SyncConfig { key_prefix: "desk-test-".into(), ..SyncConfig::default() };
    let worker = SyncWorker::new(platform.clone(), Arc::new(DeskOutbox::new(store.clone())), config);
    worker.drain(Duration::from_secs(30)).await.unwrap();
    assert_eq!(store.lock().unwrap().outbox_counts().unwrap().pending, 0);
    let products = all_products(&*platform).await;
    assert_eq!(products.len(), n_samples);
    let orange = products.iter().find(|p| p.sku == "SAMPLE-ORANGE-5KG").unwrap();
    assert_eq!(orange.price_fen, 5990);

    // An edit made while the platform is down waits in the outbox and goes out afterwards.
    let mut faults = anchordesk_platform::FaultSettings::default();
    faults.global.error_rate = 1.0;
    running.set_faults(faults);
    {
        let mut guard = store.lock().unwrap();
        let product = guard.product_by_sku("SAMPLE-ORANGE-5KG").unwrap().unwrap();
        let mut draft = product.draft.clone();
        draft.price = anchordesk_core::Fen(4990);
        guard.update_product(product.id, &draft).unwrap();
    }
    worker.round().await.expect("the outbox store answers");
    assert_eq!(store.lock().unwrap().outbox_counts().unwrap().pending, 1, "the edit waits while the platform fails");
    running.set_faults(Default::default());
    worker.drain(Duration::from_secs(30)).await.unwrap();
    let orange = all_products(&*platform).await.into_iter().find(|p| p.sku == "SAMPLE-ORANGE-5KG").unwrap();
    assert_eq!(orange.price_fen, 4990);
    assert_eq!(store.lock().unwrap().outbox_counts().unwrap().pending, 0);
    running.shutdown().await.expect("the sandbox shuts down");
}

async fn all_products(platform: &dyn Platform) -> Vec<anchordesk_platform::Product> {
    let mut products = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = platform.list_products(cursor.as_deref(), 100).await.unwrap();
        products.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return products,
        }
    }
}

/// A desk with the sample catalog and a broadcast on air (rehearsal) with these SKUs in its
/// line-up, in that order; the session and the line-up items.
fn live_desk(dir: &std::path::Path, skus: &[&str]) -> (Store, anchordesk_core::Broadcast, anchordesk_core::live::LiveSession, Vec<anchordesk_core::LineupItem>) {
    let mut store = Store::open(&dir.join("desk.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let broadcast = store
        .create_broadcast(&anchordesk_core::BroadcastDraft {
            title: "同步测试".into(),
            planned_start: "2026-12-01T19:00".into(),
            platform: "sandbox".into(),
            ..Default::default()
        })
        .unwrap();
    let items = skus
        .iter()
        .map(|sku| {
            let product = store.product_by_sku(sku).unwrap().unwrap();
            store.add_lineup_item(broadcast.id, product.id).unwrap()
        })
        .collect();
    // A broadcast without a checklist has nothing blocking it.
    let env = anchordesk_core::plan::CheckEnv { linter: None, ..anchordesk_core::plan::CheckEnv::measure(dir) };
    let session = store.go_live(broadcast.id, &env, "/tmp/x.mp4", true).unwrap();
    (store, broadcast, session, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_live_pins_each_product_on_the_platform_in_order() {
    use anchordesk_core::live::LiveMarkerKind;
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox(dir.path()).await;
    let (mut store, broadcast, session, items) = live_desk(dir.path(), &["SAMPLE-ORANGE-5KG", "SAMPLE-HONEY-500G"]);
    let (a, b) = (&items[0], &items[1]);
    store.add_marker(session.id, LiveMarkerKind::Product, "脐橙", Some(a.id), 1_000).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, "蜂蜜", Some(b.id), 9_000).unwrap();
    let store = Arc::new(Mutex::new(store));

    let platform = Arc::new(
        ContractClient::new(ClientConfig::new(running.base_url(), anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET))
            .unwrap(),
    );
    let worker = SyncWorker::new(platform.clone(), Arc::new(DeskOutbox::new(store.clone())), SyncConfig { key_prefix: "live-".into(), ..SyncConfig::default() });
    worker.drain(Duration::from_secs(30)).await.unwrap();
    assert_eq!(store.lock().unwrap().outbox_counts().unwrap().given_up, 0);
    let on_platform = platform.broadcast(&anchordesk_core::store::platform_broadcast_id(broadcast.id)).await.unwrap();
    assert_eq!(on_platform.pinned_sku.as_deref(), Some("SAMPLE-HONEY-500G"), "the last product on air is pinned");
    running.shutdown().await.expect("the sandbox shuts down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_sends_the_products_before_the_broadcast_that_names_them() {
    // The desk hands over every pending row; the order across entities is the worker's,
    // from each command's dependencies (one place decides it).
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox(dir.path()).await;
    let (store, broadcast, _, _) = live_desk(dir.path(), &["SAMPLE-ORANGE-5KG"]);
    let store = Arc::new(Mutex::new(store));
    {
        use anchordesk_platform::sync::OutboxStore;
        let pending = DeskOutbox::new(store.clone()).pending(1000).unwrap();
        assert!(pending.iter().any(|e| e.entity.starts_with("broadcast:")), "nothing is held back by the desk");
    }
    let platform = Arc::new(
        ContractClient::new(ClientConfig::new(running.base_url(), anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET)).unwrap(),
    );
    let worker = SyncWorker::new(platform.clone(), Arc::new(DeskOutbox::new(store.clone())), SyncConfig { key_prefix: "order-".into(), ..SyncConfig::default() });
    worker.drain(Duration::from_secs(30)).await.unwrap();
    let counts = store.lock().unwrap().outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.given_up), (0, 0), "every row went out, none refused for a missing product");
    let on_platform = platform.broadcast(&anchordesk_core::store::platform_broadcast_id(broadcast.id)).await.unwrap();
    assert!(on_platform.products.iter().any(|sku| sku == "SAMPLE-ORANGE-5KG"), "{:?}", on_platform.products);
    running.shutdown().await.expect("the sandbox shuts down");
}
