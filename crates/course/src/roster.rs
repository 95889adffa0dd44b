//! The class roster (花名册): CSV (UTF-8 or GB18030) or XLSX with columns
//! 学号/student_id, 姓名/name and optionally 班级/class.
//!
//! A bad row is reported with its line number and the rest is imported.

use serde::{Deserialize, Serialize};

/// The students of a class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Roster {
    /// Students in file order.
    pub students: Vec<RosterStudent>,
}

impl Roster {
    /// The student with this number.
    pub fn student(&self, id: &str) -> Option<&RosterStudent> {
        self.students.iter().find(|s| s.id == id)
    }
}

/// One student on the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RosterStudent {
    /// Student number (学号).
    pub id: String,
    /// Name (姓名).
    pub name: String,
    /// Class (班级); empty when the file has no such column.
    pub class: String,
    /// The fingerprint of the student's report-signing key (公钥指纹), as the student's desk
    /// shows it; empty when the roster has no such column or the cell is blank.
    #[serde(default)]
    pub key_fingerprint: String,
}

/// A roster file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterFormat {
    /// Comma-separated, UTF-8 (with or without BOM) or GB18030/GBK.
    Csv,
    /// An Excel workbook; the first sheet is read.
    Xlsx,
}

impl RosterFormat {
    /// The format a file name's extension suggests.
    pub fn from_file_name(name: &str) -> Option<RosterFormat> {
        let ext = name.rsplit('.').next()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(RosterFormat::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(RosterFormat::Xlsx),
            _ => None,
        }
    }
}

/// The result of reading a roster: the good rows and the bad ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RosterImport {
    /// The students read.
    pub roster: Roster,
    /// Rows left out, with why.
    pub errors: Vec<RosterRowError>,
}

/// A row left out of the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RosterRowError {
    /// 1-based line (or spreadsheet row) number.
    pub line: u32,
    /// What is wrong, in Chinese, saying what to fix.
    pub message: String,
}

/// Why a roster file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// Neither UTF-8 nor GB18030.
    #[error("file is neither UTF-8 nor GB18030 (first bad byte at offset {offset}); save it as CSV UTF-8")]
    Encoding {
        /// Byte offset of the first byte that is not UTF-8.
        offset: usize,
    },
    /// No header row.
    #[error("the file is empty; the first row must name the columns 学号 and 姓名")]
    Empty,
    /// A required column is missing.
    #[error("no {0} column; the first row must name the columns 学号 (student_id) and 姓名 (name)")]
    MissingColumn(&'static str),
    /// CSV syntax error.
    #[error("line {line}: {message}")]
    Csv {
        /// Line of the error.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// The workbook cannot be read.
    #[error("spreadsheet cannot be read: {0}")]
    Spreadsheet(String),
    /// The workbook would unpack to more than a roster needs (a ZIP bomb, or the wrong file).
    #[error("the spreadsheet unpacks to {unpacked_mb} MB (a roster needs far less than {limit_mb} MB): save the class list alone as CSV or a new .xlsx")]
    UnpacksTooLarge {
        /// What the archive declares, rounded up.
        unpacked_mb: u64,
        /// [`MAX_ROSTER_UNPACKED_BYTES`] in MB.
        limit_mb: u64,
    },
    /// More rows than any class has.
    #[error("{rows} rows: a roster has at most {limit} students; is this the right file?")]
    TooManyRows {
        /// Rows found.
        rows: usize,
        /// [`MAX_ROSTER_ROWS`].
        limit: usize,
    },
}

/// The most a roster spreadsheet may unpack to, checked before anything is decompressed.
pub const MAX_ROSTER_UNPACKED_BYTES: u64 = 32 * 1024 * 1024;

/// The most rows a roster may have (a whole school year is a few thousand).
pub const MAX_ROSTER_ROWS: usize = 20_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    Name,
    Class,
    Key,
}

fn column(header: &str) -> Option<Column> {
    let key: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .collect();
    match key.as_str() {
        "学号" | "studentid" | "id" | "学生编号" => Some(Column::Id),
        "姓名" | "name" | "学生姓名" => Some(Column::Name),
        "班级" | "class" | "班" => Some(Column::Class),
        "公钥指纹" | "密钥指纹" | "指纹" | "keyfingerprint" | "fingerprint" | "key" => Some(Column::Key),
        _ => None,
    }
}

/// Reads a roster from a file's bytes. Never touches the file system.
pub fn read_roster(bytes: &[u8], format: RosterFormat) -> Result<RosterImport, RosterError> {
    let rows: Vec<(u32, Vec<String>)> = match format {
        RosterFormat::Csv => csv_rows(bytes)?,
        RosterFormat::Xlsx => xlsx_rows(bytes)?,
    };
    if rows.len() > MAX_ROSTER_ROWS + 1 {
        return Err(RosterError::TooManyRows { rows: rows.len() - 1, limit: MAX_ROSTER_ROWS });
    }
    let mut rows = rows.into_iter();
    let (_, headers) = rows.next().ok_or(RosterError::Empty)?;
    let columns: Vec<Option<Column>> = headers.iter().map(|h| column(h)).collect();
    let position = |wanted: Column| columns.iter().position(|c| *c == Some(wanted));
    let id_idx = position(Column::Id).ok_or(RosterError::MissingColumn("学号"))?;
    let name_idx = position(Column::Name).ok_or(RosterError::MissingColumn("姓名"))?;
    let class_idx = position(Column::Class);
    let key_idx = position(Column::Key);
    let mut import = RosterImport { roster: Roster::default(), errors: Vec::new() };
    let mut first_line: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for (line, cells) in rows {
        let cell = |idx: usize| cells.get(idx).map(|c| c.trim().to_string()).unwrap_or_default();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (id, name) = (cell(id_idx), cell(name_idx));
        let message = if id.is_empty() {
            Some("学号为空，请填写学号".to_string())
        } else if name.is_empty() {
            Some(format!("学号 {id} 的姓名为空，请填写姓名"))
        } else if let Some(typed) = key_idx.map(cell).filter(|k| !k.is_empty() && crate::sign::normalize_fingerprint(k).is_none()) {
            Some(format!("学号 {id} 的公钥指纹“{typed}”不是 16 位十六进制（如 3F2A-91C0-5B7E-D406），请照学生桌面“课程”页上显示的抄写"))
        } else if let Some((other, first)) = key_idx
            .map(cell)
            .and_then(|k| crate::sign::normalize_fingerprint(&k))
            .and_then(|k| import.roster.students.iter().find(|s| s.key_fingerprint == k).map(|s| (s.id.clone(), first_line.get(&s.id).copied().unwrap_or(0))))
        {
            Some(format!("学号 {id} 的公钥指纹与第 {first} 行学号 {other} 的相同：一台电脑的密钥只能登记给一个学生，请核对"))
        } else {
            first_line.get(&id).map(|first| format!("学号 {id} 与第 {first} 行重复，请删除重复行或改正学号"))
        };
        match message {
            Some(message) => import.errors.push(RosterRowError { line, message }),
            None => {
                first_line.insert(id.clone(), line);
                let class = class_idx.map(cell).unwrap_or_default();
                let key_fingerprint = key_idx.map(cell).and_then(|k| crate::sign::normalize_fingerprint(&k)).unwrap_or_default();
                import.roster.students.push(RosterStudent { id, name, class, key_fingerprint });
            }
        }
    }
    Ok(import)
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, RosterError> {
    // The one decoder shared with the catalog importer.
    let (text, _) = anchordesk_text::decode(bytes).map_err(|not_text| RosterError::Encoding { offset: not_text.offset })?;
    if text.trim().is_empty() {
        return Err(RosterError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| RosterError::Csv {
            line: err.position().map_or(0, |p| p.line()),
            message: err.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line()) as u32;
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(u32, Vec<String>)>, RosterError> {
    use calamine::{Data, Reader};
    let unpacked = anchordesk_text::declared_unpacked_bytes(bytes).map_err(RosterError::Spreadsheet)?;
    if unpacked > MAX_ROSTER_UNPACKED_BYTES {
        return Err(RosterError::UnpacksTooLarge { unpacked_mb: unpacked.div_ceil(1024 * 1024), limit_mb: MAX_ROSTER_UNPACKED_BYTES / (1024 * 1024) });
    }
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|err| RosterError::Spreadsheet(err.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(RosterError::Empty)?
        .map_err(|err| RosterError::Spreadsheet(err.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let cell_text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // Student numbers typed into Excel become numbers; 2024001.0 is "2024001".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    };
    Ok(range
        .rows()
        .enumerate()
        .map(|(idx, row)| ((first_row as usize + idx + 1) as u32, row.iter().map(cell_text).collect()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_chinese_headers_reports_bad_rows_by_line_and_imports_the_rest() {
        let csv = "学号,姓名,班级\n2024001,张三,电商1班\n,无学号,电商1班\n2024002,,电商1班\n2024001,张三又一次,电商1班\n\n2024003,\"王五\",电商2班\n";
        let import = read_roster(csv.as_bytes(), RosterFormat::Csv).unwrap();
        let ids: Vec<&str> = import.roster.students.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["2024001", "2024003"]);
        assert_eq!(import.roster.students[1].class, "电商2班");
        let lines: Vec<u32> = import.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert_eq!(import.errors[2].message, "学号 2024001 与第 2 行重复，请删除重复行或改正学号");
    }

    #[test]
    fn gb18030_csv_with_english_headers_and_no_class_column() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("Student_ID,Name\n2024009,赵六\n");
        let import = read_roster(&bytes, RosterFormat::Csv).unwrap();
        assert_eq!(import.roster.students, [RosterStudent { id: "2024009".into(), name: "赵六".into(), class: String::new(), key_fingerprint: String::new() }]);
    }

    #[test]
    fn a_missing_name_column_is_an_error_that_names_it() {
        let err = read_roster("学号,班级\n1,一班\n".as_bytes(), RosterFormat::Csv).unwrap_err();
        assert!(err.to_string().starts_with("no 姓名 column"), "{err}");
        assert!(matches!(read_roster(b"  \n", RosterFormat::Csv), Err(RosterError::Empty)));
    }

    #[test]
    fn a_roster_spreadsheet_that_would_unpack_past_the_cap_is_refused_before_unpacking() {
        // 40 MB of zeros deflate to a few dozen kilobytes: under the 4 MB file limit.
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default()).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..40 {
            std::io::Write::write_all(&mut writer, &zeros).unwrap();
        }
        let bytes = writer.finish().unwrap().into_inner();
        assert!(bytes.len() < 4 * 1024 * 1024, "{} bytes", bytes.len());
        let refused = read_roster(&bytes, RosterFormat::Xlsx).err().expect("refused");
        assert!(matches!(refused, RosterError::UnpacksTooLarge { unpacked_mb: 40, limit_mb: 32 }), "{refused}");
        assert!(refused.to_string().contains("CSV"), "the message says what to do: {refused}");
    }

    #[test]
    fn a_roster_with_more_rows_than_a_school_is_refused() {
        let mut csv = String::from("学号,姓名\n");
        for n in 0..=MAX_ROSTER_ROWS {
            csv.push_str(&format!("{n},学生{n}\n"));
        }
        let refused = read_roster(csv.as_bytes(), RosterFormat::Csv).err().expect("refused");
        assert!(matches!(refused, RosterError::TooManyRows { limit: MAX_ROSTER_ROWS, .. }), "{refused}");
    }

    #[test]
    fn xlsx_roster_with_numeric_student_numbers() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "学号").unwrap();
        sheet.write_string(0, 1, "姓名").unwrap();
        sheet.write_string(0, 2, "班级").unwrap();
        sheet.write_number(1, 0, 2024001.0).unwrap();
        sheet.write_string(1, 1, "张三").unwrap();
        sheet.write_string(1, 2, "电商1班").unwrap();
        sheet.write_number(2, 0, 2024002.0).unwrap();
        sheet.write_string(2, 2, "电商1班").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let import = read_roster(&bytes, RosterFormat::Xlsx).unwrap();
        assert_eq!(import.roster.students[0].id, "2024001");
        assert_eq!(import.errors, [RosterRowError { line: 3, message: "学号 2024002 的姓名为空，请填写姓名".into() }]);
        assert_eq!(RosterFormat::from_file_name("名单.XLSX"), Some(RosterFormat::Xlsx));
    }
}
