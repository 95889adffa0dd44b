//! Courses in the window: a student rehearses a scenario against the practice shop and gets
//! a graded report; a teacher grades a folder of handed-in reports into a class table. The
//! work is in `anchordesk-course` and `anchordesk-course-desk`; these commands only carry
//! it to the window.

use crate::state::{AppState, UiError};
use anchordesk_core::validate::{FieldError, FieldErrorCode};
use anchordesk_core::{BroadcastId, model::Broadcast};
use anchordesk_course::{ClassTable, GradedReport, RowFilter, Scenario, SortKey, Student, Trend};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// The scenarios a student can rehearse: the shipped ones and a teacher's own in
/// `<data dir>/scenarios`, with the files that were refused (file:line and why).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioList {
    pub scenarios: Vec<Scenario>,
    pub problems: Vec<String>,
    pub folder: String,
}

fn scenarios_of(state: &AppState) -> ScenarioList {
    let folder = state.data_dir.join("scenarios");
    let (scenarios, problems) = anchordesk_course::scenarios_with_folder(&folder);
    ScenarioList { scenarios, problems: problems.iter().map(|e| e.to_string()).collect(), folder: folder.display().to_string() }
}

fn scenario(state: &AppState, id: &str) -> Result<Scenario, UiError> {
    scenarios_of(state)
        .scenarios
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| UiError::invalid(vec![FieldError::new("scenarioId", FieldErrorCode::UnknownValue, id)]))
}

#[tauri::command]
#[specta::specta]
pub async fn course_scenarios(state: State<'_, AppState>) -> Result<ScenarioList, UiError> {
    Ok(scenarios_of(&state))
}

/// Who rehearses on this desk (kept between starts).
#[tauri::command]
#[specta::specta]
pub async fn course_student(state: State<'_, AppState>) -> Result<Option<Student>, UiError> {
    let saved = state.with_store(|store| store.setting("course_student")).await?;
    Ok(saved.and_then(|json| serde_json::from_str(&json).ok()))
}

#[tauri::command]
#[specta::specta]
pub async fn save_course_student(state: State<'_, AppState>, id: String, name: String) -> Result<Student, UiError> {
    let student = Student { id: id.trim().to_string(), name: name.trim().to_string() };
    let mut errors = Vec::new();
    if student.id.is_empty() {
        errors.push(FieldError::new("studentId", FieldErrorCode::Required, ""));
    }
    if student.name.is_empty() {
        errors.push(FieldError::new("studentName", FieldErrorCode::Required, ""));
    }
    if !errors.is_empty() {
        return Err(UiError::invalid(errors));
    }
    let json = serde_json::to_string(&student).map_err(UiError::internal)?;
    state.with_store(move |store| store.set_setting("course_student", &json)).await?;
    Ok(student)
}

/// Prepares the student's rehearsal of a scenario: products, line-up, script cues and the
/// practice shop's scripted events. Returns the new broadcast.
#[tauri::command]
#[specta::specta]
pub async fn start_rehearsal(state: State<'_, AppState>, scenario_id: String) -> Result<Broadcast, UiError> {
    let scenario = scenario(&state, &scenario_id)?;
    // A course needs the practice shop (its audience fires the scenario's events).
    if state.with_store(|store| anchordesk_desk_sync::platform_settings(store)).await?.is_some() {
        return Err(UiError::conflict(anchordesk_core::Conflict::PracticePlatformNeeded));
    }
    let student = course_student(state.clone()).await?.ok_or_else(|| UiError::invalid(vec![FieldError::new("studentId", FieldErrorCode::Required, "")]))?;
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let planned_start = format!("{:04}-{:02}-{:02}T{:02}:{:02}", now.year(), u8::from(now.month()), now.day(), now.hour(), now.minute());
    let broadcast = state.with_store(move |store| anchordesk_course_desk::prepare_rehearsal(store, &scenario, &student, &planned_start)).await?;
    crate::sync::wake(&state);
    Ok(broadcast)
}

/// A rehearsal broadcast's attempt: the scenario and, once graded, the graded report.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub scenario: Scenario,
    pub student: Student,
    pub graded: Option<GradedReport>,
}

#[tauri::command]
#[specta::specta]
pub async fn course_attempt(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Option<AttemptView>, UiError> {
    let Some(attempt) = state.with_store(move |store| store.course_attempt(broadcast_id)).await? else {
        return Ok(None);
    };
    let scenario = scenario(&state, &attempt.scenario_id)?;
    let graded = attempt.graded.and_then(|json| serde_json::from_value(json).ok());
    Ok(Some(AttemptView { scenario, student: Student { id: attempt.student_id, name: attempt.student_name }, graded }))
}

/// Measures a finished rehearsal and grades it with the default rubric (or the teacher's
/// `<data dir>/rubric.toml`); the facts and the grade are kept with the attempt.
#[tauri::command]
#[specta::specta]
pub async fn grade_attempt(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<GradedReport, UiError> {
    let attempt = state
        .with_store(move |store| store.course_attempt(broadcast_id))
        .await?
        .ok_or_else(|| UiError::invalid(vec![FieldError::new("broadcastId", FieldErrorCode::UnknownValue, broadcast_id.0.to_string())]))?;
    let scenario = scenario(&state, &attempt.scenario_id)?;
    let rubric = rubric(&state)?;
    let linter = state.linter();
    let env = crate::live::check_env(&state).await;
    state
        .with_store(move |store| {
            let facts = anchordesk_course_desk::attempt_facts(store, broadcast_id, &scenario, &linter, &env)
                .map_err(|err| anchordesk_core::StoreError::Invalid(vec![FieldError::new("attempt", FieldErrorCode::UnknownValue, err.to_string())]))?;
            let graded = anchordesk_course::grade(&scenario, &rubric, &facts)
                .map_err(|err| anchordesk_core::StoreError::Invalid(vec![FieldError::new("attempt", FieldErrorCode::UnknownValue, err.to_string())]))?;
            let facts_json = serde_json::to_value(&facts).map_err(|err| anchordesk_core::StoreError::Corrupt(err.to_string()))?;
            let graded_json = serde_json::to_value(&graded).map_err(|err| anchordesk_core::StoreError::Corrupt(err.to_string()))?;
            store.save_course_grade(broadcast_id, &facts_json, &graded_json, graded.total)?;
            Ok(graded)
        })
        .await
}

fn rubric(state: &AppState) -> Result<anchordesk_course::Rubric, UiError> {
    let path = state.data_dir.join("rubric.toml");
    match std::fs::read_to_string(&path) {
        Ok(source) => anchordesk_course::Rubric::parse(&path.display().to_string(), &source)
            .map_err(|err| UiError::invalid(vec![FieldError::new("rubric", FieldErrorCode::UnknownValue, err.to_string())])),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(anchordesk_course::Rubric::default_rubric()),
        // A teacher's rubric that cannot be read is not silently replaced by the default.
        Err(err) => Err(UiError::invalid(vec![FieldError::new("rubric", FieldErrorCode::UnknownValue, format!("{}: {err}", path.display()))])),
    }
}

/// Where a graded report was written: the signed JSON to hand in and a printable page.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportedAttempt {
    pub signed_json: String,
    pub html: String,
}

/// Writes the graded report, signed with this desk's key (kept in the system keyring), to
/// `<data dir>/course-reports/`.
#[tauri::command]
#[specta::specta]
pub async fn export_attempt(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<ExportedAttempt, UiError> {
    let attempt = state
        .with_store(move |store| store.course_attempt(broadcast_id))
        .await?
        .ok_or_else(|| UiError::invalid(vec![FieldError::new("broadcastId", FieldErrorCode::UnknownValue, broadcast_id.0.to_string())]))?;
    let (Some(facts), Some(graded)) = (attempt.facts, attempt.graded) else {
        return Err(UiError::invalid(vec![FieldError::new("attempt", FieldErrorCode::Required, "grade it first")]));
    };
    let facts: anchordesk_course::AttemptFacts = serde_json::from_value(facts).map_err(UiError::internal)?;
    let graded: GradedReport = serde_json::from_value(graded).map_err(UiError::internal)?;
    let seed = anchordesk_desk_sync::secrets::course_signing_seed().map_err(UiError::internal)?;
    let key = anchordesk_course::SigningKey::from_bytes(&seed);
    let signed = anchordesk_course::sign(&graded, &facts, &key);
    let dir = state.data_dir.join("course-reports");
    std::fs::create_dir_all(&dir).map_err(UiError::internal)?;
    let stem = format!("{}-{}-{}", safe(&attempt.student_id), safe(&attempt.scenario_id), broadcast_id.0);
    let json_path = dir.join(format!("{stem}.json"));
    let html_path = dir.join(format!("{stem}.html"));
    anchordesk_core::paths::write_atomic(&json_path, &signed.to_json_bytes()).map_err(UiError::internal)?;
    anchordesk_core::paths::write_atomic(&html_path, anchordesk_course::report_html(&graded).as_bytes()).map_err(UiError::internal)?;
    Ok(ExportedAttempt { signed_json: json_path.display().to_string(), html: html_path.display().to_string() })
}

/// Keeps letters, digits, `-` and `_` of a name for a file name.
fn safe(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// A student's graded attempts, oldest first, and the trend across them.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AttemptHistory {
    pub attempts: Vec<HistoryRow>,
    pub trend: Option<Trend>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    pub broadcast_id: BroadcastId,
    pub scenario_id: String,
    pub created_at: String,
    pub total: Option<f64>,
}

#[tauri::command]
#[specta::specta]
pub async fn course_history(state: State<'_, AppState>, student_id: String) -> Result<AttemptHistory, UiError> {
    let attempts = state.with_store(move |store| store.course_attempts(Some(&student_id))).await?;
    let graded: Vec<GradedReport> = attempts.iter().filter_map(|a| a.graded.clone().and_then(|g| serde_json::from_value(g).ok())).collect();
    Ok(AttemptHistory {
        trend: anchordesk_course::trend(&graded),
        attempts: attempts
            .into_iter()
            .map(|a| HistoryRow { broadcast_id: a.broadcast_id, scenario_id: a.scenario_id, created_at: a.created_at, total: a.total })
            .collect(),
    })
}

/// The class table of a folder of handed-in reports (and a roster, when given): tampered
/// and unreadable files named, key pins kept in the store between gradings.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ClassView {
    pub table: ClassTable,
    pub unreadable: Vec<String>,
    pub roster_errors: Vec<String>,
    /// Where the CSV export went, when asked for.
    pub csv: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn grade_class(
    state: State<'_, AppState>,
    folder: String,
    roster: Option<String>,
    sort: String,
    descending: bool,
    only_problems: bool,
    export_csv: bool,
) -> Result<ClassView, UiError> {
    let folder_path = std::path::PathBuf::from(folder.trim());
    let field = |name: &str, message: String| UiError::invalid(vec![FieldError::new(name, FieldErrorCode::UnknownValue, message)]);
    let (submissions, unreadable) = anchordesk_course::read_submissions(&folder_path).map_err(|err| field("folder", format!("{}: {err}", folder_path.display())))?;
    let (roster, roster_errors) = match roster.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(path) => {
            let import = anchordesk_course::read_roster_file(std::path::Path::new(path)).map_err(|err| field("roster", err.to_string()))?;
            let errors = import.errors.iter().map(|e| format!("{path}:{}: {}", e.line, e.message)).collect();
            (Some(import.roster), errors)
        }
        None => (None, Vec::new()),
    };
    let pins: anchordesk_course::KeyPins =
        state.with_store(|store| store.setting("course_key_pins")).await?.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default();
    let mut table = ClassTable::build_with_pins(roster.as_ref(), submissions, &pins);
    let pins_json = serde_json::to_string(&table.pins).map_err(UiError::internal)?;
    state.with_store(move |store| store.set_setting("course_key_pins", &pins_json)).await?;
    let key = SortKey::parse(&sort).ok_or_else(|| field("sort", sort.clone()))?;
    table.sort(key, descending);
    if only_problems {
        use anchordesk_course::RowStatus;
        table.retain(&RowFilter {
            statuses: vec![RowStatus::Missing, RowStatus::Tampered, RowStatus::UnknownStudent, RowStatus::KeyChanged],
            min_total: None,
            max_total_exclusive: None,
        });
    }
    let csv = if export_csv {
        let dir = state.data_dir.join("exports");
        std::fs::create_dir_all(&dir).map_err(UiError::internal)?;
        let path = dir.join("class-table.csv");
        anchordesk_core::paths::write_atomic(&path, &table.to_csv()).map_err(UiError::internal)?;
        Some(path.display().to_string())
    } else {
        None
    };
    Ok(ClassView { table, unreadable, roster_errors, csv })
}

/// Desk-side reminders due now in a rehearsal on air (a coupon to announce), with the
/// seconds left to do it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DuePrompt {
    pub event_id: String,
    pub sku: String,
    pub seconds_left: i32,
}

/// A rehearsal's reminders due now (a coupon to announce), pushed while it is on air.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct PromptsDue {
    pub session_id: anchordesk_core::live::SessionId,
    pub prompts: Vec<DuePrompt>,
}

/// While `session` is on air and is a course rehearsal, tells the window each second which
/// reminders are due, when that changes. The scenario is read once, at the start.
pub fn prompts_while_live(app: &AppHandle, session: anchordesk_core::live::LiveSession) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let broadcast_id = session.broadcast_id;
        let Ok(Some(attempt)) = state.with_store(move |store| store.course_attempt(broadcast_id)).await else { return };
        let Ok(scenario) = scenario(&state, &attempt.scenario_id) else { return };
        let mut last: Option<Vec<DuePrompt>> = None;
        loop {
            let Some((on_air, _, media_ms)) = state.on_air_session().filter(|(on_air, _, _)| on_air.id == session.id) else {
                break;
            };
            let prompts: Vec<DuePrompt> = anchordesk_course_desk::due_prompts(&scenario, media_ms)
                .into_iter()
                .filter(|p| p.until_ms > media_ms)
                .map(|p| DuePrompt { event_id: p.event_id, sku: p.sku, seconds_left: ((p.until_ms - media_ms) / 1000) as i32 })
                .collect();
            if last.as_ref() != Some(&prompts) {
                let _ = PromptsDue { session_id: on_air.id, prompts: prompts.clone() }.emit(&app);
                last = Some(prompts);
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}
