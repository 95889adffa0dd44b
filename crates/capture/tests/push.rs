//! Push to a real nginx-rtmp on loopback while recording; kill the server and bring it back.
#![cfg(unix)]

mod common;

use std::time::Duration;

use anchordesk_capture::{Config, Pipeline, PushState, ReconnectPolicy, StreamUrl};
use common::{wait_for, Nginx, assert_monotonic_without_gaps, free_port, probe};


/// Collects everything the crate logs, to check that no stream key reaches a log.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn push_survives_an_ingest_outage_and_the_recording_has_no_gap() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = Nginx::start(&dir.path().join("nginx"), port);
    let out = dir.path().join("local.mp4");
    let mut config = Config::new(&out);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(24_000);
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/sk_live_SECRET42")).unwrap()];
    // Shorter than the default so the test sees several attempts inside one outage.
    config.reconnect = ReconnectPolicy {
        initial_delay_ms: 500,
        max_delay_ms: 2500,
        jitter: 0.2,
    };
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();

    wait_for(
        "push live with data flowing",
        Duration::from_secs(8),
        || {
            let s = stats.borrow();
            s.push == PushState::Live && s.push_bitrate_kbps > 100.0
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    let outage_started = handle.media_time();
    nginx.process.signal(libc::SIGKILL);
    nginx.process.wait();

    wait_for("push reconnecting", Duration::from_secs(8), || {
        matches!(stats.borrow().push, PushState::Reconnecting { .. })
    });
    let during = stats.borrow().clone();
    if let PushState::Reconnecting { last_error, .. } = &during.push {
        assert!(
            !last_error.contains("SECRET42"),
            "stream key leaked into the error: {last_error}"
        );
    }
    assert!(during.recording_bytes > 0.0);
    std::thread::sleep(Duration::from_secs(8));
    let restarted_at = handle.media_time();
    assert!(
        restarted_at - outage_started >= Duration::from_secs(9),
        "outage lasted about 10 s"
    );
    let mut nginx = Nginx::start(&dir.path().join("nginx"), port);
    wait_for("push live again", Duration::from_secs(8), || {
        stats.borrow().push == PushState::Live
    });

    let summary = handle.wait().unwrap();
    nginx.stop();
    assert!(summary.push_reconnects >= 1, "{summary:?}");
    assert!(
        summary.dropped_frames > 0,
        "packets sent during the outage are counted as dropped"
    );

    // The local recording went on untouched: full length, every frame, no holes.
    let p = probe(&out);
    assert!(
        (23.8..=24.3).contains(&p.duration),
        "local duration {}",
        p.duration
    );
    let frames = p.frames("video");
    assert!((715..=721).contains(&frames), "{frames} frames for 24 s");
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    assert_monotonic_without_gaps(&out, "a:0", 1024.0 / 48000.0 + 0.002);

    // The server recorded one file per publish; both play, the second after the outage.
    let recs = nginx.recordings();
    assert!(recs.len() >= 2, "nginx recordings: {recs:?}");
    let first = probe(&recs[0]);
    assert_eq!(first.codec("video"), Some("h264"));
    assert_eq!(first.codec("audio"), Some("aac"));
    assert!(
        first.frames("video") >= 90,
        "first publish holds {} frames",
        first.frames("video")
    );
    let last = probe(recs.last().unwrap());
    assert_eq!(last.codec("video"), Some("h264"));
    assert_eq!(last.codec("audio"), Some("aac"));
    let resumed_s = last.frames("video") as f64 / 30.0;
    assert!(resumed_s >= 2.0, "the resumed push holds {resumed_s:.1} s");

    let log = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("push connection lost") && log.contains("push reconnected"),
        "{log}"
    );
    assert!(
        log.contains("/live/****"),
        "the masked URL is logged: {log}"
    );
    assert!(!log.contains("SECRET42"), "stream key in the log: {log}");
}

#[test]
fn recording_can_start_while_the_ingest_is_down_and_the_push_joins_later() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = dir.path().join("offline-start.mkv");
    let mut config = Config::new(&out);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(12_000);
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/key")).unwrap()];
    config.reconnect = ReconnectPolicy {
        initial_delay_ms: 500,
        max_delay_ms: 1500,
        jitter: 0.2,
    };
    config.start_push_offline = true;
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    wait_for("a reconnecting push", Duration::from_secs(5), || {
        matches!(stats.borrow().push, PushState::Reconnecting { .. })
            && stats.borrow().recording_bytes > 0.0
    });
    std::thread::sleep(Duration::from_secs(2));
    let mut nginx = Nginx::start(&dir.path().join("nginx"), port);
    wait_for("push live", Duration::from_secs(6), || {
        stats.borrow().push == PushState::Live
    });
    let summary = handle.wait().unwrap();
    nginx.stop();
    assert_eq!(summary.push_reconnects, 1, "{summary:?}");
    let local = probe(&out);
    assert!(
        (11.8..=12.3).contains(&local.duration),
        "local {}",
        local.duration
    );
    let recs = nginx.recordings();
    assert_eq!(recs.len(), 1, "{recs:?}");
    let server = probe(&recs[0]);
    assert_eq!(server.codec("video"), Some("h264"));
    assert!(
        server.frames("video") >= 90,
        "server got {} frames",
        server.frames("video")
    );
}
