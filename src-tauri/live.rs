//! The live console's commands: each hands a message to the live session's actor
//! (`anchordesk_live`) on a blocking thread and returns what it answered. What the actor
//! needs from the app (the gate's outside facts, the platform's ingest, the window) is
//! [`Shell`]; what changes reaches the window as events.

use crate::state::{AppState, UiError};
use anchordesk_core::live::{BroadcastReport, SessionId};
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::{BroadcastId, LineupItemId};
use anchordesk_live::{GoLive, LiveDesk, LiveEvent, LiveStatus, ReplyOutcome, StopResult, Surroundings};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

/// Health figures from the pipeline, once a second.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct LiveStats {
    pub stats: anchordesk_capture::Stats,
}

/// The console's state after a change, pushed so that no window has to poll for it;
/// `status` is `None` once the session ended.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct LiveChanged {
    pub status: Option<LiveStatus>,
}

/// What arrived in the live room since the last push (see [`anchordesk_live::RoomUpdate`]).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(transparent)]
#[specta(transparent)]
pub struct RoomAppended(pub anchordesk_live::RoomUpdate);

/// A rehearsal's reminders due now (see [`anchordesk_live::PromptsUpdate`]).
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
#[serde(transparent)]
#[specta(transparent)]
pub struct PromptsDue(pub anchordesk_live::PromptsUpdate);

/// What the live session's actor gets from the app.
pub struct Shell {
    app: AppHandle,
}

impl Shell {
    fn store(&self) -> Result<Arc<std::sync::Mutex<anchordesk_core::Store>>, String> {
        self.app.state::<AppState>().store_arc().ok_or_else(|| "the database was refused".to_string())
    }
}

impl Surroundings for Shell {
    fn check_env(&self) -> CheckEnv {
        let state = self.app.state::<AppState>();
        match state.store_arc() {
            Some(store) => anchordesk_live::devices::check_env(&state.data_dir, state.linter(), &store, state.link.fact()),
            None => CheckEnv::measure(&state.data_dir),
        }
    }

    fn linter(&self) -> Arc<anchordesk_claims::Linter> {
        self.app.state::<AppState>().linter()
    }

    fn ingest(&self, broadcast: BroadcastId) -> Result<String, String> {
        let store = self.store()?;
        tauri::async_runtime::block_on(self.app.state::<AppState>().link.ingest(&store, broadcast))
    }

    fn outbox_changed(&self) {
        self.app.state::<AppState>().wake();
    }

    fn publish(&self, event: LiveEvent) {
        let _ = match event {
            LiveEvent::Status(status) => LiveChanged { status: Some(*status) }.emit(&self.app),
            LiveEvent::Ended { .. } => {
                // The team's page shows the broadcast done, with its review, now.
                self.app.state::<AppState>().link.wake_team();
                LiveChanged { status: None }.emit(&self.app)
            }
            LiveEvent::Stats(stats) => LiveStats { stats: *stats }.emit(&self.app),
            LiveEvent::Preview(jpeg) => Ok(self.app.state::<AppState>().send_preview(jpeg)),
            LiveEvent::SecondPreview(jpeg) => Ok(self.app.state::<AppState>().send_second_preview(jpeg)),
            LiveEvent::Room(update) => RoomAppended(*update).emit(&self.app),
            LiveEvent::Prompts(update) => PromptsDue(update).emit(&self.app),
        };
    }

    fn release_devices(&self) {
        self.app.state::<AppState>().stop_device_preview();
    }

    fn product_on_air(&self, item: LineupItemId) {
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move { crate::prompter::follow_product(&app, &app.state::<AppState>(), item).await });
    }

    fn pull_room(&self, session: &anchordesk_core::live::LiveSession) -> Result<usize, String> {
        let store = self.store()?;
        let state = self.app.state::<AppState>();
        // Bounded: an unreachable platform must not hold the console or the stop; the pull
        // resumes from its cursor next time. The timer is made inside the runtime (this is
        // the actor's or the follower's thread, not the runtime's).
        tauri::async_runtime::block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(3), state.link.pull_room(&store, session)).await.unwrap_or_else(|_| Err("the platform did not answer in 3 s".into()))
        })
    }
}

/// Starts the live session's actor once the window exists (it emits events to it).
pub fn start(app: &AppHandle) {
    let state = app.state::<AppState>();
    if let Some(store) = state.store_arc() {
        let desk = LiveDesk::start(store, state.data_dir.clone(), Arc::new(Shell { app: app.clone() }));
        let _ = state.live.set(Arc::new(desk));
    }
}

/// Runs `f` with the live session on a blocking thread (the actor answers when the step is
/// written).
async fn with_desk<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&LiveDesk) -> Result<T, anchordesk_live::LiveError> + Send + 'static,
) -> Result<T, UiError> {
    let desk = state.live_desk()?;
    tauri::async_runtime::spawn_blocking(move || f(&desk)).await.map_err(UiError::internal)?.map_err(UiError::from)
}

/// Goes live: the gate must be open (or overridden), then the recording (and the push to
/// `push_url`, or to the platform's ingest) starts, in `scene` when one is named. Without a
/// camera the test picture is used.
#[tauri::command]
#[specta::specta]
pub async fn go_live(state: State<'_, AppState>, broadcast_id: BroadcastId, rehearsal: bool, push_url: Option<String>, scene: Option<String>) -> Result<LiveStatus, UiError> {
    let status = with_starting(&state, with_desk(&state, move |desk| desk.go_live(GoLive { broadcast_id, rehearsal, push_url, scene }))).await?;
    // The team's page shows the broadcast on air now, not at the next background sync.
    state.link.wake_team();
    Ok(status)
}

/// Marks going live as under way, so the devices are not taken by a preview meanwhile.
async fn with_starting<T>(state: &AppState, going: impl std::future::Future<Output = Result<T, UiError>>) -> Result<T, UiError> {
    state.starting.store(true, std::sync::atomic::Ordering::SeqCst);
    let result = going.await;
    state.starting.store(false, std::sync::atomic::Ordering::SeqCst);
    result
}

/// Commands that hand a message to the live session on a blocking thread (the actor answers
/// once the step is written): `fn name(args) -> T = |desk| body;`.
macro_rules! desk_commands {
    ($($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = |$desk:ident| $body:expr;)*) => {$(
        $(#[$meta])*
        #[tauri::command]
        #[specta::specta]
        pub async fn $name(state: State<'_, AppState>, $($arg: $ty),*) -> Result<$ret, UiError> {
            with_desk(&state, move |$desk| $body).await
        }
    )*};
}

desk_commands! {
    /// Puts the next (`step` 1), previous (-1) or a given line-up item on air (card, marker, pin).
    fn live_product(step: i32, index: Option<i32>) -> LiveStatus = |desk| desk.product(step, index);
    /// Takes a line-up item off the bag (下架, e.g. sold out); the next goes on air if it was.
    fn live_take_off(index: i32) -> LiveStatus = |desk| desk.take_off(index);
    /// Hides or shows the product card on the picture (the key O in the console).
    fn live_overlay(visible: bool) -> LiveStatus = |desk| desk.overlay(visible);
    /// Shows a caption typed live, linted with the product on air first: with an error finding
    /// it is held back and the findings come back. An empty text brings the product card back.
    fn live_caption(text: String) -> ReplyOutcome = |desk| desk.caption(text);
    /// Switches to another scene on air (same canvas); a marker in the report.
    fn live_scene(name: String) -> LiveStatus = |desk| desk.scene(name);
    /// Makes a push destination try to connect at once instead of waiting out its backoff.
    fn live_reconnect_push(index: i32) -> () = |desk| desk.reconnect_push(index);
    /// Mutes the microphone or stops the music on air (and back).
    fn live_sound(change: anchordesk_capture::SoundChange) -> LiveStatus = |desk| desk.sound(change);
    /// Drops a manual marker at the current media time.
    fn live_marker(label: String) -> () = |desk| desk.marker(label);
    /// The live console's state, or `NotLive` when nothing is live.
    fn live_status() -> LiveStatus = |desk| desk.status();
    /// Stops: finalises the recording (chapters and the marker sidecar), cuts the product
    /// clips, ends the session, archives it and returns the report.
    fn stop_live() -> StopResult = |desk| desk.stop();
    /// Closes a session left interrupted by a crash: its recording (fragmented, so playable up
    /// to the last second written) is measured, archived, and the report built.
    fn close_interrupted(session_id: SessionId) -> BroadcastReport = |desk| desk.close_interrupted(session_id);
    /// Sends a reply to a viewer's comment (or, with `comment_seq` 0, an announcement to the
    /// room), linted first with the product on air; with an error finding it is held back.
    fn send_reply(comment_seq: i32, text: String) -> ReplyOutcome = |desk| desk.reply(comment_seq as i64, text);
}

/// Resumes a broadcast interrupted by a crash in a new session and recording, with what was
/// on air, taken off and captioned rebuilt from the store.
#[tauri::command]
#[specta::specta]
pub async fn resume_interrupted(state: State<'_, AppState>, session_id: SessionId) -> Result<LiveStatus, UiError> {
    with_starting(&state, with_desk(&state, move |desk| desk.resume(session_id))).await
}

/// Stops what is on air when the window closes, so the recording is finalised.
pub fn stop_on_exit(app: &AppHandle) {
    if let Some(desk) = app.state::<AppState>().live.get() {
        desk.shutdown();
    }
}
