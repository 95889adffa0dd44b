//! `anchordesk record` and `anchordesk devices`, run as the real binary.

use std::process::Command;

fn anchordesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_anchordesk"))
}

#[test]
fn record_test_source_for_10s_gives_h264_and_aac() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let run = anchordesk()
        .args([
            "record",
            "--source",
            "test",
            "--duration",
            "10s",
            "--size",
            "640x360",
            "--bitrate",
            "800",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("time=") && stderr.contains("fps=") && stderr.contains("size="),
        "progress line: {stderr}"
    );

    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "format=duration:stream=codec_name,nb_read_frames",
            "-of",
            "json",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let duration: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((9.8..=10.3).contains(&duration), "duration {duration}");
    let codecs: Vec<&str> = v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap())
        .collect();
    assert_eq!(codecs, vec!["h264", "aac"]);
    let frames: u32 = v["streams"][0]["nb_read_frames"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((297..=301).contains(&frames), "{frames} frames");
}

#[test]
fn record_refuses_an_unreachable_ingest_without_printing_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.mp4");
    let port = free_port();
    let run = anchordesk()
        .args([
            "record",
            "--duration",
            "5s",
            "--push",
            &format!("rtmp://127.0.0.1:{port}/live/sk_SECRET_9"),
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(run.status.code(), Some(2), "{all}");
    assert!(all.contains("unreachable"), "{all}");
    assert!(
        all.contains("rtmp://127.0.0.1:") && all.contains("/live/****"),
        "masked URL shown: {all}"
    );
    assert!(!all.contains("SECRET"), "{all}");
    assert!(!out.exists());
}

#[test]
fn record_pushes_to_several_destinations_each_with_its_own_state() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("two.mkv");
    let (a, b) = (free_port(), free_port());
    let run = anchordesk()
        .args([
            "record",
            "--duration",
            "3s",
            "--start-push-offline",
            "--size",
            "320x180",
        ])
        .args(["--push", &format!("rtmp://127.0.0.1:{a}/live/sk_SECRET_A")])
        .args(["--push", &format!("rtmp://127.0.0.1:{b}/live/sk_SECRET_B")])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(run.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("pushing to rtmp://127.0.0.1:{a}/live/****")),
        "{all}"
    );
    assert!(
        all.contains(&format!("pushing to rtmp://127.0.0.1:{b}/live/****")),
        "{all}"
    );
    assert!(
        all.contains("push1=reconnecting(") && all.contains("push2=reconnecting("),
        "{all}"
    );
    assert!(!all.contains("SECRET"), "{all}");
    assert!(
        out.exists(),
        "the recording is kept while no ingest answers"
    );
}

#[test]
fn record_rejects_a_malformed_push_url() {
    let dir = tempfile::tempdir().unwrap();
    let run = anchordesk()
        .args([
            "record",
            "--duration",
            "5s",
            "--push",
            "rtmp//host/live/sk_SECRET_9",
            "--out",
        ])
        .arg(dir.path().join("a.mp4"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr.contains("malformed"), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[test]
fn devices_lists_the_test_source_and_says_when_there_is_no_camera() {
    let run = anchordesk().arg("devices").output().unwrap();
    assert!(run.status.success());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.starts_with("test\t"), "{stdout}");
    // These machines have no camera.
    assert!(stdout.contains("no cameras found"), "{stdout}");
    let json = anchordesk().args(["devices", "--json"]).output().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(list.is_array());
}

/// A loopback port nothing listens on (the listener is closed again at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn scenes_are_listed_shown_and_recorded_from_a_file_on_a_portrait_canvas() {
    let dir = tempfile::tempdir().unwrap();
    let list = anchordesk().arg("--data-dir").arg(dir.path()).args(["scenes", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    for name in ["单机位", "人+商品特写", "左右分屏", "竖屏全身"] {
        assert!(listed.contains(name), "{listed}");
    }
    let dir = tempfile::tempdir().unwrap();
    let show = anchordesk()
        .args([
            "scenes",
            "show",
            "人+商品特写",
            "--canvas",
            "1080x1920",
            "--close-up",
            "#FF8800",
        ])
        .output()
        .unwrap();
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let file = dir.path().join("pip.json");
    std::fs::write(&file, &show.stdout).unwrap();
    let out = dir.path().join("pip.mp4");
    let run = anchordesk()
        .args(["record", "--duration", "2s", "--bitrate", "1500", "--scene"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "1080,1920");

    let unknown = anchordesk()
        .args(["record", "--duration", "1s", "--scene", "studio9", "--out"])
        .arg(dir.path().join("x.mp4"))
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no layout or scene file") && stderr.contains("portrait"),
        "{stderr}"
    );
}

#[test]
fn encoders_are_probed_for_real_and_a_hardware_one_that_fails_falls_back_to_x264() {
    let run = anchordesk().arg("encoders").output().unwrap();
    assert!(run.status.success());
    let table = String::from_utf8_lossy(&run.stdout);
    assert!(table.contains("libx264\tworks"), "{table}");
    // Each line says whether it works, and why not when not.
    for name in ["h264_nvenc", "h264_qsv", "h264_vaapi"] {
        let line = table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} probed: {table}"));
        assert!(
            line.contains("\tworks") || line.contains("\tno: "),
            "{line}"
        );
    }
    let has_nvenc = table.contains("h264_nvenc\tworks");
    assert_eq!(
        table.contains("hardware encoder: none"),
        !table
            .lines()
            .any(|l| l.contains("works") && !l.starts_with("libx264")),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &anchordesk()
            .args(["encoders", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().last().unwrap()["name"], "libx264");

    // Asked for NVENC on a machine without it: the recording is made with libx264 and says so.
    if !has_nvenc {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fallback.mp4");
        let run = anchordesk()
            .args([
                "record",
                "--encoder",
                "nvenc",
                "--duration",
                "1s",
                "--size",
                "320x180",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("h264_nvenc did not open here; recording with libx264"),
            "{stderr}"
        );
        assert!(out.exists());
    }
    let bad = anchordesk()
        .args([
            "record",
            "--encoder",
            "gpu",
            "--duration",
            "1s",
            "--out",
            "/tmp/never.mp4",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("anchordesk encoders"));
}

#[test]
fn a_scene_with_a_phone_prints_where_the_phone_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let run = anchordesk()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["record", "--scene", "pip", "--close-up", "phone", "--canvas", "720x1280", "--duration", "2s", "--out"])
        .arg(dir.path().join("phone.mp4"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("phone: push SRT to srt://")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("passphrase="), "{line}");
}

#[test]
fn record_mixes_music_from_a_folder_and_refuses_a_folder_without_any() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music");
    std::fs::create_dir(&music).unwrap();
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=4"])
        .arg(music.join("bed.mp3"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = dir.path().join("music.mp4");
    let run = anchordesk()
        .args(["record", "--duration", "2s", "--size", "320x180", "--denoise", "--mic-gain", "-3", "--music"])
        .arg(&music)
        .args(["--music-gain", "-10", "--shuffle", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let refused = anchordesk().args(["record", "--duration", "1s", "--music"]).arg(&empty).arg("--out").arg(dir.path().join("x.mp4")).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no music to play"), "{}", String::from_utf8_lossy(&refused.stderr));
}

/// nginx-rtmp, ffprobe and free ports, as the capture crate's tests use them.
#[path = "../../capture/tests/common/mod.rs"]
mod media;

#[test]
fn record_pushes_a_vertical_second_picture_beside_the_landscape_recording() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("landscape.mp4");
    let port = media::free_port();
    let mut nginx = media::Nginx::start(&dir.path().join("nginx"), port);
    let run = anchordesk()
        .args(["record", "--duration", "4s", "--size", "640x360", "--bitrate", "800"])
        .args(["--second-scene", "portrait", "--second-canvas", "360x640"])
        .args(["--second-push", &format!("rtmp://127.0.0.1:{port}/live/sk_SECRET_V")])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    nginx.stop();
    let all = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{all}");
    assert!(all.contains(&format!("a second picture, 竖屏全身 360x640, to rtmp://127.0.0.1:{port}/live/****")), "{all}");
    assert!(all.contains(" second=360x640:fps="), "{all}");
    assert!(!all.contains("SECRET"), "{all}");
    assert_eq!(media::video_size(&out), (640, 360), "the recording keeps the first picture");
    let pushed = nginx.recordings();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(media::video_size(&pushed[0]), (360, 640), "the push carries the second");
    assert!(media::probe(&pushed[0]).duration > 3.5);
    assert_eq!(media::probe(&pushed[0]).codec("audio"), Some("aac"));

    // A second picture without a destination is refused before anything starts.
    let refused = anchordesk()
        .args(["record", "--duration", "1s", "--second-scene", "portrait", "--out"])
        .arg(dir.path().join("never.mp4"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--second-push"));
}
