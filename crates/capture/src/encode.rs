//! Opening the H.264 and AAC encoders with live-streaming settings.

use ffmpeg_next::{self as ffmpeg, Dictionary, Rational, codec, encoder, format};

use crate::config::{VideoEncoder, VideoSettings};
use crate::CaptureError;

/// An opened video encoder and what it was opened as.
pub(crate) struct OpenedVideo {
    pub encoder: encoder::Video,
    pub used: VideoEncoder,
    pub time_base: Rational,
}

/// Opens the configured encoder, falling back to libx264 when a hardware encoder fails.
pub(crate) fn open_video(settings: &VideoSettings) -> Result<OpenedVideo, CaptureError> {
    if settings.encoder != VideoEncoder::X264 {
        match open_video_as(settings, settings.encoder) {
            Ok(opened) => return Ok(opened),
            Err(err) => tracing::warn!(%err, "hardware encoder failed to open; falling back to libx264"),
        }
    }
    open_video_as(settings, VideoEncoder::X264)
}

fn open_video_as(settings: &VideoSettings, which: VideoEncoder) -> Result<OpenedVideo, CaptureError> {
    let name = which.ffmpeg_name();
    let fail = |message: String| CaptureError::Encoder { name: name.to_owned(), message };
    if which == VideoEncoder::Vaapi {
        // VAAPI only takes frames in GPU surfaces; uploading them needs a hardware frames
        // context this pipeline does not build yet.
        return Err(fail("needs GPU surface upload, not supported yet".to_owned()));
    }
    let codec = encoder::find_by_name(name).ok_or_else(|| fail("not built into this FFmpeg".to_owned()))?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(|e| fail(e.to_string()))?;
    let time_base = Rational::new(1, settings.fps as i32);
    enc.set_width(settings.width);
    enc.set_height(settings.height);
    enc.set_format(if which == VideoEncoder::Qsv { format::Pixel::NV12 } else { format::Pixel::YUV420P });
    enc.set_time_base(time_base);
    enc.set_frame_rate(Some(Rational::new(settings.fps as i32, 1)));
    let gop = settings.fps * settings.keyframe_interval_s;
    enc.set_gop(gop);
    let bitrate = settings.bitrate_kbps as usize * 1000;
    enc.set_bit_rate(bitrate);
    enc.set_max_bit_rate(bitrate);
    // Both MP4 and FLV want SPS/PPS in extradata rather than in every keyframe.
    enc.set_flags(codec::Flags::GLOBAL_HEADER);
    unsafe {
        // rc_buffer_size has no safe setter; two seconds of VBV keeps the rate steady
        // enough for an ingest without starving keyframes.
        (*enc.as_mut_ptr()).rc_buffer_size = (bitrate * 2) as i32;
    }
    let mut opts = Dictionary::new();
    // libavcodec defaults to one thread; the ffmpeg CLI asks for "auto", and so do we.
    opts.set("threads", &if settings.threads == 0 { "auto".to_owned() } else { settings.threads.to_string() });
    match which {
        VideoEncoder::X264 => {
            opts.set("preset", settings.preset.name());
            // A fixed keyframe cadence: ingest servers and our per-product clips cut on them.
            opts.set("x264-params", &format!("keyint={gop}:min-keyint={gop}:scenecut=0"));
        }
        VideoEncoder::Nvenc => {
            opts.set("preset", "p4");
            opts.set("rc", "cbr");
        }
        _ => {}
    }
    let encoder = enc.open_with(opts).map_err(|e| fail(e.to_string()))?;
    Ok(OpenedVideo { encoder, used: which, time_base })
}

/// The AAC encoder at 48 kHz stereo, planar float, 1024-sample frames.
pub(crate) fn open_audio(bitrate_kbps: u32) -> Result<encoder::Audio, CaptureError> {
    let fail = |message: String| CaptureError::Encoder { name: "aac".to_owned(), message };
    let codec = encoder::find(codec::Id::AAC).ok_or_else(|| fail("not built into this FFmpeg".to_owned()))?;
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
        return Err(fail(format!("frame size {} instead of {AUDIO_FRAME}", encoder.frame_size())));
    }
    Ok(encoder)
}

pub(crate) const AUDIO_RATE: u32 = 48_000;
pub(crate) const AUDIO_FRAME: usize = 1024;

/// Encoders this FFmpeg build has, hardware ones first; libx264 is always last.
pub fn available_encoders() -> Vec<VideoEncoder> {
    crate::init();
    let mut found: Vec<VideoEncoder> = [VideoEncoder::Nvenc, VideoEncoder::Qsv, VideoEncoder::VideoToolbox]
        .into_iter()
        .filter(|e| encoder::find_by_name(e.ffmpeg_name()).is_some())
        .filter(|e| {
            // Compiled in is not the same as present: probe by opening a tiny encoder.
            let probe = VideoSettings { width: 256, height: 144, encoder: *e, ..VideoSettings::default() };
            open_video_as(&probe, *e).is_ok()
        })
        .collect();
    found.push(VideoEncoder::X264);
    found
}
