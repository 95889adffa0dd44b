//! A model desk: a deterministic stream of changes and the state the platform must end
//! with once all of them are synced.

use anchordesk_platform::sync::Command;
use anchordesk_platform::*;
use std::collections::BTreeMap;

/// What the platform must hold of one product.
#[derive(Debug, Clone)]
pub struct ExpectedProduct {
    pub product: ProductUpsert,
    /// Upserts and stock changes applied; equals the platform's `revision`.
    pub changes: i64,
}

/// What the platform must hold of one broadcast.
#[derive(Debug, Clone, Default)]
pub struct ExpectedBroadcast {
    /// Status and pin events, in order.
    pub marks: Vec<LiveEventKind>,
    pub bag: Vec<String>,
    pub lineup: Vec<String>,
    pub coupons: usize,
    pub ended: bool,
}

pub struct Desk {
    pub commands: Vec<Command>,
    pub products: BTreeMap<String, ExpectedProduct>,
    pub broadcasts: BTreeMap<String, ExpectedBroadcast>,
}

const TITLES: &[&str] = &["赣南脐橙", "五常大米", "土蜂蜜", "高山云雾茶", "猕猴桃", "核桃", "香菇干", "腊肉"];

pub fn sku(idx: usize) -> String {
    format!("SKU-{idx:04}")
}

/// `n_ops` changes over `n_skus` products, with a broadcast flow every so often.
pub fn generate(seed: u64, n_ops: usize, n_skus: usize) -> Desk {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut desk = Desk { commands: Vec::with_capacity(n_ops), products: BTreeMap::new(), broadcasts: BTreeMap::new() };
    for idx in 0..n_skus.min(n_ops) {
        upsert(&mut desk, &mut rng, idx);
    }
    let mut flow: Vec<Command> = Vec::new();
    let mut n_broadcasts = 0;
    while desk.commands.len() < n_ops {
        let roll = rng.u32(0..100);
        if roll < 8 || !flow.is_empty() && roll < 16 {
            if flow.is_empty() {
                flow = broadcast_flow(&mut rng, n_broadcasts, n_skus);
                flow.reverse();
                n_broadcasts += 1;
            }
            let command = flow.pop().expect("flow is not empty");
            record_broadcast(&mut desk, &command);
            desk.commands.push(command);
        } else if roll < 65 {
            let idx = rng.usize(0..n_skus);
            upsert(&mut desk, &mut rng, idx);
        } else {
            let idx = rng.usize(0..n_skus);
            let stock = rng.i64(0..5_000);
            let sku = sku(idx);
            let expected = desk.products.get_mut(&sku).expect("every SKU is upserted first");
            expected.product.stock = stock;
            expected.changes += 1;
            desk.commands.push(Command::SetStock { sku, stock });
        }
    }
    desk
}

fn upsert(desk: &mut Desk, rng: &mut fastrand::Rng, idx: usize) {
    let sku = sku(idx);
    let title = format!("{} {}号", TITLES[idx % TITLES.len()], rng.u32(1..100));
    let product = ProductUpsert {
        description: format!("{title}，产地直发，坏果包赔"),
        title,
        price_fen: rng.i64(990..19_990),
        stock: rng.i64(10..5_000),
        origin: Some("江西赣州".into()),
    };
    let expected = desk.products.entry(sku.clone()).or_insert(ExpectedProduct { product: product.clone(), changes: 0 });
    expected.product = product.clone();
    expected.changes += 1;
    desk.commands.push(Command::UpsertProduct { sku, product });
}

fn broadcast_flow(rng: &mut fastrand::Rng, n: usize, n_skus: usize) -> Vec<Command> {
    let id = format!("bc-{n:03}");
    let mut skus: Vec<String> = Vec::new();
    while skus.len() < 4.min(n_skus) {
        let sku = sku(rng.usize(0..n_skus));
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    let mut flow = vec![
        Command::CreateBroadcast {
            broadcast: BroadcastCreate { id: id.clone(), title: format!("助农专场 {n}"), anchor_id: None, products: skus.clone(), scheduled_start_ms: None },
        },
        // The planner reorders the line-up before going live.
        Command::SetLineup { broadcast_id: id.clone(), products: skus.iter().rev().cloned().collect() },
        Command::StartBroadcast { broadcast_id: id.clone() },
    ];
    for sku in &skus {
        flow.push(Command::ListInBag { broadcast_id: id.clone(), sku: sku.clone(), live_price_fen: rng.i64(500..900) });
    }
    for sku in &skus {
        flow.push(Command::Pin { broadcast_id: id.clone(), sku: Some(sku.clone()) });
    }
    flow.push(Command::CreateCoupon {
        broadcast_id: id.clone(),
        coupon: CouponCreate { id: format!("{id}-c"), title: "满99减20".into(), discount_fen: 2000, threshold_fen: 9900, quantity: 50, sku: None },
    });
    // Unlisting the product on air also unpins it.
    flow.push(Command::UnlistFromBag { broadcast_id: id.clone(), sku: skus[skus.len() - 1].clone() });
    flow.push(Command::EndBroadcast { broadcast_id: id });
    flow
}

fn record_broadcast(desk: &mut Desk, command: &Command) {
    let entity = command.entity();
    let id = entity.trim_start_matches("broadcast:").to_owned();
    let expected = desk.broadcasts.entry(id).or_default();
    match command {
        Command::CreateBroadcast { broadcast } => expected.lineup = broadcast.products.clone(),
        Command::SetLineup { products, .. } => expected.lineup = products.clone(),
        Command::StartBroadcast { .. } => expected.marks.push(LiveEventKind::Status { status: BroadcastStatus::Live }),
        Command::EndBroadcast { .. } => {
            expected.marks.push(LiveEventKind::Status { status: BroadcastStatus::Ended });
            expected.ended = true;
        }
        Command::ListInBag { sku, .. } => expected.bag.push(sku.clone()),
        Command::UnlistFromBag { sku, .. } => {
            expected.bag.retain(|listed| listed != sku);
            let pinned = expected.marks.iter().rev().find_map(|mark| match mark {
                LiveEventKind::Pinned { sku } => Some(sku.clone()),
                _ => None,
            });
            if pinned.flatten().as_ref() == Some(sku) {
                expected.marks.push(LiveEventKind::Pinned { sku: None });
            }
        }
        Command::Pin { sku, .. } => expected.marks.push(LiveEventKind::Pinned { sku: sku.clone() }),
        Command::CreateCoupon { .. } => expected.coupons += 1,
        _ => {}
    }
}

/// Differences between the platform and the desk; empty when the platform holds exactly
/// the desk's state.
pub async fn differences(platform: &dyn Platform, desk: &Desk) -> Vec<String> {
    let mut problems = Vec::new();
    let mut held = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = platform.list_products(cursor.as_deref(), 500).await.expect("listing products");
        for product in page.items {
            held.insert(product.sku.clone(), product);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if held.len() != desk.products.len() {
        problems.push(format!("platform holds {} products, the desk {}", held.len(), desk.products.len()));
    }
    for (sku, expected) in &desk.products {
        let Some(product) = held.get(sku) else {
            problems.push(format!("{sku} is missing"));
            continue;
        };
        let want = &expected.product;
        if (&product.title, &product.description, product.price_fen, product.stock, &product.origin)
            != (&want.title, &want.description, want.price_fen, want.stock, &want.origin)
        {
            problems.push(format!("{sku}: platform {product:?} != desk {want:?}"));
        }
        if product.revision != expected.changes {
            problems.push(format!("{sku}: {} changes applied, the desk made {}", product.revision, expected.changes));
        }
    }
    for (id, expected) in &desk.broadcasts {
        let mut marks = Vec::new();
        let mut after = 0;
        loop {
            let page = platform.events(id, after, 1000).await.expect("listing events");
            if page.items.is_empty() {
                break;
            }
            after = page.next_after;
            marks.extend(
                page.items
                    .into_iter()
                    .map(|event| event.event)
                    .filter(|event| matches!(event, LiveEventKind::Status { .. } | LiveEventKind::Pinned { .. })),
            );
        }
        if marks != expected.marks {
            problems.push(format!("{id}: events {marks:?} != desk {:?}", expected.marks));
        }
        let lineup = platform.broadcast(id).await.expect("broadcast").products;
        if lineup != expected.lineup {
            problems.push(format!("{id}: line-up {lineup:?} != desk {:?}", expected.lineup));
        }
        let bag: Vec<String> = platform.bag(id).await.expect("bag").items.into_iter().map(|item| item.sku).collect();
        if bag != expected.bag {
            problems.push(format!("{id}: bag {bag:?} != desk {:?}", expected.bag));
        }
    }
    problems
}
