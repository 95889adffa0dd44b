//! `anchordesk record` and `anchordesk devices`: the capture pipeline from the shell.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anchordesk_capture::{
    AudioSource, Config, DeviceKind, InputSpec, Overlay, Pipeline, Preset, PushState, Stats,
    StreamUrl, VideoEncoder, VideoSource,
};
use anyhow::{Context, bail};

/// Arguments of `anchordesk record`.
#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// `test` for the synthetic pattern, or a camera: `/dev/video0`, `v4l2:/dev/video0`.
    #[arg(long, default_value = "test")]
    source: String,
    /// `test` (a 440 Hz tone), `silence`, or a microphone: `alsa:hw:1,0`, `pulse:default`.
    /// Defaults to `test` with the test source and `silence` with a camera.
    #[arg(long)]
    audio: Option<String>,
    /// How long to record: `30s`, `10m`, `1h`, `1500ms`. Without it, until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// The recording: `.mp4` (fragmented while recording) or `.mkv`.
    #[arg(long)]
    out: PathBuf,
    /// RTMP(S) ingest URL with stream key; the key is never printed. Repeat it to push to
    /// several destinations at once (at most 4): one encode feeds them all, and each
    /// reconnects on its own.
    #[arg(long, env = "ANCHORDESK_PUSH_URL", hide_env_values = true)]
    push: Vec<String>,
    /// Start recording even when an ingest is down; that push keeps trying.
    #[arg(long, requires = "push")]
    start_push_offline: bool,
    /// Text shown in the lower third.
    #[arg(long)]
    overlay: Option<String>,
    /// Output size, WIDTHxHEIGHT (1280x720 unless a scene sets it).
    #[arg(long, visible_alias = "canvas")]
    size: Option<String>,
    /// Compose several sources: a layout (`single`, `pip`, `split`, `portrait`, or 单机位,
    /// 人+商品特写, 左右分屏, 竖屏全身) or a scene file (see `anchordesk scenes`). The
    /// camera layer is --source.
    #[arg(long)]
    scene: Option<String>,
    /// What fills the layout's second rectangle: `test`, a picture, `#RRGGBB`, an input.
    #[arg(long, requires = "scene")]
    close_up: Option<String>,
    /// A second picture at the same time, for the --second-push destinations: a layout or
    /// scene file as for --scene, composed from the same sources (a camera in both is
    /// opened once). The recording and --push keep the first picture; without --scene the
    /// first is 单机位.
    #[arg(long, requires = "second_push")]
    second_scene: Option<String>,
    /// The second picture's size, WIDTHxHEIGHT (the layout's own otherwise: 1080x1920 for
    /// `portrait`).
    #[arg(long, requires = "second_scene")]
    second_canvas: Option<String>,
    /// Where the second picture goes (RTMP(S) with its key; repeat it for several).
    #[arg(long, requires = "second_scene")]
    second_push: Vec<String>,
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Video bitrate in kbit/s.
    #[arg(long, default_value_t = 2500)]
    bitrate: u32,
    /// x264 preset: ultrafast, superfast, veryfast, faster, or auto (a one-second probe
    /// picks the slowest preset that runs at twice real time here).
    #[arg(long, default_value = "veryfast")]
    preset: String,
    /// H.264 encoder: auto (the first that opens here, hardware first), x264, nvenc, qsv,
    /// vaapi or videotoolbox. A hardware encoder that fails falls back to x264.
    #[arg(long, default_value = "x264")]
    encoder: String,
    /// Background music: an audio file or a folder of them, looped; it dips while the
    /// microphone hears speech unless --no-duck.
    #[arg(long)]
    music: Option<PathBuf>,
    /// Music level in dB.
    #[arg(long, default_value_t = -15.0, allow_hyphen_values = true, requires = "music")]
    music_gain: f32,
    #[arg(long, requires = "music")]
    no_duck: bool,
    /// Play a folder's music in a random order.
    #[arg(long, requires = "music")]
    shuffle: bool,
    /// Microphone gain in dB.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    mic_gain: f32,
    /// Suppress steady background noise on the microphone.
    #[arg(long)]
    denoise: bool,
    /// Gain in dB of the phone's sound, when a scene shows a phone (its push brings its
    /// microphone, mixed with this one).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    phone_gain: f32,
    /// Replace an existing file at --out.
    #[arg(long)]
    overwrite: bool,
    /// Keep the fragmented MP4 as recorded instead of remuxing it with chapters at the end.
    #[arg(long)]
    keep_fragmented: bool,
}

/// Arguments of `anchordesk devices`.
#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 10m or 1h"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}; use ms, s, m or h"
            ));
        }
    };
    if !(0.1..=24.0 * 3600.0).contains(&seconds) {
        return Err(format!("{text:?} must be between 100ms and 24h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn config_from(args: &RecordArgs) -> anyhow::Result<Config> {
    let mut config = Config::new(&args.out);
    (config.video.width, config.video.height) = match &args.size {
        Some(size) => crate::scenes::parse_canvas(size).context("--size")?,
        None => (1280, 720),
    };
    if let Some(spec) = &args.scene {
        let options = crate::scenes::SceneOptions {
            canvas: args.size.clone(),
            close_up: args.close_up.clone(),
        };
        let scene = crate::scenes::scene_from(spec, &options).context("--scene")?;
        (config.video.width, config.video.height) = (scene.width, scene.height);
        config.scene = Some(scene);
    }
    if let Some(spec) = &args.second_scene {
        let options = crate::scenes::SceneOptions {
            canvas: args.second_canvas.clone(),
            close_up: args.close_up.clone(),
        };
        let scene = crate::scenes::scene_from(spec, &options).context("--second-scene")?;
        if config.scene.is_none() {
            let single = anchordesk_capture::Layout::Single;
            config.scene = Some(single.scene((config.video.width, config.video.height), anchordesk_capture::LayerSource::Camera).camera_whole());
        }
        let pushes = args
            .second_push
            .iter()
            .enumerate()
            .map(|(i, url)| StreamUrl::parse(url).with_context(|| format!("--second-push number {}", i + 1)))
            .collect::<anyhow::Result<_>>()?;
        config.second_canvas = Some(anchordesk_capture::SecondCanvas { scene, pushes });
    }
    config.video.fps = args.fps;
    config.video.encoder = match VideoEncoder::from_choice(&args.encoder) {
        Some(encoder) => encoder,
        None => bail!(
            "unknown encoder {:?}; use auto, x264, nvenc, qsv, vaapi or videotoolbox (see `anchordesk encoders`)",
            args.encoder
        ),
    };
    config.video.bitrate_kbps = args.bitrate;
    config.video.preset = match args.preset.as_str() {
        "ultrafast" => Preset::Ultrafast,
        "superfast" => Preset::Superfast,
        "veryfast" => Preset::Veryfast,
        "faster" => Preset::Faster,
        "auto" => {
            let probe = anchordesk_capture::choose_preset(&config.video, 2.0)
                .context("probing the encoder")?;
            let measured: Vec<String> = probe
                .measured
                .iter()
                .map(|(p, fps)| format!("{} {fps:.0} fps", p.name()))
                .collect();
            eprintln!("preset {} ({})", probe.preset.name(), measured.join(", "));
            probe.preset
        }
        other => {
            bail!("unknown preset {other:?}; use ultrafast, superfast, veryfast, faster or auto")
        }
    };
    let is_test = args.source == "test";
    config.video_source = if is_test {
        VideoSource::Test
    } else {
        VideoSource::Input(InputSpec::parse_video(&args.source))
    };
    config.audio_source = match args.audio.as_deref() {
        Some("test") => AudioSource::Test,
        Some("silence") => AudioSource::Silence,
        Some(mic) => AudioSource::Input(InputSpec::parse_audio(mic)),
        None if is_test => AudioSource::Test,
        None => AudioSource::Silence,
    };
    config.duration_ms = args
        .duration
        .map(|d| d.as_millis().min(u32::MAX as u128) as u32);
    config.pushes = args
        .push
        .iter()
        .enumerate()
        .map(|(i, url)| StreamUrl::parse(url).with_context(|| format!("--push number {}", i + 1)))
        .collect::<anyhow::Result<_>>()?;
    config.overlay = args.overlay.clone().map(|text| Overlay::Title { text });
    config.sound = anchordesk_capture::SoundMix {
        mic_gain_db: args.mic_gain,
        mic_muted: false,
        denoise: args.denoise,
        phone_gain_db: args.phone_gain,
        phone_muted: false,
        music: args.music.clone().map(|path| anchordesk_capture::Music { path, shuffle: args.shuffle, gain_db: args.music_gain, duck: !args.no_duck }),
    };
    config.start_push_offline = args.start_push_offline;
    config.overwrite = args.overwrite;
    config.remux_on_stop = !args.keep_fragmented;
    config.preview_fps = 0;
    Ok(config)
}

fn push_state_text(state: &PushState) -> String {
    match state {
        PushState::Off => "off".to_owned(),
        PushState::Live => "live".to_owned(),
        PushState::Reconnecting {
            attempt,
            retry_in_ms,
            ..
        } => format!(
            "reconnecting(#{attempt}, {:.1}s)",
            *retry_in_ms as f64 / 1000.0
        ),
        PushState::Stopped => "stopped".to_owned(),
    }
}

/// ` push=live` for one destination, ` push1=live push2=reconnecting(…)` for several.
fn push_text(stats: &Stats) -> String {
    match stats.destinations.as_slice() {
        [] => String::new(),
        [only] => format!(" push={}", push_state_text(&only.state)),
        several => several
            .iter()
            .enumerate()
            .map(|(i, d)| format!(" push{}={}", i + 1, push_state_text(&d.state)))
            .collect(),
    }
}

fn progress_line(stats: &Stats) -> String {
    format!(
        "time={:>7.1}s fps={:>5.1} skipped={} dropped={} size={:.1}MB bitrate={:.0}kbps{}{}{}{}",
        stats.media_time_ms / 1000.0,
        stats.fps,
        stats.skipped_frames,
        stats.dropped_frames,
        stats.recording_bytes / 1_000_000.0,
        stats.bitrate_kbps,
        push_text(stats),
        stats.second_canvas.as_ref().map_or(String::new(), |s| format!(
            " second={}x{}:fps={:.1}:skipped={}",
            s.width, s.height, s.fps, s.skipped_frames
        )),
        if stats.source_lost {
            " CAMERA-LOST"
        } else {
            ""
        },
        if stats.skipped_alarm {
            " ALARM:skipped-frames"
        } else {
            ""
        },
    )
}

/// Runs `anchordesk record`; returns the exit code.
pub fn run(args: RecordArgs) -> anyhow::Result<u8> {
    let config = config_from(&args)?;
    let mut target: String = config
        .pushes
        .iter()
        .map(|url| format!(" and pushing to {url}"))
        .collect();
    if let Some(second) = &config.second_canvas {
        let urls: Vec<String> = second.pushes.iter().map(|url| url.to_string()).collect();
        target += &format!(
            "; a second picture, {} {}x{}, to {}",
            second.scene.name,
            second.scene.width,
            second.scene.height,
            urls.join(", ")
        );
    }
    eprintln!("recording to {}{target}", config.output.display());
    let asked = config.video.encoder;
    let handle = Pipeline::start(config)
        .with_context(|| format!("starting the recording to {}", args.out.display()))?;
    if let Some(url) = handle.phone_url() {
        eprintln!("phone: push SRT to {url}");
    }
    if handle.encoder() != asked {
        eprintln!(
            "{} did not open here; recording with {} (see `anchordesk encoders`): {}",
            asked.ffmpeg_name(),
            handle.encoder().ffmpeg_name(),
            handle.encoder_fallback().unwrap_or("it did not open")
        );
    } else {
        eprintln!("encoder {}", asked.ffmpeg_name());
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let stats = handle.stats();
    let tty = std::io::stderr().is_terminal();
    while !handle.is_finished() && !interrupted.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(if tty { 250 } else { 1000 }));
        let line = progress_line(&stats.borrow());
        if tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
    }
    let summary = if interrupted.load(Ordering::SeqCst) {
        handle.stop()
    } else {
        handle.wait()
    }
    .context("finishing the recording")?;
    if tty {
        eprintln!();
    }
    println!(
        "{}: {:.1} s, {} frames, {:.1} MB, skipped {} frames, dropped {}, {} push reconnects; markers in {}",
        summary.path.display(),
        summary.duration_ms as f64 / 1000.0,
        summary.video_frames,
        summary.bytes as f64 / 1_000_000.0,
        summary.skipped_frames,
        summary.dropped_frames,
        summary.push_reconnects,
        summary.sidecar.display()
    );
    Ok(0)
}

/// Arguments of `anchordesk encoders`.
#[derive(clap::Args, Debug)]
pub struct EncodersArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `anchordesk encoders`: opens every H.264 encoder for real and says which work.
pub fn run_encoders(args: EncodersArgs) -> anyhow::Result<u8> {
    let probes = anchordesk_capture::probe_encoders();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&probes)?);
        return Ok(0);
    }
    for p in &probes {
        match &p.reason {
            None => println!("{}	works", p.name),
            Some(reason) => println!("{}	no: {reason}", p.name),
        }
    }
    let hardware: Vec<&str> = probes
        .iter()
        .filter(|p| p.usable && p.encoder != VideoEncoder::X264)
        .map(|p| p.name.as_str())
        .collect();
    if hardware.is_empty() {
        println!("hardware encoder: none; recordings use libx264");
    } else {
        println!(
            "hardware encoder: {} (record --encoder auto uses it)",
            hardware[0]
        );
    }
    Ok(0)
}

/// Runs `anchordesk devices`.
pub fn run_devices(args: DevicesArgs) -> anyhow::Result<u8> {
    let devices = anchordesk_capture::devices();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
        return Ok(0);
    }
    println!("test\tsynthetic pattern and tone (always available)");
    for kind in [DeviceKind::Camera, DeviceKind::Microphone] {
        let of_kind: Vec<_> = devices.iter().filter(|d| d.kind == kind).collect();
        let label = if kind == DeviceKind::Camera {
            "cameras"
        } else {
            "microphones"
        };
        if of_kind.is_empty() {
            println!("no {label} found");
        }
        for device in of_kind {
            println!("{}:{}\t{}", device.backend, device.name, device.description);
            for mode in &device.modes {
                println!(
                    "\t{}x{} @ {} fps ({})",
                    mode.width, mode.height, mode.fps, mode.pixel_format
                );
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchordesk_capture::DestinationStats;

    #[test]
    fn durations_parse_with_units() {
        let cases = [
            ("30s", 30.0),
            ("10", 10.0),
            ("1500ms", 1.5),
            ("2m", 120.0),
            ("1h", 3600.0),
            ("0.5s", 0.5),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_duration(text).unwrap().as_secs_f64(),
                seconds,
                "{text}"
            );
        }
        for bad in ["", "s", "10x", "-1s", "25h", "0s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn progress_never_shows_the_stream_key() {
        let destination = |state| DestinationStats {
            url: "rtmp://127.0.0.1/live/****".into(),
            second_canvas: false,
            state,
            bitrate_kbps: 0.0,
            dropped_packets: 0,
            reconnects: 0,
        };
        let retrying = PushState::Reconnecting {
            attempt: 2,
            retry_in_ms: 2000,
            last_error: "Connection refused".into(),
        };
        let mut stats = Stats {
            destinations: vec![destination(retrying.clone())],
            ..Stats::default()
        };
        let line = progress_line(&stats);
        assert!(line.contains(" push=reconnecting(#2, 2.0s)"), "{line}");
        stats.destinations = vec![destination(PushState::Live), destination(retrying)];
        let line = progress_line(&stats);
        assert!(
            line.contains(" push1=live push2=reconnecting(#2, 2.0s)"),
            "{line}"
        );
        assert!(
            progress_line(&Stats::default())
                .split_whitespace()
                .all(|w| !w.starts_with("push"))
        );
    }
}
