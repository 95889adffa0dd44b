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

#[test]
fn a_rehearsal_goes_on_air_in_a_saved_portrait_scene_and_switches_scenes() {
    let dir = tempfile::tempdir().unwrap();
    let (broadcast, _) = ready(dir.path());
    // A portrait picture-in-picture saved under the team's own name, and a portrait single.
    let pip = anchordesk(dir.path(), &["scenes", "show", "pip", "--canvas", "1080x1920", "--close-up", "#FF8800"]);
    assert!(pip.status.success(), "{}", String::from_utf8_lossy(&pip.stderr));
    let mut scene: serde_json::Value = serde_json::from_slice(&pip.stdout).unwrap();
    scene["name"] = "竖屏特写".into();
    let file = dir.path().join("mine.json");
    std::fs::write(&file, serde_json::to_vec(&scene).unwrap()).unwrap();
    let saved = anchordesk(dir.path(), &["scenes", "save", file.to_str().unwrap()]);
    assert!(saved.status.success(), "{}", String::from_utf8_lossy(&saved.stderr));
    let listed = String::from_utf8_lossy(&anchordesk(dir.path(), &["scenes", "list"]).stdout).into_owned();
    assert!(listed.contains("saved\t竖屏特写\t1080x1920\t2 layers"), "{listed}");

    let output = anchordesk(
        dir.path(),
        &["live", "run", &broadcast.0.to_string(), "--rehearsal", "--each", "1", "--scene", "竖屏特写", "--switch-scene", "竖屏全身", "--switch-scene", "竖屏特写"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scenes: Vec<&str> =
        report["markers"].as_array().unwrap().iter().filter(|m| m["kind"] == "scene").map(|m| m["label"].as_str().unwrap()).collect();
    assert_eq!(scenes, vec!["竖屏特写", "竖屏全身", "竖屏特写"], "each scene on air is a marker in the report");
    let recording = report["session"]["recordingPath"].as_str().unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", recording])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "1080,1920");

    // A landscape scene cannot be switched to on a portrait picture; a deleted scene is gone.
    let refused = anchordesk(dir.path(), &["live", "run", &broadcast.0.to_string(), "--rehearsal", "--each", "1", "--scene", "竖屏特写", "--switch-scene", "单机位"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("keeps the canvas"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(anchordesk(dir.path(), &["scenes", "delete", "竖屏特写"]).status.success());
    assert!(!String::from_utf8_lossy(&anchordesk(dir.path(), &["scenes", "list"]).stdout).contains("竖屏特写"));
}

#[test]
fn a_broadcast_goes_on_air_with_its_own_scene_and_a_deleted_one_is_named_at_go_live() {
    let dir = tempfile::tempdir().unwrap();
    let (broadcast, _) = ready(dir.path());
    let id = broadcast.0.to_string();
    let shown = anchordesk(dir.path(), &["broadcasts", "scene", &id]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("without a scene"), "the course template names none");

    let unknown = anchordesk(dir.path(), &["broadcasts", "scene", &id, "演播厅9"]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("no scene named \"演播厅9\"") && stderr.contains("竖屏全身"), "{stderr}");

    // A team scene (a portrait close-up in orange), planned for the broadcast.
    let pip = anchordesk(dir.path(), &["scenes", "show", "pip", "--canvas", "1080x1920", "--close-up", "#FF8800"]);
    let mut scene: serde_json::Value = serde_json::from_slice(&pip.stdout).unwrap();
    scene["name"] = "竖屏橙色特写".into();
    let file = dir.path().join("mine.json");
    std::fs::write(&file, serde_json::to_vec(&scene).unwrap()).unwrap();
    assert!(anchordesk(dir.path(), &["scenes", "save", file.to_str().unwrap()]).status.success());
    let planned = anchordesk(dir.path(), &["broadcasts", "scene", &id, "竖屏橙色特写"]);
    assert!(planned.status.success(), "{}", String::from_utf8_lossy(&planned.stderr));
    let listed = String::from_utf8_lossy(&anchordesk(dir.path(), &["broadcasts", "list"]).stdout).into_owned();
    assert!(listed.contains("[竖屏橙色特写]"), "{listed}");

    // Going live without --scene takes the broadcast's.
    let output = anchordesk(dir.path(), &["live", "run", &id, "--rehearsal", "--each", "1"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let scenes: Vec<&str> =
        report["markers"].as_array().unwrap().iter().filter(|m| m["kind"] == "scene").map(|m| m["label"].as_str().unwrap()).collect();
    assert_eq!(scenes, vec!["竖屏橙色特写"]);
    let recording = report["session"]["recordingPath"].as_str().unwrap();
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", recording])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "1080,1920");

    // The scene deleted since: going live says which and what to do, and starts nothing.
    assert!(anchordesk(dir.path(), &["scenes", "delete", "竖屏橙色特写"]).status.success());
    let refused = anchordesk(dir.path(), &["live", "run", &id, "--rehearsal", "--each", "1"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("\"竖屏橙色特写\"") && stderr.contains("no longer in the scene library") && stderr.contains("broadcasts scene"), "{stderr}");
    let cleared = anchordesk(dir.path(), &["broadcasts", "scene", &id, "--none"]);
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("without a scene"));
}
