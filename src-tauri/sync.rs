//! The platform link: the embedded practice platform (the sandbox server on loopback) and
//! the worker that drains the desk's outbox into it. Status reaches the window as events.

use crate::state::{AppState, UiError};
use anchordesk_desk_sync::link::LinkStatus;
use anchordesk_platform::{ClientConfig, ContractClient};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// The sync badge's data (see [`LinkStatus`]), pushed when it changes.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(transparent)]
#[specta(transparent)]
pub struct SyncChanged(pub LinkStatus);

/// Starts the platform link (the team's platform, or the embedded practice platform on a
/// free loopback port) and its sync worker; status changes reach the window as events.
/// Failures leave the app working offline: the outbox keeps every change.
pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Some(store) = state.store_arc() else {
            state.link.set_offline("the database was refused");
            let _ = SyncChanged(state.link.status()).emit(&app);
            return;
        };
        let started = state.link.start(store, &state.data_dir).await;
        let _ = SyncChanged(state.link.status()).emit(&app);
        if let Ok(mut changes) = started {
            while changes.changed().await.is_ok() {
                let _ = SyncChanged(state.link.status()).emit(&app);
            }
        }
    });
}

/// The badge's data now (events carry the changes).
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncChanged, UiError> {
    Ok(SyncChanged(state.link.status()))
}

/// Stops the worker and the embedded platform when the app exits.
pub fn stop(app: &AppHandle) {
    tauri::async_runtime::block_on(app.state::<AppState>().link.stop());
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
    state.link.stop().await;
    start(&app);
    platform_settings(state).await
}
