//! Domain types shared by the store, the CLI and (through generated bindings) the UI.

use crate::money::Fen;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub struct $name(#[cfg_attr(feature = "specta", specta(type = i32))] pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Row id of a product in the catalog.
    ProductId
);
id_type!(
    /// Row id of a broadcast (场次).
    BroadcastId
);
id_type!(
    /// Row id of one entry in a broadcast's line-up (排品).
    LineupItemId
);
id_type!(
    /// Row id of an anchor profile.
    AnchorId
);

/// How a product must be stored and shipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Storage {
    /// 常温
    #[default]
    Ambient,
    /// 阴凉 (cool and dry, e.g. tea)
    Cool,
    /// 冷藏 (0–8 °C)
    Chilled,
    /// 冷冻
    Frozen,
}

impl Storage {
    /// All variants, in the order the UI lists them.
    pub const ALL: [Storage; 4] = [Storage::Ambient, Storage::Cool, Storage::Chilled, Storage::Frozen];

    /// Stable code used in SQLite and in CSV files.
    pub fn code(self) -> &'static str {
        match self {
            Storage::Ambient => "ambient",
            Storage::Cool => "cool",
            Storage::Chilled => "chilled",
            Storage::Frozen => "frozen",
        }
    }

    /// Reads a code or the Chinese word a spreadsheet would use.
    pub fn parse(text: &str) -> Option<Storage> {
        match text.trim().to_lowercase().as_str() {
            "" | "ambient" | "常温" => Some(Storage::Ambient),
            "cool" | "阴凉" | "阴凉干燥" => Some(Storage::Cool),
            "chilled" | "冷藏" => Some(Storage::Chilled),
            "frozen" | "冷冻" => Some(Storage::Frozen),
            _ => None,
        }
    }
}

/// What a certificate on file attests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CertificateKind {
    /// 有机产品认证 (CN-ORG-35)
    Organic,
    /// 绿色食品标志许可 (CN-GREEN)
    GreenFood,
    /// 地理标志 (CN-GI)
    GeographicalIndication,
    /// 无公害农产品
    PollutionFree,
    /// 检验检测报告
    InspectionReport,
    /// 食品生产许可 (SC)
    FoodProductionLicense,
    /// 其他
    Other,
}

impl CertificateKind {
    /// All variants, in the order the UI lists them.
    pub const ALL: [CertificateKind; 7] = [
        CertificateKind::Organic,
        CertificateKind::GreenFood,
        CertificateKind::GeographicalIndication,
        CertificateKind::PollutionFree,
        CertificateKind::InspectionReport,
        CertificateKind::FoodProductionLicense,
        CertificateKind::Other,
    ];

    /// Stable code used in SQLite and in CSV files.
    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::Organic => "organic",
            CertificateKind::GreenFood => "greenFood",
            CertificateKind::GeographicalIndication => "geographicalIndication",
            CertificateKind::PollutionFree => "pollutionFree",
            CertificateKind::InspectionReport => "inspectionReport",
            CertificateKind::FoodProductionLicense => "foodProductionLicense",
            CertificateKind::Other => "other",
        }
    }

    /// Reads a code or a Chinese name.
    pub fn parse(text: &str) -> Option<CertificateKind> {
        let t = text.trim();
        CertificateKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(t))
            .or(match t {
                "有机" | "有机认证" | "有机产品" => Some(CertificateKind::Organic),
                "绿色食品" => Some(CertificateKind::GreenFood),
                "地理标志" | "地标" => Some(CertificateKind::GeographicalIndication),
                "无公害" => Some(CertificateKind::PollutionFree),
                "检测报告" | "检验报告" => Some(CertificateKind::InspectionReport),
                "SC" | "生产许可" | "食品生产许可" => Some(CertificateKind::FoodProductionLicense),
                "其他" => Some(CertificateKind::Other),
                _ => None,
            })
    }
}

/// A certificate, licence or report kept on file for a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Certificate {
    pub kind: CertificateKind,
    /// Certificate or report number as printed on it.
    pub number: String,
    /// Who issued it.
    pub issuer: String,
    /// Last day of validity, `YYYY-MM-DD`; `None` when it does not expire.
    pub valid_until: Option<String>,
}

/// A product in the catalog (商品库), with the facts the linter and checklists rely on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Product {
    pub id: ProductId,
    #[serde(flatten)]
    pub draft: ProductDraft,
    /// Part of the bundled sample catalog; the UI marks it and offers to remove all samples.
    pub is_sample: bool,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

/// The editable fields of a product: what a form or an import row provides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProductDraft {
    /// Stock-keeping unit; unique in the catalog.
    pub sku: String,
    pub name: String,
    /// 产地, e.g. 江西赣州信丰县.
    pub origin: String,
    /// 规格, e.g. 5kg/箱.
    pub spec: String,
    /// Everyday price (日常价).
    pub price: Fen,
    /// Units in the warehouse.
    pub stock: i32,
    /// 保质期 in days; `None` for goods without one.
    pub shelf_life_days: Option<i32>,
    pub storage: Storage,
    /// Ships by cold chain (冷链).
    pub cold_chain: bool,
    /// 卖点, one per line.
    pub selling_points: String,
    /// 售后与发货：the written after-sales and shipping terms (坏果包赔, 48小时内发货 …).
    #[serde(default)]
    pub after_sales: String,
    pub certificates: Vec<Certificate>,
    /// 类目: what kind of product it is, as the law sorts products; the claims linter
    /// judges the same words differently per category. `None` when not set (judged
    /// strictest).
    #[serde(default)]
    pub category: Option<anchordesk_claims::ProductCategory>,
    /// For a 保健食品: the functions on its registration or filing, one per line
    /// (增强免疫力 …); they may be stated on air.
    #[serde(default)]
    pub registered_functions: String,
}

/// The role an item plays in the line-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum LineupRole {
    /// 引流款: a low-price item that draws viewers in.
    Traffic,
    /// 福利款: a deal or giveaway item.
    Deal,
    /// 利润款: the item that earns the margin.
    #[default]
    Profit,
}

impl LineupRole {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            LineupRole::Traffic => "traffic",
            LineupRole::Deal => "deal",
            LineupRole::Profit => "profit",
        }
    }

    /// Reads a stable code.
    pub fn parse(code: &str) -> Option<LineupRole> {
        match code {
            "traffic" => Some(LineupRole::Traffic),
            "deal" => Some(LineupRole::Deal),
            "profit" => Some(LineupRole::Profit),
            _ => None,
        }
    }
}

/// A broadcast session (场次).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Broadcast {
    pub id: BroadcastId,
    #[serde(flatten)]
    pub draft: BroadcastDraft,
    /// Number of items in the line-up.
    pub n_items: i32,
    /// Sum of the line-up's planned minutes.
    pub planned_minutes: i32,
    /// The template it was created from, if any.
    pub template: Option<String>,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

/// The editable fields of a broadcast.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BroadcastDraft {
    pub title: String,
    /// Planned start in local time, `YYYY-MM-DDTHH:MM`.
    pub planned_start: String,
    /// Platform the broadcast goes to, e.g. `sandbox`, `douyin`.
    pub platform: String,
    pub anchor_id: Option<AnchorId>,
    /// The duration the team aims for, in minutes; 0 when not set.
    #[serde(default)]
    pub target_minutes: i32,
    /// Phone or account viewers contact for after-sales (售后).
    #[serde(default)]
    pub after_sales_contact: String,
    /// The scene it goes on air with, by name in the scene library; empty: the camera fills
    /// the picture. Set from the template; a scene deleted since is reported at go-live.
    #[serde(default)]
    pub scene: String,
}

/// One entry in a broadcast's line-up (排品), with the product's name for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineupItem {
    pub id: LineupItemId,
    pub broadcast_id: BroadcastId,
    pub product_id: ProductId,
    /// 0-based position in the running order.
    pub position: i32,
    pub product_sku: String,
    pub product_name: String,
    /// The product's everyday price, for comparison with the live price.
    pub product_price: Fen,
    #[serde(flatten)]
    pub terms: LineupTerms,
}

/// What a team sets for an item in one broadcast.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineupTerms {
    /// Price in the live room (直播价).
    pub live_price: Fen,
    /// Coupon text shown to viewers, e.g. 满99减10.
    pub coupon: String,
    /// Units set aside for this broadcast.
    pub stock: i32,
    pub planned_minutes: i32,
    pub role: LineupRole,
}

/// A professional field that needs a qualification on file before an anchor talks about it
/// (网络主播行为规范, CN-HOST-QUAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum QualificationField {
    Health,
    Finance,
    Law,
    Education,
    Other,
}

impl QualificationField {
    /// Stable code used in SQLite.
    pub fn code(self) -> &'static str {
        match self {
            QualificationField::Health => "health",
            QualificationField::Finance => "finance",
            QualificationField::Law => "law",
            QualificationField::Education => "education",
            QualificationField::Other => "other",
        }
    }

    /// Reads a stable code.
    pub fn parse(code: &str) -> Option<QualificationField> {
        match code {
            "health" => Some(QualificationField::Health),
            "finance" => Some(QualificationField::Finance),
            "law" => Some(QualificationField::Law),
            "education" => Some(QualificationField::Education),
            "other" => Some(QualificationField::Other),
            _ => None,
        }
    }
}

/// A professional qualification an anchor holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Qualification {
    pub field: QualificationField,
    pub title: String,
    pub number: String,
    /// `YYYY-MM-DD`, or `None` when it does not expire.
    pub valid_until: Option<String>,
}

/// A person who presents on air.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AnchorProfile {
    pub id: AnchorId,
    pub name: String,
    pub qualifications: Vec<Qualification>,
}
