//! The platform link: the embedded practice platform (the sandbox server on loopback) and
//! the worker that drains the desk's outbox into it. Status reaches the window as events.

use crate::state::{AppState, UiError};
use anchordesk_desk_sync::DeskOutbox;
use anchordesk_platform::sync::{SyncConfig, SyncStatus, SyncWorker};
use anchordesk_platform::{ClientConfig, SandboxPlatform};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
}

/// What the platform link holds while the app runs.
pub struct PlatformLink {
    pub url: String,
    pub platform: Arc<SandboxPlatform>,
    pub handle: anchordesk_platform::sync::SyncHandle,
    pub sandbox: anchordesk_sandbox::RunningSandbox,
    pub shutdown: tokio::sync::watch::Sender<bool>,
}

fn changed(status: &SyncStatus, url: Option<String>, offline_reason: Option<String>) -> SyncChanged {
    SyncChanged {
        pending: status.pending,
        sent: status.sent,
        given_up: status.given_up,
        last_error: status.last_error.clone(),
        platform_url: url,
        offline_reason,
    }
}

/// Starts the embedded practice platform on a free loopback port and the sync worker.
/// Failures leave the app working offline: the outbox keeps every change.
pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Some(store) = state.store_arc() else {
            return report_offline(&app, "the database was refused");
        };
        let desk_id = match state.with_store(|store| store.desk_id()).await {
            Ok(id) => id,
            Err(err) => return report_offline(&app, &err.message),
        };
        let mut config = anchordesk_sandbox::Config::new(state.data_dir.join("sandbox"));
        config.addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let sandbox = match anchordesk_sandbox::Sandbox::start(config).await {
            Ok(sandbox) => sandbox,
            Err(err) => return report_offline(&app, &err.to_string()),
        };
        let url = sandbox.base_url();
        let client = ClientConfig::new(url.clone(), anchordesk_sandbox::DEMO_CLIENT_ID, anchordesk_sandbox::DEMO_CLIENT_SECRET);
        let platform = match SandboxPlatform::new(client) {
            Ok(platform) => Arc::new(platform),
            Err(err) => return report_offline(&app, &err.to_string()),
        };
        let worker = SyncWorker::new(platform.clone(), Arc::new(DeskOutbox::new(store)), SyncConfig { key_prefix: format!("{desk_id}-"), ..SyncConfig::default() });
        let handle = worker.handle();
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        tauri::async_runtime::spawn(worker.run(shutdown_rx));
        let mut status = handle.subscribe();
        let _ = changed(&status.borrow(), Some(url.clone()), None).emit(&app);
        *state.platform.lock().unwrap_or_else(|p| p.into_inner()) = Some(PlatformLink { url: url.clone(), platform, handle, sandbox, shutdown });
        tracing::info!("practice platform on {url}; syncing the outbox");
        while status.changed().await.is_ok() {
            let current = status.borrow_and_update().clone();
            let _ = changed(&current, Some(url.clone()), None).emit(&app);
        }
    });
}

fn report_offline(app: &AppHandle, reason: &str) {
    tracing::warn!("platform link unavailable, working offline: {reason}");
    *app.state::<AppState>().platform_offline.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_string());
    let _ = changed(&SyncStatus::default(), None, Some(reason.to_string())).emit(app);
}

/// The badge's data now (events carry the changes).
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncChanged, UiError> {
    let link = state.platform.lock().unwrap_or_else(|p| p.into_inner());
    Ok(match link.as_ref() {
        Some(link) => changed(&link.handle.status(), Some(link.url.clone()), None),
        None => changed(&SyncStatus::default(), None, state.platform_offline.lock().unwrap_or_else(|p| p.into_inner()).clone()),
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
        let _ = link.shutdown.send(true);
        if let Err(err) = tauri::async_runtime::block_on(link.sandbox.shutdown()) {
            tracing::warn!("the practice platform did not shut down cleanly: {err}");
        }
    }
}

/// One thing that happened in the live room, with an alert when it needs attention.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RoomEvent {
    pub event: anchordesk_platform::LiveEvent,
    pub alert: Option<anchordesk_core::live::CommentAlert>,
}

/// Events in the live room since `after` (comments, likes, orders, viewer counts).
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RoomEvents {
    pub events: Vec<RoomEvent>,
    #[specta(type = i32)]
    pub next_after: i64,
}

/// The platform's live events of a broadcast, pulled from a cursor.
#[tauri::command]
#[specta::specta]
pub async fn room_events(state: State<'_, AppState>, broadcast_id: anchordesk_core::BroadcastId, after: i32) -> Result<RoomEvents, UiError> {
    let platform = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|link| link.platform.clone());
    let Some(platform) = platform else {
        return Ok(RoomEvents { events: Vec::new(), next_after: after as i64 });
    };
    let id = anchordesk_core::store::platform_broadcast_id(broadcast_id);
    match anchordesk_platform::pull::events(&*platform, &id, after as i64, 200).await {
        Ok((events, next_after)) => Ok(RoomEvents {
            events: events
                .into_iter()
                .map(|event| {
                    let alert = match &event.event {
                        anchordesk_platform::LiveEventKind::Comment { text, .. } => anchordesk_core::live::comment_alert(text),
                        _ => None,
                    };
                    RoomEvent { event, alert }
                })
                .collect(),
            next_after,
        }),
        // The broadcast may not have reached the platform yet (queued): nothing to show.
        Err(err) if err.is_refusal() => Ok(RoomEvents { events: Vec::new(), next_after: after as i64 }),
        Err(err) => Err(UiError { code: anchordesk_core::ErrorCode::Io, message: err.to_string(), fields: Vec::new(), path: None }),
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
