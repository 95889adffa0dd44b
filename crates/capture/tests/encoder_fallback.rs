//! A hardware encoder that opens but fails on its first frames: the recording falls back to
//! libx264 at once and says why. These machines have no GPU, so a test hook (the
//! `fault-injection` feature, never in a shipped build) stands libx264 in for NVENC and
//! makes its first frames fail.

mod common;

use anchordesk_capture::{Config, Pipeline, VideoEncoder};

#[test]
fn a_hardware_encoder_failing_on_its_first_frames_falls_back_to_x264_and_says_why() {
    // SAFETY: this test binary has this one test; nothing else reads the environment.
    unsafe { std::env::set_var("ANCHORDESK_FAKE_HARDWARE_ENCODER", "1") };
    let dir = tempfile::tempdir().unwrap();
    let record = |name: &str| {
        let mut config = Config::new(dir.path().join(name));
        config.video.width = 320;
        config.video.height = 180;
        config.video.encoder = VideoEncoder::Nvenc;
        config.duration_ms = Some(2_000);
        config
    };

    // The stand-in takes its first frames: it is used, nothing to say.
    let healthy = Pipeline::start(record("healthy.mp4")).unwrap();
    assert_eq!(healthy.encoder(), VideoEncoder::Nvenc);
    assert_eq!(healthy.encoder_fallback(), None);
    healthy.wait().unwrap();

    // It fails on its first frames: libx264 records instead, and the reason is kept.
    unsafe { std::env::set_var("ANCHORDESK_FAIL_ENCODER_FRAMES", "h264_nvenc") };
    let handle = Pipeline::start(record("fallback.mp4")).unwrap();
    assert_eq!(handle.encoder(), VideoEncoder::X264);
    let why = handle.encoder_fallback().unwrap().to_owned();
    assert!(why.contains("h264_nvenc") && why.contains("first frames"), "{why}");
    let stats = handle.stats();
    let summary = handle.wait().unwrap();
    let last = stats.borrow().clone();
    assert_eq!(last.encoder, "libx264");
    assert_eq!(last.encoder_fallback.as_deref(), Some(why.as_str()));
    let probe = common::probe(&summary.path);
    assert_eq!(probe.codec("video"), Some("h264"));
    assert!((1.9..=2.2).contains(&probe.duration), "{}", probe.duration);

    // Quick Sync takes NV12: the compositor's pictures are converted on their way in (the
    // stand-in takes NV12 as Quick Sync would), and the picture is the same as x264's.
    unsafe { std::env::remove_var("ANCHORDESK_FAIL_ENCODER_FRAMES") };
    let mut nv12 = record("qsv.mp4");
    nv12.video.encoder = VideoEncoder::Qsv;
    let handle = Pipeline::start(nv12).unwrap();
    assert_eq!((handle.encoder(), handle.encoder_fallback()), (VideoEncoder::Qsv, None));
    let summary = handle.wait().unwrap();
    let clean = std::process::Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&summary.path).args(["-f", "null", "-"]).output().unwrap();
    assert!(clean.status.success() && clean.stderr.is_empty(), "{}", String::from_utf8_lossy(&clean.stderr));
    assert!(common::probe(&summary.path).frames("video") >= 59);
    // The test pattern's first colour bar in both recordings: the median of a block inside
    // it (the pattern's moving line may cross a few of its pixels at any moment).
    let bar = |path: &std::path::Path| {
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-ss", "1", "-i"])
            .arg(path)
            .args(["-frames:v", "1", "-vf", "crop=20:40:10:70", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout.len(), 20 * 40 * 3);
        let median = |channel: usize| {
            let mut values: Vec<u8> = out.stdout.iter().skip(channel).step_by(3).copied().collect();
            values.sort_unstable();
            values[values.len() / 2]
        };
        [median(0), median(1), median(2)]
    };
    let (converted, direct) = (bar(&summary.path), bar(&dir.path().join("healthy.mp4")));
    assert!(converted.iter().zip(&direct).all(|(a, b)| a.abs_diff(*b) < 24), "{converted:?} vs {direct:?}");
}
