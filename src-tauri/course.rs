//! Courses in the window: a student rehearses a scenario against the practice shop and gets
//! a graded report; a teacher grades a folder of handed-in reports into a class table. The
//! work is in `anchordesk-course` and `anchordesk-course-desk`; these commands only carry
//! it to the window.

use crate::state::{AppState, UiError};
use anchordesk_core::validate::{FieldError, FieldErrorCode};
use anchordesk_core::{BroadcastId, model::Broadcast};
use anchordesk_course::{ClassTable, GradedReport, Scenario, Student, Trend};
use anchordesk_course_desk::grading;
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
    let attempt = state.with_store(move |store| store.course_attempt(broadcast_id)).await?.ok_or_else(|| no_attempt(broadcast_id))?;
    let scenario = scenario(&state, &attempt.scenario_id)?;
    let rubric = grading::rubric_in(&state.data_dir).map_err(graded_error)?;
    let (linter, env) = (state.linter(), crate::live::check_env(&state).await);
    state.with_store_as(move |store| grading::grade_and_keep(store, broadcast_id, &scenario, &rubric, &linter, &env), graded_error).await
}

fn no_attempt(broadcast_id: BroadcastId) -> UiError {
    UiError::invalid(vec![FieldError::new("broadcastId", FieldErrorCode::UnknownValue, broadcast_id.0.to_string())])
}

/// A grading error as the window's forms show it: the field concerned, or the log.
fn graded_error(err: grading::GradingError) -> UiError {
    use grading::GradingError as E;
    let field = |name: &str, code: FieldErrorCode, message: String| UiError::invalid(vec![FieldError::new(name, code, message)]);
    match err {
        E::Store(err) => UiError::from(err),
        E::NoAttempt(id) => field("broadcastId", FieldErrorCode::UnknownValue, id.to_string()),
        E::NotGraded => field("attempt", FieldErrorCode::Required, "grade it first".into()),
        E::Rubric(why) => field("rubric", FieldErrorCode::UnknownValue, why),
        E::Facts(err) => field("attempt", FieldErrorCode::UnknownValue, err.to_string()),
        E::Grade(why) => field("attempt", FieldErrorCode::UnknownValue, why),
        E::Folder(why) => field("folder", FieldErrorCode::UnknownValue, why),
        E::Roster(why) => field("roster", FieldErrorCode::UnknownValue, why),
        E::Sort(key) => field("sort", FieldErrorCode::UnknownValue, key),
        E::Io(why) => UiError::internal(why),
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
    let seed = anchordesk_desk_sync::secrets::course_signing_seed().map_err(UiError::internal)?;
    let dir = state.data_dir.join("course-reports");
    let exported = state.with_store_as(move |store| grading::export_signed(store, broadcast_id, &seed, &dir), graded_error).await?;
    Ok(ExportedAttempt { signed_json: exported.signed_json.display().to_string(), html: exported.html.display().to_string() })
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
    let (rows, trend) = state.with_store_as(move |store| grading::history(store, &student_id), graded_error).await?;
    let attempts = rows
        .into_iter()
        .map(|r| HistoryRow { broadcast_id: r.broadcast_id, scenario_id: r.scenario_id, created_at: r.created_at, total: r.total })
        .collect();
    Ok(AttemptHistory { attempts, trend })
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
    let csv_dir = export_csv.then(|| state.data_dir.join("exports"));
    // Every report is re-graded from its facts with the class's scenarios and rubric.
    let scenarios = scenarios_of(&state).scenarios;
    let rubric = grading::rubric_in(&state.data_dir).map_err(graded_error)?;
    let outcome = state
        .with_store_as(
            move |store| {
                let roster = roster.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(std::path::PathBuf::from);
                let request = grading::ClassRequest {
                    folder: std::path::Path::new(folder.trim()),
                    roster: roster.as_deref(),
                    sort: &sort,
                    descending,
                    only_problems,
                    csv_dir: csv_dir.as_deref(),
                    regrade: Some(&anchordesk_course::Regrade { scenarios: &scenarios, rubric: &rubric }),
                };
                grading::grade_class(store, &request)
            },
            graded_error,
        )
        .await?;
    let csv = outcome.csv.map(|path| path.display().to_string());
    Ok(ClassView { table: outcome.table, unreadable: outcome.unreadable, roster_errors: outcome.roster_errors, csv })
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
