//! The live tests' surroundings: a desk with no platform that records what it was told to
//! publish, and a broadcast ready to go live.
#![allow(dead_code)]

use anchordesk_core::plan::CheckEnv;
use anchordesk_core::*;
use anchordesk_live::*;
use std::sync::{Arc, Mutex};

pub struct Quiet {
    pub events: Mutex<Vec<String>>,
    /// The room updates published, in order.
    pub rooms: Mutex<Vec<RoomUpdate>>,
    /// Where `pull_room` keeps what a platform would have sent (one comment per pull).
    pub store: std::sync::OnceLock<Arc<Mutex<Store>>>,
    /// The newest health figures published.
    pub stats: Mutex<Option<anchordesk_capture::Stats>>,
}

impl Quiet {
    pub fn new() -> Quiet {
        Quiet { events: Mutex::new(Vec::new()), rooms: Mutex::new(Vec::new()), store: std::sync::OnceLock::new(), stats: Mutex::new(None) }
    }
}

impl Surroundings for Quiet {
    fn check_env(&self) -> CheckEnv {
        CheckEnv {
            today: time::macros::date!(2026 - 12 - 06),
            free_disk_bytes: Some(50 << 30),
            shipping_days: 3,
            bitrate_kbps: 2628,
            linter: Some(self.linter()),
            camera: None,
            microphone: None,
            platform: None,
        }
    }
    fn linter(&self) -> Arc<anchordesk_claims::Linter> {
        static LINTER: std::sync::OnceLock<Arc<anchordesk_claims::Linter>> = std::sync::OnceLock::new();
        LINTER.get_or_init(|| Arc::new(anchordesk_claims::Linter::default_packs())).clone()
    }
    fn ingest(&self, _broadcast: BroadcastId) -> Result<String, String> {
        Err("no platform in this test".into())
    }
    fn publish(&self, event: LiveEvent) {
        let name = match event {
            LiveEvent::Status(_) => "status",
            LiveEvent::Stats(stats) => {
                *self.stats.lock().unwrap() = Some(*stats);
                "stats"
            }
            LiveEvent::Preview(_) => "preview",
            LiveEvent::SecondPreview(_) => "second-preview",
            LiveEvent::Ended { .. } => "ended",
            LiveEvent::Room(update) => {
                self.rooms.lock().unwrap().push(*update);
                "room"
            }
            LiveEvent::Prompts(_) => "prompts",
        };
        self.events.lock().unwrap().push(name.into());
    }
    fn pull_room(&self, session: &anchordesk_core::live::LiveSession) -> Result<usize, String> {
        let store = self.store.get().ok_or("no platform in this test")?;
        let mut store = store.lock().unwrap();
        let seq = store.room_cursor(session.id).unwrap() + 1;
        let comment = anchordesk_core::room::RoomEvent {
            seq,
            at_ms: seq * 1000,
            kind: Some(anchordesk_core::room::RoomEventKind::Comment),
            text: Some(format!("第{seq}条：这个多少钱？")),
            ..Default::default()
        };
        store.keep_room_events(session.id, &[comment]).map_err(|err| err.to_string())
    }
}

/// A farmer broadcast with three sample products, ready to go live.
pub fn ready(store: &mut Store) -> Broadcast {
    testkit::ready_broadcast(store, &testkit::ReadyBroadcast { title: "周五果园直播", ..Default::default() }).0
}

pub fn desk() -> (tempfile::TempDir, Arc<Mutex<Store>>, Arc<Quiet>, LiveDesk) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let store = Arc::new(Mutex::new(store));
    let around = Arc::new(Quiet::new());
    let desk = LiveDesk::start(store.clone(), dir.path().to_path_buf(), around.clone());
    (dir, store, around, desk)
}

