//! Source threads: each owns one FFmpeg input and its decoder, and hands converted
//! frames on through a bounded channel.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use ffmpeg_next::{
    self as ffmpeg, Dictionary, codec, filter, format, frame, media, software::scaling,
};

use crate::CaptureError;
use crate::config::InputSpec;
use crate::encode::{AUDIO_FRAME, AUDIO_RATE};
use crate::pipeline::{Shared, WriterMsg};
use crate::stats::Counters;

/// Opens an FFmpeg input by format name (`v4l2`, `alsa`, `lavfi`, `mpegts`, …) and URL.
pub(crate) fn open_input(spec: &InputSpec) -> Result<format::context::Input, String> {
    crate::init();
    if spec.format.is_empty() {
        // A file: FFmpeg finds its format from its contents.
        return format::input(&spec.url).map_err(|e| e.to_string());
    }
    let name = std::ffi::CString::new(spec.format.as_str())
        .map_err(|_| "format name has a NUL byte".to_owned())?;
    let ptr = unsafe { ffmpeg::ffi::av_find_input_format(name.as_ptr()) };
    if ptr.is_null() {
        return Err(format!("FFmpeg has no input format {:?}", spec.format));
    }
    let input_format = ffmpeg::Format::Input(unsafe { format::Input::wrap(ptr as *mut _) });
    let mut options = Dictionary::new();
    for (k, v) in &spec.options {
        options.set(k, v);
    }
    match format::open_with(&spec.url, &input_format, options) {
        Ok(format::context::Context::Input(input)) => Ok(input),
        Ok(format::context::Context::Output(_)) => Err("opened as an output".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Clone)]
pub(crate) enum VideoMsg {
    Frame(frame::Video),
    /// The source failed; the compositor shows the slate until frames come again.
    Lost(String),
}

/// Converts any decoded picture to the output size in YUV420P, keeping the aspect
/// ratio (black bars where it differs). A scene's layer keeps the source's own size
/// (`keep_size`): its filter graph crops and fits it.
struct Converter {
    scaler: Option<(scaling::Context, (format::Pixel, u32, u32))>,
    width: u32,
    height: u32,
    keep_size: bool,
}

impl Converter {
    fn convert(&mut self, input: frame::Video) -> Result<frame::Video, ffmpeg::Error> {
        let (fmt, w, h) = (input.format(), input.width(), input.height());
        if self.keep_size {
            (self.width, self.height) = ((w & !1).max(2), (h & !1).max(2));
        }
        if fmt == format::Pixel::YUV420P && w == self.width && h == self.height {
            return Ok(input);
        }
        // Fit inside the output, even-sized and centred.
        let scale = (self.width as f64 / w as f64).min(self.height as f64 / h as f64);
        let tw = (((w as f64 * scale) as u32) & !1).clamp(2, self.width);
        let th = (((h as f64 * scale) as u32) & !1).clamp(2, self.height);
        if self.scaler.as_ref().map(|(_, key)| *key) != Some((fmt, w, h)) {
            let ctx = scaling::Context::get(
                fmt,
                w,
                h,
                format::Pixel::YUV420P,
                tw,
                th,
                scaling::Flags::BILINEAR,
            )?;
            self.scaler = Some((ctx, (fmt, w, h)));
        }
        let (scaler, _) = self.scaler.as_mut().expect("scaler was just created");
        let mut scaled = frame::Video::empty();
        scaler.run(&input, &mut scaled)?;
        if tw == self.width && th == self.height {
            return Ok(scaled);
        }
        let mut out = frame::Video::new(format::Pixel::YUV420P, self.width, self.height);
        out.data_mut(0).fill(16);
        out.data_mut(1).fill(128);
        out.data_mut(2).fill(128);
        let (ox, oy) = (((self.width - tw) / 2) & !1, ((self.height - th) / 2) & !1);
        for plane in 0..3 {
            let shift = if plane == 0 { 0 } else { 1 };
            let (pw, ph) = ((tw >> shift) as usize, (th >> shift) as usize);
            let (px, py) = ((ox >> shift) as usize, (oy >> shift) as usize);
            let (ss, ds) = (scaled.stride(plane), out.stride(plane));
            for row in 0..ph {
                let src = scaled.data(plane)[row * ss..row * ss + pw].to_vec();
                out.data_mut(plane)[(py + row) * ds + px..(py + row) * ds + px + pw]
                    .copy_from_slice(&src);
            }
        }
        Ok(out)
    }
}

struct VideoInput {
    input: format::context::Input,
    stream: usize,
    decoder: codec::decoder::Video,
}

fn open_video(spec: &InputSpec) -> Result<VideoInput, String> {
    let input = open_input(spec)?;
    let stream = input
        .streams()
        .best(media::Type::Video)
        .ok_or("input has no video stream")?;
    let index = stream.index();
    let decoder = codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(|e| format!("no decoder for the camera's format: {e}"))?;
    Ok(VideoInput {
        input,
        stream: index,
        decoder,
    })
}

/// The video source spec for the synthetic pattern.
pub(crate) fn test_video_spec(width: u32, height: u32, fps: u32, realtime: bool) -> InputSpec {
    let pace = if realtime { ",realtime" } else { "" };
    InputSpec::new(
        "lavfi",
        &format!("testsrc2=size={width}x{height}:rate={fps}{pace}"),
    )
}

/// How a video source thread delivers its pictures.
#[derive(Clone, Copy)]
pub(crate) struct VideoShape {
    /// The size asked of a camera, and the size delivered unless `keep_size`.
    pub width: u32,
    pub height: u32,
    /// Deliver the source's own size (a scene layer, fitted later by the filter graph).
    pub keep_size: bool,
    /// The source waits for a caller (a phone): the pipeline starts without it, and its
    /// slate shows until it connects (and again whenever it leaves).
    pub listener: bool,
}

/// Runs the video source until the pipeline stops. Reports the first open on `ready`.
pub(crate) fn video_thread(
    spec: InputSpec,
    shape: VideoShape,
    tx: Sender<VideoMsg>,
    shared: Arc<Shared>,
    ready: Sender<Result<(), CaptureError>>,
) {
    let VideoShape {
        width,
        height,
        keep_size,
        listener,
    } = shape;
    // What logs may say of the source: never a phone's passphrase.
    let describe = crate::phone::mask_passphrase(&format!("{}:{}", spec.format, spec.url));
    // A camera opened without a mode gets the one that fits the output best.
    let spec = crate::devices::default_v4l2_options(&spec, width, height, shared.fps());
    let opened = if listener { Err(String::new()) } else { open_video(&spec) };
    let mut source: Option<VideoInput> = match opened {
        Ok(s) => {
            let _ = ready.send(Ok(()));
            Some(s)
        }
        // A listener waits for its caller in the loop below (each wait lasts a second).
        Err(_) if listener => {
            let _ = ready.send(Ok(()));
            None
        }
        Err(message) => {
            let _ = ready.send(Err(CaptureError::DeviceOpen {
                kind: "video",
                spec: describe,
                message,
            }));
            return;
        }
    };
    drop(ready);
    let mut converter = Converter {
        scaler: None,
        width,
        height,
        keep_size,
    };
    let mut last_attempt = Instant::now();
    // A phone's push brings its sound too: decoded here, mixed by the audio thread.
    let mut sound: Option<crate::phone_sound::SideAudio> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let Some(src) = source.as_mut() else {
            // Reopen about once a second while the slate shows (a listener listens again at
            // once: its open waits up to a second for the caller).
            if !listener {
                std::thread::sleep(Duration::from_millis(100));
            }
            if listener || last_attempt.elapsed() >= Duration::from_secs(1) {
                last_attempt = Instant::now();
                match open_video(&spec) {
                    Ok(s) => {
                        tracing::info!(source = %describe, "video source reopened");
                        sound = if listener { crate::phone_sound::SideAudio::of(&s.input) } else { None };
                        source = Some(s);
                    }
                    Err(message) => {
                        tracing::debug!(source = %describe, %message, "video source still unavailable")
                    }
                }
            }
            continue;
        };
        // A fresh packet each time: av_read_frame overwrites without releasing, and a
        // lavfi packet holds a whole picture.
        let mut packet = codec::packet::Packet::empty();
        let failure = match packet.read(&mut src.input) {
            Ok(()) if packet.stream() != src.stream => {
                if let Some(sound) = sound.as_mut() {
                    sound.take(&packet, &shared.phone_sound);
                }
                None
            }
            Ok(()) => {
                let mut failure = None;
                if let Err(e) = src.decoder.send_packet(&packet) {
                    tracing::debug!(%e, "video decoder rejected a packet");
                }
                loop {
                    let mut decoded = frame::Video::empty();
                    if src.decoder.receive_frame(&mut decoded).is_err() {
                        break;
                    }
                    match converter.convert(decoded) {
                        Ok(frame) => {
                            if tx.send(VideoMsg::Frame(frame)).is_err() {
                                return;
                            }
                        }
                        Err(e) => failure = Some(format!("cannot convert the picture: {e}")),
                    }
                }
                failure
            }
            Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => {
                std::thread::sleep(Duration::from_millis(5));
                None
            }
            Err(ffmpeg::Error::Eof) => Some("the source ended".to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(message) = failure {
            tracing::warn!(source = %describe, %message, "video source lost");
            source = None;
            last_attempt = Instant::now();
            if tx.send(VideoMsg::Lost(message)).is_err() {
                return;
            }
        }
    }
}

/// Turns decoded audio of any layout and rate into 48 kHz stereo planar float frames
/// of exactly 1024 samples.
pub(crate) struct AudioInput {
    input: format::context::Input,
    stream: usize,
    decoder: codec::decoder::Audio,
    graph: filter::Graph,
}

impl AudioInput {
    /// Reads and converts the next packet of a file into 1024-sample frames at the back of
    /// `queue`; false at the end of the file.
    pub(crate) fn decode_next(&mut self, queue: &mut std::collections::VecDeque<frame::Audio>) -> Result<bool, String> {
        let mut packet = codec::packet::Packet::empty();
        match packet.read(&mut self.input) {
            Ok(()) if packet.stream() != self.stream => return Ok(true),
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => return Ok(false),
            Err(e) => return Err(e.to_string()),
        }
        let _ = self.decoder.send_packet(&packet);
        let mut decoded = frame::Audio::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            let ts = decoded.timestamp();
            decoded.set_pts(ts);
            self.graph.get("in").ok_or("no converter input")?.source().add(&decoded).map_err(|e| e.to_string())?;
            let mut converted = frame::Audio::empty();
            while self.graph.get("out").ok_or("no converter output")?.sink().frame(&mut converted).is_ok() {
                queue.push_back(std::mem::replace(&mut converted, frame::Audio::empty()));
            }
        }
        Ok(true)
    }
}

pub(crate) fn open_audio(spec: &InputSpec) -> Result<AudioInput, String> {
    let input = open_input(spec)?;
    let stream = input
        .streams()
        .best(media::Type::Audio)
        .ok_or("input has no audio stream")?;
    let index = stream.index();
    let decoder = codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().audio())
        .map_err(|e| format!("no decoder for the microphone's format: {e}"))?;
    let graph =
        audio_graph(&decoder).map_err(|e| format!("cannot build the audio converter: {e}"))?;
    Ok(AudioInput {
        input,
        stream: index,
        decoder,
        graph,
    })
}

pub(crate) fn audio_graph(decoder: &codec::decoder::Audio) -> Result<filter::Graph, ffmpeg::Error> {
    let mut graph = filter::Graph::new();
    let layout = if decoder.channel_layout().is_empty() {
        ffmpeg::ChannelLayout::default(decoder.channels() as i32)
    } else {
        decoder.channel_layout()
    };
    let args = format!(
        "time_base=1/{rate}:sample_rate={rate}:sample_fmt={fmt}:channel_layout=0x{layout:x}",
        rate = decoder.rate(),
        fmt = decoder.format().name(),
        layout = layout.bits()
    );
    graph.add(
        &filter::find("abuffer").ok_or(ffmpeg::Error::FilterNotFound)?,
        "in",
        &args,
    )?;
    graph.add(
        &filter::find("abuffersink").ok_or(ffmpeg::Error::FilterNotFound)?,
        "out",
        "",
    )?;
    graph.output("in", 0)?.input("out", 0)?.parse(&format!(
        "aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    ))?;
    graph.validate()?;
    graph
        .get("out")
        .ok_or(ffmpeg::Error::Bug)?
        .sink()
        .set_frame_size(AUDIO_FRAME as u32);
    Ok(graph)
}

pub(crate) fn test_audio_spec(realtime: bool) -> InputSpec {
    let pace = if realtime { ",arealtime" } else { "" };
    InputSpec::new(
        "lavfi",
        &format!("sine=frequency=440:sample_rate={AUDIO_RATE}{pace}"),
    )
}

/// Owns the AAC encoder and stamps frames with a sample-count clock.
struct AudioOut {
    encoder: codec::encoder::Audio,
    next_pts: i64,
    tx: Sender<WriterMsg>,
    meter: crate::stats::LevelMeter,
    /// What goes out: the voice after its gain with the (ducked) music.
    program_meter: crate::stats::LevelMeter,
    shared: Arc<Shared>,
    /// The microphone's gain and mute, its noise suppression and the music bed; `None` only
    /// after the mix failed (the microphone then goes on alone).
    mixer: Option<crate::sound::Mixer>,
    /// Changes made on air.
    changes: crossbeam_channel::Receiver<crate::sound::SoundChange>,
    /// Without the mix (it failed), whether the microphone is muted: a mute holds.
    muted_alone: bool,
}

impl AudioOut {
    /// Meters the microphone, mixes in the music (if any), and encodes.
    fn encode(&mut self, frame: &mut frame::Audio) -> Result<(), ()> {
        for plane in 0..frame.planes() {
            if let Some(level) = self.meter.add(frame.plane::<f32>(plane), frame.planes()) {
                self.shared.audio_level.send_replace(level);
            }
        }
        let Some(mixer) = self.mixer.as_mut() else {
            while let Ok(change) = self.changes.try_recv() {
                if let crate::sound::SoundChange::MicMuted { muted } = change {
                    self.muted_alone = muted;
                }
            }
            return if self.muted_alone { self.encode_mixed(&mut crate::sound::silence()) } else { self.encode_mixed(frame) };
        };
        while let Ok(change) = self.changes.try_recv() {
            if let Err(e) = mixer.apply(change) {
                tracing::warn!(%e, ?change, "a sound change on air was refused");
            }
        }
        let mut mixed = Vec::with_capacity(1);
        if let Err(e) = mixer.mix(frame, self.shared.phone_sound.pull(), &mut mixed) {
            // The microphone alone, rather than no sound at all.
            tracing::error!(%e, "the sound mix failed; the microphone goes on alone");
            self.muted_alone = mixer.mic_muted();
            self.mixer = None;
            return if self.muted_alone { self.encode_mixed(&mut crate::sound::silence()) } else { self.encode_mixed(frame) };
        }
        if let Some(level) = mixer.music_level {
            *self.shared.music_level.lock().unwrap_or_else(|p| p.into_inner()) = Some(level);
        }
        let phone_level = mixer.phone_level.filter(|_| self.shared.phone_sound.is_live());
        *self.shared.phone_level.lock().unwrap_or_else(|p| p.into_inner()) = phone_level;
        for mut frame in mixed {
            self.encode_mixed(&mut frame)?;
        }
        Ok(())
    }

    fn encode_mixed(&mut self, frame: &mut frame::Audio) -> Result<(), ()> {
        for plane in 0..frame.planes() {
            if let Some(level) = self.program_meter.add(frame.plane::<f32>(plane), frame.planes()) {
                *self.shared.program_level.lock().unwrap_or_else(|p| p.into_inner()) = level;
            }
        }
        frame.set_pts(Some(self.next_pts));
        self.next_pts += frame.samples() as i64;
        if let Err(e) = self.encoder.send_frame(frame) {
            tracing::warn!(%e, "audio encoder rejected a frame");
        }
        self.drain()
    }

    fn silence(&mut self) -> Result<(), ()> {
        self.encode(&mut crate::sound::silence())
    }

    fn drain(&mut self) -> Result<(), ()> {
        loop {
            let mut packet = codec::packet::Packet::empty();
            if self.encoder.receive_packet(&mut packet).is_err() {
                return Ok(());
            }
            if packet.duration() == 0 {
                packet.set_duration(AUDIO_FRAME as i64);
            }
            self.tx.send(WriterMsg::Audio(packet)).map_err(|_| ())?;
        }
    }

    fn finish(mut self) {
        let _ = self.encoder.send_eof();
        let _ = self.drain();
        let _ = self.tx.send(WriterMsg::AudioEnd);
    }
}

/// What feeds the audio thread.
pub(crate) enum AudioFeed {
    Input(InputSpec),
    Silence,
}

/// Runs capture, conversion and AAC encoding until the pipeline's end time.
pub(crate) fn audio_thread(
    feed: AudioFeed,
    (mixer, changes): (crate::sound::Mixer, crossbeam_channel::Receiver<crate::sound::SoundChange>),
    encoder: codec::encoder::Audio,
    tx: Sender<WriterMsg>,
    shared: Arc<Shared>,
    ready: Sender<Result<(), CaptureError>>,
) {
    let (spec, mut source) = match feed {
        AudioFeed::Silence => {
            let _ = ready.send(Ok(()));
            (None, None)
        }
        AudioFeed::Input(spec) => match open_audio(&spec) {
            Ok(s) => {
                let _ = ready.send(Ok(()));
                (Some(spec), Some(s))
            }
            Err(message) => {
                let _ = ready.send(Err(CaptureError::DeviceOpen {
                    kind: "audio",
                    spec: format!("{}:{}", spec.format, spec.url),
                    message,
                }));
                return;
            }
        },
    };
    drop(ready);
    let mut out = AudioOut {
        encoder,
        next_pts: 0,
        tx,
        meter: crate::stats::LevelMeter::new(AUDIO_RATE as usize / 10),
        program_meter: crate::stats::LevelMeter::new(AUDIO_RATE as usize / 10),
        shared: shared.clone(),
        mixer: Some(mixer),
        muted_alone: false,
        changes,
    };
    let realtime = shared.realtime;
    let t0 = if realtime {
        // Align the first sample with the first video frame so both streams start at 0.
        match shared.wait_t0(Duration::from_secs(10)) {
            Some(t0) => t0,
            None => {
                out.finish();
                return;
            }
        }
    } else {
        Instant::now()
    };
    let mut aligned = !realtime;
    let mut drift = DriftTracker::new();
    let mut last_attempt = Instant::now();
    let samples_due =
        |now: Instant| (now.saturating_duration_since(t0).as_secs_f64() * AUDIO_RATE as f64) as i64;
    loop {
        if let Some(end) = shared.end_samples(AUDIO_RATE) {
            if out.next_pts + AUDIO_FRAME as i64 > end {
                break;
            }
        } else if shared.stop.load(Ordering::Relaxed)
            && shared.stop_requested_for() > Duration::from_secs(3)
        {
            break;
        }
        let Some(src) = source.as_mut() else {
            // No microphone (or it was lost): keep the audio track continuous with silence
            // on the wall clock, and try to reopen once a second.
            let due = if realtime {
                samples_due(Instant::now())
            } else {
                out.next_pts + AUDIO_FRAME as i64
            };
            while out.next_pts + AUDIO_FRAME as i64 <= due {
                if out.silence().is_err() {
                    return;
                }
            }
            aligned = true;
            std::thread::sleep(Duration::from_millis(10));
            if let Some(spec) = &spec
                && last_attempt.elapsed() >= Duration::from_secs(1)
            {
                last_attempt = Instant::now();
                if let Ok(s) = open_audio(spec) {
                    tracing::info!("audio source reopened");
                    source = Some(s);
                    aligned = false;
                    drift = DriftTracker::new();
                }
            }
            continue;
        };
        let mut packet = codec::packet::Packet::empty();
        let failure = match packet.read(&mut src.input) {
            Ok(()) if packet.stream() != src.stream => None,
            Ok(()) => {
                let _ = src.decoder.send_packet(&packet);
                let mut decoded = frame::Audio::empty();
                let mut failed = None;
                while src.decoder.receive_frame(&mut decoded).is_ok() {
                    if !aligned {
                        // Pad with silence up to where the wall clock says this audio belongs.
                        let due = samples_due(Instant::now())
                            - decoded.samples() as i64 * AUDIO_RATE as i64
                                / decoded.rate().max(1) as i64;
                        while out.next_pts + (AUDIO_FRAME as i64) <= due {
                            if out.silence().is_err() {
                                return;
                            }
                        }
                        aligned = true;
                    }
                    let ts = decoded.timestamp();
                    decoded.set_pts(ts);
                    if let Err(e) = src
                        .graph
                        .get("in")
                        .expect("graph has an input named in")
                        .source()
                        .add(&decoded)
                    {
                        failed = Some(format!("audio converter rejected a frame: {e}"));
                        break;
                    }
                    let mut converted = frame::Audio::empty();
                    while src
                        .graph
                        .get("out")
                        .expect("graph has an output named out")
                        .sink()
                        .frame(&mut converted)
                        .is_ok()
                    {
                        let correction = if realtime {
                            drift.measure(out.next_pts - samples_due(Instant::now()))
                        } else {
                            Correction::None
                        };
                        shared
                            .counters
                            .audio_drift_us
                            .store(drift.drift_us(), Ordering::Relaxed);
                        match correction {
                            Correction::Drop => {
                                Counters::add(&shared.counters.audio_corrections, 1);
                                continue;
                            }
                            Correction::Insert => {
                                Counters::add(&shared.counters.audio_corrections, 1);
                                if out.silence().is_err() {
                                    return;
                                }
                            }
                            Correction::None => {}
                        }
                        if out.encode(&mut converted).is_err() {
                            return;
                        }
                    }
                }
                failed
            }
            Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => {
                std::thread::sleep(Duration::from_millis(5));
                None
            }
            Err(ffmpeg::Error::Eof) => Some("the source ended".to_owned()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(message) = failure {
            tracing::warn!(%message, "audio source lost; recording silence");
            source = None;
            last_attempt = Instant::now();
        }
    }
    out.finish();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Correction {
    None,
    /// The microphone's clock runs fast: leave out one frame.
    Drop,
    /// It runs slow: put in one frame of silence.
    Insert,
}

/// Keeps a microphone whose sample clock differs from the system clock in sync with
/// the video, which runs on the system clock.
///
/// It watches how far the samples produced lead the wall clock, smooths that over
/// about a second, and once the lead has moved more than 30 ms from where it settled
/// in the first second, drops or inserts one 1024-sample frame (21 ms). A 100 ppm
/// clock error (180 ms in 30 minutes) then costs one correction every 3.5 minutes.
struct DriftTracker {
    n_measured: u32,
    baseline: f64,
    smoothed: f64,
}

const DRIFT_WARMUP: u32 = 48;
const DRIFT_LIMIT: f64 = 0.030 * AUDIO_RATE as f64;

impl DriftTracker {
    fn new() -> DriftTracker {
        DriftTracker {
            n_measured: 0,
            baseline: 0.0,
            smoothed: 0.0,
        }
    }

    /// Takes the lead of produced samples over the wall clock before encoding a frame.
    fn measure(&mut self, lead_samples: i64) -> Correction {
        let lead = lead_samples as f64;
        self.n_measured += 1;
        if self.n_measured <= DRIFT_WARMUP {
            // The settled offset includes device buffering; only changes from it are drift.
            self.baseline += (lead - self.baseline) / self.n_measured as f64;
            self.smoothed = self.baseline;
            return Correction::None;
        }
        self.smoothed += (lead - self.smoothed) * 0.05;
        let drift = self.smoothed - self.baseline;
        if drift > DRIFT_LIMIT {
            self.smoothed -= AUDIO_FRAME as f64;
            Correction::Drop
        } else if drift < -DRIFT_LIMIT {
            self.smoothed += AUDIO_FRAME as f64;
            Correction::Insert
        } else {
            Correction::None
        }
    }

    fn drift_us(&self) -> i64 {
        ((self.smoothed - self.baseline) * 1e6 / AUDIO_RATE as f64) as i64
    }
}

/// Reads a microphone only to meter it (the Devices page), reopening it when it fails.
pub(crate) fn level_thread(spec: InputSpec, mut source: Option<AudioInput>, shared: Arc<Shared>) {
    let mut meter = crate::stats::LevelMeter::new(AUDIO_RATE as usize / 10);
    let mut last_attempt = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        let Some(src) = source.as_mut() else {
            shared
                .audio_level
                .send_replace(crate::stats::AudioLevel::default());
            std::thread::sleep(Duration::from_millis(100));
            if last_attempt.elapsed() >= Duration::from_secs(1) {
                last_attempt = Instant::now();
                source = open_audio(&spec).ok();
            }
            continue;
        };
        let mut packet = codec::packet::Packet::empty();
        match packet.read(&mut src.input) {
            Ok(()) if packet.stream() != src.stream => {}
            Ok(()) => {
                let _ = src.decoder.send_packet(&packet);
                let mut decoded = frame::Audio::empty();
                while src.decoder.receive_frame(&mut decoded).is_ok() {
                    let ts = decoded.timestamp();
                    decoded.set_pts(ts);
                    if src
                        .graph
                        .get("in")
                        .expect("graph has an input named in")
                        .source()
                        .add(&decoded)
                        .is_err()
                    {
                        continue;
                    }
                    let mut converted = frame::Audio::empty();
                    while src
                        .graph
                        .get("out")
                        .expect("graph has an output named out")
                        .sink()
                        .frame(&mut converted)
                        .is_ok()
                    {
                        for plane in 0..converted.planes() {
                            if let Some(level) =
                                meter.add(converted.plane::<f32>(plane), converted.planes())
                            {
                                shared.audio_level.send_replace(level);
                            }
                        }
                    }
                }
            }
            Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => {
                tracing::warn!(%e, "microphone lost during preview");
                source = None;
                last_attempt = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds the tracker a microphone whose clock runs `ppm` fast (negative: slow) for
    /// `seconds`, with arrival jitter; returns the net frames inserted (negative:
    /// dropped) and the worst A/V offset in ms after the first second.
    fn run(ppm: f64, seconds: f64) -> (i64, f64) {
        let mut tracker = DriftTracker::new();
        let (mut produced, mut net, mut worst) = (0i64, 0i64, 0f64);
        let mut offset = None;
        let n_frames = (seconds * AUDIO_RATE as f64 / AUDIO_FRAME as f64) as usize;
        for i in 0..n_frames {
            let wall = (i * AUDIO_FRAME) as f64 / (1.0 + ppm * 1e-6);
            let jitter = [300.0, -150.0, -150.0][i % 3];
            match tracker.measure(produced - (wall + jitter) as i64) {
                Correction::Drop => net -= 1,
                Correction::Insert => {
                    net += 1;
                    produced += 2 * AUDIO_FRAME as i64;
                }
                Correction::None => produced += AUDIO_FRAME as i64,
            }
            let error = produced as f64 - wall;
            let settled = *offset.get_or_insert(error);
            if i > DRIFT_WARMUP as usize {
                worst = worst.max((error - settled).abs() * 1000.0 / AUDIO_RATE as f64);
            }
        }
        (net, worst)
    }

    #[test]
    fn drift_stays_under_40_ms() {
        let cases = [
            // (ppm, seconds, expected sign of net corrections)
            (0.0, 1800.0, 0),
            (200.0, 1800.0, -1),
            (-200.0, 1800.0, 1),
            (10_000.0, 20.0, -1),
        ];
        for (ppm, seconds, sign) in cases {
            let (net, worst) = run(ppm, seconds);
            assert_eq!(net.signum(), sign, "{ppm} ppm: net {net}");
            assert!(
                worst < 40.0,
                "{ppm} ppm over {seconds} s: worst offset {worst:.1} ms"
            );
        }
        // 200 ppm over 30 minutes is 360 ms, about 17 frames of 21 ms.
        let (net, _) = run(200.0, 1800.0);
        assert!((15..=19).contains(&-net), "{net}");
    }
}
