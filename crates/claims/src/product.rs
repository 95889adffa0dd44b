//! Product facts the linter checks claims against, passed in as plain data.

use serde::{Deserialize, Serialize};

/// A certificate or licence that allows a quality label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Certificate {
    /// 有机产品认证 (organic certification with its 有机码).
    Organic,
    /// 绿色食品标志许可 (licence to use the green-food mark).
    GreenFood,
    /// 地理标志 (authorisation to use a geographical indication or its special mark).
    GeographicalIndication,
    /// 无公害农产品 (pollution-free farm product certificate).
    PollutionFree,
}

impl Certificate {
    /// The kebab-case name used in rule packs.
    pub fn as_str(self) -> &'static str {
        match self {
            Certificate::Organic => "organic",
            Certificate::GreenFood => "green-food",
            Certificate::GeographicalIndication => "geographical-indication",
            Certificate::PollutionFree => "pollution-free",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(name: &str) -> Option<Certificate> {
        [
            Certificate::Organic,
            Certificate::GreenFood,
            Certificate::GeographicalIndication,
            Certificate::PollutionFree,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }
}

/// What the store knows about the product a text is about.
///
/// With a context, cross-check rules turn from "check this" warnings into errors when the
/// facts contradict the claim, and disappear when the facts back it:
///
/// - `有机`, `绿色食品`, `地理标志`, `无公害` need the matching entry in `certificates`;
/// - `原价199` must not exceed the lowest of `recent_prices_fen` (prices actually charged
///   in the 7 days before the broadcast; when empty, the claim stays a warning);
/// - `仅剩3件` must equal `stock`: above it the orders cannot be filled, below it the
///   scarcity is invented (when `None`, the claim stays a warning);
/// - a gift named after `送` or `赠` must contain one of `lineup_gift_names`;
/// - a shipping or after-sales promise (`坏果包赔`, `48小时内发货`) disappears when it is
///   written in one of `policies` (the product's after-sales and shipping terms on file)
///   and stays a warning otherwise;
/// - `registered_names` (the product's name, model and registered trademarks) are never
///   flagged, since the SAMR guide (CN-ABSG-6(4)) exempts names that happen to contain
///   absolute words, such as a brand called 第一坊.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct ProductContext {
    /// Certificates on file for this product.
    pub certificates: Vec<Certificate>,
    /// Transaction prices in fen (分) from the 7 days before the broadcast. (TypeScript sees
    /// `number[]`: fen fit a JS number exactly.)
    #[cfg_attr(feature = "specta", specta(type = Vec<i32>))]
    pub recent_prices_fen: Vec<i64>,
    /// Units in the line-up's stock, if known.
    pub stock: Option<u32>,
    /// Names of the gifts the line-up offers with this product.
    pub lineup_gift_names: Vec<String>,
    /// The product's name, model and registered trademarks, as on file.
    pub registered_names: Vec<String>,
    /// The product's written after-sales and shipping terms (售后、发货), as on file.
    pub policies: Vec<String>,
}
