//! The crate's error type and the closed set of codes the UI branches on.

use std::path::PathBuf;

/// What went wrong, in a form the UI can act on without matching strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The push URL cannot be parsed.
    BadPushUrl,
    /// The ingest host did not answer or refused the stream.
    IngestUnreachable,
    /// A camera or microphone could not be opened.
    DeviceUnavailable,
    /// The recording path cannot be written.
    OutputNotWritable,
    /// The recording path already holds a file.
    OutputExists,
    /// The disk has too little room for the planned recording.
    DiskSpace,
    /// No usable encoder.
    Encoder,
    /// The configuration asks for something impossible.
    BadConfig,
    /// Anything else inside FFmpeg or the pipeline.
    Internal,
}

/// Errors of the capture pipeline. `Display` is for logs and never contains a stream key.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("push url {url} is malformed: {reason}")]
    BadPushUrl { url: String, reason: &'static str },
    #[error("ingest {host}:{port} is unreachable: {message}")]
    IngestUnreachable {
        host: String,
        port: u16,
        message: String,
    },
    #[error("ingest {url} did not accept the stream: {message}")]
    PushRejected { url: String, message: String },
    #[error("cannot open {kind} source {spec}: {message}")]
    DeviceOpen {
        kind: &'static str,
        spec: String,
        message: String,
    },
    #[error("recording path {} is not writable: {message}", path.display())]
    OutputNotWritable { path: PathBuf, message: String },
    #[error("recording path {} already exists", path.display())]
    OutputExists { path: PathBuf },
    #[error("not enough disk space at {}: need {needed_mb} MB, {available_mb} MB left", path.display())]
    DiskSpace {
        path: PathBuf,
        needed_mb: u64,
        available_mb: u64,
    },
    #[error("encoder {name} is unavailable: {message}")]
    Encoder { name: String, message: String },
    #[error("bad configuration: {0}")]
    BadConfig(String),
    #[error("disk full while recording to {}", path.display())]
    DiskFull { path: PathBuf },
    #[error("{context}: {source}")]
    Ffmpeg {
        context: String,
        source: ffmpeg_next::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("pipeline thread {0} stopped unexpectedly")]
    ThreadLost(&'static str),
}

impl CaptureError {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            CaptureError::BadPushUrl { .. } => ErrorCode::BadPushUrl,
            CaptureError::IngestUnreachable { .. } | CaptureError::PushRejected { .. } => {
                ErrorCode::IngestUnreachable
            }
            CaptureError::DeviceOpen { .. } => ErrorCode::DeviceUnavailable,
            CaptureError::OutputNotWritable { .. } => ErrorCode::OutputNotWritable,
            CaptureError::OutputExists { .. } => ErrorCode::OutputExists,
            CaptureError::DiskSpace { .. } | CaptureError::DiskFull { .. } => ErrorCode::DiskSpace,
            CaptureError::Encoder { .. } => ErrorCode::Encoder,
            CaptureError::BadConfig(_) => ErrorCode::BadConfig,
            CaptureError::Ffmpeg { .. } | CaptureError::Io { .. } | CaptureError::ThreadLost(_) => {
                ErrorCode::Internal
            }
        }
    }

    pub(crate) fn ffmpeg(context: impl Into<String>) -> impl FnOnce(ffmpeg_next::Error) -> Self {
        let context = context.into();
        move |source| CaptureError::Ffmpeg { context, source }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| CaptureError::Io { context, source }
    }
}
