//! The desk's side of grading: the rubric in force, grading a finished rehearsal and keeping
//! the grade with the attempt, the signed report to hand in, a student's history, and a
//! teacher's class table from a folder of handed-in reports.

use crate::{FactsError, attempt_facts};
use anchordesk_claims::Linter;
use anchordesk_core::model::BroadcastId;
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::{Store, StoreError};
use anchordesk_course::{AttemptFacts, ClassTable, GradedReport, KeyPins, RowFilter, RowStatus, Rubric, Scenario, SortKey, Trend};
use std::path::{Path, PathBuf};

/// Why a grading step could not be done; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum GradingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("broadcast {0} is not a course rehearsal")]
    NoAttempt(i64),
    #[error("the attempt is not graded yet: grade it first")]
    NotGraded,
    #[error("the rubric {0}")]
    Rubric(String),
    #[error("measuring the attempt: {0}")]
    Facts(#[from] FactsError),
    #[error("grading: {0}")]
    Grade(String),
    #[error("the folder {0}")]
    Folder(String),
    #[error("the roster {0}")]
    Roster(String),
    #[error("unknown sort key {0:?}")]
    Sort(String),
    #[error("writing {0}")]
    Io(String),
    #[error("no scenario {0:?} (neither shipped nor in the scenarios folder)")]
    UnknownScenario(String),
}

impl From<GradingError> for anchordesk_core::UiError {
    /// A grading error as a window's forms show it: the field concerned, or the log.
    fn from(err: GradingError) -> anchordesk_core::UiError {
        use anchordesk_core::UiError;
        use anchordesk_core::validate::FieldErrorCode::{Required, UnknownValue};
        match err {
            GradingError::Store(err) => err.into(),
            GradingError::NoAttempt(id) => UiError::field("broadcastId", UnknownValue, id.to_string()),
            GradingError::NotGraded => UiError::field("attempt", Required, "grade it first"),
            GradingError::Rubric(why) => UiError::field("rubric", UnknownValue, why),
            GradingError::Facts(err) => UiError::field("attempt", UnknownValue, err.to_string()),
            GradingError::Grade(why) => UiError::field("attempt", UnknownValue, why),
            GradingError::Folder(why) => UiError::field("folder", UnknownValue, why),
            GradingError::Roster(why) => UiError::field("roster", UnknownValue, why),
            GradingError::Sort(key) => UiError::field("sort", UnknownValue, key),
            GradingError::UnknownScenario(id) => UiError::field("scenarioId", UnknownValue, id),
            GradingError::Io(why) => UiError::internal(why),
        }
    }
}

/// The scenarios a student can rehearse: the shipped ones and a teacher's own in
/// `<data dir>/scenarios`, with the files that were refused (file:line and why).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScenarioList {
    pub scenarios: Vec<Scenario>,
    pub problems: Vec<String>,
    pub folder: String,
}

/// The scenarios of a desk whose data directory is `data_dir`.
pub fn scenarios(data_dir: &Path) -> ScenarioList {
    let folder = data_dir.join("scenarios");
    let (scenarios, problems) = anchordesk_course::scenarios_with_folder(&folder);
    ScenarioList { scenarios, problems: problems.iter().map(|e| e.to_string()).collect(), folder: folder.display().to_string() }
}

/// The TOML of a scenario from the desk's folder (`<data dir>/scenarios`), to send where the
/// scenario is not shipped (a class's course on the team server); `None` for a shipped one.
pub fn scenario_source(data_dir: &Path, id: &str) -> Result<Option<String>, GradingError> {
    // The folder first: a teacher's file may stand in for a shipped scenario of the same id.
    let folder = data_dir.join("scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect();
    paths.sort();
    for path in paths {
        let Ok(source) = std::fs::read_to_string(&path) else { continue };
        if anchordesk_course::parse_scenario(&path.display().to_string(), &source).is_ok_and(|s| s.id == id) {
            return Ok(Some(source));
        }
    }
    scenario(data_dir, id).map(|_| None)
}

/// One scenario by id.
pub fn scenario(data_dir: &Path, id: &str) -> Result<Scenario, GradingError> {
    scenarios(data_dir).scenarios.into_iter().find(|s| s.id == id).ok_or_else(|| GradingError::UnknownScenario(id.to_string()))
}

/// A rehearsal broadcast's attempt: the scenario, the student and, once graded, the report.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptView {
    pub scenario: Scenario,
    pub student: anchordesk_course::Student,
    pub graded: Option<GradedReport>,
}

/// The attempt of `broadcast`, or `None` when it is not a rehearsal.
pub fn attempt_view(store: &Store, data_dir: &Path, broadcast: BroadcastId) -> Result<Option<AttemptView>, GradingError> {
    let Some(attempt) = store.course_attempt(broadcast)? else {
        return Ok(None);
    };
    let scenario = scenario(data_dir, &attempt.scenario_id)?;
    let graded = attempt.graded.and_then(|json| serde_json::from_value(json).ok());
    Ok(Some(AttemptView { scenario, student: anchordesk_course::Student { id: attempt.student_id, name: attempt.student_name }, graded }))
}

/// The rubric in force: the teacher's `<data dir>/rubric.toml`, else the default. A teacher's
/// rubric that cannot be read is an error, never silently replaced by the default.
pub fn rubric_in(data_dir: &Path) -> Result<Rubric, GradingError> {
    let path = data_dir.join("rubric.toml");
    match std::fs::read_to_string(&path) {
        Ok(source) => Rubric::parse(&path.display().to_string(), &source).map_err(|err| GradingError::Rubric(err.to_string())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Rubric::default_rubric()),
        Err(err) => Err(GradingError::Rubric(format!("{}: {err}", path.display()))),
    }
}

/// Measures a finished rehearsal, grades it and keeps the facts and the grade with the
/// attempt.
pub fn grade_and_keep(store: &mut Store, broadcast: BroadcastId, scenario: &Scenario, rubric: &Rubric, linter: &Linter, env: &CheckEnv) -> Result<GradedReport, GradingError> {
    let facts = attempt_facts(store, broadcast, scenario, linter, env)?;
    let graded = anchordesk_course::grade(scenario, rubric, &facts).map_err(|err| GradingError::Grade(err.to_string()))?;
    let json = |value: serde_json::Result<serde_json::Value>| value.map_err(|err| StoreError::Corrupt(err.to_string()));
    store.save_course_grade(broadcast, &json(serde_json::to_value(&facts))?, &json(serde_json::to_value(&graded))?, graded.total)?;
    Ok(graded)
}

/// Measures the rehearsal of `broadcast` and grades it with its scenario (shipped or in
/// `<data dir>/scenarios`) and the desk's rubric (`<data dir>/rubric.toml`, else the
/// default); the facts and the grade are kept with the attempt. What the window's "grade"
/// and `anchordesk course attempt` do.
pub fn grade_attempt(store: &mut Store, data_dir: &Path, broadcast: BroadcastId, linter: &Linter, env: &CheckEnv) -> Result<GradedReport, GradingError> {
    let rubric = rubric_in(data_dir)?;
    let attempt = store.course_attempt(broadcast)?.ok_or(GradingError::NoAttempt(broadcast.0))?;
    let scenario = scenario(data_dir, &attempt.scenario_id)?;
    grade_and_keep(store, broadcast, &scenario, &rubric, linter, env)
}

/// Where a signed report was written: the JSON to hand in and a printable page.
#[derive(Debug, Clone)]
pub struct Exported {
    pub signed_json: PathBuf,
    pub html: PathBuf,
}

/// Writes the graded report of `broadcast`, signed with `seed` (the desk's key), into `dir`.
pub fn export_signed(store: &Store, broadcast: BroadcastId, seed: &[u8; 32], dir: &Path) -> Result<Exported, GradingError> {
    let attempt = store.course_attempt(broadcast)?.ok_or(GradingError::NoAttempt(broadcast.0))?;
    let (Some(facts), Some(graded)) = (attempt.facts, attempt.graded) else {
        return Err(GradingError::NotGraded);
    };
    let facts: AttemptFacts = serde_json::from_value(facts).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let graded: GradedReport = serde_json::from_value(graded).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let signed = anchordesk_course::sign(&graded, &facts, &anchordesk_course::SigningKey::from_bytes(seed));
    std::fs::create_dir_all(dir).map_err(|err| GradingError::Io(format!("{}: {err}", dir.display())))?;
    let stem = format!("{}-{}-{}", file_safe(&attempt.student_id), file_safe(&attempt.scenario_id), broadcast.0);
    let exported = Exported { signed_json: dir.join(format!("{stem}.json")), html: dir.join(format!("{stem}.html")) };
    let write = |path: &Path, bytes: &[u8]| anchordesk_core::paths::write_atomic(path, bytes).map_err(|err| GradingError::Io(format!("{}: {err}", path.display())));
    write(&exported.signed_json, &signed.to_json_bytes())?;
    write(&exported.html, anchordesk_course::report_html(&graded).as_bytes())?;
    Ok(exported)
}

/// Keeps letters, digits, `-` and `_` of a name for a file name.
fn file_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// One graded attempt of a student.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HistoryRow {
    pub broadcast_id: BroadcastId,
    pub scenario_id: String,
    pub created_at: String,
    pub total: Option<f64>,
}

/// A student's attempts, oldest first, and the trend across the graded ones.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AttemptHistory {
    pub attempts: Vec<HistoryRow>,
    pub trend: Option<Trend>,
}

/// A student's attempts, oldest first, and the trend across the graded ones.
pub fn history(store: &Store, student_id: &str) -> Result<AttemptHistory, GradingError> {
    let attempts = store.course_attempts(Some(student_id))?;
    let graded: Vec<GradedReport> = attempts.iter().filter_map(|a| a.graded.clone().and_then(|g| serde_json::from_value(g).ok())).collect();
    let rows = attempts
        .into_iter()
        .map(|a| HistoryRow { broadcast_id: a.broadcast_id, scenario_id: a.scenario_id, created_at: a.created_at, total: a.total })
        .collect();
    Ok(AttemptHistory { attempts: rows, trend: anchordesk_course::trend(&graded) })
}

/// How a teacher wants the class table.
#[derive(Debug, Clone)]
pub struct ClassRequest<'a> {
    pub folder: &'a Path,
    pub roster: Option<&'a Path>,
    pub sort: &'a str,
    pub descending: bool,
    /// Only missing, tampered, unknown and re-keyed rows.
    pub only_problems: bool,
    /// Also write the table as CSV into this folder.
    pub csv_dir: Option<&'a Path>,
    /// Re-grade each latest report from its facts with these scenarios and rubric.
    pub regrade: Option<&'a anchordesk_course::Regrade<'a>>,
    /// Which key counts for a student the roster registers none for.
    pub trust: anchordesk_course::KeyTrust,
}

/// The class table with the files that could not be read and the roster's bad lines.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassOutcome {
    pub table: ClassTable,
    pub unreadable: Vec<String>,
    pub roster_errors: Vec<String>,
    /// Where the CSV export went, when asked for.
    pub csv: Option<String>,
}

/// Grades a folder of handed-in reports into a class table. Keys registered in the roster
/// decide whose reports count; with [`anchordesk_course::KeyTrust::FirstUse`] the first key
/// seen is pinned for a student without one, and the pins live in the store between gradings.
pub fn grade_class(store: &Store, request: &ClassRequest<'_>) -> Result<ClassOutcome, GradingError> {
    let (submissions, unreadable) = anchordesk_course::read_submissions(request.folder).map_err(|err| GradingError::Folder(format!("{}: {err}", request.folder.display())))?;
    let (roster, roster_errors) = match request.roster {
        Some(path) => {
            let import = anchordesk_course::read_roster_file(path).map_err(|err| GradingError::Roster(err.to_string()))?;
            let errors = import.errors.iter().map(|e| format!("{}:{}: {}", path.display(), e.line, e.message)).collect();
            (Some(import.roster), errors)
        }
        None => (None, Vec::new()),
    };
    let key = SortKey::parse(request.sort).ok_or_else(|| GradingError::Sort(request.sort.to_string()))?;
    let pins: KeyPins = store.setting(PINS_KEY)?.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default();
    let mut table = ClassTable::build_checked(roster.as_ref(), submissions, &pins, request.trust, request.regrade);
    store.set_setting(PINS_KEY, &serde_json::to_string(&table.pins).map_err(|err| StoreError::Corrupt(err.to_string()))?)?;
    table.sort(key, request.descending);
    if request.only_problems {
        table.retain(&RowFilter {
            statuses: RowStatus::ALL.into_iter().filter(|s| *s != RowStatus::Submitted).collect(),
            min_total: None,
            max_total_exclusive: None,
        });
    }
    let csv = match request.csv_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|err| GradingError::Io(format!("{}: {err}", dir.display())))?;
            let path = dir.join("class-table.csv");
            anchordesk_core::paths::write_atomic(&path, &table.to_csv()).map_err(|err| GradingError::Io(format!("{}: {err}", path.display())))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    Ok(ClassOutcome { table, unreadable, roster_errors, csv })
}

/// Where the class table's key pins are kept.
const PINS_KEY: &str = "course_key_pins";
