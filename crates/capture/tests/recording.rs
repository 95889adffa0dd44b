//! Record the synthetic source for real and read the files back with ffprobe.
#![cfg(unix)]

mod common;

use std::time::Duration;

use anchordesk_capture::{Config, MarkerKind, Overlay, Pipeline, StopReason};
use common::{assert_monotonic_without_gaps, ffprobe_json, probe};

fn small(config: &mut Config) {
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
}

#[test]
fn ten_seconds_of_test_source_with_markers_become_an_mp4_with_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("场次-test.mp4");
    let mut config = Config::new(&out);
    small(&mut config);
    config.duration_ms = Some(10_000);
    config.overlay = Some(Overlay::ProductCard {
        name: "赣南脐橙 5斤装".into(),
        price_fen: 3990,
        selling_point: "现摘现发".into(),
    });
    let mut handle = Pipeline::start(config).unwrap();
    let mut preview = handle.take_preview().unwrap();
    let stats = handle.stats();

    handle.marker(MarkerKind::Segment, "开场", None);
    handle.marker(MarkerKind::Product, "赣南脐橙", Some("SKU-ORANGE-5"));
    std::thread::sleep(Duration::from_secs(4));
    handle
        .set_overlay(Some(&Overlay::ProductCard {
            name: "五常大米".into(),
            price_fen: 5990,
            selling_point: "当季新米".into(),
        }))
        .unwrap();
    let rice = handle.marker(MarkerKind::Product, "五常大米", Some("SKU-RICE-10"));
    assert!(
        (3500..=4800).contains(&rice.start_ms),
        "marker stamped with media time, got {}",
        rice.start_ms
    );
    std::thread::sleep(Duration::from_secs(2));
    handle.marker(MarkerKind::Manual, "价格口误", None);
    let live = stats.borrow().clone();
    assert!(
        live.fps > 25.0 && live.fps < 35.0,
        "about 30 fps while live: {live:?}"
    );
    assert!(
        live.recording_bytes > 100_000.0,
        "recording grows: {live:?}"
    );
    assert!(!live.skipped_alarm, "no skipped-frame alarm: {live:?}");
    // lavfi's sine has amplitude 1/8 (-18 dBFS); spreading mono over two channels at
    // constant power takes 3 dB more: a peak of -21 dBFS, RMS 3 dB below that.
    let level = *handle.audio_level().borrow();
    assert!((-22.0..=-20.0).contains(&level.peak_dbfs), "{level:?}");
    assert!((-25.0..=-23.0).contains(&level.rms_dbfs), "{level:?}");

    let summary = handle.wait().unwrap();
    assert_eq!(summary.stop_reason, StopReason::Duration);
    assert!(
        (9_900..=10_100).contains(&summary.duration_ms),
        "{summary:?}"
    );

    // Preview: JPEG pictures arrived while recording.
    let mut n_previews = 0;
    while let Ok(frame) = preview.try_recv() {
        assert_eq!(&frame.jpeg[..2], &[0xFF, 0xD8], "JPEG start marker");
        assert_eq!((frame.width, frame.height), (320, 180));
        n_previews += 1;
    }
    assert!(n_previews >= 1, "preview frames arrived");

    let p = probe(&out);
    assert_eq!(p.codec("video"), Some("h264"));
    assert_eq!(p.codec("audio"), Some("aac"));
    assert!(
        (9.8..=10.3).contains(&p.duration),
        "duration {}",
        p.duration
    );
    let frames = p.frames("video");
    assert!(
        (297..=301).contains(&frames),
        "{frames} video frames for 10 s at 30 fps"
    );
    let audio_frames = p.frames("audio");
    assert!(
        (460..=475).contains(&audio_frames),
        "{audio_frames} AAC frames for 10 s at 48 kHz"
    );
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    assert_monotonic_without_gaps(&out, "a:0", 1024.0 / 48000.0 + 0.002);

    // Audio and video end together (within 40 ms, the sync bound).
    let end = |stream: &str, frame: f64| common::media_end(&out, stream, frame);
    let (video_end, audio_end) = (end("v:0", 1.0 / 30.0), end("a:0", 1024.0 / 48000.0));
    assert!(
        (video_end - audio_end).abs() < 0.040,
        "video ends at {video_end} s, audio at {audio_end} s"
    );

    let chapters = ffprobe_json(&out, &["-show_chapters"]);
    let titles: Vec<&str> = chapters["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tags"]["title"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        titles,
        vec![
            "开场",
            "赣南脐橙 [SKU-ORANGE-5]",
            "五常大米 [SKU-RICE-10]",
            "价格口误"
        ]
    );

    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary.sidecar).unwrap()).unwrap();
    let markers = sidecar["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 4);
    let orange = &markers[1];
    assert_eq!(orange["sku"], "SKU-ORANGE-5");
    assert_eq!(orange["kind"], "product");
    assert_eq!(
        orange["endMs"], markers[2]["startMs"],
        "a product ends where the next begins"
    );
    assert_eq!(
        markers[2]["endMs"].as_u64().unwrap() as u32,
        summary.duration_ms,
        "the last product runs to the end"
    );
}

#[test]
fn mkv_recording_carries_chapters_itself() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rehearsal.mkv");
    let mut config = Config::new(&out);
    small(&mut config);
    config.duration_ms = Some(3_000);
    let handle = Pipeline::start(config).unwrap();
    handle.marker(MarkerKind::Product, "土蜂蜜", Some("SKU-HONEY"));
    std::thread::sleep(Duration::from_millis(1500));
    handle.marker(MarkerKind::Product, "高山茶", Some("SKU-TEA"));
    let summary = handle.wait().unwrap();
    assert!(summary.chapters_in_file);
    let p = probe(&out);
    assert_eq!(p.codec("video"), Some("h264"));
    assert_eq!(p.codec("audio"), Some("aac"));
    assert!((2.9..=3.2).contains(&p.duration), "duration {}", p.duration);
    let chapters = ffprobe_json(&out, &["-show_chapters"]);
    let chapters = chapters["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 2);
    assert_eq!(chapters[1]["tags"]["title"], "高山茶 [SKU-TEA]");
    let start: f64 = chapters[1]["start_time"].as_str().unwrap().parse().unwrap();
    assert!(
        (1.2..=2.2).contains(&start),
        "second chapter starts at {start}"
    );
}

#[test]
fn stopping_early_finalises_a_playable_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("early.mp4");
    let mut config = Config::new(&out);
    small(&mut config);
    let handle = Pipeline::start(config).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let summary = handle.stop().unwrap();
    assert_eq!(summary.stop_reason, StopReason::Requested);
    let p = probe(&out);
    assert!((2.0..=3.5).contains(&p.duration), "duration {}", p.duration);
    assert!(p.frames("video") >= 60);
    assert!(p.frames("audio") > 90);
    assert!(summary.sidecar.exists());
}

#[test]
fn a_microphone_with_a_fast_clock_is_kept_in_sync() {
    use anchordesk_capture::{AudioSource, InputSpec};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drift.mkv");
    let mut config = Config::new(&out);
    small(&mut config);
    config.duration_ms = Some(12_000);
    // A "microphone" whose sample clock runs 1 % fast: 120 ms too much audio in 12 s.
    config.audio_source = AudioSource::Input(InputSpec::new(
        "lavfi",
        "sine=frequency=440:sample_rate=48000,arealtime=speed=1.01",
    ));
    let handle = Pipeline::start(config).unwrap();
    let mut stats = handle.stats();
    let mut worst_ms: f64 = 0.0;
    let mut corrections = 0;
    while !stats.borrow().finished {
        let s = stats.borrow_and_update().clone();
        worst_ms = worst_ms.max(s.audio_drift_ms.abs());
        corrections = corrections.max(s.audio_corrections);
        std::thread::sleep(Duration::from_millis(200));
    }
    handle.wait().unwrap();
    assert!(
        corrections >= 3,
        "{corrections} corrections for 120 ms of drift"
    );
    assert!(worst_ms < 40.0, "drift reached {worst_ms:.1} ms");
    let end = |stream: &str, frame: f64| common::media_end(&out, stream, frame);
    let (video_end, audio_end) = (end("v:0", 1.0 / 30.0), end("a:0", 1024.0 / 48000.0));
    assert!(
        (video_end - audio_end).abs() < 0.040,
        "video ends at {video_end} s, audio at {audio_end} s"
    );
}

#[test]
fn device_preview_shows_pictures_and_the_level_without_writing_anything() {
    use anchordesk_capture::DevicePreview;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never-written.mp4");
    let mut config = Config::new(&out);
    small(&mut config);
    let mut preview = DevicePreview::start(&config).unwrap();
    let mut frames = preview.take_frames().unwrap();
    let level = preview.audio_level();
    std::thread::sleep(Duration::from_secs(2));
    let mut n_frames = 0;
    while let Ok(frame) = frames.try_recv() {
        assert_eq!(&frame.jpeg[..2], &[0xFF, 0xD8]);
        n_frames += 1;
    }
    assert!(n_frames >= 2, "{n_frames} preview frames in 2 s");
    let level = *level.borrow();
    assert!((-22.0..=-20.0).contains(&level.peak_dbfs), "{level:?}");
    assert!(!preview.camera_lost());
    preview.stop();
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
