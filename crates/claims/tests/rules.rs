//! Table-driven tests of the default packs: each row is a text and the findings it must
//! give (rule ID and the original text under the span), or none.

use anchordesk_claims::{Certificate, Finding, LintOptions, Linter, ProductContext, Severity};
use std::sync::OnceLock;

fn linter() -> &'static Linter {
    static LINTER: OnceLock<Linter> = OnceLock::new();
    LINTER.get_or_init(Linter::default_packs)
}

fn lint(text: &str) -> Vec<Finding> {
    linter().lint(text, &LintOptions::default())
}

/// Asserts that `text` gives exactly the findings `expected` as `(rule id, matched text)`,
/// ignoring info-level findings unless they are expected.
fn check(text: &str, expected: &[(&str, &str)]) {
    let findings = lint(text);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.severity != Severity::Info || expected.iter().any(|(id, _)| *id == f.rule_id))
        .map(|f| (f.rule_id.as_str(), f.matched.as_str()))
        .collect();
    assert_eq!(got, expected, "linting {text:?}");
    for finding in &findings {
        assert_eq!(
            &text[finding.span.range()],
            finding.matched,
            "span of {finding:?}"
        );
    }
}

#[test]
fn absolute_terms() {
    let table: &[(&str, &[(&str, &str)])] = &[
        (
            "家人们，今天全网最低价！",
            &[("zh.absolute.lowest-price", "全网最低价")],
        ),
        (
            "这是史上最低价",
            &[("zh.absolute.lowest-price", "史上最低价")],
        ),
        ("我们的橙子最甜", &[("zh.absolute.superlative", "最")]),
        ("销量第一的大米", &[("zh.absolute.first", "第一")]),
        ("全国唯一的富硒茶园", &[("zh.absolute.unique", "唯一")]),
        ("顶级的口感", &[("zh.absolute.top-grade", "顶级")]),
        ("国家级好茶", &[("zh.absolute.top-grade", "国家级")]),
        ("这款是我们的NO.1", &[("zh.absolute.first", "NO.1")]),
        (
            "100%纯天然",
            &[
                ("zh.absolute.hundred-percent", "100%"),
                ("zh.certification.additive-free", "纯天然"),
            ],
        ),
        (
            "the best honey in town",
            &[("en.absolute.best", "the best")],
        ),
        (
            "lowest price anywhere",
            &[("en.absolute.lowest-price", "lowest price anywhere")],
        ),
        ("our #1 seller", &[("en.absolute.best", "#1")]),
        (
            "the cheapest tea online",
            &[("en.absolute.lowest-price", "cheapest")],
        ),
    ];
    for (text, expected) in table {
        check(text, expected);
    }
}

#[test]
fn samr_guide_exceptions_are_not_flagged() {
    let clean = [
        // Time words (最近、最后、最初、最终).
        "这批脐橙是最近三天刚摘的",
        "最后给大家讲一下怎么保存",
        "最初我们只种了两亩地",
        "最终发货时间以物流为准",
        // Ordinals (第一次、第一天、第一批).
        "这是我第一次直播",
        "上架第一天就来了很多老客户",
        "第一批春茶已经采摘",
        "第一步先把橙子洗干净",
        "第1次来直播间的家人点个关注",
        "第10号链接是蜂蜜",
        // Use and storage tips.
        "保质期内都可以吃，最佳食用期是收到后一周内",
        "冷藏后口感最佳",
        "最好冷藏保存，三天内吃完",
        // Comparison within the seller's own line.
        "这是本店最新款的礼盒",
        // Goals and service attitude.
        "顾客满意是我们最大的追求",
        "我们一直在努力种出最好的橙子",
        // Limits and numbers.
        "每人最多拍两单",
        "最多3件，拍多了不发",
        "最少3件起发",
        // Titles granted under state rules.
        "安化黑茶制作技艺是国家级非物质文化遗产",
        // Time- and place-limited ranking with evidence.
        "2025年本店销量第一的是这款蜂蜜",
        // English.
        "best before the date on the lid",
        "this is the first time I've sold tea",
        "the most common question is about shipping",
        "best served chilled",
        "we always do our best to pack carefully",
        "bestow your thanks on the farmers",
    ];
    for text in clean {
        check(text, &[]);
    }
    // A time word in a delivery promise is not an absolute term, but the promise itself is
    // flagged for a check that it is on file.
    check("最快明天就能发出", &[("zh.gift-delivery.promise", "最快明天就能发出")]);
}

#[test]
fn evasions_are_caught_and_spans_point_at_the_original() {
    let table: &[(&str, &[(&str, &str)])] = &[
        (
            "全网最·低·价",
            &[("zh.absolute.lowest-price", "全网最·低·价")],
        ),
        ("销量第 一", &[("zh.absolute.first", "第 一")]),
        (
            "全\u{200B}网最低价",
            &[("zh.absolute.lowest-price", "全\u{200B}网最低价")],
        ),
        ("最低價", &[("zh.absolute.lowest-price", "最低價")]),
        (
            "全网🔥最低🔥价",
            &[("zh.absolute.lowest-price", "全网🔥最低🔥价")],
        ),
        ("蕞低价", &[("zh.absolute.lowest-price", "蕞低价")]),
        ("全网最底价", &[("zh.absolute.lowest-price", "全网最底价")]),
        ("销量第1", &[("zh.absolute.first", "第1")]),
        ("ＮＯ．１好茶", &[("zh.absolute.first", "ＮＯ．１")]),
        ("the B E S T honey", &[("en.absolute.best", "the B E S T")]),
        ("The BEST honey", &[("en.absolute.best", "The BEST")]),
        ("C-U-R-E-S colds", &[("en.medical.disease", "C-U-R-E-S colds")]),
    ];
    for (text, expected) in table {
        check(text, expected);
    }
}

#[test]
fn traditional_characters_fold_to_the_simplified_patterns() {
    let table: &[(&str, &str)] = &[
        ("全網最低價", "zh.absolute.lowest-price"),
        ("絕無僅有的口感", "zh.absolute.unique"),
        ("國家級好茶", "zh.absolute.top-grade"),
        ("獨家配方", "zh.absolute.unique"),
        ("頂級蜂蜜", "zh.absolute.top-grade"),
        ("銷量第一", "zh.absolute.first"),
        ("喝了降血壓", "zh.medical.treatment"),
        ("這個能治療咳嗽", "zh.medical.treatment"),
        ("穩賺不賠", "zh.guarantee.returns"),
        ("有機大米", "zh.certification.organic"),
        ("綠色食品", "zh.certification.green-food"),
        ("原價199", "zh.price.original-price"),
        ("贈品是圍裙", "zh.gift-delivery.gift"),
        ("開過光的手串", "zh.superstition.luck"),
        ("吃了轉運", "zh.superstition.luck"),
        ("僅剩3件", "zh.fake-figures.stock"),
        ("縣長擔保", "zh.state-organ.endorsement"),
        ("醫生推薦", "zh.endorsement.professional"),
    ];
    for (text, rule_id) in table {
        let findings = lint(text);
        assert!(
            findings.iter().any(|f| f.rule_id == *rule_id),
            "{text:?} gave {findings:?}"
        );
    }
}

#[test]
fn each_category_has_a_rule_that_fires() {
    let table: &[(&str, &[(&str, &str)])] = &[
        (
            "县政府推荐的好大米",
            &[("zh.state-organ.endorsement", "县政府推荐")],
        ),
        (
            "我是县长，县长担保",
            &[("zh.state-organ.endorsement", "县长担保")],
        ),
        (
            "央视推荐的好茶",
            &[("zh.state-organ.endorsement", "央视推荐")],
        ),
        ("这个蜂蜜能治咳嗽", &[("zh.medical.treatment", "能治咳嗽")]),
        ("喝了降血糖", &[("zh.medical.treatment", "降血糖")]),
        (
            "天天吃增强免疫力",
            &[("zh.medical.health-function", "增强免疫力")],
        ),
        ("加盟稳赚不赔", &[("zh.guarantee.returns", "稳赚不赔")]),
        ("无效退款", &[("zh.guarantee.efficacy", "无效退款")]),
        ("吃一周瘦十斤", &[("zh.guarantee.efficacy", "一周瘦十斤")]),
        ("我们的有机大米", &[("zh.certification.organic", "有机")]),
        (
            "专家推荐，放心吃",
            &[("zh.endorsement.professional", "专家推荐")],
        ),
        (
            "纯分享，不是广告",
            &[
                ("zh.endorsement.hidden-ad", "纯分享"),
                ("zh.endorsement.hidden-ad", "不是广告"),
            ],
        ),
        ("销量10万+", &[("zh.fake-figures.sales", "销量10万+")]),
        (
            "直播间10万人在抢",
            &[("zh.fake-figures.viewers", "直播间10万人在抢")],
        ),
        ("今天是最后一天", &[("zh.fake-figures.urgency", "最后一天")]),
        ("开过光的手串", &[("zh.superstition.luck", "开过光")]),
        ("吃了转运", &[("zh.superstition.luck", "吃了转运")]),
        ("下单送围裙", &[("zh.gift-delivery.gift", "下单送")]),
        (
            "48小时内发货",
            &[("zh.gift-delivery.promise", "48小时内发货")],
        ),
        (
            "加我微信私下转账",
            &[
                ("zh.off-platform.private-deal", "加我微信"),
                ("zh.off-platform.private-deal", "私下转账"),
            ],
        ),
        (
            "clinically proven to work",
            &[("en.medical.proof", "clinically proven to")],
        ),
        ("honey cures coughs", &[("en.grammar.efficacy-disease", "cures coughs")]),
        ("FDA approved tea", &[("en.medical.proof", "FDA approved"), ("en.grammar.official", "FDA approved"), ("en.grammar.certification", "FDA approved")]),
        (
            "guaranteed results in a week",
            &[("en.guarantee.results", "guaranteed results")],
        ),
        ("only 2 left!", &[("en.fake-figures.stock", "only 2 left")]),
        (
            "this is not an ad",
            &[("en.endorsement.disclosure", "is not an ad")],
        ),
        ("was $40, now $10", &[("en.price.former-price", "was $40")]),
    ];
    for (text, expected) in table {
        check(text, expected);
    }
}

#[test]
fn disparagement_span_covers_the_comparison() {
    let findings = lint("超市蜂蜜都是糖水");
    assert_eq!(findings.len(), 1, "{findings:?}");
    // The claims grammar (competitor + smear) reports the whole claim, not its tail.
    assert_eq!(findings[0].rule_id, "zh.grammar.smear");
    assert_eq!(findings[0].matched, "超市蜂蜜都是糖水");
}

#[test]
fn words_inside_longer_words_are_not_flagged() {
    let clean = [
        "我们有独特供应链，从果园直发", // 特供 inside 独特供应
        "地里施的是有机肥",             // 有机 in 有机肥
        "这是巴氏杀菌的鲜奶",
        "本品不能代替药物治疗",
        "we sell cured ham and bacon",
        "organic matter in the soil keeps it moist",
        "the bestseller list",
    ];
    for text in clean {
        let findings: Vec<_> = lint(text)
            .into_iter()
            .filter(|f| f.severity != Severity::Info)
            .collect();
        assert!(findings.is_empty(), "{text:?} gave {findings:?}");
    }
}

#[test]
fn findings_carry_law_rewrite_line_and_column() {
    let text = "第一行没问题\n家人们，今天全网最低价！";
    let findings = lint(text);
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!((finding.line, finding.column), (2, 7));
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.laws.iter().any(|law| law.id == "CN-AD-9-3"),
        "{:?}",
        finding.laws
    );
    assert_eq!(finding.rewrites[0].text, "直播间专享价");
    assert!(finding.message.contains("绝对化"));
}

#[test]
fn keys_survive_edits_elsewhere_in_the_text() {
    let before = lint("全网最低价！再说一遍，全网最低价");
    let after = lint("家人们晚上好\n今天全网最低價！再说一遍，全网 最低价");
    let keys = |findings: &[Finding]| findings.iter().map(|f| f.key.clone()).collect::<Vec<_>>();
    assert_eq!(
        keys(&before),
        [
            "zh.absolute.lowest-price:全网最低价#1",
            "zh.absolute.lowest-price:全网最低价#2"
        ]
    );
    assert_eq!(keys(&before), keys(&after));
}

#[test]
fn one_finding_per_claim_within_a_category() {
    // 全网最低价 also contains 最 and 最低价; only the longest is reported.
    let findings = lint("全网最低价");
    assert_eq!(findings.len(), 1, "{findings:?}");
}

#[test]
fn certificate_cross_check() {
    let text = "自家种的有机大米";
    let without = ProductContext::default();
    let with = ProductContext {
        certificates: vec![Certificate::Organic],
        ..ProductContext::default()
    };
    let unknown = lint(text);
    assert_eq!(unknown[0].severity, Severity::Warning);
    let missing = linter().lint(
        text,
        &LintOptions {
            product: Some(&without),
            ..LintOptions::default()
        },
    );
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].severity, Severity::Error);
    assert!(
        missing[0].message.contains("没有登记有机产品认证证书"),
        "{}",
        missing[0].message
    );
    let backed = linter().lint(
        text,
        &LintOptions {
            product: Some(&with),
            ..LintOptions::default()
        },
    );
    assert!(backed.is_empty(), "{backed:?}");
}

#[test]
fn original_price_cross_check() {
    let text = "原价199，今天只要29";
    let product = ProductContext {
        recent_prices_fen: vec![2900, 3900],
        ..ProductContext::default()
    };
    let findings = linter().lint(
        text,
        &LintOptions {
            product: Some(&product),
            ..LintOptions::default()
        },
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Error);
    assert_eq!(
        findings[0].message,
        "宣称原价199元，高于本商品近7日最低成交价29元，属虚构原价"
    );

    let honest = ProductContext {
        recent_prices_fen: vec![19900, 21900],
        ..ProductContext::default()
    };
    let findings = linter().lint(
        text,
        &LintOptions {
            product: Some(&honest),
            ..LintOptions::default()
        },
    );
    assert!(findings.is_empty(), "{findings:?}");

    let no_records = ProductContext::default();
    let findings = linter().lint(
        text,
        &LintOptions {
            product: Some(&no_records),
            ..LintOptions::default()
        },
    );
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn stock_cross_check() {
    let text = "家人们仅剩三件了";
    let exact = ProductContext {
        stock: Some(3),
        ..ProductContext::default()
    };
    assert!(
        linter()
            .lint(
                text,
                &LintOptions {
                    product: Some(&exact),
                    ..LintOptions::default()
                }
            )
            .is_empty()
    );
    // Invented scarcity: 500 in stock.
    let plenty = ProductContext {
        stock: Some(500),
        ..ProductContext::default()
    };
    let findings = linter().lint(
        text,
        &LintOptions {
            product: Some(&plenty),
            ..LintOptions::default()
        },
    );
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].message.contains("500"),
        "{}",
        findings[0].message
    );
    // More promised than the line-up holds.
    let short = ProductContext {
        stock: Some(1),
        ..ProductContext::default()
    };
    let findings = linter().lint(
        text,
        &LintOptions {
            product: Some(&short),
            ..LintOptions::default()
        },
    );
    assert_eq!(findings[0].severity, Severity::Error);
    // Without a product the claim is a warning to check.
    assert_eq!(lint(text)[0].severity, Severity::Warning);
}

#[test]
fn gift_cross_check() {
    let product = ProductContext {
        lineup_gift_names: vec!["开果器".to_owned()],
        ..ProductContext::default()
    };
    let options = LintOptions {
        product: Some(&product),
        ..LintOptions::default()
    };
    assert!(linter().lint("下单送一个开果器", &options).is_empty());
    let findings = linter().lint("下单送一条围裙", &options);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].message.contains("开果器"),
        "{}",
        findings[0].message
    );
}

#[test]
fn a_promise_written_in_the_products_terms_is_backed() {
    let product = ProductContext {
        policies: vec!["坏果包赔：签收 48 小时内拍照联系客服".to_owned(), "付款后48小时内发货".to_owned()],
        ..ProductContext::default()
    };
    let options = LintOptions {
        product: Some(&product),
        ..LintOptions::default()
    };
    assert!(linter().lint("坏果包赔，放心买", &options).is_empty());
    assert!(linter().lint("48小时内发货", &options).is_empty());
    // A promise the terms do not hold stays a warning to check, as without a product.
    let findings = linter().lint("不甜包退", &options);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(lint("坏果包赔")[0].severity, Severity::Warning);
}

#[test]
fn registered_names_are_not_flagged() {
    // CN-ABSG-6(4): a trademark that happens to contain 第一 names the goods.
    let product = ProductContext {
        registered_names: vec!["第一坊".to_owned()],
        ..ProductContext::default()
    };
    let options = LintOptions {
        product: Some(&product),
        ..LintOptions::default()
    };
    assert!(linter().lint("第一坊的腊肉今天上新", &options).is_empty());
    // The name exempts only itself: a ranking elsewhere in the text is still flagged.
    let findings = linter().lint("第一坊的腊肉销量第一", &options);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].matched, "第一");
    assert_eq!(findings[0].span.start as usize, "第一坊的腊肉销量".len());
}

#[test]
fn lang_selects_packs() {
    let text = "the best 最好吃";
    let zh = linter().lint(
        text,
        &LintOptions {
            lang: anchordesk_claims::Lang::Zh,
            product: None,
        },
    );
    assert!(zh.iter().all(|f| f.rule_id.starts_with("zh.")), "{zh:?}");
    let en = linter().lint(
        text,
        &LintOptions {
            lang: anchordesk_claims::Lang::En,
            product: None,
        },
    );
    assert!(en.iter().all(|f| f.rule_id.starts_with("en.")), "{en:?}");
    assert_eq!(lint(text).len(), 2);
}

#[test]
fn explain_gives_the_long_text() {
    let text = linter().explain("zh.absolute.superlative").unwrap();
    assert!(text.contains("CN-AD-9-3"));
    assert!(text.contains("最佳食用期"));
    assert!(linter().explain("no.such.rule").is_none());
}

#[test]
fn every_default_rule_cites_known_law_and_has_a_message() {
    let rules = linter().rules();
    assert!(rules.len() >= 40, "only {} rules", rules.len());
    for rule in rules {
        assert!(!rule.message.is_empty(), "{}", rule.id);
        assert!(!rule.laws.is_empty(), "{}", rule.id);
        assert!(
            rule.id.starts_with(&format!("{}.", rule.lang)),
            "{} is in a {} pack",
            rule.id,
            rule.lang
        );
    }
}

#[test]
fn a_claim_said_with_where_its_evidence_is_becomes_a_note() {
    // Needs a certificate on file: a warning to check.
    let bare = lint("这个大米是有机的");
    assert_eq!(bare[0].severity, Severity::Warning);
    // The speaker says where the certificate is: a note to keep it true.
    let cited = lint("有机证书编号印在包装背面，扫码能查到认证机构");
    assert_eq!(cited.len(), 1, "{cited:?}");
    assert_eq!(cited[0].severity, Severity::Info);
    assert!(cited[0].message.contains("证书编号"), "{}", cited[0].message);
    assert_eq!(lint("It is certified organic")[0].severity, Severity::Warning);
    let cited = lint("It is certified organic, the certificate number is on the listing");
    assert_eq!(cited.len(), 1, "{cited:?}");
    assert_eq!(cited[0].severity, Severity::Info);
    // An error stays an error whatever evidence is named: 最 is banned, not unproven.
    let banned = lint("全网最低价，证书编号在详情页");
    assert!(banned.iter().any(|f| f.severity == Severity::Error), "{banned:?}");
}

#[test]
fn a_lottery_is_a_promise_to_write_down() {
    let findings = lint("点赞到一万就抽一台手机");
    assert!(findings.iter().any(|f| f.rule_id == "zh.gift-delivery.lottery"), "{findings:?}");
    assert!(lint("我们今天不搞抽奖，大家按需购买").iter().all(|f| f.rule_id != "zh.gift-delivery.lottery"));
}

/// A superlative of size or amount followed by a measured figure is a specification
/// (执法指南第六项); said against others, or about a price, it stays a claim.
#[test]
fn measured_specifications_are_not_superlatives() {
    let table: &[(&str, &[(&str, &str)])] = &[
        ("这台吸尘器最大吸力8000Pa，参数在详情页", &[]),
        ("天幕最大展开3乘4米，支撑杆另配", &[]),
        ("这是目前最长的一把，刀刃30厘米", &[]),
        ("最大那只公蟹五两二", &[]),
        ("市面上最大吸力8000Pa，别家都做不到", &[("zh.absolute.superlative", "最")]),
        ("这款吸尘器吸力最大，谁都比不了", &[("zh.absolute.superlative", "最")]),
        ("今天最低价99元", &[("zh.absolute.lowest-price", "最低价")]),
    ];
    for (text, expected) in table {
        check(text, expected);
    }
}

/// `{s}` joins two halves of a claim said in separate clauses of one sentence, and no
/// further than the sentence.
#[test]
fn a_sentence_link_reaches_across_clauses() {
    let smear = lint("拼夕夕那些百来块的帐篷，下点雨就漏，垃圾中的垃圾");
    assert!(smear.iter().any(|f| f.rule_id == "zh.grammar.smear"), "{smear:?}");
    let apart = lint("拼夕夕上也能买到。我们说说今天的帐篷。底下是防潮垫。那个不是垃圾袋。");
    assert!(apart.iter().all(|f| f.rule_id != "zh.grammar.smear"), "{apart:?}");
}
