//! Settings → Devices: list cameras and microphones, preview them, make a test recording,
//! and turn the saved choice into the capture pipeline's configuration.

use crate::state::{AppState, PreviewFrame, UiError};
use anchordesk_capture::DevicePreview;
use anchordesk_live::devices::{self, DevicesOverview, TestRecording};
use anchordesk_core::devices::CaptureSettings;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_specta::Event;

/// The microphone's level while previewing, in dBFS.
#[derive(Debug, Clone, Serialize, serde::Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLevel {
    pub peak_dbfs: f64,
}

/// Where preview pictures (of the Devices page and of the broadcast on air) go from now on;
/// the window opens one channel and keeps it.
#[tauri::command]
#[specta::specta]
pub fn watch_preview(state: State<'_, AppState>, frames: tauri::ipc::Channel<PreviewFrame>) {
    *state.preview_frames.lock().unwrap_or_else(|p| p.into_inner()) = Some(frames);
}

/// The second picture's preview pictures (JPEG, raw bytes) while on air with one, on a
/// channel of their own.
#[tauri::command]
#[specta::specta]
pub fn watch_second_preview(state: State<'_, AppState>, frames: tauri::ipc::Channel<PreviewFrame>) {
    *state.second_preview_frames.lock().unwrap_or_else(|p| p.into_inner()) = Some(frames);
}

#[tauri::command]
#[specta::specta]
pub async fn list_devices(state: State<'_, AppState>) -> Result<DevicesOverview, UiError> {
    let settings = state.with_store(|store| store.capture_settings()).await?;
    tauri::async_runtime::spawn_blocking(move || devices::overview(settings)).await.map_err(UiError::internal)
}

crate::state::store_commands! {
    fn save_capture_settings(settings: CaptureSettings) -> CaptureSettings = |store| store.save_device_settings(&settings);
}

/// Starts the live preview of the chosen camera and microphone (nothing is written).
/// Frames go to the preview channel, the level arrives as `DeviceLevel` events.
#[tauri::command]
#[specta::specta]
pub async fn start_device_preview(app: AppHandle, state: State<'_, AppState>) -> Result<(), UiError> {
    refuse_while_on_air(&state)?;
    state.stop_device_preview();
    let settings = state.with_store(|store| store.capture_settings()).await?;
    let preview_dir = state.data_dir.join("preview");
    let mut preview = tauri::async_runtime::spawn_blocking(move || {
        let mut config = devices::config_for(&settings, &preview_dir.join("unused.mp4"));
        config.preview_fps = 4;
        config.preview_width = 480;
        DevicePreview::start(&config)
    })
    .await
    .map_err(UiError::internal)?
    .map_err(UiError::internal)?;
    if let Some(mut frames) = preview.take_frames() {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            use tauri::Manager as _;
            while let Some(frame) = frames.recv().await {
                app.state::<AppState>().send_preview(frame.jpeg);
            }
        });
    }
    let mut level = preview.audio_level();
    tauri::async_runtime::spawn(async move {
        while level.changed().await.is_ok() {
            let peak_dbfs = level.borrow_and_update().peak_dbfs;
            let event = DeviceLevel { peak_dbfs };
            if event.emit(&app).is_err() {
                break;
            }
        }
    });
    *state.device_preview.lock().unwrap_or_else(|p| p.into_inner()) = Some(preview);
    Ok(())
}

/// The camera and microphone belong to the broadcast while it is live.
fn refuse_while_on_air(state: &AppState) -> Result<(), UiError> {
    if state.on_air() {
        return Err(UiError::conflict(anchordesk_core::Conflict::AlreadyLive));
    }
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn stop_device_preview(state: State<'_, AppState>) -> Result<(), UiError> {
    state.stop_device_preview();
    Ok(())
}

/// Records `seconds` (at most 30) with the chosen devices into `<data dir>/tests/`.
#[tauri::command]
#[specta::specta]
pub async fn test_recording(state: State<'_, AppState>, seconds: u32) -> Result<TestRecording, UiError> {
    refuse_while_on_air(&state)?;
    state.stop_device_preview();
    let settings = state.with_store(|store| store.capture_settings()).await?;
    let dir = state.data_dir.join("tests");
    let recorded = tauri::async_runtime::spawn_blocking(move || devices::test_recording(&settings, &dir, seconds)).await;
    recorded.map_err(UiError::internal)?.map_err(UiError::internal)
}
