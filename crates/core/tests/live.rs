//! Going live through the gate, markers, interrupted sessions and the report.

use anchordesk_core::live::*;
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::validate::LineupTermsForm;
use anchordesk_core::*;

fn env() -> CheckEnv {
    CheckEnv {
        today: time::macros::date!(2026 - 11 - 25),
        free_disk_bytes: Some(50 << 30),
        shipping_days: 3,
        bitrate_kbps: 2628,
        linter: Some(std::sync::Arc::new(anchordesk_claims::Linter::default_packs())),
        camera: None,
        microphone: None,
        platform: None,
    }
}

/// A farmer broadcast with two sample products, every manual item ticked and the
/// after-sales contact set: ready to go live.
fn ready(store: &mut Store) -> (Broadcast, Vec<LineupItem>) {
    let skus = ["SAMPLE-ORANGE-5KG", "SAMPLE-HONEY-500G"];
    testkit::ready_broadcast(store, &testkit::ReadyBroadcast { skus: &skus, planned_minutes: "2", ..Default::default() })
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    (dir, store)
}

#[test]
fn going_live_is_refused_while_the_gate_is_closed() {
    let (_dir, mut store) = open();
    let draft = BroadcastDraft { title: "x".into(), planned_start: "2026-12-05T19:00".into(), platform: "sandbox".into(), ..Default::default() };
    let broadcast = store.create_broadcast_from_template(&draft, &templates::by_name("farmer").unwrap()).unwrap();
    match store.go_live(broadcast.id, &env(), "/tmp/x.mp4", false) {
        Err(StoreError::Conflict(Conflict::GateClosed { blockers })) => assert!(blockers.iter().any(|b| b.contains("售后")), "{blockers:?}"),
        other => panic!("expected the gate to refuse, got {other:?}"),
    }
}

#[test]
fn markers_become_per_product_times_in_the_report() {
    let (_dir, mut store) = open();
    let (broadcast, items) = ready(&mut store);
    let session = store.go_live(broadcast.id, &env(), "/tmp/rec.mp4", false).unwrap();
    assert_eq!(session.status, SessionStatus::Live);
    assert!(
        matches!(store.go_live(broadcast.id, &env(), "/tmp/rec2.mp4", false), Err(StoreError::Conflict(Conflict::AlreadyLive))),
        "one live session at a time"
    );

    store.add_marker(session.id, LiveMarkerKind::Product, "赣南脐橙", Some(items[0].id), 2_000).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Manual, "观众提问", None, 30_000).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, "土蜂蜜", Some(items[1].id), 95_000).unwrap();
    let ended = store.end_session(session.id, "", Some(180_000)).unwrap();
    assert_eq!(ended.status, SessionStatus::Ended);
    assert_eq!(ended.recording_path, "/tmp/rec.mp4");

    let report = store.report(broadcast.id, &env(), None).unwrap();
    assert_eq!(report.duration_seconds, 180);
    let times: Vec<(String, i32)> = report.products.iter().map(|p| (p.sku.clone(), p.actual_seconds)).collect();
    assert_eq!(times, vec![("SAMPLE-ORANGE-5KG".into(), 93), ("SAMPLE-HONEY-500G".into(), 85)]);
    assert_eq!(report.products[0].planned_minutes, 2);
    assert_eq!(report.markers.len(), 3);
    assert_eq!(report.markers[0].sku.as_deref(), Some("SAMPLE-ORANGE-5KG"));
    assert_eq!(report.compliance_unresolved, 0);
    let pre_live = report.checklist.iter().find(|c| c.phase == plan::Phase::PreLive).unwrap();
    assert!(pre_live.open_critical.is_empty(), "{:?}", pre_live.open_critical);

    let html = report_html(&report);
    assert!(html.contains("赣南脐橙") && html.contains("1 分 33 秒"), "{html}");
    assert!(!html.contains("<script"));
}

#[test]
fn a_session_left_live_by_a_crash_is_found_interrupted_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let (broadcast, session) = {
        let mut store = Store::open(&path).unwrap();
        store.seed_sample_catalog_once().unwrap();
        let (broadcast, items) = ready(&mut store);
        let session = store.go_live(broadcast.id, &env(), "/tmp/rec.mkv", true).unwrap();
        store.add_marker(session.id, LiveMarkerKind::Product, "赣南脐橙", Some(items[0].id), 1_000).unwrap();
        (broadcast, session)
        // The store is dropped without ending the session, as a kill would leave it.
    };
    let mut store = Store::open(&path).unwrap();
    let interrupted = store.mark_interrupted_sessions().unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].id, session.id);
    assert!(interrupted[0].rehearsal);
    assert_eq!(store.session(session.id).unwrap().status, SessionStatus::Interrupted);
    assert_eq!(store.markers(session.id).unwrap().len(), 1, "markers survive");
    assert!(store.mark_interrupted_sessions().unwrap().is_empty(), "only once");
    let closed = store.end_session(session.id, "", None).unwrap();
    assert_eq!(closed.status, SessionStatus::Ended);
    assert_eq!(store.sessions(broadcast.id).unwrap().len(), 1);
}

#[test]
fn an_ended_session_is_archived_with_digests_verified_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let (broadcast, items) = ready(&mut store);
    let recording = dir.path().join("rec.mp4");
    std::fs::write(&recording, b"not really video, but bytes to keep").unwrap();
    std::fs::write(dir.path().join("rec.mp4.markers.json"), b"[]").unwrap();
    let session = store.go_live(broadcast.id, &env(), recording.to_str().unwrap(), false).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, "赣南脐橙", Some(items[0].id), 0).unwrap();
    store.end_session(session.id, "", Some(10_000)).unwrap();
    let report = store.report(broadcast.id, &env(), None).unwrap();

    let archive_dir = dir.path().join("archive");
    let store = std::sync::Mutex::new(store);
    let entry = archive::archive_session(&store, &archive_dir, &report, time::macros::date!(2026 - 11 - 25), archive::DEFAULT_RETENTION_YEARS).unwrap();
    let store = store.into_inner().unwrap();
    assert_eq!(entry.keep_until, "2029-11-25");
    assert_eq!(store.session(session.id).unwrap().recording_path, archive_dir.join(&entry.name).join("rec.mp4").display().to_string());
    assert!(store.archive_jobs().unwrap().is_empty(), "the journal is empty once committed");
    let names: Vec<&str> = entry.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["rec.mp4", "rec.mp4.markers.json", "report.html", "report.json"]);
    assert!(!recording.exists(), "the recording moved into the archive");
    let (listed, problems) = archive::list(&archive_dir);
    assert_eq!(listed, vec![entry.clone()]);
    assert!(problems.is_empty());

    let exported = archive::export(&archive_dir, &entry.name, &dir.path().join("usb")).unwrap();
    assert!(exported.join("rec.mp4").exists() && exported.join(archive::MANIFEST).exists());

    // A changed byte is caught.
    std::fs::write(archive_dir.join(&entry.name).join("rec.mp4"), b"edited afterwards").unwrap();
    assert!(matches!(archive::verify(&archive_dir, &entry.name), Err(archive::ArchiveError::Tampered { .. })));
}

#[test]
fn an_archiving_cut_short_after_the_move_is_finished_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let (broadcast, _) = ready(&mut store);
    let recording = dir.path().join("cut.mp4");
    std::fs::write(&recording, b"bytes of a recording").unwrap();
    let session = store.go_live(broadcast.id, &env(), recording.to_str().unwrap(), false).unwrap();
    store.end_session(session.id, "", Some(5_000)).unwrap();
    let report = store.report(broadcast.id, &env(), None).unwrap();
    // What a crash right after the move leaves: the intent, the file in the archive folder,
    // no manifest, the database still naming the old place.
    let job = archive::ArchiveJob::new(&dir.path().join("archive"), &report, time::macros::date!(2026 - 12 - 06), 3).unwrap();
    store.begin_archive_job(&job).unwrap();
    std::fs::create_dir_all(&job.folder).unwrap();
    std::fs::rename(&recording, job.folder.join("cut.mp4")).unwrap();
    assert_eq!(store.session(session.id).unwrap().recording_path, recording.display().to_string());

    let drop_store = store;
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    drop(drop_store);
    let finished = archive::finish_pending(&mut store);
    assert_eq!(finished.len(), 1);
    let entry = finished.into_iter().next().unwrap().1.unwrap();
    let archived = job.folder.join("cut.mp4");
    assert_eq!(store.session(session.id).unwrap().recording_path, archived.display().to_string());
    assert!(archive::verify(&dir.path().join("archive"), &entry.name).is_ok());
    assert!(store.archive_jobs().unwrap().is_empty());
    // Nothing is left to finish the time after.
    assert!(archive::finish_pending(&mut store).is_empty());
}

#[test]
fn line_up_edits_before_going_live_reach_the_platform_in_order() {
    let (_dir, mut store) = open();
    let (broadcast, items) = ready(&mut store);
    let platform_id = store::platform_broadcast_id(broadcast.id);
    let broadcast_ops = |store: &Store| -> Vec<(String, store::OutboxOp)> {
        store
            .outbox_pending(1000)
            .unwrap()
            .into_iter()
            .filter(|r| r.entity == format!("broadcast:{platform_id}"))
            .map(|r| (r.operation, r.op.unwrap()))
            .collect()
    };
    let before = broadcast_ops(&store);
    assert_eq!(before[0].0, store::CREATE_BROADCAST, "the first line-up change creates the broadcast");
    assert!(matches!(&before[0].1, store::OutboxOp::CreateBroadcast { skus, .. } if skus == &["SAMPLE-ORANGE-5KG"]), "{before:?}");
    assert!(before[1..].iter().all(|(op, _)| op == store::SET_LINEUP), "{before:?}");

    store.reorder_lineup(broadcast.id, &[items[1].id, items[0].id]).unwrap();
    let (_, op) = broadcast_ops(&store).pop().unwrap();
    assert_eq!(op, store::OutboxOp::SetLineup { broadcast_id: platform_id.clone(), skus: vec!["SAMPLE-HONEY-500G".into(), "SAMPLE-ORANGE-5KG".into()] });

    // Going live creates nothing twice; the bag gets the live prices, then the start.
    let session = store.go_live(broadcast.id, &env(), "/tmp/rec.mp4", false).unwrap();
    let ops: Vec<String> = broadcast_ops(&store).into_iter().map(|(op, _)| op).collect();
    assert_eq!(ops.iter().filter(|op| *op == store::CREATE_BROADCAST).count(), 1);
    assert_eq!(&ops[ops.len() - 3..], [store::LIST_IN_BAG, store::LIST_IN_BAG, store::START_BROADCAST]);

    // A live price changed on air goes straight to the bag.
    let terms = LineupTermsForm { live_price: "39.90".into(), stock: "50".into(), planned_minutes: "2".into(), ..Default::default() };
    store.update_lineup_terms(items[0].id, &terms.parse().unwrap()).unwrap();
    let (_, op) = broadcast_ops(&store).pop().unwrap();
    assert!(matches!(op, store::OutboxOp::ListInBag { live_price_fen: 3990, .. }), "{op:?}");
    store.end_session(session.id, "/tmp/rec.mp4", Some(1000)).unwrap();
}

#[test]
fn the_room_is_kept_once_per_seq_and_counted_in_the_report() {
    use anchordesk_core::room::{RoomEvent, RoomEventKind};
    let (_dir, mut store) = open();
    let (broadcast, items) = ready(&mut store);
    let session = store.go_live(broadcast.id, &env(), "/tmp/rec.mp4", false).unwrap();
    let order = |seq: i64, units: i32| RoomEvent {
        seq,
        at_ms: 1,
        kind: Some(RoomEventKind::Order),
        sku: Some(items[0].product_sku.clone()),
        quantity: Some(units),
        amount_fen: Some(4_990 * units as i64),
        ..RoomEvent::default()
    };
    let comment = RoomEvent { seq: 3, at_ms: 2, kind: Some(RoomEventKind::Comment), text: Some("坏了要退款".into()), ..RoomEvent::default() };
    assert_eq!(store.keep_room_events(session.id, &[order(1, 2), order(2, 1)]).unwrap(), 2);
    assert_eq!(store.keep_room_events(session.id, &[order(2, 1), comment]).unwrap(), 1, "a repeated pull keeps nothing twice");
    assert_eq!(store.room_cursor(session.id).unwrap(), 3);
    assert_eq!(store.room_events(session.id, 1, 10).unwrap().len(), 2);

    assert!(store.add_reply(session.id, 3, "  ", 1_000, &[]).is_err(), "an empty reply is refused");
    let linter = anchordesk_claims::Linter::default_packs();
    let risky = "全网最低价，放心买";
    let findings = linter.lint(risky, &anchordesk_claims::LintOptions::default());
    let held = store.add_reply(session.id, 3, risky, 4_000, &findings).unwrap();
    assert!(held.held && held.lint_errors > 0, "{held:?}");
    store.add_reply(session.id, 3, "抱歉，已为您登记退款，请在平台订单里申请", 5_000, &[]).unwrap();
    assert_eq!(store.outbox_pending(1000).unwrap().iter().filter(|r| r.operation == store::REPLY).count(), 1, "the held reply is not sent");
    let last = store.outbox_pending(1000).unwrap().into_iter().last().unwrap().op.unwrap();
    assert!(matches!(last, store::OutboxOp::Reply { comment_seq: 3, .. }), "{last:?}");

    store.set_session_health(session.id, 4, 1).unwrap();
    store.end_session(session.id, "/tmp/rec.mp4", Some(60_000)).unwrap();
    let report = store.report(broadcast.id, &env(), None).unwrap();
    assert_eq!(report.room.sales[0].units, 3);
    assert_eq!(report.room.sales[0].gmv, Fen(14_970));
    assert_eq!((report.room.audience.comments, report.room.audience.risky_comments, report.room.audience.replies), (1, 1, 1));
    assert_eq!(report.replies.len(), 2, "held replies stay in the report as evidence");
    assert_eq!(report.session.as_ref().unwrap().dropped_frames, Some(4));
    let html = live::report_html(&report);
    assert!(html.contains("成交额") && html.contains("丢帧 4"), "{html}");
}

#[test]
fn resuming_after_a_crash_does_not_start_the_platform_broadcast_twice() {
    let (_dir, mut store) = open();
    let (broadcast, _) = ready(&mut store);
    store.go_live(broadcast.id, &env(), "/tmp/a.mp4", false).unwrap();
    let interrupted = store.mark_interrupted_sessions().unwrap();
    store.retire_interrupted(interrupted[0].id, Some(1_000)).unwrap();
    let resumed = store.go_live(broadcast.id, &env(), "/tmp/b.mp4", false).unwrap();
    assert_ne!(resumed.id, interrupted[0].id);
    assert_eq!(store.sessions(broadcast.id).unwrap().len(), 2);
    let starts = |store: &Store| store.outbox_pending(1000).unwrap().iter().filter(|r| r.operation == store::START_BROADCAST).count();
    assert_eq!(starts(&store), 1);
}

#[test]
fn a_silent_rehearsal_tells_the_platform_nothing() {
    let (_dir, mut store) = open();
    let (broadcast, items) = ready(&mut store);
    let queued = |store: &Store| store.outbox_pending(10_000).unwrap().len();
    let before = queued(&store);
    let session = store.go_live_with(broadcast.id, &env(), "/tmp/r.mp4", true, true).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, "赣南脐橙", Some(items[0].id), 1_000).unwrap();
    store.add_marker(session.id, LiveMarkerKind::TakeOff, "下架", Some(items[0].id), 2_000).unwrap();
    store.end_session(session.id, "/tmp/r.mp4", Some(3_000)).unwrap();
    assert_eq!(queued(&store), before, "no start, pin, take-off or end for a silent rehearsal");
    // The next, ordinary go-live is heard again.
    store.go_live(broadcast.id, &env(), "/tmp/s.mp4", false).unwrap();
    assert!(queued(&store) > before);
}

#[test]
fn switching_platforms_tells_the_new_one_the_catalog_and_every_open_broadcast() {
    let (_dir, mut store) = open();
    let (broadcast, _) = ready(&mut store);
    let interrupted = {
        store.go_live(broadcast.id, &env(), "/tmp/a.mp4", false).unwrap();
        store.mark_interrupted_sessions().unwrap().remove(0)
    };
    let ops = |store: &Store, op: &str| {
        store.outbox_pending(100_000).unwrap().iter().filter(|r| r.operation == op && r.entity == format!("broadcast:b{}", broadcast.id.0)).count()
    };
    assert_eq!((ops(&store, store::CREATE_BROADCAST), ops(&store, store::START_BROADCAST)), (1, 1));
    let queued = store.requeue_for_new_platform().unwrap();
    assert!(queued > 8, "the sample catalog and the broadcast: {queued}");
    assert_eq!(ops(&store, store::CREATE_BROADCAST), 2, "the new platform gets the broadcast with its line-up");
    // Resuming on the new platform starts it there (the old start was for the old platform).
    store.retire_interrupted(interrupted.id, Some(1_000)).unwrap();
    store.go_live(broadcast.id, &env(), "/tmp/b.mp4", false).unwrap();
    assert_eq!(ops(&store, store::START_BROADCAST), 2);
    let latest = store.outbox_latest(broadcast.id, store::START_BROADCAST).unwrap().unwrap();
    assert!(!latest.done && !latest.given_up);
}

#[test]
fn the_on_air_state_is_kept_at_each_step_and_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let (broadcast, items) = {
        let mut store = Store::open(&path).unwrap();
        store.seed_sample_catalog_once().unwrap();
        let (broadcast, items) = ready(&mut store);
        let session = store.go_live(broadcast.id, &env(), "/tmp/rec.mkv", true).unwrap();
        store.put_on_air(session.id, items[0].id, 1_000).unwrap();
        store.take_off(session.id, items[1].id, 2_000).unwrap();
        assert!(matches!(store.take_off(session.id, items[1].id, 2_500), Err(StoreError::Conflict(Conflict::TakenOff))));
        assert!(matches!(store.put_on_air(session.id, items[1].id, 3_000), Err(StoreError::Conflict(Conflict::TakenOff))));
        store.set_caption(broadcast.id, Some("今晚包邮")).unwrap();
        store.set_overlay_visible(broadcast.id, false).unwrap();
        store.put_scene_on_air(session.id, "人+商品特写", 2_200).unwrap();
        store.set_sound_on_air(broadcast.id, anchordesk_core::live::SoundOnAir { mic_muted: true, music_off: false, phone_muted: true }).unwrap();
        (broadcast, items)
        // Dropped with the session live, as a kill leaves it.
    };
    let mut store = Store::open(&path).unwrap();
    let interrupted = store.mark_interrupted_sessions().unwrap();
    let state = store.on_air_state(broadcast.id).unwrap();
    assert_eq!(
        state,
        OnAirState { on_air_item: Some(items[0].id), overlay_visible: false, caption: Some("今晚包邮".into()), taken_off: vec![items[1].id], scene: Some("人+商品特写".into()), mic_muted: true, music_off: false, phone_muted: true }
    );
    // Resuming keeps it; putting a product on air clears the caption typed for the last one.
    store.retire_interrupted(interrupted[0].id, Some(3_000)).unwrap();
    let resumed = store.go_live(broadcast.id, &env(), "/tmp/rec2.mkv", true).unwrap();
    assert_eq!(store.on_air_state(broadcast.id).unwrap().taken_off, vec![items[1].id]);
    store.put_on_air(resumed.id, items[0].id, 0).unwrap();
    assert_eq!(store.on_air_state(broadcast.id).unwrap().caption, None);
    // The take-off and the pin reached the outbox with their markers.
    let markers = store.markers(interrupted[0].id).unwrap();
    assert_eq!(
        markers.iter().map(|m| m.kind).collect::<Vec<_>>(),
        vec![LiveMarkerKind::Product, LiveMarkerKind::TakeOff, LiveMarkerKind::Scene]
    );
    assert_eq!(markers[2].label, "人+商品特写");
    // A normal end clears it: the next go-live has the whole line-up for sale.
    store.end_session(resumed.id, "", Some(1_000)).unwrap();
    let cleared = store.on_air_state(broadcast.id).unwrap();
    assert_eq!(cleared.on_air_item, None);
    assert!(cleared.taken_off.is_empty() && cleared.overlay_visible);
}

#[test]
fn a_session_interrupted_before_the_upgrade_resumes_with_its_take_offs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let (broadcast, items) = {
        // What the build before the on-air state was kept (schema 11, before 012_live_state)
        // left: a session still live, take-offs only as markers. Written as that build's rows
        // (today's code reads columns schema 11 does not have).
        drop(Store::open_at_version(&path, 11).unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO product (sku, name, price_fen, stock, storage, created_at, updated_at) VALUES \
               ('OLD-ORANGE', '赣南脐橙', 5990, 100, 'ambient', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'), \
               ('OLD-HONEY', '土蜂蜜', 6800, 50, 'ambient', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z');
             INSERT INTO broadcast (id, title, planned_start, platform, created_at, updated_at) \
               VALUES (1, '升级前的场次', '2026-11-20T19:00', 'sandbox', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z');
             INSERT INTO lineup_item (id, broadcast_id, product_id, position, live_price_fen, stock, planned_minutes, role) VALUES \
               (1, 1, (SELECT id FROM product WHERE sku = 'OLD-ORANGE'), 0, 4990, 100, 5, 'traffic'), \
               (2, 1, (SELECT id FROM product WHERE sku = 'OLD-HONEY'), 1, 5900, 50, 5, 'profit');
             INSERT INTO live_session (id, broadcast_id, started_at, status, recording_path, rehearsal) \
               VALUES (1, 1, '2026-11-20T19:00:00Z', 'live', '/tmp/rec.mkv', 1);
             INSERT INTO live_marker (session_id, kind, label, lineup_item_id, sku, media_ms, at) VALUES \
               (1, 'product', '赣南脐橙', 1, 'OLD-ORANGE', 1000, '2026-11-20T19:00:01Z'), \
               (1, 'takeOff', '下架 土蜂蜜', 2, 'OLD-HONEY', 2000, '2026-11-20T19:00:02Z');",
        )
        .unwrap();
        (BroadcastId(1), [LineupItemId(1), LineupItemId(2)])
    };
    let mut store = Store::open(&path).unwrap();
    store.mark_interrupted_sessions().unwrap();
    let state = store.on_air_state(broadcast).unwrap();
    assert_eq!(state.on_air_item, Some(items[0]));
    assert_eq!(state.taken_off, vec![items[1]]);
    assert_eq!(store.broadcast(broadcast).unwrap().draft.scene, "", "an old broadcast has no scene");
}

#[test]
fn scenes_are_kept_by_name_replaced_and_deleted_with_what_undo_needs() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    assert!(store.scenes().unwrap().is_empty());
    store.save_scene("竖屏带货", r#"{"name":"竖屏带货"}"#).unwrap();
    store.save_scene("左右对比", r#"{"name":"左右对比"}"#).unwrap();
    store.save_scene("竖屏带货", r#"{"name":"竖屏带货","v":2}"#).unwrap();
    let names: Vec<String> = store.scenes().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 2);
    let deleted = store.delete_scene("竖屏带货").unwrap();
    assert_eq!(deleted.body, r#"{"name":"竖屏带货","v":2}"#, "the latest version comes back for undo");
    assert!(matches!(store.delete_scene("竖屏带货"), Err(StoreError::NotFound { .. })));
    store.save_scene(&deleted.name, &deleted.body).unwrap();
    assert_eq!(store.scenes().unwrap().len(), 2);
}
