//! `anchordesk course` run as a real binary, the way a teacher grades a folder of reports.

use std::path::Path;
use std::process::{Command, Output};

use anchordesk_course::{
    AttemptFacts, Rubric, SigningKey, Student, embedded_scenarios, grade, model_attempt, sign,
};

fn anchordesk(args: &[&str]) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .env("ANCHORDESK_DATA_DIR", data_dir.path())
        .args(args)
        .output()
        .expect("running anchordesk")
}

fn facts(id: &str, name: &str, orders: u32) -> AttemptFacts {
    let scenario = embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap();
    let student = Student { id: id.into(), name: name.into() };
    let mut facts =
        model_attempt(&scenario, student, "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00");
    facts.audience.orders = orders;
    facts
}

fn write_report(dir: &Path, file: &str, facts: &AttemptFacts, key_seed: u8) {
    let scenario = embedded_scenarios().into_iter().find(|s| s.id == facts.scenario_id).unwrap();
    let report = grade(&scenario, &Rubric::default_rubric(), facts).unwrap();
    let signed = sign(&report, facts, &SigningKey::from_bytes(&[key_seed; 32]));
    std::fs::write(dir.join(file), signed.to_json_bytes()).unwrap();
}

fn class_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_report(dir.path(), "2024001-张三.json", &facts("2024001", "张三", 12), 1);
    write_report(dir.path(), "2024002-李四.json", &facts("2024002", "李四", 6), 2);
    std::fs::write(dir.path().join("notes.txt"), "not a report").unwrap();
    // The keys' fingerprints as the students' desks show them, collected by the teacher.
    let fingerprint = |seed: u8| anchordesk_course::signing_key_fingerprint(&SigningKey::from_bytes(&[seed; 32]));
    std::fs::write(
        dir.path().join("roster.csv"),
        format!(
            "学号,姓名,班级,公钥指纹\n2024001,张三,电商1班,{}\n2024002,李四,电商1班,{}\n2024003,王五,电商1班,\n,空学号,电商1班,\n",
            fingerprint(1),
            fingerprint(2).to_lowercase().replace('-', " ")
        ),
    )
    .unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn scenarios_lists_the_shipped_scenarios_and_a_teachers_folder() {
    let dir = tempfile::tempdir().unwrap();
    let source = anchordesk_course::EMBEDDED[0].1.replacen("id = \"orange-organic\"", "id = \"my-oranges\"", 1);
    std::fs::write(dir.path().join("mine.toml"), source).unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = \"x\"\nversion = \"one\"\n").unwrap();
    let output = anchordesk(&["course", "scenarios", "--dir", dir.path().to_str().unwrap()]);
    let stdout = text(&output.stdout);
    for id in ["orange-organic", "honey-health", "tea-off-platform", "rice-stock-out", "county-charity", "my-oranges"] {
        assert!(stdout.contains(id), "{stdout}");
    }
    assert_eq!(output.status.code(), Some(1), "a broken teacher's file is a problem");
    assert!(text(&output.stderr).contains("broken.toml:2:11:"), "{}", text(&output.stderr));
}

#[test]
fn grade_prints_the_class_table_sorted_by_total_and_exits_zero() {
    let dir = class_folder();
    let roster = dir.path().join("roster.csv");
    let output = anchordesk(&["course", "grade", dir.path().to_str().unwrap(), "--roster", roster.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("学号") && lines[0].contains("风险事件处置"), "{stdout}");
    assert!(lines[1].starts_with("2024001") && lines[1].contains("100.0"), "{stdout}");
    assert!(lines[2].starts_with("2024002") && lines[2].contains("已提交"), "{stdout}");
    assert!(lines[3].starts_with("2024003") && lines[3].contains("未提交"), "{stdout}");
    assert!(text(&output.stderr).contains("roster.csv:5: 学号为空"), "bad roster rows are reported");
}

#[test]
fn grade_with_an_edited_report_exits_non_zero_and_names_the_file() {
    let dir = class_folder();
    let path = dir.path().join("2024002-李四.json");
    let edited = text(&std::fs::read(&path).unwrap()).replacen("\"orders\": 6", "\"orders\": 60", 1);
    std::fs::write(&path, edited).unwrap();
    std::fs::write(dir.path().join("garbage.json"), "{ oops").unwrap();
    let roster = dir.path().join("roster.csv");
    let output = anchordesk(&[
        "course",
        "grade",
        dir.path().to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("2024002-李四.json: the report was edited after it was signed"), "{stderr}");
    assert!(stderr.contains("garbage.json: the file is not a readable report"), "{stderr}");
    assert!(!stderr.contains("2024001"), "the good file is not named: {stderr}");
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let li = table["rows"].as_array().unwrap().iter().find(|r| r["studentId"] == "2024002").unwrap();
    assert_eq!(li["status"], "tampered");
    assert_eq!(li["problemFiles"][0], "2024002-李四.json");
}

#[test]
fn grade_as_csv_sorted_by_a_criterion_and_filtered_by_status() {
    let dir = class_folder();
    let roster = dir.path().join("roster.csv");
    let output = anchordesk(&[
        "course",
        "grade",
        dir.path().to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--format",
        "csv",
        "--sort",
        "audience",
        "--status",
        "submitted",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.starts_with(b"\xEF\xBB\xBF"));
    let csv = text(&output.stdout);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].starts_with("2024001,张三") && rows[1].starts_with("2024002,李四"), "{csv}");

    let output = anchordesk(&["course", "grade", dir.path().to_str().unwrap(), "--sort", "charisma"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown column \"charisma\""));
}

#[test]
fn show_prints_a_verified_report_as_html_and_refuses_an_edited_one() {
    let dir = class_folder();
    let path = dir.path().join("2024001-张三.json");
    let output = anchordesk(&["course", "show", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("直播演练成绩单"));
    let edited = text(&std::fs::read(&path).unwrap()).replacen("张三", "张叁", 1);
    std::fs::write(&path, edited).unwrap();
    let output = anchordesk(&["course", "show", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("成绩单在签名后被修改过"));
}

#[test]
fn grade_re_computes_a_grade_written_higher_than_its_facts_and_exits_non_zero() {
    let dir = class_folder();
    // 张三's facts give one grade; the file says full marks, re-signed with his own key.
    let honest = facts("2024001", "张三", 1);
    let scenario = embedded_scenarios().into_iter().find(|s| s.id == honest.scenario_id).unwrap();
    let mut written = grade(&scenario, &Rubric::default_rubric(), &honest).unwrap();
    let true_total = written.total;
    written.total = 100.0;
    for criterion in &mut written.criteria {
        criterion.score = 100;
    }
    let signed = sign(&written, &honest, &SigningKey::from_bytes(&[1; 32]));
    std::fs::write(dir.path().join("2024001-张三.json"), signed.to_json_bytes()).unwrap();
    let output = anchordesk(&["course", "grade", &dir.path().display().to_string(), "--format", "json", "--trust-first-key"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("→"), "{}", text(&output.stderr));
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let zhang = table["rows"].as_array().unwrap().iter().find(|r| r["studentId"] == "2024001").unwrap();
    assert_eq!(zhang["status"], "gradeMismatch");
    assert!((zhang["total"].as_f64().unwrap() - true_total).abs() < 0.01, "{zhang}");
}

#[test]
fn only_keys_registered_in_the_roster_count_unless_the_teacher_trusts_first_use() {
    let dir = class_folder();
    let roster = dir.path().join("roster.csv");
    // Someone else signs a report in 张三's name with their own key; 王五 hands one in with a
    // key the roster does not register.
    write_report(dir.path(), "2024001-张三-重交.json", &{
        let mut late = facts("2024001", "张三", 30);
        late.started_at = "2026-03-09T09:00:00+08:00".into();
        late
    }, 9);
    write_report(dir.path(), "2024003-王五.json", &facts("2024003", "王五", 3), 3);
    let grade = |extra: &[&str]| {
        let mut args = vec!["course", "grade", dir.path().to_str().unwrap(), "--roster", roster.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        anchordesk(&args)
    };
    let output = grade(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = |id: &str| table["rows"].as_array().unwrap().iter().find(|r| r["studentId"] == id).unwrap().clone();
    assert_eq!(row("2024001")["status"], "keyChanged");
    assert_eq!(row("2024001")["problemFiles"][0], "2024001-张三-重交.json");
    assert_eq!(row("2024001")["attempts"], 1, "only the report signed with the registered key counts");
    assert_eq!(row("2024002")["status"], "submitted", "a fingerprint typed in lower case with spaces still matches");
    assert_eq!(row("2024003")["status"], "keyUnregistered");
    assert!(row("2024003")["total"].is_null(), "an unregistered key's report does not count");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("student 2024003: no key fingerprint in the roster") && stderr.contains("--trust-first-key"), "{stderr}");

    // The teacher's explicit choice: 王五's first key is trusted; 张三's registered key still rules.
    let output = grade(&["--trust-first-key"]);
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = |id: &str| table["rows"].as_array().unwrap().iter().find(|r| r["studentId"] == id).unwrap().clone();
    assert_eq!(row("2024003")["status"], "submitted");
    assert_eq!(row("2024001")["status"], "keyChanged");
}

#[test]
fn a_roster_fingerprint_that_is_not_one_is_reported_with_its_line() {
    let dir = class_folder();
    let roster = dir.path().join("bad-roster.csv");
    std::fs::write(&roster, "学号,姓名,公钥指纹\n2024001,张三,not-a-key\n2024002,李四,\n").unwrap();
    let output = anchordesk(&["course", "grade", dir.path().to_str().unwrap(), "--roster", roster.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad-roster.csv:2: 学号 2024001 的公钥指纹“not-a-key”不是 16 位十六进制"), "{stderr}");
}
