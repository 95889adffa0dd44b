//! A whole broadcast through the actor, with the test picture and tone: go live, products,
//! a take-off, a caption, stop → report and archive; and a resume that rebuilds what was on
//! air from the store.

mod common;

use anchordesk_core::live::{OnAirState, SessionStatus};
use anchordesk_core::*;
use anchordesk_live::*;
use common::{Quiet, desk, ready};

/// The state as another connection to the database file reads it: what a restart would see.
fn on_disk(dir: &std::path::Path, broadcast: BroadcastId) -> OnAirState {
    Store::open(&dir.join("db.sqlite3")).unwrap().on_air_state(broadcast).unwrap()
}

#[test]
fn a_broadcast_runs_through_the_actor_and_each_step_is_on_disk_before_the_answer() {
    let (dir, store, around, desk) = desk();
    let broadcast = ready(&mut store.lock().unwrap());
    let status = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).unwrap();
    assert_eq!(status.push, PushPlan::Rehearsal);
    assert_eq!(status.on_air, None);
    assert!(matches!(
        desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }),
        Err(LiveError::Store(StoreError::Conflict(Conflict::AlreadyLive)))
    ));

    let status = desk.product(1, None).unwrap();
    assert_eq!(status.on_air, Some(0));
    let first = status.lineup[0].id;
    assert_eq!(on_disk(dir.path(), broadcast.id).on_air_item, Some(first));
    std::thread::sleep(std::time::Duration::from_millis(600));

    // Taking off the item on air puts the next one on air.
    let status = desk.take_off(0).unwrap();
    assert_eq!(status.on_air, Some(1));
    assert_eq!(status.taken_off, vec![first]);
    let kept = on_disk(dir.path(), broadcast.id);
    assert_eq!((kept.on_air_item, kept.taken_off.clone()), (Some(status.lineup[1].id), vec![first]));
    assert!(matches!(desk.product(0, Some(0)), Err(LiveError::Store(StoreError::Conflict(Conflict::TakenOff)))));
    assert!(matches!(desk.take_off(0), Err(LiveError::Store(StoreError::Conflict(Conflict::TakenOff)))));

    // A caption with a banned claim is held back; a clean one is shown and kept.
    let held = desk.caption("全网最低价".into()).unwrap();
    assert!(held.sent.is_none() && !held.findings.is_empty());
    let shown = desk.caption("今晚下单包邮".into()).unwrap();
    assert!(shown.sent.is_some());
    assert_eq!(on_disk(dir.path(), broadcast.id).caption.as_deref(), Some("今晚下单包邮"));
    let status = desk.overlay(false).unwrap();
    assert!(!status.overlay_visible);
    assert!(!on_disk(dir.path(), broadcast.id).overlay_visible);
    desk.marker("观众提问".into()).unwrap();

    // The microphone's gain on air: heard at once, and the desk's from now on; out of the
    // desk's range (-20 to 20 dB) it is refused and nothing changes.
    let status = desk.sound(anchordesk_capture::SoundChange::MicGain { gain_db: -6.4 }).unwrap();
    assert_eq!(status.mic_gain_db, -6);
    assert_eq!(store.lock().unwrap().capture_settings().unwrap().mic_gain_db, -6);
    assert!(desk.sound(anchordesk_capture::SoundChange::MicGain { gain_db: 23.0 }).is_err());
    assert_eq!(desk.status().unwrap().mic_gain_db, -6);
    std::thread::sleep(std::time::Duration::from_millis(600));

    let stopped = desk.stop().unwrap();
    let report = stopped.report;
    assert_eq!(report.session.as_ref().unwrap().status, SessionStatus::Ended);
    let recording = std::path::PathBuf::from(&report.session.as_ref().unwrap().recording_path);
    assert!(recording.starts_with(dir.path().join("archive")), "{}", recording.display());
    assert!(recording.exists());
    assert!(!stopped.clips.is_empty(), "one clip per product on air");
    assert!(matches!(desk.status(), Err(LiveError::Store(StoreError::Conflict(Conflict::NotLive)))));
    // A normal stop clears the on-air state: the next go-live has the whole line-up.
    assert_eq!(on_disk(dir.path(), broadcast.id).taken_off, Vec::<LineupItemId>::new());
    let events = around.events.lock().unwrap().clone();
    assert!(events.contains(&"status".to_string()) && events.contains(&"stats".to_string()) && events.last() == Some(&"ended".to_string()), "{events:?}");
    desk.shutdown();
}

#[test]
fn while_on_air_the_room_is_pulled_and_only_what_is_new_is_pushed() {
    let (_dir, store, around, desk) = desk();
    let _ = around.store.set(store.clone());
    let broadcast = ready(&mut store.lock().unwrap());
    let status = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let stopped = desk.stop().unwrap();
    let rooms = around.rooms.lock().unwrap().clone();
    assert!(rooms.len() >= 2, "a push per pull that brought something: {}", rooms.len());
    let mut seen = Vec::new();
    for update in &rooms {
        assert_eq!(update.session_id, status.session.id);
        assert!(update.pulled_at_ms > 0);
        for item in &update.events {
            assert!(!seen.contains(&item.event.seq), "event {} pushed twice", item.event.seq);
            seen.push(item.event.seq);
            assert_eq!(item.alert, Some(anchordesk_core::live::CommentAlert::Question), "{:?}", item.event.text);
        }
    }
    assert_eq!(seen, (1..=seen.len() as i64).collect::<Vec<_>>(), "every comment pushed once, in order");
    // The last pull before the report brought one more; the report counts every comment.
    let kept = store.lock().unwrap().room_events(status.session.id, 0, 100).unwrap().len();
    assert_eq!(kept, seen.len() + 1);
    assert!(stopped.report.session.is_some());
    desk.shutdown();
}

#[test]
fn a_resumed_broadcast_starts_from_what_the_store_kept() {
    let (dir, store, _around, desk) = desk();
    let (broadcast, interrupted, lineup) = {
        let mut store = store.lock().unwrap();
        let broadcast = ready(&mut store);
        let env = Quiet::new().check_env();
        // The state a killed app leaves: a session still live, an item on air, one taken off.
        let recording = dir.path().join("killed.mp4");
        std::fs::write(&recording, b"").unwrap();
        let session = store.go_live(broadcast.id, &env, &recording.display().to_string(), true).unwrap();
        let lineup = store.lineup(broadcast.id).unwrap();
        store.put_on_air(session.id, lineup[1].id, 1_000).unwrap();
        store.take_off(session.id, lineup[2].id, 2_000).unwrap();
        store.mark_interrupted_sessions().unwrap();
        (broadcast, session, lineup)
    };
    let status = desk.resume(interrupted.id).unwrap();
    assert_ne!(status.session.id, interrupted.id, "a new session, a new recording");
    assert_eq!(status.on_air, Some(1), "the same item is on air again");
    assert_eq!(status.taken_off, vec![lineup[2].id], "what was taken off stays off");
    // The take-off holds for the rest of the broadcast: next skips it.
    assert_eq!(desk.product(1, None).unwrap().on_air, Some(1), "nothing for sale after it: it stays on air");
    let status = desk.product(-1, None).unwrap();
    assert_eq!(status.on_air, Some(0));
    assert!(matches!(desk.product(0, Some(2)), Err(LiveError::Store(StoreError::Conflict(Conflict::TakenOff)))));
    let old = store.lock().unwrap().session(interrupted.id).unwrap();
    assert_eq!(old.status, SessionStatus::Ended);
    assert_eq!(old.broadcast_id, broadcast.id);
    desk.shutdown();
}

#[test]
fn the_test_picture_and_tone_never_go_to_a_real_platform() {
    let (_dir, store, _around, desk) = desk();
    let broadcast = {
        let mut store = store.lock().unwrap();
        let broadcast = ready(&mut store);
        // The team's own platform, and no camera or microphone connected here.
        let settings = anchordesk_desk_sync::PlatformSettings { base_url: "https://live.example.com".into(), client_id: "team".into(), practice: false, ca_pem: None };
        anchordesk_desk_sync::save_platform_settings(&store, Some(&settings)).unwrap();
        broadcast
    };
    let refused = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: false, push_url: None, scene: None });
    assert!(
        matches!(refused, Err(LiveError::Store(StoreError::Conflict(Conflict::TestSourceOnRealPlatform { camera: true, microphone: true })))),
        "{refused:?}"
    );
    assert!(store.lock().unwrap().sessions(broadcast.id).unwrap().is_empty(), "nothing was started");
    // A rehearsal stays on the desk (the platform hears nothing): allowed.
    let rehearsal = desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).unwrap();
    assert!(rehearsal.session.platform_silent);
    desk.stop().unwrap();
    desk.shutdown();
}
