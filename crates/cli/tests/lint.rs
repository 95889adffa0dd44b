//! `anchordesk lint` run as a real binary, the way an anchor's assistant would use it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn anchordesk(args: &[&str], stdin: &[u8]) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anchordesk"))
        .args(args)
        .env("ANCHORDESK_DATA_DIR", data_dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn issue_4_lowest_price_in_json_is_an_error_with_rule_span_and_rewrite() {
    let output = anchordesk(
        &["lint", "-", "--format", "json"],
        "家人们，今天全网最低价！\n".as_bytes(),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let finding = &findings[0];
    assert_eq!(finding["file"], "-");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["ruleId"], "zh.absolute.lowest-price");
    let start = "家人们，今天".len();
    assert_eq!(finding["span"]["start"], start);
    assert_eq!(finding["span"]["end"], start + "全网最低价".len());
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(1), Some(7))
    );
    assert_eq!(finding["rewrites"][0]["text"], "直播间专享价");
    assert_eq!(finding["laws"][0]["id"], "CN-AD-9-3");
}

#[test]
fn issue_4_time_word_is_clean_and_exits_zero() {
    let output = anchordesk(&["lint", "-"], "这批脐橙是最近三天刚摘的\n".as_bytes());
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn text_format_points_a_caret_at_the_claim() {
    let output = anchordesk(&["lint"], "家人们，今天全网最低价！\n".as_bytes());
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("-:1:7: error[zh.absolute.lowest-price]"),
        "{text}"
    );
    assert!(text.contains("  |             ^^^^^^^^^^\n"), "{text}");
    assert!(text.contains("rewrite: 直播间专享价"), "{text}");
}

#[test]
fn warnings_alone_exit_zero() {
    let output = anchordesk(&["lint", "-"], "下单送开果器\n".as_bytes());
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("warning[zh.gift-delivery.gift]"));
}

#[test]
fn gbk_file_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.txt");
    let (gbk, _, _) = encoding_rs::GBK.encode("第一行没问题\n这款蜂蜜能治咳嗽\n");
    std::fs::write(&path, &gbk).unwrap();
    let output = anchordesk(&["lint", path.to_str().unwrap(), "--format", "json"], b"");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings[0]["ruleId"], "zh.medical.treatment");
    assert_eq!(findings[0]["matched"], "能治咳嗽");
    assert_eq!(findings[0]["line"], 2);
}

#[test]
fn missing_file_is_reported_and_the_others_are_linted() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "全网最低价").unwrap();
    let missing = dir.path().join("missing.txt");
    let output = anchordesk(
        &[
            "lint",
            missing.to_str().unwrap(),
            good.to_str().unwrap(),
            "--format",
            "json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.txt"));
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(findings.as_array().unwrap().len(), 1);
}

#[test]
fn sarif_output_is_2_1_0() {
    let output = anchordesk(
        &["lint", "--format", "sarif", "-"],
        "the best honey\n".as_bytes(),
    );
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "en.absolute.best");
}

#[test]
fn explain_prints_the_rule_and_unknown_rules_exit_two() {
    let output = anchordesk(&["lint", "--explain", "zh.absolute.first"], b"");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("CN-AD-9-3") && text.contains("第一次"),
        "{text}"
    );
    let output = anchordesk(&["lint", "--explain", "zh.no-such-rule"], b"");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn lang_en_skips_chinese_packs() {
    let output = anchordesk(&["lint", "--lang", "en", "-"], "全网最低价\n".as_bytes());
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn bad_usage_exits_two() {
    let output = anchordesk(&["lint", "--format", "xml"], b"");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn product_facts_turn_a_warning_into_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("product.json");
    std::fs::write(
        &facts,
        r#"{"recentPricesFen": [2990], "stock": 500, "lineupGiftNames": ["开果器"]}"#,
    )
    .unwrap();
    let facts = facts.to_str().unwrap();
    let script = "有机脐橙，原价99，仅剩3件，下单送开果器\n";
    let output = anchordesk(
        &["lint", "-", "--format", "json", "--product-json", facts],
        script.as_bytes(),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<(&str, &str)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    // The gift is in the line-up, so only the three contradicted claims remain, as errors.
    assert_eq!(
        rules,
        [
            ("zh.certification.organic", "error"),
            ("zh.price.original-price", "error"),
            ("zh.fake-figures.stock", "error"),
        ]
    );
    // Without facts the same script only warns.
    let output = anchordesk(&["lint", "-"], script.as_bytes());
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn issue_4_product_sku_brings_the_catalog_facts() {
    let dir = tempfile::tempdir().unwrap();
    let lint = |sku: &str, text: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anchordesk"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["lint", "-", "--format", "json", "--product", sku])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    // The sample millet has its organic certificate on file: 有机 is no error for it.
    let (code, out) = lint("SAMPLE-MILLET-ORG-2KG", "这款有机小米熬粥特别香");
    assert_eq!(code, Some(0), "{out}");
    // The sample honey has none: the same claim is an error.
    let (code, out) = lint("SAMPLE-HONEY-500G", "这款有机蜂蜜特别香");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("\"severity\": \"error\""), "{out}");
    // An unknown SKU is a usage error.
    let (code, _) = lint("NO-SUCH", "文本");
    assert_eq!(code, Some(2));
}

#[test]
fn explain_names_the_lexicons_a_grammar_rule_composes() {
    let output = anchordesk(&["lint", "--explain", "zh.grammar.efficacy-disease"], b"");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("{@efficacy-verb}") && text.contains("{@disease}") && text.contains("来源"), "{text}");
    let output = anchordesk(&["lint", "--lexicons"], b"");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("{@disease}") && text.contains("licence:"), "{text}");
}

#[test]
fn a_category_changes_the_verdict_on_the_same_words() {
    let text = "每天两粒，增强免疫力\n".as_bytes();
    let plain = anchordesk(&["lint", "-", "--category", "普通食品"], text);
    assert_eq!(plain.status.code(), Some(1), "ordinary food may not claim a health function");
    let health = anchordesk(&["lint", "-", "--category", "health-food", "--function", "增强免疫力", "--format", "json"], text);
    assert_eq!(health.status.code(), Some(0), "{}", String::from_utf8_lossy(&health.stdout));
    let findings: serde_json::Value = serde_json::from_slice(&health.stdout).unwrap();
    assert!(findings.as_array().unwrap().iter().all(|f| f["severity"] == "info"));
    assert!(findings[0]["message"].as_str().unwrap().contains("保健食品"));
    let unknown = anchordesk(&["lint", "-", "--category", "草药"], text);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("health-food"));
}
