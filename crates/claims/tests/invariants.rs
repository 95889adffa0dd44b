//! Property tests: arbitrary input never panics, spans always lie on character boundaries
//! inside the input and cover the matched text, and folding is idempotent.

use anchordesk_claims::{Certificate, LintOptions, Linter, ProductContext, fold};
use proptest::prelude::*;
use std::sync::OnceLock;

fn linter() -> &'static Linter {
    static LINTER: OnceLock<Linter> = OnceLock::new();
    LINTER.get_or_init(Linter::default_packs)
}

/// Text built from pieces that exercise the folding: claim words, separators, full-width
/// and traditional forms, zero-width characters, emoji, numbers and line breaks.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("最".to_owned()),
        Just("低價".to_owned()),
        Just("第".to_owned()),
        Just("一".to_owned()),
        Just("全网".to_owned()),
        Just("仅剩".to_owned()),
        Just("原价".to_owned()),
        Just("送".to_owned()),
        Just("有机".to_owned()),
        Just("B E S T".to_owned()),
        Just("best before".to_owned()),
        Just("ＮＯ．１".to_owned()),
        Just("\u{200B}".to_owned()),
        Just("\u{FE0F}".to_owned()),
        Just("\u{0301}".to_owned()),
        Just("·".to_owned()),
        Just("🔥".to_owned()),
        Just("，".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just(" ".to_owned()),
        Just(".".to_owned()),
        Just(",".to_owned()),
        Just("$".to_owned()),
        Just("¥".to_owned()),
        "[0-9]{1,4}",
        "[一二三四五六七八九十百千万两零]{1,3}",
        "\\PC{0,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn check_spans(text: &str, options: &LintOptions<'_>) {
    for finding in linter().lint(text, options) {
        let range = finding.span.range();
        assert!(range.start < range.end, "empty span {finding:?}");
        assert!(range.end <= text.len(), "span past the end {finding:?}");
        assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "{finding:?}"
        );
        assert_eq!(&text[range.clone()], finding.matched);
        let line_start = text[..range.start].rfind('\n').map_or(0, |at| at + 1);
        assert_eq!(
            finding.line as usize,
            text[..range.start].matches('\n').count() + 1
        );
        assert_eq!(
            finding.column as usize,
            text[line_start..range.start].chars().count() + 1
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_unicode_never_panics_and_spans_are_sound(text in any::<String>()) {
        check_spans(&text, &LintOptions::default());
    }

    #[test]
    fn tricky_text_spans_are_sound(text in tricky_text()) {
        let product = ProductContext {
            certificates: vec![Certificate::GreenFood],
            recent_prices_fen: vec![2990],
            stock: Some(3),
            lineup_gift_names: vec!["开果器".to_owned()],
            registered_names: vec!["第一坊".to_owned()],
            policies: vec!["坏果包赔".to_owned()],
            category: Some(anchordesk_claims::ProductCategory::HealthFood),
            registered_functions: vec!["增强免疫力".to_owned()],
        };
        check_spans(&text, &LintOptions::default());
        check_spans(&text, &LintOptions { product: Some(&product), ..LintOptions::default() });
    }

    #[test]
    fn folding_twice_equals_folding_once(text in any::<String>()) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn folding_tricky_text_is_idempotent(text in tricky_text()) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once);
    }
}
