//! Team packs loaded from a directory on top of the defaults.

use anchordesk_claims::{LintOptions, Linter, LinterBuilder, Severity};

const TEAM_PACK: &str = r#"
lang = "zh"
category = "disparagement"
disable = ["zh.absolute.unique"]

[[rule]]
id = "team.brand-words"
severity = "error"
patterns = ["山寨橙", "某果园"]
message = "品牌方禁止提及竞品"
laws = ["CN-AD-13"]
rewrites = [""]
"#;

const BAD_PACK: &str = "lang = \"zh\"\ncategory = \"absolute\"\n\n[[rule]]\nid = \"team.bad\"\nseverity = \"fatal\"\npatterns = [\"好\"]\nmessage = \"m\"\nlaws = [\"CN-AD-9-3\"]\n";

#[test]
fn team_pack_adds_words_and_disables_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("10-team.toml"), TEAM_PACK).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a pack").unwrap();
    let (linter, errors) = Linter::with_team_packs(dir.path());
    assert!(errors.is_empty(), "{errors:?}");

    let findings = linter.lint("别买某果园的", &LintOptions::default());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule_id, "team.brand-words");
    assert_eq!(findings[0].matched, "某果园");

    // 唯一 is off for this team, and the summary says so.
    assert!(linter.lint("全国唯一", &LintOptions::default()).is_empty());
    assert!(!linter.rule("zh.absolute.unique").unwrap().enabled);
    // Other defaults stay.
    assert_eq!(linter.lint("全网最低价", &LintOptions::default()).len(), 1);
}

#[test]
fn bad_pack_is_reported_with_its_line_and_the_defaults_stay() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), BAD_PACK).unwrap();
    std::fs::write(dir.path().join("good.toml"), TEAM_PACK).unwrap();
    let (linter, errors) = Linter::with_team_packs(dir.path());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert!(error.pack.ends_with("bad.toml"), "{error}");
    assert_eq!((error.line, error.column), (6, 12), "{error}");
    assert!(
        error.to_string().contains("unknown severity \"fatal\""),
        "{error}"
    );
    // The defaults and the good pack are in force.
    assert_eq!(
        linter.lint("全网最低价", &LintOptions::default())[0].severity,
        Severity::Error
    );
    assert_eq!(linter.lint("某果园", &LintOptions::default()).len(), 1);
}

#[test]
fn a_team_rule_with_a_default_id_replaces_it() {
    let mut builder = LinterBuilder::with_default_packs();
    builder
        .add_pack(
            "team.toml",
            r#"
lang = "zh"
[[rule]]
id = "zh.gift-delivery.free-shipping"
category = "gift-delivery"
severity = "warning"
patterns = ["包邮"]
message = "本团队要求包邮须写明快递公司"
laws = ["CN-EC-20"]
"#,
        )
        .unwrap();
    let linter = builder.build();
    let findings = linter.lint("全国包邮", &LintOptions::default());
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(findings[0].message, "本团队要求包邮须写明快递公司");
    assert_eq!(
        linter
            .rules()
            .iter()
            .filter(|r| r.id == "zh.gift-delivery.free-shipping")
            .count(),
        1
    );
}

#[test]
fn allow_lists_brand_names_for_every_rule() {
    let mut builder = LinterBuilder::with_default_packs();
    builder
        .add_pack("brands.toml", "allow = [\"Best Foods\", \"最高峰茶业\"]\n")
        .unwrap();
    let linter = builder.build();
    assert!(
        linter
            .lint("Best Foods蛋黄酱", &LintOptions::default())
            .is_empty()
    );
    assert!(
        linter
            .lint("最高峰茶业的新茶", &LintOptions::default())
            .is_empty()
    );
    assert_eq!(
        linter.lint("the best mayo", &LintOptions::default()).len(),
        1
    );
}

#[test]
fn a_missing_team_directory_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (linter, errors) = Linter::with_team_packs(&dir.path().join("rules"));
    assert!(errors.is_empty());
    assert!(
        !linter
            .lint("全网最低价", &LintOptions::default())
            .is_empty()
    );
}

#[test]
fn default_packs_load() {
    // How long loading takes is measured by the `load default packs` benchmark and
    // recorded in BENCH.md, not asserted here: test machines are too noisy for timings.
    let linter = Linter::default_packs();
    assert!(linter.rules().len() >= 80);
    assert!(linter.lexicons().iter().any(|l| l.name == "disease" && l.phrases >= 200));
}
