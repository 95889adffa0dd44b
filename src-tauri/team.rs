//! Settings → Team: this desk in a team server's organisation (`anchordesk_desk_sync::team`):
//! join (the token goes to the OS keyring), sync the shared catalog, leave.

use crate::state::{AppState, UiError};
use anchordesk_desk_sync::class::{self, ClassCourse, ClassGrades, PracticeShop};
use anchordesk_desk_sync::team::{self, Room, SyncReport, TeamView};
use tauri::{AppHandle, State};

#[tauri::command]
#[specta::specta]
pub async fn team_status(state: State<'_, AppState>) -> Result<Option<TeamView>, UiError> {
    Ok(state.with_store(|store| team::link(store)).await?.map(|link| link.view()))
}

#[tauri::command]
#[specta::specta]
pub async fn join_team(state: State<'_, AppState>, url: String, email: String, password: String, new_password: Option<String>, certificate: Option<String>) -> Result<TeamView, UiError> {
    Ok(team::join(&*state.shared_store()?, &url, &email, &password, new_password.as_deref(), certificate.as_deref()).await?.view())
}

#[tauri::command]
#[specta::specta]
pub async fn sync_team(state: State<'_, AppState>) -> Result<SyncReport, UiError> {
    let report = team::sync(&*state.shared_store()?).await?;
    if report.rules_received {
        state.reload_linter();
    }
    state.wake();
    Ok(report)
}

#[tauri::command]
#[specta::specta]
pub async fn leave_team(state: State<'_, AppState>) -> Result<(), UiError> {
    team::leave(&*state.shared_store()?).await?;
    Ok(())
}

/// The team's live rooms and classes (from the server).
#[tauri::command]
#[specta::specta]
pub async fn team_rooms(state: State<'_, AppState>) -> Result<Vec<Room>, UiError> {
    Ok(team::rooms(&*state.shared_store()?).await?)
}

/// Picks the room or class this desk works for (`None`: none).
#[tauri::command]
#[specta::specta]
pub async fn pick_team_room(state: State<'_, AppState>, name: Option<String>) -> Result<TeamView, UiError> {
    Ok(team::pick_room(&*state.shared_store()?, name.as_deref()).await?.view())
}

/// Makes the class's practice shop on the team server this desk's platform (the server then
/// observes every rehearsal) and restarts the platform link on it.
#[tauri::command]
#[specta::specta]
pub async fn use_practice_shop(app: AppHandle, state: State<'_, AppState>) -> Result<PracticeShop, UiError> {
    if state.on_air() {
        return Err(UiError::conflict(anchordesk_core::Conflict::AlreadyLive));
    }
    let shop = class::use_practice_shop(&*state.shared_store()?, &state.data_dir).await?;
    state.link.stop().await;
    crate::sync::start(&app);
    Ok(shop)
}

/// The class's course (`None` before the teacher sets one).
#[tauri::command]
#[specta::specta]
pub async fn class_course(state: State<'_, AppState>) -> Result<Option<ClassCourse>, UiError> {
    Ok(class::get_course(&*state.shared_store()?).await?)
}

/// The teacher sets the class's scenario, shipped or from this desk's scenario folder (its
/// TOML then goes to the server and on to the students' desks).
#[tauri::command]
#[specta::specta]
pub async fn set_class_course(state: State<'_, AppState>, scenario_id: String) -> Result<ClassCourse, UiError> {
    let source = anchordesk_course_desk::grading::scenario_source(&state.data_dir, &scenario_id)?;
    Ok(class::set_course(&*state.shared_store()?, Some(&scenario_id), source.as_deref(), None).await?)
}

/// The class's grades as the server computed them from what its practice shop observed.
#[tauri::command]
#[specta::specta]
pub async fn class_grades(state: State<'_, AppState>) -> Result<ClassGrades, UiError> {
    Ok(class::grades(&*state.shared_store()?).await?)
}

/// Shares a broadcast's run-of-show and checklist with the team as a template under `name`
/// (owner, 运营 or teacher); this desk has it at once, the others at their next sync.
#[tauri::command]
#[specta::specta]
pub async fn share_team_template(state: State<'_, AppState>, broadcast_id: anchordesk_core::BroadcastId, name: String, title: String) -> Result<(), UiError> {
    let template_name = name.trim().to_string();
    let text = state.with_store(move |store| store.template_from_broadcast(broadcast_id, &template_name, &title, "").map(|t| t.to_toml())).await?;
    team::share_template(&*state.shared_store()?, name.trim(), &text).await?;
    Ok(())
}
