//! Each criterion is tested by removing one piece of evidence from a model attempt and
//! checking that exactly that criterion's score falls, with an evidence line saying why.

use super::*;
use crate::facts::{ChecklistFacts, LintFact, Response};
use crate::{embedded_scenarios, model_attempt};

fn scenario(id: &str) -> Scenario {
    embedded_scenarios().into_iter().find(|s| s.id == id).unwrap()
}

fn student() -> Student {
    Student { id: "2024001".into(), name: "张三".into() }
}

fn attempt(scenario: &Scenario) -> AttemptFacts {
    model_attempt(scenario, student(), "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00")
}

fn score(report: &GradedReport, id: CriterionId) -> u32 {
    report.criterion(id).unwrap().score
}

fn graded(scenario: &Scenario, facts: &AttemptFacts) -> GradedReport {
    grade(scenario, &Rubric::default_rubric(), facts).unwrap()
}

/// Scores of every criterion but `except`.
fn others(report: &GradedReport, except: CriterionId) -> Vec<(CriterionId, u32)> {
    report.criteria.iter().filter(|c| c.id != except).map(|c| (c.id, c.score)).collect()
}

fn event_mut<'a>(facts: &'a mut AttemptFacts, id: &str) -> &'a mut EventFacts {
    facts.events.iter_mut().find(|e| e.event_id == id).unwrap()
}

#[test]
fn the_model_attempt_of_every_scenario_scores_full_marks() {
    for scenario in embedded_scenarios() {
        let report = graded(&scenario, &attempt(&scenario));
        assert_eq!(report.total, 100.0, "{}: {report:#?}", scenario.id);
        assert!(report.criteria.iter().all(|c| c.evidence.iter().all(|e| e.ok)), "{}", scenario.id);
        assert!(report.missed_events.is_empty() && report.mistakes.is_empty());
    }
}

#[test]
fn grading_is_deterministic() {
    let scenario = scenario("county-charity");
    let mut facts = attempt(&scenario);
    facts.products[1].actual_seconds = 30;
    event_mut(&mut facts, "honey-cure").responses.clear();
    let first = serde_json::to_string(&graded(&scenario, &facts)).unwrap();
    for _ in 0..3 {
        assert_eq!(serde_json::to_string(&graded(&scenario, &facts)).unwrap(), first);
    }
}

#[test]
fn compliance_each_error_costs_points_and_live_costs_more() {
    let scenario = scenario("orange-organic");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    facts.lint_findings.push(LintFact {
        source: FindingSource::Script,
        rule_id: "zh.absolute.lowest-price".into(),
        severity: Severity::Error,
        excerpt: "全网最低价".into(),
        at_ms: None,
        law: Some("CN-AD-9-3".into()),
    });
    let one_script = graded(&scenario, &facts);
    assert_eq!(score(&one_script, CriterionId::Compliance), 90);
    facts.lint_findings.push(LintFact {
        source: FindingSource::Live,
        rule_id: "zh.absolute.lowest-price".into(),
        severity: Severity::Error,
        excerpt: "最低价".into(),
        at_ms: Some(65_000),
        law: Some("CN-AD-9-3".into()),
    });
    facts.lint_findings.push(LintFact {
        source: FindingSource::Live,
        rule_id: "zh.gift-delivery.gift".into(),
        severity: Severity::Warning,
        excerpt: "送开果器".into(),
        at_ms: Some(70_000),
        law: None,
    });
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Compliance), 100 - 10 - 20 - 3);
    assert_eq!(others(&report, CriterionId::Compliance), others(&clean, CriterionId::Compliance));
    let evidence = &report.criterion(CriterionId::Compliance).unwrap().evidence;
    assert!(evidence[1].text_zh.contains("直播中「最低价」违反 zh.absolute.lowest-price，CN-AD-9-3，扣 20 分"));
    assert_eq!(evidence[1].at_ms, Some(65_000));
    assert_eq!(report.mistakes[0].rule_id, "zh.absolute.lowest-price");
    assert_eq!(report.mistakes[0].count, 2);
    assert_eq!(report.mistakes[1].rule_id, "zh.gift-delivery.gift");
    assert_eq!(report.total, 91.8, "33 points of 25% lost: 100 − 8.25 = 91.75, one decimal");
    assert_eq!(clean.total, 100.0);
}

#[test]
fn compliance_never_goes_below_zero() {
    let scenario = scenario("orange-organic");
    let mut facts = attempt(&scenario);
    for idx in 0..10 {
        facts.lint_findings.push(LintFact {
            source: FindingSource::Live,
            rule_id: format!("zh.rule-{idx}"),
            severity: Severity::Error,
            excerpt: "第一".into(),
            at_ms: Some(idx * 1000),
            law: None,
        });
    }
    assert_eq!(score(&graded(&scenario, &facts), CriterionId::Compliance), 0);
}

#[test]
fn risky_event_dropping_the_reply_misses_it() {
    let scenario = scenario("orange-organic");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    event_mut(&mut facts, "late-delivery").responses.clear();
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::RiskyEvents), 67, "two of three handled");
    assert_eq!(report.missed_events, ["late-delivery"]);
    assert!(report.total < clean.total);
    assert_eq!(others(&report, CriterionId::RiskyEvents), others(&clean, CriterionId::RiskyEvents));
    let line = report.criterion(CriterionId::RiskyEvents).unwrap().evidence.iter().find(|e| !e.ok).unwrap();
    assert!(line.text_zh.contains("[客诉]") && line.text_zh.contains("没有回复"), "{}", line.text_zh);
    assert_eq!(line.at_ms, Some(200_000), "a missed event points at when it fired");
}

#[test]
fn risky_event_late_reply_gets_partial_credit() {
    let scenario = scenario("tea-off-platform");
    let mut facts = attempt(&scenario);
    // The coupon window is 60 s from 3:00; announcing it at 4:30 is late.
    event_mut(&mut facts, "coupon-window").responses[0].at_ms = 270_000;
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::RiskyEvents), (100 + 30) / 2);
    assert!(report.missed_events.is_empty(), "late is not missed");
    let line = &report.criterion(CriterionId::RiskyEvents).unwrap().evidence[1];
    assert!(!line.ok && line.text_zh.contains("超时（4:30 之后，限时 60 秒）"), "{}", line.text_zh);
}

#[test]
fn risky_event_reply_with_lint_errors_or_without_the_point_is_missed() {
    let scenario = scenario("tea-off-platform");
    let mut facts = attempt(&scenario);
    let event = event_mut(&mut facts, "wechat-transfer");
    event.responses[0].lint_error_count = 1;
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["wechat-transfer"]);
    assert!(report.criterion(CriterionId::RiskyEvents).unwrap().evidence[0].text_zh.contains("1 处违规用语"));

    let event = event_mut(&mut facts, "wechat-transfer");
    event.responses[0].lint_error_count = 0;
    event.responses[0].text = "哈哈哈，家人们看这边".into();
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["wechat-transfer"]);
    assert!(report.criterion(CriterionId::RiskyEvents).unwrap().evidence[0].text_zh.contains("没有说到要点"));

    // A second, good reply within the window handles it after all.
    event_mut(&mut facts, "wechat-transfer").responses.push(Response {
        at_ms: 130_000,
        text: "不支持私下 交易哦，请在直播间下单".into(),
        lint_error_count: 0,
    });
    assert!(graded(&scenario, &facts).missed_events.is_empty());
}

#[test]
fn risky_event_forbidden_word_anywhere_in_the_replies_misses_it() {
    let scenario = scenario("tea-off-platform");
    let mut facts = attempt(&scenario);
    event_mut(&mut facts, "wechat-transfer").responses.push(Response {
        at_ms: 150_000,
        text: "要不 加我 微信吧".into(),
        lint_error_count: 0,
    });
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["wechat-transfer"]);
    let line = &report.criterion(CriterionId::RiskyEvents).unwrap().evidence[0];
    assert!(line.text_zh.contains("加我微信"), "{}", line.text_zh);
    assert_eq!(line.at_ms, Some(150_000));
}

#[test]
fn stock_out_is_handled_only_when_taken_off_within_the_window() {
    let scenario = scenario("orange-organic");
    let mut facts = attempt(&scenario);
    event_mut(&mut facts, "small-box-sold-out").product_taken_off_at_ms = None;
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["small-box-sold-out"]);
    assert!(report.criterion(CriterionId::RiskyEvents).unwrap().evidence[2].text_zh.contains("没有下架"));

    event_mut(&mut facts, "small-box-sold-out").product_taken_off_at_ms = Some(300_000 + 61_000);
    let report = graded(&scenario, &facts);
    assert!(report.missed_events.is_empty());
    assert_eq!(score(&report, CriterionId::RiskyEvents), (200 + 30) / 3 + 1, "late take-off: 76.67 rounds to 77");
}

#[test]
fn stock_out_that_also_needs_an_announcement_is_missed_without_one() {
    let scenario = scenario("rice-stock-out");
    let mut facts = attempt(&scenario);
    event_mut(&mut facts, "big-bag-sold-out").responses.clear();
    assert_eq!(graded(&scenario, &facts).missed_events, ["big-bag-sold-out"]);
}

#[test]
fn an_event_that_never_fired_is_missed() {
    let scenario = scenario("county-charity");
    let mut facts = attempt(&scenario);
    facts.events.retain(|e| e.event_id != "tea-sold-out");
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["tea-sold-out"]);
    assert!(report.criterion(CriterionId::RiskyEvents).unwrap().evidence[4].text_zh.contains("事件没有触发"));
}

#[test]
fn timing_outside_the_tolerance_band_costs_points_per_percent() {
    let scenario = scenario("orange-organic");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    // Planned 5 min = 300 s; 24% over is inside ±25%.
    facts.products[0].actual_seconds = 372;
    assert_eq!(score(&graded(&scenario, &facts), CriterionId::Timing), 100);
    // 50% over: 25 points outside × 2 = −50 for this product, averaged over two products.
    facts.products[0].actual_seconds = 450;
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Timing), 75);
    assert_eq!(others(&report, CriterionId::Timing), others(&clean, CriterionId::Timing));
    let line = &report.criterion(CriterionId::Timing).unwrap().evidence[0];
    assert!(!line.ok);
    assert_eq!(line.text_zh, "赣南脐橙 5斤装：计划 5 分钟，实际 7:30（+50%，容差 ±25%）");
    // Too short counts the same as too long.
    facts.products[0].actual_seconds = 150;
    assert_eq!(score(&graded(&scenario, &facts), CriterionId::Timing), 75);
}

#[test]
fn timing_of_a_product_never_presented_is_zero() {
    let scenario = scenario("orange-organic");
    let mut facts = attempt(&scenario);
    facts.products.remove(1);
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Timing), 50);
    assert_eq!(score(&report, CriterionId::ProductCoverage), 50);
}

#[test]
fn checklist_open_items_and_critical_items_cost_points() {
    let scenario = scenario("honey-health");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    facts.checklist[0] = ChecklistFacts { phase: Phase::Before, satisfied: 4, total: 5, critical_open: Vec::new() };
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Checklist), 90, "one of five before-items is 10 of the 50% share");
    assert_eq!(others(&report, CriterionId::Checklist), others(&clean, CriterionId::Checklist));
    facts.checklist[0].critical_open = vec!["证书已上传".into()];
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Checklist), 70);
    let evidence = &report.criterion(CriterionId::Checklist).unwrap().evidence;
    assert!(evidence.iter().any(|e| e.text_zh == "开播前关键项未完成：证书已上传，扣 20 分"));
    facts.checklist.retain(|c| c.phase != Phase::After);
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Checklist), 45);
    assert!(report.criterion(CriterionId::Checklist).unwrap().evidence.iter().any(|e| e.text_zh == "下播后清单没有记录"));
}

#[test]
fn product_coverage_falls_when_a_price_or_after_sales_is_not_stated() {
    let scenario = scenario("orange-organic");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    facts.products[1].price_stated = false;
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::ProductCoverage), 85);
    assert_eq!(others(&report, CriterionId::ProductCoverage), others(&clean, CriterionId::ProductCoverage));
    facts.products[1].after_sales_stated = false;
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::ProductCoverage), 70);
    let line = &report.criterion(CriterionId::ProductCoverage).unwrap().evidence[1];
    assert_eq!(line.text_zh, "赣南脐橙 10斤装：缺少报价、售后说明");
}

#[test]
fn audience_below_expectation_scores_in_proportion() {
    let scenario = scenario("orange-organic");
    let clean = graded(&scenario, &attempt(&scenario));
    let mut facts = attempt(&scenario);
    facts.audience.orders = 6; // half of 12
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Audience), 80);
    assert_eq!(others(&report, CriterionId::Audience), others(&clean, CriterionId::Audience));
    facts.audience.orders = 1000;
    facts.audience.gmv_fen = 0;
    let report = graded(&scenario, &facts);
    assert_eq!(score(&report, CriterionId::Audience), 70, "beating one figure does not make up for another");
    assert!(report.criterion(CriterionId::Audience).unwrap().evidence[2].text_zh.contains("GMV：¥0.00，预期 ¥600.00"));
}

#[test]
fn a_student_who_misses_the_organic_question_and_handles_the_rest() {
    let scenario = scenario("orange-organic");
    let mut facts = attempt(&scenario);
    let event = event_mut(&mut facts, "organic-question");
    event.responses = vec![Response { at_ms: 95_000, text: "是的，我们家都是有机种植的".into(), lint_error_count: 0 }];
    let report = graded(&scenario, &facts);
    assert_eq!(report.missed_events, ["organic-question"]);
    assert_eq!(score(&report, CriterionId::RiskyEvents), 67);
    let evidence = &report.criterion(CriterionId::RiskyEvents).unwrap().evidence;
    assert_eq!(evidence.iter().map(|e| e.ok).collect::<Vec<_>>(), [false, true, true]);
    assert!(evidence[0].text_zh.starts_with("[资质/认证] 橙子控小李 评论「这橙子是有机的吗?」：未处理"));
    assert!(evidence[0].text_zh.contains("不该说的「有机」"));
    assert_eq!(evidence[0].at_ms, Some(95_000));
    // 33 points of 25% weight lost: 100 − 8.25 = 91.75 → 91.8 (rounded from hundredths).
    assert_eq!(report.total, 91.8);
    for id in [CriterionId::Compliance, CriterionId::Timing, CriterionId::Checklist, CriterionId::ProductCoverage, CriterionId::Audience] {
        assert_eq!(score(&report, id), 100, "{id:?}");
    }
}

#[test]
fn an_attempt_of_another_scenario_or_version_is_refused() {
    let orange = scenario("orange-organic");
    let honey = scenario("honey-health");
    let err = grade(&honey, &Rubric::default_rubric(), &attempt(&orange)).unwrap_err();
    assert!(matches!(err, GradeError::WrongScenario { .. }));
    let mut facts = attempt(&orange);
    facts.scenario_version = 2;
    assert!(matches!(grade(&orange, &Rubric::default_rubric(), &facts).unwrap_err(), GradeError::WrongVersion { .. }));
}

#[test]
fn a_changed_scenario_file_under_the_same_version_is_noted() {
    let scenario = scenario("orange-organic");
    let mut facts = attempt(&scenario);
    facts.scenario_hash = "0000000000000000".into();
    let report = graded(&scenario, &facts);
    assert_eq!(report.notes.len(), 1);
    assert!(report.notes[0].text_zh.contains("场景文件与学生演练时不同"));
    assert_eq!(report.total, 100.0, "the note does not change the grade");
}
