//! Opening the H.264 and AAC encoders with live-streaming settings.

use ffmpeg_next::{self as ffmpeg, Dictionary, Rational, codec, encoder, format};

use crate::CaptureError;
use crate::config::{VideoEncoder, VideoSettings};
use crate::upload::{Converter, Upload};

/// An opened video encoder and what it was opened as.
pub(crate) struct OpenedVideo {
    pub encoder: encoder::Video,
    pub used: VideoEncoder,
    pub time_base: Rational,
    /// Why the encoder asked for is not the one used (it fell back to libx264).
    pub fallback: Option<String>,
    /// What the compositor's pictures go through on their way in (NV12, GPU surfaces).
    pub upload: Upload,
}

/// Opens the configured encoder. A hardware encoder must open and then take its first
/// frames (three black ones, on an instance thrown away) before the recording starts;
/// failing either, libx264 is used at once and the reason kept for the console.
pub(crate) fn open_video(settings: &VideoSettings) -> Result<OpenedVideo, CaptureError> {
    if settings.encoder == VideoEncoder::X264 {
        return open_video_as(settings, VideoEncoder::X264);
    }
    let tried = open_video_as(settings, settings.encoder)
        .and_then(|probe| first_frames(probe, settings))
        .and_then(|()| open_video_as(settings, settings.encoder));
    let reason = match tried {
        Ok(opened) => return Ok(opened),
        Err(CaptureError::Encoder { name, message }) => format!("{name}: {message}"),
        Err(err) => err.to_string(),
    };
    tracing::warn!(%reason, "hardware encoder failed; falling back to libx264");
    let mut opened = open_video_as(settings, VideoEncoder::X264)?;
    opened.fallback = Some(reason);
    Ok(opened)
}

/// libx264 taking over from a hardware encoder that failed mid-recording: the same size and
/// time base as the failed one, taking the compositor's pictures as they are; without a
/// global header, so that its SPS and PPS travel in-band with every keyframe (the recording's
/// and the pushes' stream headers still describe the first encoder); and without B-frames,
/// so that its first packet's decode time comes after the last one the failed encoder gave.
pub(crate) fn open_takeover(settings: &VideoSettings) -> Result<OpenedVideo, CaptureError> {
    open_video_with(settings, VideoEncoder::X264, true)
}

/// Feeds a freshly opened encoder three black frames and reads what it gives back: a
/// hardware encoder that opens but cannot encode (a busy or missing GPU session) fails here.
fn first_frames(mut opened: OpenedVideo, settings: &VideoSettings) -> Result<(), CaptureError> {
    let fail = |message: String| CaptureError::Encoder { name: opened.used.ffmpeg_name().to_owned(), message };
    #[cfg(feature = "fault-injection")]
    if std::env::var("ANCHORDESK_FAIL_ENCODER_FRAMES").is_ok_and(|name| name == opened.used.ffmpeg_name()) {
        return Err(fail("failed on its first frames (injected)".to_owned()));
    }
    for n in 0..3 {
        // Black, as the compositor would give it, through the same upload as on air.
        let mut black = ffmpeg::frame::Video::new(format::Pixel::YUV420P, settings.width, settings.height);
        for plane in 0..black.planes() {
            black.data_mut(plane).fill(if plane == 0 { 16 } else { 128 });
        }
        black.set_pts(Some(n));
        let prepared = opened.upload.prepare(&black).map_err(|e| fail(format!("failed on its first frames: {e}")))?;
        opened.encoder.send_frame(&prepared).map_err(|e| fail(format!("failed on its first frames: {e}")))?;
        loop {
            let mut packet = codec::packet::Packet::empty();
            match opened.encoder.receive_packet(&mut packet) {
                Ok(()) => {}
                Err(ffmpeg::Error::Other { errno }) if errno == libc::EAGAIN => break,
                Err(e) => return Err(fail(format!("failed on its first frames: {e}"))),
            }
        }
    }
    Ok(())
}

fn open_video_as(
    settings: &VideoSettings,
    which: VideoEncoder,
) -> Result<OpenedVideo, CaptureError> {
    open_video_with(settings, which, false)
}

/// Opens `which`; a `takeover` opens as [`open_takeover`] describes.
fn open_video_with(
    settings: &VideoSettings,
    which: VideoEncoder,
    takeover: bool,
) -> Result<OpenedVideo, CaptureError> {
    let name = which.ffmpeg_name();
    let fail = |message: String| CaptureError::Encoder {
        name: name.to_owned(),
        message,
    };
    // VAAPI takes GPU surfaces only, Quick Sync NV12; the others the compositor's YUV420P.
    let upload = match which {
        _ if takeover => Upload::Direct,
        VideoEncoder::Vaapi => Upload::vaapi(settings.width, settings.height).map_err(fail)?,
        VideoEncoder::Qsv => Upload::Convert(Converter::new(format::Pixel::NV12)),
        _ => Upload::Direct,
    };
    // Tests without a GPU stand libx264 in for a hardware encoder that opens.
    #[cfg(feature = "fault-injection")]
    let name = if which != VideoEncoder::X264 && std::env::var("ANCHORDESK_FAKE_HARDWARE_ENCODER").is_ok() { "libx264" } else { name };
    let codec =
        encoder::find_by_name(name).ok_or_else(|| fail("not built into this FFmpeg".to_owned()))?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(|e| fail(e.to_string()))?;
    let time_base = Rational::new(1, settings.fps as i32);
    enc.set_width(settings.width);
    enc.set_height(settings.height);
    enc.set_format(upload.encoder_format(format::Pixel::YUV420P));
    // SAFETY: the context is valid and not opened yet.
    unsafe { upload.attach(enc.as_mut_ptr()) };
    enc.set_time_base(time_base);
    enc.set_frame_rate(Some(Rational::new(settings.fps as i32, 1)));
    let gop = settings.fps * settings.keyframe_interval_s;
    enc.set_gop(gop);
    let bitrate = settings.bitrate_kbps as usize * 1000;
    enc.set_bit_rate(bitrate);
    enc.set_max_bit_rate(bitrate);
    // Both MP4 and FLV want SPS/PPS in extradata rather than in every keyframe.
    if !takeover {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    unsafe {
        // rc_buffer_size has no safe setter; two seconds of VBV keeps the rate steady
        // enough for an ingest without starving keyframes.
        (*enc.as_mut_ptr()).rc_buffer_size = (bitrate * 2) as i32;
    }
    let mut opts = Dictionary::new();
    // libavcodec defaults to one thread; the ffmpeg CLI asks for "auto", and so do we.
    opts.set(
        "threads",
        &if settings.threads == 0 {
            "auto".to_owned()
        } else {
            settings.threads.to_string()
        },
    );
    match which {
        _ if name == "libx264" => {
            opts.set("preset", settings.preset.name());
            // A fixed keyframe cadence: ingest servers and our per-product clips cut on them.
            // No rate-control lookahead (and so no macroblock tree): at 720p veryfast the
            // lookahead's frames cost 23-34 MB of the process for 0.02 dB of PSNR at the
            // same bitrate; frame threads another 32-53 MB; one B-frame instead of the
            // preset's three 19 MB and a fifth of the encode's CPU for 0.07-0.25 dB
            // (crates/capture/BENCH.md, "Lookahead and threads", "One B-frame").
            let params = x264_params(gop);
            opts.set("x264-params", &if takeover { format!("{params}:bframes=0") } else { params });
        }
        VideoEncoder::Nvenc => {
            opts.set("preset", "p4");
            opts.set("rc", "cbr");
        }
        _ => {}
    }
    let encoder = enc.open_with(opts).map_err(|e| fail(e.to_string()))?;
    Ok(OpenedVideo {
        encoder,
        used: which,
        time_base,
        fallback: None,
        upload,
    })
}

/// The libx264 options every encode uses; the benches pass the same to the ffmpeg CLI.
/// Sliced threads split each frame between the threads instead of encoding several frames
/// at once: one frame in flight instead of one per thread, 32-53 MB less at 720p for the
/// same quality (crates/capture/BENCH.md, "Lookahead and threads"), and a frame less of
/// latency on air.
pub fn x264_params(gop: u32) -> String {
    format!("keyint={gop}:min-keyint={gop}:scenecut=0:rc-lookahead=0:sliced-threads=1:bframes=1")
}

/// The AAC encoder at 48 kHz stereo, planar float, 1024-sample frames.
pub(crate) fn open_audio(bitrate_kbps: u32) -> Result<encoder::Audio, CaptureError> {
    let fail = |message: String| CaptureError::Encoder {
        name: "aac".to_owned(),
        message,
    };
    let codec = encoder::find(codec::Id::AAC)
        .ok_or_else(|| fail("not built into this FFmpeg".to_owned()))?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(|e| fail(e.to_string()))?;
    enc.set_rate(AUDIO_RATE as i32);
    enc.set_channel_layout(ffmpeg::ChannelLayout::STEREO);
    enc.set_channels(2);
    enc.set_format(format::Sample::F32(format::sample::Type::Planar));
    enc.set_bit_rate(bitrate_kbps as usize * 1000);
    enc.set_time_base(Rational::new(1, AUDIO_RATE as i32));
    enc.set_flags(codec::Flags::GLOBAL_HEADER);
    let encoder = enc.open().map_err(|e| fail(e.to_string()))?;
    if encoder.frame_size() != AUDIO_FRAME as u32 {
        return Err(fail(format!(
            "frame size {} instead of {AUDIO_FRAME}",
            encoder.frame_size()
        )));
    }
    Ok(encoder)
}

pub(crate) const AUDIO_RATE: u32 = 48_000;
pub(crate) const AUDIO_FRAME: usize = 1024;

/// What the probe found out about one H.264 encoder.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct EncoderProbe {
    pub encoder: VideoEncoder,
    /// FFmpeg's name, e.g. `h264_nvenc`.
    pub name: String,
    /// The short name a desk is set to it by, e.g. `nvenc` ([`VideoEncoder::choice`]).
    pub choice: String,
    /// It opened for real at 256×144 with the pixel format it needs.
    pub usable: bool,
    /// Why it cannot be used here, when it cannot.
    pub reason: Option<String>,
}

/// The hardware encoders this platform may have, in the order they are preferred.
fn hardware_candidates() -> &'static [VideoEncoder] {
    if cfg!(target_os = "macos") {
        &[VideoEncoder::VideoToolbox]
    } else if cfg!(target_os = "windows") {
        &[VideoEncoder::Nvenc, VideoEncoder::Qsv]
    } else {
        &[VideoEncoder::Nvenc, VideoEncoder::Qsv, VideoEncoder::Vaapi]
    }
}

/// Tries every H.264 encoder of this platform by opening it (compiled in is not the same
/// as present: a build may carry NVENC on a machine without an NVIDIA card). Hardware
/// ones first; libx264 last.
pub fn probe_encoders() -> Vec<EncoderProbe> {
    crate::init();
    hardware_candidates()
        .iter()
        .chain([&VideoEncoder::X264])
        .map(|&e| {
            let probe = VideoSettings {
                width: 256,
                height: 144,
                encoder: e,
                ..VideoSettings::default()
            };
            let opened = open_video_as(&probe, e);
            EncoderProbe {
                encoder: e,
                name: e.ffmpeg_name().to_owned(),
                choice: e.choice().to_owned(),
                usable: opened.is_ok(),
                reason: opened.err().map(|err| match err {
                    CaptureError::Encoder { message, .. } => message,
                    other => other.to_string(),
                }),
            }
        })
        .collect()
}

/// Encoders that open here, hardware ones first; libx264 is always last.
pub fn available_encoders() -> Vec<VideoEncoder> {
    probe_encoders()
        .into_iter()
        .filter(|p| p.usable)
        .map(|p| p.encoder)
        .collect()
}

/// The outcome of [`choose_preset`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PresetProbe {
    pub preset: crate::config::Preset,
    /// Frames per second each tried preset reached, in the order tried.
    pub measured: Vec<(crate::config::Preset, f64)>,
}

/// Picks the slowest (best-looking) x264 preset that encodes `settings` at least
/// `headroom` times faster than real time on this machine, by encoding about a second
/// of the test pattern with each of veryfast, superfast and ultrafast in turn.
pub fn choose_preset(settings: &VideoSettings, headroom: f64) -> Result<PresetProbe, CaptureError> {
    use crate::config::Preset;
    probe_presets(settings, headroom, &[Preset::Veryfast, Preset::Superfast, Preset::Ultrafast])
}

/// Frames per second libx264 encodes `settings` at with `preset` here (about a second of the
/// test pattern): a second picture's speed with the preset the first one was given.
pub fn measure_preset(settings: &VideoSettings, preset: crate::config::Preset) -> Result<f64, CaptureError> {
    let probe = probe_presets(settings, f64::INFINITY, &[preset])?;
    Ok(probe.measured.first().map_or(0.0, |(_, fps)| *fps))
}

/// Encodes about a second of the test pattern with each of `presets` in turn, stopping at
/// the first that runs `headroom` times faster than real time.
fn probe_presets(settings: &VideoSettings, headroom: f64, presets: &[crate::config::Preset]) -> Result<PresetProbe, CaptureError> {
    use crate::config::Preset;
    crate::init();
    let spec = crate::source::test_video_spec(settings.width, settings.height, settings.fps, false);
    let mut input =
        crate::source::open_input(&spec).map_err(|message| CaptureError::DeviceOpen {
            kind: "video",
            spec: spec.url.clone(),
            message,
        })?;
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Video)
        .ok_or_else(|| CaptureError::BadConfig("test pattern has no video".to_owned()))?;
    let index = stream.index();
    let mut decoder = codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(CaptureError::ffmpeg("opening the test pattern"))?;
    let n_frames = settings.fps.max(15) as usize;
    let mut frames = Vec::with_capacity(n_frames);
    while frames.len() < n_frames {
        let mut packet = codec::packet::Packet::empty();
        packet
            .read(&mut input)
            .map_err(CaptureError::ffmpeg("reading the test pattern"))?;
        if packet.stream() != index {
            continue;
        }
        decoder
            .send_packet(&packet)
            .map_err(CaptureError::ffmpeg("decoding the test pattern"))?;
        let mut frame = ffmpeg::frame::Video::empty();
        while decoder.receive_frame(&mut frame).is_ok() {
            frames.push(std::mem::replace(&mut frame, ffmpeg::frame::Video::empty()));
        }
    }
    let mut measured = Vec::new();
    for &preset in presets {
        let trial = VideoSettings {
            preset,
            encoder: VideoEncoder::X264,
            ..settings.clone()
        };
        let mut opened = open_video_as(&trial, VideoEncoder::X264)?;
        let started = std::time::Instant::now();
        let mut packet = codec::packet::Packet::empty();
        for (i, frame) in frames.iter_mut().enumerate() {
            frame.set_pts(Some(i as i64));
            opened
                .encoder
                .send_frame(frame)
                .map_err(CaptureError::ffmpeg("probing the encoder"))?;
            while opened.encoder.receive_packet(&mut packet).is_ok() {}
        }
        let _ = opened.encoder.send_eof();
        while opened.encoder.receive_packet(&mut packet).is_ok() {}
        let fps = frames.len() as f64 / started.elapsed().as_secs_f64();
        measured.push((preset, (fps * 10.0).round() / 10.0));
        if fps >= settings.fps as f64 * headroom {
            return Ok(PresetProbe { preset, measured });
        }
    }
    Ok(PresetProbe {
        preset: Preset::Ultrafast,
        measured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_probe_measures_and_picks_one_that_keeps_up() {
        let settings = VideoSettings {
            width: 640,
            height: 360,
            ..VideoSettings::default()
        };
        let probe = choose_preset(&settings, 1.5).unwrap();
        assert!(!probe.measured.is_empty());
        assert!(probe.measured.iter().all(|(_, fps)| *fps > 0.0));
        let (last, fps) = *probe.measured.last().unwrap();
        assert_eq!(last, probe.preset);
        // Either the chosen preset kept up, or nothing did and ultrafast is the floor.
        assert!(
            fps >= 45.0 || probe.preset == crate::config::Preset::Ultrafast,
            "{probe:?}"
        );
        // One preset measured alone, whatever its speed (a second picture's, at the preset
        // the first was given).
        let alone = measure_preset(&settings, crate::config::Preset::Veryfast).unwrap();
        assert!(alone > 0.0, "{alone}");
    }

    #[test]
    fn x264_opens_with_live_settings_and_vaapi_falls_back() {
        let settings = VideoSettings {
            width: 320,
            height: 180,
            encoder: VideoEncoder::Vaapi,
            ..VideoSettings::default()
        };
        let opened = open_video(&settings).unwrap();
        assert_eq!(opened.used, VideoEncoder::X264);
        assert_eq!(opened.time_base, Rational::new(1, 30));
        assert!(available_encoders().ends_with(&[VideoEncoder::X264]));
    }
}
