//! `anchordesk live`: a whole broadcast through the live session from the shell, as the real
//! binary on a real data directory, and a resume after a session left live by a crash.

use anchordesk_core::*;
use std::path::Path;
use std::process::{Command, Output};

fn anchordesk(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anchordesk")).arg("--data-dir").arg(data_dir).args(args).output().expect("running anchordesk")
}

/// A course broadcast with three sample products, every manual item ticked.
fn ready(data_dir: &Path) -> (BroadcastId, Vec<LineupItem>) {
    let mut store = Store::open(&paths::db_path(data_dir)).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let spec = testkit::ReadyBroadcast { title: "命令行排练", template: "course", live_price: "39.90", operator: "学生甲", ..Default::default() };
    let (broadcast, lineup) = testkit::ready_broadcast(&mut store, &spec);
    (broadcast.id, lineup)
}

#[test]
fn a_rehearsal_runs_through_the_lineup_and_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (broadcast, _) = ready(dir.path());
    let output = anchordesk(dir.path(), &["live", "run", &broadcast.0.to_string(), "--rehearsal", "--each", "1", "--take-off", "2"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("on air: 赣南脐橙") && stderr.contains("taken off: 山区土蜂蜜"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["session"]["status"], "ended");
    let recording = report["session"]["recordingPath"].as_str().unwrap();
    assert!(recording.contains("/archive/") && Path::new(recording).exists(), "{recording}");
    let kinds: Vec<&str> = report["markers"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "product").count(), 3, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "takeOff").count(), 1, "{kinds:?}");
}

#[test]
fn an_interrupted_broadcast_resumes_from_the_cli_with_its_take_off() {
    let dir = tempfile::tempdir().unwrap();
    let (broadcast, lineup) = ready(dir.path());
    let interrupted = {
        // What a killed desk leaves: a session still live, the honey taken off, oranges on air.
        let mut store = Store::open(&paths::db_path(dir.path())).unwrap();
        let recording = dir.path().join("killed.mp4");
        std::fs::write(&recording, b"").unwrap();
        let env = plan::CheckEnv::for_data_dir(dir.path());
        let session = store.go_live(broadcast, &env, &recording.display().to_string(), true).unwrap();
        store.put_on_air(session.id, lineup[0].id, 500).unwrap();
        store.take_off(session.id, lineup[1].id, 900).unwrap();
        session
    };
    let output = anchordesk(dir.path(), &["live", "resume", &interrupted.id.0.to_string(), "--each", "1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Back on air with the oranges, then on to the walnuts: the honey never again.
    assert!(stderr.contains("on air: 赣南脐橙"), "{stderr}");
    assert!(!stderr.contains("on air: 土蜂蜜") && !stderr.contains("on air: 蜂蜜"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let on_air: Vec<&str> = report["markers"].as_array().unwrap().iter().filter(|m| m["kind"] == "product").map(|m| m["sku"].as_str().unwrap()).collect();
    assert_eq!(on_air, vec!["SAMPLE-ORANGE-5KG", "SAMPLE-WALNUT-1KG"]);
}
