//! The teleprompter window and its cursor. The cursor lives here, in the app, so that the
//! main window, the prompter window and the global hotkey all move the same one; the
//! countdown arithmetic is `anchordesk_core::prompter`.

use crate::state::{AppState, UiError};
use anchordesk_core::plan::RunOfShow;
use anchordesk_core::prompter::{CountdownLevel, PrompterCursor, countdown};
use anchordesk_core::{BroadcastId, ErrorCode};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event;

/// The prompter window's label; `capabilities/prompter.json` is bound to it.
pub const PROMPTER_LABEL: &str = "prompter";

/// Hotkeys that work while another window has focus.
pub const NEXT_SHORTCUT: &str = "F8";
pub const PREVIOUS_SHORTCUT: &str = "Shift+F8";

/// Sent to every window when the prompter moves to another segment.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct PrompterMoved {
    pub cursor: PrompterCursor,
}

/// What the prompter shows now.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PrompterView {
    pub cursor: PrompterCursor,
    pub show: RunOfShow,
    /// Seconds left in the current segment; negative when over time.
    #[specta(type = i32)]
    pub seconds_left: i64,
    pub level: CountdownLevel,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn no_prompter() -> UiError {
    UiError { code: ErrorCode::NotFound, message: "the prompter is not open".into(), fields: Vec::new(), path: None, conflict: None }
}

/// Opens (or focuses) the prompter window on the first segment of a broadcast.
#[tauri::command]
#[specta::specta]
pub async fn open_prompter(app: AppHandle, state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<(), UiError> {
    let show = state.with_store(move |store| store.run_of_show(broadcast_id)).await?;
    // Bringing the prompter forward mid-show keeps its place; another broadcast starts over.
    let cursor = {
        let mut guard = state.prompter.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(cursor) if cursor.broadcast_id == show.broadcast_id => cursor.clone(),
            _ => {
                let cursor = PrompterCursor::start(show.broadcast_id, now_ms());
                *guard = Some(cursor.clone());
                cursor
            }
        }
    };
    match app.get_webview_window(PROMPTER_LABEL) {
        Some(window) => {
            let _ = window.set_focus();
        }
        None => {
            WebviewWindowBuilder::new(&app, PROMPTER_LABEL, WebviewUrl::App("index.html#prompter".into()))
                .title("提词器 / Prompter — AnchorDesk")
                .inner_size(960.0, 640.0)
                .build()
                .map_err(UiError::internal)?;
        }
    }
    let _ = PrompterMoved { cursor }.emit(&app);
    Ok(())
}

/// The prompter's segment, the run-of-show and the countdown, as of now.
#[tauri::command]
#[specta::specta]
pub async fn prompter_state(state: State<'_, AppState>) -> Result<PrompterView, UiError> {
    let cursor = state.prompter.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(no_prompter)?;
    let broadcast_id = cursor.broadcast_id;
    let show = state.with_store(move |store| store.run_of_show(broadcast_id)).await?;
    let (seconds_left, level) = countdown(&show, &cursor, now_ms()).unwrap_or((0, CountdownLevel::Normal));
    Ok(PrompterView { cursor, show, seconds_left, level })
}

/// Moves the prompter by `step` segments (1 = next, -1 = previous).
#[tauri::command]
#[specta::specta]
pub async fn prompter_move(app: AppHandle, state: State<'_, AppState>, step: i32) -> Result<PrompterCursor, UiError> {
    move_cursor(&app, &state, step).await
}

async fn move_cursor(app: &AppHandle, state: &AppState, step: i32) -> Result<PrompterCursor, UiError> {
    let broadcast_id = state.prompter.lock().unwrap_or_else(|p| p.into_inner()).as_ref().ok_or_else(no_prompter)?.broadcast_id;
    let n_segments = state.with_store(move |store| store.run_of_show(broadcast_id)).await?.segments.len();
    let cursor = {
        let mut guard = state.prompter.lock().unwrap_or_else(|p| p.into_inner());
        let cursor = guard.as_mut().ok_or_else(no_prompter)?;
        cursor.advance(step, n_segments, now_ms());
        cursor.clone()
    };
    let _ = PrompterMoved { cursor: cursor.clone() }.emit(app);
    Ok(cursor)
}

/// Registers the global hotkeys. A desktop that refuses them (some Wayland sessions) only
/// loses the hotkeys: the buttons and in-window keys still work.
pub fn register_shortcuts(app: &AppHandle) {
    use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};
    for (shortcut, step) in [(NEXT_SHORTCUT, 1), (PREVIOUS_SHORTCUT, -1)] {
        let result = app.global_shortcut().on_shortcut(shortcut, move |app, _shortcut, event| {
            if event.state() != ShortcutState::Pressed {
                return;
            }
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                if let Err(err) = move_cursor(&app, &state, step).await {
                    tracing::debug!("prompter hotkey ignored: {}", err.message);
                }
            });
        });
        if let Err(err) = result {
            tracing::warn!("global shortcut {shortcut} unavailable: {err}");
        }
    }
}

/// Moves an open prompter to the segment of the product now on air, so the anchor reads
/// that product's talking points.
pub async fn follow_product(app: &AppHandle, state: &AppState, item: anchordesk_core::LineupItemId) {
    let Some(broadcast_id) = state.prompter.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|c| c.broadcast_id) else {
        return;
    };
    let Ok(show) = state.with_store(move |store| store.run_of_show(broadcast_id)).await else { return };
    let Some(idx) = show.segments.iter().position(|s| s.segment.lineup_item_id == Some(item)) else { return };
    let cursor = {
        let mut guard = state.prompter.lock().unwrap_or_else(|p| p.into_inner());
        let Some(cursor) = guard.as_mut() else { return };
        let step = idx as i32 - cursor.segment_idx;
        cursor.advance(step, show.segments.len(), now_ms());
        cursor.clone()
    };
    let _ = PrompterMoved { cursor }.emit(app);
}
