//! A hardware encoder that fails on air: libx264 takes over in the same recording, and the
//! report says where, as a marker. These machines have no GPU: the capture crate's test hook
//! (`fault-injection`, never in a shipped build) stands libx264 in for NVENC and fails it.

mod common;

use anchordesk_core::devices::CaptureSettings;
use anchordesk_core::live::LiveMarkerKind;
use anchordesk_live::GoLive;
use common::{desk, ready};

#[test]
fn an_encoder_that_fails_on_air_is_a_marker_in_the_report() {
    // SAFETY: this test binary has this one test; nothing else reads the environment.
    unsafe {
        std::env::set_var("ANCHORDESK_FAKE_HARDWARE_ENCODER", "1");
        std::env::set_var("ANCHORDESK_FAIL_ENCODER_AFTER", "30");
    }
    let (_dir, store, _around, desk) = desk();
    let broadcast = {
        let mut store = store.lock().unwrap();
        store.save_capture_settings(&CaptureSettings { encoder: "nvenc".into(), width: 640, height: 360, ..CaptureSettings::default() }).unwrap();
        ready(&mut store)
    };
    desk.go_live(GoLive { broadcast_id: broadcast.id, rehearsal: true, push_url: None, scene: None }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    let report = desk.stop().unwrap().report;
    let handed_over: Vec<_> = report.markers.iter().filter(|m| m.kind == LiveMarkerKind::Manual && m.label.starts_with("编码器切换")).collect();
    assert_eq!(handed_over.len(), 1, "{:?}", report.markers);
    assert!(handed_over[0].label.contains("h264_nvenc failed after 31 frames"), "{}", handed_over[0].label);
    assert!((900..=1_300).contains(&handed_over[0].media_ms), "at frame 31: {}", handed_over[0].media_ms);
    desk.shutdown();
}
