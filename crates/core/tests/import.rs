//! Import fixtures from tests/fixtures/import: good rows import, bad rows are reported
//! with their line and reason, nothing is half-written.

use anchordesk_core::import::{Encoding, Format, ImportError, export_csv, export_json, read_products, read_products_file};
use anchordesk_core::validate::FieldErrorCode;
use anchordesk_core::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/import").join(name)
}

fn codes(parsed: &import::ParsedFile) -> Vec<(u64, String, FieldErrorCode)> {
    parsed
        .errors
        .iter()
        .flat_map(|row| row.errors.iter().map(move |e| (row.line, e.field.clone(), e.code)))
        .collect()
}

#[test]
fn mixed_csv_reports_each_bad_row_by_line_and_keeps_the_good_ones() {
    let parsed = read_products_file(&fixture("mixed.csv")).unwrap();
    assert_eq!(parsed.encoding, Some(Encoding::Utf8));
    let good: Vec<(u64, &str)> = parsed.rows.iter().map(|(line, d)| (*line, d.sku.as_str())).collect();
    assert_eq!(good, vec![(2, "T-1"), (6, "T-5")]);
    assert_eq!(
        codes(&parsed),
        vec![
            (3, "price".into(), FieldErrorCode::NotANumber),
            (4, "stock".into(), FieldErrorCode::Negative),
            (5, "name".into(), FieldErrorCode::Required),
            (5, "stock".into(), FieldErrorCode::NotAnInteger),
            (7, "sku".into(), FieldErrorCode::DuplicateSku),
        ]
    );
    assert_eq!(parsed.errors[0].to_string(), "line 3: price \"abc\" is not a number");
    let t5 = &parsed.rows[1].1;
    assert_eq!(t5.storage, Storage::Cool, "阴凉 is read as cool");
    assert_eq!(parsed.rows[0].1.certificates[0].kind, CertificateKind::GeographicalIndication);
}

#[test]
fn gbk_csv_with_chinese_headers_imports_with_the_right_prices() {
    let parsed = read_products_file(&fixture("gbk.csv")).unwrap();
    assert_eq!(parsed.encoding, Some(Encoding::Gb18030));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let orange = &parsed.rows[0].1;
    assert_eq!(orange.name, "赣南脐橙 5斤装");
    assert_eq!(orange.price, Fen(2990));
    assert_eq!(orange.shelf_life_days, Some(30));
    let bayberry = &parsed.rows[1].1;
    assert_eq!(bayberry.price, Fen(9900));
    assert!(bayberry.cold_chain);
    assert_eq!(bayberry.storage, Storage::Chilled);
}

#[test]
fn wrong_columns_name_what_is_missing() {
    let err = read_products_file(&fixture("wrong-columns.csv")).unwrap_err();
    match err {
        ImportError::MissingColumns { missing, found } => {
            assert_eq!(missing, vec!["sku", "name", "price"]);
            assert_eq!(found, vec!["名字", "颜色"]);
        }
        other => panic!("expected missing columns, got {other}"),
    }
}

#[test]
fn empty_and_undecodable_files_are_refused_as_a_whole() {
    assert!(matches!(read_products_file(&fixture("empty.csv")), Err(ImportError::Empty)));
    assert!(matches!(read_products_file(&fixture("bad-encoding.csv")), Err(ImportError::Encoding { .. })));
}

#[test]
fn json_items_are_checked_like_a_form() {
    let parsed = read_products_file(&fixture("products.json")).unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].1.price, Fen(3990));
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 2);
}

#[test]
fn xlsx_rows_import_and_bad_cells_are_reported_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["货号", "商品名称", "价格", "库存", "冷链"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "X-1").unwrap();
    sheet.write_string(1, 1, "仙居杨梅").unwrap();
    sheet.write_number(1, 2, 99.9).unwrap();
    sheet.write_number(1, 3, 40.0).unwrap();
    sheet.write_string(1, 4, "是").unwrap();
    sheet.write_string(2, 0, "X-2").unwrap();
    sheet.write_string(2, 1, "坏价格").unwrap();
    sheet.write_string(2, 2, "十元").unwrap();
    workbook.save(&path).unwrap();

    let parsed = read_products_file(&path).unwrap();
    assert_eq!(parsed.format, Format::Xlsx);
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].1.price, Fen(9990));
    assert_eq!(parsed.rows[0].1.stock, 40);
    assert!(parsed.rows[0].1.cold_chain);
    assert_eq!(codes(&parsed), vec![(3, "price".into(), FieldErrorCode::NotANumber)]);
}

#[test]
fn a_file_that_is_not_a_spreadsheet_is_refused() {
    let err = read_products(b"PK\x03\x04 not really a zip", Format::Xlsx).unwrap_err();
    assert!(matches!(err, ImportError::Spreadsheet(_)), "{err}");
}

#[test]
fn a_100_mb_file_of_binary_junk_is_refused_without_panic() {
    let mut junk = vec![0u8; 100 * 1024 * 1024];
    let mut x: u32 = 0x1234_5678;
    for byte in junk.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = (x >> 24) as u8;
    }
    // Over the size limit: refused before it is decoded, with a message that says what to do.
    let err = read_products(&junk, Format::Csv).unwrap_err();
    assert!(matches!(err, ImportError::TooLarge { size_mb: 100, limit_mb: 64 }), "{err}");
    assert!(err.to_string().contains("split it"), "{err}");
    // Under it, junk is still refused as junk.
    junk.truncate(30 * 1024 * 1024);
    let err = read_products(&junk, Format::Csv).unwrap_err();
    assert!(matches!(err, ImportError::Encoding { .. }), "{err}");
}

#[test]
fn an_oversized_file_is_refused_by_its_size_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(import::MAX_IMPORT_BYTES + 1).unwrap(); // sparse: nothing is written
    let err = read_products_file(&path).unwrap_err();
    assert!(matches!(err, ImportError::TooLarge { .. }), "{err}");
}

#[test]
fn a_large_csv_with_a_ragged_row_keeps_going() {
    let mut text = String::from("sku,name,price,stock\n");
    for i in 0..20_000 {
        text.push_str(&format!("S-{i},商品{i},{}.{:02},{}\n", i % 500, i % 100, i % 70));
    }
    text.push_str("S-RAGGED,只有两列\n");
    text.push_str("S-LAST,最后一个,1,1\n");
    let parsed = read_products(text.as_bytes(), Format::Csv).unwrap();
    assert_eq!(parsed.rows.len(), 20_001);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 20_002);
}

#[test]
fn upsert_is_all_in_one_transaction_and_updates_by_sku() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let parsed = read_products_file(&fixture("mixed.csv")).unwrap();
    let drafts: Vec<ProductDraft> = parsed.rows.iter().map(|(_, d)| d.clone()).collect();
    let mut calls = Vec::new();
    let outcomes = store.upsert_products(&drafts, &mut |n| calls.push(n)).unwrap();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(calls.last(), Some(&2));
    let again = store.upsert_products(&drafts, &mut |_| {}).unwrap();
    assert!(again.iter().all(|o| matches!(o, store::Upserted::Updated(_))));
    assert_eq!(store.count_products().unwrap(), 2);
}

fn arb_draft() -> impl Strategy<Value = ProductDraft> {
    let text = "[\\p{Han}a-zA-Z0-9 ,，\"。\\n]{0,20}";
    (
        "[A-Z0-9-]{1,12}",
        "[\\p{Han}a-zA-Z][\\p{Han}a-zA-Z0-9 ,\"]{0,20}",
        text,
        0i64..10_000_000,
        0i32..100_000,
        proptest::option::of(0i32..1000),
        proptest::sample::select(Storage::ALL.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(sku, name, points, price, stock, shelf, storage, cold)| ProductDraft {
            sku,
            name: name.trim().to_string(),
            origin: "产地".into(),
            spec: String::new(),
            price: Fen(price),
            stock,
            shelf_life_days: shelf,
            storage,
            cold_chain: cold,
            selling_points: points.trim().to_string(),
            after_sales: "坏果包赔".into(),
            certificates: vec![],
            category: Some(anchordesk_claims::ProductCategory::Food),
            registered_functions: String::new(),
        })
        .prop_filter("name must not be blank", |d| !d.name.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn export_then_import_gives_back_the_same_products(drafts in proptest::collection::vec(arb_draft(), 1..8)) {
        let mut seen = std::collections::HashSet::new();
        let drafts: Vec<ProductDraft> = drafts.into_iter().filter(|d| seen.insert(d.sku.clone())).collect();
        let products: Vec<Product> = drafts.iter().enumerate().map(|(i, d)| Product {
            id: ProductId(i as i64),
            draft: d.clone(),
            is_sample: false,
            updated_at: String::new(),
        }).collect();
        for (bytes, format) in [(export_csv(&products), Format::Csv), (export_json(&products), Format::Json)] {
            let parsed = read_products(&bytes, format).unwrap();
            prop_assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            let back: Vec<ProductDraft> = parsed.rows.into_iter().map(|(_, d)| d).collect();
            prop_assert_eq!(&back, &drafts);
        }
    }
}

#[test]
fn the_category_column_is_read_and_a_bad_category_is_reported_by_line() {
    let csv = "货号,名称,价格,类目,保健功能\n\
               H-1,蓝帽子蜂胶,168,保健食品,增强免疫力\n\
               H-2,脐橙,39.9,水果,\n\
               H-3,神奇药丸,99,灵丹,\n\
               H-4,洗衣液,29,日用品,\n";
    let parsed = read_products(csv.as_bytes(), Format::Csv).unwrap();
    let good: Vec<(u64, &str, Option<anchordesk_claims::ProductCategory>)> =
        parsed.rows.iter().map(|(line, d)| (*line, d.sku.as_str(), d.category)).collect();
    use anchordesk_claims::ProductCategory::*;
    assert_eq!(good, vec![(2, "H-1", Some(HealthFood)), (3, "H-2", Some(Food)), (5, "H-4", Some(Household))]);
    assert_eq!(parsed.rows[0].1.registered_functions, "增强免疫力");
    assert_eq!(codes(&parsed), vec![(4, "category".into(), FieldErrorCode::UnknownValue)]);
    // The export writes the category back in a form the importer reads.
    let exported = export_csv(
        &parsed
            .rows
            .iter()
            .map(|(_, draft)| Product { id: ProductId(1), draft: draft.clone(), is_sample: false, updated_at: String::new() })
            .collect::<Vec<_>>(),
    );
    let again = read_products(&exported, Format::Csv).unwrap();
    assert_eq!(again.rows.iter().map(|(_, d)| d.category).collect::<Vec<_>>(), vec![Some(HealthFood), Some(Food), Some(Household)]);
}

#[test]
fn a_json_category_may_be_written_in_chinese_and_a_bad_one_is_reported() {
    let json = r#"[
        {"sku":"J-1","name":"蜂胶","origin":"","spec":"","price":16800,"stock":1,"shelfLifeDays":null,"storage":"ambient","coldChain":false,"sellingPoints":"","certificates":[],"category":"保健食品","registeredFunctions":"增强免疫力"},
        {"sku":"J-2","name":"脐橙","origin":"","spec":"","price":3990,"stock":1,"shelfLifeDays":null,"storage":"ambient","coldChain":false,"sellingPoints":"","certificates":[],"category":"fruit-ish"},
        {"sku":"J-3","name":"大米","origin":"","spec":"","price":5900,"stock":1,"shelfLifeDays":null,"storage":"ambient","coldChain":false,"sellingPoints":"","certificates":[],"category":"food"}
    ]"#;
    let parsed = read_products(json.as_bytes(), Format::Json).unwrap();
    use anchordesk_claims::ProductCategory::*;
    let good: Vec<_> = parsed.rows.iter().map(|(line, d)| (*line, d.category)).collect();
    assert_eq!(good, vec![(1, Some(HealthFood)), (3, Some(Food))]);
    assert_eq!(codes(&parsed), vec![(2, "category".into(), FieldErrorCode::UnknownValue)]);
}
