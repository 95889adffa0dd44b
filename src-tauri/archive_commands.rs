//! The archive, reports and the preflight: read-only views of what broadcasts left behind,
//! and the measurements taken before going live.

use crate::state::{AppState, UiError};
use anchordesk_core::live::{BroadcastReport, report_html};
use anchordesk_core::{BroadcastId, archive, preflight};
use serde::Serialize;
use tauri::State;


/// The archive: every ended session's folder, and folders whose manifest is unreadable.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveListing {
    pub entries: Vec<archive::ArchiveEntry>,
    pub problems: Vec<String>,
    pub dir: String,
}

#[tauri::command]
#[specta::specta]
pub async fn list_archive(state: State<'_, AppState>) -> Result<ArchiveListing, UiError> {
    let dir = state.data_dir.join("archive");
    let (entries, problems) = tauri::async_runtime::spawn_blocking({
        let dir = dir.clone();
        move || archive::list(&dir)
    })
    .await
    .map_err(UiError::internal)?;
    Ok(ArchiveListing { entries, problems, dir: dir.display().to_string() })
}

/// Checks an archive folder's digests and copies it to `<data dir>/exports/`; returns the
/// folder's path. A file that changed since archiving refuses the export.
#[tauri::command]
#[specta::specta]
pub async fn export_archive(state: State<'_, AppState>, name: String) -> Result<String, UiError> {
    let archive_dir = state.data_dir.join("archive");
    let exports = state.data_dir.join("exports");
    tauri::async_runtime::spawn_blocking(move || archive::export(&archive_dir, &name, &exports))
        .await
        .map_err(UiError::internal)?
        .map(|path| path.display().to_string())
        .map_err(UiError::internal)
}

/// The report of a broadcast's latest session.
#[tauri::command]
#[specta::specta]
pub async fn broadcast_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<BroadcastReport, UiError> {
    let env = state.check_env().await;
    state.with_store(move |store| store.report(broadcast_id, &env, None)).await
}

/// Writes the report as a printable HTML page under `<data dir>/reports/` and returns its path.
#[tauri::command]
#[specta::specta]
pub async fn export_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<String, UiError> {
    let env = state.check_env().await;
    let report = state.with_store(move |store| store.report(broadcast_id, &env, None)).await?;
    let dir = state.data_dir.join("reports");
    std::fs::create_dir_all(&dir).map_err(UiError::internal)?;
    let path = dir.join(format!("broadcast-{}.html", broadcast_id.0));
    anchordesk_core::paths::write_atomic(&path, report_html(&report).as_bytes()).map_err(UiError::internal)?;
    Ok(path.display().to_string())
}

/// The automatic preflight: devices, the encoder's speed at the chosen size, free disk for
/// the planned length, the platform and the upload speed to it (`anchordesk_live::preflight`).
#[tauri::command]
#[specta::specta]
pub async fn preflight(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Vec<preflight::PreflightItem>, UiError> {
    Ok(anchordesk_live::preflight::run(state.shared_store()?, &state.data_dir, &state.link, broadcast_id).await?)
}
