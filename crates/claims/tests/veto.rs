//! The learned backstop's veto: a rule's finding the model reads as lawful context is kept
//! as a reminder (info, with the reason), and a clear claim beside an unrelated clause
//! keeps its full weight.

use anchordesk_claims::{Category, LintOptions, Linter, LinterBuilder, Severity};

fn findings(linter: &Linter, text: &str) -> Vec<(Category, Severity, String)> {
    linter.lint(text, &LintOptions::default()).into_iter().map(|f| (f.category, f.severity, f.message)).collect()
}

#[test]
fn advice_with_zui_is_a_reminder_and_says_why() {
    let linter = Linter::default_packs();
    let found = findings(&linter, "线香拿到手最好开着窗点，室内别一次点太多。");
    let (category, severity, message) = found.iter().find(|f| f.0 == Category::Absolute).expect("the rule still marks 最");
    assert_eq!((*category, *severity), (Category::Absolute, Severity::Info));
    assert!(message.contains("模型把这句读作合法语境"), "{message}");
    // Without the model the rule's word is an error, as before.
    let rules_only = LinterBuilder::with_default_packs().with_model(false).build();
    assert!(findings(&rules_only, "线香拿到手最好开着窗点，室内别一次点太多。").iter().any(|f| f.0 == Category::Absolute && f.1 == Severity::Error));
}

#[test]
fn a_clear_claim_beside_an_unrelated_clause_stays_an_error() {
    let linter = Linter::default_packs();
    let found = findings(&linter, "下单送开果器，最好吃的橙子");
    assert!(found.iter().any(|f| f.0 == Category::Absolute && f.1 == Severity::Error), "{found:?}");
}

#[test]
fn a_finding_the_model_reads_as_another_claim_is_not_vetoed() {
    // The guarantee rule's 个月白 is no guarantee, but the sentence is a medical testimony:
    // the model does not call it clean, so the rule's finding keeps counting.
    let linter = Linter::default_packs();
    let found = findings(&linter, "我自己天天吃，吃了三个月白头发都变黑了。");
    assert!(found.iter().any(|f| f.1 >= Severity::Warning), "{found:?}");
}

#[test]
fn a_greeting_is_not_a_suspicion() {
    let linter = Linter::default_packs();
    assert!(findings(&linter, "Hey guys, welcome back to the stream!").is_empty());
}

#[test]
fn what_a_team_added_is_never_vetoed() {
    // A team's own rule counts as the team wrote it, even where the model reads the
    // sentence as plain talk (it has never seen the team's word).
    let mut builder = LinterBuilder::with_default_packs();
    builder
        .add_pack(
            "team.toml",
            "[[rule]]\nid = \"team.rival-nickname\"\ncategory = \"disparagement\"\nseverity = \"warning\"\nmessage = \"不提竞品的外号\"\npatterns = [\"小蓝瓶\"]\nlaws = [\"CN-AD-13\"]\nrewrites = [\"\"]\n",
        )
        .unwrap();
    let linter = builder.build();
    let found = findings(&linter, "一号链接是小蓝瓶，五百克一瓶");
    assert!(found.iter().any(|f| f.0 == Category::Disparagement && f.1 == Severity::Warning), "{found:?}");
}
