//! IPC commands for planning: templates, the run-of-show, the checklist and the gate.

use crate::state::{AppState, UiError};
use anchordesk_core::plan::{
    ChecklistItem, ChecklistItemId, ChecklistState, GoLiveOverride, RunOfShow, Segment, SegmentDraft, SegmentId,
};
use anchordesk_core::templates::{self, TemplateSummary};
use anchordesk_core::{Broadcast, BroadcastId};
use tauri::State;

#[tauri::command]
#[specta::specta]
pub fn list_templates(state: State<'_, AppState>) -> Vec<TemplateSummary> {
    // The built-in templates and the team's (a file that does not read is left out; the
    // command line names it).
    templates::all(&state.data_dir).0.iter().map(|t| t.summary()).collect()
}

crate::state::store_commands! {
    /// Copies a broadcast's line-up, run-of-show and checklist (ticks cleared) under a new title.
    fn duplicate_broadcast(id: BroadcastId, title: String) -> Broadcast = |store| store.duplicate_broadcast(id, &title);
    fn run_of_show(broadcast_id: BroadcastId) -> RunOfShow = |store| store.run_of_show(broadcast_id);
    /// Removes a segment; returns it so the UI can offer undo.
    fn remove_segment(id: SegmentId) -> Segment = |store| store.remove_segment(id);
    fn restore_segment(segment: Segment) -> Segment = |store| store.restore_segment(&segment);
    fn reorder_segments(broadcast_id: BroadcastId, order: Vec<SegmentId>) -> RunOfShow = |store| store.reorder_segments(broadcast_id, &order);
    fn set_checklist_done(id: ChecklistItemId, done: bool, by: String) -> ChecklistItem = |store| store.set_checklist_done(id, done, &by);
    fn override_go_live(broadcast_id: BroadcastId, reason: String, by: String) -> GoLiveOverride = |store| store.override_go_live(broadcast_id, &reason, &by);
    fn clear_go_live_override(broadcast_id: BroadcastId) -> () = |store| store.clear_go_live_override(broadcast_id);
}

#[tauri::command]
#[specta::specta]
pub async fn add_segment(state: State<'_, AppState>, broadcast_id: BroadcastId, draft: SegmentDraft) -> Result<Segment, UiError> {
    let draft = draft.validated().map_err(UiError::invalid)?;
    state.with_store(move |store| store.add_segment(broadcast_id, &draft)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_segment(state: State<'_, AppState>, id: SegmentId, draft: SegmentDraft) -> Result<Segment, UiError> {
    let draft = draft.validated().map_err(UiError::invalid)?;
    state.with_store(move |store| store.update_segment(id, &draft)).await
}

/// The checklist with every automatic check evaluated now, and the go-live gate.
#[tauri::command]
#[specta::specta]
pub async fn checklist_state(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<ChecklistState, UiError> {
    let env = state.check_env().await;
    state.with_store(move |store| store.checklist_state(broadcast_id, &env)).await
}

/// Writes the run-of-show as Markdown (`md`) or a printable page (`html`) under
/// `<data dir>/exports/` and returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn export_script(state: State<'_, AppState>, broadcast_id: BroadcastId, format: String) -> Result<String, UiError> {
    let (broadcast, show) = state.with_store(move |store| Ok((store.broadcast(broadcast_id)?, store.run_of_show(broadcast_id)?))).await?;
    let (text, ext) = match format.as_str() {
        "html" => (anchordesk_core::script::to_html(&broadcast, &show), "html"),
        _ => (anchordesk_core::script::to_markdown(&broadcast, &show), "md"),
    };
    let dir = state.data_dir.join("exports");
    let path = dir.join(format!("run-of-show-{}.{ext}", broadcast_id.0));
    std::fs::create_dir_all(&dir)
        .and_then(|()| anchordesk_core::paths::write_atomic(&path, text.as_bytes()))
        .map_err(|err| UiError::from(anchordesk_core::StoreError::Io { path: path.clone(), source: err }))?;
    Ok(path.display().to_string())
}

/// Replaces the run-of-show with a pasted Markdown script. Problems come back as field
/// errors whose value names the line.
#[tauri::command]
#[specta::specta]
pub async fn import_script(state: State<'_, AppState>, broadcast_id: BroadcastId, text: String) -> Result<RunOfShow, UiError> {
    let segments = anchordesk_core::script::parse_markdown(&text).map_err(|errors| {
        UiError::invalid(
            errors
                .iter()
                .map(|e| anchordesk_core::validate::FieldError::new("script", anchordesk_core::validate::FieldErrorCode::UnknownValue, e.to_string()))
                .collect(),
        )
    })?;
    state.with_store(move |store| store.import_script(broadcast_id, &segments)).await
}
