//! Two canvases at once: a landscape picture recorded and pushed to one real nginx-rtmp
//! server, a vertical one composed from the same sources at the same ticks and pushed to
//! another. The phone is in both pictures and is listened for once; switching the landscape
//! scene away from the phone leaves it on the vertical push.
#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use anchordesk_capture::{Config, LayerSource, Layout, Pipeline, SecondCanvas, StreamUrl};
use common::{Nginx, assert_monotonic_without_gaps, free_port, phone_push, pixel, probe, video_size, wait_for};



fn red(p: [u8; 3]) -> bool {
    p[0] > 180 && p[1] < 80 && p[2] < 80
}


#[test]
fn a_landscape_recording_and_a_vertical_push_share_one_phone() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_max_level(tracing::Level::WARN).try_init();
    let dir = tempfile::tempdir().unwrap();
    let (port_landscape, port_vertical) = (free_port(), free_port());
    let mut landscape = Nginx::start(&dir.path().join("nginx-landscape"), port_landscape);
    let mut vertical = Nginx::start(&dir.path().join("nginx-vertical"), port_vertical);
    let out = dir.path().join("landscape.mp4");
    let mut config = Config::new(&out);
    // Landscape: the camera (the test pattern here) with the phone in the close-up corner.
    let pip = Layout::PictureInPicture.scene((640, 360), LayerSource::Phone);
    // Vertical: the phone fills the picture.
    let mut phone_only = Layout::Single.scene((360, 640), LayerSource::Phone);
    phone_only.name = "phone only".into();
    phone_only.layers[0].source = LayerSource::Phone;
    config.scene = Some(pip.clone());
    config.second_canvas = Some(SecondCanvas {
        scene: phone_only,
        pushes: vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_vertical}/live/vertical_key")).unwrap()],
    });
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port_landscape}/live/landscape_key")).unwrap()];
    config.phone = anchordesk_capture::PhoneListen { address: Some("127.0.0.1".parse().unwrap()), port: 0 };
    config.video.bitrate_kbps = 1000;
    config.duration_ms = Some(14_000);
    let mut handle = Pipeline::start(config).unwrap();
    let stats = handle.stats();
    let url = handle.phone_url().expect("the phone layers get one link");
    // Previews of both pictures, each at its own shape and as tall as the other.
    let mut previews = handle.take_preview().unwrap();
    let collector = std::thread::spawn(move || {
        let mut sizes = std::collections::BTreeSet::new();
        while let Some(frame) = previews.blocking_recv() {
            sizes.insert((frame.second, frame.width, frame.height));
        }
        sizes
    });

    wait_for("both pushes live", Duration::from_secs(8), || {
        let s = stats.borrow();
        s.destinations.len() == 2 && s.destinations.iter().all(|d| d.state == anchordesk_capture::PushState::Live)
    });
    {
        let s = stats.borrow();
        assert_eq!(s.destinations.iter().map(|d| d.second_canvas).collect::<Vec<_>>(), [false, true]);
        assert!(s.destinations.iter().all(|d| !d.url.contains("_key")), "keys masked: {s:?}");
    }
    // One phone for both pictures: a second listener on the same link could not bind, and
    // its picture would never come.
    let pusher = {
        let url = url.clone();
        std::thread::spawn(move || phone_push(&url, "red", 9))
    };
    let deadline = Instant::now() + Duration::from_secs(8);
    while stats.borrow().source_lost {
        assert!(Instant::now() < deadline, "the phone never showed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let joined_s = stats.borrow().media_time_ms / 1000.0;
    std::thread::sleep(Duration::from_secs(2));
    // The landscape picture leaves the phone; the vertical one keeps it.
    let single = Layout::Single.scene((640, 360), LayerSource::Test);
    handle.set_scene(&single).unwrap();
    let switched_s = stats.borrow().media_time_ms / 1000.0;
    assert!(pusher.join().unwrap(), "the phone's push went through");
    let summary = handle.wait().unwrap();
    let last = stats.borrow().clone();
    landscape.stop();
    vertical.stop();
    let sizes = collector.join().unwrap();
    assert_eq!(sizes.into_iter().collect::<Vec<_>>(), vec![(false, 320, 180), (true, 100, 180)]);

    let second = last.second_canvas.expect("the second canvas's figures");
    assert_eq!((second.width, second.height), (360, 640));
    assert_eq!(video_size(&out), (640, 360), "the recording is the first canvas");
    let landscape_push = landscape.recordings()[0].clone();
    let vertical_push = vertical.recordings()[0].clone();
    assert_eq!(video_size(&landscape_push), (640, 360));
    assert_eq!(video_size(&vertical_push), (360, 640));
    for file in [&out, &landscape_push, &vertical_push] {
        assert_eq!(probe(file).codec("audio"), Some("aac"), "{}", file.display());
    }
    let local = probe(&out);
    assert!((13.9..=14.2).contains(&local.duration), "{}", local.duration);
    assert!(summary.video_frames >= 415, "{summary:?}");
    assert_monotonic_without_gaps(&out, "v:0", 1.0 / 30.0 + 0.002);
    // The vertical push ran as long as the recording, frame after frame (FLV keeps ms).
    let vertical_probe = probe(&vertical_push);
    assert!(vertical_probe.duration > 13.0, "{}", vertical_probe.duration);
    assert!(vertical_probe.frames("video") >= 390, "{}", vertical_probe.frames("video"));
    assert_monotonic_without_gaps(&vertical_push, "v:0", 1.0 / 30.0 + 0.002);

    // While the phone was on: red in the landscape close-up, red filling the vertical picture.
    let (x, y, w, h) = pip.layers[1].rect.pixels(640, 360);
    let during = joined_s + 1.0;
    assert!(red(pixel(&out, during, (640, 360), (x + w / 2, y + h / 2))), "phone in the landscape close-up");
    // The pushes start at media time 0 too (FLV from the first packet).
    assert!(red(pixel(&vertical_push, during, (360, 640), (180, 320))), "phone in the vertical picture");
    // After the landscape scene left the phone, the vertical picture still shows it.
    let after = switched_s + 1.5;
    assert!(!red(pixel(&out, after, (640, 360), (x + w / 2, y + h / 2))), "the landscape scene switched away");
    assert!(red(pixel(&vertical_push, after, (360, 640), (180, 320))), "the vertical picture kept the phone");
}
