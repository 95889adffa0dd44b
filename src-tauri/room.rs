//! The live room in the window: what the desk keeps of it (pulled from the platform while
//! on air by the live session, which pushes what is new), and the quick replies.

use crate::state::{AppState, UiError};
use anchordesk_core::room::RoomPage;
use tauri::State;

/// The session's room as kept by the desk, from a cursor (at most 500 events), with the
/// replies and, when asked for, the figures; works offline for everything already pulled.
#[tauri::command]
#[specta::specta]
pub async fn room_events(
    state: State<'_, AppState>,
    session_id: anchordesk_core::live::SessionId,
    after: i32,
    with_summary: bool,
) -> Result<RoomPage, UiError> {
    state.with_store(move |store| store.room_page(session_id, after as i64, with_summary)).await
}

#[tauri::command]
#[specta::specta]
pub async fn quick_replies(state: State<'_, AppState>) -> Result<Vec<String>, UiError> {
    state.with_store(|store| store.quick_replies()).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_quick_replies(state: State<'_, AppState>, replies: Vec<String>) -> Result<Vec<String>, UiError> {
    state.with_store(move |store| store.save_quick_replies(&replies)).await
}
