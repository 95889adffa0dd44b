//! The teacher's class table (班级成绩表): a roster and a folder of signed report files in,
//! one row per student out.
//!
//! A signature only proves that *some* key signed a file. Which key is a student's: the one
//! whose fingerprint the roster registers for them (a 公钥指纹 column the class collects from
//! each desk), or, only when the teacher chooses [`KeyTrust::FirstUse`], the first key seen
//! for the student (the earliest attempt, or a key pinned in an earlier session and passed in
//! as [`KeyPins`]). A file signed by another key is [`RowStatus::KeyChanged`]; a student with
//! no registered key under [`KeyTrust::Registered`] is [`RowStatus::KeyUnregistered`]. Such
//! files do not count towards the scores.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthStr;

use crate::grade::GradedReport;
use crate::roster::Roster;
use crate::rubric::CriterionId;
use crate::sign::{VerifiedReport, VerifyError, verify};

/// Student id → the public key (hex) first seen for them.
pub type KeyPins = BTreeMap<String, String>;

/// A row's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum RowStatus {
    /// At least one valid report.
    Submitted,
    /// On the roster, no file.
    Missing,
    /// A file naming this student was edited or forged (see `problem_files`).
    Tampered,
    /// Valid reports from a student not on the roster.
    UnknownStudent,
    /// A file was signed by a key other than the one pinned for this student.
    KeyChanged,
    /// The grade written in the latest report is not what its facts give under the
    /// scenario and the class's rubric (see `regrade_notes`); the table shows the re-computed one.
    GradeMismatch,
    /// Reports came in, but the roster registers no key for this student (and the teacher
    /// did not choose trust on first use): they do not count until the key is registered.
    KeyUnregistered,
}

/// Which key the table accepts for a student the roster registers no key for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum KeyTrust {
    /// Only keys registered in the roster (the default).
    #[default]
    Registered,
    /// The first key seen for the student, pinned from then on (the teacher's explicit
    /// choice, for a class that has not collected fingerprints).
    FirstUse,
}

impl RowStatus {
    /// Every status, in the order the CLI lists them.
    pub const ALL: [RowStatus; 7] = [
        RowStatus::Submitted,
        RowStatus::Missing,
        RowStatus::Tampered,
        RowStatus::UnknownStudent,
        RowStatus::KeyChanged,
        RowStatus::KeyUnregistered,
        RowStatus::GradeMismatch,
    ];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            RowStatus::Submitted => "已提交",
            RowStatus::Missing => "未提交",
            RowStatus::Tampered => "被篡改",
            RowStatus::UnknownStudent => "不在名单",
            RowStatus::KeyChanged => "密钥变更",
            RowStatus::GradeMismatch => "分数不符",
            RowStatus::KeyUnregistered => "密钥未登记",
        }
    }

    /// The id used on the command line and in JSON, e.g. `keyChanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Submitted => "submitted",
            RowStatus::Missing => "missing",
            RowStatus::Tampered => "tampered",
            RowStatus::UnknownStudent => "unknownStudent",
            RowStatus::KeyChanged => "keyChanged",
            RowStatus::GradeMismatch => "gradeMismatch",
            RowStatus::KeyUnregistered => "keyUnregistered",
        }
    }
}

/// A column of criterion scores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CriterionColumn {
    /// Which criterion.
    pub id: CriterionId,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
}

/// One student's row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassRow {
    /// Student number.
    pub student_id: String,
    /// Name (from the roster, else from the report).
    pub name: String,
    /// Class, from the roster.
    pub class: String,
    /// Status.
    pub status: RowStatus,
    /// Scores of the latest trusted attempt, aligned with `ClassTable::criteria`.
    pub scores: Vec<Option<u32>>,
    /// Total of the latest trusted attempt.
    pub total: Option<f64>,
    /// Trusted attempts.
    pub attempts: u32,
    /// Scenario of the latest trusted attempt.
    pub scenario_id: Option<String>,
    /// File of the latest trusted attempt.
    pub latest_file: Option<String>,
    /// Files that were tampered with or signed by a changed key.
    pub problem_files: Vec<String>,
    /// What re-grading the latest report from its facts found: each criterion whose
    /// written score differs (written → re-computed), or why it could not be re-graded.
    pub regrade_notes: Vec<String>,
}

/// What the class table re-grades each student's latest report with: the scenarios the
/// class uses and the class's rubric. The score written in a file is never taken on trust.
#[derive(Debug, Clone, Copy)]
pub struct Regrade<'a> {
    /// The scenarios of the class (the shipped ones and the teacher's own).
    pub scenarios: &'a [crate::Scenario],
    /// The class's rubric.
    pub rubric: &'a crate::Rubric,
}

impl Regrade<'_> {
    /// The report re-computed from its facts, and the differences from the written one; or
    /// why it could not be re-graded.
    fn check(&self, written: &GradedReport, facts: &crate::AttemptFacts) -> Result<(GradedReport, Vec<String>), String> {
        let scenario = self
            .scenarios
            .iter()
            .find(|s| s.id == written.scenario_id)
            .ok_or_else(|| format!("scenario {} is not in this class's scenarios: not re-graded", written.scenario_id))?;
        let recomputed = crate::grade(scenario, self.rubric, facts).map_err(|err| format!("not re-graded: {err}"))?;
        let mut differences = Vec::new();
        for score in &recomputed.criteria {
            let was = written.criterion(score.id).map(|c| c.score);
            if was != Some(score.score) {
                let was = was.map_or_else(|| "—".to_owned(), |w| w.to_string());
                differences.push(format!("{} / {}: {was} → {}", score.title_zh, score.title_en, score.score));
            }
        }
        if (recomputed.total - written.total).abs() > 0.05 {
            differences.push(format!("总分 / total: {:.1} → {:.1}", written.total, recomputed.total));
        }
        Ok((recomputed, differences))
    }
}

/// A file that was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FileProblem {
    /// The file's name.
    pub file: String,
    /// The student the file claims to be from, if it could be read.
    pub student_id: Option<String>,
    /// True when the file was readable but edited or forged.
    pub tampered: bool,
    /// English message (for logs and the CLI).
    pub message: String,
    /// Chinese message for the teacher.
    pub message_zh: String,
}

/// A linter rule broken across the class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassMistake {
    /// Rule id.
    pub rule_id: String,
    /// Findings in the latest attempts, summed.
    pub count: u32,
    /// Students who made it, sorted.
    pub students: Vec<String>,
}

/// A column to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Student number.
    StudentId,
    /// Name (by code point; no pinyin collation).
    Name,
    /// Class.
    Class,
    /// Total.
    Total,
    /// Number of attempts.
    Attempts,
    /// Status.
    Status,
    /// One criterion's score.
    Criterion(CriterionId),
}

impl SortKey {
    /// Parses `student_id`, `name`, `class`, `total`, `attempts`, `status` or a criterion id.
    pub fn parse(text: &str) -> Option<SortKey> {
        Some(match text {
            "student_id" | "id" => SortKey::StudentId,
            "name" => SortKey::Name,
            "class" => SortKey::Class,
            "total" => SortKey::Total,
            "attempts" => SortKey::Attempts,
            "status" => SortKey::Status,
            other => SortKey::Criterion(CriterionId::parse(other)?),
        })
    }
}

/// Which rows to keep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowFilter {
    /// Keep only these statuses; empty keeps all.
    pub statuses: Vec<RowStatus>,
    /// Keep rows whose total is at least this (rows without a total are dropped).
    pub min_total: Option<f64>,
    /// Keep rows whose total is below this (rows without a total are dropped).
    pub max_total_exclusive: Option<f64>,
}

/// The class table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassTable {
    /// The criterion columns, in rubric order.
    pub criteria: Vec<CriterionColumn>,
    /// One row per student.
    pub rows: Vec<ClassRow>,
    /// Files not accepted, by file name.
    pub problems: Vec<FileProblem>,
    /// The most common linter mistakes in the latest attempts, most students first.
    pub common_mistakes: Vec<ClassMistake>,
    /// The key pins after this build (old pins plus keys first seen now); the app stores them.
    pub pins: KeyPins,
}

struct Attempt {
    file: String,
    verified: VerifiedReport,
}

impl ClassTable {
    /// Builds the table with no earlier key pins, trusting first-seen keys for students the
    /// roster registers no key for. `roster: None` lists whoever submitted.
    pub fn build(roster: Option<&Roster>, submissions: Vec<(String, Vec<u8>)>) -> ClassTable {
        ClassTable::build_with_pins(roster, submissions, &KeyPins::new())
    }

    /// Builds the table, trusting `pins` (from an earlier session) over first-seen keys.
    pub fn build_with_pins(roster: Option<&Roster>, submissions: Vec<(String, Vec<u8>)>, pins: &KeyPins) -> ClassTable {
        ClassTable::build_checked(roster, submissions, pins, KeyTrust::FirstUse, None)
    }

    /// Builds the table with the teacher's key policy, re-grading each student's latest
    /// report from its facts with `regrade`: a written grade that differs marks the row
    /// [`RowStatus::GradeMismatch`] and the table shows the re-computed grade.
    pub fn build_checked(
        roster: Option<&Roster>,
        mut submissions: Vec<(String, Vec<u8>)>,
        pins: &KeyPins,
        trust: KeyTrust,
        regrade: Option<&Regrade<'_>>,
    ) -> ClassTable {
        submissions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut by_student: BTreeMap<String, Vec<Attempt>> = BTreeMap::new();
        let mut problems = Vec::new();
        for (file, bytes) in submissions {
            match verify(&bytes) {
                Ok(verified) => {
                    by_student.entry(verified.report.student.id.clone()).or_default().push(Attempt { file, verified })
                }
                Err(err) => problems.push(problem(file, &bytes, &err)),
            }
        }
        let mut pins = pins.clone();
        let mut rows = Vec::new();
        let mut latest: Vec<&GradedReport> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let roster_ids: Vec<&str> = roster.map(|r| r.students.iter().map(|s| s.id.as_str()).collect()).unwrap_or_default();
        let unknown_ids: Vec<&str> =
            by_student.keys().map(String::as_str).filter(|id| !roster_ids.contains(id)).collect();
        for id in roster_ids.iter().chain(unknown_ids.iter()) {
            seen.insert(id.to_string());
        }
        // Tampered files whose claimed student submitted nothing valid still get a row.
        let orphan_ids: Vec<String> = problems
            .iter()
            .filter_map(|p: &FileProblem| p.student_id.clone())
            .filter(|id| !seen.contains(id))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let all_ids: Vec<String> = roster_ids
            .iter()
            .chain(unknown_ids.iter())
            .map(|s| s.to_string())
            .chain(orphan_ids)
            .collect();
        let mut attempts_of: BTreeMap<String, Vec<Attempt>> = by_student;
        let mut trusted_latest: BTreeMap<String, GradedReport> = BTreeMap::new();
        for id in &all_ids {
            let on_roster = roster.and_then(|r| r.student(id));
            let mut attempts = attempts_of.remove(id).unwrap_or_default();
            attempts.sort_by(|a, b| {
                a.verified.report.started_at.cmp(&b.verified.report.started_at).then(a.file.cmp(&b.file))
            });
            let mut problem_files: Vec<String> = problems
                .iter()
                .filter(|p| p.tampered && p.student_id.as_deref() == Some(id.as_str()))
                .map(|p| p.file.clone())
                .collect();
            let tampered = !problem_files.is_empty();
            let mut key_changed = false;
            let mut key_unregistered = false;
            let mut trusted: Vec<&Attempt> = Vec::new();
            let registered = on_roster.map(|s| s.key_fingerprint.as_str()).filter(|k| !k.is_empty());
            if let Some(first) = attempts.first() {
                // The key this student signs with: registered in the roster, else (only by
                // the teacher's choice) the first one seen.
                let accepted: Option<String> = match (registered, trust) {
                    (Some(fingerprint), _) => Some(fingerprint.to_string()),
                    (None, KeyTrust::FirstUse) => {
                        let pinned = pins.entry(id.clone()).or_insert_with(|| first.verified.public_key.clone());
                        Some(crate::sign::key_fingerprint(pinned))
                    }
                    (None, KeyTrust::Registered) => None,
                };
                for attempt in &attempts {
                    match &accepted {
                        Some(fingerprint) if crate::sign::key_fingerprint(&attempt.verified.public_key) == *fingerprint => trusted.push(attempt),
                        Some(_) => {
                            key_changed = true;
                            problem_files.push(attempt.file.clone());
                        }
                        None => {
                            key_unregistered = true;
                            problem_files.push(attempt.file.clone());
                        }
                    }
                }
            }
            let latest_attempt = trusted.last();
            // The written grade is re-computed from the facts; the table shows what they give.
            let mut regrade_notes = Vec::new();
            let mut mismatch = false;
            let mut shown: Option<GradedReport> = latest_attempt.map(|a| a.verified.report.clone());
            if let (Some(attempt), Some(regrade)) = (latest_attempt, regrade) {
                match regrade.check(&attempt.verified.report, &attempt.verified.facts) {
                    Ok((recomputed, differences)) => {
                        mismatch = !differences.is_empty();
                        regrade_notes = differences;
                        shown = Some(recomputed);
                    }
                    Err(why) => regrade_notes.push(why),
                }
            }
            let status = if tampered {
                RowStatus::Tampered
            } else if key_changed {
                RowStatus::KeyChanged
            } else if mismatch {
                RowStatus::GradeMismatch
            } else if roster.is_some() && on_roster.is_none() {
                RowStatus::UnknownStudent
            } else if key_unregistered {
                RowStatus::KeyUnregistered
            } else if latest_attempt.is_some() {
                RowStatus::Submitted
            } else {
                RowStatus::Missing
            };
            let name = on_roster
                .map(|s| s.name.clone())
                .or_else(|| attempts.first().map(|a| a.verified.report.student.name.clone()))
                .unwrap_or_default();
            if let Some(report) = &shown {
                trusted_latest.insert(id.clone(), report.clone());
            }
            rows.push(ClassRow {
                student_id: id.clone(),
                name,
                class: on_roster.map(|s| s.class.clone()).unwrap_or_default(),
                status,
                scores: Vec::new(),
                total: shown.as_ref().map(|r| r.total),
                attempts: trusted.len() as u32,
                scenario_id: latest_attempt.map(|a| a.verified.report.scenario_id.clone()),
                latest_file: latest_attempt.map(|a| a.file.clone()),
                problem_files,
                regrade_notes,
            });
        }
        latest.extend(trusted_latest.values());
        let criteria: Vec<CriterionColumn> = CriterionId::ALL
            .into_iter()
            .filter_map(|id| {
                let score = latest.iter().find_map(|r| r.criterion(id))?;
                Some(CriterionColumn { id, title_zh: score.title_zh.clone(), title_en: score.title_en.clone() })
            })
            .collect();
        for row in &mut rows {
            let report = trusted_latest.get(&row.student_id);
            row.scores = criteria
                .iter()
                .map(|column| report.and_then(|r| r.criterion(column.id)).map(|c| c.score))
                .collect();
        }
        let mut mistakes: BTreeMap<String, ClassMistake> = BTreeMap::new();
        for report in &latest {
            for mistake in &report.mistakes {
                let entry = mistakes.entry(mistake.rule_id.clone()).or_insert_with(|| ClassMistake {
                    rule_id: mistake.rule_id.clone(),
                    count: 0,
                    students: Vec::new(),
                });
                entry.count += mistake.count;
                if !entry.students.contains(&report.student.id) {
                    entry.students.push(report.student.id.clone());
                }
            }
        }
        let mut common_mistakes: Vec<ClassMistake> = mistakes.into_values().collect();
        for mistake in &mut common_mistakes {
            mistake.students.sort();
        }
        common_mistakes.sort_by(|a, b| {
            b.students.len().cmp(&a.students.len()).then(b.count.cmp(&a.count)).then(a.rule_id.cmp(&b.rule_id))
        });
        ClassTable { criteria, rows, problems, common_mistakes, pins }
    }

    /// Whether any file was tampered with or unreadable; the CLI exits non-zero then.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty() || self.rows.iter().any(|r| matches!(r.status, RowStatus::KeyChanged | RowStatus::GradeMismatch | RowStatus::KeyUnregistered))
    }

    /// Sorts the rows by a column; missing values go last in either direction. Ties keep
    /// student-number order.
    pub fn sort(&mut self, key: SortKey, descending: bool) {
        let criteria = self.criteria.clone();
        self.rows.sort_by(|a, b| a.student_id.cmp(&b.student_id));
        let value = |row: &ClassRow| -> Option<f64> {
            match key {
                SortKey::Total => row.total,
                SortKey::Attempts => Some(row.attempts as f64),
                SortKey::Criterion(id) => {
                    let idx = criteria.iter().position(|c| c.id == id)?;
                    row.scores.get(idx).copied().flatten().map(f64::from)
                }
                _ => None,
            }
        };
        self.rows.sort_by(|a, b| {
            let ordering = match key {
                SortKey::StudentId => a.student_id.cmp(&b.student_id),
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Class => a.class.cmp(&b.class),
                SortKey::Status => a.status.cmp(&b.status),
                _ => {
                    return match (value(a), value(b)) {
                        (Some(x), Some(y)) => {
                            let ordering = x.total_cmp(&y);
                            if descending { ordering.reverse() } else { ordering }
                        }
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    };
                }
            };
            if descending { ordering.reverse() } else { ordering }
        });
    }

    /// Drops the rows the filter does not keep.
    pub fn retain(&mut self, filter: &RowFilter) {
        self.rows.retain(|row| {
            (filter.statuses.is_empty() || filter.statuses.contains(&row.status))
                && filter.min_total.is_none_or(|min| row.total.is_some_and(|t| t >= min))
                && filter.max_total_exclusive.is_none_or(|max| row.total.is_some_and(|t| t < max))
        });
    }

    /// CSV for Excel: UTF-8 with BOM, Chinese headers.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let mut header: Vec<String> =
            ["学号", "姓名", "班级", "状态", "提交次数", "总分"].iter().map(|s| s.to_string()).collect();
        header.extend(self.criteria.iter().map(|c| c.title_zh.clone()));
        header.push("问题文件".into());
        writer.write_record(&header).expect("writing CSV to memory cannot fail");
        for row in &self.rows {
            let mut record = vec![
                row.student_id.clone(),
                row.name.clone(),
                row.class.clone(),
                row.status.label_zh().to_string(),
                row.attempts.to_string(),
                row.total.map(|t| format!("{t:.1}")).unwrap_or_default(),
            ];
            record.extend(row.scores.iter().map(|s| s.map(|s| s.to_string()).unwrap_or_default()));
            record.push(row.problem_files.join("; "));
            writer.write_record(&record).expect("writing CSV to memory cannot fail");
        }
        writer.into_inner().expect("flushing CSV to memory cannot fail")
    }

    /// Pretty JSON (camelCase), UTF-8.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a class table serializes to JSON")
    }

    /// Aligned text for a terminal, with CJK characters counted as two columns.
    pub fn to_text(&self) -> String {
        let mut header: Vec<String> =
            ["学号", "姓名", "班级", "状态", "次数", "总分"].iter().map(|s| s.to_string()).collect();
        header.extend(self.criteria.iter().map(|c| c.title_zh.clone()));
        let mut lines: Vec<Vec<String>> = vec![header];
        for row in &self.rows {
            let mut cells = vec![
                row.student_id.clone(),
                row.name.clone(),
                row.class.clone(),
                row.status.label_zh().to_string(),
                row.attempts.to_string(),
                row.total.map(|t| format!("{t:.1}")).unwrap_or_else(|| "-".into()),
            ];
            cells.extend(row.scores.iter().map(|s| s.map(|s| s.to_string()).unwrap_or_else(|| "-".into())));
            lines.push(cells);
        }
        let n_columns = lines[0].len();
        let widths: Vec<usize> =
            (0..n_columns).map(|idx| lines.iter().map(|l| l[idx].width()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for line in &lines {
            let mut text = String::new();
            for (idx, cell) in line.iter().enumerate() {
                text.push_str(cell);
                if idx + 1 < n_columns {
                    text.push_str(&" ".repeat(widths[idx] - cell.width() + 2));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        if !self.common_mistakes.is_empty() {
            out.push_str("\n常见违规（规则 · 次数 · 学生）:\n");
            for mistake in self.common_mistakes.iter().take(10) {
                let _ = writeln!(out, "  {} · {} · {}", mistake.rule_id, mistake.count, mistake.students.join(", "));
            }
        }
        for row in self.rows.iter().filter(|r| !r.problem_files.is_empty()) {
            let _ = writeln!(out, "{} {}: {}", row.status.label_zh(), row.student_id, row.problem_files.join(", "));
        }
        out
    }
}

fn problem(file: String, bytes: &[u8], err: &VerifyError) -> FileProblem {
    // Only for naming the row; the claim is not trusted.
    let student_id = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.pointer("/payload/report/student/id").and_then(|id| id.as_str()).map(str::to_string));
    FileProblem {
        file,
        student_id,
        tampered: err.is_tampering(),
        message: err.to_string(),
        message_zh: err.message_zh().to_string(),
    }
}

#[cfg(test)]
mod tests;
