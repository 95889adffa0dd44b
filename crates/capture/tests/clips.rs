//! Per-product clips cut from a real recording of the synthetic source, checked with
//! ffprobe and ffmpeg.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anchordesk_capture::{
    CaptureError, ClipRequest, Config, ErrorCode, MarkerKind, Pipeline, cut_clips,
};
use common::{assert_monotonic_without_gaps, ffprobe_json, probe};

fn request(label: &str, sku: Option<&str>, start_ms: u32, end_ms: u32) -> ClipRequest {
    ClipRequest {
        label: label.into(),
        sku: sku.map(Into::into),
        start_ms,
        end_ms,
    }
}

/// One video or audio packet as ffprobe sees it.
#[derive(Debug)]
struct Packet {
    pts: f64,
    key: bool,
    hash: String,
}

fn packets(path: &Path, stream: &str) -> Vec<Packet> {
    let v = ffprobe_json(
        path,
        &[
            "-select_streams",
            stream,
            "-show_data_hash",
            "MD5",
            "-show_entries",
            "packet=pts_time,flags,data_hash",
        ],
    );
    v["packets"]
        .as_array()
        .expect("packets listed")
        .iter()
        .map(|p| Packet {
            pts: p["pts_time"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(f64::NAN),
            key: p["flags"].as_str().unwrap_or("").starts_with('K'),
            hash: p["data_hash"].as_str().unwrap_or("").to_owned(),
        })
        .collect()
}

/// Codec parameters that a re-encode would change or could not reproduce bit for bit.
fn codec_parameters(path: &Path) -> Vec<serde_json::Value> {
    let v = ffprobe_json(
        path,
        &[
            "-show_data",
            "-show_entries",
            "stream=codec_type,codec_name,profile,level,width,height,pix_fmt,has_b_frames,\
             sample_rate,channels,sample_fmt,extradata",
        ],
    );
    v["streams"].as_array().expect("streams listed").clone()
}

fn assert_decodes_cleanly(path: &Path) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{} decodes without errors: {stderr}",
        path.display()
    );
}

#[test]
fn three_products_become_three_stream_copied_clips() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("场次-clips.mp4");
    let mut config = Config::new(&recording);
    config.video.width = 640;
    config.video.height = 360;
    config.video.bitrate_kbps = 800;
    config.duration_ms = Some(12_000);
    config.preview_fps = 0;
    let handle = Pipeline::start(config).unwrap();
    // A marker gives the recording a chapter track, which clips leave out.
    handle.marker(
        MarkerKind::Product,
        "赣南脐橙 5斤装",
        Some("SAMPLE-ORANGE-5KG"),
    );
    let summary = handle.wait().unwrap();
    assert!(summary.chapters_in_file);
    assert!(summary.duration_ms >= 11_900, "{summary:?}");

    let out_dir = dir.path().join("切片");
    let requests = [
        request("赣南脐橙 5斤装", Some("SAMPLE-ORANGE-5KG"), 0, 4000),
        request("五常大米", Some("SAMPLE-RICE-10"), 4000, 8000),
        // The end is past the recording: the clip runs to its end.
        request("土蜂蜜/500g", None, 8000, 15_000),
    ];
    let started = Instant::now();
    let clips = cut_clips(&recording, &out_dir, &requests).unwrap();
    let elapsed = started.elapsed();
    eprintln!(
        "cut {} clips ({} bytes) from {} bytes in {elapsed:?}",
        clips.len(),
        clips.iter().map(|c| c.bytes).sum::<u64>(),
        summary.bytes
    );
    // A stream copy of 12 s at 640x360 reads and writes about a megabyte; decoding and
    // encoding it again would take seconds on this machine.
    assert!(
        elapsed < Duration::from_millis(1000),
        "cutting took {elapsed:?}"
    );

    let names: Vec<String> = clips
        .iter()
        .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "01-SAMPLE-ORANGE-5KG.mp4",
            "02-SAMPLE-RICE-10.mp4",
            "03-土蜂蜜-500g.mp4"
        ]
    );
    let mut in_dir: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_dir.sort();
    assert_eq!(in_dir, names, "only finished clips, no temporary files");

    let source_params = codec_parameters(&recording);
    assert_eq!(
        source_params.len(),
        3,
        "video, audio and the chapter track: {source_params:?}"
    );
    let source_video = packets(&recording, "v:0");
    let source_audio = packets(&recording, "a:0");
    let recording_ms = (probe(&recording).duration * 1000.0) as u32;
    // Media time is counted from the first video frame.
    let first_frame = source_video
        .iter()
        .map(|p| p.pts)
        .fold(f64::INFINITY, f64::min);
    let keyframes_ms: Vec<u32> = source_video
        .iter()
        .filter(|p| p.key)
        .map(|p| ((p.pts - first_frame) * 1000.0).round() as u32)
        .collect();
    let keyframe_before = |ms: u32| *keyframes_ms.iter().rfind(|&&k| k <= ms).unwrap();
    eprintln!("keyframes at {keyframes_ms:?} ms");

    for (clip, request) in clips.iter().zip(&requests) {
        let path = &clip.path;
        assert_eq!(clip.label, request.label);
        assert_eq!(clip.sku, request.sku);
        assert_eq!(clip.bytes, std::fs::metadata(path).unwrap().len());
        // The clip starts at the last keyframe at or before the request, at most one
        // keyframe interval (2 s) early.
        assert!(
            clip.start_ms.abs_diff(keyframe_before(request.start_ms)) <= 1,
            "{clip:?}"
        );
        assert!(request.start_ms - clip.start_ms <= 2000, "{clip:?}");
        let wanted_end = request.end_ms.min(recording_ms);
        assert!(
            clip.end_ms.abs_diff(wanted_end) <= 150,
            "ends at {} ms for {wanted_end} ms: {clip:?}",
            clip.end_ms
        );
        assert_eq!(clip.duration_ms, clip.end_ms - clip.start_ms);

        let p = probe(path);
        assert_eq!(p.codec("video"), Some("h264"), "{}", path.display());
        assert_eq!(p.codec("audio"), Some("aac"), "{}", path.display());
        assert!(p.codec("data").is_none(), "no chapter track in a clip");
        let asked = f64::from(wanted_end - request.start_ms) / 1000.0;
        assert!(
            (p.duration - asked).abs() <= 2.0,
            "{} lasts {} s for {asked} s asked",
            path.display(),
            p.duration
        );
        assert!(
            (p.duration - f64::from(clip.duration_ms) / 1000.0).abs() <= 0.1,
            "{} lasts {} s, reported {} ms",
            path.display(),
            p.duration,
            clip.duration_ms
        );
        let frames = p.frames("video");
        let expected_frames = u64::from(clip.duration_ms) * 30 / 1000;
        assert!(
            frames.abs_diff(expected_frames) <= 2,
            "{frames} frames for {} ms",
            clip.duration_ms
        );

        // Starts at 0 with a keyframe, and runs without holes in either stream.
        let video = packets(path, "v:0");
        assert!(video[0].key, "first packet is a keyframe");
        let first_shown = video.iter().map(|p| p.pts).fold(f64::INFINITY, f64::min);
        assert_eq!(first_shown, 0.0, "video starts at 0");
        let audio = packets(path, "a:0");
        let first_heard = audio.iter().map(|p| p.pts).fold(f64::INFINITY, f64::min);
        assert!(
            (0.0..0.03).contains(&first_heard),
            "audio starts at {first_heard}"
        );
        assert_monotonic_without_gaps(path, "v:0", 1.0 / 30.0 + 0.002);
        assert_monotonic_without_gaps(path, "a:0", 1024.0 / 48000.0 + 0.002);
        assert_decodes_cleanly(path);

        // No re-encode: the same codec parameters (SPS/PPS included) and the very same
        // packets as the recording, in the same order.
        let params = codec_parameters(path);
        assert_eq!(params[..], source_params[..2], "{}", path.display());
        for (mine, theirs) in [(&video, &source_video), (&audio, &source_audio)] {
            let at = theirs
                .iter()
                .position(|p| p.hash == mine[0].hash)
                .expect("the clip's first packet is in the recording");
            let copied: Vec<&str> = theirs[at..at + mine.len()]
                .iter()
                .map(|p| p.hash.as_str())
                .collect();
            let clip_hashes: Vec<&str> = mine.iter().map(|p| p.hash.as_str()).collect();
            assert_eq!(
                clip_hashes,
                copied,
                "{} holds the recording's packets",
                path.display()
            );
        }
    }

    // The last clip stops at the end of the recording, not at the requested 15 s.
    assert!(clips[2].end_ms <= recording_ms + 50, "{:?}", clips[2]);

    // A request that starts after the end is refused before anything is written.
    let again = dir.path().join("again");
    let err = cut_clips(
        &recording,
        &again,
        &[
            request("a", None, 0, 4000),
            request("late", None, 20_000, 25_000),
        ],
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadConfig);
    assert!(
        err.to_string()
            .contains("clip 2 (\"late\") starts at 20000 ms"),
        "{err}"
    );
    assert!(!again.exists(), "nothing written");

    // A clip whose start is between keyframes starts at the keyframe before it.
    let mid = cut_clips(&recording, &again, &[request("mid", None, 5_300, 7_000)]).unwrap();
    assert!(
        mid[0].start_ms.abs_diff(keyframe_before(5_300)) <= 1,
        "{:?}",
        mid[0]
    );
    assert!(mid[0].end_ms.abs_diff(7000) <= 150, "{:?}", mid[0]);
    assert_decodes_cleanly(&mid[0].path);
    assert_monotonic_without_gaps(&mid[0].path, "v:0", 1.0 / 30.0 + 0.002);

    // A Matroska recording with a subtitle track (which MP4 cannot carry as SubRip)
    // gives the same clip with video and audio only.
    let srt = dir.path().join("one.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:02,000\n开场\n").unwrap();
    let mkv = dir.path().join("场次-clips.mkv");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&recording)
        .arg("-i")
        .arg(&srt)
        .args(["-map", "0:v", "-map", "0:a", "-map", "1", "-c", "copy"])
        .arg(&mkv)
        .status()
        .unwrap();
    assert!(status.success());
    let from_mkv = cut_clips(&mkv, &dir.path().join("mkv"), &requests[1..2]).unwrap();
    assert_eq!(from_mkv[0].start_ms, clips[1].start_ms);
    assert!(
        from_mkv[0].end_ms.abs_diff(clips[1].end_ms) <= 40,
        "{from_mkv:?} vs {clips:?}"
    );
    assert_eq!(
        codec_parameters(&from_mkv[0].path)[..],
        source_params[..2],
        "video and audio only, as recorded"
    );
    assert_decodes_cleanly(&from_mkv[0].path);
}

#[test]
fn a_missing_recording_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.mp4");
    let out_dir = dir.path().join("clips");
    let err = cut_clips(&missing, &out_dir, &[request("a", None, 0, 1000)]).unwrap_err();
    match &err {
        CaptureError::Io { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(err.to_string().contains("nope.mp4"), "{err}");
    assert!(!out_dir.exists(), "nothing created");
}

#[test]
fn a_file_that_is_not_media_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.mp4");
    std::fs::write(
        &bogus,
        "这不是视频 — just text that claims to be an MP4\n".repeat(100),
    )
    .unwrap();
    let out_dir = dir.path().join("clips");
    let err = cut_clips(&bogus, &out_dir, &[request("a", None, 0, 1000)]).unwrap_err();
    assert!(matches!(err, CaptureError::Ffmpeg { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("reading the recording {}", bogus.display())),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing created");
}

#[test]
fn an_empty_range_is_refused_with_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for (start_ms, end_ms) in [(4000, 4000), (5000, 4000)] {
        let err = cut_clips(
            &dir.path().join("any.mp4"),
            dir.path(),
            &[request("五常大米", None, start_ms, end_ms)],
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadConfig);
        assert_eq!(
            err.to_string(),
            format!(
                "bad configuration: clip 1 (\"五常大米\") is empty: it ends at {end_ms} ms, not after its start at {start_ms} ms"
            )
        );
    }
}

#[test]
fn a_clip_ending_among_b_frames_keeps_the_frames_they_refer_to() {
    // The recorder's x264 may or may not pick B-frames for the test pattern; this file
    // has them for sure (keyframes every 2 s, up to 3 B-frames with a pyramid).
    let dir = tempfile::tempdir().unwrap();
    let recording = six_seconds_with_b_frames(dir.path());
    let source = packets(&recording, "v:0");
    assert!(
        source.windows(2).any(|w| w[1].pts < w[0].pts),
        "the source has frames out of display order"
    );

    for (start_ms, end_ms) in [(1000, 3500), (2100, 3433), (2500, 2600), (0, 6000)] {
        let out_dir = dir.path().join(format!("{start_ms}-{end_ms}"));
        let clip = &cut_clips(
            &recording,
            &out_dir,
            &[request("b", None, start_ms, end_ms)],
        )
        .unwrap()[0];
        assert_eq!(clip.start_ms, start_ms / 2000 * 2000, "{clip:?}");
        assert!(
            clip.end_ms >= end_ms.min(6000) && clip.end_ms - end_ms.min(6000) <= 150,
            "{clip:?}"
        );
        assert_decodes_cleanly(&clip.path);
        assert_monotonic_without_gaps(&clip.path, "v:0", 1.0 / 30.0 + 0.002);
        let frames = probe(&clip.path).frames("video");
        assert_eq!(
            frames,
            (u64::from(clip.duration_ms) * 30 + 500) / 1000,
            "every frame of {clip:?}"
        );
    }
}

/// Six seconds made by the ffmpeg command line (not paced, so about a second), with
/// keyframes every 2 s and up to 3 B-frames in a pyramid.
fn six_seconds_with_b_frames(dir: &Path) -> std::path::PathBuf {
    let recording = dir.join("b-frames.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=30"])
        .args(["-f", "lavfi", "-i", "sine=r=48000", "-t", "6"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-bf", "3"])
        .args(["-x264-params", "keyint=60:min-keyint=60:scenecut=0"])
        .args(["-c:a", "aac"])
        .arg(&recording)
        .status()
        .unwrap();
    assert!(status.success());
    recording
}

#[test]
fn a_failure_half_way_leaves_no_clip_and_keeps_older_ones() {
    let dir = tempfile::tempdir().unwrap();
    let recording = six_seconds_with_b_frames(dir.path());
    let out_dir = dir.path().join("clips");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("01-A.mp4"), "an older clip").unwrap();
    // The second clip cannot be written: a folder is in the way of its temporary file.
    std::fs::create_dir(out_dir.join("02-B.mp4.part")).unwrap();
    let err = cut_clips(
        &recording,
        &out_dir,
        &[
            request("a", Some("A"), 0, 2000),
            request("b", Some("B"), 2000, 4000),
        ],
    )
    .unwrap_err();
    assert!(err.to_string().contains("02-B.mp4.part"), "{err}");
    let mut left: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["01-A.mp4", "02-B.mp4.part"],
        "the first clip's temporary file is gone"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("01-A.mp4")).unwrap(),
        "an older clip"
    );

    // Once the way is clear, the older clip is replaced.
    std::fs::remove_dir(out_dir.join("02-B.mp4.part")).unwrap();
    let clips = cut_clips(
        &recording,
        &out_dir,
        &[
            request("a", Some("A"), 0, 2000),
            request("b", Some("B"), 2000, 4000),
        ],
    )
    .unwrap();
    assert_eq!(codec_parameters(&clips[0].path).len(), 2);
    assert_eq!(
        clips[0].bytes,
        std::fs::metadata(out_dir.join("01-A.mp4")).unwrap().len()
    );
}
