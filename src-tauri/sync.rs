//! The platform link: the embedded practice platform (the sandbox server on loopback) and
//! the worker that drains the desk's outbox into it. Status reaches the window as events.

use crate::state::{AppState, UiError};
use anchordesk_desk_sync::PlatformView;
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
        let mut changes = state.link.start(store, &state.data_dir).await;
        let _ = SyncChanged(state.link.status()).emit(&app);
        while changes.changed().await.is_ok() {
            let _ = SyncChanged(state.link.status()).emit(&app);
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

crate::state::store_commands! {
    /// Settings → Platform: where the desk syncs to, and whether a secret is kept.
    fn platform_settings() -> PlatformView = |store| anchordesk_desk_sync::platform_view(store);
    /// Push destinations besides the platform's ingest, masked (kept in the credential store).
    fn push_destinations() -> Vec<anchordesk_live::destinations::DestinationView> = |_store| anchordesk_live::destinations::list();
    fn save_push_destination(name: String, url: String, second: bool) -> Vec<anchordesk_live::destinations::DestinationView> = |_store| anchordesk_live::destinations::save(&name, &url, second);
    fn delete_push_destination(name: String) -> Vec<anchordesk_live::destinations::DestinationView> = |_store| anchordesk_live::destinations::delete(&name);
}

/// Asks the platform for its shop with these credentials; returns the shop's name.
#[tauri::command]
#[specta::specta]
pub async fn test_platform_connection(base_url: String, client_id: String, secret: String) -> Result<String, UiError> {
    use anchordesk_platform::Platform as _;
    let platform = ContractClient::new(ClientConfig::new(base_url, client_id, secret)).map_err(UiError::internal)?;
    Ok(platform.shop().await.map_err(UiError::internal)?.name)
}

/// Saves the platform (address and client id in the database, the secret in the OS
/// credential store) and switches the link to it at once (refused while on air). Blank
/// returns to the embedded practice platform.
#[tauri::command]
#[specta::specta]
pub async fn save_platform_settings(app: AppHandle, state: State<'_, AppState>, base_url: Option<String>, client_id: Option<String>, secret: Option<String>) -> Result<PlatformView, UiError> {
    if state.on_air() {
        return Err(UiError::conflict(anchordesk_core::Conflict::AlreadyLive));
    }
    let (base_url, client_id) = (base_url.unwrap_or_default(), client_id.unwrap_or_default());
    let switch = move |store: &mut anchordesk_core::Store| anchordesk_desk_sync::switch_platform(store, &base_url, &client_id, secret.as_deref());
    state.with_store_as(switch).await?;
    // Switch now: stop the current link (and the embedded platform), start the new one.
    state.link.stop().await;
    start(&app);
    state.with_store(|store| anchordesk_desk_sync::platform_view(store)).await
}
