//! `AttemptFacts`: what was measured during one rehearsal, as the app supplies it.
//!
//! Everything here is a measurement (timestamps, counts, linter findings, booleans the
//! app derived from markers and the transcript); nothing is an opinion. Times inside the
//! broadcast are milliseconds from go-live.

use serde::{Deserialize, Serialize};

use crate::scenario::Risk;

/// The measured facts of one rehearsal attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptFacts {
    /// Who rehearsed.
    pub student: Student,
    /// The scenario's id.
    pub scenario_id: String,
    /// The scenario's version.
    pub scenario_version: u32,
    /// The scenario's source hash (`Scenario::source_hash`).
    pub scenario_hash: String,
    /// Go-live time, RFC 3339.
    pub started_at: String,
    /// End time, RFC 3339.
    pub ended_at: String,
    /// Length of the broadcast in seconds.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub duration_seconds: i64,
    /// One entry per product of the scenario.
    pub products: Vec<ProductFacts>,
    /// Linter findings in the script and in what was said or typed live.
    pub lint_findings: Vec<LintFact>,
    /// One entry per scripted event the sandbox fired.
    pub events: Vec<EventFacts>,
    /// Checklist completion per phase.
    pub checklist: Vec<ChecklistFacts>,
    /// Figures from the practice shop.
    pub audience: AudienceFacts,
}

/// A student.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Student {
    /// Student number (学号).
    pub id: String,
    /// Name (姓名).
    pub name: String,
}

/// What was measured about one product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProductFacts {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Minutes planned, as the student saw them; grading uses the scenario's own plan.
    pub planned_minutes: u32,
    /// Seconds the product was on air (from product markers).
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub actual_seconds: i64,
    /// Whether it was put on air at all.
    pub presented: bool,
    /// Whether its price was stated.
    pub price_stated: bool,
    /// Whether its after-sales policy was stated.
    pub after_sales_stated: bool,
}

/// Where a finding was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum FindingSource {
    /// The prepared script.
    Script,
    /// Said or typed during the broadcast.
    Live,
}

/// A linter severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// Named apart from the linter's own `Severity` in the app's TypeScript bindings.
#[serde(rename = "CourseSeverity")]
#[allow(missing_docs)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One linter finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LintFact {
    /// Script or live.
    pub source: FindingSource,
    /// The linter's rule id, e.g. `zh.absolute.lowest-price`.
    pub rule_id: String,
    /// Severity.
    pub severity: Severity,
    /// The words found.
    pub excerpt: String,
    /// When it was said, for live findings.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub at_ms: Option<i64>,
    /// The law entry (law.md id), e.g. `CN-AD-9-3`.
    pub law: Option<String>,
}

/// What happened after a scripted event fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EventFacts {
    /// The scenario event's id.
    pub event_id: String,
    /// Its risk, as the scenario says.
    pub risk: Risk,
    /// When the sandbox fired it.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub fired_at_ms: i64,
    /// Replies the app attributed to this event (transcript lines or typed replies).
    pub responses: Vec<Response>,
    /// When the event's product was taken off the shopping bag, if it was.
    #[cfg_attr(feature = "specta", specta(type = Option<i32>))]
    pub product_taken_off_at_ms: Option<i64>,
}

/// One reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Response {
    /// When.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub at_ms: i64,
    /// What was said or typed.
    pub text: String,
    /// Error-level linter findings in this reply.
    pub lint_error_count: u32,
}

/// A checklist phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
// Named apart from the checklist's `Phase` in the app's TypeScript bindings.
#[serde(rename = "CoursePhase")]
pub enum Phase {
    /// Pre-live.
    Before,
    /// On air.
    During,
    /// Post-live.
    After,
}

impl Phase {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Phase::Before => "开播前",
            Phase::During => "直播中",
            Phase::After => "下播后",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::During => "during",
            Phase::After => "after",
        }
    }
}

/// Completion of one checklist phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChecklistFacts {
    /// Which phase.
    pub phase: Phase,
    /// Items done.
    pub satisfied: u32,
    /// Items in the phase.
    pub total: u32,
    /// Titles of critical items left open.
    pub critical_open: Vec<String>,
}

/// Figures from the practice shop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AudienceFacts {
    /// Peak concurrent viewers.
    pub peak_viewers: u32,
    /// Distinct viewers.
    pub total_viewers: u32,
    /// Comments.
    pub comments: u32,
    /// Orders.
    pub orders: u32,
    /// Units sold.
    pub units: u32,
    /// GMV in fen.
    #[cfg_attr(feature = "specta", specta(type = i32))]
    pub gmv_fen: i64,
}
