use super::*;
use crate::roster::RosterStudent;
use crate::{AttemptFacts, LintFact, FindingSource, Rubric, Severity, SigningKey, Student, embedded_scenarios, grade, model_attempt, sign};

fn roster() -> Roster {
    let student = |id: &str, name: &str| RosterStudent { id: id.into(), name: name.into(), class: "电商1班".into(), key_fingerprint: String::new() };
    Roster { students: vec![student("001", "张三"), student("002", "李四"), student("003", "王五")] }
}

fn facts(id: &str, name: &str, day: u32) -> AttemptFacts {
    let scenario = embedded_scenarios().into_iter().next().unwrap();
    let student = Student { id: id.into(), name: name.into() };
    model_attempt(&scenario, student, &format!("2026-03-0{day}T09:00:00+08:00"), "")
}

fn file(facts: &AttemptFacts, key_seed: u8) -> Vec<u8> {
    let scenario = embedded_scenarios().into_iter().next().unwrap();
    let report = grade(&scenario, &Rubric::default_rubric(), facts).unwrap();
    sign(&report, facts, &SigningKey::from_bytes(&[key_seed; 32])).to_json_bytes()
}

fn lowest_price(at_ms: i64) -> LintFact {
    LintFact {
        source: FindingSource::Live,
        rule_id: "zh.absolute.lowest-price".into(),
        severity: Severity::Error,
        excerpt: "全网最低价".into(),
        at_ms: Some(at_ms),
        law: Some("CN-AD-9-3".into()),
    }
}

fn row<'a>(table: &'a ClassTable, id: &str) -> &'a ClassRow {
    table.rows.iter().find(|r| r.student_id == id).unwrap()
}

#[test]
fn one_row_per_student_with_the_latest_attempt_and_the_count() {
    let mut first = facts("001", "张三", 1);
    first.products[0].price_stated = false;
    let second = facts("001", "张三", 2);
    let mut other = facts("002", "李四", 1);
    other.lint_findings.push(lowest_price(1000));
    other.lint_findings.push(lowest_price(2000));
    let submissions = vec![
        ("zhang-2.json".to_string(), file(&second, 1)),
        ("zhang-1.json".to_string(), file(&first, 1)),
        ("li.json".to_string(), file(&other, 2)),
    ];
    let table = ClassTable::build(Some(&roster()), submissions);
    assert_eq!(table.rows.len(), 3);
    let zhang = row(&table, "001");
    assert_eq!((zhang.status, zhang.attempts, zhang.total), (RowStatus::Submitted, 2, Some(100.0)));
    assert_eq!(zhang.latest_file.as_deref(), Some("zhang-2.json"));
    assert_eq!(zhang.scores.len(), 6);
    let li = row(&table, "002");
    assert_eq!(li.scores[0], Some(60), "two live errors at 20 points each");
    assert_eq!(row(&table, "003").status, RowStatus::Missing);
    assert_eq!(row(&table, "003").total, None);
    assert_eq!(table.common_mistakes.len(), 1);
    assert_eq!(table.common_mistakes[0].count, 2);
    assert_eq!(table.common_mistakes[0].students, ["002"]);
    assert!(!table.has_problems());
    assert_eq!(table.pins.len(), 2);
}

#[test]
fn an_edited_file_marks_the_row_tampered_and_names_the_file() {
    let good = facts("001", "张三", 1);
    let text = String::from_utf8(file(&facts("002", "李四", 1), 2)).unwrap();
    let edited = text.replacen("\"orders\": 12", "\"orders\": 99", 1);
    assert!(edited != text);
    let submissions = vec![
        ("zhang.json".to_string(), file(&good, 1)),
        ("li.json".to_string(), edited.into_bytes()),
        ("junk.json".to_string(), b"not json".to_vec()),
    ];
    let table = ClassTable::build(Some(&roster()), submissions);
    let li = row(&table, "002");
    assert_eq!(li.status, RowStatus::Tampered);
    assert_eq!(li.problem_files, ["li.json"]);
    assert_eq!(li.total, None, "nothing trusted from a tampered file");
    assert!(table.has_problems());
    let names: Vec<&str> = table.problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(names, ["junk.json", "li.json"]);
    assert!(!table.problems[0].tampered && table.problems[1].tampered);
    assert_eq!(table.problems[1].message_zh, "成绩单在签名后被修改过，请勿采信");
}

#[test]
fn a_second_key_for_a_student_is_flagged_and_not_counted() {
    let first = facts("001", "张三", 1);
    let mut resigned = facts("001", "张三", 2);
    resigned.audience.orders = 0;
    let submissions =
        vec![("a.json".to_string(), file(&first, 1)), ("b.json".to_string(), file(&resigned, 9))];
    let table = ClassTable::build(Some(&roster()), submissions.clone());
    let zhang = row(&table, "001");
    assert_eq!(zhang.status, RowStatus::KeyChanged);
    assert_eq!(zhang.problem_files, ["b.json"]);
    assert_eq!((zhang.attempts, zhang.total), (1, Some(100.0)));
    assert!(table.has_problems());

    // A pin from an earlier session wins over the first key seen now.
    let pins = KeyPins::from([("001".to_string(), table.pins["001"].clone())]);
    let only_new = vec![("b.json".to_string(), file(&resigned, 9))];
    let table = ClassTable::build_with_pins(Some(&roster()), only_new, &pins);
    assert_eq!(row(&table, "001").status, RowStatus::KeyChanged);
    assert_eq!(row(&table, "001").attempts, 0);
}

#[test]
fn a_student_not_on_the_roster_is_listed_as_unknown() {
    let stranger = facts("999", "路人", 1);
    let table = ClassTable::build(Some(&roster()), vec![("x.json".to_string(), file(&stranger, 3))]);
    assert_eq!(row(&table, "999").status, RowStatus::UnknownStudent);
    assert_eq!(row(&table, "999").name, "路人");
    let table = ClassTable::build(None, vec![("x.json".to_string(), file(&stranger, 3))]);
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].status, RowStatus::Submitted, "without a roster nobody is unknown");
}

#[test]
fn sort_by_total_or_criterion_puts_missing_values_last_and_filter_by_band() {
    let mut low = facts("002", "李四", 1);
    low.audience.orders = 0;
    let submissions = vec![("a.json".to_string(), file(&facts("001", "张三", 1), 1)), ("b.json".to_string(), file(&low, 2))];
    let mut table = ClassTable::build(Some(&roster()), submissions);
    table.sort(SortKey::Total, false);
    let order: Vec<&str> = table.rows.iter().map(|r| r.student_id.as_str()).collect();
    assert_eq!(order, ["002", "001", "003"]);
    table.sort(SortKey::Total, true);
    let order: Vec<&str> = table.rows.iter().map(|r| r.student_id.as_str()).collect();
    assert_eq!(order, ["001", "002", "003"]);
    table.sort(SortKey::parse("audience").unwrap(), false);
    assert_eq!(table.rows[0].student_id, "002");
    table.sort(SortKey::Name, false);
    assert_eq!(table.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["张三", "李四", "王五"]);
    let mut band = table.clone();
    band.retain(&RowFilter { min_total: Some(90.0), max_total_exclusive: Some(100.0), ..RowFilter::default() });
    assert_eq!(band.rows.iter().map(|r| r.student_id.as_str()).collect::<Vec<_>>(), ["002"]);
    table.retain(&RowFilter { statuses: vec![RowStatus::Missing], ..RowFilter::default() });
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].student_id, "003");
}

#[test]
fn csv_has_a_bom_and_chinese_headers_and_text_is_aligned_by_display_width() {
    let table = ClassTable::build(Some(&roster()), vec![("a.json".to_string(), file(&facts("001", "张三", 1), 1))]);
    let csv = table.to_csv();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("\u{feff}学号,姓名,班级,状态,提交次数,总分,合规,风险事件处置"), "{text}");
    assert!(text.contains("001,张三,电商1班,已提交,1,100.0,100,100,100,100,100,100,"), "{text}");
    assert!(text.contains("003,王五,电商1班,未提交,0,,,,,,,,"), "{text}");
    let lines: Vec<String> = table.to_text().lines().map(str::to_string).collect();
    let column = |line: &str| line[..line.find("电商1班").unwrap()].width();
    assert_eq!(column(&lines[1]), column(&lines[3]));
    let json: serde_json::Value = serde_json::from_slice(&table.to_json()).unwrap();
    assert_eq!(json["rows"][0]["status"], "submitted");
    assert_eq!(json["criteria"][1]["id"], "risky_events");
}

#[test]
fn a_grade_written_higher_than_its_facts_give_is_re_computed_and_marked() {
    let scenarios = embedded_scenarios();
    let scenario = scenarios[0].clone();
    let rubric = Rubric::default_rubric();
    // The student said 全网最低价 on air: the facts say so, and the honest grade is lower.
    let mut honest = facts("001", "张三", 1);
    honest.lint_findings.push(lowest_price(1000));
    let true_grade = grade(&scenario, &rubric, &honest).unwrap();
    // The student edits the grade (not the facts) and signs the file with the desk's key,
    // which is theirs to read.
    let mut forged = true_grade.clone();
    forged.total = 100.0;
    for criterion in &mut forged.criteria {
        criterion.score = 100;
    }
    let key = SigningKey::from_bytes(&[1; 32]);
    let submissions = vec![
        ("zhang.json".to_string(), sign(&forged, &honest, &key).to_json_bytes()),
        ("li.json".to_string(), file(&facts("002", "李四", 1), 2)),
    ];
    let regrade = Regrade { scenarios: &scenarios, rubric: &rubric };
    let table = ClassTable::build_checked(Some(&roster()), submissions.clone(), &KeyPins::new(), KeyTrust::FirstUse, Some(&regrade));
    let zhang = row(&table, "001");
    assert_eq!(zhang.status, RowStatus::GradeMismatch);
    assert_eq!(zhang.total, Some(true_grade.total), "the table shows what the facts give");
    assert!(zhang.regrade_notes.iter().any(|n| n.contains("→")), "{:?}", zhang.regrade_notes);
    assert_eq!(row(&table, "002").status, RowStatus::Submitted, "an honest report re-grades to itself");
    assert!(row(&table, "002").regrade_notes.is_empty());
    assert!(table.has_problems());
    // Without re-grading the forged total would have been taken on trust.
    let trusting = ClassTable::build(Some(&roster()), submissions);
    assert_eq!(row(&trusting, "001").total, Some(100.0));
}

#[test]
fn a_registered_key_decides_and_without_one_nothing_counts_unless_first_use_is_chosen() {
    let mut roster = roster();
    roster.students[0].key_fingerprint = crate::signing_key_fingerprint(&SigningKey::from_bytes(&[1; 32]));
    let submissions = vec![
        ("zhang-own.json".to_string(), file(&facts("001", "张三", 1), 1)),
        // Signed first, by someone else: trust on first use would have pinned this key.
        ("zhang-other.json".to_string(), file(&facts("001", "张三", 0), 7)),
        ("li.json".to_string(), file(&facts("002", "李四", 1), 2)),
    ];
    let table = ClassTable::build_checked(Some(&roster), submissions.clone(), &KeyPins::new(), KeyTrust::Registered, None);
    let zhang = row(&table, "001");
    assert_eq!(zhang.status, RowStatus::KeyChanged);
    assert_eq!(zhang.problem_files, ["zhang-other.json"]);
    assert_eq!(zhang.attempts, 1);
    let li = row(&table, "002");
    assert_eq!(li.status, RowStatus::KeyUnregistered);
    assert_eq!((li.attempts, li.total), (0, None));
    assert!(table.has_problems());
    // Trust on first use, chosen: 李四's key is pinned; 张三's registered key still decides.
    let table = ClassTable::build_checked(Some(&roster), submissions, &KeyPins::new(), KeyTrust::FirstUse, None);
    assert_eq!(row(&table, "002").status, RowStatus::Submitted);
    assert_eq!(row(&table, "001").status, RowStatus::KeyChanged);
    assert!(!table.pins.contains_key("001"), "a registered student is not pinned");
}

#[test]
fn fingerprints_are_read_in_any_case_and_grouping() {
    let fingerprint = crate::signing_key_fingerprint(&SigningKey::from_bytes(&[1; 32]));
    assert_eq!(fingerprint.len(), 19);
    assert_eq!(crate::normalize_fingerprint(&fingerprint.to_lowercase().replace('-', " ")), Some(fingerprint.clone()));
    assert_eq!(crate::normalize_fingerprint(&fingerprint.replace('-', "")), Some(fingerprint));
    assert_eq!(crate::normalize_fingerprint("3F2A-91C0"), None);
    assert_eq!(crate::normalize_fingerprint("ZZZZ-91C0-5B7E-D406"), None);
}

#[test]
fn one_fingerprint_is_registered_for_one_student_only() {
    let fingerprint = crate::signing_key_fingerprint(&SigningKey::from_bytes(&[1; 32]));
    let csv = format!("学号,姓名,公钥指纹\n001,张三,{fingerprint}\n002,李四,{}\n", fingerprint.to_lowercase());
    let import = crate::read_roster(csv.as_bytes(), crate::RosterFormat::Csv).unwrap();
    assert_eq!(import.roster.students.len(), 1);
    assert_eq!(import.errors.len(), 1);
    assert!(import.errors[0].message.contains("第 2 行学号 001"), "{}", import.errors[0].message);
}
