//! Every refusal comes before anything starts, and leaves nothing behind.
#![cfg(unix)]

mod common;

use std::path::Path;

use anchordesk_capture::{
    AudioSource, Config, ErrorCode, InputSpec, Pipeline, StreamUrl, VideoSource,
};

fn small(out: &Path) -> Config {
    let mut config = Config::new(out);
    config.video.width = 640;
    config.video.height = 360;
    config.duration_ms = Some(2_000);
    config
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn refused(config: Config) -> anchordesk_capture::CaptureError {
    match Pipeline::start(config) {
        Ok(handle) => {
            let _ = handle.stop();
            panic!("the pipeline started")
        }
        Err(e) => e,
    }
}

#[test]
fn malformed_push_url_is_refused_with_the_key_masked() {
    for raw in [
        "rtmp:/127.0.0.1/live/sk_SECRET",
        "rtmp://127.0.0.1:70000/live/sk_SECRET",
        "https://x/live/sk_SECRET",
        "rtmp://host/live/",
    ] {
        let err = StreamUrl::parse(raw).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadPushUrl, "{raw}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}

#[test]
fn unreachable_ingest_is_refused_before_the_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = small(&out);
    let closed = common::free_port();
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{closed}/live/sk_SECRET")).unwrap()];
    let err = refused(config);
    assert_eq!(err.code(), ErrorCode::IngestUnreachable);
    assert!(err.to_string().contains(&closed.to_string()), "{err}");
    assert!(!err.to_string().contains("SECRET"));
    assert!(
        entries(dir.path()).is_empty(),
        "left behind: {:?}",
        entries(dir.path())
    );
}

#[test]
fn an_ingest_host_that_does_not_resolve_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small(&dir.path().join("a.mp4"));
    // .invalid never resolves (RFC 6761).
    config.pushes = vec![StreamUrl::parse("rtmp://ingest.anchordesk.invalid/live/sk_SECRET").unwrap()];
    let err = refused(config);
    assert_eq!(err.code(), ErrorCode::IngestUnreachable);
    assert!(
        err.to_string().contains("ingest.anchordesk.invalid"),
        "{err}"
    );
    assert!(!err.to_string().contains("SECRET"));
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn an_ingest_that_is_not_rtmp_is_refused() {
    // Something listens, but it is not an RTMP server: the handshake fails.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            drop(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = small(&out);
    config.pushes = vec![StreamUrl::parse(&format!("rtmp://127.0.0.1:{port}/live/sk_SECRET")).unwrap()];
    let started = std::time::Instant::now();
    let err = refused(config);
    // The sources were already running; they must wind down at once, not after a timeout.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "refusal took {:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), ErrorCode::IngestUnreachable, "{err}");
    assert!(!err.to_string().contains("SECRET"), "{err}");
    assert!(entries(dir.path()).is_empty());
    let _ = server.join();
}

#[test]
fn missing_camera_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = small(&out);
    config.video_source = VideoSource::Input(InputSpec::parse_video("/dev/video9"));
    let err = refused(config);
    assert_eq!(err.code(), ErrorCode::DeviceUnavailable);
    assert!(err.to_string().contains("/dev/video9"), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn missing_microphone_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = small(&out);
    config.audio_source = AudioSource::Input(InputSpec::parse_audio("hw:7,0"));
    let err = refused(config);
    assert_eq!(err.code(), ErrorCode::DeviceUnavailable);
    assert!(err.to_string().contains("hw:7,0"), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn unwritable_paths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    for out in [
        dir.path().join("missing/sub/a.mp4"),
        file.join("a.mp4"),
        dir.path().to_owned(),
    ] {
        let err = refused(small(&out));
        assert_eq!(
            err.code(),
            ErrorCode::OutputNotWritable,
            "{}: {err}",
            out.display()
        );
    }
    assert_eq!(entries(dir.path()), vec!["not-a-dir"]);
}

#[test]
fn existing_recording_is_not_overwritten_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("yesterday.mp4");
    std::fs::write(&out, b"evidence").unwrap();
    let err = refused(small(&out));
    assert_eq!(err.code(), ErrorCode::OutputExists);
    assert_eq!(std::fs::read(&out).unwrap(), b"evidence");
}

#[test]
fn disk_too_small_for_the_planned_broadcast_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let mut config = small(&out);
    config.duration_ms = None;
    // 49 days at 2.6 Mbit/s is about 1.4 TB, more than any build machine has.
    config.planned_duration_ms = Some(u32::MAX);
    let err = refused(config);
    assert_eq!(err.code(), ErrorCode::DiskSpace);
    assert!(err.to_string().contains("MB"), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn impossible_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small(&dir.path().join("a.mp4"));
    config.video.width = 641;
    assert_eq!(refused(config).code(), ErrorCode::BadConfig);
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn the_same_destination_twice_or_too_many_destinations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small(&dir.path().join("a.mp4"));
    let url = |n: u16| StreamUrl::parse(&format!("rtmp://127.0.0.1:{n}/live/sk_SECRET")).unwrap();
    config.pushes = vec![url(1935), url(1936), url(1935)];
    let err = refused(config.clone());
    assert_eq!(err.code(), ErrorCode::BadConfig);
    assert!(err.to_string().contains("given twice"), "{err}");
    assert!(!err.to_string().contains("SECRET"), "{err}");
    config.pushes = (0..5).map(|i| url(1935 + i)).collect();
    let err = refused(config);
    assert!(err.to_string().contains("at most 4"), "{err}");
    assert!(entries(dir.path()).is_empty());
}
