//! How long after a product is put on air its card shows in the recording: for each of 30
//! switches (Space in the console), the media time when the command was sent against the
//! media time of the first recorded frame that shows the new card. The path includes the
//! actor, the SQLite transaction that keeps the step, the card's rendering and the
//! compositor. Prints the figures against the budget (one frame interval + 50 ms).
//!
//! `cargo run --release -p anchordesk-live --example overlay_latency`

use anchordesk_core::plan::CheckEnv;
use anchordesk_core::{BroadcastId, Store, testkit};
use anchordesk_live::{GoLive, LiveDesk, Surroundings};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Bench;

impl Surroundings for Bench {
    fn check_env(&self) -> CheckEnv {
        let mut env = CheckEnv::measure(&std::env::temp_dir());
        env.linter = Some(self.linter());
        env
    }
    fn linter(&self) -> Arc<anchordesk_claims::Linter> {
        static LINTER: std::sync::OnceLock<Arc<anchordesk_claims::Linter>> = std::sync::OnceLock::new();
        LINTER.get_or_init(|| Arc::new(anchordesk_claims::Linter::default_packs())).clone()
    }
    fn ingest(&self, _broadcast: BroadcastId) -> Result<String, String> {
        Err("recording only".into())
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut store = Store::open(&dir.path().join("db.sqlite3")).expect("a store");
    store.seed_sample_catalog_once().expect("the sample catalog");
    let spec = testkit::ReadyBroadcast { title: "延迟测量", template: "course", live_price: "39.90", planned_minutes: "5", operator: "bench", ..Default::default() };
    let (broadcast, _) = testkit::ready_broadcast(&mut store, &spec);
    let fps = store.capture_settings().expect("settings").fps.max(1) as f64;
    let desk = LiveDesk::start(Arc::new(Mutex::new(store)), dir.path().to_path_buf(), Arc::new(Bench));
    desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).expect("on air");
    std::thread::sleep(Duration::from_secs(2));
    let mut latencies = Vec::new();
    for round in 0..30 {
        let sent_at = desk.on_air().expect("on air").2;
        // A jump to another item each time (1, 2, 3, 1 …): every command changes the card.
        desk.product(0, Some(round % 3)).expect("a product on air");
        std::thread::sleep(Duration::from_millis(300));
        match desk.overlay_shown_at_ms() {
            Some(shown) if shown >= sent_at => latencies.push(shown - sent_at),
            _ => println!("switch {round}: the card had not changed in the recording 300 ms later"),
        }
    }
    desk.stop().expect("stopped");
    desk.shutdown();
    latencies.sort_unstable();
    let frame_ms = 1000.0 / fps;
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!("switches measured: {}", latencies.len());
    println!("card shown after the command, in media time: min {} ms, median {} ms, p95 {} ms, max {} ms", latencies[0], at(0.5), at(0.95), latencies[latencies.len() - 1]);
    println!("budget (one frame at {fps} fps + 50 ms): {:.0} ms; within budget: {}/{}", frame_ms + 50.0, latencies.iter().filter(|&&l| (l as f64) <= frame_ms + 50.0).count(), latencies.len());
}
