//! Whole broadcast scripts, linted as the app lints them: a farmer's plain script (which
//! should give almost nothing) and an MCN hype script (which should light up). The
//! snapshots list line:column, severity, rule and the matched text, for review with
//! `cargo insta review` when packs change.

use anchordesk_claims::{LintOptions, Linter, Severity};

fn summary(text: &str) -> String {
    let linter = Linter::default_packs();
    linter
        .lint(text, &LintOptions::default())
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {} {:?}\n",
                f.line,
                f.column,
                f.severity.as_str(),
                f.rule_id,
                f.matched
            )
        })
        .collect()
}

#[test]
fn farmer_script_is_nearly_clean() {
    let text = include_str!("fixtures/farmer-oranges.txt");
    let linter = Linter::default_packs();
    let findings = linter.lint(text, &LintOptions::default());
    let n_errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    // The anchor repeats a viewer's question (能不能治感冒) and denies it: a question and a
    // denial are not claims, so nothing is an error.
    assert_eq!(n_errors, 0, "{findings:#?}");
    insta::assert_snapshot!(summary(text));
}

#[test]
fn hype_script_lights_up() {
    let text = include_str!("fixtures/mcn-hype.txt");
    let linter = Linter::default_packs();
    let findings = linter.lint(text, &LintOptions::default());
    let n_lines = text.lines().count();
    let mut flagged_lines: Vec<u32> = findings.iter().map(|f| f.line).collect();
    flagged_lines.dedup();
    assert_eq!(
        flagged_lines.len(),
        n_lines,
        "every line of this script has a problem: {flagged_lines:?}"
    );
    insta::assert_snapshot!(summary(text));
}

#[test]
fn english_script_flags_claims_but_not_storage_advice() {
    let text = include_str!("fixtures/tiktok-honey.txt");
    let linter = Linter::default_packs();
    let findings = linter.lint(text, &LintOptions::default());
    // "best stored at room temperature" is storage advice, not a claim.
    assert!(
        !findings
            .iter()
            .any(|f| f.line == 10 && f.rule_id == "en.absolute.best"),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.line == 6 && f.rule_id == "en.fake-figures.stock"),
        "{findings:#?}"
    );
    insta::assert_snapshot!(summary(text));
}
