//! Product import (CSV in UTF-8 or GBK/GB18030, XLSX, JSON) and export (CSV, JSON).
//!
//! Reading is separate from writing: [`read_products`] parses a whole file into good drafts
//! and row errors without touching the store, then [`crate::Store::upsert_products`] writes
//! the good rows in one transaction. A dry run is the first step alone.

use crate::model::{Certificate, CertificateKind, Product, ProductDraft, Storage};
use crate::validate::{FieldError, FieldErrorCode, ProductForm};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// File formats the importer reads, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    /// The format for a file name, by its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Text encodings the CSV reader recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// UTF-16 with a byte-order mark.
    Utf16,
}

/// A whole file that cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is neither UTF-8 nor GBK/GB18030 text (first bad byte at offset {offset})")]
    Encoding { offset: usize },
    #[error("missing required column(s) {missing:?}; the header has {found:?}")]
    MissingColumns { missing: Vec<&'static str>, found: Vec<String> },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("not a readable spreadsheet: {0}")]
    Spreadsheet(String),
    #[error("the spreadsheet has no sheet with data")]
    NoSheet,
    #[error("not a JSON array of products: {0}")]
    Json(String),
    #[error("unknown file type {0:?}: use .csv, .xlsx or .json")]
    UnknownFormat(String),
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the file is {size_mb} MB; a catalog import takes at most {limit_mb} MB: split it into smaller files")]
    TooLarge { size_mb: u64, limit_mb: u64 },
    #[error("the spreadsheet unpacks to {unpacked_mb} MB (at most {limit_mb} MB): it is not a product list; save the products alone as a new .xlsx or as CSV")]
    UnpacksTooLarge { unpacked_mb: u64, limit_mb: u64 },
    #[error("the sheet has {rows} rows × {columns} columns; a catalog import takes at most {max_rows} rows and {max_cells} cells: split it into smaller files")]
    SheetTooLarge { rows: usize, columns: usize, max_rows: usize, max_cells: usize },
}

/// The most a spreadsheet may unpack to (its ZIP entries' sizes added up).
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// The most rows and cells one imported sheet may hold.
pub const MAX_SHEET_ROWS: usize = 200_000;
pub const MAX_SHEET_CELLS: usize = 4_000_000;

/// Refuses a spreadsheet (an .xlsx or .ods is a ZIP archive) that would unpack to more than
/// [`MAX_XLSX_UNPACKED_BYTES`], before anything is decompressed: a few kilobytes can hold
/// gigabytes of zeros. The sizes are those the archive declares; the decompressor stops at
/// them.
fn check_unpacked_size(bytes: &[u8], limit: u64) -> Result<(), ImportError> {
    let total = anchordesk_text::declared_unpacked_bytes(bytes).map_err(ImportError::Spreadsheet)?;
    if total > limit {
        return Err(ImportError::UnpacksTooLarge { unpacked_mb: total.div_ceil(1024 * 1024), limit_mb: limit / (1024 * 1024) });
    }
    Ok(())
}

/// The largest file an import reads (a catalog of 100,000 products as CSV is about 30 MB).
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

fn too_large(size: u64) -> ImportError {
    ImportError::TooLarge { size_mb: size.div_ceil(1024 * 1024), limit_mb: MAX_IMPORT_BYTES / 1024 / 1024 }
}

/// One refused row: where it is and why. For CSV `line` is the line in the file, for a
/// spreadsheet the row number, for JSON the item number (all 1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    pub line: u64,
    pub errors: Vec<FieldError>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reasons: Vec<String> = self.errors.iter().map(|e| e.to_string()).collect();
        write!(f, "line {}: {}", self.line, reasons.join("; "))
    }
}

/// What a file holds: the good rows and the refused ones.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedFile {
    pub format: Format,
    pub encoding: Option<Encoding>,
    /// Good rows with their line numbers.
    pub rows: Vec<(u64, ProductDraft)>,
    pub errors: Vec<RowError>,
    /// Header columns that were not understood and were skipped.
    pub ignored_columns: Vec<String>,
}

/// Reads a product file from disk; the format comes from the extension.
pub fn read_products_file(path: &Path) -> Result<ParsedFile, ImportError> {
    let format = Format::from_path(path)
        .ok_or_else(|| ImportError::UnknownFormat(path.extension().and_then(|e| e.to_str()).unwrap_or("").to_string()))?;
    let io = |source| ImportError::Io { path: path.display().to_string(), source };
    // Look at the size before reading anything, and never read past the limit.
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    use std::io::Read;
    std::fs::File::open(path).map_err(io)?.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    read_products(&bytes, format)
}

/// Parses product rows from bytes. Never writes anything.
pub fn read_products(bytes: &[u8], format: Format) -> Result<ParsedFile, ImportError> {
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    let mut parsed = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
        Format::Json => read_json(bytes)?,
    };
    reject_duplicate_skus(&mut parsed);
    Ok(parsed)
}

/// Decodes text as UTF-8 (with or without BOM), else as GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> Result<(String, Encoding), ImportError> {
    let (text, encoding) = anchordesk_text::decode(bytes).map_err(|not_text| ImportError::Encoding { offset: not_text.offset })?;
    let encoding = match encoding {
        anchordesk_text::Encoding::Utf8 => Encoding::Utf8,
        anchordesk_text::Encoding::Gb18030 => Encoding::Gb18030,
        anchordesk_text::Encoding::Utf16 => Encoding::Utf16,
    };
    Ok((text, encoding))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Column {
    Sku,
    Name,
    Origin,
    Spec,
    Price,
    Stock,
    ShelfLifeDays,
    Storage,
    ColdChain,
    SellingPoints,
    AfterSales,
    Certificates,
    Category,
    RegisteredFunctions,
}

impl Column {
    fn from_header(header: &str) -> Option<Column> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .collect();
        Some(match key.as_str() {
            "sku" | "货号" | "商品编码" | "编码" => Column::Sku,
            "name" | "商品名称" | "名称" | "品名" => Column::Name,
            "origin" | "产地" => Column::Origin,
            "spec" | "规格" => Column::Spec,
            "price" | "价格" | "日常价" | "售价" | "价格(元)" | "价格（元）" => Column::Price,
            "stock" | "库存" => Column::Stock,
            "shelflifedays" | "shelflife" | "保质期" | "保质期(天)" | "保质期（天）" => Column::ShelfLifeDays,
            "storage" | "储存方式" | "存储方式" | "储存" => Column::Storage,
            "coldchain" | "冷链" => Column::ColdChain,
            "sellingpoints" | "卖点" => Column::SellingPoints,
            "aftersales" | "售后" | "售后政策" | "售后与发货" => Column::AfterSales,
            "certificates" | "证书" => Column::Certificates,
            "category" | "类目" | "品类" | "商品类目" => Column::Category,
            "registeredfunctions" | "保健功能" | "注册功能" => Column::RegisteredFunctions,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Column::Sku => "sku",
            Column::Name => "name",
            Column::Origin => "origin",
            Column::Spec => "spec",
            Column::Price => "price",
            Column::Stock => "stock",
            Column::ShelfLifeDays => "shelfLifeDays",
            Column::Storage => "storage",
            Column::ColdChain => "coldChain",
            Column::SellingPoints => "sellingPoints",
            Column::AfterSales => "afterSales",
            Column::Certificates => "certificates",
            Column::Category => "category",
            Column::RegisteredFunctions => "registeredFunctions",
        }
    }
}

const REQUIRED: [Column; 3] = [Column::Sku, Column::Name, Column::Price];

/// Maps header cells to columns; errors when a required column is missing.
fn map_header(headers: &[String]) -> Result<(HashMap<Column, usize>, Vec<String>), ImportError> {
    let mut columns = HashMap::new();
    let mut ignored = Vec::new();
    for (idx, header) in headers.iter().enumerate() {
        match Column::from_header(header) {
            Some(column) => {
                columns.entry(column).or_insert(idx);
            }
            None if header.trim().is_empty() => {}
            None => ignored.push(header.trim().to_string()),
        }
    }
    let missing: Vec<&'static str> = REQUIRED.iter().filter(|c| !columns.contains_key(c)).map(|c| c.name()).collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { missing, found: headers.iter().map(|h| h.trim().to_string()).collect() });
    }
    Ok((columns, ignored))
}

/// Turns one row of cells into a draft, with every problem in the row.
fn row_to_draft(columns: &HashMap<Column, usize>, cells: &[String]) -> Result<ProductDraft, Vec<FieldError>> {
    let cell = |column: Column| columns.get(&column).and_then(|&idx| cells.get(idx)).map(|s| s.trim()).unwrap_or("");
    let mut errors = Vec::new();
    let storage = Storage::parse(cell(Column::Storage)).unwrap_or_else(|| {
        errors.push(FieldError::new("storage", FieldErrorCode::UnknownValue, cell(Column::Storage)));
        Storage::Ambient
    });
    let cold_chain = match cell(Column::ColdChain).to_lowercase().as_str() {
        "" | "0" | "no" | "false" | "否" | "n" => false,
        "1" | "yes" | "true" | "是" | "y" => true,
        other => {
            errors.push(FieldError::new("coldChain", FieldErrorCode::UnknownValue, other));
            false
        }
    };
    let certificates = parse_certificates(cell(Column::Certificates)).unwrap_or_else(|err| {
        errors.push(err);
        Vec::new()
    });
    let form = ProductForm {
        sku: cell(Column::Sku).to_string(),
        name: cell(Column::Name).to_string(),
        origin: cell(Column::Origin).to_string(),
        spec: cell(Column::Spec).to_string(),
        price: cell(Column::Price).to_string(),
        stock: match cell(Column::Stock) {
            "" => "0".to_string(),
            s => s.to_string(),
        },
        shelf_life_days: cell(Column::ShelfLifeDays).to_string(),
        storage,
        cold_chain,
        selling_points: cell(Column::SellingPoints).replace("\\n", "\n"),
        after_sales: cell(Column::AfterSales).to_string(),
        certificates,
        category: cell(Column::Category).to_string(),
        registered_functions: cell(Column::RegisteredFunctions).replace("\\n", "\n"),
    };
    match form.parse() {
        Ok(draft) if errors.is_empty() => Ok(draft),
        Ok(_) => Err(errors),
        Err(mut field_errors) => {
            field_errors.extend(errors);
            Err(field_errors)
        }
    }
}

/// Certificates in one cell: `kind|number|issuer|valid_until` entries separated by `;`.
fn parse_certificates(text: &str) -> Result<Vec<Certificate>, FieldError> {
    let mut certificates = Vec::new();
    for entry in text.split([';', '；']).map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split('|').map(str::trim).collect();
        let kind = CertificateKind::parse(parts[0])
            .ok_or_else(|| FieldError::new("certificates", FieldErrorCode::UnknownValue, entry))?;
        certificates.push(Certificate {
            kind,
            number: parts.get(1).unwrap_or(&"").to_string(),
            issuer: parts.get(2).unwrap_or(&"").to_string(),
            valid_until: parts.get(3).filter(|d| !d.is_empty()).map(|d| d.to_string()),
        });
    }
    Ok(certificates)
}

fn format_certificates(certificates: &[Certificate]) -> String {
    certificates
        .iter()
        .map(|c| format!("{}|{}|{}|{}", c.kind.code(), c.number, c.issuer, c.valid_until.as_deref().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(";")
}

fn read_csv(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let (text, encoding) = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|err| ImportError::Csv { line: 1, message: err.to_string() })?
        .iter()
        .map(str::to_string)
        .collect();
    let (columns, ignored_columns) = map_header(&headers)?;
    let mut parsed = ParsedFile { format: Format::Csv, encoding: Some(encoding), rows: Vec::new(), errors: Vec::new(), ignored_columns };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let cells: Vec<String> = record.iter().map(str::to_string).collect();
                match row_to_draft(&columns, &cells) {
                    Ok(draft) => parsed.rows.push((line, draft)),
                    Err(errors) => parsed.errors.push(RowError { line, errors }),
                }
            }
            Err(err) => {
                let line = err.position().map(|p| p.line()).unwrap_or(0);
                parsed.errors.push(RowError {
                    line,
                    errors: vec![FieldError::new("row", FieldErrorCode::UnknownValue, err.to_string())],
                });
                if !matches!(err.kind(), csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

fn read_xlsx(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    use calamine::{Data, Reader};
    check_unpacked_size(bytes, MAX_XLSX_UNPACKED_BYTES)?;
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|err| ImportError::Spreadsheet(err.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(ImportError::NoSheet)?
        .map_err(|err| ImportError::Spreadsheet(err.to_string()))?;
    let (rows, columns) = range.get_size();
    if rows > MAX_SHEET_ROWS || rows.saturating_mul(columns) > MAX_SHEET_CELLS {
        return Err(ImportError::SheetTooLarge { rows, columns, max_rows: MAX_SHEET_ROWS, max_cells: MAX_SHEET_CELLS });
    }
    let first_row = range.start().map(|(row, _)| row as u64).unwrap_or(0);
    let mut rows = range.rows();
    let cell_text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_serial_to_date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    };
    let headers: Vec<String> = rows.next().ok_or(ImportError::Empty)?.iter().map(cell_text).collect();
    let (columns, ignored_columns) = map_header(&headers)?;
    let mut parsed = ParsedFile { format: Format::Xlsx, encoding: None, rows: Vec::new(), errors: Vec::new(), ignored_columns };
    for (idx, row) in rows.enumerate() {
        let line = first_row + idx as u64 + 2;
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match row_to_draft(&columns, &cells) {
            Ok(draft) => parsed.rows.push((line, draft)),
            Err(errors) => parsed.errors.push(RowError { line, errors }),
        }
    }
    Ok(parsed)
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_serial_to_date(serial: f64) -> String {
    let epoch = time::macros::date!(1899 - 12 - 30);
    epoch
        .checked_add(time::Duration::days(serial.floor() as i64))
        .map(|d| d.to_string())
        .unwrap_or_else(|| serial.to_string())
}

fn read_json(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let (text, encoding) = decode_text(bytes)?;
    let items: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|err| ImportError::Json(err.to_string()))?;
    let mut parsed = ParsedFile { format: Format::Json, encoding: Some(encoding), rows: Vec::new(), errors: Vec::new(), ignored_columns: Vec::new() };
    for (idx, mut item) in items.into_iter().enumerate() {
        let line = idx as u64 + 1;
        // A hand-written file may name the category in Chinese (保健食品) or in the
        // catalog's own words (水果): read it as the form reads it.
        let typed_category = match item.get_mut("category") {
            Some(value @ serde_json::Value::String(_)) => value.take().as_str().map(str::to_string),
            _ => None,
        };
        let draft: ProductDraft = match serde_json::from_value(item) {
            Ok(draft) => draft,
            Err(err) => {
                parsed.errors.push(RowError { line, errors: vec![FieldError::new("item", FieldErrorCode::UnknownValue, err.to_string())] });
                continue;
            }
        };
        // Same rules as a form: the JSON could have been written by hand.
        let mut form = ProductForm::from_draft(&draft);
        if let Some(category) = typed_category {
            form.category = category;
        }
        match form.parse() {
            Ok(draft) => parsed.rows.push((line, draft)),
            Err(errors) => parsed.errors.push(RowError { line, errors }),
        }
    }
    Ok(parsed)
}

/// A SKU that appears twice in one file: the later row is refused, the first one kept.
fn reject_duplicate_skus(parsed: &mut ParsedFile) {
    let mut seen = std::collections::HashSet::new();
    let rows = std::mem::take(&mut parsed.rows);
    for (line, draft) in rows {
        if seen.insert(draft.sku.clone()) {
            parsed.rows.push((line, draft));
        } else {
            parsed.errors.push(RowError { line, errors: vec![FieldError::new("sku", FieldErrorCode::DuplicateSku, &draft.sku)] });
        }
    }
    parsed.errors.sort_by_key(|e| e.line);
}

/// CSV header written by [`export_csv`]; the importer reads it back.
const EXPORT_HEADER: [&str; 14] = [
    "sku", "name", "origin", "spec", "price", "stock", "shelf_life_days", "storage", "cold_chain", "selling_points", "after_sales",
    "certificates", "category", "registered_functions",
];

/// Products as CSV (UTF-8 with a BOM, so that Excel opens Chinese text correctly). Prices in yuan.
pub fn export_csv(products: &[Product]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(EXPORT_HEADER).expect("writing to a Vec cannot fail");
    for product in products {
        let d = &product.draft;
        writer
            .write_record([
                d.sku.as_str(),
                &d.name,
                &d.origin,
                &d.spec,
                &d.price.to_yuan_string(),
                &d.stock.to_string(),
                &d.shelf_life_days.map(|n| n.to_string()).unwrap_or_default(),
                d.storage.code(),
                if d.cold_chain { "true" } else { "false" },
                &d.selling_points.replace('\n', "\\n"),
                &d.after_sales,
                &format_certificates(&d.certificates),
                d.category.map_or("", |c| c.as_str()),
                &d.registered_functions.replace('\n', "\\n"),
            ])
            .expect("writing to a Vec cannot fail");
    }
    writer.into_inner().expect("flushing a Vec cannot fail")
}

/// Products as a JSON array of drafts (prices in fen), which the importer reads back.
pub fn export_json(products: &[Product]) -> Vec<u8> {
    let drafts: Vec<&ProductDraft> = products.iter().map(|p| &p.draft).collect();
    serde_json::to_vec_pretty(&drafts).expect("product drafts serialise")
}

#[cfg(test)]
mod limits {
    use super::*;

    fn workbook(cells: &[(u32, u16)]) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (row, col) in cells {
            sheet.write_string(*row, *col, "x").unwrap();
        }
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn a_spreadsheet_is_refused_by_what_it_would_unpack_to_before_it_is_unpacked() {
        let bytes = workbook(&[(0, 0)]);
        assert!(check_unpacked_size(&bytes, MAX_XLSX_UNPACKED_BYTES).is_ok());
        // The same file against a limit below what its entries declare.
        let refused = check_unpacked_size(&bytes, 1024).unwrap_err();
        assert!(matches!(refused, ImportError::UnpacksTooLarge { .. }), "{refused}");
        assert!(refused.to_string().contains("CSV"), "the message says what to do: {refused}");
        // Not a ZIP (an old .xls): left to the reader.
        assert!(check_unpacked_size(b"\xD0\xCF\x11\xE0", 1).is_ok());
    }

    #[test]
    fn a_sheet_over_the_cell_limit_is_refused_with_its_size() {
        // Two cells far apart make a used range of 1,001 × 4,100 = 4.1 million cells.
        let bytes = workbook(&[(0, 0), (1000, 4099)]);
        match read_xlsx(&bytes) {
            Err(ImportError::SheetTooLarge { rows, columns, .. }) => assert_eq!((rows, columns), (1001, 4100)),
            other => panic!("expected the sheet to be refused, got {other:?}"),
        }
    }
}
