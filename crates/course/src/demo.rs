//! A model attempt built from a scenario's own data, for the app's demo and for tests.

use crate::facts::{
    AttemptFacts, AudienceFacts, ChecklistFacts, EventFacts, Phase, ProductFacts, Response, Student,
};
use crate::scenario::{Action, Scenario};

/// Facts of an attempt that does everything the scenario asks, on time: each product for
/// its planned minutes with price and after-sales stated, each event answered 10 s after it
/// fires with the first of its `must_say_any` words (or taken off after 5 s), every
/// checklist item done, and the audience at the scenario's expectation.
///
/// The app's demo shows what a full-marks report looks like with it; tests start from it
/// and remove one fact at a time.
pub fn model_attempt(scenario: &Scenario, student: Student, started_at: &str, ended_at: &str) -> AttemptFacts {
    let products = scenario
        .products
        .iter()
        .map(|product| ProductFacts {
            sku: product.sku.clone(),
            name: product.name.clone(),
            planned_minutes: product.planned_minutes,
            actual_seconds: product.planned_minutes as i64 * 60,
            presented: true,
            price_stated: true,
            after_sales_stated: true,
        })
        .collect();
    let events = scenario
        .events
        .iter()
        .map(|event| {
            let fired_at_ms = event.at_seconds as i64 * 1000;
            let responses = if event.needs_reply() {
                let text = match event.handled.must_say_any.first() {
                    Some(word) => format!("这位朋友，{word}，谢谢关注"),
                    None => "这位朋友，谢谢关注，我们按平台规则处理".to_string(),
                };
                vec![Response { at_ms: fired_at_ms + 10_000, text, lint_error_count: 0 }]
            } else {
                Vec::new()
            };
            let product_taken_off_at_ms = event.handled.action.map(|action| match action {
                Action::TakeOff => fired_at_ms + 5_000,
            });
            EventFacts { event_id: event.id.clone(), risk: event.risk, fired_at_ms, responses, product_taken_off_at_ms }
        })
        .collect();
    let checklist = [Phase::Before, Phase::During, Phase::After]
        .into_iter()
        .map(|phase| ChecklistFacts { phase, satisfied: 5, total: 5, critical_open: Vec::new() })
        .collect();
    AttemptFacts {
        student,
        scenario_id: scenario.id.clone(),
        scenario_version: scenario.version,
        scenario_hash: scenario.source_hash.clone(),
        started_at: started_at.to_string(),
        ended_at: ended_at.to_string(),
        duration_seconds: scenario.target_minutes as i64 * 60,
        products,
        lint_findings: Vec::new(),
        events,
        checklist,
        audience: AudienceFacts {
            peak_viewers: scenario.audience.expected_peak_viewers,
            total_viewers: scenario.audience.expected_peak_viewers * 3,
            comments: scenario.audience.expected_peak_viewers,
            orders: scenario.audience.expected_orders,
            units: scenario.audience.expected_orders,
            gmv_fen: scenario.audience.expected_gmv_fen,
        },
    }
}
