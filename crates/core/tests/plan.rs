//! The run-of-show, templates, automatic checks and the go-live gate, on real SQLite files.

use anchordesk_core::plan::*;
use anchordesk_core::validate::{LineupTermsForm, ProductForm};
use anchordesk_core::*;

fn open_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    (dir, store)
}

fn env() -> CheckEnv {
    CheckEnv {
        today: time::macros::date!(2026 - 11 - 25),
        free_disk_bytes: Some(50 << 30),
        shipping_days: 3,
        bitrate_kbps: 2628,
        linter: Some(std::sync::Arc::new(anchordesk_claims::Linter::default_packs())),
        camera: None,
        microphone: None,
        platform: None,
    }
}

fn county(store: &mut Store) -> Broadcast {
    let draft = BroadcastDraft {
        title: "信丰县助农专场".into(),
        planned_start: "2026-12-05T19:00".into(),
        platform: "sandbox".into(),
        ..BroadcastDraft::default()
    };
    store.create_broadcast_from_template(&draft, &templates::by_name("county").unwrap()).unwrap()
}

fn sku(store: &Store, sku: &str) -> Product {
    store.product_by_sku(sku).unwrap().unwrap()
}

fn entry(state: &ChecklistState, check: AutoCheck) -> ChecklistEntry {
    state.entries.iter().find(|e| e.item.auto_check == Some(check)).cloned().unwrap()
}

fn problems(entry: &ChecklistEntry) -> Vec<(String, String)> {
    match &entry.outcome {
        Some(CheckOutcome::Fail { problems }) => problems.iter().map(|p| (p.code.clone(), p.subject.clone())).collect(),
        other => panic!("{} expected to fail, got {other:?}", entry.item.title),
    }
}

#[test]
fn a_template_fills_segments_checklist_and_target() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    assert_eq!(broadcast.template.as_deref(), Some("county"));
    assert_eq!(broadcast.draft.target_minutes, 120);
    let show = store.run_of_show(broadcast.id).unwrap();
    assert!(show.segments.len() >= 6);
    assert_eq!(show.segments[0].segment.draft.kind, SegmentKind::Opening);
    let checklist = store.checklist(broadcast.id).unwrap();
    assert!(checklist.iter().any(|i| i.law_ref.as_deref() == Some("CN-LSE-27")));
}

#[test]
fn line_up_items_become_product_segments_before_the_closing_and_follow_its_order() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let orange = store.add_lineup_item(broadcast.id, sku(&store, "SAMPLE-ORANGE-5KG").id).unwrap();
    let rice = store.add_lineup_item(broadcast.id, sku(&store, "SAMPLE-RICE-WUCHANG-5KG").id).unwrap();
    let show = store.run_of_show(broadcast.id).unwrap();
    let kinds: Vec<SegmentKind> = show.segments.iter().map(|s| s.segment.draft.kind).collect();
    let closing = kinds.iter().position(|k| *k == SegmentKind::Closing).unwrap();
    let products: Vec<usize> = kinds.iter().enumerate().filter(|(_, k)| **k == SegmentKind::Product).map(|(i, _)| i).collect();
    assert_eq!(products.len(), 2);
    assert!(products.iter().all(|p| *p < closing), "product segments come before the closing");
    let first = &show.segments[products[0]];
    assert_eq!(first.segment.lineup_item_id, Some(orange.id));
    assert_eq!(first.minutes, orange.terms.planned_minutes, "minutes come from the line-up");
    assert!(first.product.as_ref().unwrap().selling_points.contains("果径"));

    // Reordering the line-up reorders the product segments, and the other way round.
    store.reorder_lineup(broadcast.id, &[rice.id, orange.id]).unwrap();
    let show = store.run_of_show(broadcast.id).unwrap();
    let linked: Vec<_> = show.segments.iter().filter_map(|s| s.segment.lineup_item_id).collect();
    assert_eq!(linked, vec![rice.id, orange.id]);
    let mut order: Vec<SegmentId> = show.segments.iter().map(|s| s.segment.id).collect();
    let a = order.iter().position(|id| show.segments.iter().any(|s| s.segment.id == *id && s.segment.lineup_item_id == Some(rice.id))).unwrap();
    let b = order.iter().position(|id| show.segments.iter().any(|s| s.segment.id == *id && s.segment.lineup_item_id == Some(orange.id))).unwrap();
    order.swap(a, b);
    store.reorder_segments(broadcast.id, &order).unwrap();
    let lineup: Vec<_> = store.lineup(broadcast.id).unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(lineup, vec![orange.id, rice.id]);

    // Removing an item removes its segment; undo brings both back.
    let removed = store.remove_lineup_item(orange.id).unwrap();
    assert_eq!(store.run_of_show(broadcast.id).unwrap().segments.iter().filter(|s| s.product.is_some()).count(), 1);
    store.restore_lineup_item(&removed).unwrap();
    assert_eq!(store.run_of_show(broadcast.id).unwrap().segments.iter().filter(|s| s.product.is_some()).count(), 2);
}

#[test]
fn durations_add_up_from_segments_and_line_up() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let before = store.run_of_show(broadcast.id).unwrap();
    let item = store.add_lineup_item(broadcast.id, sku(&store, "SAMPLE-HONEY-500G").id).unwrap();
    let terms = LineupTermsForm { live_price: "49".into(), stock: "10".into(), planned_minutes: "12".into(), ..Default::default() };
    store.update_lineup_terms(item.id, &terms.parse().unwrap()).unwrap();
    let after = store.run_of_show(broadcast.id).unwrap();
    assert_eq!(after.planned_minutes, before.planned_minutes + 12);
    let mut minute = 0;
    for segment in &after.segments {
        assert_eq!(segment.starts_at_minute, minute);
        minute += segment.minutes;
    }
}

#[test]
fn segments_can_be_added_edited_removed_and_restored_but_product_segments_follow_the_line_up() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let draft = SegmentDraft {
        kind: SegmentKind::Deal,
        title: "抽奖".into(),
        title_en: "Lucky draw".into(),
        planned_minutes: 4,
        person: Person::Assistant,
        talking_points: "奖品和开奖时间".into(),
        cues: String::new(),
    };
    let added = store.add_segment(broadcast.id, &draft).unwrap();
    let show = store.run_of_show(broadcast.id).unwrap();
    let idx = show.segments.iter().position(|s| s.segment.id == added.id).unwrap();
    assert_eq!(show.segments[idx + 1].segment.draft.kind, SegmentKind::Closing, "added before the closing");
    let removed = store.remove_segment(added.id).unwrap();
    store.restore_segment(&removed).unwrap();
    assert_eq!(store.run_of_show(broadcast.id).unwrap().segments[idx].segment.id, added.id);

    let product_draft = SegmentDraft { kind: SegmentKind::Product, ..draft };
    assert!(matches!(store.add_segment(broadcast.id, &product_draft), Err(StoreError::Invalid(_))));
}

#[test]
fn go_live_is_blocked_by_a_product_with_no_stock_until_it_is_fixed() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let orange = store.add_lineup_item(broadcast.id, sku(&store, "SAMPLE-ORANGE-5KG").id).unwrap();
    let zero = LineupTermsForm { live_price: "49.90".into(), stock: "0".into(), planned_minutes: "10".into(), ..Default::default() };
    store.update_lineup_terms(orange.id, &zero.parse().unwrap()).unwrap();

    let state = store.checklist_state(broadcast.id, &env()).unwrap();
    assert!(!state.gate.allowed);
    assert_eq!(problems(&entry(&state, AutoCheck::LineupStock)), vec![("stockZero".into(), "赣南脐橙 5kg 装".into())]);
    assert!(state.gate.blockers.iter().any(|b| b.item.auto_check == Some(AutoCheck::LineupStock)));

    // Tick every manual critical item and set the after-sales contact: only the stock blocks.
    for item in store.checklist(broadcast.id).unwrap() {
        if item.auto_check.is_none() {
            store.set_checklist_done(item.id, true, "场控小王").unwrap();
        }
    }
    let mut draft = broadcast.draft.clone();
    draft.after_sales_contact = "客服电话 0797-1234567".into();
    store.update_broadcast(broadcast.id, &draft).unwrap();
    let state = store.checklist_state(broadcast.id, &env()).unwrap();
    let blockers: Vec<_> = state.gate.blockers.iter().map(|b| b.item.auto_check).collect();
    assert_eq!(blockers, vec![Some(AutoCheck::LineupStock)]);

    let fixed = LineupTermsForm { stock: "200".into(), ..zero };
    store.update_lineup_terms(orange.id, &fixed.parse().unwrap()).unwrap();
    let state = store.checklist_state(broadcast.id, &env()).unwrap();
    assert!(state.gate.allowed, "{:?}", state.gate.blockers);
}

#[test]
fn an_override_needs_a_reason_and_is_kept() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    assert!(!store.checklist_state(broadcast.id, &env()).unwrap().gate.allowed);
    assert!(matches!(store.override_go_live(broadcast.id, " ", "李组长"), Err(StoreError::Invalid(_))));
    store.override_go_live(broadcast.id, "样品已当面核对，证书原件在场", "李组长").unwrap();
    let gate = store.checklist_state(broadcast.id, &env()).unwrap().gate;
    assert!(gate.allowed);
    assert!(!gate.blockers.is_empty(), "the blockers stay visible");
    assert_eq!(gate.override_reason.unwrap().given_by, "李组长");
    store.clear_go_live_override(broadcast.id).unwrap();
    assert!(!store.checklist_state(broadcast.id, &env()).unwrap().gate.allowed);
}

#[test]
fn automatic_items_cannot_be_ticked_and_manual_ticks_record_who() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let items = store.checklist(broadcast.id).unwrap();
    let auto = items.iter().find(|i| i.auto_check.is_some()).unwrap();
    assert!(store.set_checklist_done(auto.id, true, "x").is_err());
    let manual = items.iter().find(|i| i.auto_check.is_none()).unwrap();
    let ticked = store.set_checklist_done(manual.id, true, "助播小李").unwrap();
    assert_eq!(ticked.done_by.as_deref(), Some("助播小李"));
    assert!(ticked.done_at.is_some());
    let unticked = store.set_checklist_done(manual.id, false, "助播小李").unwrap();
    assert!(unticked.done_at.is_none());
}

#[test]
fn each_automatic_check_fails_when_its_condition_is_broken() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    // An uncertified "organic" claim with an expired report, 2-day shelf life, chilled but no cold chain.
    let risky = ProductForm {
        sku: "RISKY-1".into(),
        name: "有机草莓".into(),
        price: "39".into(),
        stock: "10".into(),
        shelf_life_days: "2".into(),
        storage: Storage::Chilled,
        cold_chain: false,
        certificates: vec![Certificate {
            kind: CertificateKind::InspectionReport,
            number: "R-1".into(),
            issuer: "检测站".into(),
            valid_until: Some("2026-01-31".into()),
        }],
        ..ProductForm::default()
    };
    let product = store.create_product(&risky.parse().unwrap()).unwrap();
    store.add_lineup_item(broadcast.id, product.id).unwrap();
    let gift = SegmentDraft {
        kind: SegmentKind::Deal,
        title: "福利".into(),
        title_en: String::new(),
        planned_minutes: 3,
        person: Person::Anchor,
        talking_points: "前50单送羊毛围巾一条".into(),
        cues: String::new(),
    };
    store.add_segment(broadcast.id, &gift).unwrap();

    let mut small_disk = env();
    small_disk.free_disk_bytes = Some(10 << 20);
    let state = store.checklist_state(broadcast.id, &small_disk).unwrap();
    let certificates = problems(&entry(&state, AutoCheck::CertificatesValid));
    assert!(certificates.contains(&("certificateMissing".into(), "有机草莓".into())));
    assert!(certificates.contains(&("certificateExpired".into(), "有机草莓".into())));
    assert_eq!(problems(&entry(&state, AutoCheck::ShelfLifeCoversShipping)), vec![("shelfLifeTooShort".into(), "有机草莓".into())]);
    assert_eq!(problems(&entry(&state, AutoCheck::ColdChainShipping)), vec![("notColdChain".into(), "有机草莓".into())]);
    assert_eq!(problems(&entry(&state, AutoCheck::GiftsInLineup)), vec![("giftNotInLineup".into(), "羊毛围巾一条".into())]);
    assert_eq!(problems(&entry(&state, AutoCheck::AfterSalesContact)), vec![("noAfterSalesContact".into(), "".into())]);
    assert_eq!(problems(&entry(&state, AutoCheck::DiskSpace))[0].0, "diskTooSmall");
    assert!(matches!(entry(&state, AutoCheck::Camera).outcome, Some(CheckOutcome::Unavailable { .. })));
    assert!(!entry(&state, AutoCheck::Camera).satisfied, "an unavailable check is never a tick");
    let mut with_devices = small_disk.clone();
    with_devices.camera = Some(Err(String::new()));
    with_devices.microphone = Some(Ok(()));
    with_devices.platform = Some(Err("connection refused".into()));
    let state = store.checklist_state(broadcast.id, &with_devices).unwrap();
    assert_eq!(problems(&entry(&state, AutoCheck::Camera)), vec![("cameraNotChosen".into(), "".into())]);
    assert!(entry(&state, AutoCheck::Microphone).satisfied);
    assert_eq!(problems(&entry(&state, AutoCheck::Platform)), vec![("platformUnreachable".into(), "".into())]);

    // The same broadcast with sample products only passes the product checks.
    let (_dir2, mut clean_store) = open_store();
    let clean = county(&mut clean_store);
    let orange = sku(&clean_store, "SAMPLE-ORANGE-5KG").id;
    clean_store.add_lineup_item(clean.id, orange).unwrap();
    let state = clean_store.checklist_state(clean.id, &env()).unwrap();
    for check in [AutoCheck::LineupStock, AutoCheck::CertificatesValid, AutoCheck::ShelfLifeCoversShipping, AutoCheck::ColdChainShipping, AutoCheck::GiftsInLineup, AutoCheck::DiskSpace] {
        assert_eq!(entry(&state, check).outcome, Some(CheckOutcome::Pass), "{check:?}");
    }
}

#[test]
fn duplicating_a_broadcast_copies_plan_and_clears_ticks() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let orange = sku(&store, "SAMPLE-ORANGE-5KG").id;
    store.add_lineup_item(broadcast.id, orange).unwrap();
    let manual = store.checklist(broadcast.id).unwrap().into_iter().find(|i| i.auto_check.is_none()).unwrap();
    store.set_checklist_done(manual.id, true, "x").unwrap();

    let copy = store.duplicate_broadcast(broadcast.id, "信丰县助农专场（第二场）").unwrap();
    assert_eq!(copy.n_items, 1);
    let show = store.run_of_show(copy.id).unwrap();
    let original = store.run_of_show(broadcast.id).unwrap();
    assert_eq!(show.segments.len(), original.segments.len());
    let copy_items: Vec<_> = store.lineup(copy.id).unwrap().into_iter().map(|i| i.id).collect();
    assert!(show.segments.iter().filter_map(|s| s.segment.lineup_item_id).all(|id| copy_items.contains(&id)), "linked to the copy's items");
    assert!(store.checklist(copy.id).unwrap().iter().all(|i| i.done_at.is_none()));
}

#[test]
fn a_script_exported_as_markdown_imports_back_and_unknown_products_are_refused() {
    let (_dir, mut store) = open_store();
    let broadcast = county(&mut store);
    let orange = store.add_lineup_item(broadcast.id, sku(&store, "SAMPLE-ORANGE-5KG").id).unwrap();
    let show = store.run_of_show(broadcast.id).unwrap();
    let header = store.broadcast(broadcast.id).unwrap();
    let markdown = script::to_markdown(&header, &show);
    assert!(markdown.contains("## [SAMPLE-ORANGE-5KG]"));
    assert!(script::to_html(&header, &show).contains("赣南脐橙"));

    // Edit the text as a planner would, then import it back.
    let edited = markdown.replace("- 果径 75–80mm，单果约 250g", "- 果径 75–80mm，今天现切给大家看").replace("（5 分钟，主播）\n<!-- 直播价", "（9 分钟，主播）\n<!-- 直播价");
    let segments = script::parse_markdown(&edited).unwrap();
    let imported = store.import_script(broadcast.id, &segments).unwrap();
    assert_eq!(imported.segments.len(), show.segments.len());
    let product = imported.segments.iter().find(|s| s.segment.lineup_item_id == Some(orange.id)).unwrap();
    assert!(product.segment.draft.talking_points.contains("今天现切给大家看"));
    assert_eq!(product.minutes, 9);

    let before = store.run_of_show(broadcast.id).unwrap();
    let unknown = script::parse_markdown("## 开场（3 分钟）\n- 你好\n## [NO-SUCH-SKU] 不存在的商品\n").unwrap();
    match store.import_script(broadcast.id, &unknown) {
        Err(StoreError::Invalid(fields)) => assert!(fields[0].value.contains("line 3"), "{fields:?}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.run_of_show(broadcast.id).unwrap(), before, "nothing saved half-way");
}
