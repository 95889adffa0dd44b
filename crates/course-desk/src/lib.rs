//! The desk's side of courses. `anchordesk-course` knows scenarios and grading but not the
//! store; `anchordesk-core` knows the store but not courses. This crate joins them: it
//! prepares a rehearsal broadcast from a scenario (products, line-up, script cues, the
//! practice shop's scripted events) and measures a finished attempt into the facts the
//! rubric grades.

use anchordesk_claims::Linter;
use anchordesk_core::live::{LiveMarkerKind, LiveSession};
use anchordesk_core::model::{Broadcast, BroadcastDraft, BroadcastId, Certificate, CertificateKind, LineupRole, LineupTerms, ProductDraft, Storage};
use anchordesk_core::money::Fen;
use anchordesk_core::plan::{CheckEnv, Phase as PlanPhase};
use anchordesk_core::room::RoomEventKind;
use anchordesk_core::store::ScriptEvent;
use anchordesk_core::{Store, StoreError, templates};
use anchordesk_course::{
    AttemptFacts, AudienceFacts, ChecklistFacts, EventFacts, EventKind, FindingSource, LintFact, Phase, ProductFacts, Response, Scenario,
    ScenarioProduct, Severity, Student,
};

pub mod grading;

/// Why an attempt could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("broadcast {0} is not a course rehearsal")]
    NotAnAttempt(i64),
    #[error("the rehearsal has not been on air yet")]
    NotOnAir,
    #[error("the rehearsal is still on air: stop it first")]
    StillLive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Words that say an after-sales policy was stated.
const AFTER_SALES_WORDS: &[&str] = &["售后", "包赔", "退款", "退货", "换货", "客服", "坏果", "破损", "补发", "七天无理由", "7天无理由"];

/// Words that say a price was stated, besides the live price's figure.
const PRICE_WORDS: &[&str] = &["直播价", "到手价", "日常价"];

fn certificate(name: &str) -> Certificate {
    let kind = if name.contains("有机") {
        CertificateKind::Organic
    } else if name.contains("绿色食品") {
        CertificateKind::GreenFood
    } else if name.contains("地理标志") {
        CertificateKind::GeographicalIndication
    } else if name.contains("无公害") {
        CertificateKind::PollutionFree
    } else if name.contains("检测") || name.contains("检验") {
        CertificateKind::InspectionReport
    } else if name.contains("生产许可") || name.starts_with("SC") {
        CertificateKind::FoodProductionLicense
    } else {
        CertificateKind::Other
    };
    Certificate { kind, number: name.to_string(), issuer: "课程档案".into(), valid_until: None }
}

fn product_draft(product: &ScenarioProduct) -> ProductDraft {
    ProductDraft {
        sku: product.sku.clone(),
        name: product.name.clone(),
        origin: product.origin.clone(),
        spec: String::new(),
        price: Fen(product.price_fen),
        stock: product.stock.min(i32::MAX as u32) as i32,
        shelf_life_days: Some(product.shelf_life_days.min(i32::MAX as u32) as i32),
        storage: Storage::default(),
        cold_chain: false,
        selling_points: product.selling_points.join("\n"),
        after_sales: product.after_sales.clone(),
        certificates: product.certificates.iter().map(|c| certificate(c)).collect(),
        category: anchordesk_claims::ProductCategory::parse(&product.category),
        registered_functions: String::new(),
    }
}

/// The scenario's events the practice shop fires (comments and stock-outs), in the desk's
/// words for the outbox. Coupon reminders stay on the desk: see [`due_prompts`].
pub fn shop_script(scenario: &Scenario) -> Vec<ScriptEvent> {
    scenario
        .events
        .iter()
        .filter_map(|event| {
            let (id, after_ms) = (event.id.clone(), event.at_seconds as i64 * 1000);
            match &event.kind {
                EventKind::Comment { user, text } => Some(ScriptEvent::Comment { id, after_ms, user: user.clone(), text: text.clone() }),
                EventKind::StockOut { sku } => Some(ScriptEvent::StockOut { id, after_ms, stock_out_sku: sku.clone() }),
                EventKind::CouponDue { .. } => None,
            }
        })
        .collect()
}

/// Prepares `student`'s rehearsal of `scenario`: the scenario's products in the catalog
/// (its facts on file replace a product's with the same SKU), a broadcast from the course
/// template with the line-up at the scenario's live prices, each product segment's cues from
/// the outline, the practice shop's scripted events queued, and the attempt recorded. On
/// a failure part-way the new broadcast is deleted again.
pub fn prepare_rehearsal(store: &mut Store, scenario: &Scenario, student: &Student, planned_start: &str) -> Result<Broadcast, StoreError> {
    let draft = BroadcastDraft {
        title: format!("排练 · {} · {}", scenario.title_zh, student.name),
        planned_start: planned_start.to_string(),
        platform: "sandbox".into(),
        anchor_id: None,
        target_minutes: scenario.target_minutes.min(i32::MAX as u32) as i32,
        after_sales_contact: scenario.products.first().map(|p| p.after_sales.clone()).unwrap_or_default(),
        scene: String::new(),
    };
    let template = templates::by_name("course").map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let broadcast = store.create_broadcast_from_template(&draft, &template)?;
    match fill(store, broadcast.id, scenario, student) {
        Ok(()) => store.broadcast(broadcast.id),
        Err(err) => {
            let _ = store.delete_broadcast(broadcast.id);
            Err(err)
        }
    }
}

fn fill(store: &mut Store, broadcast: BroadcastId, scenario: &Scenario, student: &Student) -> Result<(), StoreError> {
    for product in &scenario.products {
        let draft = product_draft(product);
        let id = match store.product_by_sku(&product.sku)? {
            Some(existing) => store.update_product(existing.id, &draft)?.id,
            None => store.create_product(&draft)?.id,
        };
        let item = store.add_lineup_item(broadcast, id)?;
        let terms = LineupTerms {
            live_price: Fen(product.live_price_fen),
            coupon: product.coupon.clone().unwrap_or_default(),
            stock: product.stock.min(i32::MAX as u32) as i32,
            planned_minutes: product.planned_minutes.min(i32::MAX as u32) as i32,
            role: LineupRole::Profit,
        };
        store.update_lineup_terms(item.id, &terms)?;
    }
    for view in store.run_of_show(broadcast)?.segments {
        let Some(product) = view.product.as_ref().and_then(|p| scenario.products.iter().find(|s| s.sku == p.sku)) else { continue };
        let mut draft = view.segment.draft.clone();
        draft.cues = product.outline.join("\n");
        store.update_segment(view.segment.id, &draft)?;
    }
    store.queue_script(broadcast, shop_script(scenario))?;
    store.create_course_attempt(broadcast, &scenario.id, &student.id, &student.name)?;
    Ok(())
}

/// A reminder the console shows when a desk-side event falls due (a coupon to announce).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuePrompt {
    pub event_id: String,
    pub sku: String,
    pub due_ms: i64,
    pub until_ms: i64,
}

/// The desk-side events due by `elapsed_ms` after going live, with their windows.
pub fn due_prompts(scenario: &Scenario, elapsed_ms: i64) -> Vec<DuePrompt> {
    scenario
        .events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::CouponDue { sku } => {
                let due_ms = event.at_seconds as i64 * 1000;
                (due_ms <= elapsed_ms).then(|| DuePrompt {
                    event_id: event.id.clone(),
                    sku: sku.clone(),
                    due_ms,
                    until_ms: due_ms + event.respond_within_seconds as i64 * 1000,
                })
            }
            _ => None,
        })
        .collect()
}

/// Whether `text` states `price` (its figure in yuan, e.g. `49.9` or `49.90` for 4990 fen,
/// `49` for 4900) or names a price outright.
pub fn states_price(text: &str, price: Fen) -> bool {
    let yuan = price.0 / 100;
    let cents = price.0 % 100;
    let mut figures = vec![format!("{yuan}.{cents:02}")];
    if cents % 10 == 0 {
        figures.push(format!("{yuan}.{}", cents / 10));
    }
    if cents == 0 {
        figures.push(format!("{yuan}元"));
        figures.push(format!("{yuan} 元"));
    }
    figures.iter().any(|f| text.contains(f.as_str())) || PRICE_WORDS.iter().any(|w| text.contains(w))
}

/// Whether `text` states an after-sales policy.
pub fn states_after_sales(text: &str) -> bool {
    AFTER_SALES_WORDS.iter().any(|w| text.contains(w))
}

fn severity(severity: anchordesk_claims::Severity) -> Severity {
    match severity {
        anchordesk_claims::Severity::Error => Severity::Error,
        anchordesk_claims::Severity::Warning => Severity::Warning,
        _ => Severity::Info,
    }
}

fn lint_fact(source: FindingSource, finding: &anchordesk_claims::Finding, at_ms: Option<i64>) -> LintFact {
    LintFact {
        source,
        rule_id: finding.rule_id.clone(),
        severity: severity(finding.severity),
        excerpt: finding.matched.clone(),
        at_ms,
        law: finding.laws.first().map(|law| law.id.clone()),
    }
}

/// Measures a finished rehearsal: every figure comes from the store (markers, replies,
/// the room's events as the practice shop reported them, the checklist, the linter's
/// findings in the script). Times are milliseconds of the recording.
pub fn attempt_facts(store: &Store, broadcast: BroadcastId, scenario: &Scenario, linter: &Linter, env: &CheckEnv) -> Result<AttemptFacts, FactsError> {
    let attempt = store.course_attempt(broadcast)?.ok_or(FactsError::NotAnAttempt(broadcast.0))?;
    let session: LiveSession = store.sessions(broadcast)?.pop().ok_or(FactsError::NotOnAir)?;
    if session.status == anchordesk_core::live::SessionStatus::Live {
        return Err(FactsError::StillLive);
    }
    // Everything on the recording's clock: markers and replies carry it; the shop's events
    // carry the wall clock, placed by the recording's origin.
    let origin_ms = session.media_origin_ms.or_else(|| anchordesk_core::live::unix_ms(&session.started_at)).unwrap_or(0);
    let report = store.report(broadcast, env, None)?;
    let replies = store.replies(session.id)?;
    let events = store.room_events(session.id, 0, usize::MAX >> 1)?;
    let run = store.run_of_show(broadcast)?;

    // Products: time on air from the markers; price and after-sales stated in the script
    // the student wrote (the product's talking points) or in what was typed while it was
    // on air.
    let products = scenario
        .products
        .iter()
        .map(|product| {
            let timing = report.products.iter().find(|p| p.sku == product.sku);
            let script: String = run
                .segments
                .iter()
                .filter(|s| s.product.as_ref().is_some_and(|p| p.sku == product.sku))
                // What the student wrote, not the scenario's cues (which say what to state).
                .map(|s| format!("{}\n", s.segment.draft.talking_points))
                .collect();
            let typed: String = replies
                .iter()
                .filter(|r| !r.held && timing.is_some_and(|t| t.stretches.iter().any(|s| r.media_ms >= s.start_ms && r.media_ms < s.end_ms)))
                .map(|r| format!("{}\n", r.text))
                .collect();
            let said = format!("{script}\n{typed}");
            let live_price = timing.map(|t| t.live_price).unwrap_or(Fen(product.live_price_fen));
            ProductFacts {
                sku: product.sku.clone(),
                name: product.name.clone(),
                planned_minutes: product.planned_minutes,
                actual_seconds: timing.map(|t| t.actual_seconds as i64).unwrap_or(0),
                presented: timing.is_some_and(|t| !t.stretches.is_empty()),
                price_stated: states_price(&said, live_price),
                after_sales_stated: states_after_sales(&said),
            }
        })
        .collect();

    // Findings: the script's (from the compliance review) and those of anything typed live
    // that the linter held back. Rules broken only: the learned backstop's suspicions (a
    // product title read as a certification claim, say) are checks for the anchor, not
    // breaches to grade.
    let mut lint_findings: Vec<LintFact> = store
        .compliance_report(broadcast, linter)?
        .findings
        .iter()
        .filter(|located| !located.finding.is_model_suspicion())
        .map(|located| lint_fact(FindingSource::Script, &located.finding, None))
        .collect();
    for reply in &replies {
        let at = reply.media_ms;
        lint_findings.extend(reply.findings.iter().filter(|finding| !finding.is_model_suspicion()).map(|finding| lint_fact(FindingSource::Live, finding, Some(at))));
    }

    // Scripted events: when the shop fired each, the replies to it, and when a product that
    // sold out was taken off the bag.
    let take_offs: Vec<(String, i64)> = report
        .markers
        .iter()
        .filter(|m| m.kind == LiveMarkerKind::TakeOff)
        .filter_map(|m| m.sku.clone().map(|sku| (sku, m.media_ms)))
        .collect();
    let duration_ms = report.duration_seconds as i64 * 1000;
    let mut event_facts = Vec::new();
    for event in &scenario.events {
        let fired = match &event.kind {
            EventKind::CouponDue { .. } => {
                let due = event.at_seconds as i64 * 1000;
                (due <= duration_ms).then_some((due, None))
            }
            _ => events
                .iter()
                .find(|e| e.scripted.as_deref() == Some(event.id.as_str()) && matches!(e.kind, Some(RoomEventKind::Comment | RoomEventKind::Stock)))
                .map(|e| ((e.at_ms - origin_ms).max(0), Some(e.seq))),
        };
        let Some((fired_at_ms, seq)) = fired else { continue };
        let responses = replies
            .iter()
            .filter(|r| !r.held)
            .filter(|r| match (&event.kind, seq) {
                (EventKind::Comment { .. }, Some(seq)) => r.comment_seq == seq,
                // Announcements to the room and captions on the picture answer a desk-side
                // reminder or a stock-out.
                (EventKind::CouponDue { .. } | EventKind::StockOut { .. }, _) => r.comment_seq <= anchordesk_core::store::ANNOUNCEMENT,
                _ => false,
            })
            .map(|r| Response { at_ms: r.media_ms, text: r.text.clone(), lint_error_count: r.lint_errors.max(0) as u32 })
            .collect();
        let product_taken_off_at_ms = match &event.kind {
            EventKind::StockOut { sku } => take_offs.iter().filter(|(s, at)| s == sku && *at >= fired_at_ms).map(|(_, at)| *at).min(),
            _ => None,
        };
        event_facts.push(EventFacts { event_id: event.id.clone(), risk: event.risk, fired_at_ms, responses, product_taken_off_at_ms });
    }

    let checklist = report
        .checklist
        .iter()
        .map(|c| ChecklistFacts {
            phase: match c.phase {
                PlanPhase::PreLive => Phase::Before,
                PlanPhase::OnAir => Phase::During,
                PlanPhase::PostLive => Phase::After,
            },
            satisfied: c.satisfied.max(0) as u32,
            total: c.total.max(0) as u32,
            critical_open: c.open_critical.clone(),
        })
        .collect();
    let a = &report.room.audience;
    let audience = AudienceFacts {
        peak_viewers: a.peak_viewers.max(0) as u32,
        total_viewers: a.total_viewers.max(0) as u32,
        comments: a.comments.max(0) as u32,
        orders: a.orders.max(0) as u32,
        units: a.units.max(0) as u32,
        gmv_fen: a.gmv.0,
    };
    Ok(AttemptFacts {
        student: Student { id: attempt.student_id, name: attempt.student_name },
        scenario_id: scenario.id.clone(),
        scenario_version: scenario.version,
        scenario_hash: scenario.source_hash.clone(),
        started_at: session.started_at.clone(),
        ended_at: session.ended_at.clone().unwrap_or_default(),
        duration_seconds: report.duration_seconds as i64,
        products,
        lint_findings,
        events: event_facts,
        checklist,
        audience,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_is_stated_by_its_figure_or_by_name() {
        assert!(states_price("今天直播间 49.9 一箱", Fen(4990)));
        assert!(states_price("只要49.90", Fen(4990)));
        assert!(states_price("到手价很实在", Fen(4990)));
        assert!(states_price("一盒 59 元", Fen(5900)));
        assert!(!states_price("很便宜，快来买", Fen(4990)));
        assert!(!states_price("49 块", Fen(4990)), "49 is not 49.90");
        assert!(states_after_sales("坏果包赔，联系客服"));
        assert!(!states_after_sales("甜过初恋"));
    }

    #[test]
    fn every_shop_event_of_the_scenarios_is_scripted_and_coupons_stay_on_the_desk() {
        for scenario in anchordesk_course::embedded_scenarios() {
            let script = shop_script(&scenario);
            let shop_events = scenario.events.iter().filter(|e| !matches!(e.kind, EventKind::CouponDue { .. })).count();
            assert_eq!(script.len(), shop_events, "{}", scenario.id);
            let coupons = scenario.events.iter().filter(|e| matches!(e.kind, EventKind::CouponDue { .. })).count();
            assert_eq!(due_prompts(&scenario, i64::MAX).len(), coupons);
            assert!(due_prompts(&scenario, -1).is_empty());
        }
    }
}
