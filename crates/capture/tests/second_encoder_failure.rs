//! The second picture's encoder failing for good ends the second picture only: its push
//! stops and says why, while the recording and the first picture's push run to the end. A
//! test hook (the `fault-injection` feature, never in a shipped build) fails it.
#![cfg(unix)]

mod common;

use std::time::Duration;

use anchordesk_capture::{Config, LayerSource, Layout, MarkerKind, Pipeline, PushState, SecondCanvas, StreamUrl};
use common::{Nginx, free_port, probe, wait_for};

#[test]
fn the_second_pictures_encoder_failing_leaves_the_recording_and_the_first_push_running() {
    // SAFETY: this test binary has this one test; nothing else reads the environment.
    unsafe { std::env::set_var("ANCHORDESK_FAIL_SECOND_ENCODER_AFTER", "60") };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = Nginx::start(&dir.path().join("nginx"), port);
    let out = dir.path().join("landscape.mp4");
    let mut config = Config::new(&out);
    config.scene = Some(Layout::Single.scene((320, 180), LayerSource::Camera));
    config.second_canvas = Some(SecondCanvas {
        scene: Layout::PortraitFull.scene((180, 320), LayerSource::Camera),
        pushes: vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/vertical")).unwrap()],
    });
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/landscape")).unwrap()];
    config.video.bitrate_kbps = 500;
    config.duration_ms = Some(6_000);
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    wait_for("the second picture's encoder gave up", Duration::from_secs(8), || {
        stats.borrow().second_canvas.as_ref().is_some_and(|s| s.encoder_note.is_some())
    });
    let note = stats.borrow().second_canvas.clone().unwrap().encoder_note.unwrap();
    assert!(note.starts_with("the second picture stopped"), "{note}");
    let summary = handle.wait().unwrap();
    let last = stats.borrow().clone();
    nginx.stop();

    // The recording ran its full length, and said where the second picture stopped.
    assert!((5.9..=6.2).contains(&probe(&out).duration), "{}", probe(&out).duration);
    assert!(summary.video_frames >= 178, "{summary:?}");
    let marker = summary.markers.iter().find(|m| m.kind == MarkerKind::Encoder).expect("a marker where it stopped");
    assert!((1_500..=3_000).contains(&marker.start_ms), "after 60 frames: {marker:?}");
    // The first picture's push went on; the second's stopped, not reconnecting forever.
    assert_eq!(last.destinations[0].state, PushState::Stopped, "{last:?}");
    assert_eq!(last.destinations[1].state, PushState::Stopped, "{last:?}");
    assert_eq!(last.encoder_fallback, None, "the recording's encoder is untouched");
    let pushed = nginx.recordings();
    let length = |name: &str| pushed.iter().find(|p| p.file_name().unwrap().to_string_lossy().starts_with(name)).map(|p| probe(p).duration).unwrap();
    assert!(length("landscape") > 5.5, "{pushed:?}");
    assert!(length("vertical") < 3.5, "the vertical push ended where its encoder did: {pushed:?}");
}
