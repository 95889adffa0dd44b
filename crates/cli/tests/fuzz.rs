//! Every parser that reads a file a user or a teacher hands to the desk, fed mutated and
//! random input: the catalog importer (CSV, JSON, XLSX), the run-of-show Markdown, the class
//! roster (CSV, XLSX), course scenarios and rubrics, signed course reports, the team's rule
//! pack, ingest URLs typed for a push (RTMP/RTMPS), and the text decoder. Each must answer with a value or an error, never panic or
//! hang. Seeds are real files (the fixtures, the shipped scenarios and rubric, a signed
//! report made here); each case flips, inserts, deletes, duplicates or truncates bytes.
//!
//! `FUZZ_CASES` sets the cases per parser (default 300 in the test suite; a longer run:
//! `FUZZ_CASES=20000 cargo nextest run -p anchordesk-cli --test fuzz --release`).

use anchordesk_core::import::{Format, read_products};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300)
}

/// One edit of a seed's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    // Inserted bytes lean on what parsers care about: quotes, separators, brackets,
    // newlines, multi-byte UTF-8 and invalid UTF-8.
    let interesting = prop_oneof![
        any::<u8>(),
        Just(b'"'),
        Just(b','),
        Just(b'\n'),
        Just(b'{'),
        Just(b'['),
        Just(b'#'),
        Just(b'='),
        Just(0xE4),
        Just(0xFF),
        Just(0x00),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(at, byte)| Edit::Flip { at, byte }),
        (any::<usize>(), proptest::collection::vec(interesting, 1..12)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 1usize..256).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
    ]
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for edit in edits {
        let n = bytes.len().max(1);
        match edit {
            Edit::Flip { at, byte } if !bytes.is_empty() => bytes[at % n] = *byte,
            Edit::Flip { .. } => {}
            Edit::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Edit::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Duplicate { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at < end {
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(end..end, copy);
                }
            }
            Edit::Truncate { at } => bytes.truncate(at % n),
        }
    }
    bytes
}

/// Runs `parse` on mutations of each seed and on plain random bytes; a panic fails the
/// test with the input that caused it (proptest shrinks it first).
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, parse: impl Fn(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut runner = TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let mutated = (0..seeds.len(), proptest::collection::vec(edit(), 1..6)).prop_map(move |(i, edits)| apply(&seeds[i], &edits));
    let random = proptest::collection::vec(any::<u8>(), 0..512);
    let input = prop_oneof![4 => mutated, 1 => random];
    let result = runner.run(&input, |bytes| {
        parse(&bytes);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{name}: {failure}");
    }
    eprintln!("fuzz {name}: {} inputs, no panic", cases());
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_catalog_importer_never_panics() {
    let csv: Vec<Vec<u8>> = ["gbk.csv", "mixed.csv", "wrong-columns.csv", "bad-encoding.csv"].iter().map(|f| read(&format!("tests/fixtures/import/{f}"))).collect();
    fuzz("CSV import", csv, |bytes| drop(read_products(bytes, Format::Csv)));
    fuzz("JSON import", vec![read("tests/fixtures/import/products.json")], |bytes| drop(read_products(bytes, Format::Json)));
    fuzz("XLSX import", vec![minimal_xlsx()], |bytes| drop(read_products(bytes, Format::Xlsx)));
}

/// A small catalog spreadsheet made by hand (one sheet, a header row and one product),
/// zipped as the format wants.
fn minimal_xlsx() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let files: [(&str, &str); 5] = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="商品" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ("xl/worksheets/sheet1.xml", r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>price</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>A-1</t></is></c><c r="B2" t="inlineStr"><is><t>赣南脐橙</t></is></c><c r="C2"><v>59.9</v></c></row></sheetData></worksheet>"#),
    ];
    for (name, body) in files {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn the_run_of_show_markdown_reader_never_panics() {
    let seed = "# 周五果园直播\n\n## 开场 (3 分钟)\n欢迎家人们\n\n## 赣南脐橙 5kg [SAMPLE-ORANGE-5KG] (10 分钟)\n- 产地直发\n- 冷藏后口感最佳\n\n## 收尾 (2 分钟)\n感谢\n";
    fuzz("run-of-show Markdown", vec![seed.as_bytes().to_vec()], |bytes| drop(anchordesk_core::script::parse_markdown(&text(bytes))));
}

#[test]
fn the_roster_reader_never_panics() {
    let csv = "学号,姓名,班级\n2024001,张三,电商1班\n2024002,\"李,四\",电商1班\n".as_bytes().to_vec();
    fuzz("roster CSV", vec![csv, read("tests/fixtures/import/gbk.csv")], |bytes| drop(anchordesk_course::read_roster(bytes, anchordesk_course::RosterFormat::Csv)));
    fuzz("roster XLSX", vec![minimal_xlsx()], |bytes| drop(anchordesk_course::read_roster(bytes, anchordesk_course::RosterFormat::Xlsx)));
}

#[test]
fn scenarios_and_rubrics_never_panic() {
    let scenarios: Vec<Vec<u8>> = std::fs::read_dir(root().join("assets/scenarios")).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    fuzz("scenario TOML", scenarios, |bytes| drop(anchordesk_course::parse_scenario("fuzz.toml", &text(bytes))));
    fuzz("rubric TOML", vec![read("assets/rubric/default.toml")], |bytes| drop(anchordesk_course::Rubric::parse("fuzz.toml", &text(bytes))));
}

#[test]
fn signed_course_reports_never_panic_the_verifier() {
    let scenario = anchordesk_course::embedded_scenarios().into_iter().next().unwrap();
    let student = anchordesk_course::Student { id: "2024001".into(), name: "张三".into() };
    let facts = anchordesk_course::model_attempt(&scenario, student, "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00");
    let report = anchordesk_course::grade(&scenario, &anchordesk_course::Rubric::default_rubric(), &facts).unwrap();
    let key = anchordesk_course::SigningKey::from_bytes(&[7u8; 32]);
    let signed = anchordesk_course::sign(&report, &facts, &key).to_json_bytes();
    assert!(anchordesk_course::verify(&signed).is_ok(), "the seed verifies");
    fuzz("signed report", vec![signed], |bytes| drop(anchordesk_course::verify(bytes)));
}

#[test]
fn the_team_rule_pack_and_the_text_decoder_never_panic() {
    let pack = read("assets/rules/zh-absolute.toml");
    fuzz("rule pack TOML", vec![pack], |bytes| drop(anchordesk_claims::LinterBuilder::new().add_pack("fuzz.toml", &text(bytes)).map(|_| ())));
    fuzz("text decoder", vec![read("tests/fixtures/import/gbk.csv"), read("tests/fixtures/import/mixed.csv")], |bytes| drop(anchordesk_text::decode(bytes)));
}

#[test]
fn push_urls_never_panic_the_parser() {
    let seeds = ["rtmp://127.0.0.1:1935/live/abcDEF123", "rtmps://push.example.com:443/app/stream-key?auth=xyz", "rtmp://[::1]/live/key", "srt://10.0.0.2:9000?streamid=a"];
    fuzz("push URL", seeds.iter().map(|s| s.as_bytes().to_vec()).collect(), |bytes| drop(anchordesk_capture::StreamUrl::parse(&text(bytes))));
}
