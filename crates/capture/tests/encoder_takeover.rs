//! A hardware encoder that fails on air, after its first frames: libx264 takes over at that
//! frame, in the same recording and the same push, and the recording says so with a marker.
//! These machines have no GPU: a test hook (the `fault-injection` feature, never in a shipped
//! build) stands libx264 in for NVENC and fails it after a number of frames.

mod common;

use anchordesk_capture::{Config, MarkerKind, Pipeline, PushState, StreamUrl, VideoEncoder};
use common::{Nginx, assert_monotonic_without_gaps, free_port, probe, wait_for};
use std::time::Duration;

#[test]
fn a_hardware_encoder_failing_on_air_hands_over_to_x264_in_the_same_recording_and_push() {
    // SAFETY: this test binary has this one test; nothing else reads the environment.
    unsafe {
        std::env::set_var("ANCHORDESK_FAKE_HARDWARE_ENCODER", "1");
        std::env::set_var("ANCHORDESK_FAIL_ENCODER_AFTER", "60");
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut nginx = Nginx::start(&dir.path().join("nginx"), port);
    let out = dir.path().join("takeover.mp4");
    let mut config = Config::new(&out);
    config.video.width = 320;
    config.video.height = 180;
    config.video.encoder = VideoEncoder::Nvenc;
    config.duration_ms = Some(5_000);
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/takeover")).unwrap()];
    let handle = Pipeline::start(config).unwrap();
    assert_eq!(handle.encoder(), VideoEncoder::Nvenc, "the stand-in opened and took its first frames");
    let stats = handle.stats();
    wait_for("libx264 took over", Duration::from_secs(10), || stats.borrow().encoder == "libx264");
    let why = stats.borrow().encoder_fallback.clone().unwrap_or_default();
    assert!(why.contains("h264_nvenc failed after 61 frames") && why.contains("same recording"), "{why}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(stats.borrow().push, PushState::Live, "the push goes on after the hand-over");
    let summary = handle.wait().unwrap();
    nginx.stop();
    assert_eq!(summary.push_reconnects, 0, "the push never dropped");

    // One marker at the hand-over, two seconds in (frame 61 at 30 fps).
    let takeovers: Vec<_> = summary.markers.iter().filter(|m| m.kind == MarkerKind::Encoder).collect();
    assert_eq!(takeovers.len(), 1, "{:?}", summary.markers);
    assert!((1_900..=2_200).contains(&takeovers[0].start_ms), "{:?}", takeovers[0]);

    // The recording runs its whole length, frame after frame, and decodes without an error
    // across the hand-over (libx264's stream headers travel in-band).
    let p = probe(&out);
    assert!((4.9..=5.2).contains(&p.duration), "duration {}", p.duration);
    let frames = p.frames("video");
    assert!((140..=151).contains(&frames), "{frames} frames for 5 s (the failed encoder's last few may be lost)");
    assert_monotonic_without_gaps(&out, "v:0", 0.2);
    let decode = std::process::Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&out).args(["-f", "null", "-"]).output().unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));

    // So does what nginx received.
    let pushed = nginx.recordings();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    let decode = std::process::Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&pushed[0]).args(["-f", "null", "-"]).output().unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
    let pushed_probe = probe(&pushed[0]);
    assert!(pushed_probe.duration >= 4.5, "pushed {} s", pushed_probe.duration);
}
