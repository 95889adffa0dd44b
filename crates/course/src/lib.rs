//! Courses (课程): rehearsal scenarios, grading from measured facts, signed reports and
//! the teacher's class table.
//!
//! The one big design choice: **a grade comes from measurements only.** The app measures a
//! rehearsal against the practice shop (time per product from markers, replies to each
//! scripted event with their timestamps, linter findings, checklist completion, the shop's
//! figures) into [`AttemptFacts`]; [`grade`] applies a [`Rubric`] to those facts and a
//! [`Scenario`]'s own data (what each event needs to count as handled). No model's opinion
//! enters, so the same facts always give the same report, and every point lost has an
//! [`Evidence`] line that says why.
//!
//! ```
//! use anchordesk_course::{Rubric, Student, embedded_scenarios, grade, model_attempt};
//!
//! let scenario = embedded_scenarios().into_iter().find(|s| s.id == "orange-organic").unwrap();
//! let student = Student { id: "2024001".into(), name: "张三".into() };
//! let mut facts = model_attempt(&scenario, student, "2026-03-02T09:00:00+08:00", "2026-03-02T09:10:00+08:00");
//! // The student answers the organic question with a word the scenario forbids.
//! let event = facts.events.iter_mut().find(|e| e.event_id == "organic-question").unwrap();
//! event.responses[0].text = "放心，都是有机种植的".into();
//! let report = grade(&scenario, &Rubric::default_rubric(), &facts).unwrap();
//! assert_eq!(report.missed_events, ["organic-question"]);
//! assert!(report.total < 100.0);
//! ```
//!
//! Reports travel from student to teacher as [`SignedReport`] files (Ed25519 over canonical
//! JSON); [`ClassTable::build`] verifies a folder of them against a [`Roster`].
//! The crate never opens a file except in [`load_dir`]; the rest takes bytes.

#![deny(missing_docs)]

mod files;
mod class;
mod demo;
mod facts;
mod grade;
mod html;
mod rubric;
mod scenario;
mod roster;
mod sign;
mod trend;

pub use demo::model_attempt;
pub use files::{RosterFileError, file_name, read_roster_file, read_submissions};
pub use facts::{
    AttemptFacts, AudienceFacts, ChecklistFacts, EventFacts, FindingSource, LintFact, Phase, ProductFacts,
    Response, Severity, Student,
};
pub use ed25519_dalek::SigningKey;
pub use grade::{CriterionScore, Evidence, GradeError, GradedReport, Mistake, grade};
pub use html::report_html;
pub use rubric::{
    AudienceParams, ChecklistParams, ComplianceParams, Criterion, CriterionId, CriterionParams, DEFAULT_RUBRIC,
    ProductCoverageParams, Rubric, RubricError, RiskyEventsParams, TimingParams,
};
pub use scenario::{
    Action, AudienceMood, AudienceProfile, AudienceSize, EMBEDDED, EventKind, Handling, Risk, Scenario,
    ScenarioError, ScenarioProduct, ScriptedEvent, embedded_scenarios, load_dir, parse_scenario, scenarios_with_folder,
};
pub use sign::{REPORT_FORMAT, ReportPayload, SignedReport, VerifiedReport, VerifyError, canonical_json, key_fingerprint, normalize_fingerprint, sign, signing_key_fingerprint, verify};
pub use trend::{CriterionTrend, Trend, TrendPoint, trend};
pub use roster::{Roster, RosterError, RosterFormat, RosterImport, RosterRowError, RosterStudent, read_roster};
pub use class::{ClassMistake, ClassRow, ClassTable, CriterionColumn, FileProblem, KeyPins, KeyTrust, Regrade, RowFilter, RowStatus, SortKey};

#[cfg(test)]
mod testoibits {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Scenario>();
        assert_send_sync::<Rubric>();
        assert_send_sync::<AttemptFacts>();
        assert_send_sync::<GradedReport>();
        assert_send_sync::<SignedReport>();
        assert_send_sync::<VerifyError>();
        assert_send_sync::<ClassTable>();
        assert_send_sync::<Roster>();
        assert_send_sync::<Trend>();
    }
}
