//! The platform link: the embedded practice platform (the sandbox server on loopback) and
//! the worker that drains the desk's outbox into it. Status reaches the window as events.

use crate::state::{AppState, UiError};
use anchordesk_platform::sync::SyncStatus;
use anchordesk_platform::{ClientConfig, ContractClient};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// The sync badge's data.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct SyncChanged {
    pub pending: u32,
    pub sent: u32,
    pub given_up: u32,
    pub last_error: Option<String>,
    /// Where the platform is (the embedded practice platform's address).
    pub platform_url: Option<String>,
    /// The platform could not be started or reached at all.
    pub offline_reason: Option<String>,
    /// The embedded practice platform (not the team's own).
    pub practice: bool,
}

pub use anchordesk_desk_sync::link::PlatformLink;

fn changed(status: &SyncStatus, url: Option<String>, offline_reason: Option<String>, practice: bool) -> SyncChanged {
    SyncChanged {
        pending: status.pending,
        sent: status.sent,
        given_up: status.given_up,
        last_error: status.last_error.clone(),
        platform_url: url,
        offline_reason,
        practice,
    }
}

/// Starts the platform link (the team's platform, or the embedded practice platform on a
/// free loopback port) and its sync worker; status changes reach the window as events.
/// Failures leave the app working offline: the outbox keeps every change.
pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Some(store) = state.store_arc() else {
            return report_offline(&app, "the database was refused");
        };
        let link = match PlatformLink::start(store, &state.data_dir).await {
            Ok(link) => link,
            Err(reason) => return report_offline(&app, &reason),
        };
        let (url, practice) = (link.url.clone(), link.practice());
        let mut status = link.handle.subscribe();
        let _ = changed(&status.borrow(), Some(url.clone()), None, practice).emit(&app);
        *state.platform.lock().unwrap_or_else(|p| p.into_inner()) = Some(link);
        tracing::info!("{} on {url}; syncing the outbox", if practice { "practice platform" } else { "the team's platform" });
        while status.changed().await.is_ok() {
            let current = status.borrow_and_update().clone();
            let _ = changed(&current, Some(url.clone()), None, practice).emit(&app);
        }
    });
}

fn report_offline(app: &AppHandle, reason: &str) {
    tracing::warn!("platform link unavailable, working offline: {reason}");
    *app.state::<AppState>().platform_offline.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_string());
    let _ = changed(&SyncStatus::default(), None, Some(reason.to_string()), false).emit(app);
}

/// The badge's data now (events carry the changes).
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncChanged, UiError> {
    let link = state.platform.lock().unwrap_or_else(|p| p.into_inner());
    Ok(match link.as_ref() {
        Some(link) => changed(&link.handle.status(), Some(link.url.clone()), None, link.sandbox.is_some()),
        None => changed(&SyncStatus::default(), None, state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()).clone(), false),
    })
}

/// Wakes the worker after a change, so it goes out now rather than at the next poll.
pub fn wake(state: &AppState) {
    if let Some(link) = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        link.handle.wake();
    }
}

/// Stops the worker and the embedded platform when the app exits.
pub fn stop(app: &AppHandle) {
    let state = app.state::<AppState>();
    let link = state.platform.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(link) = link {
        tauri::async_runtime::block_on(link.stop());
    }
}

/// Whether the platform link runs and has not failed its last send.
pub fn platform_fact(state: &AppState) -> Result<(), String> {
    if let Some(reason) = state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()).clone() {
        return Err(reason);
    }
    match state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        None => Err("starting".into()),
        Some(link) => match link.handle.status().last_error {
            Some(error) if link.handle.status().pending > 0 => Err(error),
            _ => Ok(()),
        },
    }
}

/// Settings → Platform: where the desk syncs to, and whether a secret is kept.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PlatformView {
    /// `None`: the embedded practice platform.
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    /// The kept secret, masked (first two characters), when one is kept.
    pub secret_masked: Option<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn platform_settings(state: State<'_, AppState>) -> Result<PlatformView, UiError> {
    let own = state.with_store(|store| anchordesk_desk_sync::platform_settings(store)).await?;
    Ok(match own {
        None => PlatformView { base_url: None, client_id: None, secret_masked: None },
        Some(settings) => {
            let secret = anchordesk_desk_sync::secrets::client_secret(&settings.client_id).ok().flatten();
            PlatformView {
                secret_masked: secret.as_deref().map(anchordesk_desk_sync::secrets::masked),
                base_url: Some(settings.base_url),
                client_id: Some(settings.client_id),
            }
        }
    })
}

fn platform_error(err: impl std::fmt::Display) -> UiError {
    UiError::internal(err)
}

/// Asks the platform for its shop with these credentials; returns the shop's name.
#[tauri::command]
#[specta::specta]
pub async fn test_platform_connection(base_url: String, client_id: String, secret: String) -> Result<String, UiError> {
    let platform = ContractClient::new(ClientConfig::new(base_url, client_id, secret)).map_err(platform_error)?;
    use anchordesk_platform::Platform as _;
    let shop = platform.shop().await.map_err(platform_error)?;
    Ok(shop.name)
}

/// Saves the platform (address and client id in the database, the secret in the OS
/// credential store) and switches the link to it at once (refused while on air). `None`
/// returns to the embedded practice platform.
#[tauri::command]
#[specta::specta]
pub async fn save_platform_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    base_url: Option<String>,
    client_id: Option<String>,
    secret: Option<String>,
) -> Result<PlatformView, UiError> {
    if state.on_air() {
        return Err(UiError::conflict(anchordesk_core::Conflict::AlreadyLive));
    }
    let settings = match (base_url, client_id) {
        (Some(base_url), Some(client_id)) if !base_url.trim().is_empty() && !client_id.trim().is_empty() => {
            Some(anchordesk_desk_sync::PlatformSettings { base_url: base_url.trim().to_string(), client_id: client_id.trim().to_string() })
        }
        _ => None,
    };
    if let (Some(settings), Some(secret)) = (&settings, secret.filter(|s| !s.is_empty())) {
        anchordesk_desk_sync::secrets::save_client_secret(&settings.client_id, &secret).map_err(platform_error)?;
    }
    state
        .with_store(move |store| {
            let before = anchordesk_desk_sync::platform_settings(store)?;
            anchordesk_desk_sync::save_platform_settings(store, settings.as_ref())?;
            // Another platform has heard of nothing: tell it the catalog and every broadcast
            // not ended, with its line-up.
            if before.map(|b| b.base_url) != settings.map(|s| s.base_url) {
                store.requeue_for_new_platform()?;
            }
            Ok(())
        })
        .await?;
    // Switch now: stop the current link (and the embedded platform), start the new one.
    let old = state.platform.lock().unwrap_or_else(|p| p.into_inner()).take();
    *state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()) = None;
    if let Some(old) = old {
        old.stop().await;
    }
    start(&app);
    platform_settings(state).await
}

/// The upload speed to the platform in kbit/s, measured with the contract's probe.
pub async fn measure_upload(platform: &ContractClient) -> Result<f64, String> {
    anchordesk_platform::measure_upload_kbps(platform, anchordesk_platform::PROBE_DEFAULT_BYTES).await.map_err(|err| err.to_string())
}
