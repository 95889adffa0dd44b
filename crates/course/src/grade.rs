//! `grade`: a scenario, a rubric and measured facts in; a `GradedReport` out.
//!
//! Each criterion turns facts into a score from 0 to 100 and a list of [`Evidence`] lines
//! that say, in Chinese and English, what was measured and why it counted. Grading is a
//! pure function: the same inputs give the same report, byte for byte.

use serde::{Deserialize, Serialize};

use crate::facts::{AttemptFacts, EventFacts, FindingSource, Phase, Severity, Student};
use crate::rubric::{
    AudienceParams, ChecklistParams, ComplianceParams, CriterionId, CriterionParams, ProductCoverageParams,
    Rubric, RiskyEventsParams, TimingParams,
};
use crate::scenario::{Action, Risk, Scenario, ScriptedEvent};

/// The graded result of one attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GradedReport {
    /// Who rehearsed.
    pub student: Student,
    /// Scenario id.
    pub scenario_id: String,
    /// Scenario version.
    pub scenario_version: u32,
    /// Scenario title in Chinese.
    pub scenario_title_zh: String,
    /// Scenario title in English.
    pub scenario_title_en: String,
    /// Rubric id.
    pub rubric_id: String,
    /// Rubric version.
    pub rubric_version: u32,
    /// Go-live time, RFC 3339 (from the facts).
    pub started_at: String,
    /// End time, RFC 3339.
    pub ended_at: String,
    /// Length in seconds.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub duration_seconds: i64,
    /// One entry per rubric criterion, in rubric order.
    pub criteria: Vec<CriterionScore>,
    /// Weighted total, 0.0..=100.0, one decimal.
    pub total: f64,
    /// Linter rules broken, most frequent first.
    pub mistakes: Vec<Mistake>,
    /// Ids of scripted events that were missed (late ones are not listed).
    pub missed_events: Vec<String>,
    /// Things the teacher should know about the grading itself (e.g. the scenario changed).
    pub notes: Vec<Evidence>,
}

impl GradedReport {
    /// The score of one criterion, if the rubric has it.
    pub fn criterion(&self, id: CriterionId) -> Option<&CriterionScore> {
        self.criteria.iter().find(|c| c.id == id)
    }
}

/// One criterion's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CriterionScore {
    /// Which criterion.
    pub id: CriterionId,
    /// Chinese title (from the rubric).
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Weight in the total.
    pub weight: u32,
    /// Score 0..=100.
    pub score: u32,
    /// `score * weight / 100`, one decimal.
    pub points: f64,
    /// Why.
    pub evidence: Vec<Evidence>,
}

/// One line of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Evidence {
    /// Whether this counted for (true) or against (false) the student.
    pub ok: bool,
    /// Chinese text.
    pub text_zh: String,
    /// English text.
    pub text_en: String,
    /// When, in ms from go-live, if it happened at a moment.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub at_ms: Option<i64>,
}

impl Evidence {
    fn new(ok: bool, text_zh: String, text_en: String, at_ms: Option<i64>) -> Evidence {
        Evidence { ok, text_zh, text_en, at_ms }
    }
}

/// A linter rule broken during the attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Mistake {
    /// The rule id.
    pub rule_id: String,
    /// Its severity.
    pub severity: Severity,
    /// How often, script and live together.
    pub count: u32,
    /// The law entry, if the linter named one.
    pub law: Option<String>,
}

/// Why an attempt cannot be graded against a scenario.
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    /// The facts belong to another scenario.
    #[error("the attempt is of scenario {facts:?}, not {scenario:?}; grade it with its own scenario")]
    WrongScenario {
        /// Scenario named by the facts.
        facts: String,
        /// Scenario given.
        scenario: String,
    },
    /// The facts were measured against another version of the scenario.
    #[error("the attempt is of {id:?} version {facts}, but the scenario loaded is version {scenario}; load the version the student rehearsed")]
    WrongVersion {
        /// Scenario id.
        id: String,
        /// Version in the facts.
        facts: u32,
        /// Version loaded.
        scenario: u32,
    },
}

/// Grades an attempt. Deterministic: no clock, no randomness, no model.
pub fn grade(scenario: &Scenario, rubric: &Rubric, facts: &AttemptFacts) -> Result<GradedReport, GradeError> {
    if facts.scenario_id != scenario.id {
        return Err(GradeError::WrongScenario { facts: facts.scenario_id.clone(), scenario: scenario.id.clone() });
    }
    if facts.scenario_version != scenario.version {
        return Err(GradeError::WrongVersion {
            id: scenario.id.clone(),
            facts: facts.scenario_version,
            scenario: scenario.version,
        });
    }
    let mut notes = Vec::new();
    if !scenario.source_hash.is_empty() && facts.scenario_hash != scenario.source_hash {
        notes.push(Evidence::new(
            false,
            format!(
                "场景文件与学生演练时不同（{} ≠ {}），版本号相同；请确认改动不影响评分",
                facts.scenario_hash, scenario.source_hash
            ),
            format!(
                "the scenario file differs from the one rehearsed ({} ≠ {}) under the same version; check the change does not affect grading",
                facts.scenario_hash, scenario.source_hash
            ),
            None,
        ));
    }
    let mut missed_events = Vec::new();
    let criteria: Vec<CriterionScore> = rubric
        .criteria
        .iter()
        .map(|criterion| {
            let (score, evidence) = match &criterion.params {
                CriterionParams::Compliance(p) => compliance(p, facts),
                CriterionParams::RiskyEvents(p) => {
                    let (score, evidence, missed) = risky_events(p, scenario, facts);
                    missed_events = missed;
                    (score, evidence)
                }
                CriterionParams::Timing(p) => timing(p, scenario, facts),
                CriterionParams::Checklist(p) => checklist(p, facts),
                CriterionParams::ProductCoverage(p) => product_coverage(p, scenario, facts),
                CriterionParams::Audience(p) => audience(p, scenario, facts),
            };
            let score = score.min(100);
            CriterionScore {
                id: criterion.id(),
                title_zh: criterion.title_zh.clone(),
                title_en: criterion.title_en.clone(),
                weight: criterion.weight,
                score,
                points: tenths(score as u64 * criterion.weight as u64),
                evidence,
            }
        })
        .collect();
    let total = tenths(criteria.iter().map(|c| c.score as u64 * c.weight as u64).sum());
    Ok(GradedReport {
        student: facts.student.clone(),
        scenario_id: scenario.id.clone(),
        scenario_version: scenario.version,
        scenario_title_zh: scenario.title_zh.clone(),
        scenario_title_en: scenario.title_en.clone(),
        rubric_id: rubric.id.clone(),
        rubric_version: rubric.version,
        started_at: facts.started_at.clone(),
        ended_at: facts.ended_at.clone(),
        duration_seconds: facts.duration_seconds,
        criteria,
        total,
        mistakes: mistakes(facts),
        missed_events,
        notes,
    })
}

/// `hundredths / 100` rounded to one decimal, e.g. 2525 → 25.3.
fn tenths(hundredths: u64) -> f64 {
    ((hundredths + 5) / 10) as f64 / 10.0
}

fn mistakes(facts: &AttemptFacts) -> Vec<Mistake> {
    let mut by_rule: std::collections::BTreeMap<&str, Mistake> = std::collections::BTreeMap::new();
    for finding in facts.lint_findings.iter().filter(|f| f.severity != Severity::Info) {
        let mistake = by_rule.entry(&finding.rule_id).or_insert_with(|| Mistake {
            rule_id: finding.rule_id.clone(),
            severity: finding.severity,
            count: 0,
            law: finding.law.clone(),
        });
        mistake.count += 1;
        mistake.severity = mistake.severity.min(finding.severity);
    }
    let mut mistakes: Vec<Mistake> = by_rule.into_values().collect();
    mistakes.sort_by(|a, b| b.count.cmp(&a.count).then(a.severity.cmp(&b.severity)).then(a.rule_id.cmp(&b.rule_id)));
    mistakes
}

fn compliance(params: &ComplianceParams, facts: &AttemptFacts) -> (u32, Vec<Evidence>) {
    let mut lost = 0u32;
    let mut evidence = Vec::new();
    for finding in &facts.lint_findings {
        let cost = match (finding.severity, finding.source) {
            (Severity::Error, FindingSource::Script) => params.script_error_points,
            (Severity::Error, FindingSource::Live) => params.live_error_points,
            (Severity::Warning, _) => params.warning_points,
            (Severity::Info, _) => continue,
        };
        lost = lost.saturating_add(cost);
        let (where_zh, where_en) = match finding.source {
            FindingSource::Script => ("脚本", "script"),
            FindingSource::Live => ("直播中", "live"),
        };
        let law = finding.law.as_deref().map(|law| format!("，{law}")).unwrap_or_default();
        let law_en = finding.law.as_deref().map(|law| format!(", {law}")).unwrap_or_default();
        evidence.push(Evidence::new(
            false,
            format!("{where_zh}「{}」违反 {}{law}，扣 {cost} 分", finding.excerpt, finding.rule_id),
            format!("{where_en} \"{}\" breaks {}{law_en}: −{cost}", finding.excerpt, finding.rule_id),
            finding.at_ms,
        ));
    }
    if evidence.is_empty() {
        evidence.push(Evidence::new(
            true,
            "脚本和直播中没有违规用语".into(),
            "no linter finding in the script or live".into(),
            None,
        ));
    }
    (100u32.saturating_sub(lost), evidence)
}

/// How one scripted event went.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Handled { at_ms: i64 },
    Late { at_ms: i64 },
    Missed { at_ms: Option<i64>, why_zh: String, why_en: String },
}

fn normalize(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

fn judge(event: &ScriptedEvent, facts: Option<&EventFacts>) -> Outcome {
    let Some(facts) = facts else {
        return Outcome::Missed {
            at_ms: None,
            why_zh: "事件没有触发（下播过早或未记录）".into(),
            why_en: "the event never fired (ended too early or not recorded)".into(),
        };
    };
    let window_end = facts.fired_at_ms + event.respond_within_seconds as i64 * 1000;
    let mut responses: Vec<_> = facts.responses.iter().filter(|r| r.at_ms >= facts.fired_at_ms).collect();
    responses.sort_by_key(|r| r.at_ms);
    for response in &responses {
        let text = normalize(&response.text);
        if let Some(word) = event.handled.must_not_say.iter().find(|w| text.contains(&normalize(w))) {
            return Outcome::Missed {
                at_ms: Some(response.at_ms),
                why_zh: format!("回复「{}」说了不该说的「{word}」", response.text),
                why_en: format!("the reply \"{}\" says the forbidden \"{word}\"", response.text),
            };
        }
    }
    let mut done_at: Option<i64> = None;
    if event.needs_reply() {
        let says_required = |text: &str| {
            let text = normalize(text);
            event.handled.must_say_any.is_empty()
                || event.handled.must_say_any.iter().any(|w| text.contains(&normalize(w)))
        };
        match responses.iter().find(|r| r.lint_error_count == 0 && says_required(&r.text)) {
            Some(reply) => done_at = Some(reply.at_ms),
            None => {
                return match responses.first() {
                    None => Outcome::Missed {
                        at_ms: None,
                        why_zh: "没有回复".into(),
                        why_en: "no reply".into(),
                    },
                    Some(_) => match responses.iter().find(|r| r.lint_error_count > 0) {
                        Some(bad) => Outcome::Missed {
                            at_ms: Some(bad.at_ms),
                            why_zh: format!("回复「{}」有 {} 处违规用语", bad.text, bad.lint_error_count),
                            why_en: format!("the reply \"{}\" has {} linter errors", bad.text, bad.lint_error_count),
                        },
                        None => Outcome::Missed {
                            at_ms: Some(responses[0].at_ms),
                            why_zh: format!(
                                "回复「{}」没有说到要点（应包含其一：{}）",
                                responses[0].text,
                                event.handled.must_say_any.join("、")
                            ),
                            why_en: format!(
                                "the reply \"{}\" misses the point (say one of: {})",
                                responses[0].text,
                                event.handled.must_say_any.join(", ")
                            ),
                        },
                    },
                };
            }
        }
    }
    if let Some(Action::TakeOff) = event.handled.action {
        match facts.product_taken_off_at_ms {
            None => {
                return Outcome::Missed {
                    at_ms: None,
                    why_zh: "商品没有下架，仍在继续售卖".into(),
                    why_en: "the product was not taken off and kept selling".into(),
                };
            }
            Some(at_ms) => done_at = Some(done_at.map_or(at_ms, |reply| reply.max(at_ms))),
        }
    }
    let at_ms = done_at.unwrap_or(facts.fired_at_ms);
    if at_ms <= window_end { Outcome::Handled { at_ms } } else { Outcome::Late { at_ms } }
}

fn seconds_text(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn risky_events(
    params: &RiskyEventsParams,
    scenario: &Scenario,
    facts: &AttemptFacts,
) -> (u32, Vec<Evidence>, Vec<String>) {
    if scenario.events.is_empty() {
        let evidence = vec![Evidence::new(true, "本场景没有风险事件".into(), "the scenario has no scripted events".into(), None)];
        return (100, evidence, Vec::new());
    }
    let mut credit = 0u32;
    let mut evidence = Vec::new();
    let mut missed = Vec::new();
    for event in &scenario.events {
        let event_facts = facts.events.iter().find(|e| e.event_id == event.id);
        let head_zh = format!("[{}] {}", risk_zh(event.risk), event.describe_zh());
        let head_en = format!("[{}] {}", event.risk.label_en(), event.describe_en());
        let fired = event_facts.map(|e| e.fired_at_ms);
        match judge(event, event_facts) {
            Outcome::Handled { at_ms } => {
                credit += 100;
                let delay = at_ms - fired.unwrap_or(at_ms);
                evidence.push(Evidence::new(
                    true,
                    format!("{head_zh}：{} 秒内妥善处理", (delay + 999) / 1000),
                    format!("{head_en}: handled within {} s", (delay + 999) / 1000),
                    Some(at_ms),
                ));
            }
            Outcome::Late { at_ms } => {
                credit += params.late_credit_percent;
                evidence.push(Evidence::new(
                    false,
                    format!(
                        "{head_zh}：处理正确但超时（{} 之后，限时 {} 秒），得 {}%",
                        seconds_text(at_ms),
                        event.respond_within_seconds,
                        params.late_credit_percent
                    ),
                    format!(
                        "{head_en}: right but late (at {}, limit {} s): {}% credit",
                        seconds_text(at_ms),
                        event.respond_within_seconds,
                        params.late_credit_percent
                    ),
                    Some(at_ms),
                ));
            }
            Outcome::Missed { at_ms, why_zh, why_en } => {
                missed.push(event.id.clone());
                evidence.push(Evidence::new(
                    false,
                    format!("{head_zh}：未处理，{why_zh}"),
                    format!("{head_en}: missed, {why_en}"),
                    at_ms.or(fired),
                ));
            }
        }
    }
    let score = (credit as f64 / scenario.events.len() as f64).round() as u32;
    (score, evidence, missed)
}

fn risk_zh(risk: Risk) -> &'static str {
    risk.label_zh()
}

fn timing(params: &TimingParams, scenario: &Scenario, facts: &AttemptFacts) -> (u32, Vec<Evidence>) {
    let mut sum = 0u64;
    let mut evidence = Vec::new();
    for product in &scenario.products {
        let planned_seconds = product.planned_minutes as i64 * 60;
        let actual = facts.products.iter().find(|p| p.sku == product.sku).filter(|p| p.presented);
        let Some(actual) = actual else {
            evidence.push(Evidence::new(
                false,
                format!("{}：没有讲解，计划 {} 分钟", product.name, product.planned_minutes),
                format!("{}: not presented, {} min planned", product.name, product.planned_minutes),
                None,
            ));
            continue;
        };
        let deviation_percent = ((actual.actual_seconds - planned_seconds).abs() * 100) as f64 / planned_seconds as f64;
        let outside = (deviation_percent - params.tolerance_percent as f64).max(0.0);
        let score = (100.0 - outside * params.points_per_percent_outside as f64).clamp(0.0, 100.0).round() as u64;
        sum += score;
        let sign = if actual.actual_seconds >= planned_seconds { "+" } else { "−" };
        let ok = outside == 0.0;
        evidence.push(Evidence::new(
            ok,
            format!(
                "{}：计划 {} 分钟，实际 {}（{sign}{:.0}%，容差 ±{}%）",
                product.name,
                product.planned_minutes,
                seconds_text(actual.actual_seconds * 1000),
                deviation_percent,
                params.tolerance_percent
            ),
            format!(
                "{}: {} min planned, {} actual ({sign}{:.0}%, tolerance ±{}%)",
                product.name,
                product.planned_minutes,
                seconds_text(actual.actual_seconds * 1000),
                deviation_percent,
                params.tolerance_percent
            ),
            None,
        ));
    }
    ((sum as f64 / scenario.products.len() as f64).round() as u32, evidence)
}

fn checklist(params: &ChecklistParams, facts: &AttemptFacts) -> (u32, Vec<Evidence>) {
    let mut weighted = 0.0;
    let mut evidence = Vec::new();
    let mut n_critical_open = 0u32;
    for (phase, share) in
        [(Phase::Before, params.before_percent), (Phase::During, params.during_percent), (Phase::After, params.after_percent)]
    {
        let Some(phase_facts) = facts.checklist.iter().find(|c| c.phase == phase) else {
            evidence.push(Evidence::new(
                false,
                format!("{}清单没有记录", phase.label_zh()),
                format!("no {} checklist recorded", phase.label_en()),
                None,
            ));
            continue;
        };
        let ratio = if phase_facts.total == 0 {
            1.0
        } else {
            phase_facts.satisfied.min(phase_facts.total) as f64 / phase_facts.total as f64
        };
        weighted += ratio * share as f64;
        evidence.push(Evidence::new(
            phase_facts.satisfied >= phase_facts.total,
            format!("{}清单完成 {}/{}", phase.label_zh(), phase_facts.satisfied, phase_facts.total),
            format!("{} checklist {}/{} done", phase.label_en(), phase_facts.satisfied, phase_facts.total),
            None,
        ));
        for title in &phase_facts.critical_open {
            n_critical_open += 1;
            evidence.push(Evidence::new(
                false,
                format!("{}关键项未完成：{title}，扣 {} 分", phase.label_zh(), params.critical_open_points),
                format!("{} critical item open: {title}: −{}", phase.label_en(), params.critical_open_points),
                None,
            ));
        }
    }
    let score = (weighted.round() as u32).saturating_sub(n_critical_open * params.critical_open_points);
    (score, evidence)
}

fn product_coverage(params: &ProductCoverageParams, scenario: &Scenario, facts: &AttemptFacts) -> (u32, Vec<Evidence>) {
    let mut sum = 0u64;
    let mut evidence = Vec::new();
    for product in &scenario.products {
        let found = facts.products.iter().find(|p| p.sku == product.sku);
        let presented = found.is_some_and(|p| p.presented);
        let price = found.is_some_and(|p| p.price_stated);
        let after_sales = found.is_some_and(|p| p.after_sales_stated);
        let mut points = 0;
        let mut missing_zh = Vec::new();
        let mut missing_en = Vec::new();
        for (done, value, zh, en) in [
            (presented, params.presented_points, "讲解", "presentation"),
            (price, params.price_points, "报价", "price"),
            (after_sales, params.after_sales_points, "售后说明", "after-sales policy"),
        ] {
            if done {
                points += value;
            } else {
                missing_zh.push(zh);
                missing_en.push(en);
            }
        }
        sum += points as u64;
        if missing_zh.is_empty() {
            evidence.push(Evidence::new(
                true,
                format!("{}：讲解、报价、售后都已说明", product.name),
                format!("{}: presented, price and after-sales stated", product.name),
                None,
            ));
        } else {
            evidence.push(Evidence::new(
                false,
                format!("{}：缺少{}", product.name, missing_zh.join("、")),
                format!("{}: missing {}", product.name, missing_en.join(", ")),
                None,
            ));
        }
    }
    ((sum as f64 / scenario.products.len() as f64).round() as u32, evidence)
}

fn audience(params: &AudienceParams, scenario: &Scenario, facts: &AttemptFacts) -> (u32, Vec<Evidence>) {
    let expected = &scenario.audience;
    let actual = &facts.audience;
    let mut score = 0.0;
    let mut evidence = Vec::new();
    // Counts as numbers, money as yuan with two decimals (not fen).
    let yuan = |fen: i64| format!("¥{}.{:02}", fen / 100, (fen % 100).abs());
    let figures: [(&str, &str, i64, i64, u32, bool); 3] = [
        ("峰值观众", "peak viewers", actual.peak_viewers as i64, expected.expected_peak_viewers as i64, params.peak_viewers_points, false),
        ("订单", "orders", actual.orders as i64, expected.expected_orders as i64, params.orders_points, false),
        ("GMV", "GMV", actual.gmv_fen, expected.expected_gmv_fen, params.gmv_points, true),
    ];
    for (zh, en, got, want, points, money) in figures {
        let ratio = if want <= 0 { 1.0 } else { (got.max(0) as f64 / want as f64).min(1.0) };
        score += ratio * points as f64;
        let (got_text, want_text) = if money { (yuan(got), yuan(want)) } else { (got.to_string(), want.to_string()) };
        evidence.push(Evidence::new(
            got >= want,
            format!("{zh}：{got_text}，预期 {want_text}"),
            format!("{en}: {got_text}, expected {want_text}"),
            None,
        ));
    }
    (score.round() as u32, evidence)
}

#[cfg(test)]
mod tests;
