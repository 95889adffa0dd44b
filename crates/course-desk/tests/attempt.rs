//! A rehearsal prepared from a scenario, played through the store as a student who misses
//! the organic question and handles the rest, measured and graded.

use anchordesk_core::live::LiveMarkerKind;
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::room::{RoomEvent, RoomEventKind};
use anchordesk_core::{Store, store};
use anchordesk_course::{CriterionId, Rubric, Student, embedded_scenarios, grade};
use anchordesk_course_desk::{attempt_facts, prepare_rehearsal};

fn env() -> CheckEnv {
    CheckEnv {
        today: time::macros::date!(2026 - 11 - 26),
        free_disk_bytes: Some(50 << 30),
        shipping_days: 3,
        bitrate_kbps: 2628,
        linter: Some(std::sync::Arc::new(anchordesk_claims::Linter::default_packs())),
        camera: None,
        microphone: None,
        platform: None,
    }
}

/// A rehearsal of the shipped oranges scenario prepared for a student in a new store.
struct Rehearsal {
    _dir: tempfile::TempDir,
    store: Store,
    scenario: anchordesk_course::Scenario,
    broadcast: anchordesk_core::Broadcast,
}

fn rehearsal(student_id: &str, name: &str) -> Rehearsal {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let scenario = embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap();
    let student = Student { id: student_id.into(), name: name.into() };
    let broadcast = prepare_rehearsal(&mut store, &scenario, &student, "2026-11-26T10:00").unwrap();
    Rehearsal { _dir: dir, store, scenario, broadcast }
}

/// Ticks every checklist item a person ticks (the automatic ones check themselves).
fn tick_checklist(store: &mut Store, broadcast: &anchordesk_core::Broadcast, operator: &str) {
    for item in store.checklist(broadcast.id).unwrap() {
        if item.auto_check.is_none() {
            store.set_checklist_done(item.id, true, operator).unwrap();
        }
    }
}

#[test]
fn a_student_who_misses_the_organic_question_loses_exactly_that() {
    let Rehearsal { _dir, mut store, scenario, broadcast } = rehearsal("2024001", "李同学");
    let lineup = store.lineup(broadcast.id).unwrap();
    assert_eq!(lineup.len(), scenario.products.len());
    assert_eq!(lineup[0].terms.live_price.0, scenario.products[0].live_price_fen);
    let script = store.outbox_pending(1000).unwrap().into_iter().find(|r| r.operation == store::SET_SCRIPT).expect("the script is queued");
    match script.op {
        Ok(store::OutboxOp::SetScript { events, .. }) => assert_eq!(events.len(), 3),
        other => panic!("expected the scenario's script, got {other:?}"),
    }

    // The student writes the script: price and after-sales for each product.
    for view in store.run_of_show(broadcast.id).unwrap().segments {
        if let Some(product) = &view.product {
            let mut draft = view.segment.draft.clone();
            draft.talking_points = format!("{} 直播价 {}，坏果包赔，联系客服", product.name, product.live_price);
            store.update_segment(view.segment.id, &draft).unwrap();
        }
    }
    tick_checklist(&mut store, &broadcast, "李同学");
    let session = store.go_live(broadcast.id, &env(), "/tmp/rehearsal.mp4", true).unwrap();
    let start = anchordesk_core::live::unix_ms(&session.started_at).unwrap();
    store.set_media_origin(session.id, start).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, &lineup[0].product_name, Some(lineup[0].id), 1_000).unwrap();

    // The practice shop fires the scripted events (here written as the pull would keep them).
    let comment = |seq: i64, at_s: i64, id: &str, text: &str| RoomEvent {
        seq,
        at_ms: start + at_s * 1000,
        kind: Some(RoomEventKind::Comment),
        user: Some("观众".into()),
        text: Some(text.into()),
        scripted: Some(id.into()),
        ..RoomEvent::default()
    };
    let stock_out = RoomEvent {
        seq: 3,
        at_ms: start + 300_000,
        kind: Some(RoomEventKind::Stock),
        sku: Some("GN-ORANGE-5KG".into()),
        quantity: Some(0),
        scripted: Some("small-box-sold-out".into()),
        ..RoomEvent::default()
    };
    store
        .keep_room_events(session.id, &[comment(1, 90, "organic-question", "这橙子是有机的吗?"), comment(2, 200, "late-delivery", "快递太慢了！"), stock_out])
        .unwrap();
    // The organic question: the student claims 有机 (held back by the linter: no certificate), and
    // never sends a compliant answer. The complaint gets a proper answer.
    let linter = anchordesk_claims::Linter::default_packs();
    let organic = "是有机的，放心买";
    let findings = store.lint_text_for(&linter, organic, None, Some(lineup[0].id)).unwrap();
    assert!(store.add_reply(session.id, 1, organic, 95_000, &findings).unwrap().held, "{findings:?}");
    store.add_reply(session.id, 2, "抱歉久等，请把订单号发给客服，我们马上帮您查", 210_000, &[]).unwrap();
    store.add_marker(session.id, LiveMarkerKind::TakeOff, "下架", Some(lineup[0].id), 310_000).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, &lineup[1].product_name, Some(lineup[1].id), 310_500).unwrap();
    store.end_session(session.id, "/tmp/rehearsal.mp4", Some(600_000)).unwrap();

    let facts = attempt_facts(&store, broadcast.id, &scenario, &linter, &env()).unwrap();
    assert_eq!(facts.events.len(), 3);
    assert!(facts.lint_findings.iter().any(|f| f.source == anchordesk_course::FindingSource::Live), "the held reply is evidence");
    assert!(facts.products[0].price_stated && facts.products[0].after_sales_stated);
    let graded = grade(&scenario, &Rubric::default_rubric(), &facts).unwrap();
    let events = graded.criterion(CriterionId::RiskyEvents).unwrap();
    let missed: Vec<&str> = events.evidence.iter().filter(|e| !e.ok).map(|e| e.text_zh.as_str()).collect();
    assert_eq!(missed.len(), 1, "{:#?}", events.evidence);
    assert!(missed[0].contains("有机"), "{missed:?}");
    assert!(events.score < 100 && events.score > 0);
}

#[test]
fn a_student_who_states_nothing_gets_no_credit_for_price_or_after_sales() {
    let Rehearsal { _dir, mut store, scenario, broadcast } = rehearsal("2024002", "王同学");
    let lineup = store.lineup(broadcast.id).unwrap();
    tick_checklist(&mut store, &broadcast, "王同学");
    let session = store.go_live(broadcast.id, &env(), "/tmp/silent.mp4", true).unwrap();
    store.add_marker(session.id, LiveMarkerKind::Product, &lineup[0].product_name, Some(lineup[0].id), 1_000).unwrap();
    store.end_session(session.id, "/tmp/silent.mp4", Some(120_000)).unwrap();
    let linter = anchordesk_claims::Linter::default_packs();
    let facts = attempt_facts(&store, broadcast.id, &scenario, &linter, &env()).unwrap();
    assert!(facts.products[0].presented);
    assert!(!facts.products[0].price_stated && !facts.products[0].after_sales_stated, "{:?}", facts.products[0]);
    assert!(!facts.products[1].presented);
    assert!(facts.events.is_empty(), "the shop fired nothing: every scripted event counts as missed");
}

#[test]
fn the_backstops_suspicions_are_checks_not_breaches_in_the_grade() {
    let Rehearsal { _dir, mut store, scenario, broadcast } = rehearsal("2024003", "赵同学");
    // A lawful line the learned backstop reads as a claim (no rule matches it), and a line a
    // rule warns about (an error would keep the gate closed).
    let suspected = "这个是我们县的特产，县里也很支持我们做直播。";
    let linter = anchordesk_claims::Linter::default_packs();
    let on_its_own = linter.lint(suspected, &anchordesk_claims::LintOptions::default());
    assert!(
        on_its_own.iter().any(|f| f.is_model_suspicion()) && on_its_own.iter().all(|f| f.is_model_suspicion()),
        "the test needs a line only the model suspects; after retraining pick another: {on_its_own:?}"
    );
    for view in store.run_of_show(broadcast.id).unwrap().segments {
        if let Some(product) = &view.product {
            let mut draft = view.segment.draft.clone();
            draft.talking_points = format!("{suspected}\n{} 坏果包赔", product.name);
            store.update_segment(view.segment.id, &draft).unwrap();
        }
    }
    tick_checklist(&mut store, &broadcast, "赵同学");
    let session = store.go_live(broadcast.id, &env(), "/tmp/suspected.mp4", true).unwrap();
    store.end_session(session.id, "/tmp/suspected.mp4", Some(60_000)).unwrap();
    let report = store.compliance_report(broadcast.id, &linter).unwrap();
    assert!(report.findings.iter().any(|l| l.finding.is_model_suspicion()), "the review shows the suspicion");
    let facts = attempt_facts(&store, broadcast.id, &scenario, &linter, &env()).unwrap();
    assert!(facts.lint_findings.iter().all(|f| !f.rule_id.starts_with(anchordesk_claims::MODEL_RULE_PREFIX)), "{:?}", facts.lint_findings);
    assert!(facts.lint_findings.iter().any(|f| f.rule_id == "zh.gift-delivery.promise"), "{:?}", facts.lint_findings);
}
