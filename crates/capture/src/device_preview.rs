//! The Devices page before going live: camera pictures and the microphone level,
//! nothing encoded to disk and nothing pushed.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, bounded};
use ffmpeg_next::frame;

use crate::CaptureError;
use crate::config::{AudioSource, Config, VideoSource};
use crate::pipeline::{PreviewFrame, Shared, StopReason, preview_thread, spawn};
use crate::source::{self, VideoMsg};
use crate::stats::AudioLevel;

/// A running device preview. Dropping it releases the camera and the microphone.
pub struct DevicePreview {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    frames: Option<tokio::sync::mpsc::Receiver<PreviewFrame>>,
    /// Released after the threads are joined (fields drop after `Drop::drop`).
    _claims: Vec<crate::devices::DeviceClaim>,
}

impl DevicePreview {
    /// Opens the sources of `config` (its output, push and overlay are ignored) and
    /// starts sending preview frames and microphone levels.
    ///
    /// Errors: a camera or microphone that cannot be opened.
    pub fn start(config: &Config) -> Result<DevicePreview, CaptureError> {
        crate::init();
        config.validate()?;
        let (w, h, fps) = (config.video.width, config.video.height, config.video.fps);
        let claims = crate::pipeline::claim_devices(config)?;
        let shared = Arc::new(Shared::new(true, fps, &[]));
        let mut threads = Vec::new();
        let stop_all = |threads: Vec<JoinHandle<()>>, shared: &Shared| {
            shared.request_stop(StopReason::Requested);
            for t in threads {
                let _ = t.join();
            }
        };

        let (video_tx, video_rx) = bounded::<VideoMsg>(2);
        let spec = match &config.video_source {
            VideoSource::Test => source::test_video_spec(w, h, fps, true),
            VideoSource::Input(spec) => spec.clone(),
        };
        let (ready_tx, ready_rx) = bounded(1);
        {
            let shared = shared.clone();
            threads.push(spawn("preview-camera", move || {
                source::video_thread(spec, source::VideoShape { width: w, height: h, keep_size: false, listener: false }, video_tx, shared, ready_tx)
            })?);
        }
        if let Err(e) = ready_rx
            .recv_timeout(Duration::from_secs(15))
            .unwrap_or(Err(CaptureError::ThreadLost("preview-camera")))
        {
            drop(video_rx);
            stop_all(threads, &shared);
            return Err(e);
        }

        let audio_spec = match &config.audio_source {
            AudioSource::Test => Some(source::test_audio_spec(true)),
            AudioSource::Silence => None,
            AudioSource::Input(spec) => Some(spec.clone()),
        };
        if let Some(spec) = audio_spec {
            match source::open_audio(&spec) {
                Ok(input) => {
                    let shared = shared.clone();
                    threads.push(spawn("preview-mic", move || {
                        source::level_thread(spec, Some(input), shared)
                    })?);
                }
                Err(message) => {
                    drop(video_rx);
                    stop_all(threads, &shared);
                    return Err(CaptureError::DeviceOpen {
                        kind: "audio",
                        spec: format!("{}:{}", spec.format, spec.url),
                        message,
                    });
                }
            }
        }

        let preview_fps = config.preview_fps.clamp(1, fps);
        let every = (fps / preview_fps).max(1) as i64;
        let pw = config.preview_width.clamp(64, w) & !1;
        let ph = ((pw as u64 * h as u64 / w as u64) as u32).max(2) & !1;
        let (picture_tx, picture_rx) = bounded::<frame::Video>(1);
        let (frames_tx, frames_rx) = tokio::sync::mpsc::channel::<PreviewFrame>(2);
        {
            let shared = shared.clone();
            threads.push(spawn("preview-encode", move || {
                preview_thread(picture_rx, frames_tx, pw, ph, preview_fps, shared, false)
            })?);
        }
        {
            let shared = shared.clone();
            let fonts = crate::overlay::Fonts::load(config.font.as_deref()).ok();
            let slate = crate::overlay::slate(fonts.as_ref(), w, h);
            threads.push(spawn("preview-pick", move || {
                // Pass every n-th camera frame on; show the slate while the camera is gone.
                let mut n: i64 = 0;
                while !shared.stop.load(Ordering::Relaxed) {
                    let picture = match video_rx.recv_timeout(Duration::from_millis(1500)) {
                        Ok(VideoMsg::Frame(f)) => Some(f),
                        Ok(VideoMsg::Lost(_)) | Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    };
                    shared
                        .counters
                        .source_lost
                        .store(picture.is_none(), Ordering::Relaxed);
                    shared.media_us.store(shared.frame_us(n), Ordering::Relaxed);
                    if n % every == 0 || picture.is_none() {
                        let _ = picture_tx.try_send(picture.unwrap_or_else(|| slate.clone()));
                    }
                    n += 1;
                }
            })?);
        }
        Ok(DevicePreview {
            shared,
            threads,
            frames: Some(frames_rx),
            _claims: claims,
        })
    }

    /// Preview JPEGs; `None` after the first call.
    pub fn take_frames(&mut self) -> Option<tokio::sync::mpsc::Receiver<PreviewFrame>> {
        self.frames.take()
    }

    /// The microphone level, every 100 ms.
    pub fn audio_level(&self) -> tokio::sync::watch::Receiver<AudioLevel> {
        self.shared.audio_level.subscribe()
    }

    /// True while the camera delivers no pictures.
    pub fn camera_lost(&self) -> bool {
        self.shared.counters.source_lost.load(Ordering::Relaxed)
    }

    /// Stops the preview and releases the devices.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.request_stop(StopReason::Requested);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for DevicePreview {
    fn drop(&mut self) {
        self.shutdown();
    }
}
