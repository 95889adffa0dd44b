//! What a pipeline is asked to do: sources, encoding, outputs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::StreamUrl;
use crate::overlay::Overlay;

/// One FFmpeg input: a libavdevice device (`v4l2`, `alsa`, `pulse`, `avfoundation`,
/// `dshow`), a `lavfi` graph, or any demuxer with a URL.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct InputSpec {
    /// FFmpeg input format name, e.g. `v4l2` or `lavfi`.
    pub format: String,
    /// Device name or URL, e.g. `/dev/video0`, `hw:0` or a lavfi graph.
    pub url: String,
    /// Input options such as `video_size`, `framerate`, `input_format`.
    pub options: BTreeMap<String, String>,
}

impl InputSpec {
    /// A device with its format, no options.
    pub fn new(format: &str, url: &str) -> InputSpec {
        InputSpec {
            format: format.to_owned(),
            url: url.to_owned(),
            options: BTreeMap::new(),
        }
    }

    /// Parses `FORMAT:URL` (`v4l2:/dev/video0`, `alsa:hw:1`), or a bare `/dev/video*` path
    /// which means V4L2 on Linux.
    pub fn parse_video(spec: &str) -> InputSpec {
        if let Some((format, url)) = spec.split_once(':')
            && !format.is_empty()
            && !format.contains('/')
        {
            return InputSpec::new(format, url);
        }
        InputSpec::new(default_video_backend(), spec)
    }

    /// Like [`InputSpec::parse_video`] for microphones; a bare name means ALSA on Linux.
    pub fn parse_audio(spec: &str) -> InputSpec {
        match spec.split_once(':') {
            Some((format, url)) if KNOWN_BACKENDS.contains(&format) => InputSpec::new(format, url),
            _ => InputSpec::new(default_audio_backend(), spec),
        }
    }
}

const KNOWN_BACKENDS: &[&str] = &[
    "v4l2",
    "alsa",
    "pulse",
    "avfoundation",
    "dshow",
    "lavfi",
    "oss",
    "jack",
];

fn default_video_backend() -> &'static str {
    if cfg!(target_os = "macos") {
        "avfoundation"
    } else if cfg!(target_os = "windows") {
        "dshow"
    } else {
        "v4l2"
    }
}

fn default_audio_backend() -> &'static str {
    if cfg!(target_os = "macos") {
        "avfoundation"
    } else if cfg!(target_os = "windows") {
        "dshow"
    } else {
        "alsa"
    }
}

/// The video source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum VideoSource {
    /// FFmpeg's `testsrc2` pattern at the output size and rate.
    Test,
    /// A camera or any other input.
    Input(InputSpec),
}

/// The audio source.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AudioSource {
    /// A 440 Hz sine tone.
    Test,
    /// Digital silence (no microphone).
    Silence,
    /// A microphone or any other input.
    Input(InputSpec),
}

/// libx264 speed presets suited to 2–4 cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Ultrafast,
    Superfast,
    Veryfast,
    Faster,
}

impl Preset {
    /// The x264 preset name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Ultrafast => "ultrafast",
            Preset::Superfast => "superfast",
            Preset::Veryfast => "veryfast",
            Preset::Faster => "faster",
        }
    }
}

/// Which H.264 encoder to use. Hardware encoders fall back to x264 when they fail to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum VideoEncoder {
    X264,
    Nvenc,
    Qsv,
    Vaapi,
    VideoToolbox,
}

impl VideoEncoder {
    pub const ALL: [VideoEncoder; 5] = [VideoEncoder::X264, VideoEncoder::Nvenc, VideoEncoder::Qsv, VideoEncoder::Vaapi, VideoEncoder::VideoToolbox];

    /// The encoder a user's choice names (`x264`, `nvenc`, `qsv`, `vaapi`, `videotoolbox`, or
    /// FFmpeg's name); `auto` is the first that opens here, hardware first. `None` for a name
    /// that is none of these.
    pub fn from_choice(choice: &str) -> Option<VideoEncoder> {
        if choice == "auto" {
            return Some(crate::encode::available_encoders()[0]);
        }
        VideoEncoder::ALL.into_iter().find(|e| e.choice() == choice || e.ffmpeg_name() == choice)
    }

    /// The short name a user chooses it by (what [`VideoEncoder::from_choice`] reads).
    pub fn choice(self) -> &'static str {
        match self {
            VideoEncoder::X264 => "x264",
            VideoEncoder::Nvenc => "nvenc",
            VideoEncoder::Qsv => "qsv",
            VideoEncoder::Vaapi => "vaapi",
            VideoEncoder::VideoToolbox => "videotoolbox",
        }
    }

    /// The FFmpeg encoder name.
    pub fn ffmpeg_name(self) -> &'static str {
        match self {
            VideoEncoder::X264 => "libx264",
            VideoEncoder::Nvenc => "h264_nvenc",
            VideoEncoder::Qsv => "h264_qsv",
            VideoEncoder::Vaapi => "h264_vaapi",
            VideoEncoder::VideoToolbox => "h264_videotoolbox",
        }
    }
}

/// Output picture and encoder settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VideoSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    pub preset: Preset,
    pub encoder: VideoEncoder,
    /// Seconds between keyframes.
    pub keyframe_interval_s: u32,
    /// Encoder threads; 0 lets the encoder choose (x264: 1.5 × cores). x264 runs sliced
    /// threads (`encode::x264_params`), which share one frame: the default, two threads,
    /// encodes 720p veryfast 1.5× faster than one thread for 4 MB more, where frame threads
    /// cost 25 MB more (crates/capture/BENCH.md, "Lookahead and threads").
    pub threads: u32,
}

impl Default for VideoSettings {
    fn default() -> Self {
        VideoSettings {
            width: 1280,
            height: 720,
            fps: 30,
            bitrate_kbps: 2500,
            preset: Preset::Veryfast,
            encoder: VideoEncoder::X264,
            keyframe_interval_s: 2,
            threads: 2,
        }
    }
}

/// The recording container, chosen from the file extension by [`Container::for_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Container {
    /// Fragmented MP4 while recording (crash-safe); optionally remuxed to a plain MP4
    /// with chapters after a clean stop.
    Mp4,
    /// Matroska; chapters are written into the file on stop.
    Mkv,
}

impl Container {
    /// `.mkv` → Matroska, anything else → MP4.
    pub fn for_path(path: &std::path::Path) -> Container {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("mkv") => Container::Mkv,
            _ => Container::Mp4,
        }
    }
}

/// Push reconnection timing, in the OBS manner: a few seconds, growing, capped.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReconnectPolicy {
    pub initial_delay_ms: u32,
    pub max_delay_ms: u32,
    /// Fraction of the delay added or removed at random, 0.0–0.5.
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay_ms: 1000,
            max_delay_ms: 8000,
            jitter: 0.2,
        }
    }
}

/// Where the desk listens for a phone layer's SRT push.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PhoneListen {
    /// The desk's address on the local network (the phone must reach it); `None` finds it
    /// when a scene first shows the phone. Loopback in tests.
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub address: Option<std::net::IpAddr>,
    /// 0 picks a free port when the phone layer starts.
    pub port: u16,
}

impl Default for PhoneListen {
    fn default() -> Self {
        PhoneListen { address: None, port: 0 }
    }
}

/// How many destinations one encode may feed: each push costs upload bandwidth the
/// anchor's line rarely has more of.
pub const MAX_PUSHES: usize = 4;

/// A second picture composed from the same sources at the same ticks, encoded on its own
/// and pushed to its own destinations: a vertical 9:16 picture for the phones watching while
/// the recording and the other pushes keep the landscape one. The recording is always the
/// first canvas's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SecondCanvas {
    /// Its layout and size; its sources are shared with the first canvas's (a camera in both
    /// is opened once).
    pub scene: crate::scene::Scene,
    /// Where it goes; at least one.
    #[cfg_attr(feature = "specta", specta(type = Vec<String>))]
    pub pushes: Vec<StreamUrl>,
}

/// Everything a pipeline needs to start.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub video_source: VideoSource,
    pub audio_source: AudioSource,
    pub video: VideoSettings,
    pub audio_bitrate_kbps: u32,
    /// The recording file; `.mkv` records Matroska, anything else fragmented MP4.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub output: PathBuf,
    /// Replace an existing file at `output` instead of refusing to start.
    pub overwrite: bool,
    /// RTMP(S) destinations with their stream keys: the platform's ingest first, then any
    /// other. One encode feeds them all; each has its own connection, queue and reconnect.
    #[cfg_attr(feature = "specta", specta(type = Vec<String>))]
    pub pushes: Vec<StreamUrl>,
    pub reconnect: ReconnectPolicy,
    /// Start recording even when an ingest cannot be reached; that push then keeps
    /// trying in the background. Off by default: an unreachable ingest is an error
    /// before anything starts.
    pub start_push_offline: bool,
    /// Stop by itself after this much media time.
    pub duration_ms: Option<u32>,
    /// For the disk-space preflight when `duration_ms` is not set; defaults to 3 hours.
    pub planned_duration_ms: Option<u32>,
    /// Pace synthetic sources in real time (always true for devices). Off only for benchmarks.
    pub realtime: bool,
    /// After a clean stop, remux a fragmented MP4 into a plain MP4 with chapters.
    pub remux_on_stop: bool,
    /// Overlay shown from the first frame.
    pub overlay: Option<Overlay>,
    /// Several sources composed on a canvas; its canvas sets the picture's size. Without
    /// it, the video source fills the picture.
    pub scene: Option<crate::scene::Scene>,
    /// A second canvas for some pushes; needs `scene` (the first canvas) to be set.
    pub second_canvas: Option<SecondCanvas>,
    /// Where a scene's phone layer is listened for.
    pub phone: PhoneListen,
    /// The microphone's gain, mute and noise suppression, and a music bed that ducks.
    pub sound: crate::sound::SoundMix,
    /// Preview frames per second (0 turns preview off).
    pub preview_fps: u32,
    /// Preview width in pixels; the height follows the aspect ratio.
    pub preview_width: u32,
    /// A font file with CJK glyphs for overlays; the system Noto Sans CJK when unset.
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub font: Option<PathBuf>,
}

impl Config {
    /// A 720p30 recording of the synthetic source to `output`.
    pub fn new(output: impl Into<PathBuf>) -> Config {
        Config {
            video_source: VideoSource::Test,
            audio_source: AudioSource::Test,
            video: VideoSettings::default(),
            audio_bitrate_kbps: 128,
            output: output.into(),
            overwrite: false,
            pushes: Vec::new(),
            reconnect: ReconnectPolicy::default(),
            start_push_offline: false,
            duration_ms: None,
            planned_duration_ms: None,
            realtime: true,
            remux_on_stop: true,
            overlay: None,
            scene: None,
            second_canvas: None,
            phone: PhoneListen::default(),
            sound: crate::sound::SoundMix::default(),
            preview_fps: 4,
            preview_width: 320,
            font: None,
        }
    }

    /// Every push, the first canvas's and then the second's: the order of the pipeline's
    /// push threads and of `Stats::destinations`.
    pub fn all_pushes(&self) -> Vec<&StreamUrl> {
        self.pushes
            .iter()
            .chain(self.second_canvas.iter().flat_map(|s| s.pushes.iter()))
            .collect()
    }

    /// The container the output path asks for.
    pub fn container(&self) -> Container {
        Container::for_path(&self.output)
    }

    /// Bytes the recording is expected to take for `ms` of media.
    pub fn estimated_bytes(&self, ms: u64) -> u64 {
        let kbps = u64::from(self.video.bitrate_kbps) + u64::from(self.audio_bitrate_kbps);
        // Container overhead and encoder overshoot stay under 10 % in practice.
        kbps * 1000 / 8 * ms / 1000 * 11 / 10
    }

    pub(crate) fn validate(&self) -> Result<(), crate::CaptureError> {
        let bad = |m: String| Err(crate::CaptureError::BadConfig(m));
        let v = &self.video;
        if v.width < 64
            || v.height < 64
            || v.width > 7680
            || v.height > 4320
            || !v.width.is_multiple_of(2)
            || !v.height.is_multiple_of(2)
        {
            return bad(format!(
                "video size {}x{} must be even and between 64x64 and 7680x4320",
                v.width, v.height
            ));
        }
        if v.fps == 0 || v.fps > 120 {
            return bad(format!("frame rate {} must be 1 to 120", v.fps));
        }
        if v.bitrate_kbps < 100 || v.bitrate_kbps > 100_000 {
            return bad(format!(
                "video bitrate {} kbps must be 100 to 100000",
                v.bitrate_kbps
            ));
        }
        if self.audio_bitrate_kbps < 32 || self.audio_bitrate_kbps > 512 {
            return bad(format!(
                "audio bitrate {} kbps must be 32 to 512",
                self.audio_bitrate_kbps
            ));
        }
        if v.keyframe_interval_s == 0 || v.keyframe_interval_s > 10 {
            return bad(format!(
                "keyframe interval {} s must be 1 to 10",
                v.keyframe_interval_s
            ));
        }
        self.sound.validate()?;
        if self.pushes.len() > MAX_PUSHES {
            return bad(format!(
                "{} push destinations; at most {MAX_PUSHES} can be fed by one encode",
                self.pushes.len()
            ));
        }
        if let Some(second) = &self.second_canvas {
            if self.scene.is_none() {
                return bad("a second canvas needs the first to be a scene too (pick one, e.g. 单机位)".to_owned());
            }
            second.scene.validate()?;
            if second.pushes.is_empty() {
                return bad(format!("the second canvas ({}) has no push destination: give it one, or leave it out", second.scene.name));
            }
            if second.pushes.len() > MAX_PUSHES {
                return bad(format!("{} push destinations on the second canvas; at most {MAX_PUSHES}", second.pushes.len()));
            }
        }
        let all = self.all_pushes();
        for (i, url) in all.iter().enumerate() {
            if all[..i]
                .iter()
                .any(|earlier| earlier.expose() == url.expose())
            {
                return bad(format!(
                    "{} is given twice as a push destination",
                    url.masked()
                ));
            }
        }
        if !(0.0..=0.5).contains(&self.reconnect.jitter) || self.reconnect.initial_delay_ms == 0 {
            return bad("reconnect jitter must be 0.0–0.5 and the first delay above 0".to_owned());
        }
        Ok(())
    }
}
