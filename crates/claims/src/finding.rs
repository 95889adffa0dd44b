//! The linter's output: findings and the small types they are made of.

use serde::{Deserialize, Serialize};

/// How serious a finding is.
///
/// `Error` is a claim the law forbids as written; `Warning` is a claim that is lawful only
/// with evidence on file (a certificate, a source, a stock count); `Info` is a reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A reminder; never fails a check.
    Info,
    /// Lawful only with evidence on file.
    Warning,
    /// Forbidden as written.
    Error,
}

impl Severity {
    /// The lowercase name used in rule packs and in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What kind of claim a rule is about; one per rule pack file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// 极限词: absolute terms (最, 第一, 唯一, "best").
    Absolute,
    /// State organs, officials and national symbols used as assurance.
    StateOrgan,
    /// Medical or health claims for ordinary food.
    Medical,
    /// Guaranteed effect, yield, income or passing.
    Guarantee,
    /// Quality labels that need a certificate (有机, 绿色食品, 地理标志).
    Certification,
    /// Price comparisons and price claims (原价, 划线价).
    Price,
    /// Belittling competitors.
    Disparagement,
    /// Endorsements by doctors, experts, minors; hidden ads.
    Endorsement,
    /// Unverifiable figures and false urgency (销量, 在线人数, 仅剩).
    FakeFigures,
    /// Superstition (开光, 转运).
    Superstition,
    /// Promised gifts and delivery.
    GiftDelivery,
    /// Trading off the platform (加微信, 私下转账).
    OffPlatform,
}

impl Category {
    /// Every category, in the order reports list them.
    pub const ALL: [Category; 12] = [
        Category::Absolute,
        Category::StateOrgan,
        Category::Medical,
        Category::Guarantee,
        Category::Certification,
        Category::Price,
        Category::Disparagement,
        Category::Endorsement,
        Category::FakeFigures,
        Category::Superstition,
        Category::GiftDelivery,
        Category::OffPlatform,
    ];

    /// The kebab-case name used in rule packs and in the JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Absolute => "absolute",
            Category::StateOrgan => "state-organ",
            Category::Medical => "medical",
            Category::Guarantee => "guarantee",
            Category::Certification => "certification",
            Category::Price => "price",
            Category::Disparagement => "disparagement",
            Category::Endorsement => "endorsement",
            Category::FakeFigures => "fake-figures",
            Category::Superstition => "superstition",
            Category::GiftDelivery => "gift-delivery",
            Category::OffPlatform => "off-platform",
        }
    }

    /// The category's name in Chinese, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Absolute => "绝对化用语",
            Category::StateOrgan => "国家机关与国家象征",
            Category::Medical => "医疗与保健功效",
            Category::Guarantee => "效果与收益保证",
            Category::Certification => "认证与标志",
            Category::Price => "价格宣传",
            Category::Disparagement => "贬低同行",
            Category::Endorsement => "代言与广告标识",
            Category::FakeFigures => "虚假数据与紧迫感",
            Category::Superstition => "封建迷信",
            Category::GiftDelivery => "赠品与发货承诺",
            Category::OffPlatform => "站外交易",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A byte range `start..end` in the text that was linted.
///
/// Invariant: both ends lie on `char` boundaries of the original (not normalised) text and
/// `start < end <= text.len()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Span {
    /// First byte of the span.
    pub start: u32,
    /// One past the last byte of the span.
    pub end: u32,
}

impl Span {
    /// The span as a `usize` range, for slicing the original text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A citation of an entry in the project's legal catalogue (`law.md`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LegalRef {
    /// The stable catalogue ID, e.g. `CN-AD-9-3`.
    pub id: String,
    /// The law and article, e.g. `《广告法》第九条第（三）项`.
    pub title: String,
}

/// A compliant replacement for the matched text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Rewrite {
    /// The replacement for the finding's span; empty means "delete the matched text".
    pub text: String,
}

/// One risky claim found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule that fired, e.g. `zh.absolute.lowest-price`.
    pub rule_id: String,
    /// The rule's category.
    pub category: Category,
    /// How serious it is; cross-checks against the product can raise or clear it.
    pub severity: Severity,
    /// Where the claim is, in bytes of the original text.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: u32,
    /// 1-based column of `span.start`, counted in characters.
    pub column: u32,
    /// The original text under `span`.
    pub matched: String,
    /// What is wrong, in the rule pack's language (zh-CN for Chinese packs).
    pub message: String,
    /// The law the claim breaks.
    pub laws: Vec<LegalRef>,
    /// Compliant replacements for the matched text, best first.
    pub rewrites: Vec<Rewrite>,
    /// Identifies the finding across edits elsewhere in the text, for storing an
    /// acknowledgement: `rule_id:folded matched text#n`, where `n` counts earlier findings
    /// of the same rule on the same folded text (from 1).
    pub key: String,
}

/// How the learned backstop's findings' rule ids start (`model.price`): a suspicion the
/// model raised where no rule matched, not a rule broken.
pub const MODEL_RULE_PREFIX: &str = "model.";

impl Finding {
    /// True for the learned backstop's suspicion (a sentence no rule flags that the model
    /// reads as a claim): a check to make, not a rule broken.
    pub fn is_model_suspicion(&self) -> bool {
        self.rule_id.starts_with(MODEL_RULE_PREFIX)
    }
}

/// A rule as listed in Settings → Rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    /// The rule's stable ID.
    pub id: String,
    /// Its category.
    pub category: Category,
    /// Its severity when no product context changes it.
    pub severity: Severity,
    /// `zh` or `en`.
    pub lang: String,
    /// The pack it came from, e.g. `zh-absolute.toml` or a team pack's file name.
    pub pack: String,
    /// The one-line message.
    pub message: String,
    /// The patterns as written in the pack.
    pub patterns: Vec<String>,
    /// The laws it cites.
    pub laws: Vec<LegalRef>,
    /// False when a team pack disabled it.
    pub enabled: bool,
}
