//! What the app holds while it runs: the store (or why it could not be opened).

pub use anchordesk_core::UiError;
use anchordesk_core::{Store, StoreError, paths};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A preview picture (JPEG), sent over the window's channel as raw bytes: the window gets
/// an `ArrayBuffer`, not JSON.
#[derive(Debug, Clone, specta::Type)]
pub struct PreviewFrame(pub Vec<u8>);

impl tauri::ipc::IpcResponse for PreviewFrame {
    fn body(self) -> tauri::Result<tauri::ipc::InvokeResponseBody> {
        Ok(tauri::ipc::InvokeResponseBody::Raw(self.0))
    }
}

/// Shared app state: the data directory and the store, or why the store was refused.
pub struct AppState {
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    store: Result<Arc<Mutex<Store>>, UiError>,
    /// The teleprompter's position, when it is open.
    pub prompter: Arc<anchordesk_core::prompter::Prompter>,
    /// The claims linter with the team's packs in `<data dir>/rules`, built on first use or
    /// on its own thread once the window shows (`lib.rs`); rebuilt when the rules change.
    linter: anchordesk_claims::TeamLinter,
    /// The live session's actor (started with the window; absent when the store was refused).
    pub live: std::sync::OnceLock<Arc<anchordesk_live::LiveDesk>>,
    /// Set while going live is under way (before the pipeline runs).
    pub starting: std::sync::atomic::AtomicBool,
    /// The platform link (the team's platform or the embedded practice one, and the sync
    /// worker), or why there is none.
    pub link: anchordesk_desk_sync::link::LinkSlot,
    /// The Devices page's preview, while it runs.
    pub device_preview: Mutex<Option<anchordesk_capture::DevicePreview>>,
    /// Where preview pictures go (the window's channel), once the window asked for them.
    pub preview_frames: Mutex<Option<tauri::ipc::Channel<PreviewFrame>>>,
    /// Where the second picture's preview goes (its own channel).
    pub second_preview_frames: Mutex<Option<tauri::ipc::Channel<PreviewFrame>>>,
    /// Sessions found still live at start (the app was killed while on air).
    pub interrupted: Vec<anchordesk_core::live::LiveSession>,
}

impl AppState {
    /// Opens the store in the resolved data directory and seeds the sample catalog on first
    /// start. A refused database does not stop the app: the window explains what to do.
    pub fn open(data_dir_flag: Option<&Path>) -> AppState {
        let data_dir = paths::data_dir(data_dir_flag).unwrap_or_else(|| PathBuf::from("anchordesk-data"));
        let db_path = paths::db_path(&data_dir);
        let mut interrupted = Vec::new();
        let store = Store::open(&db_path)
            .and_then(|mut store| {
                store.seed_sample_catalog_once()?;
                // An archiving cut short by a crash is finished before anything reads it.
                for (session, outcome) in anchordesk_core::archive::finish_pending(&mut store) {
                    match outcome {
                        Ok(entry) => tracing::warn!("finished archiving session {} into {}", session.0, entry.name),
                        Err(err) => tracing::error!("archiving session {} could not be finished: {err}", session.0),
                    }
                }
                interrupted = store.mark_interrupted_sessions()?;
                Ok(store)
            })
            .map(|store| Arc::new(Mutex::new(store)))
            .map_err(|err| {
                tracing::error!("database refused: {err}");
                UiError::from(err)
            });
        tracing::info!(data_dir = %data_dir.display(), "store opened: {}", store.is_ok());
        for session in &interrupted {
            tracing::warn!(recording = %session.recording_path, "broadcast {} was interrupted while live", session.broadcast_id);
        }
        let linter = anchordesk_claims::TeamLinter::new(data_dir.join("rules"));
        AppState {
            data_dir,
            db_path,
            store,
            prompter: Default::default(),
            linter,
            live: std::sync::OnceLock::new(),
            starting: std::sync::atomic::AtomicBool::new(false),
            link: Default::default(),
            device_preview: Mutex::new(None),
            preview_frames: Mutex::new(None),
            second_preview_frames: Mutex::new(None),
            interrupted,
        }
    }

    /// Whether a broadcast is live or going live: the devices belong to it then.
    pub fn on_air(&self) -> bool {
        self.live.get().is_some_and(|desk| desk.on_air().is_some()) || self.starting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Wakes the sync worker after a change, so it goes out now.
    pub fn wake(&self) {
        self.link.wake();
    }

    /// Stops the Devices page's preview (the broadcast or a test recording takes the devices).
    pub fn stop_device_preview(&self) {
        if let Some(preview) = self.device_preview.lock().unwrap_or_else(|p| p.into_inner()).take() {
            preview.stop();
        }
    }

    /// Sends a preview picture to the window, when it listens.
    pub fn send_preview(&self, jpeg: Vec<u8>) {
        if let Some(channel) = self.preview_frames.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = channel.send(PreviewFrame(jpeg));
        }
    }

    pub fn send_second_preview(&self, jpeg: Vec<u8>) {
        if let Some(channel) = self.second_preview_frames.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = channel.send(PreviewFrame(jpeg));
        }
    }

    /// The go-live gate's outside facts (devices listed on a blocking thread), for reports
    /// and grading.
    pub async fn check_env(&self) -> anchordesk_core::plan::CheckEnv {
        match self.live_desk() {
            Ok(desk) => tauri::async_runtime::spawn_blocking(move || desk.check_env()).await.unwrap_or_else(|_| anchordesk_core::plan::CheckEnv::measure(&self.data_dir)),
            Err(_) => anchordesk_core::plan::CheckEnv::measure(&self.data_dir),
        }
    }

    /// The live session's actor, or why there is none.
    pub fn live_desk(&self) -> Result<Arc<anchordesk_live::LiveDesk>, UiError> {
        match self.live.get() {
            Some(desk) => Ok(desk.clone()),
            None => Err(self.startup_error().unwrap_or_else(|| UiError::internal("the live session has not started"))),
        }
    }

    /// The shared store, for the sync worker; `None` when the database was refused.
    pub fn store_arc(&self) -> Option<Arc<Mutex<Store>>> {
        self.store.as_ref().ok().cloned()
    }

    /// The shared store, or why the database was refused.
    pub fn shared_store(&self) -> Result<Arc<Mutex<Store>>, UiError> {
        self.store.clone()
    }

    /// The linter as it is now.
    pub fn linter(&self) -> Arc<anchordesk_claims::Linter> {
        self.linter.get()
    }

    /// Team packs refused when the linter was last built.
    pub fn rule_errors(&self) -> Vec<String> {
        self.linter.errors()
    }

    /// The directory of team rule packs.
    pub fn rules_dir(&self) -> PathBuf {
        self.linter.dir().to_path_buf()
    }

    /// Rebuilds the linter from the default packs and the team packs on disk.
    pub fn reload_linter(&self) {
        self.linter.reload();
    }

    /// Why the store could not be opened, if it could not.
    pub fn startup_error(&self) -> Option<UiError> {
        self.store.as_ref().err().cloned()
    }

    /// Runs `f` with the store on a blocking thread, never on the UI thread; the error is
    /// any crate's that says how it reaches the window (`Into<UiError>`).
    pub async fn with_store_as<T, E, F>(&self, f: F) -> Result<T, UiError>
    where
        T: Send + 'static,
        E: Into<UiError> + Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
    {
        let store = self.store.as_ref().map_err(Clone::clone)?.clone();
        // A panic while holding the lock poisons it; the store itself stays consistent
        // because every change is one transaction, so carry on with the inner value.
        tauri::async_runtime::spawn_blocking(move || f(&mut store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())))
            .await
            .map_err(|err| UiError::internal(format!("store task failed: {err}")))?
            .map_err(Into::into)
    }

    /// [`AppState::with_store_as`] with the store's own errors.
    pub async fn with_store<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static) -> Result<T, UiError> {
        self.with_store_as(f).await
    }
}

/// Commands that hand their arguments to the store on its thread and return what it
/// answered: `fn name(args) -> T = |store| body;` is the command `name(args) -> Result<T,
/// UiError>` running `body` with the store; `…, then wake;` also wakes the sync worker after
/// a change (it goes out now rather than at the next poll).
macro_rules! store_commands {
    ($($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = |$store:ident| $body:expr $(, then $after:ident)?;)*) => {$(
        $(#[$meta])*
        #[tauri::command]
        #[specta::specta]
        pub async fn $name(state: tauri::State<'_, $crate::state::AppState>, $($arg: $ty),*) -> Result<$ret, $crate::state::UiError> {
            let answer = state.with_store_as(move |$store| $body).await;
            $(if answer.is_ok() {
                state.$after();
            })?
            answer
        }
    )*};
}
pub(crate) use store_commands;
