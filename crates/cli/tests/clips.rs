//! `anchordesk clips`, run as the real binary on a recording with product markers.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anchordesk_capture::{Config, MarkerKind, Pipeline, RecordingSummary};

fn anchordesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_anchordesk"))
}

/// Six seconds of the test source with three products on air, 0–2, 2–4 and 4–6 s, plus
/// a segment and a manual marker that must not become clips. The source runs as fast as
/// the encoder goes, so this takes about a second rather than six; markers are stamped
/// when media time reaches each switch.
fn record_three_products(path: &Path) -> RecordingSummary {
    let mut config = Config::new(path);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(6_000);
    config.realtime = false;
    config.preview_fps = 0;
    let handle = Pipeline::start(config).unwrap();
    handle.marker(MarkerKind::Segment, "开场", None);
    handle.marker(MarkerKind::Product, "赣南脐橙", Some("SAMPLE-ORANGE-5KG"));
    for (at, label, sku) in [
        (2_000, "五常大米", "SAMPLE-RICE-10"),
        (4_000, "土蜂蜜", "SAMPLE-HONEY-500"),
    ] {
        while handle.media_time() < Duration::from_millis(at) && !handle.is_finished() {
            std::thread::sleep(Duration::from_millis(2));
        }
        handle.marker(MarkerKind::Product, label, Some(sku));
        handle.marker(MarkerKind::Manual, "口误", None);
    }
    handle.wait().unwrap()
}

fn codecs(path: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe reads {}", path.display());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn clips_cuts_one_clip_per_product_marker() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("场次 1.mp4");
    let summary = record_three_products(&recording);
    let products: Vec<_> = summary
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Product)
        .collect();
    assert_eq!(products.len(), 3, "{:?}", summary.markers);

    let run = anchordesk()
        .arg("clips")
        .arg(&recording)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let clips: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let clips = clips.as_array().unwrap();
    assert_eq!(clips.len(), 3, "{clips:?}");

    let out_dir = dir.path().join("场次 1-clips");
    for (i, (clip, marker)) in clips.iter().zip(&products).enumerate() {
        let sku = marker.sku.as_deref().unwrap();
        let path = out_dir.join(format!("{:02}-{sku}.mp4", i + 1));
        assert_eq!(clip["path"], path.to_str().unwrap());
        assert_eq!(clip["label"], marker.label.as_str());
        assert_eq!(clip["sku"], sku);
        assert_eq!(codecs(&path), ["h264", "aac"], "{}", path.display());
        let start = clip["startMs"].as_u64().unwrap() as u32;
        let end = clip["endMs"].as_u64().unwrap() as u32;
        assert!(
            start <= marker.start_ms && marker.start_ms - start <= 2000,
            "{clip} for {marker:?}"
        );
        let marker_end = marker.end_ms.unwrap();
        assert!(end.abs_diff(marker_end) <= 150, "{clip} for {marker:?}");
    }

    // The same cut, printed for a person, into a chosen folder.
    let elsewhere = dir.path().join("out");
    let run = anchordesk()
        .arg("clips")
        .arg(&recording)
        .arg("--out")
        .arg(&elsewhere)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.contains("02-SAMPLE-RICE-10.mp4"), "{stdout}");
    assert!(stdout.contains("五常大米 [SAMPLE-RICE-10]"), "{stdout}");
    assert!(elsewhere.join("03-SAMPLE-HONEY-500.mp4").exists());
}

#[test]
fn clips_without_a_sidecar_names_the_file_it_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("lost.mp4");
    std::fs::write(&recording, b"").unwrap();
    let run = anchordesk().arg("clips").arg(&recording).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("lost.mp4.markers.json"), "{stderr}");
    assert!(!dir.path().join("lost-clips").exists());
}

#[test]
fn clips_with_no_product_markers_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("talk.mp4");
    let markers = dir.path().join("talk.markers.json");
    std::fs::write(
        &markers,
        r#"{"recording":"talk.mp4","durationMs":5000,"markers":[
            {"kind":"segment","label":"开场","sku":null,"startMs":0,"endMs":5000}]}"#,
    )
    .unwrap();
    let run = anchordesk()
        .arg("clips")
        .arg(&recording)
        .arg("--markers")
        .arg(&markers)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("no product markers"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
