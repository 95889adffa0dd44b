//! Store round trips, migrations and refusals, on real SQLite files.

use anchordesk_core::store::SCHEMA_VERSION;
use anchordesk_core::validate::{FieldErrorCode, LineupTermsForm, ProductForm};
use anchordesk_core::*;
use std::path::Path;

fn open(dir: &Path) -> Store {
    Store::open(&dir.join("anchordesk.sqlite3")).expect("store opens")
}

fn orange() -> ProductDraft {
    ProductForm {
        sku: "ORANGE-1".into(),
        name: "脐橙 礼盒".into(),
        origin: "江西赣州".into(),
        spec: "5kg".into(),
        price: "59.90".into(),
        stock: "100".into(),
        shelf_life_days: "30".into(),
        after_sales: "坏果包赔：签收 48 小时内拍照联系客服".into(),
        certificates: vec![Certificate {
            kind: CertificateKind::GeographicalIndication,
            number: "GI-1".into(),
            issuer: "国家知识产权局".into(),
            valid_until: Some("2027-01-01".into()),
        }],
        ..ProductForm::default()
    }
    .parse()
    .unwrap()
}

fn broadcast_draft() -> BroadcastDraft {
    BroadcastDraft {
        title: "周五助农专场".into(),
        planned_start: "2026-12-04T19:30".into(),
        platform: "sandbox".into(),
        anchor_id: None,
        ..BroadcastDraft::default()
    }
}

#[test]
fn product_round_trip_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let mut store = open(dir.path());
        store.create_product(&orange()).unwrap().id
    };
    let store = open(dir.path());
    let product = store.product(id).unwrap();
    assert_eq!(product.draft, orange());
    assert!(!product.is_sample);
    assert_eq!(store.products("赣州").unwrap().len(), 1, "search by origin");
    assert_eq!(store.products("礼盒").unwrap().len(), 1, "search by name");
    assert!(store.products("大米").unwrap().is_empty());
}

#[test]
fn duplicate_sku_is_refused_with_a_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    store.create_product(&orange()).unwrap();
    let err = store.create_product(&orange()).unwrap_err();
    match err {
        StoreError::Invalid(fields) => assert_eq!(fields[0].code, FieldErrorCode::DuplicateSku),
        other => panic!("expected a duplicate SKU error, got {other}"),
    }
}

#[test]
fn delete_then_undo_brings_the_product_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let id = store.create_product(&orange()).unwrap().id;
    store.delete_products(&[id]).unwrap();
    assert!(store.products("").unwrap().is_empty());
    store.restore_products(&[id]).unwrap();
    assert_eq!(store.products("").unwrap()[0].id, id);
}

#[test]
fn undo_is_refused_when_the_sku_was_taken_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let id = store.create_product(&orange()).unwrap().id;
    store.delete_products(&[id]).unwrap();
    store.create_product(&orange()).unwrap();
    assert!(matches!(store.restore_products(&[id]), Err(StoreError::Invalid(_))));
    assert_eq!(store.count_products().unwrap(), 1);
}

#[test]
fn sample_catalog_is_seeded_once_and_removable_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let n = {
        let mut store = open(dir.path());
        let n = store.seed_sample_catalog_once().unwrap();
        assert!(n >= 4);
        assert!(store.products("").unwrap().iter().all(|p| p.is_sample));
        let samples = store.sample_product_ids().unwrap();
        assert_eq!(samples.len(), n);
        store.delete_products(&samples).unwrap();
        n
    };
    let mut store = open(dir.path());
    assert_eq!(store.seed_sample_catalog_once().unwrap(), 0, "removed samples stay removed");
    assert_eq!(store.count_products().unwrap(), 0);
    assert!(n > 0);
}

#[test]
fn lineup_add_reorder_terms_remove_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    store.seed_sample_catalog_once().unwrap();
    let products = store.products("").unwrap();
    let broadcast = store.create_broadcast(&broadcast_draft()).unwrap();
    let a = store.add_lineup_item(broadcast.id, products[0].id).unwrap();
    let b = store.add_lineup_item(broadcast.id, products[1].id).unwrap();
    let c = store.add_lineup_item(broadcast.id, products[2].id).unwrap();
    assert_eq!((a.position, b.position, c.position), (0, 1, 2));
    assert_eq!(a.terms.live_price, products[0].draft.price, "live price starts at the everyday price");

    // Adding the same product twice is refused.
    assert!(matches!(store.add_lineup_item(broadcast.id, products[0].id), Err(StoreError::Invalid(_))));

    let order = store.reorder_lineup(broadcast.id, &[c.id, a.id, b.id]).unwrap();
    assert_eq!(order.iter().map(|i| i.id).collect::<Vec<_>>(), vec![c.id, a.id, b.id]);
    // A wrong set of ids changes nothing.
    assert!(store.reorder_lineup(broadcast.id, &[c.id, a.id]).is_err());
    assert_eq!(store.lineup(broadcast.id).unwrap()[0].id, c.id);

    let terms = LineupTermsForm {
        live_price: "39.9".into(),
        coupon: "满99减10".into(),
        stock: "50".into(),
        planned_minutes: "12".into(),
        role: LineupRole::Traffic,
    }
    .parse()
    .unwrap();
    let updated = store.update_lineup_terms(a.id, &terms).unwrap();
    assert_eq!(updated.terms, terms);

    let removed = store.remove_lineup_item(a.id).unwrap();
    let after_remove = store.lineup(broadcast.id).unwrap();
    assert_eq!(after_remove.iter().map(|i| i.position).collect::<Vec<_>>(), vec![0, 1], "no gap");
    store.restore_lineup_item(&removed).unwrap();
    let restored = store.lineup(broadcast.id).unwrap();
    assert_eq!(restored.iter().map(|i| i.id).collect::<Vec<_>>(), vec![c.id, a.id, b.id]);
    assert_eq!(restored[1].terms, terms);

    let summary = store.broadcast(broadcast.id).unwrap();
    assert_eq!(summary.n_items, 3);
    assert_eq!(summary.planned_minutes, 12 + 5 + 5);
}

#[test]
fn deleted_broadcast_can_be_restored_with_its_lineup() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let product = store.create_product(&orange()).unwrap();
    let broadcast = store.create_broadcast(&broadcast_draft()).unwrap();
    store.add_lineup_item(broadcast.id, product.id).unwrap();
    store.delete_broadcast(broadcast.id).unwrap();
    assert!(store.broadcasts().unwrap().is_empty());
    store.restore_broadcast(broadcast.id).unwrap();
    assert_eq!(store.broadcasts().unwrap()[0].n_items, 1);
}

#[test]
fn anchors_keep_their_qualifications() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let q = Qualification {
        field: QualificationField::Health,
        title: "公共营养师".into(),
        number: "NO-77".into(),
        valid_until: None,
    };
    let anchor = store.save_anchor(None, "李主播", std::slice::from_ref(&q)).unwrap();
    let mut draft = broadcast_draft();
    draft.anchor_id = Some(anchor.id);
    let broadcast = store.create_broadcast(&draft).unwrap();
    assert_eq!(broadcast.draft.anchor_id, Some(anchor.id));
    assert_eq!(store.anchor(anchor.id).unwrap().qualifications, vec![q]);
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchordesk.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("CREATE TABLE future (x); PRAGMA user_version = {};", SCHEMA_VERSION + 1)).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1), "{err}");
    assert_eq!(err.code(), ErrorCode::NewerSchema);
    assert!(err.to_string().contains("anchordesk.sqlite3"), "names the file: {err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "file unchanged");
    assert!(!dir.path().join("anchordesk.sqlite3-wal").exists(), "no WAL created");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchordesk.sqlite3");
    let junk = "这不是数据库，只是一段文字。".repeat(200);
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotADatabase, "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), junk);

    // A real SQLite header over garbage pages is caught by SQLite itself.
    let mut fake = b"SQLite format 3\0".to_vec();
    fake.extend(std::iter::repeat_n(0xAB, 4096));
    std::fs::write(&path, &fake).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err.code(), ErrorCode::NotADatabase | ErrorCode::Internal), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), fake, "file unchanged");
}

#[test]
fn every_migration_applies_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(store.integrity_ok().unwrap());
}

#[test]
fn upgrading_from_the_previous_version_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchordesk.sqlite3");
    let previous = (SCHEMA_VERSION - 1) as usize;
    {
        let old = Store::open_at_version(&path, previous).unwrap();
        assert_eq!(old.schema_version().unwrap(), previous as i64);
    }
    // Data written by the previous build, with the previous build's SQL (today's code may
    // write tables that did not exist then).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO product (sku, name, origin, spec, price_fen, stock, shelf_life_days, storage, cold_chain, selling_points, \
             is_sample, created_at, updated_at) VALUES ('OLD-1', '老版本的脐橙', '江西', '5kg', 5990, 10, 30, 'cool', 0, '', 0, 'x', 'x')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let old = store.product_by_sku("OLD-1").unwrap().expect("the old row survives the upgrade");
    assert_eq!(old.draft.name, "老版本的脐橙");
    assert_eq!(old.draft.price, Fen(5990));
    store.set_setting("locale", "en").unwrap();
    assert_eq!(store.setting("locale").unwrap().as_deref(), Some("en"));
}

#[test]
fn every_product_write_queues_a_platform_change_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let n_samples = store.seed_sample_catalog_once().unwrap();
    assert_eq!(store.outbox_counts().unwrap().pending, n_samples as i32, "the sample catalog is queued for the platform");
    let product = store.create_product(&orange()).unwrap();
    let mut edited = orange();
    edited.price = Fen(4990);
    store.update_product(product.id, &edited).unwrap();
    let pending = store.outbox_pending(100).unwrap();
    let last = pending.last().unwrap();
    assert_eq!(last.entity, "product:ORANGE-1");
    assert_eq!(last.operation, store::UPSERT_PRODUCT);
    assert!(matches!(&last.op, Ok(store::OutboxOp::UpsertProduct(draft)) if draft.price == Fen(4990)), "{:?}", last.op);

    // A refused write queues nothing.
    assert!(store.create_product(&orange()).is_err());
    assert_eq!(store.outbox_pending(100).unwrap().len(), pending.len());

    store.outbox_mark_failed(last.id, "network down", Some(1)).unwrap();
    store.outbox_mark_done(last.id).unwrap();
    store.outbox_mark_failed(pending[0].id, "refused", None).unwrap();
    let counts = store.outbox_counts().unwrap();
    assert_eq!((counts.done, counts.given_up), (1, 1));
    assert_eq!(counts.pending as usize, pending.len() - 2);
}

#[test]
fn deleting_renaming_and_restoring_tell_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let product = store.create_product(&orange()).unwrap();
    let mut renamed = orange();
    renamed.sku = "ORANGE-2".into();
    store.update_product(product.id, &renamed).unwrap();
    store.delete_products(&[product.id]).unwrap();
    store.restore_products(&[product.id]).unwrap();
    let ops: Vec<(String, String)> = store.outbox_pending(100).unwrap().into_iter().map(|r| (r.entity, r.operation)).collect();
    assert_eq!(
        ops,
        vec![
            ("product:ORANGE-1".into(), "upsertProduct".into()),
            ("product:ORANGE-1".into(), "setStock".into()),
            ("product:ORANGE-2".into(), "upsertProduct".into()),
            ("product:ORANGE-2".into(), "setStock".into()),
            ("product:ORANGE-2".into(), "upsertProduct".into()),
        ]
    );
}

#[test]
fn outbox_rows_written_before_the_typed_operations_read_back() {
    // Rows exactly as the build before `OutboxOp` wrote them (operation code + JSON payload).
    let written_before = [
        ("startBroadcast", r#"{"broadcastId":"b1"}"#),
        ("listInBag", r#"{"broadcastId":"b1","sku":"A","livePriceFen":3990}"#),
        ("pin", r#"{"broadcastId":"b1","sku":null}"#),
        ("reply", r#"{"broadcastId":"b1","commentSeq":4,"text":"好的"}"#),
        ("setStock", r#"{"sku":"A","stock":0}"#),
        ("setScript", r#"{"broadcastId":"b1","events":[{"id":"e1","afterMs":5000,"user":"小李","text":"有机吗"},{"id":"e2","afterMs":9000,"stockOutSku":"A"}]}"#),
        ("createBroadcast", r#"{"broadcastId":"b1","title":"周五","skus":["A","B"]}"#),
    ];
    for (operation, payload) in written_before {
        let op = store::OutboxOp::from_columns(operation, payload).unwrap_or_else(|err| panic!("{operation}: {err}"));
        assert_eq!(op.code(), operation);
    }
    let script = store::OutboxOp::from_columns(written_before[5].0, written_before[5].1).unwrap();
    assert!(matches!(script, store::OutboxOp::SetScript { ref events, .. } if matches!(events[1], store::ScriptEvent::StockOut { ref stock_out_sku, .. } if stock_out_sku == "A")));
    // A row this build cannot read says why; nothing is guessed.
    let err = store::OutboxOp::from_columns("teleport", "{}").unwrap_err();
    assert!(err.contains("teleport"), "{err}");
    assert!(store::OutboxOp::from_columns("pin", r#"{"sku":"A"}"#).unwrap_err().contains("broadcastId"));
}

#[test]
fn a_renamed_sku_is_a_deletion_of_the_old_one_for_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.sqlite3")).unwrap();
    let draft = ProductDraft { sku: "RICE-5KG".into(), name: "五常大米 5kg".into(), price: Fen(6900), stock: 10, ..ProductDraft::default() };
    let product = store.create_product(&draft).unwrap();
    let before = store.catalog_changes_since("").unwrap();
    let mark = before.last().unwrap().at.clone();
    let renamed = ProductDraft { sku: "RICE-WC-5KG".into(), ..draft.clone() };
    store.update_product(product.id, &renamed).unwrap();
    let changes = store.catalog_changes_since(&mark).unwrap();
    let skus: Vec<(&str, bool)> = changes.iter().map(|c| (c.sku.as_str(), c.draft.is_some())).collect();
    assert_eq!(skus, [("RICE-5KG", false), ("RICE-WC-5KG", true)], "the old SKU withdrawn first, then the product under its new SKU");
    // Given back to a product, the old SKU is that product's change, not a deletion.
    store.create_product(&draft).unwrap();
    let again = store.catalog_changes_since(&mark).unwrap();
    assert!(again.iter().filter(|c| c.sku == "RICE-5KG").all(|c| c.draft.is_some()), "{again:?}");
}

/// The clock goes back an hour (it had been set ahead): a product written afterwards is
/// still a change after the last one the team has seen.
#[test]
fn a_clock_set_back_does_not_hide_a_later_change_from_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite3");
    let mut store = Store::open(&path).unwrap();
    let first = store.create_product(&ProductDraft { sku: "A-1".into(), name: "甲".into(), price: Fen(100), stock: 1, ..ProductDraft::default() }).unwrap();
    drop(store);
    // Written while the clock was an hour ahead.
    let ahead = (time::OffsetDateTime::now_utc() + time::Duration::hours(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE product SET updated_at = ?1 WHERE id = ?2", rusqlite::params![ahead, first.id.0]).unwrap();
    drop(conn);
    let mut store = Store::open(&path).unwrap();
    let sent_until = store.catalog_changes_since("").unwrap().last().unwrap().at.clone();
    assert_eq!(sent_until, ahead);
    store.create_product(&ProductDraft { sku: "B-2".into(), name: "乙".into(), price: Fen(200), stock: 2, ..ProductDraft::default() }).unwrap();
    let after: Vec<String> = store.catalog_changes_since(&sent_until).unwrap().into_iter().map(|c| c.sku).collect();
    assert!(after.contains(&"B-2".to_string()), "{after:?}");
}
