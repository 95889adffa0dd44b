//! The live room in the window: what the desk keeps of it (pulled from the platform while
//! on air and pushed to the window as it arrives), and the quick replies.

use crate::state::{AppState, UiError};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// One thing that happened in the live room, with an alert when it needs attention.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RoomItem {
    pub event: anchordesk_core::room::RoomEvent,
    pub alert: Option<anchordesk_core::live::CommentAlert>,
}

/// Events in the live room since `after` (comments, likes, orders, viewer counts), and the
/// desk's replies so far.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RoomEvents {
    pub events: Vec<RoomItem>,
    #[specta(type = i32)]
    pub next_after: i64,
    pub replies: Vec<anchordesk_core::room::LiveReply>,
    /// Sales per product, viewers and audience figures so far, when asked for (it reads the
    /// whole room, so the console asks every few seconds, not on every poll).
    pub summary: Option<anchordesk_core::room::RoomSummary>,
}

/// The session's room as kept by the desk (pulled from the platform while on air), from
/// a cursor; works offline for everything already pulled.
#[tauri::command]
#[specta::specta]
pub async fn room_events(
    state: State<'_, AppState>,
    session_id: anchordesk_core::live::SessionId,
    after: i32,
    with_summary: bool,
) -> Result<RoomEvents, UiError> {
    state
        .with_store(move |store| {
            let events = store.room_events(session_id, after as i64, 500)?;
            let next_after = events.last().map(|e| e.seq).unwrap_or(after as i64);
            let events = events.into_iter().map(room_item).collect();
            let summary = if with_summary { Some(store.room_summary(session_id)?) } else { None };
            Ok(RoomEvents { events, next_after, replies: store.replies(session_id)?, summary })
        })
        .await
}

/// Pulls the room of `session` into the store once.
pub async fn pull_room_now(state: &AppState, session: &anchordesk_core::live::LiveSession) -> Result<usize, String> {
    let platform = state.platform.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|link| link.platform.clone());
    let (Some(platform), Some(store)) = (platform, state.store_arc()) else {
        return Err("the platform link is not running".into());
    };
    let id = anchordesk_core::store::platform_broadcast_id(session.broadcast_id);
    anchordesk_desk_sync::room::pull_room(&*platform, &store, session.id, &id).await.map_err(|err| err.to_string())
}

/// What arrived in the live room since the last push: only the new events, and the
/// figures (sales per product, viewers) as they stand now.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct RoomAppended {
    pub session_id: anchordesk_core::live::SessionId,
    pub events: Vec<RoomItem>,
    pub summary: anchordesk_core::room::RoomSummary,
}

fn room_item(event: anchordesk_core::room::RoomEvent) -> RoomItem {
    let alert = match event.kind {
        Some(anchordesk_core::room::RoomEventKind::Comment) => event.text.as_deref().and_then(anchordesk_core::live::comment_alert),
        _ => None,
    };
    RoomItem { event, alert }
}

/// Pulls the room of `session` every second while it is the session on air, and pushes what
/// is new to the window. Failures (the platform away, the broadcast not created there yet)
/// are retried on the next round: the cursor is in the store, so nothing is missed.
pub fn pull_room_while_live(app: &AppHandle, session: anchordesk_core::live::LiveSession) {
    // A rehearsal kept from a real platform must not read that platform's room either.
    if session.platform_silent {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // Pushed up to here (the window loaded what came before when it opened the room).
        let mut pushed: Option<i64> = None;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let state = app.state::<AppState>();
            let on_air = state.on_air_session().map(|(on_air, _, _)| on_air.id) == Some(session.id);
            if !on_air {
                break;
            }
            match pull_room_now(&state, &session).await {
                Ok(0) if pushed.is_some() => continue,
                Ok(_) => {}
                Err(err) => {
                    tracing::debug!("room pull: {err}");
                    continue;
                }
            }
            let (id, after) = (session.id, pushed.unwrap_or(0));
            let appended = state
                .with_store(move |store| {
                    let events = store.room_events(id, after, 500)?;
                    Ok((events, store.room_summary(id)?))
                })
                .await;
            if let Ok((events, summary)) = appended {
                pushed = Some(events.last().map(|e| e.seq).unwrap_or(after));
                let events = events.into_iter().map(room_item).collect();
                let _ = RoomAppended { session_id: id, events, summary }.emit(&app);
            }
        }
    });
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

