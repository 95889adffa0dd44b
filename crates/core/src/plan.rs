//! Planning a broadcast: the run-of-show (segments), the field-control (场控) checklist with
//! its automatic checks, templates, and the go-live gate.
//!
//! Checks return codes and subjects, never sentences: the UI and the CLI word them.

use crate::model::{BroadcastId, CertificateKind, LineupItemId, Product, Storage};
use crate::money::Fen;
use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// All variants.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Stable code, as stored in SQLite and written in templates.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// Reads a stable code.
            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

code_enum!(
    /// What a run-of-show segment is for.
    SegmentKind {
        /// 开场/暖场
        Opening = "opening",
        /// 讲解 one line-up item (linked to it)
        Product = "product",
        /// 福利/抽奖 moments
        Deal = "deal",
        /// 产地故事、介绍
        Story = "story",
        /// 答疑
        Qa = "qa",
        /// 收尾
        Closing = "closing",
        Other = "other",
    }
);

code_enum!(
    /// Who is on a segment.
    Person {
        /// 主播
        Anchor = "anchor",
        /// 助播
        Assistant = "assistant",
        /// 嘉宾 (a county official, the producer)
        Guest = "guest",
        /// 场控
        FieldControl = "fieldControl",
    }
);

code_enum!(
    /// When a checklist item is done.
    Phase {
        PreLive = "preLive",
        OnAir = "onAir",
        PostLive = "postLive",
    }
);

code_enum!(
    /// Who a checklist item belongs to.
    Role {
        Anchor = "anchor",
        Assistant = "assistant",
        FieldControl = "fieldControl",
        Operations = "operations",
        Selection = "selection",
        CustomerService = "customerService",
    }
);

code_enum!(
    /// A check the app evaluates itself instead of a person ticking it.
    AutoCheck {
        /// Every line-up item has stock above zero and a live price.
        LineupStock = "lineupStock",
        /// Products that claim 有机/绿色/地理标志/无公害 have that certificate, and no certificate has expired.
        CertificatesValid = "certificatesValid",
        /// Shelf life is longer than the shipping time.
        ShelfLifeCoversShipping = "shelfLifeCoversShipping",
        /// Chilled and frozen products ship by cold chain.
        ColdChainShipping = "coldChainShipping",
        /// Gifts promised in the script are in the line-up.
        GiftsInLineup = "giftsInLineup",
        /// The broadcast has an after-sales contact.
        AfterSalesContact = "afterSalesContact",
        /// The disk holds a recording of the planned duration.
        DiskSpace = "diskSpace",
        /// No error finding of the claims linter is left unfixed and unacknowledged.
        ClaimsReviewed = "claimsReviewed",
        /// Camera opens (needs the capture pipeline in the app).
        Camera = "camera",
        /// Microphone opens (needs the capture pipeline in the app).
        Microphone = "microphone",
        /// Platform reachable and authorised (needs the platform link).
        Platform = "platform",
    }
);

/// One segment of the run-of-show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Segment {
    pub id: SegmentId,
    pub broadcast_id: BroadcastId,
    pub position: i32,
    /// Set for product segments: the line-up item presented.
    pub lineup_item_id: Option<LineupItemId>,
    #[serde(flatten)]
    pub draft: SegmentDraft,
}

/// Row id of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SegmentId(#[cfg_attr(feature = "specta", specta(type = i32))] pub i64);

/// Row id of a checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistItemId(#[cfg_attr(feature = "specta", specta(type = i32))] pub i64);

/// The editable fields of a segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SegmentDraft {
    pub kind: SegmentKind,
    pub title: String,
    #[serde(default)]
    pub title_en: String,
    /// Ignored for product segments, whose minutes are the line-up item's.
    pub planned_minutes: i32,
    pub person: Person,
    /// 话术, one point per line.
    pub talking_points: String,
    /// Cues (show the certificate, cut the fruit, announce the coupon), one per line.
    pub cues: String,
}

impl SegmentDraft {
    /// Trims and checks the fields: a title, and minutes between 0 and 600.
    pub fn validated(&self) -> Result<SegmentDraft, Vec<crate::validate::FieldError>> {
        use crate::validate::{FieldError, FieldErrorCode};
        let mut errors = Vec::new();
        if self.title.trim().is_empty() {
            errors.push(FieldError::new("title", FieldErrorCode::Required, &self.title));
        }
        if self.planned_minutes < 0 {
            errors.push(FieldError::new("plannedMinutes", FieldErrorCode::Negative, self.planned_minutes.to_string()));
        } else if self.planned_minutes > 600 {
            errors.push(FieldError::new("plannedMinutes", FieldErrorCode::TooLarge, self.planned_minutes.to_string()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SegmentDraft { title: self.title.trim().to_string(), title_en: self.title_en.trim().to_string(), ..self.clone() })
    }
}

/// A segment as the planner and the prompter show it, with what the line-up adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SegmentView {
    pub segment: Segment,
    /// The minutes that count: the line-up item's for product segments.
    pub minutes: i32,
    /// Minutes from the start of the broadcast to this segment.
    pub starts_at_minute: i32,
    pub product: Option<SegmentProduct>,
}

/// The product facts shown next to a product segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SegmentProduct {
    pub sku: String,
    pub name: String,
    pub live_price: Fen,
    pub everyday_price: Fen,
    pub stock: i32,
    pub coupon: String,
    pub selling_points: String,
}

/// The whole run-of-show with its timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RunOfShow {
    pub broadcast_id: BroadcastId,
    pub segments: Vec<SegmentView>,
    pub planned_minutes: i32,
    /// The duration the team aims for; 0 when not set.
    pub target_minutes: i32,
}

/// One item of the field-control checklist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistItem {
    pub id: ChecklistItemId,
    pub broadcast_id: BroadcastId,
    pub position: i32,
    pub phase: Phase,
    pub role: Role,
    pub title: String,
    pub title_en: String,
    /// Critical pre-live items gate going live.
    pub critical: bool,
    pub auto_check: Option<AutoCheck>,
    /// The entry in ../shared/law.md this duty comes from, e.g. `CN-LSE-27`.
    pub law_ref: Option<String>,
    /// When a person ticked it (manual items), RFC 3339.
    pub done_at: Option<String>,
    pub done_by: Option<String>,
}

/// What an automatic check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "status")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CheckOutcome {
    Pass,
    Fail { problems: Vec<CheckProblem> },
    /// The capability this check needs is not in the app yet, or could not be measured.
    Unavailable { reason: String },
}

/// One problem an automatic check found: a code the UI words, and what it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CheckProblem {
    /// e.g. `stockZero`, `certificateMissing`, `certificateExpired`.
    pub code: String,
    /// What it is about, e.g. the product name.
    pub subject: String,
    /// The value that failed, e.g. the expiry date or the missing certificate kind.
    pub detail: String,
}

impl std::fmt::Display for CheckProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.code.as_str() {
            "stockZero" => "has no stock for this broadcast",
            "noLivePrice" => "has no live price",
            "certificateMissing" => "claims a certificate that is not on file:",
            "certificateExpired" => "has a certificate that expired on",
            "shelfLifeTooShort" => "has a shelf life shorter than the shipping time (days):",
            "notColdChain" => "needs cold storage but does not ship by cold chain",
            "giftNotInLineup" => "is promised as a gift but is not in the line-up",
            "noAfterSalesContact" => "has no after-sales contact",
            "diskTooSmall" => "needs more free disk space (MB needed / free):",
            "claimsUnresolved" => "error findings of the claims linter are neither fixed nor acknowledged:",
            "cameraMissing" => "camera chosen but not connected:",
            "microphoneMissing" => "microphone chosen but not connected:",
            "cameraNotChosen" => "no camera chosen: the test picture is used",
            "microphoneNotChosen" => "no microphone chosen: the test tone is used",
            "platformUnreachable" => "platform not reachable:",
            other => other,
        };
        write!(f, "{} {}", self.subject, what)?;
        if !self.detail.is_empty() {
            write!(f, " {}", self.detail)?;
        }
        Ok(())
    }
}

/// A checklist item with its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistEntry {
    pub item: ChecklistItem,
    /// Set for automatic items.
    pub outcome: Option<CheckOutcome>,
    /// Ticked (manual) or passed (automatic).
    pub satisfied: bool,
}

/// Whether the broadcast may go live, and if not, exactly why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GoLiveGate {
    pub allowed: bool,
    /// Critical pre-live items not satisfied.
    pub blockers: Vec<ChecklistEntry>,
    /// A lead's written override, if one was given; it allows going live despite blockers.
    pub override_reason: Option<GoLiveOverride>,
}

/// A lead's override of the gate, kept for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GoLiveOverride {
    pub reason: String,
    pub given_by: String,
    pub given_at: String,
}

/// The checklist with every automatic check evaluated, and the gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistState {
    pub entries: Vec<ChecklistEntry>,
    pub gate: GoLiveGate,
}

/// Facts from outside the database the checks need.
#[derive(Clone, Debug)]
pub struct CheckEnv {
    pub today: time::Date,
    /// Free bytes where recordings go; `None` when it could not be read.
    pub free_disk_bytes: Option<u64>,
    /// Days from order to delivery the team plans with.
    pub shipping_days: i32,
    /// Video + audio bitrate used to estimate the recording's size.
    pub bitrate_kbps: u32,
    /// The claims linter, for the script review check; `None` leaves that check unavailable.
    pub linter: Option<std::sync::Arc<anchordesk_claims::Linter>>,
    /// Whether the chosen camera, microphone and platform answer (`Err` says why not);
    /// `None` where the caller cannot tell (the CLI has no devices or platform link).
    pub camera: Option<Result<(), String>>,
    pub microphone: Option<Result<(), String>>,
    pub platform: Option<Result<(), String>>,
}

impl CheckEnv {
    /// Today's date, the free space under `dir`, 3 shipping days and a 720p30 bitrate.
    pub fn measure(dir: &std::path::Path) -> CheckEnv {
        let today = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc()).date();
        let probe = std::iter::successors(Some(dir), |d| d.parent()).find(|d| d.exists());
        CheckEnv {
            today,
            free_disk_bytes: probe.and_then(|d| fs4::available_space(d).ok()),
            shipping_days: 3,
            bitrate_kbps: 2500 + 128,
            linter: None,
            camera: None,
            microphone: None,
            platform: None,
        }
    }
}

impl CheckEnv {
    /// [`CheckEnv::measure`] plus the claims linter with the team packs of
    /// `<data_dir>/rules`, as the app uses them: for tools that do not keep a linter around.
    pub fn for_data_dir(data_dir: &std::path::Path) -> CheckEnv {
        let (linter, _) = anchordesk_claims::Linter::with_team_packs(&data_dir.join("rules"));
        CheckEnv { linter: Some(std::sync::Arc::new(linter)), ..CheckEnv::measure(data_dir) }
    }
}

/// What the checks look at: the broadcast's line-up with full products, its script, its
/// after-sales contact and its planned duration.
pub struct CheckInput<'a> {
    pub items: &'a [(crate::model::LineupItem, Product)],
    pub talking_points: &'a [String],
    pub after_sales_contact: &'a str,
    pub planned_minutes: i32,
    /// Error findings neither fixed nor acknowledged; `None` when no linter was given.
    pub unresolved_claim_errors: Option<i32>,
}

fn problem(code: &str, subject: &str, detail: impl Into<String>) -> CheckProblem {
    CheckProblem { code: code.to_string(), subject: subject.to_string(), detail: detail.into() }
}

fn outcome(problems: Vec<CheckProblem>) -> CheckOutcome {
    if problems.is_empty() { CheckOutcome::Pass } else { CheckOutcome::Fail { problems } }
}

/// Words in a product's name or selling points that claim a certificate.
const CERTIFICATE_CLAIMS: &[(&str, CertificateKind)] = &[
    ("有机", CertificateKind::Organic),
    ("绿色食品", CertificateKind::GreenFood),
    ("地理标志", CertificateKind::GeographicalIndication),
    ("无公害", CertificateKind::PollutionFree),
];

/// Evaluates one automatic check.
pub fn evaluate(check: AutoCheck, input: &CheckInput<'_>, env: &CheckEnv) -> CheckOutcome {
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    match check {
        AutoCheck::LineupStock => outcome(
            input
                .items
                .iter()
                .flat_map(|(item, _)| {
                    let mut problems = Vec::new();
                    if item.terms.stock <= 0 {
                        problems.push(problem("stockZero", &item.product_name, ""));
                    }
                    if item.terms.live_price.0 <= 0 {
                        problems.push(problem("noLivePrice", &item.product_name, ""));
                    }
                    problems
                })
                .collect(),
        ),
        AutoCheck::CertificatesValid => {
            let mut problems = Vec::new();
            for (_, product) in input.items {
                let text = format!("{} {}", product.draft.name, product.draft.selling_points);
                for (word, kind) in CERTIFICATE_CLAIMS {
                    if text.contains(word) && !product.draft.certificates.iter().any(|c| c.kind == *kind) {
                        problems.push(problem("certificateMissing", &product.draft.name, kind.code()));
                    }
                }
                for certificate in &product.draft.certificates {
                    let expired = certificate
                        .valid_until
                        .as_deref()
                        .and_then(|d| time::Date::parse(d, date_format).ok())
                        .is_some_and(|until| until < env.today);
                    if expired {
                        problems.push(problem(
                            "certificateExpired",
                            &product.draft.name,
                            certificate.valid_until.clone().unwrap_or_default(),
                        ));
                    }
                }
            }
            outcome(problems)
        }
        AutoCheck::ShelfLifeCoversShipping => outcome(
            input
                .items
                .iter()
                .filter_map(|(_, product)| match product.draft.shelf_life_days {
                    Some(days) if days <= env.shipping_days => {
                        Some(problem("shelfLifeTooShort", &product.draft.name, format!("{days} <= {}", env.shipping_days)))
                    }
                    _ => None,
                })
                .collect(),
        ),
        AutoCheck::ColdChainShipping => outcome(
            input
                .items
                .iter()
                .filter(|(_, p)| matches!(p.draft.storage, Storage::Chilled | Storage::Frozen) && !p.draft.cold_chain)
                .map(|(_, p)| problem("notColdChain", &p.draft.name, p.draft.storage.code()))
                .collect(),
        ),
        AutoCheck::GiftsInLineup => {
            let names: Vec<&str> = input.items.iter().map(|(item, _)| item.product_name.as_str()).collect();
            let problems = input
                .talking_points
                .iter()
                .flat_map(|text| promised_gifts(text))
                .filter(|gift| !names.iter().any(|name| gift_matches(gift, name)))
                .map(|gift| problem("giftNotInLineup", &gift, ""))
                .collect();
            outcome(problems)
        }
        AutoCheck::AfterSalesContact => {
            if input.after_sales_contact.trim().is_empty() {
                outcome(vec![problem("noAfterSalesContact", "", "")])
            } else {
                CheckOutcome::Pass
            }
        }
        AutoCheck::DiskSpace => match env.free_disk_bytes {
            None => CheckOutcome::Unavailable { reason: "diskUnreadable".into() },
            Some(free) => {
                let needed = recording_bytes(env.bitrate_kbps, input.planned_minutes.max(0) as u64);
                if free >= needed {
                    CheckOutcome::Pass
                } else {
                    outcome(vec![problem("diskTooSmall", "", format!("{} / {}", needed >> 20, free >> 20))])
                }
            }
        },
        AutoCheck::ClaimsReviewed => match input.unresolved_claim_errors {
            None => CheckOutcome::Unavailable { reason: "linterNotLoaded".into() },
            Some(0) => CheckOutcome::Pass,
            Some(n) => outcome(vec![problem("claimsUnresolved", "", n.to_string())]),
        },
        AutoCheck::Camera => device_outcome(&env.camera, "cameraMissing", "cameraNotChosen", "captureNotInApp"),
        AutoCheck::Microphone => device_outcome(&env.microphone, "microphoneMissing", "microphoneNotChosen", "captureNotInApp"),
        AutoCheck::Platform => device_outcome(&env.platform, "platformUnreachable", "platformUnreachable", "platformNotInApp"),
    }
}

/// A device fact: `Err("")` means no device was chosen (the test source is used), `Err(name)`
/// that the chosen device is not connected.
fn device_outcome(fact: &Option<Result<(), String>>, missing: &str, not_chosen: &str, unavailable: &str) -> CheckOutcome {
    match fact {
        None => CheckOutcome::Unavailable { reason: unavailable.into() },
        Some(Ok(())) => CheckOutcome::Pass,
        Some(Err(name)) if name.is_empty() => outcome(vec![problem(not_chosen, "", String::new())]),
        Some(Err(name)) => outcome(vec![problem(missing, "", name.clone())]),
    }
}

/// Bytes a recording of `minutes` at `kbps` takes, with 10 % headroom for the container.
pub fn recording_bytes(kbps: u32, minutes: u64) -> u64 {
    kbps as u64 * 1000 / 8 * 60 * minutes * 11 / 10
}

/// Gifts promised in a script line: the words after 送/赠/赠送 up to punctuation or a space.
pub fn promised_gifts(text: &str) -> Vec<String> {
    let mut gifts = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut idx = 0;
    while idx < chars.len() {
        let is_marker = matches!(chars[idx], '送' | '赠');
        // 送达/送货/配送/运送/赠品说明 are about delivery or the word itself, not a promised gift.
        let next = chars.get(idx + 1).copied();
        let previous = idx.checked_sub(1).map(|i| chars[i]);
        let delivery = matches!(next, Some('达' | '货' | '到' | '出' | '品' | '送' | '的' | '至'))
            || matches!(previous, Some('配' | '运' | '递' | '输' | '护' | '发'));
        if is_marker && !delivery {
            let mut start = idx + 1;
            while start < chars.len() && chars[start].is_whitespace() {
                start += 1;
            }
            let mut end = start;
            while end < chars.len() && end - start < 12 && !is_break(chars[end]) {
                end += 1;
            }
            let gift: String = chars[start..end].iter().collect::<String>().trim_start_matches(['一', '个', '份', '盒', '袋', '瓶']).to_string();
            if gift.chars().count() >= 2 {
                gifts.push(gift);
            }
            idx = end;
        } else {
            idx += 1;
        }
    }
    gifts
}

fn is_break(c: char) -> bool {
    c.is_whitespace() || "，。！？、；：,.!?;:（）()【】「」\"'~～".contains(c)
}

/// A gift matches a line-up product when they share a run of two characters.
fn gift_matches(gift: &str, product_name: &str) -> bool {
    let chars: Vec<char> = gift.chars().collect();
    chars.windows(2).any(|pair| product_name.contains(&pair.iter().collect::<String>()))
}

/// Builds the gate from evaluated entries and an override, if any.
pub fn gate(entries: &[ChecklistEntry], override_reason: Option<GoLiveOverride>) -> GoLiveGate {
    let blockers: Vec<ChecklistEntry> = entries
        .iter()
        .filter(|e| e.item.phase == Phase::PreLive && e.item.critical && !e.satisfied)
        .cloned()
        .collect();
    GoLiveGate { allowed: blockers.is_empty() || override_reason.is_some(), blockers, override_reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gifts_are_read_from_script_lines() {
        assert_eq!(promised_gifts("拍两箱送一袋核桃，数量有限"), vec!["核桃".to_string()]);
        assert_eq!(promised_gifts("下单就赠 土鸡蛋10枚！"), vec!["土鸡蛋10枚".to_string()]);
        assert_eq!(promised_gifts("48小时内送达，顺丰送货上门"), Vec::<String>::new());
        assert_eq!(promised_gifts("冷链商品的配送范围"), Vec::<String>::new());
        assert_eq!(promised_gifts("买一送一"), Vec::<String>::new(), "one character is not a named gift");
    }

    #[test]
    fn gift_matching_needs_two_shared_characters() {
        assert!(gift_matches("核桃", "薄皮核桃 1kg"));
        assert!(!gift_matches("围巾", "薄皮核桃 1kg"));
    }

    #[test]
    fn recording_size_grows_with_minutes() {
        assert_eq!(recording_bytes(8000, 1), 66_000_000);
        assert_eq!(recording_bytes(2628, 0), 0);
    }
}
