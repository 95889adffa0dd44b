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

/// What kind of product it is, as the law sorts products: the same words are lawful for
/// one kind and not for another (a registered 保健食品 may state its approved function,
/// ordinary food may state none; 化妆品 may not claim a medical effect; 农资 may not
/// guarantee a yield).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum ProductCategory {
    /// 普通食品 (ordinary food and farm produce): no health function may be claimed.
    Food,
    /// 保健食品 (registered or filed health food): its approved function may be stated.
    HealthFood,
    /// 化妆品 (cosmetics): no medical effect.
    Cosmetic,
    /// 医疗器械 (registered medical device): claims within its registration.
    MedicalDevice,
    /// 农资 (seeds, fertiliser, pesticide, feed): no yield or income guarantee.
    FarmInput,
    /// 日用品 (household goods).
    Household,
    /// 服装鞋帽 (clothing and shoes).
    Apparel,
    /// 课程/服务 (courses, training, services).
    Service,
    /// 其他 (anything else).
    Other,
}

impl ProductCategory {
    /// Every category, in the order forms list them.
    pub const ALL: [ProductCategory; 9] = [
        ProductCategory::Food,
        ProductCategory::HealthFood,
        ProductCategory::Cosmetic,
        ProductCategory::MedicalDevice,
        ProductCategory::FarmInput,
        ProductCategory::Household,
        ProductCategory::Apparel,
        ProductCategory::Service,
        ProductCategory::Other,
    ];

    /// The kebab-case name used in rule packs, files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductCategory::Food => "food",
            ProductCategory::HealthFood => "health-food",
            ProductCategory::Cosmetic => "cosmetic",
            ProductCategory::MedicalDevice => "medical-device",
            ProductCategory::FarmInput => "farm-input",
            ProductCategory::Household => "household",
            ProductCategory::Apparel => "apparel",
            ProductCategory::Service => "service",
            ProductCategory::Other => "other",
        }
    }

    /// The Chinese name used in forms and import files (类目 column).
    pub fn label_zh(self) -> &'static str {
        match self {
            ProductCategory::Food => "普通食品",
            ProductCategory::HealthFood => "保健食品",
            ProductCategory::Cosmetic => "化妆品",
            ProductCategory::MedicalDevice => "医疗器械",
            ProductCategory::FarmInput => "农资",
            ProductCategory::Household => "日用品",
            ProductCategory::Apparel => "服装鞋帽",
            ProductCategory::Service => "课程/服务",
            ProductCategory::Other => "其他",
        }
    }

    /// Parses the kebab-case name or the Chinese name (with a few common variants).
    pub fn parse(name: &str) -> Option<ProductCategory> {
        let name = name.trim();
        ProductCategory::ALL.into_iter().find(|c| c.as_str() == name || c.label_zh() == name).or(
            match name {
                "食品" | "农产品" | "生鲜" | "水果" | "蔬菜" | "蜂蜜" | "大米" | "粮油" | "茶叶" | "茶" | "肉类" | "禽蛋"
                | "水产" | "零食" | "干货" | "饮料" | "酒水" | "特产" => Some(ProductCategory::Food),
                "保健品" | "蓝帽子" => Some(ProductCategory::HealthFood),
                "美妆" | "护肤品" | "彩妆" => Some(ProductCategory::Cosmetic),
                "家居" | "日化" | "家电" | "厨具" => Some(ProductCategory::Household),
                "器械" => Some(ProductCategory::MedicalDevice),
                "种子" | "化肥" | "农药" | "饲料" => Some(ProductCategory::FarmInput),
                "服装" | "鞋帽" => Some(ProductCategory::Apparel),
                "课程" | "服务" => Some(ProductCategory::Service),
                _ => None,
            },
        )
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
    /// What kind of product it is; rules with `allowed_for` consult it.
    pub category: Option<ProductCategory>,
    /// For a 保健食品: the functions on its registration or filing (增强免疫力 …).
    pub registered_functions: Vec<String>,
}
