//! Scenes: several sources composed by one filter graph on a portrait canvas, recorded and
//! pushed to two real nginx-rtmp servers; a layer whose source drops shows its slate in its
//! own rectangle and comes back by itself.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anchordesk_capture::{
    Config, InputSpec, Layer, LayerSource, Layout, Pipeline, Rect, StreamUrl,
};
use common::{Nginx, assert_monotonic_without_gaps, ffprobe_json, free_port, phone_push, pixel, probe};

/// A still picture of one colour, made with the ffmpeg CLI.
fn picture(dir: &Path, color: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{color}.png"));
    let status = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            &format!("color=c={color}:s=400x300"),
            "-frames:v",
            "1",
        ])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}


fn video_stream(path: &Path) -> (u64, u64, String) {
    let v = ffprobe_json(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,avg_frame_rate",
        ],
    );
    let s = &v["streams"][0];
    (
        s["width"].as_u64().unwrap(),
        s["height"].as_u64().unwrap(),
        s["avg_frame_rate"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn a_portrait_picture_in_picture_scene_is_recorded_and_pushed_to_two_servers() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let photo = picture(dir.path(), "red");
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = Nginx::start(&dir.path().join("nginx-a"), port_a);
    let mut b = Nginx::start(&dir.path().join("nginx-b"), port_b);
    let out = dir.path().join("portrait.mp4");
    let mut config = Config::new(&out);
    let mut scene =
        Layout::PictureInPicture.scene((1080, 1920), LayerSource::Image { path: photo });
    scene.layers.push(Layer::new(
        LayerSource::Text {
            text: "今晚8点 赣南脐橙".into(),
        },
        Rect {
            x: 0.05,
            y: 0.80,
            w: 0.9,
            h: 0.05,
        },
    ));
    config.scene = Some(scene.clone());
    config.video.bitrate_kbps = 2500;
    config.duration_ms = Some(6_000);
    config.pushes = vec![
        StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_a}/live/a")).unwrap(),
        StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_b}/live/b")).unwrap(),
    ];
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    let summary = handle.wait().unwrap();
    a.stop();
    b.stop();
    let last = stats.borrow().clone();
    assert!(
        last.destinations.iter().all(|d| d.dropped_packets == 0),
        "{last:?}"
    );
    assert!(!last.source_lost, "{last:?}");

    for file in [
        out.clone(),
        a.recordings()[0].clone(),
        b.recordings()[0].clone(),
    ] {
        let (w, h, rate) = video_stream(&file);
        assert_eq!((w, h), (1080, 1920), "{}", file.display());
        // FLV keeps milliseconds: 1000/33 is 30 fps there.
        let (num, den) = rate.split_once('/').unwrap();
        let fps = num.parse::<f64>().unwrap() / den.parse::<f64>().unwrap();
        assert!((29.5..=30.5).contains(&fps), "{rate} in {}", file.display());
        assert_eq!(
            probe(&file).codec("audio"),
            Some("aac"),
            "{}",
            file.display()
        );
    }
    let local = probe(&out);
    assert!((5.9..=6.2).contains(&local.duration), "{}", local.duration);
    assert!(summary.video_frames >= 178, "{summary:?}");
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);

    // The photo fills the close-up rectangle (top right), the pattern the rest.
    let (x, y, w, h) = scene.layers[1].rect.pixels(1080, 1920);
    let inside = pixel(&out, 3.0, (1080, 1920), (x + w / 2, y + h / 2));
    assert!(
        inside[0] > 180 && inside[1] < 70 && inside[2] < 70,
        "red close-up: {inside:?}"
    );
    let outside = pixel(&out, 3.0, (1080, 1920), (x.saturating_sub(40), y + h / 2));
    assert!(
        !(outside[0] > 180 && outside[1] < 70 && outside[2] < 70),
        "the camera around it: {outside:?}"
    );
    // The text band is dark with white letters somewhere along its middle row.
    let (tx, ty, tw, th) = scene.layers[2].rect.pixels(1080, 1920);
    let band = pixel(&out, 3.0, (1080, 1920), (tx + 8, ty + th / 2));
    assert!(band.iter().all(|&c| c < 90), "dark band: {band:?}");
    let bright = (0..tw)
        .step_by(4)
        .filter(|dx| pixel_row_white(&out, (tx + dx, ty + th / 2)))
        .count();
    assert!(bright > 0, "letters in the band");
}

/// One sample of the text row; kept cheap by sampling a single frame once.
fn pixel_row_white(video: &Path, (x, y): (u32, u32)) -> bool {
    use std::sync::OnceLock;
    static FRAME: OnceLock<Vec<u8>> = OnceLock::new();
    let frame = FRAME.get_or_init(|| {
        Command::new("ffmpeg")
            .args(["-v", "error", "-ss", "3", "-i"])
            .arg(video)
            .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .output()
            .unwrap()
            .stdout
    });
    let at = ((y * 1080 + x) * 3) as usize;
    frame[at..at + 3].iter().all(|&c| c > 200)
}

#[test]
fn a_layer_whose_source_drops_shows_its_slate_and_comes_back() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("drop.mp4");
    let mut config = Config::new(&out);
    // The "phone": a source that ends after 2 s, and opens again a second later.
    let phone = InputSpec::new("lavfi", "testsrc2=size=320x240:rate=30:duration=2,realtime");
    let mut scene = Layout::SideBySide.scene((640, 360), LayerSource::Input { input: phone });
    scene.layers[0].source = LayerSource::Test;
    config.scene = Some(scene);
    config.duration_ms = Some(9_000);
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    let deadline = Instant::now() + Duration::from_secs(6);
    while !stats.borrow().source_lost {
        assert!(Instant::now() < deadline, "the slate never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let lost_at = stats.borrow().media_time_ms;
    while stats.borrow().source_lost {
        assert!(
            Instant::now() < deadline + Duration::from_secs(3),
            "the source never came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let back_at = stats.borrow().media_time_ms;
    let summary = handle.wait().unwrap();
    assert!(
        back_at > lost_at,
        "lost at {lost_at} ms, back at {back_at} ms"
    );
    assert!(
        (8.9..=9.2).contains(&probe(&out).duration),
        "the broadcast went on"
    );
    assert_eq!(summary.duration_ms / 100, 90, "{summary:?}");
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    // While the phone is gone its half shows the dark slate; the camera's half does not.
    let during = (lost_at / 1000.0) + 0.3;
    let slate = pixel(&out, during, (640, 360), (480, 60));
    assert!(
        slate.iter().all(|&c| c < 80),
        "slate in the phone's half: {slate:?}"
    );
    let camera = pixel(&out, during, (640, 360), (160, 60));
    assert!(
        camera.iter().any(|&c| c > 80),
        "the camera's half goes on: {camera:?}"
    );
}

#[test]
fn scenes_switch_on_air_without_a_gap_and_each_switch_is_a_marker() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("switch.mp4");
    let mut config = Config::new(&out);
    let orange = LayerSource::Color {
        color: "#FF8800".into(),
    };
    let pip = Layout::PictureInPicture.scene((640, 360), orange);
    config.scene = Some(pip.clone());
    config.duration_ms = Some(7_000);
    let handle = Pipeline::start(config).unwrap();
    let wait_media = |ms: f64| {
        while handle.media_time().as_secs_f64() * 1000.0 < ms {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_media(2000.0);
    let single = Layout::Single.scene((640, 360), LayerSource::Test);
    let at_single = handle.set_scene(&single).unwrap();
    wait_media(4500.0);
    // A scene with a source the broadcast did not have: it starts now.
    let second = InputSpec::new("lavfi", "testsrc2=size=320x240:rate=30,hue=s=0,realtime");
    let split = Layout::SideBySide.scene((640, 360), LayerSource::Input { input: second });
    let at_split = handle.set_scene(&split).unwrap();
    let portrait = Layout::PortraitFull.scene((1080, 1920), LayerSource::Test);
    assert!(
        handle
            .set_scene(&portrait)
            .unwrap_err()
            .to_string()
            .contains("keeps the canvas")
    );
    let summary = handle.wait().unwrap();

    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    assert!((6.9..=7.2).contains(&probe(&out).duration));
    let scenes: Vec<(&str, u32)> = summary
        .markers
        .iter()
        .filter(|m| m.kind == anchordesk_capture::MarkerKind::Scene)
        .map(|m| (m.label.as_str(), m.start_ms))
        .collect();
    assert_eq!(
        scenes,
        vec![
            ("人+商品特写", 0),
            ("单机位", at_single.start_ms),
            ("左右分屏", at_split.start_ms)
        ]
    );
    // Before the first switch the close-up is orange; after it, the camera fills that spot.
    let (x, y, w, h) = pip.layers[1].rect.pixels(640, 360);
    let spot = (x + w / 2, y + h / 2);
    let before = pixel(&out, 1.0, (640, 360), spot);
    assert!(
        before[0] > 200 && (100..190).contains(&before[1]) && before[2] < 60,
        "orange: {before:?}"
    );
    let after = pixel(&out, 3.5, (640, 360), spot);
    assert!(
        !(after[0] > 200 && (100..190).contains(&after[1]) && after[2] < 60),
        "no orange after the switch: {after:?}"
    );
    // After the second switch the new source fills the right half (grey: its hue is off).
    let right = pixel(&out, 6.5, (640, 360), (480, 180));
    let spread = right.iter().max().unwrap() - right.iter().min().unwrap();
    assert!(spread < 30, "the new grey source on the right: {right:?}");
}


#[test]
fn a_phone_joins_over_srt_only_with_the_passphrase_and_comes_back_after_leaving() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_max_level(tracing::Level::WARN).try_init();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("phone.mp4");
    let mut config = Config::new(&out);
    let scene = Layout::PictureInPicture.scene((640, 360), LayerSource::Phone);
    config.scene = Some(scene.clone());
    config.phone = anchordesk_capture::PhoneListen { address: Some("127.0.0.1".parse().unwrap()), port: 0 };
    config.duration_ms = Some(16_000);
    let handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    let url = handle.phone_url().expect("a phone layer gets a link");
    assert!(url.starts_with("srt://127.0.0.1:") && url.contains("passphrase="), "{url}");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(stats.borrow().source_lost, "the phone's slate shows until it connects");

    // A caller without this broadcast's passphrase is refused.
    let key = url.split("passphrase=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    assert!(!phone_push(&url.replace(&key, "0000000000000000"), "blue", 2), "a wrong passphrase gets in");
    assert!(stats.borrow().source_lost);

    // The phone connects: its picture shows in the close-up; it leaves: the slate; it comes back.
    let pusher = {
        let url = url.clone();
        std::thread::spawn(move || phone_push(&url, "red", 4))
    };
    let deadline = Instant::now() + Duration::from_secs(8);
    while stats.borrow().source_lost {
        assert!(Instant::now() < deadline, "the phone never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let joined_ms = stats.borrow().media_time_ms;
    assert!(pusher.join().unwrap(), "the phone's push went through");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stats.borrow().source_lost {
        assert!(Instant::now() < deadline, "the slate did not come back when the phone left");
        std::thread::sleep(Duration::from_millis(50));
    }
    let left_ms = stats.borrow().media_time_ms;
    assert!(phone_push(&url, "red", 2), "the phone could not come back");
    let summary = handle.wait().unwrap();
    assert!((15.9..=16.3).contains(&probe(&out).duration), "the broadcast went on");
    assert_eq!(summary.duration_ms / 100, 160);
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    // While the phone was there, its red picture filled the close-up; after it left, the slate.
    let (x, y, w, h) = scene.layers[1].rect.pixels(640, 360);
    let during = pixel(&out, (joined_ms / 1000.0) + 1.0, (640, 360), (x + w / 2, y + h / 2));
    assert!(during[0] > 180 && during[1] < 80 && during[2] < 80, "the phone's picture: {during:?}");
    let after = pixel(&out, (left_ms / 1000.0) + 0.5, (640, 360), (x + w / 2, y + h / 2));
    assert!(after.iter().all(|&c| c < 80), "the slate in the phone's place: {after:?}");
}
