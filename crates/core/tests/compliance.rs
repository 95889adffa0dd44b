//! The compliance review of a whole broadcast, with product facts and acknowledgements.

use anchordesk_claims::{Linter, Severity};
use anchordesk_core::compliance::{FindingKey, TextSource};
use anchordesk_core::plan::{Person, SegmentDraft, SegmentKind};
use anchordesk_core::*;

fn setup() -> (tempfile::TempDir, Store, Broadcast) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    store.seed_sample_catalog_once().unwrap();
    let draft = BroadcastDraft {
        title: "周末专场".into(),
        planned_start: "2026-12-05T19:00".into(),
        platform: "sandbox".into(),
        ..BroadcastDraft::default()
    };
    let broadcast = store.create_broadcast_from_template(&draft, &templates::by_name("farmer").unwrap()).unwrap();
    (dir, store, broadcast)
}

#[test]
fn the_sample_catalog_and_the_templates_read_clean() {
    let (_dir, mut store, broadcast) = setup();
    for product in store.products("").unwrap() {
        store.add_lineup_item(broadcast.id, product.id).unwrap();
    }
    let report = store.compliance_report(broadcast.id, &Linter::default_packs()).unwrap();
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.finding.severity == Severity::Error)
        .map(|f| format!("{} / {}: {}", f.label, f.finding.matched, f.finding.rule_id))
        .collect();
    assert!(errors.is_empty(), "sample texts trip the linter: {errors:#?}");
    assert!(report.n_texts > 20);
}

#[test]
fn a_risky_talking_point_is_found_where_it_is_and_can_be_acknowledged() {
    let (_dir, mut store, broadcast) = setup();
    let segment = store
        .add_segment(
            broadcast.id,
            &SegmentDraft {
                kind: SegmentKind::Deal,
                title: "福利".into(),
                title_en: String::new(),
                planned_minutes: 3,
                person: Person::Anchor,
                talking_points: "家人们，今天全网最低价！".into(),
                cues: String::new(),
            },
        )
        .unwrap();
    let linter = Linter::default_packs();
    let report = store.compliance_report(broadcast.id, &linter).unwrap();
    let finding = report
        .findings
        .iter()
        .find(|f| f.key.source == TextSource::TalkingPoints && f.finding.matched == "全网最低价")
        .expect("the claim in the talking points");
    assert_eq!(finding.key.owner_id, segment.id.0);
    assert!(finding.finding.laws.iter().any(|l| l.id == "CN-AD-9-3"));
    assert!(report.n_unresolved_errors >= 1);

    let key: FindingKey = finding.key.clone();
    assert!(matches!(store.acknowledge_finding(broadcast.id, &key, "", "李"), Err(StoreError::Invalid(_))));
    store.acknowledge_finding(broadcast.id, &key, "已改为直播间专享价，口播稿待更新", "李组长").unwrap();
    let report = store.compliance_report(broadcast.id, &linter).unwrap();
    let acknowledged = report.findings.iter().find(|f| f.key == key).unwrap();
    assert_eq!(acknowledged.acknowledgement.as_ref().unwrap().given_by, "李组长");
    assert_eq!(report.n_unresolved_errors, 0);
}

#[test]
fn an_organic_claim_without_a_certificate_is_flagged_from_the_product_facts() {
    let (_dir, mut store, broadcast) = setup();
    let form = validate::ProductForm {
        sku: "NO-CERT".into(),
        name: "有机蜂蜜".into(),
        price: "58".into(),
        stock: "20".into(),
        ..validate::ProductForm::default()
    };
    let product = store.create_product(&form.parse().unwrap()).unwrap();
    store.add_lineup_item(broadcast.id, product.id).unwrap();
    let report = store.compliance_report(broadcast.id, &Linter::default_packs()).unwrap();
    let organic = report
        .findings
        .iter()
        .find(|f| f.key.source == TextSource::ProductName && f.finding.matched.contains("有机"))
        .expect("the uncertified organic name is flagged");
    assert_eq!(organic.finding.severity, Severity::Error);

    // The certified sample millet says 有机 too, and is not an error.
    let millet = store.product_by_sku("SAMPLE-MILLET-ORG-2KG").unwrap().unwrap();
    store.add_lineup_item(broadcast.id, millet.id).unwrap();
    let report = store.compliance_report(broadcast.id, &Linter::default_packs()).unwrap();
    assert!(!report.findings.iter().any(|f| f.label.contains("小米") && f.finding.severity == Severity::Error));
}

#[test]
fn a_registered_health_function_is_lawful_for_a_health_food_only() {
    let (_dir, mut store, broadcast) = setup();
    let lint_points = |store: &mut Store, sku: &str, category: &str| {
        let form = validate::ProductForm {
            sku: sku.into(),
            name: "蜂胶软胶囊".into(),
            price: "168".into(),
            stock: "20".into(),
            selling_points: "每天两粒，增强免疫力".into(),
            category: category.into(),
            registered_functions: "增强免疫力".into(),
            ..validate::ProductForm::default()
        };
        let product = store.create_product(&form.parse().unwrap()).unwrap();
        assert_eq!(store.product(product.id).unwrap().draft.registered_functions, "增强免疫力");
        store.add_lineup_item(broadcast.id, product.id).unwrap();
        let report = store.compliance_report(broadcast.id, &Linter::default_packs()).unwrap();
        report
            .findings
            .into_iter()
            .filter(|f| f.key.source == TextSource::SellingPoints && f.finding.matched.contains("免疫力"))
            .filter(|f| f.key.owner_id == product.id.0)
            .map(|f| (f.finding.severity, f.finding.message))
            .collect::<Vec<_>>()
    };
    let health_food = lint_points(&mut store, "HF-1", "保健食品");
    assert!(!health_food.is_empty());
    assert!(health_food.iter().all(|(severity, _)| *severity == Severity::Info), "{health_food:?}");
    assert!(health_food[0].1.contains("保健食品"), "the finding names the category: {health_food:?}");
    let ordinary = lint_points(&mut store, "FOOD-1", "普通食品");
    assert!(ordinary.iter().any(|(severity, _)| *severity == Severity::Error), "{ordinary:?}");
}
