//! Rehearsal scenarios (演练场景) as data: `assets/scenarios/*.toml`.
//!
//! A scenario names the products a student sells, the simulated audience of the practice
//! shop, and the scripted events the sandbox fires at fixed offsets from go-live. Each
//! event says, as data, what counts as handling it; `grade` reads nothing else.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The scenarios shipped with the binary, as `(file name, TOML source)`.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("orange-organic.toml", include_str!("../../../assets/scenarios/orange-organic.toml")),
    ("honey-health.toml", include_str!("../../../assets/scenarios/honey-health.toml")),
    ("tea-off-platform.toml", include_str!("../../../assets/scenarios/tea-off-platform.toml")),
    ("rice-stock-out.toml", include_str!("../../../assets/scenarios/rice-stock-out.toml")),
    ("county-charity.toml", include_str!("../../../assets/scenarios/county-charity.toml")),
];

/// One rehearsal scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Scenario {
    /// Stable id, e.g. `orange-organic`; an attempt names it.
    pub id: String,
    /// Raised by the teacher whenever the scenario changes in a way that affects grading.
    pub version: u32,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// What the student is asked to do, for the scenario picker.
    pub summary: String,
    /// Planned length of the rehearsal in minutes (classes run 5–15 minutes).
    pub target_minutes: u32,
    /// The simulated audience of the practice shop.
    pub audience: AudienceProfile,
    /// The products on sale, in line-up order.
    pub products: Vec<ScenarioProduct>,
    /// Scripted events, fired by the sandbox at `at_seconds` after go-live.
    #[serde(default)]
    pub events: Vec<ScriptedEvent>,
    /// SHA-256 (hex, first 16 digits) of the TOML source; set by the loader.
    pub source_hash: String,
}

/// The simulated audience's settings and what the scenario expects a good rehearsal to reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudienceProfile {
    /// Seed of the sandbox's simulated audience, so every student meets the same crowd.
    pub seed: u32,
    /// Crowd size.
    pub size: AudienceSize,
    /// Crowd mood.
    pub mood: AudienceMood,
    /// Peak concurrent viewers a good rehearsal reaches.
    pub expected_peak_viewers: u32,
    /// Orders a good rehearsal takes.
    pub expected_orders: u32,
    /// GMV in fen a good rehearsal takes.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub expected_gmv_fen: i64,
}

/// Size of the simulated crowd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[allow(missing_docs)]
pub enum AudienceSize {
    Small,
    Medium,
    Large,
}

/// Mood of the simulated crowd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[allow(missing_docs)]
pub enum AudienceMood {
    Friendly,
    Curious,
    Skeptical,
    Impatient,
}

/// A product of the scenario's line-up, with the facts on file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScenarioProduct {
    /// SKU in the practice shop.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Category, e.g. 水果, 蜂蜜.
    pub category: String,
    /// Daily price in fen.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub price_fen: i64,
    /// Live-room price in fen.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub live_price_fen: i64,
    /// Units in stock at go-live.
    pub stock: u32,
    /// Place of origin.
    pub origin: String,
    /// Shelf life in days.
    pub shelf_life_days: u32,
    /// Certificates on file (e.g. 绿色食品); empty when there are none.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// The after-sales policy the student must state.
    pub after_sales: String,
    /// Selling points, one per line.
    #[serde(default)]
    pub selling_points: Vec<String>,
    /// A coupon to announce, if any.
    #[serde(default)]
    pub coupon: Option<String>,
    /// Minutes planned for presenting this product.
    pub planned_minutes: u32,
    /// Talking points (话术) for the script outline.
    #[serde(default)]
    pub outline: Vec<String>,
}

/// A scripted event: something the sandbox makes happen at a fixed time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScriptedEvent {
    /// Id, unique within the scenario; the attempt's facts name it.
    pub id: String,
    /// Seconds after go-live.
    pub at_seconds: u32,
    /// What happens.
    #[serde(flatten)]
    pub kind: EventKind,
    /// Which risk point of the brief it trains.
    pub risk: Risk,
    /// How long the student has to handle it.
    pub respond_within_seconds: u32,
    /// What counts as handled.
    #[serde(default)]
    pub handled: Handling,
}

/// What a scripted event does in the practice shop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum EventKind {
    /// A viewer's comment.
    Comment {
        /// Viewer's nickname.
        user: String,
        /// The comment.
        text: String,
    },
    /// The product sells out.
    StockOut {
        /// Which product.
        sku: String,
    },
    /// A coupon must be announced now.
    CouponDue {
        /// Which product's coupon.
        sku: String,
    },
}

/// The risk points of the brief that events train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Risk {
    /// A claim the certificates on file do not support (有机 without a certificate).
    Certificate,
    /// A complaint (late delivery, not received).
    Complaint,
    /// A request to trade off the platform (加微信转账).
    OffPlatform,
    /// A product sells out during the sale.
    StockOut,
    /// A coupon promised for a time window.
    Coupon,
    /// A minor asking to buy.
    Minor,
    /// A health or cure claim for food (能治病吗).
    HealthClaim,
}

impl Risk {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Risk::Certificate => "资质/认证",
            Risk::Complaint => "客诉",
            Risk::OffPlatform => "站外交易",
            Risk::StockOut => "断货",
            Risk::Coupon => "优惠券",
            Risk::Minor => "未成年人",
            Risk::HealthClaim => "功效宣称",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Risk::Certificate => "certificate",
            Risk::Complaint => "complaint",
            Risk::OffPlatform => "off-platform",
            Risk::StockOut => "stock-out",
            Risk::Coupon => "coupon",
            Risk::Minor => "minor",
            Risk::HealthClaim => "health claim",
        }
    }
}

/// What counts as handling an event, as data.
///
/// A reply is required when the event is a comment or `must_say_any` is not empty; it must
/// come within the window, carry no linter error, and contain one of `must_say_any`. No reply
/// to the event may contain any of `must_not_say`. An `action` must be done within the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Handling {
    /// Words no reply may contain (e.g. 有机 when no organic certificate is on file).
    #[serde(default)]
    pub must_not_say: Vec<String>,
    /// A reply must contain at least one of these; empty means any clean reply.
    #[serde(default)]
    pub must_say_any: Vec<String>,
    /// An action in the shop that must be done within the window.
    #[serde(default)]
    pub action: Option<Action>,
}

/// An action in the practice shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Action {
    /// Take the product off the shopping bag (下架).
    TakeOff,
}

impl ScriptedEvent {
    /// Whether handling needs a spoken or typed reply.
    pub fn needs_reply(&self) -> bool {
        matches!(self.kind, EventKind::Comment { .. }) || !self.handled.must_say_any.is_empty()
    }

    /// A one-line description, e.g. `评论「这橙子是有机的吗?」`.
    pub fn describe_zh(&self) -> String {
        match &self.kind {
            EventKind::Comment { user, text } => format!("{user} 评论「{text}」"),
            EventKind::StockOut { sku } => format!("{sku} 断货"),
            EventKind::CouponDue { sku } => format!("{sku} 优惠券需宣布"),
        }
    }

    /// The English twin of [`ScriptedEvent::describe_zh`].
    pub fn describe_en(&self) -> String {
        match &self.kind {
            EventKind::Comment { user, text } => format!("{user} comments \"{text}\""),
            EventKind::StockOut { sku } => format!("{sku} sells out"),
            EventKind::CouponDue { sku } => format!("coupon for {sku} due"),
        }
    }
}

/// Why a scenario file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The TOML does not parse or does not fit the schema.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The file's name.
        file: String,
        /// 1-based line of the error (0 when the parser gave no position).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parses but is inconsistent.
    #[error("{file}: {message}")]
    Invalid {
        /// The file's name.
        file: String,
        /// What is wrong, naming the field and value.
        message: String,
    },
    /// Two files use one id.
    #[error("{file}: scenario id {id:?} is already used by {other}; give each scenario its own id")]
    DuplicateId {
        /// The later file.
        file: String,
        /// The id.
        id: String,
        /// The earlier file.
        other: String,
    },
    /// The folder or a file in it cannot be read.
    #[error("reading {path}: {source}")]
    Io {
        /// What was being read.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Parses one scenario from TOML; `file` names it in errors.
pub fn parse_scenario(file: &str, source: &str) -> Result<Scenario, ScenarioError> {
    let raw: raw::Scenario = toml::from_str(source).map_err(|err| {
        let (line, column) = err.span().map(|span| crate::rubric::line_column(source, span.start)).unwrap_or((0, 0));
        ScenarioError::Parse { file: file.to_string(), line, column, message: err.message().to_string() }
    })?;
    let scenario = raw.into_scenario(source_hash(source));
    validate(&scenario).map_err(|message| ScenarioError::Invalid { file: file.to_string(), message })?;
    Ok(scenario)
}

/// The shipped scenarios. They are tested, so this cannot fail at run time.
pub fn embedded_scenarios() -> Vec<Scenario> {
    EMBEDDED
        .iter()
        .map(|(file, source)| parse_scenario(file, source).expect("embedded scenarios are valid (tested)"))
        .collect()
}

/// The shipped scenarios with a teacher's folder on top (a teacher's scenario replaces a
/// shipped one with the same id), and the teacher's files that were refused. A folder that
/// does not exist adds nothing.
pub fn scenarios_with_folder(dir: &Path) -> (Vec<Scenario>, Vec<ScenarioError>) {
    let mut scenarios = embedded_scenarios();
    if !dir.is_dir() {
        return (scenarios, Vec::new());
    }
    match load_dir(dir) {
        Ok((own, errors)) => {
            scenarios.retain(|s| !own.iter().any(|o| o.id == s.id));
            scenarios.extend(own);
            (scenarios, errors)
        }
        Err(err) => (scenarios, vec![err]),
    }
}

/// Loads every `*.toml` in `dir` (a teacher's own scenarios), sorted by file name.
///
/// Each bad file is returned with its error and the good ones are still loaded.
pub fn load_dir(dir: &Path) -> Result<(Vec<Scenario>, Vec<ScenarioError>), ScenarioError> {
    let io = |path: &Path, source| ScenarioError::Io { path: path.display().to_string(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|err| io(dir, err))? {
        let path = entry.map_err(|err| io(dir, err))?.path();
        if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("toml")) {
            paths.push(path);
        }
    }
    paths.sort();
    let mut scenarios: Vec<(String, Scenario)> = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(err) => {
                errors.push(io(&path, err));
                continue;
            }
        };
        match parse_scenario(&file, &source) {
            Ok(scenario) => match scenarios.iter().find(|(_, s)| s.id == scenario.id) {
                Some((other, _)) => {
                    errors.push(ScenarioError::DuplicateId { file, id: scenario.id, other: other.clone() })
                }
                None => scenarios.push((file, scenario)),
            },
            Err(err) => errors.push(err),
        }
    }
    Ok((scenarios.into_iter().map(|(_, s)| s).collect(), errors))
}

fn source_hash(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    hex::encode(&digest[..8])
}

fn validate(scenario: &Scenario) -> Result<(), String> {
    if scenario.id.trim().is_empty() {
        return Err("id is empty; give the scenario a short id such as \"orange-organic\"".into());
    }
    if scenario.products.is_empty() {
        return Err("no products; add at least one [[products]] table".into());
    }
    for (idx, product) in scenario.products.iter().enumerate() {
        if scenario.products[..idx].iter().any(|p| p.sku == product.sku) {
            return Err(format!("product SKU {:?} appears twice", product.sku));
        }
        if product.planned_minutes == 0 {
            return Err(format!("product {:?}: planned_minutes is 0; plan at least 1 minute", product.sku));
        }
        if product.price_fen < 0 || product.live_price_fen < 0 {
            return Err(format!("product {:?}: a price is negative", product.sku));
        }
    }
    let total_seconds = scenario.target_minutes * 60;
    for (idx, event) in scenario.events.iter().enumerate() {
        if scenario.events[..idx].iter().any(|e| e.id == event.id) {
            return Err(format!("event id {:?} appears twice", event.id));
        }
        if event.respond_within_seconds == 0 {
            return Err(format!("event {:?}: respond_within_seconds is 0", event.id));
        }
        if event.at_seconds >= total_seconds {
            return Err(format!(
                "event {:?}: at_seconds {} is not before the end of the rehearsal ({} s)",
                event.id, event.at_seconds, total_seconds
            ));
        }
        // The practice shop's limits for a scripted comment (platform contract).
        if let EventKind::Comment { user, text } = &event.kind {
            if user.trim().is_empty() || user.chars().count() > 32 {
                return Err(format!("event {:?}: user {user:?} must be 1-32 characters", event.id));
            }
            if text.trim().is_empty() || text.chars().count() > 200 {
                return Err(format!("event {:?}: comment text must be 1-200 characters", event.id));
            }
        }
        if let EventKind::StockOut { sku } | EventKind::CouponDue { sku } = &event.kind
            && !scenario.products.iter().any(|p| &p.sku == sku)
        {
            return Err(format!("event {:?}: no product with SKU {sku:?}", event.id));
        }
        if matches!(event.kind, EventKind::StockOut { .. }) && event.handled.action.is_none() {
            return Err(format!("event {:?}: a stock_out event needs handled.action = \"take_off\"", event.id));
        }
        for required in &event.handled.must_say_any {
            if let Some(forbidden) = event.handled.must_not_say.iter().find(|w| required.contains(w.as_str())) {
                return Err(format!(
                    "event {:?}: the required {required:?} contains the forbidden {forbidden:?}, so no reply can pass; shorten the forbidden word",
                    event.id
                ));
            }
        }
        if !event.needs_reply() && event.handled.action.is_none() {
            return Err(format!("event {:?}: nothing to do; set handled.must_say_any or handled.action", event.id));
        }
    }
    Ok(())
}

/// The file format: snake_case keys as teachers write them, every unknown key refused.
/// The public types are camelCase for the window (specta cannot export asymmetric renames).
mod raw {
    use super::{AudienceMood, AudienceSize, EventKind, Risk};
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Scenario {
        id: String,
        version: u32,
        title_zh: String,
        title_en: String,
        summary: String,
        target_minutes: u32,
        audience: AudienceProfile,
        products: Vec<ScenarioProduct>,
        #[serde(default)]
        events: Vec<ScriptedEvent>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AudienceProfile {
        seed: u32,
        size: AudienceSize,
        mood: AudienceMood,
        expected_peak_viewers: u32,
        expected_orders: u32,
        expected_gmv_fen: i64,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ScenarioProduct {
        sku: String,
        name: String,
        category: String,
        price_fen: i64,
        live_price_fen: i64,
        stock: u32,
        origin: String,
        shelf_life_days: u32,
        #[serde(default)]
        certificates: Vec<String>,
        after_sales: String,
        #[serde(default)]
        selling_points: Vec<String>,
        #[serde(default)]
        coupon: Option<String>,
        planned_minutes: u32,
        #[serde(default)]
        outline: Vec<String>,
    }

    // No deny_unknown_fields: serde does not support it together with `flatten`.
    #[derive(Deserialize)]
    struct ScriptedEvent {
        id: String,
        at_seconds: u32,
        #[serde(flatten)]
        kind: EventKind,
        risk: Risk,
        respond_within_seconds: u32,
        #[serde(default)]
        handled: Handling,
    }

    #[derive(Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Handling {
        #[serde(default)]
        must_not_say: Vec<String>,
        #[serde(default)]
        must_say_any: Vec<String>,
        #[serde(default)]
        action: Option<super::Action>,
    }

    impl Scenario {
        pub(super) fn into_scenario(self, source_hash: String) -> super::Scenario {
            let a = self.audience;
            super::Scenario {
                id: self.id,
                version: self.version,
                title_zh: self.title_zh,
                title_en: self.title_en,
                summary: self.summary,
                target_minutes: self.target_minutes,
                audience: super::AudienceProfile {
                    seed: a.seed,
                    size: a.size,
                    mood: a.mood,
                    expected_peak_viewers: a.expected_peak_viewers,
                    expected_orders: a.expected_orders,
                    expected_gmv_fen: a.expected_gmv_fen,
                },
                products: self
                    .products
                    .into_iter()
                    .map(|p| super::ScenarioProduct {
                        sku: p.sku,
                        name: p.name,
                        category: p.category,
                        price_fen: p.price_fen,
                        live_price_fen: p.live_price_fen,
                        stock: p.stock,
                        origin: p.origin,
                        shelf_life_days: p.shelf_life_days,
                        certificates: p.certificates,
                        after_sales: p.after_sales,
                        selling_points: p.selling_points,
                        coupon: p.coupon,
                        planned_minutes: p.planned_minutes,
                        outline: p.outline,
                    })
                    .collect(),
                events: self
                    .events
                    .into_iter()
                    .map(|e| super::ScriptedEvent {
                        id: e.id,
                        at_seconds: e.at_seconds,
                        kind: e.kind,
                        risk: e.risk,
                        respond_within_seconds: e.respond_within_seconds,
                        handled: super::Handling {
                            must_not_say: e.handled.must_not_say,
                            must_say_any: e.handled.must_say_any,
                            action: e.handled.action,
                        },
                    })
                    .collect(),
                source_hash,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_scenario_parses_and_the_risks_are_covered() {
        let scenarios = embedded_scenarios();
        assert!(scenarios.len() >= 5);
        let risks: std::collections::BTreeSet<Risk> =
            scenarios.iter().flat_map(|s| s.events.iter().map(|e| e.risk)).collect();
        for risk in [
            Risk::Certificate,
            Risk::Complaint,
            Risk::OffPlatform,
            Risk::StockOut,
            Risk::Coupon,
            Risk::Minor,
            Risk::HealthClaim,
        ] {
            assert!(risks.contains(&risk), "no scenario trains {risk:?}");
        }
        for scenario in &scenarios {
            assert!((5..=15).contains(&scenario.target_minutes), "{}", scenario.id);
            assert_eq!(scenario.source_hash.len(), 16);
        }
    }

    #[test]
    fn the_organic_question_forbids_the_word_when_no_certificate_is_on_file() {
        let scenario = embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap();
        let event = scenario.events.iter().find(|e| e.risk == Risk::Certificate).unwrap();
        assert!(event.handled.must_not_say.iter().any(|w| w == "有机"));
        assert!(scenario.products.iter().all(|p| !p.certificates.iter().any(|c| c.contains("有机"))));
    }

    #[test]
    fn embedded_copies_match_the_assets_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenarios");
        let (from_dir, errors) = load_dir(&dir).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let mut embedded = embedded_scenarios();
        embedded.sort_by(|a, b| a.id.cmp(&b.id));
        let mut from_dir = from_dir;
        from_dir.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(embedded, from_dir);
    }

    #[test]
    fn a_required_word_that_contains_a_forbidden_one_is_refused() {
        let source = EMBEDDED[1].1.replacen("must_not_say = [\"能治好\"", "must_not_say = [\"能治\"", 1);
        let err = parse_scenario("honey.toml", &source).unwrap_err();
        assert!(err.to_string().contains("the required \"不能治病\" contains the forbidden \"能治\""), "{err}");
    }

    #[test]
    fn a_type_error_names_file_line_and_column() {
        let source = "id = \"x\"\nversion = \"one\"\n";
        let err = parse_scenario("mine.toml", source).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("mine.toml:2:11:"), "{text}");
    }

    #[test]
    fn an_event_for_an_unknown_product_is_refused_and_the_folder_loads_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let good = EMBEDDED[0].1;
        std::fs::write(dir.join("a.toml"), good).unwrap();
        let bad = good.replacen("kind = \"stock_out\"\nsku = \"", "kind = \"stock_out\"\nsku = \"NOPE-", 1);
        assert_ne!(bad, good, "the first scenario has a stock_out event");
        let bad = bad.replacen("id = \"orange-organic\"", "id = \"other\"", 1);
        std::fs::write(dir.join("b.toml"), bad).unwrap();
        std::fs::write(dir.join("c.toml"), good).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
        let (scenarios, errors) = load_dir(dir).unwrap();
        assert_eq!(scenarios.len(), 1);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].to_string().contains("no product with SKU \"NOPE-"), "{}", errors[0]);
        assert!(matches!(&errors[1], ScenarioError::DuplicateId { id, .. } if id == "orange-organic"));
    }

}
