//! The compliance review of a broadcast: every text it will say or show (product names and
//! selling points, coupons, segment titles, talking points and cues) run through the claims
//! linter with the product's facts, and the findings a person acknowledged with a reason.

use crate::model::{BroadcastId, CertificateKind, LineupItem, Product};
use anchordesk_claims::{Category, Finding, LintOptions, Linter, ProductContext, Severity};
use serde::{Deserialize, Serialize};

/// Where a linted text lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum TextSource {
    ProductName,
    SellingPoints,
    Coupon,
    SegmentTitle,
    TalkingPoints,
    Cues,
}

impl TextSource {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            TextSource::ProductName => "productName",
            TextSource::SellingPoints => "sellingPoints",
            TextSource::Coupon => "coupon",
            TextSource::SegmentTitle => "segmentTitle",
            TextSource::TalkingPoints => "talkingPoints",
            TextSource::Cues => "cues",
        }
    }
}

/// Identifies one finding across edits elsewhere in the text: where, which rule, what words.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FindingKey {
    pub source: TextSource,
    /// The product, line-up item or segment the text belongs to.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub owner_id: i64,
    pub rule_id: String,
    pub matched: String,
}

/// A person's decision to keep a flagged claim, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Acknowledgement {
    pub reason: String,
    pub given_by: String,
    pub given_at: String,
}

/// One finding with where it is and whether it was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LocatedFinding {
    pub key: FindingKey,
    /// What the text belongs to, for display: the product's or the segment's name.
    pub label: String,
    pub finding: Finding,
    pub acknowledgement: Option<Acknowledgement>,
}

/// Findings counted by category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CategoryCount {
    pub category: Category,
    pub count: i32,
}

/// Everything the broadcast will say or show, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ComplianceReport {
    pub broadcast_id: BroadcastId,
    pub findings: Vec<LocatedFinding>,
    pub n_errors: i32,
    pub n_warnings: i32,
    pub n_infos: i32,
    /// Errors neither fixed nor acknowledged: these keep the script review open.
    pub n_unresolved_errors: i32,
    pub by_category: Vec<CategoryCount>,
    /// How many texts were linted.
    pub n_texts: i32,
}

/// The facts the linter cross-checks a product's texts against.
pub fn product_context(product: &Product, item: Option<&LineupItem>, lineup: &[LineupItem]) -> ProductContext {
    let certificates = product
        .draft
        .certificates
        .iter()
        .filter_map(|c| match c.kind {
            CertificateKind::Organic => Some(anchordesk_claims::Certificate::Organic),
            CertificateKind::GreenFood => Some(anchordesk_claims::Certificate::GreenFood),
            CertificateKind::GeographicalIndication => Some(anchordesk_claims::Certificate::GeographicalIndication),
            CertificateKind::PollutionFree => Some(anchordesk_claims::Certificate::PollutionFree),
            _ => None,
        })
        .collect();
    // The prices actually charged that the store knows: the everyday price, and the live
    // price of this broadcast.
    let mut recent_prices_fen = vec![product.draft.price.0];
    if let Some(item) = item {
        recent_prices_fen.push(item.terms.live_price.0);
    }
    ProductContext {
        certificates,
        recent_prices_fen,
        stock: Some(item.map(|i| i.terms.stock).unwrap_or(product.draft.stock).max(0) as u32),
        lineup_gift_names: lineup.iter().map(|i| i.product_name.clone()).collect(),
        // The catalog has no field for registered trademarks yet, and a product name typed
        // by the seller is not one: nothing is exempted as a registered name.
        registered_names: Vec::new(),
        policies: Some(product.draft.after_sales.trim().to_string()).filter(|terms| !terms.is_empty()).into_iter().collect(),
        category: product.draft.category,
        registered_functions: product
            .draft
            .registered_functions
            .lines()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// A text to lint with where it lives.
pub(crate) struct Text {
    pub source: TextSource,
    pub owner_id: i64,
    pub label: String,
    pub text: String,
    pub context: Option<ProductContext>,
}

/// Lints the texts and folds in the acknowledgements.
pub(crate) fn review(
    broadcast_id: BroadcastId,
    texts: &[Text],
    linter: &Linter,
    acknowledged: &dyn Fn(&FindingKey) -> Option<Acknowledgement>,
) -> ComplianceReport {
    let mut findings = Vec::new();
    for text in texts {
        let options = LintOptions { product: text.context.as_ref(), ..LintOptions::default() };
        for finding in linter.lint(&text.text, &options) {
            let key = FindingKey {
                source: text.source,
                owner_id: text.owner_id,
                rule_id: finding.rule_id.clone(),
                matched: finding.matched.clone(),
            };
            let acknowledgement = acknowledged(&key);
            findings.push(LocatedFinding { key, label: text.label.clone(), finding, acknowledgement });
        }
    }
    let count = |severity: Severity| findings.iter().filter(|f| f.finding.severity == severity).count() as i32;
    let n_unresolved_errors =
        findings.iter().filter(|f| f.finding.severity == Severity::Error && f.acknowledgement.is_none()).count() as i32;
    let mut by_category: Vec<CategoryCount> = Vec::new();
    for f in &findings {
        match by_category.iter_mut().find(|c| c.category == f.finding.category) {
            Some(c) => c.count += 1,
            None => by_category.push(CategoryCount { category: f.finding.category, count: 1 }),
        }
    }
    by_category.sort_by_key(|c| std::cmp::Reverse(c.count));
    ComplianceReport {
        broadcast_id,
        n_errors: count(Severity::Error),
        n_warnings: count(Severity::Warning),
        n_infos: count(Severity::Info),
        n_unresolved_errors,
        by_category,
        n_texts: texts.len() as i32,
        findings,
    }
}
