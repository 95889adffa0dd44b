//! Errors of the store, and the closed set of codes the UI branches on.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What went wrong in the store. `Display` is for logs; the UI uses [`StoreError::code`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not an AnchorDesk database and was left untouched: restore it from a backup, or move it away and AnchorDesk creates a new one")]
    NotADatabase { path: PathBuf },
    #[error(
        "{path} was written by a newer AnchorDesk (schema {found}, this build knows up to {supported}) and was left untouched: update AnchorDesk to open it"
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("cannot read or create {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: i64 },
    #[error("invalid input: {}", fields_summary(.0))]
    Invalid(Vec<FieldError>),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// The request does not fit the state things are in (already live, gate closed …).
    #[error("{0}")]
    Conflict(Conflict),
}

/// A request refused because of the state it met, with what the UI needs to say why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Conflict {
    /// A broadcast is already on air (or going on air) on this desk.
    #[error("a broadcast is already live")]
    AlreadyLive,
    /// The request needs a broadcast on air and none is.
    #[error("nothing is live")]
    NotLive,
    /// The go-live gate is closed: these critical checklist items are open.
    #[error("the go-live gate is closed: {}", .blockers.join("; "))]
    GateClosed { blockers: Vec<String> },
    /// The line-up item was taken off the bag (下架) and cannot go on air again.
    #[error("the line-up item was taken off the bag")]
    TakenOff,
    /// The line-up has no item to put on air.
    #[error("the line-up is empty")]
    EmptyLineup,
    /// A course attempt runs only against the built-in practice platform.
    #[error("a course attempt needs the built-in practice platform")]
    PracticePlatformNeeded,
    /// Going live on a real platform with no camera or microphone connected would push the
    /// test picture or tone to real viewers.
    #[error("{} not connected: the test {} would go to a real platform", if *.camera { "the camera is" } else { "the microphone is" }, if *.camera { "picture" } else { "tone" })]
    TestSourceOnRealPlatform { camera: bool, microphone: bool },
    /// A scene switch on air must keep the canvas of the picture on air (or the broadcast
    /// went on air without a scene).
    #[error("scene {scene:?} is {asked}, the picture on air is {on_air}; a switch on air keeps the canvas")]
    #[serde(rename_all = "camelCase")]
    SceneCanvas { scene: String, asked: String, on_air: String },
    /// The broadcast is planned to go on air with a scene that is no longer in the library.
    #[error("the scene {scene:?} this broadcast goes on air with is no longer in the scene library; pick another in its checklist, or `anchordesk broadcasts scene ID NAME`")]
    SceneMissing { scene: String },
    /// The desk's second picture is a scene that is no longer in the library.
    #[error("the desk's second picture is the scene {scene:?}, which is no longer in the scene library; pick another in Settings → Destinations or turn it off (`anchordesk scenes second NAME | --none`)")]
    SecondSceneMissing { scene: String },
    /// A scene cannot be deleted while it is the desk's second picture.
    #[error("the scene {scene:?} is the desk's second picture; pick another second picture or turn it off first")]
    SceneIsSecondPicture { scene: String },
}

impl Conflict {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Conflict::AlreadyLive => ErrorCode::AlreadyLive,
            Conflict::NotLive => ErrorCode::NotLive,
            Conflict::GateClosed { .. } => ErrorCode::GateClosed,
            Conflict::TakenOff => ErrorCode::TakenOff,
            Conflict::EmptyLineup => ErrorCode::EmptyLineup,
            Conflict::PracticePlatformNeeded => ErrorCode::PracticePlatformNeeded,
            Conflict::TestSourceOnRealPlatform { .. } => ErrorCode::TestSourceOnRealPlatform,
            Conflict::SceneCanvas { .. } => ErrorCode::SceneCanvas,
            Conflict::SceneMissing { .. } => ErrorCode::SceneMissing,
            Conflict::SecondSceneMissing { .. } => ErrorCode::SecondSceneMissing,
            Conflict::SceneIsSecondPicture { .. } => ErrorCode::SceneIsSecondPicture,
        }
    }
}

fn fields_summary(fields: &[FieldError]) -> String {
    fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ")
}

/// The codes the UI acts on. Closed: add a variant only where the UI does something
/// different with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ErrorCode {
    NotADatabase,
    NewerSchema,
    NotFound,
    Invalid,
    Io,
    Internal,
    AlreadyLive,
    NotLive,
    GateClosed,
    TakenOff,
    EmptyLineup,
    PracticePlatformNeeded,
    TestSourceOnRealPlatform,
    SceneCanvas,
    SceneMissing,
    SecondSceneMissing,
    SceneIsSecondPicture,
}

impl StoreError {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotADatabase { .. } => ErrorCode::NotADatabase,
            StoreError::NewerSchema { .. } => ErrorCode::NewerSchema,
            StoreError::Io { .. } => ErrorCode::Io,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Invalid(_) => ErrorCode::Invalid,
            StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::Corrupt(_) => ErrorCode::Internal,
            StoreError::Conflict(conflict) => conflict.code(),
        }
    }
}

/// An error as a user interface receives it: a code it branches on, the failed fields for
/// forms, and a message for logs and bug reports (never the only text shown). Each crate
/// says how its own errors become one (`From` impls next to the errors).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UiError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// The file concerned, for database refusals.
    pub path: Option<String>,
    /// For a refusal because of the state things are in: which, with what the UI shows
    /// (the open checklist items when the gate is closed).
    pub conflict: Option<Conflict>,
}

impl From<StoreError> for UiError {
    fn from(err: StoreError) -> UiError {
        let path = match &err {
            StoreError::NotADatabase { path } | StoreError::NewerSchema { path, .. } | StoreError::Io { path, .. } => Some(path.display().to_string()),
            _ => None,
        };
        let fields = match &err {
            StoreError::Invalid(fields) => fields.clone(),
            _ => Vec::new(),
        };
        if err.code() == ErrorCode::Internal {
            tracing::error!("{err}");
        }
        let conflict = match &err {
            StoreError::Conflict(conflict) => Some(conflict.clone()),
            _ => None,
        };
        UiError { code: err.code(), message: err.to_string(), fields, path, conflict }
    }
}

impl UiError {
    /// Form fields that failed.
    pub fn invalid(fields: Vec<FieldError>) -> UiError {
        UiError::from(StoreError::Invalid(fields))
    }

    /// One form field that failed.
    pub fn field(name: &str, code: crate::validate::FieldErrorCode, value: impl Into<String>) -> UiError {
        UiError::invalid(vec![FieldError::new(name, code, value)])
    }

    /// Something the user cannot fix by changing input; the message is for the log.
    pub fn internal(message: impl std::fmt::Display) -> UiError {
        UiError { code: ErrorCode::Internal, message: message.to_string(), fields: Vec::new(), path: None, conflict: None }
    }

    /// A refusal because of the state things are in.
    pub fn conflict(conflict: Conflict) -> UiError {
        UiError::from(StoreError::Conflict(conflict))
    }
}
