//! AnchorDesk's media pipeline: camera and microphone (or a synthetic source) to a
//! crash-safe recording and an RTMP push at once, with a live product overlay, markers,
//! preview frames and health figures. This is the only crate that links FFmpeg.
//!
//! The main design choice: **one encoded stream, written twice.** Video is composed on
//! a constant-frame-rate clock, encoded once with x264 (or a hardware encoder) and AAC,
//! and the writer thread hands every packet to the recording and to the push. The
//! recording never waits for the network: the push gets packets through a bounded
//! channel, drops to the next keyframe when it falls behind, and reconnects on its own.
//! Every FFmpeg context is owned by exactly one thread.
//!
//! Start at [`Pipeline::start`] (recording and push) or [`DevicePreview::start`] (the
//! Devices page: pictures and microphone level, nothing written). Both block for up to a
//! few seconds while devices and the ingest are checked; call them from a blocking task.
//! A camera or microphone belongs to one of them at a time.
//!
//! ```no_run
//! use anchordesk_capture::{Config, MarkerKind, Overlay, Pipeline};
//! let mut config = Config::new("/tmp/broadcast.mp4");
//! config.duration_ms = Some(10_000);
//! let handle = Pipeline::start(config)?;
//! handle.set_overlay(Some(&Overlay::ProductCard {
//!     name: "赣南脐橙".into(), price_fen: 3990, selling_point: "现摘现发".into(),
//! }))?;
//! handle.marker(MarkerKind::Product, "赣南脐橙", Some("SKU-001"));
//! let summary = handle.wait()?;
//! println!("{} ms in {}", summary.duration_ms, summary.path.display());
//! # Ok::<(), anchordesk_capture::CaptureError>(())
//! ```

mod clips;
mod config;
mod device_preview;
mod devices;
mod disk;
mod encode;
mod error;
mod hub;
mod marker;
mod overlay;
mod phone;
mod phone_sound;
mod pipeline;
mod push;
mod scene;
mod scene_mix;
mod shared;
mod sound;
mod source;
mod stats;
mod upload;
mod url;
mod writer;

pub use clips::{Clip, ClipRequest, clip_file_name, cut_clips, product_clips, read_markers};
pub use config::{
    AudioSource, Config, Container, InputSpec, MAX_PUSHES, PhoneListen, Preset, ReconnectPolicy, SecondCanvas, VideoEncoder,
    VideoSettings, VideoSource,
};
pub use device_preview::DevicePreview;
pub use devices::{Device, DeviceKind, Mode, devices, pick_mode, software_rendering_only};
pub use disk::available_bytes;
pub use encode::{EncoderProbe, PresetProbe, available_encoders, choose_preset, measure_preset, probe_encoders};
pub use error::{CaptureError, ErrorCode};
pub use marker::{Marker, MarkerKind, sidecar_path};
pub use overlay::{Overlay, format_price};
pub use phone::lan_address;
pub use pipeline::{MediaClock, Pipeline, PipelineHandle, PreviewFrame, StopReason};
pub use scene::{
    CANVASES, Crop, Fit, Layer, LayerSource, Layout, MAX_LAYERS, Rect, Scene, parse_color,
};
pub use sound::{Music, SoundChange, SoundMix};
pub use stats::{AudioLevel, DestinationStats, PushState, SecondCanvasStats, Stats, skipped_alarm};
pub use url::StreamUrl;
pub use writer::RecordingSummary;

/// Initialises FFmpeg once: registers devices and silences FFmpeg's own log, whose
/// messages could carry a stream key. Set `ANCHORDESK_FFMPEG_LOG=error` (or `warning`,
/// `info`, `debug`) to see it while debugging.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ffmpeg_next::init();
        ffmpeg_next::device::register_all();
        use ffmpeg_next::util::log::Level;
        let level = match std::env::var("ANCHORDESK_FFMPEG_LOG").as_deref() {
            Ok("error") => Level::Error,
            Ok("warning") => Level::Warning,
            Ok("info") => Level::Info,
            Ok("debug") => Level::Debug,
            _ => Level::Quiet,
        };
        ffmpeg_next::util::log::set_level(level);
    });
}

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::Config>();
        assert_send_sync::<crate::Stats>();
        assert_send_sync::<crate::RecordingSummary>();
        assert_send_sync::<crate::CaptureError>();
        assert_send_sync::<crate::StreamUrl>();
        assert_send_sync::<crate::Clip>();
        assert_send_sync::<crate::ClipRequest>();
    }

    #[test]
    fn handle_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<crate::PipelineHandle>();
    }
}
