//! The teleprompter window, its hotkeys and its commands. The cursor is the app's one
//! `anchordesk_core::prompter::Prompter`, so that the main window, the prompter window, the
//! global hotkeys and the product on air all move the same one.

use crate::state::{AppState, UiError};
use anchordesk_core::BroadcastId;
use anchordesk_core::prompter::{PrompterCursor, PrompterView};
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

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Opens (or focuses) the prompter window on the first segment of a broadcast.
#[tauri::command]
#[specta::specta]
pub async fn open_prompter(app: AppHandle, state: State<'_, AppState>, broadcast_id: BroadcastId) -> Result<(), UiError> {
    let show = state.with_store(move |store| store.run_of_show(broadcast_id)).await?;
    let cursor = state.prompter.open(show.broadcast_id, now_ms());
    match app.get_webview_window(PROMPTER_LABEL) {
        Some(window) => {
            let _ = window.set_focus();
        }
        None => {
            let window = WebviewWindowBuilder::new(&app, PROMPTER_LABEL, WebviewUrl::App("index.html#prompter".into()))
                .title("提词器 / Prompter — AnchorDesk")
                .inner_size(960.0, 640.0)
                .build()
                .map_err(UiError::internal)?;
            // F8 is the desktop's only while the prompter is open.
            register_shortcuts(&app);
            let handle = app.clone();
            window.on_window_event(move |event| {
                // Not when a prompter opened again meanwhile holds them.
                if matches!(event, tauri::WindowEvent::Destroyed) && handle.get_webview_window(PROMPTER_LABEL).is_none() {
                    unregister_shortcuts(&handle);
                }
            });
        }
    }
    let _ = PrompterMoved { cursor }.emit(&app);
    Ok(())
}

/// The prompter's segment, the run-of-show and the countdown, as of now.
#[tauri::command]
#[specta::specta]
pub async fn prompter_state(state: State<'_, AppState>) -> Result<PrompterView, UiError> {
    let prompter = state.prompter.clone();
    state.with_store(move |store| prompter.view(store, now_ms())).await
}

/// Moves the prompter by `step` segments (1 = next, -1 = previous).
#[tauri::command]
#[specta::specta]
pub async fn prompter_move(app: AppHandle, state: State<'_, AppState>, step: i32) -> Result<PrompterCursor, UiError> {
    move_cursor(&app, &state, step).await
}

async fn move_cursor(app: &AppHandle, state: &AppState, step: i32) -> Result<PrompterCursor, UiError> {
    let prompter = state.prompter.clone();
    let cursor = state.with_store(move |store| prompter.step(store, step, now_ms())).await?;
    let _ = PrompterMoved { cursor: cursor.clone() }.emit(app);
    Ok(cursor)
}

/// Registers the global hotkeys, while the prompter window is open (not at start-up: under X11
/// grabbing them held the first paint back by half a second, measured with
/// `scripts/bench-footprint.sh`). A desktop that refuses them (some Wayland sessions) only
/// loses the hotkeys: the buttons and in-window keys still work.
fn register_shortcuts(app: &AppHandle) {
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

/// Gives the hotkeys back to the desktop when the prompter closes.
fn unregister_shortcuts(app: &AppHandle) {
    use tauri_plugin_global_shortcut::GlobalShortcutExt;
    for shortcut in [NEXT_SHORTCUT, PREVIOUS_SHORTCUT] {
        if let Err(err) = app.global_shortcut().unregister(shortcut) {
            tracing::debug!("global shortcut {shortcut} not released: {err}");
        }
    }
}

/// Moves an open prompter to the segment of the product now on air.
pub async fn follow_product(app: &AppHandle, state: &AppState, item: anchordesk_core::LineupItemId) {
    let prompter = state.prompter.clone();
    if let Ok(Some(cursor)) = state.with_store(move |store| prompter.follow(store, item, now_ms())).await {
        let _ = PrompterMoved { cursor }.emit(app);
    }
}
