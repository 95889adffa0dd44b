//! The live session (直播中): one actor owns the capture pipeline and what is on air, takes
//! messages (go live, next, pin, take off, overlay, caption, marker, reply, stop, resume)
//! one at a time, and writes every step to the store in one transaction before it answers,
//! so that a restart rebuilds the exact state (the item on air, the items taken off, the card
//! shown or hidden, the caption) from SQLite. Stopping finalises the recording, cuts one clip
//! per product, builds the report and archives the session: one path for the app and the CLI.
//!
//! What the actor needs from outside (the facts the gate checks, the platform's ingest, the
//! window) comes through [`Surroundings`], which the desktop shell and the CLI implement.
//!
//! ```text
//!  window / CLI ──Command──▶ LiveDesk ──mpsc──▶ actor thread ──▶ Store (one transaction per step)
//!                                                      │ └──────▶ PipelineHandle (overlay, markers)
//!                 ◀──LiveEvent (status, stats, preview)┘
//! ```

mod actor;
pub mod destinations;
pub mod devices;
mod follow;
pub mod preflight;
pub mod scenes;

pub use follow::{DuePrompt, PromptsUpdate, RoomUpdate, due_prompts};

use anchordesk_capture::Stats;
use anchordesk_core::live::{BroadcastReport, LiveSession, OnAirState, SessionId};
use anchordesk_core::plan::CheckEnv;
use anchordesk_core::{BroadcastId, ErrorCode, LineupItem, LineupItemId, Store, StoreError};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the picture goes besides the recording, as the console says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum PushPlan {
    /// To the platform's ingest, from its answer to the start call (key masked).
    Platform { url: String },
    /// To an ingest URL the team typed (key masked).
    Typed { url: String },
    /// A rehearsal without an ingest: recording only.
    Rehearsal,
    /// The platform did not answer in time: recording only, the start is queued.
    PlatformUnreachable { reason: String },
}

/// The live console's state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveStatus {
    pub session: LiveSession,
    pub lineup: Vec<LineupItem>,
    /// Index into `lineup` of the product on air.
    pub on_air: Option<i32>,
    pub recording_path: String,
    pub push: PushPlan,
    pub overlay_visible: bool,
    pub caption: Option<String>,
    pub taken_off: Vec<LineupItemId>,
    /// The scene on air; `None` when the camera fills the picture.
    pub scene: Option<String>,
    /// The scenes that can be switched to on air (same canvas), in library order; empty
    /// without a scene.
    pub scenes: Vec<String>,
    /// Where the phone pushes to join a scene that shows it, with this broadcast's
    /// passphrase, as text and as a QR code (SVG) to type or scan into the phone app.
    pub phone: Option<PhoneJoin>,
    /// The push destinations' names in the order of the health figures' `destinations`;
    /// empty for the platform's ingest (or a typed URL).
    pub destination_names: Vec<String>,
    /// The second picture's scene (第二画面) when some pushes take it; its figures are in the
    /// health's `second_canvas`, its pushes marked in `destinations`.
    pub second_picture: Option<String>,
    pub mic_muted: bool,
    /// A music bed plays in this broadcast (it may be stopped: `music_off`).
    pub has_music: bool,
    pub music_off: bool,
    /// The microphone's and the music's gains on air, in dB (changed on air, they are the
    /// desk's from then on: Settings → Devices shows them).
    pub mic_gain_db: i32,
    pub music_gain_db: i32,
    /// The phone's sound (a phone pushing to the desk): muted, and its gain in dB (the desk's
    /// from then on, as the others).
    pub phone_muted: bool,
    pub phone_gain_db: i32,
}

/// How a phone joins the broadcast as a second camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PhoneJoin {
    pub url: String,
    pub qr_svg: String,
}

impl PhoneJoin {
    fn new(url: String) -> PhoneJoin {
        let qr_svg = qrcode::QrCode::new(url.as_bytes())
            .map(|code| code.render::<qrcode::render::svg::Color>().min_dimensions(160, 160).quiet_zone(true).build())
            .unwrap_or_default();
        PhoneJoin { url, qr_svg }
    }
}

/// What stopping produced: the report and the per-product clips (切片).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StopResult {
    pub report: BroadcastReport,
    pub clips: Vec<anchordesk_capture::Clip>,
}

/// What became of a reply or a caption: sent (with any warnings), or held back with the
/// findings (kept as evidence, not sent).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplyOutcome {
    pub sent: Option<anchordesk_core::room::LiveReply>,
    pub findings: Vec<anchordesk_claims::Finding>,
}

/// Going live.
#[derive(Debug, Clone)]
pub struct GoLive {
    pub broadcast_id: BroadcastId,
    /// A rehearsal (课程排练): recorded; on a team's real platform nothing is sent.
    pub rehearsal: bool,
    /// An ingest URL typed by the team instead of the platform's (the key is never logged).
    pub push_url: Option<String>,
    /// The scene to go on air with, by name (see [`scenes`]); the empty name: none, the
    /// camera fills the picture; `None`: when resuming, the scene that was on air, else the
    /// broadcast's own (its `draft.scene`, from its template or chosen in its checklist).
    pub scene: Option<String>,
}

/// The messages the actor takes, answered in the order they were sent.
#[derive(Debug, Clone)]
pub enum Command {
    GoLive(GoLive),
    /// The next (`step` 1), previous (-1) or a given (`index`) line-up item on air.
    Product { step: i32, index: Option<i32> },
    /// Takes a line-up item off the bag (下架); the next one goes on air if it was on air.
    TakeOff { index: i32 },
    /// Shows or hides the product card.
    Overlay { visible: bool },
    /// A caption typed live (empty clears it), linted first with the product on air.
    Caption { text: String },
    /// A manual marker at the current media time.
    Marker { label: String },
    /// Another scene on air (same canvas), by name.
    Scene { name: String },
    /// Mutes the microphone or stops the music (and back).
    Sound(anchordesk_capture::SoundChange),
    /// A push destination (its index in [`anchordesk_capture::Stats::destinations`]) tries
    /// to connect at once instead of waiting out its backoff.
    ReconnectPush { index: i32 },
    /// A reply to a viewer's comment (`comment_seq` 0: an announcement to the room).
    Reply { comment_seq: i64, text: String },
    Status,
    Stop,
    /// Archives an interrupted session and goes on air again in a new one.
    Resume { session: SessionId },
    /// Archives an interrupted session and builds its report.
    CloseInterrupted { session: SessionId },
}

/// The actor's answer to a [`Command`].
#[derive(Debug, Clone)]
pub enum Answer {
    Status(Box<LiveStatus>),
    Stopped(Box<StopResult>),
    Reply(ReplyOutcome),
    Report(Box<BroadcastReport>),
    Done,
}

/// Something the window should show now.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// On air: the session and everything the console shows.
    Status(Box<LiveStatus>),
    /// Health figures from the pipeline (about once a second).
    Stats(Box<Stats>),
    /// A small preview picture (JPEG bytes).
    Preview(Vec<u8>),
    /// A small preview of the second picture (JPEG bytes), when there is one.
    SecondPreview(Vec<u8>),
    /// The session ended (stopped, or the recording finished by itself).
    Ended { session: SessionId },
    /// New events in the live room, pulled from the platform.
    Room(Box<RoomUpdate>),
    /// A rehearsal's reminders due now (when they change).
    Prompts(PromptsUpdate),
}

/// What the actor needs from around it. Called on the actor's thread: blocking is allowed,
/// but each call should be bounded (the ingest waits a few seconds at most).
pub trait Surroundings: Send + Sync + 'static {
    /// The facts the go-live gate needs from outside the database (disk, the linter,
    /// devices, the platform link): the desk's are [`devices::check_env`].
    fn check_env(&self) -> CheckEnv;
    /// The claims linter with the team's rules.
    fn linter(&self) -> Arc<anchordesk_claims::Linter>;
    /// The platform's ingest URL with its stream key for a broadcast going live, or why
    /// there is none (the recording then goes on without a push).
    fn ingest(&self, broadcast: BroadcastId) -> Result<String, String>;
    /// Something was queued in the outbox: a good moment to send it.
    fn outbox_changed(&self) {}
    /// Tells the window.
    fn publish(&self, _event: LiveEvent) {}
    /// The camera and microphone are about to be taken by the broadcast (a device preview
    /// must let them go).
    fn release_devices(&self) {}
    /// A product went on air (the teleprompter follows).
    fn product_on_air(&self, _item: LineupItemId) {}
    /// Pulls the live room of a session on air from the platform into the store, once
    /// (bounded: a few seconds at most); how many events were new.
    fn pull_room(&self, _session: &LiveSession) -> Result<usize, String> {
        Err("no platform link".into())
    }
}

/// Why a live command was refused.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The store refused (a state conflict such as already live, or a missing row).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The push URL typed for this broadcast cannot be used.
    #[error("the push URL cannot be used: {0}")]
    PushUrl(String),
    /// The recording could not start (nothing was recorded; the session is closed).
    #[error("the recording could not start: {0}")]
    Capture(String),
    /// The actor is gone (the app is closing).
    #[error("the live session's worker stopped")]
    Stopped,
    /// A step failed with a bug; the session goes on as it was before the step.
    #[error("the live session hit a bug: {0}")]
    Panicked(String),
}

impl LiveError {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            LiveError::Store(err) => err.code(),
            LiveError::PushUrl(_) => ErrorCode::Invalid,
            LiveError::Capture(_) | LiveError::Stopped | LiveError::Panicked(_) => ErrorCode::Internal,
        }
    }

    fn conflict(conflict: anchordesk_core::Conflict) -> LiveError {
        LiveError::Store(StoreError::Conflict(conflict))
    }
}

impl From<LiveError> for anchordesk_core::UiError {
    fn from(err: LiveError) -> anchordesk_core::UiError {
        match err {
            LiveError::Store(err) => err.into(),
            // The push URL is a form field of the go-live dialog.
            LiveError::PushUrl(why) => anchordesk_core::UiError::field("pushUrl", anchordesk_core::validate::FieldErrorCode::UnknownValue, why),
            other => anchordesk_core::UiError::internal(other),
        }
    }
}

/// The facts of the session on air, readable without waiting for the actor.
#[derive(Clone)]
struct OnAirFacts {
    session: LiveSession,
    item: Option<LineupItemId>,
    clock: anchordesk_capture::MediaClock,
}

/// The handle on the live session's actor. Cheap to share; every method waits for the
/// actor's answer, so call it from a blocking thread, not from an async task.
pub struct LiveDesk {
    tx: std::sync::mpsc::Sender<actor::Envelope>,
    around: Arc<dyn Surroundings>,
    facts: Arc<Mutex<Option<OnAirFacts>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl LiveDesk {
    /// Starts the actor on its own thread. Recordings go to `<data_dir>/recordings`, clips
    /// to `<data_dir>/clips`, the archive to `<data_dir>/archive`.
    pub fn start(store: Arc<Mutex<Store>>, data_dir: PathBuf, around: Arc<dyn Surroundings>) -> LiveDesk {
        let facts = Arc::new(Mutex::new(None));
        let (tx, rx) = std::sync::mpsc::channel();
        let mut actor = actor::Actor::new(store, data_dir, around.clone(), facts.clone());
        let thread = std::thread::Builder::new()
            .name("live-session".into())
            .spawn(move || actor.serve(rx))
            .expect("a thread for the live session starts");
        LiveDesk { tx, around, facts, thread: Mutex::new(Some(thread)) }
    }

    /// The go-live gate's outside facts now (may list the devices: call from a blocking
    /// thread).
    pub fn check_env(&self) -> CheckEnv {
        self.around.check_env()
    }

    /// Sends a command and waits for the answer.
    pub fn ask(&self, command: Command) -> Result<Answer, LiveError> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.tx.send(actor::Envelope { command: Some(command), reply }).map_err(|_| LiveError::Stopped)?;
        answer.recv().map_err(|_| LiveError::Stopped)?
    }

    fn status_of(&self, command: Command) -> Result<LiveStatus, LiveError> {
        match self.ask(command)? {
            Answer::Status(status) => Ok(*status),
            other => unreachable!("the actor answers a status command with a status, not {other:?}"),
        }
    }

    pub fn go_live(&self, request: GoLive) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::GoLive(request))
    }

    pub fn product(&self, step: i32, index: Option<i32>) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Product { step, index })
    }

    pub fn take_off(&self, index: i32) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::TakeOff { index })
    }

    pub fn overlay(&self, visible: bool) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Overlay { visible })
    }

    pub fn status(&self) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Status)
    }

    pub fn resume(&self, session: SessionId) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Resume { session })
    }

    /// Switches to the scene `name` on air (same canvas); a marker in the report.
    pub fn scene(&self, name: String) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Scene { name })
    }

    /// Mutes the microphone or stops the music (and back).
    pub fn sound(&self, change: anchordesk_capture::SoundChange) -> Result<LiveStatus, LiveError> {
        self.status_of(Command::Sound(change))
    }

    /// Makes push destination `index` try to connect at once.
    pub fn reconnect_push(&self, index: i32) -> Result<(), LiveError> {
        self.ask(Command::ReconnectPush { index }).map(|_| ())
    }

    pub fn marker(&self, label: String) -> Result<(), LiveError> {
        self.ask(Command::Marker { label }).map(|_| ())
    }

    pub fn caption(&self, text: String) -> Result<ReplyOutcome, LiveError> {
        match self.ask(Command::Caption { text })? {
            Answer::Reply(outcome) => Ok(outcome),
            other => unreachable!("a caption is answered with its outcome, not {other:?}"),
        }
    }

    pub fn reply(&self, comment_seq: i64, text: String) -> Result<ReplyOutcome, LiveError> {
        match self.ask(Command::Reply { comment_seq, text })? {
            Answer::Reply(outcome) => Ok(outcome),
            other => unreachable!("a reply is answered with its outcome, not {other:?}"),
        }
    }

    pub fn stop(&self) -> Result<StopResult, LiveError> {
        match self.ask(Command::Stop)? {
            Answer::Stopped(result) => Ok(*result),
            other => unreachable!("stop is answered with the report, not {other:?}"),
        }
    }

    pub fn close_interrupted(&self, session: SessionId) -> Result<BroadcastReport, LiveError> {
        match self.ask(Command::CloseInterrupted { session })? {
            Answer::Report(report) => Ok(*report),
            other => unreachable!("closing is answered with the report, not {other:?}"),
        }
    }

    /// The session on air, the line-up item on air and the media time now; `None` when
    /// nothing is live. Does not wait for the actor.
    pub fn on_air(&self) -> Option<(LiveSession, Option<LineupItemId>, i64)> {
        let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        facts.as_ref().map(|f| (f.session.clone(), f.item, f.clock.now().as_millis() as i64))
    }

    /// The media time (ms) of the first recorded frame that showed the last change of the
    /// picture's card or caption; `None` before any or when nothing is live.
    pub fn overlay_shown_at_ms(&self) -> Option<i64> {
        let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        facts.as_ref().and_then(|f| f.clock.overlay_applied()).map(|at| at.as_millis() as i64)
    }

    /// Stops what is on air (if anything) and the actor, finalising the recording: for the
    /// window closing. Waits for the actor's thread.
    pub fn shutdown(&self) {
        if self.on_air().is_some()
            && let Err(err) = self.stop()
        {
            tracing::error!("stopping the broadcast on exit: {err}");
        }
        let (reply, _answer) = std::sync::mpsc::sync_channel(1);
        let _ = self.tx.send(actor::Envelope { command: None, reply });
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// The on-air state as the console shows it, from the store's [`OnAirState`].
fn status(session: &LiveSession, lineup: Vec<LineupItem>, state: &OnAirState, push: &PushPlan, scenes: Vec<String>, phone: Option<String>) -> LiveStatus {
    let on_air = state.on_air_item.and_then(|item| lineup.iter().position(|i| i.id == item)).map(|i| i as i32);
    LiveStatus {
        session: session.clone(),
        lineup,
        on_air,
        recording_path: session.recording_path.clone(),
        push: push.clone(),
        overlay_visible: state.overlay_visible,
        caption: state.caption.clone(),
        taken_off: state.taken_off.clone(),
        scene: state.scene.clone(),
        scenes,
        phone: phone.map(PhoneJoin::new),
        destination_names: Vec::new(),
        second_picture: None,
        mic_muted: state.mic_muted,
        has_music: false,
        music_off: state.music_off,
        mic_gain_db: 0,
        music_gain_db: 0,
        phone_muted: state.phone_muted,
        phone_gain_db: 0,
    }
}
