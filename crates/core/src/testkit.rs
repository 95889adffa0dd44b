//! Fixtures for tests and benchmarks of the crates above core (enabled by the `testkit`
//! feature, never in a shipped build): a broadcast ready to go live, made the way a user
//! makes one — from a built-in template, sample products in the line-up at a live price,
//! every manual checklist item ticked.

use crate::validate::LineupTermsForm;
use crate::{Broadcast, BroadcastDraft, LineupItem, Store, templates};

/// What the ready broadcast holds.
#[derive(Clone, Debug)]
pub struct ReadyBroadcast<'a> {
    pub title: &'a str,
    /// A built-in template's name (`farmer`, `course`, …).
    pub template: &'a str,
    /// Sample products (by SKU) in line-up order.
    pub skus: &'a [&'a str],
    /// The live price as typed (`"49.90"`).
    pub live_price: &'a str,
    pub planned_minutes: &'a str,
    /// Who ticks the checklist.
    pub operator: &'a str,
}

impl Default for ReadyBroadcast<'_> {
    fn default() -> Self {
        ReadyBroadcast {
            title: "周五果园直播",
            template: "farmer",
            skus: &["SAMPLE-ORANGE-5KG", "SAMPLE-HONEY-500G", "SAMPLE-WALNUT-1KG"],
            live_price: "49.90",
            planned_minutes: "1",
            operator: "小王",
        }
    }
}

/// Makes the broadcast in `store` (whose sample catalog is seeded); panics with what failed,
/// as a fixture should.
pub fn ready_broadcast(store: &mut Store, spec: &ReadyBroadcast<'_>) -> (Broadcast, Vec<LineupItem>) {
    let draft = BroadcastDraft {
        title: spec.title.into(),
        planned_start: "2026-12-06T19:00".into(),
        platform: "sandbox".into(),
        after_sales_contact: "客服 400-000-0000".into(),
        ..BroadcastDraft::default()
    };
    let template = templates::by_name(spec.template).expect("a built-in template");
    let broadcast = store.create_broadcast_from_template(&draft, &template).expect("the broadcast is created");
    let mut items = Vec::new();
    for sku in spec.skus {
        let product = store.product_by_sku(sku).expect("the catalog reads").unwrap_or_else(|| panic!("no sample product {sku}: seed the sample catalog first"));
        let item = store.add_lineup_item(broadcast.id, product.id).expect("the line-up takes the product");
        let terms = LineupTermsForm { live_price: spec.live_price.into(), stock: "50".into(), planned_minutes: spec.planned_minutes.into(), ..Default::default() };
        items.push(store.update_lineup_terms(item.id, &terms.parse().expect("valid terms")).expect("the terms are saved"));
    }
    for item in store.checklist(broadcast.id).expect("the checklist reads") {
        if item.auto_check.is_none() {
            store.set_checklist_done(item.id, true, spec.operator).expect("the item is ticked");
        }
    }
    (broadcast, items)
}
