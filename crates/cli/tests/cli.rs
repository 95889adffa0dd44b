//! The real `anchordesk` binary against real data directories.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn anchordesk(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("running anchordesk")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import").join(name).display().to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn products_list_prints_the_sample_catalog_on_a_fresh_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchordesk(dir.path(), &["products", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("赣南脐橙") && text.contains("[sample]"), "{text}");

    let output = anchordesk(dir.path(), &["products", "list", "--json"]);
    let products: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let orange = products.as_array().unwrap().iter().find(|p| p["sku"] == "SAMPLE-ORANGE-5KG").unwrap();
    assert_eq!(orange["price"], 5990, "money is integer fen in JSON");
    assert_eq!(orange["isSample"], true);
}

#[test]
fn the_environment_variable_chooses_the_data_dir_and_the_flag_wins() {
    let env_dir = tempfile::tempdir().unwrap();
    let flag_dir = tempfile::tempdir().unwrap();
    let via_env = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .env("ANCHORDESK_DATA_DIR", env_dir.path())
        .args(["db", "path"])
        .output()
        .unwrap();
    assert!(stdout(&via_env).trim().starts_with(&env_dir.path().display().to_string()));
    let via_flag = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .env("ANCHORDESK_DATA_DIR", env_dir.path())
        .arg("--data-dir")
        .arg(flag_dir.path())
        .args(["db", "path"])
        .output()
        .unwrap();
    assert!(stdout(&via_flag).trim().starts_with(&flag_dir.path().display().to_string()));
}

#[test]
fn import_with_bad_rows_reports_each_imports_the_rest_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchordesk(dir.path(), &["products", "import", &fixture("mixed.csv")]);
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    assert!(errors.contains("mixed.csv:line 3: price \"abc\" is not a number"), "{errors}");
    assert!(errors.contains("line 5: name \"\" is required; stock \"1.5\" is not a whole number"), "{errors}");
    let list = stdout(&anchordesk(dir.path(), &["products", "list", "--search", "T-"]));
    assert!(list.contains("T-1") && list.contains("T-5") && !list.contains("T-2"), "{list}");
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchordesk(dir.path(), &["products", "import", "--dry-run", &fixture("gbk.csv")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("2 rows would import"));
    let list = stdout(&anchordesk(dir.path(), &["products", "list", "--search", "GBK-"]));
    assert!(!list.contains("GBK-1"), "{list}");
}

#[test]
fn export_then_import_round_trips_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for ext in ["csv", "json"] {
        let file = out.path().join(format!("catalog.{ext}"));
        let file = file.to_str().unwrap();
        assert!(anchordesk(dir.path(), &["products", "export", file]).status.success());
        let other = tempfile::tempdir().unwrap();
        let output = anchordesk(other.path(), &["products", "import", file]);
        assert!(output.status.success(), "{}", stderr(&output));
        // The samples were seeded in `other` too, so every exported row is an update.
        assert!(stdout(&output).contains("0 new, 8 updated"), "{}", stdout(&output));
    }
}

#[test]
fn a_refused_database_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("anchordesk.sqlite3"), "not a database").unwrap();
    let output = anchordesk(dir.path(), &["products", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("anchordesk.sqlite3 is not an AnchorDesk database"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("anchordesk.sqlite3")).unwrap(), "not a database");
}

#[test]
fn unknown_file_type_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = anchordesk(dir.path(), &["products", "import", "catalog.pdf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("use .csv, .xlsx or .json"), "{}", stderr(&output));
}

/// Kills the importer with SIGKILL while its one transaction is being written: the database
/// must stay readable and hold all or none of the import.
#[test]
fn kill_9_during_a_bulk_import_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.csv");
    let n_rows = 200_000;
    let mut text = String::from("sku,name,origin,spec,price,stock,selling_points\n");
    for i in 0..n_rows {
        text.push_str(&format!("BULK-{i},批量商品{i},产地{i},规格,{}.{:02},{},卖点一条比较长的文字用来让数据库页写得更多一些{i}\n", i % 900, i % 100, i % 50));
    }
    std::fs::write(&big, text).unwrap();
    let data = dir.path().join("data");
    // Create the database (and the samples) first, so the WAL we watch is the import's.
    assert!(anchordesk(&data, &["products", "list"]).status.success());
    let n_before = count_products(&data);

    let mut child = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .arg("--data-dir")
        .arg(&data)
        .args(["products", "import"])
        .arg(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wal = data.join("anchordesk.sqlite3-wal");
    let started = Instant::now();
    let mut killed_mid_write = false;
    while started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::fs::metadata(&wal).map(|m| m.len() > 2 * 1024 * 1024).unwrap_or(false) {
            child.kill().unwrap(); // SIGKILL on Unix
            killed_mid_write = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait().unwrap();
    assert!(killed_mid_write, "the import finished before it could be killed; make the file bigger");

    let n_after = count_products(&data);
    assert!(
        n_after == n_before || n_after == n_before + n_rows,
        "partial import: {n_before} before, {n_after} after"
    );
    let store = anchordesk_core::Store::open(&data.join("anchordesk.sqlite3")).unwrap();
    assert!(store.integrity_ok().unwrap());
}

fn count_products(data: &Path) -> usize {
    let output = anchordesk(data, &["products", "list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout).unwrap().len()
}
