//! Archiving survives a crash at every step: the real binary closes an interrupted session
//! and is aborted right after one step of archiving (`ANCHORDESK_CRASH_AT`, a test-only
//! hook); the next command that opens the data directory finishes the job. Afterwards the
//! database, the archive folder and its manifest agree, and the recording plays.

use anchordesk_core::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn anchordesk(data_dir: &Path, args: &[&str], crash_at: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anchordesk"));
    command.arg("--data-dir").arg(data_dir).args(args);
    if let Some(step) = crash_at {
        command.env("ANCHORDESK_CRASH_AT", format!("archive:{step}"));
    }
    command.output().expect("running anchordesk")
}

/// Two seconds of the test picture and tone, with its marker sidecar.
fn record(path: &Path) {
    let mut config = anchordesk_capture::Config::new(path);
    config.video.width = 320;
    config.video.height = 180;
    config.video.bitrate_kbps = 300;
    config.duration_ms = Some(2_000);
    config.realtime = false;
    config.preview_fps = 0;
    let handle = anchordesk_capture::Pipeline::start(config).unwrap();
    handle.marker(anchordesk_capture::MarkerKind::Product, "赣南脐橙", Some("SAMPLE-ORANGE-5KG"));
    handle.wait().unwrap();
}

/// A data directory with a broadcast whose session was left live by a killed desk.
fn interrupted(data_dir: &Path) -> (BroadcastId, live::SessionId, PathBuf) {
    let mut store = Store::open(&paths::db_path(data_dir)).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let spec = testkit::ReadyBroadcast { title: "断电测试", template: "course", skus: &["SAMPLE-ORANGE-5KG"], live_price: "39.90", operator: "学生甲", ..Default::default() };
    let (broadcast, _) = testkit::ready_broadcast(&mut store, &spec);
    let recordings = data_dir.join("recordings");
    std::fs::create_dir_all(&recordings).unwrap();
    let recording = recordings.join("broadcast-cut.mp4");
    record(&recording);
    let env = plan::CheckEnv::for_data_dir(data_dir);
    let session = store.go_live(broadcast.id, &env, &recording.display().to_string(), true).unwrap();
    store.mark_interrupted_sessions().unwrap();
    (broadcast.id, session.id, recording)
}

fn plays(path: &Path) -> bool {
    let probe = Command::new("ffprobe").args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]).arg(path).output().unwrap();
    probe.status.success() && String::from_utf8_lossy(&probe.stdout).trim().parse::<f64>().is_ok_and(|d| d >= 1.0)
}

#[test]
fn a_crash_at_any_step_of_archiving_is_finished_by_the_next_start() {
    for step in anchordesk_core::archive::STEPS {
        let dir = tempfile::tempdir().unwrap();
        let (broadcast, session, recording) = interrupted(dir.path());
        let closed = anchordesk(dir.path(), &["live", "close", &session.0.to_string()], Some(step));
        assert!(!closed.status.success(), "the process was aborted after {step}: {}", String::from_utf8_lossy(&closed.stderr));
        assert!(String::from_utf8_lossy(&closed.stderr).contains(&format!("after archive step {step}")), "{}", String::from_utf8_lossy(&closed.stderr));

        // The next start (any command that opens the data directory) finishes the job.
        let report = anchordesk(dir.path(), &["report", &broadcast.0.to_string()], None);
        assert!(report.status.success(), "after {step}: {}", String::from_utf8_lossy(&report.stderr));
        let store = Store::open(&paths::db_path(dir.path())).unwrap();
        assert!(store.archive_jobs().unwrap().is_empty(), "after {step}: the journal is empty");
        let kept = PathBuf::from(store.session(session).unwrap().recording_path);
        let folder = dir.path().join("archive").join(format!("broadcast-{}-session-{}", broadcast.0, session.0));
        assert_eq!(kept, folder.join("broadcast-cut.mp4"), "after {step}: the database names the archived recording");
        assert!(!recording.exists(), "after {step}: the recording left its old place");
        assert!(plays(&kept), "after {step}: the archived recording plays");
        let entry = archive::verify(&dir.path().join("archive"), &folder.file_name().unwrap().to_string_lossy()).unwrap_or_else(|err| panic!("after {step}: {err}"));
        let names: Vec<&str> = entry.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["broadcast-cut.mp4", "broadcast-cut.mp4.markers.json", "report.html", "report.json"], "after {step}");
        assert!(!std::fs::read_dir(&folder).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with('.')), "after {step}: no temporary file left");
    }
}
