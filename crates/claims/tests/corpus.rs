//! Precision and recall of the default packs on the labelled corpus in `tests/corpus/`.
//!
//! A sentence counts as flagged when it gets a finding of warning or error severity. A
//! labelled sentence is a true positive only when one of its findings has a labelled
//! category; a flagged sentence with none of them counts as a miss and a false alarm.

use anchordesk_claims::{Category, LintOptions, Linter, Severity};

const CORPORA: [(&str, &str); 2] = [
    ("zh.tsv", include_str!("corpus/zh.tsv")),
    ("en.tsv", include_str!("corpus/en.tsv")),
];

struct Row<'a> {
    file: &'a str,
    line: usize,
    expected: Vec<Category>,
    sentence: &'a str,
}

fn rows() -> Vec<Row<'static>> {
    let mut rows = Vec::new();
    for (file, source) in CORPORA {
        for (idx, line) in source.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (label, sentence) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{file}:{}: no tab", idx + 1));
            let expected = if label == "clean" {
                Vec::new()
            } else {
                label
                    .split(',')
                    .map(|name| {
                        Category::parse(name)
                            .unwrap_or_else(|| panic!("{file}:{}: unknown label {name}", idx + 1))
                    })
                    .collect()
            };
            rows.push(Row {
                file,
                line: idx + 1,
                expected,
                sentence,
            });
        }
    }
    rows
}

#[test]
fn corpus_precision_and_recall_are_at_least_95_percent() {
    let linter = Linter::default_packs();
    let rows = rows();
    assert!(
        rows.len() >= 400,
        "the corpus has only {} sentences",
        rows.len()
    );
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for row in &rows {
        let findings: Vec<_> = linter
            .lint(row.sentence, &LintOptions::default())
            .into_iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        let flagged = !findings.is_empty();
        let hit = findings.iter().any(|f| row.expected.contains(&f.category));
        match (row.expected.is_empty(), flagged, hit) {
            (true, false, _) => {}
            (true, true, _) => {
                fp += 1;
                report.push(format!(
                    "{}:{}: false alarm {:?}: {:?}",
                    row.file,
                    row.line,
                    row.sentence,
                    ids(&findings)
                ));
            }
            (false, _, true) => tp += 1,
            (false, false, _) => {
                fn_ += 1;
                report.push(format!(
                    "{}:{}: missed {:?}",
                    row.file, row.line, row.sentence
                ));
            }
            (false, true, false) => {
                fn_ += 1;
                fp += 1;
                report.push(format!(
                    "{}:{}: wrong category {:?}: {:?}",
                    row.file,
                    row.line,
                    row.sentence,
                    ids(&findings)
                ));
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let n_clean = rows.iter().filter(|r| r.expected.is_empty()).count();
    eprintln!(
        "{} sentences ({} clean): precision {precision:.3}, recall {recall:.3}",
        rows.len(),
        n_clean
    );
    for line in &report {
        eprintln!("{line}");
    }
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3}, recall {recall:.3}\n{}",
        report.join("\n")
    );
}

fn ids(findings: &[anchordesk_claims::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{}={}", f.rule_id, f.matched))
        .collect()
}
