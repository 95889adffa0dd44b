//! With the `specta` feature, the contract types and the sync status export to
//! TypeScript, which fails on 64-bit integers that lack a `specta(type = ...)` override.
#![cfg(feature = "specta")]

use anchordesk_platform::sync::{Operation, SyncStatus};
use anchordesk_platform::*;

#[test]
fn contract_types_export_to_typescript() {
    let types = specta::Types::default()
        .register::<Shop>()
        .register::<Anchor>()
        .register::<Product>()
        .register::<ProductUpsert>()
        .register::<ProductPage>()
        .register::<Broadcast>()
        .register::<BroadcastCreate>()
        .register::<StreamTarget>()
        .register::<Bag>()
        .register::<Coupon>()
        .register::<CouponCreate>()
        .register::<LiveEvent>()
        .register::<EventPage>()
        .register::<OrderPage>()
        .register::<BroadcastMetrics>()
        .register::<Problem>()
        .register::<FaultSettings>()
        .register::<ShopCredentials>()
        .register::<TokenResponse>()
        .register::<BroadcastScript>()
        .register::<ScriptState>()
        .register::<ReplyCreate>()
        .register::<Reply>()
        .register::<MetricsPoint>()
        .register::<UploadProbe>()
        .register::<Operation>()
        .register::<SyncStatus>();
    let ts = specta_typescript::Typescript::default().export(&types, specta_serde::Format).unwrap();
    assert!(ts.contains("price_fen: number"), "{ts}");
    assert!(ts.contains("export type LiveEventKind"), "{ts}");
    assert!(ts.contains("\"upsert_product\""), "{ts}");
    assert!(ts.contains("\"set_script\"") && ts.contains("\"stock_out\""), "{ts}");
    assert!(ts.contains("fired_at_ms: number | null"), "{ts}");
    assert!(ts.contains("last_success_ms: number | null"), "{ts}");
    assert!(ts.contains("received_bytes: number") && ts.contains("server_ms: number"), "{ts}");
}
