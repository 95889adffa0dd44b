//! Starting, running and stopping one broadcast's media pipeline.
//!
//! ```text
//! video source ─frames→ compositor (clock, overlay, slate) ─frames→ x264 ─┐
//! audio source + AAC ────────────────────────────────────────────packets─┴→ writer (recording) ─→ push (RTMP)
//!                        compositor ─some frames→ preview (JPEG)      stats (once a second)
//! ```
//! Each box is a thread that owns its FFmpeg context; channels between them are bounded.
//!
//! A second canvas (a vertical picture beside the landscape one) is composed by the same
//! compositor at the same tick from the same sources ([`crate::hub`]), encoded by a second
//! encoder thread, and its packets go through the same writer to its own pushes only; the
//! audio goes to every push and the recording.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded};
use ffmpeg_next::{self as ffmpeg, Rational, Rescale, codec, format, frame};

use crate::config::{AudioSource, Config, InputSpec, VideoEncoder, VideoSource};
use crate::marker::{Marker, MarkerKind};
use crate::overlay::{self, Fonts, Overlay, OverlayImage};
use crate::push::{self, PushMsg, PushTarget};
use crate::hub::SourceHub;
use crate::scene::{LayerSource, Scene};
use crate::scene_mix::SceneMixer;
use crate::source::{self, AudioFeed, VideoMsg};
use crate::stats::{AudioLevel, Counters, PushState, SecondCanvasStats, Stats};
use crate::writer::{self, RecordingSummary, StreamSetup};
use crate::{CaptureError, encode};

pub use crate::shared::StopReason;
pub(crate) use crate::shared::{Shared, WriterMsg};

/// A preview picture for the UI.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PreviewFrame {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// A picture of the second canvas (the vertical one beside the recording's).
    #[serde(default)]
    pub second: bool,
    pub width: u32,
    pub height: u32,
    pub media_time_ms: f64,
}

/// The recording's clock (time written so far), readable from any thread.
#[derive(Clone)]
pub struct MediaClock(Arc<Shared>);

impl MediaClock {
    /// The media time written so far.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.0.media_us.load(Ordering::Relaxed).max(0) as u64)
    }

    /// The media time of the first frame that showed the last overlay change, if any.
    pub fn overlay_applied(&self) -> Option<Duration> {
        let us = self.0.overlay_applied_us.load(Ordering::Relaxed);
        (us >= 0).then(|| Duration::from_micros(us as u64))
    }
}

/// Entry point: `Pipeline::start(config)`.
pub struct Pipeline;

/// A running pipeline. Dropping it stops the pipeline and finalises the recording.
pub struct PipelineHandle {
    shared: Arc<Shared>,
    threads: Vec<(&'static str, JoinHandle<()>)>,
    writer: Option<JoinHandle<Result<RecordingSummary, CaptureError>>>,
    stats: tokio::sync::watch::Receiver<Stats>,
    preview: Option<tokio::sync::mpsc::Receiver<PreviewFrame>>,
    overlay_tx: Sender<Option<Arc<OverlayImage>>>,
    /// The same card for the second canvas, drawn at its size.
    second_overlay: Option<(OverlayTx, (u32, u32))>,
    /// To the compositor, when the pipeline runs a scene.
    scene_tx: Option<Sender<Scene>>,
    /// To the audio thread: mute, music on or off.
    sound_tx: Sender<crate::sound::SoundChange>,
    fonts: Option<Fonts>,
    size: (u32, u32),
    encoder: crate::config::VideoEncoder,
    /// Why the encoder asked for was not used, when it fell back to libx264.
    encoder_fallback: Option<String>,
    /// Released after the threads are joined (fields drop after `Drop::drop`).
    _claims: Vec<crate::devices::DeviceClaim>,
}

/// Claims the camera and microphone of `config` for this capture.
pub(crate) fn claim_devices(
    config: &Config,
) -> Result<Vec<crate::devices::DeviceClaim>, CaptureError> {
    let mut claims = Vec::new();
    if let VideoSource::Input(spec) = &config.video_source {
        claims.extend(crate::devices::DeviceClaim::claim("video", spec)?);
    }
    if let AudioSource::Input(spec) = &config.audio_source {
        claims.extend(crate::devices::DeviceClaim::claim("audio", spec)?);
    }
    let second = config.second_canvas.iter().map(|s| &s.scene);
    for layer in config.scene.iter().chain(second).flat_map(|s| &s.layers) {
        if let LayerSource::Input { input } = &layer.source
            && !claims.iter().any(|c: &crate::devices::DeviceClaim| c.is(input))
        {
            claims.extend(crate::devices::DeviceClaim::claim("video", input)?);
        }
    }
    Ok(claims)
}

pub(crate) fn spawn<T: Send + 'static>(
    name: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<T>, CaptureError> {
    std::thread::Builder::new()
        .name(format!("capture-{name}"))
        .spawn(f)
        .map_err(CaptureError::io(format!("starting thread {name}")))
}

/// Checks that `config.output` can be created, before anything else is started.
fn check_output(config: &Config) -> Result<(), CaptureError> {
    let path = &config.output;
    let not_writable = |message: String| CaptureError::OutputNotWritable {
        path: path.clone(),
        message,
    };
    if path.is_dir() {
        return Err(not_writable("is a directory".to_owned()));
    }
    if path.exists() && !config.overwrite {
        return Err(CaptureError::OutputExists { path: path.clone() });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(not_writable(format!(
            "folder {} does not exist",
            dir.display()
        )));
    }
    let probe = dir.join(format!(".anchordesk-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => return Err(not_writable(e.to_string())),
    }
    let planned_ms = config
        .duration_ms
        .or(config.planned_duration_ms)
        .unwrap_or(3 * 3600 * 1000);
    let needed = config.estimated_bytes(planned_ms as u64) + 64 * 1024 * 1024;
    if let Some(available) = crate::disk::available_bytes(&dir)
        && available < needed
    {
        return Err(CaptureError::DiskSpace {
            path: dir,
            needed_mb: needed / 1_000_000,
            available_mb: available / 1_000_000,
        });
    }
    Ok(())
}

impl Pipeline {
    /// Checks everything that can fail, then starts capture, recording and push.
    ///
    /// Errors (a bad push URL, an unreachable ingest, a missing device, an unwritable
    /// path, too little disk) come back before any file is created.
    pub fn start(mut config: Config) -> Result<PipelineHandle, CaptureError> {
        crate::init();
        if let Some(scene) = &config.scene {
            // The scene's canvas is the picture's size.
            scene.validate()?;
            (config.video.width, config.video.height) = (scene.width, scene.height);
        }
        config.validate()?;
        check_output(&config)?;
        check_ingest(&config)?;
        let fonts = load_fonts(&config)?;
        let claims = claim_devices(&config)?;
        let video = encode::open_video(&config.video)?;
        let second_video = match &config.second_canvas {
            Some(second) => Some(encode::open_video(&second_canvas_settings(&config, &second.scene))?),
            None => None,
        };
        let audio = encode::open_audio(config.audio_bitrate_kbps)?;
        let setups = Setups {
            video: StreamSetup::of(&video),
            audio: StreamSetup {
                params: codec::Parameters::from(&*audio),
                time_base: Rational::new(1, encode::AUDIO_RATE as i32),
            },
            second_video: second_video.as_ref().map(StreamSetup::of),
        };
        // A scene's sources are paced by the clock: it composes what each has at each tick.
        let realtime = config.realtime
            || config.scene.is_some()
            || !matches!(config.video_source, VideoSource::Test);
        let destinations: Vec<_> = config
            .pushes
            .iter()
            .map(|url| (url, false))
            .chain(config.second_canvas.iter().flat_map(|s| s.pushes.iter().map(|url| (url, true))))
            .collect();
        let shared = Arc::new(Shared::new(realtime, config.video.fps, &destinations));
        let mut started = Started::default();
        let (sound_tx, sound_rx) = bounded::<crate::sound::SoundChange>(16);

        // Sources first: a missing camera must fail before the ingest or the file is touched.
        let (video_rx, writer_tx, writer_rx) = match start_sources(
            &config,
            realtime,
            (audio, sound_rx),
            fonts.as_ref(),
            &shared,
            &mut started,
        ) {
            Ok(sources) => sources,
            Err(e) => return Err(started.abort(&shared, e)),
        };
        // Then the outputs: the push (connected now, or trying) and the recording's writer.
        let writer = match start_outputs(&config, setups, writer_rx, &shared, &mut started) {
            Ok(writer) => writer,
            Err(e) => {
                drop(video_rx);
                return Err(started.abort(&shared, e));
            }
        };
        // Then what turns frames into packets and pictures, and the clock that drives them.
        // (A hardware encoder may have fallen back to x264: the handle reports the one used.)
        let used = video.used;
        let fallback = video.fallback.clone();
        let running = start_encoding(
            &config,
            (video, second_video),
            fonts.as_ref(),
            video_rx,
            writer_tx,
            &shared,
            &mut started,
        );
        let (preview_rx, (overlay_tx, second_overlay_tx), scene_tx, stats_rx) = match running {
            Ok(running) => running,
            Err(e) => {
                let e = started.abort(&shared, e);
                let _ = writer.join();
                return Err(e);
            }
        };
        if let Some(scene) = &config.scene {
            // The first scene is on air from media time 0, for the report.
            shared
                .markers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Marker {
                    kind: MarkerKind::Scene,
                    label: scene.name.clone(),
                    sku: None,
                    start_ms: 0,
                    end_ms: None,
                });
        }
        Ok(PipelineHandle {
            shared,
            threads: started.threads,
            writer: Some(writer),
            stats: stats_rx,
            preview: Some(preview_rx),
            overlay_tx,
            second_overlay: second_overlay_tx.zip(config.second_canvas.as_ref().map(|s| (s.scene.width, s.scene.height))),
            scene_tx,
            sound_tx,
            fonts,
            size: (config.video.width, config.video.height),
            encoder: used,
            encoder_fallback: fallback,
            _claims: claims,
        })
    }
}

/// The stream headers of the encoders.
struct Setups {
    video: StreamSetup,
    audio: StreamSetup,
    second_video: Option<StreamSetup>,
}

impl StreamSetup {
    fn of(video: &encode::OpenedVideo) -> StreamSetup {
        StreamSetup { params: codec::Parameters::from(&*video.encoder), time_base: video.time_base }
    }
}

/// The second canvas's encoder settings: the first's, at its own size, with the bitrate
/// scaled by its share of pixels (a 720×1280 picture beside a 1280×720 one gets the same).
fn second_canvas_settings(config: &Config, scene: &Scene) -> crate::config::VideoSettings {
    let mut settings = config.video.clone();
    let ratio = (scene.width as f64 * scene.height as f64) / (config.video.width as f64 * config.video.height as f64);
    settings.bitrate_kbps = ((settings.bitrate_kbps as f64 * ratio) as u32).clamp(300, 100_000);
    (settings.width, settings.height) = (scene.width, scene.height);
    settings
}

/// The threads started so far; on a failure part-way they are stopped and joined.
#[derive(Default)]
struct Started {
    threads: Vec<(&'static str, JoinHandle<()>)>,
}

impl Started {
    fn push(&mut self, name: &'static str, thread: JoinHandle<()>) {
        self.threads.push((name, thread));
    }

    /// Stops and joins every thread started; returns `error` for the caller to return.
    fn abort(self, shared: &Shared, error: CaptureError) -> CaptureError {
        shared.request_stop(StopReason::Requested);
        for (_, thread) in self.threads {
            let _ = thread.join();
        }
        error
    }
}

/// An ingest that does not answer refuses the start, unless the recording may start
/// without it (the push then keeps trying).
fn check_ingest(config: &Config) -> Result<(), CaptureError> {
    for url in config.all_pushes() {
        match push::check_reachable(url, Duration::from_secs(3)) {
            Ok(()) => {}
            Err(e) if config.start_push_offline => {
                tracing::warn!(%e, "ingest unreachable; recording starts and the push keeps trying")
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The overlay's font: required when an overlay or a font is asked for; otherwise the slate
/// goes without text when none is found.
fn load_fonts(config: &Config) -> Result<Option<Fonts>, CaptureError> {
    match Fonts::load(config.font.as_deref()) {
        Ok(f) => Ok(Some(f)),
        Err(e) if config.overlay.is_some() || config.font.is_some() => Err(e),
        Err(e) => {
            tracing::warn!(%e, "no overlay font; the camera-lost slate will have no text");
            Ok(None)
        }
    }
}

/// Where the compositor's pictures come from.
enum VideoFeed {
    /// One source, fitted to the canvas by its thread.
    Single(Receiver<VideoMsg>),
    /// A scene: a thread per live source, composed by a filter graph; and maybe a second
    /// canvas composed from the same sources.
    Scene(Box<SceneFeed>),
}

struct SceneFeed {
    main: SceneMixer,
    second: Option<SceneMixer>,
    hub: SourceHub,
}

/// Starts one video source thread and waits (15 s at most) for it to open its input.
fn start_video_thread(
    spec: InputSpec,
    shape: source::VideoShape,
    shared: &Arc<Shared>,
    started: &mut Started,
) -> Result<Receiver<VideoMsg>, CaptureError> {
    let (video_tx, video_rx) = bounded::<VideoMsg>(4);
    let (ready_tx, ready_rx) = bounded(1);
    let thread_shared = shared.clone();
    started.push(
        "video-source",
        spawn("video-source", move || {
            source::video_thread(spec, shape, video_tx, thread_shared, ready_tx)
        })?,
    );
    ready_rx
        .recv_timeout(Duration::from_secs(15))
        .unwrap_or(Err(CaptureError::ThreadLost("video-source")))?;
    Ok(video_rx)
}

/// Starts the video and audio sources and waits until each delivers (15 s at most).
/// Returns the pictures' feed and the writer's channel.
fn start_sources(
    config: &Config,
    realtime: bool,
    (audio, sound_rx): (ffmpeg::encoder::Audio, Receiver<crate::sound::SoundChange>),
    fonts: Option<&Fonts>,
    shared: &Arc<Shared>,
    started: &mut Started,
) -> Result<(VideoFeed, Sender<WriterMsg>, Receiver<WriterMsg>), CaptureError> {
    let (w, h, fps) = (config.video.width, config.video.height, config.video.fps);
    let (writer_tx, writer_rx) = bounded::<WriterMsg>(256);
    let camera = |width, height| match &config.video_source {
        VideoSource::Test => source::test_video_spec(width, height, fps, realtime),
        VideoSource::Input(spec) => spec.clone(),
    };
    let video = match &config.scene {
        None => {
            let shape = source::VideoShape {
                width: w,
                height: h,
                keep_size: false,
                listener: false,
            };
            VideoFeed::Single(start_video_thread(camera(w, h), shape, shared, started)?)
        }
        Some(scene) => {
            let mut hub = SourceHub::new(shared.clone(), config.video_source.clone(), config.phone.clone(), realtime);
            // A source is opened once, at the biggest size any layer of either canvas shows
            // it (a camera small in the landscape picture and filling the vertical one is
            // asked for the vertical one's size).
            let scenes: Vec<&Scene> = std::iter::once(scene).chain(config.second_canvas.iter().map(|s| &s.scene)).collect();
            // The test pattern is drawn at the size it is asked for, so it keeps the first
            // picture's shape (as a camera keeps its own mode).
            let drawn = |source: &LayerSource| {
                *source == LayerSource::Test || (*source == LayerSource::Camera && matches!(config.video_source, VideoSource::Test))
            };
            let biggest = |source: &LayerSource| {
                let mut sizes = scenes
                    .iter()
                    .flat_map(|s| s.layers.iter().filter(|l| l.source == *source).map(|l| l.rect.pixels(s.width, s.height)))
                    .map(|(_, _, w, h)| (w, h));
                let size = if drawn(source) { sizes.next() } else { sizes.max_by_key(|&(w, h)| u64::from(w) * u64::from(h)) };
                size.unwrap_or((w, h))
            };
            let mut mixer = |scene: &Scene, hub: &mut SourceHub| -> Result<SceneMixer, CaptureError> {
                let mut live = Vec::new();
                for layer in scene.layers.iter().filter(|l| l.source.is_live()) {
                    let subscribed = hub.subscribe(&layer.source, biggest(&layer.source), true);
                    // Whatever started is joined by `started`, also when this failed.
                    started.threads.extend(hub.threads.drain(..).map(|t| ("video-source", t)));
                    live.push(subscribed?);
                }
                SceneMixer::new(scene, fps, fonts, live)
            };
            let main = mixer(scene, &mut hub)?;
            let second = match &config.second_canvas {
                Some(second) => Some(mixer(&second.scene, &mut hub)?),
                None => None,
            };
            VideoFeed::Scene(Box::new(SceneFeed { main, second, hub }))
        }
    };
    let feed = match &config.audio_source {
        AudioSource::Test => AudioFeed::Input(source::test_audio_spec(realtime)),
        AudioSource::Silence => AudioFeed::Silence,
        AudioSource::Input(spec) => AudioFeed::Input(spec.clone()),
    };
    let (ready_tx, ready_rx) = bounded(1);
    let (thread_shared, audio_tx) = (shared.clone(), writer_tx.clone());
    // Built here, so a graph FFmpeg refuses is an error before anything is recorded.
    let mixer = crate::sound::Mixer::new(&config.sound).map_err(CaptureError::ffmpeg("building the sound mix"))?;
    started.push(
        "audio",
        spawn("audio", move || {
            source::audio_thread(feed, (mixer, sound_rx), audio, audio_tx, thread_shared, ready_tx)
        })?,
    );
    ready_rx
        .recv_timeout(Duration::from_secs(15))
        .unwrap_or(Err(CaptureError::ThreadLost("audio")))?;
    Ok((video, writer_tx, writer_rx))
}

/// Connects the push (or leaves it trying, when the recording may start without it), opens
/// the recording and starts the writer, which feeds both. Returns the writer's thread.
fn start_outputs(
    config: &Config,
    setups: Setups,
    writer_rx: Receiver<WriterMsg>,
    shared: &Arc<Shared>,
    started: &mut Started,
) -> Result<JoinHandle<Result<RecordingSummary, CaptureError>>, CaptureError> {
    let mut targets = Vec::new();
    for (url, second) in config.all_pushes().into_iter().zip(shared.destinations.iter().map(|d| d.second_canvas)) {
        let video = match (&setups.second_video, second) {
            (Some(second_video), true) => second_video.clone(),
            _ => setups.video.clone(),
        };
        let target = PushTarget {
            url: url.clone(),
            video,
            audio: setups.audio.clone(),
        };
        let first = match push::connect(&target) {
            Ok(c) => Some(c),
            Err(e) if config.start_push_offline => {
                tracing::warn!(%e, "push not connected at start; it keeps trying");
                None
            }
            Err(e) => return Err(e),
        };
        targets.push((target, first));
    }
    if config.overwrite && config.output.exists() {
        let _ = std::fs::remove_file(&config.output);
    }
    let recording = writer::open_recording(
        &config.output,
        config.container(),
        &setups.video,
        &setups.audio,
    )?;
    let mut push_txs = Vec::new();
    for (index, (target, first)) in targets.into_iter().enumerate() {
        let (tx, rx) = bounded::<PushMsg>(512);
        let (thread_shared, policy) = (shared.clone(), config.reconnect.clone());
        started.push(
            "push",
            spawn("push", move || {
                push::push_thread(target, first, rx, thread_shared, index, policy)
            })?,
        );
        push_txs.push((tx, shared.destinations[index].second_canvas));
    }
    let thread_shared = shared.clone();
    let finish = writer::Finish {
        remux_mp4: config.remux_on_stop,
        second_canvas: config.second_canvas.is_some(),
    };
    spawn("writer", move || {
        let result = writer::writer_thread(
            recording,
            writer_rx,
            push_txs,
            thread_shared.clone(),
            finish,
        );
        thread_shared.finished.store(true, Ordering::SeqCst);
        result
    })
}

type OverlayTx = Sender<Option<Arc<OverlayImage>>>;

type Running = (
    tokio::sync::mpsc::Receiver<PreviewFrame>,
    (OverlayTx, Option<OverlayTx>),
    Option<Sender<Scene>>,
    tokio::sync::watch::Receiver<Stats>,
);

/// Which picture an encoder thread encodes.
#[derive(Clone, Copy, PartialEq)]
enum Canvas {
    Main,
    Second,
}

/// Starts the video encoder, the preview, the compositor (the clock, the overlay and the
/// slate) and the stats; returns what the handle keeps of them.
fn start_encoding(
    config: &Config,
    (video, second_video): (encode::OpenedVideo, Option<encode::OpenedVideo>),
    fonts: Option<&Fonts>,
    video_rx: VideoFeed,
    writer_tx: Sender<WriterMsg>,
    shared: &Arc<Shared>,
    started: &mut Started,
) -> Result<Running, CaptureError> {
    let (w, h, fps) = (config.video.width, config.video.height, config.video.fps);
    let encoder_note = (video.used.ffmpeg_name().to_owned(), video.fallback.clone());
    // A second of frames: the encoder may stall that long (a CPU spike) before the
    // compositor has to skip frames.
    let (enc_tx, enc_rx) = bounded::<frame::Video>(fps as usize);
    let (thread_shared, settings) = (shared.clone(), config.video.clone());
    let second_writer_tx = writer_tx.clone();
    started.push(
        "video-encoder",
        spawn("video-encoder", move || {
            video_encode_thread(enc_rx, video, settings, writer_tx, thread_shared, Canvas::Main)
        })?,
    );
    let (preview_frame_tx, preview_frame_rx) = bounded::<frame::Video>(1);
    let (preview_tx, preview_rx) = tokio::sync::mpsc::channel::<PreviewFrame>(2);
    let preview_every = if config.preview_fps == 0 {
        0
    } else {
        (fps / config.preview_fps.min(fps)).max(1)
    };
    if preview_every > 0 {
        let pw = config.preview_width.clamp(64, w) & !1;
        let ph = ((pw as u64 * h as u64 / w as u64) as u32).max(2) & !1;
        let (thread_shared, pfps, tx) = (shared.clone(), config.preview_fps, preview_tx.clone());
        started.push(
            "preview",
            spawn("preview", move || {
                preview_thread(preview_frame_rx, tx, pw, ph, pfps, thread_shared, false)
            })?,
        );
    }

    let mut second = None;
    if let (Some(video), Some(canvas)) = (second_video, &config.second_canvas) {
        let (tx, rx) = bounded::<frame::Video>(fps as usize);
        let (thread_shared, settings) = (shared.clone(), second_canvas_settings(config, &canvas.scene));
        started.push(
            "video-encoder",
            spawn("video-encoder", move || {
                video_encode_thread(rx, video, settings, second_writer_tx, thread_shared, Canvas::Second)
            })?,
        );
        let (overlay_tx, overlay_rx) = bounded::<Option<Arc<OverlayImage>>>(8);
        let (cw, ch) = (canvas.scene.width, canvas.scene.height);
        let overlay = match (&config.overlay, fonts) {
            (Some(o), Some(f)) => Some(Arc::new(overlay::render(o, f, cw, ch))),
            _ => None,
        };
        // Its own preview, as tall as the first picture's, so the window can show what the
        // second picture's viewers see beside it.
        let mut preview = None;
        if preview_every > 0 {
            let ph = ((config.preview_width.clamp(64, w) as u64 * h as u64 / w as u64) as u32).max(2) & !1;
            let pw = ((ph as u64 * cw as u64 / ch as u64) as u32).max(2) & !1;
            let (frame_tx, frame_rx) = bounded::<frame::Video>(1);
            let (thread_shared, pfps, tx) = (shared.clone(), config.preview_fps, preview_tx.clone());
            started.push(
                "preview",
                spawn("preview", move || preview_thread(frame_rx, tx, pw, ph, pfps, thread_shared, true))?,
            );
            preview = Some((frame_tx, preview_every as i64));
        }
        second = Some((
            SecondOutput { enc_tx: tx, overlay_rx, overlay, slate: overlay::slate(fonts, cw, ch), preview },
            overlay_tx,
        ));
    }
    let (second, second_overlay_tx) = match second {
        Some((output, tx)) => (Some(output), Some(tx)),
        None => (None, None),
    };

    let (overlay_tx, overlay_rx) = bounded::<Option<Arc<OverlayImage>>>(8);
    let initial_overlay = match (&config.overlay, fonts) {
        (Some(o), Some(f)) => Some(Arc::new(overlay::render(o, f, w, h))),
        _ => None,
    };
    let max_frames = config
        .duration_ms
        .map(|ms| (ms as i64 * fps as i64 + 999) / 1000);
    if let Some(frames) = max_frames {
        // Known up front, so a source-paced audio thread does not run far past the end.
        shared
            .end_us
            .store(shared.frame_us(frames), Ordering::SeqCst);
    }
    let (scene_tx, scene_rx) = bounded::<Scene>(2);
    let is_scene = matches!(video_rx, VideoFeed::Scene(_));
    let comp = Compositor {
        scene_rx,
        hub: None,
        second,
        fonts: fonts.cloned(),
        feed: Some(video_rx),
        enc_tx,
        preview_tx: (preview_every > 0).then_some(preview_frame_tx),
        preview_every: preview_every as i64,
        overlay_rx,
        overlay: initial_overlay,
        slate: overlay::slate(fonts, w, h),
        shared: shared.clone(),
        fps,
        max_frames,
    };
    started.push("compositor", spawn("compositor", move || comp.run())?);

    let (stats_tx, stats_rx) = tokio::sync::watch::channel(Stats::default());
    let (thread_shared, output) = (shared.clone(), config.output.clone());
    let second_size = config.second_canvas.as_ref().map(|s| (s.scene.width, s.scene.height));
    started.push(
        "stats",
        spawn("stats", move || {
            stats_thread(stats_tx, thread_shared, output, encoder_note, second_size)
        })?,
    );
    Ok((
        preview_rx,
        (overlay_tx, second_overlay_tx),
        is_scene.then_some(scene_tx),
        stats_rx,
    ))
}

impl PipelineHandle {
    /// Shows `overlay` from the next frame on, or removes it with `None`.
    ///
    /// The card is rasterised here, on the caller's thread, and swapped in whole
    /// between two frames.
    pub fn set_overlay(&self, overlay: Option<&Overlay>) -> Result<(), CaptureError> {
        let image = match (overlay, &self.fonts) {
            (None, _) => None,
            (Some(o), Some(f)) => Some(Arc::new(overlay::render(o, f, self.size.0, self.size.1))),
            (Some(_), None) => {
                return Err(CaptureError::BadConfig(
                    "no CJK font available for overlays".to_owned(),
                ));
            }
        };
        if let (Some((tx, (w, h))), Some(fonts)) = (&self.second_overlay, &self.fonts) {
            let second = overlay.map(|o| Arc::new(overlay::render(o, fonts, *w, *h)));
            tx.send(second).map_err(|_| CaptureError::ThreadLost("compositor"))?;
        }
        self.overlay_tx
            .send(image)
            .map_err(|_| CaptureError::ThreadLost("compositor"))
    }

    /// Puts `scene` on air from the next frame, without a gap in the recording or the
    /// pushes: sources both scenes show keep running, new ones show their slate until
    /// their first picture. The canvas stays (a portrait picture beside a landscape one
    /// is a second canvas, [`crate::SecondCanvas`], which keeps its scene). Returns the
    /// scene marker stamped for the report.
    pub fn set_scene(&self, scene: &Scene) -> Result<Marker, CaptureError> {
        let Some(tx) = &self.scene_tx else {
            return Err(CaptureError::BadConfig(
                "this broadcast was started without a scene; start it with one to switch scenes"
                    .to_owned(),
            ));
        };
        scene.validate()?;
        if (scene.width, scene.height) != self.size {
            return Err(CaptureError::BadConfig(format!(
                "scene {:?} is {}x{}, the picture on air is {}x{}; a scene switch keeps the canvas",
                scene.name, scene.width, scene.height, self.size.0, self.size.1
            )));
        }
        tx.send(scene.clone())
            .map_err(|_| CaptureError::ThreadLost("compositor"))?;
        Ok(self.marker(MarkerKind::Scene, &scene.name, None))
    }

    /// Mutes the microphone or stops the music (and back) from the next audio frame on.
    pub fn change_sound(&self, change: crate::sound::SoundChange) -> Result<(), CaptureError> {
        change.check()?;
        self.sound_tx.send(change).map_err(|_| CaptureError::ThreadLost("audio"))
    }

    /// Stamps a marker at the current media time.
    pub fn marker(&self, kind: MarkerKind, label: &str, sku: Option<&str>) -> Marker {
        push_marker(&self.shared, kind, label, sku)
    }

    /// Health figures, updated once a second.
    pub fn stats(&self) -> tokio::sync::watch::Receiver<Stats> {
        self.stats.clone()
    }

    /// Preview frames (a few per second; old ones are dropped when the reader is slow).
    /// Returns `None` after the first call.
    pub fn take_preview(&mut self) -> Option<tokio::sync::mpsc::Receiver<PreviewFrame>> {
        self.preview.take()
    }

    /// The microphone level, updated every 100 ms (for a level meter).
    pub fn audio_level(&self) -> tokio::sync::watch::Receiver<AudioLevel> {
        self.shared.audio_level.subscribe()
    }

    /// Media time of the newest frame.
    pub fn media_time(&self) -> Duration {
        self.media_clock().now()
    }

    /// A handle on the recording's clock that other threads may keep and read.
    pub fn media_clock(&self) -> MediaClock {
        MediaClock(self.shared.clone())
    }

    /// Makes push destination `index` (in the order of `Config::all_pushes`) try to connect
    /// at once instead of waiting out its backoff. A live destination is left alone.
    pub fn reconnect_now(&self, index: usize) -> Result<(), CaptureError> {
        let dest = self.shared.destinations.get(index).ok_or_else(|| {
            CaptureError::BadConfig(format!(
                "no push destination {}; this broadcast has {}",
                index + 1,
                self.shared.destinations.len()
            ))
        })?;
        dest.reconnect_now.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Where a phone pushes to join the scene (`srt://ADDRESS:PORT?passphrase=…`), once a
    /// scene with a phone layer has been on air in this broadcast. It holds this broadcast's
    /// passphrase: show it to the anchor, never log it.
    pub fn phone_url(&self) -> Option<String> {
        self.shared.phone_url()
    }

    /// Why the hardware encoder asked for was not used (it failed to open, or on its first
    /// frames), when the recording fell back to libx264.
    pub fn encoder_fallback(&self) -> Option<&str> {
        self.encoder_fallback.as_deref()
    }

    /// The encoder in use (a hardware encoder may have fallen back to x264).
    pub fn encoder(&self) -> crate::config::VideoEncoder {
        self.encoder
    }

    /// True once the recording is finalised (duration reached, disk full, or stopped).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::SeqCst)
    }

    /// Stops capture, flushes the encoders, finalises the recording and the sidecar.
    pub fn stop(mut self) -> Result<RecordingSummary, CaptureError> {
        self.shared.request_stop(StopReason::Requested);
        self.join()
    }

    /// Waits until the pipeline stops by itself (duration reached or disk full).
    pub fn wait(mut self) -> Result<RecordingSummary, CaptureError> {
        self.join()
    }

    fn join(&mut self) -> Result<RecordingSummary, CaptureError> {
        let result = match self.writer.take() {
            Some(w) => w.join().unwrap_or(Err(CaptureError::ThreadLost("writer"))),
            None => Err(CaptureError::ThreadLost("writer")),
        };
        self.shared.request_stop(StopReason::Requested);
        for (name, t) in self.threads.drain(..) {
            if t.join().is_err() {
                tracing::error!(thread = name, "pipeline thread panicked");
            }
        }
        result
    }
}

impl Drop for PipelineHandle {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.shared.request_stop(StopReason::Requested);
            let _ = self.join();
        }
    }
}

struct Compositor {
    /// Taken by the loop that runs it.
    feed: Option<VideoFeed>,
    /// Scenes switched to on air.
    scene_rx: Receiver<Scene>,
    /// The scenes' sources, for the scenes switched to (taken from the feed).
    hub: Option<SourceHub>,
    /// The second canvas's encoder, card and slate.
    second: Option<SecondOutput>,
    fonts: Option<Fonts>,
    enc_tx: Sender<frame::Video>,
    preview_tx: Option<Sender<frame::Video>>,
    preview_every: i64,
    overlay_rx: Receiver<Option<Arc<OverlayImage>>>,
    overlay: Option<Arc<OverlayImage>>,
    slate: frame::Video,
    shared: Arc<Shared>,
    fps: u32,
    max_frames: Option<i64>,
}

/// Where the second canvas's pictures go.
struct SecondOutput {
    enc_tx: Sender<frame::Video>,
    overlay_rx: Receiver<Option<Arc<OverlayImage>>>,
    overlay: Option<Arc<OverlayImage>>,
    slate: frame::Video,
    /// Its preview's queue and how often it takes a picture.
    preview: Option<(Sender<frame::Video>, i64)>,
}

impl SecondOutput {
    /// Hands the second canvas's picture `n` to its encoder (skipped when it lags).
    fn emit(&mut self, mut out: frame::Video, n: i64, counters: &Counters) -> bool {
        while let Ok(update) = self.overlay_rx.try_recv() {
            self.overlay = update;
        }
        if let Some(o) = &self.overlay {
            o.blend(&mut out);
        }
        out.set_pts(Some(n));
        if let Some((preview, every)) = &self.preview
            && n % every == 0
        {
            let _ = preview.try_send(out.clone());
        }
        match self.enc_tx.try_send(out) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                Counters::add(&counters.second_frames_skipped, 1);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

/// How long without a frame before the slate replaces the frozen picture.
const LOST_AFTER: Duration = Duration::from_millis(1500);

impl Compositor {
    fn run(mut self) {
        let n = match self.feed.take() {
            Some(VideoFeed::Scene(feed)) => {
                let SceneFeed { main, second, hub } = *feed;
                self.hub = Some(hub);
                self.run_scene(main, second)
            }
            Some(VideoFeed::Single(rx)) if self.shared.realtime => self.run_wall_clock(rx),
            Some(VideoFeed::Single(rx)) => self.run_source_paced(rx),
            None => 0,
        };
        self.shared
            .end_us
            .store(self.shared.frame_us(n), Ordering::SeqCst);
        if self.shared.stop_reason() == StopReason::Running {
            self.shared.request_stop(StopReason::Duration);
        }
        // Closing the encoders' and the preview's queues ends them now, before waiting for
        // any source (a camera's read may block a moment).
        self.second = None;
        self.preview_tx = None;
        drop(std::mem::replace(&mut self.enc_tx, bounded(1).0));
        // Sources started by a scene switch; they see the stop flag or their closed channel.
        for thread in self.hub.iter_mut().flat_map(|hub| hub.threads.drain(..)) {
            let _ = thread.join();
        }
        tracing::debug!(frames = n, "compositor finished");
    }

    /// The frame after `n` on the wall clock from `t0`. After a stall (a suspended laptop, a
    /// starved CPU) it jumps to the wall clock instead of bursting frames; the jump counts as
    /// skipped.
    fn next_frame(&self, t0: Instant, n: i64) -> i64 {
        let n = n + 1;
        let behind = (t0.elapsed().as_secs_f64() * self.fps as f64) as i64 - n;
        if behind > self.fps as i64 {
            Counters::add(&self.shared.counters.frames_skipped, behind as u64);
            return n + behind;
        }
        n
    }

    fn done(&self, n: i64) -> bool {
        self.shared.stop.load(Ordering::Relaxed) || self.max_frames.is_some_and(|m| n >= m)
    }

    /// Emits frame `n` (the caller's own copy): overlay, hand to the encoder (skip if it
    /// lags), preview.
    fn emit(&mut self, mut out: frame::Video, n: i64, block: bool) -> bool {
        let mut changed = false;
        while let Ok(update) = self.overlay_rx.try_recv() {
            self.overlay = update;
            changed = true;
        }
        if changed {
            // The first frame that shows the change: what the overlay latency is measured to.
            self.shared
                .overlay_applied_us
                .store(self.shared.frame_us(n), Ordering::Relaxed);
        }
        if let Some(o) = &self.overlay {
            o.blend(&mut out);
        }
        out.set_pts(Some(n));
        let c = &self.shared.counters;
        Counters::add(&c.frames_composed, 1);
        self.shared
            .media_us
            .store(self.shared.frame_us(n), Ordering::Relaxed);
        if let Some(p) = &self.preview_tx
            && n % self.preview_every == 0
        {
            let _ = p.try_send(out.clone());
        }
        if block {
            return self.enc_tx.send(out).is_ok();
        }
        match self.enc_tx.try_send(out) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                Counters::add(&c.frames_skipped, 1);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Constant frame rate on the wall clock: each tick takes the newest camera frame,
    /// repeats the last one if none came, or shows the slate if the camera is gone.
    fn run_wall_clock(&mut self, rx: Receiver<VideoMsg>) -> i64 {
        let frame_dur = Duration::from_secs_f64(1.0 / self.fps as f64);
        let mut latest: Option<frame::Video> = None;
        let mut fresh = false;
        let mut last_frame_at = Instant::now();
        let mut lost = false;
        // Media time 0 is the first camera frame (or 5 s of nothing: start on the slate).
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(VideoMsg::Frame(f)) => {
                latest = Some(f);
                fresh = true;
            }
            Ok(VideoMsg::Lost(_)) | Err(_) => lost = true,
        }
        let t0 = Instant::now();
        self.shared.set_t0(t0);
        // Out of self, so a frame can be borrowed from it while emit() takes &mut self.
        let slate = std::mem::replace(&mut self.slate, frame::Video::empty());
        let shared = self.shared.clone();
        let c = &shared.counters;
        let mut n: i64 = 0;
        while !self.done(n) {
            let deadline = t0 + frame_dur.mul_f64(n as f64 + 0.5);
            loop {
                match rx.recv_deadline(deadline) {
                    Ok(VideoMsg::Frame(f)) => {
                        latest = Some(f);
                        fresh = true;
                        lost = false;
                        last_frame_at = Instant::now();
                    }
                    Ok(VideoMsg::Lost(message)) => {
                        tracing::warn!(%message, "camera lost; showing the slate");
                        lost = true;
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        lost = true;
                        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                        break;
                    }
                }
            }
            let show_slate = lost || latest.is_none() || last_frame_at.elapsed() > LOST_AFTER;
            c.source_lost.store(show_slate, Ordering::Relaxed);
            let picture = match &latest {
                Some(frame) if !show_slate => {
                    if !fresh {
                        Counters::add(&c.frames_duplicated, 1);
                    }
                    frame
                }
                _ => &slate,
            };
            fresh = false;
            if !self.emit(picture.clone(), n, false) {
                break;
            }
            n = self.next_frame(t0, n);
        }
        n
    }

    /// As fast as the source delivers: one output frame per source frame (benchmarks).
    fn run_source_paced(&mut self, rx: Receiver<VideoMsg>) -> i64 {
        self.shared.set_t0(Instant::now());
        let mut n: i64 = 0;
        while !self.done(n) {
            match rx.recv() {
                Ok(VideoMsg::Frame(f)) => {
                    if !self.emit(f, n, true) {
                        break;
                    }
                    n += 1;
                }
                Ok(VideoMsg::Lost(_)) | Err(_) => break,
            }
        }
        n
    }
}

impl Compositor {
    /// A scene on the wall clock: at each tick, what every layer has now, composed by the
    /// scene's graph. A layer without pictures shows its slate; the others go on.
    fn run_scene(&mut self, mut mixer: SceneMixer, mut second: Option<SceneMixer>) -> i64 {
        let frame_dur = Duration::from_secs_f64(1.0 / self.fps as f64);
        // Media time 0 is the camera's first frame, or 5 s of nothing.
        mixer.wait_first(Duration::from_secs(5));
        let t0 = Instant::now();
        self.shared.set_t0(t0);
        let shared = self.shared.clone();
        let c = &shared.counters;
        let slate = std::mem::replace(&mut self.slate, frame::Video::empty());
        let (mut failing, mut second_failing) = (false, false);
        let mut n: i64 = 0;
        while !self.done(n) {
            let deadline = t0 + frame_dur.mul_f64(n as f64 + 0.5);
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            while let Ok(next) = self.scene_rx.try_recv() {
                let Some(hub) = self.hub.as_mut() else { break };
                match mixer.switch(&next, self.fonts.as_ref(), |source, size| {
                    hub.subscribe(source, size, false)
                }) {
                    Ok(()) => tracing::info!(scene = %next.name, "scene switched"),
                    Err(e) => {
                        tracing::error!(%e, scene = %next.name, "cannot switch to the scene; the scene before stays")
                    }
                }
            }
            let poll = mixer.poll();
            c.source_lost.store(poll.lost, Ordering::Relaxed);
            if !poll.fresh {
                Counters::add(&c.frames_duplicated, 1);
            }
            let ok = match mixer.compose(n) {
                Ok(Some(canvas)) => {
                    failing = false;
                    self.emit(canvas, n, false)
                }
                Ok(None) => {
                    Counters::add(&c.frames_skipped, 1);
                    true
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(%e, graph = %mixer.current_description(), "the scene cannot be composed; the slate shows");
                    }
                    failing = true;
                    self.emit(slate.clone(), n, false)
                }
            };
            if !ok {
                break;
            }
            if let (Some(mixer), Some(output)) = (second.as_mut(), self.second.as_mut()) {
                let poll = mixer.poll();
                shared.second_source_lost.store(poll.lost, Ordering::Relaxed);
                let taken = match mixer.compose(n) {
                    Ok(Some(canvas)) => {
                        second_failing = false;
                        output.emit(canvas, n, c)
                    }
                    Ok(None) => {
                        Counters::add(&c.second_frames_skipped, 1);
                        true
                    }
                    Err(e) => {
                        if !second_failing {
                            tracing::error!(%e, "the second canvas cannot be composed; its slate shows");
                        }
                        second_failing = true;
                        let slate = output.slate.clone();
                        output.emit(slate, n, c)
                    }
                };
                if !taken {
                    // Its encoder gave up (said in the stats and a marker): the second picture
                    // ends here; the recording and the first picture's pushes go on.
                    self.second = None;
                }
            }
            n = self.next_frame(t0, n);
        }
        n
    }
}

/// Stamps a marker at the current media time.
fn push_marker(shared: &Shared, kind: MarkerKind, label: &str, sku: Option<&str>) -> Marker {
    let marker = Marker { kind, label: label.to_owned(), sku: sku.map(str::to_owned), start_ms: shared.media_ms(), end_ms: None };
    shared.markers.lock().unwrap_or_else(|p| p.into_inner()).push(marker.clone());
    marker
}

/// How an encoder's turn with one frame ended.
enum Drained {
    /// Every packet it had went to the writer.
    Done,
    /// The writer is gone: stop.
    WriterGone,
    /// The encoder itself failed.
    Failed(ffmpeg::Error),
}

fn video_encode_thread(
    rx: Receiver<frame::Video>,
    video: encode::OpenedVideo,
    settings: crate::config::VideoSettings,
    tx: Sender<WriterMsg>,
    shared: Arc<Shared>,
    canvas: Canvas,
) {
    let c = &shared.counters;
    let (frames_encoded, encode_ns) = match canvas {
        Canvas::Main => (&c.frames_encoded, &c.encode_ns),
        Canvas::Second => (&c.second_frames_encoded, &c.second_encode_ns),
    };
    let packet_msg = match canvas {
        Canvas::Main => WriterMsg::Video,
        Canvas::Second => WriterMsg::SecondVideo,
    };
    let us = Rational::new(1, 1_000_000);
    let tb = video.time_base;
    let (mut encoder, mut used, mut upload) = (video.encoder, video.used, video.upload);
    let drain = |encoder: &mut ffmpeg::encoder::Video| -> Drained {
        loop {
            let mut packet = codec::packet::Packet::empty();
            match encoder.receive_packet(&mut packet) {
                Ok(()) => {}
                Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => return Drained::Done,
                Err(ffmpeg::Error::Eof) => return Drained::Done,
                Err(e) => return Drained::Failed(e),
            }
            if packet.duration() == 0 {
                packet.set_duration(1);
            }
            if let Some(pts) = packet.pts()
                && canvas == Canvas::Main
            {
                c.encoded_media_us
                    .fetch_max(pts.rescale(tb, us).max(0) as u64, Ordering::Relaxed);
            }
            Counters::add(frames_encoded, 1);
            if tx.send(packet_msg(packet)).is_err() {
                return Drained::WriterGone;
            }
        }
    };
    let mut sent = 0u64;
    // Tests fail the stand-in hardware encoder after this many frames.
    #[cfg(feature = "fault-injection")]
    let fail_after: Option<u64> = std::env::var("ANCHORDESK_FAIL_ENCODER_AFTER").ok().and_then(|n| n.parse().ok());
    // And the second canvas's encoder, for good (no takeover helps), after this many.
    #[cfg(feature = "fault-injection")]
    let fail_second_after: Option<u64> =
        if canvas == Canvas::Second { std::env::var("ANCHORDESK_FAIL_SECOND_ENCODER_AFTER").ok().and_then(|n| n.parse().ok()) } else { None };
    // The recording's encoder failing for good stops the recording; the second canvas's ends
    // the second picture only (its pushes stop, the rest goes on).
    let give_up = |reason: String| match canvas {
        Canvas::Main => {
            tracing::error!(%reason, "the recording stops");
            shared.request_stop(StopReason::WriteFailed);
        }
        Canvas::Second => {
            let reason = format!("the second picture stopped: {reason}");
            tracing::error!(%reason, "the recording and the other pushes go on");
            push_marker(&shared, MarkerKind::Encoder, &reason, None);
            *shared.second_encoder_note.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
        }
    };
    for frame in rx.iter() {
        let started = Instant::now();
        let sent_frame = match upload.prepare(&frame) {
            Ok(prepared) => encoder.send_frame(&prepared),
            Err(message) => {
                tracing::error!(%message, "the picture did not reach the encoder");
                Err(ffmpeg::Error::External)
            }
        };
        let mut outcome = match sent_frame {
            Err(e) if used != VideoEncoder::X264 => Drained::Failed(e),
            Err(e) => {
                tracing::warn!(%e, "video encoder rejected a frame");
                Drained::Done
            }
            Ok(()) => drain(&mut encoder),
        };
        #[cfg(feature = "fault-injection")]
        if used != VideoEncoder::X264 && fail_after.is_some_and(|n| sent >= n) {
            outcome = Drained::Failed(ffmpeg::Error::Bug);
        }
        sent += 1;
        #[cfg(feature = "fault-injection")]
        if fail_second_after.is_some_and(|n| sent > n) {
            give_up("its encoder failed (injected)".to_owned());
            break;
        }
        if let Drained::Failed(e) = outcome {
            // A hardware encoder that fails on air: libx264 takes over at this frame, in the
            // same recording and pushes; what the failed one still held is lost.
            let reason = match canvas {
                Canvas::Main => format!("{} failed after {sent} frames ({e}); libx264 took over in the same recording", used.ffmpeg_name()),
                Canvas::Second => format!("{} failed on the second canvas after {sent} frames ({e}); libx264 took over in the same pushes", used.ffmpeg_name()),
            };
            tracing::error!(%reason, "video encoder failed");
            match encode::open_takeover(&settings) {
                Ok(takeover) => {
                    (encoder, used, upload) = (takeover.encoder, VideoEncoder::X264, takeover.upload);
                    push_marker(&shared, MarkerKind::Encoder, &reason, None);
                    let note = match canvas {
                        Canvas::Main => &shared.encoder_takeover,
                        Canvas::Second => &shared.second_encoder_note,
                    };
                    *note.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                    outcome = match encoder.send_frame(&frame) {
                        Ok(()) => drain(&mut encoder),
                        Err(e) => Drained::Failed(e),
                    };
                }
                Err(err) => {
                    give_up(format!("libx264 could not take over from {} ({err})", used.ffmpeg_name()));
                    break;
                }
            }
        }
        Counters::add(encode_ns, started.elapsed().as_nanos() as u64);
        match outcome {
            Drained::Done => {}
            Drained::WriterGone => return,
            Drained::Failed(e) => {
                give_up(format!("libx264 failed ({e})"));
                break;
            }
        }
    }
    let _ = encoder.send_eof();
    drain(&mut encoder);
    let _ = tx.send(match canvas {
        Canvas::Main => WriterMsg::VideoEnd,
        Canvas::Second => WriterMsg::SecondVideoEnd,
    });
}

pub(crate) fn preview_thread(
    rx: Receiver<frame::Video>,
    tx: tokio::sync::mpsc::Sender<PreviewFrame>,
    width: u32,
    height: u32,
    fps: u32,
    shared: Arc<Shared>,
    second: bool,
) {
    let Some(codec) = ffmpeg::encoder::find(codec::Id::MJPEG) else {
        tracing::warn!("no MJPEG encoder; preview off");
        return;
    };
    let open = || -> Result<ffmpeg::encoder::Video, ffmpeg::Error> {
        let mut enc = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()?;
        enc.set_width(width);
        enc.set_height(height);
        enc.set_format(format::Pixel::YUVJ420P);
        enc.set_time_base(Rational::new(1, fps.max(1) as i32));
        enc.set_global_quality(4 * 118);
        enc.set_flags(codec::Flags::QSCALE);
        enc.open()
    };
    let mut encoder = match open() {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(%e, "cannot open the preview encoder; preview off");
            return;
        }
    };
    let mut scaler = None;
    for picture in rx.iter() {
        let scaler = match &mut scaler {
            Some(s) => s,
            None => match ffmpeg::software::scaling::Context::get(
                picture.format(),
                picture.width(),
                picture.height(),
                format::Pixel::YUVJ420P,
                width,
                height,
                ffmpeg::software::scaling::Flags::BILINEAR,
            ) {
                Ok(s) => scaler.insert(s),
                Err(_) => return,
            },
        };
        let mut small = frame::Video::empty();
        if scaler.run(&picture, &mut small).is_err() {
            continue;
        }
        small.set_pts(picture.pts());
        if encoder.send_frame(&small).is_err() {
            continue;
        }
        let mut packet = codec::packet::Packet::empty();
        while encoder.receive_packet(&mut packet).is_ok() {
            if let Some(data) = packet.data() {
                let frame = PreviewFrame {
                    jpeg: data.to_vec(),
                    second,
                    width,
                    height,
                    media_time_ms: shared.media_ms() as f64,
                };
                // A slow reader loses frames; the pipeline never waits for the UI.
                let _ = tx.try_send(frame);
            }
        }
    }
}

/// Returns to the system the memory that threads have freed but the allocator still holds.
/// Frames pass between the source, compositor, encoder and preview threads, and glibc keeps
/// what a burst freed (a queue of a second of frames while the encoder was starved) in each
/// thread's arena; on the live console that was about 10 MB
/// (`scripts/bench-live-footprint.sh`, issue 18). A few milliseconds every ten seconds.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn stats_thread(
    tx: tokio::sync::watch::Sender<Stats>,
    shared: Arc<Shared>,
    output: std::path::PathBuf,
    (encoder, encoder_fallback): (String, Option<String>),
    second_size: Option<(u32, u32)>,
) {
    let c = &shared.counters;
    let mut prev_second = (0u64, 0u64, 0u64);
    let mut prev_encoded = 0u64;
    let mut prev_bytes = 0u64;
    let mut prev_push: Vec<u64> = vec![0; shared.destinations.len()];
    let mut prev_skipped = 0u64;
    let mut prev_ns = 0u64;
    let mut prev_at = Instant::now();
    let mut disk_warned = false;
    let mut ticks = 0u64;
    loop {
        let finished = shared.finished.load(Ordering::SeqCst);
        // Sleep in small steps so the last figures come out right after the end.
        let wake = prev_at + Duration::from_secs(1);
        while !finished && Instant::now() < wake && !shared.finished.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let finished = shared.finished.load(Ordering::SeqCst);
        let secs = prev_at.elapsed().as_secs_f64().max(1e-3);
        prev_at = Instant::now();
        let encoded = Counters::get(&c.frames_encoded);
        let bytes = Counters::get(&c.encoded_bytes);
        let destinations: Vec<_> = shared
            .destinations
            .iter()
            .zip(&prev_push)
            .map(|(d, &prev)| d.stats(prev, secs))
            .collect();
        let skipped = Counters::get(&c.frames_skipped);
        let ns = Counters::get(&c.encode_ns);
        let total = Counters::get(&c.frames_composed);
        let media_us = shared.media_us.load(Ordering::Relaxed).max(0) as u64;
        let encoded_us = Counters::get(&c.encoded_media_us);
        let d_encoded = encoded - prev_encoded;
        let skipped_last = (skipped - prev_skipped) as u32;
        let disk_free = crate::disk::available_bytes(&output);
        // libx264 taking over from a failed hardware encoder changes what the console says.
        let takeover = shared.encoder_takeover.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let second_canvas = second_size.map(|(width, height)| {
            let (frames, ns) = (Counters::get(&c.second_frames_encoded), Counters::get(&c.second_encode_ns));
            let skipped = Counters::get(&c.second_frames_skipped);
            let d_frames = frames - prev_second.0;
            let figures = SecondCanvasStats {
                width,
                height,
                fps: d_frames as f64 / secs,
                encode_ms_per_frame: if d_frames > 0 { (ns - prev_second.1) as f64 / d_frames as f64 / 1e6 } else { 0.0 },
                skipped_frames: skipped as u32,
                skipped_last_second: (skipped - prev_second.2) as u32,
                source_lost: shared.second_source_lost.load(Ordering::Relaxed),
                encoder_note: shared.second_encoder_note.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            };
            prev_second = (frames, ns, skipped);
            figures
        });
        let mut stats = Stats {
            media_time_ms: media_us as f64 / 1000.0,
            fps: d_encoded as f64 / secs,
            encoder_lag_ms: media_us.saturating_sub(encoded_us) as f64 / 1000.0,
            encode_ms_per_frame: if d_encoded > 0 {
                (ns - prev_ns) as f64 / d_encoded as f64 / 1e6
            } else {
                0.0
            },
            skipped_frames: skipped as u32,
            skipped_last_second: skipped_last,
            dropped_frames: shared.push_dropped() as u32,
            duplicated_frames: Counters::get(&c.frames_duplicated) as u32,
            total_frames: total as u32,
            skipped_alarm: crate::stats::skipped_alarm(skipped_last, skipped as u32, total as u32),
            bitrate_kbps: (bytes - prev_bytes) as f64 * 8.0 / 1000.0 / secs,
            push: destinations
                .first()
                .map_or(PushState::Off, |d| d.state.clone()),
            push_bitrate_kbps: destinations.first().map_or(0.0, |d| d.bitrate_kbps),
            destinations,
            recording_bytes: std::fs::metadata(&output)
                .map(|m| m.len() as f64)
                .unwrap_or(0.0),
            disk_free_bytes: disk_free.map(|b| b as f64),
            source_lost: c.source_lost.load(Ordering::Relaxed),
            audio_level: *shared.audio_level.borrow(),
            program_level: *shared.program_level.lock().unwrap_or_else(|p| p.into_inner()),
            music_level: *shared.music_level.lock().unwrap_or_else(|p| p.into_inner()),
            phone_level: *shared.phone_level.lock().unwrap_or_else(|p| p.into_inner()),
            phone_sound_glitches: shared.phone_sound.glitches() as u32,
            audio_drift_ms: c.audio_drift_us.load(Ordering::Relaxed) as f64 / 1000.0,
            audio_corrections: Counters::get(&c.audio_corrections) as u32,
            encoder: if takeover.is_some() { "libx264".to_owned() } else { encoder.clone() },
            encoder_fallback: takeover.or_else(|| encoder_fallback.clone()),
            second_canvas,
            finished,
        };
        // Stop cleanly while the muxer can still write its trailer: 10 s of media or 32 MB.
        if let Some(free) = disk_free {
            let reserve = (stats.bitrate_kbps * 1000.0 / 8.0 * 10.0) as u64 + 32 * 1024 * 1024;
            if free < reserve && !disk_warned && !finished {
                disk_warned = true;
                tracing::error!(free, "disk nearly full; stopping the recording");
                shared.request_stop(StopReason::DiskFull);
            }
        }
        if finished {
            // The last stretch is a fraction of a second ending in the encoder's flush;
            // rates over it mean nothing, so the final figures keep the last full second's.
            let last = tx.borrow().clone();
            stats.fps = last.fps;
            stats.bitrate_kbps = last.bitrate_kbps;
            stats.push_bitrate_kbps = last.push_bitrate_kbps;
            for (now, before) in stats.destinations.iter_mut().zip(&last.destinations) {
                now.bitrate_kbps = before.bitrate_kbps;
            }
            stats.encode_ms_per_frame = last.encode_ms_per_frame;
            stats.encoder_lag_ms = last.encoder_lag_ms;
        }
        prev_encoded = encoded;
        prev_bytes = bytes;
        prev_push = shared
            .destinations
            .iter()
            .map(|d| Counters::get(&d.bytes))
            .collect();
        prev_skipped = skipped;
        prev_ns = ns;
        let _ = tx.send(stats);
        if finished {
            return;
        }
        ticks += 1;
        if ticks % 10 == 0 {
            give_back_freed_memory();
        }
    }
}
