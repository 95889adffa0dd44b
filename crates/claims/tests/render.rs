//! Snapshots of the three report formats for one script, and checks of their structure.
//!
//! The linter here is built from a fixed pack, so that editing the default packs does not
//! churn these snapshots; the default packs are covered by `rules.rs` and `corpus.rs`.

use anchordesk_claims::render::{self, FileFindings};
use anchordesk_claims::{LintOptions, Linter, LinterBuilder};

const SCRIPT: &str =
    "开场先欢迎家人们\n家人们，今天全网最低价！\n这批脐橙是最近三天刚摘的，下单送开果器\n";

const PACK: &str = r#"
lang = "zh"

[[rule]]
id = "zh.absolute.lowest-price"
category = "absolute"
severity = "error"
patterns = ["全网最低价", "最低价"]
message = "“全网最低价”等说法无法证明，属于绝对化用语"
laws = ["CN-AD-9-3", "CN-PRC-19"]
rewrites = ["直播间专享价", "今天的活动价"]
explain = "要比较全网的价格，主播无法证明。"

[[rule]]
id = "zh.gift-delivery.gift"
category = "gift-delivery"
severity = "warning"
patterns = ["下单送"]
message = "赠品须写明品种、规格、数量、期限和方式"
laws = ["CN-AD-8"]
rewrites = ["（写明赠品名称、数量和赠送期限）"]
"#;

fn report<T>(f: impl FnOnce(&[FileFindings<'_>], &Linter) -> T) -> T {
    let mut builder = LinterBuilder::new();
    builder.add_pack("render-test.toml", PACK).unwrap();
    let linter = builder.build();
    let findings = linter.lint(SCRIPT, &LintOptions::default());
    f(
        &[FileFindings {
            file: "script.txt",
            text: SCRIPT,
            findings: &findings,
        }],
        &linter,
    )
}

#[test]
fn text_report_is_compiler_like() {
    let text = report(|files, _| render::text(files));
    assert!(
        text.starts_with("script.txt:2:7: error[zh.absolute.lowest-price]:"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn json_report_lists_findings_with_file() {
    let json = report(|files, _| render::json(files));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &value[0];
    assert_eq!(first["file"], "script.txt");
    assert_eq!(first["ruleId"], "zh.absolute.lowest-price");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["span"]["start"], SCRIPT.find("全网").unwrap());
    assert_eq!(first["rewrites"][0]["text"], "直播间专享价");
    insta::assert_snapshot!(json);
}

#[test]
fn sarif_report_has_the_2_1_0_shape() {
    let sarif = report(render::sarif);
    let value: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "anchordesk-claims");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "zh.absolute.lowest-price");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(7))
    );
    assert_eq!(region["endColumn"].as_u64(), Some(12));
    let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        run["tool"]["driver"]["rules"][rule_index]["id"],
        "zh.absolute.lowest-price"
    );
    assert_eq!(
        result["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "直播间专享价"
    );
    insta::assert_snapshot!(sarif);
}
