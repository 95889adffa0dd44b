//! Courses in the window: a student rehearses a scenario against the practice shop and gets
//! a graded report; a teacher grades a folder of handed-in reports into a class table. The
//! work is in `anchordesk-course` and `anchordesk-course-desk`; these commands only carry
//! it to the window.

use crate::state::{AppState, UiError};
use anchordesk_core::validate::FieldErrorCode;
use anchordesk_core::{BroadcastId, model::Broadcast};
use anchordesk_course::{GradedReport, Student};
use anchordesk_course_desk::grading::{self, AttemptHistory, AttemptView, ClassOutcome, ScenarioList};
use serde::Serialize;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn course_scenarios(state: State<'_, AppState>) -> Result<ScenarioList, UiError> {
    Ok(grading::scenarios(&state.data_dir))
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
    for (field, value) in [("studentId", &student.id), ("studentName", &student.name)] {
        if value.is_empty() {
            errors.push(anchordesk_core::validate::FieldError::new(field, FieldErrorCode::Required, ""));
        }
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
    let scenario = grading::scenario(&state.data_dir, &scenario_id)?;
    // A course needs the practice shop (its audience fires the scenario's events).
    if state.with_store(|store| anchordesk_desk_sync::platform_settings(store)).await?.is_some_and(|p| !p.practice) {
        return Err(UiError::conflict(anchordesk_core::Conflict::PracticePlatformNeeded));
    }
    let student = course_student(state.clone()).await?.ok_or_else(|| UiError::field("studentId", FieldErrorCode::Required, ""))?;
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let planned_start = format!("{:04}-{:02}-{:02}T{:02}:{:02}", now.year(), u8::from(now.month()), now.day(), now.hour(), now.minute());
    let broadcast = state.with_store(move |store| anchordesk_course_desk::prepare_rehearsal(store, &scenario, &student, &planned_start)).await?;
    state.wake();
    Ok(broadcast)
}

#[tauri::command]
#[specta::specta]
pub async fn course_attempt(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Option<AttemptView>, UiError> {
    let data_dir = state.data_dir.clone();
    state.with_store_as(move |store| grading::attempt_view(store, &data_dir, broadcast_id)).await
}

/// Measures a finished rehearsal and grades it with the default rubric (or the teacher's
/// `<data dir>/rubric.toml`); the facts and the grade are kept with the attempt.
#[tauri::command]
#[specta::specta]
pub async fn grade_attempt(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<GradedReport, UiError> {
    let (linter, env, data_dir) = (state.linter(), state.check_env().await, state.data_dir.clone());
    let report = state.with_store_as(move |store| grading::grade_attempt(store, &data_dir, broadcast_id, &linter, &env)).await?;
    // A desk in a class hands the graded rehearsal in now rather than at the next round.
    state.link.wake_team();
    Ok(report)
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
    let exported = state.with_store_as(move |store| grading::export_signed(store, broadcast_id, &seed, &dir)).await?;
    Ok(ExportedAttempt { signed_json: exported.signed_json.display().to_string(), html: exported.html.display().to_string() })
}

/// The fingerprint of this desk's report-signing key (kept in the OS keyring), which the
/// teacher records in the class roster.
#[tauri::command]
#[specta::specta]
pub async fn course_key_fingerprint() -> Result<String, UiError> {
    let seed = tauri::async_runtime::spawn_blocking(anchordesk_desk_sync::secrets::course_signing_seed).await.map_err(UiError::internal)?.map_err(UiError::internal)?;
    Ok(anchordesk_course::signing_key_fingerprint(&anchordesk_course::SigningKey::from_bytes(&seed)))
}

/// A student's graded attempts, oldest first, and the trend across them.
#[tauri::command]
#[specta::specta]
pub async fn course_history(state: State<'_, AppState>, student_id: String) -> Result<AttemptHistory, UiError> {
    state.with_store_as(move |store| grading::history(store, &student_id)).await
}

/// The class table of a folder of handed-in reports (and a roster, when given), every
/// report re-graded from its facts: tampered and unreadable files named, key pins kept in
/// the store between gradings.
#[tauri::command]
#[specta::specta]
pub async fn grade_class(
    state: State<'_, AppState>, folder: String, roster: Option<String>, sort: String, descending: bool, only_problems: bool, export_csv: bool,
    trust_first_key: bool,
) -> Result<ClassOutcome, UiError> {
    let csv_dir = export_csv.then(|| state.data_dir.join("exports"));
    let scenarios = grading::scenarios(&state.data_dir).scenarios;
    let rubric = grading::rubric_in(&state.data_dir)?;
    let roster = roster.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).map(std::path::PathBuf::from);
    let trust = if trust_first_key { anchordesk_course::KeyTrust::FirstUse } else { anchordesk_course::KeyTrust::Registered };
    state
        .with_store_as(move |store| {
            let regrade = Some(&anchordesk_course::Regrade { scenarios: &scenarios, rubric: &rubric });
            let (folder, roster, csv_dir) = (std::path::Path::new(folder.trim()), roster.as_deref(), csv_dir.as_deref());
            grading::grade_class(store, &grading::ClassRequest { folder, roster, sort: &sort, descending, only_problems, csv_dir, regrade, trust })
        })
        .await
}
