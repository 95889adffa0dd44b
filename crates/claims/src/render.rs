//! Reports of findings as text (like a compiler), JSON and SARIF 2.1.0.
//!
//! Renderers are pure functions from findings to a `String`; the caller writes it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::{Finding, Linter, Severity};

/// The findings of one input, with the text they point into.
#[derive(Debug, Clone, Copy)]
pub struct FileFindings<'a> {
    /// The name shown in reports (a path, or `-` for standard input).
    pub file: &'a str,
    /// The text that was linted.
    pub text: &'a str,
    /// Its findings, as returned by [`Linter::lint`].
    pub findings: &'a [Finding],
}

/// Compiler-like text: `file:line:col: severity[rule]: message`, the line, a caret under
/// the span, the law and the rewrites.
pub fn text(files: &[FileFindings<'_>]) -> String {
    let mut out = String::new();
    for file in files {
        for finding in file.findings {
            let line_start = file.text[..finding.span.start as usize]
                .rfind('\n')
                .map_or(0, |at| at + 1);
            let line_end = file.text[line_start..]
                .find('\n')
                .map_or(file.text.len(), |at| line_start + at);
            let line = file.text[line_start..line_end].trim_end_matches('\r');
            let gutter = finding.line.to_string();
            let pad = " ".repeat(gutter.len());
            let indent = display_width(&file.text[line_start..finding.span.start as usize]);
            let span_end = (finding.span.end as usize).min(line_start + line.len());
            let carets = display_width(&file.text[finding.span.start as usize..span_end]).max(1);
            out.push_str(&format!(
                "{}:{}:{}: {}[{}]: {}\n",
                file.file,
                finding.line,
                finding.column,
                finding.severity.as_str(),
                finding.rule_id,
                finding.message
            ));
            out.push_str(&format!(
                "{pad} |\n{gutter} | {line}\n{pad} | {}{}\n",
                " ".repeat(indent),
                "^".repeat(carets)
            ));
            for law in &finding.laws {
                out.push_str(&format!("{pad} = law: {} {}\n", law.id, law.title));
            }
            if !finding.rewrites.is_empty() {
                let rewrites: Vec<&str> = finding
                    .rewrites
                    .iter()
                    .map(|r| {
                        if r.text.is_empty() {
                            "(delete)"
                        } else {
                            r.text.as_str()
                        }
                    })
                    .collect();
                out.push_str(&format!("{pad} = rewrite: {}\n", rewrites.join(" / ")));
            }
            out.push('\n');
        }
    }
    let n_errors = files
        .iter()
        .flat_map(|f| f.findings)
        .filter(|f| f.severity == Severity::Error)
        .count();
    let n_warnings = files
        .iter()
        .flat_map(|f| f.findings)
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let n_infos = files
        .iter()
        .flat_map(|f| f.findings)
        .filter(|f| f.severity == Severity::Info)
        .count();
    if n_errors + n_warnings + n_infos > 0 {
        out.push_str(&format!(
            "{n_errors} error(s), {n_warnings} warning(s), {n_infos} note(s)\n"
        ));
    }
    out
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    #[serde(flatten)]
    finding: &'a Finding,
}

/// A JSON array of findings, each with the fields of [`Finding`] plus `file`.
pub fn json(files: &[FileFindings<'_>]) -> String {
    let rows: Vec<JsonFinding<'_>> = files
        .iter()
        .flat_map(|file| {
            file.findings.iter().map(|finding| JsonFinding {
                file: file.file,
                finding,
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows)
        .expect("findings serialise: they hold only strings, numbers and enums")
}

/// A SARIF 2.1.0 log with one run; rules are described from `linter`, columns count
/// Unicode code points, and each rewrite is a fix.
pub fn sarif(files: &[FileFindings<'_>], linter: &Linter) -> String {
    let mut rule_ids: Vec<&str> = Vec::new();
    for finding in files.iter().flat_map(|f| f.findings) {
        if !rule_ids.contains(&finding.rule_id.as_str()) {
            rule_ids.push(&finding.rule_id);
        }
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let summary = linter.rule(id);
            let message = summary.as_ref().map_or("", |s| s.message.as_str());
            let mut rule = json!({
                "id": id,
                "shortDescription": { "text": message },
                "fullDescription": { "text": linter.explain(id).unwrap_or_default() },
            });
            if let Some(summary) = summary {
                rule["defaultConfiguration"] = json!({ "level": level(summary.severity) });
                rule["properties"] = json!({
                    "category": summary.category.as_str(),
                    "laws": summary.laws.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
                });
            }
            rule
        })
        .collect();
    let mut results = Vec::new();
    for file in files {
        for finding in file.findings {
            let (end_line, end_column) = end_position(file.text, finding);
            let laws: Vec<String> = finding
                .laws
                .iter()
                .map(|l| format!("{} {}", l.id, l.title))
                .collect();
            let mut result = json!({
                "ruleId": finding.rule_id,
                "ruleIndex": rule_ids.iter().position(|id| *id == finding.rule_id),
                "level": level(finding.severity),
                "message": { "text": format!("{} ({})", finding.message, laws.join("; ")) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file.file },
                        "region": {
                            "startLine": finding.line,
                            "startColumn": finding.column,
                            "endLine": end_line,
                            "endColumn": end_column,
                            "byteOffset": finding.span.start,
                            "byteLength": finding.span.end - finding.span.start,
                            "snippet": { "text": finding.matched },
                        }
                    }
                }],
                "properties": {
                    "category": finding.category.as_str(),
                    "laws": finding.laws.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
                },
            });
            if !finding.rewrites.is_empty() {
                result["fixes"] = finding
                    .rewrites
                    .iter()
                    .map(|rewrite| {
                        json!({
                            "description": { "text": format!("{} → {}", finding.matched, rewrite.text) },
                            "artifactChanges": [{
                                "artifactLocation": { "uri": file.file },
                                "replacements": [{
                                    "deletedRegion": {
                                        "byteOffset": finding.span.start,
                                        "byteLength": finding.span.end - finding.span.start,
                                    },
                                    "insertedContent": { "text": rewrite.text },
                                }],
                            }],
                        })
                    })
                    .collect();
            }
            results.push(result);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "anchordesk-claims",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("a serde_json::Value always serialises")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// 1-based line and column one past the span's last character.
fn end_position(text: &str, finding: &Finding) -> (u32, u32) {
    let covered = &text[finding.span.start as usize..finding.span.end as usize];
    let n_breaks = covered.matches('\n').count() as u32;
    if n_breaks == 0 {
        (
            finding.line,
            finding.column + covered.chars().count() as u32,
        )
    } else {
        let tail = covered.rsplit('\n').next().unwrap_or("");
        (finding.line + n_breaks, tail.chars().count() as u32 + 1)
    }
}

/// Terminal columns taken by `text`: CJK, full-width forms and emoji take two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|ch| match ch as u32 {
            0x200B..=0x200F | 0xFE00..=0xFE0F | 0x0300..=0x036F => 0,
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}
