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
    let env = crate::live::check_env(&state).await;
    state.with_store(move |store| store.report(broadcast_id, &env, None)).await
}

/// Writes the report as a printable HTML page under `<data dir>/reports/` and returns its path.
#[tauri::command]
#[specta::specta]
pub async fn export_report(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<String, UiError> {
    let env = crate::live::check_env(&state).await;
    let report = state.with_store(move |store| store.report(broadcast_id, &env, None)).await?;
    let dir = state.data_dir.join("reports");
    std::fs::create_dir_all(&dir).map_err(UiError::internal)?;
    let path = dir.join(format!("broadcast-{}.html", broadcast_id.0));
    anchordesk_core::paths::write_atomic(&path, report_html(&report).as_bytes()).map_err(UiError::internal)?;
    Ok(path.display().to_string())
}

/// The automatic preflight: devices, the encoder's speed at the chosen size (a second of
/// the test pattern through each preset), free disk for the planned length, the platform
/// (reachable and authorised) and the upload speed to it. Each result says what was
/// measured against what is needed.
#[tauri::command]
#[specta::specta]
pub async fn preflight(state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<Vec<preflight::PreflightItem>, UiError> {
    let (settings, planned_minutes) =
        state.with_store(move |store| Ok((store.capture_settings()?, store.run_of_show(broadcast_id)?.planned_minutes))).await?;
    let mut items = Vec::new();
    // Listing devices runs FFmpeg's probes: on a blocking thread.
    let (camera, microphone, video) = tauri::async_runtime::spawn_blocking({
        let settings = settings.clone();
        move || {
            let (camera, microphone) = anchordesk_live::devices::device_facts(&settings);
            (camera, microphone, anchordesk_live::devices::config_for(&settings, std::path::Path::new("preflight.mp4")).video)
        }
    })
    .await
    .map_err(UiError::internal)?;
    items.push(preflight::device(preflight::PreflightCheck::Camera, settings.camera.as_deref(), camera.is_ok()));
    items.push(preflight::device(preflight::PreflightCheck::Microphone, settings.microphone.as_deref(), microphone.is_ok()));

    let fps = video.fps;
    let probed = tauri::async_runtime::spawn_blocking(move || anchordesk_capture::choose_preset(&video, preflight::ENCODER_MARGIN))
        .await
        .map_err(UiError::internal)?;
    items.push(match probed {
        Ok(probe) => {
            let measured = probe.measured.iter().find(|(preset, _)| *preset == probe.preset).map(|(_, fps)| *fps).unwrap_or(0.0);
            preflight::encoder(measured, fps, probe.preset.name())
        }
        Err(err) => preflight::failed(preflight::PreflightCheck::Encoder, err.to_string()),
    });

    items.push(match anchordesk_capture::available_bytes(&state.data_dir) {
        Some(free) => preflight::disk(free, planned_minutes.max(1) as u32, settings.bitrate_kbps.max(0) as u32),
        None => preflight::failed(preflight::PreflightCheck::Disk, "the data directory's disk could not be measured"),
    });

    let platform = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|link| link.platform.clone());
    match platform {
        Some(platform) => {
            use anchordesk_platform::Platform as _;
            items.push(preflight::platform(platform.shop().await.map(|shop| shop.name).map_err(|err| err.to_string())));
            items.push(match crate::sync::measure_upload(&platform).await {
                Ok(kbps) => preflight::bandwidth(kbps, settings.bitrate_kbps.max(0) as u32),
                Err(err) => preflight::failed(preflight::PreflightCheck::Bandwidth, err),
            });
        }
        None => {
            let reason = state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_else(|| "starting".into());
            items.push(preflight::failed(preflight::PreflightCheck::Platform, reason.clone()));
            items.push(preflight::failed(preflight::PreflightCheck::Bandwidth, reason));
        }
    }
    Ok(items)
}
