//! A camera that goes away: the slate goes on air, the recording keeps its frame rate,
//! and the picture comes back when the camera does.
//!
//! The "camera" is a real MPEG-TS stream over UDP from an ffmpeg child process, which
//! the test kills and starts again.
#![cfg(unix)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use anchordesk_capture::{Config, InputSpec, Pipeline, VideoSource};
use common::{Reaped, wait_for, assert_monotonic_without_gaps, free_port, probe};

fn camera(port: u16) -> Reaped {
    let child = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-c:v",
            "mpeg2video",
            "-q:v",
            "4",
            "-g",
            "15",
            "-f",
            "mpegts",
        ])
        .arg(format!("udp://127.0.0.1:{port}?pkt_size=1316"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg starts");
    Reaped(Some(child))
}

fn mean_luma_at(path: &std::path::Path, seconds: f64) -> (f64, usize) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &format!("{seconds:.2}"), "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(!out.stdout.is_empty(), "a frame at {seconds} s");
    let mean = out.stdout.iter().map(|&b| b as f64).sum::<f64>() / out.stdout.len() as f64;
    let bright = out.stdout.iter().filter(|&&b| b > 200).count();
    (mean, bright)
}


#[test]
fn lost_camera_shows_the_slate_and_recovers_while_recording_goes_on() {
    let port = free_port();
    let mut cam = camera(port);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lost.mp4");
    let mut config = Config::new(&out);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(16_000);
    let mut input = InputSpec::new("mpegts", &format!("udp://127.0.0.1:{port}?timeout=1000000"));
    input
        .options
        .insert("analyzeduration".into(), "500000".into());
    config.video_source = VideoSource::Input(input);
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();

    std::thread::sleep(Duration::from_secs(4));
    assert!(!stats.borrow().source_lost, "camera delivering");
    cam.signal(libc::SIGKILL);
    cam.wait();
    wait_for("the slate", Duration::from_secs(5), || {
        stats.borrow().source_lost
    });
    let lost_at = handle.media_time().as_secs_f64();
    std::thread::sleep(Duration::from_secs(3));
    let _cam = camera(port);
    wait_for("the camera back", Duration::from_secs(8), || {
        !stats.borrow().source_lost
    });
    let back_at = handle.media_time().as_secs_f64();

    let summary = handle.wait().unwrap();
    assert!(
        (15_900..=16_100).contains(&summary.duration_ms),
        "{summary:?}"
    );
    let p = probe(&out);
    let frames = p.frames("video");
    assert!(
        (477..=481).contains(&frames),
        "constant 30 fps through the outage: {frames} frames"
    );
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    assert_monotonic_without_gaps(&out, "a:0", 1024.0 / 48000.0 + 0.002);

    let (before, _) = mean_luma_at(&out, 2.0);
    let (slate, bright) = mean_luma_at(&out, lost_at + 1.0);
    let (after, _) = mean_luma_at(&out, (back_at + 1.0).min(15.5));
    assert!(
        before > 70.0,
        "test pattern before the loss, mean luma {before:.0}"
    );
    assert!(
        slate < 60.0 && bright > 300,
        "dark slate with text, mean luma {slate:.0}, {bright} bright pixels"
    );
    assert!(
        after > 70.0,
        "picture back after the camera returns, mean luma {after:.0}"
    );
}

#[test]
fn a_camera_in_use_by_the_preview_is_refused_until_the_preview_stops() {
    use anchordesk_capture::{DevicePreview, ErrorCode};
    let port = free_port();
    let _cam = camera(port);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = Config::new(&out);
    config.video.width = 640;
    config.video.height = 360;
    config.duration_ms = Some(1_000);
    let mut input = InputSpec::new("mpegts", &format!("udp://127.0.0.1:{port}?timeout=1000000"));
    input
        .options
        .insert("analyzeduration".into(), "500000".into());
    config.video_source = VideoSource::Input(input);

    let preview = DevicePreview::start(&config).unwrap();
    let err = Pipeline::start(config.clone())
        .err()
        .expect("the camera is taken");
    assert_eq!(err.code(), ErrorCode::DeviceUnavailable);
    assert!(err.to_string().contains("in use"), "{err}");
    assert!(!out.exists());
    preview.stop();

    let summary = Pipeline::start(config).unwrap().wait().unwrap();
    assert!(summary.video_frames >= 25, "{summary:?}");
}
