//! Settings → Team: this desk in a team server's organisation (`anchordesk_desk_sync::team`):
//! join (the token goes to the OS keyring), sync the shared catalog, leave.

use crate::state::{AppState, UiError};
use anchordesk_desk_sync::team::{self, Room, SyncReport, TeamView};
use tauri::State;

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
