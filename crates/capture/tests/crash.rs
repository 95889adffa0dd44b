//! kill -9 a real recorder process: what it wrote must play.
#![cfg(unix)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Reaped, probe};

fn kill_after_8s(ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("crash.{ext}"));
    let child = Command::new(env!("CARGO_BIN_EXE_capture-recorder"))
        .arg("--out")
        .arg(&out)
        .args([
            "--duration-ms",
            "60000",
            "--size",
            "640x360",
            "--bitrate-kbps",
            "800",
            "--no-preview",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut recorder = Reaped(Some(child));
    // Count the 8 s from when the recording exists (its header is written once the
    // sources and encoders are up), not from the process spawn.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !out.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the recorder never created {}",
            out.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(8));
    assert!(
        recorder.wait_timeout(Duration::ZERO).is_none(),
        "recorder still running before the kill"
    );
    recorder.signal(libc::SIGKILL);
    recorder.wait();

    let p = probe(&out);
    assert_eq!(p.codec("video"), Some("h264"));
    assert_eq!(p.codec("audio"), Some("aac"));
    // Media held: the end of the last video frame, so frames a starved CI machine had
    // to skip do not count against the file.
    let end = |stream: &str, frame: f64| common::media_end(&out, stream, frame);
    let (video_s, audio_s) = (end("v:0", 1.0 / 30.0), end("a:0", 1024.0 / 48000.0));
    assert!(
        video_s >= 7.0,
        "{ext}: {video_s:.2} s of video after kill -9 at 8 s"
    );
    assert!(
        audio_s >= 7.0,
        "{ext}: {audio_s:.2} s of audio after kill -9 at 8 s"
    );
    assert!(
        p.frames("video") >= 150,
        "{ext}: only {} video frames decode",
        p.frames("video")
    );
    // The whole file decodes without errors.
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&out)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(decode.status.success());
    let errors = String::from_utf8_lossy(&decode.stderr);
    assert!(
        errors.trim().is_empty(),
        "{ext}: decoding reported {errors}"
    );
}

#[test]
fn fragmented_mp4_survives_kill_9() {
    kill_after_8s("mp4");
}

#[test]
fn mkv_survives_kill_9() {
    kill_after_8s("mkv");
}

#[test]
fn a_full_disk_stops_the_recording_with_a_message_and_keeps_what_was_written() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("full.mp4");
    let mut command = Command::new(env!("CARGO_BIN_EXE_capture-recorder"));
    command
        .arg("--out")
        .arg(&out)
        .args([
            "--duration-ms",
            "60000",
            "--size",
            "1280x720",
            "--bitrate-kbps",
            "2500",
            "--no-preview",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // A 2 MB file size limit makes the disk "full" after about six seconds, without
    // needing root to mount a small file system.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2_000_000,
                rlim_max: 2_000_000,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut text);
        text
    });
    let mut recorder = Reaped(Some(child));
    let status = recorder
        .wait_timeout(Duration::from_secs(40))
        .expect("the recorder stops by itself when the disk is full");
    let stderr = reader.join().unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("disk full while recording"), "{stderr}");
    let p = probe(&out);
    let seconds = p.frames("video") as f64 / 30.0;
    assert!(seconds >= 3.0, "{seconds:.1} s kept before the disk filled");
    assert!(std::fs::metadata(&out).unwrap().len() <= 2_000_000);
}
